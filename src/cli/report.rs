//! `mbdrisk report`: fit, validate, compare and plot in one self-contained report.html.

use std::path::PathBuf;

use mbdrisk::model::logistic::Penalty;
use mbdrisk::report::{build_report, ReportSettings};
use mbdrisk::Error;

/// Fit, internally validate and compare a model with the rules; write every output and
/// report.html.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  mbdrisk report --data data/demo/cohort.csv --visits data/demo/visits.csv \\\n    \
    --formula \"event_24m ~ log(ctx_ng_ml) + mrd + pet + response + bpa_months + agent\" --out report/"
)]
pub struct Args {
    /// Cohort file (CSV or Parquet).
    #[arg(long)]
    pub data: PathBuf,
    /// Visits file, summarised in the report.
    #[arg(long)]
    pub visits: Option<PathBuf>,
    /// Static model formula: a 0/1 outcome (e.g. event_24m ~ ..., logistic) or
    /// Surv(time, event) ~ ... (Cox, with --horizon); a report needs it, --dynamic-formula,
    /// or both.
    #[arg(long, required_unless_present = "dynamic_formula")]
    pub formula: Option<String>,
    /// Horizon of a Cox model's risk (unit of its time column), e.g. 24.
    #[arg(long)]
    pub horizon: Option<f64>,
    /// Penalty: none, ridge=LAMBDA or firth.
    #[arg(long, default_value = "none")]
    pub penalty: String,
    /// Rules to compare with (built-in name or 'name=SQL'); default: all built-in rules in the
    /// MM profile, none otherwise.
    #[arg(long = "rule")]
    pub rules: Vec<String>,
    /// Bootstrap replicates (validation and comparison CIs).
    #[arg(long, default_value_t = 200, value_parser = super::bootstrap_arg)]
    pub bootstrap: usize,
    /// Seed of every random step.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Simulator truth.csv for the oracle comparison (simulated data only).
    #[arg(long)]
    pub truth: Option<PathBuf>,
    /// Dynamic landmark model `Surv(time, event) ~ ...` (needs --visits): adds the dynamic
    /// section (per-landmark validation, restart policies, risk trajectories).
    #[arg(long, requires = "visits")]
    pub dynamic_formula: Option<String>,
    /// Name patients by their own identifiers in the report (trajectory titles); by default
    /// they are pseudonyms (patient A, patient B) so a shared report names no one.
    #[arg(long)]
    pub show_ids: bool,
    /// Output folder.
    #[arg(long)]
    pub out: PathBuf,
    /// Restart trigger compared with the dynamic model: an MM trigger's name or
    /// 'name=SQL condition' over the visit rows and their features (repeatable); default: the
    /// MM triggers in the MM profile, none otherwise.
    #[arg(
        long = "trigger",
        value_name = "NAME=SQL",
        requires = "dynamic_formula"
    )]
    pub triggers: Vec<String>,
    #[command(flatten)]
    pub landmark: super::LandmarkArgs,
    #[command(flatten)]
    pub study: super::StudyArgs,
}

/// Compute and write the report; returns it for callers that print more (demo).
pub fn produce(args: Args) -> mbdrisk::Result<mbdrisk::report::Report> {
    let penalty: Penalty = args
        .penalty
        .parse()
        .map_err(|e: mbdrisk::model::logistic::FitError| Error::Usage(format!("--penalty: {e}")))?;
    let settings = ReportSettings {
        data: args.data,
        study: args.study.resolve()?,
        visits: args.visits,
        formula: args.formula,
        horizon: args.horizon,
        penalty,
        bootstrap: args.bootstrap,
        seed: args.seed,
        // none given: the profile's defaults, chosen once the cohort's header is known
        rules: if args.rules.is_empty() {
            Vec::new()
        } else {
            mbdrisk::rules::Rule::parse_list(&args.rules)?
        },
        truth: args.truth,
        dynamic_formula: args.dynamic_formula,
        landmark: args.landmark.options()?,
        triggers: mbdrisk::rules::Rule::parse_triggers(&args.triggers)?,
        show_ids: args.show_ids,
    };
    let bar = super::progress_bar(args.bootstrap as u64, "bootstrap validation");
    let report = build_report(&settings, &|| bar.inc(1))?;
    bar.finish_and_clear();
    // the report keeps the settings it was computed with: its inputs are named there
    let s = &report.settings;
    let mut inputs: Vec<&std::path::Path> = vec![s.data.as_path()];
    inputs.extend(s.visits.as_deref());
    inputs.extend(s.truth.as_deref());
    report.write_protecting(&args.out, &inputs)?;
    note!(
        "wrote report.html and its data files to {}",
        args.out.display()
    );
    Ok(report)
}

pub fn run(args: Args) -> mbdrisk::Result<()> {
    produce(args).map(|_| ())
}
