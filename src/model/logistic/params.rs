//! Fit settings: the penalty policy and the options checked once before fitting.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::error::FitError;

/// Penalty policy of a logistic fit.
///
/// Written and parsed as `none`, `ridge=<lambda>` (e.g. `ridge=0.5`) or `firth`; model files
/// store that string.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Penalty {
    /// Plain maximum likelihood (as `glm`, `rms::lrm`).
    #[default]
    None,
    /// Ridge: maximise `loglik - lambda/2 * sum_j (sd_j * beta_j)^2`, with `sd_j` the (weighted)
    /// population standard deviation of column `j`, i.e. an L2 penalty on the coefficients of
    /// standardised columns; the intercept is not penalised. Equals scikit-learn
    /// `LogisticRegression(C = 1/lambda)` on `StandardScaler` columns, glmnet with `alpha = 0`,
    /// `lambda = lambda / sum(w)`, and `rms::lrm.fit` with
    /// `penalty.matrix = lambda * diag(sd^2)`. `lambda >= 0` (0 is plain ML).
    Ridge(f64),
    /// Firth's bias-reduced estimate: maximise `loglik + 1/2 log det I(beta)` (Jeffreys prior),
    /// as `logistf` and `brglm2` (`type = "AS_mean"`). Finite under separation.
    Firth,
}

impl fmt::Display for Penalty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Penalty::None => write!(f, "none"),
            Penalty::Ridge(l) => write!(f, "ridge={l}"),
            Penalty::Firth => write!(f, "firth"),
        }
    }
}

impl FromStr for Penalty {
    type Err = FitError;

    /// Parse `none`, `firth` or `ridge=<lambda>` (case-insensitive, spaces around `=` allowed).
    fn from_str(s: &str) -> Result<Penalty, FitError> {
        let t = s.trim().to_ascii_lowercase();
        let bad = || {
            FitError::BadInput(format!(
                "penalty '{s}' not understood: expected 'none', 'firth' or 'ridge=<lambda>' \
                 with lambda >= 0, e.g. 'ridge=0.5'"
            ))
        };
        match t.as_str() {
            "none" => Ok(Penalty::None),
            "firth" => Ok(Penalty::Firth),
            _ => {
                let (name, value) = t.split_once('=').ok_or_else(bad)?;
                if name.trim() != "ridge" {
                    return Err(bad());
                }
                let lambda: f64 = value.trim().parse().map_err(|_| bad())?;
                if !(lambda.is_finite() && lambda >= 0.0) {
                    return Err(bad());
                }
                Ok(Penalty::Ridge(lambda))
            }
        }
    }
}

impl TryFrom<String> for Penalty {
    type Error = FitError;
    fn try_from(s: String) -> Result<Penalty, FitError> {
        s.parse()
    }
}

impl From<Penalty> for String {
    fn from(p: Penalty) -> String {
        p.to_string()
    }
}

/// Settings of [`fit_logistic`](super::fit_logistic). Build with [`FitOptions::new`] (or
/// `Default`) and the setters; [`FitOptions::validate`] is called once by the fit.
#[derive(Debug, Clone, PartialEq)]
pub struct FitOptions {
    /// Penalty policy. Default [`Penalty::None`].
    pub penalty: Penalty,
    /// Maximum number of Newton (or, for Firth, Fisher-scoring) steps. Default 50.
    pub max_iter: usize,
    /// Convergence tolerance. Default `1e-8`. A fit has converged when, after a step, the
    /// relative change in (penalised) deviance `|D_k - D_k-1| / (|D_k| + 0.1)` is `<= tol`
    /// (glm's rule) *and* the largest coefficient change `max_j |db_j| / (1 + |b_j|)` is
    /// `<= sqrt(tol)` (Newton converges quadratically, so the estimate is then within about
    /// `tol` of the optimum) or, for Firth (linear convergence), `<= tol`.
    pub tol: f64,
    /// Observation weights (frequency or probability weights, as `glm(weights = )`): finite and
    /// `>= 0`, one per row. Default `None` (all 1).
    pub weights: Option<Vec<f64>>,
    /// Unit conversions of input columns, applied by the design before its transforms and
    /// recorded in the model (see [`crate::design::learn_on_rows_in_units`]). Default none.
    pub units: std::collections::BTreeMap<String, f64>,
}

impl Default for FitOptions {
    fn default() -> FitOptions {
        FitOptions {
            penalty: Penalty::None,
            max_iter: 50,
            tol: 1e-8,
            weights: None,
            units: std::collections::BTreeMap::new(),
        }
    }
}

