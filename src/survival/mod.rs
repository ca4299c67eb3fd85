//! Small survival-analysis toolkit: Kaplan-Meier curves (also of the censoring distribution,
//! for median follow-up and IPCW weights) and Cox proportional-hazards regression with Efron
//! ties. Both follow the conventions of R's `survival` package (`survfit`, `coxph`) so numbers
//! can be cross-checked against it (golden values in `tests/golden/survival/`).

pub mod concordance;
pub mod cox;
pub mod km;

pub use cox::{CoxError, CoxFit, CoxOptions};
pub use km::{reverse_km, KaplanMeier, KmError};
