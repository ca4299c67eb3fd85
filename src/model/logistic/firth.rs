//! Firth's penalised likelihood (Jeffreys prior), as `logistf` and `brglm2` (`AS_mean`).
//!
//! Maximises `l*(b) = l(b) + 1/2 log det I(b)`, `I = X'WX`. Its gradient is the modified score
//! `U*(b) = X'(w (y - mu) + h (1/2 - mu))` with `h` the hat values (diagonal of
//! `W^1/2 X I^-1 X' W^1/2`, prior weights included in `W`, which makes integer weights
//! equivalent to repeated rows). Iterations are Fisher scoring on `U*`: `b + I^-1 U*`, halved
//! while `l*` would decrease (as logistf). Each iteration costs two passes: one for
//! `l`, `I` and `log det I` at the trial point, one for the hat values and `U*` (they need the
//! factor of `I` at the same point). The covariance reported is `I(b)^-1` at the estimate, the
//! inverse Fisher information, as logistf and brglm2 report.

use super::error::FitError;
use super::irls::{
    check_rank, deviance_change, max_change, Estimate, Start, ACCEPT_SLACK, MAX_HALVINGS,
};
use super::kernels::{Pass, Problem};
use super::linalg::Cholesky;

struct State {
    beta: Vec<f64>,
    ll: f64,
    pll: f64,
    chol: Cholesky,
    score: Vec<f64>,
}

/// Penalised log-likelihood and factor at `beta`, or `None` if the information is singular.
fn evaluate(prob: &Problem<'_>, beta: &[f64]) -> Option<(f64, f64, Cholesky)> {
    let acc = prob.pass(beta, Pass::Newton);
    let chol = Cholesky::new(&prob.info(&acc), prob.q).ok()?;
    let pll = acc.ll + 0.5 * chol.log_det();
    pll.is_finite().then_some((acc.ll, pll, chol))
}

fn score(prob: &Problem<'_>, beta: &[f64], chol: &Cholesky) -> Vec<f64> {
    prob.pass(beta, Pass::FirthScore(chol)).grad
}

/// Fit by Firth's method from the starting values.
pub(crate) fn firth(
    prob: &Problem<'_>,
    start: Start,
    max_iter: usize,
    tol: f64,
) -> Result<Estimate, FitError> {
    let q = prob.q;
    let info0 = prob.info(&start.acc);
    check_rank(&info0, q)?;
    let chol = Cholesky::new(&info0, q).map_err(|_| FitError::RankDeficient {
        columns: (0..prob.p).collect(),
    })?;
    let pll = start.acc.ll + 0.5 * chol.log_det();
    let mut cur = State {
        score: score(prob, &start.beta, &chol),
        beta: start.beta,
        ll: start.acc.ll,
        pll,
        chol,
    };
    let mut last_change = f64::INFINITY;
    for it in 1..=max_iter {
        let step = cur.chol.solve(&cur.score);
        let mut t = 1.0;
        let mut accepted = None;
        for _ in 0..=MAX_HALVINGS {
            let beta: Vec<f64> = cur.beta.iter().zip(&step).map(|(b, s)| b + t * s).collect();
            if let Some((ll, pll, chol)) = evaluate(prob, &beta) {
                if pll >= cur.pll - ACCEPT_SLACK * (1.0 + cur.pll.abs()) {
                    accepted = Some((beta, ll, pll, chol));
                    break;
                }
            }
            t *= 0.5;
        }
        let full_change = max_change(&step, &cur.beta);
        let Some((beta, ll, pll, chol)) = accepted else {
            if full_change <= tol {
                return Ok(finish(cur, it - 1));
            }
            return Err(FitError::NotConverged {
                iterations: it,
                max_change: full_change,
            });
        };
        let taken: Vec<f64> = step.iter().map(|s| t * s).collect();
        let change = max_change(&taken, &beta);
        let dev = deviance_change(pll, cur.pll);
        cur = State {
            score: score(prob, &beta, &chol),
            beta,
            ll,
            pll,
            chol,
        };
        if dev <= tol && change <= tol {
            return Ok(finish(cur, it));
        }
        last_change = change;
    }
    Err(FitError::NotConverged {
        iterations: max_iter,
        max_change: last_change,
    })
}

fn finish(cur: State, iterations: usize) -> Estimate {
    Estimate {
        cov: cur.chol.inverse(),
        beta: cur.beta,
        ll: cur.ll,
        pll: cur.pll,
        iterations,
    }
}
