//! Command-line front end: one file per subcommand, each only parsing flags, calling the
//! library and writing files.

mod check;
mod simulate;

use clap::{Parser, Subcommand};

/// Relapse-risk models for stopping bone protection in multiple myeloma.
#[derive(Debug, Parser)]
#[command(name = "mbdrisk", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate a cohort (and visits) file and print a summary.
    Check(check::Args),
    /// Simulate a literature-grounded cohort: cohort.csv, visits.csv, truth.csv.
    Simulate(simulate::Args),
}

/// Run the parsed command.
pub fn run(cli: Cli) -> mbdrisk::Result<()> {
    match cli.command {
        Command::Check(a) => check::run(a),
        Command::Simulate(a) => simulate::run(a),
    }
}

/// Print non-fatal findings to stderr.
pub fn print_warnings(warnings: &[mbdrisk::Problem]) {
    for w in warnings {
        eprintln!("warning: {w}");
    }
}
