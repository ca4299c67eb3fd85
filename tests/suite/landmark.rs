//! Landmark data sets and the landmark super-model (issue 6 items 1, 2 and 7): a hand case for
//! the stacking (carried-forward values, staleness, derived features, window outcome, IPCW),
//! and the demo super-model against R `glm(weights = ipcw)` + `sandwich::vcovCL`, with the
//! weights against `riskRegression::ipcw`.

use crate::tolerances;

use std::collections::HashMap;
use std::path::Path;

use mbdrisk::cohort::{load_cohort, load_visits};
use mbdrisk::model::landmark::{fit_dynamic, stack, FollowUp, LandmarkOptions, DEMO_FORMULA};
use mbdrisk::model::logistic::FitOptions;
use mbdrisk::table::{Column, Table};
use tolerances::{IPCW_ABS, LANDMARK_COEF_REL, LANDMARK_SE_REL};

fn text(v: &[&str]) -> Column {
    Column::Text(
        v.iter()
            .map(|s| (!s.is_empty()).then(|| (*s).into()))
            .collect(),
    )
}

fn num(v: &[Option<f64>]) -> Column {
    Column::Num(v.to_vec())
}

/// Three patients. A: event at 7.5; B: censored at 4; C: event-free, followed to 20.
fn hand_case() -> (Table, Table) {
    let cohort = Table {
        source: "cohort".into(),
        names: [
            "patient_id",
            "age",
            "ctx_ng_ml",
            "mrd",
            "pet",
            "time_months",
            "event",
        ]
        .map(String::from)
        .to_vec(),
        columns: vec![
            text(&["A", "B", "C"]),
            num(&[Some(60.0), Some(70.0), Some(80.0)]),
            num(&[Some(0.20), Some(0.10), Some(0.30)]),
            text(&["negative", "positive", "negative"]),
            text(&["CMR", "", "non_CMR"]),
            num(&[Some(7.5), Some(4.0), Some(20.0)]),
            num(&[Some(1.0), Some(0.0), Some(0.0)]),
        ],
        lines: Vec::new(),
    };
    // A: CTX falls to 0.10 at 3 then rises to 0.20 at 6 (+100% over nadir > LSC 56%),
    //    MRD converts at 6. B: one visit at 3. C: CTX at 3 only (stale by 9 with staleness 5),
    //    PET at 6.
    let visits = Table {
        source: "visits".into(),
        names: ["patient_id", "month", "ctx_ng_ml", "mrd", "pet"]
            .map(String::from)
            .to_vec(),
        columns: vec![
            text(&["A", "A", "B", "C", "C"]),
            num(&[Some(3.0), Some(6.0), Some(3.0), Some(3.0), Some(6.0)]),
            num(&[Some(0.10), Some(0.20), Some(0.12), Some(0.25), None]),
            text(&["", "positive", "", "", ""]),
            text(&["", "", "", "", "CMR"]),
        ],
        lines: Vec::new(),
    };
    (cohort, visits)
}

fn get(t: &Table, col: &str, row: usize) -> Option<f64> {
    t.num(col).expect("numeric column")[row]
}

fn label(t: &Table, col: &str, row: usize) -> Option<String> {
    match t.column(col).expect("column") {
        Column::Text(v) => v[row].as_deref().map(str::to_string),
        Column::Num(v) => v[row].map(|x| x.to_string()),
    }
}

