//! The whole fitting pipeline as one pure function: formula -> design (knots and levels learned
//! from the rows used) -> logistic engine -> [`Model`].
//!
//! Bootstrap validation refits this pipeline on each resample ([`fit_model_on_rows`] takes the
//! resample's row indices), as `rms::validate` refits the whole model, knots included.

use std::fmt;

use serde::{Deserialize, Serialize};
use statrs::distribution::{ChiSquared, ContinuousCDF};

use crate::design::{
    learn_on_rows_in_units, training_summary, ColumnSummary, DesignSpec, MissingCount,
    MissingPolicy, TrainingDesign,
};
use crate::error::{Error, Result};
use crate::formula::{parse, Formula};
use crate::model::logistic::{fit_logistic, FitError, FitOptions, LogisticFit, Penalty};
use crate::table::Table;

/// Version of the `model.json` layout written by this build (see [`crate::model::persist`]).
/// 2 added what a version-1 reader would silently ignore: interaction factors (`by`),
/// `addNA` levels (`missing_level`) and per-column staleness of dynamic models. 3 added
/// `family` (logistic, cox, landmark) and the Cox part (baseline, ties, strata, time column).
pub const FORMAT_VERSION: u32 = 3;

/// Oldest `model.json` layout this build reads (its new fields then take their defaults).
pub const MIN_FORMAT_VERSION: u32 = 1;

/// Level of the Wald confidence intervals stored with each coefficient.
pub const CI_LEVEL: f64 = 0.95;

/// One coefficient with its Wald statistics (`model.json` `coefficients[]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Coefficient {
    /// rms-style name: `Intercept`, `age`, `age'`, `sex=M`.
    pub name: String,
    /// Estimate on the log-odds scale.
    #[serde(with = "nan_as_null")]
    pub estimate: f64,
    /// Standard error from the inverse information matrix.
    #[serde(with = "nan_as_null")]
    pub std_error: f64,
    /// Wald z = estimate / std_error.
    #[serde(with = "nan_as_null")]
    pub z: f64,
    /// Two-sided Wald p-value.
    #[serde(with = "nan_as_null")]
    pub p_value: f64,
    /// `exp(estimate)` of a logistic model: the odds ratio per unit of the design column (for
    /// the intercept, the odds when every design column is 0). Absent (NaN) for Cox models.
    #[serde(with = "nan_as_null", default = "nan", skip_serializing_if = "is_nan")]
    pub odds_ratio: f64,
    /// `exp(estimate)` of a Cox model: the hazard ratio per unit of the design column. Absent
    /// (NaN) for logistic models.
    #[serde(with = "nan_as_null", default = "nan", skip_serializing_if = "is_nan")]
    pub hazard_ratio: f64,
    /// Lower end of the 95% Wald interval **of the odds or hazard ratio**
    /// (`exp(estimate - 1.96 se)`).
    #[serde(with = "nan_as_null")]
    pub ci_low: f64,
    /// Upper end of the 95% Wald interval of the odds ratio.
    #[serde(with = "nan_as_null")]
    pub ci_high: f64,
}

fn nan() -> f64 {
    f64::NAN
}

fn is_nan(v: &f64) -> bool {
    v.is_nan()
}

/// Indexes of the apparent fit, as `print(lrm)` gives them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FitIndexes {
    /// Harrell's C (the area under the ROC curve).
    #[serde(with = "nan_as_null")]
    pub c: f64,
    /// Somers' Dxy = 2 (C - 0.5).
    #[serde(with = "nan_as_null")]
    pub dxy: f64,
    /// Brier score, mean (p - y)^2.
    #[serde(with = "nan_as_null")]
    pub brier: f64,
    /// Nagelkerke's R2, as rms: `(1 - exp(-LR/n)) / (1 - exp(2 LL0 / n))`, the likelihoods
    /// unpenalised.
    #[serde(with = "nan_as_null")]
    pub r2: f64,
}

