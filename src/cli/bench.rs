//! `mbdrisk bench`: scoring throughput of a user's model on this machine.

use std::path::PathBuf;

use clap::Args as ClapArgs;
use mbdrisk::bench::{BenchOptions, Timing};

/// Time how fast a model scores: in memory and from a data file, and its SQL in DuckDB.
#[derive(Debug, ClapArgs)]
#[command(after_help = "Example:\n  \
    mbdrisk bench --model model.json --data data/demo/cohort.csv --rows 1000000 --out bench.json")]
pub struct Args {
    /// Model file (`fit` output), logistic or Cox.
    #[arg(long)]
    model: PathBuf,
    /// Data file to score (CSV, TSV or Parquet); without it, rows are drawn from the model's
    /// training summary.
    #[arg(long)]
    data: Option<PathBuf>,
    /// Rows scored in memory (the data's rows repeated, or drawn).
    #[arg(long, default_value_t = 1_000_000)]
    rows: usize,
    /// Repetitions of each case (min, median and max are reported).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Horizon of a Cox model's risk.
    #[arg(long)]
    horizon: Option<f64>,
    /// Seed of the drawn rows.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Where to write the results as JSON.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Run `bench`.
pub fn run(args: Args) -> mbdrisk::Result<()> {
    let model = mbdrisk::model::persist::load(&args.model)?;
    let opts = BenchOptions {
        rows: args.rows,
        runs: args.runs,
        horizon: args.horizon,
        seed: args.seed,
    };
    let mut report = mbdrisk::bench::run(&model, args.data.as_deref(), &opts)?;
    match &args.data {
        Some(data) => match duckdb_timing(&model, data, &opts) {
            Ok(t) => report.timings.push(t),
            Err(why) => report.skipped.push(format!("DuckDB: {why}")),
        },
        None => report.skipped.push("DuckDB: no --data file to load".into()),
    }
    println!(
        "{} model, {} cores, {} threads; in-memory rows: {}",
        report.family, report.cores, report.threads, report.rows_from
    );
    println!(
        "  {:<36} {:>10} {:>5} {:>9} {:>9} {:>9} {:>14}",
        "case", "rows", "runs", "min s", "median s", "max s", "rows/s"
    );
    for t in &report.timings {
        println!(
            "  {:<36} {:>10} {:>5} {:>9.4} {:>9.4} {:>9.4} {:>14.0}",
            t.case, t.rows, t.runs, t.min_s, t.median_s, t.max_s, t.rows_per_s
        );
    }
    for s in &report.skipped {
        println!("  skipped: {s}");
    }
    if let Some(out) = &args.out {
        let text = super::json_text("bench.json", &report)?;
        mbdrisk::io::write_atomic(out, |w| {
            w.write_all(text.as_bytes())
                .map_err(|source| mbdrisk::Error::Io {
                    path: out.display().to_string(),
                    source,
                })
        })?;
        eprintln!("wrote {}", out.display());
    }
    Ok(())
}

/// The model's SQL (`export --dialect duckdb`) run in DuckDB through Python on the data file
/// (CSV or Parquet) loaded as a table: the query's time, `runs` times. An error says why it
/// could not run (no python3, no duckdb package, a TSV file).
fn duckdb_timing(
    model: &mbdrisk::model::fit::Model,
    data: &std::path::Path,
    opts: &BenchOptions,
) -> Result<Timing, String> {
    let kind = match mbdrisk::table::read::Format::from_path(data) {
        Ok(mbdrisk::table::read::Format::Csv { delimiter: b',' }) => "csv",
        Ok(mbdrisk::table::read::Format::Parquet) => "parquet",
        _ => return Err("only a CSV or Parquet file is loaded into DuckDB here".into()),
    };
    let sql = mbdrisk::export::to_sql(
        model,
        &mbdrisk::export::SqlOptions {
            dialect: mbdrisk::export::Dialect::DuckDb,
            table: "cohort".into(),
            id: None,
            horizon: opts.horizon,
        },
    )
    .map_err(|e| e.to_string())?;
    let script = r#"
import sys, time
try:
    import duckdb
except ImportError as e:
    print("ERR the Python package duckdb is not installed (pip install duckdb)"); sys.exit(0)
path, runs, kind, sql = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.stdin.read()
con = duckdb.connect()
if kind == "parquet":
    con.execute("CREATE TABLE cohort AS SELECT * FROM read_parquet(?)", [path])
else:
    con.execute("CREATE TABLE cohort AS SELECT * FROM read_csv(?, nullstr = ['', 'NA'])", [path])
n = con.execute("SELECT count(*) FROM cohort").fetchone()[0]
times = []
for _ in range(runs):
    t = time.perf_counter()
    con.execute("SELECT count(risk) FROM (" + sql.rstrip().rstrip(";") + ")").fetchall()
    times.append(time.perf_counter() - t)
print("OK", n, " ".join(map(repr, times)))
"#;
    use std::io::Write as _;
    let mut child = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(data)
        .arg(opts.runs.to_string())
        .arg(kind)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("python3 could not be started ({e})"))?;
    child
        .stdin
        .take()
        .ok_or("no stdin")?
        .write_all(sql.as_bytes())
        .map_err(|e| e.to_string())?;
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().last().unwrap_or_default();
    let Some(rest) = line.strip_prefix("OK ") else {
        let why = line.strip_prefix("ERR ").map_or_else(
            || {
                format!(
                    "the query failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                        .lines()
                        .last()
                        .unwrap_or_default()
                )
            },
            str::to_string,
        );
        return Err(why);
    };
    let mut it = rest.split_whitespace();
    let n: usize = it.next().and_then(|v| v.parse().ok()).ok_or("bad output")?;
    let times: Vec<f64> = it.filter_map(|v| v.parse().ok()).collect();
    if times.is_empty() {
        return Err("no timing came back".into());
    }
    Ok(Timing::of("DuckDB: the exported SQL", n, times))
}