#[test]
fn hand_case_stacking() {
    let (cohort, visits) = hand_case();
    let opts = LandmarkOptions {
        landmarks: vec![0.0, 3.0, 6.0, 9.0],
        window: 6.0,
        max_staleness: 5.0,
        ..LandmarkOptions::default()
    };
    let st = stack(
        &cohort,
        &visits,
        FollowUp {
            time: "time_months",
            event: "event",
        },
        &opts,
    )
    .expect("stack");
    let t = &st.table;
    // At risk: s=0: A B C; s=3: A B C (B censored at 4 > 3); s=6: A C; s=9: C.
    let keys: Vec<(String, f64)> = (0..t.nrows())
        .map(|r| (label(t, "patient_id", r).expect("id"), st.landmark[r]))
        .collect();
    let expect: Vec<(String, f64)> = [
        ("A", 0.0),
        ("B", 0.0),
        ("C", 0.0),
        ("A", 3.0),
        ("B", 3.0),
        ("C", 3.0),
        ("A", 6.0),
        ("C", 6.0),
        ("C", 9.0),
    ]
    .iter()
    .map(|(p, s)| (p.to_string(), *s))
    .collect();
    assert_eq!(keys, expect);
    let row = |p: &str, s: f64| keys.iter().position(|k| k.0 == p && k.1 == s).expect("row");
    // Landmark-time terms: s / 9 and its square.
    assert_eq!(get(t, "landmark_1", row("A", 3.0)), Some(3.0 / 9.0));
    assert_eq!(get(t, "landmark_2", row("C", 9.0)), Some(1.0));
    // A at 6: CTX 0.20 now, nadir 0.10 (month 3): +100% > 56%; MRD negative -> positive.
    let a6 = row("A", 6.0);
    assert_eq!(get(t, "ctx_ng_ml", a6), Some(0.20));
    assert_eq!(get(t, "ctx_nadir_ng_ml", a6), Some(0.10));
    assert!((get(t, "ctx_change_pct", a6).expect("change") - 100.0).abs() < 1e-12);
    assert_eq!(get(t, "ctx_above_lsc", a6), Some(1.0));
    // ... and +100% over the previous measurement (0.10 at month 3): a serial rise > LSC.
    assert!((get(t, "ctx_change_prev_pct", a6).expect("serial") - 100.0).abs() < 1e-12);
    assert_eq!(get(t, "ctx_rise_lsc", a6), Some(1.0));
    assert_eq!(label(t, "mrd", a6).as_deref(), Some("positive"));
    assert_eq!(get(t, "mrd_conversion", a6), Some(1.0));
    // A at 3: below its baseline (nadir is the current value), no conversion yet.
    let a3 = row("A", 3.0);
    assert_eq!(get(t, "ctx_change_pct", a3), Some(0.0));
    assert_eq!(get(t, "ctx_above_lsc", a3), Some(0.0));
    assert!((get(t, "ctx_change_prev_pct", a3).expect("serial") + 50.0).abs() < 1e-12);
    assert_eq!(get(t, "ctx_rise_lsc", a3), Some(0.0));
    // At 0 there is one measurement only: no serial change, and no rise.
    assert_eq!(get(t, "ctx_change_prev_pct", row("A", 0.0)), None);
    assert_eq!(get(t, "ctx_rise_lsc", row("A", 0.0)), Some(0.0));
    // A stale CTX (C at 9) has no rise flag either way.
    assert_eq!(get(t, "ctx_rise_lsc", row("C", 9.0)), None);
    assert_eq!(get(t, "mrd_conversion", a3), Some(0.0));
    assert_eq!(label(t, "mrd", a3).as_deref(), Some("negative"));
    // Cohort-only columns are copied.
    assert_eq!(get(t, "age", a3), Some(60.0));
    // C at 9: CTX last measured at 3 (6 months old > 5): missing; PET at 6 carried (3 months).
    let c9 = row("C", 9.0);
    assert_eq!(get(t, "ctx_ng_ml", c9), None);
    assert_eq!(get(t, "ctx_change_pct", c9), None);
    assert_eq!(label(t, "pet", c9).as_deref(), Some("CMR"));
    assert_eq!(get(t, "months_since_pet", c9), Some(3.0));
    // MRD of C is the baseline at month 0, 9 months old: missing; its conversion flag uses
    // the whole history (no positive): 0.
    assert_eq!(label(t, "mrd", c9), None);
    assert_eq!(get(t, "mrd_conversion", c9), Some(0.0));
    // B has no PET at all.
    assert_eq!(get(t, "months_since_pet", row("B", 0.0)), None);
    // Outcomes in (s, s + 6]: A event at 7.5 -> in window from s = 3 and 6, not from 0;
    // B censored at 4 -> censored in the window at 0 and 3 (missing, weight 0);
    // C followed to 20 -> 0 everywhere.
    let outcome = |p: &str, s: f64| get(t, "landmark_event", row(p, s));
    assert_eq!(outcome("A", 0.0), Some(0.0));
    assert_eq!(outcome("A", 3.0), Some(1.0));
    assert_eq!(outcome("A", 6.0), Some(1.0));
    assert_eq!(outcome("B", 0.0), None);
    assert_eq!(outcome("B", 3.0), None);
    assert_eq!(outcome("C", 6.0), Some(0.0));
    assert_eq!(get(t, "residual_time", row("A", 6.0)), Some(1.5));
    // IPCW at s = 0 (residual times A 7.5 event, B 4 censored, C 20): G(t) = 1 before 4,
    // 1 - 1/3 = 2/3 from 4 on. A and C are beyond the window 6: weight 1 / G(6) = 1.5.
    // B: 0. At s = 3 (A 4.5 event, B 1 censored, C 17): G = 2/3 from 1; A is an event in the
    // window: 1 / G(4.5-) = 1.5; C: 1.5.
    let w = |p: &str, s: f64| get(t, "ipcw", row(p, s)).expect("weight");
    assert!((w("A", 0.0) - 1.5).abs() < 1e-12);
    assert!((w("C", 0.0) - 1.5).abs() < 1e-12);
    assert_eq!(w("B", 0.0), 0.0);
    assert!((w("A", 3.0) - 1.5).abs() < 1e-12);
    assert!((w("C", 3.0) - 1.5).abs() < 1e-12);
    // s = 6 (A 1.5 event, C 14): no censoring, weights 1.
    assert_eq!(w("A", 6.0), 1.0);
    assert_eq!(w("C", 6.0), 1.0);
}

