//! The comparison on a cohort file: score it with the model, apply the rules, keep the
//! patients with a known outcome, compare. Also reads the simulator's truth as an oracle score.

use std::collections::HashMap;
use std::path::Path;

use super::{compare, CompareOptions, Comparison, RuleDecisions, Score};
use crate::error::{Error, Problem, Result};
use crate::model::fit::Model;
use crate::rules::Rule;
use crate::table::{Column, Table};
use crate::validation::model::outcome_column;

/// Inputs a cohort comparison needs besides the model and the table.
#[derive(Debug, Clone, Default)]
pub struct CohortCompare {
    /// Rules to compare with (at least one).
    pub rules: Vec<Rule>,
    /// True risks per row of the table (simulated data only), compared as the "oracle".
    pub oracle: Option<Vec<Option<f64>>>,
}

/// Score `table` with `model`, evaluate the rules, and compare on rows where the model's
/// outcome and every score are known.
///
/// # Errors
/// Input errors (missing predictor columns, rules on missing columns, bad SQL) exit 2.
pub fn compare_cohort(
    model: &Model,
    table: &Table,
    setup: &CohortCompare,
    opts: &CompareOptions,
) -> Result<Comparison> {
    let scores = model.scorer()?.score_table(table)?;
    let y = outcome_column(table, &model.design.outcome)?;
    let sel = Selection::of(table, setup, &scores.predicted, |i| Ok(y[i].is_some()))?;
    let event: Vec<bool> = sel.keep.iter().map(|&i| y[i] == Some(1.0)).collect();
    let mut c = compare(&sel.scores(), &sel.rules(setup), &event, opts)?;
    c.excluded = Some(sel.excluded);
    c.warnings = sel.warnings;
    Ok(c)
}

/// The censoring-aware comparison of a Cox `model` at `horizon` on `table`: every patient
/// with a score and follow-up, censored or not ([`super::censored`]).
///
/// # Errors
/// As [`compare_cohort`]; a horizon beyond the model's baseline; follow-up values that are not
/// times or 0/1 events.
pub fn compare_cohort_censored(
    model: &Model,
    table: &Table,
    setup: &CohortCompare,
    opts: &CompareOptions,
    horizon: f64,
) -> Result<super::censored::CensoredComparison> {
    let scores = model.scorer_at(&[horizon])?.score_table(table)?;
    let time_name = model
        .design
        .time
        .as_deref()
        .ok_or_else(|| Error::Usage("the model has no time column (not a Cox model)".into()))?;
    let event_name = model.design.outcome.as_str();
    let time = table.num(time_name)?;
    let event = table.num(event_name)?;
    let known = |i: usize| -> std::result::Result<bool, Problem> {
        let (Some(t), Some(e)) = (time[i], event[i]) else {
            return Ok(false);
        };
        match crate::design::follow_up_problems(table, i, (time_name, t), (event_name, e))
            .into_iter()
            .next()
        {
            Some(p) => Err(p),
            None => Ok(true),
        }
    };
    let sel = Selection::of(table, setup, &scores.predicted, known)?;
    let t: Vec<f64> = sel
        .keep
        .iter()
        .map(|&i| time[i].unwrap_or(f64::NAN))
        .collect();
    let e: Vec<bool> = sel.keep.iter().map(|&i| event[i] == Some(1.0)).collect();
    let mut c =
        super::censored::compare_censored(&sel.scores(), &sel.rules(setup), &t, &e, horizon, opts)?;
    c.excluded = Some(sel.excluded);
    c.warnings = sel.warnings;
    Ok(c)
}

/// The rows a comparison keeps (outcome known, every score present), with the scores and
/// rule decisions on them, why the others are left out, and the rules' warnings.
struct Selection {
    keep: Vec<usize>,
    excluded: super::Excluded,
    model_risk: Vec<f64>,
    oracle_risk: Option<Vec<f64>>,
    stops: Vec<Vec<bool>>,
    warnings: Vec<String>,
}

