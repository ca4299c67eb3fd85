//! The Cox family against R on `survival::lung` (226 complete cases, tied death times):
//! `coxph` with Efron and Breslow ties, rcs, factors, case weights, strata and an
//! interaction (coefficients, SEs, log-likelihoods, score and Wald tests, means, linear
//! predictors), `survfit.coxph` risks by 180 and 365 days, `basehaz`, `concordance`, the
//! `print(cph)` indexes and `anova(cph)`, and `validate.cph` (replayed on R's own bootstrap
//! draws, and B = 400 with our own), `calibrate.cph` (replayed on R's draws, grouped
//! Kaplan-Meier, and the smooth corrected curve recomputed in R). Values made by
//! `tests/golden/cox/make_goldens.R` and `make_calibrate_golden.R`; R is not needed to run
//! these tests.

use crate::tolerances::{
    COX_CALIBRATE_EXACT_ABS, COX_CALIBRATE_REPLAY_ABS, COX_COEF_REL, COX_INDEX_ABS, COX_LOGLIK_REL,
    COX_RISK_ABS, COX_SE_REL, COX_VALIDATE_B400_ABS, COX_VALIDATE_REPLAY_ABS,
};

use std::path::PathBuf;

use mbdrisk::design::MissingPolicy;
use mbdrisk::model::fit::{fit_any, Model};
use mbdrisk::model::logistic::FitOptions;
use mbdrisk::survival::cox::Ties;
use mbdrisk::table::{Column, Table};
use serde_json::Value;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/cox")
}

fn goldens() -> Value {
    let text = std::fs::read_to_string(dir().join("goldens.json")).expect("goldens.json");
    serde_json::from_str(&text).expect("json")
}

fn lung() -> Table {
    Table::read(&dir().join("lung.csv")).expect("lung.csv")
}

fn nums(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().unwrap_or(f64::NAN))
        .collect()
}

fn close_rel(got: f64, want: f64, rel: f64) -> bool {
    (got - want).abs() <= rel * want.abs().max(1.0)
}

/// The R formula in our syntax: `ecog` is text in R (a factor); our reader types "0", "1",
/// "2" as numbers, so the formula says cat(ecog).
fn our_formula(r: &str) -> String {
    r.replace("ecog", "cat(ecog)")
}

fn fit(table: &Table, g: &Value) -> Model {
    let formula = our_formula(g["formula"].as_str().expect("formula"));
    let ties = match g["ties"].as_str() {
        Some("breslow") => Ties::Breslow,
        _ => Ties::Efron,
    };
    let weights = if g["weighted"].as_bool() == Some(true) {
        match table.column("w").expect("w") {
            Column::Num(v) => Some(v.iter().map(|x| x.expect("weight")).collect()),
            Column::Text(_) => panic!("w is numeric"),
        }
    } else {
        None
    };
    let opts = FitOptions {
        weights,
        ..FitOptions::default()
    };
    fit_any(table, &formula, &opts, ties, MissingPolicy::Drop)
        .unwrap_or_else(|e| panic!("{formula}: {e}"))
}

