//! Invariance tests over a registry of every scalar metric (scikit-learn `test_common` idea):
//! properties that must hold for whole families of metrics, checked for each member.

use super::*;

type ScalarMetric = fn(&[f64], &[f64]) -> Result<f64, MetricsError>;

fn recal_intercept(p: &[f64], y: &[f64]) -> Result<f64, MetricsError> {
    logistic_recalibration(p, y).map(|r| r.intercept)
}
fn recal_slope(p: &[f64], y: &[f64]) -> Result<f64, MetricsError> {
    logistic_recalibration(p, y).map(|r| r.slope)
}
fn eavg(p: &[f64], y: &[f64]) -> Result<f64, MetricsError> {
    calibration_errors(p, y).map(|e| e.eavg)
}
fn spiegelhalter_z(p: &[f64], y: &[f64]) -> Result<f64, MetricsError> {
    spiegelhalter(p, y).map(|s| s.z)
}
fn delong_se(p: &[f64], y: &[f64]) -> Result<f64, MetricsError> {
    auc_delong(p, y, 0.95).map(|d| d.se)
}

/// Every scalar metric, by name.
const ALL: [(&str, ScalarMetric); 14] = [
    ("auc", auc),
    ("somers_dxy", somers_dxy),
    ("delong_se", delong_se),
    ("brier", brier),
    ("scaled_brier", scaled_brier),
    ("log_loss", log_loss),
    ("r2_nagelkerke", r2_nagelkerke),
    ("citl", citl),
    ("calibration_intercept", recal_intercept),
    ("calibration_slope", recal_slope),
    ("oe_ratio", oe_ratio),
    ("eavg", eavg),
    ("spiegelhalter_z", spiegelhalter_z),
    ("rms_binned_c", concordance_rms_binned),
];

/// Metrics that depend on p only through its ranks.
const RANKING: [&str; 3] = ["auc", "somers_dxy", "delong_se"];

/// Metrics that are unchanged when every observation is duplicated (weights 2).
const DUPLICATION_INVARIANT: [&str; 9] = [
    "auc",
    "somers_dxy",
    "brier",
    "scaled_brier",
    "log_loss",
    "citl",
    "calibration_intercept",
    "calibration_slope",
    "oe_ratio",
];

/// Deterministic, noisy, moderately calibrated sample with some ties.
fn sample(n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut p = Vec::with_capacity(n);
    let mut y = Vec::with_capacity(n);
    for i in 0..n {
        let raw = 0.02 + 0.96 * next();
        let pi = if i % 5 == 0 {
            (raw * 20.0).round() / 20.0
        } else {
            raw
        };
        let pi = pi.clamp(0.01, 0.99);
        p.push(pi);
        y.push(f64::from(next() < pi * 0.9 + 0.05));
    }
    (p, y)
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + a.abs().max(b.abs()))
}

#[test]
fn every_metric_is_invariant_to_the_order_of_observations() {
    let (p, y) = sample(300);
    let mut idx: Vec<usize> = (0..p.len()).collect();
    idx.reverse();
    idx.rotate_left(37);
    let pp: Vec<f64> = idx.iter().map(|&i| p[i]).collect();
    let yp: Vec<f64> = idx.iter().map(|&i| y[i]).collect();
    for (name, m) in ALL {
        let a = m(&p, &y).expect(name);
        let b = m(&pp, &yp).expect(name);
        // LOWESS breaks ties by input order only in floating-point summation order.
        assert!(close(a, b, 1e-12), "{name}: {a} vs {b}");
    }
}

#[test]
fn ranking_metrics_are_invariant_to_monotone_transforms() {
    let (p, y) = sample(250);
    let transforms: [fn(f64) -> f64; 3] = [
        |v| v * v,
        f64::sqrt,
        |v| {
            let logit = (v / (1.0 - v)).ln();
            1.0 / (1.0 + (-(0.3 * logit - 1.0)).exp())
        },
    ];
    for (name, m) in ALL.iter().filter(|(n, _)| RANKING.contains(n)) {
        let base = m(&p, &y).expect(name);
        for t in transforms {
            let q: Vec<f64> = p.iter().map(|&v| t(v)).collect();
            let got = m(&q, &y).expect(name);
            assert!(close(base, got, 1e-13), "{name}: {base} vs {got}");
        }
    }
}

