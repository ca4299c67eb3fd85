//! Restricted cubic splines exactly as `Hmisc::rcspline.eval` (with `rms::rcs` defaults).
//!
//! Knots: the default quantiles for each knot count (k = 3: .1 .5 .9; k = 4: .05 .35 .65 .95;
//! k = 5: .05 .275 .5 .725 .95; k = 6: .05 .23 .41 .59 .77 .95; k = 7: .025 .1833 .3417 .5
//! .6583 .8167 .975) by R's default quantile (type 7); Hmisc's `fractied = 0.05` rule for a
//! heavily tied minimum or maximum; the small-sample rule (fewer than 100 values: the outer
//! knots are the 5th smallest and 5th largest values); too few distinct values (the interior
//! distinct values become the knots); de-duplication of tied knots. Basis: `x` followed by the
//! k - 2 nonlinear terms with `norm = 2` scaling (divided by `(t_k - t_1)^(2/3)`).
//!
//! Arithmetic follows R's expressions operation by operation, so knots and basis agree with R
//! to the last bit or two (checked against goldens in `tests/golden/design`).

use rayon::slice::ParallelSliceMut;
use std::fmt;

/// Share of the rows above which a tied extreme value gets special knot placement
/// (Hmisc's `fractied` default, also `rms::rcs`'s).
pub const FRACTIED: f64 = 0.05;

/// Why knots could not be placed.
#[derive(Debug, Clone, PartialEq)]
pub enum KnotError {
    /// Fewer than 6 non-missing values (Hmisc refuses to place knots).
    TooFewValues {
        /// Number of values available.
        n: usize,
    },
    /// Fewer than 3 distinct knots could be placed (too few distinct values).
    TooFewKnots {
        /// Number of distinct values of the variable.
        distinct: usize,
    },
}

impl fmt::Display for KnotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KnotError::TooFewValues { n } => write!(
                f,
                "a spline needs at least 6 non-missing values to place knots, found {n}"
            ),
            KnotError::TooFewKnots { distinct } => write!(
                f,
                "fewer than 3 distinct knots could be placed ({distinct} distinct values); use the column as linear or cat()"
            ),
        }
    }
}

/// Outer quantile for `nk` knots (Hmisc: .1 for 3 knots, .05 for 4-6, .025 for 7+).
fn outer(nk: usize) -> f64 {
    if nk > 6 {
        0.025
    } else if nk > 3 {
        0.05
    } else {
        0.1
    }
}

/// Knot quantiles Hmisc uses for `nk` knots before the small-sample and ties rules
/// (`seq(outer, 1 - outer, length = nk)`).
pub fn default_quantiles(nk: usize) -> Vec<f64> {
    let o = outer(nk);
    r_seq(o, 1.0 - o, nk)
}

/// R's `seq(from, to, length.out = m)` for doubles, same arithmetic.
fn r_seq(from: f64, to: f64, m: usize) -> Vec<f64> {
    match m {
        0 => vec![],
        1 => vec![from],
        2 => vec![from, to],
        _ => {
            if from == to {
                return vec![from; m];
            }
            let by = (to - from) / (m - 1) as f64;
            let mut v = Vec::with_capacity(m);
            v.push(from);
            v.extend((1..m - 1).map(|i| from + i as f64 * by));
            v.push(to);
            v
        }
    }
}

/// R's `quantile(x, p, type = 7)` on sorted values: [`crate::stats::quantile_sorted`].
pub use crate::stats::quantile_sorted as quantile7_sorted;

/// R's `median` on sorted values; NaN when empty.
fn median_sorted(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let half = n.div_ceil(2);
    if n % 2 == 1 {
        sorted[half - 1]
    } else {
        (sorted[half - 1] + sorted[half]) / 2.0
    }
}

fn n_unique(v: &[f64]) -> usize {
    let mut s: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
    s.par_sort_unstable_by(f64::total_cmp);
    s.dedup();
    s.len()
}

