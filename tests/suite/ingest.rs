//! Bad-input classes of the cohort and visits readers: one test each, asserting the message
//! names the file, row and column, and that the command exits 2 without writing output.

use std::path::{Path, PathBuf};
use std::process::Command;

use mbdrisk::cohort::{load_cohort, load_visits};
use mbdrisk::Error;

const HEADER: &str = "patient_id,age,sex,egfr,iss_stage,cyto_risk,agent,bpa_months,response,prior_sre,ctx_ng_ml,p1np_ng_ml,mrd,ctdna,pet,time_months,event,event_24m";
const ROWS: [&str; 4] = [
    "MM001,66,M,78,I,standard,zoledronic_acid,24,CR,0,0.21,35,negative,not_detected,CMR,30.5,0,0",
    "MM002,71,F,55,II,high,denosumab,18,VGPR,1,0.45,41,positive,detected,non_CMR,9.2,1,1",
    "MM003,59,M,90,III,standard,pamidronate,30,PR,0,,28,,not_detected,CMR,12.0,0,",
    "MM004,62,F,81,I,standard,zoledronic_acid,26,sCR,0,0.15,30,negative,,CMR,40.0,1,0",
];
const VISITS_HEADER: &str = "patient_id,month,ctx_ng_ml,p1np_ng_ml,mrd,ctdna,pet";

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write fixture");
    p
}

fn cohort_text(replace: Option<(usize, &str)>) -> String {
    let mut lines = vec![HEADER.to_string()];
    for (i, r) in ROWS.iter().enumerate() {
        match replace {
            Some((k, new)) if k == i => lines.push(new.to_string()),
            _ => lines.push(r.to_string()),
        }
    }
    lines.join("\n") + "\n"
}

/// The error message for a cohort file with data row `k` (0-based) replaced by `row`.
fn cohort_error_with_row(k: usize, row: &str) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(dir.path(), "cohort.csv", &cohort_text(Some((k, row))));
    match load_cohort(&p, &Default::default()) {
        Err(e @ Error::InvalidInput(_)) => {
            assert_eq!(e.exit_code(), 2);
            e.to_string()
        }
        Err(e) => panic!("expected InvalidInput, got {e}"),
        Ok(_) => panic!("expected an error for row {row}"),
    }
}

fn assert_names(msg: &str, row: usize, column: &str) {
    assert!(
        msg.contains(&format!("row {row}")),
        "no 'row {row}' in: {msg}"
    );
    assert!(
        msg.contains(&format!("column '{column}'")),
        "no column '{column}' in: {msg}"
    );
    assert!(
        msg.contains("cohort.csv") || msg.contains("visits.csv"),
        "{msg}"
    );
}

#[test]
fn accepts_a_valid_cohort_and_types_columns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(dir.path(), "cohort.csv", &cohort_text(None));
    let c = load_cohort(&p, &Default::default()).expect("valid cohort");
    assert_eq!(c.table.nrows(), 4);
    let ctx = c.table.num("ctx_ng_ml").expect("numeric");
    assert_eq!(ctx[2], None);
    assert_eq!(ctx[0], Some(0.21));
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
}

#[test]
fn rejects_non_numeric_text_in_numeric_column() {
    let msg = cohort_error_with_row(1, &ROWS[1].replace(",55,", ",fifty,"));
    assert_names(&msg, 3, "egfr");
    assert!(msg.contains("'fifty'") && msg.contains("a number"), "{msg}");
}

#[test]
fn rejects_unknown_category_level() {
    let msg = cohort_error_with_row(0, &ROWS[0].replace(",negative,", ",neg,"));
    assert_names(&msg, 2, "mrd");
    assert!(msg.contains("one of negative, positive"), "{msg}");
}

#[test]
fn rejects_wrong_case_level_with_hint() {
    let msg = cohort_error_with_row(0, &ROWS[0].replace(",CMR,", ",cmr,"));
    assert_names(&msg, 2, "pet");
    assert!(msg.contains("write 'CMR'"), "{msg}");
}

