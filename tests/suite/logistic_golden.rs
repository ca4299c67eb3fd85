//! The logistic engine against reference implementations: R `glm` and `rms::lrm.fit` (maximum
//! likelihood, with and without weights), `brglm2` `AS_mean` (Firth), `rms::lrm.fit` with a
//! penalty matrix, glmnet and scikit-learn (ridge), and linfa-logistic (ridge, an independent
//! Rust implementation). Datasets and reference values were made by
//! `tests/golden/logistic/make_goldens.R` and `make_goldens_sklearn.py`; R is not needed here.
//! Also: one `rejects_*` test per error variant, bit-identical results at 1 and 2 threads and
//! across memory layouts, and weight invariances.
//!
//! Run with `--nocapture` to see the largest error observed in each comparison.

use crate::tolerances;

use std::path::PathBuf;

use mbdrisk::model::logistic::{
    fit_logistic, FitError, FitOptions, LogisticFit, Penalty, SeparationKind,
};
use ndarray::{Array2, ShapeBuilder};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;
use tolerances::{
    COEF_REL, FIRTH_REL, INVARIANCE_REL, LINFA_RIDGE_REL, LOGLIK_REL, PENALIZED_FIT_LOGLIK_REL,
    P_VALUE_REL, RIDGE_COEF_REL, RIDGE_SE_REL, SE_REL,
};

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/logistic")
}

/// A headered CSV of numbers, as (column names, columns).
fn read_csv(file: &str) -> (Vec<String>, Vec<Vec<f64>>) {
    let path = golden_dir().join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut lines = text.lines();
    let names: Vec<String> = lines
        .next()
        .expect("header")
        .split(',')
        .map(str::to_string)
        .collect();
    let mut cols = vec![Vec::new(); names.len()];
    for line in lines.filter(|l| !l.is_empty()) {
        for (c, v) in line.split(',').enumerate() {
            cols[c].push(
                v.parse::<f64>()
                    .unwrap_or_else(|_| panic!("{file}: bad number {v}")),
            );
        }
    }
    (names, cols)
}

fn column<'a>(names: &[String], cols: &'a [Vec<f64>], name: &str) -> &'a [f64] {
    let i = names
        .iter()
        .position(|n| n == name)
        .unwrap_or_else(|| panic!("no column {name}"));
    &cols[i]
}

/// A golden case: its design (row-major), outcome, weights and reference JSON.
struct Case {
    x: Array2<f64>,
    y: Vec<f64>,
    w: Option<Vec<f64>>,
    gold: Value,
}

fn load(case: &str) -> Case {
    let path = golden_dir().join(format!("{case}_golden.json"));
    let gold: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("golden json"))
        .expect("valid json");
    let (names, cols) = read_csv(gold["data"].as_str().expect("data"));
    let xcols: Vec<&str> = gold["x_columns"]
        .as_array()
        .expect("x_columns")
        .iter()
        .map(|v| v.as_str().expect("name"))
        .collect();
    let y = column(&names, &cols, gold["y_column"].as_str().expect("y")).to_vec();
    let n = y.len();
    let x = Array2::from_shape_fn((n, xcols.len()), |(i, j)| {
        column(&names, &cols, xcols[j])[i]
    });
    let w = gold["weights_column"]
        .as_str()
        .map(|c| column(&names, &cols, c).to_vec());
    Case { x, y, w, gold }
}

fn nums(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-300)
}

fn max_rel(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(a, b)| rel(*a, *b))
        .fold(0.0, f64::max)
}

fn check(label: &str, err: f64, tol: f64) {
    println!("{label:<52} max rel error {err:.2e} (tolerance {tol:.0e})");
    assert!(err <= tol, "{label}: {err:e} > {tol:e}");
}

fn fit_case(c: &Case, penalty: Penalty) -> LogisticFit {
    let mut opts = FitOptions::new().penalty(penalty);
    if let Some(w) = &c.w {
        opts = opts.weights(w.clone());
    }
    fit_logistic(c.x.view(), &c.y, &opts).expect("fit")
}

