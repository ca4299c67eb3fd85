//! `mbdrisk fit`: fit a logistic model from a formula and write `model.json`.

use std::path::PathBuf;

use mbdrisk::design::MissingPolicy;
use mbdrisk::model::fit::fit_model;
use mbdrisk::model::logistic::{FitOptions, Penalty};
use mbdrisk::model::persist;
use mbdrisk::table::Table;
use mbdrisk::Error;

/// Fit a logistic relapse-risk model and write it as model.json.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  mbdrisk fit --data data/demo/cohort.csv \\\n    --formula \"event_24m ~ rcs(age, 4) + sex + log(ctx_ng_ml) + mrd + pet\" --out model.json"
)]
pub struct Args {
    /// Cohort file (CSV, TSV or Parquet) with a header.
    #[arg(long)]
    data: PathBuf,
    /// Model formula: `outcome ~ term + ...`; terms are columns, log(x), log1p(x), sqrt(x),
    /// rcs(x, k) with k = 3..7 knots, cat(x). Text columns are categorical.
    #[arg(long)]
    formula: String,
    /// Penalty: none, ridge=LAMBDA (on standardised columns), or firth.
    #[arg(long, default_value = "none")]
    penalty: String,
    /// Rows with a missing value in a formula column: drop them (counted per column) or
    /// stop with an error naming the first one.
    #[arg(long, default_value = "drop")]
    missing: String,
    /// Where to write the model file.
    #[arg(long)]
    out: PathBuf,
}

pub fn run(args: Args) -> mbdrisk::Result<()> {
    let penalty: Penalty = args
        .penalty
        .parse()
        .map_err(|e: mbdrisk::model::logistic::FitError| Error::Usage(format!("--penalty: {e}")))?;
    let missing: MissingPolicy = args.missing.parse()?;
    let table = Table::read(&args.data)?;
    let opts = FitOptions {
        penalty,
        ..FitOptions::default()
    };
    let model = fit_model(&table, &args.formula, &opts, missing)?;
    persist::save(&model, &args.out)?;
    print!("{model}");
    eprintln!("wrote {}", args.out.display());
    Ok(())
}
