//! The dynamic model: landmark data sets from cohort + visits files and the landmark
//! super-model fitted on them (van Houwelingen 2007; DESIGN.md section 5).

pub mod fit;
pub mod score;
pub mod stack;

pub use fit::{fit_dynamic, DynamicFit, DynamicSpec};
pub use score::{score_visits, VisitScores};
pub use stack::{rows_at, stack, visit_points, FollowUp, LandmarkOptions, Stacked};

/// The dynamic model of `mbdrisk demo` (and of the issue 6 acceptance tests), over landmarks
/// 0..24: current CTX-I, its rise over the nadir and since the previous measurement, the nadir
/// itself, MRD and its conversion, ctDNA, PET/CT, the agent (the denosumab rebound), and the
/// baseline cytogenetic risk and ISS stage. ctDNA and PET are `addNA()` terms: a result older
/// than 12 months (or none) is a level of its own, so such visits are still scored (ctDNA is
/// missing at the decision point for about a third of the patients). MRD is not: its missing
/// level would hold about 1% of the rows and very few events, too few to estimate (bootstrap
/// refits then fail on separation), so those rows are left out. The markers also interact
/// with the landmark time (effects that change with time since stopping).
pub const DEMO_FORMULA: &str = "Surv(time_months, event) ~ rcs(landmark, 3) + \
    log(ctx_ng_ml) + ctx_above_lsc + mrd + mrd_conversion + addNA(ctdna) + addNA(pet) + \
    agent + cyto_risk + iss_stage + log(ctx_nadir_ng_ml) + ctx_rise_lsc + \
    log(ctx_ng_ml):landmark + ctx_above_lsc:landmark + mrd:landmark + \
    mrd_conversion:landmark + addNA(ctdna):landmark + addNA(pet):landmark + agent:landmark";
