//! Cox proportional-hazards regression, as R `survival::coxph` (and `rms::cph`).
//!
//! Newton-Raphson on the partial log-likelihood with Efron (default) or Breslow handling of
//! tied event times, case weights, strata and an optional ridge penalty, starting at beta = 0
//! with step halving when the likelihood gets worse; then the baseline cumulative hazard per
//! stratum as `survfit.coxph` / `basehaz` (the Efron-adjusted increments for Efron ties).
//!
//! Conventions of `coxph` kept here (checked against it, `tests/golden/cox/`):
//! - weights: in a group of `d` tied events the Efron terms use the mean event weight;
//! - a subject censored at an event time is still at risk at that time;
//! - `means`: weighted column means, except columns whose values all lie in {-1, 0, 1}
//!   (dummies), which are not centred (survival >= 3.0 `nocenter`); linear predictors and the
//!   baseline hazard are at these means.
//!
//! Method per iteration, `O(n p^2)` in two parallel kernels and an `O(n p)` sequential pass:
//! the rows sorted once by stratum and time; `eta = X b`; a backward pass over distinct times
//! accumulates the risk-set sums `S0`, `S1` and, per event, the vector `a = S1/S0` (Efron:
//! one per tied event); the information is `X' diag(u) X - sum w a a'`, where `u_i` is `r_i`
//! times the summed `1/S0` of the event times at which row `i` is at risk (so the `p x p`
//! risk-set sums `S2` are never formed). Both Gram matrices use the blocked SIMD kernel of the
//! logistic engine over fixed chunks summed in order: bit-identical at any thread count.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::model::logistic::linalg::{dependencies, Cholesky};
use crate::model::logistic::simd::Isa;

/// Why a Cox model could not be fitted.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum CoxError {
    /// Inputs of different lengths.
    #[error("length mismatch: {what} has {found} values, expected {expected}")]
    LengthMismatch {
        /// Which input is too short / long.
        what: String,
        /// Its length.
        found: usize,
        /// The number of subjects (length of `time`).
        expected: usize,
    },
    /// No covariate columns were given.
    #[error("no covariates given")]
    NoCovariates,
    /// A time, weight or covariate is not finite, a time or weight is negative.
    #[error("{what} at index {index} is {value}; expected a finite number (times and weights not negative)")]
    BadValue {
        /// `time`, `weight` or `covariate k`.
        what: String,
        /// 0-based index of the subject.
        index: usize,
        /// The value found.
        value: f64,
    },
    /// No events: the partial likelihood is flat.
    #[error("no events: a Cox model needs at least one event")]
    NoEvents,
    /// The information matrix is not positive definite (a constant column).
    #[error("information matrix is singular (constant or collinear covariates?)")]
    SingularInformation,
    /// A covariate is (numerically) a linear combination of others.
    #[error("covariate {dependent} is a linear combination of covariates {on:?}")]
    Collinear {
        /// 0-based index of the redundant covariate (the later one of a dependent set).
        dependent: usize,
        /// The covariates it depends on (empty: it is constant).
        on: Vec<usize>,
    },
    /// Newton-Raphson did not converge within the iteration limit.
    #[error("Cox fit did not converge in {iterations} iterations")]
    NotConverged {
        /// Iterations done.
        iterations: usize,
    },
    /// The likelihood converged while a coefficient was still running away: the estimate
    /// is infinite (monotone likelihood, e.g. no events in one group).
    #[error(
        "coefficient {index} appears infinite (monotone likelihood, e.g. no events in one group)"
    )]
    InfiniteCoefficient {
        /// 0-based index of the covariate.
        index: usize,
    },
}

/// How tied event times enter the partial likelihood and the baseline hazard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Ties {
    /// Efron's approximation (the default of `coxph` and `cph`).
    #[default]
    Efron,
    /// Breslow's approximation.
    Breslow,
}

impl std::fmt::Display for Ties {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Ties::Efron => "efron",
            Ties::Breslow => "breslow",
        })
    }
}

/// Settings of the Newton-Raphson iteration. Defaults: 30 iterations, relative
/// log-likelihood tolerance 1e-10 (coxph: 20 and 1e-9; tighter here so estimates agree with
/// references to ~1e-8), Efron ties, no penalty.
#[derive(Debug, Clone, PartialEq)]
pub struct CoxOptions {
    /// Maximum Newton iterations (default 30).
    pub max_iter: usize,
    /// Converged when `|1 - loglik_old / loglik_new| <= eps` (default 1e-10).
    pub eps: f64,
    /// Tie handling (default Efron).
    pub ties: Ties,
    /// Ridge penalty `lambda` on standardised covariates (as the logistic engine's): the
    /// penalised log-likelihood is `loglik - lambda/2 sum_j (sd_j b_j)^2`, `sd_j` the
    /// (weighted) population standard deviation of covariate `j`. 0 (the default): none.
    pub ridge: f64,
}

impl Default for CoxOptions {
    fn default() -> Self {
        CoxOptions {
            max_iter: 30,
            eps: 1e-10,
            ties: Ties::Efron,
            ridge: 0.0,
        }
    }
}

/// The data of a Cox fit: `n` subjects, row-major `n x p` covariates.
#[derive(Debug, Clone, Copy)]
pub struct CoxInput<'a> {
    /// Follow-up times (>= 0).
    pub time: &'a [f64],
    /// Event indicators.
    pub event: &'a [bool],
    /// Row-major covariates, `n * p` values.
    pub x: &'a [f64],
    /// Covariates per subject.
    pub p: usize,
    /// Case weights (>= 0), or all 1.
    pub weights: Option<&'a [f64]>,
    /// Stratum per subject (0-based codes), or one stratum.
    pub strata: Option<&'a [u32]>,
}

/// The baseline cumulative hazard of one stratum at the `means`, at its distinct event
/// times (as `basehaz(fit, centered = TRUE)` without the censoring-only times).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StratumBaseline {
    /// Distinct event times, increasing.
    pub times: Vec<f64>,
    /// Cumulative hazard at each time (right-continuous step function).
    pub cumhaz: Vec<f64>,
    /// Subjects at risk at each time (unweighted).
    pub n_risk: Vec<usize>,
}

impl StratumBaseline {
    /// Cumulative hazard at `t` (0 before the first event time).
    pub fn at(&self, t: f64) -> f64 {
        let k = self.times.partition_point(|&s| s <= t);
        if k == 0 {
            0.0
        } else {
            self.cumhaz[k - 1]
        }
    }
}

