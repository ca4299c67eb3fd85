//! `mbdrisk compare`: the model against stopping rules (2-year rule and others).

use std::path::PathBuf;

use mbdrisk::compare::{compare_cohort, read_oracle, CohortCompare, CompareOptions};
use mbdrisk::model::persist;
use mbdrisk::rules::Rule;
use mbdrisk::Error;

/// Compare a model with stopping rules on a discontinuation cohort.
#[derive(Debug, clap::Args)]
#[command(after_help = "Built-in rules (true = safe to stop):\n  \
    two-year:  bpa_months >= 24 AND response IN ('sCR', 'CR', 'VGPR')\n  \
    imwg-2021: bpa_months >= 12 AND response IN ('sCR', 'CR', 'VGPR')\n  \
    triad:     two-year AND mrd = 'negative' AND pet = 'CMR' AND ctx_ng_ml <= 0.8\n\
    A rule never stops a patient whose condition is NULL (a required measurement missing).\n\n\
    Example:\n  mbdrisk compare --model model.json --data data/demo/cohort.csv \\\n    \
    --rule two-year --rule 'deep=bpa_months >= 18 AND mrd = ''negative''' --out cmp/")]
pub struct Args {
    /// Model file from `mbdrisk fit`.
    #[arg(long)]
    model: PathBuf,
    /// Cohort file: everyone stopped at the decision point, outcomes observed afterwards.
    #[arg(long)]
    data: PathBuf,
    /// A built-in rule (two-year, imwg-2021, triad) or 'name=SQL condition'; repeatable.
    /// Default: all built-in rules.
    #[arg(long = "rule")]
    rules: Vec<String>,
    /// Bootstrap replicates for the CIs.
    #[arg(long, default_value_t = 200, value_parser = super::bootstrap_arg)]
    bootstrap: usize,
    /// Seed of the bootstrap.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Risk threshold at which net benefit is reported in the table.
    #[arg(long, default_value_t = 0.10)]
    threshold: f64,
    /// Simulator truth.csv: adds the true risk as an "oracle" score (simulated data only).
    #[arg(long)]
    truth: Option<PathBuf>,
    /// Visits file: with a dynamic model, compare restart policies (MRD conversion, CTX rise
    /// above the LSC, both) with the model at equal alarms and at --threshold; writes
    /// restart.json.
    #[arg(long, conflicts_with_all = ["rules", "truth"])]
    visits: Option<PathBuf>,
    /// Restart trigger for --visits: an MM trigger's name or 'name=SQL condition' over the
    /// visit rows and their landmark features (repeatable); default: the MM triggers in the
    /// MM profile.
    #[arg(long = "trigger", value_name = "NAME=SQL", requires = "visits")]
    triggers: Vec<String>,
    /// Cox models: the horizon of the risk (unit of the model's time column); the comparison
    /// then uses every patient (Kaplan-Meier among the stopped, IPCW sensitivity and
    /// specificity, net benefit for a time-to-event outcome).
    #[arg(long)]
    horizon: Option<f64>,
    /// Output folder for comparison.json, decision_curve.csv and decision_curve.svg/.png.
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    study: super::StudyArgs,
}

/// Parse `--rule` values (all built-ins when none are given, in the MM profile; the
/// built-in rules read MM columns, so another study names its own).
pub fn parse_rules(args: &[String], study: &mbdrisk::study::Study) -> mbdrisk::Result<Vec<Rule>> {
    if args.is_empty() && !study.is_mm() {
        return Err(Error::Usage(
            "name the rules to compare with: --rule 'name=SQL condition' (true = the rule's low-risk call), e.g. --rule 'young=age < 60'; the built-in rules (two-year, imwg-2021, triad) are the MM profile's".into(),
        ));
    }
    Rule::parse_list(args)
}

