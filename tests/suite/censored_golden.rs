//! Censoring-aware metrics at a horizon against `riskRegression::Score(..., cens.model =
//! "km", null.model = TRUE, se.fit = TRUE)`: IPCW time-dependent AUC and its SE, IPCW Brier
//! (model, null) and its SE. Values made by `tests/golden/censored/make_goldens.R` (R 4.2.2,
//! riskRegression 2022.11.28, prodlim 2019.11.13); R is not needed to run these tests.
//!
//! Run with `--nocapture` to see the largest error observed for each statistic.

use crate::tolerances;

use std::collections::HashMap;
use std::path::PathBuf;

use mbdrisk::metrics::censored::evaluate_censored;
use mbdrisk::metrics::MetricsError;
use tolerances::{CENSORED_SCORE_ABS, CENSORED_SE_REL};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/censored")
}

fn read_csv(name: &str) -> Vec<HashMap<String, String>> {
    let text = std::fs::read_to_string(dir().join(name)).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            header
                .iter()
                .cloned()
                .zip(l.split(',').map(str::to_string))
                .collect()
        })
        .collect()
}

fn num(row: &HashMap<String, String>, k: &str) -> f64 {
    row[k].parse().unwrap()
}

fn data(name: &str) -> (Vec<f64>, Vec<f64>, Vec<bool>) {
    let rows = read_csv(&format!("{name}.csv"));
    (
        rows.iter().map(|r| num(r, "risk")).collect(),
        rows.iter().map(|r| num(r, "time")).collect(),
        rows.iter().map(|r| r["event"] == "1").collect(),
    )
}

#[test]
fn matches_risk_regression_score() {
    let goldens = read_csv("goldens.csv");
    assert_eq!(goldens.len(), 3);
    let mut worst: HashMap<&str, f64> = HashMap::new();
    for g in &goldens {
        let name = &g["dataset"];
        let (risk, time, event) = data(name);
        let h = num(g, "horizon");
        let m = evaluate_censored(&risk, &time, &event, h).unwrap();
        assert_eq!(m.n, num(g, "n") as usize, "{name} n");
        assert_eq!(
            m.events_before_horizon,
            num(g, "events_before_horizon") as usize,
            "{name} events"
        );
        assert_eq!(
            m.censored_before_horizon,
            num(g, "censored_before_horizon") as usize,
            "{name} censored"
        );
        for (stat, ours, abs) in [
            ("auc", m.auc, true),
            ("brier", m.brier, true),
            ("brier_null", m.brier_null, true),
            ("km_risk", m.observed_risk, true),
            ("auc_se", m.auc_se, false),
            ("brier_se", m.brier_se, false),
        ] {
            let r = num(g, stat);
            let err = if abs {
                (ours - r).abs()
            } else {
                (ours - r).abs() / r.abs()
            };
            let tol = if abs {
                CENSORED_SCORE_ABS
            } else {
                CENSORED_SE_REL
            };
            assert!(err <= tol, "{name} {stat}: ours {ours} R {r} err {err:e}");
            let w = worst.entry(stat).or_insert(0.0);
            *w = w.max(err);
        }
        assert!((m.scaled_brier - (1.0 - m.brier / m.brier_null)).abs() < 1e-15);
        let mean = risk.iter().sum::<f64>() / risk.len() as f64;
        assert!((m.oe_ratio - m.observed_risk / mean).abs() < 1e-12);
        assert_eq!(m.calibration.iter().map(|c| c.n).sum::<usize>(), m.n);
        assert_eq!(
            m.calibration.iter().map(|c| c.events).sum::<usize>(),
            m.events_before_horizon
        );
    }
    let mut w: Vec<_> = worst.into_iter().collect();
    w.sort_by(|a, b| a.0.cmp(b.0));
    for (stat, e) in w {
        println!("max error {stat}: {e:e} (se: relative)");
    }
}

fn small() -> (Vec<f64>, Vec<f64>, Vec<bool>) {
    (
        vec![0.1, 0.5, 0.7, 0.2, 0.4],
        vec![1.0, 2.0, 3.0, 5.0, 6.0],
        vec![true, false, true, false, true],
    )
}

#[test]
fn rejects_length_mismatch() {
    let (r, t, e) = small();
    assert!(matches!(
        evaluate_censored(&r[..4], &t, &e, 4.0),
        Err(MetricsError::LengthMismatch { .. })
    ));
    assert!(matches!(
        evaluate_censored(&r, &t, &e[..3], 4.0),
        Err(MetricsError::LengthMismatch { .. })
    ));
}

#[test]
fn rejects_empty() {
    assert_eq!(
        evaluate_censored(&[], &[], &[], 4.0),
        Err(MetricsError::Empty)
    );
}

#[test]
fn rejects_bad_horizon() {
    let (r, t, e) = small();
    for h in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert!(matches!(
            evaluate_censored(&r, &t, &e, h),
            Err(MetricsError::InvalidOption {
                name: "horizon",
                ..
            })
        ));
    }
}

#[test]
fn rejects_probability_out_of_range() {
    let (mut r, t, e) = small();
    r[2] = 35.0;
    assert_eq!(
        evaluate_censored(&r, &t, &e, 4.0),
        Err(MetricsError::ProbabilityOutOfRange {
            index: 2,
            value: 35.0
        })
    );
    r[2] = f64::NAN;
    assert!(matches!(
        evaluate_censored(&r, &t, &e, 4.0),
        Err(MetricsError::ProbabilityOutOfRange { index: 2, .. })
    ));
}

#[test]
fn rejects_invalid_time() {
    let (r, mut t, e) = small();
    t[3] = -1.0;
    assert_eq!(
        evaluate_censored(&r, &t, &e, 4.0),
        Err(MetricsError::TimeInvalid {
            index: 3,
            value: -1.0
        })
    );
    t[3] = f64::INFINITY;
    assert!(matches!(
        evaluate_censored(&r, &t, &e, 4.0),
        Err(MetricsError::TimeInvalid { index: 3, .. })
    ));
}

#[test]
fn rejects_no_event_before_horizon() {
    let (r, t, e) = small();
    assert!(matches!(
        evaluate_censored(&r, &t, &e, 0.5),
        Err(MetricsError::NoEventBeforeHorizon { .. })
    ));
}

#[test]
fn rejects_no_subject_beyond_horizon() {
    let (r, t, e) = small();
    let err = evaluate_censored(&r, &t, &e, 6.0).unwrap_err();
    assert!(matches!(err, MetricsError::NoSubjectBeyondHorizon { .. }));
    assert!(err.to_string().contains("horizon 6"));
}
