//! Validation of a fitted model on a data file (apparent, bootstrap optimism, CV), or of an
//! existing risk score column: the numbers of `metrics.json`, `calibration.csv` and
//! `predictions.csv`.
//!
//! Apparent performance on the file is external validation when the file is a new cohort.
//! Optimism correction refits the model's coefficients (same penalty) on resamples of the
//! file's complete-case rows with the design held fixed: the knots and levels of the model are
//! replayed once on the file, as `rms::validate` refits `lrm.fit` on the stored `x` matrix.

use std::str::FromStr;

use serde::Serialize;

use super::resample::{bootstrap_optimism, cross_validate, CvPlan};
use ndarray::{Array2, Axis};

use crate::design::{replay, ScoringDesign};
use crate::error::{Error, Result};
use crate::metrics::{
    calibration_table, evaluate_point, CalibrationGroup, CurveOptions, CurvePoint, Metrics,
    MetricsError,
};
use crate::model::fit::Model;
use crate::model::logistic::{fit_logistic, FitOptions, Penalty};
use crate::score::{dot_row, logistic};
use crate::table::{Column, Table};

/// What to resample.
#[derive(Debug, Clone)]
pub struct ValidateOptions {
    /// Bootstrap replicates for optimism correction (0 = none). rms default: 200.
    pub bootstrap: usize,
    /// Repeated stratified K-fold cross-validation (folds, repeats), if asked.
    pub cv: Option<(usize, usize)>,
    /// Seed of every random step (bootstrap, folds, calibration band).
    pub seed: u64,
    /// Groups of the grouped calibration table. Default 10 (deciles).
    pub groups: usize,
    /// Bootstrap resamples of the calibration-curve band. Default 200.
    pub curve_bootstrap: usize,
}

impl Default for ValidateOptions {
    fn default() -> Self {
        ValidateOptions {
            bootstrap: 0,
            cv: None,
            seed: 1,
            groups: 10,
            curve_bootstrap: 200,
        }
    }
}

/// One row of `predictions.csv`.
#[derive(Debug, Clone, Serialize)]
pub struct Prediction {
    /// 1-based data row of the file (header excluded).
    pub row: usize,
    /// Patient identifier when the file has the id column.
    pub id: Option<String>,
    /// Predicted probability.
    pub predicted: f64,
    /// Observed outcome (0/1).
    pub observed: f64,
}

/// Cross-validated indices: mean over held-out folds.
#[derive(Debug, Clone, Serialize)]
pub struct CvSummary {
    /// Folds K.
    pub folds: usize,
    /// Repeats R.
    pub repeats: usize,
    /// Folds that could be fitted.
    pub used: usize,
    /// Mean held-out metrics.
    pub metrics: Metrics,
    /// How the indices were computed.
    pub method: &'static str,
}

/// [`CvSummary::method`]: which indices average folds and which use pooled predictions.
pub const CV_METHOD: &str = "eavg, e90 and emax: on each repeat's pooled out-of-fold predictions (one smoothed calibration curve per repeat over all rows), averaged over repeats; every other index: on each held-out fold, averaged over all folds";

/// Everything `validate` reports (the `metrics.json` contract plus the curves).
#[derive(Debug, Clone, Serialize)]
pub struct Validation {
    /// Rows validated (outcome and every predictor present).
    pub n: usize,
    /// Events among them.
    pub events: usize,
    /// Rows left out for a missing predictor or outcome.
    pub n_dropped_missing: usize,
    /// Performance of the given predictions on the file.
    pub apparent: Metrics,
    /// Bootstrap optimism (train - test), when asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub optimism: Option<Metrics>,
    /// `apparent - optimism`, when asked. The AUC limits are the apparent DeLong limits shifted
    /// by the AUC optimism.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub optimism_corrected: Option<Metrics>,
    /// Replicates asked for and refits that succeeded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bootstrap: Option<(usize, usize)>,
    /// Cross-validated metrics, when asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cross_validated: Option<CvSummary>,
    /// Smoothed calibration curve with bootstrap band.
    #[serde(skip)]
    pub curve: Vec<CurvePoint>,
    /// Grouped calibration table.
    #[serde(skip)]
    pub groups: Vec<CalibrationGroup>,
    /// Per-row predictions.
    #[serde(skip)]
    pub predictions: Vec<Prediction>,
}

fn metrics_error(source: &str, what: &str, e: MetricsError) -> Error {
    Error::Usage(format!("{source}: cannot validate {what}: {e}"))
}

