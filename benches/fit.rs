//! Logistic fit speed: `fit_logistic` on simulated n x 20 designs, n = 1e4, 1e5, 1e6
//! (DESIGN section 8 target: 1e6 x 20 in <= 0.3 s on the 2-core machine).
//!
//! Run: `cargo bench --bench fit` (needs `[[bench]] name = "fit" harness = false`). Peers on
//! the same kind of data: `benches/peers/fit_sklearn.py`, `benches/peers/fit_rms.R`.
//!
//! Data: `benches/common/x20.rs` (about 25% events). Row-major `Array2`, as the design builder
//! makes it; one column-major case shows the other layout.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use mbdrisk::model::logistic::{fit_logistic, FitOptions, Penalty};
use ndarray::{Array2, ShapeBuilder};

#[path = "common/x20.rs"]
mod x20;
use x20::{simulate_x20 as simulate, survival_x20, P};

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

/// Cox fit (Efron ties, the default of coxph) on the same designs with survival outcomes
/// (target: 1e6 x 20 in <= 0.5 s; `survival::coxph` 9.7 s). Peers:
/// `benches/peers/fit_cox.R`, `benches/peers/fit_cox.py` (lifelines, scikit-survival).
fn bench_cox(c: &mut Criterion) {
    use mbdrisk::survival::cox::{CoxFit, CoxInput, CoxOptions, Ties};
    let mut g = c.benchmark_group("fit_cox_x20");
    for n in [10_000usize, 100_000, 1_000_000] {
        let (x, _) = simulate(n, 42);
        let (time, event) = survival_x20(&x, 42);
        let xs = x.as_slice().expect("row-major").to_vec();
        g.sample_size(10);
        g.throughput(Throughput::Elements(n as u64));
        for ties in [Ties::Efron, Ties::Breslow] {
            let opts = CoxOptions {
                ties,
                ..CoxOptions::default()
            };
            g.bench_with_input(BenchmarkId::new(ties.to_string(), n), &n, |b, _| {
                b.iter(|| {
                    let input = CoxInput {
                        time: &time,
                        event: &event,
                        x: &xs,
                        p: P,
                        weights: None,
                        strata: None,
                    };
                    CoxFit::fit_input(&input, &opts).expect("fit")
                })
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench_fit, bench_cox);
criterion_main!(benches);
