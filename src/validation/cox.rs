//! Validation of a Cox model at a horizon (`validate --model cox.json --horizon H`): the
//! apparent performance on a data file (internal or external validation) and, on the data the
//! model was fitted on, bootstrap optimism as `rms::validate.cph`.
//!
//! Apparent metrics (`metrics.json` `apparent`):
//! - `c_harrell`, `dxy`: Harrell's concordance of the linear predictor, as
//!   `survival::concordance` (within strata);
//! - `auc`, `auc_se`, `brier`, `brier_null`, `scaled_brier`, `oe_ratio` and the grouped
//!   calibration table: the risk by `H` under IPCW, as `riskRegression::Score`
//!   ([`crate::metrics::censored`]);
//! - `calibration_slope`: the Cox regression of the outcome on the linear predictor;
//! - `ici`, `e50`, `e90`: Austin, Harrell & van Klaveren (2020): a Cox model of the outcome on
//!   `rcs(cloglog(risk), 3)` gives the observed risk by `H` of each subject; the absolute
//!   differences with the predicted risk are averaged (ICI), their median and 90th percentile;
//! - `r2_nagelkerke`, `d`, `u`, `q`, `g`: the indexes of `validate.cph` (below).
//!
//! Bootstrap (`validate.cph`, method "boot"): the model is refitted on each resample of the
//! rows it was fitted on, the design held fixed (knots and levels of the full fit, as rms with
//! `x = TRUE`); each refit is measured on its resample (train) and on all rows (test):
//! `Dxy`; a Cox regression of the outcome on the linear predictor gives `Slope`, its LR and
//! null log-likelihood `ll0`: `R2 = (1 - exp(-LR/n)) / (1 - exp(-ll0/n))`,
//! `D = (LR - 1)/ll0`, `U = -2 (loglik at slope 1 - loglik at slope) / ll0`, `Q = D - U`,
//! `g = GiniMd(slope * lp)`. Optimism is the mean of train - test; corrected = apparent -
//! optimism. On the training sample the slope is 1 and `U = 0` exactly (the fit is its own
//! maximum), which is what rms assumes there.

use serde::Serialize;

use crate::design::TrainingDesign;
use crate::error::{Error, Result};
use crate::metrics::censored::{evaluate_censored, CensoredCalibrationGroup};
use crate::model::cox::CoxSpec;
use crate::model::fit::Model;
use crate::model::logistic::Penalty;
use crate::survival::concordance::{concordance, gini_mean_difference};
use crate::survival::cox::{partial_loglik, CoxFit, CoxInput, CoxOptions, Ties};
use crate::table::Table;
use crate::validation::calibrate::{self, Calibrate, Places};

/// Names of the `validate.cph` indexes, in [`CoxIndexes::values`] order.
pub const INDEX_NAMES: [&str; 7] = [
    "dxy",
    "r2_nagelkerke",
    "calibration_slope",
    "d",
    "u",
    "q",
    "g",
];

/// The `validate.cph` indexes of a linear predictor on some rows.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CoxIndexes {
    /// Somers' Dxy of the linear predictor with the censored outcome.
    pub dxy: f64,
    /// Nagelkerke's R2 of the Cox regression on the linear predictor.
    pub r2_nagelkerke: f64,
    /// Slope of the Cox regression on the linear predictor.
    pub calibration_slope: f64,
    /// Discrimination index D, `(LR - 1) / ll0`.
    pub d: f64,
    /// Unreliability index U.
    pub u: f64,
    /// Overall quality Q = D - U.
    pub q: f64,
    /// Gini's mean difference of the (recalibrated) linear predictor.
    pub g: f64,
}

impl CoxIndexes {
    /// The indexes of a constant linear predictor (rms: no discrimination, slope 1).
    pub const FLAT: CoxIndexes = CoxIndexes {
        dxy: 0.0,
        r2_nagelkerke: 0.0,
        calibration_slope: 1.0,
        d: 0.0,
        u: 0.0,
        q: 0.0,
        g: 0.0,
    };

    /// In [`INDEX_NAMES`] order.
    pub fn values(&self) -> Vec<f64> {
        vec![
            self.dxy,
            self.r2_nagelkerke,
            self.calibration_slope,
            self.d,
            self.u,
            self.q,
            self.g,
        ]
    }

    fn from_values(v: &[f64]) -> CoxIndexes {
        CoxIndexes {
            dxy: v[0],
            r2_nagelkerke: v[1],
            calibration_slope: v[2],
            d: v[3],
            u: v[4],
            q: v[5],
            g: v[6],
        }
    }
}

