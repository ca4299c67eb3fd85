//! One test per class of bug found by trying mbdrisk as an attacker and as a new user would
//! (issue 11), as ripgrep keeps `tests/suite/regression.rs`: each names the class, reproduces the
//! finding and asserts exit code 2 (bad input), a message that points at the fix, and that
//! nothing was half-written. Never exit 101 (panic) or 134 (abort).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::util::{mbdrisk as run, stderr as err, stdout as out};

const DEMO: &str = "data/demo/cohort.csv";
const VISITS: &str = "data/demo/visits.csv";

/// Exit code 2 with every `needles` in stderr; never a panic or an abort.
#[track_caller]
fn refused(o: &Output, needles: &[&str]) {
    let e = err(o);
    assert_eq!(o.status.code(), Some(2), "expected exit 2, stderr:\n{e}");
    assert!(!e.contains("panicked"), "{e}");
    for n in needles {
        assert!(e.contains(n), "stderr lacks {n:?}:\n{e}");
    }
}

fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// The demo cohort with `edit` applied to its lines (line 0 is the header).
fn demo_with(dir: &Path, name: &str, edit: impl Fn(&mut Vec<String>)) -> PathBuf {
    let text = std::fs::read_to_string(DEMO).expect("demo");
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    edit(&mut lines);
    let path = dir.join(name);
    std::fs::write(&path, lines.join("\n") + "\n").expect("write fixture");
    path
}

/// Set column `col` of physical line `line` (1-based, header = 1) of a CSV line list.
fn set_cell(lines: &mut [String], line: usize, col: usize, value: &str) {
    let mut cells: Vec<String> = lines[line - 1].split(',').map(str::to_string).collect();
    cells[col] = value.to_string();
    lines[line - 1] = cells.join(",");
}

const AGE: usize = 1;
const FORMULA: &str = "event_24m ~ age + log(ctx_ng_ml) + mrd + pet";

fn fit(data: &Path, formula: &str, model: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "fit",
        "--data",
        p(data),
        "--formula",
        formula,
        "--out",
        p(model),
    ];
    args.extend_from_slice(extra);
    run(&args)
}

/// `compare` of a model with one rule on the demo cohort, without bootstrap.
fn compare_with_rule(model: &Path, rule: &str, out: &Path) -> Output {
    run(&[
        "compare",
        "--model",
        p(model),
        "--data",
        DEMO,
        "--rule",
        rule,
        "--bootstrap",
        "0",
        "--out",
        p(out),
    ])
}

fn demo_model(dir: &Path, formula: &str) -> PathBuf {
    let model = dir.join("model.json");
    let o = fit(Path::new(DEMO), formula, &model, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    model
}

// ---- 1. no panic or abort on any input ----------------------------------------------------

#[test]
fn rules_with_aggregates_are_refused_not_a_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = demo_model(dir.path(), FORMULA);
    for (rule, why) in [
        ("x=count(*) > 5", "each patient's own values"),
        ("x=sum(age) > 1", "each patient's own values"),
        ("x=max(age) > 3", "each patient's own values"),
        ("x=age > 1 AND count(*) > 1", "aggregate"),
        ("x=age > avg(age) OVER ()", "aggregate"),
        ("x=true", "at least one column"),
        ("x=1 = 1", "at least one column"),
    ] {
        let o = compare_with_rule(&model, rule, &dir.path().join("cmp"));
        refused(&o, &["rule 'x'", why]);
        assert!(!dir.path().join("cmp").join("comparison.json").exists());
    }
}

#[test]
fn rules_too_long_or_deep_are_refused_before_the_sql_engine() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = demo_model(dir.path(), FORMULA);
    let ands = vec!["age > 1"; 3000].join(" AND ");
    let sums = format!("x=age{} > 0", "+age".repeat(600));
    let deep = format!("x={}age > 1{}", "(".repeat(40), ")".repeat(40));
    for (rule, needle) in [
        (format!("x={ands}"), "characters"),
        (sums, "operator"),
        (deep, "nested"),
        (
            format!("x={}", vec!["age > 1"; 250].join(" AND ")),
            "connectives",
        ),
    ] {
        let o = compare_with_rule(&model, &rule, &dir.path().join("cmp"));
        refused(&o, &[needle]);
    }
    // at the bounds, the engine still answers (no stack overflow in a debug build)
    let at_bound = format!("x={}", vec!["age > 1"; 150].join(" AND "));
    let o = compare_with_rule(&model, &at_bound, &dir.path().join("ok"));
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
}

