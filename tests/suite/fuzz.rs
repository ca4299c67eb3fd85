//! A fuzz campaign on stable Rust for the four front doors a user's input goes through: CSV and
//! Parquet ingest (with the MM schema check, type inference and the streaming scorer), the
//! formula parser (with the design built on a small table), the model loader (with scoring),
//! and the rule front end (with polars SQL). Nightly (cargo fuzz) is not available here, so each
//! target is driven by a seeded mutator: valid seed inputs, mutated by byte flips, deletions,
//! duplications, truncations and splices of tokens from a dictionary of the input's grammar.
//! Any panic fails the test and prints the input that caused it.
//!
//! `cargo test` runs a short campaign (MBDRISK_FUZZ_ITERS inputs per target, default 2,000);
//! `scripts/fuzz.sh` runs the long one (1,000,000 per target, release build) and prints the
//! counts recorded in `docs/fuzz.md`. Same seed (MBDRISK_FUZZ_SEED), same inputs.

use std::panic::{catch_unwind, AssertUnwindSafe};

use mbdrisk::table::Table;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Inputs per target: MBDRISK_FUZZ_ITERS, or `default` (the short run of `cargo test`).
fn iterations(default: usize) -> usize {
    env_usize("MBDRISK_FUZZ_ITERS", default)
}

/// Mutates seed inputs with a dictionary of the target's tokens.
struct Mutator {
    rng: ChaCha8Rng,
    dict: Vec<Vec<u8>>,
}

impl Mutator {
    fn new(target: &str, dict: &[&str]) -> Mutator {
        let seed = env_usize("MBDRISK_FUZZ_SEED", 1) as u64;
        let salt = target
            .bytes()
            .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(b.into()));
        Mutator {
            rng: ChaCha8Rng::seed_from_u64(seed ^ salt),
            dict: dict.iter().map(|d| d.as_bytes().to_vec()).collect(),
        }
    }

    fn mutate(&mut self, corpus: &[Vec<u8>]) -> Vec<u8> {
        let mut v = corpus[self.rng.gen_range(0..corpus.len())].clone();
        let ops = self.rng.gen_range(1..=6);
        for _ in 0..ops {
            let len = v.len();
            let at = if len == 0 {
                0
            } else {
                self.rng.gen_range(0..=len)
            };
            match self.rng.gen_range(0..9) {
                0 if len > 0 => {
                    let k = self.rng.gen_range(0..len);
                    v[k] ^= 1 << self.rng.gen_range(0..8);
                }
                1 if len > 0 => {
                    let k = self.rng.gen_range(0..len);
                    v[k] = self.rng.gen();
                }
                2 | 3 => {
                    let t = self.dict[self.rng.gen_range(0..self.dict.len())].clone();
                    v.splice(at..at, t);
                }
                4 if len > 0 => {
                    let end = (at + self.rng.gen_range(1..=16)).min(len);
                    v.drain(at.min(end)..end);
                }
                5 if len > 0 => {
                    let start = self.rng.gen_range(0..len);
                    let end = (start + self.rng.gen_range(1..=64)).min(len);
                    let chunk = v[start..end].to_vec();
                    let times = self.rng.gen_range(1..=8);
                    for _ in 0..times {
                        v.splice(at..at, chunk.iter().copied());
                    }
                }
                6 => v.truncate(at),
                7 => {
                    let other = &corpus[self.rng.gen_range(0..corpus.len())];
                    if !other.is_empty() {
                        let k = self.rng.gen_range(0..other.len());
                        v.splice(at..at, other[k..].iter().copied());
                    }
                }
                _ => {
                    let t = self.dict[self.rng.gen_range(0..self.dict.len())].clone();
                    if len > 0 {
                        let end = (at + t.len()).min(len);
                        v.splice(at..end, t);
                    }
                }
            }
        }
        v.truncate(1 << 16);
        v
    }
}

/// Run `target` on `n` mutated inputs; returns (inputs, accepted), panics on a panic.
fn campaign(
    name: &str,
    corpus: &[Vec<u8>],
    dict: &[&str],
    n: usize,
    target: impl Fn(&[u8]) -> bool,
) -> (usize, usize) {
    let mut m = Mutator::new(name, dict);
    let mut accepted = 0;
    let start = std::time::Instant::now();
    for i in 0..n {
        let input = if i < corpus.len() {
            corpus[i].clone()
        } else {
            m.mutate(corpus)
        };
        match catch_unwind(AssertUnwindSafe(|| target(&input))) {
            Ok(ok) => accepted += usize::from(ok),
            Err(_) => panic!(
                "fuzz target {name}: input {i} panicked: {:?}",
                String::from_utf8_lossy(&input)
            ),
        }
    }
    println!(
        "fuzz {name}: {n} inputs, {accepted} accepted, 0 panics, {:.1} s",
        start.elapsed().as_secs_f64()
    );
    (n, accepted)
}