#[test]
fn rejects_negative_time() {
    let msg = cohort_error_with_row(2, &ROWS[2].replace(",12.0,", ",-3,"));
    assert_names(&msg, 4, "time_months");
    assert!(msg.contains("non-negative"), "{msg}");
}

#[test]
fn rejects_event_code_other_than_0_1() {
    let msg = cohort_error_with_row(1, &ROWS[1].replace(",9.2,1,1", ",9.2,2,1"));
    assert_names(&msg, 3, "event");
    assert!(msg.contains("0 or 1"), "{msg}");
}

#[test]
fn rejects_duplicate_patient_id() {
    let msg = cohort_error_with_row(3, &ROWS[3].replace("MM004", "MM002"));
    assert_names(&msg, 5, "patient_id");
    assert!(msg.contains("already appears in row 3"), "{msg}");
}

#[test]
fn rejects_ctx_in_pg_per_ml_with_hint() {
    let msg = cohort_error_with_row(0, &ROWS[0].replace(",0.21,", ",210,"));
    assert_names(&msg, 2, "ctx_ng_ml");
    assert!(msg.contains("looks like pg/mL"), "{msg}");
}

#[test]
fn rejects_implausible_p1np_egfr_and_age() {
    let msg = cohort_error_with_row(0, &ROWS[0].replace(",35,", ",35000,"));
    assert_names(&msg, 2, "p1np_ng_ml");
    let msg = cohort_error_with_row(0, &ROWS[0].replace(",78,", ",780,"));
    assert_names(&msg, 2, "egfr");
    let msg = cohort_error_with_row(0, &ROWS[0].replace("MM001,66,", "MM001,1956,"));
    assert_names(&msg, 2, "age");
    assert!(msg.contains("birth year"), "{msg}");
}

#[test]
fn rejects_event_24m_inconsistent_with_follow_up() {
    // Censored at 12 months: the 24-month outcome is unknown, not 0.
    let msg = cohort_error_with_row(2, &ROWS[2].replace(",12.0,0,", ",12.0,0,0"));
    assert_names(&msg, 4, "event_24m");
    assert!(msg.contains("censored at 12 months"), "{msg}");
}

#[test]
fn collects_all_problems_in_one_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text =
        cohort_text(Some((0, &ROWS[0].replace(",negative,", ",neg,")))).replace(",55,", ",x,");
    let p = write(dir.path(), "cohort.csv", &text);
    let msg = load_cohort(&p, &Default::default())
        .expect_err("two problems")
        .to_string();
    assert!(msg.starts_with("2 problems"), "{msg}");
    assert_names(&msg, 2, "mrd");
    assert_names(&msg, 3, "egfr");
}

#[test]
fn rejects_missing_required_column() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text: String = cohort_text(None)
        .lines()
        .map(|l| l.rsplitn(3, ',').nth(2).unwrap_or(l).to_string() + ",x\n")
        .collect();
    let text = text.replacen("time_months,x", "time_months,note", 1);
    let p = write(dir.path(), "cohort.csv", &text);
    let msg = load_cohort(&p, &Default::default())
        .expect_err("no event column")
        .to_string();
    assert!(msg.contains("column 'event'"), "{msg}");
    assert!(msg.contains("row 1"), "{msg}");
}

#[test]
fn rejects_misspelt_column_with_suggestion() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = cohort_text(None).replacen("ctx_ng_ml", "ctx_ng_mL", 1);
    let p = write(dir.path(), "cohort.csv", &text);
    let msg = load_cohort(&p, &Default::default())
        .expect_err("misspelt")
        .to_string();
    assert!(msg.contains("column 'ctx_ng_mL'"), "{msg}");
    assert!(msg.contains("'ctx_ng_ml'"), "{msg}");
    assert!(msg.contains("row 1"), "{msg}");
}