/// The 0/1 outcome column of `table`, `None` for missing; other values are an input error.
pub fn outcome_column(table: &Table, name: &str) -> Result<Vec<Option<f64>>> {
    let v = table.num(name)?;
    for (i, y) in v.iter().enumerate() {
        if let Some(y) = y {
            if *y != 0.0 && *y != 1.0 {
                return Err(Error::one(crate::Problem::cell(
                    &table.source,
                    table.row(i),
                    name,
                    &format!("{y}"),
                    "0 or 1 (the outcome)",
                )));
            }
        }
    }
    Ok(v.to_vec())
}

fn ids(table: &Table, id: Option<&str>) -> Result<Option<Vec<Option<String>>>> {
    match id {
        None => Ok(None),
        Some(name) => Ok(Some(match table.column(name)? {
            Column::Text(v) => v.iter().map(|c| c.as_deref().map(str::to_string)).collect(),
            Column::Num(v) => v.iter().map(|x| x.map(|x| format!("{x}"))).collect(),
        })),
    }
}

/// Validate predictions `p` (NaN = missing) against `outcome` (None = missing).
fn assemble(
    table: &Table,
    p: &[f64],
    outcome: &[Option<f64>],
    id: Option<&str>,
    opts: &ValidateOptions,
    what: &str,
) -> Result<(Validation, Vec<usize>)> {
    let ids = ids(table, id)?;
    let rows: Vec<usize> = (0..p.len())
        .filter(|&i| !p[i].is_nan() && outcome[i].is_some())
        .collect();
    let pp: Vec<f64> = rows.iter().map(|&i| p[i]).collect();
    let yy: Vec<f64> = rows.iter().map(|&i| outcome[i].unwrap_or(0.0)).collect();
    let err = |e| metrics_error(&table.source, what, e);
    // one LOWESS of the pairs for the E statistics and the curve
    let (apparent, smooth) = crate::metrics::evaluate_smoothed(&pp, &yy).map_err(err)?;
    let (curve, groups) = rayon::join(
        || {
            crate::metrics::calibration::calibration_curve_from(
                &pp,
                &yy,
                &smooth,
                &CurveOptions {
                    bootstrap: opts.curve_bootstrap,
                    seed: opts.seed,
                    ..CurveOptions::default()
                },
            )
        },
        || calibration_table(&pp, &yy, opts.groups, 0.95),
    );
    let (curve, groups) = (curve.map_err(err)?, groups.map_err(err)?);
    let predictions = rows
        .iter()
        .zip(pp.iter().zip(&yy))
        .map(|(&i, (&predicted, &observed))| Prediction {
            row: i + 1,
            id: ids.as_ref().and_then(|v| v[i].clone()),
            predicted,
            observed,
        })
        .collect();
    Ok((
        Validation {
            n: rows.len(),
            events: yy.iter().filter(|y| **y == 1.0).count(),
            n_dropped_missing: p.len() - rows.len(),
            apparent,
            optimism: None,
            optimism_corrected: None,
            bootstrap: None,
            cross_validated: None,
            curve,
            groups,
            predictions,
        },
        rows,
    ))
}

/// Validate an existing risk score (a column of probabilities), like `val.prob(p, y)`.
///
/// # Errors
/// Missing columns, an outcome other than 0/1, probabilities outside [0, 1], a single
/// outcome class (exit code 2).
pub fn validate_score(
    table: &Table,
    predicted: &str,
    outcome: &str,
    id: Option<&str>,
    opts: &ValidateOptions,
) -> Result<Validation> {
    let p: Vec<f64> = table
        .num(predicted)?
        .iter()
        .map(|v| v.unwrap_or(f64::NAN))
        .collect();
    if let Some(i) = p
        .iter()
        .position(|v| !v.is_nan() && !(0.0..=1.0).contains(v))
    {
        return Err(Error::one(crate::Problem::cell(
            &table.source,
            table.row(i),
            predicted,
            &format!("{}", p[i]),
            "a probability in [0, 1] (not a percentage or a linear predictor)",
        )));
    }
    let y = outcome_column(table, outcome)?;
    Ok(assemble(
        table,
        &p,
        &y,
        id,
        opts,
        &format!("'{predicted}' against '{outcome}'"),
    )?
    .0)
}

