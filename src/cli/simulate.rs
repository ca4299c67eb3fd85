//! `mbdrisk simulate`: write a synthetic cohort (cohort.csv, visits.csv, truth.csv).

use std::path::PathBuf;

use mbdrisk::simulate::{simulate, write_csvs, SimParams};
use mbdrisk::Error;

/// Simulate a cohort from the literature-grounded parameters (data/simulator_params.toml).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  mbdrisk simulate --patients 2000 --seed 20261125 --out data/demo"
)]
pub struct Args {
    /// Number of patients.
    #[arg(long)]
    patients: usize,
    /// Random seed: the same seed gives the same files byte for byte.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// TOML file overriding any of the default parameters.
    #[arg(long)]
    params: Option<PathBuf>,
    /// Output folder.
    #[arg(long)]
    out: PathBuf,
}

pub fn run(args: Args) -> mbdrisk::Result<()> {
    if args.patients == 0 {
        return Err(Error::Usage("--patients must be at least 1".into()));
    }
    let params = match &args.params {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| Error::io(p, e))?;
            SimParams::from_toml_str(&text)
                .map_err(|e| Error::Usage(format!("{}: {e}", p.display())))?
        }
        None => SimParams::defaults(),
    };
    let out =
        simulate(args.patients, args.seed, &params).map_err(|e| Error::Analysis(e.to_string()))?;
    write_csvs(&out, &args.out).map_err(|e| Error::Analysis(e.to_string()))?;
    eprintln!(
        "wrote {} patients, {} visits to {}",
        out.cohort.len(),
        out.visits.len(),
        args.out.display()
    );
    Ok(())
}