#[test]
fn warns_about_extra_columns_but_keeps_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text: String = cohort_text(None)
        .lines()
        .enumerate()
        .map(|(i, l)| format!("{l},{}\n", if i == 0 { "ldh" } else { "250" }))
        .collect();
    let p = write(dir.path(), "cohort.csv", &text);
    let c = load_cohort(&p, &Default::default()).expect("extra column is fine");
    assert!(c
        .warnings
        .iter()
        .any(|w| w.column.as_deref() == Some("ldh")));
    assert_eq!(c.table.num("ldh").expect("numeric")[0], Some(250.0));
}

#[test]
fn rejects_empty_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(dir.path(), "cohort.csv", "");
    let msg = load_cohort(&p, &Default::default())
        .expect_err("empty")
        .to_string();
    assert!(msg.contains("cohort.csv") && msg.contains("empty"), "{msg}");
}

#[test]
fn rejects_header_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(dir.path(), "cohort.csv", &format!("{HEADER}\n"));
    let msg = load_cohort(&p, &Default::default())
        .expect_err("header only")
        .to_string();
    assert!(msg.contains("only a header"), "{msg}");
}

#[test]
fn rejects_ragged_rows() {
    let short = ROWS[1].rsplitn(3, ',').nth(2).expect("fields").to_string();
    let msg = cohort_error_with_row(1, &short);
    assert_names(&msg, 3, "event");
    assert!(msg.contains("16 fields") && msg.contains("ragged"), "{msg}");
    let long = format!("{},extra", ROWS[2]);
    let msg = cohort_error_with_row(2, &long);
    assert!(
        msg.contains("row 4") && msg.contains("after 'event_24m'"),
        "{msg}"
    );
}

#[test]
fn rejects_non_utf8_bytes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut bytes = cohort_text(None).into_bytes();
    let text = String::from_utf8(bytes.clone()).expect("utf8");
    let pos = text.find("MM003").expect("row") + 2;
    bytes[pos] = 0xE9; // Latin-1 e-acute in the id
    let p = dir.path().join("cohort.csv");
    std::fs::write(&p, bytes).expect("write");
    let msg = load_cohort(&p, &Default::default())
        .expect_err("latin-1")
        .to_string();
    assert_names(&msg, 4, "patient_id");
    assert!(msg.contains("\\xE9") && msg.contains("UTF-8"), "{msg}");
}

#[test]
fn rejects_unsupported_extension() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(dir.path(), "cohort.xlsx", "x");
    let msg = load_cohort(&p, &Default::default())
        .expect_err("xlsx")
        .to_string();
    assert!(msg.contains(".csv") && msg.contains(".parquet"), "{msg}");
}

fn visits_error(cohort: &str, visits: &str) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let c = write(dir.path(), "cohort.csv", cohort);
    let v = write(dir.path(), "visits.csv", visits);
    let cohort = load_cohort(&c, &Default::default()).expect("cohort ok");
    let e = load_visits(&v, Some(&cohort), &cohort.study).expect_err("bad visits");
    assert_eq!(e.exit_code(), 2);
    e.to_string()
}

#[test]
fn rejects_visit_before_month_0() {
    let msg = visits_error(
        &cohort_text(None),
        &format!("{VISITS_HEADER}\nMM001,3,0.2,30,,,\nMM001,-3,0.2,30,,,\n"),
    );
    assert_names(&msg, 3, "month");
    assert!(msg.contains("before month 0"), "{msg}");
}

#[test]
fn rejects_visit_for_unknown_patient() {
    let msg = visits_error(
        &cohort_text(None),
        &format!("{VISITS_HEADER}\nMM001,3,0.2,30,,,\nMM999,3,0.2,30,,,\n"),
    );
    assert_names(&msg, 3, "patient_id");
    assert!(msg.contains("unknown patient"), "{msg}");
}