/// Apparent performance of a Cox model at a horizon.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CoxApparent {
    /// Harrell's C of the linear predictor.
    pub c_harrell: f64,
    /// `2 (C - 1/2)`.
    pub dxy: f64,
    /// IPCW time-dependent AUC at the horizon.
    pub auc: f64,
    /// Its standard error (riskRegression `se`).
    pub auc_se: f64,
    /// IPCW Brier score at the horizon.
    pub brier: f64,
    /// Brier score of the Kaplan-Meier (null) model.
    pub brier_null: f64,
    /// `1 - brier / brier_null`.
    pub scaled_brier: f64,
    /// Kaplan-Meier risk by the horizon / mean predicted risk.
    pub oe_ratio: f64,
    /// Slope of the Cox regression on the linear predictor.
    pub calibration_slope: f64,
    /// Integrated calibration index at the horizon (mean |predicted - observed|).
    pub ici: f64,
    /// Median |predicted - observed|.
    pub e50: f64,
    /// 90th percentile of |predicted - observed|.
    pub e90: f64,
    /// Nagelkerke's R2 of the Cox regression on the linear predictor.
    pub r2_nagelkerke: f64,
    /// Discrimination index D.
    pub d: f64,
    /// Unreliability index U.
    pub u: f64,
    /// Q = D - U.
    pub q: f64,
    /// Gini's mean difference of the linear predictor.
    pub g: f64,
}

/// Bootstrap replicates asked for and used.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BootstrapCount {
    /// Replicates asked for.
    pub requested: usize,
    /// Replicates whose refit succeeded.
    pub used: usize,
}

/// The validation of a Cox model at a horizon (`metrics.json`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CoxValidation {
    /// Always `cox`.
    pub family: &'static str,
    /// Rows used (complete cases).
    pub n: usize,
    /// Events among them (any time).
    pub events: usize,
    /// Rows dropped for a missing value.
    pub n_dropped_missing: crate::privacy::Count,
    /// The horizon of the risk.
    pub horizon: f64,
    /// Events at or before the horizon.
    pub events_before_horizon: usize,
    /// Censored at or before the horizon.
    pub censored_before_horizon: usize,
    /// Apparent performance.
    pub apparent: CoxApparent,
    /// `validate.cph` indexes of the fit on these rows (`index.orig`: on its own training
    /// rows the slope is 1 and `U = -2/ll0`, as rms).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index_orig: Option<CoxIndexes>,
    /// Mean over replicates of the index on the resample minus on all rows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub optimism: Option<CoxIndexes>,
    /// Apparent minus optimism.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub optimism_corrected: Option<CoxIndexes>,
    /// Bootstrap replicates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bootstrap: Option<BootstrapCount>,
    /// Repeated stratified K-fold cross-validation ([`cross_validate_cox`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cross_validated: Option<CoxCrossValidated>,
    /// Overfitting-corrected calibration at the horizon (`rms::calibrate.cph`), with the
    /// bootstrap.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calibrate: Option<Calibrate>,
    /// Calibration at the horizon by tenths of predicted risk (Kaplan-Meier per group).
    pub calibration: Vec<CensoredCalibrationGroup>,
    /// The smoothed calibration curve at the horizon (the ICI's hazard regression) at 50
    /// quantiles of the predicted risk.
    pub calibration_curve: Vec<SmoothPoint>,
}

/// One point of the smoothed calibration curve at the horizon.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SmoothPoint {
    /// Predicted risk by the horizon.
    pub predicted: f64,
    /// Observed risk by the horizon at that prediction (Cox model on rcs(cloglog(risk), 3)).
    pub observed: f64,
}

