//! Survival analysis: Kaplan-Meier curves (also of the censoring distribution, for median
//! follow-up and IPCW weights), the Cox proportional-hazards engine (Efron or Breslow ties,
//! case weights, strata, ridge, baseline hazard) and Harrell's concordance. They follow the
//! conventions of R's `survival` package (`survfit`, `coxph`, `basehaz`, `concordance`) so
//! numbers can be cross-checked against it (golden values in `tests/golden/survival/` and
//! `tests/golden/cox/`).

pub mod concordance;
pub mod cox;
pub mod km;

pub use cox::{CoxError, CoxFit, CoxOptions};
pub use km::{reverse_km, KaplanMeier, KmError};
