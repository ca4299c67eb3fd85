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
//! Data: `benches/common/x20.rs`, as `benches/fit.rs` and the R peer.

use criterion::{criterion_group, criterion_main, Criterion};
use mbdrisk::design::MissingPolicy;
use mbdrisk::metrics::{calibration_errors, evaluate, evaluate_point, logistic_recalibration};
use mbdrisk::model::fit::fit_model;
use mbdrisk::model::logistic::FitOptions;
use mbdrisk::table::{Column, Table};
use mbdrisk::validation::{validate_model, Refitter, ValidateOptions};

#[path = "common/x20.rs"]
mod x20;
use x20::{simulate_x20, survival_x20, P};

const N: usize = 2_000;
const B: usize = 200;

/// The shared n x 20 design as a table: `y`, `x1` ... `x20`.
fn simulate(n: usize, seed: u64) -> Table {
    let (x, y) = simulate_x20(n, seed);
    let mut names = vec!["y".to_string()];
    let mut columns = vec![Column::Num(y.into_iter().map(Some).collect())];
    for (j, col) in x.columns().into_iter().enumerate() {
        names.push(format!("x{}", j + 1));
        columns.push(Column::Num(col.iter().map(|&v| Some(v)).collect()));
    }
    Table {
        source: "simulated".into(),
        names,
        columns,
        lines: Vec::new(),
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

/// The n x 20 design with survival outcomes: `time`, `event`, `x1` ... `x20`.
fn simulate_survival(n: usize, seed: u64) -> Table {
    let (x, _) = simulate_x20(n, seed);
    let (time, event) = survival_x20(&x, seed);
    let mut names = vec!["time".to_string(), "event".to_string()];
    let mut columns = vec![
        Column::Num(time.into_iter().map(Some).collect()),
        Column::Num(
            event
                .into_iter()
                .map(|e| Some(f64::from(u8::from(e))))
                .collect(),
        ),
    ];
    for (j, col) in x.columns().into_iter().enumerate() {
        names.push(format!("x{}", j + 1));
        columns.push(Column::Num(col.iter().map(|&v| Some(v)).collect()));
    }
    Table {
        source: "simulated".into(),
        names,
        columns,
        lines: Vec::new(),
    }
}

/// Cox: fit + `validate.cph`-style bootstrap (B = 200) + the apparent metrics at 24 months
/// (IPCW AUC and Brier, smoothed calibration ICI/E50/E90, grouped table), n = 2,000, p = 20
/// (target <= 0.5 s; rms `cph` + `validate.cph(B = 200)` 2.0 s and `calibrate.cph` 15.7 s).
fn bench_validate_cox(c: &mut Criterion) {
    use mbdrisk::model::fit::fit_any;
    use mbdrisk::survival::cox::Ties;
    let table = simulate_survival(N, 42);
    let terms: Vec<String> = (1..=P).map(|j| format!("x{j}")).collect();
    let formula = format!("Surv(time, event) ~ {}", terms.join(" + "));
    let mut g = c.benchmark_group("validate_cox_n2000_p20");
    g.sample_size(10);
    g.bench_function("fit_validate_b200_at_24", |b| {
        b.iter(|| {
            let model = fit_any(
                &table,
                &formula,
                &FitOptions::default(),
                Ties::Efron,
                MissingPolicy::Drop,
            )
            .expect("fit");
            mbdrisk::validation::cox::validate_cox(
                &model,
                &table,
                24.0,
                B,
                mbdrisk::validation::calibrate::DEFAULT_GROUP_SIZE,
                1,
                &|| {},
            )
            .expect("validate")
            .calibrate
            .map(|c| c.mean_abs_error_corrected)
        })
    });
    g.finish();
}

criterion_group!(benches, bench_validate, bench_validate_cox);
criterion_main!(benches);
