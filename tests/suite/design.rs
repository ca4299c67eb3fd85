//! Formulas, design matrices, restricted cubic splines, model files and the scorer.
//!
//! Reference values come from R (`tests/golden/design/make_goldens.R`: Hmisc::rcspline.eval,
//! rms::lrm); R is not needed to run these tests.

use crate::tolerances;
use mbdrisk::privacy::Count;

use std::path::{Path, PathBuf};

use mbdrisk::design::{learn, rcs, LevelKind, MissingPolicy, Transform};
use mbdrisk::formula::parse;
use mbdrisk::score::{CsvScoreOptions, Scorer};
use mbdrisk::table::Table;
use mbdrisk::Error;
use serde_json::Value;

/// Knots vs `Hmisc::rcspline.eval` (relative; the arithmetic is R's, operation by operation).
const KNOT_REL: f64 = 1e-13;
/// Spline basis vs `Hmisc::rcspline.eval`, relative to max(1, |value|).
const BASIS_REL: f64 = 1e-12;
/// Linear predictor replayed on new rows vs `predict(lrm, newdata)`, relative to max(1, |lp|).
const LP_REL: f64 = 1e-6;

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/design")
}

fn golden(name: &str) -> Value {
    let text = std::fs::read_to_string(golden_dir().join(name)).expect("golden file");
    serde_json::from_str(&text).expect("golden json")
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().unwrap_or(f64::NAN))
        .collect()
}

fn rel_err(got: f64, want: f64) -> f64 {
    (got - want).abs() / want.abs().max(1.0)
}

fn table_from(dir: &Path, name: &str, text: &str) -> Table {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write fixture");
    Table::read(&p).expect("read fixture")
}

/// A small cohort for error tests: header + rows.
fn small_table(dir: &Path, rows: &[&str]) -> Table {
    let mut text = String::from("y,age,sex,ctx,stage\n");
    for r in rows {
        text.push_str(r);
        text.push('\n');
    }
    table_from(dir, "cohort.csv", &text)
}

const GOOD_ROWS: [&str; 8] = [
    "0,61,F,0.2,1",
    "1,72,M,0.5,2",
    "0,55,F,0.3,1",
    "1,68,M,0.4,3",
    "0,59,M,0.25,2",
    "1,77,F,0.6,10",
    "0,64,F,0.35,1",
    "1,70,M,0.45,2",
];

fn err_text(r: Result<impl std::fmt::Debug, Error>) -> String {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e.to_string(),
    }
}

/// The caret line of a formula error: (offset of the first caret within the formula, width).
fn caret(msg: &str) -> (usize, usize) {
    let lines: Vec<&str> = msg.lines().collect();
    let i = lines
        .iter()
        .position(|l| l.trim_start().starts_with('^'))
        .unwrap_or_else(|| panic!("no caret line in:\n{msg}"));
    let line = lines[i];
    let start = line.find('^').expect("caret") - 2;
    let width = line.matches('^').count();
    (start, width)
}

// ---------------------------------------------------------------------------------------------
// formula errors
// ---------------------------------------------------------------------------------------------

#[test]
fn rejects_formula_without_tilde() {
    let e = parse("y + age").expect_err("no tilde");
    assert!(e.to_string().contains("needs '~'"), "{e}");
}

#[test]
fn rejects_unknown_function_with_caret_under_name() {
    let msg = parse("y ~ age + lg(ctx)")
        .expect_err("unknown fn")
        .to_string();
    assert!(msg.contains("unknown function 'lg'"), "{msg}");
    assert!(msg.contains("did you mean 'log'"), "{msg}");
    assert!(msg.contains("  y ~ age + lg(ctx)"), "{msg}");
    assert_eq!(caret(&msg), (10, 2), "{msg}");
}

#[test]
fn rejects_knots_out_of_range() {
    for (f, pos) in [("y ~ rcs(age, 9)", 13), ("y ~ rcs(age, 2)", 13)] {
        let msg = parse(f).expect_err("k out of range").to_string();
        assert!(msg.contains("3 to 7 knots"), "{msg}");
        assert_eq!(caret(&msg), (pos, 1), "{msg}");
    }
}

#[test]
fn rejects_fractional_knot_count() {
    let msg = parse("y ~ rcs(age, 3.5)")
        .expect_err("fraction")
        .to_string();
    assert!(msg.contains("whole number"), "{msg}");
    assert_eq!(caret(&msg), (13, 3), "{msg}");
}

#[test]
fn rejects_unsupported_operators_with_caret() {
    let msg = parse("y ~ age ^ sex").expect_err("power").to_string();
    assert!(msg.contains("'^' is not supported"), "{msg}");
    assert_eq!(caret(&msg), (8, 1), "{msg}");
    let msg = parse("y ~ age * sex * kappa")
        .expect_err("three-way")
        .to_string();
    assert!(msg.contains("two-way"), "{msg}");
    assert_eq!(caret(&msg), (14, 1), "{msg}");
}

#[test]
fn rejects_trailing_plus_at_end() {
    let msg = parse("y ~ age +").expect_err("trailing").to_string();
    assert!(msg.contains("found the end of the formula"), "{msg}");
    assert_eq!(caret(&msg).0, 9, "{msg}");
}

#[test]
fn rejects_unclosed_parenthesis() {
    let msg = parse("y ~ log(ctx + age")
        .expect_err("unclosed")
        .to_string();
    assert!(msg.contains("expected ')' closing log("), "{msg}");
    assert_eq!(caret(&msg), (12, 1), "{msg}");
}

