//! The Cox family: the fitting pipeline (formula -> design -> [`crate::survival::cox`] engine
//! -> [`Model`] with its baseline), its part of `model.json` ([`CoxSpec`]) and its printout
//! (as `print(cph)`).
//!
//! Privacy of the baseline (DESIGN.md section 4): at most one value per distinct event time,
//! and the curve stops before the first event time with fewer than
//! [`crate::privacy::MIN_CELL`] subjects at risk; predictions beyond the last stored time are
//! refused ([`CoxSpec::risk_map`]).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::design::{
    learn_on_rows_in_units, training_summary, MissingPolicy, Strata, TrainingDesign,
};
use crate::error::{Error, Result};
use crate::formula::Formula;
use crate::model::family::{Family, RiskMap};
use crate::model::fit::{check_scale, Coefficient, Model, CI_LEVEL, FORMAT_VERSION};
use crate::model::logistic::{FitOptions, Penalty};
use crate::survival::concordance::{concordance, gini_mean_difference};
use crate::survival::cox::{CoxError, CoxFit, CoxInput, CoxOptions, Ties};

/// The Cox part of a model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoxSpec {
    /// Tie handling of the fit and the baseline.
    pub ties: Ties,
    /// `strata(x)`: one baseline per level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strata: Option<Strata>,
    /// The linear predictor is `sum(coef * design column) - centre`, centred at coxph's
    /// `means` (`centre = sum(means * coef)`), as `predict(coxph, type = "lp")`.
    pub centre: f64,
    /// Baseline cumulative hazard (at the centre) per stratum.
    pub baseline: Vec<BaselineCurve>,
    /// Indexes of the apparent fit, as `print(cph)` (`cox_indexes`: `indexes` is the
    /// logistic models' key).
    #[serde(rename = "cox_indexes")]
    pub indexes: CoxIndexes,
}

/// The baseline cumulative hazard of one stratum at its event times (truncated for privacy).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineCurve {
    /// The stratum's level (absent without strata).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stratum: Option<String>,
    /// Distinct event times, increasing.
    pub times: Vec<f64>,
    /// Cumulative hazard at each time.
    pub cumhaz: Vec<f64>,
    /// Subjects at risk at each time (all at least [`crate::privacy::MIN_CELL`]).
    pub n_risk: Vec<usize>,
}

impl BaselineCurve {
    /// Cumulative hazard at `t`, or `None` beyond the last stored time.
    pub fn at(&self, t: f64) -> Option<f64> {
        if self.times.last().is_none_or(|&last| t > last) {
            return None;
        }
        let k = self.times.partition_point(|&s| s <= t);
        Some(if k == 0 { 0.0 } else { self.cumhaz[k - 1] })
    }

    /// The last time the curve is estimated at.
    pub fn last_time(&self) -> f64 {
        self.times.last().copied().unwrap_or(0.0)
    }
}

/// Indexes of a Cox fit, as `print(cph)` and `survival::concordance`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CoxIndexes {
    /// Harrell's C of the linear predictor (`survival::concordance`).
    pub c: f64,
    /// Somers' Dxy, `2 (C - 1/2)`.
    pub dxy: f64,
    /// Nagelkerke's R2 as `cph`: `(1 - exp(-LR/n)) / (1 - exp(2 LL0 / n))`.
    pub r2: f64,
    /// Gini's mean difference of the linear predictor (`g`).
    pub g: f64,
    /// `exp(g)`, the hazard-ratio scale of `g`.
    pub gr: f64,
    /// Score (log-rank) test of all coefficients.
    pub score_chi2: f64,
    /// Wald test of all coefficients.
    pub wald_chi2: f64,
}

impl CoxSpec {
    /// The curve of stratum `s`.
    fn curve(&self, s: usize) -> Option<&BaselineCurve> {
        self.baseline.get(s)
    }

