//! Metrics on (predicted, observed) pairs against R reference values: `rms::val.prob` (every
//! statistic it reports), `pROC` DeLong AUC / variance / CI, `Hmisc::somers2`, `glm`
//! recalibration and citl, `stats::lowess(iter = 0)` fitted values, and the grouped table with
//! `prop.test` Wilson limits. The values were made by `tests/golden/metrics/make_goldens.R`
//! (R 4.2.2, rms 6.5.0, pROC 1.18.0); R is not needed to run these tests.
//!
//! Run with `--nocapture` to see the largest error observed for each comparison.

use crate::tolerances;

use std::collections::HashMap;
use std::path::PathBuf;

use mbdrisk::metrics::{
    auc_delong, calibration_table, evaluate, lowess, smoothed_calibration_at, val_prob,
    CalibrationGroup, MetricsError,
};
use tolerances::{
    METRICS_AUC_ABS, METRICS_CAL_ERROR_ABS, METRICS_DELONG_CI_ABS, METRICS_DELONG_VAR_REL,
    METRICS_LOWESS_ABS, METRICS_VALPROB_ABS, METRICS_WILSON_ABS,
};

const DATASETS: [&str; 4] = [
    "well_calibrated",
    "overconfident_ties",
    "small_n60",
    "exact_zero_one",
];

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/metrics")
}