#[test]
fn rejects_bad_character() {
    let msg = parse("y ~ age + $ctx").expect_err("char").to_string();
    assert!(msg.contains("unexpected character '$'"), "{msg}");
    assert_eq!(caret(&msg), (10, 1), "{msg}");
}

#[test]
fn rejects_column_used_twice() {
    let msg = parse("y ~ age + rcs(age, 4)").expect_err("dup").to_string();
    assert!(msg.contains("column 'age' is used in two terms"), "{msg}");
    assert_eq!(caret(&msg), (10, 11), "{msg}");
}

#[test]
fn rejects_outcome_as_predictor() {
    let msg = parse("y ~ age + y").expect_err("outcome").to_string();
    assert!(msg.contains("is the outcome"), "{msg}");
    assert_eq!(caret(&msg), (10, 1), "{msg}");
}

#[test]
fn rejects_empty_formula() {
    assert!(parse("   ")
        .expect_err("empty")
        .to_string()
        .contains("empty formula"));
}

#[test]
fn formula_errors_exit_2() {
    let e: Error = parse("y ~ rcs(age, 9)").expect_err("k").into();
    assert_eq!(e.exit_code(), 2);
}

#[test]
fn parses_surv_response_as_its_own_variant() {
    let f = parse("Surv(time_months, event) ~ rcs(age, 4) + mrd").expect("surv");
    assert_eq!(f.response.columns(), vec!["time_months", "event"]);
}

// ---------------------------------------------------------------------------------------------
// design errors
// ---------------------------------------------------------------------------------------------

#[test]
fn rejects_unknown_column_with_did_you_mean_and_caret() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = small_table(dir.path(), &GOOD_ROWS);
    let f = parse("y ~ agee + sex").expect("parse");
    let e = learn(&t, &f, MissingPolicy::Drop).expect_err("unknown column");
    assert_eq!(e.exit_code(), 2);
    let msg = e.to_string();
    assert!(msg.contains("column 'agee' not found"), "{msg}");
    assert!(msg.contains("did you mean 'age'?"), "{msg}");
    assert_eq!(caret(&msg), (4, 4), "{msg}");
}

#[test]
fn rejects_surv_outcome_for_logistic_fit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = small_table(dir.path(), &GOOD_ROWS);
    // a Surv() design carries its time column (a Cox model's) ...
    let f = parse("Surv(age, y) ~ sex").expect("parse");
    let d = learn(&t, &f, MissingPolicy::Drop).expect("surv design");
    assert_eq!(d.spec.time.as_deref(), Some("age"));
    assert_eq!(d.time.len(), d.y.len());
    // ... which the logistic pipeline refuses, naming the Cox and landmark routes
    let e = mbdrisk::model::fit::fit_model(
        &t,
        "Surv(age, y) ~ sex",
        &Default::default(),
        MissingPolicy::Drop,
    )
    .expect_err("surv");
    assert!(matches!(e, Error::Usage(_)), "{e}");
    assert!(e.to_string().contains("Cox model"), "{e}");
}

#[test]
fn rejects_log_of_non_positive_naming_row_column_value() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut rows = GOOD_ROWS.to_vec();
    rows[2] = "0,55,F,0,1";
    rows[5] = "1,77,F,-0.5,10";
    let t = small_table(dir.path(), &rows);
    let e = learn(
        &t,
        &parse("y ~ log(ctx)").expect("parse"),
        MissingPolicy::Drop,
    )
    .expect_err("log 0");
    let msg = e.to_string();
    assert!(msg.contains("2 problems"), "{msg}");
    assert!(msg.contains("row 4, column 'ctx': found '0'; expected a positive number (the formula takes log(ctx))"), "{msg}");
    assert!(msg.contains("row 7, column 'ctx': found '-0.5'"), "{msg}");
}

#[test]
fn rejects_sqrt_of_negative() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut rows = GOOD_ROWS.to_vec();
    rows[0] = "0,61,F,-0.2,1";
    let t = small_table(dir.path(), &rows);
    let msg = err_text(learn(
        &t,
        &parse("y ~ sqrt(ctx)").expect("parse"),
        MissingPolicy::Drop,
    ));
    assert!(
        msg.contains("row 2, column 'ctx': found '-0.2'; expected a number >= 0"),
        "{msg}"
    );
}

#[test]
fn rejects_missing_value_under_error_policy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut rows = GOOD_ROWS.to_vec();
    rows[3] = "1,68,,0.4,3";
    let t = small_table(dir.path(), &rows);
    let f = parse("y ~ age + sex").expect("parse");
    let msg = err_text(learn(&t, &f, MissingPolicy::Error));
    assert!(msg.contains("row 5, column 'sex'"), "{msg}");
    let d = learn(&t, &f, MissingPolicy::Drop).expect("drop");
    assert_eq!(d.n_dropped_missing, 1);
    assert_eq!(d.x.nrows(), 7);
    assert_eq!(d.missing[0].column, "sex");
}

#[test]
fn rejects_outcome_other_than_0_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut rows = GOOD_ROWS.to_vec();
    rows[1] = "2,72,M,0.5,2";
    let t = small_table(dir.path(), &rows);
    let msg = err_text(learn(
        &t,
        &parse("y ~ age").expect("parse"),
        MissingPolicy::Drop,
    ));
    assert!(
        msg.contains("row 3, column 'y': found '2'; expected 0 or 1"),
        "{msg}"
    );
}

#[test]
fn rejects_text_in_spline_column() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = small_table(dir.path(), &GOOD_ROWS);
    let msg = err_text(learn(
        &t,
        &parse("y ~ rcs(sex, 3)").expect("parse"),
        MissingPolicy::Drop,
    ));
    assert!(
        msg.contains("column 'sex': found 'F'; expected a number"),
        "{msg}"
    );
}