/// A model's design replayed once on a table, ready for resampling: the complete-case rows
/// (prediction and outcome present), their design matrix with the model's knots and levels,
/// and refits of the coefficients (same penalty) on any multiset of those rows. This is the
/// design `rms::validate` resamples (`lrm(..., x = TRUE)`): the knots and levels are not
/// re-learned on each resample, only the coefficients are.
#[derive(Debug)]
pub struct Refitter<'a> {
    model: &'a Model,
    /// The model's predicted probability for every table row (NaN where a predictor is
    /// missing).
    pub predicted: Vec<f64>,
    /// The outcome of every table row (None where missing).
    pub outcome: Vec<Option<f64>>,
    /// The complete-case rows (0-based table rows, in table order).
    pub rows: Vec<usize>,
    /// Outcome (0/1) of each complete-case row.
    pub y: Vec<f64>,
    /// Row-major design of the complete-case rows.
    x: Array2<f64>,
    /// Case weight of each complete-case row, when weighted.
    row_weights: Option<Vec<f64>>,
    opts: FitOptions,
    columns: Vec<String>,
}

impl<'a> Refitter<'a> {
    /// Replay `model`'s design on `table`.
    ///
    /// # Errors
    /// Input errors (missing predictor or outcome columns, unseen levels, bad values) with
    /// exit code 2; an unknown penalty in the model file.
    pub fn new(model: &'a Model, table: &Table) -> Result<Refitter<'a>> {
        Refitter::weighted(model, table, None)
    }

    /// [`Refitter::new`] with a case weight per table row (e.g. IPCW): rows of weight 0 are
    /// left out, the others weight every refit.
    ///
    /// # Errors
    /// As [`Refitter::new`]; a weight vector of the wrong length.
    pub fn weighted(
        model: &'a Model,
        table: &Table,
        weights: Option<&[f64]>,
    ) -> Result<Refitter<'a>> {
        let scorer = model.scorer()?;
        let design = replay(scorer.compiled(), table)?;
        let mut lp = vec![0.0; design.n];
        let mut predicted = vec![0.0; design.n];
        scorer.score_rows(&design.x, &mut lp, &mut predicted);
        Refitter::on_design(model, table, &design, predicted, weights)
    }

    /// [`Refitter::weighted`] on `model`'s design already replayed on `table` and the
    /// predictions scored from it (NaN = no score), for a caller that has them.
    ///
    /// # Errors
    /// As [`Refitter::weighted`].
    pub fn on_design(
        model: &'a Model,
        table: &Table,
        design: &ScoringDesign,
        predicted: Vec<f64>,
        weights: Option<&[f64]>,
    ) -> Result<Refitter<'a>> {
        if let Some(w) = weights {
            if w.len() != table.nrows() {
                return Err(Error::Usage(format!(
                    "{} weights for a table of {} rows",
                    w.len(),
                    table.nrows()
                )));
            }
        }
        let outcome = outcome_column(table, &model.design.outcome)?;
        let rows: Vec<usize> = (0..design.n)
            .filter(|&i| {
                !predicted[i].is_nan() && outcome[i].is_some() && weights.is_none_or(|w| w[i] > 0.0)
            })
            .collect();
        let row_weights = weights.map(|w| rows.iter().map(|&i| w[i]).collect::<Vec<f64>>());
        let y = rows.iter().map(|&i| outcome[i].unwrap_or(0.0)).collect();
        let width = design.width;
        let cc: Vec<f64> = rows
            .iter()
            .flat_map(|&i| design.x[i * width..(i + 1) * width].iter().copied())
            .collect();
        let x = Array2::from_shape_vec((rows.len(), width), cc)
            .map_err(|e| Error::Analysis(format!("design of the complete-case rows: {e}")))?;
        let penalty = Penalty::from_str(&model.penalty)
            .map_err(|e| Error::Usage(format!("model penalty '{}': {e}", model.penalty)))?;
        Ok(Refitter {
            model,
            predicted,
            outcome,
            rows,
            y,
            x,
            row_weights,
            opts: FitOptions {
                penalty,
                ..FitOptions::default()
            },
            columns: model.design.column_names(),
        })
    }

    /// Refit on the complete-case rows `idx` (indices into [`Refitter::rows`], repeats
    /// allowed): the coefficients, intercept first.
    ///
    /// # Errors
    /// As [`Refitter::refit`].
    pub fn coefficients(&self, idx: &[usize]) -> Result<Vec<f64>> {
        let xb = self.x.select(Axis(0), idx);
        let yb: Vec<f64> = idx.iter().map(|&k| self.y[k]).collect();
        let opts = match &self.row_weights {
            Some(w) => FitOptions {
                weights: Some(idx.iter().map(|&k| w[k]).collect()),
                ..self.opts.clone()
            },
            None => self.opts.clone(),
        };
        let f = fit_logistic(xb.view(), &yb, &opts).map_err(|e| {
            Error::Analysis(format!(
                "refit of {}: {}",
                self.model.formula,
                e.explain(&self.columns)
            ))
        })?;
        Ok(f.coefficients)
    }

    /// Refit on the complete-case rows `idx` (indices into [`Refitter::rows`], repeats
    /// allowed) and predict every complete-case row.
    ///
    /// # Errors
    /// The refit fails (separation, a level or class absent from the resample, no
    /// convergence): exit code 1.
    pub fn refit(&self, idx: &[usize]) -> Result<Vec<f64>> {
        let coef = self.coefficients(idx)?;
        let (b0, beta) = (coef[0], &coef[1..]);
        Ok(self
            .x
            .rows()
            .into_iter()
            .map(|row| {
                let eta = match row.as_slice() {
                    Some(r) => dot_row(r, beta, b0),
                    None => dot_row(&row.to_vec(), beta, b0),
                };
                logistic(eta)
            })
            .collect())
    }
}

