//! The report's sections of a Cox model at a horizon: key findings, model, discrimination and
//! calibration at the horizon, and the comparison with the rules using every patient.

use super::html::Html;
use super::{ci, f3, figure, policy_row, CoxReport, Report};

/// The key findings of the Cox model: each rule against the model, discrimination.
pub(super) fn key_findings(h: &mut Html, r: &Report, cp: &CoxReport) {
    let (v, c) = (&cp.validation, &cp.comparison);
    let st = &r.study;
    let hz = format!(
        "{} {}",
        crate::design::format_level(cp.horizon),
        st.time_unit
    );
    h.section("summary", "Key findings");
    let mut findings = Vec::new();
    for rc in &c.rules {
        if let Some(sc) = rc.scores.first() {
            let (stopped, n) = (rc.policy.stopped, c.n);
            let rule_rate = rc.policy.missed_per_100_stopped;
            let model_rate = sc.at_rule_stop_rate.policy.missed_per_100_stopped;
            let diff = ci(&sc.at_rule_stop_rate.diff_missed_per_100_stopped, 1.0, 1);
            let spared = ci(&sc.at_rule_missed_rate.diff_spared_per_100, 1.0, 1);
            let rule = &rc.rule;
            findings.push(if st.is_mm() {
                format!("Versus {rule}: the rule stops {stopped} of {n} patients, of whom {rule_rate:.1} per 100 have a bone event by {hz} (Kaplan-Meier); the model stopping as many: {model_rate:.1} per 100 (difference {diff}), and at the rule's missed-event rate it spares {spared} more patients per 100.")
            } else {
                format!("Versus {rule}: the rule calls {stopped} of {n} patients low risk, of whom {rule_rate:.1} per 100 have the {} by {hz} (Kaplan-Meier); the model calling as many low risk: {model_rate:.1} per 100 (difference {diff}), and at the rule's event rate it calls {spared} more patients per 100 low risk.", st.event_name)
            });
        }
    }
    let a = &v.apparent;
    findings.push(format!(
        "Discrimination: Harrell's C = {} (Dxy {}{}); AUC at {hz} = {} (SE {}). Calibration at {hz}: O/E = {}, slope = {}{}, ICI = {}.",
        f3(a.c_harrell),
        f3(a.dxy),
        v.optimism_corrected
            .map(|o| format!(", optimism-corrected {}", f3(o.dxy)))
            .unwrap_or_default(),
        f3(a.auc),
        f3(a.auc_se),
        f3(a.oe_ratio),
        f3(a.calibration_slope),
        v.optimism_corrected
            .map(|o| format!(" (optimism-corrected {})", f3(o.calibration_slope)))
            .unwrap_or_default(),
        f3(a.ici)
    ));
    findings.push(format!(
        "Every patient is used: {} of {} were censored before {hz} and count through Kaplan-Meier and inverse probability of censoring weights.",
        v.censored_before_horizon, v.n
    ));
    h.list(&findings);
}