#[test]
fn rejects_single_level_category() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rows: Vec<String> = GOOD_ROWS.iter().map(|r| r.replace(",M,", ",F,")).collect();
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    let t = small_table(dir.path(), &rows);
    let msg = err_text(learn(
        &t,
        &parse("y ~ sex").expect("parse"),
        MissingPolicy::Drop,
    ));
    assert!(
        msg.contains("column 'sex': found 'F'; expected at least 2 different values"),
        "{msg}"
    );
}

#[test]
fn rejects_spline_with_too_few_distinct_values() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = small_table(dir.path(), &GOOD_ROWS);
    // stage has 4 distinct values: 2 interior -> fewer than 3 knots
    let msg = err_text(learn(
        &t,
        &parse("y ~ rcs(stage, 3)").expect("parse"),
        MissingPolicy::Drop,
    ));
    assert!(msg.contains("fewer than 3 distinct knots"), "{msg}");
}

#[test]
fn categorical_names_and_numeric_level_order_follow_rms() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = small_table(dir.path(), &GOOD_ROWS);
    let d = learn(
        &t,
        &parse("y ~ sex + cat(stage) + log(ctx)").expect("parse"),
        MissingPolicy::Drop,
    )
    .expect("learn");
    assert_eq!(
        d.spec.coefficient_names(),
        vec![
            "Intercept",
            "sex=M",
            "stage=2",
            "stage=3",
            "stage=10",
            "ctx"
        ]
    );
    let stage = &d.spec.terms[1];
    assert_eq!(stage.transform, Transform::Categorical);
    assert_eq!(stage.level_kind, Some(LevelKind::Numeric));
    assert_eq!(
        stage.levels.as_deref(),
        Some(&["1".to_string(), "2".into(), "3".into(), "10".into()][..])
    );
    // row 2 (M, stage 2): sex=M 1, stage=2 1
    assert_eq!(d.x.row(1).to_vec()[..4], [1.0, 1.0, 0.0, 0.0]);
    assert!((d.x[[1, 4]] - 0.5f64.ln()).abs() < 1e-15);
}

#[test]
fn level_order_matches_r_factor() {
    let g = golden("lrm_golden.json");
    let ls = &g["fits"]["level_sort"];
    let input: Vec<String> = ls["input"]
        .as_array()
        .expect("input")
        .iter()
        .map(|v| v.as_str().expect("str").to_string())
        .collect();
    let want: Vec<&str> = ls["sorted"]
        .as_array()
        .expect("sorted")
        .iter()
        .map(|v| v.as_str().expect("str"))
        .collect();
    let mut got: Vec<&str> = input.iter().map(String::as_str).collect();
    got.sort_by(|a, b| mbdrisk::design::r_collate(a, b));
    got.dedup();
    assert_eq!(got, want);
}

// ---------------------------------------------------------------------------------------------
// restricted cubic splines vs Hmisc::rcspline.eval
// ---------------------------------------------------------------------------------------------

#[test]
fn rcs_knots_and_basis_match_hmisc() {
    let g = golden("rcs_golden.json");
    let sets = g["sets"].as_object().expect("sets");
    let (mut max_knot, mut max_basis) = (0.0f64, 0.0f64);
    let mut n_cases = 0;
    for (name, set) in sets {
        let table =
            Table::read(&golden_dir().join(set["file"].as_str().expect("file"))).expect("read");
        let x: Vec<f64> = table
            .num("x")
            .expect("x")
            .iter()
            .map(|v| v.expect("no missing"))
            .collect();
        let grid = floats(&set["grid"]);
        for case in set["cases"].as_array().expect("cases") {
            let k = case["k"].as_u64().expect("k") as usize;
            let got = rcs::knots(&x, k);
            if case["error"].as_bool() == Some(true) {
                assert!(got.is_err(), "{name} k={k}: R fails, we gave {got:?}");
                continue;
            }
            let knots = got.unwrap_or_else(|e| panic!("{name} k={k}: {e}"));
            let want = floats(&case["knots"]);
            assert_eq!(
                knots.len(),
                want.len(),
                "{name} k={k}: {knots:?} vs {want:?}"
            );
            for (a, b) in knots.iter().zip(&want) {
                max_knot = max_knot.max((a - b).abs() / b.abs().max(f64::MIN_POSITIVE));
            }
            let kd = rcs::norm2_scale(&knots);
            let mut out = vec![0.0; knots.len() - 1];
            for (values, key) in [(&x[..50], "basis_rows"), (&grid[..], "basis_grid")] {
                let rows = case[key].as_array().expect("basis");
                assert_eq!(rows.len(), values.len());
                for (v, row) in values.iter().zip(rows) {
                    rcs::basis_into(*v, &knots, kd, &mut out);
                    for (a, b) in out.iter().zip(floats(row)) {
                        max_basis = max_basis.max(rel_err(*a, b));
                    }
                }
            }
            n_cases += 1;
        }
    }
    eprintln!(
        "rcs: {n_cases} cases, max knot rel err {max_knot:e}, max basis rel err {max_basis:e}"
    );
    assert!(n_cases >= 25);
    assert!(max_knot <= KNOT_REL, "knots: {max_knot:e}");
    assert!(max_basis <= BASIS_REL, "basis: {max_basis:e}");
}

#[test]
fn rcs_column_names_follow_rms() {
    assert_eq!(rcs::column_names("age", 4), vec!["age", "age'", "age''"]);
}

// ---------------------------------------------------------------------------------------------
// scoring: invariance and errors
// ---------------------------------------------------------------------------------------------

