//! Small descriptive helpers shared by summaries and reports.

/// R's `quantile(x, q, type = 7)` (its default: linear interpolation between order
/// statistics), computed as R computes it, on values sorted ascending; `q` is clamped to
/// [0, 1]. NaN when `sorted` is empty. The one quantile of the crate (knots, summaries,
/// calibration errors, bootstrap intervals).
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let q = q.clamp(0.0, 1.0);
    let index = 1.0 + (n - 1) as f64 * q;
    let (lo, hi) = (index.floor(), index.ceil());
    let (x_lo, x_hi) = (sorted[lo as usize - 1], sorted[hi as usize - 1]);
    if index > lo && x_hi != x_lo {
        let h = index - lo;
        (1.0 - h) * x_lo + h * x_hi
    } else {
        x_lo
    }
}

/// R's type-7 quantiles of `v` at each of `probs`, the values [`quantile_sorted`] gives on
/// the sorted values, found by selection (each order statistic needed is placed by
/// `select_nth_unstable`, left to right) instead of a sort. `v` is permuted; NaN each when
/// `v` is empty.
pub fn quantiles_by_selection(v: &mut [f64], probs: &[f64]) -> Vec<f64> {
    let n = v.len();
    if n == 0 {
        return vec![f64::NAN; probs.len()];
    }
    // the 0-based ranks each quantile reads (quantile_sorted's lo and hi)
    let ranks_of = |q: f64| {
        let index = 1.0 + (n - 1) as f64 * q.clamp(0.0, 1.0);
        (index.floor() as usize - 1, index.ceil() as usize - 1)
    };
    let mut ranks: Vec<usize> = probs
        .iter()
        .flat_map(|&q| {
            let (lo, hi) = ranks_of(q);
            [lo, hi]
        })
        .collect();
    ranks.sort_unstable();
    ranks.dedup();
    let mut start = 0;
    for &r in &ranks {
        v[start..].select_nth_unstable_by(r - start, f64::total_cmp);
        start = r + 1;
    }
    probs
        .iter()
        .map(|&q| {
            let index = 1.0 + (n - 1) as f64 * q.clamp(0.0, 1.0);
            let (lo, hi) = ranks_of(q);
            let (x_lo, x_hi) = (v[lo], v[hi]);
            let h = index - index.floor();
            if h > 0.0 && x_hi != x_lo {
                (1.0 - h) * x_lo + h * x_hi
            } else {
                x_lo
            }
        })
        .collect()
}

/// The permutation that sorts `v` ascending in [`f64::total_cmp`] order, ties kept in input
/// order (R's `order`, a stable sort). The one sort of predictions and times by value in the
/// crate: it sorts (order-preserving integer key, index) pairs, which is what a stable sort by
/// value gives, without chasing indices through `v`; in parallel on long inputs (the same
/// permutation on any thread count: the pairs are all distinct).
pub fn order(v: &[f64]) -> Vec<usize> {
    use rayon::slice::ParallelSliceMut;
    // total_cmp's order as an unsigned integer: negatives bit-flipped, positives sign-set
    let key = |x: f64| {
        let b = x.to_bits();
        if b >> 63 == 1 {
            !b
        } else {
            b | (1 << 63)
        }
    };
    let mut pairs: Vec<(u64, usize)> = v.iter().enumerate().map(|(i, &x)| (key(x), i)).collect();
    if pairs.len() >= ORDER_PARALLEL_FROM {
        pairs.par_sort_unstable();
    } else {
        pairs.sort_unstable();
    }
    pairs.into_iter().map(|(_, i)| i).collect()
}

/// Length from which [`order`] sorts in parallel.
const ORDER_PARALLEL_FROM: usize = 1 << 15;

/// The logistic function `1 / (1 + exp(-x))`, the inverse of [`logit`]: 0 or 1 at the
/// extremes, never NaN for a finite `x`. The one link of the crate (fits, scores, metrics).
#[inline]
pub fn expit(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// `ln(p / (1 - p))`: infinite at 0 and 1.
#[inline]
pub fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

/// One bootstrap resample of `0..n` (with replacement): ChaCha8 seeded with `seed` on its
/// stream `stream`, so replicate `b` of every resampling (validation, comparison, restart,
/// calibration band) is the same draw at any thread count. The one bootstrap draw of the
/// crate; replicate `b` uses stream `b + 1` (the calibration band: stream `b`).
pub fn resample_indices(n: usize, seed: u64, stream: u64) -> Vec<usize> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    (0..n).map(|_| rng.gen_range(0..n)).collect()
}

/// Mean and sample standard deviation (n - 1); sd is NaN for n < 2.
///
/// Two passes (the mean, then squares about it, as R's `var`), each a compensated
/// (Neumaier) sum: on a million values the result is within a few ulps of the exact one
/// whatever their order, where a plain running sum drifts (R sums in extended precision).
pub fn mean_sd(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let mean = compensated_sum(x.iter().copied()) / n;
    let ss = compensated_sum(x.iter().map(|v| (v - mean).powi(2)));
    (mean, (ss / (n - 1.0)).sqrt())
}

/// Neumaier's compensated sum: the running sum and the rounding error of each addition,
/// added back at the end.
fn compensated_sum(values: impl Iterator<Item = f64>) -> f64 {
    let (mut sum, mut c) = (0.0f64, 0.0f64);
    for v in values {
        let t = sum + v;
        c += if sum.abs() >= v.abs() {
            (sum - t) + v
        } else {
            (v - t) + sum
        };
        sum = t;
    }
    sum + c
}

/// Five-number summary plus mean and sd of the non-missing values.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Describe {
    /// Non-missing count.
    pub n: usize,
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation.
    pub sd: f64,
    /// Minimum.
    pub min: f64,
    /// 25th percentile (type 7).
    pub q25: f64,
    /// Median.
    pub median: f64,
    /// 75th percentile (type 7).
    pub q75: f64,
    /// Maximum.
    pub max: f64,
}

