//! `mbdrisk validate --predicted COL --time COL --event COL --horizon H`: censoring-aware
//! validation of a risk score from the command line.

use std::path::Path;
use std::process::Command;

fn write_csv(dir: &Path, risk35: bool) -> std::path::PathBuf {
    let mut s = String::from("id,risk,months,relapse\n");
    for i in 0..60 {
        let risk = (i as f64 + 0.5) / 60.0;
        // Higher risk, earlier relapse; every 5th subject censored early; some beyond 24.
        let months = 40.0 - 0.6 * i as f64 + 6.0 * ((i * 7) % 5) as f64;
        let relapse = if i % 5 == 0 { 0 } else { 1 };
        let r = if risk35 && i == 6 {
            "35".to_string()
        } else {
            format!("{risk}")
        };
        s.push_str(&format!("P{i},{r},{months},{relapse}\n"));
    }
    let p = dir.join("scored.csv");
    std::fs::write(&p, s).unwrap();
    p
}

fn run(dir: &Path, data: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mbdrisk"))
        .args(["validate", "--data"])
        .arg(data)
        .args([
            "--predicted",
            "risk",
            "--time",
            "months",
            "--event",
            "relapse",
            "--horizon",
            "24",
            "--out",
        ])
        .arg(dir.join("out"))
        .output()
        .unwrap()
}

#[test]
fn censored_validation_writes_metrics_json() {
    let dir = tempfile::tempdir().unwrap();
    let data = write_csv(dir.path(), false);
    let out = run(dir.path(), &data);
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(dir.path().join("out/metrics.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    for k in [
        "auc",
        "auc_se",
        "brier",
        "brier_null",
        "scaled_brier",
        "oe_ratio",
        "n",
        "events_before_horizon",
    ] {
        assert!(v.get(k).is_some(), "metrics.json lacks {k}: {text}");
    }
    assert_eq!(v["n"], 60);
    assert!(v["calibration"].as_array().unwrap().len() > 1);
    let auc = v["auc"].as_f64().unwrap();
    assert!(auc > 0.6 && auc < 1.0, "auc {auc}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("AUC (IPCW)"), "{stdout}");
}

#[test]
fn censored_validation_rejects_percentage_naming_row_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let data = write_csv(dir.path(), true);
    let out = run(dir.path(), &data);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    // Data row index 6 is file row 8 (header = row 1).
    assert!(err.contains("risk"), "{err}");
    assert!(err.contains('8'), "{err}");
    assert!(err.contains("35"), "{err}");
    assert!(!dir.path().join("out/metrics.json").exists());
}
