//! Bootstrap optimism correction against R `rms::validate` (method "boot") on the demo cohort,
//! formula `event_24m ~ log(ctx_ng_ml) + mrd + pet + response + bpa_months + agent + prior_sre`
//! (complete cases: n = 1519, 208 events). Goldens by `tests/golden/validation/make_goldens.R`
//! (R 4.2.2, rms 6.5-0); R is not needed to run these tests.
//!
//! Two comparisons:
//! 1. `validate_model` with B = 400 and its own resamples vs `validate(fit, B = 400)`: the
//!    apparent indices must agree to 1e-6, the corrected ones to 0.01 (different resamples,
//!    so the difference includes Monte-Carlo error; the golden has two more R seeds to show
//!    R's own spread).
//! 2. Exact replay: the rows R drew (`boot_indices.csv`, the draws of `predab.resample` for
//!    its seed) fed to `optimism_from_indices`; the optimism must agree to 1e-6 with R's
//!    replay and with `validate(fit, B = 50)` itself.
//!
//! Definitions (see make_goldens.R): rms "R2" on a test sample is the Nagelkerke R2 of the
//! *recalibrated* predictions (`lrm.fit(lp, y)`), while mbdrisk's `r2_nagelkerke` is val.prob's
//! R2 of the predictions *as given*: equal on training rows, not on test rows. The replay test
//! checks both definitions exactly. rms "Emax" of validate is a function of the corrected
//! intercept and slope (max |p - plogis(a + b logit p)| on a grid), unrelated to mbdrisk's
//! lowess `emax` (val.prob's Emax): we compare the rms quantity computed from our corrected
//! intercept and slope, never our `emax`.
//!
//! Run with `--nocapture` to see every observed difference.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use mbdrisk::design::MissingPolicy;
use mbdrisk::metrics::{evaluate, logistic_recalibration};
use mbdrisk::model::fit::fit_model;
use mbdrisk::model::logistic::FitOptions;
use mbdrisk::table::Table;
use mbdrisk::validation::{optimism_from_indices, validate_model, Refitter, ValidateOptions};

const FORMULA: &str =
    "event_24m ~ log(ctx_ng_ml) + mrd + pet + response + bpa_months + agent + prior_sre";
/// The first seed of validate_b400.csv: the reference run.
const R_SEED: &str = "20240611";
/// Apparent indices vs rms index.orig and the replayed optimism vs R (absolute). The fits
/// agree to ~1e-9; this is the acceptance bound of the Validation issue.
const APPARENT_ABS: f64 = 1e-6;
/// Replayed optimism / corrected indices vs R over the same resamples (absolute).
const REPLAY_ABS: f64 = 1e-6;
/// Corrected indices with independent resamples, B = 400 on both sides (absolute; acceptance
/// bound of the Validation issue, includes the Monte-Carlo error of both bootstraps).
const CORRECTED_ABS: f64 = 0.01;

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/validation")
}

fn cohort() -> Table {
    Table::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("data/demo/cohort.csv"))
        .expect("demo cohort")
}

fn read(name: &str) -> String {
    std::fs::read_to_string(golden_dir().join(name)).expect(name)
}

/// rms validate's Emax: max |p - plogis(a + b logit p)| over p = 0, 0.0005, ..., 1 (NaN at the
/// ends are dropped as `na.rm = TRUE` does).
fn rms_emax(a: f64, b: f64) -> f64 {
    (0..=2000)
        .map(|i| {
            let p = i as f64 * 5e-4;
            let l = (p / (1.0 - p)).ln();
            (p - 1.0 / (1.0 + (-(a + b * l)).exp())).abs()
        })
        .filter(|d| d.is_finite())
        .fold(f64::NEG_INFINITY, f64::max)
}

/// Nagelkerke R2 of the logistic recalibration `logit P(y) = a + b logit(p)`: rms'
/// `lrm.fit(lp, y)$stats["R2"]`.
fn r2_recalibrated(p: &[f64], y: &[f64]) -> f64 {
    let recal = logistic_recalibration(p, y).expect("recalibration");
    let n = y.len() as f64;
    let ybar = y.iter().sum::<f64>() / n;
    let l0 = -2.0
        * y.iter()
            .map(|&v| v * ybar.ln() + (1.0 - v) * (1.0 - ybar).ln())
            .sum::<f64>();
    let lr = l0 - recal.deviance;
    (1.0 - (-lr / n).exp()) / (1.0 - (-l0 / n).exp())
}

fn check(label: &str, ours: f64, reference: f64, tol: f64, failures: &mut Vec<String>) {
    let d = ours - reference;
    println!("{label:<34} ours {ours:>22.15} R {reference:>22.15} diff {d:>10.2e} (tol {tol:.0e})");
    // NaN differences fail too.
    if d.is_nan() || d.abs() > tol {
        failures.push(format!(
            "{label}: ours {ours} vs R {reference} (diff {d:e}, tol {tol:e})"
        ));
    }
}

