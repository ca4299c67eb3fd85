//! The entry point: check inputs, run the estimator the penalty asks for, report on the
//! original column scale.

use ndarray::{Array2, ArrayView2};

use super::error::FitError;
use super::firth;
use super::fitted::LogisticFit;
use super::irls::{self, Estimate};
use super::kernels::{Layout, Problem};
use super::params::{FitOptions, Penalty};

/// Fit a logistic regression of `y` on the columns of `x` plus an intercept.
///
/// `x` is the n x p design *without* an intercept column, in any memory layout (C- or
/// Fortran-contiguous views are read in place; other strides are copied once). `y` holds 0/1
/// outcomes. Results are identical whatever the number of rayon threads.
///
/// # Errors
/// * [`FitError::BadInput`]: shapes disagree, `y` not 0/1, non-finite design values, bad
///   options (see [`FitOptions::validate`]);
/// * [`FitError::EmptyOutcomeClass`]: no events or no non-events among weighted rows;
/// * [`FitError::RankDeficient`]: linearly dependent or constant columns;
/// * [`FitError::Separation`]: (quasi-)complete separation without a penalty;
/// * [`FitError::NotConverged`]: no convergence within `max_iter`.
///
/// # Examples
/// ```
/// use ndarray::array;
/// use mbdrisk::model::logistic::{fit_logistic, FitOptions};
/// let x = array![[0.5], [1.0], [1.5], [2.0], [2.5], [3.0], [3.5], [4.0]];
/// let y = [0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1.0];
/// let fit = fit_logistic(x.view(), &y, &FitOptions::new()).unwrap();
/// assert_eq!(fit.coefficients.len(), 2);
/// assert!(fit.coefficients[1] > 0.0 && fit.lr_chi2 > 0.0);
/// ```
pub fn fit_logistic(
    x: ArrayView2<'_, f64>,
    y: &[f64],
    opts: &FitOptions,
) -> Result<LogisticFit, FitError> {
    let (n, p) = x.dim();
    if n == 0 {
        return Err(FitError::BadInput("the design has no rows".to_string()));
    }
    if y.len() != n {
        return Err(FitError::BadInput(format!(
            "the design has {n} rows but the outcome has {} values",
            y.len()
        )));
    }
    opts.validate(n)?;
    if let Some((i, v)) = y.iter().enumerate().find(|(_, v)| **v != 0.0 && **v != 1.0) {
        return Err(FitError::BadInput(format!(
            "outcome of row {} is {v}: a logistic model needs 0/1 outcomes",
            i + 1
        )));
    }
    let w = opts.weights.as_deref();
    let (wsum, events) = match w {
        Some(w) => w
            .iter()
            .zip(y)
            .fold((0.0, 0.0), |(s, e), (w, y)| (s + w, e + w * y)),
        None => (n as f64, y.iter().sum()),
    };
    if !(events > 0.0 && wsum - events > 0.0) {
        return Err(FitError::EmptyOutcomeClass);
    }
    let owned: Array2<f64>;
    let layout = match Layout::of(x) {
        Some(l) => l,
        None => {
            owned = x.as_standard_layout().into_owned();
            Layout::RowMajor(owned.as_slice().expect("standard layout is contiguous"))
        }
    };
    let prob = Problem::new(layout, n, p, y, w);
    let ybar = events / wsum;
    let start = irls::start(&prob, ybar)?;
    let est = match opts.penalty {
        Penalty::None => irls::newton(&prob, start, 0.0, opts.max_iter, opts.tol)?,
        Penalty::Ridge(lambda) => irls::newton(&prob, start, lambda, opts.max_iter, opts.tol)?,
        Penalty::Firth => firth::firth(&prob, start, opts.max_iter, opts.tol)?,
    };
    let null_ll = events * ybar.ln() + (wsum - events) * (1.0 - ybar).ln();
    Ok(report(&prob, est, null_ll, events, opts.penalty.clone()))
}

/// Map centred-coordinate estimates back: `b0 = b0c - sum_j c_j b_j`, `V = T Vc T'` with
/// `T = [[1, -c'], [0, I]]`.
fn report(
    prob: &Problem<'_>,
    est: Estimate,
    null_ll: f64,
    events: f64,
    penalty: Penalty,
) -> LogisticFit {
    let q = prob.q;
    let c = &prob.shift;
    let mut coefficients = est.beta.clone();
    coefficients[0] -= c
        .iter()
        .zip(&est.beta[1..])
        .map(|(c, b)| c * b)
        .sum::<f64>();
    let vc = |i: usize, j: usize| est.cov[i * q + j];
    // Row 0 of T Vc: (T Vc)_{0k} = Vc_{0k} - sum_j c_j Vc_{jk}.
    let t0: Vec<f64> = (0..q)
        .map(|k| {
            vc(0, k)
                - c.iter()
                    .enumerate()
                    .map(|(j, cj)| cj * vc(j + 1, k))
                    .sum::<f64>()
        })
        .collect();
    let mut covariance: Vec<Vec<f64>> =
        (0..q).map(|i| (0..q).map(|j| vc(i, j)).collect()).collect();
    let v00 = t0[0]
        - c.iter()
            .enumerate()
            .map(|(j, cj)| cj * t0[j + 1])
            .sum::<f64>();
    covariance[0][0] = v00;
    for k in 1..q {
        covariance[0][k] = t0[k];
        covariance[k][0] = t0[k];
    }
    let std_errors = (0..q).map(|i| covariance[i][i].max(0.0).sqrt()).collect();
    LogisticFit {
        coefficients,
        covariance,
        std_errors,
        log_likelihood: est.ll,
        penalized_log_likelihood: est.pll,
        null_log_likelihood: null_ll,
        lr_chi2: 2.0 * (est.ll - null_ll),
        df: prob.p,
        iterations: est.iterations,
        converged: true,
        n: prob.n,
        events,
        penalty,
    }
}