/// Coefficients, SEs, log-likelihoods and LR chi-square against a golden file.
fn compare(case: &str, fit: &LogisticFit, gold: &Value, coef_tol: f64, se_tol: f64) {
    let ll_tol = if fit.penalty == Penalty::None {
        LOGLIK_REL
    } else {
        PENALIZED_FIT_LOGLIK_REL
    };
    check(
        &format!("{case}: coefficients"),
        max_rel(&fit.coefficients, &nums(&gold["coefficients"])),
        coef_tol,
    );
    check(
        &format!("{case}: standard errors"),
        max_rel(&fit.std_errors, &nums(&gold["std_errors"])),
        se_tol,
    );
    let ll = gold["log_likelihood"].as_f64().expect("ll");
    let ll0 = gold["null_log_likelihood"].as_f64().expect("ll0");
    let lr = gold["lr_chi2"].as_f64().expect("lr");
    let ll_err = rel(fit.log_likelihood, ll)
        .max(rel(fit.null_log_likelihood, ll0))
        .max(rel(fit.lr_chi2, lr));
    check(
        &format!("{case}: loglik, null loglik, LR chi2"),
        ll_err,
        ll_tol,
    );
    assert!(fit.converged);
    assert_eq!(fit.df, fit.coefficients.len() - 1);
}

#[test]
fn moderate_matches_glm_and_lrm() {
    let c = load("moderate");
    let fit = fit_case(&c, Penalty::None);
    compare(
        "moderate (glm, rms::lrm.fit)",
        &fit,
        &c.gold,
        COEF_REL,
        SE_REL,
    );
    assert_eq!(fit.n, 2000);
    assert_eq!(fit.events, c.y.iter().sum::<f64>());
    let lrm_lr = c.gold["lrm_model_lr"].as_f64().expect("lrm LR");
    check(
        "moderate: LR chi2 vs rms Model L.R.",
        rel(fit.lr_chi2, lrm_lr),
        LOGLIK_REL,
    );
    check(
        "moderate: z vs summary.glm",
        max_rel(&fit.z(), &nums(&c.gold["z"])),
        SE_REL,
    );
    check(
        "moderate: p-values vs summary.glm",
        max_rel(&fit.p_values(), &nums(&c.gold["p_values"])),
        P_VALUE_REL,
    );
    let ci = fit.wald_ci(0.95);
    let lo: Vec<f64> = ci.iter().map(|c| c.0).collect();
    let hi: Vec<f64> = ci.iter().map(|c| c.1).collect();
    let ci_err = max_rel(&lo, &nums(&c.gold["wald_ci_95_low"]))
        .max(max_rel(&hi, &nums(&c.gold["wald_ci_95_high"])));
    check("moderate: Wald CI vs confint.default", ci_err, SE_REL);
}

#[test]
fn rare_weighted_matches_glm() {
    let c = load("rare_weighted");
    let fit = fit_case(&c, Penalty::None);
    compare(
        "rare_weighted (glm weights=)",
        &fit,
        &c.gold,
        COEF_REL,
        SE_REL,
    );
    let w = c.w.as_ref().expect("weights");
    let events: f64 = w.iter().zip(&c.y).map(|(w, y)| w * y).sum();
    assert!(rel(fit.events, events) < 1e-12);
}

#[test]
fn firth_matches_brglm2() {
    for case in [
        "firth_small",
        "firth_weighted",
        "separated_complete",
        "separated_quasi",
    ] {
        let c = load(case);
        let fit = fit_case(&c, Penalty::Firth);
        compare(
            &format!("{case} (brglm2 AS_mean)"),
            &fit,
            &c.gold,
            FIRTH_REL,
            FIRTH_REL,
        );
        assert!(fit.penalized_log_likelihood > fit.log_likelihood - 50.0);
    }
}

#[test]
fn ridge_matches_rms_glmnet_and_sklearn() {
    for case in ["ridge", "ridge_weighted"] {
        let c = load(case);
        let lambda = c.gold["lambda"].as_f64().expect("lambda");
        let fit = fit_case(&c, Penalty::Ridge(lambda));
        compare(
            &format!("{case} (rms::lrm.fit penalty)"),
            &fit,
            &c.gold,
            RIDGE_COEF_REL,
            RIDGE_SE_REL,
        );
        check(
            &format!("{case}: coefficients vs glmnet"),
            max_rel(&fit.coefficients, &nums(&c.gold["glmnet_coefficients"])),
            RIDGE_COEF_REL,
        );
        let sk: Value = serde_json::from_str(
            &std::fs::read_to_string(golden_dir().join(format!("{case}_sklearn.json")))
                .expect("sklearn json"),
        )
        .expect("json");
        check(
            &format!("{case}: coefficients vs scikit-learn"),
            max_rel(&fit.coefficients, &nums(&sk["coefficients"])),
            RIDGE_COEF_REL,
        );
        let pll = c.gold["penalized_log_likelihood"].as_f64().expect("pll");
        check(
            &format!("{case}: penalised loglik"),
            rel(fit.penalized_log_likelihood, pll),
            LOGLIK_REL,
        );
    }
}