/// Validate a Cox `model` on `table` at `horizon`, with `bootstrap` optimism replicates
/// (0: apparent only; the refits use the rows of `table`, so give the data the model was
/// fitted on).
///
/// # Errors
/// A model that is not a Cox model, a horizon beyond its baseline, input problems of the
/// data (exit 2), metrics that cannot be computed (no event before the horizon, nobody
/// followed beyond it).
pub fn validate_cox(
    model: &Model,
    table: &Table,
    horizon: f64,
    bootstrap: usize,
    group_size: usize,
    seed: u64,
    progress: &(dyn Fn() + Sync),
) -> Result<CoxValidation> {
    let Some(cox) = model.family.cox() else {
        return Err(Error::Usage(format!(
            "--horizon validates a Cox model; this is a {} model",
            model.family.name()
        )));
    };
    let design = model_design(model, table)?;
    let lp_all = model_lp(model, cox, &design);
    let event: Vec<bool> = design.y.iter().map(|&v| v == 1.0).collect();
    let strata: Option<Vec<u32>> = design.strata.as_ref().map(|(_, c)| c.clone());
    let risk = risk_by(cox, &design, &lp_all, horizon)?;
    let cm = evaluate_censored(&risk, &design.time, &event, horizon)
        .map_err(|e| Error::Analysis(format!("validation at horizon {horizon}: {e}")))?;
    let rows = Rows {
        time: &design.time,
        event: &event,
        strata: strata.as_deref(),
        ties: cox.ties,
    };
    let conc = concordance(&lp_all, &design.time, &event, strata.as_deref());
    let ix = rows.indexes(&lp_all)?;
    let smooth = smoothed_calibration(&risk, &design.time, &event, horizon);
    let apparent = CoxApparent {
        c_harrell: conc.c(),
        dxy: conc.dxy(),
        auc: cm.auc,
        auc_se: cm.auc_se,
        brier: cm.brier,
        brier_null: cm.brier_null,
        scaled_brier: cm.scaled_brier,
        oe_ratio: cm.oe_ratio,
        calibration_slope: ix.calibration_slope,
        ici: smooth.ici,
        e50: smooth.e50,
        e90: smooth.e90,
        r2_nagelkerke: ix.r2_nagelkerke,
        d: ix.d,
        u: ix.u,
        q: ix.q,
        g: ix.g,
    };
    let (index_orig, optimism, optimism_corrected, count, calibrate) = if bootstrap > 0 {
        crate::limits::check_count("--bootstrap", bootstrap, crate::limits::MAX_BOOTSTRAP, true)?;
        calibrate::check_group_size(group_size)?;
        let n = design.y.len();
        let places = calibrate::Places::of(&risk, group_size, horizon);
        let draw = |b: usize| crate::stats::resample_indices(n, seed, b as u64 + 1);
        let o = optimism_over(
            model,
            &design,
            cox.ties,
            bootstrap,
            draw,
            progress,
            Some(&places),
        )?;
        let cal = corrected_calibration(&places, group_size, &risk, &design, &o);
        (
            Some(CoxIndexes::from_values(&o.apparent)),
            Some(CoxIndexes::from_values(&o.optimism)),
            Some(CoxIndexes::from_values(&o.corrected)),
            Some(BootstrapCount {
                requested: o.requested,
                used: o.used,
            }),
            Some(cal),
        )
    } else {
        (None, None, None, None, None)
    };
    Ok(CoxValidation {
        family: "cox",
        n: lp_all.len(),
        events: event.iter().filter(|&&e| e).count(),
        n_dropped_missing: crate::privacy::Count::of(design.n_dropped_missing),
        horizon,
        events_before_horizon: cm.events_before_horizon,
        censored_before_horizon: cm.censored_before_horizon,
        apparent,
        index_orig,
        optimism,
        optimism_corrected,
        bootstrap: count,
        cross_validated: None,
        calibration: cm.calibration,
        calibration_curve: smooth.curve,
        calibrate,
    })
}

/// Performance at the horizon of the out-of-fold risks of repeated stratified K-fold
/// cross-validation: each fold's model (refitted on the other folds, the design held fixed)
/// gives the risk by the horizon of its held-out rows from its own baseline; each repeat's
/// pooled out-of-fold risks are measured as the apparent ones, then averaged over repeats.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CoxCrossValidated {
    /// Folds.
    pub folds: usize,
    /// Repeats.
    pub repeats: usize,
    /// Fold fits that succeeded (of folds x repeats).
    pub used: usize,
    /// Harrell's C of the out-of-fold risks.
    pub c_harrell: f64,
    /// IPCW AUC at the horizon.
    pub auc: f64,
    /// IPCW Brier score at the horizon.
    pub brier: f64,
    /// `1 - brier / brier_null`.
    pub scaled_brier: f64,
    /// Kaplan-Meier risk / mean out-of-fold risk.
    pub oe_ratio: f64,
    /// Slope of the Cox regression on cloglog(out-of-fold risk).
    pub calibration_slope: f64,
    /// Integrated calibration index of the out-of-fold risks.
    pub ici: f64,
}

