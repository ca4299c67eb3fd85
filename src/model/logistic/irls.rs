//! Newton-Raphson (= IRLS for the logit link) for maximum likelihood and ridge.
//!
//! Each iteration solves `(X'WX + P) s = X'(w (y - mu)) - P b` by Cholesky, then takes the step
//! `b + s`, halving it (up to `MAX_HALVINGS` times) while the penalised log-likelihood would
//! decrease, as `rms::lrm.fit` does. One pass over the data evaluates the log-likelihood, the
//! score and the information at the trial point together, so an iteration without halving costs
//! exactly one pass. Convergence: see [`FitOptions::tol`](super::FitOptions::tol).

use super::error::FitError;
use super::kernels::{Accum, Pass, Problem};
use super::linalg::{dependencies, Cholesky};
use super::separation::{diagnose, Separated};

/// Step halvings tried before giving up on an ascent direction.
pub(crate) const MAX_HALVINGS: usize = 30;
/// A trial point is accepted when its (penalised) log-likelihood is not below the current one
/// by more than this relative amount (rounding noise near the optimum).
pub(crate) const ACCEPT_SLACK: f64 = 1e-12;
/// `|eta|` beyond which fitted probabilities count as numerically 0 or 1.
const EXTREME_ETA: f64 = 10.0;

/// An estimate in the engine's centred coordinates.
#[derive(Debug, Clone)]
pub(crate) struct Estimate {
    /// Coefficients, intercept first (centred columns).
    pub beta: Vec<f64>,
    /// Covariance, full q x q row-major (centred columns).
    pub cov: Vec<f64>,
    /// Unpenalised log-likelihood at `beta`.
    pub ll: f64,
    /// Penalised log-likelihood at `beta` (equals `ll` without penalty).
    pub pll: f64,
    /// Steps taken.
    pub iterations: usize,
}

/// What the first pass (at the starting values) tells about the design.
pub(crate) struct Start {
    pub beta: Vec<f64>,
    pub acc: Accum,
    /// Standard deviation of each design column (weighted, population divisor).
    pub col_sd: Vec<f64>,
}

/// Evaluate at the starting values `(logit(mean y), 0, ...)`, rejecting non-finite designs, and
/// derive the column standard deviations from that information matrix (with all `mu` equal it
/// is `mu(1-mu)` times the weighted cross-product matrix of the centred columns).
pub(crate) fn start(prob: &Problem<'_>, ybar: f64) -> Result<Start, FitError> {
    let mut beta = vec![0.0; prob.q];
    beta[0] = (ybar / (1.0 - ybar)).ln();
    let acc = prob.pass(&beta, Pass::Newton);
    let info = prob.info(&acc);
    let finite = acc.ll.is_finite()
        && acc.grad.iter().all(|v| v.is_finite())
        && info.iter().all(|v| v.is_finite());
    if !finite {
        return Err(match prob.find_nonfinite() {
            Some((i, j)) => FitError::BadInput(format!(
                "design column {j}, row {}: value {} is not a finite number; remove or impute \
                 missing and infinite values before fitting",
                i + 1,
                prob.value(i, j)
            )),
            None => FitError::BadInput(
                "the design gives non-finite sums (values too large?); rescale the columns"
                    .to_string(),
            ),
        });
    }
    let q = prob.q;
    let a00 = info[0];
    let col_sd = (1..q)
        .map(|j| {
            let m = info[j] / a00;
            (info[j * q + j] / a00 - m * m).max(0.0).sqrt()
        })
        .collect();
    Ok(Start { beta, acc, col_sd })
}

/// `RankDeficient` naming every design column in a dependency of `a` (q x q, intercept first).
pub(crate) fn check_rank(a: &[f64], q: usize) -> Result<(), FitError> {
    let deps = dependencies(a, q);
    if deps.is_empty() {
        return Ok(());
    }
    let mut columns: Vec<usize> = deps
        .iter()
        .flat_map(|d| std::iter::once(d.dependent).chain(d.on.iter().copied()))
        .filter(|&c| c > 0)
        .map(|c| c - 1)
        .collect();
    columns.sort_unstable();
    columns.dedup();
    Err(FitError::RankDeficient { columns })
}

/// Largest `|step_j| / (1 + |b_j|)`.
pub(crate) fn max_change(step: &[f64], beta: &[f64]) -> f64 {
    step.iter()
        .zip(beta)
        .map(|(s, b)| s.abs() / (1.0 + b.abs()))
        .fold(0.0, f64::max)
}

/// glm's relative deviance change, on log-likelihoods: `|D1 - D0| / (|D1| + 0.1)`, `D = -2 ll`.
pub(crate) fn deviance_change(ll_new: f64, ll_old: f64) -> f64 {
    (2.0 * (ll_new - ll_old)).abs() / (2.0 * ll_new.abs() + 0.1)
}

struct State {
    beta: Vec<f64>,
    ll: f64,
    pll: f64,
    grad: Vec<f64>,
    info: Vec<f64>,
    max_abs_eta: f64,
}