/// A scorer for `y ~ rcs(x, 4) + sex + log(z) + cat(stage)` learned on the golden data, with
/// fixed made-up coefficients (the kernel does not care where they come from).
fn golden_scorer() -> (Scorer, PathBuf) {
    let data = golden_dir().join("lrm_data.csv");
    let t = Table::read(&data).expect("read");
    let f = parse("y ~ rcs(x, 4) + sex + log(z) + cat(stage) + sqrt(w)").expect("parse");
    let d = learn(&t, &f, MissingPolicy::Drop).expect("learn");
    let coef: Vec<f64> = (0..=d.spec.width())
        .map(|j| 0.37 - 0.11 * j as f64)
        .collect();
    (Scorer::new(&d.spec, &coef).expect("scorer"), data)
}

fn score_bytes(
    scorer: &Scorer,
    data: &Path,
    batch: usize,
    threads: usize,
    id: Option<&str>,
) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("scores.csv");
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("pool");
    let opts = CsvScoreOptions {
        id_column: id.map(str::to_string),
        batch_size: batch,
    };
    pool.install(|| scorer.score_csv(data, &out, &opts))
        .expect("score");
    std::fs::read(&out).expect("read scores")
}

#[test]
fn csv_scores_are_identical_for_every_batch_size_and_thread_count() {
    let (scorer, data) = golden_scorer();
    let reference = score_bytes(&scorer, &data, 1, 1, Some("stage"));
    for batch in [1, 7, 1000, mbdrisk::limits::MAX_BATCH_ROWS] {
        for threads in [1, 2] {
            assert_eq!(
                score_bytes(&scorer, &data, batch, threads, Some("stage")),
                reference,
                "batch {batch}, {threads} threads"
            );
        }
    }
    let text = String::from_utf8(reference).expect("utf8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "row,stage,linear_predictor,predicted");
    assert_eq!(lines.len(), 401);
    // rows 5 and 17 have z missing, 88 has sex missing: empty scores
    assert!(lines[5].ends_with(",,"), "{}", lines[5]);
    assert!(lines[88].ends_with(",,"), "{}", lines[88]);
    assert!(!lines[1].ends_with(','), "{}", lines[1]);
}

#[test]
fn csv_scores_are_identical_whichever_reader_takes_the_rows() {
    // The golden file quotes its text cells (R's write.csv), so the `csv` crate reads it all.
    // Without quotes the fast line splitter reads every row; with quotes from row 200 on it
    // hands over to the `csv` crate mid-file; with CRLF line ends it strips the CRs.
    let (scorer, data) = golden_scorer();
    let reference = score_bytes(&scorer, &data, 1, 1, Some("stage"));
    let text = std::fs::read_to_string(&data).expect("read golden data");
    let plain = text.replace('"', "");
    let mixed: String = text
        .lines()
        .enumerate()
        .map(|(k, line)| {
            let line = if (1..200).contains(&k) {
                line.replace('"', "")
            } else {
                line.to_string()
            };
            line + "\n"
        })
        .collect();
    let crlf = plain.replace('\n', "\r\n");
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, body) in [
        ("plain.csv", plain),
        ("mixed.csv", mixed),
        ("crlf.csv", crlf),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, body).expect("write");
        for batch in [1, 7, 1000, mbdrisk::limits::MAX_BATCH_ROWS] {
            for threads in [1, 2] {
                assert_eq!(
                    score_bytes(&scorer, &path, batch, threads, Some("stage")),
                    reference,
                    "{name}, batch {batch}, {threads} threads"
                );
            }
        }
    }
}

#[test]
fn csv_and_in_memory_scores_agree_bitwise() {
    let (scorer, data) = golden_scorer();
    let text = String::from_utf8(score_bytes(&scorer, &data, 64, 2, None)).expect("utf8");
    let t = Table::read(&data).expect("read");
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        let s = pool
            .install(|| scorer.score_table(&t))
            .expect("score table");
        assert_eq!(s.n_missing, 4);
        for (i, line) in text.lines().skip(1).enumerate() {
            let f: Vec<&str> = line.split(',').collect();
            assert_eq!(f[0], (i + 1).to_string());
            match s.get(i) {
                None => assert_eq!((f[1], f[2]), ("", "")),
                Some(r) => {
                    assert_eq!(f[1].parse::<f64>().expect("lp"), r.linear_predictor);
                    assert_eq!(f[2].parse::<f64>().expect("p"), r.predicted);
                }
            }
        }
    }
}

#[test]
fn in_memory_kernel_is_identical_across_thread_counts() {
    let n = 50_003;
    let p = 20;
    let x: Vec<f64> = (0..n * p)
        .map(|k| ((k * 7919 % 1009) as f64 - 500.0) / 97.0)
        .collect();
    let beta: Vec<f64> = (0..p).map(|j| (j as f64 - 9.5) / 31.0).collect();
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        let mut lp = vec![0.0; n];
        let mut pr = vec![0.0; n];
        pool.install(|| mbdrisk::score::score_row_major(&x, p, -0.25, &beta, &mut lp, &mut pr));
        (lp, pr)
    };
    let (lp1, pr1) = run(1);
    let (lp2, pr2) = run(2);
    assert_eq!(lp1, lp2);
    assert_eq!(pr1, pr2);
    for i in [0, 1, 8191, 8192, n - 1] {
        assert_eq!(
            lp1[i],
            mbdrisk::score::dot_row(&x[i * p..(i + 1) * p], &beta, -0.25)
        );
    }
}

