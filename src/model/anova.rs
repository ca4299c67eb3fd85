//! Wald tests per predictor, with the non-linear and interaction parts, as `rms::anova` gives
//! them for an `lrm` fit: each a chi-square of a set of coefficients, `b' V^-1 b` with `V` the
//! block of the covariance matrix.
//!
//! Rows, in order:
//! - per predictor (a main-effect term): all its coefficients, those of the interactions it is
//!   in included (then named "x (Factor+Higher Order Factors)", with an " All Interactions"
//!   row), and " Nonlinear" (the spline's non-linear coefficients, in the interactions too);
//! - per interaction term: its coefficients, and for a spline's its non-linear ones (twice,
//!   as rms: " Nonlinear" and " Nonlinear Interaction : f(A,B) vs. AB");
//! - `TOTAL NONLINEAR`, `TOTAL INTERACTION` (with two interactions or more),
//!   `TOTAL NONLINEAR + INTERACTION` (when the model has both) and `TOTAL`.
//!
//! Checked against `rms::anova` on flchain (tests/golden/cohorts).

use serde::{Deserialize, Serialize};
use statrs::distribution::{ChiSquared, ContinuousCDF};

use crate::design::{DesignSpec, Transform};

/// One Wald test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaldTest {
    /// What is tested, as `anova(lrm)` labels it (sub-rows start with a space).
    pub term: String,
    /// Wald chi-square.
    pub chi2: f64,
    /// Degrees of freedom (coefficients tested).
    pub df: usize,
    /// P-value of the chi-square.
    pub p_value: f64,
}

/// The coefficients (indices into the coefficient vector, intercept = 0) of each term, and
/// which of them are non-linear (spline columns after the first, in every level block).
fn term_columns(spec: &DesignSpec) -> Vec<(Vec<usize>, Vec<usize>)> {
    let mut next = 1;
    spec.terms
        .iter()
        .map(|t| {
            let w = t.columns.len();
            let cols: Vec<usize> = (next..next + w).collect();
            next += w;
            let base = match t.transform {
                Transform::Rcs => t.knots.as_ref().map_or(1, |k| k.len().saturating_sub(1)),
                _ => 0,
            };
            let nonlinear = if base > 1 {
                cols.iter()
                    .enumerate()
                    .filter(|(k, _)| k % base != 0)
                    .map(|(_, &c)| c)
                    .collect()
            } else {
                Vec::new()
            };
            (cols, nonlinear)
        })
        .collect()
}

/// The Wald tests of a fit with coefficients `beta` and covariance `cov` (intercept first, as
/// [`crate::model::logistic::LogisticFit`]). Sets whose covariance block is singular are left
/// out.
pub fn wald_tests(spec: &DesignSpec, beta: &[f64], cov: &[Vec<f64>]) -> Vec<WaldTest> {
    let cols = term_columns(spec);
    let mut out = Vec::new();
    let push = |out: &mut Vec<WaldTest>, term: String, set: &[usize]| {
        if let Some(t) = wald(term, set, beta, cov) {
            out.push(t);
        }
    };
    let is_interaction = |k: usize| spec.terms[k].by.is_some();
    let involves = |k: usize, v: &str| {
        spec.terms[k].variable == v || spec.terms[k].by.as_ref().is_some_and(|b| b.variable == v)
    };
    for (k, t) in spec.terms.iter().enumerate() {
        if is_interaction(k) {
            continue;
        }
        let v = t.variable.as_str();
        let with: Vec<usize> = (0..spec.terms.len())
            .filter(|&j| is_interaction(j) && involves(j, v))
            .collect();
        let mut all = cols[k].0.clone();
        let mut nonlinear = cols[k].1.clone();
        let mut inter = Vec::new();
        for &j in &with {
            all.extend(&cols[j].0);
            inter.extend(&cols[j].0);
            if spec.terms[j].variable == v {
                nonlinear.extend(&cols[j].1);
            }
        }
        let name = if with.is_empty() {
            v.to_string()
        } else {
            format!("{v} (Factor+Higher Order Factors)")
        };
        push(&mut out, name, &all);
        if !inter.is_empty() {
            push(&mut out, " All Interactions".into(), &inter);
        }
        if !nonlinear.is_empty() {
            let name = if !with.is_empty() {
                " Nonlinear (Factor+Higher Order Factors)"
            } else {
                " Nonlinear"
            };
            push(&mut out, name.into(), &nonlinear);
        }
    }
    for (k, t) in spec.terms.iter().enumerate() {
        let Some(b) = &t.by else { continue };
        push(
            &mut out,
            format!(
                "{} * {} (Factor+Higher Order Factors)",
                t.variable, b.variable
            ),
            &cols[k].0,
        );
        if !cols[k].1.is_empty() {
            push(&mut out, " Nonlinear".into(), &cols[k].1);
            push(
                &mut out,
                " Nonlinear Interaction : f(A,B) vs. AB".into(),
                &cols[k].1,
            );
        }
    }
    let nonlinear: Vec<usize> = cols.iter().flat_map(|c| c.1.iter().copied()).collect();
    let interaction: Vec<usize> = (0..spec.terms.len())
        .filter(|&k| is_interaction(k))
        .flat_map(|k| cols[k].0.iter().copied())
        .collect();
    if !nonlinear.is_empty() {
        push(&mut out, "TOTAL NONLINEAR".into(), &nonlinear);
    }
    let n_interactions = (0..spec.terms.len()).filter(|&k| is_interaction(k)).count();
    if n_interactions > 1 {
        push(&mut out, "TOTAL INTERACTION".into(), &interaction);
    }
    if !nonlinear.is_empty() && !interaction.is_empty() {
        let mut both = nonlinear.clone();
        both.extend(interaction.iter().filter(|c| !nonlinear.contains(c)));
        push(&mut out, "TOTAL NONLINEAR + INTERACTION".into(), &both);
    }
    let all: Vec<usize> = (1..beta.len()).collect();
    push(&mut out, "TOTAL".into(), &all);
    out
}

/// `b_S' V_SS^-1 b_S` for the coefficients `set`.
fn wald(term: String, set: &[usize], beta: &[f64], cov: &[Vec<f64>]) -> Option<WaldTest> {
    let mut set = set.to_vec();
    set.sort_unstable();
    set.dedup();
    let q = set.len();
    if q == 0 || set.iter().any(|&j| j >= beta.len() || j >= cov.len()) {
        return None;
    }
    let mut a = vec![0.0; q * q];
    for (r, &i) in set.iter().enumerate() {
        for (c, &j) in set.iter().enumerate() {
            a[r * q + c] = *cov[i].get(j)?;
        }
    }
    let b: Vec<f64> = set.iter().map(|&j| beta[j]).collect();
    let chol = crate::model::logistic::Cholesky::new(&a, q).ok()?;
    let x = chol.solve(&b);
    let chi2: f64 = b.iter().zip(&x).map(|(u, v)| u * v).sum();
    let p_value = ChiSquared::new(q as f64).map_or(f64::NAN, |d| d.sf(chi2.max(0.0)));
    chi2.is_finite().then_some(WaldTest {
        term,
        chi2,
        df: q,
        p_value,
    })
}