#[test]
fn every_typed_count_is_bounded_before_allocation() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = demo_model(dir.path(), FORMULA);
    let o_dir = dir.path().join("o");
    let o = p(&o_dir);
    let m = p(&model);
    let validate = |flag: &'static str, v: &'static str| {
        vec![
            "validate", "--model", m, "--data", DEMO, flag, v, "--out", o,
        ]
    };
    let dynamic = |spec: &'static str| {
        let f = "Surv(time_months, event) ~ mrd";
        vec![
            "fit",
            "--dynamic",
            "--data",
            DEMO,
            "--visits",
            VISITS,
            "--landmarks",
            spec,
            "--formula",
            f,
            "--out",
            o,
        ]
    };
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            validate("--bootstrap", "18446744073709551615"),
            "--bootstrap",
        ),
        (validate("--bootstrap", "100000000000"), "--bootstrap"),
        (
            validate("--bootstrap", "99999999999999999999999"),
            "--bootstrap",
        ),
        (validate("--cv", "2x9223372036854775808"), "--cv"),
        (validate("--cv", "100000"), "--cv"),
        (
            vec![
                "compare",
                "--model",
                m,
                "--data",
                DEMO,
                "--bootstrap",
                "100000000000",
                "--out",
                o,
            ],
            "--bootstrap",
        ),
        (
            vec!["simulate", "--patients", "1000000000000", "--out", o],
            "--patients",
        ),
        (
            vec![
                "score",
                "--model",
                m,
                "--data",
                DEMO,
                "--batch-size",
                "100000000000",
                "--out",
                o,
            ],
            "--batch-size",
        ),
        (dynamic("0:1e300:1"), "--landmarks"),
        (dynamic("0:24:1e-300"), "--landmarks"),
    ];
    for (args, needle) in cases {
        let r = run(&args);
        refused(&r, &[needle]);
        assert!(!o_dir.exists(), "{args:?} wrote output");
    }
}

#[test]
fn model_files_are_capped_and_unknown_fields_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = demo_model(dir.path(), FORMULA);
    let text = std::fs::read_to_string(&model).expect("model");
    let scores = dir.path().join("s.csv");
    // a 9 MB field: refused by size, without reading it whole
    let big = text.replacen('{', &format!("{{\"junk\": \"{}\",", "x".repeat(9 << 20)), 1);
    let big_path = dir.path().join("big.json");
    std::fs::write(&big_path, big).expect("write");
    let o = run(&[
        "score",
        "--model",
        p(&big_path),
        "--data",
        DEMO,
        "--out",
        p(&scores),
    ]);
    refused(&o, &["at most 8 MB"]);
    // a small unknown field: refused by name
    let odd = text.replacen('{', "{\"note\": \"hello\",", 1);
    let odd_path = dir.path().join("odd.json");
    std::fs::write(&odd_path, odd).expect("write");
    let o = run(&[
        "score",
        "--model",
        p(&odd_path),
        "--data",
        DEMO,
        "--out",
        p(&scores),
    ]);
    refused(&o, &["unknown field", "note"]);
    assert!(!scores.exists());
    // counts that contradict each other (found by the fuzz campaign: printing it overflowed)
    let mut v: serde_json::Value = serde_json::from_str(&text).expect("json");
    v["events"] = serde_json::json!(v["n"].as_u64().expect("n") + 1);
    let odd_path = dir.path().join("events.json");
    std::fs::write(&odd_path, serde_json::to_string(&v).expect("json")).expect("write");
    let o = run(&[
        "score",
        "--model",
        p(&odd_path),
        "--data",
        DEMO,
        "--out",
        p(&scores),
    ]);
    refused(&o, &["events"]);
}

// ---- 2. no silent wrong answer --------------------------------------------------------------

#[test]
fn one_bad_cell_in_a_numeric_column_is_an_error_not_a_factor() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("m.json");
    for (bad, hint) in [
        ("NaN", "finite"),
        ("N/A", "only an empty cell or NA means missing"),
        ("\"68,5\"", "decimal comma"),
        ("1e400", "overflows"),
        ("inf", "finite"),
        ("0x41", "hexadecimal"),
        (".", "NA"),
    ] {
        let data = demo_with(dir.path(), "c.csv", |l| set_cell(l, 5, AGE, bad));
        let shown = bad.trim_matches('"');
        for extra in [&[][..], &["--penalty", "ridge=1"][..]] {
            let o = fit(&data, FORMULA, &model, extra);
            refused(
                &o,
                &["row 5", "column 'age'", &format!("found '{shown}'"), hint],
            );
            assert!(!model.exists());
            if bad == "1e400" {
                assert!(
                    !err(&o).contains("missing"),
                    "overflow blamed on missing values"
                );
            }
        }
        // check reads the MM column by the same rule
        refused(
            &run(&["check", "--data", p(&data)]),
            &["row 5", "column 'age'"],
        );
    }
    // an extra column with one stray cell: check says so, cat() would make it a category
    let data = demo_with(dir.path(), "c.csv", |l| {
        l[0].push_str(",ldh");
        for (i, line) in l.iter_mut().enumerate().skip(1) {
            line.push_str(if i == 4 { ",N/A" } else { ",210" });
        }
    });
    let o = run(&["check", "--data", p(&data)]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(
        err(&o).contains("column 'ldh'") && err(&o).contains("cat(ldh)"),
        "{}",
        err(&o)
    );
    assert!(err(&o).contains("row 5: 'N/A'"), "{}", err(&o));
}

