//! The LOWESS smoother of R's `stats::lowess(x, y, f, iter = 0, delta)`, after
//! R's C routine `clowess` (src/library/stats/src/lowess.c, Cleveland 1979) so that the
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
    if let Some(d) = delta.filter(|d| !(*d >= 0.0 && d.is_finite())) {
        return Err(MetricsError::InvalidOption {
            name: "delta",
            value: d.to_string(),
            expected: "a non-negative finite distance on the x scale",
        });
    }
    Ok(lowess_unchecked(x, y, span, delta))
}

/// [`lowess`] of inputs the caller has checked (same lengths, not empty, finite, a valid
/// span and delta): R's stable sort by x, the default delta, one pass.
pub(crate) fn lowess_unchecked(x: &[f64], y: &[f64], span: f64, delta: Option<f64>) -> Lowess {
    let order = crate::stats::order(x);
    let xs: Vec<f64> = order.iter().map(|&i| x[i]).collect();
    let ys: Vec<f64> = order.iter().map(|&i| y[i]).collect();
    let delta = delta.unwrap_or_else(|| 0.01 * (xs[xs.len() - 1] - xs[0]));
    let fitted = clowess_sorted(&xs, &ys, span, delta);
    Lowess { x: xs, fitted }
}

/// Points from which the anchors' local fits are spread over threads.
const PARALLEL_FROM: usize = 20_000;

/// `clowess` with `nsteps = 0` on x sorted ascending. Indices below are R's 1-based ones
/// (`x1(i)` is `x[i]` of the C code) so the port can be read against the original.
fn clowess_sorted(x: &[f64], y: &[f64], f: f64, delta: f64) -> Vec<f64> {
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
    let fit = |w: &mut Vec<f64>, &(i, nleft, nright): &(usize, usize, usize)| {
        lowest(x, y, x1(i), nleft, nright, w).unwrap_or(y[i - 1])
    };
    // Each anchor's fit is independent of the others: the same values on any thread count.
    // Small smooths (a bootstrap replicate's) stay on the calling thread.
    let fits: Vec<f64> = if n >= PARALLEL_FROM {
        anchors.par_iter().map_init(|| vec![0.0; n], fit).collect()
    } else {
        let mut w = vec![0.0; n];
        anchors.iter().map(|a| fit(&mut w, a)).collect()
    };
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
///
/// The same weights, window and weighted linear fit as R, in two passes over the window
/// instead of R's six: the first computes the tricube weights (kept in `w`) with their sums
/// `sum w`, `sum w d` and `sum w y` (d = x - xs); the second the centred sums
/// `sum w (d - m)^2` and `sum w (d - m) y` about the weighted mean `m` of d. R's fit
/// `sum w (1 + b (x - a)) y` with `a = xs + m`, `b = (xs - a) / c` is then
/// `sum w y / sum w - m sum w (d - m) y / sum w (d - m)^2`, and R's test of the spread,
/// `sqrt(c) > 0.001 range` with c over normalised weights, is the same test.
fn lowest(
    x: &[f64],
    y: &[f64],
    xs: f64,
    nleft: usize,
    nright: usize,
    w: &mut [f64],
) -> Option<f64> {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (checked above).
        return unsafe { lowest_avx2(x, y, xs, nleft, nright, w) };
    }
    lowest_portable(x, y, xs, nleft, nright, w)
}

/// [`lowest_portable`] compiled for AVX2 (4 lanes a vector). Only AVX2 is enabled, not FMA:
/// the same operations in the same order as the portable build, so the same bits.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn lowest_avx2(
    x: &[f64],
    y: &[f64],
    xs: f64,
    nleft: usize,
    nright: usize,
    w: &mut [f64],
) -> Option<f64> {
    lowest_portable(x, y, xs, nleft, nright, w)
}