/// Repeated stratified (by event) K-fold cross-validation of a Cox model at `horizon` on the
/// rows of `table` (see [`CoxCrossValidated`]).
///
/// # Errors
/// As [`validate_cox`]; folds or repeats out of bounds; no fold could be fitted.
pub fn cross_validate_cox(
    model: &Model,
    table: &Table,
    horizon: f64,
    folds: usize,
    repeats: usize,
    seed: u64,
    progress: &(dyn Fn() + Sync),
) -> Result<CoxCrossValidated> {
    let Some(cox) = model.family.cox() else {
        return Err(Error::Usage("not a Cox model".into()));
    };
    let design = model_design(model, table)?;
    let x = design_rows(&design);
    let p = model.coefficients.len();
    let event: Vec<bool> = design.y.iter().map(|&v| v == 1.0).collect();
    let strata: Option<Vec<u32>> = design.strata.as_ref().map(|(_, c)| c.clone());
    let stratum = |i: usize| strata.as_ref().map_or(0, |s| s[i] as usize);
    // a fold's model: coefficients, centring and the baseline at the horizon per stratum
    let fit = |idx: &[usize]| -> Result<(Vec<f64>, f64, Vec<f64>)> {
        let f = refit_full(&design, &x, p, idx, model, cox.ties)?;
        let centre: f64 = f.means.iter().zip(&f.coef).map(|(m, b)| m * b).sum();
        let h0 = f.baseline.iter().map(|b| b.at(horizon)).collect();
        Ok((f.coef, centre, h0))
    };
    let risk_of = |m: &(Vec<f64>, f64, Vec<f64>), i: usize| -> f64 {
        let lp = crate::score::dot_row(&x[i * p..(i + 1) * p], &m.0, -m.1);
        // a stratum absent from the training folds has no baseline: no risk
        m.2.get(stratum(i))
            .map_or(f64::NAN, |&h| crate::model::family::survival_risk(h, lp))
    };
    let measure =
        |_: &(Vec<f64>, f64, Vec<f64>), _: &[usize]| -> Result<Vec<f64>> { Ok(Vec::new()) };
    let predict = |m: &(Vec<f64>, f64, Vec<f64>), idx: &[usize]| -> Vec<f64> {
        idx.iter().map(|&i| risk_of(m, i)).collect()
    };
    let cv = crate::validation::resample::cross_validate(
        &event,
        &[],
        crate::validation::resample::CvPlan {
            folds,
            repeats,
            seed,
        },
        fit,
        measure,
        predict,
        progress,
    )?;
    let mut per_repeat: Vec<[f64; 7]> = Vec::new();
    for pooled in &cv.pooled {
        let keep: Vec<usize> = (0..pooled.len())
            .filter(|&i| pooled[i].is_finite())
            .collect();
        let r: Vec<f64> = keep.iter().map(|&i| pooled[i]).collect();
        let t: Vec<f64> = keep.iter().map(|&i| design.time[i]).collect();
        let e: Vec<bool> = keep.iter().map(|&i| event[i]).collect();
        let st: Option<Vec<u32>> = strata
            .as_ref()
            .map(|s| keep.iter().map(|&i| s[i]).collect());
        let Ok(cm) = evaluate_censored(&r, &t, &e, horizon) else {
            continue;
        };
        let c = concordance(&r, &t, &e, st.as_deref()).c();
        let cll: Vec<f64> = r.iter().map(|&v| (-(-v).ln_1p()).ln()).collect();
        let slope = if cll.iter().all(|v| v.is_finite()) {
            let input = CoxInput {
                time: &t,
                event: &e,
                x: &cll,
                p: 1,
                weights: None,
                strata: st.as_deref(),
            };
            CoxFit::fit_input(&input, &CoxOptions::default()).map_or(f64::NAN, |f| f.coef[0])
        } else {
            f64::NAN
        };
        let smooth = smoothed_calibration(&r, &t, &e, horizon);
        per_repeat.push([
            c,
            cm.auc,
            cm.brier,
            cm.scaled_brier,
            cm.oe_ratio,
            slope,
            smooth.ici,
        ]);
    }
    if per_repeat.is_empty() {
        return Err(Error::Analysis(format!(
            "cross-validation at horizon {horizon}: no repeat's out-of-fold risks could be measured"
        )));
    }
    let mean = |k: usize| per_repeat.iter().map(|v| v[k]).sum::<f64>() / per_repeat.len() as f64;
    Ok(CoxCrossValidated {
        folds,
        repeats,
        used: cv.used,
        c_harrell: mean(0),
        auc: mean(1),
        brier: mean(2),
        scaled_brier: mean(3),
        oe_ratio: mean(4),
        calibration_slope: mean(5),
        ici: mean(6),
    })
}

/// Bootstrap optimism of `validate.cph` on given resamples (`indices[b]`, 0-based rows of
/// the model's complete-case design): to replay another implementation's draws.
///
/// # Errors
/// As [`validate_cox`] and [`crate::validation::resample::optimism_from_indices`].
pub fn cox_optimism_from_indices(
    model: &Model,
    table: &Table,
    indices: &[Vec<usize>],
) -> Result<crate::validation::resample::Optimism> {
    replay(model, table, indices, None).map(|(o, _)| o)
}

/// The corrected calibration of `calibrate.cph` at `horizon` with average group size
/// `group_size`, on given resamples (as [`cox_optimism_from_indices`]).
///
/// # Errors
/// As [`cox_optimism_from_indices`].
pub fn cox_calibrate_from_indices(
    model: &Model,
    table: &Table,
    horizon: f64,
    group_size: usize,
    indices: &[Vec<usize>],
) -> Result<Calibrate> {
    let (_, cal) = replay(model, table, indices, Some((horizon, group_size)))?;
    cal.ok_or_else(|| Error::Analysis("no calibration was measured".into()))
}