    /// The risk map of this model at `horizons`.
    ///
    /// # Errors
    /// [`Error::Usage`] for a horizon beyond a stratum's last stored baseline time (fewer
    /// than 5 subjects were at risk after it, or follow-up ended).
    pub fn risk_map(&self, horizons: &[f64]) -> Result<RiskMap> {
        let mut cumhaz = Vec::with_capacity(self.baseline.len());
        for curve in &self.baseline {
            let mut per = Vec::with_capacity(horizons.len());
            for &h in horizons {
                let v = curve.at(h).ok_or_else(|| {
                    let which = curve
                        .stratum
                        .as_ref()
                        .map(|s| format!(" of stratum '{s}'"))
                        .unwrap_or_default();
                    Error::Usage(format!(
                        "--horizon {}: the model's baseline hazard{which} is estimated up to time {} only (after it fewer than {} patients were at risk, or follow-up ended); choose a horizon of at most {}",
                        crate::design::format_level(h),
                        crate::design::format_level(curve.last_time()),
                        crate::privacy::MIN_CELL,
                        crate::design::format_level(curve.last_time())
                    ))
                })?;
                per.push(v);
            }
            cumhaz.push(per);
        }
        Ok(RiskMap::Survival {
            horizons: horizons.to_vec(),
            cumhaz,
        })
    }

    /// The largest horizon every stratum can be scored at.
    pub fn max_horizon(&self) -> f64 {
        self.baseline
            .iter()
            .map(BaselineCurve::last_time)
            .fold(f64::INFINITY, f64::min)
    }

    /// Stratum index of a level, for callers that hold the level text.
    pub fn stratum_of(&self, level: &str) -> Option<usize> {
        match &self.strata {
            None => Some(0),
            Some(s) => s.levels.iter().position(|l| l == level),
        }
        .filter(|&k| self.curve(k).is_some())
    }
}

/// Fit a Cox model of a `Surv(time, event)` formula on `rows` of `table` (0-based data rows,
/// repeats allowed): knots and levels learned from the rows used, as the logistic pipeline.
/// `opts.weights`, when given, has one case weight per table row.
///
/// # Errors
/// Input problems (exit code 2) as [`crate::design::learn_on_rows`], fewer than 5 events, a
/// Firth penalty (logistic only); [`Error::Analysis`] (exit code 1) when the engine fails:
/// collinear columns (named), an infinite coefficient (monotone likelihood), no convergence.
pub fn fit_cox_on_rows(
    table: &crate::table::Table,
    formula: &Formula,
    opts: &FitOptions,
    ties: Ties,
    missing: MissingPolicy,
    rows: &[usize],
) -> Result<(Model, CoxFit, TrainingDesign)> {
    let design = learn_on_rows_in_units(table, formula, missing, rows, &opts.units)?;
    let columns = design.spec.column_names();
    check_scale(&design.x, &columns, &formula.text)?;
    let events = design.y.iter().filter(|&&v| v == 1.0).count();
    let min = crate::privacy::MIN_CELL;
    if events < min {
        return Err(Error::Usage(format!(
            "'{}': the rows used have {events} events; a Cox model needs at least {min} (fewer would identify those patients in the shared model file)",
            formula.text
        )));
    }
    if let Some((st, codes)) = &design.strata {
        for (k, level) in st.levels.iter().enumerate() {
            let rows = codes.iter().filter(|&&c| c as usize == k).count();
            let ev = codes
                .iter()
                .zip(&design.y)
                .filter(|&(&c, &y)| c as usize == k && y == 1.0)
                .count();
            if ev < min {
                return Err(Error::Usage(format!(
                    "'{}': stratum {}={level} has {ev} events among {rows} rows used; each stratum needs at least {min} events for a baseline hazard that identifies no one: merge it with another level, or leave strata() out",
                    formula.text, st.variable
                )));
            }
        }
    }
    let weights: Option<Vec<f64>> = match &opts.weights {
        Some(w) if w.len() != table.nrows() => {
            return Err(Error::Usage(format!(
                "{} weights given for a table of {} rows",
                w.len(),
                table.nrows()
            )))
        }
        Some(w) => Some(design.rows.iter().map(|&i| w[i]).collect()),
        None => None,
    };
    let p = design.x.ncols();
    let ridge = match opts.penalty {
        Penalty::None => 0.0,
        Penalty::Ridge(lambda) => lambda,
        Penalty::Firth => return Err(Error::Usage(
            "--penalty firth is for logistic models; a Cox model takes --penalty none or ridge=L"
                .into(),
        )),
    };
    let x = design
        .x
        .as_slice()
        .map(<[f64]>::to_vec)
        .unwrap_or_else(|| design.x.iter().copied().collect());
    let event: Vec<bool> = design.y.iter().map(|&v| v == 1.0).collect();
    let strata_codes = design.strata.as_ref().map(|(_, c)| c.as_slice());
    let input = CoxInput {
        time: &design.time,
        event: &event,
        x: &x,
        p,
        weights: weights.as_deref(),
        strata: strata_codes,
    };
    let cox_opts = CoxOptions {
        max_iter: opts.max_iter.max(30),
        ties,
        ridge,
        ..CoxOptions::default()
    };
    let fit = CoxFit::fit_input(&input, &cox_opts)
        .map_err(|e| engine_error(e, &columns, &formula.text))?;
    let model = model_of(table, formula, opts, &design, &fit, &event)?;
    Ok((model, fit, design))
}