#[test]
fn bootstrap_b400_matches_rms_validate() {
    // seed,index,index_orig,optimism,corrected,n
    let text = read("validate_b400.csv");
    let mut rms: HashMap<(String, String), [f64; 3]> = HashMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let num = |i: usize| f[i].parse::<f64>().expect("number");
        rms.insert(
            (f[0].to_string(), f[1].to_string()),
            [num(2), num(3), num(4)],
        );
        assert_eq!(f[5], "400", "every R replicate was used");
    }
    let table = cohort();
    let model =
        fit_model(&table, FORMULA, &FitOptions::default(), MissingPolicy::Drop).expect("fit");
    let opts = ValidateOptions {
        bootstrap: 400,
        seed: 20_240_611,
        curve_bootstrap: 0,
        ..ValidateOptions::default()
    };
    let v = validate_model(&model, &table, None, &opts, &|| {}).expect("validate");
    assert_eq!((v.n, v.events), (1519, 208));
    assert_eq!(v.bootstrap, Some((400, 400)));
    let a = v.apparent;
    let c = v.optimism_corrected.expect("corrected");
    let ours_emax = rms_emax(c.calibration_intercept, c.calibration_slope);
    let pairs: [(&str, f64, f64); 6] = [
        ("Dxy", a.dxy, c.dxy),
        ("R2", a.r2_nagelkerke, c.r2_nagelkerke),
        (
            "Intercept",
            a.calibration_intercept,
            c.calibration_intercept,
        ),
        ("Slope", a.calibration_slope, c.calibration_slope),
        ("B", a.brier, c.brier),
        ("Emax", 0.0, ours_emax),
    ];
    let mut failures = Vec::new();
    for (name, app, cor) in pairs {
        let r = rms[&(R_SEED.to_string(), name.to_string())];
        check(
            &format!("apparent {name}"),
            app,
            r[0],
            APPARENT_ABS,
            &mut failures,
        );
        check(
            &format!("corrected {name}"),
            cor,
            r[2],
            CORRECTED_ABS,
            &mut failures,
        );
        let spread: Vec<f64> = ["20240611", "7", "99"]
            .iter()
            .map(|s| rms[&(s.to_string(), name.to_string())][2])
            .collect();
        let lo = spread.iter().cloned().fold(f64::INFINITY, f64::min);
        let hi = spread.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        println!(
            "{:<34} R corrected over 3 seeds: {lo:.5} .. {hi:.5} (range {:.1e})",
            "",
            hi - lo
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn replayed_resamples_match_rms_exactly() {
    replay(FORMULA, "replay_b50.csv");
}

/// A spline model: the knots of the full fit (on every non-missing value, as rms) are held
/// fixed on every resample, as `rms::validate` refits `lrm.fit` on `fit$x`.
#[test]
fn replayed_resamples_with_a_spline_match_rms_exactly() {
    replay(
        "event_24m ~ rcs(bpa_months, 4) + log(ctx_ng_ml) + mrd + pet + response + agent + prior_sre",
        "replay_rcs_b50.csv",
    );
}

fn replay(formula: &str, golden: &str) {
    let indices: Vec<Vec<usize>> = read("boot_indices.csv")
        .lines()
        .map(|l| {
            l.split(',')
                .map(|v| v.parse::<usize>().expect("index") - 1)
                .collect()
        })
        .collect();
    assert_eq!(indices.len(), 50);
    let table = cohort();
    let full =
        fit_model(&table, formula, &FitOptions::default(), MissingPolicy::Drop).expect("fit");
    // validate_model's own refit: the full fit's design (R's `x = TRUE`) on the complete-case
    // rows in file order (R's `d`, complete.cases, rownames reset).
    let refitter = Refitter::new(&full, &table).expect("design");
    let rows = &refitter.rows;
    assert_eq!(rows.len(), 1519);
    assert!(indices.iter().all(|v| v.len() == rows.len()));
    let yy = &refitter.y;
    let fit = |idx: &[usize]| refitter.refit(idx);
    let measure = |pred: &Vec<f64>, idx: &[usize]| -> mbdrisk::Result<Vec<f64>> {
        let p: Vec<f64> = idx.iter().map(|&k| pred[k]).collect();
        let y: Vec<f64> = idx.iter().map(|&k| yy[k]).collect();
        let m = evaluate(&p, &y).map_err(|e| mbdrisk::Error::Analysis(e.to_string()))?;
        Ok(vec![
            m.dxy,
            r2_recalibrated(&p, &y),
            m.calibration_intercept,
            m.calibration_slope,
            m.brier,
            m.r2_nagelkerke,
        ])
    };
    let names = ["Dxy", "R2", "Intercept", "Slope", "B", "R2_given"];
    let o = optimism_from_indices(rows.len(), &names, &indices, fit, measure).expect("replay");
    assert_eq!(o.used, 50);
    // index,apparent,optimism,corrected,rms_apparent,rms_optimism,rms_corrected
    let text = read(golden);
    let mut failures = Vec::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let j = names.iter().position(|n| *n == f[0]).expect("index name");
        let num = |i: usize| f[i].parse::<f64>().ok();
        let ours = [o.apparent[j], o.optimism[j], o.corrected[j]];
        for (k, what) in ["apparent", "optimism", "corrected"].iter().enumerate() {
            let r = num(1 + k).expect("replay value");
            check(
                &format!("replay {what} {}", f[0]),
                ours[k],
                r,
                REPLAY_ABS,
                &mut failures,
            );
            if let Some(r) = num(4 + k) {
                check(
                    &format!("validate(B=50) {what} {}", f[0]),
                    ours[k],
                    r,
                    REPLAY_ABS,
                    &mut failures,
                );
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
