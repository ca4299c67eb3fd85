//! `mbdrisk simulate`: write a synthetic cohort (cohort.csv, visits.csv, truth.csv).

use std::path::PathBuf;

use mbdrisk::simulate::{simulate, write_csvs, SimError, SimParams};
use mbdrisk::Error;

/// Simulate a cohort from the literature-grounded parameters (data/simulator_params.toml).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  mbdrisk simulate --patients 2000 --seed 20261125 --out data/demo"
)]
pub struct Args {
    /// Number of patients (1 to 10,000,000).
    #[arg(long, value_parser = patients_arg)]
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

fn patients_arg(s: &str) -> Result<usize, String> {
    use mbdrisk::limits::{parse_count, MAX_SIM_PATIENTS};
    parse_count("--patients", s, MAX_SIM_PATIENTS, false).map_err(|e| e.to_string())
}

/// Bad counts and parameters are usage errors (exit 2); a failed write is an I/O error.
fn sim_error(e: SimError) -> Error {
    match e {
        SimError::Io { .. } => Error::Analysis(e.to_string()),
        other => Error::Usage(other.to_string()),
    }
}

pub fn run(args: Args) -> mbdrisk::Result<()> {
    if let Some(p) = &args.params {
        let outputs: Vec<PathBuf> = ["cohort.csv", "visits.csv", "truth.csv"]
            .iter()
            .map(|n| args.out.join(n))
            .collect();
        mbdrisk::io::refuse_overwriting_inputs(&outputs, &[p.as_path()])?;
    }
    let params = match &args.params {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| Error::io(p, e))?;
            SimParams::from_toml_str(&text)
                .map_err(|e| Error::Usage(format!("{}: {e}", p.display())))?
        }
        None => SimParams::defaults(),
    };
    let out = simulate(args.patients, args.seed, &params).map_err(sim_error)?;
    write_csvs(&out, &args.out).map_err(sim_error)?;
    note!(
        "wrote {} patients, {} visits to {}",
        out.cohort.len(),
        out.visits.len(),
        args.out.display()
    );
    Ok(())
}
