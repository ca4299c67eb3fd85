//! All headline metrics of one set of (predicted, observed) pairs in one call.

use super::calibration::{
    calibration_errors_unchecked, recalibration_and_citl, spiegelhalter_unchecked,
};
use super::error::MetricsError;
use super::input::{check_pairs, require_varying, Counts};
use super::probabilistic::{brier_unchecked, fixed_fit, log_loss_unchecked};
use super::ranking::{auc_checked, delong_checked, AucInference};
use super::Metrics;

/// Confidence level of `auc_ci_low` / `auc_ci_high` in [`Metrics`].
pub const AUC_CI_LEVEL: f64 = 0.95;

/// Every headline metric of predicted probabilities `p` against 0/1 outcomes `y` (the
/// `apparent` object of `metrics.json`).
///
/// Conventions (DESIGN.md section 5): AUC with ties 1/2 and a 95% DeLong CI as `pROC`;
/// Dxy = 2 (AUC - 0.5) exactly (not val.prob's binned value); R2, calibration intercept and
/// slope as `rms::val.prob`; citl with logit(p) as offset; E statistics from
/// `lowess(p, y, iter = 0)`. Predictions of exactly 0 or 1 are allowed: they are left out of
/// the logistic statistics (R2, citl, intercept, slope) as val.prob does, clipped to machine
/// epsilon in the log loss, and used as they are everywhere else.
///
/// # Errors
/// [`MetricsError`]: empty input, length mismatch, a probability outside [0, 1] or not
/// finite, an outcome other than 0/1, a single outcome class, constant predictions (the
/// calibration slope is undefined), or a recalibration that cannot converge (predictions that
/// perfectly separate the classes).
///
/// # Examples
/// ```
/// let p = [0.1, 0.3, 0.2, 0.8, 0.6, 0.4, 0.7, 0.9];
/// let y = [0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0];
/// let m = mbdrisk::metrics::evaluate(&p, &y).expect("metrics");
/// assert!((m.dxy - (2.0 * m.auc - 1.0)).abs() < 1e-15);
/// assert!(m.auc_ci_low <= m.auc && m.auc <= m.auc_ci_high);
/// ```
pub fn evaluate(p: &[f64], y: &[f64]) -> Result<Metrics, MetricsError> {
    evaluate_with(p, y, true)
}

/// [`evaluate`] without the DeLong inference: `auc_se`, `auc_ci_low` and `auc_ci_high` are
/// NaN, every other field is identical. For resampling loops (bootstrap optimism,
/// cross-validation), where the optimism of a standard error means nothing and the variance
/// pass is wasted work.
///
/// # Errors
/// As [`evaluate`].
pub fn evaluate_point(p: &[f64], y: &[f64]) -> Result<Metrics, MetricsError> {
    evaluate_with(p, y, false)
}

/// [`evaluate`] that also returns the LOWESS smooth behind Eavg/E50/E90/Emax, for a caller
/// that draws the calibration curve of the same pairs
/// ([`crate::metrics::calibration::calibration_curve_from`]).
///
/// # Errors
/// As [`evaluate`].
pub fn evaluate_smoothed(
    p: &[f64],
    y: &[f64],
) -> Result<(Metrics, crate::metrics::lowess::Lowess), MetricsError> {
    let counts = check_pairs(p, y)?.require_both_classes()?;
    require_varying(p)?;
    // The smooth and the other metrics are independent: computed side by side.
    let (s, metrics) = rayon::join(
        || crate::metrics::calibration::smooth(p, y),
        || evaluate_given(p, y, counts, true),
    );
    let s = s?;
    let metrics = metrics?.with_errors(crate::metrics::calibration::errors_of_smooth(&s));
    Ok((metrics, s))
}

fn evaluate_with(p: &[f64], y: &[f64], inference: bool) -> Result<Metrics, MetricsError> {
    let counts = check_pairs(p, y)?.require_both_classes()?;
    require_varying(p)?;
    Ok(evaluate_given(p, y, counts, inference)?.with_errors(calibration_errors_unchecked(p, y)))
}

/// The metrics of pairs checked by the caller (their `counts`) but the calibration errors of
/// the smooth (left NaN: [`Metrics::with_errors`]).
fn evaluate_given(
    p: &[f64],
    y: &[f64],
    counts: Counts,
    inference: bool,
) -> Result<Metrics, MetricsError> {
    let (recal, disc) = rayon::join(
        || recalibration_and_citl(p, y, counts),
        || discrimination(p, y, inference),
    );
    let (recal, citl) = recal?;
    let brier = brier_unchecked(p, y);
    let ybar = counts.rate();
    Ok(Metrics {
        auc: disc.auc,
        auc_se: disc.se,
        auc_ci_low: disc.ci_low,
        auc_ci_high: disc.ci_high,
        dxy: 2.0 * (disc.auc - 0.5),
        brier,
        scaled_brier: 1.0 - brier / (ybar * (1.0 - ybar)),
        log_loss: log_loss_unchecked(p, y),
        r2_nagelkerke: fixed_fit(p, y).r2(),
        citl,
        calibration_intercept: recal.intercept,
        calibration_slope: recal.slope,
        oe_ratio: y.iter().sum::<f64>() / p.iter().sum::<f64>(),
        eavg: f64::NAN,
        e50: f64::NAN,
        e90: f64::NAN,
        emax: f64::NAN,
        spiegelhalter_z: spiegelhalter_unchecked(p, y).z,
    })
}

/// The AUC, with its DeLong SE and CI when `inference` asks for them.
fn discrimination(p: &[f64], y: &[f64], inference: bool) -> AucInference {
    if inference {
        delong_checked(p, y, AUC_CI_LEVEL)
    } else {
        AucInference {
            auc: auc_checked(p, y),
            variance: f64::NAN,
            se: f64::NAN,
            ci_low: f64::NAN,
            ci_high: f64::NAN,
            level: AUC_CI_LEVEL,
        }
    }
}