/// Validate a fitted model on `table`: apparent performance, and optimism correction by
/// refitting its formula and penalty when `opts` asks for it.
///
/// # Errors
/// Input errors (missing predictor columns, unseen levels) with exit code 2; a failed refit
/// of the full data with exit code 1.
pub fn validate_model(
    model: &Model,
    table: &Table,
    id: Option<&str>,
    opts: &ValidateOptions,
    progress: &(dyn Fn() + Sync),
) -> Result<Validation> {
    if model.family.cox().is_some() {
        return Err(Error::Usage(
            "a Cox model is validated at a horizon: crate::validation::cox::validate_cox (`validate --horizon H`)".into(),
        ));
    }
    let refitter = Refitter::new(model, table)?;
    let (mut v, rows) = assemble(
        table,
        &refitter.predicted,
        &refitter.outcome,
        id,
        opts,
        "the model",
    )?;
    if opts.bootstrap == 0 && opts.cv.is_none() {
        return Ok(v);
    }
    debug_assert_eq!(rows, refitter.rows);
    let yy = &refitter.y;
    let fit = |idx: &[usize]| refitter.refit(idx);
    let measure = |pred: &Vec<f64>, idx: &[usize]| -> Result<Vec<f64>> {
        let p: Vec<f64> = idx.iter().map(|&k| pred[k]).collect();
        let y: Vec<f64> = idx.iter().map(|&k| yy[k]).collect();
        let m = evaluate_point(&p, &y).map_err(|e| Error::Analysis(e.to_string()))?;
        Ok(m.values().to_vec())
    };
    let names = Metrics::NAMES;
    if opts.bootstrap > 0 {
        let o = bootstrap_optimism(
            rows.len(),
            &names,
            opts.bootstrap,
            opts.seed,
            fit,
            measure,
            progress,
        )?;
        let optimism = Metrics::from_values(to_array(&o.optimism));
        let corrected = v.apparent.zip_with(&optimism, |a, o| a - o);
        let mut corrected = corrected;
        // The CI limits move with the AUC; the SE of the apparent AUC is kept.
        corrected.auc_se = v.apparent.auc_se;
        corrected.auc_ci_low = v.apparent.auc_ci_low - optimism.auc;
        corrected.auc_ci_high = v.apparent.auc_ci_high - optimism.auc;
        v.optimism = Some(optimism);
        v.optimism_corrected = Some(corrected);
        v.bootstrap = Some((o.requested, o.used));
    }
    if let Some((folds, repeats)) = opts.cv {
        let yb: Vec<bool> = yy.iter().map(|y| *y == 1.0).collect();
        let cv = cross_validate(
            &yb,
            &names,
            CvPlan {
                folds,
                repeats,
                seed: opts.seed,
            },
            fit,
            measure,
            |pred: &Vec<f64>, idx: &[usize]| idx.iter().map(|&k| pred[k]).collect(),
            progress,
        )?;
        // Calibration errors of a smoothed curve are biased upward on small folds (each
        // fold's own noisy curve): judge them on the pooled out-of-fold predictions.
        let mut metrics = Metrics::from_values(to_array(&cv.mean));
        let pooled: Vec<Metrics> = cv
            .pooled
            .iter()
            .filter_map(|pred| {
                let (p, y): (Vec<f64>, Vec<f64>) = pred
                    .iter()
                    .zip(yy)
                    .filter(|(p, _)| p.is_finite())
                    .map(|(p, y)| (*p, *y))
                    .unzip();
                evaluate_point(&p, &y).ok()
            })
            .collect();
        if !pooled.is_empty() {
            let mean =
                |f: fn(&Metrics) -> f64| pooled.iter().map(f).sum::<f64>() / pooled.len() as f64;
            metrics.eavg = mean(|m| m.eavg);
            metrics.e90 = mean(|m| m.e90);
            metrics.emax = mean(|m| m.emax);
        }
        v.cross_validated = Some(CvSummary {
            folds,
            repeats,
            used: cv.used,
            metrics,
            method: CV_METHOD,
        });
    }
    Ok(v)
}

