//! Model families and the one place where a linear predictor becomes a risk.
//!
//! A [`Model`](crate::model::fit::Model) has one design (terms, knots, levels) and a
//! [`Family`]: logistic (risk = expit(lp)), Cox (risk by a horizon `H` =
//! `1 - exp(-H0(H) exp(lp))`, `H0` the stored baseline of the row's stratum) or landmark (a
//! logistic super-model on stacked landmark rows, see [`crate::model::landmark`]). Scoring,
//! validation, comparison and export ask the family's [`RiskMap`] for risks instead of testing
//! which family they hold.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::cox::CoxSpec;

/// The family of a model, `model.json` `family` (format version 3; older files load as
/// logistic, or landmark when they have a `dynamic` section).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "family", rename_all = "lowercase")]
pub enum Family {
    /// Logistic regression on a 0/1 outcome.
    Logistic,
    /// Cox proportional hazards on a `Surv(time, event)` outcome, with its baseline.
    Cox(CoxSpec),
    /// Landmark super-model (logistic on stacked landmark rows).
    Landmark,
}

impl Family {
    /// The family's name as `model.json` writes it.
    pub fn name(&self) -> &'static str {
        match self {
            Family::Logistic => "logistic",
            Family::Cox(_) => "cox",
            Family::Landmark => "landmark",
        }
    }

    /// Whether the model has an intercept (logistic and landmark) or not (Cox).
    pub fn has_intercept(&self) -> bool {
        !matches!(self, Family::Cox(_))
    }

    /// The Cox part, if this is a Cox model.
    pub fn cox(&self) -> Option<&CoxSpec> {
        match self {
            Family::Cox(c) => Some(c),
            _ => None,
        }
    }
}

/// Most horizons one `--horizon` list may hold.
pub const MAX_HORIZONS: usize = 100;

/// How a linear predictor becomes risks: one value per output column.
#[derive(Debug, Clone, PartialEq)]
pub enum RiskMap {
    /// `expit(lp)`, one column `predicted`.
    Logistic,
    /// Risk by each horizon, `1 - exp(-H0_s(h) exp(lp))`.
    Survival {
        /// The horizons, in the order given.
        horizons: Vec<f64>,
        /// `cumhaz[s][k]`: the baseline cumulative hazard of stratum `s` at horizon `k`.
        cumhaz: Vec<Vec<f64>>,
    },
}

impl RiskMap {
    /// Output columns after `linear_predictor`: `predicted` for one risk, `risk_<h>` for
    /// several horizons.
    pub fn columns(&self) -> Vec<String> {
        match self {
            RiskMap::Survival { horizons, .. } if horizons.len() > 1 => horizons
                .iter()
                .map(|h| format!("risk_{}", crate::design::format_level(*h)))
                .collect(),
            _ => vec!["predicted".to_string()],
        }
    }

    /// Number of risks per row.
    pub fn n_outputs(&self) -> usize {
        match self {
            RiskMap::Logistic => 1,
            RiskMap::Survival { horizons, .. } => horizons.len(),
        }
    }

    /// Risk `k` of a row with linear predictor `lp` in stratum `stratum` (0 without strata).
    #[inline]
    pub fn risk(&self, lp: f64, k: usize, stratum: usize) -> f64 {
        match self {
            RiskMap::Logistic => crate::stats::expit(lp),
            RiskMap::Survival { cumhaz, .. } => survival_risk(cumhaz[stratum][k], lp),
        }
    }
}

/// Risk by a horizon from the baseline cumulative hazard there and a linear predictor:
/// `1 - exp(-H0 exp(lp))`, computed as `-expm1(-H0 exp(lp))` (exact for small risks).
#[inline]
pub fn survival_risk(cumhaz: f64, lp: f64) -> f64 {
    -(-cumhaz * lp.exp()).exp_m1()
}

/// Parse a `--horizon` list (`24` or `12,24,60`): at most [`MAX_HORIZONS`] finite positive
/// numbers, no repeats.
///
/// # Errors
/// [`Error::Usage`] naming the bad entry.
pub fn parse_horizons(text: &str) -> Result<Vec<f64>> {
    let mut out: Vec<f64> = Vec::new();
    for part in text.split(',') {
        let p = part.trim();
        let h: f64 = crate::table::parse_number(p).ok_or_else(|| {
            Error::Usage(format!(
                "--horizon {text}: '{p}' is not a number; give one or more times in the unit of the time column, e.g. --horizon 24 or --horizon 12,24,60"
            ))
        })?;
        if !(h.is_finite() && h > 0.0) {
            return Err(Error::Usage(format!(
                "--horizon {text}: {p} is not a time after 0"
            )));
        }
        if out.contains(&h) {
            return Err(Error::Usage(format!(
                "--horizon {text}: {p} is given twice"
            )));
        }
        out.push(h);
        if out.len() > MAX_HORIZONS {
            return Err(Error::Usage(format!(
                "--horizon: at most {MAX_HORIZONS} horizons"
            )));
        }
    }
    Ok(out)
}