/// Replay the bootstrap on given resamples, with the corrected calibration at
/// `(horizon, group size)` when asked.
fn replay(
    model: &Model,
    table: &Table,
    indices: &[Vec<usize>],
    calibrate_at: Option<(f64, usize)>,
) -> Result<(crate::validation::resample::Optimism, Option<Calibrate>)> {
    let Some(cox) = model.family.cox() else {
        return Err(Error::Usage("not a Cox model".into()));
    };
    let design = model_design(model, table)?;
    let n = design.y.len();
    if let Some(i) = indices.iter().flatten().find(|&&i| i >= n) {
        return Err(Error::Usage(format!(
            "bootstrap row index {i} is out of range for {n} rows (indices are 0-based)"
        )));
    }
    let places = match calibrate_at {
        Some((horizon, m)) => {
            calibrate::check_group_size(m)?;
            let risk = risk_by(cox, &design, &model_lp(model, cox, &design), horizon)?;
            Some((Places::of(&risk, m, horizon), risk, m))
        }
        None => None,
    };
    let o = optimism_over(
        model,
        &design,
        cox.ties,
        indices.len(),
        |b| indices[b].clone(),
        &|| {},
        places.as_ref().map(|(p, _, _)| p),
    )?;
    let cal = places.map(|(p, risk, m)| corrected_calibration(&p, m, &risk, &design, &o));
    Ok((o, cal))
}

/// The model's centred linear predictor of every design row.
fn model_lp(model: &Model, cox: &CoxSpec, design: &TrainingDesign) -> Vec<f64> {
    let beta: Vec<f64> = model.coefficients.iter().map(|c| c.estimate).collect();
    linear_predictor(design, &beta, cox.centre)
}

/// The risk by `horizon` of design rows with linear predictors `lp`, from the model's stored
/// baseline of each row's stratum.
fn risk_by(cox: &CoxSpec, design: &TrainingDesign, lp: &[f64], horizon: f64) -> Result<Vec<f64>> {
    let map = cox.risk_map(&[horizon])?;
    Ok(lp
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let s = design.strata.as_ref().map_or(0, |(_, c)| c[i] as usize);
            map.risk(v, 0, s)
        })
        .collect())
}

/// The corrected calibration from a bootstrap run measured at `places`.
fn corrected_calibration(
    places: &Places,
    m: usize,
    risk: &[f64],
    design: &TrainingDesign,
    o: &crate::validation::resample::Optimism,
) -> Calibrate {
    let event: Vec<bool> = design.y.iter().map(|&v| v == 1.0).collect();
    let k = INDEX_NAMES.len();
    Calibrate::assemble(
        places,
        m,
        &places.groups_of(risk, &design.time, &event),
        &o.apparent[k..],
        &o.optimism[k..],
        &o.measured[k..],
    )
}

/// The `validate.cph` bootstrap over the resamples `draw(n)` gives, on the resampling engine
/// ([`crate::validation::resample`]). A refit remembers its rows: measured on them it is the
/// training measure (rms `evalfit`), on any other rows the test measure.
fn optimism_over(
    model: &Model,
    design: &TrainingDesign,
    ties: Ties,
    replicates: usize,
    draw: impl Fn(usize) -> Vec<usize> + Sync,
    progress: &(dyn Fn() + Sync),
    places: Option<&Places>,
) -> Result<crate::validation::resample::Optimism> {
    let x = design_rows(design);
    let p = model.coefficients.len();
    let n = design.y.len();
    let event: Vec<bool> = design.y.iter().map(|&v| v == 1.0).collect();
    let strata: Option<Vec<u32>> = design.strata.as_ref().map(|(_, c)| c.clone());
    let fit = |idx: &[usize]| -> Result<Refit> {
        let f = refit_full(design, &x, p, idx, model, ties)?;
        let horizon = places.map_or(0.0, |pl| pl.horizon);
        Ok(Refit {
            centre: f.means.iter().zip(&f.coef).map(|(m, b)| m * b).sum(),
            cumhaz: f.baseline.iter().map(|b| b.at(horizon)).collect(),
            beta: f.coef,
            rows: idx.to_vec(),
            loglik_null: f.loglik_null,
            loglik: f.loglik,
        })
    };
    let measure = |f: &Refit, idx: &[usize]| -> Result<Vec<f64>> {
        let lp: Vec<f64> = idx
            .iter()
            .map(|&i| crate::score::dot_row(&x[i * p..(i + 1) * p], &f.beta, 0.0))
            .collect();
        let time: Vec<f64> = idx.iter().map(|&i| design.time[i]).collect();
        let ev: Vec<bool> = idx.iter().map(|&i| event[i]).collect();
        let st: Option<Vec<u32>> = strata.as_ref().map(|s| idx.iter().map(|&i| s[i]).collect());
        let r = Rows {
            time: &time,
            event: &ev,
            strata: st.as_deref(),
            ties,
        };
        let mut out = if f.rows.as_slice() == idx {
            r.training_indexes(&lp, f.loglik_null, f.loglik).values()
        } else {
            r.indexes(&lp)?.values()
        };
        if let Some(pl) = places {
            // the refit's own risk by the horizon (a stratum absent from its resample: NaN)
            let risk: Vec<f64> = lp
                .iter()
                .enumerate()
                .map(|(k, &v)| {
                    let s = st.as_ref().map_or(0, |s| s[k] as usize);
                    f.cumhaz.get(s).map_or(f64::NAN, |&h| {
                        crate::model::family::survival_risk(h, v - f.centre)
                    })
                })
                .collect();
            out.extend(pl.distances(&risk, &time, &ev));
        }
        Ok(out)
    };
    let names: Vec<String> = INDEX_NAMES
        .iter()
        .map(|s| s.to_string())
        .chain(places.map(Places::names).unwrap_or_default())
        .collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    crate::validation::resample::optimism_over(n, &names, replicates, draw, fit, measure, progress)
}

