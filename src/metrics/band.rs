//! The bootstrap band of the calibration curve for large samples, resampled on a binned
//! representation instead of re-sorting and re-smoothing `n` points per replicate.
//!
//! The pairs are sorted once by prediction and cut into [`BINS`] bins of consecutive points
//! (equal counts). A bootstrap replicate is drawn as the exact bootstrap's law for the bins:
//! the counts of the bins are multinomial (`n` draws, probability `m_k / n` for a bin of
//! `m_k` points, drawn as conditional binomials) and the events of a bin binomial (its
//! count, its event rate), each bin at its mean prediction. The replicate is smoothed with
//! the same LOWESS (span 2/3, no robustness steps): local linear fits whose neighbourhood
//! holds the `span * n` nearest resampled points, tricube weights on distance (as `clowess`:
//! 1 within 0.001 h, 0 beyond 0.999 h), at bins 1% of the range apart and linear between
//! (`clowess`'s `delta`). What is approximated is the spread of
//! the predictions within a bin (each is taken at its bin mean): with 2,000 bins, a bin
//! holds 0.05% of the sample. The curve itself is always the exact LOWESS.
//!
//! [`crate::metrics::calibration::calibration_curve`] uses this above
//! [`EXACT_BAND_MAX`] pairs; the test `binned_band_matches_the_exact_bootstrap_band` compares
//! both on the same sample.

use rand::SeedableRng;
use rand_distr::{Binomial, Distribution};

/// Pairs up to which the band is the exact bootstrap (resample, sort, smooth).
pub const EXACT_BAND_MAX: usize = 20_000;
/// Bins of the binned bootstrap.
pub const BINS: usize = 2_000;

/// Bins of sorted pairs: mean prediction, points, events.
pub struct Bins {
    x: Vec<f64>,
    m: Vec<u64>,
    e: Vec<u64>,
    n: u64,
}

impl Bins {
    /// Bin the pairs `(p, y)` (y 0/1) into at most [`BINS`] bins of consecutive sorted
    /// predictions.
    pub fn of(p: &[f64], y: &[f64]) -> Bins {
        let order = crate::stats::order(p);
        let n = p.len();
        let k = BINS.min(n).max(1);
        let (mut x, mut m, mut e) = (
            Vec::with_capacity(k),
            Vec::with_capacity(k),
            Vec::with_capacity(k),
        );
        for b in 0..k {
            let (lo, hi) = (b * n / k, (b + 1) * n / k);
            if hi == lo {
                continue;
            }
            let rows = &order[lo..hi];
            x.push(rows.iter().map(|&i| p[i]).sum::<f64>() / rows.len() as f64);
            m.push(rows.len() as u64);
            e.push(rows.iter().filter(|&&i| y[i] == 1.0).count() as u64);
        }
        Bins {
            x,
            m,
            e,
            n: n as u64,
        }
    }

    /// The counts and events per bin of replicate `stream`: multinomial counts (conditional
    /// binomials), binomial events.
    fn draw(&self, seed: u64, stream: u64) -> (Vec<u64>, Vec<u64>) {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(stream);
        // multinomial counts as conditional binomials, then binomial events
        let mut left = self.n;
        let mut rest = self.n;
        let mut c = Vec::with_capacity(self.m.len());
        let mut ev = Vec::with_capacity(self.m.len());
        for (k, (&m, &e)) in self.m.iter().zip(&self.e).enumerate() {
            let ck = if k + 1 == self.m.len() || left == 0 {
                left
            } else {
                let q = (m as f64 / rest as f64).clamp(0.0, 1.0);
                Binomial::new(left, q).map_or(0, |d| d.sample(&mut rng))
            };
            left -= ck;
            rest -= m;
            let r = e as f64 / m as f64;
            let ek = if ck == 0 || r == 0.0 {
                0
            } else if r == 1.0 {
                ck
            } else {
                Binomial::new(ck, r).map_or(0, |d| d.sample(&mut rng))
            };
            c.push(ck);
            ev.push(ek);
        }
        (c, ev)
    }

