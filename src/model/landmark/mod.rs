//! The dynamic model: landmark data sets from cohort + visits files and the landmark
//! super-model fitted on them (van Houwelingen 2007; DESIGN.md section 5).

pub mod fit;
pub mod score;
pub mod stack;

pub use fit::{fit_dynamic, DynamicFit, DynamicSpec};
pub use score::{score_visits, VisitScores};
pub use stack::{rows_at, stack, visit_points, FollowUp, LandmarkOptions, Stacked};