/// The model's design replayed on `table` with its own knots and levels, with the outcome
/// and strata; rows with a missing predictor, time, event or stratum are dropped.
fn model_design(model: &Model, table: &Table) -> Result<TrainingDesign> {
    use crate::error::Problem;
    let file = table.source.as_str();
    let time_name = model
        .design
        .time
        .as_deref()
        .ok_or_else(|| Error::Usage("the Cox model names no time column".into()))?;
    let event_name = model.design.outcome.as_str();
    let time = table.num(time_name)?;
    let event = table.num(event_name)?;
    let strata_spec = model.family.cox().and_then(|c| c.strata.clone());
    let strata_col = match &strata_spec {
        Some(s) => Some(table.column(&s.variable)?),
        None => None,
    };
    let compiled = model.design.compile()?;
    let replayed = crate::design::replay(&compiled, table)?;
    let p = replayed.width;
    let mut problems = Vec::new();
    let mut used = Vec::new();
    let (mut t_used, mut y_used, mut codes) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..replayed.n {
        let (Some(t), Some(e)) = (time[i], event[i]) else {
            continue;
        };
        if p > 0 && replayed.x[i * p].is_nan() {
            continue;
        }
        let code = match (&strata_spec, strata_col) {
            (Some(s), Some(col)) => match s.code(col, i) {
                None => continue,
                Some(Ok(c)) => c,
                Some(Err(label)) => {
                    problems.push(Problem::cell(
                        file,
                        table.row(i),
                        &s.variable,
                        &label,
                        format!("a stratum of the model ({})", s.levels.join(", ")),
                    ));
                    continue;
                }
            },
            _ => 0,
        };
        let bad = crate::design::follow_up_problems(table, i, (time_name, t), (event_name, e));
        if !bad.is_empty() {
            problems.extend(bad);
            continue;
        }
        used.push(i);
        t_used.push(t);
        y_used.push(e);
        codes.push(code);
    }
    if !problems.is_empty() {
        return Err(Error::InvalidInput(problems));
    }
    if used.is_empty() {
        return Err(Error::one(Problem::file_level(
            file,
            "at least one row with the model's predictors, time and event present".to_string(),
        )));
    }
    let mut x = ndarray::Array2::<f64>::zeros((used.len(), p));
    for (r, &i) in used.iter().enumerate() {
        for j in 0..p {
            x[[r, j]] = replayed.x[i * p + j];
        }
    }
    Ok(TrainingDesign {
        spec: model.design.clone(),
        x,
        y: y_used,
        time: t_used,
        strata: strata_spec.map(|s| (s, codes)),
        n_dropped_missing: replayed.n - used.len(),
        rows: used,
        missing: Vec::new(),
    })
}

/// The design rows as one row-major slice (borrowed: the design is built row-major).
fn design_rows(design: &TrainingDesign) -> std::borrow::Cow<'_, [f64]> {
    match design.x.as_slice() {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => std::borrow::Cow::Owned(design.x.iter().copied().collect()),
    }
}

/// Linear predictor of every design row, centred as the model file says.
fn linear_predictor(design: &TrainingDesign, beta: &[f64], centre: f64) -> Vec<f64> {
    let x = design_rows(design);
    x.chunks_exact(beta.len().max(1))
        .map(|row| crate::score::dot_row(row, beta, -centre))
        .collect()
}

/// A bootstrap refit as the measures need it.
struct Refit {
    /// Coefficients (on the uncentred design).
    beta: Vec<f64>,
    /// The resample it was fitted on (measured on them: the training measure).
    rows: Vec<usize>,
    /// Null and final log partial likelihoods.
    loglik_null: f64,
    loglik: f64,
    /// `beta . means`: the centre of its baseline.
    centre: f64,
    /// Baseline cumulative hazard at the horizon, per stratum.
    cumhaz: Vec<f64>,
}