/// Describe the non-missing values of a column; `None` when all are missing.
pub fn describe(values: &[Option<f64>]) -> Option<Describe> {
    let mut v: Vec<f64> = values.iter().flatten().copied().collect();
    if v.is_empty() {
        return None;
    }
    let (mean, sd) = mean_sd(&v);
    let q = quantiles_by_selection(&mut v, &[0.0, 0.25, 0.5, 0.75, 1.0]);
    Some(Describe {
        n: v.len(),
        mean,
        sd,
        min: q[0],
        q25: q[1],
        median: q[2],
        q75: q[3],
        max: q[4],
    })
}

/// Quantile of the standard normal distribution at `q` in (0, 1) (R `qnorm`); NaN outside.
pub fn normal_quantile(q: f64) -> f64 {
    use statrs::distribution::{ContinuousCDF, Normal};
    if !(q > 0.0 && q < 1.0) {
        return f64::NAN;
    }
    Normal::new(0.0, 1.0).map_or(f64::NAN, |d| d.inverse_cdf(q))
}

/// Two-sided p-value of a standard normal statistic `z`, `2 P(Z > |z|)`.
pub fn two_sided_p(z: f64) -> f64 {
    statrs::function::erf::erfc(z.abs() / std::f64::consts::SQRT_2)
}

/// Upper tail `P(X > x)` of a chi-square with `df` degrees of freedom (NaN for `df <= 0`).
pub fn chi2_sf(x: f64, df: f64) -> f64 {
    use statrs::distribution::{ChiSquared, ContinuousCDF};
    if df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    ChiSquared::new(df).map_or(f64::NAN, |d| d.sf(x.max(0.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_by_selection_equal_the_quantiles_of_the_sorted_values() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        let probs = [0.0, 0.05, 0.25, 0.5, 0.5, 0.75, 0.9, 0.95, 1.0, 0.333];
        for n in [1usize, 2, 3, 10, 101, 5000] {
            for ties in [false, true] {
                let v: Vec<f64> = (0..n)
                    .map(|_| {
                        let x = rng.gen::<f64>() * 10.0 - 3.0;
                        if ties {
                            x.round()
                        } else {
                            x
                        }
                    })
                    .collect();
                let mut sorted = v.clone();
                sorted.sort_by(f64::total_cmp);
                let want: Vec<u64> = probs
                    .iter()
                    .map(|&q| quantile_sorted(&sorted, q).to_bits())
                    .collect();
                let mut w = v.clone();
                let got: Vec<u64> = quantiles_by_selection(&mut w, &probs)
                    .iter()
                    .map(|x| x.to_bits())
                    .collect();
                assert_eq!(got, want, "n = {n}, ties = {ties}");
            }
        }
        assert!(quantiles_by_selection(&mut [], &[0.5])[0].is_nan());
    }

    #[test]
    fn mean_sd_is_exact_to_rounding_in_any_order() {
        // 300,000 ones then 700,000 zeros: a plain running sum of the squares drifts
        let n = 1_000_000usize;
        let k = 300_000usize;
        let sorted: Vec<f64> = (0..n).map(|i| f64::from(u8::from(i < k))).collect();
        let mut mixed = sorted.clone();
        mixed.reverse();
        mixed.rotate_left(123_457);
        let mean = k as f64 / n as f64;
        let sd = (k as f64 * (1.0 - mean) * (1.0 - mean) + (n - k) as f64 * mean * mean)
            / (n as f64 - 1.0);
        for v in [&sorted, &mixed] {
            let (m, s) = mean_sd(v);
            assert_eq!(m, mean);
            assert!(
                (s - sd.sqrt()).abs() <= 2.0 * f64::EPSILON * s,
                "{s} vs {}",
                sd.sqrt()
            );
        }
    }

    #[test]
    fn order_is_a_stable_sort_in_total_order_on_short_and_long_inputs() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let specials = [
            0.0,
            -0.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            -f64::NAN,
            f64::MIN_POSITIVE,
            -1e-310,
        ];
        // short (sequential sort) and long (parallel sort), many ties
        for n in [0, 1, 7, 1000, ORDER_PARALLEL_FROM + 4321] {
            let v: Vec<f64> = (0..n)
                .map(|_| {
                    if rng.gen_bool(0.05) {
                        specials[rng.gen_range(0..specials.len())]
                    } else {
                        (rng.gen::<f64>() * 50.0).round() / 10.0 - 2.0
                    }
                })
                .collect();
            let mut want: Vec<usize> = (0..n).collect();
            want.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
            assert_eq!(order(&v), want, "n = {n}");
        }
    }

    #[test]
    fn quantile_matches_r_type7() {
        // R: quantile(c(1, 2, 4, 7, 11), c(.1, .25, .5, .9)) -> 1.4 2.0 4.0 9.4
        let x = [1.0, 2.0, 4.0, 7.0, 11.0];
        let got: Vec<f64> = [0.1, 0.25, 0.5, 0.9]
            .iter()
            .map(|&q| quantile_sorted(&x, q))
            .collect();
        for (g, w) in got.iter().zip([1.4, 2.0, 4.0, 9.4]) {
            assert!((g - w).abs() < 1e-12, "{g} vs {w}");
        }
    }

    #[test]
    fn describe_skips_missing() {
        let d = describe(&[Some(1.0), None, Some(3.0)]).expect("two values");
        assert_eq!(d.n, 2);
        assert_eq!(d.median, 2.0);
        assert!((d.sd - 2f64.sqrt()).abs() < 1e-12);
        assert!(describe(&[None, None]).is_none());
    }
}
