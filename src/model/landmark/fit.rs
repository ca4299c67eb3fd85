//! The landmark super-model: one logistic regression over the stacked landmark rows,
//! `logit P(event in (s, s + w] | at risk at s) = b0 + x'b + g1 s/s_max + g2 (s/s_max)^2`,
//! weighted by IPCW, with standard errors robust to the repeated rows of each patient
//! (cluster sandwich with `sandwich::vcovCL`'s default small-sample factor G / (G - 1), G the
//! number of patients: `vcovCL(type = "HC0")`, `cadjust = TRUE`).

use serde::{Deserialize, Serialize};

use super::stack::{
    stack, FollowUp, LandmarkOptions, Stacked, LANDMARK, LANDMARK_1, LANDMARK_2, OUTCOME,
};
use crate::design::MissingPolicy;
use crate::error::{Error, Result};
use crate::formula::{parse, Response};
use crate::model::fit::{fit_with_design, Model, CI_LEVEL};
use crate::model::logistic::{FitOptions, LogisticFit};
use crate::score::{dot_row, logistic};
use crate::table::Table;

/// What makes a model dynamic: how its rows are built, and its robust inference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DynamicSpec {
    /// The formula as the user wrote it, `Surv(time, event) ~ ...`.
    pub formula: String,
    /// Follow-up time column of the cohort file.
    pub time: String,
    /// Event column of the cohort file.
    pub event: String,
    /// Landmarks, window, staleness, LSC and id/month columns.
    pub landmark: LandmarkOptions,
    /// Patients (clusters) contributing rows.
    pub patients: usize,
    /// Model-based (naive) standard errors, intercept first; the coefficients' `std_error`
    /// are the cluster-robust ones.
    pub model_based_std_errors: Vec<f64>,
    /// Cluster-robust covariance of the coefficients, intercept first.
    pub robust_covariance: Vec<Vec<f64>>,
}

/// A fitted dynamic model with the landmark data it was fitted on.
#[derive(Debug, Clone)]
pub struct DynamicFit {
    /// The model (its `dynamic` field is set).
    pub model: Model,
    /// The landmark data set.
    pub stacked: Stacked,
    /// Rows of `stacked` used in the fit (complete predictors, weight > 0).
    pub rows: Vec<usize>,
}

/// The binary formula fitted on the stacked rows: the user's right-hand side, plus the
/// landmark-time terms unless the user wrote landmark terms already: `landmark_1` and
/// `landmark_2` with 3 or more distinct landmarks in the data, `landmark_1` alone with 2, none
/// with 1 (more terms than distinct times cannot be estimated).
fn stacked_formula(text: &str, n_landmarks: usize) -> Result<(String, String, String)> {
    let f = parse(text).map_err(|e| Error::Usage(format!("{e}\n{}", e.caret_diagram())))?;
    let Response::Surv { time, event, .. } = &f.response else {
        return Err(Error::Usage(format!(
            "'{text}': a dynamic model needs a Surv(time, event) outcome, e.g. Surv(time_months, event) ~ log(ctx_ng_ml) + mrd"
        )));
    };
    let rhs = text
        .split_once('~')
        .map(|(_, r)| r.trim())
        .unwrap_or_default();
    let has_landmark = f
        .terms
        .iter()
        .any(|t| [LANDMARK, LANDMARK_1, LANDMARK_2].contains(&t.column.as_str()));
    let formula = match (has_landmark, n_landmarks) {
        (true, _) | (false, 0..=1) => format!("{OUTCOME} ~ {rhs}"),
        (false, 2) => format!("{OUTCOME} ~ {rhs} + {LANDMARK_1}"),
        (false, _) => format!("{OUTCOME} ~ {rhs} + {LANDMARK_1} + {LANDMARK_2}"),
    };
    Ok((formula, time.clone(), event.clone()))
}