impl FitIndexes {
    /// The indexes of the apparent predictions `p` against the outcomes `y` (0/1).
    pub fn of(p: &[f64], y: &[f64]) -> FitIndexes {
        let c = crate::metrics::auc(p, y).unwrap_or(f64::NAN);
        FitIndexes {
            c,
            dxy: 2.0 * (c - 0.5),
            brier: crate::metrics::brier(p, y).unwrap_or(f64::NAN),
            r2: crate::metrics::r2_nagelkerke(p, y).unwrap_or(f64::NAN),
        }
    }
}

/// A fitted logistic model: the design recipe, the coefficients and the fit statistics.
/// Serialised as `model.json` (DESIGN.md section 4); holds aggregates only, never a row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// Layout version of the file ([`FORMAT_VERSION`]).
    pub format_version: u32,
    /// The formula as the user wrote it.
    pub formula: String,
    /// Outcome column and terms (with their transforms, knots and levels).
    #[serde(flatten)]
    pub design: DesignSpec,
    /// Intercept first, then one per design column.
    pub coefficients: Vec<Coefficient>,
    /// Penalty as written on the command line: `none`, `ridge=L` or `firth`.
    pub penalty: String,
    /// The family (`family`: logistic, cox or landmark) and its own part (Cox: baseline,
    /// ties, strata). Files of format versions 1 and 2 load as logistic or landmark.
    #[serde(flatten)]
    pub family: crate::model::family::Family,
    /// Rows used in the fit.
    pub n: usize,
    /// Rows with outcome 1 among them.
    pub events: usize,
    /// Rows dropped for a missing value in a formula column (`"<5"` for 1 to 4).
    pub n_dropped_missing: crate::privacy::Count,
    /// Missing cells per formula column (columns with none are omitted).
    #[serde(default)]
    pub missing_by_column: Vec<MissingCount>,
    /// Whether the engine converged.
    pub converged: bool,
    /// Newton iterations used.
    pub iterations: usize,
    /// Log-likelihood at the estimate (penalised fits: the unpenalised part, as the engine
    /// reports it).
    pub log_likelihood: f64,
    /// Log-likelihood of the intercept-only model.
    pub null_log_likelihood: f64,
    /// Likelihood-ratio chi-square against the intercept-only model.
    pub lr_chi2: f64,
    /// Its degrees of freedom (design columns).
    pub df: usize,
    /// Per-column means and quantiles (or level counts) of the rows used.
    pub training_summary: Vec<ColumnSummary>,
    /// Discrimination and fit indexes of the apparent fit, as `print(lrm)` (static models).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indexes: Option<FitIndexes>,
    /// Wald tests per predictor with their non-linear and interaction parts, as
    /// `anova(lrm)` (static models).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub anova: Vec<crate::model::anova::WaldTest>,
    /// For a dynamic (landmark) model: how its rows are built from cohort and visits files,
    /// and its cluster-robust inference. Absent for a static model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dynamic: Option<crate::model::landmark::DynamicSpec>,
}

