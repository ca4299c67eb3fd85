//! Command-line front end: one file per subcommand, each only parsing flags, calling the
//! library and writing files.

mod bench;
mod check;
mod compare;
mod demo;
mod export;
mod fit;
mod init;
mod report;
mod score;
mod simulate;
mod validate;

use clap::{Parser, Subcommand};

/// Risk models from cohort files: fit, validate, compare with rules, report. The default
/// profile is relapse risk after stopping bone protection in multiple myeloma.
#[derive(Debug, Parser)]
#[command(name = "mbdrisk", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Time how fast a model scores on this machine (in memory, from a file, in DuckDB).
    Bench(bench::Args),
    /// Validate a cohort (and visits) file and print a summary.
    Check(check::Args),
    /// Compare a model with stopping rules: matched policies, NRI, decision curves.
    Compare(compare::Args),
    /// Run the full report on the embedded demo cohort and print the key comparison.
    Demo(demo::Args),
    /// Write a model as one SQL query that scores a table in DuckDB, SQLite, PostgreSQL or Spark.
    Export(export::Args),
    /// Fit a logistic or Cox model from a formula and write model.json.
    Fit(fit::Args),
    /// Write a commented study file (roles and words) from a cohort's header.
    Init(init::Args),
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
        Command::Bench(a) => bench::run(a),
        Command::Check(a) => check::run(a),
        Command::Compare(a) => compare::run(a),
        Command::Demo(a) => demo::run(a),
        Command::Export(a) => export::run(a),
        Command::Fit(a) => fit::run(a),
        Command::Init(a) => init::run(a),
        Command::Report(a) => report::run(a),
        Command::Score(a) => score::run(a),
        Command::Simulate(a) => simulate::run(a),
        Command::Validate(a) => validate::run(a),
    }
}

/// Read a cohort file and its visits file (validated against each other) under a study,
/// printing the non-fatal findings: the inputs of every dynamic-model command.
pub fn load_dynamic_inputs(
    data: &std::path::Path,
    visits: &std::path::Path,
    study: &mbdrisk::study::StudyFile,
) -> mbdrisk::Result<(mbdrisk::cohort::Cohort, mbdrisk::cohort::Visits)> {
    let cohort = mbdrisk::cohort::load_cohort(data, study)?;
    let visits = mbdrisk::cohort::load_visits(visits, Some(&cohort), &cohort.study)?;
    print_warnings(&cohort.warnings);
    print_warnings(&visits.warnings);
    Ok((cohort, visits))
}

/// The study description flags, shared by the commands that read a cohort (`check`,
/// `compare`, `report`): a study file and the flags that override it.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct StudyArgs {
    /// Study file (TOML) naming this cohort's columns and words (`mbdrisk init` writes one);
    /// the flags below win over it. Without one, the MM profile applies when the MM columns
    /// are present.
    #[arg(long, value_name = "FILE")]
    pub study: Option<std::path::PathBuf>,
    /// Patient identifier column, in the cohort and the visits file [default: patient_id].
    #[arg(long, value_name = "COL")]
    pub id: Option<String>,
    /// Follow-up time column (time from the decision point to the event or censoring)
    /// [default: time_months].
    #[arg(long, value_name = "COL")]
    pub time: Option<String>,
    /// Event column (1 = event, 0 = censored) [default: event].
    #[arg(long, value_name = "COL")]
    pub event: Option<String>,
    /// Visit time column of the visits file [default: month].
    #[arg(long, value_name = "COL")]
    pub visit_time: Option<String>,
    /// Unit of the time columns in words [default: months (MM), time units].
    #[arg(long, value_name = "WORDS")]
    pub time_unit: Option<String>,
    /// The event in words, singular, for text and plots ("death") [default: bone event (MM),
    /// event].
    #[arg(long, value_name = "WORDS")]
    pub event_name: Option<String>,
    /// What a high-risk call leads to, as a verb phrase [default: continue bone protection
    /// (MM), treat].
    #[arg(long, value_name = "WORDS")]
    pub action: Option<String>,
    /// The horizon of the static model's outcome in words ("5-year") [default: 24-month (MM),
    /// none].
    #[arg(long, value_name = "WORDS")]
    pub horizon_words: Option<String>,
    /// A column playing an MM role (`ctx_ng_ml=CTX`): it gets that role's checks; repeatable.
    #[arg(long = "map", value_name = "ROLE=COL")]
    pub map: Vec<String>,
    /// The unit of a column in the file when it is not its MM role's (`CTX=pg/mL`): converted
    /// for the checks and by every model; repeatable.
    #[arg(long = "unit", value_name = "COL=UNIT")]
    pub units: Vec<String>,
    /// Visits after a patient's event or censoring are errors (by default they are left out
    /// with a warning that counts them).
    #[arg(long)]
    pub strict: bool,
}