/// Refit the Cox model on design rows `idx`, the design held fixed.
fn refit_full(
    design: &TrainingDesign,
    x: &[f64],
    p: usize,
    idx: &[usize],
    model: &Model,
    ties: Ties,
) -> Result<CoxFit> {
    let xs: Vec<f64> = idx
        .iter()
        .flat_map(|&i| x[i * p..(i + 1) * p].iter().copied())
        .collect();
    let time: Vec<f64> = idx.iter().map(|&i| design.time[i]).collect();
    let event: Vec<bool> = idx.iter().map(|&i| design.y[i] == 1.0).collect();
    let strata: Option<Vec<u32>> = design
        .strata
        .as_ref()
        .map(|(_, c)| idx.iter().map(|&i| c[i]).collect());
    // the model's own penalty (its file says it as the command line did)
    let ridge = match model.penalty.parse::<Penalty>() {
        Ok(Penalty::Ridge(lambda)) => lambda,
        Ok(Penalty::None) => 0.0,
        _ => {
            return Err(Error::Usage(format!(
                "the model's penalty '{}' is not one a Cox model takes (none or ridge=L): the file is damaged or was edited",
                model.penalty
            )))
        }
    };
    let input = CoxInput {
        time: &time,
        event: &event,
        x: &xs,
        p,
        weights: None,
        strata: strata.as_deref(),
    };
    let opts = CoxOptions {
        ties,
        ridge,
        ..CoxOptions::default()
    };
    CoxFit::fit_input(&input, &opts).map_err(|e| Error::Analysis(format!("refit failed: {e}")))
}

/// Outcome rows for the indexes.
struct Rows<'a> {
    time: &'a [f64],
    event: &'a [bool],
    strata: Option<&'a [u32]>,
    ties: Ties,
}

impl Rows<'_> {
    /// The indexes of a fit measured on its own training rows (rms `evalfit`): slope 1,
    /// `U = -2/ll0`, LR and `ll0` from the fit's log-likelihoods `loglik_null`, `loglik`.
    fn training_indexes(&self, lp: &[f64], loglik_null: f64, loglik: f64) -> CoxIndexes {
        if is_constant(lp) {
            return CoxIndexes::FLAT;
        }
        let dxy = concordance(lp, self.time, self.event, self.strata).dxy();
        indexes_of(lp, dxy, (loglik_null, loglik), 1.0, None)
    }

    /// The `validate.cph` indexes of linear predictor `lp` (one per row): a Cox regression of
    /// the outcome on it gives the slope, LR and `ll0`; its log-likelihood at slope 1 gives U.
    fn indexes(&self, lp: &[f64]) -> Result<CoxIndexes> {
        if is_constant(lp) {
            return Ok(CoxIndexes::FLAT);
        }
        let dxy = concordance(lp, self.time, self.event, self.strata).dxy();
        let input = CoxInput {
            time: self.time,
            event: self.event,
            x: lp,
            p: 1,
            weights: None,
            strata: self.strata,
        };
        let opts = CoxOptions {
            ties: self.ties,
            ..CoxOptions::default()
        };
        let fit = CoxFit::fit_input(&input, &opts).map_err(|e| {
            Error::Analysis(format!(
                "the Cox regression on the linear predictor failed: {e}"
            ))
        })?;
        let frozen = partial_loglik(&input, &[1.0], self.ties)
            .map_err(|e| Error::Analysis(e.to_string()))?;
        Ok(indexes_of(
            lp,
            dxy,
            (fit.loglik_null, fit.loglik),
            fit.coef[0],
            Some(frozen),
        ))
    }
}

fn is_constant(x: &[f64]) -> bool {
    x.first().is_none_or(|&f| x.iter().all(|&v| v == f))
}

/// The indexes from a Cox regression on `lp` with log-likelihoods `(null, fitted)` and
/// `slope`: `R2 = (1 - exp(-LR/n)) / (1 - exp(-ll0/n))`, `D = (LR - 1)/ll0`, `Q = D - U`,
/// `g = GiniMd(slope lp)`; `U = -2 (frozen - fitted)/ll0` with `frozen` the log-likelihood
/// at slope 1, or `-2/ll0` on the fit's own training rows (`frozen` = `None`, rms evalfit).
fn indexes_of(
    lp: &[f64],
    dxy: f64,
    (loglik_null, loglik): (f64, f64),
    slope: f64,
    frozen: Option<f64>,
) -> CoxIndexes {
    let nf = lp.len() as f64;
    let lr = 2.0 * (loglik - loglik_null);
    let ll0 = -2.0 * loglik_null;
    let d = (lr - 1.0) / ll0;
    let u = frozen.map_or(-2.0 / ll0, |f| -2.0 * (f - loglik) / ll0);
    let scaled: Vec<f64> = lp.iter().map(|v| slope * v).collect();
    CoxIndexes {
        dxy,
        r2_nagelkerke: (1.0 - (-lr / nf).exp()) / (1.0 - (-ll0 / nf).exp()),
        calibration_slope: slope,
        d,
        u,
        q: d - u,
        g: gini_mean_difference(&scaled),
    }
}

/// The smoothed calibration at the horizon: ICI, E50, E90 and the curve.
struct Smooth {
    ici: f64,
    e50: f64,
    e90: f64,
    curve: Vec<SmoothPoint>,
}