#[test]
fn visits_after_event_or_censoring_are_left_out_or_refused_under_strict() {
    let text = format!("{VISITS_HEADER}\nMM002,3,0.2,30,,,\nMM002,12,0.9,30,positive,,\n");
    let dir = tempfile::tempdir().expect("tempdir");
    let c = write(dir.path(), "cohort.csv", &cohort_text(None));
    let v = write(dir.path(), "visits.csv", &text);
    let cohort = load_cohort(&c, &Default::default()).expect("cohort ok");
    let visits = load_visits(&v, Some(&cohort), &cohort.study).expect("left out");
    assert_eq!(visits.table.nrows(), 1);
    let w: Vec<String> = visits.warnings.iter().map(|w| w.to_string()).collect();
    assert!(
        w.iter().any(
            |w| w.contains("1 visit after the patient's event or censoring") && w.contains("row 3")
        ),
        "{w:?}"
    );
    let strict = mbdrisk::study::StudyFile {
        strict: Some(true),
        ..Default::default()
    };
    let cohort = load_cohort(&c, &strict).expect("cohort ok");
    let msg = load_visits(&v, Some(&cohort), &cohort.study)
        .expect_err("strict")
        .to_string();
    assert_names(&msg, 3, "month");
    assert!(msg.contains("time_months = 9.2"), "{msg}");
}

#[test]
fn rejects_duplicate_visit() {
    let msg = visits_error(
        &cohort_text(None),
        &format!("{VISITS_HEADER}\nMM001,3,0.2,30,,,\nMM001,3,0.3,31,,,\n"),
    );
    assert_names(&msg, 3, "month");
    assert!(msg.contains("already has month 3 in row 2"), "{msg}");
}

#[test]
fn sorts_unsorted_visits_and_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let c = write(dir.path(), "cohort.csv", &cohort_text(None));
    let v = write(
        dir.path(),
        "visits.csv",
        &format!("{VISITS_HEADER}\nMM001,6,0.25,30,,,\nMM001,3,0.2,30,,,\n"),
    );
    let cohort = load_cohort(&c, &Default::default()).expect("cohort");
    let visits = load_visits(&v, Some(&cohort), &cohort.study).expect("repairable");
    assert_eq!(
        visits.table.num("month").expect("month"),
        &[Some(3.0), Some(6.0)]
    );
    assert!(visits
        .warnings
        .iter()
        .any(|w| w.expected.contains("sorted")));
}

#[test]
fn reads_parquet_like_csv_and_reports_bad_levels_by_row() {
    use polars::prelude::*;
    let dir = tempfile::tempdir().expect("tempdir");
    let csv_path = write(dir.path(), "cohort.csv", &cohort_text(None));
    let from_csv = load_cohort(&csv_path, &Default::default()).expect("csv");
    let mut df = df!(
        "patient_id" => ["MM001", "MM002"],
        "time_months" => [30.5, 9.2],
        "event" => [0i64, 1],
        "mrd" => ["negative", "unknown"],
    )
    .expect("df");
    let pq = dir.path().join("cohort.parquet");
    let f = std::fs::File::create(&pq).expect("create");
    ParquetWriter::new(f)
        .finish(&mut df)
        .expect("write parquet");
    let msg = load_cohort(&pq, &Default::default())
        .expect_err("bad level")
        .to_string();
    assert!(msg.contains("cohort.parquet: row 3, column 'mrd'"), "{msg}");
    // A clean Parquet file types columns the same way as CSV does.
    let mut ok = df!(
        "patient_id" => ["MM001", "MM002"],
        "time_months" => [30.5, 9.2],
        "event" => [0i64, 1],
    )
    .expect("df");
    let pq2 = dir.path().join("ok.parquet");
    ParquetWriter::new(std::fs::File::create(&pq2).expect("create"))
        .finish(&mut ok)
        .expect("write");
    let c = load_cohort(&pq2, &Default::default()).expect("valid parquet");
    assert_eq!(
        c.table.num("time_months").expect("num"),
        &from_csv.table.num("time_months").expect("num")[..2]
    );
}