fn to_array(v: &[f64]) -> [f64; 18] {
    std::array::from_fn(|i| v.get(i).copied().unwrap_or(f64::NAN))
}

impl Validation {
    /// `calibration.csv`: the smoothed curve (`part = curve`) then the grouped table
    /// (`part = group`), in one long table so it reads into R or pandas directly.
    pub fn calibration_csv(&self) -> String {
        let mut s = String::from("part,group,n,events,predicted,observed,ci_low,ci_high\n");
        for c in &self.curve {
            s.push_str(&format!(
                "curve,,,,{:.6},{:.6},{},{}\n",
                c.predicted,
                c.observed,
                fmt_opt(c.ci_low),
                fmt_opt(c.ci_high)
            ));
        }
        for g in &self.groups {
            s.push_str(&format!(
                "group,{},{},{},{:.6},{:.6},{:.6},{:.6}\n",
                g.group + 1,
                g.n,
                g.events,
                g.mean_predicted,
                g.observed,
                g.ci_low,
                g.ci_high
            ));
        }
        s
    }

    /// `predictions.csv`: `row,<id>,predicted,observed`.
    pub fn predictions_csv(&self, id: Option<&str>) -> String {
        use rayon::prelude::*;
        use std::fmt::Write;
        let mut s = match id {
            Some(name) => format!(
                "row,{},predicted,observed\n",
                crate::table::write::field(name)
            ),
            None => "row,predicted,observed\n".to_string(),
        };
        // Formatted in parallel over fixed chunks, joined in order: the same bytes.
        let chunks: Vec<String> = self
            .predictions
            .par_chunks(8192)
            .map(|chunk| {
                let mut out = String::with_capacity(chunk.len() * 24);
                for p in chunk {
                    // writing to a String cannot fail
                    let _ = match id {
                        Some(_) => writeln!(
                            out,
                            "{},{},{:.10},{}",
                            p.row,
                            crate::table::write::field(p.id.as_deref().unwrap_or("")),
                            p.predicted,
                            p.observed
                        ),
                        None => writeln!(out, "{},{:.10},{}", p.row, p.predicted, p.observed),
                    };
                }
                out
            })
            .collect();
        s.reserve(chunks.iter().map(String::len).sum());
        chunks.iter().for_each(|c| s.push_str(c));
        s
    }

    /// The rms-style table: index, apparent, optimism, corrected (and CV when computed).
    pub fn render_table(&self) -> String {
        let mut s = format!(
            "n = {}, events = {}, dropped for missing values = {}\n",
            self.n, self.events, self.n_dropped_missing
        );
        if let Some((req, used)) = self.bootstrap {
            s.push_str(&format!("bootstrap: {used} of {req} refits used\n"));
        }
        s.push_str(&format!(
            "{:<24} {:>10} {:>10} {:>10}",
            "index", "apparent", "optimism", "corrected"
        ));
        if self.cross_validated.is_some() {
            s.push_str(&format!(" {:>10}", "cv"));
        }
        s.push('\n');
        let a = self.apparent.values();
        let o = self.optimism.map(|m| m.values());
        let c = self.optimism_corrected.map(|m| m.values());
        let cv = self.cross_validated.as_ref().map(|m| m.metrics.values());
        for (k, name) in Metrics::NAMES.iter().enumerate() {
            let cell =
                |v: Option<[f64; 18]>| v.map_or(String::from("."), |v| format!("{:.4}", v[k]));
            s.push_str(&format!(
                "{:<24} {:>10.4} {:>10} {:>10}",
                name,
                a[k],
                cell(o),
                cell(c)
            ));
            if cv.is_some() {
                s.push_str(&format!(" {:>10}", cell(cv)));
            }
            s.push('\n');
        }
        s
    }
}

fn fmt_opt(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.6}")
    } else {
        String::new()
    }
}
