//! `mbdrisk init`: write a commented study file from a cohort's header.

use std::path::PathBuf;

/// Write a study file template (TOML) naming the columns that look like each role.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  \
    mbdrisk init --data cohort.csv --visits visits.csv --out study.toml\n  \
    mbdrisk check --data cohort.csv --visits visits.csv --study study.toml")]
pub struct Args {
    /// Cohort file (CSV, TSV or Parquet): its header is read.
    #[arg(long)]
    data: PathBuf,
    /// Visits file: its header is read too.
    #[arg(long)]
    visits: Option<PathBuf>,
    /// Where to write the study file (an existing file is kept unless --force).
    #[arg(long)]
    out: PathBuf,
    /// Replace an existing study file.
    #[arg(long)]
    force: bool,
}

pub fn run(args: Args) -> mbdrisk::Result<()> {
    let mut inputs = vec![args.data.as_path()];
    inputs.extend(args.visits.as_deref());
    mbdrisk::io::refuse_overwriting_inputs(std::slice::from_ref(&args.out), &inputs)?;
    if args.out.exists() && !args.force {
        return Err(mbdrisk::Error::Usage(format!(
            "{} exists (a study file you may have edited): give another --out, or --force to replace it",
            args.out.display()
        )));
    }
    let cohort = mbdrisk::table::read_raw(&args.data)?;
    let visits = args
        .visits
        .as_deref()
        .map(mbdrisk::table::read_raw)
        .transpose()?;
    let text = mbdrisk::study::template(
        &cohort.source,
        &cohort.names,
        visits.as_ref().map(|v| v.names.as_slice()),
    );
    // the template must read back as a study file
    toml::from_str::<mbdrisk::study::StudyFile>(&text)
        .map_err(|e| mbdrisk::Error::Analysis(format!("study template: {e}")))?;
    mbdrisk::io::write_string_atomic(&args.out, &text)?;
    note!(
        "wrote {}: check the roles it guessed, then pass it with --study",
        args.out.display()
    );
    Ok(())
}