#[test]
fn check_command_exits_2_on_bad_input_and_0_on_good() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = write(
        dir.path(),
        "cohort.csv",
        &cohort_text(Some((0, &ROWS[0].replace(",0,0.21,", ",0,210,")))),
    );
    let out = Command::new(env!("CARGO_BIN_EXE_mbdrisk"))
        .args(["check", "--data"])
        .arg(&bad)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("row 2, column 'ctx_ng_ml'"), "{err}");
    let good = write(dir.path(), "good.csv", &cohort_text(None));
    let out = Command::new(env!("CARGO_BIN_EXE_mbdrisk"))
        .args(["check", "--data"])
        .arg(&good)
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("patients 4") && text.contains("bone events 2"),
        "{text}"
    );
}

/// The typed reader and the schema check on typed columns give the table the text-cell path
/// gives (values, types, row numbers), on the demo cohort and visits and on a file with blank
/// lines, quoted cells and a line break inside a quoted cell.
#[test]
fn typed_cohort_path_equals_the_text_cell_path() {
    use mbdrisk::cohort::validate::check_schema;
    use mbdrisk::table::read_raw;
    let study = mbdrisk::study::StudyFile::default();
    let dir = tempfile::tempdir().expect("tmp");
    let mut odd = format!("{HEADER}\n");
    for (k, r) in ROWS.iter().enumerate() {
        if k == 1 {
            odd.push('\n');
        }
        odd.push_str(r);
        odd.push('\n');
    }
    let odd = odd.replacen("VGPR", "\"VGPR\"", 1);
    let files = [
        PathBuf::from("data/demo/cohort.csv"),
        write(dir.path(), "odd.csv", &odd),
    ];
    for path in &files {
        let fast = load_cohort(path, &study).expect("load");
        let raw = read_raw(path).expect("raw");
        let slow = check_schema(raw, &fast.study.cohort_schema(), fast.study.is_mm());
        assert!(slow.errors.is_empty(), "{:?}", slow.errors);
        assert_eq!(fast.table.names, slow.table.names, "{}", path.display());
        assert_eq!(fast.table.columns, slow.table.columns, "{}", path.display());
        assert_eq!(fast.table.lines, slow.table.lines, "{}", path.display());
    }
    let cohort = load_cohort(Path::new("data/demo/cohort.csv"), &study).expect("cohort");
    let visits = load_visits(
        Path::new("data/demo/visits.csv"),
        Some(&cohort),
        &cohort.study,
    )
    .expect("v");
    let raw = read_raw(Path::new("data/demo/visits.csv")).expect("raw");
    let slow = check_schema(raw, &cohort.study.visits_schema(), cohort.study.is_mm());
    assert_eq!(visits.table.names, slow.table.names);
    assert_eq!(visits.table.columns.len(), slow.table.columns.len());
}