pub fn run(args: Args) -> mbdrisk::Result<()> {
    if !(0.0 < args.threshold && args.threshold < 1.0) {
        return Err(Error::Usage(format!(
            "--threshold {}: expected a probability strictly between 0 and 1",
            args.threshold
        )));
    }
    let model = persist::load(&args.model)?;
    if model.family.cox().is_some() && args.horizon.is_none() {
        return Err(Error::Usage(format!(
            "{} is a Cox model: compare its risk by a horizon with --horizon H (e.g. 24)",
            args.model.display()
        )));
    }
    if model.family.cox().is_none() && args.horizon.is_some() {
        return Err(Error::Usage(format!(
            "--horizon: {} is a {} model, whose risk has no horizon",
            args.model.display(),
            model.family.name()
        )));
    }
    if let Some(visits) = &args.visits {
        let (cohort, visits) =
            super::load_dynamic_inputs(&args.data, visits, &args.study.resolve()?)?;
        let mut triggers = mbdrisk::rules::Rule::parse_triggers(&args.triggers)?;
        if triggers.is_empty() {
            if !cohort.study.is_mm() {
                return Err(Error::Usage(
                    "name the restart triggers to compare with the model: --trigger 'name=SQL condition' over the visit rows and their features, e.g. 'bili_rise=bili_change_prev_pct > 30' (the built-in triggers are the MM profile's)".into(),
                ));
            }
            triggers = mbdrisk::rules::Rule::mm_triggers();
        }
        let mut d = mbdrisk::compare::restart::restart_data(
            &model,
            &cohort.table,
            &visits.table,
            &triggers,
        )?;
        d.per_year = cohort.study.per_year();
        for w in &d.warnings {
            note!("warning: {w}");
        }
        let c = mbdrisk::compare::restart::compare_restart(
            &d,
            args.threshold,
            args.bootstrap,
            args.seed,
        )?;
        let files = [("restart.json", super::json_text("restart.json", &c)?)];
        let mut inputs = vec![args.model.as_path(), args.data.as_path()];
        inputs.extend(args.visits.as_deref());
        return super::write_outputs(&args.out, &inputs, &files, &[], &c.render_table());
    }
    if model.dynamic.is_some() {
        return Err(Error::Usage(format!(
            "{} is a dynamic (landmark) model: compare its restart alarms with --visits VISITS",
            args.model.display()
        )));
    }
    // the study's checks; identifiers stay text (`007` is not the number 7) so they match the
    // truth file
    let cohort = mbdrisk::cohort::load_cohort(&args.data, &args.study.resolve()?)?;
    super::print_warnings(&cohort.warnings);
    let rules = parse_rules(&args.rules, &cohort.study)?;
    let study = cohort.study;
    let table = cohort.table;
    let oracle = args
        .truth
        .as_deref()
        .map(|p| read_oracle(p, &table))
        .transpose()?;
    let opts = CompareOptions {
        bootstrap: args.bootstrap,
        seed: args.seed,
        reference_threshold: args.threshold,
        ..CompareOptions::default()
    };
    let setup = CohortCompare {
        rules: rules.clone(),
        oracle,
    };
    let mut inputs = vec![args.model.as_path(), args.data.as_path()];
    inputs.extend(args.truth.as_deref());
    if let Some(h) = args.horizon {
        if !(h.is_finite() && h > 0.0) {
            return Err(Error::Usage(format!(
                "--horizon {h}: expected a time after 0"
            )));
        }
        if args.truth.is_some() && h != 24.0 {
            return Err(Error::Usage(format!(
                "--truth holds the true risk by 24 months; it cannot be compared at --horizon {h}"
            )));
        }
        let mut c = mbdrisk::compare::compare_cohort_censored(&model, &table, &setup, &opts, h)?;
        c.words = mbdrisk::compare::CompareWords::of(&study);
        for w in &c.warnings {
            note!("warning: {w}");
        }
        let files = [
            ("comparison.json", super::json_text("comparison.json", &c)?),
            ("decision_curve.csv", c.decision_curve.to_csv()),
        ];
        let figures = [(
            "decision_curve",
            mbdrisk::report::decision_curve_figure(
                &study,
                &rules,
                &c.decision_curve,
                c.n,
                c.events_before_horizon,
                c.bootstrap,
            )?,
        )];
        return super::write_outputs(&args.out, &inputs, &files, &figures, &c.render_table());
    }
    let mut c = compare_cohort(&model, &table, &setup, &opts)?;
    c.words = mbdrisk::compare::CompareWords::of(&study);
    for w in &c.warnings {
        note!("warning: {w}");
    }
    let files = [
        ("comparison.json", super::json_text("comparison.json", &c)?),
        ("decision_curve.csv", c.decision_curve.to_csv()),
    ];
    let figures = [(
        "decision_curve",
        mbdrisk::report::decision_figure(&study, &rules, &c)?,
    )];
    super::write_outputs(&args.out, &inputs, &files, &figures, &c.render_table())
}
