//! `mbdrisk validate`: apparent and optimism-corrected performance of a model on a data file,
//! or of an existing risk-score column.

use std::path::PathBuf;

use mbdrisk::model::persist;
use mbdrisk::table::Table;
use mbdrisk::validation::{validate_model, validate_score, ValidateOptions};
use mbdrisk::Error;

/// Validate a model (or an existing risk score) on a data file.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    mbdrisk validate --model model.json --data data/demo/cohort.csv --bootstrap 200 --out val/\n  \
    mbdrisk validate --model model.json --data new_cohort.csv --out external/\n  \
    mbdrisk validate --data scored.csv --predicted published_risk --outcome event_24m --out val/\n  \
    mbdrisk validate --model cox.json --data data/demo/cohort.csv --horizon 24 --bootstrap 200 --out coxval/")]
pub struct Args {
    /// Model file from `mbdrisk fit`.
    #[arg(long, conflicts_with = "predicted")]
    model: Option<PathBuf>,
    /// Data file (CSV, TSV or Parquet) with the outcome and the model's predictors.
    #[arg(long)]
    data: PathBuf,
    /// Column of an existing risk score (probabilities) to validate instead of a model.
    #[arg(long)]
    predicted: Option<String>,
    /// Outcome column (0/1) for --predicted.
    #[arg(long, conflicts_with = "time")]
    outcome: Option<String>,
    /// Follow-up time column for --predicted at --horizon (censored outcome).
    #[arg(long, requires_all = ["event", "horizon", "predicted"])]
    time: Option<String>,
    /// Event column (1 event, 0 censored) for --time.
    #[arg(long, requires = "time")]
    event: Option<String>,
    /// Horizon of the risk: with --predicted and --time, the horizon of that score; with a
    /// Cox --model, where its risk is validated (IPCW AUC and Brier, calibration at it).
    #[arg(long)]
    horizon: Option<f64>,
    /// Bootstrap replicates for optimism correction (refits the model's formula on each).
    #[arg(long, default_value_t = 0, value_parser = super::bootstrap_arg)]
    bootstrap: usize,
    /// Cox model with --bootstrap: average group size of the overfitting-corrected grouped
    /// calibration at the horizon (rms calibrate.cph `m`; default 150).
    #[arg(long, value_name = "M", value_parser = calibrate_m_arg, requires = "horizon")]
    calibrate_m: Option<usize>,
    /// Repeated stratified cross-validation: K folds, or KxR for R repeats (e.g. 10x5).
    #[arg(long)]
    cv: Option<String>,
    /// Seed of every random step.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Identifier column copied into predictions.csv.
    #[arg(long)]
    id: Option<String>,
    /// Study file naming the cohort's columns (see `mbdrisk init`); --id wins over it.
    #[arg(long, value_name = "FILE")]
    study: Option<PathBuf>,
    /// Visits file: validate a dynamic model (fit --dynamic) on --data (its cohort file) and
    /// these visits, per landmark and pooled; --bootstrap resamples patients.
    #[arg(long, requires = "model")]
    visits: Option<PathBuf>,
    /// Output folder for metrics.json, predictions.csv, calibration.csv and the plots
    /// (calibration, roc, risk_distribution as SVG and PNG).
    #[arg(long)]
    out: PathBuf,
}

fn calibrate_m_arg(s: &str) -> Result<usize, String> {
    use mbdrisk::limits::{parse_count, MAX_GROUP_SIZE};
    let m = parse_count("--calibrate-m", s, MAX_GROUP_SIZE, false).map_err(|e| e.to_string())?;
    mbdrisk::validation::calibrate::check_group_size(m).map_err(|e| e.to_string())?;
    Ok(m)
}

fn parse_cv(s: &str) -> mbdrisk::Result<(usize, usize)> {
    use mbdrisk::limits::{check_count, parse_count, MAX_CV_FITS, MAX_CV_FOLDS, MAX_CV_REPEATS};
    let (k, r) = match s.split_once(['x', 'X']) {
        Some((k, r)) => (k, Some(r)),
        None => (s, None),
    };
    let k = parse_count("--cv folds", k, MAX_CV_FOLDS, false)?;
    let r = r.map_or(Ok(1), |r| {
        parse_count("--cv repeats", r, MAX_CV_REPEATS, false)
    })?;
    if k < 2 {
        return Err(Error::Usage(format!(
            "--cv '{s}': expected K or KxR with K >= 2 folds, e.g. 10 or 10x5"
        )));
    }
    check_count("--cv folds x repeats", k * r, MAX_CV_FITS, false)?;
    Ok((k, r))
}

