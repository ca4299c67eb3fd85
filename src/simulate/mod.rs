//! Literature-grounded simulator of a bone-protection discontinuation cohort in multiple
//! myeloma.
//!
//! Every simulated patient stops bone protection (zoledronic acid, pamidronate or denosumab)
//! at month 0, the decision point. The simulator writes the three files of the data contract
//! (DESIGN.md section 2): `cohort.csv` (one row per patient at the decision point, with the
//! observed bone-event outcome), `visits.csv` (follow-up visits every 3 months while
//! event-free and under follow-up) and `truth.csv` (each patient's *true* conditional event
//! risks, for oracle comparisons).
//!
//! Mechanism (CLINICAL.md, "Suggested simulator structure"; every number is a parameter in
//! `data/simulator_params.toml`): a latent log10 tumour burden L(t) (set by the depth of
//! response, growing after a relapse onset whose hazard depends on L0, cytogenetics, ISS and
//! focal lesions) drives MRD, ctDNA, PET and part of CTX-I; an agent-specific drug-effect
//! curve (slow bisphosphonate fading, or denosumab suppression then rebound) drives CTX-I and
//! P1NP; bone events (SRE or new lytic disease) arise from a hazard that rises with L, with
//! resorption as the drug effect wears off (the denosumab rebound adds risk), with a prior
//! SRE and with shorter prior protection. Censoring is independent (administrative end of
//! study plus dropout).
//!
//! Hazards are piecewise constant on a fine grid (`grid.dt_months`), so the true risks in
//! `truth.csv` are computed *exactly* for the simulated mechanism by summing over the
//! relapse-onset cell (no Monte Carlo error).
//!
//! Determinism: each patient draws from its own ChaCha8 streams derived from `(seed, patient
//! index)`, so the output is identical for a seed whatever the number of rayon threads.
//!
//! ```
//! use mbdrisk::simulate::{simulate, SimParams};
//! let out = simulate(20, 1, &SimParams::defaults()).unwrap();
//! assert_eq!(out.cohort.len(), 20);
//! assert_eq!(out.cohort[0].patient_id, "MM00001");
//! ```

pub mod demo;
mod engine;
mod params;
mod write;

use std::path::PathBuf;

use rayon::prelude::*;
use thiserror::Error;

pub use params::{
    BaselineMissingParams, BisphosphonateCurve, BisphosphonateParams, CensoringParams, CtdnaParams,
    CtxParams, DenosumabParams, EventParams, GridParams, MrdParams, P1npParams, PetParams,
    PopulationParams, SimParams, TumourParams, VisitParams, DEFAULT_PARAMS_TOML,
};
pub use write::{write_csvs, COHORT_COLUMNS, TRUTH_COLUMNS, VISIT_COLUMNS};

/// Errors of the simulator: bad parameters (named by their dotted key) or I/O.
#[derive(Debug, Error)]
pub enum SimError {
    /// The parameter file is not valid TOML, or a value has the wrong type.
    #[error("invalid simulator parameter file: {0}")]
    ParamsSyntax(String),
    /// A key in the user's parameter file does not exist in the defaults.
    #[error("unknown simulator parameter `{key}` (see data/simulator_params.toml for the keys)")]
    UnknownParam {
        /// Dotted path of the key, e.g. `events.focal_hazard`.
        key: String,
    },
    /// A parameter value is outside its allowed range.
    #[error("simulator parameter `{key}` {reason}")]
    InvalidParam {
        /// Dotted path of the key.
        key: String,
        /// What is expected.
        reason: String,
    },
    /// Zero patients requested.
    #[error("the number of patients must be at least 1")]
    NoPatients,
    /// More patients than [`crate::limits::MAX_SIM_PATIENTS`].
    #[error("--patients {0}: at most {max} (an upper bound that protects memory; see docs/limits.md)", max = crate::limits::MAX_SIM_PATIENTS)]
    TooManyPatients(usize),
    /// Writing an output file failed.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// Sex (`F` / `M` in the files).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Sex {
    F,
    M,
}