impl Model {
    /// Warnings for category levels of fewer than [`crate::privacy::MIN_CELL`] training rows:
    /// such a level is identifiable and its coefficient unstable.
    pub fn small_level_warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for c in &self.training_summary {
            for l in c.levels.iter().flatten() {
                if l.count == crate::privacy::Count::FewerThanMin {
                    out.push(format!(
                        "level '{}' of '{}' has fewer than {} patients: it identifies them and its coefficient is unstable; merge it with a neighbouring level",
                        l.level,
                        c.column,
                        crate::privacy::MIN_CELL
                    ));
                }
            }
        }
        out
    }

    /// Coefficient estimates, intercept first (the scorer's input). A Cox model has no
    /// intercept: its place holds `-centre`, so the linear predictor is centred as
    /// `predict(coxph, type = "lp")`.
    pub fn estimates(&self) -> Vec<f64> {
        let mut out = Vec::with_capacity(self.coefficients.len() + 1);
        if let Some(c) = self.family.cox() {
            out.push(-c.centre);
        }
        out.extend(self.coefficients.iter().map(|c| c.estimate));
        out
    }

    /// Coefficient names as the model file lists them: the design's, with `Intercept` first
    /// unless the family has none (Cox).
    pub fn coefficient_names(&self) -> Vec<String> {
        if self.family.has_intercept() {
            self.design.coefficient_names()
        } else {
            self.design.column_names()
        }
    }

    /// P-value of the likelihood-ratio test against the intercept-only model.
    pub fn lr_p_value(&self) -> f64 {
        if self.df == 0 {
            return f64::NAN;
        }
        ChiSquared::new(self.df as f64).map_or(f64::NAN, |d| d.sf(self.lr_chi2.max(0.0)))
    }

    /// Compile a scorer for this model.
    ///
    /// # Errors
    /// As [`crate::score::Scorer::new`] (an inconsistent model file).
    pub fn scorer(&self) -> Result<crate::score::Scorer> {
        crate::score::Scorer::new(&self.design, &self.estimates())
            .map(|s| s.with_training_ranges(&self.training_summary))
    }

    /// Compile a scorer that writes the risks by `horizons` (Cox models; a logistic model
    /// takes no horizon).
    ///
    /// # Errors
    /// [`Error::Usage`] for horizons given to a logistic model, none given to a Cox model, or
    /// a horizon beyond the stored baseline; as [`Model::scorer`] otherwise.
    pub fn scorer_at(&self, horizons: &[f64]) -> Result<crate::score::Scorer> {
        use crate::model::family::Family;
        let scorer = self.scorer()?;
        match (&self.family, horizons.is_empty()) {
            (Family::Cox(c), false) => Ok(scorer.with_risk(c.risk_map(horizons)?, c.strata.clone())),
            (Family::Cox(c), true) => Err(Error::Usage(format!(
                "a Cox model gives the risk of an event by a horizon: add --horizon H (in the unit of '{}', at most {}), or several: --horizon 12,24,60",
                self.design.time.as_deref().unwrap_or("time"),
                crate::design::format_level(c.max_horizon())
            ))),
            (_, true) => Ok(scorer),
            (f, false) => Err(Error::Usage(format!(
                "--horizon is for survival models; this is a {} model of '{}', whose risk has no horizon",
                f.name(),
                self.design.outcome
            ))),
        }
    }
}

/// Fit `formula` on every row of `table`. See [`fit_model_on_rows`].
///
/// # Errors
/// As [`fit_model_on_rows`], plus [`Error::Usage`] for a formula that does not parse.
///
/// # Examples
/// ```no_run
/// use mbdrisk::design::MissingPolicy;
/// use mbdrisk::model::fit::fit_model;
/// use mbdrisk::model::logistic::FitOptions;
/// let table = mbdrisk::table::Table::read("cohort.csv".as_ref())?;
/// let model = fit_model(&table, "event_24m ~ rcs(age, 4) + sex + log(ctx_ng_ml)",
///                       &FitOptions::default(), MissingPolicy::Drop)?;
/// println!("{model}");
/// # Ok::<(), mbdrisk::Error>(())
/// ```
pub fn fit_model(
    table: &Table,
    formula: &str,
    opts: &FitOptions,
    missing: MissingPolicy,
) -> Result<Model> {
    let f = parse(formula)?;
    let rows: Vec<usize> = (0..table.nrows()).collect();
    fit_model_on_rows(table, &f, opts, missing, &rows)
}