#[test]
fn rejects_scoring_file_without_needed_column_before_any_output() {
    let (scorer, _) = golden_scorer();
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("new.csv");
    std::fs::write(&data, "x,sex,Z,stage,w\n60,F,0.5,1,2\n").expect("write");
    let out = dir.path().join("scores.csv");
    let e = scorer
        .score_csv(&data, &out, &CsvScoreOptions::default())
        .expect_err("missing column");
    let msg = e.to_string();
    assert!(msg.contains("column 'z' not found"), "{msg}");
    assert!(msg.contains("did you mean 'Z'?"), "{msg}");
    assert_eq!(e.exit_code(), 2);
    assert!(!out.exists());
    assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 1);
}

#[test]
fn rejects_unseen_level_naming_row_column_value_and_levels() {
    let (scorer, _) = golden_scorer();
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("new.csv");
    std::fs::write(
        &data,
        "x,sex,z,stage,w\n60,F,0.5,1,2\n61,X,0.5,2,2\n62,M,0.5,4,2\n",
    )
    .expect("write");
    let out = dir.path().join("scores.csv");
    let msg = scorer
        .score_csv(&data, &out, &CsvScoreOptions::default())
        .expect_err("unseen")
        .to_string();
    assert!(msg.contains("row 3, column 'sex': found 'X'; expected one of the levels seen when the model was fitted: F, M"), "{msg}");
    assert!(msg.contains("row 4, column 'stage': found '4'; expected one of the levels seen when the model was fitted: 1, 2, 3"), "{msg}");
    assert!(!out.exists());
    // the in-memory path says the same
    let t = Table::read(&data).expect("read");
    let msg2 = err_text(scorer.score_table(&t));
    assert!(msg2.contains("row 3, column 'sex': found 'X'"), "{msg2}");
}

#[test]
fn rejects_non_number_and_log_domain_when_scoring() {
    let (scorer, _) = golden_scorer();
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("new.csv");
    std::fs::write(&data, "x,sex,z,stage,w\nsixty,F,0.5,1,2\n61,M,0,2,2\n").expect("write");
    let out = dir.path().join("scores.csv");
    let msg = scorer
        .score_csv(&data, &out, &CsvScoreOptions::default())
        .expect_err("bad")
        .to_string();
    assert!(
        msg.contains("row 2, column 'x': found 'sixty'; expected a number"),
        "{msg}"
    );
    assert!(
        msg.contains("row 3, column 'z': found '0'; expected a positive number"),
        "{msg}"
    );
}

#[test]
fn rejects_ragged_row_when_scoring() {
    let (scorer, _) = golden_scorer();
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("new.csv");
    std::fs::write(&data, "x,sex,z,stage,w\n60,F,0.5,1,2\n61,M,0.5\n").expect("write");
    let out = dir.path().join("scores.csv");
    let msg = scorer
        .score_csv(&data, &out, &CsvScoreOptions::default())
        .expect_err("ragged")
        .to_string();
    assert!(msg.contains("row 3") && msg.contains("ragged"), "{msg}");
}

#[test]
fn missing_predictor_gives_empty_score_and_is_counted() {
    let (scorer, _) = golden_scorer();
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("new.tsv");
    std::fs::write(
        &data,
        "id\tx\tsex\tz\tstage\tw\nA\t60\tF\t0.5\t1\t2\nB\t61\tNA\t0.5\t2\t2\nC\t\tM\t0.5\t2\t2\n",
    )
    .expect("write");
    let out = dir.path().join("scores.csv");
    let opts = CsvScoreOptions {
        id_column: Some("id".into()),
        batch_size: 2,
    };
    let s = scorer.score_csv(&data, &out, &opts).expect("score");
    assert_eq!((s.n_rows, s.n_scored, s.n_missing), (3, 1, 2));
    let text = std::fs::read_to_string(&out).expect("read");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "row,id,linear_predictor,predicted");
    assert!(lines[1].starts_with("1,A,"));
    assert_eq!(lines[2], "2,B,,");
    assert_eq!(lines[3], "3,C,,");
}

// ---------------------------------------------------------------------------------------------
// the whole pipeline vs rms::lrm, model files, command line
// ---------------------------------------------------------------------------------------------

use mbdrisk::model::fit::{fit_model, Model};
use mbdrisk::model::logistic::{FitOptions, Penalty};
use mbdrisk::model::persist;

fn fit_golden(formula: &str) -> Model {
    let t = Table::read(&golden_dir().join("lrm_data.csv")).expect("read");
    fit_model(&t, formula, &FitOptions::default(), MissingPolicy::Drop).expect("fit")
}