/// A Parquet file is typed column-wise (numbers of a float64 or integer column taken as
/// they are): the same table as typing its text cells, for every column type.
#[test]
fn parquet_columns_typed_directly_equal_the_text_path() {
    use mbdrisk::table::{read_raw, Table};
    use polars::prelude::*;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut df = df!(
        "f64" => [Some(0.1), None, Some(-0.0), Some(1e300), Some(2.5e-7)],
        "i64" => [Some(9_007_199_254_740_993i64), Some(-3), None, Some(0), Some(7)],
        "f32" => [Some(0.1f32), Some(2.5), None, Some(-1.0), Some(3.25)],
        "numtext" => [Some("007"), Some(" 12 "), Some("NA"), None, Some("1e3")],
        "label" => [Some("CR"), Some("VGPR"), Some(""), Some("PR"), None],
        "flag" => [Some(true), Some(false), None, Some(true), Some(true)],
        "nan" => [Some(1.0), Some(f64::NAN), Some(2.0), None, Some(3.0)],
    )
    .expect("df");
    let path = dir.path().join("types.parquet");
    ParquetWriter::new(std::fs::File::create(&path).expect("create"))
        .finish(&mut df)
        .expect("write");
    let typed = Table::read(&path).expect("typed read");
    let via_text = Table::infer(read_raw(&path).expect("raw read"));
    assert_eq!(typed.names, via_text.names);
    for (j, name) in typed.names.iter().enumerate() {
        assert_eq!(typed.columns[j], via_text.columns[j], "column {name}");
    }
    // and kept as text when asked, as the text path keeps it
    let kept = Table::read_keeping_text(&path, &["i64"]).expect("keep");
    let kept_text = Table::typed_keeping_text(read_raw(&path).expect("raw"), &["i64"]);
    assert_eq!(kept.columns, kept_text.columns);
}

/// `score` streams a Parquet file one row group at a time: the same bytes as scoring the
/// same rows from CSV; a bad cell in a late row group is named by its file row and leaves
/// no output.
#[test]
fn score_streams_parquet_by_row_group_like_csv() {
    use polars::prelude::*;
    let dir = tempfile::tempdir().expect("tempdir");
    let n = 1000usize;
    let x: Vec<f64> = (0..n).map(|i| ((i * 37) % 101) as f64 / 10.0).collect();
    let g: Vec<&str> = (0..n).map(|i| ["a", "b", "c"][i % 3]).collect();
    let y: Vec<i64> = (0..n)
        .map(|i| i64::from((i * 7919) % 10 < 3 + i % 3))
        .collect();
    let ids: Vec<String> = (0..n).map(|i| format!("P{i:04}")).collect();
    let mut csv = String::from("id,y,x,g\n");
    for i in 0..n {
        csv.push_str(&format!("{},{},{},{}\n", ids[i], y[i], x[i], g[i]));
    }
    let csv_path = write(dir.path(), "d.csv", &csv);
    let model = dir.path().join("m.json");
    let o = crate::util::mbdrisk(&[
        "fit",
        "--data",
        csv_path.to_str().expect("utf8"),
        "--formula",
        "y ~ rcs(x, 4) + g",
        "--out",
        model.to_str().expect("utf8"),
    ]);
    assert!(o.status.success(), "{}", crate::util::stderr(&o));
    let write_parquet = |name: &str, g: &[&str]| {
        let mut df = df!("id" => &ids, "y" => &y, "x" => &x, "g" => g).expect("df");
        let path = dir.path().join(name);
        ParquetWriter::new(std::fs::File::create(&path).expect("create"))
            .with_row_group_size(Some(128))
            .finish(&mut df)
            .expect("write");
        path
    };
    let pq = write_parquet("d.parquet", &g);
    let score = |data: &Path, out: &Path| {
        crate::util::mbdrisk(&[
            "score",
            "--model",
            model.to_str().expect("utf8"),
            "--data",
            data.to_str().expect("utf8"),
            "--id",
            "id",
            "--out",
            out.to_str().expect("utf8"),
        ])
    };
    let (from_csv, from_pq) = (dir.path().join("s_csv.csv"), dir.path().join("s_pq.csv"));
    assert!(score(&csv_path, &from_csv).status.success());
    let o = score(&pq, &from_pq);
    assert!(o.status.success(), "{}", crate::util::stderr(&o));
    assert_eq!(
        std::fs::read(&from_csv).expect("csv scores"),
        std::fs::read(&from_pq).expect("parquet scores")
    );
    // an unseen level in data row 900 (row group 8 of 128-row groups): file row 901
    let mut bad = g.clone();
    bad[899] = "zz";
    let pq_bad = write_parquet("bad.parquet", &bad);
    let out_bad = dir.path().join("s_bad.csv");
    let o = score(&pq_bad, &out_bad);
    assert_eq!(o.status.code(), Some(2));
    let err = crate::util::stderr(&o);
    assert!(
        err.contains("row 901") && err.contains("'g'") && err.contains("zz"),
        "{err}"
    );
    assert!(!out_bad.exists(), "no output after a failed row group");
}