    /// Replicate `stream` of the seeded binned bootstrap, smoothed and read at `grid`
    /// (`None` outside the replicate's range of predictions).
    pub fn replicate(&self, grid: &[f64], span: f64, seed: u64, stream: u64) -> Vec<Option<f64>> {
        let (c, ev) = self.draw(seed, stream);
        let keep: Vec<usize> = (0..c.len()).filter(|&k| c[k] > 0).collect();
        let xs: Vec<f64> = keep.iter().map(|&k| self.x[k]).collect();
        let cs: Vec<f64> = keep.iter().map(|&k| c[k] as f64).collect();
        let es: Vec<f64> = keep.iter().map(|&k| ev[k] as f64).collect();
        let fitted = grouped_lowess(&xs, &cs, &es, span);
        grid.iter().map(|&g| interpolate(&xs, &fitted, g)).collect()
    }
}

/// LOWESS (no robustness steps) of grouped 0/1 data: at `x[k]`, `count[k]` points of which
/// `events[k]` are 1; `x` increasing. The fit at each group.
fn grouped_lowess(x: &[f64], count: &[f64], events: &[f64], span: f64) -> Vec<f64> {
    let g = x.len();
    if g == 0 {
        return Vec::new();
    }
    let total: f64 = count.iter().sum();
    let ns = (span * total + 1e-7).floor().max(2.0).min(total);
    let range = x[g - 1] - x[0];
    // fits at anchors at least delta = 1% of the range apart (as clowess), linear between
    let delta = 0.01 * range;
    let mut anchors: Vec<usize> = Vec::new();
    for i in 0..g {
        if anchors.last().is_none_or(|&a| x[i] - x[a] >= delta) || i + 1 == g {
            anchors.push(i);
        }
    }
    let mut at_anchor = Vec::with_capacity(anchors.len());
    for &i in &anchors {
        let x0 = x[i];
        // the neighbourhood: groups taken nearest first until they hold ns points (the
        // distance to the ns-th nearest point is h; a group at distance h weighs 0, so taking
        // it whole or in part is the same)
        let (mut lo, mut hi) = (i, i);
        let mut inside = count[i];
        while inside < ns && (lo > 0 || hi + 1 < g) {
            let grow_right = lo == 0 || (hi + 1 < g && x[hi + 1] - x0 <= x0 - x[lo - 1]);
            if grow_right {
                hi += 1;
                inside += count[hi];
            } else {
                lo -= 1;
                inside += count[lo];
            }
        }
        let h = (x0 - x[lo]).max(x[hi] - x0);
        let (h9, h1) = (0.999 * h, 0.001 * h);
        let (mut w_sum, mut wx, mut wy) = (0.0, 0.0, 0.0);
        let mut ws = Vec::with_capacity(hi - lo + 1);
        for j in lo..=hi {
            let r = (x[j] - x0).abs();
            let t = if r <= h1 {
                1.0
            } else if r <= h9 {
                let u = r / h;
                let v = 1.0 - u * u * u;
                v * v * v
            } else {
                0.0
            };
            ws.push(t);
            w_sum += t * count[j];
            wx += t * count[j] * x[j];
            wy += t * events[j];
        }
        if w_sum <= 0.0 {
            at_anchor.push(events[i] / count[i]);
            continue;
        }
        let a = wx / w_sum;
        let mut sxx = 0.0;
        let mut sxy = 0.0;
        for (t, j) in ws.iter().zip(lo..=hi) {
            let d = x[j] - a;
            sxx += t * count[j] * d * d;
            sxy += t * d * events[j];
        }
        let mean_y = wy / w_sum;
        let fit = if h > 0.0 && (sxx / w_sum).sqrt() > 0.001 * range {
            mean_y + sxy / sxx * (x0 - a)
        } else {
            mean_y
        };
        at_anchor.push(fit);
    }
    (0..g)
        .map(|i| {
            let k = anchors.partition_point(|&a| a < i);
            if anchors.get(k) == Some(&i) {
                return at_anchor[k];
            }
            let (a0, a1) = (anchors[k - 1], anchors[k]);
            let t = (x[i] - x[a0]) / (x[a1] - x[a0]);
            at_anchor[k - 1] + t * (at_anchor[k] - at_anchor[k - 1])
        })
        .collect()
}