impl StudyArgs {
    /// The study file (if any) with the flags over it.
    pub fn resolve(&self) -> mbdrisk::Result<mbdrisk::study::StudyFile> {
        study_file(self.study.as_deref(), self.flags()?)
    }

    fn flags(&self) -> mbdrisk::Result<mbdrisk::study::StudyFile> {
        let columns = key_values("--map", &self.map, "ROLE=COLUMN, e.g. ctx_ng_ml=CTX")?;
        let units = key_values("--unit", &self.units, "COLUMN=UNIT, e.g. CTX=pg/mL")?;
        let flags = mbdrisk::study::StudyFile {
            units,
            id: self.id.clone(),
            time: self.time.clone(),
            event: self.event.clone(),
            visit_time: self.visit_time.clone(),
            time_unit: self.time_unit.clone(),
            event_name: self.event_name.clone(),
            action: self.action.clone(),
            horizon: self.horizon_words.clone(),
            strict: self.strict.then_some(true),
            columns,
            ..Default::default()
        };
        flags.checked("the command line")
    }
}

/// How a dynamic model's landmark rows are built: the flags of `fit --dynamic` and `report`.
#[derive(Debug, Clone, clap::Args)]
pub struct LandmarkArgs {
    /// Prediction window in months: the model predicts an event within (s, s + window].
    #[arg(long, default_value_t = 6.0)]
    pub window: f64,
    /// Landmark times in months as start:end:step.
    #[arg(long, default_value = "0:24:3")]
    pub landmarks: String,
    /// Months after which a measurement is no longer carried forward (then missing).
    #[arg(long, default_value_t = 12.0)]
    pub max_staleness: f64,
    /// A column's own staleness limit as COLUMN=MONTHS, e.g. pet=24 (repeatable; overrides
    /// --max-staleness for that column).
    #[arg(long = "staleness", value_name = "COLUMN=MONTHS")]
    pub staleness: Vec<String>,
    /// Least significant change of a numeric visit column in percent, e.g. bili=30: adds its
    /// features X_above_lsc and X_rise_lsc (repeatable; ctx_ng_ml=56 is the MM default).
    #[arg(long = "lsc", value_name = "COLUMN=PERCENT")]
    pub lsc: Vec<String>,
    /// The level a two-level visit column converts to, e.g. ascites=1: adds X_conversion
    /// (repeatable; mrd and ctdna have theirs in the MM profile).
    #[arg(long = "positive", value_name = "COLUMN=LEVEL")]
    pub positive: Vec<String>,
}

impl Default for LandmarkArgs {
    fn default() -> Self {
        LandmarkArgs {
            window: 6.0,
            landmarks: "0:24:3".into(),
            max_staleness: 12.0,
            staleness: Vec::new(),
            lsc: Vec::new(),
            positive: Vec::new(),
        }
    }
}

