//! The dynamic model from the command line on the demo cohort and visits: `fit --dynamic`,
//! `validate --visits`, `compare --visits`, `score --visits`, and their input errors (exit
//! code 2, message naming file, row, column and value, nothing written).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const FORMULA: &str = "Surv(time_months, event) ~ log(ctx_ng_ml) + ctx_above_lsc + mrd + mrd_conversion + ctdna + pet";

fn demo(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data/demo")
        .join(name)
}

fn mbdrisk(args: &[&str], paths: &[(&str, &Path)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mbdrisk"));
    c.args(args);
    for (flag, p) in paths {
        c.arg(flag).arg(p);
    }
    c.output().expect("run mbdrisk")
}

fn ok(o: &Output) {
    assert!(
        o.status.success(),
        "status {:?}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// `fit --dynamic` on the demo cohort with `visits`, writing `out`.
fn fit_dynamic(formula: &str, visits: &Path, landmarks: &str, out: &Path) -> Output {
    mbdrisk(
        &[
            "fit",
            "--dynamic",
            "--formula",
            formula,
            "--landmarks",
            landmarks,
        ],
        &[
            ("--data", &demo("cohort.csv")),
            ("--visits", visits),
            ("--out", out),
        ],
    )
}

/// `args` with the dynamic `model` on the demo cohort and visits, writing `out`.
fn on_demo_visits(args: &[&str], model: &Path, out: &Path) -> Output {
    mbdrisk(
        args,
        &[
            ("--model", model),
            ("--data", &demo("cohort.csv")),
            ("--visits", &demo("visits.csv")),
            ("--out", out),
        ],
    )
}

fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("json")
}

fn fit(dir: &Path) -> PathBuf {
    let model = dir.join("dynamic.json");
    ok(&fit_dynamic(FORMULA, &demo("visits.csv"), "0:24:6", &model));
    model
}

#[test]
fn fit_validate_compare_score_dynamic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = fit(dir.path());
    let m = read_json(&model);
    assert_eq!(
        m["dynamic"]["landmark"]["landmarks"]
            .as_array()
            .map(Vec::len),
        Some(5)
    );
    assert_eq!(m["dynamic"]["landmark"]["window"], 6.0);
    assert_eq!(m["dynamic"]["formula"], FORMULA);

    let val = dir.path().join("val");
    ok(&on_demo_visits(
        &["validate", "--bootstrap", "5", "--seed", "3"],
        &model,
        &val,
    ));
    let v = read_json(&val.join("metrics.json"));
    let per = v["per_landmark"].as_array().expect("per_landmark");
    assert_eq!(per.len(), 5);
    for p in per.iter().chain(std::iter::once(&v["pooled"])) {
        let auc = p["auc"].as_f64().expect("auc");
        assert!(
            (0.55..0.95).contains(&auc),
            "AUC {auc} at {}",
            p["landmark"]
        );
        assert!(p["brier"].as_f64().expect("brier") < p["brier_null"].as_f64().expect("null"));
    }
    assert_eq!(v["optimism"]["used"], 5);

    let cmp = dir.path().join("cmp");
    ok(&on_demo_visits(
        &["compare", "--bootstrap", "20"],
        &model,
        &cmp,
    ));
    let c = read_json(&cmp.join("restart.json"));
    let matched = c["matched"].as_array().expect("matched");
    assert_eq!(matched.len(), 5);
    for m in matched {
        // Equal alarms (ties can only add).
        assert!(m["model"]["alarms"].as_u64() >= m["rule"]["alarms"].as_u64());
        assert!(m["rule"]["patients_alarmed"].as_u64() <= m["rule"]["alarms"].as_u64());
        let (lo, hi) = (
            m["ci"][0].as_f64().expect("lo"),
            m["ci"][1].as_f64().expect("hi"),
        );
        assert!(lo <= hi);
        // every policy carries its own bootstrap intervals (caught, alarm rate, lead time)
        for p in [&m["rule"], &m["model"]] {
            let ci = &p["ci"]["caught_fraction"];
            let (lo, hi) = (ci[0].as_f64().expect("lo"), ci[1].as_f64().expect("hi"));
            assert!(0.0 <= lo && lo <= hi && hi <= 1.0, "{p}");
            assert!(p["ci"]["alarms_per_100py"][0].as_f64().is_some(), "{p}");
        }
    }

    let scores = dir.path().join("scores.csv");
    ok(&on_demo_visits(&["score"], &model, &scores));
    let text = std::fs::read_to_string(&scores).expect("scores");
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("patient_id,month,linear_predictor,predicted")
    );
    let first: Vec<&str> = lines.next().expect("row").split(',').collect();
    assert_eq!((first[0], first[1]), ("MM00001", "0"));
    // One row per visit plus month 0 per patient.
    let visits = std::fs::read_to_string(demo("visits.csv")).expect("visits");
    let cohort = std::fs::read_to_string(demo("cohort.csv")).expect("cohort");
    assert_eq!(
        text.lines().count() - 1,
        visits.lines().count() - 1 + cohort.lines().count() - 1
    );
}

fn expect_exit_2(o: &Output, needles: &[&str]) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "stderr: {err}");
    for n in needles {
        assert!(err.contains(n), "'{n}' not in: {err}");
    }
}

