//! The fitted model and its Wald inference.

use serde::{Deserialize, Serialize};

use super::params::Penalty;

/// A fitted logistic regression. Coefficients are on the original scale of the design columns,
/// intercept first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogisticFit {
    /// Intercept, then one coefficient (log odds ratio per unit) per design column.
    pub coefficients: Vec<f64>,
    /// Covariance of the coefficients (same order), rows of a symmetric matrix:
    /// * no penalty: inverse information `(X'WX)^-1` at the estimate (as glm, rms::lrm);
    /// * ridge: inverse *penalised* information `(X'WX + P)^-1` (rms `var.penalty = "simple"`,
    ///   the default of `rms::lrm`);
    /// * Firth: inverse Fisher information `(X'WX)^-1` at the Firth estimate (as logistf and
    ///   brglm2 report).
    pub covariance: Vec<Vec<f64>>,
    /// Square roots of the covariance diagonal.
    pub std_errors: Vec<f64>,
    /// Unpenalised log-likelihood at the estimate, `sum w (y log p + (1-y) log(1-p))`.
    pub log_likelihood: f64,
    /// The maximised objective: `log_likelihood` minus the ridge penalty, or plus
    /// `1/2 log det I` for Firth; equal to `log_likelihood` without penalty.
    pub penalized_log_likelihood: f64,
    /// Log-likelihood of the intercept-only maximum-likelihood fit.
    pub null_log_likelihood: f64,
    /// Likelihood-ratio chi-square `2 (log_likelihood - null_log_likelihood)`, on unpenalised
    /// log-likelihoods for every penalty (rms "Model L.R."; logistf's penalised LR test differs).
    pub lr_chi2: f64,
    /// Degrees of freedom of `lr_chi2`: the number of design columns.
    pub df: usize,
    /// Newton / Fisher-scoring steps taken.
    pub iterations: usize,
    /// Whether the convergence criteria were met (always true for a returned fit: failure to
    /// converge is [`FitError::NotConverged`](super::FitError::NotConverged)); kept for model files.
    pub converged: bool,
    /// Rows in the design (including rows of zero weight).
    pub n: usize,
    /// Weighted number of events, `sum w y`.
    pub events: f64,
    /// The penalty used.
    pub penalty: Penalty,
}

impl LogisticFit {
    /// Wald statistics `b / se`.
    pub fn z(&self) -> Vec<f64> {
        self.coefficients
            .iter()
            .zip(&self.std_errors)
            .map(|(b, s)| b / s)
            .collect()
    }

    /// Two-sided Wald p-values `2 (1 - Phi(|z|))`, computed as `erfc(|z| / sqrt 2)` so tiny
    /// values keep their precision.
    pub fn p_values(&self) -> Vec<f64> {
        self.z()
            .iter()
            .map(|&z| crate::stats::two_sided_p(z))
            .collect()
    }

    /// Wald confidence intervals `b -+ z_{(1+level)/2} se` on the log-odds scale; `level` in
    /// (0, 1), e.g. 0.95. Returns NaN bounds for a level outside (0, 1).
    pub fn wald_ci(&self, level: f64) -> Vec<(f64, f64)> {
        let zq = if level > 0.0 && level < 1.0 {
            crate::stats::normal_quantile(0.5 + level / 2.0)
        } else {
            f64::NAN
        };
        self.coefficients
            .iter()
            .zip(&self.std_errors)
            .map(|(b, s)| (b - zq * s, b + zq * s))
            .collect()
    }

    /// Odds ratios `exp(b)` (the intercept's entry is the baseline odds).
    pub fn odds_ratios(&self) -> Vec<f64> {
        self.coefficients.iter().map(|b| b.exp()).collect()
    }

    /// Confidence intervals of the odds ratios: the Wald intervals exponentiated.
    pub fn odds_ratio_ci(&self, level: f64) -> Vec<(f64, f64)> {
        self.wald_ci(level)
            .into_iter()
            .map(|(lo, hi)| (lo.exp(), hi.exp()))
            .collect()
    }

    /// Linear predictor `b0 + x'b` of one row of design values.
    pub fn linear_predictor(&self, row: &[f64]) -> f64 {
        self.coefficients[0]
            + self.coefficients[1..]
                .iter()
                .zip(row)
                .map(|(b, x)| b * x)
                .sum::<f64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> LogisticFit {
        LogisticFit {
            coefficients: vec![-1.0, 0.5],
            covariance: vec![vec![0.04, 0.0], vec![0.0, 0.01]],
            std_errors: vec![0.2, 0.1],
            log_likelihood: -10.0,
            penalized_log_likelihood: -10.0,
            null_log_likelihood: -12.0,
            lr_chi2: 4.0,
            df: 1,
            iterations: 4,
            converged: true,
            n: 20,
            events: 5.0,
            penalty: Penalty::None,
        }
    }

    #[test]
    fn wald_inference_matches_r() {
        let f = toy();
        assert_eq!(f.z(), vec![-5.0, 5.0]);
        // R: 2 * pnorm(-5) = 5.733031437583878e-07
        let p = f.p_values();
        // statrs erfc is accurate to ~1e-11 relative in this range.
        assert!(
            (p[1] / 5.733031437583878e-07 - 1.0).abs() < 1e-9,
            "{}",
            p[1]
        );
        // R: qnorm(0.975) = 1.959963984540054
        let ci = f.wald_ci(0.95);
        assert!((ci[1].0 - (0.5 - 0.1959963984540054)).abs() < 1e-12);
        assert!((f.odds_ratio_ci(0.95)[1].1 - (0.5f64 + 0.1959963984540054).exp()).abs() < 1e-12);
        assert!(f.wald_ci(1.5)[0].0.is_nan());
    }
}
