//! The suites of the one integration-test binary (tests/tests.rs), a module each.

mod censored_cli;
mod censored_golden;
mod cli;
mod compare;
mod cox_cli;
mod cox_golden;
mod design;
mod dynamic_cli;
mod export;
mod fuzz;
mod ingest;
mod landmark;
mod logistic_golden;
mod metrics_golden;
mod plots;
mod regression;
mod simulate;
mod study;
mod validation_golden;