/// Knots for a restricted cubic spline with `nk` requested knots on the values `x`
/// (non-missing, any order), as `Hmisc::rcspline.eval(x, nk = nk, knots.only = TRUE)`.
///
/// The result is sorted, distinct and may have fewer than `nk` knots when values are tied.
///
/// # Errors
/// [`KnotError`] when fewer than 6 values are given or fewer than 3 distinct knots result.
///
/// # Examples
/// ```
/// let x: Vec<f64> = (1..=200).map(f64::from).collect();
/// let k = mbdrisk::design::rcs::knots(&x, 3).unwrap();
/// assert_eq!(k.len(), 3);
/// assert!((k[0] - 20.9).abs() < 1e-9 && (k[1] - 100.5).abs() < 1e-9);
/// ```
pub fn knots(x: &[f64], nk: usize) -> Result<Vec<f64>, KnotError> {
    let n = x.len();
    if n < 6 {
        return Err(KnotError::TooFewValues { n });
    }
    let nk = nk.max(3);
    let mut xx: Vec<f64> = x.to_vec();
    xx.par_sort_unstable_by(f64::total_cmp);
    // distinct values and their counts, ascending
    let mut xu: Vec<f64> = Vec::new();
    let mut counts: Vec<usize> = Vec::new();
    for &v in &xx {
        if xu.last() == Some(&v) {
            if let Some(c) = counts.last_mut() {
                *c += 1;
            }
        } else {
            xu.push(v);
            counts.push(1);
        }
    }
    let nxu = xu.len();
    let raw: Vec<f64> = if nxu <= nk + 2 {
        // too few distinct values: the interior distinct values are the knots
        xu[1..nxu.saturating_sub(1).max(1)].to_vec()
    } else {
        let outer = outer(nk);
        let mut nke = nk;
        let mut firstknot = None;
        let mut lastknot = None;
        let f: Vec<f64> = counts.iter().map(|&c| c as f64 / n as f64).collect();
        let interior_max = f[1..nxu - 1].iter().copied().fold(f64::MIN, f64::max);
        if FRACTIED > 0.0 && FRACTIED < 1.0 && interior_max < FRACTIED {
            if f[0] >= FRACTIED {
                let first = xu[1];
                firstknot = Some(first);
                xx.retain(|&v| v > first);
                nke -= 1;
            }
            if f[nxu - 1] >= FRACTIED {
                let max = xx.last().copied().unwrap_or(f64::NAN);
                let last = xx
                    .iter()
                    .rev()
                    .copied()
                    .find(|&v| v < max)
                    .unwrap_or(f64::NAN);
                lastknot = Some(last);
                xx.retain(|&v| v < last);
                nke -= 1;
            }
        }
        let mut k: Vec<f64>;
        if nke == 1 {
            k = vec![median_sorted(&xx)];
        } else {
            if nxu <= nke {
                k = xu.clone();
            } else {
                let p = if nke == 2 {
                    r_seq(0.5, 1.0 - outer, nke)
                } else {
                    r_seq(outer, 1.0 - outer, nke)
                };
                k = p.iter().map(|&q| quantile7_sorted(&xx, q)).collect();
                if n_unique(&k) < nke.min(3) {
                    k = r_seq(outer, 1.0 - outer, 2 * nke)
                        .iter()
                        .map(|&q| quantile7_sorted(&xx, q))
                        .collect();
                    if firstknot.is_some() && n_unique(&k) < 3 {
                        let midval = match (firstknot, lastknot) {
                            (Some(a), Some(b)) => (a + b) / 2.0,
                            _ => median_sorted(&xx),
                        };
                        let last = lastknot.unwrap_or_else(|| quantile7_sorted(&xx, 1.0 - outer));
                        k = vec![firstknot.unwrap_or(f64::NAN), midval, last];
                        k.sort_by(f64::total_cmp);
                    }
                    let distinct = n_unique(&k);
                    if distinct < 3 {
                        return Err(KnotError::TooFewKnots { distinct: nxu });
                    }
                }
            }
            if xx.len() < 100 {
                // small-sample rule: 5th smallest / 5th largest value (NA when absent, as R)
                let m = xx.len();
                let set = |k: &mut Vec<f64>, i: usize, v: f64| {
                    if i >= k.len() {
                        k.resize(i + 1, f64::NAN);
                    }
                    k[i] = v;
                };
                if firstknot.is_none() {
                    set(&mut k, 0, xx.get(4).copied().unwrap_or(f64::NAN));
                }
                if lastknot.is_none() {
                    let v = if m >= 5 { xx[m - 5] } else { f64::NAN };
                    set(&mut k, nke - 1, v);
                }
            }
        }
        let mut all = Vec::with_capacity(k.len() + 2);
        all.extend(firstknot);
        all.extend(k);
        all.extend(lastknot);
        all
    };
    let mut out: Vec<f64> = raw.into_iter().filter(|v| !v.is_nan()).collect();
    out.sort_by(f64::total_cmp);
    out.dedup();
    if out.len() < 3 {
        return Err(KnotError::TooFewKnots { distinct: nxu });
    }
    Ok(out)
}