/// Model, performance at the horizon and the comparison with the rules.
pub(super) fn sections(h: &mut Html, r: &Report, cp: &CoxReport) {
    let (v, c, m) = (&cp.validation, &cp.comparison, &cp.model);
    let st = &r.study;
    let mm = st.is_mm();
    let hz = format!(
        "{} {}",
        crate::design::format_level(cp.horizon),
        st.time_unit
    );
    h.para(&format!(
        "The Cox model uses every patient with its predictors: {} of {} rows were dropped because a predictor, the time or the event was missing (complete cases; multiple imputation is not yet offered).",
        m.n_dropped_missing, r.summary.n
    ));

    h.section("model", "Model");
    h.pre(&m.to_string());

    h.section(
        "discrimination",
        "Discrimination and calibration at the horizon",
    );
    let a = &v.apparent;
    let rows: Vec<Vec<String>> = [
        ("Harrell's C", a.c_harrell),
        (&*format!("AUC at {hz} (IPCW)"), a.auc),
        ("AUC standard error", a.auc_se),
        (&*format!("Brier score at {hz} (IPCW)"), a.brier),
        ("Brier score, Kaplan-Meier (null) model", a.brier_null),
        ("scaled Brier", a.scaled_brier),
        ("O/E (Kaplan-Meier / mean predicted)", a.oe_ratio),
        ("ICI", a.ici),
        ("E50", a.e50),
        ("E90", a.e90),
    ]
    .iter()
    .map(|(name, value)| vec![name.to_string(), f3(*value)])
    .collect();
    h.table(
        &format!(
            "Apparent performance at {hz}: n = {}, {} events by then, {} censored before",
            v.n, v.events_before_horizon, v.censored_before_horizon
        ),
        &["index", "apparent"],
        &rows,
    );
    let names = crate::validation::cox::INDEX_NAMES;
    let orig = v.index_orig.map(|x| x.values());
    let opt = v.optimism.map(|x| x.values());
    let cor = v.optimism_corrected.map(|x| x.values());
    let app = [
        a.dxy,
        a.r2_nagelkerke,
        a.calibration_slope,
        a.d,
        a.u,
        a.q,
        a.g,
    ];
    let rows: Vec<Vec<String>> = names
        .iter()
        .enumerate()
        .map(|(k, n)| {
            vec![
                n.to_string(),
                f3(orig.as_ref().map_or(app[k], |o| o[k])),
                opt.as_ref().map_or(".".into(), |o| f3(o[k])),
                cor.as_ref().map_or(".".into(), |o| f3(o[k])),
            ]
        })
        .collect();
    h.table(
        &format!(
            "Bootstrap validation as rms::validate.cph ({} replicates)",
            v.bootstrap.map_or(0, |b| b.used)
        ),
        &["index", "apparent", "optimism", "optimism-corrected"],
        &rows,
    );
    figure(h, &cp.figures,
        "calibration",
        &format!("Calibration of the risk by {hz}: smoothed (hazard regression) and by tenths of predicted risk (Kaplan-Meier), with the patients each rule {}.", if mm { "stops" } else { "calls low risk" }),
    );
    let groups: Vec<Vec<String>> = v
        .calibration
        .iter()
        .map(|g| {
            vec![
                (g.group + 1).to_string(),
                g.n.to_string(),
                g.events.to_string(),
                f3(g.mean_predicted),
                f3(g.observed),
                format!("{} to {}", f3(g.ci_low), f3(g.ci_high)),
            ]
        })
        .collect();
    h.table(
        &format!("Grouped calibration at {hz} (tenths of predicted risk; Kaplan-Meier, Greenwood 95% CI)"),
        &["group", "n", &format!("events by {hz}"), "mean predicted", "observed", "95% CI"],
        &groups,
    );

    h.section(
        "utility",
        if c.rules.is_empty() {
            "Clinical utility"
        } else {
            "Clinical utility versus the rules"
        },
    );
    h.para(&format!(
        "Every patient counts, censored or not: the risk of {} by {hz} among the patients a policy {} is a Kaplan-Meier estimate within them; sensitivity and specificity weight each patient by the inverse probability of remaining uncensored (IPCW). Each rule is compared with the model {} as many patients (lowest predicted risk first), and with the model {} as many as it can without a higher Kaplan-Meier risk among them than the rule's. Intervals are 95% paired bootstrap percentile intervals (patients resampled, the censoring distribution re-estimated; model predictions held fixed).",
        crate::report::dynamic::article(&st.event_name).to_string() + " " + &st.event_name,
        if mm { "stops" } else { "calls low risk" },
        if mm { "stopping" } else { "calling low risk" },
        if mm { "stopping" } else { "calling low risk" },
    ));
    let (stopped, spared, missed) = if mm {
        (
            "stopped",
            "spared per 100",
            "missed events per 100 stopped (KM)",
        )
    } else {
        (
            "called low risk",
            "low risk per 100",
            "events per 100 called low risk (KM)",
        )
    };
    for rc in &c.rules {
        let mut rows = vec![policy_row(&rc.rule, &rc.policy)];
        for sc in &rc.scores {
            rows.push(policy_row(
                &format!(
                    "{} at the rule's {}",
                    sc.score,
                    if mm { "stop rate" } else { "low-risk rate" }
                ),
                &sc.at_rule_stop_rate.policy,
            ));
            rows.push(policy_row(
                &format!(
                    "{} at the rule's {}",
                    sc.score,
                    if mm {
                        "missed-event rate"
                    } else {
                        "event rate"
                    }
                ),
                &sc.at_rule_missed_rate.policy,
            ));
        }
        h.table(
            &format!(
                "{}: {} if {}",
                rc.rule,
                if mm { "stop" } else { "low risk" },
                rc.sql
            ),
            &[
                "policy",
                stopped,
                spared,
                missed,
                "sensitivity (IPCW)",
                "specificity (IPCW)",
                &format!("net benefit at t = {:.2}", c.reference_threshold),
            ],
            &rows,
        );
        let diffs: Vec<Vec<String>> = rc
            .scores
            .iter()
            .map(|sc| {
                vec![
                    sc.score.clone(),
                    ci(&sc.at_rule_stop_rate.diff_missed_per_100_stopped, 1.0, 1),
                    ci(&sc.at_rule_stop_rate.diff_sensitivity, 100.0, 1),
                    ci(&sc.at_rule_missed_rate.diff_spared_per_100, 1.0, 1),
                    ci(&sc.at_rule_stop_rate.diff_net_benefit, 100.0, 2),
                ]
            })
            .collect();
        h.table(
            &format!("Differences score minus {} (95% bootstrap CI)", rc.rule),
            &[
                "score",
                &format!("{missed} (same stop rate)"),
                "sensitivity, points",
                &format!("{spared} (same missed-event rate)"),
                "net benefit x100",
            ],
            &diffs,
        );
    }
    figure(h, &cp.figures,
        "decision_curve",
        &format!(
            "Decision curve at {hz}: net benefit of the decision to {} by threshold probability (time-to-event outcome: Kaplan-Meier among those above the threshold).",
            st.action
        ),
    );
}