/// A visit after the last landmark is scored with the landmark column and the landmark-time
/// terms held at the last landmark (the super-model is not extrapolated), month 0 before a
/// first landmark > 0 at the first, while the marker ages (staleness, months since PET) use the
/// real month.
#[test]
fn visits_outside_the_landmarks_hold_the_landmark_terms_at_the_nearest() {
    use mbdrisk::model::landmark::rows_at;
    let (cohort, visits) = hand_case();
    let opts = LandmarkOptions {
        landmarks: vec![0.0, 3.0, 6.0],
        window: 6.0,
        max_staleness: 12.0,
        ..LandmarkOptions::default()
    };
    // patient C (cohort row 2) at month 6 (the last landmark) and at month 15
    let st = rows_at(&cohort, &visits, &[(2, 6.0), (2, 15.0)], &opts).expect("rows");
    let t = &st.table;
    assert_eq!(
        st.landmark,
        [6.0, 15.0],
        "the real months stay with the rows"
    );
    for col in ["landmark", "landmark_1", "landmark_2"] {
        assert_eq!(get(t, col, 1), get(t, col, 0), "{col}");
    }
    assert_eq!(get(t, "landmark", 1), Some(6.0));
    assert_eq!(get(t, "landmark_1", 1), Some(1.0));
    // PET at month 6: 9 months old at month 15, still within the staleness of 12
    assert_eq!(get(t, "months_since_pet", 1), Some(9.0));
    // CTX measured at month 3 is 12 months old at month 15: still carried (staleness 12)
    assert_eq!(get(t, "ctx_ng_ml", 1), Some(0.25));
    // ... and before a first landmark > 0 (month 0 with landmarks 3 and 6) they stay at 3
    let opts = LandmarkOptions {
        landmarks: vec![3.0, 6.0],
        ..opts
    };
    let st = rows_at(&cohort, &visits, &[(2, 0.0)], &opts).expect("rows");
    assert_eq!(st.landmark, [0.0]);
    assert_eq!(get(&st.table, "landmark", 0), Some(3.0));
    assert_eq!(get(&st.table, "landmark_1", 0), Some(0.5));
    assert_eq!(get(&st.table, "landmark_2", 0), Some(0.25));
}

#[test]
fn landmark_options_parse_and_reject() {
    assert_eq!(
        LandmarkOptions::parse_landmarks("0:24:3").expect("parse"),
        vec![0.0, 3.0, 6.0, 9.0, 12.0, 15.0, 18.0, 21.0, 24.0]
    );
    assert_eq!(
        LandmarkOptions::parse_landmarks("6:6:1").expect("parse"),
        vec![6.0]
    );
    for bad in ["0:24", "a:b:c", "10:0:3", "0:24:0", "-3:24:3"] {
        let e = LandmarkOptions::parse_landmarks(bad).expect_err(bad);
        assert!(e.to_string().contains("start:end:step"), "{bad}: {e}");
    }
}

