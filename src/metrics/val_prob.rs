//! Every statistic of `rms::val.prob(p, y)` (rms 6.5), reproduced to rounding, so a user can
//! put our numbers next to R's output and see the same values under the same names.
//!
//! Two val.prob conventions differ from this crate's headline [`super::Metrics`]:
//! - "C (ROC)" and "Dxy" come from rms's Fortran, which bins `p` into 1/5000-wide cells before
//!   counting concordance ([`super::concordance_rms_binned`]); [`super::Metrics`] has the exact
//!   values (as pROC and `Hmisc::somers2`).
//! - C, R2, D, Intercept and Slope use only predictions strictly inside (0, 1) (val.prob drops
//!   infinite logits with a warning); Brier, U, the E statistics and S:z use all observations.
//!
//! Deliberate deviations: a prediction of exactly 1 for a non-event (or 0 for an event) makes
//! U, U:Chi-sq and Q infinite here, where R's `na.rm = TRUE` silently drops the
//! non-event-at-1 case; constant predictions are an error here, where rms 6.5 takes a special
//! branch whose output is mislabelled (19 values under 18 names).

use serde::Serialize;

use super::calibration::{
    calibration_errors_unchecked, logistic_recalibration, spiegelhalter_unchecked,
};
use super::error::MetricsError;
use super::input::check_pairs;
use super::probabilistic::{brier_unchecked, fixed_fit};
use super::ranking::concordance_rms_binned;

/// The statistics `rms::val.prob` returns, named as in R (`"S:z"` is `s_z`, and so on).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ValProb {
    /// Somers' Dxy, from the rms-binned concordance (see module docs).
    pub dxy: f64,
    /// "C (ROC)": rms-binned concordance.
    pub c_roc: f64,
    /// Nagelkerke R2 of the predictions as given.
    pub r2: f64,
    /// Discrimination index D = (LR chi-square - 1) / n.
    pub d: f64,
    /// "D:Chi-sq": likelihood-ratio chi-square of logit(p) against the intercept-only model.
    pub d_chisq: f64,
    /// Unreliability index U = (U chi-square - 2) / n.
    pub u: f64,
    /// "U:Chi-sq": -2 log-likelihood of p minus that of the recalibrated p (2 d.f.).
    pub u_chisq: f64,
    /// "U:p": upper tail of chi-square(2) at `u_chisq`.
    pub u_p: f64,
    /// Quality index Q = D - U.
    pub q: f64,
    /// Brier score.
    pub brier: f64,
    /// Calibration intercept of the logistic recalibration.
    pub intercept: f64,
    /// Calibration slope of the logistic recalibration.
    pub slope: f64,
    /// Maximum |p - lowess| (probability units).
    pub emax: f64,
    /// 90th percentile of |p - lowess|.
    pub e90: f64,
    /// Mean |p - lowess|.
    pub eavg: f64,
    /// Spiegelhalter z.
    pub s_z: f64,
    /// Spiegelhalter two-sided p-value.
    pub s_p: f64,
    /// Observations used by the logistic statistics (C, Dxy, R2, D, Intercept, Slope).
    pub n_logistic: usize,
    /// Predictions of exactly 0 or 1 left out of those statistics.
    pub n_excluded: usize,
}

/// All statistics of `rms::val.prob(p, y, pl = FALSE)`; see the module docs for conventions.
///
/// # Errors
/// Malformed pairs; a single outcome class (overall or among predictions strictly inside
/// (0, 1)); constant predictions; no convergence of the recalibration (separation).
pub fn val_prob(p: &[f64], y: &[f64]) -> Result<ValProb, MetricsError> {
    check_pairs(p, y)?.require_both_classes()?;
    let recal = logistic_recalibration(p, y)?;
    let c = concordance_rms_binned(p, y)?;
    let fixed = fixed_fit(p, y);
    let n = fixed.n as f64;
    let lr = fixed.lr();
    let d = (lr - 1.0) / n;
    let u_chisq = deviance_as_given(p, y) - recal.deviance;
    let u = (u_chisq - 2.0) / n;
    let errors = calibration_errors_unchecked(p, y);
    let spi = spiegelhalter_unchecked(p, y);
    Ok(ValProb {
        dxy: 2.0 * (c - 0.5),
        c_roc: c,
        r2: fixed.r2(),
        d,
        d_chisq: lr,
        u,
        u_chisq,
        // 1 - pchisq(x, 2) = 1 - (-expm1(-x / 2)), written as R evaluates it.
        u_p: 1.0 - (-(-u_chisq / 2.0).exp_m1()).max(0.0),
        q: d - u,
        brier: brier_unchecked(p, y),
        intercept: recal.intercept,
        slope: recal.slope,
        emax: errors.emax,
        e90: errors.e90,
        eavg: errors.eavg,
        s_z: spi.z,
        s_p: spi.p_value,
        n_logistic: recal.n_used,
        n_excluded: recal.n_excluded,
    })
}

/// val.prob's `L01`: -2 log-likelihood of the predictions as given, over all observations,
/// with `y logit - log(1 + exp(logit))` as R writes it. A correct certain prediction adds 0;
/// a wrong certain prediction makes it infinite.
fn deviance_as_given(p: &[f64], y: &[f64]) -> f64 {
    let mut total = 0.0;
    for (&pi, &yi) in p.iter().zip(y) {
        if pi <= 0.0 || pi >= 1.0 {
            if (pi >= 1.0) != (yi == 1.0) {
                return f64::INFINITY;
            }
            continue;
        }
        let logit = (pi / (1.0 - pi)).ln();
        total += yi * logit - (1.0 + logit.exp()).ln();
    }
    -2.0 * total
}