impl FitOptions {
    /// The defaults: no penalty, `max_iter = 50`, `tol = 1e-8`, no weights.
    pub fn new() -> FitOptions {
        FitOptions::default()
    }

    /// Set the penalty (default [`Penalty::None`]).
    pub fn penalty(mut self, penalty: Penalty) -> FitOptions {
        self.penalty = penalty;
        self
    }

    /// Set the maximum number of iterations (default 50; at least 1).
    pub fn max_iter(mut self, max_iter: usize) -> FitOptions {
        self.max_iter = max_iter;
        self
    }

    /// Set the convergence tolerance (default `1e-8`; in `(0, 0.1]`).
    pub fn tol(mut self, tol: f64) -> FitOptions {
        self.tol = tol;
        self
    }

    /// Set observation weights (default: none, i.e. all 1).
    pub fn weights(mut self, weights: Vec<f64>) -> FitOptions {
        self.weights = Some(weights);
        self
    }

    /// Check the settings against a design with `n_rows` rows.
    ///
    /// # Errors
    /// [`FitError::BadInput`] naming the offending setting: `max_iter = 0`, `tol` outside
    /// `(0, 0.1]`, a negative or non-finite ridge lambda, weights of the wrong length, negative
    /// or non-finite weights, or weights that are all zero.
    pub fn validate(&self, n_rows: usize) -> Result<(), FitError> {
        if self.max_iter == 0 {
            return Err(FitError::BadInput(
                "max_iter must be at least 1".to_string(),
            ));
        }
        if !(self.tol > 0.0 && self.tol <= 0.1) {
            return Err(FitError::BadInput(format!(
                "tol = {} must be in (0, 0.1]; the default is 1e-8",
                self.tol
            )));
        }
        if let Penalty::Ridge(l) = self.penalty {
            if !(l.is_finite() && l >= 0.0) {
                return Err(FitError::BadInput(format!(
                    "ridge lambda = {l} must be finite and >= 0"
                )));
            }
        }
        if let Some(w) = &self.weights {
            if w.len() != n_rows {
                return Err(FitError::BadInput(format!(
                    "{} weights given for {n_rows} rows: give one weight per row",
                    w.len()
                )));
            }
            if let Some((i, v)) = w
                .iter()
                .enumerate()
                .find(|(_, v)| !(v.is_finite() && **v >= 0.0))
            {
                return Err(FitError::BadInput(format!(
                    "weight of row {} is {v}: weights must be finite and >= 0",
                    i + 1
                )));
            }
            if !w.iter().any(|&v| v > 0.0) {
                return Err(FitError::BadInput(
                    "all weights are zero: no row would contribute to the fit".to_string(),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn penalty_round_trips_through_text() {
        for p in [
            Penalty::None,
            Penalty::Firth,
            Penalty::Ridge(0.5),
            Penalty::Ridge(12.0),
        ] {
            assert_eq!(p.to_string().parse::<Penalty>().unwrap(), p);
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(serde_json::from_str::<Penalty>(&json).unwrap(), p);
        }
        assert_eq!("ridge=0.5".parse::<Penalty>().unwrap(), Penalty::Ridge(0.5));
        assert_eq!(
            " Ridge = 2 ".parse::<Penalty>().unwrap(),
            Penalty::Ridge(2.0)
        );
        assert_eq!(
            serde_json::to_string(&Penalty::Ridge(0.5)).unwrap(),
            "\"ridge=0.5\""
        );
    }

    #[test]
    fn rejects_bad_penalty_text() {
        for s in [
            "lasso",
            "ridge",
            "ridge=-1",
            "ridge=abc",
            "ridge=inf",
            "firth=1",
        ] {
            assert!(
                matches!(s.parse::<Penalty>(), Err(FitError::BadInput(_))),
                "{s}"
            );
        }
    }

    #[test]
    fn rejects_bad_options() {
        assert!(FitOptions::new().max_iter(0).validate(3).is_err());
        assert!(FitOptions::new().tol(0.0).validate(3).is_err());
        assert!(FitOptions::new()
            .penalty(Penalty::Ridge(f64::NAN))
            .validate(3)
            .is_err());
        assert!(FitOptions::new().weights(vec![1.0; 2]).validate(3).is_err());
        assert!(FitOptions::new()
            .weights(vec![1.0, -1.0, 1.0])
            .validate(3)
            .is_err());
        assert!(FitOptions::new().weights(vec![0.0; 3]).validate(3).is_err());
        assert!(FitOptions::new()
            .weights(vec![0.0, 2.0, 1.0])
            .validate(3)
            .is_ok());
    }
}
