//! `mbdrisk check`: validate input files and print the summary a researcher wants first.

use std::path::PathBuf;

use mbdrisk::cohort::{load_cohort, load_visits, summarise};

/// Validate a cohort file (and a visits file) and print a summary.
///
/// Example: `mbdrisk check --data data/demo/cohort.csv --visits data/demo/visits.csv`
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    mbdrisk check --data data/demo/cohort.csv --visits data/demo/visits.csv\n  \
    mbdrisk check --data flchain.csv --id id --time futime --event death --time-unit days\n  \
    mbdrisk check --data cohort.csv --study study.toml")]
pub struct Args {
    /// Cohort file (CSV or Parquet), one row per patient at the decision point.
    #[arg(long)]
    data: PathBuf,
    /// Visits file (CSV or Parquet), one row per patient-visit after the decision point.
    #[arg(long)]
    visits: Option<PathBuf>,
    #[command(flatten)]
    study: super::StudyArgs,
}

pub fn run(args: Args) -> mbdrisk::Result<()> {
    let study = args.study.resolve()?;
    let cohort = load_cohort(&args.data, &study)?;
    super::print_warnings(&cohort.warnings);
    let visits = match &args.visits {
        Some(p) => {
            let v = load_visits(p, Some(&cohort), &cohort.study)?;
            super::print_warnings(&v.warnings);
            Some(v)
        }
        None => None,
    };
    let summary = summarise(&cohort, visits.as_ref())?;
    print!("{summary}");
    // the process ends here: freeing a million rows of text cells one by one would cost
    // more than a tenth of the run, and the operating system takes the memory back at once
    std::mem::forget(cohort);
    std::mem::forget(visits);
    Ok(())
}