#[test]
fn non_finite_scores_are_errors_and_extrapolation_is_counted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = demo_model(dir.path(), "event_24m ~ rcs(age, 4) + log(ctx_ng_ml) + mrd");
    let scores = dir.path().join("s.csv");
    let data = demo_with(dir.path(), "c.csv", |l| set_cell(l, 7, AGE, "1e200"));
    let o = run(&[
        "score",
        "--model",
        p(&model),
        "--data",
        p(&data),
        "--out",
        p(&scores),
    ]);
    refused(&o, &["row 7", "column 'age'", "1e200", "overflows"]);
    assert!(!scores.exists());
    // a coefficient of 1e308: the linear predictor overflows, named by row and column
    let text = std::fs::read_to_string(&model).expect("model");
    let mut v: serde_json::Value = serde_json::from_str(&text).expect("json");
    v["coefficients"][1]["estimate"] = serde_json::json!(1e308);
    let huge = dir.path().join("huge.json");
    std::fs::write(&huge, serde_json::to_string(&v).expect("json")).expect("write");
    let o = run(&[
        "score",
        "--model",
        p(&huge),
        "--data",
        DEMO,
        "--out",
        p(&scores),
    ]);
    refused(&o, &["row 2", "column 'age'", "finite score"]);
    // ages far outside the training range: scored, with a warning that counts them
    let data = demo_with(dir.path(), "far.csv", |l| {
        set_cell(l, 3, AGE, "250");
        set_cell(l, 4, AGE, "-40");
    });
    let o = run(&[
        "score",
        "--model",
        p(&model),
        "--data",
        p(&data),
        "--out",
        p(&scores),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(err(&o).contains("2 of "), "{}", err(&o));
    assert!(err(&o).contains("far outside"), "{}", err(&o));
}

#[test]
fn landmarks_and_windows_beyond_follow_up_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("d.json");
    let base = [
        "fit",
        "--dynamic",
        "--data",
        DEMO,
        "--visits",
        VISITS,
        "--formula",
        "Surv(time_months, event) ~ mrd + log(ctx_ng_ml)",
        "--out",
        p(&out),
    ];
    let mut a = base.to_vec();
    a.extend(["--landmarks", "0:1000:50"]);
    refused(&run(&a), &["month 100", "longest follow-up"]);
    let mut a = base.to_vec();
    a.extend(["--landmarks", "0:12:6", "--window", "400"]);
    let o = run(&a);
    refused(&o, &["--window 400", "longer than the window"]);
    assert!(!err(&o).contains("single class"));
    assert!(!out.exists());
}

#[test]
fn parquet_and_csv_refuse_duplicate_column_names_alike() {
    use polars::prelude::*;
    let dir = tempfile::tempdir().expect("tempdir");
    // polars cannot hold two columns of one name: write two, then give them one name in the
    // file's footer (same length, so every offset stays valid)
    let mut df = df!("agexx" => [1.0, 2.0, 3.0], "ageyy" => [4.0, 5.0, 6.0]).expect("df");
    let path = dir.path().join("dup.parquet");
    let file = std::fs::File::create(&path).expect("create");
    ParquetWriter::new(file)
        .finish(&mut df)
        .expect("write parquet");
    let mut bytes = std::fs::read(&path).expect("read");
    let (from, to) = (b"ageyy", b"agexx");
    let mut k = 0;
    while k + from.len() <= bytes.len() {
        if &bytes[k..k + from.len()] == from {
            bytes[k..k + from.len()].copy_from_slice(to);
        }
        k += 1;
    }
    std::fs::write(&path, bytes).expect("patch");
    let o = run(&["check", "--data", p(&path)]);
    refused(&o, &["agexx", "appears twice"]);
    let csv = dir.path().join("dup.csv");
    std::fs::write(&csv, "agexx,agexx\n1,4\n2,5\n").expect("csv");
    refused(
        &run(&["check", "--data", p(&csv)]),
        &["agexx", "appears twice"],
    );
    // the streaming scorer reads headers by the same rule
    let model = demo_model(dir.path(), FORMULA);
    let dup = demo_with(dir.path(), "dupage.csv", |l| {
        l[0] = l[0].replacen("sex", "age", 1);
    });
    let o = run(&[
        "score",
        "--model",
        p(&model),
        "--data",
        p(&dup),
        "--out",
        p(&dir.path().join("s.csv")),
    ]);
    refused(&o, &["'age'", "appears twice"]);
}

