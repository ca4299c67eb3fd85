//! Every plot rendered from synthetic but realistic result structs (a seeded cohort of
//! predicted risks and outcomes summarised the way the metrics and comparison modules do),
//! checked for its text, its PNG header and size, and its errors on bad input.
//!
//! Set `MBDRISK_PLOT_DIR=/tmp/plots` to also write every figure there and look at it.

use mbdrisk::plot::{
    calibration_plot, decision_curve_plot, risk_distribution_plot, roc_plot, trajectory_plot,
    CalibrationPlotData, CurvePoint, DecisionCurveData, Figure, GroupPoint, MarkerSeries,
    NetBenefitSeries, PlotError, RiskDistributionData, RocCurve, RocPlotData, RulePoint,
    RulePointRoc, SeriesKind, TrajectoryData,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

// ---------------------------------------------------------------------------------------------
// A synthetic cohort: predicted risk, outcome, and what three rules would do.

struct Cohort {
    p: Vec<f64>,
    y: Vec<bool>,
    /// Per rule: does it stop this patient?
    stops: Vec<(String, Vec<bool>)>,
}

fn cohort(n: usize, seed: u64) -> Cohort {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let lp = Normal::new(-2.0, 0.9).expect("normal");
    let noise = Normal::new(0.0, 1.0).expect("normal");
    let mut p = Vec::with_capacity(n);
    let mut y = Vec::with_capacity(n);
    for _ in 0..n {
        let eta: f64 = lp.sample(&mut rng);
        let risk = 1.0 / (1.0 + (-eta).exp());
        // Slightly over-confident model: true risk on a flatter logit scale.
        let truth = 1.0 / (1.0 + (-(0.85 * eta - 0.25)).exp());
        p.push(risk);
        y.push(rng.gen::<f64>() < truth);
    }
    // Rules stop patients on cruder information: a noisy version of the risk.
    let mut stops = Vec::new();
    for (name, share, sd) in [
        ("Two-year rule", 0.55, 1.4),
        ("IMWG 2021", 0.7, 1.6),
        ("Triad (MRD, PET, CTX)", 0.3, 0.8),
    ] {
        let score: Vec<f64> = p
            .iter()
            .map(|pi| (pi / (1.0 - pi)).ln() + sd * noise.sample(&mut rng))
            .collect();
        let mut sorted = score.clone();
        sorted.sort_by(f64::total_cmp);
        let cut = sorted[(share * n as f64) as usize];
        stops.push((name.to_string(), score.iter().map(|s| *s < cut).collect()));
    }
    Cohort { p, y, stops }
}

fn wilson(events: usize, n: usize) -> (f64, f64) {
    let (z, nf) = (1.959964, n as f64);
    let ph = events as f64 / nf;
    let centre = (ph + z * z / (2.0 * nf)) / (1.0 + z * z / nf);
    let half = z / (1.0 + z * z / nf) * (ph * (1.0 - ph) / nf + z * z / (4.0 * nf * nf)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

fn calibration_data(c: &Cohort) -> CalibrationPlotData {
    let n = c.p.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| c.p[a].total_cmp(&c.p[b]));
    let groups = order
        .chunks(n.div_ceil(10))
        .map(|idx| {
            let events = idx.iter().filter(|&&i| c.y[i]).count();
            let (ci_low, ci_high) = wilson(events, idx.len());
            GroupPoint {
                mean_predicted: idx.iter().map(|&i| c.p[i]).sum::<f64>() / idx.len() as f64,
                observed: events as f64 / idx.len() as f64,
                ci_low,
                ci_high,
                n: idx.len(),
                events,
            }
        })
        .collect();
    // Kernel smoother on a grid up to the 99th percentile (stands in for lowess + bootstrap).
    let hi = c.p[order[(0.99 * n as f64) as usize]];
    let lo = c.p[order[n / 100]];
    let curve = (0..60)
        .map(|k| {
            let x = lo + (hi - lo) * k as f64 / 59.0;
            let (mut sw, mut swy, mut sw2) = (0.0, 0.0, 0.0);
            for i in 0..n {
                let w = (-0.5 * ((c.p[i] - x) / 0.03).powi(2)).exp();
                sw += w;
                sw2 += w * w;
                swy += w * if c.y[i] { 1.0 } else { 0.0 };
            }
            let obs: f64 = swy / sw;
            let n_eff = sw * sw / sw2;
            let se = (obs * (1.0 - obs) / n_eff).sqrt();
            CurvePoint {
                predicted: x,
                observed: obs,
                ci_low: (obs - 1.96 * se).max(0.0),
                ci_high: (obs + 1.96 * se).min(1.0),
            }
        })
        .collect();
    let rules = c
        .stops
        .iter()
        .map(|(name, stop)| {
            let idx: Vec<usize> = (0..n).filter(|&i| stop[i]).collect();
            let events = idx.iter().filter(|&&i| c.y[i]).count();
            let (ci_low, ci_high) = wilson(events, idx.len());
            RulePoint {
                name: name.clone(),
                mean_predicted: idx.iter().map(|&i| c.p[i]).sum::<f64>() / idx.len() as f64,
                observed: events as f64 / idx.len() as f64,
                ci_low,
                ci_high,
                n: idx.len(),
            }
        })
        .collect();
    let events = c.y.iter().filter(|v| **v).count();
    CalibrationPlotData {
        curve,
        groups,
        corrected: Vec::new(),
        rules,
        predicted_events: (0..n).filter(|&i| c.y[i]).map(|i| c.p[i]).collect(),
        predicted_non_events: (0..n).filter(|&i| !c.y[i]).map(|i| c.p[i]).collect(),
        title: "Calibration of the 24-month bone-event model".into(),
        caption: format!(
            "n = {n}, events = {events}. Smoothed: lowess; band: 95% bootstrap (B = 200). \
             Bars: predictions of patients with (up) and without (down) an event."
        ),
        stats_text: vec![
            "C = 0.74 (0.71\u{2013}0.77)".into(),
            "Slope = 0.85".into(),
            "Intercept = \u{2212}0.04".into(),
            "Eavg = 0.012, E90 = 0.021".into(),
        ],
        horizon: "24-month".into(),
        event: "bone event".into(),
        histogram_labels: None,
        rule_label: "patients stopped".into(),
    }
}

fn auc(c: &Cohort) -> f64 {
    let pos: Vec<f64> = (0..c.p.len()).filter(|&i| c.y[i]).map(|i| c.p[i]).collect();
    let neg: Vec<f64> = (0..c.p.len())
        .filter(|&i| !c.y[i])
        .map(|i| c.p[i])
        .collect();
    let mut s = 0.0;
    for a in &pos {
        for b in &neg {
            s += if a > b {
                1.0
            } else if a == b {
                0.5
            } else {
                0.0
            };
        }
    }
    s / (pos.len() * neg.len()) as f64
}

/// (fpr, tpr) of the policy "continue" = !stop; positive = event.
fn rates(c: &Cohort, cont: impl Fn(usize) -> bool) -> (f64, f64) {
    let (mut tp, mut fp, mut pos, mut neg) = (0.0, 0.0, 0.0, 0.0);
    for i in 0..c.p.len() {
        if c.y[i] {
            pos += 1.0;
            tp += f64::from(u8::from(cont(i)));
        } else {
            neg += 1.0;
            fp += f64::from(u8::from(cont(i)));
        }
    }
    (fp / neg, tp / pos)
}

fn roc_data(c: &Cohort) -> RocPlotData {
    let mut cuts: Vec<f64> = c.p.clone();
    cuts.sort_by(|a, b| b.total_cmp(a));
    let mut points = vec![(0.0, 0.0)];
    for t in cuts.iter().step_by(10) {
        points.push(rates(c, |i| c.p[i] >= *t));
    }
    points.push((1.0, 1.0));
    let rules = c
        .stops
        .iter()
        .map(|(name, stop)| {
            let (fpr, tpr) = rates(c, |i| !stop[i]);
            RulePointRoc {
                name: name.clone(),
                fpr,
                tpr,
            }
        })
        .collect();
    RocPlotData {
        curves: vec![RocCurve {
            name: "Model".into(),
            points,
            auc: auc(c),
        }],
        rules,
        caption: "n = 2000. Positive = bone event by 24 months (therapy should continue); \
                  each rule is one operating point."
            .into(),
    }
}

fn net_benefit(c: &Cohort, t: f64, cont: impl Fn(usize) -> bool) -> f64 {
    let n = c.p.len() as f64;
    let (mut tp, mut fp) = (0.0, 0.0);
    for i in 0..c.p.len() {
        if cont(i) {
            if c.y[i] {
                tp += 1.0;
            } else {
                fp += 1.0;
            }
        }
    }
    tp / n - fp / n * t / (1.0 - t)
}

fn decision_data(c: &Cohort) -> DecisionCurveData {
    let thresholds: Vec<f64> = (1..100).map(|k| k as f64 / 100.0).collect();
    let model: Vec<f64> = thresholds
        .iter()
        .map(|&t| net_benefit(c, t, |i| c.p[i] >= t))
        .collect();
    let mut series = vec![NetBenefitSeries {
        name: "Model".into(),
        kind: SeriesKind::Model,
        ci_low: Some(model.iter().map(|v| v - 0.012).collect()),
        ci_high: Some(model.iter().map(|v| v + 0.012).collect()),
        net_benefit: model,
    }];
    for (name, stop) in &c.stops {
        series.push(NetBenefitSeries {
            name: name.clone(),
            kind: SeriesKind::Rule,
            net_benefit: thresholds
                .iter()
                .map(|&t| net_benefit(c, t, |i| !stop[i]))
                .collect(),
            ci_low: None,
            ci_high: None,
        });
    }
    series.push(NetBenefitSeries {
        name: "Continue all".into(),
        kind: SeriesKind::ContinueAll,
        net_benefit: thresholds
            .iter()
            .map(|&t| net_benefit(c, t, |_| true))
            .collect(),
        ci_low: None,
        ci_high: None,
    });
    series.push(NetBenefitSeries {
        name: "Stop all".into(),
        kind: SeriesKind::StopAll,
        net_benefit: vec![0.0; thresholds.len()],
        ci_low: None,
        ci_high: None,
    });
    DecisionCurveData {
        thresholds,
        series,
        caption: "n = 2000, events = 310. Net benefit of continuing bone protection \
                  (dcurves definition); band: 95% bootstrap."
            .into(),
        x_max: DecisionCurveData::DEFAULT_X_MAX,
        event: "bone event".into(),
        y_title: "Net benefit of continuing therapy".into(),
    }
}

fn distribution_data(c: &Cohort) -> RiskDistributionData {
    let cal = calibration_data(c);
    RiskDistributionData {
        predicted_events: cal.predicted_events,
        predicted_non_events: cal.predicted_non_events,
        thresholds_marked: vec![
            ("Stop below 0.10".into(), 0.10),
            ("Model at two-year stop rate".into(), 0.12),
        ],
        caption: "Histograms as percentage of each outcome group.".into(),
        horizon: "24-month".into(),
        event: "bone event".into(),
    }
}

fn trajectory_data(seed: u64) -> TrajectoryData {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let months: Vec<f64> = (0..=8).map(|k| 3.0 * k as f64).collect();
    let risk: Vec<f64> = months
        .iter()
        .map(|m| (0.06 + 0.012 * m + 0.01 * rng.gen::<f64>()).min(0.9))
        .collect();
    let ctx: Vec<f64> = months
        .iter()
        .map(|m| 0.18 + 0.025 * m + 0.04 * rng.gen::<f64>())
        .collect();
    let p1np: Vec<f64> = months
        .iter()
        .map(|m| 35.0 + 2.5 * m + 8.0 * rng.gen::<f64>())
        .collect();
    TrajectoryData {
        patient_id: "MM-0412".into(),
        months: months.clone(),
        risk,
        markers: vec![
            MarkerSeries {
                name: "CTX-I".into(),
                unit: "ng/mL".into(),
                months: months.clone(),
                values: ctx,
            },
            MarkerSeries {
                name: "P1NP".into(),
                unit: "ng/mL".into(),
                months: months.iter().copied().step_by(2).collect(),
                values: p1np.into_iter().step_by(2).collect(),
            },
        ],
        triggers: vec![
            ("CTX above range".into(), 12.0),
            ("MRD positive".into(), 15.0),
            ("Risk above threshold".into(), 12.5),
        ],
        event_month: Some(21.5),
        threshold: Some(0.2),
        caption: "Risk re-estimated at each visit by the landmark model; dotted lines: triggers."
            .into(),
        event_label: "Bone event".into(),
        time_title: "Months since decision point".into(),
    }
}

// ---------------------------------------------------------------------------------------------
// Checks

fn png_size(png: &[u8]) -> (u32, u32) {
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "PNG signature");
    assert_eq!(&png[12..16], b"IHDR");
    let w = u32::from_be_bytes(png[16..20].try_into().expect("4 bytes"));
    let h = u32::from_be_bytes(png[20..24].try_into().expect("4 bytes"));
    (w, h)
}

fn check_figure(fig: &Figure, stem: &str, texts: &[&str]) {
    assert!(fig.svg.starts_with("<svg"), "{stem}: SVG document");
    assert!(fig.svg.contains(r#"width="800""#), "{stem}: SVG width");
    for t in texts {
        assert!(fig.svg.contains(t), "{stem}: SVG lacks {t:?}");
    }
    assert_eq!(png_size(&fig.png), (1600, 1200), "{stem}: PNG size");
    assert!(
        fig.png.len() > 20_000 && fig.png.len() < 3_000_000,
        "{stem}: PNG of {} bytes",
        fig.png.len()
    );
    if let Some(dir) = std::env::var_os("MBDRISK_PLOT_DIR") {
        fig.write(std::path::Path::new(&dir), stem)
            .expect("write figure");
    }
}

#[test]
fn calibration_plot_renders_labels_legend_and_rules() {
    let c = cohort(2000, 11);
    let fig = calibration_plot(&calibration_data(&c)).expect("calibration plot");
    check_figure(
        &fig,
        "calibration",
        &[
            "Predicted 24-month risk of bone event",
            "Observed proportion with bone event",
            "Ideal",
            "Smoothed calibration",
            "Deciles of risk",
            "Two-year rule",
            "IMWG 2021",
            "Slope = 0.85",
            "n = 2000",
        ],
    );
}

#[test]
fn calibration_plot_works_without_histogram_rules_or_curve() {
    let c = cohort(300, 5);
    let mut d = calibration_data(&c);
    d.predicted_events.clear();
    d.predicted_non_events.clear();
    d.rules.clear();
    d.curve.clear();
    d.stats_text.clear();
    d.title.clear();
    let fig = calibration_plot(&d).expect("calibration plot");
    check_figure(
        &fig,
        "calibration_minimal",
        &["Predicted 24-month risk of bone event"],
    );
}

#[test]
fn roc_plot_renders_curve_and_rule_points() {
    let c = cohort(2000, 11);
    let fig = roc_plot(&roc_data(&c)).expect("ROC plot");
    check_figure(
        &fig,
        "roc",
        &[
            "Sensitivity",
            "specificity",
            "Model (AUC 0.",
            "Two-year rule",
            "Chance",
        ],
    );
}

#[test]
fn decision_curve_renders_all_strategies() {
    let c = cohort(2000, 11);
    let fig = decision_curve_plot(&decision_data(&c)).expect("decision curve");
    check_figure(
        &fig,
        "decision_curve",
        &[
            "Threshold probability of bone event",
            "Net benefit",
            "Model, 95% CI",
            "Two-year rule",
            "Continue all",
            "Stop all",
        ],
    );
}

#[test]
fn risk_distribution_renders_groups_and_thresholds() {
    let c = cohort(2000, 11);
    let fig = risk_distribution_plot(&distribution_data(&c)).expect("distribution");
    check_figure(
        &fig,
        "risk_distribution",
        &[
            "Predicted 24-month risk of bone event",
            "Event (n = ",
            "No event (n = ",
            "Stop below 0.10",
        ],
    );
}

#[test]
fn trajectory_renders_panels_and_triggers() {
    let fig = trajectory_plot(&trajectory_data(3)).expect("trajectory");
    check_figure(
        &fig,
        "trajectory",
        &[
            "Patient MM-0412",
            "Months since decision point",
            "Predicted risk",
            "CTX-I (ng/mL)",
            "P1NP (ng/mL)",
            "MRD positive",
            "Bone event",
            "Threshold 0.20",
        ],
    );
}

#[test]
fn figure_write_creates_both_files() {
    let c = cohort(500, 2);
    let fig = roc_plot(&roc_data(&c)).expect("ROC plot");
    let dir = tempfile::tempdir().expect("tempdir");
    fig.write(dir.path(), "roc").expect("write");
    let svg = std::fs::read_to_string(dir.path().join("roc.svg")).expect("svg");
    let png = std::fs::read(dir.path().join("roc.png")).expect("png");
    assert_eq!(svg, fig.svg);
    assert_eq!(png, fig.png);
}

// ---------------------------------------------------------------------------------------------
// Bad input: an error naming the field, never a panic.

#[test]
fn rejects_empty_calibration() {
    let d = CalibrationPlotData {
        curve: vec![],
        groups: vec![],
        corrected: Vec::new(),
        rules: vec![],
        predicted_events: vec![],
        predicted_non_events: vec![],
        title: String::new(),
        caption: String::new(),
        stats_text: vec![],
        horizon: "24-month".into(),
        event: "bone event".into(),
        histogram_labels: None,
        rule_label: "patients stopped".into(),
    };
    assert!(matches!(calibration_plot(&d), Err(PlotError::Empty { .. })));
}

#[test]
fn rejects_non_finite_calibration_curve() {
    let mut d = calibration_data(&cohort(300, 1));
    d.curve[3].observed = f64::NAN;
    let err = calibration_plot(&d).expect_err("NaN");
    assert!(
        matches!(err, PlotError::NonFinite { index: 3, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("curve.observed"), "{err}");
}

#[test]
fn rejects_probability_out_of_range() {
    let mut d = distribution_data(&cohort(300, 1));
    d.predicted_events[0] = 1.5;
    assert!(matches!(
        risk_distribution_plot(&d),
        Err(PlotError::OutOfRange { index: 0, .. })
    ));
}

#[test]
fn rejects_empty_roc() {
    let d = RocPlotData {
        curves: vec![],
        rules: vec![],
        caption: String::new(),
    };
    assert!(matches!(roc_plot(&d), Err(PlotError::Empty { .. })));
    let d = RocPlotData {
        curves: vec![RocCurve {
            name: "Model".into(),
            points: vec![(0.0, 0.0), (f64::INFINITY, 1.0)],
            auc: 0.5,
        }],
        rules: vec![],
        caption: String::new(),
    };
    assert!(matches!(roc_plot(&d), Err(PlotError::NonFinite { .. })));
}

#[test]
fn rejects_mismatched_decision_curve() {
    let mut d = decision_data(&cohort(300, 1));
    d.series[1].net_benefit.pop();
    let err = decision_curve_plot(&d).expect_err("length");
    assert!(matches!(err, PlotError::LengthMismatch { .. }), "{err}");
    let mut d = decision_data(&cohort(300, 1));
    d.series[0].ci_high.as_mut().expect("ci")[5] = f64::NAN;
    assert!(matches!(
        decision_curve_plot(&d),
        Err(PlotError::NonFinite { index: 5, .. })
    ));
    let mut d = decision_data(&cohort(300, 1));
    d.x_max = 0.0;
    assert!(matches!(
        decision_curve_plot(&d),
        Err(PlotError::OutOfRange { .. })
    ));
    d.thresholds.clear();
    assert!(matches!(
        decision_curve_plot(&d),
        Err(PlotError::Empty { .. })
    ));
}

#[test]
fn rejects_bad_trajectory() {
    let mut d = trajectory_data(1);
    d.risk.pop();
    assert!(matches!(
        trajectory_plot(&d),
        Err(PlotError::LengthMismatch { .. })
    ));
    let mut d = trajectory_data(1);
    d.markers[0].values[2] = f64::NAN;
    assert!(matches!(
        trajectory_plot(&d),
        Err(PlotError::NonFinite { index: 2, .. })
    ));
    let mut d = trajectory_data(1);
    d.months.clear();
    d.risk.clear();
    assert!(matches!(trajectory_plot(&d), Err(PlotError::Empty { .. })));
}

#[test]
fn odd_but_valid_input_still_renders() {
    // One visit, no markers, everything at zero, a rule stopping nobody.
    let d = TrajectoryData {
        patient_id: "X".into(),
        months: vec![0.0],
        risk: vec![0.0],
        markers: vec![MarkerSeries {
            name: "CTX-I".into(),
            unit: "ng/mL".into(),
            months: vec![],
            values: vec![],
        }],
        triggers: vec![],
        event_month: None,
        threshold: None,
        caption: String::new(),
        event_label: "Bone event".into(),
        time_title: "Months since decision point".into(),
    };
    trajectory_plot(&d).expect("single visit");
    // Extreme but finite numbers: no panic, no tick explosion.
    let mut d = trajectory_data(4);
    d.months[8] = 1e12;
    d.markers[0].values = vec![-3.0, -1.0, 0.0, 1e300, 2.0, 1.0, 0.5, 0.2, 0.1];
    trajectory_plot(&d).expect("extreme months and values");
    let mut cal = calibration_data(&cohort(200, 9));
    cal.rules.push(RulePoint {
        name: "Stops nobody".into(),
        mean_predicted: f64::NAN,
        observed: f64::NAN,
        ci_low: f64::NAN,
        ci_high: f64::NAN,
        n: 0,
    });
    let fig = calibration_plot(&cal).expect("rule with n = 0 is left out");
    assert!(!fig.svg.contains("Stops nobody"));
    let flat = DecisionCurveData {
        thresholds: vec![0.1, 0.2],
        series: vec![NetBenefitSeries {
            name: "Stop all".into(),
            kind: SeriesKind::StopAll,
            net_benefit: vec![0.0, 0.0],
            ci_low: None,
            ci_high: None,
        }],
        caption: String::new(),
        x_max: 0.5,
        event: "bone event".into(),
        y_title: "Net benefit of continuing therapy".into(),
    };
    decision_curve_plot(&flat).expect("all-zero net benefit");
}

/// A visit without a model risk (NaN) breaks the risk line instead of joining its
/// neighbours (issue 12, item 9), and a trajectory of such visits only is refused.
#[test]
fn trajectory_lines_break_at_visits_without_a_risk() {
    let polylines = |d: &TrajectoryData| {
        trajectory_plot(d)
            .expect("renders")
            .svg
            .matches("<polyline")
            .count()
    };
    let mut d = trajectory_data(5);
    d.markers.clear();
    let whole = polylines(&d);
    d.risk[3] = f64::NAN;
    assert_eq!(polylines(&d), whole + 1, "one more line piece");
    d.risk.iter_mut().for_each(|r| *r = f64::NAN);
    assert!(trajectory_plot(&d).is_err());
}
