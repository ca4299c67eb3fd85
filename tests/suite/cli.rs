//! The commands end to end: outputs written on success, exit code 2 and no output on bad input.

use std::path::Path;

use std::process::Output;

use crate::util::{mbdrisk, stderr};

const DEMO: &str = "data/demo/cohort.csv";
const FORMULA: &str = "event_24m ~ log(ctx_ng_ml) + mrd + pet + response + bpa_months + agent";

fn fit_demo(dir: &Path) -> String {
    let model = dir.join("model.json");
    let o = mbdrisk(&[
        "fit",
        "--data",
        DEMO,
        "--formula",
        FORMULA,
        "--out",
        model.to_str().expect("utf8 path"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    model.to_string_lossy().into_owned()
}

fn files_in(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|r| {
            r.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn validate_writes_metrics_with_the_contract_keys() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = fit_demo(dir.path());
    let validate = |out: &Path| {
        mbdrisk(&[
            "validate",
            "--model",
            &model,
            "--data",
            DEMO,
            "--bootstrap",
            "20",
            "--seed",
            "3",
            "--id",
            "patient_id",
            "--out",
            out.to_str().expect("path"),
        ])
    };
    let out = dir.path().join("val");
    let o = validate(&out);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json")).expect("read"))
            .expect("json");
    for key in [
        "n",
        "events",
        "n_dropped_missing",
        "apparent",
        "optimism",
        "optimism_corrected",
    ] {
        assert!(m.get(key).is_some(), "metrics.json lacks {key}");
    }
    for key in [
        "auc",
        "auc_ci_low",
        "auc_ci_high",
        "dxy",
        "brier",
        "scaled_brier",
        "log_loss",
        "r2_nagelkerke",
        "citl",
        "calibration_intercept",
        "calibration_slope",
        "oe_ratio",
        "eavg",
        "e50",
        "e90",
        "emax",
        "spiegelhalter_z",
    ] {
        assert!(m["apparent"][key].is_number(), "apparent.{key}");
        assert!(
            m["optimism_corrected"][key].is_number(),
            "optimism_corrected.{key}"
        );
    }
    let preds = std::fs::read_to_string(out.join("predictions.csv")).expect("read");
    assert!(preds.starts_with("row,patient_id,predicted,observed\n"));
    let cal = std::fs::read_to_string(out.join("calibration.csv")).expect("read");
    assert!(cal.contains("\ncurve,") && cal.contains("\ngroup,10,"));
    // Same seed, same numbers.
    let out2 = dir.path().join("val2");
    let o = validate(&out2);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        std::fs::read(out.join("metrics.json")).expect("a"),
        std::fs::read(out2.join("metrics.json")).expect("b")
    );
}

/// `validate --predicted risk --outcome y` on a scored file holding `csv`; the output folder.
fn validate_scored(dir: &Path, csv: &str) -> (Output, std::path::PathBuf) {
    let data = dir.join("scored.csv");
    std::fs::write(&data, csv).expect("write");
    let out = dir.join("out");
    let o = mbdrisk(&[
        "validate",
        "--data",
        data.to_str().expect("p"),
        "--predicted",
        "risk",
        "--outcome",
        "y",
        "--out",
        out.to_str().expect("p"),
    ]);
    (o, out)
}

#[test]
fn validate_rejects_probabilities_outside_0_1_without_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (o, out) = validate_scored(dir.path(), "risk,y\n0.2,0\n35,1\n0.4,1\n");
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("row 3, column 'risk'") && e.contains("probability"),
        "{e}"
    );
    assert!(files_in(&out).is_empty());
}

#[test]
fn validate_rejects_one_class_outcome() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (o, out) = validate_scored(dir.path(), "risk,y\n0.2,0\n0.3,0\n0.4,0\n");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(files_in(&out).is_empty());
}

#[test]
fn validate_rejects_model_predictor_missing_from_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = fit_demo(dir.path());
    let data = dir.path().join("other.csv");
    std::fs::write(&data, "event_24m,mrd\n1,negative\n0,positive\n").expect("write");
    let out = dir.path().join("out");
    let o = mbdrisk(&[
        "validate",
        "--model",
        &model,
        "--data",
        data.to_str().expect("p"),
        "--out",
        out.to_str().expect("p"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("ctx_ng_ml"), "{}", stderr(&o));
    assert!(files_in(&out).is_empty());
}

#[test]
fn compare_rejects_bad_rules_without_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = fit_demo(dir.path());
    let out = dir.path().join("cmp");
    for (rule, needle) in [
        ("x=bpa_month >= 24", "did you mean 'bpa_months'"),
        ("x=bpa_months >= ", "rule 'x'"),
        ("bpa_months >= 24", "name=SQL"),
        ("x=bpa_months + 1", "true/false"),
    ] {
        let o = mbdrisk(&[
            "compare",
            "--model",
            &model,
            "--data",
            DEMO,
            "--rule",
            rule,
            "--bootstrap",
            "0",
            "--out",
            out.to_str().expect("p"),
        ]);
        assert_eq!(o.status.code(), Some(2), "{rule}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{rule}: {}", stderr(&o));
        assert!(files_in(&out).is_empty());
    }
}

#[test]
fn compare_writes_comparison_and_decision_curve() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = fit_demo(dir.path());
    let out = dir.path().join("cmp");
    let o = mbdrisk(&[
        "compare",
        "--model",
        &model,
        "--data",
        DEMO,
        "--rule",
        "two-year",
        "--rule",
        "deep=bpa_months >= 18 AND mrd = 'negative'",
        "--bootstrap",
        "20",
        "--truth",
        "data/demo/truth.csv",
        "--out",
        out.to_str().expect("p"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(
        table.contains("Rule two-year") && table.contains("Rule deep"),
        "{table}"
    );
    let c: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("comparison.json")).expect("read"))
            .expect("json");
    assert_eq!(c["rules"].as_array().map(Vec::len), Some(2));
    let dc = std::fs::read_to_string(out.join("decision_curve.csv")).expect("read");
    // model, oracle, two rules, continue all, stop all: 6 curves x 99 thresholds + header.
    assert_eq!(dc.lines().count(), 6 * 99 + 1);
}

#[test]
fn report_is_self_contained_with_every_plot() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("rep");
    let o = mbdrisk(&[
        "report",
        "--data",
        DEMO,
        "--visits",
        "data/demo/visits.csv",
        "--formula",
        FORMULA,
        "--bootstrap",
        "10",
        "--out",
        out.to_str().expect("p"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let html = std::fs::read_to_string(out.join("report.html")).expect("report");
    assert_eq!(html.matches("src=\"data:image/png;base64,").count(), 4);
    assert!(!html.contains("src=\"http") && !html.contains("src=\"file"));
    for section in [
        "Data",
        "Missing data",
        "Model",
        "Discrimination",
        "Calibration",
        "Clinical utility versus the rules",
        "Limitations",
    ] {
        assert!(
            html.contains(&format!(">{section}</h2>")),
            "section {section}"
        );
    }
    for f in [
        "model.json",
        "metrics.json",
        "predictions.csv",
        "calibration.csv",
        "comparison.json",
        "decision_curve.csv",
        "calibration.png",
        "calibration.svg",
        "roc.png",
        "decision_curve.svg",
        "risk_distribution.png",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
}

#[test]
fn report_with_bad_formula_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("rep");
    let o = mbdrisk(&[
        "report",
        "--data",
        DEMO,
        "--formula",
        "event_24m ~ rcs(age, 9)",
        "--bootstrap",
        "0",
        "--out",
        out.to_str().expect("p"),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(files_in(&out).is_empty());
}