#[test]
fn dynamic_input_errors_exit_2_and_write_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("m.json");
    // A binary outcome is not a dynamic model.
    let o = fit_dynamic("event_24m ~ mrd", &demo("visits.csv"), "0:24:3", &out);
    expect_exit_2(&o, &["Surv(time, event)"]);
    // A visit for an unknown patient, and a visit after the patient's event.
    let visits = dir.path().join("visits.csv");
    std::fs::write(
        &visits,
        "patient_id,month,ctx_ng_ml,p1np_ng_ml,mrd,ctdna,pet\nMM00001,3,0.2,,,,\nZZ999,3,0.2,,,,\nMM00001,40,0.3,,,,\n",
    )
    .expect("write");
    let o = fit_dynamic(FORMULA, &visits, "0:24:3", &out);
    expect_exit_2(&o, &["row 3", "patient_id", "ZZ999"]);
    assert!(!out.exists(), "no model written on bad input");
    // A carried-forward value outside log()'s domain is named by patient, month and column.
    std::fs::write(
        &visits,
        "patient_id,month,ctx_ng_ml,p1np_ng_ml,mrd,ctdna,pet\nMM00001,3,0,,,,\n",
    )
    .expect("write");
    let o = fit_dynamic(FORMULA, &visits, "0:24:3", &out);
    expect_exit_2(
        &o,
        &["patient MM00001", "month 3", "ctx_ng_ml", "'0'", "positive"],
    );
    assert!(!out.exists());
    // Unknown landmark spec.
    let o = fit_dynamic(FORMULA, &demo("visits.csv"), "0-24", &out);
    expect_exit_2(&o, &["start:end:step"]);
    // A bad --staleness override, and one naming no visits column.
    for (spec, needle) in [
        ("pet=soon", "COLUMN=MONTHS"),
        ("pett=24", "did you mean 'pet'?"),
    ] {
        let o = mbdrisk(
            &[
                "fit",
                "--dynamic",
                "--formula",
                FORMULA,
                "--staleness",
                spec,
            ],
            &[
                ("--data", &demo("cohort.csv")),
                ("--visits", &demo("visits.csv")),
                ("--out", &out),
            ],
        );
        expect_exit_2(&o, &[needle]);
        assert!(!out.exists());
    }
    // A dynamic model scores visit rows only.
    let model = fit(dir.path());
    let o = mbdrisk(
        &["score"],
        &[
            ("--model", &model),
            ("--data", &demo("cohort.csv")),
            ("--out", &dir.path().join("s.csv")),
        ],
    );
    expect_exit_2(&o, &["--visits"]);
    assert!(!dir.path().join("s.csv").exists());
    // ... and is validated and compared with its visits only.
    for cmd in ["validate", "compare"] {
        let o = mbdrisk(
            &[cmd],
            &[
                ("--model", &model),
                ("--data", &demo("cohort.csv")),
                ("--out", &dir.path().join(cmd)),
            ],
        );
        expect_exit_2(&o, &["dynamic", "--visits"]);
        assert!(!dir.path().join(cmd).exists());
    }
}

/// A static model with an interaction term: `score` (which reads such models whole instead
/// of streaming) gives the model's own predictions, and a bad factor cell is named.
#[test]
fn interaction_model_scores_from_csv() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("m.json");
    let o = mbdrisk(
        &[
            "fit",
            "--formula",
            "event_24m ~ log(ctx_ng_ml) + mrd + bpa_months + mrd:bpa_months + log(ctx_ng_ml):bpa_months",
        ],
        &[("--data", &demo("cohort.csv")), ("--out", &model)],
    );
    ok(&o);
    let m = read_json(&model);
    let names: Vec<String> = m["coefficients"]
        .as_array()
        .expect("coefficients")
        .iter()
        .map(|c| c["name"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(
        names.contains(&"mrd=positive * bpa_months".to_string()),
        "{names:?}"
    );
    let scores = dir.path().join("s.csv");
    let o = mbdrisk(
        &["score", "--id", "patient_id"],
        &[
            ("--model", &model),
            ("--data", &demo("cohort.csv")),
            ("--out", &scores),
        ],
    );
    ok(&o);
    let text = std::fs::read_to_string(&scores).expect("scores");
    let first: Vec<&str> = text.lines().nth(1).expect("row").split(',').collect();
    // MM00001: ctx 0.118, mrd negative, bpa 14: lp = b0 + b_ctx log(0.118) + 14 b_bpa
    // + 14 log(0.118) b_ctx:bpa.
    let b: Vec<f64> = m["coefficients"]
        .as_array()
        .expect("coefficients")
        .iter()
        .map(|c| c["estimate"].as_f64().expect("estimate"))
        .collect();
    let l = 0.118f64.ln();
    let lp = b[0] + b[1] * l + 14.0 * b[3] + 14.0 * l * b[5];
    let got: f64 = first[2].parse().expect("lp");
    assert!((got - lp).abs() < 1e-12, "lp {got} vs {lp}");
    // A factor cell outside log's domain is named with row and column.
    let bad = dir.path().join("bad.csv");
    let cohort = std::fs::read_to_string(demo("cohort.csv")).expect("cohort");
    let mut lines: Vec<String> = cohort.lines().take(4).map(str::to_string).collect();
    lines[2] = lines[2].replace(",0.102,", ",-1,");
    std::fs::write(&bad, lines.join("\n") + "\n").expect("write");
    let o = mbdrisk(
        &["score"],
        &[
            ("--model", &model),
            ("--data", &bad),
            ("--out", &dir.path().join("b.csv")),
        ],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("row 3") && err.contains("ctx_ng_ml") && err.contains("-1"),
        "{err}"
    );
    assert!(!dir.path().join("b.csv").exists());
}
