//! `mbdrisk score`: apply a fitted model to a data file, streaming, into `scores.csv`.

use std::path::PathBuf;

use mbdrisk::model::persist;
use mbdrisk::score::{CsvScoreOptions, DEFAULT_BATCH_ROWS};

/// Score a data file with a fitted model.
///
/// Output columns: row (1-based data row), the --id column if given, linear_predictor (log
/// odds) and predicted (probability). Rows with a missing predictor get empty scores.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Output columns: row (1-based data row), the --id column if given, linear_predictor, predicted (a Cox model with several horizons: risk_H per horizon).\nRows with a missing predictor get empty linear_predictor and predicted cells.\n\nExamples:\n  mbdrisk score --model model.json --data data/demo/cohort.csv --id patient_id --out scores.csv\n  mbdrisk score --model cox.json --data data/demo/cohort.csv --horizon 12,24,60 --out risks.csv\n  mbdrisk score --model dynamic.json --data data/demo/cohort.csv --visits data/demo/visits.csv --out visit_scores.csv"
)]
pub struct Args {
    /// Model file written by `mbdrisk fit`.
    #[arg(long)]
    model: PathBuf,
    /// Data file (CSV or TSV streamed in batches; Parquet one row group at a time) with the
    /// model's predictor columns.
    #[arg(long)]
    data: PathBuf,
    /// Where to write the scores (CSV).
    #[arg(long)]
    out: PathBuf,
    /// Column to copy into the output next to the row number (e.g. patient_id).
    #[arg(long)]
    id: Option<String>,
    /// Visits file: with a dynamic model, score every visit (and month 0) of every patient of
    /// --data (a cohort file). Output columns: patient_id, month, linear_predictor, predicted.
    #[arg(long)]
    visits: Option<PathBuf>,
    /// Study file naming the cohort's columns (see `mbdrisk init`); --id wins over it.
    #[arg(long, value_name = "FILE")]
    study: Option<PathBuf>,
    /// Cox models: the horizon(s) of the risk, in the unit of the model's time column. One
    /// horizon writes the risk by it in `predicted`; several (`12,24,60`) write `risk_12`,
    /// `risk_24`, `risk_60`.
    #[arg(long, value_name = "H[,H...]")]
    horizon: Option<String>,
    /// Rows read per batch: changes memory use and speed, never the output.
    #[arg(long, default_value_t = DEFAULT_BATCH_ROWS)]
    batch_size: usize,
}

pub fn run(args: Args) -> mbdrisk::Result<()> {
    let mut inputs = vec![args.model.as_path(), args.data.as_path()];
    inputs.extend(args.visits.as_deref());
    mbdrisk::io::refuse_overwriting_inputs(std::slice::from_ref(&args.out), &inputs)?;
    if let Some(id) = args.id.as_deref() {
        if ["row", "linear_predictor", "predicted"].contains(&id) || id.starts_with("risk_") {
            return Err(mbdrisk::Error::Usage(format!(
                "--id {id}: scores.csv has a column of that name already (row, linear_predictor, predicted); rename the identifier column"
            )));
        }
    }
    let model = persist::load(&args.model)?;
    if let Some(visits) = &args.visits {
        let study = super::study_with_id(args.study.as_deref(), args.id.as_deref())?;
        let (cohort, visits) = super::load_dynamic_inputs(&args.data, visits, &study)?;
        let s = mbdrisk::model::landmark::score_visits(&model, &cohort.table, &visits.table)?;
        mbdrisk::io::write_string_atomic(&args.out, &s.to_csv())?;
        let missing = s.risk.iter().filter(|r| r.is_nan()).count();
        if missing > 0 {
            note!(
                "warning: {missing} of {} visit rows have a missing or stale predictor: their scores are empty",
                s.risk.len()
            );
        }
        note!(
            "scored {} visit rows (risk of an event within {} months) into {}",
            s.risk.len(),
            s.window,
            args.out.display()
        );
        return Ok(());
    }
    if model.dynamic.is_some() {
        return Err(mbdrisk::Error::Usage(
            "a dynamic model scores visit rows: give --data COHORT --visits VISITS".into(),
        ));
    }
    let horizons = match &args.horizon {
        Some(h) => mbdrisk::model::family::parse_horizons(h)?,
        None => Vec::new(),
    };
    let scorer = model.scorer_at(&horizons)?;
    let study = super::study_with_id(args.study.as_deref(), args.id.as_deref())?;
    let opts = CsvScoreOptions {
        id_column: study.id,
        batch_size: args.batch_size,
    };
    let s = scorer.score_csv(&args.data, &args.out, &opts)?;
    if s.n_missing > 0 {
        note!(
            "warning: {} of {} rows have a missing predictor: their scores are empty",
            s.n_missing,
            s.n_rows
        );
    }
    if s.n_far_outside > 0 {
        note!(
            "warning: {} of {} scored rows have a predictor far outside the values the model was fitted on (beyond its 5th-95th percentiles by more than their distance, see training_summary in the model file): their scores are extrapolations",
            s.n_far_outside, s.n_scored
        );
    }
    note!("scored {} rows into {}", s.n_scored, args.out.display());
    Ok(())
}
