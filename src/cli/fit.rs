//! `mbdrisk fit`: fit a logistic model (0/1 outcome) or a Cox model (`Surv(time, event)`)
//! from a formula and write `model.json`; with `--dynamic`, the landmark super-model on a
//! cohort and its visits.

use std::path::PathBuf;

use mbdrisk::design::MissingPolicy;
use mbdrisk::model::fit::fit_any;
use mbdrisk::model::landmark::{fit_dynamic, LandmarkOptions};
use mbdrisk::model::logistic::{FitOptions, Penalty};
use mbdrisk::model::persist;
use mbdrisk::table::Table;
use mbdrisk::Error;

/// Fit a relapse-risk model (logistic or Cox) and write it as model.json.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  mbdrisk fit --data data/demo/cohort.csv \\\n    --formula \"event_24m ~ rcs(age, 4) + sex + log(ctx_ng_ml) + mrd + pet\" --out model.json\n\n  mbdrisk fit --data data/demo/cohort.csv \\\n    --formula \"Surv(time_months, event) ~ rcs(age, 4) + log(ctx_ng_ml) + mrd + pet + strata(agent)\" --out cox.json\n\n  mbdrisk fit --dynamic --data data/demo/cohort.csv --visits data/demo/visits.csv \\\n    --formula \"Surv(time_months, event) ~ log(ctx_ng_ml) + ctx_above_lsc + mrd + mrd_conversion + ctdna + pet\" \\\n    --window 6 --landmarks 0:24:3 --out dynamic.json"
)]
pub struct Args {
    /// Cohort file (CSV, TSV or Parquet) with a header.
    #[arg(long)]
    data: PathBuf,
    /// Model formula: `outcome ~ term + ...`; terms are columns, log(x), log1p(x), sqrt(x),
    /// rcs(x, k) with k = 3..7 knots, cat(x), addNA(x) (categorical, missing = level NA). Text
    /// columns are categorical (factor(x) = cat(x)); interactions a:b and a*b (= a + b + a:b),
    /// a spline or a number by a category (a curve per group) or by a number. With --dynamic
    /// the outcome is `Surv(time, event)` and terms may also use the landmark features: for
    /// every numeric visit column X, X_nadir, X_change_pct, X_change_prev_pct, months_since_X
    /// (X_above_lsc and X_rise_lsc with --lsc X=PCT), X_conversion with --positive X=LEVEL; the
    /// MM markers' own (ctx_nadir_ng_ml, ctx_change_pct, ctx_above_lsc, ctx_change_prev_pct,
    /// ctx_rise_lsc, mrd_conversion, ctdna_conversion, months_since_pet, p1np_ctx_ratio); and
    /// the landmark-time terms it adds itself: landmark, landmark_1 (s / last landmark) and
    /// landmark_2 (its square).
    #[arg(long)]
    formula: String,
    /// Penalty: none, ridge=LAMBDA (on standardised columns), or firth (logistic only).
    #[arg(long, default_value = "none")]
    penalty: String,
    /// Tied event times of a Cox model: efron (as coxph and cph) or breslow.
    #[arg(long, default_value = "efron", value_parser = ["efron", "breslow"])]
    ties: String,
    /// Rows with a missing value in a formula column: drop them (counted per column) or
    /// stop with an error naming the first one.
    #[arg(long, default_value = "drop")]
    missing: String,
    /// Fit the dynamic landmark super-model on --data and --visits.
    #[arg(long, requires = "visits")]
    dynamic: bool,
    /// Visits file (patient_id, month, markers) for --dynamic.
    #[arg(long)]
    visits: Option<PathBuf>,
    #[command(flatten)]
    landmark: super::LandmarkArgs,
    /// Also write the stacked landmark data set (one row per patient and landmark) here.
    #[arg(long)]
    landmark_data: Option<PathBuf>,
    /// Patient identifier column (cohort and visits of a dynamic fit) [default: patient_id].
    #[arg(long, value_name = "COL")]
    id: Option<String>,
    /// Study file naming the cohort's columns (see `mbdrisk init`); --id wins over it.
    #[arg(long, value_name = "FILE")]
    study: Option<PathBuf>,
    /// Where to write the model file.
    #[arg(long)]
    out: PathBuf,
}