/// `--staleness COLUMN=MONTHS` overrides `--max-staleness` for one column: bad specs and
/// columns not in the visits file are refused.
#[test]
fn per_column_staleness_overrides_the_default() {
    let (cohort, visits) = hand_case();
    let follow_up = FollowUp {
        time: "time_months",
        event: "event",
    };
    let mut opts = LandmarkOptions {
        landmarks: vec![0.0, 3.0, 6.0, 9.0],
        window: 6.0,
        max_staleness: 5.0,
        ..LandmarkOptions::default()
    };
    opts.staleness.insert(
        "ctx_ng_ml".into(),
        LandmarkOptions::parse_staleness("ctx_ng_ml=10")
            .expect("spec")
            .1,
    );
    let st = stack(&cohort, &visits, follow_up, &opts).expect("stack");
    let t = &st.table;
    let c9 = (0..t.nrows())
        .find(|&r| label(t, "patient_id", r).as_deref() == Some("C") && st.landmark[r] == 9.0)
        .expect("C at 9");
    // C's CTX of month 3 is 6 months old at 9: carried under its own limit of 10 (not 5) ...
    assert_eq!(get(t, "ctx_ng_ml", c9), Some(0.25));
    assert_eq!(get(t, "ctx_rise_lsc", c9), Some(0.0));
    // ... while MRD (baseline, 9 months old) still follows the default 5: missing
    assert_eq!(label(t, "mrd", c9), None);
    let twice = ["pet=6".to_string(), "pet=24".to_string()];
    let e = LandmarkOptions::parse_staleness_list(&twice).expect_err("twice");
    assert!(e.to_string().contains("given twice"), "{e}");
    for bad in ["pet", "pet=", "=3", "pet=-1", "pet=abc", "pet=inf"] {
        let e = LandmarkOptions::parse_staleness(bad).expect_err(bad);
        assert!(e.to_string().contains("COLUMN=MONTHS"), "{bad}: {e}");
    }
    // no infinity: a model file stores the limits as JSON numbers (use e.g. 999)
    let inf = LandmarkOptions {
        max_staleness: f64::INFINITY,
        ..LandmarkOptions::default()
    };
    let e = inf.check().expect_err("infinite staleness");
    assert!(e.to_string().contains("finite months"), "{e}");
    opts.staleness.clear();
    opts.staleness.insert("pett".into(), 24.0);
    let e = opts
        .check_staleness_columns(&visits)
        .expect_err("unknown column");
    assert!(
        e.to_string()
            .contains("'pett' is not a measurement column of visits (did you mean 'pet'?)"),
        "{e}"
    );
    assert_eq!(e.exit_code(), 2);
}

fn golden(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/landmark")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

const FORMULA: &str = "Surv(time_months, event) ~ log(ctx_ng_ml) + ctx_above_lsc + mrd + mrd_conversion + ctdna + pet + months_since_pet";

/// Spline in landmark time, marker x landmark interactions (the demo's model until session 2).
const FORMULA_INTERACTIONS: &str = "Surv(time_months, event) ~ rcs(landmark, 3) + log(ctx_ng_ml) + ctx_above_lsc + mrd + mrd_conversion + ctdna + pet + agent + log(ctx_ng_ml):landmark + ctx_above_lsc:landmark + mrd:landmark + mrd_conversion:landmark + ctdna:landmark + pet:landmark + agent:landmark";

fn demo_fit() -> mbdrisk::model::landmark::DynamicFit {
    demo_fit_of(FORMULA)
}

fn demo_fit_of(formula: &str) -> mbdrisk::model::landmark::DynamicFit {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/demo");
    let cohort = load_cohort(&root.join("cohort.csv"), &Default::default()).expect("cohort");
    let visits =
        load_visits(&root.join("visits.csv"), Some(&cohort), &cohort.study).expect("visits");
    fit_dynamic(
        &cohort.table,
        &visits.table,
        formula,
        &LandmarkOptions::default(),
        &FitOptions::default(),
    )
    .expect("dynamic fit")
}

#[test]
fn demo_ipcw_matches_riskregression() {
    let fit = demo_fit();
    let t = &fit.stacked.table;
    let ours: HashMap<(String, u64), f64> = (0..t.nrows())
        .map(|r| {
            (
                (
                    label(t, "patient_id", r).expect("id"),
                    fit.stacked.landmark[r].to_bits(),
                ),
                get(t, "ipcw", r).expect("weight"),
            )
        })
        .collect();
    let text = golden("ipcw.csv");
    let mut n = 0;
    let mut worst = 0.0f64;
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let s: f64 = f[1].parse().expect("landmark");
        let r: f64 = f[2].parse().expect("ipcw");
        let ours = ours
            .get(&(f[0].to_string(), s.to_bits()))
            .unwrap_or_else(|| panic!("no stacked row for {} at {s}", f[0]));
        worst = worst.max((ours - r).abs());
        n += 1;
    }
    assert_eq!(n, t.nrows(), "one golden weight per stacked row");
    assert!(worst <= IPCW_ABS, "max |ipcw - riskRegression| = {worst:e}");
}