fn engine_error(e: CoxError, columns: &[String], formula: &str) -> Error {
    let name = |j: usize| {
        columns
            .get(j)
            .cloned()
            .unwrap_or_else(|| format!("column {j}"))
    };
    let text = match &e {
        CoxError::Collinear { dependent, on } if on.is_empty() => format!(
            "design column '{}' is constant among the rows used: leave it out",
            name(*dependent)
        ),
        CoxError::Collinear { dependent, on } => format!(
            "design column '{}' is a linear combination of {} (collinear): leave one of them out",
            name(*dependent),
            on.iter().map(|&j| format!("'{}'", name(j))).collect::<Vec<_>>().join(", ")
        ),
        CoxError::InfiniteCoefficient { index } => format!(
            "the coefficient of '{}' is infinite (monotone likelihood: e.g. no events, or only events, in one of its groups); merge sparse levels, leave the term out, or use --penalty ridge=<lambda>",
            name(*index)
        ),
        CoxError::NotConverged { iterations } => format!(
            "Newton-Raphson did not converge in {iterations} iterations; try fewer terms, merge sparse levels, or --penalty ridge=<lambda>"
        ),
        other => other.to_string(),
    };
    Error::Analysis(format!("fitting '{formula}' failed: {text}"))
}

/// The model file of a fitted Cox model.
fn model_of(
    table: &crate::table::Table,
    formula: &Formula,
    opts: &FitOptions,
    design: &TrainingDesign,
    fit: &CoxFit,
    event: &[bool],
) -> Result<Model> {
    let names = design.spec.column_names();
    let z_crit = crate::stats::normal_quantile(0.5 + CI_LEVEL / 2.0);
    let coefficients = names
        .into_iter()
        .enumerate()
        .map(|(j, name)| {
            let (b, se) = (fit.coef[j], fit.std_err[j]);
            let z = b / se;
            Coefficient {
                name,
                estimate: b,
                std_error: se,
                z,
                p_value: crate::stats::two_sided_p(z),
                odds_ratio: f64::NAN,
                hazard_ratio: b.exp(),
                ci_low: (b - z_crit * se).exp(),
                ci_high: (b + z_crit * se).exp(),
            }
        })
        .collect();
    let n = design.y.len();
    let events = event.iter().filter(|&&e| e).count();
    let lr = fit.lr_chi2();
    let nf = n as f64;
    let strata_codes = design.strata.as_ref().map(|(_, c)| c.as_slice());
    let conc = concordance(&fit.linear_predictors, &design.time, event, strata_codes);
    let g = gini_mean_difference(&fit.linear_predictors);
    let indexes = CoxIndexes {
        c: conc.c(),
        dxy: conc.dxy(),
        r2: (1.0 - (-lr / nf).exp()) / (1.0 - (2.0 * fit.loglik_null / nf).exp()),
        g,
        gr: g.exp(),
        score_chi2: fit.score_test,
        wald_chi2: fit.wald_test,
    };
    let strata = design.strata.as_ref().map(|(s, _)| s.clone());
    let baseline = fit
        .baseline
        .iter()
        .enumerate()
        .map(|(k, b)| {
            // the curve stops before the first time with fewer than MIN_CELL at risk
            let keep = b
                .n_risk
                .iter()
                .position(|&r| r < crate::privacy::MIN_CELL)
                .unwrap_or(b.times.len());
            BaselineCurve {
                stratum: strata.as_ref().map(|s| s.levels[k].clone()),
                times: b.times[..keep].to_vec(),
                cumhaz: b.cumhaz[..keep].to_vec(),
                n_risk: b.n_risk[..keep].to_vec(),
            }
        })
        .collect();
    let centre: f64 = fit.means.iter().zip(&fit.coef).map(|(m, b)| m * b).sum();
    // Wald tests per term: the anova code takes an intercept first
    let p = fit.coef.len();
    let mut beta = vec![0.0];
    beta.extend(&fit.coef);
    let cov: Vec<Vec<f64>> = (0..=p)
        .map(|r| {
            (0..=p)
                .map(|c| {
                    if r == 0 || c == 0 {
                        0.0
                    } else {
                        fit.covariance[r - 1][c - 1]
                    }
                })
                .collect()
        })
        .collect();
    let anova = crate::model::anova::wald_tests(&design.spec, &beta, &cov);
    Ok(Model {
        format_version: FORMAT_VERSION,
        formula: formula.text.clone(),
        design: design.spec.clone(),
        coefficients,
        penalty: opts.penalty.to_string(),
        n,
        events,
        n_dropped_missing: crate::privacy::Count::of(design.n_dropped_missing),
        missing_by_column: design.missing.clone(),
        converged: fit.converged,
        iterations: fit.iterations,
        log_likelihood: fit.loglik,
        null_log_likelihood: fit.loglik_null,
        lr_chi2: lr,
        df: p,
        training_summary: training_summary(table, design),
        family: Family::Cox(CoxSpec {
            ties: fit.ties,
            strata,
            centre,
            baseline,
            indexes,
        }),
        indexes: None,
        anova,
        dynamic: None,
    })
}