/// A fitted Cox model. Vectors are indexed like the covariates.
#[derive(Debug, Clone, PartialEq)]
pub struct CoxFit {
    /// Log hazard ratios (per unit of each covariate).
    pub coef: Vec<f64>,
    /// Standard errors from the inverse (penalised) information at the estimate.
    pub std_err: Vec<f64>,
    /// `exp(coef)`.
    pub hazard_ratio: Vec<f64>,
    /// Lower 95% Wald limit of the hazard ratio, `exp(coef - 1.959964 se)`.
    pub hr_ci_low: Vec<f64>,
    /// Upper 95% Wald limit of the hazard ratio.
    pub hr_ci_high: Vec<f64>,
    /// Covariance matrix of `coef` (`p` rows of `p`).
    pub covariance: Vec<Vec<f64>>,
    /// Log partial likelihood at the estimate (without the penalty).
    pub loglik: f64,
    /// Log partial likelihood at beta = 0.
    pub loglik_null: f64,
    /// Score (log-rank) test statistic at beta = 0, `U' I^-1 U`.
    pub score_test: f64,
    /// Wald test statistic of all coefficients, `b' V^-1 b`.
    pub wald_test: f64,
    /// Newton iterations used.
    pub iterations: usize,
    /// Whether the iteration met the tolerance.
    pub converged: bool,
    /// Number of subjects.
    pub n: usize,
    /// Number of events.
    pub n_events: usize,
    /// Centring of the linear predictor and baseline (coxph `means`).
    pub means: Vec<f64>,
    /// Linear predictor per subject (input order), centred at `means`.
    pub linear_predictors: Vec<f64>,
    /// Baseline cumulative hazard per stratum (at `means`).
    pub baseline: Vec<StratumBaseline>,
    /// Tie handling used.
    pub ties: Ties,
}

const Z975: f64 = 1.959_963_984_540_054;

/// Rows per parallel work item of the Gram kernel (fixed: results never depend on threads).
const CHUNK_ROWS: usize = 4096;
/// Tie groups are "few" when there are at least this many rows per group: their vector
/// sums are then computed in parallel (see `backward`).
const FEW_GROUPS_RATIO: usize = 64;

/// Rows sorted by (stratum, time, event first), covariates centred, groups of equal time.
struct Prepared {
    n: usize,
    p: usize,
    /// Sorted position -> input index.
    order: Vec<usize>,
    event: Vec<bool>,
    w: Vec<f64>,
    /// Centred covariates in sorted order, laid out for the Gram kernel (every pass reads
    /// them from there: one copy of the design per fit).
    xb: Blocked,
    /// Internal centring (weighted means).
    centre: Vec<f64>,
    /// Columns whose values are all -1, 0 or 1 (coxph does not centre them).
    dummy: Vec<bool>,
    /// Groups of equal (stratum, time), in sorted order.
    groups: Vec<Group>,
    /// Per group, `sum w_i x_i` over its events (the score's constant part), made once by
    /// the first pass that needs it (`backward` with few groups).
    event_score: std::sync::OnceLock<Vec<f64>>,
    /// Whether the groups are few (at least `FEW_GROUPS_RATIO` rows each on average): the
    /// likelihood pass then sums each group in parallel first.
    few_groups: bool,
}

#[derive(Debug, Clone, Copy)]
struct Group {
    stratum: u32,
    time: f64,
    start: usize,
    /// Events are `start .. start + d`.
    d: usize,
    end: usize,
}

/// Per-row buffers of the likelihood passes, allocated once per fit and reused by every
/// evaluation (fresh 8-byte-per-row vectors cost a page fault per 4 kB each time).
struct Workspace {
    eta: Vec<f64>,
    risk: Vec<f64>,
    u: Vec<f64>,
}

impl Workspace {
    fn new(n: usize) -> Workspace {
        Workspace {
            eta: vec![0.0; n],
            risk: vec![0.0; n],
            u: vec![0.0; n],
        }
    }
}

/// Log-likelihood, score and information at one beta.
struct Eval {
    loglik: f64,
    score: Vec<f64>,
    info: Vec<f64>,
}

/// Hazard increments at the event groups for a given beta (shared by the likelihood pass
/// and the baseline).
struct Increments {
    /// Per group: `sum_j meanwt / D_j` (0 without events).
    c: Vec<f64>,
    /// Per group: `sum_j meanwt (j/d) / D_j`.
    e: Vec<f64>,
}

impl CoxFit {
    /// Fit a Cox model with default [`CoxOptions`] on covariate columns.
    ///
    /// # Errors
    /// See [`CoxError`]: bad input, no events, singular information, non-convergence or an
    /// infinite coefficient.
    pub fn fit(time: &[f64], event: &[bool], covariates: &[&[f64]]) -> Result<CoxFit, CoxError> {
        Self::fit_with(time, event, covariates, CoxOptions::default())
    }

    /// Fit a Cox model on covariate columns with explicit [`CoxOptions`].
    ///
    /// # Errors
    /// As [`CoxFit::fit`].
    pub fn fit_with(
        time: &[f64],
        event: &[bool],
        covariates: &[&[f64]],
        options: CoxOptions,
    ) -> Result<CoxFit, CoxError> {
        let n = time.len();
        for (k, col) in covariates.iter().enumerate() {
            if col.len() != n {
                return Err(CoxError::LengthMismatch {
                    what: format!("covariate {k}"),
                    found: col.len(),
                    expected: n,
                });
            }
        }
        let p = covariates.len();
        let mut x = vec![0.0; n * p];
        for (j, col) in covariates.iter().enumerate() {
            for (i, &v) in col.iter().enumerate() {
                x[i * p + j] = v;
            }
        }
        let input = CoxInput {
            time,
            event,
            x: &x,
            p,
            weights: None,
            strata: None,
        };
        Self::fit_input(&input, &options)
    }

