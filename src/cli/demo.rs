//! `mbdrisk demo`: the full report on the embedded demo cohort, and the key comparison.

use std::path::PathBuf;

use mbdrisk::model::landmark::DEMO_FORMULA as DEMO_DYNAMIC_FORMULA;

/// The default multiple-myeloma formula of the demo: a Cox model of the time to a bone event
/// (every patient used, censored or not) on markers, MRD, PET (not measured: a level of its
/// own), response, therapy duration, agent and prior SRE; its risk by [`DEMO_HORIZON`] months
/// is compared with the rules.
pub const DEMO_FORMULA: &str = "Surv(time_months, event) ~ log(ctx_ng_ml) + log(p1np_ng_ml) + \
                                addNA(mrd) + addNA(pet) + response + rcs(bpa_months, 3) + \
                                agent + prior_sre";

/// Horizon of the demo's risk, months.
pub const DEMO_HORIZON: f64 = 24.0;

/// Run the report on data/demo (2,000 simulated patients) and print the key comparison.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  mbdrisk demo --out demo_report/")]
pub struct Args {
    /// Output folder.
    #[arg(long, default_value = "mbdrisk-demo")]
    out: PathBuf,
    /// Bootstrap replicates.
    #[arg(long, default_value_t = 200, value_parser = super::bootstrap_arg)]
    bootstrap: usize,
    /// Seed.
    #[arg(long, default_value_t = 20261125)]
    seed: u64,
    /// The static model: the Cox model of the time to a bone event (default, risk by 24
    /// months), or another formula, e.g. the logistic model of the 24-month outcome:
    /// "event_24m ~ log(ctx_ng_ml) + log(p1np_ng_ml) + mrd + pet + response + rcs(bpa_months, 3) + agent + prior_sre".
    #[arg(long, default_value = DEMO_FORMULA)]
    formula: String,
}

pub fn run(args: Args) -> mbdrisk::Result<()> {
    // the demo files travel inside the binary: an installed mbdrisk needs no source tree
    let dir = args.out.join("data");
    let mut set = mbdrisk::io::OutputSet::begin(&dir)?;
    for (name, bytes) in mbdrisk::simulate::demo::FILES {
        set.write_bytes(name, bytes)?;
    }
    set.commit()?;
    let report = super::report::produce(super::report::Args {
        data: dir.join("cohort.csv"),
        visits: Some(dir.join("visits.csv")),
        formula: Some(args.formula.clone()),
        horizon: Some(DEMO_HORIZON),
        penalty: "none".into(),
        rules: Vec::new(),
        bootstrap: args.bootstrap,
        seed: args.seed,
        truth: Some(dir.join("truth.csv")),
        dynamic_formula: Some(DEMO_DYNAMIC_FORMULA.to_string()),
        show_ids: false,
        out: args.out.clone(),
        study: super::StudyArgs::default(),
        triggers: Vec::new(),
        landmark: super::LandmarkArgs::default(),
    })?;
    println!(
        "mbdrisk demo: {} (synthetic, 2,000 patients, written there from the binary)\n",
        dir.display()
    );
    println!("Model: {}", args.formula);
    if let Some(cp) = &report.cox_part {
        print!("{}", mbdrisk::validation::cox::render(&cp.validation));
        println!();
        print!("{}", cp.comparison.render_table());
    }
    if let Some(sr) = &report.static_part {
        print!("{}", sr.validation.render_table());
        println!();
        print!("{}", sr.comparison.render_table());
    }
    if let Some(d) = &report.dynamic {
        println!("\nDynamic model: {DEMO_DYNAMIC_FORMULA}");
        print!("{}", d.validation.render_table());
        println!();
        print!("{}", d.restart.render_table());
    }
    println!(
        "\nOpen {} in a browser for the full report.",
        args.out.join("report.html").display()
    );
    Ok(())
}