impl Selection {
    /// `known(i)`: whether row `i`'s outcome is known (`Err` for a value that is not an
    /// outcome: every such cell is reported).
    fn of(
        table: &Table,
        setup: &CohortCompare,
        predicted: &[f64],
        known: impl Fn(usize) -> std::result::Result<bool, Problem>,
    ) -> Result<Selection> {
        let decisions: Vec<Vec<bool>> = setup
            .rules
            .iter()
            .map(|r| r.evaluate(table))
            .collect::<Result<_>>()?;
        let mut excluded = super::Excluded {
            rows: table.nrows(),
            ..Default::default()
        };
        let mut problems = Vec::new();
        let mut keep: Vec<usize> = Vec::with_capacity(table.nrows());
        for (i, p) in predicted.iter().enumerate() {
            match known(i) {
                Err(e) => problems.push(e),
                Ok(false) => excluded.outcome_unknown += 1,
                Ok(true) if p.is_nan() => excluded.missing_predictor += 1,
                Ok(true)
                    if setup
                        .oracle
                        .as_ref()
                        .is_some_and(|o| o.get(i).copied().flatten().is_none()) =>
                {
                    excluded.no_true_risk += 1
                }
                Ok(true) => keep.push(i),
            }
        }
        if !problems.is_empty() {
            return Err(Error::InvalidInput(problems));
        }
        let warnings = setup
            .rules
            .iter()
            .zip(&decisions)
            .flat_map(|(r, d)| r.warnings(table, d, crate::rules::RuleUse::Rule))
            .collect();
        Ok(Selection {
            model_risk: keep.iter().map(|&i| predicted[i]).collect(),
            oracle_risk: setup
                .oracle
                .as_ref()
                .map(|o| keep.iter().map(|&i| o[i].unwrap_or(f64::NAN)).collect()),
            stops: decisions
                .iter()
                .map(|d| keep.iter().map(|&i| d[i]).collect())
                .collect(),
            keep,
            excluded,
            warnings,
        })
    }

    /// The model, then the oracle when there is one.
    fn scores(&self) -> Vec<Score<'_>> {
        let mut out = vec![Score {
            name: "model",
            risk: &self.model_risk,
        }];
        if let Some(o) = &self.oracle_risk {
            out.push(Score {
                name: "oracle (true risk)",
                risk: o,
            });
        }
        out
    }

    /// Each rule's decisions on the kept rows.
    fn rules<'a>(&'a self, setup: &'a CohortCompare) -> Vec<RuleDecisions<'a>> {
        setup
            .rules
            .iter()
            .zip(&self.stops)
            .map(|(r, s)| RuleDecisions {
                name: &r.name,
                sql: &r.sql,
                stop: s,
            })
            .collect()
    }
}

/// Read the simulator's `truth.csv` and align `true_risk_24m` (month 0) with the cohort rows
/// by `patient_id`.
///
/// # Errors
/// A truth file without the columns, or a cohort patient absent from it.
pub fn read_oracle(path: &Path, table: &Table) -> Result<Vec<Option<f64>>> {
    let truth = Table::read_keeping_text(path, &["patient_id"])?;
    let ids = truth.text("patient_id")?;
    let month = truth.num("month")?;
    let risk = truth.num("true_risk_24m")?;
    let mut by_id: HashMap<&str, f64> = HashMap::new();
    for i in 0..truth.nrows() {
        if let (Some(id), Some(m), Some(r)) = (ids[i].as_deref(), month[i], risk[i]) {
            if m == 0.0 {
                if !(0.0..=1.0).contains(&r) {
                    return Err(Error::one(Problem::cell(
                        &truth.source,
                        truth.row(i),
                        "true_risk_24m",
                        &r.to_string(),
                        "a probability between 0 and 1",
                    )));
                }
                if by_id.insert(id, r).is_some() {
                    return Err(Error::one(Problem::cell(
                        &truth.source,
                        truth.row(i),
                        "patient_id",
                        id,
                        "one month-0 row per patient, but this patient has two",
                    )));
                }
            }
        }
    }
    let Column::Text(cohort_ids) = table.column("patient_id")? else {
        return Err(Error::Usage(format!(
            "{}: patient_id should be read as text to match the truth file",
            table.source
        )));
    };
    let mut out = Vec::with_capacity(table.nrows());
    for (i, id) in cohort_ids.iter().enumerate() {
        let id = id.as_deref().unwrap_or("");
        match by_id.get(id) {
            Some(&r) => out.push(Some(r)),
            None => {
                return Err(Error::one(Problem::cell(
                    &table.source,
                    table.row(i),
                    "patient_id",
                    id,
                    format!(
                        "a patient with a month-0 true_risk_24m in {}",
                        path.display()
                    ),
                )))
            }
        }
    }
    Ok(out)
}