/// Fit `formula` on every row of `table` with the family its outcome asks for: logistic
/// for a 0/1 outcome, Cox (with `ties`) for `Surv(time, event)`.
///
/// # Errors
/// As [`fit_model`] and [`crate::model::cox::fit_cox_on_rows`].
pub fn fit_any(
    table: &Table,
    formula: &str,
    opts: &FitOptions,
    ties: crate::survival::cox::Ties,
    missing: MissingPolicy,
) -> Result<Model> {
    let f = parse(formula)?;
    let rows: Vec<usize> = (0..table.nrows()).collect();
    match f.response {
        crate::formula::Response::Surv { .. } => {
            crate::model::cox::fit_cox_on_rows(table, &f, opts, ties, missing, &rows)
                .map(|(m, _, _)| m)
        }
        crate::formula::Response::Binary { .. } => {
            fit_model_on_rows(table, &f, opts, missing, &rows)
        }
    }
}

/// Fit a parsed formula on the given rows of `table` (0-based data rows, repeats allowed).
///
/// A pure function of (rows, formula, options): knots and category levels come from the rows
/// used, so a bootstrap refit repeats the whole pipeline. `opts.weights`, when given, has one
/// weight per **table** row; the weights of the rows used are passed to the engine.
///
/// # Errors
/// Input problems from [`crate::design::learn_on_rows`] (exit code 2); [`Error::Usage`] when
/// the weights do not have one entry per table row; [`Error::Analysis`] (exit code 1) when the
/// engine fails: no convergence, separation, rank deficiency (named by design column), or a
/// single outcome class.
pub fn fit_model_on_rows(
    table: &Table,
    formula: &Formula,
    opts: &FitOptions,
    missing: MissingPolicy,
    rows: &[usize],
) -> Result<Model> {
    fit_with_design(table, formula, opts, missing, rows).map(|(m, _, _)| m)
}

/// [`fit_model_on_rows`] returning also the engine's fit (full covariance) and the training
/// design (matrix, outcome, rows used), for robust standard errors.
///
/// # Errors
/// As [`fit_model_on_rows`].
pub(crate) fn fit_with_design(
    table: &Table,
    formula: &Formula,
    opts: &FitOptions,
    missing: MissingPolicy,
    rows: &[usize],
) -> Result<(Model, LogisticFit, TrainingDesign)> {
    if let crate::formula::Response::Surv { .. } = formula.response {
        return Err(Error::Usage(format!(
            "'{}': a Surv(time, event) outcome is a Cox model here (`mbdrisk fit` without --dynamic), or a dynamic landmark model with --dynamic --visits",
            formula.text
        )));
    }
    let design = learn_on_rows_in_units(table, formula, missing, rows, &opts.units)?;
    let mut engine_opts = opts.clone();
    if let Some(w) = &opts.weights {
        if w.len() != table.nrows() {
            return Err(Error::Usage(format!(
                "{} weights given for a table of {} rows",
                w.len(),
                table.nrows()
            )));
        }
        engine_opts.weights = Some(design.rows.iter().map(|&i| w[i]).collect());
    }
    let columns = design.spec.column_names();
    check_scale(&design.x, &columns, &formula.text)?;
    check_class_sizes(&design.y, &formula.text)?;
    let fit = fit_logistic(design.x.view(), &design.y, &engine_opts)
        .map_err(|e| fit_error(e, &columns, &formula.text, opts.penalty == Penalty::Firth))?;
    let names = design.spec.coefficient_names();
    let z = fit.z();
    let p = fit.p_values();
    let ci = fit.wald_ci(CI_LEVEL);
    let coefficients = names
        .into_iter()
        .enumerate()
        .map(|(j, name)| Coefficient {
            name,
            estimate: fit.coefficients[j],
            std_error: fit.std_errors[j],
            z: z[j],
            p_value: p[j],
            odds_ratio: fit.coefficients[j].exp(),
            hazard_ratio: f64::NAN,
            ci_low: ci[j].0.exp(),
            ci_high: ci[j].1.exp(),
        })
        .collect();
    let events = design.y.iter().filter(|&&v| v == 1.0).count();
    // apparent indexes and Wald tests of an unweighted fit (a weighted one is a landmark
    // super-model, whose rows are not patients)
    let apparent = || {
        use rayon::prelude::*;
        let risk = |r: &[f64]| {
            let lp = fit.coefficients[0]
                + r.iter()
                    .zip(&fit.coefficients[1..])
                    .map(|(x, b)| x * b)
                    .sum::<f64>();
            crate::score::logistic(lp)
        };
        let p: Vec<f64> = match design.x.as_slice() {
            Some(cells) if design.x.ncols() > 0 => {
                cells.par_chunks(design.x.ncols()).map(risk).collect()
            }
            _ => design
                .x
                .rows()
                .into_iter()
                .map(|r| risk(&r.to_vec()))
                .collect(),
        };
        FitIndexes::of(&p, &design.y)
    };
    // the apparent indexes and the training summary are independent: side by side
    let ((indexes, anova), summary) = rayon::join(
        || {
            if opts.weights.is_none() {
                (
                    Some(apparent()),
                    crate::model::anova::wald_tests(
                        &design.spec,
                        &fit.coefficients,
                        &fit.covariance,
                    ),
                )
            } else {
                (None, Vec::new())
            }
        },
        || training_summary(table, &design),
    );
    let model = Model {
        format_version: FORMAT_VERSION,
        formula: formula.text.clone(),
        coefficients,
        penalty: opts.penalty.to_string(),
        family: if opts.weights.is_some() {
            crate::model::family::Family::Landmark
        } else {
            crate::model::family::Family::Logistic
        },
        n: design.y.len(),
        events,
        n_dropped_missing: crate::privacy::Count::of(design.n_dropped_missing),
        missing_by_column: design.missing.clone(),
        converged: fit.converged,
        iterations: fit.iterations,
        log_likelihood: fit.log_likelihood,
        null_log_likelihood: fit.null_log_likelihood,
        lr_chi2: fit.lr_chi2,
        df: fit.df,
        training_summary: summary,
        design: design.spec.clone(),
        indexes,
        anova,
        dynamic: None,
    };
    Ok((model, fit, design))
}