    /// Fit a Cox model on a [`CoxInput`] (weights, strata).
    ///
    /// # Errors
    /// As [`CoxFit::fit`].
    pub fn fit_input(input: &CoxInput<'_>, options: &CoxOptions) -> Result<CoxFit, CoxError> {
        let prep = prepare(input)?;
        let p = prep.p;
        let n_events = prep.event.iter().filter(|&&e| e).count();
        if n_events == 0 {
            return Err(CoxError::NoEvents);
        }
        let penalty = ridge_penalty(&prep, options.ridge);
        let pen = |j: usize| penalty.get(j).copied().unwrap_or(0.0);
        let penalised = |e: &Eval, beta: &[f64]| -> f64 {
            e.loglik - 0.5 * (0..p).map(|j| pen(j) * beta[j] * beta[j]).sum::<f64>()
        };
        let mut beta = vec![0.0; p];
        let mut ws = Workspace::new(prep.n);
        let mut cur = evaluate(&prep, &beta, options.ties, &mut ws);
        let loglik_null = cur.loglik;
        // the score test and collinearity from the information at 0
        let info0 = add_penalty(&cur.info, p, &penalty);
        let chol0 = Cholesky::new(&info0, p).map_err(|_| collinearity(&info0, p))?;
        let score_test = dot(&cur.score, &chol0.solve(&cur.score));
        let mut cur_pl = penalised(&cur, &beta);
        let mut iterations = 0;
        let mut converged = false;
        let mut last_step = vec![0.0; p];
        while iterations < options.max_iter {
            iterations += 1;
            let info = add_penalty(&cur.info, p, &penalty);
            let grad: Vec<f64> = (0..p).map(|j| cur.score[j] - pen(j) * beta[j]).collect();
            let chol = Cholesky::new(&info, p).map_err(|_| collinearity(&info, p))?;
            let step = chol.solve(&grad);
            let mut scale = 1.0;
            let (mut next_beta, mut next, mut next_pl): (Vec<f64>, Eval, f64);
            loop {
                next_beta = beta.iter().zip(&step).map(|(b, s)| b + scale * s).collect();
                next = evaluate(&prep, &next_beta, options.ties, &mut ws);
                next_pl = penalised(&next, &next_beta);
                if next_pl.is_finite() && next_pl >= cur_pl - 1e-12 * cur_pl.abs() {
                    break;
                }
                scale *= 0.5;
                if scale < 1e-8 {
                    // cannot improve: at the maximum to machine precision
                    next_beta = beta.clone();
                    next = evaluate(&prep, &next_beta, options.ties, &mut ws);
                    next_pl = cur_pl;
                    break;
                }
            }
            let rel = if next_pl != 0.0 {
                (1.0 - cur_pl / next_pl).abs()
            } else {
                (cur_pl - next_pl).abs()
            };
            last_step = step.iter().map(|s| s * scale).collect();
            beta = next_beta;
            cur = next;
            cur_pl = next_pl;
            if rel <= options.eps {
                converged = true;
                break;
            }
        }
        let info = add_penalty(&cur.info, p, &penalty);
        let chol = Cholesky::new(&info, p).map_err(|_| collinearity(&info, p))?;
        let grad: Vec<f64> = (0..p).map(|j| cur.score[j] - pen(j) * beta[j]).collect();
        let residual = chol.solve(&grad);
        // A coefficient still running away when the likelihood has flattened (monotone
        // likelihood): the Newton step left at the estimate, or the last one taken, is not
        // negligible next to the standard error. coxph only warns ("may be infinite"); here
        // it is an error, never a silent estimate.
        let cov = chol.inverse();
        let toler_inf = options.eps.sqrt();
        let running = (0..p).find(|&j| {
            let moving = residual[j]
                .abs()
                .max(if converged { 0.0 } else { last_step[j].abs() });
            moving > toler_inf * beta[j].abs().max(1.0)
        });
        if let Some(index) = running {
            return Err(CoxError::InfiniteCoefficient { index });
        }
        if !converged {
            return Err(CoxError::NotConverged { iterations });
        }
        let std_err: Vec<f64> = (0..p).map(|j| cov[j * p + j].sqrt()).collect();
        let covariance: Vec<Vec<f64>> = (0..p).map(|j| cov[j * p..(j + 1) * p].to_vec()).collect();
        let wald_test = dot(&beta, &mat_vec(&info, &beta, p));
        let means = coxph_means(&prep);
        let (linear_predictors, baseline) =
            baseline(&prep, input, &beta, &means, options.ties, &ws.eta);
        Ok(CoxFit {
            hazard_ratio: beta.iter().map(|b| b.exp()).collect(),
            hr_ci_low: beta
                .iter()
                .zip(&std_err)
                .map(|(b, s)| (b - Z975 * s).exp())
                .collect(),
            hr_ci_high: beta
                .iter()
                .zip(&std_err)
                .map(|(b, s)| (b + Z975 * s).exp())
                .collect(),
            coef: beta,
            std_err,
            covariance,
            loglik: cur.loglik,
            loglik_null,
            score_test,
            wald_test,
            iterations,
            converged,
            n: prep.n,
            n_events,
            means,
            linear_predictors,
            baseline,
            ties: options.ties,
        })
    }

    /// Likelihood-ratio chi-square statistic `2 (loglik - loglik_null)`.
    pub fn lr_chi2(&self) -> f64 {
        2.0 * (self.loglik - self.loglik_null)
    }
}