/// Scale of the nonlinear terms with `norm = 2`: `(t_k - t_1)^(2/3)`.
pub fn norm2_scale(knots: &[f64]) -> f64 {
    (knots[knots.len() - 1] - knots[0]).powf(2.0 / 3.0)
}

/// Write the spline basis of one value: `out[0] = x`, `out[1..k-1]` the nonlinear terms,
/// as `Hmisc::rcspline.eval(x, knots, inclx = TRUE)` (`norm = 2`). `out.len()` must be
/// `knots.len() - 1`; `kd` is [`norm2_scale`] of the knots (passed in so callers compute it
/// once).
#[inline]
pub fn basis_into(x: f64, knots: &[f64], kd: f64, out: &mut [f64]) {
    let nk = knots.len();
    let tk = knots[nk - 1];
    let tk1 = knots[nk - 2];
    let cube = |v: f64| {
        let v = v / kd;
        if v > 0.0 {
            v.powf(3.0)
        } else {
            0.0
        }
    };
    out[0] = x;
    let a = cube(x - tk);
    let b = cube(x - tk1);
    for j in 0..nk - 2 {
        let tj = knots[j];
        out[j + 1] = cube(x - tj) + ((tk1 - tj) * a - (tk - tj) * b) / (tk - tk1);
    }
}

/// Names of the spline columns as `rms::rcs`: `x`, `x'`, `x''`, ...
pub fn column_names(variable: &str, n_knots: usize) -> Vec<String> {
    (0..n_knots - 1)
        .map(|j| format!("{variable}{}", "'".repeat(j)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_quantiles_match_hmisc_tables() {
        let q4 = default_quantiles(4);
        for (a, b) in q4.iter().zip([0.05, 0.35, 0.65, 0.95]) {
            assert!((a - b).abs() < 1e-15);
        }
        let q7 = default_quantiles(7);
        assert!((q7[1] - 0.18333333333333335).abs() < 1e-15);
    }

    #[test]
    fn rejects_too_few_values() {
        assert_eq!(
            knots(&[1.0, 2.0, 3.0], 3),
            Err(KnotError::TooFewValues { n: 3 })
        );
    }

    #[test]
    fn basis_is_linear_beyond_last_knot() {
        let k = [0.0, 1.0, 2.0, 3.0];
        let kd = norm2_scale(&k);
        let mut b = [0.0; 3];
        let at = |x: f64, b: &mut [f64; 3]| {
            basis_into(x, &k, kd, b);
            b[1]
        };
        let (y1, y2, y3) = (at(4.0, &mut b), at(5.0, &mut b), at(6.0, &mut b));
        assert!(((y3 - y2) - (y2 - y1)).abs() < 1e-9);
    }
}