#[test]
fn pipeline_matches_rms_lrm() {
    let g = golden("lrm_golden.json");
    let (mut max_coef, mut max_se, mut max_lp) = (0.0f64, 0.0f64, 0.0f64);
    for key in ["main", "more"] {
        let want = &g["fits"][key];
        let formula = want["formula"].as_str().expect("formula");
        let m = fit_golden(formula);
        let names: Vec<&str> = m.coefficients.iter().map(|c| c.name.as_str()).collect();
        let want_names: Vec<&str> = want["names"]
            .as_array()
            .expect("names")
            .iter()
            .map(|v| v.as_str().expect("str"))
            .collect();
        assert_eq!(names, want_names, "{formula}");
        assert_eq!(m.n as u64, want["n"].as_u64().expect("n"));
        assert_eq!(m.events as u64, want["events"].as_u64().expect("events"));
        assert_eq!(m.n_dropped_missing, Count::of(400 - m.n));
        let knots = m.design.terms[0].knots.clone().expect("knots");
        for (a, b) in knots.iter().zip(floats(&want["knots"])) {
            assert!((a - b).abs() <= KNOT_REL * b.abs(), "knots {knots:?}");
        }
        for (c, (b, s)) in m
            .coefficients
            .iter()
            .zip(floats(&want["coef"]).into_iter().zip(floats(&want["se"])))
        {
            let ec = (c.estimate - b).abs() / b.abs();
            let es = (c.std_error - s).abs() / s.abs();
            max_coef = max_coef.max(ec);
            max_se = max_se.max(es);
            assert!(
                ec <= tolerances::COEF_REL,
                "{formula} {}: {} vs {b} (rel {ec:e})",
                c.name,
                c.estimate
            );
            assert!(
                es <= tolerances::SE_REL,
                "{formula} {}: se {} vs {s} (rel {es:e})",
                c.name,
                c.std_error
            );
        }
        let lr = want["lr_chi2"].as_f64().expect("lr");
        assert!(
            (m.lr_chi2 - lr).abs() / lr <= tolerances::COEF_REL,
            "LR {} vs {lr}",
            m.lr_chi2
        );
        let dev = floats(&want["deviance"]);
        assert!((-2.0 * m.log_likelihood - dev[1]).abs() / dev[1] <= tolerances::COEF_REL);
        // replaying the stored spec on the first 20 rows gives predict(fit, newdata, "lp")
        let t = Table::read(&golden_dir().join("lrm_data.csv")).expect("read");
        let s = m.scorer().expect("scorer").score_table(&t).expect("score");
        for (i, want_lp) in floats(&want["lp_first20"]).into_iter().enumerate() {
            match s.get(i) {
                None => assert!(want_lp.is_nan(), "row {i}: R scored it"),
                Some(r) => {
                    let e = rel_err(r.linear_predictor, want_lp);
                    max_lp = max_lp.max(e);
                    assert!(e <= LP_REL, "row {i}: {} vs {want_lp}", r.linear_predictor);
                }
            }
        }
    }
    eprintln!(
        "lrm: max coef rel err {max_coef:e}, max se rel err {max_se:e}, max lp err {max_lp:e}"
    );
}

#[test]
fn missing_counts_match_rms_na_delete() {
    let g = golden("lrm_golden.json");
    let nmiss = &g["fits"]["nmiss"];
    let m = fit_golden("y ~ rcs(x, 4) + sex + log(z)");
    let got: Vec<(String, Count)> = m
        .missing_by_column
        .iter()
        .map(|c| (c.column.clone(), c.n_missing))
        .collect();
    for (col, n) in &got {
        // counts of 1 to 4 patients are written "<5" (privacy), others exactly
        let want = nmiss[col].as_u64().expect("golden count") as usize;
        assert_eq!(Count::of(want), *n, "{col}");
    }
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(m.n_dropped_missing, Count::of(5));
}

