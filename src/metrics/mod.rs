//! Performance metrics of predicted risks against observed 0/1 outcomes, computed from the
//! (predicted, observed) pairs alone (the `rms::val.prob` idea): usable for an `mbdrisk` model,
//! a bootstrap resample, or any external risk score.
//!
//! Files by layer: [`ranking`] (ROC, AUC, DeLong, Dxy), [`probabilistic`] (Brier, log loss,
//! R2), [`calibration`] (citl, intercept/slope, O/E, E statistics, curve, table, Spiegelhalter),
//! [`mod@lowess`] (R's `lowess` port), [`mod@val_prob`] (every val.prob statistic as R
//! reports it), [`evaluate()`] (all headline metrics at once). Compute only: plots read these
//! structs.
//!
//! Each function validates its input and returns [`MetricsError`] with a message that says what
//! was found and what was expected.

pub mod band;
pub mod calibration;
pub mod censored;
pub mod error;
mod evaluate;
mod input;
pub mod lowess;
pub mod probabilistic;
pub mod ranking;
pub mod val_prob;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

pub use calibration::{
    calibration_curve, calibration_errors, calibration_table, citl, logistic_recalibration,
    oe_ratio, smoothed_calibration_at, spiegelhalter, wilson_interval, CalibrationErrors,
    CalibrationGroup, CurveOptions, CurvePoint, Recalibration, Spiegelhalter,
};
pub use error::MetricsError;
pub use evaluate::{evaluate, evaluate_point, evaluate_smoothed, AUC_CI_LEVEL};
pub use lowess::{lowess, Lowess};
pub use probabilistic::{brier, log_loss, r2_nagelkerke, scaled_brier};
pub use ranking::{
    auc, auc_delong, concordance_rms_binned, roc_curve, somers_dxy, AucInference, RocPoint,
};
pub use val_prob::{val_prob, ValProb};

/// The headline metrics of one set of predictions: the `apparent` (and `optimism`,
/// `optimism_corrected`) objects of `metrics.json` (DESIGN.md section 4, contract). Field
/// order is the serialised key order. Probabilities and errors are on the 0-1 scale; the
/// calibration intercepts are in logit units. A value that is undefined for the data (the
/// DeLong SE with a single event, Spiegelhalter's z when every prediction is 0, 1/2 or 1)
/// is NaN, written as JSON `null`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// AUC = C statistic, ties counted 1/2 (higher is better; 0.5 = no discrimination).
    pub auc: f64,
    /// DeLong standard error of the AUC.
    pub auc_se: f64,
    /// Lower 95% DeLong confidence limit of the AUC (clipped at 0).
    pub auc_ci_low: f64,
    /// Upper 95% DeLong confidence limit of the AUC (clipped at 1).
    pub auc_ci_high: f64,
    /// Somers' Dxy = 2 (AUC - 0.5).
    pub dxy: f64,
    /// Brier score, mean (p - y)^2 (lower is better).
    pub brier: f64,
    /// 1 - Brier / (ybar (1 - ybar)) (higher is better, 1 = perfect).
    pub scaled_brier: f64,
    /// Mean negative log-likelihood in nats, p clipped to machine epsilon (lower is better).
    pub log_loss: f64,
    /// Nagelkerke R2 of the predictions as given, as `rms::val.prob` "R2".
    pub r2_nagelkerke: f64,
    /// Calibration-in-the-large: intercept with logit(p) as offset (0 is ideal).
    pub citl: f64,
    /// Intercept of `logit P(y) = a + b logit(p)` (0 with slope 1 is ideal).
    pub calibration_intercept: f64,
    /// Slope `b` of the recalibration (1 is ideal; < 1 means overfitting).
    pub calibration_slope: f64,
    /// Observed / expected events, sum(y) / sum(p) (1 is ideal).
    pub oe_ratio: f64,
    /// Mean |p - lowess(p, y)| (ICI).
    pub eavg: f64,
    /// Median |p - lowess(p, y)|.
    pub e50: f64,
    /// 90th percentile of |p - lowess(p, y)|.
    pub e90: f64,
    /// Maximum |p - lowess(p, y)|.
    pub emax: f64,
    /// Spiegelhalter's z (0 is ideal; |z| > 1.96 rejects calibration at 5%).
    pub spiegelhalter_z: f64,
}

impl Metrics {
    /// These metrics with Eavg / E50 / E90 / Emax set to `e`.
    pub(crate) fn with_errors(self, e: CalibrationErrors) -> Metrics {
        Metrics {
            eavg: e.eavg,
            e50: e.e50,
            e90: e.e90,
            emax: e.emax,
            ..self
        }
    }

    /// Field names in serialisation order (the `metrics.json` keys).
    pub const NAMES: [&'static str; 18] = [
        "auc",
        "auc_se",
        "auc_ci_low",
        "auc_ci_high",
        "dxy",
        "brier",
        "scaled_brier",
        "log_loss",
        "r2_nagelkerke",
        "citl",
        "calibration_intercept",
        "calibration_slope",
        "oe_ratio",
        "eavg",
        "e50",
        "e90",
        "emax",
        "spiegelhalter_z",
    ];

    /// Values in the order of [`Metrics::NAMES`], for resampling code that averages or
    /// subtracts metrics field by field (optimism = train - test).
    pub fn values(&self) -> [f64; 18] {
        [
            self.auc,
            self.auc_se,
            self.auc_ci_low,
            self.auc_ci_high,
            self.dxy,
            self.brier,
            self.scaled_brier,
            self.log_loss,
            self.r2_nagelkerke,
            self.citl,
            self.calibration_intercept,
            self.calibration_slope,
            self.oe_ratio,
            self.eavg,
            self.e50,
            self.e90,
            self.emax,
            self.spiegelhalter_z,
        ]
    }

    /// Inverse of [`Metrics::values`].
    pub fn from_values(v: [f64; 18]) -> Metrics {
        Metrics {
            auc: v[0],
            auc_se: v[1],
            auc_ci_low: v[2],
            auc_ci_high: v[3],
            dxy: v[4],
            brier: v[5],
            scaled_brier: v[6],
            log_loss: v[7],
            r2_nagelkerke: v[8],
            citl: v[9],
            calibration_intercept: v[10],
            calibration_slope: v[11],
            oe_ratio: v[12],
            eavg: v[13],
            e50: v[14],
            e90: v[15],
            emax: v[16],
            spiegelhalter_z: v[17],
        }
    }

    /// Field-by-field combination, e.g. `a.zip_with(&b, |x, y| x - y)` for an optimism.
    pub fn zip_with(&self, other: &Metrics, f: impl Fn(f64, f64) -> f64) -> Metrics {
        let (a, b) = (self.values(), other.values());
        Metrics::from_values(std::array::from_fn(|i| f(a[i], b[i])))
    }
}
