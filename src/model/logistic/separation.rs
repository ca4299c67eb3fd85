//! Detecting (quasi-)complete separation, where maximum-likelihood estimates do not exist.
//!
//! Method (a certificate check on the Newton path, Albert & Anderson 1984). When the data are
//! separated, Newton iterates run off to infinity along a direction `d` with
//! `(2 y_i - 1) x_i'd >= 0` for every row: the log-likelihood keeps increasing along `d`, so no
//! finite maximum exists. The Newton loop suspects separation when fitted probabilities reach
//! 0 or 1 (`|eta| > 10`) while the steps stop shrinking quadratically, or when the information
//! matrix becomes singular. It then proposes candidate directions (the last step, the change
//! over the last three iterations, the estimate itself) and [`diagnose`] checks each one on
//! every row: a candidate is accepted only if no row with positive weight has a margin
//! `(2 y_i - 1) x_i'd` below `-1e-6` times the largest margin. Separation is complete when
//! every margin is positive, quasi-complete when some rows lie on the hyperplane (margin
//! within `1e-6` of zero). The terms reported are the design columns whose standardised
//! component in `d` is at least `1e-3` of the largest: the coefficients that diverge.
//!
//! A candidate that fails the check is not evidence of anything; the loop keeps iterating (the
//! finite part of the estimate converges, so later candidates are cleaner) and reports
//! `NotConverged` if no certificate is ever found. LP-based checks (Konis 2007,
//! `detectseparation`) decide separation without a Newton path; this check costs one pass over
//! the data and runs only on fits that are already misbehaving.

use super::error::SeparationKind;
use super::kernels::Problem;

/// Relative margin tolerance of the certificate (see the module docs).
const MARGIN_TOL: f64 = 1e-6;
/// Relative size of a standardised direction component that counts as diverging.
const TERM_TOL: f64 = 1e-3;

/// A verified separation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Separated {
    pub kind: SeparationKind,
    /// Design columns (0-based, intercept excluded) with a diverging coefficient.
    pub terms: Vec<usize>,
}

/// Check candidate directions (centred coordinates, intercept first); the first one that
/// separates the outcome wins. `col_sd[j]` is the standard deviation of design column `j`.
pub(crate) fn diagnose(
    prob: &Problem<'_>,
    candidates: &[Vec<f64>],
    col_sd: &[f64],
) -> Option<Separated> {
    candidates.iter().find_map(|d| check(prob, d, col_sd))
}

fn check(prob: &Problem<'_>, d: &[f64], col_sd: &[f64]) -> Option<Separated> {
    if d.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let size: Vec<f64> = d[1..]
        .iter()
        .zip(col_sd)
        .map(|(v, s)| (v * s).abs())
        .collect();
    let biggest = size.iter().cloned().fold(0.0, f64::max);
    if biggest == 0.0 {
        return None;
    }
    let margins = prob.margins(d);
    let scale = margins
        .iter()
        .filter(|m| !m.is_nan())
        .fold(0.0f64, |a, m| a.max(m.abs()));
    if scale == 0.0 {
        return None;
    }
    let tol = MARGIN_TOL * scale;
    let mut on_plane = 0usize;
    for &m in margins.iter().filter(|m| !m.is_nan()) {
        if m < -tol {
            return None;
        }
        if m <= tol {
            on_plane += 1;
        }
    }
    let kind = if on_plane == 0 {
        SeparationKind::Complete
    } else {
        SeparationKind::Quasi
    };
    let terms = size
        .iter()
        .enumerate()
        .filter(|(_, s)| **s >= TERM_TOL * biggest)
        .map(|(j, _)| j)
        .collect();
    Some(Separated { kind, terms })
}