/// The `print(cph)`-style printout of a Cox model.
pub(crate) fn fmt_cox(model: &Model, spec: &CoxSpec, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    use crate::model::fit::fmt_p;
    writeln!(f, "Cox Proportional Hazards Model")?;
    writeln!(f)?;
    writeln!(f, " {}", model.formula)?;
    writeln!(f)?;
    let ix = &spec.indexes;
    let df = model.df as f64;
    let p_of = |chi2: f64| crate::stats::chi2_sf(chi2, df);
    let strata = spec
        .strata
        .as_ref()
        .map(|s| format!("Strata {} ({})", s.variable, s.levels.len()))
        .unwrap_or_default();
    let left = [
        format!("Obs {:>14}", model.n),
        format!("Events {:>11}", model.events),
        format!("Center {:>11.4}", spec.centre),
        format!("Dropped (missing) {}", model.n_dropped_missing),
        format!("Ties {}", spec.ties),
        strata,
    ];
    let mid = [
        format!("LR chi2 {:>10.2}", model.lr_chi2),
        format!("d.f. {:>13}", model.df),
        format!("Pr(> chi2) {:>7}", fmt_p(model.lr_p_value())),
        format!("Score chi2 {:>7.2}", ix.score_chi2),
        format!("Pr(> chi2) {:>7}", fmt_p(p_of(ix.score_chi2))),
        format!("Penalty {:>10}", model.penalty),
    ];
    let right = [
        format!("R2  {:>7.3}", ix.r2),
        format!("Dxy {:>7.3}", ix.dxy),
        format!("C   {:>7.3}", ix.c),
        format!("g   {:>7.3}", ix.g),
        format!("gr  {:>7.3}", ix.gr),
        String::new(),
    ];
    writeln!(f, " {:<26}{:<22}Discrimination Indexes", "", "Model Tests")?;
    for ((l, m), r) in left.iter().zip(&mid).zip(&right) {
        writeln!(f, " {l:<26}{m:<22}{r}")?;
    }
    crate::model::fit::fmt_missing(model, f)?;
    writeln!(f)?;
    crate::model::fit::fmt_coefficients(model, "Hazard ratio", |c| c.hazard_ratio, f)?;
    crate::model::fit::fmt_anova(model, "anova(cph)", f)?;
    writeln!(f)?;
    writeln!(
        f,
        " Baseline: {} (at the centre), up to time {}{}",
        match spec.ties {
            Ties::Efron => "Efron",
            Ties::Breslow => "Breslow",
        },
        crate::design::format_level(spec.max_horizon()),
        if spec.baseline.len() > 1 {
            " in every stratum"
        } else {
            ""
        }
    )
}