/// ICI, E50 and E90 at the horizon (Austin, Harrell & van Klaveren 2020): the observed risk
/// of each subject from the calibration smoother ([`calibrate::Smoother`], a Cox model of the
/// outcome on `rcs(cloglog(risk), 3)`). NaN (and no curve) when the predictions have too few
/// distinct values for the spline or the calibration model cannot be fitted.
fn smoothed_calibration(risk: &[f64], time: &[f64], event: &[bool], horizon: f64) -> Smooth {
    let Some(sm) = calibrate::Smoother::fit(risk, time, event, horizon) else {
        return Smooth {
            ici: f64::NAN,
            e50: f64::NAN,
            e90: f64::NAN,
            curve: Vec::new(),
        };
    };
    let mut diff: Vec<f64> = risk.iter().map(|&r| (r - sm.observed(r)).abs()).collect();
    let ici = diff.iter().sum::<f64>() / diff.len() as f64;
    diff.sort_by(f64::total_cmp);
    let curve: Vec<SmoothPoint> = calibrate::curve_grid(risk)
        .into_iter()
        .map(|p| SmoothPoint {
            predicted: p,
            observed: sm.observed(p),
        })
        .collect();
    Smooth {
        ici,
        e50: crate::stats::quantile_sorted(&diff, 0.5),
        e90: crate::stats::quantile_sorted(&diff, 0.9),
        curve,
    }
}

/// The terminal table of a Cox validation.
pub fn render(v: &CoxValidation) -> String {
    let a = &v.apparent;
    let mut out = format!(
        "Cox model validated at horizon {} on {} rows ({} events, {} before the horizon, {} censored before it)\n",
        crate::design::format_level(v.horizon),
        v.n,
        v.events,
        v.events_before_horizon,
        v.censored_before_horizon
    );
    out += &format!(
        "  apparent: C (Harrell) {:.4}  Dxy {:.4}  AUC(H) {:.4} (se {:.4})  Brier {:.4} (null {:.4}, scaled {:.4})\n",
        a.c_harrell, a.dxy, a.auc, a.auc_se, a.brier, a.brier_null, a.scaled_brier
    );
    out += &format!(
        "            O/E {:.3}  slope {:.3}  ICI {:.4}  E50 {:.4}  E90 {:.4}  R2 {:.4}  g {:.3}\n",
        a.oe_ratio, a.calibration_slope, a.ici, a.e50, a.e90, a.r2_nagelkerke, a.g
    );
    if let (Some(o), Some(c), Some(b)) = (&v.optimism, &v.optimism_corrected, &v.bootstrap) {
        out += &format!(
            "  bootstrap (as rms::validate.cph, {} of {} refits)\n  {:<18} {:>9} {:>9} {:>9}\n",
            b.used, b.requested, "index", "apparent", "optimism", "corrected"
        );
        let app = v.index_orig.map(|i| i.values()).unwrap_or_default();
        for (k, name) in INDEX_NAMES.iter().enumerate() {
            out += &format!(
                "  {:<18} {:>9.4} {:>9.4} {:>9.4}\n",
                name,
                app.get(k).copied().unwrap_or(f64::NAN),
                o.values()[k],
                c.values()[k]
            );
        }
    }
    if let Some(cv) = &v.cross_validated {
        out += &format!(
            "  cross-validated ({}-fold x {}, {} fits; pooled out-of-fold risks): C {:.4}  AUC(H) {:.4}  Brier {:.4} (scaled {:.4})  O/E {:.3}  slope {:.3}  ICI {:.4}\n",
            cv.folds, cv.repeats, cv.used, cv.c_harrell, cv.auc, cv.brier, cv.scaled_brier, cv.oe_ratio, cv.calibration_slope, cv.ici
        );
    }
    out += "  calibration at the horizon (tenths of predicted risk; observed = Kaplan-Meier)\n";
    for g in &v.calibration {
        out += &format!(
            "    group {:>2}: n {:>6}  predicted {:.3}  observed {:.3}\n",
            g.group + 1,
            g.n,
            g.mean_predicted,
            g.observed
        );
    }
    if let Some(cal) = &v.calibrate {
        out += &format!(
            "  corrected for overfitting (as rms::calibrate.cph, groups of about {} rows; risks by the horizon)
  {:>6} {:>7} {:>10} {:>9} {:>9} {:>10}
",
            cal.group_size, "n", "events", "predicted", "observed", "optimism", "corrected"
        );
        for g in &cal.groups {
            out += &format!(
                "  {:>6} {:>7} {:>10.3} {:>9.3} {:>9.3} {:>10.3}\n",
                g.n, g.events, g.predicted, g.observed, g.optimism, g.observed_corrected
            );
        }
        out += &format!(
            "  smooth curve: mean |corrected observed - predicted| {:.4}\n",
            cal.mean_abs_error_corrected
        );
    }
    out
}