/// Engine failure -> [`Error::Analysis`] with design-column names instead of indices.
fn fit_error(e: FitError, columns: &[String], formula: &str, firth: bool) -> Error {
    let mut text = e.explain(columns);
    if firth {
        if let FitError::NotConverged { iterations, .. } = &e {
            // the usual advice (try Firth) makes no sense when Firth is what failed
            text = format!(
                "the Firth-penalised fit did not converge in {iterations} iterations; try --penalty ridge=<lambda>, fewer terms, or merge sparse levels"
            );
        }
    }
    Error::Analysis(format!("fitting '{formula}' failed: {text}"))
}

/// A model file states its events and non-events: fewer than [`crate::privacy::MIN_CELL`] of
/// either would describe identifiable patients (and no model can be estimated from them).
fn check_class_sizes(y: &[f64], formula: &str) -> Result<()> {
    let events = y.iter().filter(|&&v| v == 1.0).count();
    let non_events = y.len() - events;
    let min = crate::privacy::MIN_CELL;
    if events < min || non_events < min {
        return Err(Error::Usage(format!(
            "'{formula}': the rows used have {events} events and {non_events} non-events; a model needs at least {min} of each (fewer would identify those patients in the shared model file)"
        )));
    }
    Ok(())
}

/// Refuse design columns whose scale defeats double precision before the engine sees them:
/// values so small or so large (or so far from zero for their spread) that the information
/// matrix cannot tell the column from a constant. Such a column is not linearly dependent,
/// and the engine would wrongly say so; the fix is a change of unit.
pub(crate) fn check_scale(
    x: &ndarray::Array2<f64>,
    columns: &[String],
    formula: &str,
) -> Result<()> {
    // The moments of every column in two parallel passes over fixed blocks of rows (read
    // row-major: a strided walk per column misses the cache on every row): the largest |x|,
    // then each block's mean and sum of squares about it (the block is in cache for its
    // second look), merged in block order (Chan et al.), so the same on any thread count.
    let (n_rows, p) = x.dim();
    if n_rows == 0 || p == 0 {
        return Ok(());
    }
    let x = x.as_standard_layout();
    let Some(cells) = x.as_slice() else {
        return Ok(());
    };
    use rayon::prelude::*;
    const BLOCK_ROWS: usize = 4096;
    let max_abs = cells
        .par_chunks(BLOCK_ROWS * p)
        .map(|block| {
            let mut m = vec![0.0f64; p];
            for row in block.chunks_exact(p) {
                for (m, v) in m.iter_mut().zip(row) {
                    *m = m.max(v.abs());
                }
            }
            m
        })
        .reduce(
            || vec![0.0f64; p],
            |a, b| a.iter().zip(&b).map(|(a, b)| a.max(*b)).collect(),
        );
    let usable = |m: f64| m != 0.0 && m.is_finite();
    // 1 / max|x_j| (0 for a column the checks skip), so the passes vectorise
    let inv: Vec<f64> = max_abs
        .iter()
        .map(|&m| if usable(m) { 1.0 / m } else { 0.0 })
        .collect();
    let blocks: Vec<(f64, Vec<f64>, Vec<f64>)> = cells
        .par_chunks(BLOCK_ROWS * p)
        .map(|block| {
            let rows = (block.len() / p) as f64;
            let mut mean = vec![0.0f64; p];
            for row in block.chunks_exact(p) {
                for ((s, v), k) in mean.iter_mut().zip(row).zip(&inv) {
                    *s += v * k;
                }
            }
            mean.iter_mut().for_each(|s| *s /= rows);
            let mut ss = vec![0.0f64; p];
            for row in block.chunks_exact(p) {
                for (((s, v), k), m) in ss.iter_mut().zip(row).zip(&inv).zip(&mean) {
                    let d = v * k - m;
                    *s += d * d;
                }
            }
            (rows, mean, ss)
        })
        .collect();
    let (mut n, mut mean, mut ss) = (0.0f64, vec![0.0f64; p], vec![0.0f64; p]);
    for (nb, mb, sb) in blocks {
        let total = n + nb;
        for j in 0..p {
            let delta = mb[j] - mean[j];
            mean[j] += delta * nb / total;
            ss[j] += sb[j] + delta * delta * n * nb / total;
        }
        n = total;
    }
    for (j, name) in columns.iter().enumerate().take(p) {
        let max_abs = max_abs[j];
        if !usable(max_abs) {
            continue; // all zero (the engine names a constant) or overflowed (it says so)
        }
        // moments of the column divided by its largest value: squares of 1e-200 underflow
        let var = ss[j] / n;
        if var == 0.0 {
            continue; // a constant: the engine names it
        }
        let (mean, sd) = (mean[j] * max_abs, var.sqrt() * max_abs);
        let tiny = max_abs < 1e-100;
        let huge = max_abs > 1e100;
        let offset = sd < 1e-9 * mean.abs();
        if tiny || huge || offset {
            let why = if offset {
                format!("its values vary by about {sd:.3e} around {mean:.6e}, too little for double precision")
            } else {
                format!("its values are about {max_abs:.3e} in size")
            };
            return Err(Error::Usage(format!(
                "'{formula}': column '{name}' is badly scaled ({why}); rescale it: change its unit, or subtract a reference value"
            )));
        }
    }
    Ok(())
}

