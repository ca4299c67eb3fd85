//! Internal and external validation: the resampling engine and what it measures.

pub mod model;
pub mod resample;

pub use model::{validate_model, validate_score, Validation, ValidateOptions};
pub use resample::{bootstrap_optimism, cross_validate, CrossValidated, CvPlan, Optimism};
