//! Model-versus-rule comparison: net benefit against the R golden, NRI on a hand case,
//! bootstrap reproducibility at any thread count.

use crate::tolerances;

use mbdrisk::compare::{compare, CompareOptions, RuleDecisions, Score};

fn read_csv(path: &str) -> Vec<Vec<f64>> {
    let text = std::fs::read_to_string(path).expect("golden file");
    text.lines()
        .skip(1)
        .map(|l| l.split(',').map(|c| c.parse().expect("number")).collect())
        .collect()
}

/// One score ("model" unless `name` says otherwise) against one rule.
fn compare_one(
    name: &str,
    risk: &[f64],
    stop: &[bool],
    event: &[bool],
    opts: &CompareOptions,
) -> mbdrisk::Result<mbdrisk::compare::Comparison> {
    compare(
        &[Score { name, risk }],
        &[RuleDecisions {
            name: "rule",
            sql: "",
            stop,
        }],
        event,
        opts,
    )
}

#[test]
fn net_benefit_matches_the_r_golden() {
    let data = read_csv("tests/golden/compare/nb_data.csv");
    let gold = read_csv("tests/golden/compare/nb_golden.csv");
    let p: Vec<f64> = data.iter().map(|r| r[0]).collect();
    let y: Vec<bool> = data.iter().map(|r| r[1] == 1.0).collect();
    let stop: Vec<bool> = data.iter().map(|r| r[2] == 1.0).collect();
    let opts = CompareOptions {
        bootstrap: 0,
        ..CompareOptions::default()
    };
    let c = compare_one("model", &p, &stop, &y, &opts).expect("compare");
    let dc = &c.decision_curve;
    for (k, row) in gold.iter().enumerate() {
        assert_eq!(dc.thresholds[k], row[0]);
        for (series, col) in [("model", 1), ("rule", 2), ("continue all", 3)] {
            let curve = dc.curves.iter().find(|c| c.name == series).expect("curve");
            let got = curve.net_benefit[k];
            assert!(
                (got - row[col]).abs() <= tolerances::NET_BENEFIT_ABS,
                "{series} at t={}: {got} vs {}",
                row[0],
                row[col]
            );
        }
    }
}

#[test]
fn nri_and_matching_on_a_hand_case() {
    // 8 patients; events at 2, 5, 7. Rule stops 0..4 (misses event 2).
    let risk = [0.05, 0.10, 0.60, 0.15, 0.20, 0.70, 0.30, 0.80];
    let event = [false, false, true, false, false, true, false, true];
    let stop = [true, true, true, true, false, false, false, false];
    let opts = CompareOptions {
        bootstrap: 0,
        ..CompareOptions::default()
    };
    let c = compare_one("model", &risk, &stop, &event, &opts).expect("compare");
    let rc = &c.rules[0];
    assert_eq!(rc.policy.stopped, 4);
    assert_eq!(rc.policy.missed_events, 1);
    let s = &rc.scores[0];
    // At the rule's stop rate the model stops the 4 lowest: 0, 1, 3, 4 -> no missed event.
    assert_eq!(s.at_rule_stop_rate.policy.missed_events, 0);
    assert!((s.at_rule_stop_rate.diff_missed_per_100_stopped.estimate + 25.0).abs() < 1e-12);
    assert_eq!(s.at_rule_stop_rate.risk_cutoff, 0.20);
    // Events: patient 2 moves stop -> continue (up); none down: NRI_e = 1/3.
    // Non-events: patient 4 moves continue -> stop (+1); none up: NRI_ne = 1/5.
    assert!((s.nri.events.estimate - 1.0 / 3.0).abs() < 1e-12);
    assert!((s.nri.non_events.estimate - 0.2).abs() < 1e-12);
    assert!((s.nri.total.estimate - (1.0 / 3.0 + 0.2)).abs() < 1e-12);
    // At the rule's missed rate (1/4) the model can stop 0,1,3,4,6 and then 2 (1 miss in 6).
    assert_eq!(s.at_rule_missed_rate.policy.stopped, 6);
    assert!((s.at_rule_missed_rate.diff_spared_per_100.estimate - 25.0).abs() < 1e-12);
}

#[test]
fn bootstrap_is_identical_at_any_thread_count_and_brackets_the_estimate() {
    let data = read_csv("tests/golden/compare/nb_data.csv");
    let p: Vec<f64> = data.iter().map(|r| r[0]).collect();
    let y: Vec<bool> = data.iter().map(|r| r[1] == 1.0).collect();
    let stop: Vec<bool> = data.iter().map(|r| r[2] == 1.0).collect();
    let opts = CompareOptions {
        bootstrap: 50,
        seed: 11,
        ..CompareOptions::default()
    };
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool")
            .install(|| {
                let c = compare_one("model", &p, &stop, &y, &opts).expect("compare");
                serde_json::to_string(&c).expect("json")
            })
    };
    let one = run(1);
    assert_eq!(one, run(2));
    let c: serde_json::Value = serde_json::from_str(&one).expect("parse");
    let d = &c["rules"][0]["scores"][0]["at_rule_stop_rate"]["diff_missed_per_100_stopped"];
    let (e, lo, hi) = (
        d["estimate"].as_f64().expect("e"),
        d["ci_low"].as_f64().expect("lo"),
        d["ci_high"].as_f64().expect("hi"),
    );
    assert!(lo < e && e < hi, "{lo} {e} {hi}");
}

#[test]
fn rejects_one_class_outcome_and_bad_lengths() {
    let opts = CompareOptions::default();
    let e = compare_one("m", &[0.1, 0.2], &[true, false], &[false, false], &opts)
        .expect_err("one class");
    assert!(e.to_string().contains("both events and non-events"), "{e}");
    let e = compare_one("m", &[0.1], &[true, false], &[false, true], &opts).expect_err("length");
    assert!(e.to_string().contains("score 'm'"), "{e}");
}
