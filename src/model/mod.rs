//! Models: logistic regression engine and model files.

pub mod fit;
pub mod logistic;
pub mod persist;
