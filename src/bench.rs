//! `mbdrisk bench`: how fast a user's own model scores, on this machine.
//!
//! Cases, each run `runs` times (min / median / max wall time, rows per second at the
//! median):
//! - `in memory: design + score`: the model's design replayed on a loaded table (transforms,
//!   splines, levels) and scored, the work of `score` without the file;
//! - `in memory: score prepared design`: the linear predictor and risk of the design rows
//!   alone (the scoring kernel);
//! - `from file`: `score` of the data file end to end (read, parse, design, score, write), when
//!   a file is given.
//!
//! The rows in memory are the data file's, repeated up to `rows`, or without a file rows drawn
//! from the model's own training summary (numeric columns from the piecewise-linear quantile
//! function through its 5/25/50/75/95th percentiles, levels by their counts), seeded.

use std::path::Path;
use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::model::fit::Model;
use crate::table::{Column, Table};

/// Most rows `--rows` may ask for in memory.
pub const MAX_BENCH_ROWS: usize = 100_000_000;
/// Most repetitions `--runs` may ask for.
pub const MAX_BENCH_RUNS: usize = 1_000;

/// What to run.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Rows scored in memory.
    pub rows: usize,
    /// Repetitions of each case.
    pub runs: usize,
    /// Horizon of a Cox model's risk.
    pub horizon: Option<f64>,
    /// Seed of the drawn rows.
    pub seed: u64,
}

/// One case's timings.
#[derive(Debug, Clone, Serialize)]
pub struct Timing {
    /// What was timed.
    pub case: String,
    /// Rows per run.
    pub rows: usize,
    /// Runs.
    pub runs: usize,
    /// Fastest run, seconds.
    pub min_s: f64,
    /// Median run, seconds.
    pub median_s: f64,
    /// Slowest run, seconds.
    pub max_s: f64,
    /// Rows per second at the median.
    pub rows_per_s: f64,
}

/// The benchmark (`bench.json`).
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    /// mbdrisk version.
    pub version: &'static str,
    /// The model's family and formula.
    pub family: &'static str,
    /// Formula.
    pub formula: String,
    /// Logical cores of the machine.
    pub cores: usize,
    /// Worker threads used.
    pub threads: usize,
    /// Where the in-memory rows came from.
    pub rows_from: String,
    /// The cases.
    pub timings: Vec<Timing>,
    /// Cases not run, with the reason.
    pub skipped: Vec<String>,
}

impl Timing {
    /// A case's timing from its run times in seconds (at least one).
    pub fn of(case: &str, rows: usize, mut t: Vec<f64>) -> Timing {
        t.sort_by(f64::total_cmp);
        let median = crate::stats::quantile_sorted(&t, 0.5);
        Timing {
            case: case.to_string(),
            rows,
            runs: t.len(),
            min_s: t.first().copied().unwrap_or(f64::NAN),
            median_s: median,
            max_s: t.last().copied().unwrap_or(f64::NAN),
            rows_per_s: if median > 0.0 {
                rows as f64 / median
            } else {
                f64::INFINITY
            },
        }
    }
}

/// Time `f` `runs` times on `rows` rows.
///
/// # Errors
/// The first error of `f`.
pub fn time_case(
    case: &str,
    rows: usize,
    runs: usize,
    mut f: impl FnMut() -> Result<()>,
) -> Result<Timing> {
    let mut t = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        f()?;
        t.push(start.elapsed().as_secs_f64());
    }
    Ok(Timing::of(case, rows, t))
}