/// Serialise NaN as JSON `null` and read `null` back as NaN (JSON has no NaN).
mod nan_as_null {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.is_finite() {
            s.serialize_f64(*v)
        } else {
            s.serialize_none()
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }
}

pub(crate) fn fmt_p(p: f64) -> String {
    if p.is_nan() {
        "NA".into()
    } else if p < 1e-4 {
        "<0.0001".into()
    } else {
        format!("{p:.4}")
    }
}

pub(crate) fn fmt_sig(v: f64) -> String {
    if !v.is_finite() {
        return if v.is_nan() {
            "NA".into()
        } else {
            format!("{v}")
        };
    }
    let a = v.abs();
    if a != 0.0 && !(1e-3..1e5).contains(&a) {
        format!("{v:.3e}")
    } else {
        format!("{v:.4}")
    }
}

/// The rms-style printout: header with counts and the likelihood-ratio test, missing-value
/// frequencies, then the coefficient table (Coef, S.E., Wald Z, Pr(>|Z|), odds ratio and its
/// 95% Wald interval).
impl fmt::Display for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let crate::model::family::Family::Cox(spec) = &self.family {
            return crate::model::cox::fmt_cox(self, spec, f);
        }
        writeln!(f, "Logistic Regression Model")?;
        writeln!(f)?;
        writeln!(f, " {}", self.formula)?;
        if let Some(d) = &self.dynamic {
            let lm = &d.landmark.landmarks;
            writeln!(
                f,
                " Landmark super-model of {}: landmarks {}..{} months ({}), window {} months,",
                d.formula,
                lm.first().copied().unwrap_or(0.0),
                lm.last().copied().unwrap_or(0.0),
                lm.len(),
                d.landmark.window
            )?;
            writeln!(
                f,
                " IPCW-weighted rows of {} patients; standard errors cluster-robust by patient",
                d.patients
            )?;
        }
        writeln!(f)?;
        let conv = if self.converged { "yes" } else { "NO" };
        let left = [
            format!("Obs {:>14}", self.n),
            format!(" 0  {:>14}", self.n.saturating_sub(self.events)),
            format!(" 1  {:>14}", self.events),
            format!("Dropped (missing) {}", self.n_dropped_missing),
            format!("Converged {conv} ({} iter.)", self.iterations),
        ];
        let right = [
            format!("LR chi2 {:>12.2}", self.lr_chi2),
            format!("d.f.    {:>12}", self.df),
            format!("Pr(> chi2) {:>9}", fmt_p(self.lr_p_value())),
            format!("Penalty {:>12}", self.penalty),
            format!("Log lik {:>12.3}", self.log_likelihood),
        ];
        writeln!(f, " {:<28}Model Likelihood Ratio Test", "")?;
        for (l, r) in left.iter().zip(right.iter()) {
            writeln!(f, " {l:<28}{r}")?;
        }
        if let Some(ix) = &self.indexes {
            writeln!(f)?;
            writeln!(
                f,
                " Discrimination Indexes: R2 {:.3}  Brier {:.3}    Rank Discrim. Indexes: C {:.3}  Dxy {:.3}",
                ix.r2, ix.brier, ix.c, ix.dxy
            )?;
        }
        fmt_missing(self, f)?;
        writeln!(f)?;
        fmt_coefficients(self, "Odds ratio", |c| c.odds_ratio, f)?;
        fmt_anova(self, "anova(lrm)", f)?;
        Ok(())
    }
}

