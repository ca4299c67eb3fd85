//! Logistic fit speed: `fit_logistic` on simulated n x 20 designs, n = 1e4, 1e5, 1e6
//! (DESIGN section 8 target: 1e6 x 20 in <= 0.3 s on the 2-core machine).
//!
//! Run: `cargo bench --bench fit` (needs `[[bench]] name = "fit" harness = false`). Peers on
//! the same kind of data: `benches/peers/fit_sklearn.py`, `benches/peers/fit_rms.R`.
//!
//! Data (same idea in the peer scripts): columns `j % 4 == 3` are Bernoulli(0.3), the others
//! normal with mean `j / 4` and sd `1 + (j % 3) / 2`; `logit P(y = 1) = -1.5 + sum_j b_j (x_j -
//! mean_j)` with `b_j = +-0.15`: about 25% events. Row-major `Array2`, as the design builder
//! makes it; one column-major case shows the other layout.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use mbdrisk::model::logistic::{fit_logistic, FitOptions, Penalty};
use ndarray::{Array2, ShapeBuilder};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

const P: usize = 20;

fn simulate(n: usize, seed: u64) -> (Array2<f64>, Vec<f64>) {
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

fn bench_fit(c: &mut Criterion) {
    let mut g = c.benchmark_group("fit_logistic_x20");
    for n in [10_000usize, 100_000, 1_000_000] {
        let (x, y) = simulate(n, 42);
        g.sample_size(if n >= 1_000_000 { 10 } else { 20 });
        g.throughput(Throughput::Elements(n as u64));
        let ml = FitOptions::new();
        g.bench_with_input(BenchmarkId::new("ml", n), &n, |b, _| {
            b.iter(|| fit_logistic(x.view(), &y, &ml).expect("fit"))
        });
        if n == 1_000_000 {
            let mut xf = Array2::zeros((n, P).f());
            xf.assign(&x);
            g.bench_with_input(BenchmarkId::new("ml_column_major", n), &n, |b, _| {
                b.iter(|| fit_logistic(xf.view(), &y, &ml).expect("fit"))
            });
        }
        if n <= 100_000 {
            let ridge = FitOptions::new().penalty(Penalty::Ridge(1.0));
            g.bench_with_input(BenchmarkId::new("ridge", n), &n, |b, _| {
                b.iter(|| fit_logistic(x.view(), &y, &ridge).expect("fit"))
            });
            let firth = FitOptions::new().penalty(Penalty::Firth);
            g.bench_with_input(BenchmarkId::new("firth", n), &n, |b, _| {
                b.iter(|| fit_logistic(x.view(), &y, &firth).expect("fit"))
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench_fit);
criterion_main!(benches);