#[test]
fn swapping_labels_gives_one_minus_auc() {
    let (p, y) = sample(200);
    let flipped: Vec<f64> = y.iter().map(|v| 1.0 - v).collect();
    let a = auc(&p, &y).expect("auc");
    let b = auc(&p, &flipped).expect("auc");
    assert!(close(a + b, 1.0, 1e-15));
    assert!(close(
        somers_dxy(&p, &flipped).expect("dxy"),
        -somers_dxy(&p, &y).expect("dxy"),
        1e-15
    ));
}

#[test]
fn mirroring_both_p_and_y_keeps_symmetric_metrics() {
    let (p, y) = sample(200);
    let pm: Vec<f64> = p.iter().map(|v| 1.0 - v).collect();
    let ym: Vec<f64> = y.iter().map(|v| 1.0 - v).collect();
    for name in [
        "auc",
        "brier",
        "scaled_brier",
        "log_loss",
        "r2_nagelkerke",
        "calibration_slope",
        "spiegelhalter_z",
    ] {
        let m = ALL.iter().find(|(n, _)| *n == name).expect("registered").1;
        let a = m(&p, &y).expect(name);
        let b = m(&pm, &ym).expect(name);
        assert!(close(a, b, 1e-9), "{name}: {a} vs {b}");
    }
    for name in ["citl", "calibration_intercept"] {
        let m = ALL.iter().find(|(n, _)| *n == name).expect("registered").1;
        let a = m(&p, &y).expect(name);
        let b = m(&pm, &ym).expect(name);
        assert!(close(a, -b, 1e-9), "{name}: {a} vs -{b}");
    }
}

#[test]
fn duplicating_the_sample_changes_nothing_for_weight_invariant_metrics() {
    let (p, y) = sample(150);
    let p2: Vec<f64> = p.iter().chain(&p).copied().collect();
    let y2: Vec<f64> = y.iter().chain(&y).copied().collect();
    for (name, m) in ALL
        .iter()
        .filter(|(n, _)| DUPLICATION_INVARIANT.contains(n))
    {
        let a = m(&p, &y).expect(name);
        let b = m(&p2, &y2).expect(name);
        assert!(close(a, b, 1e-9), "{name}: {a} vs {b}");
    }
}

#[test]
fn perfect_predictions_score_perfectly() {
    let y = [0.0, 1.0, 0.0, 1.0, 1.0, 0.0];
    assert_eq!(brier(&y, &y), Ok(0.0));
    assert_eq!(auc(&y, &y), Ok(1.0));
    assert!(log_loss(&y, &y).expect("ll") < 1e-15);
    let e = calibration_errors(&y, &y).expect("e");
    assert!(e.emax < 1e-12);
}

#[test]
fn every_metric_rejects_malformed_pairs() {
    let (p, y) = sample(20);
    let mut bad_p = p.clone();
    bad_p[3] = 1.2;
    let mut bad_y = y.clone();
    bad_y[4] = 2.0;
    for (name, m) in ALL {
        assert_eq!(m(&[], &[]), Err(MetricsError::Empty), "{name}");
        assert!(
            matches!(m(&p[..5], &y), Err(MetricsError::LengthMismatch { .. })),
            "{name}"
        );
        assert!(
            matches!(
                m(&bad_p, &y),
                Err(MetricsError::ProbabilityOutOfRange { index: 3, .. })
            ),
            "{name}"
        );
        assert!(
            matches!(
                m(&p, &bad_y),
                Err(MetricsError::OutcomeNotBinary { index: 4, .. })
            ),
            "{name}"
        );
    }
}