#[test]
fn model_file_round_trips_and_holds_no_rows() {
    let m = fit_golden("y ~ rcs(x, 4) + sex + log(z) + cat(stage)");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("model.json");
    persist::save(&m, &path).expect("save");
    let back = persist::load(&path).expect("load");
    // serde_json's default float parser may be 1 ulp off (exact with its `float_roundtrip`
    // feature): compare every number to 1e-15 relative, everything else exactly
    fn same(a: &Value, b: &Value) -> bool {
        match (a, b) {
            (Value::Number(x), Value::Number(y)) => {
                let (x, y) = (
                    x.as_f64().unwrap_or(f64::NAN),
                    y.as_f64().unwrap_or(f64::NAN),
                );
                (x - y).abs() <= 1e-15 * x.abs().max(y.abs())
            }
            (Value::Array(x), Value::Array(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
            }
            (Value::Object(x), Value::Object(y)) => {
                x.len() == y.len() && x.iter().all(|(k, p)| y.get(k).is_some_and(|q| same(p, q)))
            }
            _ => a == b,
        }
    }
    let json = |m: &Model| serde_json::to_value(m).expect("to value");
    assert!(same(&json(&back), &json(&m)));
    assert_eq!(back.design, m.design);
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
    for key in [
        "format_version",
        "formula",
        "outcome",
        "terms",
        "coefficients",
        "penalty",
        "n",
        "events",
        "n_dropped_missing",
        "converged",
        "iterations",
        "log_likelihood",
        "lr_chi2",
        "training_summary",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    assert_eq!(v["terms"][0]["transform"], "rcs");
    assert_eq!(v["terms"][1]["levels"], serde_json::json!(["F", "M"]));
    let c = &v["coefficients"][4];
    for key in [
        "name",
        "estimate",
        "std_error",
        "z",
        "p_value",
        "odds_ratio",
        "ci_low",
        "ci_high",
    ] {
        assert!(c.get(key).is_some(), "coefficient lacks {key}");
    }
    // no row-level data: no array in the file is as long as the data
    fn longest_array(v: &Value) -> usize {
        match v {
            Value::Array(a) => a.len().max(a.iter().map(longest_array).max().unwrap_or(0)),
            Value::Object(o) => o.values().map(longest_array).max().unwrap_or(0),
            _ => 0,
        }
    }
    assert!(longest_array(&v) < 20);
}

#[test]
fn rejects_model_file_of_other_version_or_damaged() {
    let m = fit_golden("y ~ x + sex");
    let text = persist::to_json(&m).expect("json");
    assert!(text.contains("\"format_version\": 3"), "{text}");
    assert!(text.contains("\"family\": \"logistic\""), "{text}");
    let newer = text.replacen("\"format_version\": 3", "\"format_version\": 99", 1);
    let msg = persist::from_json(&newer, "model.json")
        .expect_err("version")
        .to_string();
    assert!(msg.contains("newer mbdrisk"), "{msg}");
    // version-1 and version-2 files (no family; v1 without interaction, addNA or staleness
    // fields) are still read, as logistic models
    let old = text.replacen("  \"family\": \"logistic\",\n", "", 1);
    assert!(!old.contains("family"), "{old}");
    for v in [1, 2] {
        let file = old.replacen(
            "\"format_version\": 3",
            &format!("\"format_version\": {v}"),
            1,
        );
        let back = persist::from_json(&file, "model.json").expect("old version");
        assert_eq!(back.design, m.design);
        assert_eq!(back.family, mbdrisk::model::family::Family::Logistic);
    }
    let newer = text.replacen("\"format_version\": 3", "\"format_version\": 4", 1);
    let msg = persist::from_json(&newer, "model.json")
        .expect_err("version")
        .to_string();
    assert!(msg.contains("newer mbdrisk"), "{msg}");
    let msg = persist::from_json("{\"formula\": 1}", "model.json")
        .expect_err("no version")
        .to_string();
    assert!(msg.contains("no format_version"), "{msg}");
    let msg = persist::from_json("not json", "model.json")
        .expect_err("not json")
        .to_string();
    assert!(msg.contains("not valid JSON"), "{msg}");
    let cut = text.replacen("\"coefficients\"", "\"coefs\"", 1);
    let msg = persist::from_json(&cut, "model.json")
        .expect_err("damaged")
        .to_string();
    assert!(msg.contains("damaged"), "{msg}");
    let renamed = text.replacen("\"sex=M\"", "\"sex=X\"", 1);
    let msg = persist::from_json(&renamed, "model.json")
        .expect_err("names")
        .to_string();
    assert!(msg.contains("coefficients named after the terms"), "{msg}");
}

#[test]
fn fit_failure_names_design_columns() {
    let dir = tempfile::tempdir().expect("tempdir");
    // sex=M separates the outcome perfectly
    let mut text = String::from("y,sex,age\n");
    for i in 0..40 {
        let y = i % 2;
        text.push_str(&format!(
            "{y},{},{}\n",
            if y == 1 { "M" } else { "F" },
            50 + i % 7
        ));
    }
    let t = table_from(dir.path(), "sep.csv", &text);
    let e = fit_model(
        &t,
        "y ~ age + sex",
        &FitOptions::default(),
        MissingPolicy::Drop,
    )
    .expect_err("separated");
    assert_eq!(e.exit_code(), 1);
    assert!(e.to_string().contains("'sex=M'"), "{e}");
    let firth = fit_model(
        &t,
        "y ~ age + sex",
        &FitOptions::default().penalty(Penalty::Firth),
        MissingPolicy::Drop,
    )
    .expect("firth");
    assert_eq!(firth.penalty, "firth");
}

#[test]
fn printout_has_rms_columns() {
    let m = fit_golden("y ~ rcs(x, 4) + sex + log(z)");
    let s = m.to_string();
    for needle in [
        "Obs",
        "LR chi2",
        "d.f.",
        "Dropped (missing) 5",
        "Coef",
        "S.E.",
        "Wald Z",
        "Pr(>|Z|)",
        "Odds ratio",
        "x''",
        "sex=M",
        "Converged yes",
    ] {
        assert!(s.contains(needle), "missing {needle} in\n{s}");
    }
}

#[test]
fn cli_fit_then_score() {
    let exe = env!("CARGO_BIN_EXE_mbdrisk");
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("model.json");
    let scores = dir.path().join("scores.csv");
    let data = golden_dir().join("lrm_data.csv");
    let out = std::process::Command::new(exe)
        .args(["fit", "--data"])
        .arg(&data)
        .args(["--formula", "y ~ rcs(x, 4) + sex + log(z)", "--out"])
        .arg(&model)
        .output()
        .expect("run fit");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Wald Z"));
    let out = std::process::Command::new(exe)
        .args(["score", "--model"])
        .arg(&model)
        .arg("--data")
        .arg(&data)
        .arg("--out")
        .arg(&scores)
        .args(["--id", "stage", "--batch-size", "33"])
        .output()
        .expect("run score");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&scores).expect("scores");
    assert!(text.starts_with("row,stage,linear_predictor,predicted\n"));
    assert_eq!(text.lines().count(), 401);
    assert!(String::from_utf8_lossy(&out.stderr).contains("4 of 400 rows have a missing predictor"));
    // usage errors exit 2 and write nothing
    let bad = dir.path().join("bad.json");
    let out = std::process::Command::new(exe)
        .args(["fit", "--data"])
        .arg(&data)
        .args(["--formula", "y ~ rcs(x, 9)", "--out"])
        .arg(&bad)
        .output()
        .expect("run fit");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains('^'));
    assert!(!bad.exists());
}

// ---------------------------------------------------------------------------------------------
// addNA(x): a missing cell as a level of its own, vs glm with base::addNA
// (tests/golden/design/make_addna_golden.R)
// ---------------------------------------------------------------------------------------------

fn addna_fit(formula: &str) -> (Table, Model) {
    let t = Table::read(&golden_dir().join("addna_data.csv")).expect("read");
    let w: Vec<f64> = t
        .num("w")
        .expect("w")
        .iter()
        .map(|v| v.expect("w"))
        .collect();
    let opts = FitOptions {
        weights: Some(w),
        ..FitOptions::default()
    };
    let m = fit_model(&t, formula, &opts, MissingPolicy::Drop).expect("fit");
    (t, m)
}