#[test]
fn compare_says_which_patients_it_left_out_and_why() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = demo_model(dir.path(), FORMULA);
    let data = demo_with(dir.path(), "c.csv", |l| {
        for line in 2..=41 {
            set_cell(l, line, 10, ""); // ctx_ng_ml missing
        }
    });
    let o = run(&[
        "compare",
        "--model",
        p(&model),
        "--data",
        p(&data),
        "--rule",
        "two-year",
        "--bootstrap",
        "0",
        "--out",
        p(&dir.path().join("cmp")),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let t = out(&o);
    assert!(t.contains("Patients in the file: 2000"), "{t}");
    assert!(
        t.contains("with a known outcome but a missing predictor"),
        "{t}"
    );
    let c: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("cmp").join("comparison.json")).expect("read"),
    )
    .expect("json");
    let x = &c["excluded"];
    let known_missing = x["missing_predictor"].as_u64().expect("count");
    assert!(known_missing > 0, "{x}");
    assert!(
        t.contains(&format!(
            "{known_missing} with a known outcome but a missing predictor"
        )),
        "{t}"
    );
    assert_eq!(
        c["n"].as_u64().expect("n") + known_missing + x["outcome_unknown"].as_u64().expect("n"),
        2000
    );
}

// ---- 3. outputs never destroy anything ------------------------------------------------------

