//! Command-line front end: one file per subcommand, each only parsing flags, calling the
//! library and writing files.

mod check;
mod compare;
mod demo;
mod fit;
mod report;
mod score;
mod simulate;
mod validate;

use clap::{Parser, Subcommand};

/// Relapse-risk models for stopping bone protection in multiple myeloma.
#[derive(Debug, Parser)]
#[command(name = "mbdrisk", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate a cohort (and visits) file and print a summary.
    Check(check::Args),
    /// Compare a model with stopping rules: matched policies, NRI, decision curves.
    Compare(compare::Args),
    /// Run the full report on the embedded demo cohort and print the key comparison.
    Demo(demo::Args),
    /// Fit a logistic model from a formula and write model.json.
    Fit(fit::Args),
    /// Fit, validate, compare with the rules and plot: one self-contained report.html.
    Report(report::Args),
    /// Score a data file with a fitted model into scores.csv.
    Score(score::Args),
    /// Simulate a literature-grounded cohort: cohort.csv, visits.csv, truth.csv.
    Simulate(simulate::Args),
    /// Validate a model (apparent, bootstrap, CV) or an existing risk score on a data file.
    Validate(validate::Args),
}

/// Run the parsed command.
pub fn run(cli: Cli) -> mbdrisk::Result<()> {
    match cli.command {
        Command::Check(a) => check::run(a),
        Command::Compare(a) => compare::run(a),
        Command::Demo(a) => demo::run(a),
        Command::Fit(a) => fit::run(a),
        Command::Report(a) => report::run(a),
        Command::Score(a) => score::run(a),
        Command::Simulate(a) => simulate::run(a),
        Command::Validate(a) => validate::run(a),
    }
}

/// Read a cohort file and its visits file (validated against each other), printing the
/// non-fatal findings: the inputs of every dynamic-model command.
pub fn load_dynamic_inputs(
    data: &std::path::Path,
    visits: &std::path::Path,
) -> mbdrisk::Result<(mbdrisk::cohort::Cohort, mbdrisk::cohort::Visits)> {
    let cohort = mbdrisk::cohort::load_cohort(data)?;
    let visits = mbdrisk::cohort::load_visits(visits, Some(&cohort))?;
    print_warnings(&cohort.warnings);
    print_warnings(&visits.warnings);
    Ok((cohort, visits))
}

/// `--bootstrap` as typed: a whole number bounded by [`mbdrisk::limits::MAX_BOOTSTRAP`].
pub fn bootstrap_arg(s: &str) -> Result<usize, String> {
    use mbdrisk::limits::{parse_count, MAX_BOOTSTRAP};
    parse_count("--bootstrap", s, MAX_BOOTSTRAP, true).map_err(|e| e.to_string())
}

/// Print non-fatal findings to stderr: the first [`mbdrisk::error::MAX_WARNINGS_SHOWN`], then
/// a count of the rest (a file with 10,000 extra columns must not bury the terminal).
pub fn print_warnings(warnings: &[mbdrisk::Problem]) {
    eprint!("{}", mbdrisk::error::render_warnings(warnings));
}

/// A progress bar on stderr when it is a terminal; hidden otherwise (CI, pipes).
pub fn progress_bar(len: u64, message: &'static str) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if len == 0 || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({eta})")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(message);
    bar
}

/// `value` as pretty JSON with a final newline: the text of the output file `name`.
pub fn json_text<T: serde::Serialize>(name: &str, value: &T) -> mbdrisk::Result<String> {
    serde_json::to_string_pretty(value)
        .map(|s| s + "\n")
        .map_err(|e| mbdrisk::Error::Analysis(format!("{name}: {e}")))
}

/// Write several text files into `dir` as one set (all new or all old: see
/// [`mbdrisk::io::OutputSet`]), refusing to overwrite any of `inputs`, then print `table` and
/// say on stderr which files went where.
pub fn write_outputs(
    dir: &std::path::Path,
    inputs: &[&std::path::Path],
    files: &[(&str, String)],
    table: &str,
) -> mbdrisk::Result<()> {
    let mut set = mbdrisk::io::OutputSet::begin(dir)?;
    for (name, text) in files {
        set.write_str(name, text)?;
    }
    mbdrisk::io::refuse_overwriting_inputs(&set.paths(), inputs)?;
    set.commit()?;
    print!("{table}");
    let names: Vec<&str> = files.iter().map(|(n, _)| *n).collect();
    eprintln!("wrote {} to {}", names.join(", "), dir.display());
    Ok(())
}
