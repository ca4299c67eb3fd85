//! The Cox family from the command line: `fit` of a `Surv(time, event)` formula, `score
//! --horizon`, `validate --horizon`, and a test per error class (exit code 2 for bad input,
//! 1 for a fit that fails), on R's `survival::lung` (tests/golden/cox/lung.csv).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::util::{mbdrisk, stderr, stdout};

const FORMULA: &str = "Surv(time, event) ~ rcs(age, 4) + sex + cat(ecog) + karno";

fn lung() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/cox/lung.csv")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn fit(dir: &Path, data: &Path, formula: &str, extra: &[&str]) -> (std::process::Output, PathBuf) {
    let out = dir.join("cox.json");
    let mut args = vec![
        "fit",
        "--data",
        s(data),
        "--formula",
        formula,
        "--out",
        s(&out),
    ];
    args.extend_from_slice(extra);
    (mbdrisk(&args), out)
}

/// `mbdrisk score` of `data` with `model` into `out`, at `horizon` when given.
fn score(model: &Path, data: &Path, horizon: Option<&str>, out: &Path) -> std::process::Output {
    let mut args = vec![
        "score",
        "--model",
        s(model),
        "--data",
        s(data),
        "--out",
        s(out),
    ];
    if let Some(h) = horizon {
        args.extend(["--horizon", h]);
    }
    mbdrisk(&args)
}

fn fitted(dir: &Path) -> PathBuf {
    let (o, out) = fit(dir, &lung(), FORMULA, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    out
}

#[test]
fn fit_writes_a_version_3_cox_model_and_prints_like_cph() {
    let dir = tempfile::tempdir().expect("tmp");
    let (o, out) = fit(dir.path(), &lung(), FORMULA, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("Cox Proportional Hazards Model"), "{text}");
    assert!(text.contains("Score chi2"), "{text}");
    assert!(text.contains("Hazard ratio"), "{text}");
    assert!(text.contains("anova(cph)"), "{text}");
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("read")).expect("json");
    assert_eq!(v["format_version"], 3);
    assert_eq!(v["family"], "cox");
    assert_eq!(v["time"], "time");
    assert_eq!(v["outcome"], "event");
    assert_eq!(v["ties"], "efron");
    assert!(v["coefficients"][0].get("hazard_ratio").is_some());
    assert!(v["coefficients"][0].get("odds_ratio").is_none());
    // the baseline: one value per event time, none with fewer than 5 at risk
    let b = &v["baseline"][0];
    let n_risk: Vec<u64> = b["n_risk"]
        .as_array()
        .expect("n_risk")
        .iter()
        .map(|x| x.as_u64().expect("n"))
        .collect();
    assert!(
        !n_risk.is_empty() && n_risk.iter().all(|&r| r >= 5),
        "{n_risk:?}"
    );
    assert!(n_risk.len() <= v["events"].as_u64().expect("events") as usize);
    // Breslow on request
    let (o, out) = fit(dir.path(), &lung(), FORMULA, &["--ties", "breslow"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("read")).expect("json");
    assert_eq!(v["ties"], "breslow");
}

#[test]
fn score_writes_risks_by_each_horizon_matching_survfit() {
    let dir = tempfile::tempdir().expect("tmp");
    let model = fitted(dir.path());
    let out = dir.path().join("risks.csv");
    let o = score(&model, &lung(), Some("180,365"), &out);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&out).expect("read");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("row,linear_predictor,risk_180,risk_365"));
    let g: Value = serde_json::from_str(
        &std::fs::read_to_string(lung().with_file_name("goldens.json")).expect("goldens"),
    )
    .expect("json");
    let want = &g["fits"]["efron_rcs_factors"]["risk_first25"];
    for (i, line) in lines.take(25).enumerate() {
        let f: Vec<f64> = line
            .split(',')
            .map(|x| x.parse().expect("number"))
            .collect();
        for (k, h) in ["180", "365"].iter().enumerate() {
            let w = want[h][i].as_f64().expect("risk");
            assert!(
                (f[2 + k] - w).abs() < 1e-6,
                "row {i} risk by {h}: {} vs {w}",
                f[2 + k]
            );
        }
    }
    // one horizon: the risk is in `predicted`
    let o = score(&model, &lung(), Some("365"), &out);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&out).expect("read");
    assert!(
        text.starts_with("row,linear_predictor,predicted\n"),
        "{text}"
    );
}