#[cfg(unix)]
#[test]
fn outputs_write_through_devices_and_links_and_never_over_an_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = demo_model(dir.path(), FORMULA);
    let o = run(&[
        "score",
        "--model",
        p(&model),
        "--data",
        DEMO,
        "--out",
        "/dev/null",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(!std::fs::metadata("/dev/null").expect("meta").is_file());
    let real = dir.path().join("real.csv");
    std::fs::write(&real, "old").expect("seed");
    let link = dir.path().join("link.csv");
    std::os::unix::fs::symlink(&real, &link).expect("symlink");
    let o = run(&[
        "score",
        "--model",
        p(&model),
        "--data",
        DEMO,
        "--out",
        p(&link),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(std::fs::symlink_metadata(&link)
        .expect("meta")
        .file_type()
        .is_symlink());
    assert!(std::fs::read_to_string(&real)
        .expect("real")
        .starts_with("row,"));
    // the output is the input (through another spelling of the path): refused, untouched
    let data = demo_with(dir.path(), "x.csv", |_| {});
    let before = std::fs::read(&data).expect("read");
    let same = dir.path().join(".").join("x.csv");
    let o = run(&[
        "score",
        "--model",
        p(&model),
        "--data",
        p(&data),
        "--out",
        p(&same),
    ]);
    refused(&o, &["would be overwritten"]);
    assert_eq!(std::fs::read(&data).expect("read"), before);
    let o = run(&[
        "fit",
        "--data",
        p(&data),
        "--formula",
        FORMULA,
        "--out",
        p(&data),
    ]);
    refused(&o, &["would be overwritten"]);
    assert_eq!(std::fs::read(&data).expect("read"), before);
}

#[test]
fn a_folder_of_outputs_is_all_new_or_all_old() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = demo_model(dir.path(), FORMULA);
    let val = dir.path().join("val");
    std::fs::create_dir_all(val.join("calibration.csv")).expect("a folder in the way");
    std::fs::write(val.join("metrics.json"), "old").expect("seed");
    let o = run(&[
        "validate",
        "--model",
        p(&model),
        "--data",
        DEMO,
        "--out",
        p(&val),
    ]);
    refused(&o, &["calibration.csv", "not a regular file"]);
    assert_eq!(
        std::fs::read_to_string(val.join("metrics.json")).expect("old"),
        "old"
    );
    assert!(!val.join("predictions.csv").exists());
    let left: Vec<String> = std::fs::read_dir(&val)
        .expect("ls")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left.len(), 2, "{left:?}");
    // validating a predictions file into its own folder would overwrite it: refused
    let ok = dir.path().join("ok");
    let o = run(&[
        "validate",
        "--model",
        p(&model),
        "--data",
        DEMO,
        "--id",
        "patient_id",
        "--out",
        p(&ok),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let preds = ok.join("predictions.csv");
    let o = run(&[
        "validate",
        "--data",
        p(&preds),
        "--predicted",
        "predicted",
        "--outcome",
        "observed",
        "--out",
        p(&ok),
    ]);
    refused(&o, &["would be overwritten"]);
}

// ---- 4. privacy of model files and reports --------------------------------------------------

#[test]
fn identifiers_are_never_predictors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("m.json");
    let o = fit(Path::new(DEMO), "event_24m ~ patient_id + age", &model, &[]);
    refused(&o, &["patient_id", "identifier"]);
    // a text column whose levels are almost all unique, whatever its name
    let data = demo_with(dir.path(), "c.csv", |l| {
        l[0].push_str(",note");
        for (i, line) in l.iter_mut().enumerate().skip(1) {
            line.push_str(&format!(",visit note {i}"));
        }
    });
    let o = fit(&data, "event_24m ~ age + note", &model, &[]);
    refused(&o, &["'note'", "identifies patients"]);
    assert!(!model.exists());
}

#[test]
fn no_count_or_summary_of_fewer_than_five_patients_is_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("m.json");
    // patients with a known 24-month outcome; three get a response level of their own, and two
    // lose their age (dropped)
    let data = demo_with(dir.path(), "c.csv", |l| {
        l.retain(|line| !line.ends_with(','));
        for line in [2, 3, 4] {
            set_cell(l, line, 8, "MR");
        }
        for line in [5, 6] {
            set_cell(l, line, AGE, "");
        }
    });
    let o = fit(&data, "event_24m ~ age + response + prior_sre", &model, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(
        err(&o).contains("level 'MR' of 'response' has fewer than 5"),
        "{}",
        err(&o)
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&model).expect("read")).expect("json");
    assert_eq!(v["n_dropped_missing"], "<5");
    let response = v["training_summary"]
        .as_array()
        .expect("summary")
        .iter()
        .find(|c| c["column"] == "response")
        .expect("response summary");
    let mr = response["levels"]
        .as_array()
        .expect("levels")
        .iter()
        .find(|l| l["level"] == "MR")
        .expect("MR");
    assert_eq!(mr["count"], "<5");
    let missing = v["missing_by_column"].as_array().expect("missing");
    assert!(missing
        .iter()
        .all(|m| m["n_missing"] == "<5" || m["n_missing"].as_u64() >= Some(5)));
    // the file reads back, and is written back the same
    let o = run(&[
        "score",
        "--model",
        p(&model),
        "--data",
        p(&data),
        "--out",
        p(&dir.path().join("s.csv")),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
}

// ---- 5. messages that point at the fix ------------------------------------------------------

#[test]
fn row_numbers_are_physical_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("m.json");
    // two blank lines and a quoted cell with a line break before the bad cell
    let data = demo_with(dir.path(), "c.csv", |l| {
        l.insert(3, String::new());
        l.insert(3, String::new());
        set_cell(l, 2, 2, "\"F\nM\"");
        set_cell(l, 9, AGE, "abc");
    });
    let o = fit(&data, FORMULA, &model, &[]);
    // line 9 of the file as written (the quoted line break adds one line before it)
    refused(&o, &["row 10", "found 'abc'"]);
    // the streaming scorer numbers the same line, whatever its batch size, CRLF or not
    let model = demo_model(dir.path(), FORMULA);
    let crlf = dir.path().join("crlf.csv");
    let text = std::fs::read_to_string(&data).expect("read");
    std::fs::write(&crlf, text.replace('\n', "\r\n")).expect("write");
    for input in [&data, &crlf] {
        for batch in ["1", "4", "65536"] {
            let out = dir.path().join("scores.csv");
            let o = run(&[
                "score",
                "--model",
                p(&model),
                "--data",
                p(input),
                "--batch-size",
                batch,
                "--out",
                p(&out),
            ]);
            refused(&o, &["row 10, column 'age': found 'abc'"]);
            assert!(!out.exists(), "no output after an error");
        }
    }
}

#[test]
fn malformed_files_are_named_for_what_they_are() {
    let dir = tempfile::tempdir().expect("tempdir");
    let unclosed = dir.path().join("u.csv");
    std::fs::write(&unclosed, "a,b\n1,2\n3,\"oops\n5,6\n7,8\n").expect("write");
    refused(
        &run(&["check", "--data", p(&unclosed)]),
        &["row 3", "never closed"],
    );
    let semi = dir.path().join("s.csv");
    std::fs::write(&semi, "a;b;c\n1;2;3\n").expect("write");
    refused(&run(&["check", "--data", p(&semi)]), &["semicolon"]);
    let tabs = dir.path().join("t.csv");
    std::fs::write(&tabs, "a\tb\tc\n1\t2\t3\n").expect("write");
    refused(&run(&["check", "--data", p(&tabs)]), &["tab", ".tsv"]);
    let gz = dir.path().join("g.csv");
    std::fs::write(&gz, [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]).expect("write");
    let o = run(&["check", "--data", p(&gz)]);
    refused(&o, &["gzip"]);
    assert!(err(&o).len() < 400, "{}", err(&o));
    let pq = dir.path().join("p.csv");
    std::fs::write(&pq, b"PAR1\x15\x04\x15\x10\x00\x00PAR1").expect("write");
    refused(&run(&["check", "--data", p(&pq)]), &["Parquet"]);
}

#[test]
fn badly_scaled_columns_are_not_called_linearly_dependent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("m.json");
    let data = demo_with(dir.path(), "c.csv", |l| {
        l[0].push_str(",tiny");
        for (i, line) in l.iter_mut().enumerate().skip(1) {
            line.push_str(&format!(",{}e-200", 1 + i % 7));
        }
    });
    let o = fit(&data, "event_24m ~ age + tiny", &model, &[]);
    refused(&o, &["'tiny'", "badly scaled"]);
    assert!(!err(&o).contains("linearly dependent"));
}

#[test]
fn messages_name_the_real_cause() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("m.json");
    // Surv() without --dynamic: a Cox model (it was refused before the Cox family)
    let o = fit(
        Path::new(DEMO),
        "Surv(time_months, event) ~ age",
        &model,
        &[],
    );
    assert!(o.status.success(), "{}", err(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("Cox Proportional Hazards Model"));
    // rule names that repeat or shadow a built-in
    let m = demo_model(dir.path(), FORMULA);
    let cmp = dir.path().join("cmp");
    for rules in [
        vec!["a=age > 60", "a=age > 70"],
        vec!["two-year=age > 60"],
        vec!["model=age > 60"],
    ] {
        let mut args = vec![
            "compare",
            "--model",
            p(&m),
            "--data",
            DEMO,
            "--bootstrap",
            "0",
            "--out",
            p(&cmp),
        ];
        for r in &rules {
            args.extend(["--rule", r]);
        }
        refused(&run(&args), &["name"]);
    }
    // bad SQL: one line, no plan or AST dump from the engine
    let o = compare_with_rule(&m, "x=age >> 3 )", &cmp);
    refused(&o, &["rule 'x'"]);
    assert!(err(&o).lines().count() <= 2, "{}", err(&o));
}

#[test]
fn thousands_of_warnings_are_summarised() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = demo_with(dir.path(), "wide.csv", |l| {
        let extra: Vec<String> = (0..10_000).map(|k| format!("x{k}")).collect();
        l[0] = format!("{},{}", l[0], extra.join(","));
        let zeros = vec!["0"; 10_000].join(",");
        for line in l.iter_mut().skip(1) {
            line.push(',');
            line.push_str(&zeros);
        }
    });
    let o = run(&["check", "--data", p(&data)]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let e = err(&o);
    assert!(e.lines().count() < 40, "{} lines", e.lines().count());
    assert!(e.contains("more warnings"), "{e}");
}

// ---- 6. the demo travels with the binary ----------------------------------------------------

#[test]
fn embedded_demo_files_are_the_simulators_output() {
    use mbdrisk::simulate::{demo, simulate, write_csvs, SimParams};
    let dir = tempfile::tempdir().expect("tempdir");
    let sim = simulate(demo::PATIENTS, demo::SEED, &SimParams::defaults()).expect("simulate");
    write_csvs(&sim, dir.path()).expect("write");
    for (name, bytes) in demo::FILES {
        let made = std::fs::read(dir.path().join(name)).expect("read");
        assert!(
            made == bytes,
            "{name}: the simulator no longer writes the embedded demo file"
        );
        let on_disk = std::fs::read(Path::new("data/demo").join(name)).expect("read");
        assert!(
            on_disk == bytes,
            "{name}: data/demo differs from the embedded file"
        );
    }
}

#[test]
fn report_trajectories_name_patients_by_pseudonym() {
    use mbdrisk::cohort::{load_cohort, load_visits};
    use mbdrisk::report::dynamic::build_dynamic;
    let cohort = load_cohort(Path::new(DEMO), &Default::default()).expect("cohort");
    let visits = load_visits(Path::new(VISITS), Some(&cohort), &cohort.study).expect("visits");
    let formula = "Surv(time_months, event) ~ log(ctx_ng_ml) + ctx_rise_lsc + mrd + mrd_conversion";
    for show_ids in [false, true] {
        let opts = mbdrisk::report::dynamic::DynamicOptions {
            landmark: Default::default(),
            triggers: mbdrisk::rules::Rule::mm_triggers(),
            bootstrap: 0,
            seed: 1,
            show_ids,
        };
        let d = build_dynamic(&cohort.table, &visits.table, formula, &opts, &cohort.study)
            .expect("dynamic report");
        let svgs: Vec<&str> = d
            .figures
            .iter()
            .filter(|(stem, _)| stem.starts_with("trajectory"))
            .map(|(_, f)| f.svg.as_str())
            .collect();
        assert_eq!(svgs.len(), 2);
        for (svg, pseudonym) in svgs.iter().zip(["Patient A", "Patient B"]) {
            assert_eq!(svg.contains(pseudonym), !show_ids, "{pseudonym}");
            // the demo's identifiers are MM00001...
            assert_eq!(svg.contains("Patient MM"), show_ids);
        }
    }
}

// ---- found by a hostile-input review after the first fixes ----------------------------------

#[cfg(unix)]
#[test]
fn stdout_that_cannot_be_written_is_not_a_crash() {
    use std::process::Stdio;
    // a closed pipe (`| head -1`) ends quietly with exit 0
    let mut child = Command::new(env!("CARGO_BIN_EXE_mbdrisk"))
        .args(["check", "--data", DEMO])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let o = child.wait_with_output().expect("wait");
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(!err(&o).contains("panicked"), "{}", err(&o));
    // a full device is an I/O error, exit 2
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full");
    if let Ok(full) = full {
        let o = Command::new(env!("CARGO_BIN_EXE_mbdrisk"))
            .args(["check", "--data", DEMO])
            .stdout(full)
            .output()
            .expect("run");
        refused(&o, &["cannot write to standard output"]);
    }
    // --out /dev/stdout into a pipe is written through
    let dir = tempfile::tempdir().expect("tempdir");
    let model = demo_model(dir.path(), FORMULA);
    let o = run(&[
        "score",
        "--model",
        p(&model),
        "--data",
        DEMO,
        "--out",
        "/dev/stdout",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(
        out(&o).starts_with("row,linear_predictor,predicted"),
        "{}",
        out(&o)
    );
}

#[test]
fn rules_with_subqueries_or_other_aggregates_are_refused_in_plain_words() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = demo_model(dir.path(), FORMULA);
    for rule in [
        "x=age > 0 AND EXISTS (SELECT 1)",
        "x=age IN (SELECT 70)",
        "x=age > 60 AND columns('a.*') > 0",
        "x=bpa_months > stdev(bpa_months)",
        "x=bpa_months > var(bpa_months)",
    ] {
        let o = compare_with_rule(&model, rule, &dir.path().join("cmp"));
        refused(&o, &["rule 'x'"]);
        let e = err(&o);
        assert!(!e.contains("Query {") && !e.contains("Expr:"), "{e}");
    }
}

#[test]
fn crlf_and_cr_files_report_physical_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("m.json");
    let text = std::fs::read_to_string(DEMO).expect("demo");
    for eol in ["\r\n", "\r"] {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        set_cell(&mut lines, 12, AGE, "N/A");
        let path = dir.path().join("eol.csv");
        std::fs::write(&path, lines.join(eol) + eol).expect("write");
        refused(
            &fit(&path, FORMULA, &model, &[]),
            &["row 12", "found 'N/A'"],
        );
    }
}

#[test]
fn fits_with_fewer_than_five_events_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("m.json");
    let data = demo_with(dir.path(), "c.csv", |l| {
        l[0].push_str(",rare");
        for (i, line) in l.iter_mut().enumerate().skip(1) {
            line.push_str(if i <= 3 { ",1" } else { ",0" });
        }
    });
    for penalty in ["none", "firth", "ridge=1"] {
        let o = fit(&data, "rare ~ age + mrd", &model, &["--penalty", penalty]);
        refused(&o, &["3 events", "at least 5"]);
    }
    assert!(!model.exists());
    // identifier-like names, whatever their type
    let data = demo_with(dir.path(), "ids.csv", |l| {
        l[0].push_str(",studyid");
        for (i, line) in l.iter_mut().enumerate().skip(1) {
            line.push_str(&format!(",{i}"));
        }
    });
    refused(
        &fit(&data, "event_24m ~ age + studyid", &model, &[]),
        &["identifier"],
    );
}