pub fn run(args: Args) -> mbdrisk::Result<()> {
    let mut inputs = vec![args.data.as_path()];
    inputs.extend(args.model.as_deref());
    inputs.extend(args.visits.as_deref());
    let opts = ValidateOptions {
        bootstrap: args.bootstrap,
        cv: args.cv.as_deref().map(parse_cv).transpose()?,
        seed: args.seed,
        ..ValidateOptions::default()
    };
    if let Some(visits) = &args.visits {
        if opts.cv.is_some() {
            return Err(Error::Usage(
                "--cv is not available for a dynamic model: use --bootstrap (patients are resampled)"
                    .into(),
            ));
        }
        let model = match &args.model {
            Some(m) => persist::load(m)?,
            None => {
                return Err(Error::Usage(
                    "--visits validates a dynamic model: give --model FILE".into(),
                ))
            }
        };
        let study = super::study_with_id(args.study.as_deref(), args.id.as_deref())?;
        let (cohort, visits) = super::load_dynamic_inputs(&args.data, visits, &study)?;
        let v = mbdrisk::validation::dynamic::validate_dynamic(
            &model,
            &cohort.table,
            &visits.table,
            args.bootstrap,
            args.seed,
        )?;
        let files = [("metrics.json", super::json_text("metrics.json", &v)?)];
        return super::write_outputs(&args.out, &inputs, &files, &[], &v.render_table());
    }
    let study_file = super::study_with_id(args.study.as_deref(), args.id.as_deref())?;
    let id = study_file.id.clone();
    let keep: Vec<&str> = id.as_deref().into_iter().collect();
    let table = Table::read_keeping_text(&args.data, &keep)?;
    if let (Some(p), Some(t), Some(e), Some(h)) =
        (&args.predicted, &args.time, &args.event, args.horizon)
    {
        if opts.bootstrap > 0 || opts.cv.is_some() {
            return Err(Error::Usage(
                "--bootstrap/--cv refit a model: they need --model, not --predicted".into(),
            ));
        }
        if args.calibrate_m.is_some() {
            return Err(Error::Usage(
                "--calibrate-m sets the corrected calibration of a Cox --model with --bootstrap; it does not apply to --predicted".into(),
            ));
        }
        let m = mbdrisk::validation::censored::validate_censored_score(&table, p, t, e, h)?;
        let files = [("metrics.json", super::json_text("metrics.json", &m)?)];
        let table = mbdrisk::validation::censored::render_censored(&m);
        return super::write_outputs(&args.out, &inputs, &files, &[], &table);
    }
    if args.horizon.is_some() && args.time.is_none() && args.model.is_none() {
        return Err(Error::Usage(
            "--horizon needs a Cox --model, or --predicted COL --time COL --event COL".into(),
        ));
    }
    // the model file, read once for both routes below
    let model = args.model.as_deref().map(persist::load).transpose()?;
    if let (Some(m), Some(model)) = (&args.model, &model) {
        if let Some(cox) = model.family.cox() {
            let Some(h) = args.horizon else {
                return Err(Error::Usage(format!(
                    "{} is a Cox model: validate its risk by a horizon with --horizon H (at most {})",
                    m.display(),
                    mbdrisk::design::format_level(cox.max_horizon())
                )));
            };
            if !(h.is_finite() && h > 0.0) {
                return Err(Error::Usage(format!(
                    "--horizon {h}: expected a time after 0"
                )));
            }
            if args.calibrate_m.is_some() && opts.bootstrap == 0 {
                return Err(Error::Usage(
                    "--calibrate-m sets the groups of the bootstrap's corrected calibration: add --bootstrap B".into(),
                ));
            }
            let jobs = opts.bootstrap + opts.cv.map_or(0, |(k, r)| k * r);
            let bar = super::progress_bar(jobs as u64, "validating");
            let mut v = mbdrisk::validation::cox::validate_cox(
                model,
                &table,
                h,
                opts.bootstrap,
                args.calibrate_m
                    .unwrap_or(mbdrisk::validation::calibrate::DEFAULT_GROUP_SIZE),
                opts.seed,
                &|| bar.inc(1),
            )?;
            if let Some((folds, repeats)) = opts.cv {
                v.cross_validated = Some(mbdrisk::validation::cox::cross_validate_cox(
                    model,
                    &table,
                    h,
                    folds,
                    repeats,
                    opts.seed,
                    &|| bar.inc(1),
                )?);
            }
            bar.finish_and_clear();
            let files = [("metrics.json", super::json_text("metrics.json", &v)?)];
            let text = mbdrisk::validation::cox::render(&v);
            let study =
                mbdrisk::study::Study::resolve_words(&study_file, &table.names, &table.source);
            let figures = mbdrisk::report::cox_figures(&study, &[], h, &v, None)?;
            return super::write_outputs(&args.out, &inputs, &files, &figures, &text);
        }
        if args.horizon.is_some() {
            return Err(Error::Usage(format!(
                "--horizon: {} is a {} model, whose risk has no horizon",
                m.display(),
                model.family.name()
            )));
        }
    }
    let id = id.as_deref();
    let v = match (&args.model, &model, &args.predicted, &args.outcome) {
        (Some(m), Some(model), None, _) => {
            if model.dynamic.is_some() {
                return Err(Error::Usage(format!(
                    "{} is a dynamic (landmark) model: validate it with --data COHORT --visits VISITS",
                    m.display()
                )));
            }
            let jobs = opts.bootstrap + opts.cv.map_or(0, |(k, r)| k * r);
            let bar = super::progress_bar(jobs as u64, "validating");
            let v = validate_model(model, &table, id, &opts, &|| bar.inc(1))?;
            bar.finish_and_clear();
            v
        }
        (None, _, Some(p), Some(o)) => {
            if opts.bootstrap > 0 || opts.cv.is_some() {
                return Err(Error::Usage(
                    "--bootstrap/--cv refit a model: they need --model, not --predicted".into(),
                ));
            }
            validate_score(&table, p, o, id, &opts)?
        }
        _ => {
            return Err(Error::Usage(
                "give --model FILE, or --predicted COL with --outcome COL or with \
                 --time COL --event COL --horizon H"
                    .into(),
            ))
        }
    };
    // the plots, in the study's words (the file need not have the study's columns)
    let study = mbdrisk::study::Study::resolve_words(&study_file, &table.names, &table.source);
    // the files' text and the figures are independent: made side by side
    let (files, figures) = rayon::join(
        || -> mbdrisk::Result<_> {
            Ok([
                ("metrics.json", super::json_text("metrics.json", &v)?),
                ("predictions.csv", v.predictions_csv(id)),
                ("calibration.csv", v.calibration_csv()),
            ])
        },
        || mbdrisk::report::static_figures(&table, &study, &[], &v, None),
    );
    super::write_outputs(&args.out, &inputs, &files?, &figures?, &v.render_table())
}