/// ISS stage at diagnosis (`I` / `II` / `III`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[allow(missing_docs)]
pub enum IssStage {
    I,
    II,
    III,
}

/// Cytogenetic risk (`standard` / `high`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum CytoRisk {
    Standard,
    High,
}

/// Bone-protection agent stopped at month 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Agent {
    ZoledronicAcid,
    Pamidronate,
    Denosumab,
}

/// Best response at the decision point (IMWG), deepest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[allow(missing_docs)]
pub enum Response {
    SCr,
    Cr,
    Vgpr,
    Pr,
    Sd,
}

impl Sex {
    /// Label used in the CSV files.
    pub fn label(self) -> &'static str {
        match self {
            Sex::F => "F",
            Sex::M => "M",
        }
    }
}

impl IssStage {
    /// Label used in the CSV files.
    pub fn label(self) -> &'static str {
        match self {
            IssStage::I => "I",
            IssStage::II => "II",
            IssStage::III => "III",
        }
    }
}

impl CytoRisk {
    /// Label used in the CSV files.
    pub fn label(self) -> &'static str {
        match self {
            CytoRisk::Standard => "standard",
            CytoRisk::High => "high",
        }
    }
}

impl Agent {
    /// Label used in the CSV files.
    pub fn label(self) -> &'static str {
        match self {
            Agent::ZoledronicAcid => "zoledronic_acid",
            Agent::Pamidronate => "pamidronate",
            Agent::Denosumab => "denosumab",
        }
    }
}

impl Response {
    /// Label used in the CSV files.
    pub fn label(self) -> &'static str {
        match self {
            Response::SCr => "sCR",
            Response::Cr => "CR",
            Response::Vgpr => "VGPR",
            Response::Pr => "PR",
            Response::Sd => "SD",
        }
    }

    /// VGPR or better (the response part of the 2-year rule).
    pub fn is_vgpr_or_better(self) -> bool {
        self <= Response::Vgpr
    }
}

/// One patient at the decision point: a row of `cohort.csv`. Numbers are stored rounded
/// exactly as written (age whole years, eGFR 0.1, CTX 0.001 ng/mL, P1NP 0.1 ng/mL, time
/// 0.01 months). `None` is an empty cell (not measured).
#[derive(Debug, Clone, PartialEq)]
pub struct PatientRow {
    /// `MM00001`, `MM00002`, ... in simulation order.
    pub patient_id: String,
    /// Age at the decision point, years.
    pub age: u32,
    /// Sex.
    pub sex: Sex,
    /// eGFR, mL/min/1.73 m2.
    pub egfr: f64,
    /// ISS stage at diagnosis.
    pub iss_stage: IssStage,
    /// Cytogenetic risk.
    pub cyto_risk: CytoRisk,
    /// Bone agent stopped at month 0.
    pub agent: Agent,
    /// Months of bone protection before stopping.
    pub bpa_months: u32,
    /// Best response.
    pub response: Response,
    /// Skeletal-related event before the decision point.
    pub prior_sre: bool,
    /// CTX-I at the decision point, ng/mL.
    pub ctx_ng_ml: Option<f64>,
    /// P1NP at the decision point, ng/mL.
    pub p1np_ng_ml: Option<f64>,
    /// Marrow MRD at 1e-5: `Some(true)` = positive.
    pub mrd_positive: Option<bool>,
    /// ctDNA: `Some(true)` = detected.
    pub ctdna_detected: Option<bool>,
    /// PET/CT: `Some(true)` = non-CMR (Deauville > 3).
    pub pet_non_cmr: Option<bool>,
    /// Months from the decision point to the bone event or censoring.
    pub time_months: f64,
    /// Bone event (SRE or new/progressive lytic disease) observed at `time_months`.
    pub event: bool,
    /// Event within 24 months; `None` when censored before 24 months without an event.
    pub event_24m: Option<bool>,
}