#[test]
fn inputs_and_outputs_that_contradict_each_other_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("d.json");
    let dynamic = [
        "fit",
        "--dynamic",
        "--data",
        DEMO,
        "--visits",
        VISITS,
        "--formula",
        "Surv(time_months, event) ~ mrd",
        "--out",
        p(&out),
        "--landmark-data",
        p(&out),
    ];
    refused(&run(&dynamic), &["same file"]);
    let ld = dir.path().join("ld.csv");
    let static_ld = [
        "fit",
        "--data",
        DEMO,
        "--formula",
        FORMULA,
        "--out",
        p(&out),
        "--landmark-data",
        p(&ld),
    ];
    refused(&run(&static_ld), &["--dynamic"]);
    assert!(!out.exists());
    // --cv cannot validate a dynamic model: refused, not ignored
    let o = run(&[
        "fit",
        "--dynamic",
        "--data",
        DEMO,
        "--visits",
        VISITS,
        "--formula",
        "Surv(time_months, event) ~ mrd + log(ctx_ng_ml)",
        "--out",
        p(&out),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let o = run(&[
        "validate",
        "--model",
        p(&out),
        "--data",
        DEMO,
        "--visits",
        VISITS,
        "--cv",
        "2",
        "--out",
        p(&dir.path().join("v")),
    ]);
    refused(&o, &["--cv"]);
    // a truth file with an impossible risk
    let model = demo_model(dir.path(), FORMULA);
    let truth = std::fs::read_to_string("data/demo/truth.csv").expect("truth");
    let mut lines: Vec<String> = truth.lines().map(str::to_string).collect();
    set_cell(&mut lines, 2, 2, "1.5");
    let bad = dir.path().join("truth.csv");
    std::fs::write(&bad, lines.join("\n") + "\n").expect("write");
    let o = run(&[
        "compare",
        "--model",
        p(&model),
        "--data",
        DEMO,
        "--truth",
        p(&bad),
        "--bootstrap",
        "0",
        "--out",
        p(&dir.path().join("c")),
    ]);
    refused(&o, &["true_risk_24m", "between 0 and 1"]);
}

#[cfg(unix)]
#[test]
fn the_scorer_names_files_that_are_not_csv_and_endless_inputs_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = demo_model(dir.path(), FORMULA);
    let s = dir.path().join("s.csv");
    let gz = dir.path().join("g.csv");
    std::fs::write(&gz, [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]).expect("write");
    let o = run(&[
        "score",
        "--model",
        p(&model),
        "--data",
        p(&gz),
        "--out",
        p(&s),
    ]);
    refused(&o, &["gzip"]);
    assert!(err(&o).len() < 400, "{}", err(&o));
    let semi = dir.path().join("semi.csv");
    std::fs::write(&semi, "age;mrd;pet;ctx_ng_ml\n60;negative;CMR;0.2\n").expect("write");
    refused(
        &run(&[
            "score",
            "--model",
            p(&model),
            "--data",
            p(&semi),
            "--out",
            p(&s),
        ]),
        &["semicolon"],
    );
    let zero = dir.path().join("z.csv");
    std::os::unix::fs::symlink("/dev/zero", &zero).expect("link");
    refused(&run(&["check", "--data", p(&zero)]), &["device or a pipe"]);
    refused(
        &run(&[
            "score",
            "--model",
            p(&model),
            "--data",
            p(&zero),
            "--out",
            p(&s),
        ]),
        &["device or a pipe"],
    );
    // control characters in a value are escaped in messages
    let data = demo_with(dir.path(), "esc.csv", |l| {
        set_cell(l, 3, AGE, "6\u{1b}[31m1")
    });
    let o = fit(&data, FORMULA, &dir.path().join("m2.json"), &[]);
    refused(&o, &["row 3", "\\u{1b}"]);
    assert!(!err(&o).contains('\u{1b}'));
}

#[test]
fn an_id_column_never_repeats_an_output_column() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = demo_model(dir.path(), FORMULA);
    let s = dir.path().join("s.csv");
    for id in ["row", "predicted", "linear_predictor"] {
        let o = run(&[
            "score",
            "--model",
            p(&model),
            "--data",
            DEMO,
            "--id",
            id,
            "--out",
            p(&s),
        ]);
        refused(&o, &[&format!("--id {id}")]);
    }
    assert!(!s.exists());
}