#[test]
fn class_dependent_metrics_reject_one_class() {
    let p = [0.2, 0.4, 0.6];
    let y = [1.0, 1.0, 1.0];
    for name in [
        "auc",
        "somers_dxy",
        "scaled_brier",
        "r2_nagelkerke",
        "citl",
        "calibration_slope",
    ] {
        let m = ALL.iter().find(|(n, _)| *n == name).expect("registered").1;
        assert_eq!(
            m(&p, &y),
            Err(MetricsError::OneClass { n: 3, class: 1 }),
            "{name}"
        );
    }
    assert!(brier(&p, &y).is_ok());
}

#[test]
fn evaluate_agrees_with_the_single_metric_functions() {
    let (p, y) = sample(400);
    let m = evaluate(&p, &y).expect("evaluate");
    let d = auc_delong(&p, &y, 0.95).expect("delong");
    let r = logistic_recalibration(&p, &y).expect("recal");
    let e = calibration_errors(&p, &y).expect("e");
    let pairs = [
        (m.auc, d.auc),
        (m.auc_se, d.se),
        (m.auc_ci_low, d.ci_low),
        (m.auc_ci_high, d.ci_high),
        (m.dxy, somers_dxy(&p, &y).expect("dxy")),
        (m.brier, brier(&p, &y).expect("b")),
        (m.scaled_brier, scaled_brier(&p, &y).expect("sb")),
        (m.log_loss, log_loss(&p, &y).expect("ll")),
        (m.r2_nagelkerke, r2_nagelkerke(&p, &y).expect("r2")),
        (m.citl, citl(&p, &y).expect("citl")),
        (m.calibration_intercept, r.intercept),
        (m.calibration_slope, r.slope),
        (m.oe_ratio, oe_ratio(&p, &y).expect("oe")),
        (m.eavg, e.eavg),
        (m.e50, e.e50),
        (m.e90, e.e90),
        (m.emax, e.emax),
        (m.spiegelhalter_z, spiegelhalter_z(&p, &y).expect("z")),
    ];
    for (k, (a, b)) in pairs.iter().enumerate() {
        assert_eq!(a.to_bits(), b.to_bits(), "{}", Metrics::NAMES[k]);
    }
}

#[test]
fn metrics_json_has_exactly_the_contract_keys() {
    let (p, y) = sample(100);
    let m = evaluate(&p, &y).expect("evaluate");
    let v = serde_json::to_value(m).expect("json");
    let obj = v.as_object().expect("object");
    let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    let mut expected = Metrics::NAMES.to_vec();
    let mut got = keys.clone();
    expected.sort_unstable();
    got.sort_unstable();
    assert_eq!(got, expected);
    assert_eq!(Metrics::from_values(m.values()), m);
    let zero = m.zip_with(&m, |a, b| a - b);
    assert!(zero.values().iter().all(|&v| v == 0.0));
}

/// The metrics of `evaluate_smoothed` are `evaluate`'s, bit for bit, and its smooth gives the
/// curve `calibration_curve` draws (one LOWESS instead of two).
#[test]
fn evaluate_smoothed_equals_evaluate_and_its_smooth_the_curve() {
    let p: Vec<f64> = (0..500)
        .map(|i| 0.05 + 0.9 * ((i * 37) % 500) as f64 / 500.0)
        .collect();
    let y: Vec<f64> = (0..500)
        .map(|i| f64::from(((i * 7919) % 100) as f64 / 100.0 < p[i]))
        .collect();
    let a = super::evaluate(&p, &y).expect("evaluate");
    let (b, s) = super::evaluate_smoothed(&p, &y).expect("smoothed");
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
    let opts = super::CurveOptions {
        bootstrap: 20,
        ..super::CurveOptions::default()
    };
    let c1 = super::calibration_curve(&p, &y, &opts).expect("curve");
    let c2 = super::calibration::calibration_curve_from(&p, &y, &s, &opts).expect("curve");
    assert_eq!(format!("{c1:?}"), format!("{c2:?}"));
}