/// Fit the landmark super-model of `formula` (`Surv(time, event) ~ terms`) on the landmark
/// data of `cohort` and `visits`.
///
/// # Errors
/// A formula without `Surv()`, unknown columns, landmark options out of range, a fit that
/// fails (exit code 1).
pub fn fit_dynamic(
    cohort: &Table,
    visits: &Table,
    formula: &str,
    landmark: &LandmarkOptions,
    opts: &FitOptions,
) -> Result<DynamicFit> {
    let (_, time, event) = stacked_formula(formula, 0)?;
    landmark.check_staleness_columns(visits)?;
    landmark.check_feature_columns(visits)?;
    let stacked = stack(
        cohort,
        visits,
        FollowUp {
            time: &time,
            event: &event,
        },
        landmark,
    )?;
    let weights = stacked.weights();
    let mut used: Vec<u64> = (0..stacked.table.nrows())
        .filter(|&r| weights[r] > 0.0)
        .map(|r| stacked.landmark[r].to_bits())
        .collect();
    used.sort_unstable();
    used.dedup();
    let (binary, _, _) = stacked_formula(formula, used.len())?;
    let parsed = parse(&binary).map_err(|e| Error::Usage(format!("{e}\n{}", e.caret_diagram())))?;
    let rows: Vec<usize> = (0..stacked.table.nrows())
        .filter(|&r| weights[r] > 0.0)
        .collect();
    let fit_opts = FitOptions {
        weights: Some(weights.clone()),
        ..opts.clone()
    };
    let (mut model, fit, design) = fit_with_design(
        &stacked.table,
        &parsed,
        &fit_opts,
        MissingPolicy::Drop,
        &rows,
    )
    .map_err(|e| stacked.locate(e))?;
    // Cluster sandwich: V = C (sum_c U_c U_c') C, U_c = sum over the patient's rows of
    // w (y - p) (1, x), C the model-based covariance.
    let q = fit.coefficients.len();
    let (b0, beta) = (fit.coefficients[0], &fit.coefficients[1..]);
    let mut per_patient: std::collections::BTreeMap<usize, Vec<f64>> = Default::default();
    for (k, &r) in design.rows.iter().enumerate() {
        let x = design.x.row(k);
        let xs: Vec<f64> = x.iter().copied().collect();
        let p = logistic(dot_row(&xs, beta, b0));
        let u = weights[r] * (design.y[k] - p);
        let acc = per_patient
            .entry(stacked.patient[r])
            .or_insert_with(|| vec![0.0; q]);
        acc[0] += u;
        for (a, xv) in acc[1..].iter_mut().zip(&xs) {
            *a += u * xv;
        }
    }
    let mut meat = vec![vec![0.0; q]; q];
    for u in per_patient.values() {
        for i in 0..q {
            for j in 0..q {
                meat[i][j] += u[i] * u[j];
            }
        }
    }
    // vcovCL's default cluster adjustment G / (G - 1)
    let g = per_patient.len() as f64;
    let adjust = if g > 1.0 { g / (g - 1.0) } else { 1.0 };
    let robust: Vec<Vec<f64>> = matmul(&matmul(&fit.covariance, &meat), &fit.covariance)
        .into_iter()
        .map(|row| row.into_iter().map(|v| v * adjust).collect())
        .collect();
    // The engine's Wald inference, with the robust covariance in place of the model-based one.
    let robust_fit = LogisticFit {
        std_errors: (0..q).map(|j| robust[j][j].max(0.0).sqrt()).collect(),
        covariance: robust.clone(),
        ..fit
    };
    let (z, p, ci) = (
        robust_fit.z(),
        robust_fit.p_values(),
        robust_fit.odds_ratio_ci(CI_LEVEL),
    );
    let model_based: Vec<f64> = model.coefficients.iter().map(|c| c.std_error).collect();
    for (j, coef) in model.coefficients.iter_mut().enumerate() {
        coef.std_error = robust_fit.std_errors[j];
        coef.z = z[j];
        coef.p_value = p[j];
        coef.ci_low = ci[j].0;
        coef.ci_high = ci[j].1;
    }
    model.dynamic = Some(DynamicSpec {
        formula: formula.to_string(),
        time,
        event,
        landmark: landmark.clone(),
        patients: per_patient.len(),
        model_based_std_errors: model_based,
        robust_covariance: robust,
    });
    Ok(DynamicFit {
        model,
        stacked,
        rows: design.rows,
    })
}

/// `a b` for square matrices stored as rows.
fn matmul(a: &[Vec<f64>], b: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let q = b.len();
    a.iter()
        .map(|row| {
            (0..q)
                .map(|j| (0..q).map(|k| row[k] * b[k][j]).sum())
                .collect()
        })
        .collect()
}
