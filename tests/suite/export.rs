//! `mbdrisk export`: the SQL of a model gives the risks `mbdrisk score` gives, run in SQLite
//! and DuckDB (Python's sqlite3 and duckdb packages, by scripts/sql_check.py; an engine whose
//! package is missing is skipped with the reason printed; Spark is run by .ci/run), for the
//! demo's logistic and Cox models and models with splines, factors, addNA, interactions and
//! strata; NULL for a missing predictor and an unseen level; a test per error class.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{mbdrisk, stderr, stdout};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn demo() -> PathBuf {
    root().join("data/demo/cohort.csv")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn fit(dir: &Path, name: &str, formula: &str) -> PathBuf {
    let out = dir.join(name);
    let o = mbdrisk(&[
        "fit",
        "--data",
        s(&demo()),
        "--formula",
        formula,
        "--out",
        s(&out),
    ]);
    assert!(o.status.success(), "fit {formula}: {}", stderr(&o));
    out
}

fn python() -> Option<&'static str> {
    Command::new("python3")
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|_| "python3")
}

/// scripts/sql_check.py on `model` (at `horizon`): SQLite always (Python's standard
/// library), DuckDB when its package is installed.
fn check_engines(model: &Path, horizon: Option<&str>) {
    let Some(py) = python() else {
        eprintln!("skip: python3 is not installed, the SQL engines cannot be run");
        return;
    };
    let mut cmd = Command::new(py);
    cmd.arg(root().join("scripts/sql_check.py"))
        .args(["--bin", env!("CARGO_BIN_EXE_mbdrisk")])
        .args([
            "--data",
            s(&demo()),
            "--model",
            s(model),
            "--id",
            "patient_id",
        ])
        .args(["--engines", "sqlite,duckdb", "--tol", "1e-9"]);
    if let Some(h) = horizon {
        cmd.args(["--horizon", h]);
    }
    let o = cmd.output().expect("run sql_check.py");
    let out = stdout(&o);
    eprint!("{out}");
    assert!(o.status.success(), "{out}{}", stderr(&o));
    assert!(out.contains("ok sqlite: 2000 rows"), "{out}");
    assert!(
        out.contains("ok duckdb: 2000 rows") || out.contains("skip duckdb"),
        "{out}"
    );
}

const DEMO_PREDICTORS: &str = "log(ctx_ng_ml) + log(p1np_ng_ml) + addNA(mrd) + addNA(pet) + response + rcs(bpa_months, 3) + agent + prior_sre";

#[test]
fn sql_of_the_demo_models_gives_the_scores() {
    let dir = tempfile::tempdir().expect("tmp");
    let logistic = fit(
        dir.path(),
        "logistic.json",
        &format!("event_24m ~ {DEMO_PREDICTORS}"),
    );
    check_engines(&logistic, None);
    let cox = fit(
        dir.path(),
        "cox.json",
        &format!("Surv(time_months, event) ~ {DEMO_PREDICTORS}"),
    );
    check_engines(&cox, Some("24"));
}

#[test]
fn sql_of_splines_factors_interactions_and_strata_gives_the_scores() {
    let dir = tempfile::tempdir().expect("tmp");
    let m = fit(
        dir.path(),
        "inter.json",
        "event_24m ~ rcs(age, 4) * sex + addNA(mrd) + response + sqrt(egfr) + log(ctx_ng_ml) * agent + cat(prior_sre) + p1np_ng_ml:age + log1p(bpa_months)",
    );
    check_engines(&m, None);
    let c = fit(
        dir.path(),
        "strata.json",
        "Surv(time_months, event) ~ rcs(age, 4) * sex + addNA(pet) + log(p1np_ng_ml) + strata(agent)",
    );
    check_engines(&c, Some("30"));
}

/// A missing predictor, an unseen level and a value outside log's domain give NULL; an
/// `addNA` term takes a missing cell as its level (SQLite, Python's standard library).
#[test]
fn sql_gives_null_where_score_gives_no_risk() {
    let Some(py) = python() else {
        eprintln!("skip: python3 is not installed");
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let m = fit(
        dir.path(),
        "m.json",
        "event_24m ~ log(ctx_ng_ml) + addNA(mrd) + response + rcs(age, 3)",
    );
    let sql = dir.path().join("m.sql");
    let o = mbdrisk(&[
        "export",
        "--model",
        s(&m),
        "--dialect",
        "sqlite",
        "--table",
        "t",
        "--id",
        "id",
        "--out",
        s(&sql),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&sql).expect("sql");
    assert!(!text.contains("MM0"), "no data value in the SQL");
    let script = format!(
        r#"
import sqlite3
con = sqlite3.connect(":memory:")
con.execute('CREATE TABLE t (id TEXT, ctx_ng_ml REAL, mrd TEXT, response TEXT, age REAL)')
con.executemany('INSERT INTO t VALUES (?, ?, ?, ?, ?)', [
    ("ok", 0.3, "negative", "CR", 60.0),
    ("mrd_missing", 0.3, None, "CR", 60.0),
    ("age_missing", 0.3, "negative", "CR", None),
    ("unseen", 0.3, "negative", "XYZ", 60.0),
    ("log_zero", 0.0, "negative", "CR", 60.0),
])
for row in con.execute(open({:?}).read()).fetchall():
    print(row[0], "NULL" if row[1] is None else "%.6f" % row[1])
"#,
        s(&sql)
    );
    let o = Command::new(py)
        .args(["-c", &script])
        .output()
        .expect("python");
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let risk = |id: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(&format!("{id} ")))
            .unwrap_or_else(|| panic!("{id} not in {out}"))
            .to_string()
    };
    assert_ne!(risk("ok"), "NULL", "{out}");
    assert_ne!(
        risk("mrd_missing"),
        "NULL",
        "addNA takes a missing cell: {out}"
    );
    assert_ne!(risk("mrd_missing"), risk("ok"), "{out}");
    assert_eq!(risk("age_missing"), "NULL", "{out}");
    assert_eq!(risk("unseen"), "NULL", "{out}");
    assert_eq!(risk("log_zero"), "NULL", "{out}");
}

