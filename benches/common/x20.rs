//! The simulated n x 20 design shared by `benches/fit.rs` and `benches/validate.rs` (the R
//! peers `benches/peers/*_rms.R` source the same recipe from `benches/peers/simulate_x20.R`):
//! columns `j % 4 == 3` are Bernoulli(0.3), the others normal with mean `j / 4` and sd
//! `1 + (j % 3) / 2`; `logit P(y = 1) = -1.5 + sum_j b_j (x_j - mean_j)` with `b_j = +-0.15`
//! (about 25% events).

use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// Number of predictors.
pub const P: usize = 20;

/// `n` rows (row-major) and their 0/1 outcomes, drawn row by row from `seed`.
pub fn simulate_x20(n: usize, seed: u64) -> (Array2<f64>, Vec<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut x = Array2::zeros((n, P));
    let mut y = Vec::with_capacity(n);
    for i in 0..n {
        let mut eta = -1.5;
        for j in 0..P {
            let (v, mean) = if j % 4 == 3 {
                (f64::from(rng.gen::<f64>() < 0.3), 0.3)
            } else {
                let z: f64 = rng.sample(StandardNormal);
                let mean = j as f64 / 4.0;
                (mean + (1.0 + (j % 3) as f64 / 2.0) * z, mean)
            };
            x[[i, j]] = v;
            let b = if j % 2 == 0 { 0.15 } else { -0.15 };
            eta += b * (v - mean);
        }
        y.push(f64::from(rng.gen::<f64>() < 1.0 / (1.0 + (-eta).exp())));
    }
    (x, y)
}

/// Survival outcomes for the rows of [`simulate_x20`] (same `seed`): exponential event times
/// with hazard `0.05 exp(sum_j b_j (x_j - mean_j))` (the same `b_j`), rounded up to whole
/// months (ties, as in cohorts), censored uniformly on (0, 60] months; about 60% events.
/// The R peer `benches/peers/simulate_x20.R` writes the same recipe.
pub fn survival_x20(x: &Array2<f64>, seed: u64) -> (Vec<f64>, Vec<bool>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed);
    let (n, p) = x.dim();
    let mut time = Vec::with_capacity(n);
    let mut event = Vec::with_capacity(n);
    for i in 0..n {
        let mut eta = 0.0;
        for j in 0..p {
            let mean = if j % 4 == 3 { 0.3 } else { j as f64 / 4.0 };
            let b = if j % 2 == 0 { 0.15 } else { -0.15 };
            eta += b * (x[[i, j]] - mean);
        }
        let u: f64 = rng.gen::<f64>().max(f64::MIN_POSITIVE);
        let t = (-u.ln() / (0.05 * f64::exp(eta))).ceil();
        let c = (rng.gen::<f64>() * 60.0).ceil();
        time.push(t.min(c));
        event.push(t <= c);
    }
    (time, event)
}