/// linfa-logistic as an independent implementation of the same ridge objective. Its pitfalls
/// (DESIGN "Build notes"): it penalises whatever columns it gets (so we standardise them with
/// the population sd, making its `alpha` our lambda), it ignores weights (unweighted case only),
/// its "positive" class is the more frequent label (flip signs when that is 0), and its
/// gradient tolerance is absolute on the summed gradient (scale by n).
#[test]
fn ridge_agrees_with_linfa() {
    use linfa::prelude::*;
    use linfa_logistic::LogisticRegression;

    let c = load("ridge");
    let lambda = c.gold["lambda"].as_f64().expect("lambda");
    let fit = fit_case(&c, Penalty::Ridge(lambda));
    let (n, p) = c.x.dim();
    let mean: Vec<f64> = (0..p).map(|j| c.x.column(j).sum() / n as f64).collect();
    let sd: Vec<f64> = (0..p)
        .map(|j| {
            (c.x.column(j)
                .iter()
                .map(|v| (v - mean[j]).powi(2))
                .sum::<f64>()
                / n as f64)
                .sqrt()
        })
        .collect();
    let xs = Array2::from_shape_fn((n, p), |(i, j)| (c.x[[i, j]] - mean[j]) / sd[j]);
    let labels: ndarray::Array1<usize> = c.y.iter().map(|&v| v as usize).collect();
    let model = LogisticRegression::default()
        .alpha(lambda)
        .gradient_tolerance(1e-10 * n as f64)
        .max_iterations(10_000)
        .fit(&Dataset::new(xs, labels))
        .expect("linfa fit");
    let sign = if model.labels().pos.class == 1 {
        1.0
    } else {
        -1.0
    };
    let slopes: Vec<f64> = (0..p).map(|j| sign * model.params()[j] / sd[j]).collect();
    let intercept =
        sign * model.intercept() - slopes.iter().zip(&mean).map(|(b, m)| b * m).sum::<f64>();
    let linfa: Vec<f64> = std::iter::once(intercept).chain(slopes).collect();
    let err = fit
        .coefficients
        .iter()
        .zip(&linfa)
        .map(|(a, b)| (a - b).abs() / b.abs().max(1.0))
        .fold(0.0, f64::max);
    check(
        "ridge: coefficients vs linfa-logistic",
        err,
        LINFA_RIDGE_REL,
    );
}

#[test]
fn rejects_complete_separation() {
    let c = load("separated_complete");
    let err = fit_logistic(c.x.view(), &c.y, &FitOptions::new()).unwrap_err();
    assert_eq!(
        err,
        FitError::Separation {
            terms: vec![0],
            kind: SeparationKind::Complete
        }
    );
    let msg = err.explain(&["x"]);
    assert!(msg.contains("'x'") && msg.contains("firth"), "{msg}");
}

#[test]
fn rejects_quasi_complete_separation() {
    let c = load("separated_quasi");
    let err = fit_logistic(c.x.view(), &c.y, &FitOptions::new()).unwrap_err();
    assert_eq!(
        err,
        FitError::Separation {
            terms: vec![0],
            kind: SeparationKind::Quasi
        }
    );
}

