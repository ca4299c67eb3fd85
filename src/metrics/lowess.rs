//! The LOWESS smoother of R's `stats::lowess(x, y, f, iter = 0, delta)`, ported line by line
//! from R's C routine `clowess` (src/library/stats/src/lowess.c, Cleveland 1979) so that the
//! calibration errors Eavg / E50 / E90 / Emax match `rms::val.prob` to rounding.
//!
//! What is replicated: the stable sort by x (R's `order`), the window of
//! `ns = max(2, min(n, (int)(f n + 1e-7)))` nearest points, tricube weights with the 0.999 h /
//! 0.001 h cut-offs, the local linear fit dropped to a weighted mean when the window's weighted
//! x spread is below 0.001 of the range, points within `delta` of the last fitted point skipped
//! and filled by linear interpolation, ties copied, and `delta = 0.01 * (max x - min x)` by
//! default. Only the first, non-robust pass is done (`iter = 0`): the robustness iterations
//! would down-weight the 0/1 outcomes, which is wrong for calibration.

use super::error::MetricsError;

/// Fitted LOWESS curve, as R returns it: `x` sorted ascending (ties kept in input order) and
/// the fitted value at each `x`. Tied x have equal fitted values.
#[derive(Debug, Clone, PartialEq)]
pub struct Lowess {
    /// The abscissae, sorted ascending.
    pub x: Vec<f64>,
    /// The smoothed value at each `x`.
    pub fitted: Vec<f64>,
}

/// The smoother span used by `rms::val.prob`: R's default `f = 2/3`.
pub const DEFAULT_SPAN: f64 = 2.0 / 3.0;

/// LOWESS smooth of `y` on `x`, one pass (R `lowess(x, y, f = span, iter = 0, delta)`).
///
/// `span` is the fraction of points in each local fit (R's `f`); `delta` (units of x) is the
/// distance within which the fit is interpolated instead of computed; `None` gives R's default
/// `0.01 * diff(range(x))`.
///
/// # Errors
/// `LengthMismatch`, `Empty`, or `InvalidOption` for a non-finite `x`/`y` value, a span not in
/// (0, 1], or a negative or non-finite delta.
pub fn lowess(x: &[f64], y: &[f64], span: f64, delta: Option<f64>) -> Result<Lowess, MetricsError> {
    if x.len() != y.len() {
        return Err(MetricsError::LengthMismatch {
            predicted: x.len(),
            observed: y.len(),
        });
    }
    if x.is_empty() {
        return Err(MetricsError::Empty);
    }
    if let Some(v) = x.iter().chain(y).find(|v| !v.is_finite()) {
        return Err(MetricsError::InvalidOption {
            name: "lowess input",
            value: v.to_string(),
            expected: "finite x and y values",
        });
    }
    if !(span > 0.0 && span <= 1.0) {
        return Err(MetricsError::InvalidOption {
            name: "span",
            value: span.to_string(),
            expected: "a fraction of points in (0, 1], e.g. 2/3",
        });
    }
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let xs: Vec<f64> = order.iter().map(|&i| x[i]).collect();
    let ys: Vec<f64> = order.iter().map(|&i| y[i]).collect();
    let delta = match delta {
        None => 0.01 * (xs[xs.len() - 1] - xs[0]),
        Some(d) if d >= 0.0 && d.is_finite() => d,
        Some(d) => {
            return Err(MetricsError::InvalidOption {
                name: "delta",
                value: d.to_string(),
                expected: "a non-negative finite distance on the x scale",
            })
        }
    };
    let fitted = clowess_sorted(&xs, &ys, span, delta);
    Ok(Lowess { x: xs, fitted })
}