/// Run the benchmark of `model` (on `data` when given).
///
/// # Errors
/// Counts out of bounds, a model that cannot score (a Cox model without a horizon), the
/// data's input problems.
pub fn run(model: &Model, data: Option<&Path>, opts: &BenchOptions) -> Result<BenchReport> {
    crate::limits::check_count("--rows", opts.rows, MAX_BENCH_ROWS, false)?;
    crate::limits::check_count("--runs", opts.runs, MAX_BENCH_RUNS, false)?;
    if model.dynamic.is_some() {
        return Err(Error::Usage(
            "bench times logistic and Cox models; a landmark (dynamic) model scores visits".into(),
        ));
    }
    let horizons: Vec<f64> = opts.horizon.into_iter().collect();
    let scorer = model.scorer_at(&horizons)?;
    // the file's rows are counted once, here, for the file case below
    let (table, rows_from, file_rows) = match data {
        Some(p) => {
            let t = Table::read(p)?;
            let from = format!(
                "{} ({} rows, repeated to {})",
                p.display(),
                t.nrows(),
                opts.rows
            );
            (repeat_rows(&t, opts.rows), from, t.nrows())
        }
        None => (
            drawn_rows(model, opts.rows, opts.seed)?,
            format!(
                "{} rows drawn from the model's training summary (seed {})",
                opts.rows, opts.seed
            ),
            0,
        ),
    };
    let mut timings = Vec::new();
    timings.push(time_case(
        "in memory: design + score",
        opts.rows,
        opts.runs,
        || scorer.score_table(&table).map(|_| ()),
    )?);
    let design = crate::design::replay(scorer.compiled(), &table)?;
    let (mut lp, mut risk) = (vec![0.0; design.n], vec![0.0; design.n]);
    timings.push(time_case(
        "in memory: score prepared design",
        design.n,
        opts.runs,
        || {
            scorer.score_rows(&design.x, &mut lp, &mut risk);
            Ok(())
        },
    )?);
    let mut skipped = Vec::new();
    match data {
        Some(p) => {
            let dir =
                tempfile::tempdir().map_err(|e| Error::io(Path::new("temporary folder"), e))?;
            let out = dir.path().join("scores.csv");
            let score_opts = crate::score::stream::CsvScoreOptions::default();
            timings.push(time_case(
                "from file: score end to end",
                file_rows,
                opts.runs,
                || scorer.score_csv(p, &out, &score_opts).map(|_| ()),
            )?);
        }
        None => skipped.push("from file: no --data file given".into()),
    }
    Ok(BenchReport {
        version: env!("CARGO_PKG_VERSION"),
        family: model.family.name(),
        formula: model.formula.clone(),
        cores: std::thread::available_parallelism().map_or(1, usize::from),
        threads: rayon::current_num_threads(),
        rows_from,
        timings,
        skipped,
    })
}

/// The rows of `t` repeated (in order, cycling) to `n` rows.
fn repeat_rows(t: &Table, n: usize) -> Table {
    let m = t.nrows().max(1);
    let columns = t
        .columns
        .iter()
        .map(|c| match c {
            Column::Num(v) => Column::Num((0..n).map(|i| v[i % m]).collect()),
            Column::Text(v) => Column::Text((0..n).map(|i| v[i % m].clone()).collect()),
        })
        .collect();
    Table {
        source: t.source.clone(),
        names: t.names.clone(),
        columns,
        lines: Vec::new(),
    }
}

/// `n` rows of the model's predictor columns drawn from its training summary.
fn drawn_rows(model: &Model, n: usize, seed: u64) -> Result<Table> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut names = Vec::new();
    let mut columns = Vec::new();
    let mut needed: Vec<&str> = Vec::new();
    for term in &model.design.terms {
        needed.push(&term.variable);
        if let Some(b) = &term.by {
            needed.push(&b.variable);
        }
    }
    if let Some(s) = model.family.cox().and_then(|c| c.strata.as_ref()) {
        needed.push(&s.variable);
    }
    needed.dedup();
    for var in needed {
        if names.iter().any(|n: &String| n == var) {
            continue;
        }
        let summary = model
            .training_summary
            .iter()
            .find(|s| s.column == var)
            .ok_or_else(|| {
                Error::Usage(format!(
                    "the model has no training summary of '{var}' to draw rows from: give --data"
                ))
            })?;
        let col = if let Some(q) = &summary.numeric {
            let knots = [
                (0.0, q.p05),
                (0.05, q.p05),
                (0.25, q.p25),
                (0.5, q.p50),
                (0.75, q.p75),
                (0.95, q.p95),
                (1.0, q.p95),
            ];
            Column::Num(
                (0..n)
                    .map(|_| {
                        let u: f64 = rng.gen();
                        let k = knots
                            .partition_point(|&(p, _)| p <= u)
                            .clamp(1, knots.len() - 1);
                        let ((p0, x0), (p1, x1)) = (knots[k - 1], knots[k]);
                        Some(if p1 > p0 {
                            x0 + (x1 - x0) * (u - p0) / (p1 - p0)
                        } else {
                            x0
                        })
                    })
                    .collect(),
            )
        } else if let Some(levels) = &summary.levels {
            let weights: Vec<f64> = levels
                .iter()
                .map(|l| match l.count {
                    crate::privacy::Count::Exact(c) => c as f64,
                    crate::privacy::Count::FewerThanMin => 1.0,
                })
                .collect();
            let total: f64 = weights.iter().sum();
            Column::Text(
                (0..n)
                    .map(|_| {
                        let mut u = rng.gen::<f64>() * total;
                        let mut k = 0;
                        while k + 1 < weights.len() && u >= weights[k] {
                            u -= weights[k];
                            k += 1;
                        }
                        let l = &levels[k].level;
                        (l != crate::design::NA_LEVEL).then(|| l.as_str().into())
                    })
                    .collect(),
            )
        } else {
            return Err(Error::Usage(format!(
                "the model's training summary of '{var}' is suppressed (fewer than 5 values): give --data"
            )));
        };
        names.push(var.to_string());
        columns.push(col);
    }
    Ok(Table {
        source: "rows drawn from the model's training summary".into(),
        names,
        columns,
        lines: Vec::new(),
    })
}