impl State {
    fn new(prob: &Problem<'_>, beta: Vec<f64>, acc: Accum, pen: &[f64]) -> State {
        let q = prob.q;
        let mut info = prob.info(&acc);
        let mut grad = acc.grad;
        let mut pll = acc.ll;
        for j in 0..q {
            pll -= 0.5 * pen[j] * beta[j] * beta[j];
            grad[j] -= pen[j] * beta[j];
            info[j * q + j] += pen[j];
        }
        State {
            beta,
            ll: acc.ll,
            pll,
            grad,
            info,
            max_abs_eta: acc.max_abs_eta,
        }
    }
}

/// Maximise `loglik - 1/2 sum_j pen_j b_j^2` by Newton with step halving. `lambda = 0` is plain
/// maximum likelihood, and only then is separation possible (and checked).
pub(crate) fn newton(
    prob: &Problem<'_>,
    start: Start,
    lambda: f64,
    max_iter: usize,
    tol: f64,
) -> Result<Estimate, FitError> {
    let q = prob.q;
    let pen: Vec<f64> = std::iter::once(0.0)
        .chain(start.col_sd.iter().map(|sd| lambda * sd * sd))
        .collect();
    let ml = lambda == 0.0;
    let col_sd = start.col_sd;
    let mut cur = State::new(prob, start.beta, start.acc, &pen);
    check_rank(&cur.info, q)?;
    let mut history: Vec<Vec<f64>> = vec![cur.beta.clone()];
    let mut last_change = f64::INFINITY;
    let mut last_step = vec![0.0; q];
    let separated = |beta: &[f64], history: &[Vec<f64>], step: &[f64]| -> Option<Separated> {
        let k = history.len();
        let mut cands = vec![step.to_vec()];
        if k >= 4 {
            cands.push(
                beta.iter()
                    .zip(&history[k - 4])
                    .map(|(a, b)| a - b)
                    .collect(),
            );
        }
        cands.push(beta.to_vec());
        diagnose(prob, &cands, &col_sd)
    };
    for it in 1..=max_iter {
        let chol = match Cholesky::new(&cur.info, q) {
            Ok(c) => c,
            Err(_) => {
                if ml {
                    if let Some(s) = separated(&cur.beta, &history, &last_step) {
                        return Err(FitError::Separation {
                            terms: s.terms,
                            kind: s.kind,
                        });
                    }
                }
                return Err(FitError::NotConverged {
                    iterations: it - 1,
                    max_change: last_change,
                });
            }
        };
        let step = chol.solve(&cur.grad);
        let mut t = 1.0;
        let mut accepted = None;
        for _ in 0..=MAX_HALVINGS {
            let beta: Vec<f64> = cur.beta.iter().zip(&step).map(|(b, s)| b + t * s).collect();
            let acc = prob.pass(&beta, Pass::Newton);
            let trial = State::new(prob, beta, acc, &pen);
            if trial.pll.is_finite() && trial.pll >= cur.pll - ACCEPT_SLACK * (1.0 + cur.pll.abs())
            {
                accepted = Some(trial);
                break;
            }
            t *= 0.5;
        }
        let full_change = max_change(&step, &cur.beta);
        let Some(next) = accepted else {
            // No ascent along the Newton direction: at the optimum up to rounding, or stuck.
            if full_change <= tol.sqrt() {
                return finish(cur, chol, it - 1);
            }
            return Err(FitError::NotConverged {
                iterations: it,
                max_change: full_change,
            });
        };
        let taken: Vec<f64> = step.iter().map(|s| t * s).collect();
        let change = max_change(&taken, &next.beta);
        let dev = deviance_change(next.pll, cur.pll);
        cur = next;
        history.push(cur.beta.clone());
        if dev <= tol && change <= tol.sqrt() {
            let chol = Cholesky::new(&cur.info, q).map_err(|_| FitError::NotConverged {
                iterations: it,
                max_change: change,
            })?;
            return finish(cur, chol, it);
        }
        if ml && it >= 4 && cur.max_abs_eta > EXTREME_ETA && change > 0.2 * last_change {
            if let Some(s) = separated(&cur.beta, &history, &taken) {
                return Err(FitError::Separation {
                    terms: s.terms,
                    kind: s.kind,
                });
            }
        }
        last_change = change;
        last_step = taken;
    }
    if ml && cur.max_abs_eta > EXTREME_ETA {
        if let Some(s) = separated(&cur.beta, &history, &last_step) {
            return Err(FitError::Separation {
                terms: s.terms,
                kind: s.kind,
            });
        }
    }
    Err(FitError::NotConverged {
        iterations: max_iter,
        max_change: last_change,
    })
}

fn finish(cur: State, chol: Cholesky, iterations: usize) -> Result<Estimate, FitError> {
    Ok(Estimate {
        cov: chol.inverse(),
        beta: cur.beta,
        ll: cur.ll,
        pll: cur.pll,
        iterations,
    })
}
