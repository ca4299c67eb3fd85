//! The one integration-test binary (as ripgrep and xsv keep theirs): every suite is a module,
//! so polars is linked once. `cargo test` runs them all; `cargo test --test tests cli::` one.

#[path = "common/tolerances.rs"]
#[allow(dead_code)]
mod tolerances;
mod util;

mod censored_cli;
mod censored_golden;
mod cli;
mod compare;
mod design;
mod dynamic_cli;
mod fuzz;
mod ingest;
mod landmark;
mod logistic_golden;
mod metrics_golden;
mod plots;
mod regression;
mod simulate;
mod validation_golden;