/// Linear interpolation of `(x, y)` at `g`; `None` outside `[x_0, x_last]`.
fn interpolate(x: &[f64], y: &[f64], g: f64) -> Option<f64> {
    let (first, last) = (*x.first()?, *x.last()?);
    if g < first || g > last {
        return None;
    }
    let k = x.partition_point(|&v| v < g);
    if k < x.len() && x[k] == g {
        return Some(y[k]);
    }
    let (x0, x1, y0, y1) = (x[k - 1], x[k], y[k - 1], y[k]);
    Some(y0 + (y1 - y0) * (g - x0) / (x1 - x0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouped_lowess_of_the_bins_is_the_lowess_of_the_points() {
        use rand::Rng;
        let n = 12_000;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let p: Vec<f64> = (0..n).map(|_| 0.05 + 0.5 * rng.gen::<f64>()).collect();
        let y: Vec<f64> = p.iter().map(|&v| f64::from(rng.gen::<f64>() < v)).collect();
        let exact = crate::metrics::lowess::lowess(&p, &y, 2.0 / 3.0, None).expect("lowess");
        let bins = Bins::of(&p, &y);
        let c: Vec<f64> = bins.m.iter().map(|&v| v as f64).collect();
        let e: Vec<f64> = bins.e.iter().map(|&v| v as f64).collect();
        let fit = grouped_lowess(&bins.x, &c, &e, 2.0 / 3.0);
        let grid: Vec<f64> = (1..10).map(|k| 0.05 + 0.05 * k as f64).collect();
        let want = exact.interpolate_many(&grid);
        let worst = grid
            .iter()
            .zip(&want)
            .map(|(&g, w)| {
                (interpolate(&bins.x, &fit, g).expect("inside") - w.expect("inside")).abs()
            })
            .fold(0.0f64, f64::max);
        eprintln!("grouped vs exact lowess: {worst}");
        assert!(worst < 2e-3, "{worst}");
    }

    #[test]
    fn grouped_lowess_of_a_replicate_is_the_lowess_of_its_points() {
        use rand::Rng;
        let n = 12_000;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let p: Vec<f64> = (0..n).map(|_| 0.05 + 0.5 * rng.gen::<f64>()).collect();
        let y: Vec<f64> = p.iter().map(|&v| f64::from(rng.gen::<f64>() < v)).collect();
        let bins = Bins::of(&p, &y);
        let grid: Vec<f64> = (1..10).map(|k| 0.05 + 0.05 * k as f64).collect();
        for stream in 0..5 {
            let got = bins.replicate(&grid, 2.0 / 3.0, 9, stream);
            // the same replicate as points
            let (c, e) = bins.draw(9, stream);
            let (mut xs, mut ys) = (Vec::new(), Vec::new());
            for k in 0..c.len() {
                for j in 0..c[k] {
                    xs.push(bins.x[k]);
                    ys.push(f64::from(j < e[k]));
                }
            }
            let want = crate::metrics::lowess::lowess(&xs, &ys, 2.0 / 3.0, None)
                .expect("lowess")
                .interpolate_many(&grid);
            let worst = got
                .iter()
                .zip(&want)
                .map(|(g, w)| (g.expect("in") - w.expect("in")).abs())
                .fold(0.0f64, f64::max);
            eprintln!("replicate {stream}: {worst}");
            assert!(worst < 2e-3, "{worst}");
        }
    }
}