/// `clowess` with `nsteps = 0` on x sorted ascending. Indices below are R's 1-based ones
/// (`x1(i)` is `x[i]` of the C code) so the port can be read against the original.
pub(crate) fn clowess_sorted(x: &[f64], y: &[f64], f: f64, delta: f64) -> Vec<f64> {
    use rayon::prelude::*;
    let n = x.len();
    if n < 2 {
        return y.to_vec();
    }
    let x1 = |i: usize| x[i - 1];
    // The walk over the points depends on x only: it is recorded first (the anchors with
    // their windows, the interpolations between anchors, the copies over ties), the local
    // fits at the anchors are computed in parallel, and the record is replayed in order:
    // the same values as clowess' single loop.
    enum Step {
        Fit {
            i: usize,
            nleft: usize,
            nright: usize,
        },
        Interpolate {
            last: usize,
            i: usize,
        },
        Copy {
            i: usize,
            from: usize,
        },
    }
    let mut steps = Vec::new();
    let ns = ((f * n as f64 + 1e-7) as usize).clamp(2, n);
    let mut nleft = 1usize;
    let mut nright = ns;
    let mut last = 0usize;
    let mut i = 1usize;
    loop {
        if nright < n {
            let d1 = x1(i) - x1(nleft);
            let d2 = x1(nright + 1) - x1(i);
            if d1 > d2 {
                nleft += 1;
                nright += 1;
                continue;
            }
        }
        steps.push(Step::Fit { i, nleft, nright });
        if last + 1 < i {
            steps.push(Step::Interpolate { last, i });
        }
        last = i;
        let cut = x1(last) + delta;
        i = last + 1;
        while i <= n {
            if x1(i) > cut {
                break;
            }
            if x1(i) == x1(last) {
                steps.push(Step::Copy { i, from: last });
                last = i;
            }
            i += 1;
        }
        i = (last + 1).max(i - 1);
        if last >= n {
            break;
        }
    }
    let anchors: Vec<(usize, usize, usize)> = steps
        .iter()
        .filter_map(|s| match *s {
            Step::Fit { i, nleft, nright } => Some((i, nleft, nright)),
            _ => None,
        })
        .collect();
    let fits: Vec<f64> = anchors
        .par_iter()
        .map_init(
            || vec![0.0; n],
            |w, &(i, nleft, nright)| lowest(x, y, x1(i), nleft, nright, w).unwrap_or(y[i - 1]),
        )
        .collect();
    let mut ys = vec![0.0; n];
    let mut next_fit = fits.into_iter();
    for step in steps {
        match step {
            Step::Fit { i, .. } => ys[i - 1] = next_fit.next().unwrap_or(y[i - 1]),
            Step::Interpolate { last, i } => {
                let denom = x1(i) - x1(last);
                for j in last + 1..i {
                    let alpha = (x1(j) - x1(last)) / denom;
                    ys[j - 1] = alpha * ys[i - 1] + (1.0 - alpha) * ys[last - 1];
                }
            }
            Step::Copy { i, from } => ys[i - 1] = ys[from - 1],
        }
    }
    ys
}

/// Fitted value at `xs` from the window `nleft..=nright` (1-based), extended right over ties;
/// `None` when all weights are zero. R's `lowest` without robustness weights.
fn lowest(
    x: &[f64],
    y: &[f64],
    xs: f64,
    nleft: usize,
    nright: usize,
    w: &mut [f64],
) -> Option<f64> {
    let n = x.len();
    let x1 = |i: usize| x[i - 1];
    let range = x1(n) - x1(1);
    let h = (xs - x1(nleft)).max(x1(nright) - xs);
    let h9 = 0.999 * h;
    let h1 = 0.001 * h;
    let mut a = 0.0;
    let mut j = nleft;
    while j <= n {
        w[j - 1] = 0.0;
        let r = (x1(j) - xs).abs();
        if r <= h9 {
            w[j - 1] = if r <= h1 {
                1.0
            } else {
                fcube(1.0 - fcube(r / h))
            };
            a += w[j - 1];
        } else if x1(j) > xs {
            break;
        }
        j += 1;
    }
    let nrt = j - 1;
    if a <= 0.0 {
        return None;
    }
    for wj in &mut w[nleft - 1..nrt] {
        *wj /= a;
    }
    if h > 0.0 {
        let mut a = 0.0;
        for j in nleft..=nrt {
            a += w[j - 1] * x1(j);
        }
        let mut b = xs - a;
        let mut c = 0.0;
        for j in nleft..=nrt {
            c += w[j - 1] * fsquare(x1(j) - a);
        }
        if c.sqrt() > 0.001 * range {
            b /= c;
            for j in nleft..=nrt {
                w[j - 1] *= b * (x1(j) - a) + 1.0;
            }
        }
    }
    let mut fit = 0.0;
    for j in nleft..=nrt {
        fit += w[j - 1] * y[j - 1];
    }
    Some(fit)
}

fn fsquare(v: f64) -> f64 {
    v * v
}

