//! Internal validation speed: fit + bootstrap optimism correction with B = 200 on n = 2,000
//! rows and 20 numeric predictors, formula `y ~ x1 + ... + x20` (DESIGN section 8 target:
//! <= 0.5 s on the 2-core machine; peer `benches/peers/validate_rms.R`: rms `lrm` +
//! `validate(B = 200)` + `calibrate(B = 200)`).
//!
//! Run: `cargo bench --bench validate` (needs `[[bench]] name = "validate" harness = false`).
//!
//! Cases:
//! - `fit_validate_b200`: `fit_model` + `validate_model` as the `validate` command runs it
//!   (B = 200 refits, calibration-curve band with 200 resamples, grouped table).
//! - `fit_validate_b200_noband`: the same without the calibration band (bootstrap only).
//! - pieces, to see where time goes: `one_fit` (the whole formula pipeline on 2,000 rows),
//!   `one_refit_fixed_design` (what a replicate refits: coefficients on the stored design,
//!   then predictions for all rows), `one_evaluate` (every headline metric with DeLong
//!   inference), `one_evaluate_point` (what a replicate measures, twice: the same without
//!   DeLong), and two of its parts (lowess E statistics, logistic recalibration).
//!
//! Data (same recipe as `benches/fit.rs` and the R peer): columns `j % 4 == 3` Bernoulli(0.3),
//! the others normal with mean `j / 4` and sd `1 + (j % 3) / 2`; `logit P(y = 1) = -1.5 +
//! sum_j b_j (x_j - mean_j)` with `b_j = +-0.15` (about 25% events).

use criterion::{criterion_group, criterion_main, Criterion};
use mbdrisk::design::MissingPolicy;
use mbdrisk::metrics::{calibration_errors, evaluate, evaluate_point, logistic_recalibration};
use mbdrisk::model::fit::fit_model;
use mbdrisk::model::logistic::FitOptions;
use mbdrisk::table::{Column, Table};
use mbdrisk::validation::{validate_model, Refitter, ValidateOptions};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

const N: usize = 2_000;
const P: usize = 20;
const B: usize = 200;

fn simulate(n: usize, seed: u64) -> Table {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut x: Vec<Vec<Option<f64>>> = (0..P).map(|_| Vec::with_capacity(n)).collect();
    let mut y = Vec::with_capacity(n);
    for _ in 0..n {
        let mut eta = -1.5;
        for (j, col) in x.iter_mut().enumerate() {
            let (v, mean) = if j % 4 == 3 {
                (f64::from(rng.gen::<f64>() < 0.3), 0.3)
            } else {
                let z: f64 = rng.sample(StandardNormal);
                let mean = j as f64 / 4.0;
                (mean + (1.0 + (j % 3) as f64 / 2.0) * z, mean)
            };
            col.push(Some(v));
            let b = if j % 2 == 0 { 0.15 } else { -0.15 };
            eta += b * (v - mean);
        }
        y.push(Some(f64::from(
            rng.gen::<f64>() < 1.0 / (1.0 + (-eta).exp()),
        )));
    }
    let mut names = vec!["y".to_string()];
    let mut columns = vec![Column::Num(y)];
    for (j, col) in x.into_iter().enumerate() {
        names.push(format!("x{}", j + 1));
        columns.push(Column::Num(col));
    }
    Table {
        source: "simulated".into(),
        names,
        columns,
    }
}

fn formula() -> String {
    let terms: Vec<String> = (1..=P).map(|j| format!("x{j}")).collect();
    format!("y ~ {}", terms.join(" + "))
}

fn run(table: &Table, formula: &str, curve_bootstrap: usize) -> f64 {
    let model =
        fit_model(table, formula, &FitOptions::default(), MissingPolicy::Drop).expect("fit");
    let opts = ValidateOptions {
        bootstrap: B,
        seed: 1,
        curve_bootstrap,
        ..ValidateOptions::default()
    };
    let v = validate_model(&model, table, None, &opts, &|| {}).expect("validate");
    v.optimism_corrected.expect("corrected").calibration_slope
}

fn bench_validate(c: &mut Criterion) {
    let table = simulate(N, 42);
    let formula = formula();
    let mut g = c.benchmark_group("validate_n2000_p20");
    g.sample_size(10);
    g.bench_function("fit_validate_b200", |b| {
        b.iter(|| run(&table, &formula, 200))
    });
    g.bench_function("fit_validate_b200_noband", |b| {
        b.iter(|| run(&table, &formula, 0))
    });
    g.finish();

    let mut g = c.benchmark_group("validate_pieces_n2000_p20");
    g.sample_size(30);
    g.bench_function("one_fit", |b| {
        b.iter(|| {
            fit_model(
                &table,
                &formula,
                &FitOptions::default(),
                MissingPolicy::Drop,
            )
            .expect("fit")
        })
    });
    let model = fit_model(
        &table,
        &formula,
        &FitOptions::default(),
        MissingPolicy::Drop,
    )
    .expect("fit");
    let p = model
        .scorer()
        .expect("scorer")
        .score_table(&table)
        .expect("score")
        .predicted;
    let y: Vec<f64> = table
        .num("y")
        .expect("y")
        .iter()
        .map(|v| v.expect("y"))
        .collect();
    g.bench_function("one_score_table", |b| {
        b.iter(|| {
            model
                .scorer()
                .expect("scorer")
                .score_table(&table)
                .expect("score")
        })
    });
    g.bench_function("one_evaluate", |b| {
        b.iter(|| evaluate(&p, &y).expect("metrics"))
    });
    g.bench_function("one_evaluate_point", |b| {
        b.iter(|| evaluate_point(&p, &y).expect("metrics"))
    });
    let refitter = Refitter::new(&model, &table).expect("design");
    let all: Vec<usize> = (0..refitter.rows.len()).collect();
    g.bench_function("one_refit_fixed_design", |b| {
        b.iter(|| refitter.refit(&all).expect("refit"))
    });
    g.bench_function("one_calibration_errors", |b| {
        b.iter(|| calibration_errors(&p, &y).expect("errors"))
    });
    g.bench_function("one_logistic_recalibration", |b| {
        b.iter(|| logistic_recalibration(&p, &y).expect("recal"))
    });
    g.finish();
}

criterion_group!(benches, bench_validate);
criterion_main!(benches);