#[inline(always)]
fn lowest_portable(
    x: &[f64],
    y: &[f64],
    xs: f64,
    nleft: usize,
    nright: usize,
    w: &mut [f64],
) -> Option<f64> {
    let n = x.len();
    let range = x[n - 1] - x[0];
    let h = (xs - x[nleft - 1]).max(x[nright - 1] - xs);
    let h9 = 0.999 * h;
    let h1 = 0.001 * h;
    // The window extends right over every x within h9 (ties included): R's loop stops at the
    // first point beyond xs farther than h9; to its left, points beyond h9 weigh zero.
    let start = nleft - 1;
    let end = start + x[start..].partition_point(|&v| v - xs <= h9);
    let (xw, yw, ww) = (&x[start..end], &y[start..end], &mut w[start..end]);
    // Branch-free weights in 4 lanes (lane l takes the points l mod 4, reduced as
    // (l0 + l1) + (l2 + l3)), so the compiler vectorises the pass; the order is fixed, the
    // result the same on every machine. At h = 0 only exact ties (r <= h1) weigh.
    let inv_h = 1.0 / h;
    let weight = |r: f64| {
        let q = r * inv_h;
        let t = 1.0 - q * q * q;
        let tricube = if r <= h9 { t * t * t } else { 0.0 };
        if r <= h1 {
            1.0
        } else {
            tricube
        }
    };
    for (wj, &xj) in ww.iter_mut().zip(xw) {
        *wj = weight((xj - xs).abs());
    }
    let (mut s0, mut s1, mut t0) = ([0.0f64; 4], [0.0f64; 4], [0.0f64; 4]);
    let mut xc = xw.chunks_exact(4);
    let mut yc = yw.chunks_exact(4);
    let mut wc = ww.chunks_exact(4);
    for ((xq, yq), wq) in (&mut xc).zip(&mut yc).zip(&mut wc) {
        for l in 0..4 {
            s0[l] += wq[l];
            s1[l] += wq[l] * (xq[l] - xs);
            t0[l] += wq[l] * yq[l];
        }
    }
    let rest = xc.remainder().iter().zip(yc.remainder());
    for (l, ((&xj, &yj), &wj)) in rest.zip(wc.remainder()).enumerate() {
        s0[l] += wj;
        s1[l] += wj * (xj - xs);
        t0[l] += wj * yj;
    }
    let lanes = |v: [f64; 4]| (v[0] + v[1]) + (v[2] + v[3]);
    let (s0, s1, t0) = (lanes(s0), lanes(s1), lanes(t0));
    if s0 <= 0.0 {
        return None;
    }
    let mean_y = t0 / s0;
    if h <= 0.0 {
        return Some(mean_y);
    }
    let m = s1 / s0;
    let (mut c, mut u) = ([0.0f64; 4], [0.0f64; 4]);
    let mut xc = xw.chunks_exact(4);
    let mut yc = yw.chunks_exact(4);
    let mut wc = ww.chunks_exact(4);
    for ((xq, yq), wq) in (&mut xc).zip(&mut yc).zip(&mut wc) {
        for l in 0..4 {
            let dm = xq[l] - xs - m;
            c[l] += wq[l] * dm * dm;
            u[l] += wq[l] * dm * yq[l];
        }
    }
    let rest = xc.remainder().iter().zip(yc.remainder());
    for (l, ((&xj, &yj), &wj)) in rest.zip(wc.remainder()).enumerate() {
        let dm = xj - xs - m;
        c[l] += wj * dm * dm;
        u[l] += wj * dm * yj;
    }
    let (c, u) = (lanes(c), lanes(u));
    if (c / s0).sqrt() > 0.001 * range {
        Some(mean_y - m * u / c)
    } else {
        Some(mean_y)
    }
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

    /// R's `lowest` as written in lowess.c (six passes, division by h, weights normalised
    /// first), without robustness weights: the reference the two-pass form must reproduce.
    #[allow(clippy::needless_range_loop)] // R's 1-based loops, kept as written
    fn lowest_as_r(x: &[f64], y: &[f64], xs: f64, nleft: usize, nright: usize) -> Option<f64> {
        let n = x.len();
        let x1 = |i: usize| x[i - 1];
        let mut w = vec![0.0; n + 1];
        let range = x1(n) - x1(1);
        let h = (xs - x1(nleft)).max(x1(nright) - xs);
        let (h9, h1) = (0.999 * h, 0.001 * h);
        let mut a = 0.0;
        let mut j = nleft;
        while j <= n {
            let r = (x1(j) - xs).abs();
            if r <= h9 {
                w[j] = if r <= h1 {
                    1.0
                } else {
                    (1.0 - (r / h).powi(3)).powi(3)
                };
                a += w[j];
            } else if x1(j) > xs {
                break;
            }
            j += 1;
        }
        let nrt = j - 1;
        if a <= 0.0 {
            return None;
        }
        for wj in &mut w[nleft..=nrt] {
            *wj /= a;
        }
        if h > 0.0 {
            let a: f64 = (nleft..=nrt).map(|j| w[j] * x1(j)).sum();
            let mut b = xs - a;
            let c: f64 = (nleft..=nrt).map(|j| w[j] * (x1(j) - a).powi(2)).sum();
            if c.sqrt() > 0.001 * range {
                b /= c;
                for j in nleft..=nrt {
                    w[j] *= b * (x1(j) - a) + 1.0;
                }
            }
        }
        Some((nleft..=nrt).map(|j| w[j] * y[j - 1]).sum())
    }

    #[test]
    fn two_pass_local_fit_matches_r_and_is_the_same_on_every_isa() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        for case in 0..200 {
            let n = 3 + case % 97;
            let mut x: Vec<f64> = (0..n)
                .map(|_| (rng.gen::<f64>() * 20.0).round() / 20.0)
                .collect();
            x.sort_by(f64::total_cmp);
            let y: Vec<f64> = (0..n).map(|_| f64::from(rng.gen_bool(0.3))).collect();
            let ns = ((DEFAULT_SPAN * n as f64) as usize).clamp(2, n);
            for i in 1..=n {
                let nleft = (i + 1).saturating_sub(ns).max(1).min(n + 1 - ns);
                let nright = nleft + ns - 1;
                let mut w = vec![0.0; n];
                let got = lowest(&x, &y, x[i - 1], nleft, nright, &mut w);
                let portable = lowest_portable(&x, &y, x[i - 1], nleft, nright, &mut w);
                assert_eq!(got.map(f64::to_bits), portable.map(f64::to_bits));
                match (got, lowest_as_r(&x, &y, x[i - 1], nleft, nright)) {
                    (Some(a), Some(b)) => assert!((a - b).abs() < 1e-12, "{a} vs {b}"),
                    (a, b) => assert_eq!(a, b),
                }
            }
        }
    }

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