#[test]
fn coxph_fits_match_r() {
    let g = goldens();
    let table = lung();
    for (name, want) in g["fits"].as_object().expect("fits") {
        let model = fit(&table, want);
        let cox = model.family.cox().expect("a Cox model");
        let coef: Vec<f64> = model.coefficients.iter().map(|c| c.estimate).collect();
        let se: Vec<f64> = model.coefficients.iter().map(|c| c.std_error).collect();
        let (rc, rse) = (nums(&want["coef"]), nums(&want["se"]));
        assert_eq!(coef.len(), rc.len(), "{name}: number of coefficients");
        for j in 0..rc.len() {
            assert!(
                close_rel(coef[j], rc[j], COX_COEF_REL),
                "{name} coef {j} ({}): {} vs R {}",
                model.coefficients[j].name,
                coef[j],
                rc[j]
            );
            assert!(
                close_rel(se[j], rse[j], COX_SE_REL),
                "{name} se {j}: {} vs R {}",
                se[j],
                rse[j]
            );
        }
        let ll = nums(&want["loglik"]);
        assert!(
            close_rel(model.null_log_likelihood, ll[0], COX_LOGLIK_REL),
            "{name} ll0"
        );
        assert!(
            close_rel(model.log_likelihood, ll[1], COX_LOGLIK_REL),
            "{name} ll"
        );
        let score = want["score_test"].as_f64().expect("score");
        let wald = want["wald_test"].as_f64().expect("wald");
        assert!(
            close_rel(cox.indexes.score_chi2, score, COX_LOGLIK_REL),
            "{name} score test"
        );
        assert!(
            close_rel(cox.indexes.wald_chi2, wald, COX_SE_REL),
            "{name} Wald test"
        );
        assert_eq!(model.n as u64, want["n"].as_u64().expect("n"), "{name} n");
        assert_eq!(
            model.events as u64,
            want["events"].as_u64().expect("events")
        );
        // centre = sum(means * coef), means as coxph (dummies not centred)
        let centre: f64 = nums(&want["means"])
            .iter()
            .zip(&rc)
            .map(|(m, b)| m * b)
            .sum();
        assert!((cox.centre - centre).abs() < COX_RISK_ABS, "{name} centre");

        // linear predictors and risks of the first 25 rows
        let sub = &table;
        let scores = model
            .scorer()
            .expect("scorer")
            .score_table(sub)
            .expect("score");
        // predict(coxph, type = "lp") centres a stratified model within each stratum
        // (reference = "strata"); ours, like the baseline, at the overall means, so strata
        // are checked through their risks
        let stratified = cox.strata.is_some();
        for (i, w) in nums(&want["lp_first25"])
            .iter()
            .enumerate()
            .filter(|_| !stratified)
        {
            assert!(
                (scores.linear_predictor[i] - w).abs() < COX_RISK_ABS,
                "{name} lp {i}: {} vs {w}",
                scores.linear_predictor[i]
            );
        }
        for h in ["180", "365"] {
            let scorer = model
                .scorer_at(&[h.parse().expect("h")])
                .expect("scorer at h");
            let s = scorer.score_table(sub).expect("risk");
            for (i, w) in nums(&want["risk_first25"][h]).iter().enumerate() {
                assert!(
                    (s.predicted[i] - w).abs() < COX_RISK_ABS,
                    "{name} risk by {h}, row {i}: {} vs survfit {w}",
                    s.predicted[i]
                );
            }
        }

        // basehaz (centered) at every R time up to the stored end of each stratum's curve
        let bh = &want["basehaz"];
        let (times, hazard) = (nums(&bh["time"]), nums(&bh["hazard"]));
        let strata: Vec<Option<String>> = match bh["strata"].as_array() {
            Some(a) => a.iter().map(|s| s.as_str().map(str::to_string)).collect(),
            None => vec![None; times.len()],
        };
        let mut checked = 0;
        for k in 0..times.len() {
            let curve = match &strata[k] {
                None => &cox.baseline[0],
                Some(s) => {
                    let level = s.split('=').nth(1).unwrap_or(s);
                    cox.baseline
                        .iter()
                        .find(|c| c.stratum.as_deref() == Some(level))
                        .expect("stratum")
                }
            };
            if let Some(h) = curve.at(times[k]) {
                assert!(
                    (h - hazard[k]).abs() < COX_RISK_ABS,
                    "{name} basehaz at {}: {h} vs {}",
                    times[k],
                    hazard[k]
                );
                checked += 1;
            }
        }
        assert!(
            checked > times.len() / 2,
            "{name}: only {checked} basehaz points checked"
        );
        // at most one value per event time, none with fewer than 5 at risk
        for c in &cox.baseline {
            assert!(c.n_risk.iter().all(|&r| r >= 5));
            assert!(c.times.windows(2).all(|w| w[0] < w[1]));
        }
        if want["weighted"].as_bool() != Some(true) {
            let c = want["concordance"].as_f64().expect("C");
            assert!(
                (cox.indexes.c - c).abs() < COX_INDEX_ABS,
                "{name} Harrell's C {} vs concordance {c}",
                cox.indexes.c
            );
        }
    }
}

