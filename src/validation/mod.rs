//! Internal and external validation: the resampling engine and what it measures.

pub mod calibrate;
pub mod censored;
pub mod cox;
pub mod dynamic;
pub mod model;
pub mod resample;

pub use model::{validate_model, validate_score, Refitter, ValidateOptions, Validation};
pub use resample::{
    bootstrap_optimism, cross_validate, optimism_from_indices, CrossValidated, CvPlan, Optimism,
};
