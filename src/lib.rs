//! # mbdrisk
//!
//! Relapse-risk models for deciding when patients with multiple myeloma can stop bone-protection
//! therapy, and whether a multidimensional model (bone-turnover markers, MRD / ctDNA, PET/CT)
//! decides better than the fixed 2-year rule.
//!
//! The library does the work; the `mbdrisk` binary only parses flags and writes files.
//! Data flow: [`cohort`] (read + validate) → model → validation → comparison → report;
//! [`simulate`] makes literature-grounded synthetic cohorts.
//!
//! ```
//! use mbdrisk::simulate::{simulate, SimParams};
//! let out = simulate(50, 7, &SimParams::defaults()).expect("simulate");
//! assert_eq!(out.cohort.len(), 50);
//! ```

pub mod bench;
pub mod cohort;
pub mod compare;
pub mod design;
pub mod error;
pub mod export;
pub mod formula;
pub mod io;
pub mod limits;
pub mod metrics;
pub mod model;
pub mod plot;
pub mod privacy;
pub mod report;
pub mod rules;
pub mod score;
pub mod simulate;
pub mod stats;
pub mod study;
pub mod survival;
pub mod table;
pub mod validation;

pub use error::{Error, Problem, Result};