/// The coefficient table of a model's printout: Coef, S.E., Wald Z, Pr(>|Z|), the ratio
/// `exp(coef)` named `ratio` ("Odds ratio", "Hazard ratio") and its 95% Wald interval.
pub(crate) fn fmt_coefficients(
    model: &Model,
    ratio: &str,
    value: impl Fn(&Coefficient) -> f64,
    f: &mut fmt::Formatter<'_>,
) -> fmt::Result {
    let nw = model
        .coefficients
        .iter()
        .map(|c| c.name.chars().count())
        .max()
        .unwrap_or(9)
        .max(9);
    let rw = ratio.len().max(11);
    let ci_title = format!("95% CI ({})", ratio.to_lowercase());
    writeln!(
        f,
        " {:<nw$} {:>9} {:>9} {:>7} {:>9} {:>rw$} {:>23}",
        "", "Coef", "S.E.", "Wald Z", "Pr(>|Z|)", ratio, ci_title
    )?;
    for c in &model.coefficients {
        let ci = format!("{} to {}", fmt_sig(c.ci_low), fmt_sig(c.ci_high));
        writeln!(
            f,
            " {:<nw$} {:>9.4} {:>9.4} {:>7.2} {:>9} {:>rw$} {:>23}",
            c.name,
            c.estimate,
            c.std_error,
            c.z,
            fmt_p(c.p_value),
            fmt_sig(value(c)),
            ci
        )?;
    }
    Ok(())
}