#[test]
fn rejects_rank_deficient_design() {
    let (names, cols) = read_csv("rank_deficient.csv");
    let xcols = ["x1", "x2", "x3", "x4"];
    let y = column(&names, &cols, "y").to_vec();
    let x = Array2::from_shape_fn((y.len(), 4), |(i, j)| column(&names, &cols, xcols[j])[i]);
    for penalty in [Penalty::None, Penalty::Firth] {
        let err = fit_logistic(x.view(), &y, &FitOptions::new().penalty(penalty)).unwrap_err();
        assert_eq!(
            err,
            FitError::RankDeficient {
                columns: vec![0, 1, 2]
            }
        );
        assert!(err.explain(&xcols).contains("'x1', 'x2', 'x3'"));
    }
    // Ridge identifies the coefficients of dependent columns; a constant column it cannot.
    assert!(fit_logistic(
        x.view(),
        &y,
        &FitOptions::new().penalty(Penalty::Ridge(1.0))
    )
    .is_ok());
    let mut xc = x.clone();
    xc.column_mut(3).fill(2.5);
    let err = fit_logistic(
        xc.view(),
        &y,
        &FitOptions::new().penalty(Penalty::Ridge(1.0)),
    )
    .unwrap_err();
    assert_eq!(err, FitError::RankDeficient { columns: vec![3] });
}

#[test]
fn rejects_empty_outcome_class() {
    let c = load("moderate");
    for value in [0.0, 1.0] {
        let y = vec![value; c.y.len()];
        let err = fit_logistic(c.x.view(), &y, &FitOptions::new()).unwrap_err();
        assert_eq!(err, FitError::EmptyOutcomeClass);
    }
    // Events only among rows of zero weight count as none.
    let y: Vec<f64> = (0..c.y.len())
        .map(|i| if i < 5 { 1.0 } else { 0.0 })
        .collect();
    let w: Vec<f64> = (0..c.y.len())
        .map(|i| if i < 5 { 0.0 } else { 1.0 })
        .collect();
    let err = fit_logistic(c.x.view(), &y, &FitOptions::new().weights(w)).unwrap_err();
    assert_eq!(err, FitError::EmptyOutcomeClass);
}