fn demo_head(rows: usize) -> Vec<u8> {
    let text = std::fs::read_to_string("data/demo/cohort.csv").expect("demo");
    let mut s: String = text.lines().take(rows + 1).collect::<Vec<_>>().join("\n");
    s.push('\n');
    s.into_bytes()
}

fn small_table(rows: usize) -> Table {
    let raw = mbdrisk::table::read::parse_csv("small.csv", &demo_head(rows), b',').expect("demo");
    Table::infer(raw)
}

const CSV_DICT: &[&str] = &[
    ",",
    "\"",
    "\"\"",
    "\n",
    "\r\n",
    "\r",
    "NA",
    "",
    "1e400",
    "-0",
    "NaN",
    "inf",
    "\t",
    ";",
    "\u{feff}",
    "\u{00e9}",
    "\u{0}",
    "\u{ff}",
    "patient_id",
    "age",
    "event",
    "time_months",
    "99999999999999999999",
    "0x1f",
    "\n\n",
    ",,,,",
    "\"a\nb\"",
    "1,5",
];

#[test]
fn fuzz_csv_ingest() {
    let corpus = vec![
        demo_head(30),
        b"a,b\n1,2\n3,4\n".to_vec(),
        b"x\n\"q\"\"uote\"\n".to_vec(),
        std::fs::read("data/demo/visits.csv").expect("visits")[..4000].to_vec(),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    let model = mbdrisk::model::fit::fit_model(
        &small_table(400),
        "event_24m ~ rcs(age, 3) + log(ctx_ng_ml) + mrd + addNA(pet)",
        &Default::default(),
        Default::default(),
    )
    .expect("fit");
    let scorer = model.scorer().expect("scorer");
    let file = dir.path().join("in.csv");
    let out = dir.path().join("out.csv");
    let counter = std::cell::Cell::new(0usize);
    let (n, _) = campaign("csv", &corpus, CSV_DICT, iterations(2_000), |bytes| {
        let k = counter.get();
        counter.set(k + 1);
        for delim in [b',', b'\t'] {
            if let Ok(raw) = mbdrisk::table::read::parse_csv("fuzz.csv", bytes, delim) {
                let checked = mbdrisk::cohort::validate::check_schema(
                    raw.clone(),
                    &mbdrisk::study::Study::mm().cohort_schema(),
                    true,
                );
                let _ = checked.table.ambiguity_warnings();
                let t = Table::infer(raw);
                let _ = t.ambiguity_warnings();
                let _ = scorer.score_table(&t);
            }
        }
        // the streaming scorer reads files: every 16th input goes through it
        if k % 16 == 0 {
            std::fs::write(&file, bytes).expect("write");
            let _ = scorer.score_csv(&file, &out, &Default::default());
        }
        mbdrisk::table::read::parse_csv("fuzz.csv", bytes, b',').is_ok()
    });
    assert!(n > 0);
}

#[test]
fn fuzz_parquet_ingest() {
    use polars::prelude::*;
    let mut corpus = Vec::new();
    let cohort = small_table(40);
    let mut df = mbdrisk::rules::to_dataframe(&cohort).expect("df");
    for stats in [true, false] {
        let mut buf = Vec::new();
        ParquetWriter::new(&mut buf)
            .with_statistics(if stats {
                StatisticsOptions::full()
            } else {
                StatisticsOptions::empty()
            })
            .finish(&mut df)
            .expect("write parquet");
        corpus.push(buf);
    }
    let dict = &[
        "PAR1",
        "\u{0}\u{0}\u{0}\u{0}",
        "\u{ff}\u{ff}\u{ff}\u{7f}",
        "\u{15}",
        "\u{1c}",
        "\u{8}",
    ];
    let (n, _) = campaign("parquet", &corpus, dict, iterations(2_000), |bytes| {
        mbdrisk::table::parquet::parse_parquet("fuzz.parquet", bytes.to_vec()).is_ok()
    });
    assert!(n > 0);
}

const FORMULA_DICT: &[&str] = &[
    "~",
    "+",
    ":",
    "*",
    "(",
    ")",
    ",",
    " ",
    "rcs(",
    "log(",
    "log1p(",
    "sqrt(",
    "cat(",
    "addNA(",
    "factor(",
    "I(",
    "Surv(",
    "age",
    "sex",
    "mrd",
    "pet",
    "response",
    "ctx_ng_ml",
    "event_24m",
    "3",
    "7",
    "99999999999999999999",
    "-1",
    "0",
    ".",
    "\"",
    "'",
    "\u{e9}",
    "strata(",
    "offset(",
    "ns(",
    "pol(",
    "^2",
    "-",
    "1",
    "\n",
];

#[test]
fn fuzz_formula_parser() {
    let corpus: Vec<Vec<u8>> = [
        "event_24m ~ rcs(age, 4) + sex + log(ctx_ng_ml) + mrd",
        "event_24m ~ addNA(pet) + cat(prior_sre) + sqrt(p1np_ng_ml)",
        "event_24m ~ log(ctx_ng_ml):age + response + agent",
        "Surv(time_months, event) ~ mrd + pet",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    let table = small_table(300);
    let (n, _) = campaign(
        "formula",
        &corpus,
        FORMULA_DICT,
        iterations(2_000),
        |bytes| {
            let Ok(text) = std::str::from_utf8(bytes) else {
                return false;
            };
            match mbdrisk::formula::parse(text) {
                Ok(f) => {
                    let _ = f.to_string();
                    let _ = mbdrisk::design::learn(&table, &f, Default::default());
                    true
                }
                Err(e) => {
                    let _ = e.caret_diagram();
                    let _ = mbdrisk::Error::from(e).to_string();
                    false
                }
            }
        },
    );
    assert!(n > 0);
}

const JSON_DICT: &[&str] = &[
    "null",
    "1e308",
    "-1e308",
    "1e-320",
    "-1",
    "0",
    "18446744073709551616",
    "\"\"",
    "[]",
    "{}",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    "\"rcs\"",
    "\"categorical\"",
    "\"linear\"",
    "\"log\"",
    "\"knots\"",
    "\"levels\"",
    "\"NA\"",
    "true",
    "false",
    "\"<5\"",
    "\"format_version\": 9",
    "\"by\": {\"variable\": \"age\", \"transform\": \"log\"}",
    "\"missing_level\": true",
];

#[test]
fn fuzz_model_loader() {
    let table = small_table(300);
    let mut corpus = Vec::new();
    for formula in [
        "event_24m ~ rcs(age, 4) + log(ctx_ng_ml) + mrd + addNA(pet)",
        "event_24m ~ age + response + log(ctx_ng_ml):age",
    ] {
        let m = mbdrisk::model::fit::fit_model(
            &table,
            formula,
            &Default::default(),
            Default::default(),
        )
        .expect("fit");
        corpus.push(
            mbdrisk::model::persist::to_json(&m)
                .expect("json")
                .into_bytes(),
        );
    }
    let score_on = small_table(40);
    let (n, _) = campaign("model", &corpus, JSON_DICT, iterations(2_000), |bytes| {
        let Ok(text) = std::str::from_utf8(bytes) else {
            return false;
        };
        match mbdrisk::model::persist::from_json(text, "fuzz.json") {
            Ok(m) => {
                let _ = m.to_string();
                if let Ok(s) = m.scorer() {
                    let _ = s.score_table(&score_on);
                }
                true
            }
            Err(_) => false,
        }
    });
    assert!(n > 0);
}

const SQL_DICT: &[&str] = &[
    " AND ",
    " OR ",
    " NOT ",
    "(",
    ")",
    "'",
    "''",
    "\"",
    "=",
    "<",
    ">",
    ">=",
    "<>",
    "!=",
    "+",
    "*",
    "/",
    "%",
    "||",
    " IN ('CR', 'VGPR')",
    " IS NULL",
    " BETWEEN 1 AND 2",
    "count(*)",
    "sum(age)",
    "max(age)",
    "abs(",
    "CAST(age AS INT)",
    "age",
    "bpa_months",
    "mrd",
    "response",
    "'negative'",
    "1e308",
    "-0",
    "NULL",
    "TRUE",
    ";",
    " FROM cohort",
    " SELECT ",
    "UNION",
    "CASE WHEN",
    " THEN ",
    " ELSE ",
    " END",
    "LIKE '%R'",
    "ctx_ng_ml",
    "\u{e9}",
    "--",
    "/*",
    " OVER (PARTITION BY mrd)",
    "row_number()",
];

#[test]
fn fuzz_rule_front_end() {
    let corpus: Vec<Vec<u8>> = [
        "bpa_months >= 24 AND response IN ('sCR', 'CR', 'VGPR')",
        "mrd = 'negative' AND pet = 'CMR' AND ctx_ng_ml <= 0.8",
        "age > 60 OR (prior_sre = 1 AND NOT mrd = 'positive')",
        "CASE WHEN age > 70 THEN TRUE ELSE FALSE END",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    let table = small_table(30);
    // each evaluation runs polars SQL: the short run takes fewer rules
    let (n, _) = campaign("rule", &corpus, SQL_DICT, iterations(500), |bytes| {
        let Ok(text) = std::str::from_utf8(bytes) else {
            return false;
        };
        match mbdrisk::rules::Rule::parse(&format!("fuzz={text}")) {
            Ok(r) => r.evaluate(&table).is_ok(),
            Err(_) => false,
        }
    });
    assert!(n > 0);
}