/// An identifier named by the study is never a predictor (it would put patients in the model).
fn refuse_id_predictor(formula: &str, id: &str) -> mbdrisk::Result<()> {
    let f = mbdrisk::formula::parse(formula)?;
    if f.terms
        .iter()
        .any(|t| t.column == id || t.by.as_ref().is_some_and(|b| b.column == id))
    {
        return Err(Error::Usage(format!(
            "--formula uses '{id}', the patient identifier: an identifier is not a predictor (it would identify patients in the model file)"
        )));
    }
    Ok(())
}

pub fn run(args: Args) -> mbdrisk::Result<()> {
    let mut inputs = vec![args.data.as_path()];
    inputs.extend(args.visits.as_deref());
    let mut outputs = vec![args.out.clone()];
    outputs.extend(args.landmark_data.clone());
    mbdrisk::io::refuse_overwriting_inputs(&outputs, &inputs)?;
    if let Some(ld) = &args.landmark_data {
        if !args.dynamic {
            return Err(Error::Usage(
                "--landmark-data writes the stacked rows of a dynamic fit: add --dynamic".into(),
            ));
        }
        if ld == &args.out {
            return Err(Error::Usage(
                "--landmark-data and --out name the same file: give each its own".into(),
            ));
        }
    }
    let penalty: Penalty = args
        .penalty
        .parse()
        .map_err(|e: mbdrisk::model::logistic::FitError| Error::Usage(format!("--penalty: {e}")))?;
    let missing: MissingPolicy = args.missing.parse()?;
    let opts = FitOptions {
        penalty,
        ..FitOptions::default()
    };
    let model = match &args.visits {
        Some(visits) if args.dynamic => {
            let study = super::study_with_id(args.study.as_deref(), args.id.as_deref())?;
            let (cohort, visits) = super::load_dynamic_inputs(&args.data, visits, &study)?;
            let landmark = LandmarkOptions {
                id: cohort.study.id.clone(),
                month: cohort.study.visit_time.clone(),
                ..args.landmark.options()?
            };
            let opts = FitOptions {
                units: cohort.study.units.clone(),
                ..opts.clone()
            };
            let fit = fit_dynamic(
                &cohort.table,
                &visits.table,
                &args.formula,
                &landmark,
                &opts,
            )?;
            if let Some(path) = &args.landmark_data {
                mbdrisk::io::write_string_atomic(path, &fit.stacked.table.to_csv())?;
                note!("wrote {}", path.display());
            }
            fit.model
        }
        Some(_) => {
            return Err(Error::Usage(
                "--visits is only read by a dynamic fit: add --dynamic".into(),
            ))
        }
        None => {
            let study = super::study_with_id(args.study.as_deref(), args.id.as_deref())?;
            let table = Table::read(&args.data)?;
            if let Some(id) = study.id.as_deref() {
                refuse_id_predictor(&args.formula, id)?;
            }
            // unit conversions of the study, kept in the model (its checks: those of resolve)
            let units = if study.units.is_empty() {
                Default::default()
            } else {
                mbdrisk::study::Study::resolve(&study, &table.names, &table.source)?.units
            };
            let opts = FitOptions { units, ..opts };
            let ties = match args.ties.as_str() {
                "breslow" => mbdrisk::survival::cox::Ties::Breslow,
                _ => mbdrisk::survival::cox::Ties::Efron,
            };
            fit_any(&table, &args.formula, &opts, ties, missing)?
        }
    };
    for w in model.small_level_warnings() {
        note!("warning: {w}");
    }
    persist::save(&model, &args.out)?;
    print!("{model}");
    note!("wrote {}", args.out.display());
    Ok(())
}
