//! Scoring benchmarks (criterion): the in-memory batch kernel and CSV end-to-end.
//!
//! Run: `cargo bench --bench score` (needs `[[bench]] name = "score", harness = false`).
//! Sizes: in memory 1e6 and 1e7 rows x 10 and 20 features (1e7 x 20 f64 = 1.6 GB); CSV: a
//! 1e6-row, 20-column file scored end to end (plain, and with quoted ids), against reading the
//! same file with the `csv` crate alone (single-threaded records; the scorer hands it only
//! records with `""` escapes or other unusual quoting) and with polars' multi-threaded CSV reader (the DESIGN.md target: scoring a file costs
//! little more than polars reading it). Peers for
//! the in-memory kernel: `benches/peers/score_sklearn.py`.
//! Set `MBDRISK_BENCH_QUICK=1` to skip the 1e7-row cases.

use std::hint::black_box;
use std::io::Write;
use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use mbdrisk::design::{DesignSpec, TermSpec, Transform};
use mbdrisk::score::{score_column_major, score_row_major, CsvScoreOptions, Scorer};

/// Deterministic pseudo-random values in [-2, 2) (xorshift), so runs compare.
fn matrix(n: usize, p: usize) -> Vec<f64> {
    let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..n * p)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 11) as f64 / (1u64 << 53) as f64 * 4.0 - 2.0
        })
        .collect()
}

fn beta(p: usize) -> Vec<f64> {
    (0..p)
        .map(|j| (j as f64 - p as f64 / 2.0) / (2.0 * p as f64))
        .collect()
}

fn in_memory(c: &mut Criterion) {
    let quick = std::env::var_os("MBDRISK_BENCH_QUICK").is_some();
    let mut g = c.benchmark_group("score_in_memory");
    g.sample_size(10);
    for &n in &[1_000_000usize, 10_000_000] {
        if quick && n > 1_000_000 {
            continue;
        }
        for &p in &[10usize, 20] {
            let x = matrix(n, p);
            let b = beta(p);
            let mut lp = vec![0.0; n];
            let mut pr = vec![0.0; n];
            g.throughput(Throughput::Elements(n as u64));
            g.bench_with_input(
                BenchmarkId::new(format!("row_major_p{p}"), n),
                &n,
                |bch, _| bch.iter(|| score_row_major(black_box(&x), p, -0.5, &b, &mut lp, &mut pr)),
            );
            if n == 1_000_000 {
                let cols: Vec<Vec<f64>> = (0..p)
                    .map(|j| (0..n).map(|i| x[i * p + j]).collect())
                    .collect();
                let refs: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
                g.bench_with_input(
                    BenchmarkId::new(format!("column_major_p{p}"), n),
                    &n,
                    |bch, _| {
                        bch.iter(|| {
                            score_column_major(black_box(&refs), -0.5, &b, &mut lp, &mut pr)
                        })
                    },
                );
            }
            // a single read of the matrix: the memory-bandwidth floor
            g.bench_with_input(
                BenchmarkId::new(format!("read_once_p{p}"), n),
                &n,
                |bch, _| {
                    bch.iter(|| {
                        use rayon::prelude::*;
                        black_box(&x)
                            .par_chunks(1 << 16)
                            .map(|c| c.iter().sum::<f64>())
                            .sum::<f64>()
                    })
                },
            );
        }
    }
    g.finish();
}

/// Linear terms x1..xp.
fn linear_spec(p: usize) -> DesignSpec {
    DesignSpec {
        outcome: "y".into(),
        time: None,
        terms: (1..=p)
            .map(|j| TermSpec {
                variable: format!("x{j}"),
                transform: Transform::Linear,
                knots: None,
                levels: None,
                level_kind: None,
                missing_level: false,
                columns: vec![format!("x{j}")],
                scale: None,
                by: None,
            })
            .collect(),
    }
}

/// `quote_ids`: write the id column quoted, as R's `write.csv` does (the scorer's reader
/// thread then follows quotes to cut records).
fn write_csv(path: &Path, n: usize, p: usize, quote_ids: bool) {
    let x = matrix(n, p);
    let f = std::fs::File::create(path).expect("create bench csv");
    let mut w = std::io::BufWriter::new(f);
    let header: Vec<String> = std::iter::once("id".to_string())
        .chain((1..=p).map(|j| format!("x{j}")))
        .collect();
    writeln!(w, "{}", header.join(",")).expect("write");
    for i in 0..n {
        if quote_ids {
            write!(w, "\"P{i}\"").expect("write");
        } else {
            write!(w, "P{i}").expect("write");
        }
        for v in &x[i * p..(i + 1) * p] {
            write!(w, ",{v:.6}").expect("write");
        }
        writeln!(w).expect("write");
    }
    w.flush().expect("flush");
}

fn csv_end_to_end(c: &mut Criterion) {
    let n = 1_000_000;
    let p = 20;
    let dir = std::env::var_os("MBDRISK_BENCH_DIR").map_or_else(std::env::temp_dir, PathBuf::from);
    let data = dir.join(format!("mbdrisk_bench_{n}x{p}.csv"));
    if !data.exists() {
        write_csv(&data, n, p, false);
    }
    let quoted = dir.join(format!("mbdrisk_bench_{n}x{p}_quoted.csv"));
    if !quoted.exists() {
        write_csv(&quoted, n, p, true);
    }
    let out = dir.join("mbdrisk_bench_scores.csv");
    let mut coef = vec![-0.5];
    coef.extend(beta(p));
    let scorer = Scorer::new(&linear_spec(p), &coef).expect("scorer");
    let bytes = std::fs::metadata(&data).map_or(0, |m| m.len());
    let mut g = c.benchmark_group("score_csv");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function(BenchmarkId::new("score_csv_p20", n), |b| {
        b.iter(|| {
            scorer
                .score_csv(&data, &out, &CsvScoreOptions::default())
                .expect("score")
        })
    });
    g.bench_function(BenchmarkId::new("score_csv_quoted_ids_p20", n), |b| {
        b.iter(|| {
            scorer
                .score_csv(&quoted, &out, &CsvScoreOptions::default())
                .expect("score")
        })
    });
    g.bench_function(BenchmarkId::new("csv_crate_read_only_p20", n), |b| {
        b.iter(|| {
            let mut r = csv::ReaderBuilder::new()
                .buffer_capacity(1 << 20)
                .from_path(&data)
                .expect("open");
            let mut rec = csv::ByteRecord::new();
            let mut k = 0usize;
            while r.read_byte_record(&mut rec).expect("read") {
                k += rec.len();
            }
            k
        })
    });
    // peer: polars reading the same file into a DataFrame (all cores)
    g.bench_function(BenchmarkId::new("polars_read_csv_p20", n), |b| {
        use polars::prelude::{CsvReadOptions, SerReader};
        b.iter(|| {
            CsvReadOptions::default()
                .with_has_header(true)
                .try_into_reader_with_file_path(Some(data.clone()))
                .expect("polars reader")
                .finish()
                .expect("polars read")
                .height()
        })
    });
    g.finish();
    let _ = std::fs::remove_file(&out);
}

criterion_group!(benches, in_memory, csv_end_to_end);
criterion_main!(benches);