#[test]
fn print_cph_indexes_and_anova_match_rms() {
    let g = goldens();
    let table = lung();
    let model = fit(&table, &g["fits"]["efron_rcs_factors"]);
    let cox = model.family.cox().expect("cox");
    let st = &g["cph_stats"];
    let pairs = [
        ("R2", cox.indexes.r2),
        ("Dxy", cox.indexes.dxy),
        ("g", cox.indexes.g),
        ("gr", cox.indexes.gr),
        ("LR", model.lr_chi2),
        ("Score", cox.indexes.score_chi2),
    ];
    for (k, got) in pairs {
        let want = st[k].as_f64().expect(k);
        assert!(
            (got - want).abs() < 1e-5 * want.abs().max(1.0),
            "{k}: {got} vs cph {want}"
        );
    }
    let a = &g["cph_anova"];
    let rows: Vec<&str> = a["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|v| v.as_str().expect("row").trim())
        .collect();
    let chi2 = nums(&a["chi2"]);
    for (k, row) in rows.iter().enumerate() {
        let ours = model
            .anova
            .iter()
            .find(|t| t.term.trim() == *row)
            .unwrap_or_else(|| panic!("anova row {row}: {:?}", model.anova));
        assert!(
            (ours.chi2 - chi2[k]).abs() < 1e-5 * chi2[k].max(1.0),
            "anova {row}: {} vs {}",
            ours.chi2,
            chi2[k]
        );
    }
    let text = model.to_string();
    assert!(text.contains("Cox Proportional Hazards Model"), "{text}");
    assert!(text.contains("Hazard ratio"), "{text}");
}

/// rms indexes in validate.cph row order, from our names.
const ROWS: [&str; 7] = ["Dxy", "R2", "Slope", "D", "U", "Q", "g"];

#[test]
fn validate_cph_replayed_on_r_draws() {
    let g = goldens();
    let table = lung();
    let model = fit(&table, &g["fits"]["efron_rcs_factors"]);
    let idx: Vec<Vec<usize>> = g["boot_indices_b50"]
        .as_array()
        .expect("indices")
        .iter()
        .map(|r| nums(r).iter().map(|&v| v as usize).collect())
        .collect();
    let o =
        mbdrisk::validation::cox::cox_optimism_from_indices(&model, &table, &idx).expect("replay");
    assert_eq!(o.used, 50);
    let want = &g["validate_b50_replay"];
    for (k, row) in ROWS.iter().enumerate() {
        for (field, got) in [
            ("orig", o.apparent[k]),
            ("optimism", o.optimism[k]),
            ("corrected", o.corrected[k]),
        ] {
            let w = nums(&want[field])[k];
            assert!(
                (got - w).abs() < COX_VALIDATE_REPLAY_ABS,
                "{row} {field}: {got} vs validate.cph {w}"
            );
        }
    }
}

#[test]
fn validate_cph_b400_with_our_draws() {
    let g = goldens();
    let table = lung();
    let model = fit(&table, &g["fits"]["efron_rcs_factors"]);
    let v =
        mbdrisk::validation::cox::validate_cox(&model, &table, 365.0, 400, 150, 20261202, &|| {})
            .expect("validate");
    let corrected = v.optimism_corrected.expect("corrected").values();
    let want = nums(&g["validate_b400"]["corrected"]);
    for (k, row) in ROWS.iter().enumerate() {
        assert!(
            (corrected[k] - want[k]).abs() < COX_VALIDATE_B400_ABS,
            "{row}: corrected {} vs validate.cph(B = 400) {}",
            corrected[k],
            want[k]
        );
    }
    // the smoothed calibration at 365 days (Austin et al. 2020), computed in R by coxph on
    // rcs(cloglog(risk), 3) and survfit
    let g2: Value = serde_json::from_str(
        &std::fs::read_to_string(dir().join("compare_golden.json")).expect("golden"),
    )
    .expect("json");
    for (k, got) in [
        ("ici", v.apparent.ici),
        ("e50", v.apparent.e50),
        ("e90", v.apparent.e90),
    ] {
        let want = g2[k].as_f64().expect(k);
        assert!((got - want).abs() < COX_RISK_ABS, "{k}: {got} vs R {want}");
    }
    // IPCW AUC (with its SE) and Brier at 365 days as riskRegression::Score on
    // predictRisk(coxph)
    let g3: Value = serde_json::from_str(
        &std::fs::read_to_string(dir().join("score_golden.json")).expect("golden"),
    )
    .expect("json");
    for (k, got) in [
        ("auc", v.apparent.auc),
        ("auc_se", v.apparent.auc_se),
        ("brier", v.apparent.brier),
        ("brier_null", v.apparent.brier_null),
    ] {
        let want = g3[k].as_f64().expect(k);
        assert!(
            (got - want).abs() < crate::tolerances::CENSORED_SCORE_ABS,
            "{k}: {got} vs Score {want}"
        );
    }
    // the apparent Harrell C is the model's own
    let cox = model.family.cox().expect("cox");
    assert!((v.apparent.c_harrell - cox.indexes.c).abs() < 1e-12);
    assert!((v.apparent.calibration_slope - 1.0).abs() < 1e-6);
}

/// The censoring-aware comparison on R's numbers: the Kaplan-Meier risk by 365 days among
/// the patients a rule stops (`survfit` within the subset) and the net benefit for a
/// time-to-event outcome (the `dcurves` formula, evaluated in R with `survfit`).
#[test]
fn censored_comparison_matches_survfit_and_the_dcurves_formula() {
    use mbdrisk::compare::censored::compare_censored;
    use mbdrisk::compare::{CompareOptions, RuleDecisions, Score};
    let text = std::fs::read_to_string(dir().join("compare_golden.json")).expect("golden");
    let g: Value = serde_json::from_str(&text).expect("json");
    let table = lung();
    let num = |c: &str| -> Vec<f64> {
        table
            .num(c)
            .expect(c)
            .iter()
            .map(|v| v.expect("value"))
            .collect()
    };
    let (time, age) = (num("time"), num("age"));
    let event: Vec<bool> = num("event").iter().map(|&e| e == 1.0).collect();
    let risk = nums(&g["risk"]);
    let stop: Vec<bool> = age.iter().map(|&a| a < 60.0).collect();
    let thresholds = nums(&g["thresholds"]);
    let opts = CompareOptions {
        bootstrap: 0,
        thresholds: thresholds.clone(),
        ..CompareOptions::default()
    };
    let c = compare_censored(
        &[Score {
            name: "model",
            risk: &risk,
        }],
        &[RuleDecisions {
            name: "young",
            sql: "age < 60",
            stop: &stop,
        }],
        &time,
        &event,
        365.0,
        &opts,
    )
    .expect("compare");
    let p = &c.rules[0].policy;
    assert_eq!(p.stopped as u64, g["young_stopped"].as_u64().expect("n"));
    let want = g["young_km_risk"].as_f64().expect("km");
    assert!(
        (p.risk_stopped - want).abs() < 1e-12,
        "{} vs {want}",
        p.risk_stopped
    );
    assert!((c.risk_all - g["km_risk_all"].as_f64().expect("all")).abs() < 1e-12);
    let curve = |name: &str| {
        c.decision_curve
            .curves
            .iter()
            .find(|k| k.name == name)
            .expect("curve")
            .net_benefit
            .clone()
    };
    for (got, want) in curve("model").iter().zip(nums(&g["nb_model"])) {
        assert!(
            (got - want).abs() < crate::tolerances::NET_BENEFIT_ABS,
            "{got} vs {want}"
        );
    }
    for (got, want) in curve("continue all")
        .iter()
        .zip(nums(&g["nb_continue_all"]))
    {
        assert!(
            (got - want).abs() < crate::tolerances::NET_BENEFIT_ABS,
            "{got} vs {want}"
        );
    }
    // matched at the rule's stop rate: as many stopped; at its missed rate: no higher risk
    let m = &c.rules[0].scores[0];
    assert_eq!(m.at_rule_stop_rate.policy.stopped, p.stopped);
    assert!(m.at_rule_missed_rate.policy.risk_stopped <= p.risk_stopped + 1e-12);
}

/// `rms::calibrate.cph(cmethod = "KM", u = 365, m = 40, B = 40)` replayed on its own draws:
/// per group the mean predicted survival, Kaplan-Meier at 365 days, the mean optimism, the
/// corrected Kaplan-Meier and the replicates that measured it; and the smooth corrected curve
/// (the Austin smoother in place of hare) recomputed by coxph/survfit on the same draws.
#[test]
fn calibrate_cph_replayed_on_r_draws() {
    let text = std::fs::read_to_string(dir().join("calibrate_golden.json")).expect("golden");
    let g: Value = serde_json::from_str(&text).expect("json");
    let table = lung();
    let model = fit(&table, &goldens()["fits"]["efron_rcs_factors"]);
    let idx: Vec<Vec<usize>> = g["boot_indices"]
        .as_array()
        .expect("indices")
        .iter()
        .map(|r| nums(r).iter().map(|&v| v as usize).collect())
        .collect();
    let horizon = g["horizon"].as_f64().expect("horizon");
    let m = g["m"].as_u64().expect("m") as usize;
    let cal =
        mbdrisk::validation::cox::cox_calibrate_from_indices(&model, &table, horizon, m, &idx)
            .expect("replay");
    let km = &g["km"];
    let want_pred = nums(&km["mean_predicted"]);
    assert_eq!(cal.groups.len(), want_pred.len(), "number of groups");
    let close = |got: f64, want: f64, what: &str, j: usize, tol: f64| {
        assert!((got - want).abs() < tol, "{what} {j}: {got} vs R {want}");
    };
    // ours are risks by increasing risk; calibrate.cph's survival by increasing survival
    for (j, grp) in cal.groups.iter().rev().enumerate() {
        let exact = COX_CALIBRATE_EXACT_ABS;
        close(
            1.0 - grp.predicted,
            want_pred[j],
            "group mean predicted",
            j,
            exact,
        );
        close(1.0 - grp.observed, nums(&km["KM"])[j], "group KM", j, exact);
        let replay = COX_CALIBRATE_REPLAY_ABS;
        close(
            -grp.optimism,
            nums(&km["mean_optimism"])[j],
            "group optimism",
            j,
            replay,
        );
        let corrected = 1.0 - grp.observed_corrected;
        close(
            corrected,
            nums(&km["KM_corrected"])[j],
            "group KM corrected",
            j,
            replay,
        );
        assert_eq!(
            grp.replicates as f64,
            nums(&km["n"])[j],
            "group {j} replicates"
        );
    }
    let sm = &g["smooth"];
    let grid = nums(&sm["grid"]);
    assert_eq!(cal.curve.len(), grid.len(), "curve places");
    for (k, pt) in cal.curve.iter().enumerate() {
        let exact = COX_CALIBRATE_EXACT_ABS;
        close(pt.predicted, grid[k], "curve place", k, exact);
        close(
            pt.observed,
            nums(&sm["observed"])[k],
            "curve observed",
            k,
            exact,
        );
        let want = nums(&sm["observed_corrected"])[k];
        close(pt.observed_corrected, want, "curve corrected", k, exact);
        assert_eq!(pt.replicates as f64, nums(&sm["replicates"])[k]);
    }
}