#[test]
fn add_na_terms_match_glm_with_addna() {
    let g = golden("addna_golden.json");
    let formula = g["formula"].as_str().expect("formula");
    let (t, m) = addna_fit(formula);
    let names: Vec<&str> = m.coefficients.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Intercept",
            "x",
            "t",
            "m=positive",
            "m=NA",
            "k=2",
            "k=3",
            "k=NA",
            "m=positive * t",
            "m=NA * t"
        ],
        "same columns, in R's order: {:?}",
        g["r_names"]
    );
    // only the plain term x drops rows; m and k keep theirs as the level NA
    assert_eq!(m.n as u64, g["n"].as_u64().expect("n"));
    let dropped: Vec<(&str, Count)> = m
        .missing_by_column
        .iter()
        .map(|c| (c.column.as_str(), c.n_missing))
        .collect();
    // 3 rows: written "<5" (privacy)
    assert_eq!(dropped, [("x", Count::FewerThanMin)]);
    for (c, (b, s)) in m
        .coefficients
        .iter()
        .zip(floats(&g["coef"]).into_iter().zip(floats(&g["se"])))
    {
        assert!(
            rel_err(c.estimate, b) <= tolerances::COEF_REL,
            "{}: {} vs {b}",
            c.name,
            c.estimate
        );
        assert!(
            rel_err(c.std_error, s) <= tolerances::SE_REL,
            "{}: se {} vs {s}",
            c.name,
            c.std_error
        );
    }
    let dev = g["deviance"].as_f64().expect("deviance");
    assert!(rel_err(-2.0 * m.log_likelihood, dev) <= tolerances::COEF_REL);
    // through the model file: the missing level survives, and new rows score as predict()
    let back =
        persist::from_json(&persist::to_json(&m).expect("json"), "model.json").expect("read back");
    let s = back
        .scorer()
        .expect("scorer")
        .score_table(&t)
        .expect("score");
    for (i, want) in g["lp_first40"].as_array().expect("lp").iter().enumerate() {
        match (s.get(i), want.as_f64()) {
            (Some(r), Some(w)) => assert!(
                rel_err(r.linear_predictor, w) <= LP_REL,
                "row {i}: {} vs {w}",
                r.linear_predictor
            ),
            (None, None) => {}
            (got, want) => panic!("row {i}: scored {got:?}, R {want:?}"),
        }
    }
}

/// The streaming CSV scorer expands a missing `addNA` cell exactly as the whole-table path,
/// for text and numeric levels, and still leaves rows with a missing plain term unscored.
#[test]
fn add_na_scores_the_same_streamed_and_in_memory() {
    let (t, m) = addna_fit("y ~ x + t + addNA(m) + addNA(k)");
    let scorer = m.scorer().expect("scorer");
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("s.csv");
    let data = golden_dir().join("addna_data.csv");
    let summary = scorer
        .score_csv(&data, &out, &CsvScoreOptions::default())
        .expect("stream");
    assert_eq!(summary.n_missing, 3, "only the rows without x");
    let whole = scorer.score_table(&t).expect("table");
    let text = std::fs::read_to_string(&out).expect("read");
    let mut n_na_rows = 0;
    for (i, line) in text.lines().skip(1).enumerate() {
        let lp = line.split(',').nth(1).expect("lp");
        match whole.get(i) {
            Some(r) => {
                assert_eq!(lp.parse::<f64>().ok(), Some(r.linear_predictor), "row {i}");
                let m_missing = t.text("m").expect("m")[i].is_none();
                let k_missing = t.num("k").expect("k")[i].is_none();
                n_na_rows += usize::from(m_missing || k_missing);
            }
            None => assert!(lp.is_empty(), "row {i}"),
        }
    }
    assert!(
        n_na_rows > 100,
        "rows scored through the NA level: {n_na_rows}"
    );
}

/// A model file whose `addNA` term does not end with the `NA` level is refused when read.
#[test]
fn rejects_model_file_with_inconsistent_addna_term() {
    let (_, m) = addna_fit("y ~ x + addNA(m)");
    let text = persist::to_json(&m).expect("json");
    assert!(text.contains("\"missing_level\": true"), "{text}");
    let bad = text.replacen("\"NA\"", "\"unknown\"", 1);
    let msg = err_text(persist::from_json(&bad, "model.json").and_then(|m| m.scorer()));
    assert!(
        msg.contains(
            "model term for 'm' is inconsistent: an addNA term whose last level is not NA"
        ),
        "{msg}"
    );
    // ... and so is a missing level on a numeric term
    let bad = text.replacen(
        "\"variable\": \"x\",",
        "\"variable\": \"x\", \"missing_level\": true,",
        1,
    );
    assert_ne!(bad, text);
    let msg = err_text(persist::from_json(&bad, "model.json").and_then(|m| m.scorer()));
    assert!(
        msg.contains("'x' is inconsistent: missing_level on a term that is not categorical"),
        "{msg}"
    );
}

/// As R's `addNA(x, ifany = TRUE)`: when the training rows have no missing cell the term is an
/// ordinary factor without a level NA, and a missing cell at scoring time leaves the row
/// unscored (no level to give it).
#[test]
fn add_na_without_missing_training_cells_adds_no_level() {
    let t = Table::read(&golden_dir().join("addna_data.csv")).expect("read");
    let present: Vec<usize> = (0..t.nrows())
        .filter(|&i| t.text("m").expect("m")[i].is_some())
        .collect();
    let f = parse("y ~ t + addNA(m)").expect("formula");
    let m = mbdrisk::model::fit::fit_model_on_rows(
        &t,
        &f,
        &FitOptions::default(),
        MissingPolicy::Drop,
        &present,
    )
    .expect("fit");
    let names: Vec<&str> = m.coefficients.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["Intercept", "t", "m=positive"]);
    assert!(!m.design.terms[1].missing_level);
    let s = m.scorer().expect("scorer").score_table(&t).expect("score");
    assert_eq!(s.n_missing, t.nrows() - present.len());
}