impl LandmarkArgs {
    /// The landmark options these flags give (identifier and visit time: the defaults).
    pub fn options(&self) -> mbdrisk::Result<mbdrisk::model::landmark::LandmarkOptions> {
        use mbdrisk::model::landmark::LandmarkOptions;
        let (ctx_lsc, lsc) = LandmarkOptions::parse_lsc_list(&self.lsc)?;
        let d = LandmarkOptions::default();
        Ok(LandmarkOptions {
            landmarks: LandmarkOptions::parse_landmarks(&self.landmarks)?,
            window: self.window,
            max_staleness: self.max_staleness,
            staleness: LandmarkOptions::parse_staleness_list(&self.staleness)?,
            ctx_lsc: ctx_lsc.unwrap_or(d.ctx_lsc),
            lsc,
            positive: LandmarkOptions::parse_positive_list(&self.positive)?,
            ..d
        })
    }
}

/// The study of a command that takes only `--study` and `--id` (`fit`, `score`, `validate`).
pub fn study_with_id(
    path: Option<&std::path::Path>,
    id: Option<&str>,
) -> mbdrisk::Result<mbdrisk::study::StudyFile> {
    let flags = mbdrisk::study::StudyFile {
        id: id.map(str::to_string),
        ..Default::default()
    };
    study_file(path, flags.checked("the command line")?)
}

/// `KEY=VALUE` flag values as a map (trimmed; a later key wins), or a usage error naming
/// `flag` and the `expected` form.
fn key_values(
    flag: &str,
    values: &[String],
    expected: &str,
) -> mbdrisk::Result<std::collections::BTreeMap<String, String>> {
    values
        .iter()
        .map(|v| {
            v.split_once('=')
                .map(|(k, x)| (k.trim().to_string(), x.trim().to_string()))
                .ok_or_else(|| mbdrisk::Error::Usage(format!("{flag} '{v}': expected {expected}")))
        })
        .collect()
}

/// The study file at `path` (or none) with `flags` over it.
pub fn study_file(
    path: Option<&std::path::Path>,
    flags: mbdrisk::study::StudyFile,
) -> mbdrisk::Result<mbdrisk::study::StudyFile> {
    let base = match path {
        Some(p) => mbdrisk::study::StudyFile::read(p)?,
        None => mbdrisk::study::StudyFile::default(),
    };
    Ok(base.overlay(flags))
}

/// `--bootstrap` as typed: a whole number bounded by [`mbdrisk::limits::MAX_BOOTSTRAP`].
pub fn bootstrap_arg(s: &str) -> Result<usize, String> {
    use mbdrisk::limits::{parse_count, MAX_BOOTSTRAP};
    parse_count("--bootstrap", s, MAX_BOOTSTRAP, true).map_err(|e| e.to_string())
}

/// Print non-fatal findings to stderr: the first [`mbdrisk::error::MAX_WARNINGS_SHOWN`], then
/// a count of the rest (a file with 10,000 extra columns must not bury the terminal).
pub fn print_warnings(warnings: &[mbdrisk::Problem]) {
    use std::io::Write as _;
    let _ = write!(
        std::io::stderr(),
        "{}",
        mbdrisk::error::render_warnings(warnings)
    );
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
    figures: &[(&str, mbdrisk::plot::Figure)],
    table: &str,
) -> mbdrisk::Result<()> {
    let mut set = mbdrisk::io::OutputSet::begin(dir)?;
    for (name, text) in files {
        set.write_str(name, text)?;
    }
    for (stem, figure) in figures {
        figure.stage(&mut set, stem)?;
    }
    mbdrisk::io::refuse_overwriting_inputs(&set.paths(), inputs)?;
    set.commit()?;
    print!("{table}");
    let mut names: Vec<String> = files.iter().map(|(n, _)| n.to_string()).collect();
    names.extend(figures.iter().map(|(s, _)| format!("{s}.svg/.png")));
    note!("wrote {} to {}", names.join(", "), dir.display());
    Ok(())
}
