//! Overall accuracy of predicted probabilities: Brier score, scaled Brier, log loss and
//! Nagelkerke's R2 (as `rms::val.prob` computes it).
//!
//! `*_loss` and `brier` are lower-is-better; `scaled_brier` and `r2_nagelkerke` are
//! higher-is-better with 1 for perfect predictions and 0 for predicting the event rate.

use super::error::MetricsError;
use super::input::check_pairs;

/// Brier score: mean squared difference between predicted probability and 0/1 outcome.
/// In [0, 1], lower is better; 0.25 is a coin flip at a 50% event rate.
///
/// # Errors
/// Malformed pairs (see [`MetricsError`]).
pub fn brier(p: &[f64], y: &[f64]) -> Result<f64, MetricsError> {
    check_pairs(p, y)?;
    Ok(brier_unchecked(p, y))
}

pub(crate) fn brier_unchecked(p: &[f64], y: &[f64]) -> f64 {
    p.iter()
        .zip(y)
        .map(|(pi, yi)| (pi - yi) * (pi - yi))
        .sum::<f64>()
        / p.len() as f64
}

/// Scaled Brier score (index of prediction accuracy): `1 - Brier / (ybar (1 - ybar))`, the
/// Brier score relative to always predicting the observed event rate `ybar`. At most 1;
/// 0 means no better than the event rate; negative means worse.
///
/// # Errors
/// Malformed pairs or a single outcome class (the reference Brier score is then 0).
pub fn scaled_brier(p: &[f64], y: &[f64]) -> Result<f64, MetricsError> {
    let counts = check_pairs(p, y)?.require_both_classes()?;
    let ybar = counts.rate();
    Ok(1.0 - brier_unchecked(p, y) / (ybar * (1.0 - ybar)))
}

/// Smallest distance from 0 and 1 used by [`log_loss`]: machine epsilon, as scikit-learn's
/// `log_loss` (>= 1.5, `eps = "auto"`) clips.
pub const LOG_LOSS_EPS: f64 = f64::EPSILON;

/// Log loss (cross-entropy) in nats per observation: `-mean(y ln p + (1 - y) ln(1 - p))`,
/// lower is better. Predictions are clipped to `[LOG_LOSS_EPS, 1 - LOG_LOSS_EPS]` so a
/// confident wrong prediction of exactly 0 or 1 costs about 36 nats instead of infinity.
///
/// # Errors
/// Malformed pairs.
pub fn log_loss(p: &[f64], y: &[f64]) -> Result<f64, MetricsError> {
    check_pairs(p, y)?;
    Ok(log_loss_unchecked(p, y))
}

pub(crate) fn log_loss_unchecked(p: &[f64], y: &[f64]) -> f64 {
    let total: f64 = p
        .iter()
        .zip(y)
        .map(|(&pi, &yi)| {
            // y is 0 or 1 (checked): the one log its term needs.
            let pc = pi.clamp(LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS);
            if yi == 1.0 {
                pc.ln()
            } else {
                (1.0 - pc).ln()
            }
        })
        .sum();
    -total / p.len() as f64
}

/// Likelihood-ratio pieces of the "model" that uses `p` as given (intercept 0, slope 1 on
/// logit(p)) on observations with 0 < p < 1, as `rms::lrm.fit(logit, y, initial = c(0, 1),
/// maxit = 1)` computes them inside val.prob.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct FixedFit {
    /// Observations used (predictions strictly inside (0, 1)).
    pub n: usize,
    /// -2 log-likelihood of the intercept-only model.
    pub null_deviance: f64,
    /// -2 log-likelihood of the predictions as given.
    pub deviance: f64,
}

impl FixedFit {
    /// Likelihood-ratio chi-square `null_deviance - deviance` (negative if the predictions are
    /// worse than the event rate).
    pub fn lr(&self) -> f64 {
        self.null_deviance - self.deviance
    }

    /// Nagelkerke R2: `(1 - exp(-LR / n)) / (1 - exp(-L0 / n))`.
    pub fn r2(&self) -> f64 {
        let n = self.n as f64;
        (1.0 - (-self.lr() / n).exp()) / (1.0 - (-self.null_deviance / n).exp())
    }
}

/// Computes [`FixedFit`] on checked pairs: the rms Fortran clamps the logit to [-30, 30]
/// before taking the logistic, and skips predictions of exactly 0 or 1.
pub(crate) fn fixed_fit(p: &[f64], y: &[f64]) -> FixedFit {
    let mut n = 0usize;
    let mut events = 0usize;
    let mut loglik = 0.0;
    for (&pi, &yi) in p.iter().zip(y) {
        if pi <= 0.0 || pi >= 1.0 {
            continue;
        }
        n += 1;
        let logit = (pi / (1.0 - pi)).ln();
        let cp = 1.0 / (1.0 + (-logit.clamp(-30.0, 30.0)).exp());
        if yi == 1.0 {
            events += 1;
            loglik += cp.ln();
        } else {
            loglik += (1.0 - cp).ln();
        }
    }
    let nf = n as f64;
    let null_deviance = -2.0
        * [events as f64, (n - events) as f64]
            .iter()
            .filter(|&&k| k > 0.0)
            .map(|&k| k * (k / nf).ln())
            .sum::<f64>();
    FixedFit {
        n,
        null_deviance,
        deviance: -2.0 * loglik,
    }
}

/// Nagelkerke's R2 of the predictions taken as they are (no refitting), exactly as
/// `rms::val.prob` "R2": the likelihood ratio of `p` against the event rate, rescaled so that
/// a perfect model has 1. At most 1; 0 means no better than the event rate; negative means
/// worse. Predictions of exactly 0 or 1 are left out (their logit is infinite), as val.prob
/// does.
///
/// # Errors
/// Malformed pairs; a single outcome class; or too few predictions strictly inside (0, 1).
pub fn r2_nagelkerke(p: &[f64], y: &[f64]) -> Result<f64, MetricsError> {
    let counts = check_pairs(p, y)?.require_both_classes()?;
    let fit = fixed_fit(p, y);
    let interior_events = p
        .iter()
        .zip(y)
        .filter(|(&pi, &yi)| pi > 0.0 && pi < 1.0 && yi == 1.0)
        .count();
    if interior_events == 0 || interior_events == fit.n {
        return Err(MetricsError::DegenerateAfterExclusion {
            n: counts.n,
            excluded: counts.n - fit.n,
            remaining: fit.n,
            events: interior_events,
        });
    }
    Ok(fit.r2())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_predictions_have_zero_brier_and_unit_scaled_brier() {
        let y = [0.0, 1.0, 1.0, 0.0];
        assert_eq!(brier(&y, &y), Ok(0.0));
        assert_eq!(scaled_brier(&y, &y), Ok(1.0));
    }

    #[test]
    fn predicting_the_event_rate_has_zero_scaled_brier_and_r2() {
        let y = [0.0, 1.0, 1.0, 0.0, 0.0];
        let p = [0.4; 5];
        assert!(scaled_brier(&p, &y).expect("sb").abs() < 1e-15);
        assert!(r2_nagelkerke(&p, &y).expect("r2").abs() < 1e-15);
    }

    #[test]
    fn log_loss_of_half_is_ln2() {
        let y = [0.0, 1.0, 1.0];
        let l = log_loss(&[0.5; 3], &y).expect("ll");
        assert!((l - std::f64::consts::LN_2).abs() < 1e-15);
    }

    #[test]
    fn log_loss_is_finite_for_confident_mistakes() {
        let l = log_loss(&[0.0, 1.0], &[1.0, 0.0]).expect("ll");
        assert!(l.is_finite() && l > 30.0);
    }
}