/// One follow-up visit: a row of `visits.csv` (same units and rounding as [`PatientRow`]).
#[derive(Debug, Clone, PartialEq)]
pub struct VisitRow {
    /// Patient identifier.
    pub patient_id: String,
    /// Months after the decision point (a multiple of `visits.interval_months`).
    pub month: u32,
    /// CTX-I, ng/mL.
    pub ctx_ng_ml: Option<f64>,
    /// P1NP, ng/mL.
    pub p1np_ng_ml: Option<f64>,
    /// MRD positive (measured every `visits.molecular_interval_months`).
    pub mrd_positive: Option<bool>,
    /// ctDNA detected (measured every `visits.molecular_interval_months`).
    pub ctdna_detected: Option<bool>,
    /// PET/CT non-CMR (yearly or when triggered).
    pub pet_non_cmr: Option<bool>,
}

/// True risks of one patient at one month: a row of `truth.csv`.
///
/// Rows exist for month 0 and for every *scheduled* visit month at which the patient is
/// still event-free and under follow-up, including visits that were missed (so every row
/// of `visits.csv` has a truth row, but not the reverse).
#[derive(Debug, Clone, PartialEq)]
pub struct TruthRow {
    /// Patient identifier.
    pub patient_id: String,
    /// Month (0 = decision point).
    pub month: u32,
    /// At month 0 only: P(bone event in (0, 24] months | latent state at 0).
    pub true_risk_24m: Option<f64>,
    /// P(bone event in (s, s + 6] | event-free at s, latent state at s), s = `month`.
    pub true_risk_next_6m: f64,
}

/// The three tables of a simulated cohort.
#[derive(Debug, Clone, PartialEq)]
pub struct SimOutput {
    /// `cohort.csv` rows, in patient order.
    pub cohort: Vec<PatientRow>,
    /// `visits.csv` rows, sorted by patient then month.
    pub visits: Vec<VisitRow>,
    /// `truth.csv` rows, sorted by patient then month.
    pub truth: Vec<TruthRow>,
}

/// Simulate a discontinuation cohort of `n_patients` with the given seed and parameters.
///
/// Patients are generated in parallel (rayon) from per-patient random streams, so the
/// result depends only on `(n_patients, seed, params)`, never on the thread count; patient
/// `i` is the same whatever `n_patients` is.
///
/// # Errors
/// [`SimError::NoPatients`] for 0 patients, [`SimError::InvalidParam`] if `params` fail
/// validation.
pub fn simulate(n_patients: usize, seed: u64, params: &SimParams) -> Result<SimOutput, SimError> {
    simulate_with_progress(n_patients, seed, params, &|_| {})
}

/// [`simulate`], calling `progress(done)` with the number of patients simulated so far
/// after each block of patients (for a progress bar). The output is identical to
/// [`simulate`].
///
/// # Errors
/// As [`simulate`].
pub fn simulate_with_progress(
    n_patients: usize,
    seed: u64,
    params: &SimParams,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<SimOutput, SimError> {
    const BLOCK: usize = 8192;
    if n_patients == 0 {
        return Err(SimError::NoPatients);
    }
    if n_patients > crate::limits::MAX_SIM_PATIENTS {
        return Err(SimError::TooManyPatients(n_patients));
    }
    params.validate()?;
    let ctx = engine::Context::new(params);
    let mut out = SimOutput {
        cohort: Vec::with_capacity(n_patients),
        visits: Vec::new(),
        truth: Vec::new(),
    };
    let mut start = 0;
    while start < n_patients {
        let end = (start + BLOCK).min(n_patients);
        let patients: Vec<engine::PatientSim> = (start..end)
            .into_par_iter()
            .map(|i| engine::simulate_patient(&ctx, seed, i))
            .collect();
        for p in patients {
            out.cohort.push(p.row);
            out.visits.extend(p.visits);
            out.truth.extend(p.truth);
        }
        progress(end);
        start = end;
    }
    Ok(out)
}

/// Identifier of the `index`-th simulated patient (0-based): `MM00001`, ...
pub fn patient_id(index: usize) -> String {
    format!("MM{:05}", index + 1)
}
