//! Internal and external validation: the resampling engine and what it measures.

pub mod resample;

pub use resample::{bootstrap_optimism, cross_validate, CrossValidated, CvPlan, Optimism};