#[test]
fn demo_supermodel_matches_glm_and_vcovcl() {
    compare_supermodel(FORMULA, &[], "supermodel.csv", 12_078, 1_886);
}

/// rcs(landmark, 3) knots, factor x numeric and log(x) x numeric interaction columns.
#[test]
fn demo_supermodel_with_interactions_matches_glm_and_vcovcl() {
    compare_supermodel(
        FORMULA_INTERACTIONS,
        &["mrd=positive * landmark", "ctx_ng_ml * landmark"],
        "supermodel_interactions.csv",
        12_078,
        1_886,
    );
}

/// The `mbdrisk demo` super-model: `addNA()` levels for markers not measured (and their
/// interactions with landmark time), baseline factors, the CTX nadir and the serial rise.
#[test]
fn demo_supermodel_with_addna_matches_glm_and_vcovcl() {
    compare_supermodel(
        DEMO_FORMULA,
        &["ctdna=NA", "pet=NA * landmark"],
        "supermodel_addna.csv",
        14_999,
        1_947,
    );
}

/// The super-model of `formula` on the demo data against the golden `file`: coefficient names
/// (`columns` among them), estimates, model-based and cluster-robust SEs, and the rows and
/// patients used (R's complete cases with ipcw > 0).
fn compare_supermodel(
    formula: &str,
    columns: &[&str],
    file: &str,
    rows_used: usize,
    patients: usize,
) {
    let fit = demo_fit_of(formula);
    let names: Vec<&str> = fit
        .model
        .coefficients
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    for c in columns {
        assert!(names.contains(c), "{c} not in {names:?}");
    }
    let dynamic = fit.model.dynamic.as_ref().expect("dynamic spec");
    let text = golden(file);
    let rows: Vec<Vec<f64>> = text
        .lines()
        .skip(1)
        .map(|l| {
            l.split(',')
                .skip(1)
                .map(|v| v.parse().expect("number"))
                .collect()
        })
        .collect();
    assert_eq!(rows.len(), fit.model.coefficients.len());
    let rel = |a: f64, b: f64| (a - b).abs() / b.abs().max(1e-300);
    let mut failures = Vec::new();
    for (j, (c, r)) in fit.model.coefficients.iter().zip(&rows).enumerate() {
        if rel(c.estimate, r[0]) > LANDMARK_COEF_REL {
            failures.push(format!(
                "{}: estimate {} vs glm {}",
                c.name, c.estimate, r[0]
            ));
        }
        let naive = dynamic.model_based_std_errors[j];
        if rel(naive, r[1]) > LANDMARK_SE_REL {
            failures.push(format!(
                "{}: model-based SE {naive} vs glm {}",
                c.name, r[1]
            ));
        }
        if rel(c.std_error, r[2]) > LANDMARK_SE_REL {
            failures.push(format!(
                "{}: robust SE {} vs vcovCL {}",
                c.name, c.std_error, r[2]
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(
        fit.model.n, rows_used,
        "rows used, as R's complete cases with ipcw > 0"
    );
    assert_eq!(dynamic.patients, patients);
}

/// Issue 6 acceptance on simulated data, with the demo's super-model fitted on the demo cohort:
/// calibration slope within 0.85-1.15 at every landmark, and, at the same number of alarms,
/// more events caught than every reading of the restart triggers (MRD conversion; CTX rise
/// above the LSC since the previous measurement, or above the nadir; both; either). The claim
/// with its CI is checked where it is not flattered by in-sample optimism and has the power to
/// show it: on an independent simulated cohort of 8,000 patients (another seed), the 95%
/// patient-bootstrap CI of model minus rule is above 0 for every rule. On the 2,000 demo
/// patients the model was fitted on, every difference is above 0, but the CI against the nadir
/// reading (233 alarms per 100 patient-years, catching 508 of 574 events) touches 0 for some
/// bootstrap seeds (-0.2 to +5.5 with the seed of `mbdrisk demo`).
#[test]
fn demo_dynamic_model_is_calibrated_per_landmark_and_beats_every_trigger() {
    use mbdrisk::compare::restart::{compare_restart, restart_data};
    use mbdrisk::simulate::{simulate, write_csvs, SimParams};
    use mbdrisk::validation::dynamic::validate_dynamic;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/demo");
    let cohort = load_cohort(&root.join("cohort.csv"), &Default::default()).expect("cohort");
    let visits =
        load_visits(&root.join("visits.csv"), Some(&cohort), &cohort.study).expect("visits");
    let fit = demo_fit_of(DEMO_FORMULA);
    let v = validate_dynamic(&fit.model, &cohort.table, &visits.table, 0, 1).expect("validate");
    assert_eq!(v.per_landmark.len(), 9);
    for p in &v.per_landmark {
        assert!(
            (0.85..=1.15).contains(&p.calibration_slope),
            "landmark {:?}: calibration slope {}",
            p.landmark,
            p.calibration_slope
        );
        assert!(p.auc > 0.6, "landmark {:?}: AUC {}", p.landmark, p.auc);
    }
    let beats_every_rule = |cohort: &Table, visits: &Table, label: &str, ci_above_0: bool| {
        let triggers = mbdrisk::rules::Rule::mm_triggers();
        let d = restart_data(&fit.model, cohort, visits, &triggers).expect("visits scored");
        let c = compare_restart(&d, 0.10, 200, 7).expect("restart");
        assert_eq!(c.matched.len(), triggers.len());
        for m in &c.matched {
            let (lo, hi) = m.ci.expect("bootstrap CI");
            eprintln!(
                "{label} {}: model - rule {:+.3} ({lo:+.3} to {hi:+.3})",
                m.rule.policy, m.caught_fraction_difference
            );
            assert!(
                m.model.alarms >= m.rule.alarms && m.model.alarms <= m.rule.alarms * 101 / 100 + 5,
                "{label} {}: alarms not matched ({} vs {})",
                m.rule.policy,
                m.model.alarms,
                m.rule.alarms
            );
            let beaten = if ci_above_0 {
                lo > 0.0
            } else {
                m.caught_fraction_difference > 0.0
            };
            assert!(
                beaten,
                "{label} {}: model - rule {} (CI {lo} to {hi})",
                m.rule.policy, m.caught_fraction_difference
            );
        }
    };
    beats_every_rule(&cohort.table, &visits.table, "demo", false);
    let sim = simulate(8_000, 5, &SimParams::defaults()).expect("simulate");
    let dir = tempfile::tempdir().expect("tempdir");
    write_csvs(&sim, dir.path()).expect("write");
    let ext = load_cohort(&dir.path().join("cohort.csv"), &Default::default()).expect("cohort");
    let ext_visits =
        load_visits(&dir.path().join("visits.csv"), Some(&ext), &ext.study).expect("visits");
    beats_every_rule(&ext.table, &ext_visits.table, "independent cohort", true);
}

/// With only two landmark times carrying rows, a quadratic landmark term cannot be estimated:
/// the super-model gets `landmark_1` alone; with one, no landmark term.
#[test]
fn landmark_terms_follow_the_number_of_landmarks() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/demo");
    let cohort = load_cohort(&root.join("cohort.csv"), &Default::default()).expect("cohort");
    let visits =
        load_visits(&root.join("visits.csv"), Some(&cohort), &cohort.study).expect("visits");
    let names = |landmarks: Vec<f64>| -> Vec<String> {
        let opts = LandmarkOptions {
            landmarks,
            ..LandmarkOptions::default()
        };
        let fit = fit_dynamic(
            &cohort.table,
            &visits.table,
            "Surv(time_months, event) ~ log(ctx_ng_ml) + mrd",
            &opts,
            &FitOptions::default(),
        )
        .expect("fit");
        fit.model
            .coefficients
            .iter()
            .map(|c| c.name.clone())
            .collect()
    };
    let two = names(vec![0.0, 12.0]);
    assert!(
        two.contains(&"landmark_1".to_string()) && !two.contains(&"landmark_2".to_string()),
        "{two:?}"
    );
    let one = names(vec![6.0]);
    assert!(!one.iter().any(|n| n.starts_with("landmark")), "{one:?}");
    let all = names(vec![0.0, 6.0, 12.0]);
    assert!(all.contains(&"landmark_2".to_string()), "{all:?}");
}

/// The landmark features of any visit column (issue 12): a numeric `bili` with an LSC and a
/// 0/1 `ascites` with a level to convert to, by hand.
#[test]
fn generic_visit_columns_get_landmark_features() {
    let cohort = Table {
        source: "cohort".into(),
        names: ["id", "bili", "ascites", "futime", "status"]
            .map(String::from)
            .to_vec(),
        columns: vec![
            text(&["A", "B"]),
            num(&[Some(2.0), Some(1.0)]),
            num(&[Some(0.0), Some(1.0)]),
            num(&[Some(30.0), Some(30.0)]),
            num(&[Some(1.0), Some(0.0)]),
        ],
        lines: Vec::new(),
    };
    // A: bili 2 (month 0) -> 1 (6) -> 1.5 (12); ascites 0 -> 1 at 12.
    // B: bili 1 (0) -> 0.9 (6); ascites 1 throughout.
    let visits = Table {
        source: "visits".into(),
        names: ["id", "day", "bili", "ascites"].map(String::from).to_vec(),
        columns: vec![
            text(&["A", "A", "B"]),
            num(&[Some(6.0), Some(12.0), Some(6.0)]),
            num(&[Some(1.0), Some(1.5), Some(0.9)]),
            num(&[Some(0.0), Some(1.0), Some(1.0)]),
        ],
        lines: Vec::new(),
    };
    let opts = LandmarkOptions {
        landmarks: vec![0.0, 6.0, 12.0],
        window: 12.0,
        id: "id".into(),
        month: "day".into(),
        lsc: [("bili".to_string(), 0.3)].into_iter().collect(),
        positive: [("ascites".to_string(), "1".to_string())]
            .into_iter()
            .collect(),
        ..LandmarkOptions::default()
    };
    let st = stack(
        &cohort,
        &visits,
        FollowUp {
            time: "futime",
            event: "status",
        },
        &opts,
    )
    .expect("stack");
    let t = &st.table;
    let row = |p: &str, s: f64| {
        (0..t.nrows())
            .find(|&r| label(t, "id", r).as_deref() == Some(p) && st.landmark[r] == s)
            .expect("row")
    };
    let a12 = row("A", 12.0);
    assert_eq!(get(t, "bili", a12), Some(1.5));
    assert_eq!(get(t, "bili_nadir", a12), Some(1.0));
    assert!((get(t, "bili_change_pct", a12).expect("change") - 50.0).abs() < 1e-12);
    assert!((get(t, "bili_change_prev_pct", a12).expect("prev") - 50.0).abs() < 1e-12);
    assert_eq!(get(t, "bili_above_lsc", a12), Some(1.0));
    assert_eq!(get(t, "bili_rise_lsc", a12), Some(1.0));
    assert_eq!(get(t, "months_since_bili", a12), Some(0.0));
    assert_eq!(get(t, "ascites_conversion", a12), Some(1.0));
    let a6 = row("A", 6.0);
    assert_eq!(get(t, "bili_change_pct", a6), Some(0.0));
    assert!((get(t, "bili_change_prev_pct", a6).expect("prev") + 50.0).abs() < 1e-12);
    assert_eq!(get(t, "bili_rise_lsc", a6), Some(0.0));
    assert_eq!(get(t, "ascites_conversion", a6), Some(0.0));
    // a single measurement: no previous one, no rise
    let b0 = row("B", 0.0);
    assert_eq!(get(t, "bili_change_prev_pct", b0), None);
    assert_eq!(get(t, "bili_rise_lsc", b0), Some(0.0));
    // always 1: never converts
    assert_eq!(get(t, "ascites_conversion", row("B", 6.0)), Some(0.0));
    // no MM features without MM columns
    assert!(t.index("ctx_nadir_ng_ml").is_none());
}
