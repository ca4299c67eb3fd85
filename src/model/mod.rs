//! Models: one `Model` with a family (logistic, Cox, landmark; `family.rs` turns a linear
//! predictor into a risk), the logistic engine, the Cox pipeline, the landmark super-model
//! and model files.

pub mod anova;
pub mod cox;
pub mod family;
pub mod fit;
pub mod landmark;
pub mod logistic;
pub mod persist;