/// The missing-value frequencies of a model's printout (nothing when none were missing).
pub(crate) fn fmt_missing(model: &Model, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    if !model.missing_by_column.is_empty() {
        writeln!(f)?;
        writeln!(f, " Frequencies of Missing Values Due to Each Variable")?;
        let w: Vec<usize> = model
            .missing_by_column
            .iter()
            .map(|m| m.column.len().max(m.n_missing.to_string().len()).max(4))
            .collect();
        let mut names = String::new();
        let mut counts = String::new();
        for (m, w) in model.missing_by_column.iter().zip(&w) {
            names.push_str(&format!(" {:>w$}", m.column));
            counts.push_str(&format!(" {:>w$}", m.n_missing));
        }
        writeln!(f, "{names}")?;
        writeln!(f, "{counts}")?;
    }
    Ok(())
}

/// The Wald tests of a model's printout, titled `as <what>`.
pub(crate) fn fmt_anova(model: &Model, what: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    if !model.anova.is_empty() {
        writeln!(f)?;
        writeln!(f, " Wald Statistics (as {what})")?;
        let tw = model
            .anova
            .iter()
            .map(|t| t.term.chars().count())
            .max()
            .unwrap_or(6)
            .max(6);
        writeln!(
            f,
            " {:<tw$} {:>10} {:>5} {:>9}",
            "Factor", "Chi-Square", "d.f.", "P"
        )?;
        for t in &model.anova {
            writeln!(
                f,
                " {:<tw$} {:>10.2} {:>5} {:>9}",
                t.term,
                t.chi2,
                t.df,
                fmt_p(t.p_value)
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn firth_non_convergence_does_not_suggest_firth() {
        let e = FitError::NotConverged {
            iterations: 50,
            max_change: 1.0,
        };
        let cols = ["age".to_string()];
        let plain = fit_error(e.clone(), &cols, "y ~ age", false).to_string();
        assert!(plain.contains("firth"), "{plain}");
        let firth = fit_error(e, &cols, "y ~ age", true).to_string();
        assert!(
            firth.contains("Firth-penalised fit did not converge"),
            "{firth}"
        );
        assert!(!firth.contains("--penalty firth"), "{firth}");
    }

    #[test]
    fn badly_scaled_columns_are_named_and_constants_left_to_the_engine() {
        let tiny = ndarray::Array2::from_shape_fn((20, 2), |(i, j)| {
            if j == 0 {
                i as f64
            } else {
                (1 + i % 3) as f64 * 1e-200
            }
        });
        let names = ["a".to_string(), "b".to_string()];
        let e = check_scale(&tiny, &names, "y ~ a + b").expect_err("tiny");
        assert!(e.to_string().contains("'b' is badly scaled"), "{e}");
        let offset = ndarray::Array2::from_shape_fn((20, 1), |(i, _)| 1e12 + (i % 2) as f64 * 1e-3);
        assert!(check_scale(&offset, &names[..1], "y ~ a").is_err());
        let constant = ndarray::Array2::from_elem((20, 1), 3.0);
        assert!(check_scale(&constant, &names[..1], "y ~ a").is_ok());
        let fine = ndarray::Array2::from_shape_fn((20, 1), |(i, _)| 50.0 + i as f64);
        assert!(check_scale(&fine, &names[..1], "y ~ a").is_ok());
    }
}