/// Rows of a headered CSV of plain numbers/words (no quoting in these files).
fn read_rows(file: &str) -> Vec<Vec<String>> {
    let path = golden_dir().join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

fn num(s: &str) -> f64 {
    s.parse()
        .unwrap_or_else(|e| panic!("not a number: {s:?}: {e}"))
}

fn numeric_columns(file: &str) -> Vec<Vec<f64>> {
    read_rows(file)
        .iter()
        .map(|r| r.iter().map(|v| num(v)).collect())
        .collect()
}

fn data(name: &str) -> (Vec<f64>, Vec<f64>) {
    numeric_columns(&format!("{name}.csv"))
        .into_iter()
        .map(|r| (r[0], r[1]))
        .unzip()
}

fn golden(name: &str) -> HashMap<String, f64> {
    read_rows(&format!("{name}_golden.csv"))
        .into_iter()
        .filter(|r| r[1] != "NA")
        .map(|r| (r[0].clone(), num(&r[1])))
        .collect()
}

/// Tracks the largest absolute (or relative) error of one comparison across datasets.
struct Check {
    label: &'static str,
    tol: f64,
    relative: bool,
    worst: f64,
}

impl Check {
    fn abs(label: &'static str, tol: f64) -> Check {
        Check {
            label,
            tol,
            relative: false,
            worst: 0.0,
        }
    }

    fn rel(label: &'static str, tol: f64) -> Check {
        Check {
            relative: true,
            ..Check::abs(label, tol)
        }
    }

    fn compare(&mut self, context: &str, got: f64, want: f64) {
        let err = if self.relative {
            (got - want).abs() / want.abs().max(f64::MIN_POSITIVE)
        } else {
            (got - want).abs()
        };
        assert!(
            err <= self.tol,
            "{context} {}: got {got:.17e}, R {want:.17e}, error {err:.3e} > {:.0e}",
            self.label,
            self.tol
        );
        self.worst = self.worst.max(err);
    }

    fn report(&self) {
        let kind = if self.relative { "rel" } else { "abs" };
        eprintln!(
            "{:<34} max {kind} error {:.2e} (tolerance {:.0e})",
            self.label, self.worst, self.tol
        );
    }
}

#[test]
fn val_prob_matches_rms_on_every_statistic() {
    let mut checks: Vec<(&str, Check)> = vec![
        (
            "Dxy",
            Check::abs("val.prob Dxy (rms-binned)", METRICS_VALPROB_ABS),
        ),
        (
            "C (ROC)",
            Check::abs("val.prob C (rms-binned)", METRICS_VALPROB_ABS),
        ),
        ("R2", Check::abs("val.prob R2", METRICS_VALPROB_ABS)),
        ("D", Check::abs("val.prob D", METRICS_VALPROB_ABS)),
        (
            "D:Chi-sq",
            Check::rel("val.prob D:Chi-sq", METRICS_VALPROB_ABS),
        ),
        ("U", Check::abs("val.prob U", METRICS_VALPROB_ABS)),
        (
            "U:Chi-sq",
            Check::abs("val.prob U:Chi-sq", METRICS_VALPROB_ABS),
        ),
        ("U:p", Check::abs("val.prob U:p", METRICS_VALPROB_ABS)),
        ("Q", Check::abs("val.prob Q", METRICS_VALPROB_ABS)),
        ("Brier", Check::abs("val.prob Brier", METRICS_VALPROB_ABS)),
        (
            "Intercept",
            Check::abs("val.prob Intercept", METRICS_VALPROB_ABS),
        ),
        ("Slope", Check::abs("val.prob Slope", METRICS_VALPROB_ABS)),
        ("Emax", Check::abs("val.prob Emax", METRICS_CAL_ERROR_ABS)),
        ("E90", Check::abs("val.prob E90", METRICS_CAL_ERROR_ABS)),
        ("Eavg", Check::abs("val.prob Eavg", METRICS_CAL_ERROR_ABS)),
        ("S:z", Check::abs("val.prob S:z", METRICS_VALPROB_ABS)),
        ("S:p", Check::abs("val.prob S:p", METRICS_VALPROB_ABS)),
    ];
    for name in DATASETS {
        let (p, y) = data(name);
        let g = golden(name);
        let v = val_prob(&p, &y).expect(name);
        let ours = HashMap::from([
            ("Dxy", v.dxy),
            ("C (ROC)", v.c_roc),
            ("R2", v.r2),
            ("D", v.d),
            ("D:Chi-sq", v.d_chisq),
            ("U", v.u),
            ("U:Chi-sq", v.u_chisq),
            ("U:p", v.u_p),
            ("Q", v.q),
            ("Brier", v.brier),
            ("Intercept", v.intercept),
            ("Slope", v.slope),
            ("Emax", v.emax),
            ("E90", v.e90),
            ("Eavg", v.eavg),
            ("S:z", v.s_z),
            ("S:p", v.s_p),
        ]);
        for (stat, check) in &mut checks {
            let want = g[&format!("valprob_{stat}")];
            check.compare(name, ours[stat], want);
        }
        assert_eq!(v.n_excluded as f64, g["n_excluded_logistic"], "{name}");
    }
    checks.iter().for_each(|(_, c)| c.report());
}

#[test]
fn delong_auc_variance_and_ci_match_proc() {
    let mut auc = Check::abs("pROC AUC", METRICS_AUC_ABS);
    let mut lo = Check::abs("pROC DeLong CI low", METRICS_DELONG_CI_ABS);
    let mut hi = Check::abs("pROC DeLong CI high", METRICS_DELONG_CI_ABS);
    let mut var = Check::rel("pROC DeLong variance", METRICS_DELONG_VAR_REL);
    for name in DATASETS {
        let (p, y) = data(name);
        let g = golden(name);
        let d = auc_delong(&p, &y, 0.95).expect(name);
        auc.compare(name, d.auc, g["proc_auc"]);
        lo.compare(name, d.ci_low, g["proc_ci_low"]);
        hi.compare(name, d.ci_high, g["proc_ci_high"]);
        var.compare(name, d.variance, g["proc_var_delong"]);
    }
    [auc, lo, hi, var].iter().for_each(Check::report);
}

#[test]
fn evaluate_matches_the_r_references() {
    let mut checks = [
        Check::abs("Metrics.auc vs pROC", METRICS_AUC_ABS),
        Check::abs("Metrics.dxy vs somers2", METRICS_AUC_ABS),
        Check::abs("Metrics.brier vs val.prob", METRICS_VALPROB_ABS),
        Check::abs("Metrics.scaled_brier", METRICS_VALPROB_ABS),
        Check::abs("Metrics.log_loss", METRICS_VALPROB_ABS),
        Check::abs("Metrics.r2_nagelkerke vs val.prob", METRICS_VALPROB_ABS),
        Check::abs("Metrics.citl vs glm offset", METRICS_VALPROB_ABS),
        Check::abs("Metrics.calibration_intercept glm", METRICS_VALPROB_ABS),
        Check::abs("Metrics.calibration_slope glm", METRICS_VALPROB_ABS),
        Check::abs("Metrics.oe_ratio", METRICS_VALPROB_ABS),
        Check::abs("Metrics.eavg vs val.prob", METRICS_CAL_ERROR_ABS),
        Check::abs("Metrics.e50", METRICS_CAL_ERROR_ABS),
        Check::abs("Metrics.e90 vs val.prob", METRICS_CAL_ERROR_ABS),
        Check::abs("Metrics.emax vs val.prob", METRICS_CAL_ERROR_ABS),
        Check::abs("Metrics.spiegelhalter_z vs val.prob", METRICS_VALPROB_ABS),
        Check::abs("Metrics.auc_ci_low vs pROC", METRICS_DELONG_CI_ABS),
        Check::abs("Metrics.auc_ci_high vs pROC", METRICS_DELONG_CI_ABS),
        Check::rel("Metrics.auc_se^2 vs pROC var", METRICS_DELONG_VAR_REL),
    ];
    for name in DATASETS {
        let (p, y) = data(name);
        let g = golden(name);
        let m = evaluate(&p, &y).expect(name);
        let pairs = [
            (m.auc, g["proc_auc"]),
            (m.dxy, g["somers2_dxy"]),
            (m.brier, g["valprob_Brier"]),
            (m.scaled_brier, g["scaled_brier"]),
            (m.log_loss, g["log_loss"]),
            (m.r2_nagelkerke, g["valprob_R2"]),
            (m.citl, g["glm_citl"]),
            (m.calibration_intercept, g["glm_intercept"]),
            (m.calibration_slope, g["glm_slope"]),
            (m.oe_ratio, g["oe_ratio"]),
            (m.eavg, g["valprob_Eavg"]),
            (m.e50, g["e50"]),
            (m.e90, g["valprob_E90"]),
            (m.emax, g["valprob_Emax"]),
            (m.spiegelhalter_z, g["valprob_S:z"]),
            (m.auc_ci_low, g["proc_ci_low"]),
            (m.auc_ci_high, g["proc_ci_high"]),
            (m.auc_se * m.auc_se, g["proc_var_delong"]),
        ];
        for (check, (got, want)) in checks.iter_mut().zip(pairs) {
            check.compare(name, got, want);
        }
    }
    checks.iter().for_each(Check::report);
}

#[test]
fn rms_binned_concordance_is_why_val_prob_dxy_differs_from_the_exact_one() {
    // With continuous predictions the 1/5000 binning of rms moves C by ~1e-5; with predictions
    // rounded to 0.01 no two distinct values share a bin, so val.prob's C is exact.
    let (p, y) = data("well_calibrated");
    let g = golden("well_calibrated");
    let diff = (g["valprob_C (ROC)"] - g["somers2_c"]).abs();
    assert!(diff > 1e-7, "binning should be visible: {diff}");
    let (p2, y2) = data("overconfident_ties");
    let g2 = golden("overconfident_ties");
    let m = evaluate(&p2, &y2).expect("ties");
    assert!((m.dxy - g2["valprob_Dxy"]).abs() < METRICS_AUC_ABS);
    let v = val_prob(&p, &y).expect("val_prob");
    assert!((v.c_roc - g["valprob_C (ROC)"]).abs() < METRICS_AUC_ABS);
}

#[test]
fn lowess_matches_r_lowess_iter0() {
    let mut fit_check = Check::abs("lowess(p, y, iter = 0) fitted", METRICS_LOWESS_ABS);
    let mut grid_check = Check::abs("approx(lowess) at grid", METRICS_LOWESS_ABS);
    for name in DATASETS {
        let (p, y) = data(name);
        let fit = lowess(&p, &y, 2.0 / 3.0, None).expect(name);
        let reference = numeric_columns(&format!("{name}_lowess.csv"));
        assert_eq!(fit.x.len(), reference.len(), "{name}");
        for ((x, f), r) in fit.x.iter().zip(&fit.fitted).zip(&reference) {
            assert_eq!(*x, r[0], "{name}: sorted x");
            fit_check.compare(name, *f, r[1]);
        }
        let grid = numeric_columns(&format!("{name}_grid.csv"));
        let at: Vec<f64> = grid.iter().map(|r| r[0]).collect();
        let smooth = smoothed_calibration_at(&p, &y, &at).expect(name);
        for (s, r) in smooth.iter().zip(&grid) {
            let s = s.unwrap_or_else(|| panic!("{name}: grid point {} outside range", r[0]));
            grid_check.compare(name, s, r[1]);
        }
    }
    fit_check.report();
    grid_check.report();
}

#[test]
fn calibration_table_matches_r_grouping_and_prop_test() {
    let mut wilson = Check::abs("calibration table Wilson limits", METRICS_WILSON_ABS);
    for name in DATASETS {
        let (p, y) = data(name);
        let table = calibration_table(&p, &y, 10, 0.95).expect(name);
        let reference = numeric_columns(&format!("{name}_table.csv"));
        assert_eq!(table.len(), reference.len(), "{name}: number of groups");
        for (row, r) in table.iter().zip(&reference) {
            let CalibrationGroup {
                group,
                n,
                events,
                mean_predicted,
                observed,
                ci_low,
                ci_high,
                ..
            } = *row;
            assert_eq!((group as f64, n as f64, events as f64), (r[0], r[1], r[2]));
            assert!(
                (mean_predicted - r[3]).abs() < 1e-12,
                "{name} group {group}"
            );
            assert!((observed - r[4]).abs() < 1e-15, "{name} group {group}");
            wilson.compare(name, ci_low, r[5]);
            wilson.compare(name, ci_high, r[6]);
        }
    }
    wilson.report();
}

// One test per error class, through the top-level entry point.

#[test]
fn rejects_empty_input() {
    let err = evaluate(&[], &[]).expect_err("empty");
    assert_eq!(err, MetricsError::Empty);
    assert!(err.to_string().contains("empty"));
}

#[test]
fn rejects_length_mismatch() {
    let err = evaluate(&[0.2, 0.4, 0.5], &[0.0, 1.0]).expect_err("mismatch");
    assert_eq!(
        err,
        MetricsError::LengthMismatch {
            predicted: 3,
            observed: 2
        }
    );
    assert!(err
        .to_string()
        .contains("3 predicted probabilities but 2 observed outcomes"));
}

#[test]
fn rejects_probabilities_outside_unit_interval_or_not_finite() {
    for bad in [1.5, -0.1, f64::NAN, f64::INFINITY, 35.0] {
        let err = evaluate(&[0.2, bad, 0.5], &[0.0, 1.0, 1.0]).expect_err("bad p");
        assert!(
            matches!(err, MetricsError::ProbabilityOutOfRange { index: 1, .. }),
            "{bad}: {err:?}"
        );
        assert!(err.to_string().contains("between 0 and 1"));
    }
}

#[test]
fn rejects_outcome_not_zero_one() {
    let err = evaluate(&[0.2, 0.3, 0.5], &[0.0, 2.0, 1.0]).expect_err("bad y");
    assert_eq!(
        err,
        MetricsError::OutcomeNotBinary {
            index: 1,
            value: 2.0
        }
    );
    assert!(err
        .to_string()
        .contains("expected 0 (no event) or 1 (event)"));
}

#[test]
fn rejects_one_class_outcome() {
    let err = evaluate(&[0.2, 0.3, 0.5], &[0.0, 0.0, 0.0]).expect_err("one class");
    assert_eq!(err, MetricsError::OneClass { n: 3, class: 0 });
    assert!(err.to_string().contains("only one outcome class"));
}

#[test]
fn rejects_constant_predictions() {
    let err = evaluate(&[0.3; 4], &[0.0, 1.0, 0.0, 1.0]).expect_err("constant");
    assert_eq!(err, MetricsError::ConstantPredictions { n: 4, value: 0.3 });
    assert!(err.to_string().contains("calibration slope is undefined"));
}

#[test]
fn rejects_degenerate_sample_after_leaving_out_exact_zero_and_one() {
    // Every event is predicted with certainty, so the logistic fit sees no events.
    let err =
        evaluate(&[1.0, 1.0, 0.2, 0.4, 0.3], &[1.0, 1.0, 0.0, 0.0, 0.0]).expect_err("degenerate");
    assert_eq!(
        err,
        MetricsError::DegenerateAfterExclusion {
            n: 5,
            excluded: 2,
            remaining: 3,
            events: 0
        }
    );
    assert!(err.to_string().contains("rms::val.prob"));
}

#[test]
fn rejects_separation_in_the_recalibration() {
    let err = evaluate(
        &[0.1, 0.2, 0.3, 0.6, 0.7, 0.8],
        &[0.0, 0.0, 0.0, 1.0, 1.0, 1.0],
    )
    .expect_err("separation");
    assert!(matches!(
        err,
        MetricsError::RecalibrationNotConverged { .. }
    ));
    assert!(err.to_string().contains("separate"));
}

#[test]
fn rejects_invalid_options() {
    let (p, y) = data("small_n60");
    let err = auc_delong(&p, &y, 95.0).expect_err("level");
    assert!(matches!(
        err,
        MetricsError::InvalidOption { name: "level", .. }
    ));
    assert!(err.to_string().contains("between 0 and 1"));
    let err = calibration_table(&p, &y, 0, 0.95).expect_err("groups");
    assert!(matches!(
        err,
        MetricsError::InvalidOption { name: "groups", .. }
    ));
}
