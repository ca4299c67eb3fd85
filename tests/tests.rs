//! The one integration-test binary (as ripgrep and xsv keep theirs): every suite is a module
//! under `tests/suite/`, so polars is linked once. `cargo test` runs them all;
//! `cargo test --test tests suite::cli::` one suite.

#[path = "common/tolerances.rs"]
#[allow(dead_code)]
mod tolerances;
#[path = "suite/util.rs"]
mod util;

mod suite;