impl Comparison {
    /// The table a clinician reads: per rule, what it does and what the model does when matched
    /// to it, with 95% bootstrap CIs of the differences.
    pub fn render_table(&self) -> String {
        let mut s = String::new();
        if let Some(x) = &self.excluded {
            s.push_str(&format!("Patients in the file: {}", x.rows));
            let mut why = Vec::new();
            if x.outcome_unknown > 0 {
                why.push(format!(
                    "{} with an unknown outcome (censored before the horizon or empty)",
                    x.outcome_unknown
                ));
            }
            if x.missing_predictor > 0 {
                why.push(format!(
                    "{} with a known outcome but a missing predictor of the model",
                    x.missing_predictor
                ));
            }
            if x.no_true_risk > 0 {
                why.push(format!("{} without a true risk", x.no_true_risk));
            }
            if !why.is_empty() {
                s.push_str(&format!("; left out: {}", why.join("; ")));
            }
            s.push('\n');
        }
        let w = &self.words;
        let cond = if w.mm { "stop if" } else { "low risk if" };
        let super::PolicyColumns {
            stopped,
            spared,
            missed,
            stop_rate,
            missed_rate,
        } = w.columns();
        s.push_str(&format!(
            "Compared: {} patients with a known outcome and a score ({} {}, {:.1}%); bootstrap {} replicates (seed {})\n",
            self.n,
            self.events,
            w.events,
            100.0 * self.events as f64 / self.n as f64,
            self.bootstrap,
            self.seed
        ));
        let ci = |e: &super::Estimate, scale: f64| e.signed_with_ci(scale);
        for r in &self.rules {
            s.push_str(&format!("\nRule {}: {cond} {}\n", r.rule, r.sql));
            s.push_str(&format!(
                "  {:<46} {:>8} {:>11} {:>19} {:>7} {:>7}\n",
                "policy", stopped, spared, missed, "sens", "spec"
            ));
            let row = |name: &str, p: &super::PolicyMetrics| {
                format!(
                    "  {:<46} {:>8} {:>11.1} {:>19.1} {:>7.3} {:>7.3}\n",
                    name,
                    p.stopped,
                    p.spared_per_100,
                    p.missed_per_100_stopped,
                    p.sensitivity,
                    p.specificity
                )
            };
            s.push_str(&row(&r.rule, &r.policy));
            for sc in &r.scores {
                s.push_str(&row(
                    &format!("{} at the rule's {stop_rate}", sc.score),
                    &sc.at_rule_stop_rate.policy,
                ));
                s.push_str(&row(
                    &format!("{} at the rule's {missed_rate}", sc.score),
                    &sc.at_rule_missed_rate.policy,
                ));
            }
            for sc in &r.scores {
                let d_missed = ci(&sc.at_rule_stop_rate.diff_missed_per_100_stopped, 1.0);
                let d_sens = ci(&sc.at_rule_stop_rate.diff_sensitivity, 100.0);
                let d_spared = ci(&sc.at_rule_missed_rate.diff_spared_per_100, 1.0);
                let score = &sc.score;
                s.push_str(&if w.mm {
                    format!("  {score} minus rule, same stop rate: missed events per 100 stopped {d_missed}; sensitivity {d_sens} pts\n  {score} minus rule, same missed-event rate: patients spared per 100 {d_spared}\n")
                } else {
                    format!("  {score} minus rule, same low-risk rate: {} per 100 called low risk {d_missed}; sensitivity {d_sens} pts\n  {score} minus rule, same event rate: patients called low risk per 100 {d_spared}\n", w.events)
                });
                s.push_str(&format!(
                    "  {} NRI vs rule (x100): events {}, non-events {}; net benefit at t = {:.2} (x100): {}\n",
                    sc.score,
                    ci(&sc.nri.events, 100.0),
                    ci(&sc.nri.non_events, 100.0),
                    self.reference_threshold,
                    ci(&sc.at_rule_stop_rate.diff_net_benefit, 100.0),
                ));
            }
        }
        s
    }
}
