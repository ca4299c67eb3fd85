//! The demo cohort, embedded in the library at build time so that `mbdrisk demo` works from an
//! installed binary with the source tree gone. The files are `data/demo/*.csv`, made by
//! `mbdrisk simulate --patients 2000 --seed 20261125` (a test checks that the simulator still
//! writes them byte for byte).

/// Patients in the demo cohort.
pub const PATIENTS: usize = 2000;
/// Seed the demo cohort was simulated with.
pub const SEED: u64 = 20261125;

/// The demo files, by name: `cohort.csv`, `visits.csv`, `truth.csv`.
pub const FILES: [(&str, &[u8]); 3] = [
    ("cohort.csv", include_bytes!("../../data/demo/cohort.csv")),
    ("visits.csv", include_bytes!("../../data/demo/visits.csv")),
    ("truth.csv", include_bytes!("../../data/demo/truth.csv")),
];