/// Regression: each row group is typed on its own, so a text category whose labels look
/// like numbers (`01`, `02`) in a row group without its other labels must stay text there,
/// as the CSV path reads it (it was read as numbers and refused as unseen levels).
#[test]
fn parquet_row_groups_keep_number_like_text_categories_as_text() {
    use polars::prelude::*;
    let dir = tempfile::tempdir().expect("tempdir");
    let n = 600usize;
    // the first 300 rows hold only "01" and "02"; "A" appears after
    let g: Vec<&str> = (0..n)
        .map(|i| {
            if i < 300 {
                ["01", "02"][i % 2]
            } else {
                ["01", "02", "A"][i % 3]
            }
        })
        .collect();
    let x: Vec<f64> = (0..n).map(|i| ((i * 13) % 50) as f64 / 5.0).collect();
    let y: Vec<i64> = (0..n)
        .map(|i| i64::from((i * 7) % 10 < 3 + i % 4))
        .collect();
    let mut csv = String::from("y,x,g\n");
    for i in 0..n {
        csv.push_str(&format!("{},{},{}\n", y[i], x[i], g[i]));
    }
    let csv_path = write(dir.path(), "d.csv", &csv);
    let model = dir.path().join("m.json");
    let path = |p: &Path| p.to_str().expect("utf8").to_string();
    let o = crate::util::mbdrisk(&[
        "fit",
        "--data",
        &path(&csv_path),
        "--formula",
        "y ~ x + cat(g)",
        "--out",
        &path(&model),
    ]);
    assert!(o.status.success(), "{}", crate::util::stderr(&o));
    let pq = dir.path().join("d.parquet");
    let mut df = df!("y" => &y, "x" => &x, "g" => &g).expect("df");
    ParquetWriter::new(std::fs::File::create(&pq).expect("create"))
        .with_row_group_size(Some(100))
        .finish(&mut df)
        .expect("write");
    let (a, b) = (dir.path().join("a.csv"), dir.path().join("b.csv"));
    for (data, out) in [(&csv_path, &a), (&pq, &b)] {
        let o = crate::util::mbdrisk(&[
            "score",
            "--model",
            &path(&model),
            "--data",
            &path(data),
            "--out",
            &path(out),
        ]);
        assert!(o.status.success(), "{}", crate::util::stderr(&o));
    }
    assert_eq!(std::fs::read(&a).expect("a"), std::fs::read(&b).expect("b"));
}

/// A Parquet cohort (as pandas or DuckDB would write one: integer, float and text columns)
/// loads through the typed check to the same table as its CSV.
#[test]
fn parquet_cohort_loads_to_the_same_table_as_its_csv() {
    use polars::prelude::*;
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = write(dir.path(), "cohort.csv", &cohort_text(None));
    let mut df = CsvReadOptions::default()
        .with_has_header(true)
        .try_into_reader_with_file_path(Some(csv.clone()))
        .expect("csv options")
        .finish()
        .expect("polars reads the csv");
    let pq = dir.path().join("cohort.parquet");
    ParquetWriter::new(std::fs::File::create(&pq).expect("create"))
        .finish(&mut df)
        .expect("write parquet");
    let from_csv = load_cohort(&csv, &Default::default()).expect("csv");
    let from_pq = load_cohort(&pq, &Default::default()).expect("parquet");
    assert_eq!(from_pq.table.names, from_csv.table.names);
    for (j, name) in from_csv.table.names.iter().enumerate() {
        assert_eq!(
            from_pq.table.columns[j], from_csv.table.columns[j],
            "column {name}"
        );
    }
}