fn fcube(v: f64) -> f64 {
    v * v * v
}

impl Lowess {
    /// Value of the curve at `at` by linear interpolation between the fitted points, as R's
    /// `approx(fit, xout = at, ties = mean)` (tied x collapsed to the mean fitted value);
    /// `None` outside `[min x, max x]` (R's `rule = 1` gives NA there).
    pub fn interpolate(&self, at: f64) -> Option<f64> {
        let (ux, uy) = self.collapsed();
        interpolate_sorted(&ux, &uy, at)
    }

    /// [`Lowess::interpolate`] at many points, collapsing ties once.
    pub fn interpolate_many(&self, at: &[f64]) -> Vec<Option<f64>> {
        let (ux, uy) = self.collapsed();
        at.iter()
            .map(|&v| interpolate_sorted(&ux, &uy, v))
            .collect()
    }

    /// Distinct x with the mean fitted value over each tie (R `regularize.values`).
    fn collapsed(&self) -> (Vec<f64>, Vec<f64>) {
        let mut ux: Vec<f64> = Vec::new();
        let mut uy: Vec<f64> = Vec::new();
        let mut start = 0;
        while start < self.x.len() {
            let mut end = start + 1;
            while end < self.x.len() && self.x[end] == self.x[start] {
                end += 1;
            }
            let vals = &self.fitted[start..end];
            let first = vals[0];
            let mean = if vals.iter().all(|&v| v == first) {
                first
            } else {
                vals.iter().sum::<f64>() / vals.len() as f64
            };
            ux.push(self.x[start]);
            uy.push(mean);
            start = end;
        }
        (ux, uy)
    }
}

/// R's `approx1` (linear) on strictly increasing `x`.
fn interpolate_sorted(x: &[f64], y: &[f64], v: f64) -> Option<f64> {
    let last = x.len().checked_sub(1)?;
    if v.is_nan() || v < x[0] || v > x[last] {
        return None;
    }
    // First index with x > v, so x[j - 1] <= v < x[j].
    let j = x.partition_point(|&xi| xi <= v);
    if j == 0 {
        return None;
    }
    let i = j - 1;
    if v == x[i] || j > last {
        return Some(y[i]);
    }
    Some(y[i] + (y[j] - y[i]) * ((v - x[i]) / (x[j] - x[i])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn straight_line_is_reproduced() {
        let x: Vec<f64> = (0..50).map(|i| i as f64 / 7.0).collect();
        let y: Vec<f64> = x.iter().map(|v| 2.0 * v - 1.0).collect();
        let fit = lowess(&x, &y, DEFAULT_SPAN, None).expect("lowess");
        for (xi, fi) in fit.x.iter().zip(&fit.fitted) {
            assert!((fi - (2.0 * xi - 1.0)).abs() < 1e-12);
        }
    }

    #[test]
    fn ties_get_equal_fitted_values() {
        let x = [0.3, 0.1, 0.3, 0.2, 0.3, 0.5, 0.9, 0.7];
        let y = [1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0];
        let fit = lowess(&x, &y, DEFAULT_SPAN, None).expect("lowess");
        let tied: Vec<f64> = fit
            .x
            .iter()
            .zip(&fit.fitted)
            .filter(|(xi, _)| **xi == 0.3)
            .map(|(_, f)| *f)
            .collect();
        assert_eq!(tied.len(), 3);
        assert!(tied.iter().all(|&v| v == tied[0]));
    }

    #[test]
    fn interpolation_is_linear_between_points_and_none_outside() {
        let fit = Lowess {
            x: vec![0.0, 1.0, 1.0, 2.0],
            fitted: vec![0.0, 1.0, 1.0, 3.0],
        };
        assert_eq!(fit.interpolate(0.5), Some(0.5));
        assert_eq!(fit.interpolate(1.5), Some(2.0));
        assert_eq!(fit.interpolate(2.0), Some(3.0));
        assert_eq!(fit.interpolate(-0.1), None);
        assert_eq!(fit.interpolate(2.1), None);
    }

    #[test]
    fn rejects_bad_span() {
        let r = lowess(&[0.0, 1.0], &[0.0, 1.0], 0.0, None);
        assert!(matches!(
            r,
            Err(MetricsError::InvalidOption { name: "span", .. })
        ));
    }
}