#[test]
fn export_refuses_what_it_cannot_write() {
    let dir = tempfile::tempdir().expect("tmp");
    let cox = fit(
        dir.path(),
        "cox.json",
        "Surv(time_months, event) ~ log(ctx_ng_ml) + response",
    );
    let logistic = fit(
        dir.path(),
        "logistic.json",
        "event_24m ~ log(ctx_ng_ml) + response",
    );
    let out = dir.path().join("x.sql");
    let run = |model: &Path, extra: &[&str]| {
        let mut args = vec!["export", "--model", s(model), "--out", s(&out)];
        args.extend_from_slice(extra);
        mbdrisk(&args)
    };
    let cases: [(&Path, &[&str], &str); 6] = [
        (
            &cox,
            &["--dialect", "duckdb", "--table", "t"],
            "--horizon H",
        ),
        (
            &cox,
            &["--dialect", "duckdb", "--table", "t", "--horizon", "1000"],
            "estimated up to time",
        ),
        (
            &logistic,
            &["--dialect", "duckdb", "--table", "t", "--horizon", "24"],
            "has no horizon",
        ),
        (
            &logistic,
            &["--dialect", "oracle", "--table", "t"],
            "expected duckdb, sqlite, postgres or spark",
        ),
        (
            &logistic,
            &["--dialect", "spark", "--table", "db..t"],
            "expected a table name",
        ),
        (
            &dir.path().join("absent.json"),
            &["--dialect", "spark", "--table", "t"],
            "absent.json",
        ),
    ];
    for (model, extra, says) in cases {
        let o = run(model, extra);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{extra:?}: {}", stderr(&o));
        assert!(!out.exists(), "no output after an error");
    }
    // a landmark (dynamic) model: the query has no visits
    let mut model = mbdrisk::model::persist::load(&logistic).expect("load");
    model.family = mbdrisk::model::family::Family::Landmark;
    let opts = mbdrisk::export::SqlOptions {
        dialect: mbdrisk::export::Dialect::DuckDb,
        table: "t".into(),
        id: None,
        horizon: None,
    };
    let e = mbdrisk::export::to_sql(&model, &opts).expect_err("landmark");
    assert!(e.to_string().contains("landmark"), "{e}");
    // a coefficient that is not a number (a damaged file): refused, never "NaN" in the SQL
    let mut model = mbdrisk::model::persist::load(&logistic).expect("load");
    model.coefficients[1].estimate = f64::NAN;
    let e = mbdrisk::export::to_sql(&model, &opts).expect_err("nan");
    assert!(e.to_string().contains("not a finite number"), "{e}");
}

/// `mbdrisk bench`: the user's model timed in memory (drawn rows or the file's) and from its
/// file, written as JSON; counts are bounded.
#[test]
fn bench_times_the_users_model() {
    let dir = tempfile::tempdir().expect("tmp");
    let m = fit(
        dir.path(),
        "cox.json",
        &format!("Surv(time_months, event) ~ {DEMO_PREDICTORS}"),
    );
    let out = dir.path().join("bench.json");
    let o = mbdrisk(&[
        "bench",
        "--model",
        s(&m),
        "--data",
        s(&demo()),
        "--rows",
        "5000",
        "--runs",
        "2",
        "--horizon",
        "24",
        "--out",
        s(&out),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("json")).expect("json");
    let timings = j["timings"].as_array().expect("timings");
    let cases: Vec<&str> = timings.iter().filter_map(|t| t["case"].as_str()).collect();
    for want in [
        "in memory: design + score",
        "in memory: score prepared design",
        "from file: score end to end",
    ] {
        assert!(cases.contains(&want), "{cases:?}");
    }
    for t in timings {
        assert!(t["rows_per_s"].as_f64().is_some_and(|v| v > 0.0), "{t}");
        assert!(t["min_s"].as_f64() <= t["median_s"].as_f64(), "{t}");
    }
    assert!(j["cores"].as_u64().is_some_and(|c| c >= 1));
    // without a file: rows drawn from the model's training summary
    let o = mbdrisk(&[
        "bench",
        "--model",
        s(&m),
        "--rows",
        "2000",
        "--runs",
        "1",
        "--horizon",
        "24",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("drawn from the model's training summary"),
        "{}",
        stdout(&o)
    );
    for (flag, value) in [
        ("--rows", "0"),
        ("--rows", "1000000000"),
        ("--runs", "100000"),
    ] {
        let o = mbdrisk(&["bench", "--model", s(&m), "--horizon", "24", flag, value]);
        assert_eq!(o.status.code(), Some(2), "{flag} {value}: {}", stderr(&o));
        assert!(stderr(&o).contains(flag), "{}", stderr(&o));
    }
    // a Cox model without its horizon
    let o = mbdrisk(&["bench", "--model", s(&m), "--rows", "10"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}