/// The log partial likelihood of `input` at a given `beta` (no fitting; rms `coxphFit` with
/// `iter.max = 0, init = beta`).
///
/// # Errors
/// Bad input, as [`CoxFit::fit`].
pub fn partial_loglik(input: &CoxInput<'_>, beta: &[f64], ties: Ties) -> Result<f64, CoxError> {
    let prep = prepare(input)?;
    if beta.len() != prep.p {
        return Err(CoxError::LengthMismatch {
            what: "beta".into(),
            found: beta.len(),
            expected: prep.p,
        });
    }
    Ok(evaluate(&prep, beta, ties, &mut Workspace::new(prep.n)).loglik)
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn mat_vec(a: &[f64], v: &[f64], p: usize) -> Vec<f64> {
    (0..p).map(|i| dot(&a[i * p..(i + 1) * p], v)).collect()
}

/// The ridge penalty per covariate, `lambda sd_j^2` (empty without a penalty): the weighted
/// variances are the diagonal of `X' diag(w) X` of the centred design over the weight sum.
fn ridge_penalty(prep: &Prepared, lambda: f64) -> Vec<f64> {
    if lambda <= 0.0 {
        return Vec::new();
    }
    let p = prep.p;
    let wsum: f64 = prep.w.iter().sum();
    let g = prep.xb.gram(&prep.w);
    (0..p).map(|j| lambda * g[j * p + j] / wsum).collect()
}

fn add_penalty(info: &[f64], p: usize, penalty: &[f64]) -> Vec<f64> {
    let mut out = info.to_vec();
    for (j, &l) in penalty.iter().enumerate().take(p) {
        out[j * p + j] += l;
    }
    out
}

/// The error for an information matrix that does not factorise: the first redundant
/// covariate and what it depends on.
fn collinearity(info: &[f64], p: usize) -> CoxError {
    match dependencies(info, p).into_iter().next() {
        Some(d) => CoxError::Collinear {
            dependent: d.dependent,
            on: d.on,
        },
        None => CoxError::SingularInformation,
    }
}

fn prepare(input: &CoxInput<'_>) -> Result<Prepared, CoxError> {
    let n = input.time.len();
    let p = input.p;
    let check_len = |what: &str, found: usize, expected: usize| {
        if found == expected {
            Ok(())
        } else {
            Err(CoxError::LengthMismatch {
                what: what.into(),
                found,
                expected,
            })
        }
    };
    check_len("event", input.event.len(), n)?;
    if p == 0 {
        return Err(CoxError::NoCovariates);
    }
    check_len("covariates", input.x.len(), n * p)?;
    if let Some(w) = input.weights {
        check_len("weight", w.len(), n)?;
        if let Some((index, &value)) = w
            .iter()
            .enumerate()
            .find(|(_, v)| !v.is_finite() || **v < 0.0)
        {
            return Err(CoxError::BadValue {
                what: "weight".into(),
                index,
                value,
            });
        }
    }
    if let Some(s) = input.strata {
        check_len("strata", s.len(), n)?;
    }
    if let Some((index, &value)) = input
        .time
        .iter()
        .enumerate()
        .find(|(_, t)| !t.is_finite() || **t < 0.0)
    {
        return Err(CoxError::BadValue {
            what: "time".into(),
            index,
            value,
        });
    }
    if let Some(k) = input.x.iter().position(|v| !v.is_finite()) {
        return Err(CoxError::BadValue {
            what: format!("covariate {}", k % p),
            index: k / p,
            value: input.x[k],
        });
    }
    let w_in = |i: usize| input.weights.map_or(1.0, |w| w[i]);
    let s_in = |i: usize| input.strata.map_or(0, |s| s[i]);
    // sort keys (stratum, time, censored after events, index): times are >= 0, so the bits
    // of `t + 0.0` (no -0.0) order as the numbers do
    let mut keys: Vec<(u32, u64, bool, usize)> = (0..n)
        .map(|i| (s_in(i), (input.time[i] + 0.0).to_bits(), !input.event[i], i))
        .collect();
    keys.par_sort_unstable();
    let order: Vec<usize> = keys.iter().map(|k| k.3).collect();
    drop(keys);
    // weighted column means and whether each column is a dummy (values in {-1, 0, 1}), in
    // one pass over the rows
    // in parallel over fixed chunks of rows, summed in chunk order (thread-count invariant)
    let parts: Vec<(f64, Vec<f64>, Vec<bool>)> = input
        .x
        .par_chunks(CHUNK_ROWS * p)
        .enumerate()
        .map(|(k, rows)| {
            let mut wsum = 0.0;
            let mut sums = vec![0.0; p];
            let mut dummy = vec![true; p];
            for (r, row) in rows.chunks_exact(p).enumerate() {
                let wi = w_in(k * CHUNK_ROWS + r);
                wsum += wi;
                for (j, &v) in row.iter().enumerate() {
                    sums[j] += wi * v;
                    dummy[j] &= v == 0.0 || v == 1.0 || v == -1.0;
                }
            }
            (wsum, sums, dummy)
        })
        .collect();
    let mut wsum = 0.0;
    let mut sums = vec![0.0; p];
    let mut dummy = vec![true; p];
    for (w, s, d) in parts {
        wsum += w;
        for j in 0..p {
            sums[j] += s[j];
            dummy[j] &= d[j];
        }
    }
    let centre: Vec<f64> = sums
        .iter()
        .map(|s| if wsum > 0.0 { s / wsum } else { 0.0 })
        .collect();
    // the sorted, centred design, laid out once for every pass
    let xb = Blocked::of_rows(n, p, |r, out| {
        let i = order[r];
        for (j, v) in out.iter_mut().enumerate() {
            *v = input.x[i * p + j] - centre[j];
        }
    });
    let event: Vec<bool> = order.iter().map(|&i| input.event[i]).collect();
    let w: Vec<f64> = order.iter().map(|&i| w_in(i)).collect();
    let mut groups = Vec::new();
    let mut start = 0;
    while start < n {
        let (s, t) = (s_in(order[start]), input.time[order[start]]);
        let mut end = start;
        let mut d = 0;
        while end < n && s_in(order[end]) == s && input.time[order[end]] == t {
            if event[end] {
                d += 1;
            }
            end += 1;
        }
        groups.push(Group {
            stratum: s,
            time: t,
            start,
            d,
            end,
        });
        start = end;
    }
    Ok(Prepared {
        dummy,
        n,
        p,
        order,
        event,
        w,
        xb,
        centre,
        few_groups: groups.len() * FEW_GROUPS_RATIO <= n,
        groups,
        event_score: std::sync::OnceLock::new(),
    })
}

/// `eta = X beta` over the sorted rows into `eta` (length n), returning its largest value
/// (the exponent shift).
fn linear_predictor_into(prep: &Prepared, beta: &[f64], eta: &mut [f64]) -> f64 {
    prep.xb.times(beta, eta);
    let shift = eta
        .par_chunks(CHUNK_ROWS)
        .map(|c| c.iter().copied().fold(f64::NEG_INFINITY, f64::max))
        .reduce(|| f64::NEG_INFINITY, f64::max);
    if shift.is_finite() {
        shift
    } else {
        0.0
    }
}

/// The backward pass: per event group, the hazard increments; optionally the likelihood,
/// score and the event vectors `a` (with their weights) for the information.
fn backward(
    prep: &Prepared,
    eta: &[f64],
    risk: &[f64],
    shift: f64,
    ties: Ties,
    mut sink: Option<&mut Sink>,
) -> Increments {
    let p = prep.p;
    let ng = prep.groups.len();
    let mut inc = Increments {
        c: vec![0.0; ng],
        e: vec![0.0; ng],
    };
    // With few tie groups (heavily tied times), each group's vector sums are computed in
    // parallel first (per group: rows, events, weighted events), and the sequential pass
    // below only adds them up; with many small groups the pass sums the rows itself.
    let few_groups = prep.few_groups;
    let pre: Option<Vec<f64>> = (sink.is_some() && few_groups).then(|| {
        let event_score = prep.event_score.get_or_init(|| {
            let mut out = vec![0.0; ng * p];
            out.par_chunks_mut(p)
                .zip(prep.groups.par_iter())
                .for_each(|(o, grp)| {
                    prep.xb
                        .add_weighted(grp.start..grp.start + grp.d, &prep.w, o)
                });
            out
        });
        // per group: [rows, events, weighted events]; the events are the group's first rows,
        // so its rows are its events plus the rest (each row read once)
        let mut out = vec![0.0; ng * 3 * p];
        out.par_chunks_mut(3 * p)
            .zip(prep.groups.par_iter().zip(event_score.par_chunks(p)))
            .for_each(|(o, (grp, score))| {
                let (g_rows, rest) = o.split_at_mut(p);
                let (g_events, g_score) = rest.split_at_mut(p);
                let split = grp.start + grp.d;
                prep.xb.add_weighted(grp.start..split, risk, g_events);
                g_rows.copy_from_slice(g_events);
                prep.xb.add_weighted(split..grp.end, risk, g_rows);
                g_score.copy_from_slice(score);
            });
        out
    });
    // and their scalars: [risk sum, event risk sum, event weight sum, event w (eta - shift)],
    // then each group's tie terms (the Efron sums run over its events: many with few groups)
    let scalars: Option<Vec<[f64; 4]>> = few_groups.then(|| {
        prep.groups
            .par_iter()
            .map(|grp| {
                let ev = grp.start..grp.start + grp.d;
                [
                    risk[grp.start..grp.end].iter().sum::<f64>(),
                    ev.clone().map(|i| risk[i]).sum(),
                    ev.clone().map(|i| prep.w[i]).sum(),
                    ev.map(|i| prep.w[i] * (eta[i] - shift)).sum(),
                ]
            })
            .collect()
    });
    let terms_pre: Option<Vec<[f64; 6]>> = scalars.as_ref().map(|sc| {
        let mut s0 = vec![0.0; ng];
        let mut acc = 0.0;
        let mut stratum = None;
        for g in (0..ng).rev() {
            if stratum != Some(prep.groups[g].stratum) {
                stratum = Some(prep.groups[g].stratum);
                acc = 0.0;
            }
            acc += sc[g][0];
            s0[g] = acc;
        }
        (0..ng)
            .into_par_iter()
            .map(|g| tie_terms(ties, prep.groups[g].d, sc[g][2], s0[g], sc[g][1]))
            .collect()
    });
    let mut s0 = 0.0;
    let mut s1 = vec![0.0; p];
    let mut e1 = vec![0.0; p];
    let mut a = vec![0.0; p];
    let mut stratum = None;
    for (g, grp) in prep.groups.iter().enumerate().rev() {
        if stratum != Some(grp.stratum) {
            stratum = Some(grp.stratum);
            s0 = 0.0;
            s1.iter_mut().for_each(|v| *v = 0.0);
        }
        s0 += match &scalars {
            Some(sc) => sc[g][0],
            None => risk[grp.start..grp.end].iter().sum::<f64>(),
        };
        match &pre {
            Some(pre) => {
                for (s, v) in s1.iter_mut().zip(&pre[g * 3 * p..g * 3 * p + p]) {
                    *s += v;
                }
            }
            None if sink.is_some() => prep.xb.add_weighted(grp.start..grp.end, risk, &mut s1),
            None => {}
        }
        if grp.d == 0 {
            continue;
        }
        let ev = grp.start..grp.start + grp.d;
        let (wsum, e0) = match &scalars {
            Some(sc) => (sc[g][2], sc[g][1]),
            None => (
                ev.clone().map(|i| prep.w[i]).sum(),
                ev.clone().map(|i| risk[i]).sum(),
            ),
        };
        if let Some(sk) = sink.as_deref_mut() {
            match &pre {
                Some(pre) => {
                    let base = g * 3 * p;
                    e1.copy_from_slice(&pre[base + p..base + 2 * p]);
                    for (s, v) in sk.score.iter_mut().zip(&pre[base + 2 * p..base + 3 * p]) {
                        *s += v;
                    }
                }
                None => {
                    e1.iter_mut().for_each(|v| *v = 0.0);
                    prep.xb.add_weighted(ev.clone(), risk, &mut e1);
                    prep.xb.add_weighted(ev.clone(), &prep.w, &mut sk.score);
                }
            }
            sk.loglik += match &scalars {
                Some(sc) => sc[g][3],
                None => ev
                    .clone()
                    .map(|i| prep.w[i] * (eta[i] - shift))
                    .sum::<f64>(),
            };
        }
        let [c, e, aa, ab, bb, logs] = match &terms_pre {
            Some(t) => t[g],
            None => tie_terms(ties, grp.d, wsum, s0, e0),
        };
        inc.c[g] = c;
        inc.e[g] = e;
        if let Some(sk) = sink.as_deref_mut() {
            // the terms' vectors a_k = (S1 - f_k E1) / D_k enter the score as
            // sum tw a_k = c S1 - e E1, and the information as
            // sum tw a_k a_k' = aa S1 S1' - ab (S1 E1' + E1 S1') + bb E1 E1'
            //                 = (aa + ab) S1 S1' + (bb + ab) E1 E1' - ab (S1 + E1)(S1 + E1)'
            // (three weighted rows per tie group instead of one per event)
            sk.loglik -= logs;
            for j in 0..p {
                sk.score[j] -= c * s1[j] - e * e1[j];
            }
            if ab == 0.0 {
                sk.a.push(&s1);
                sk.aw.push(aa);
            } else {
                sk.a.push(&s1);
                sk.aw.push(aa + ab);
                sk.a.push(&e1);
                sk.aw.push(bb + ab);
                for j in 0..p {
                    a[j] = s1[j] + e1[j];
                }
                sk.a.push(&a);
                sk.aw.push(-ab);
            }
        }
    }
    inc
}

/// The sums over a tie group's terms: Breslow one term of weight `wsum`, Efron `d` terms of
/// the mean event weight with denominators `D_k = S0 - f_k E0`, `f_k = k/d`; returns the
/// sums of `tw/D, tw f/D, tw/D^2, tw f/D^2, tw f^2/D^2, tw ln D`.
fn tie_terms(ties: Ties, d: usize, wsum: f64, s0: f64, e0: f64) -> [f64; 6] {
    if d == 0 {
        return [0.0; 6];
    }
    let terms = match ties {
        Ties::Breslow => 1,
        Ties::Efron => d,
    };
    let df = d as f64;
    let tw = if terms == 1 { wsum } else { wsum / df };
    let (mut c, mut e, mut aa, mut ab, mut bb, mut logs) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for k in 0..terms {
        let f = if terms == 1 { 0.0 } else { k as f64 / df };
        let den = s0 - f * e0;
        c += tw / den;
        e += tw * f / den;
        aa += tw / (den * den);
        ab += tw * f / (den * den);
        bb += tw * f * f / (den * den);
        logs += tw * den.ln();
    }
    [c, e, aa, ab, bb, logs]
}

/// What the likelihood pass collects besides the increments.
struct Sink {
    loglik: f64,
    score: Vec<f64>,
    /// Event vectors `a` (laid out for the Gram kernel) and their weights.
    a: Blocked,
    aw: Vec<f64>,
}

/// Partial log-likelihood, score and information at `beta`, in the buffers of `ws`.
fn evaluate(prep: &Prepared, beta: &[f64], ties: Ties, ws: &mut Workspace) -> Eval {
    let p = prep.p;
    let shift = linear_predictor_into(prep, beta, &mut ws.eta);
    let (eta, risk, u) = (&ws.eta, &mut ws.risk, &mut ws.u);
    risk.par_chunks_mut(CHUNK_ROWS)
        .zip(eta.par_chunks(CHUNK_ROWS))
        .zip(prep.w.par_chunks(CHUNK_ROWS))
        .for_each(|((r, e), w)| {
            for ((r, e), w) in r.iter_mut().zip(e).zip(w) {
                *r = w * (e - shift).exp();
            }
        });
    let mut sink = Sink {
        loglik: 0.0,
        score: vec![0.0; p],
        a: Blocked::new(p),
        aw: Vec::new(),
    };
    let inc = backward(prep, eta, risk, shift, ties, Some(&mut sink));
    // u_i = r_i (sum of c over the groups at or before row i's time, minus e of its own
    // group when it is one of that group's events)
    let mut cums = Vec::with_capacity(prep.groups.len());
    let mut cum = 0.0;
    let mut stratum = None;
    for (g, grp) in prep.groups.iter().enumerate() {
        if stratum != Some(grp.stratum) {
            stratum = Some(grp.stratum);
            cum = 0.0;
        }
        cum += inc.c[g];
        cums.push(cum);
    }
    // rows in parallel: each chunk finds its first row's group and walks on
    u.par_chunks_mut(CHUNK_ROWS)
        .enumerate()
        .for_each(|(k, chunk)| {
            let r0 = k * CHUNK_ROWS;
            let mut g = prep.groups.partition_point(|grp| grp.end <= r0);
            for (off, ui) in chunk.iter_mut().enumerate() {
                let i = r0 + off;
                while prep.groups[g].end <= i {
                    g += 1;
                }
                let grp = &prep.groups[g];
                let own = if i < grp.start + grp.d { inc.e[g] } else { 0.0 };
                *ui = risk[i] * (cums[g] - own);
            }
        });
    let u = &ws.u;
    let mut info = prep.xb.gram(u);
    let outer = sink.a.gram(&sink.aw);
    for (v, o) in info.iter_mut().zip(&outer) {
        *v -= o;
    }
    Eval {
        loglik: sink.loglik,
        score: sink.score,
        info,
    }
}

/// Rows stored for the Gram kernel: blocks of `block` rows, each block column-major with
/// `stride` columns (zero padding up to `stride` columns and `block` rows), so `X' diag(w) X`
/// runs the SIMD kernel on the blocks in place. The design is laid out once per fit; the
/// event vectors of each pass are written into one directly.
struct Blocked {
    p: usize,
    qpad: usize,
    stride: usize,
    block: usize,
    rows: usize,
    data: Vec<f64>,
}

impl Blocked {
    fn new(p: usize) -> Blocked {
        let qpad = p.div_ceil(2) * 2;
        let stride = qpad + 2;
        let mut block = 256;
        while block > 64 && stride * block * 8 > 24 * 1024 {
            block /= 2;
        }
        Blocked {
            p,
            qpad,
            stride,
            block,
            rows: 0,
            data: Vec::new(),
        }
    }

    /// `n` rows of `p` values, row `r` written by `fill(r, out)`, laid out in parallel.
    fn of_rows(n: usize, p: usize, fill: impl Fn(usize, &mut [f64]) + Sync) -> Blocked {
        let mut b = Blocked::new(p);
        let (block, stride) = (b.block, b.stride);
        b.rows = n;
        b.data = vec![0.0; n.div_ceil(block) * block * stride];
        b.data
            .par_chunks_mut(block * stride)
            .enumerate()
            .for_each(|(k, dst)| {
                let r0 = k * block;
                let mut row = vec![0.0; p];
                for r in 0..block.min(n - r0) {
                    fill(r0 + r, &mut row);
                    for (j, &v) in row.iter().enumerate() {
                        dst[j * block + r] = v;
                    }
                }
            });
        b
    }

    /// `acc[j] += sum_{i in rows} w[i] x_ij`: per block a dot product of each column's
    /// slice with the weights' (contiguous, vectorised), in a fixed order.
    fn add_weighted(&self, rows: std::ops::Range<usize>, w: &[f64], acc: &mut [f64]) {
        let (block, stride) = (self.block, self.stride);
        let mut i = rows.start;
        while i < rows.end {
            let k = i / block;
            let r0 = i - k * block;
            let len = (block - r0).min(rows.end - i);
            let base = k * block * stride;
            let ws = &w[i..i + len];
            for (j, a) in acc.iter_mut().enumerate() {
                let col = &self.data[base + j * block + r0..base + j * block + r0 + len];
                // four interleaved partial sums (vectorised), combined in a fixed order
                let mut lanes = [0.0f64; 4];
                let (c4, w4) = (col.chunks_exact(4), ws.chunks_exact(4));
                let tail: f64 = c4
                    .remainder()
                    .iter()
                    .zip(w4.remainder())
                    .map(|(x, w)| x * w)
                    .sum();
                for (c, w) in c4.zip(w4) {
                    for l in 0..4 {
                        lanes[l] += c[l] * w[l];
                    }
                }
                *a += ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + tail;
            }
            i += len;
        }
    }

    /// `out[i] = x_i' beta` for every row, a column axpy per block (in parallel).
    fn times(&self, beta: &[f64], out: &mut [f64]) {
        let (block, stride) = (self.block, self.stride);
        out.par_chunks_mut(block)
            .zip(self.data.par_chunks(block * stride))
            .for_each(|(dst, xs)| {
                dst.iter_mut().for_each(|v| *v = 0.0);
                for (j, &b) in beta.iter().enumerate() {
                    let col = &xs[j * block..j * block + dst.len()];
                    for (d, &x) in dst.iter_mut().zip(col) {
                        *d += b * x;
                    }
                }
            });
    }

    /// Append one row.
    fn push(&mut self, row: &[f64]) {
        let (block, stride) = (self.block, self.stride);
        if self.rows % block == 0 {
            self.data.resize(self.data.len() + block * stride, 0.0);
        }
        let base = (self.rows / block) * block * stride;
        let r = self.rows % block;
        for (j, &v) in row.iter().enumerate() {
            self.data[base + j * block + r] = v;
        }
        self.rows += 1;
    }

    /// `X' diag(w) X` (full `p x p`, row-major), `w` one weight per row; fixed chunks of
    /// blocks summed in chunk order (thread-count invariant).
    fn gram(&self, w: &[f64]) -> Vec<f64> {
        let (p, block, stride, qpad) = (self.p, self.block, self.stride, self.qpad);
        let isa = Isa::detect();
        let n_blocks = self.rows.div_ceil(block);
        let per_chunk = (CHUNK_ROWS / block).max(1);
        let partial = |c: usize| -> Vec<f64> {
            let mut acc = vec![0.0; stride * stride];
            let mut wb = vec![0.0; block];
            for k in c * per_chunk..((c + 1) * per_chunk).min(n_blocks) {
                let r0 = k * block;
                let len = block.min(self.rows - r0);
                wb[..len].copy_from_slice(&w[r0..r0 + len]);
                wb[len..].iter_mut().for_each(|v| *v = 0.0);
                let xs = &self.data[k * block * stride..(k + 1) * block * stride];
                isa.syrk_upper(xs, &wb, qpad, stride, &mut acc);
            }
            acc
        };
        let parts: Vec<Vec<f64>> = (0..n_blocks.div_ceil(per_chunk))
            .into_par_iter()
            .map(partial)
            .collect();
        let mut total = vec![0.0; stride * stride];
        for part in parts {
            for (t, v) in total.iter_mut().zip(&part) {
                *t += v;
            }
        }
        let mut out = vec![0.0; p * p];
        for j in 0..p {
            for k in j..p {
                out[j * p + k] = total[j * stride + k];
                out[k * p + j] = total[j * stride + k];
            }
        }
        out
    }
}

/// coxph's `means`: weighted column means, 0 for columns with every value in {-1, 0, 1}.
fn coxph_means(prep: &Prepared) -> Vec<f64> {
    prep.centre
        .iter()
        .zip(&prep.dummy)
        .map(|(&c, &d)| if d { 0.0 } else { c })
        .collect()
}

/// Linear predictors (input order) and baseline cumulative hazards at `means`.
fn baseline(
    prep: &Prepared,
    input: &CoxInput<'_>,
    beta: &[f64],
    means: &[f64],
    ties: Ties,
    eta: &[f64],
) -> (Vec<f64>, Vec<StratumBaseline>) {
    // sorted x is centred at `centre`; move to `means` (`eta`: the sorted linear predictor
    // at `beta`, as the last likelihood pass left it)
    let offset: f64 = (0..prep.p)
        .map(|j| (prep.centre[j] - means[j]) * beta[j])
        .sum();
    let lp_sorted: Vec<f64> = eta.par_iter().map(|e| e + offset).collect();
    let risk: Vec<f64> = lp_sorted
        .par_iter()
        .zip(prep.w.par_iter())
        .map(|(e, w)| w * e.exp())
        .collect();
    let inc = backward(prep, &lp_sorted, &risk, 0.0, ties, None);
    let mut lp = vec![0.0; prep.n];
    for (k, &i) in prep.order.iter().enumerate() {
        lp[i] = lp_sorted[k];
    }
    let n_strata = prep.groups.last().map_or(0, |g| g.stratum as usize + 1);
    let n_strata = n_strata.max(input.strata.map_or(1, |_| n_strata));
    let mut out = vec![StratumBaseline::default(); n_strata];
    // at-risk counts: rows of the stratum at or after the group's start
    let mut stratum_end = vec![0usize; n_strata];
    for g in &prep.groups {
        stratum_end[g.stratum as usize] = g.end;
    }
    let mut cum = 0.0;
    let mut stratum = None;
    for (g, grp) in prep.groups.iter().enumerate() {
        if stratum != Some(grp.stratum) {
            stratum = Some(grp.stratum);
            cum = 0.0;
        }
        if grp.d == 0 {
            continue;
        }
        cum += inc.c[g];
        let b = &mut out[grp.stratum as usize];
        b.times.push(grp.time);
        b.cumhaz.push(cum);
        b.n_risk.push(stratum_end[grp.stratum as usize] - grp.start);
    }
    (lp, out)
}

#[cfg(test)]
mod tests {
    /// With heavily tied times the likelihood pass sums each tie group in parallel first: it
    /// gives the log-likelihood, score and information of the row-by-row pass.
    #[test]
    fn grouped_pass_equals_the_row_pass() {
        let n = 6_000;
        let p = 3;
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut unit = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let x: Vec<f64> = (0..n * p).map(|_| unit() * 2.0 - 1.0).collect();
        let time: Vec<f64> = (0..n).map(|_| (unit() * 30.0).ceil()).collect();
        let event: Vec<bool> = (0..n).map(|_| unit() < 0.6).collect();
        let strata: Vec<u32> = (0..n).map(|i| (i % 2) as u32).collect();
        for st in [None, Some(strata.as_slice())] {
            let input = CoxInput {
                time: &time,
                event: &event,
                x: &x,
                p,
                weights: None,
                strata: st,
            };
            let mut prep = prepare(&input).expect("prepare");
            assert!(prep.few_groups);
            let beta = [0.3, -0.2, 0.1];
            for ties in [Ties::Efron, Ties::Breslow] {
                let a = evaluate(&prep, &beta, ties, &mut Workspace::new(n));
                prep.few_groups = false;
                let b = evaluate(&prep, &beta, ties, &mut Workspace::new(n));
                prep.few_groups = true;
                let close = |u: f64, v: f64| (u - v).abs() <= 1e-10 * v.abs().max(1.0);
                assert!(close(a.loglik, b.loglik), "{} {}", a.loglik, b.loglik);
                assert!(a.score.iter().zip(&b.score).all(|(u, v)| close(*u, *v)));
                assert!(a.info.iter().zip(&b.info).all(|(u, v)| close(*u, *v)));
            }
        }
    }

    use super::*;

    #[test]
    fn two_sample_no_ties_matches_hand_solution() {
        // Group A (x=1) events at 1 and 3; group B (x=0) events at 2 and 4, no ties, no
        // censoring; the score equation solved by bisection as an independent check.
        let time = [1.0, 2.0, 3.0, 4.0];
        let event = [true; 4];
        let x = [1.0, 0.0, 1.0, 0.0];
        let fit = CoxFit::fit(&time, &event, &[&x]).unwrap();
        let score = |b: f64| {
            let r = b.exp();
            // risk sets: t=1 {A,B,A,B}, t=2 {B,A,B}, t=3 {A,B}, t=4 {B}
            let m1 = 2.0 * r / (2.0 * r + 2.0);
            let m2 = r / (r + 2.0);
            let m3 = r / (r + 1.0);
            2.0 - (m1 + m2 + m3)
        };
        let (mut lo, mut hi) = (-10.0, 10.0);
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if score(mid) > 0.0 {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        assert!((fit.coef[0] - 0.5 * (lo + hi)).abs() < 1e-8);
        assert!(fit.converged);
    }

    /// The tied-times data set and R `coxph(ties = "efron")` values committed in
    /// `tests/golden/survival/` (made by `make_cox_data.py` and `make_cox_golden.R`; lifelines
    /// agrees to 1e-9, see `cox_golden_lifelines.json`).
    fn golden() -> (Vec<f64>, Vec<bool>, Vec<f64>, Vec<f64>, serde_json::Value) {
        let csv = include_str!("../../tests/golden/survival/cox_data.csv");
        let (mut t, mut e, mut x1, mut x2) = (vec![], vec![], vec![], vec![]);
        for line in csv.lines().skip(1) {
            let f: Vec<f64> = line.split(',').map(|v| v.parse().unwrap()).collect();
            t.push(f[0]);
            e.push(f[1] == 1.0);
            x1.push(f[2]);
            x2.push(f[3]);
        }
        let json = include_str!("../../tests/golden/survival/cox_golden_r.json");
        (t, e, x1, x2, serde_json::from_str(json).unwrap())
    }

    #[test]
    fn efron_ties_match_r_coxph() {
        let (t, e, x1, x2, g) = golden();
        let cases: [(&str, Vec<&[f64]>); 3] = [
            ("x1", vec![&x1]),
            ("x2", vec![&x2]),
            ("x1_x2", vec![&x1, &x2]),
        ];
        for (name, cols) in cases {
            let fit = CoxFit::fit(&t, &e, &cols).unwrap();
            let want = &g["fits"][name];
            for j in 0..cols.len() {
                let c = want["coef"][j].as_f64().unwrap();
                let s = want["se"][j].as_f64().unwrap();
                assert!(
                    (fit.coef[j] - c).abs() < 1e-6,
                    "{name} coef {j}: {} vs {c}",
                    fit.coef[j]
                );
                assert!((fit.std_err[j] - s).abs() < 1e-6, "{name} se {j}");
            }
            let ll = want["loglik"].as_f64().unwrap();
            let ll0 = want["loglik_null"].as_f64().unwrap();
            assert!((fit.loglik - ll).abs() < 1e-6, "{name} loglik");
            assert!((fit.loglik_null - ll0).abs() < 1e-6, "{name} loglik0");
            assert!(fit.converged && fit.n == 80 && fit.n_events == 64);
        }
    }

    #[test]
    fn km_matches_r_survfit_on_golden_data() {
        let (t, e, _, _, g) = golden();
        let km = crate::survival::KaplanMeier::fit(&t, &e).unwrap();
        let times = g["km"]["times"].as_array().unwrap();
        let surv = g["km"]["survival"].as_array().unwrap();
        let se = g["km"]["std_err"].as_array().unwrap();
        for k in 0..times.len() {
            let tk = times[k].as_f64().unwrap();
            assert!(
                (km.survival_at(tk) - surv[k].as_f64().unwrap()).abs() < 1e-9,
                "S({tk})"
            );
            if let Some(s) = se[k].as_f64() {
                assert!((km.std_err_at(tk) - s).abs() < 1e-9, "se({tk})");
            }
        }
        assert_eq!(km.median(), g["km"]["median"].as_f64());
        let rev = crate::survival::reverse_km(&t, &e).unwrap();
        assert_eq!(rev.median(), g["reverse_km_median"].as_f64());
    }

    #[test]
    fn weights_of_two_equal_duplicating_rows() {
        // integer case weights give the same estimate as duplicated rows
        let t = [1.0, 2.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0];
        let e = [true, true, true, false, true, true, false, true];
        let x = [0.5, 1.0, -0.3, 0.2, 0.9, -1.0, 0.1, 0.4];
        let w = [2.0, 1.0, 1.0, 1.0, 2.0, 1.0, 1.0, 1.0];
        let mut td = Vec::new();
        let mut ed = Vec::new();
        let mut xd = Vec::new();
        for i in 0..8 {
            for _ in 0..w[i] as usize {
                td.push(t[i]);
                ed.push(e[i]);
                xd.push(x[i]);
            }
        }
        // Breslow: weights and duplicates are the same likelihood, baseline included (Efron
        // with weights averages the tied events' weights, as coxph: golden-tested against R)
        let opts = CoxOptions {
            ties: Ties::Breslow,
            ..CoxOptions::default()
        };
        let wfit = CoxFit::fit_input(
            &CoxInput {
                time: &t,
                event: &e,
                x: &x,
                p: 1,
                weights: Some(&w),
                strata: None,
            },
            &opts,
        )
        .unwrap();
        let dfit = CoxFit::fit_with(&td, &ed, &[&xd], opts).unwrap();
        assert!((wfit.coef[0] - dfit.coef[0]).abs() < 1e-9);
        assert!((wfit.std_err[0] - dfit.std_err[0]).abs() < 1e-9);
        for (a, b) in wfit.baseline[0].cumhaz.iter().zip(&dfit.baseline[0].cumhaz) {
            assert!((a - b).abs() < 1e-9);
        }
    }

    /// The ridge estimate maximises `loglik - lambda/2 sum (sd_j b_j)^2`, sd the weighted
    /// population standard deviation: moving any coefficient either way lowers it.
    #[test]
    fn ridge_maximises_the_penalised_likelihood_on_standardised_columns() {
        let n = 60;
        let t: Vec<f64> = (0..n).map(|i| ((i * 7) % 23 + 1) as f64).collect();
        let e: Vec<bool> = (0..n).map(|i| i % 3 != 0).collect();
        let x: Vec<f64> = (0..n)
            .flat_map(|i| [((i * 5) % 11) as f64 * 10.0, ((i * 3) % 7) as f64 / 10.0])
            .collect();
        let w: Vec<f64> = (0..n).map(|i| 1.0 + (i % 4) as f64 / 2.0).collect();
        let input = CoxInput {
            time: &t,
            event: &e,
            x: &x,
            p: 2,
            weights: Some(&w),
            strata: None,
        };
        let lambda = 2.5;
        let opts = CoxOptions {
            ridge: lambda,
            ..CoxOptions::default()
        };
        let fit = CoxFit::fit_input(&input, &opts).unwrap();
        let wsum: f64 = w.iter().sum();
        let var: Vec<f64> = (0..2)
            .map(|j| {
                let m = (0..n).map(|i| w[i] * x[i * 2 + j]).sum::<f64>() / wsum;
                (0..n)
                    .map(|i| w[i] * (x[i * 2 + j] - m).powi(2))
                    .sum::<f64>()
                    / wsum
            })
            .collect();
        let objective = |b: &[f64]| {
            partial_loglik(&input, b, Ties::Efron).unwrap()
                - 0.5 * lambda * (0..2).map(|j| var[j] * b[j] * b[j]).sum::<f64>()
        };
        let best = objective(&fit.coef);
        for j in 0..2 {
            for step in [-1e-3, 1e-3] {
                let mut b = fit.coef.clone();
                b[j] += step * fit.std_err[j];
                assert!(objective(&b) < best, "coefficient {j} moved by {step} se");
            }
        }
        // and the penalty shrinks: the unpenalised estimate lies farther from 0
        let ml = CoxFit::fit_input(&input, &CoxOptions::default()).unwrap();
        let size = |b: &[f64]| (0..2).map(|j| var[j] * b[j] * b[j]).sum::<f64>();
        assert!(size(&fit.coef) < size(&ml.coef));
    }

    #[test]
    fn rejects_bad_input() {
        let t = [1.0, 2.0, 3.0];
        let x = [0.0, 1.0, 0.0];
        assert_eq!(CoxFit::fit(&t, &[false; 3], &[&x]), Err(CoxError::NoEvents));
        assert!(matches!(
            CoxFit::fit(&t, &[true; 3], &[&[1.0, 1.0, 1.0]]),
            Err(CoxError::Collinear { dependent: 0, .. })
        ));
        let collinear = CoxFit::fit(
            &[1.0, 2.0, 3.0, 4.0],
            &[true; 4],
            &[&[0.0, 1.0, 0.0, 2.0], &[0.0, 2.0, 0.0, 4.0]],
        );
        assert!(
            matches!(collinear, Err(CoxError::Collinear { dependent: 1, .. })),
            "{collinear:?}"
        );
        assert_eq!(
            CoxFit::fit(&t, &[true; 3], &[]),
            Err(CoxError::NoCovariates)
        );
        assert!(matches!(
            CoxFit::fit(&t, &[true; 2], &[&x]),
            Err(CoxError::LengthMismatch { .. })
        ));
        assert!(matches!(
            CoxFit::fit(&[1.0, f64::NAN, 2.0], &[true; 3], &[&x]),
            Err(CoxError::BadValue { index: 1, .. })
        ));
        // all events in the x=1 group before any x=0 subject leaves: monotone likelihood
        let t = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let e = [true, true, true, false, false, false];
        let x = [1.0, 1.0, 1.0, 0.0, 0.0, 0.0];
        let r = CoxFit::fit(&t, &e, &[&x]);
        assert!(
            matches!(r, Err(CoxError::InfiniteCoefficient { index: 0 })),
            "{r:?}"
        );
    }
}
