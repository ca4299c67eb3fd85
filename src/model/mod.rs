//! Models: logistic regression engine and model files.

pub mod anova;
pub mod cox;
pub mod family;
pub mod fit;
pub mod landmark;
pub mod logistic;
pub mod persist;