#[test]
fn rejects_not_converged() {
    let c = load("moderate");
    let err = fit_logistic(c.x.view(), &c.y, &FitOptions::new().max_iter(1)).unwrap_err();
    assert!(
        matches!(err, FitError::NotConverged { iterations: 1, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("max_iter"));
}

#[test]
fn rejects_bad_input() {
    let c = load("moderate");
    let bad = |x: &Array2<f64>, y: &[f64], o: FitOptions| match fit_logistic(x.view(), y, &o) {
        Err(FitError::BadInput(m)) => m,
        other => panic!("expected BadInput, got {other:?}"),
    };
    let mut x = c.x.clone();
    x[[7, 2]] = f64::NAN;
    let m = bad(&x, &c.y, FitOptions::new());
    assert!(m.contains("column 2, row 8"), "{m}");
    let mut y = c.y.clone();
    y[3] = 2.0;
    assert!(bad(&c.x, &y, FitOptions::new()).contains("row 4"));
    assert!(bad(&c.x, &c.y[1..], FitOptions::new()).contains("rows"));
    assert!(bad(&c.x, &c.y, FitOptions::new().weights(vec![-1.0; c.y.len()])).contains("weight"));
    assert!(bad(&c.x, &c.y, FitOptions::new().tol(0.0)).contains("tol"));
    let empty = Array2::<f64>::zeros((0, 3));
    assert!(bad(&empty, &[], FitOptions::new()).contains("no rows"));
}

/// Simulated n x p data (the benchmark's generator, smaller).
fn simulate(n: usize, p: usize, seed: u64) -> (Array2<f64>, Vec<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let x = Array2::from_shape_fn((n, p), |(_, j)| {
        let u: f64 = rng.gen::<f64>() - 0.5;
        if j % 5 == 4 {
            f64::from(u > 0.2)
        } else {
            3.0 * u + j as f64
        }
    });
    let y = (0..n)
        .map(|i| {
            let eta = -1.0 + (0..p).map(|j| 0.1 * (x[[i, j]] - j as f64)).sum::<f64>();
            f64::from(rng.gen::<f64>() < 1.0 / (1.0 + (-eta).exp()))
        })
        .collect();
    (x, y)
}

fn with_threads<T: Send>(k: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(k)
        .build()
        .expect("pool")
        .install(f)
}

#[test]
fn identical_at_one_and_two_threads() {
    let (x, y) = simulate(30_000, 7, 11);
    let w: Vec<f64> = (0..y.len()).map(|i| 0.5 + (i % 7) as f64 * 0.25).collect();
    for opts in [
        FitOptions::new(),
        FitOptions::new().weights(w),
        FitOptions::new().penalty(Penalty::Ridge(3.0)),
        FitOptions::new().penalty(Penalty::Firth),
    ] {
        let one = with_threads(1, || fit_logistic(x.view(), &y, &opts).expect("fit"));
        let two = with_threads(2, || fit_logistic(x.view(), &y, &opts).expect("fit"));
        assert_eq!(one, two, "penalty {}", opts.penalty);
    }
}

#[test]
fn identical_for_every_memory_layout() {
    let (x, y) = simulate(20_000, 6, 12);
    let row_major = fit_logistic(x.view(), &y, &FitOptions::new()).expect("fit");
    let mut col_major = Array2::zeros((x.nrows(), x.ncols()).f());
    col_major.assign(&x);
    assert!(x.as_slice().is_some() && col_major.as_slice().is_none());
    assert_eq!(
        fit_logistic(col_major.view(), &y, &FitOptions::new()).expect("fit"),
        row_major
    );
    // A strided view (every column of a wider matrix but the first) is copied once.
    let mut wide = Array2::zeros((x.nrows(), x.ncols() + 1));
    wide.slice_mut(ndarray::s![.., 1..]).assign(&x);
    let view = wide.slice(ndarray::s![.., 1..]);
    assert_eq!(
        fit_logistic(view, &y, &FitOptions::new()).expect("fit"),
        row_major
    );
}

#[test]
fn frequency_weights_equal_repeated_rows() {
    let (x, y) = simulate(400, 3, 13);
    let w: Vec<f64> = (0..y.len()).map(|i| (i % 3) as f64).collect();
    let mut rows = Vec::new();
    for (i, &k) in w.iter().enumerate() {
        rows.extend((0..k as usize).map(|_| i));
    }
    let xr = Array2::from_shape_fn((rows.len(), 3), |(r, j)| x[[rows[r], j]]);
    let yr: Vec<f64> = rows.iter().map(|&i| y[i]).collect();
    for penalty in [Penalty::None, Penalty::Firth, Penalty::Ridge(2.0)] {
        let weighted = fit_logistic(
            x.view(),
            &y,
            &FitOptions::new()
                .penalty(penalty.clone())
                .weights(w.clone()),
        )
        .expect("weighted");
        let repeated = fit_logistic(xr.view(), &yr, &FitOptions::new().penalty(penalty.clone()))
            .expect("repeated");
        let label = format!("weights = repeated rows ({penalty})");
        check(
            &label,
            max_rel(&weighted.coefficients, &repeated.coefficients),
            INVARIANCE_REL,
        );
        check(
            &label,
            max_rel(&weighted.std_errors, &repeated.std_errors),
            INVARIANCE_REL,
        );
        check(
            &label,
            rel(weighted.log_likelihood, repeated.log_likelihood),
            INVARIANCE_REL,
        );
    }
}

#[test]
fn shifting_a_column_changes_only_the_intercept() {
    let (x, y) = simulate(2_000, 4, 14);
    let base = fit_logistic(x.view(), &y, &FitOptions::new()).expect("fit");
    let mut shifted = x.clone();
    shifted.column_mut(1).mapv_inplace(|v| v + 1e4);
    let s = fit_logistic(shifted.view(), &y, &FitOptions::new()).expect("fit");
    check(
        "shift by 1e4: slopes",
        max_rel(&s.coefficients[1..], &base.coefficients[1..]),
        INVARIANCE_REL,
    );
    check(
        "shift by 1e4: slope SEs",
        max_rel(&s.std_errors[1..], &base.std_errors[1..]),
        INVARIANCE_REL,
    );
    let b0 = base.coefficients[0] - 1e4 * base.coefficients[2];
    check(
        "shift by 1e4: intercept",
        rel(s.coefficients[0], b0),
        INVARIANCE_REL,
    );
}

#[test]
fn intercept_only_model() {
    let y = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
    let x = Array2::<f64>::zeros((8, 0));
    let fit = fit_logistic(x.view(), &y, &FitOptions::new()).expect("fit");
    assert!((fit.coefficients[0] - (3.0f64 / 5.0).ln()).abs() < 1e-12);
    // Var(logit p) = 1 / (n p (1 - p)).
    assert!((fit.std_errors[0] - (1.0f64 / (8.0 * 0.375 * 0.625)).sqrt()).abs() < 1e-12);
    assert!(fit.lr_chi2.abs() < 1e-12 && fit.df == 0);
}