#[test]
fn rejects_scoring_without_a_horizon_or_beyond_the_baseline() {
    let dir = tempfile::tempdir().expect("tmp");
    let model = fitted(dir.path());
    let out = dir.path().join("risks.csv");
    let o = score(&model, &lung(), None, &out);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--horizon"), "{}", stderr(&o));
    for bad in ["5000", "0", "abc", "365,365"] {
        let o = score(&model, &lung(), Some(bad), &out);
        assert_eq!(o.status.code(), Some(2), "{bad}: {}", stderr(&o));
        assert!(!out.exists(), "no output for {bad}");
    }
    let o = score(&model, &lung(), Some("5000"), &out);
    assert!(
        stderr(&o).contains("estimated up to time"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn rejects_a_horizon_for_a_logistic_model() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("d.csv");
    let mut text = std::fs::read_to_string(lung()).expect("lung");
    text = text.replacen("\"time\",\"event\"", "\"time\",\"y\"", 1);
    std::fs::write(&data, text).expect("write");
    let (o, model) = fit(dir.path(), &data, "y ~ age + sex", &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = dir.path().join("s.csv");
    let o = score(&model, &data, Some("365"), &out);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no horizon"), "{}", stderr(&o));
}

#[test]
fn validate_at_a_horizon_with_bootstrap() {
    let dir = tempfile::tempdir().expect("tmp");
    let model = fitted(dir.path());
    let out = dir.path().join("val");
    let o = mbdrisk(&[
        "validate",
        "--model",
        s(&model),
        "--data",
        s(&lung()),
        "--horizon",
        "365",
        "--bootstrap",
        "20",
        "--out",
        s(&out),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json")).expect("read"))
            .expect("json");
    for k in [
        "c_harrell",
        "dxy",
        "auc",
        "auc_se",
        "brier",
        "brier_null",
        "scaled_brier",
        "oe_ratio",
        "calibration_slope",
        "ici",
        "e50",
        "e90",
        "r2_nagelkerke",
        "g",
    ] {
        assert!(
            v["apparent"][k].as_f64().is_some(),
            "apparent.{k}: {}",
            v["apparent"]
        );
    }
    let c = v["apparent"]["c_harrell"].as_f64().expect("c");
    assert!((c - 0.639428483795113).abs() < 1e-6, "{c}");
    let corrected = v["optimism_corrected"]["dxy"].as_f64().expect("dxy");
    assert!(corrected < v["apparent"]["dxy"].as_f64().expect("dxy"));
    assert_eq!(v["bootstrap"]["requested"], 20);
    assert_eq!(v["calibration"].as_array().expect("groups").len(), 10);
    assert!(out.join("calibration.png").exists() && out.join("calibration.svg").exists());
    // repeated cross-validation: the pooled out-of-fold risks, close to the apparent C
    let o = mbdrisk(&[
        "validate",
        "--model",
        s(&model),
        "--data",
        s(&lung()),
        "--horizon",
        "365",
        "--cv",
        "5x2",
        "--out",
        s(&out),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json")).expect("read"))
            .expect("json");
    let cv = &v["cross_validated"];
    assert_eq!(cv["used"], 10, "{cv}");
    let c = cv["c_harrell"].as_f64().expect("cv c");
    assert!(
        c > 0.5 && c < v["apparent"]["c_harrell"].as_f64().expect("c") + 0.02,
        "{cv}"
    );
    for k in [
        "auc",
        "brier",
        "scaled_brier",
        "oe_ratio",
        "calibration_slope",
        "ici",
    ] {
        assert!(cv[k].as_f64().is_some_and(f64::is_finite), "{k}: {cv}");
    }
    // no horizon: refused
    let o = mbdrisk(&[
        "validate",
        "--model",
        s(&model),
        "--data",
        s(&lung()),
        "--out",
        s(&out),
    ]);
    assert_eq!(o.status.code(), Some(2));
}

/// `lung.csv` with one cell changed (a `(row, column, value)` edit by column name).
fn edited(dir: &Path, edits: &[(usize, &str, &str)]) -> PathBuf {
    let text = std::fs::read_to_string(lung()).expect("lung");
    let mut lines: Vec<Vec<String>> = text
        .lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    for &(row, col, value) in edits {
        let j = lines[0]
            .iter()
            .position(|c| c.trim_matches('"') == col)
            .expect("column");
        lines[row][j] = value.to_string();
    }
    let out: String = lines.iter().map(|l| l.join(",") + "\n").collect();
    let p = dir.join("edited.csv");
    std::fs::write(&p, out).expect("write");
    p
}

#[test]
fn rejects_event_codes_other_than_0_1_and_bad_times() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = edited(dir.path(), &[(3, "event", "2"), (5, "time", "-4")]);
    let (o, out) = fit(dir.path(), &data, FORMULA, &[]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("row 4") && e.contains("event") && e.contains("'2'"),
        "{e}"
    );
    assert!(
        e.contains("row 6") && e.contains("-4") && e.contains("follow-up time"),
        "{e}"
    );
    assert!(!out.exists());
}

#[test]
fn rejects_fewer_than_5_events_and_firth() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut text = String::from("time,event,x\n");
    for i in 0..40 {
        text.push_str(&format!(
            "{},{},{}\n",
            i + 1,
            u8::from(i % 10 == 0),
            (i * 7 % 11) as f64
        ));
    }
    let data = dir.path().join("few.csv");
    std::fs::write(&data, text).expect("write");
    let (o, _) = fit(dir.path(), &data, "Surv(time, event) ~ x", &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("4 events"), "{}", stderr(&o));
    let (o, _) = fit(dir.path(), &lung(), FORMULA, &["--penalty", "firth"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("firth"), "{}", stderr(&o));
}

#[test]
fn collinear_and_monotone_fits_fail_with_names() {
    let dir = tempfile::tempdir().expect("tmp");
    // karno2 = 2 * karno
    let text = std::fs::read_to_string(lung()).expect("lung");
    let mut out = String::new();
    for (k, l) in text.lines().enumerate() {
        if k == 0 {
            out.push_str(&format!("{l},\"karno2\",\"never\"\n"));
        } else {
            let f: Vec<&str> = l.split(',').collect();
            let karno: f64 = f[5].parse().expect("karno");
            // `never` is 1 only for patients without an event: monotone likelihood
            let never = if f[1] == "0" && k % 2 == 0 { 1 } else { 0 };
            out.push_str(&format!("{l},{},{never}\n", 2.0 * karno));
        }
    }
    let data = dir.path().join("col.csv");
    std::fs::write(&data, out).expect("write");
    let (o, _) = fit(
        dir.path(),
        &data,
        "Surv(time, event) ~ age + karno + karno2",
        &[],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("'karno2'") && stderr(&o).contains("'karno'"),
        "{}",
        stderr(&o)
    );
    let (o, _) = fit(
        dir.path(),
        &data,
        "Surv(time, event) ~ age + cat(never)",
        &[],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("infinite"), "{}", stderr(&o));
}

#[test]
fn strata_get_a_baseline_each_and_unseen_strata_are_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let (o, model) = fit(
        dir.path(),
        &lung(),
        "Surv(time, event) ~ rcs(age, 4) + cat(ecog) + karno + strata(sex)",
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(&model).expect("read")).expect("json");
    assert_eq!(v["baseline"].as_array().expect("curves").len(), 2);
    assert_eq!(v["strata"]["levels"], serde_json::json!(["F", "M"]));
    let data = edited(dir.path(), &[(2, "sex", "\"X\"")]);
    let out = dir.path().join("s.csv");
    let o = score(&model, &data, Some("180"), &out);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("row 3") && e.contains("sex") && e.contains("stratum"),
        "{e}"
    );
    assert!(!out.exists());
}

#[test]
fn rejects_a_damaged_cox_baseline() {
    let dir = tempfile::tempdir().expect("tmp");
    let model = fitted(dir.path());
    let text = std::fs::read_to_string(&model).expect("read");
    let mut v: Value = serde_json::from_str(&text).expect("json");
    v["baseline"][0]["n_risk"][0] = Value::from(3);
    std::fs::write(&model, serde_json::to_string(&v).expect("json")).expect("write");
    let out = dir.path().join("s.csv");
    let o = score(&model, &lung(), Some("180"), &out);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("fewer than 5 at risk"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn compare_at_a_horizon_uses_every_patient() {
    let dir = tempfile::tempdir().expect("tmp");
    let model = fitted(dir.path());
    let out = dir.path().join("cmp");
    // a cohort file has an identifier: lung's rows numbered
    let text = std::fs::read_to_string(lung()).expect("lung");
    let with_id: String = text
        .lines()
        .enumerate()
        .map(|(k, l)| {
            if k == 0 {
                format!("id,{l}\n")
            } else {
                format!("P{k},{l}\n")
            }
        })
        .collect();
    let data = dir.path().join("lung_id.csv");
    std::fs::write(&data, with_id).expect("write");
    let args = |extra: &[&'static str]| -> Vec<String> {
        let mut v: Vec<String> = [
            "compare",
            "--model",
            s(&model),
            "--data",
            s(&data),
            "--id",
            "id",
            "--time",
            "time",
            "--event",
            "event",
            "--rule",
            "young=age < 60",
            "--out",
            s(&out),
        ]
        .iter()
        .map(|x| x.to_string())
        .collect();
        v.extend(extra.iter().map(|x| x.to_string()));
        v
    };
    let run = |a: Vec<String>| {
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        mbdrisk(&refs)
    };
    let o = run(args(&["--horizon", "365", "--bootstrap", "20"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("comparison.json")).expect("read"))
            .expect("json");
    assert_eq!(v["n"], 226, "censored patients are kept");
    assert!(v["censored_before_horizon"].as_u64().expect("censored") > 0);
    let d = &v["rules"][0]["scores"][0]["at_rule_stop_rate"]["diff_missed_per_100_stopped"];
    assert!(
        d["ci_low"].as_f64().is_some() && d["ci_high"].as_f64().is_some(),
        "{d}"
    );
    assert!(out.join("decision_curve.png").exists());
    let table = stdout(&o);
    assert!(table.contains("minus rule, same low-risk rate"), "{table}");
    // no horizon: refused with the hint
    let o = run(args(&[]));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--horizon"), "{}", stderr(&o));
}

/// Regression: a stratum without events got an empty baseline, the model printed "up to
/// time 0" and its file could not be read back (found on flchain, mgus = 1).
#[test]
fn rejects_a_stratum_with_fewer_than_5_events() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut text = String::from("time,event,x,g\n");
    for i in 0..60 {
        // group b: 12 patients, never an event
        let g = if i % 5 == 0 { "b" } else { "a" };
        let event = u8::from(g == "a" && i % 3 != 0);
        text.push_str(&format!("{},{event},{},{g}\n", i + 1, (i * 7 % 11) as f64));
    }
    let data = dir.path().join("strata.csv");
    std::fs::write(&data, text).expect("write");
    let (o, out) = fit(dir.path(), &data, "Surv(time, event) ~ x + strata(g)", &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("stratum g=b has 0 events"),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists());
}

#[test]
fn report_needs_a_horizon_for_a_cox_formula_and_refuses_one_for_logistic() {
    let dir = tempfile::tempdir().expect("tmp");
    let demo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/demo/cohort.csv");
    let out = dir.path().join("r");
    let o = mbdrisk(&[
        "report",
        "--data",
        s(&demo),
        "--formula",
        "Surv(time_months, event) ~ age + mrd",
        "--out",
        s(&out),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--horizon"), "{}", stderr(&o));
    let o = mbdrisk(&[
        "report",
        "--data",
        s(&demo),
        "--formula",
        "event_24m ~ age + mrd",
        "--horizon",
        "24",
        "--out",
        s(&out),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("Cox model"), "{}", stderr(&o));
    assert!(!out.exists());
}

/// `--calibrate-m`: the corrected calibration's groups in metrics.json (about m rows each, by
/// increasing risk), and a usage error (exit 2) for a value out of bounds, without
/// --bootstrap, or with a score column.
#[test]
fn calibrate_m_sets_the_corrected_groups_and_is_checked() {
    let dir = tempfile::tempdir().expect("tmp");
    let model = fitted(dir.path());
    let out = dir.path().join("val");
    let data = lung();
    let base = [
        "validate",
        "--model",
        s(&model),
        "--data",
        s(&data),
        "--horizon",
        "365",
    ];
    let run = |extra: &[&str]| {
        let mut a: Vec<&str> = base.to_vec();
        a.extend_from_slice(extra);
        a.extend_from_slice(&["--out", s(&out)]);
        mbdrisk(&a)
    };
    let o = run(&["--bootstrap", "10", "--calibrate-m", "50"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json")).expect("read"))
            .expect("json");
    let groups = v["calibrate"]["groups"].as_array().expect("groups");
    assert_eq!(groups.len(), 226 / 50, "{groups:?}");
    let predicted: Vec<f64> = groups
        .iter()
        .filter_map(|g| g["predicted"].as_f64())
        .collect();
    assert!(predicted.windows(2).all(|w| w[0] < w[1]), "{predicted:?}");
    assert!(!v["calibrate"]["curve"]
        .as_array()
        .expect("curve")
        .is_empty());
    for extra in [
        &["--bootstrap", "10", "--calibrate-m", "5"][..],
        &["--bootstrap", "10", "--calibrate-m", "x"][..],
        &["--calibrate-m", "50"][..],
    ] {
        let o = run(extra);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("--calibrate-m"),
            "{extra:?}: {}",
            stderr(&o)
        );
    }
}
