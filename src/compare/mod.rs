//! Model versus stopping rules: who each policy stops, the events it misses, net benefit,
//! reclassification, with paired bootstrap confidence intervals.
//!
//! The comparison is made on patients whose 24-month outcome is known (a discontinuation
//! cohort: everyone stopped at the decision point, so events observed afterwards are what a
//! stopping policy would have risked). For each rule the model is matched two ways:
//! (a) at the rule's stop rate: the model stops as many patients as the rule, the lowest-risk
//! ones; does it miss fewer events? (b) at the rule's missed-event rate: the model stops the
//! largest lowest-risk set whose missed-event rate is no higher than the rule's; does it spare
//! more patients? Bootstrap replicates resample patients and redo the matching inside each
//! replicate (the model's predictions are held fixed: this is the uncertainty of the comparison
//! on this cohort, not of the model fit; internal validation covers the latter).

pub mod censored;
pub mod cohort;
pub mod decision_curve;
pub mod policy;
pub mod restart;

use rayon::prelude::*;
use serde::Serialize;

use crate::error::{Error, Result};
pub use cohort::{compare_cohort, compare_cohort_censored, read_oracle, CohortCompare};
use decision_curve::{model_net_benefit, policy_net_benefit, DecisionCurve, NetBenefitCurve};
pub use policy::PolicyMetrics;
use policy::{largest_k_within_missed_rate, order_by_risk, policy_metrics, stop_lowest};

/// A point estimate with a 95% bootstrap percentile interval (NaN bounds without bootstrap).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    /// Value on the full cohort.
    pub estimate: f64,
    /// 2.5th percentile of the bootstrap replicates.
    pub ci_low: f64,
    /// 97.5th percentile of the bootstrap replicates.
    pub ci_high: f64,
}

impl Estimate {
    /// `+1.2 (+0.3 to +2.1)` of the estimate times `scale` (`+1.2` without a bootstrap), for
    /// the comparisons' terminal tables.
    pub fn signed_with_ci(&self, scale: f64) -> String {
        if self.ci_low.is_finite() {
            format!(
                "{:+.1} ({:+.1} to {:+.1})",
                scale * self.estimate,
                scale * self.ci_low,
                scale * self.ci_high
            )
        } else {
            format!("{:+.1}", scale * self.estimate)
        }
    }
}

/// Settings of a comparison.
#[derive(Debug, Clone)]
pub struct CompareOptions {
    /// Bootstrap replicates for the CIs (0 = none). Default 200.
    pub bootstrap: usize,
    /// Seed of the bootstrap. Default 1.
    pub seed: u64,
    /// Thresholds of the decision curve. Default 0.01..0.99 by 0.01.
    pub thresholds: Vec<f64>,
    /// Threshold at which policies' net benefit is reported in the tables. Default 0.10: a
    /// 10% risk of a bone event within 24 months is worth continuing protection for.
    pub reference_threshold: f64,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            bootstrap: 200,
            seed: 1,
            thresholds: decision_curve::default_thresholds(),
            reference_threshold: 0.10,
        }
    }
}

/// A risk score to compare with the rules (the model, or the simulator's true risk).
#[derive(Debug, Clone)]
pub struct Score<'a> {
    /// Name in tables and plots.
    pub name: &'a str,
    /// Predicted probability of a bone event within the horizon, one per patient.
    pub risk: &'a [f64],
}

/// A rule's stop decisions.
#[derive(Debug, Clone)]
pub struct RuleDecisions<'a> {
    /// Rule name.
    pub name: &'a str,
    /// The rule's SQL, for the record.
    pub sql: &'a str,
    /// `true` = the rule stops this patient.
    pub stop: &'a [bool],
}

/// Differences score minus rule when the score is matched to the rule. `P` is how a policy
/// is counted: [`PolicyMetrics`] for a binary outcome, [`censored::CensoredPolicy`] at a
/// horizon.
#[derive(Debug, Clone, Serialize)]
pub struct MatchedPolicy<P = PolicyMetrics> {
    /// What the score's policy does.
    pub policy: P,
    /// Highest risk among the patients the score stops.
    pub risk_cutoff: f64,
    /// Score minus rule: missed events per 100 stopped.
    pub diff_missed_per_100_stopped: Estimate,
    /// Score minus rule: patients spared per 100.
    pub diff_spared_per_100: Estimate,
    /// Score minus rule: sensitivity for "needs to continue".
    pub diff_sensitivity: Estimate,
    /// Score minus rule: specificity.
    pub diff_specificity: Estimate,
    /// Score minus rule: net benefit at the reference threshold.
    pub diff_net_benefit: Estimate,
}

/// Net reclassification from the rule to the score (score matched at the rule's stop rate).
#[derive(Debug, Clone, Serialize)]
pub struct Nri {
    /// Among events: P(rule stops, score continues) - P(rule continues, score stops).
    pub events: Estimate,
    /// Among non-events: P(rule continues, score stops) - P(rule stops, score continues).
    pub non_events: Estimate,
    /// Sum of the two.
    pub total: Estimate,
}

/// One score against one rule.
#[derive(Debug, Clone, Serialize)]
pub struct ScoreVsRule {
    /// Score name.
    pub score: String,
    /// Score stopping as many patients as the rule.
    pub at_rule_stop_rate: MatchedPolicy,
    /// Score stopping as many as it can without exceeding the rule's missed-event rate.
    pub at_rule_missed_rate: MatchedPolicy,
    /// Reclassification against the rule.
    pub nri: Nri,
}

/// One rule and every score against it.
#[derive(Debug, Clone, Serialize)]
pub struct RuleComparison {
    /// Rule name.
    pub rule: String,
    /// The rule's SQL condition.
    pub sql: String,
    /// What the rule does.
    pub policy: PolicyMetrics,
    /// Each score against this rule.
    pub scores: Vec<ScoreVsRule>,
}

/// The whole comparison (written as `comparison.json`).
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// Patients with a known outcome.
    pub n: usize,
    /// Events among them.
    pub events: usize,
    /// Bootstrap replicates used for the CIs.
    pub bootstrap: usize,
    /// Seed of the bootstrap.
    pub seed: u64,
    /// Threshold of the net benefit in the tables.
    pub reference_threshold: f64,
    /// One entry per rule.
    pub rules: Vec<RuleComparison>,
    /// Net benefit curves of every score, rule, continue-all and stop-all.
    pub decision_curve: DecisionCurve,
    /// Rows of the cohort file left out of the comparison, and why (absent when the caller
    /// compared arrays, not a file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excluded: Option<Excluded>,
    /// Rules whose result looks wrong: true for no patient or for all, or compared with a
    /// word that is not a level of their column.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// The words of its text (the study's; the MM profile's by default).
    #[serde(skip)]
    pub words: CompareWords,
}

/// The words a comparison's text uses: what a rule's true condition means and the events.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareWords {
    /// The events, plural ("bone events", "deaths").
    pub events: String,
    /// Whether the MM profile's words apply: a rule "stops" bone protection; otherwise a rule
    /// "calls patients low risk".
    pub mm: bool,
}

impl Default for CompareWords {
    fn default() -> Self {
        CompareWords {
            events: "bone events".into(),
            mm: true,
        }
    }
}

/// The column words of a comparison's policy table.
#[derive(Debug, Clone, Copy)]
pub struct PolicyColumns {
    /// Patients the policy stops (or calls low risk).
    pub stopped: &'static str,
    /// Spared per 100 patients.
    pub spared: &'static str,
    /// Events per 100 stopped.
    pub missed: &'static str,
    /// The rule's stop rate, as matching says it.
    pub stop_rate: &'static str,
    /// The rule's missed-event rate, as matching says it.
    pub missed_rate: &'static str,
}

impl CompareWords {
    /// The policy table's column words: the MM profile's, or a rule's "low-risk call" in any
    /// other study.
    pub fn columns(&self) -> PolicyColumns {
        if self.mm {
            PolicyColumns {
                stopped: "stopped",
                spared: "spared/100",
                missed: "missed/100 stopped",
                stop_rate: "stop rate",
                missed_rate: "missed rate",
            }
        } else {
            PolicyColumns {
                stopped: "low risk",
                spared: "low/100",
                missed: "events/100 low",
                stop_rate: "low-risk rate",
                missed_rate: "event rate",
            }
        }
    }

    /// The words of `study`.
    pub fn of(study: &crate::study::Study) -> CompareWords {
        CompareWords {
            events: study.events_word(),
            mm: study.is_mm(),
        }
    }
}

/// Why rows of a cohort file are not in a comparison: each row is counted once, under the
/// first reason that applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Excluded {
    /// Rows in the file.
    pub rows: usize,
    /// Rows whose outcome is unknown (e.g. censored before the horizon).
    pub outcome_unknown: usize,
    /// Rows with a known outcome but a missing predictor of the model (no score).
    pub missing_predictor: usize,
    /// Rows without a true risk in the simulator's truth file.
    pub no_true_risk: usize,
}

/// One score matched to one rule in one sample: its policy at the rule's stop rate and at
/// its missed-event rate (each with the risk cut-off), and the reclassification.
struct Matched {
    at_stop: (PolicyMetrics, f64),
    at_missed: (PolicyMetrics, f64),
    nri: [f64; 3],
}

/// Everything one sample (the full cohort or a replicate) yields, by name.
struct Sample {
    /// Per rule: the rule's policy, then each score matched to it.
    rules: Vec<(PolicyMetrics, Vec<Matched>)>,
    /// Net benefit curves: scores, rules, continue all.
    curves: Vec<Vec<f64>>,
}

/// The statistics of the patients `idx` (repeats allowed) of the full data.
fn statistics(
    idx: &[usize],
    event_all: &[bool],
    scores: &[Score],
    rules: &[RuleDecisions],
    opts: &CompareOptions,
) -> Sample {
    let event: Vec<bool> = idx.iter().map(|&i| event_all[i]).collect();
    let t = opts.reference_threshold;
    let score_data: Vec<(Vec<f64>, Vec<usize>)> = scores
        .iter()
        .map(|s| {
            let r: Vec<f64> = idx.iter().map(|&i| s.risk[i]).collect();
            let o = order_by_risk(&r);
            (r, o)
        })
        .collect();
    let stops: Vec<Vec<bool>> = rules
        .iter()
        .map(|rule| idx.iter().map(|&i| rule.stop[i]).collect())
        .collect();
    let rule_stats = stops
        .iter()
        .map(|stop| {
            let rm = policy_metrics(stop, &event, t);
            let per = score_data
                .iter()
                .map(|(risk, order)| {
                    let (s_stop, s_cut) = stop_lowest(order, risk, rm.stopped);
                    let k = largest_k_within_missed_rate(
                        order,
                        &event,
                        rm.missed_events as f64 / rm.stopped as f64,
                    );
                    let (m_stop, m_cut) = stop_lowest(order, risk, k);
                    Matched {
                        at_stop: (policy_metrics(&s_stop, &event, t), s_cut),
                        at_missed: (policy_metrics(&m_stop, &event, t), m_cut),
                        nri: nri(stop, &s_stop, &event),
                    }
                })
                .collect();
            (rm, per)
        })
        .collect();
    let mut curves: Vec<Vec<f64>> = score_data
        .iter()
        .map(|(risk, _)| model_net_benefit(risk, &event, &opts.thresholds))
        .collect();
    for stop in &stops {
        curves.push(policy_net_benefit(stop, &event, &opts.thresholds));
    }
    let none = vec![false; idx.len()];
    curves.push(policy_net_benefit(&none, &event, &opts.thresholds));
    Sample {
        rules: rule_stats,
        curves,
    }
}

/// A value on the full sample with the 95% percentile interval of its replicates.
fn estimate(estimate: f64, replicates: impl Iterator<Item = f64>) -> Estimate {
    let mut v: Vec<f64> = replicates.filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    let (ci_low, ci_high) = if v.is_empty() {
        (f64::NAN, f64::NAN)
    } else {
        (
            crate::stats::quantile_sorted(&v, 0.025),
            crate::stats::quantile_sorted(&v, 0.975),
        )
    };
    Estimate {
        estimate,
        ci_low,
        ci_high,
    }
}

/// The five numbers a score's policy is compared with a rule's on, in the order of
/// [`MatchedPolicy`]'s differences: missed events per 100 stopped, spared per 100,
/// sensitivity, specificity, net benefit. Counted on a binary outcome ([`PolicyMetrics`]) or
/// censoring-aware ([`censored::CensoredPolicy`]).
pub trait PolicyHeadline: Copy {
    /// The five numbers.
    fn headline(&self) -> [f64; 5];
    /// Patients the policy stops.
    fn stopped(&self) -> usize;
}

impl PolicyHeadline for PolicyMetrics {
    fn stopped(&self) -> usize {
        self.stopped
    }

    fn headline(&self) -> [f64; 5] {
        [
            self.missed_per_100_stopped,
            self.spared_per_100,
            self.sensitivity,
            self.specificity,
            self.net_benefit,
        ]
    }
}

/// Score minus rule, number by number.
fn diffs<P: PolicyHeadline>(a: &P, r: &P) -> [f64; 5] {
    let (a, r) = (a.headline(), r.headline());
    std::array::from_fn(|k| a[k] - r[k])
}

/// A score's `policy` (stopping up to `risk_cutoff`) matched to the `rule`'s, with the
/// differences' percentile intervals over the replicates' `(score policy, rule policy)`.
fn matched_policy<P: PolicyHeadline>(
    policy: P,
    risk_cutoff: f64,
    rule: &P,
    replicates: impl Iterator<Item = (P, P)>,
) -> MatchedPolicy<P> {
    let d = diffs(&policy, rule);
    let rep_d: Vec<[f64; 5]> = replicates.map(|(a, r)| diffs(&a, &r)).collect();
    let e = |k: usize| estimate(d[k], rep_d.iter().map(|v| v[k]));
    MatchedPolicy {
        policy,
        risk_cutoff,
        diff_missed_per_100_stopped: e(0),
        diff_spared_per_100: e(1),
        diff_sensitivity: e(2),
        diff_specificity: e(3),
        diff_net_benefit: e(4),
    }
}

/// Every score has `n` probabilities, every rule `n` decisions, and there is a score.
fn check_scores_and_rules(scores: &[Score], rules: &[RuleDecisions], n: usize) -> Result<()> {
    if scores.is_empty() {
        return Err(Error::Usage("comparison needs a score".into()));
    }
    for s in scores {
        if s.risk.len() != n || s.risk.iter().any(|p| !(0.0..=1.0).contains(p)) {
            return Err(Error::Usage(format!(
                "score '{}' must have {n} probabilities in [0, 1]",
                s.name
            )));
        }
    }
    if let Some(r) = rules.iter().find(|r| r.stop.len() != n) {
        return Err(Error::Usage(format!(
            "rule '{}' must have {n} decisions",
            r.name
        )));
    }
    Ok(())
}

/// The decision curve of the scores, the rules and "continue all" (`full[c]`, with 95%
/// percentile bands over the replicates' curves `replicates[b][c]` when there are any),
/// then "stop all".
fn decision_curve(
    thresholds: &[f64],
    scores: &[Score],
    rules: &[RuleDecisions],
    full: &[Vec<f64>],
    replicates: &[&[Vec<f64>]],
) -> DecisionCurve {
    let names = scores
        .iter()
        .map(|s| s.name)
        .chain(rules.iter().map(|r| r.name))
        .chain(std::iter::once("continue all"));
    let nt = thresholds.len();
    let mut curves: Vec<NetBenefitCurve> = names
        .enumerate()
        .map(|(c, name)| {
            let e: Vec<Estimate> = (0..nt)
                .map(|j| estimate(full[c][j], replicates.iter().map(|x| x[c][j])))
                .collect();
            let band = |f: fn(&Estimate) -> f64| -> Vec<f64> {
                if replicates.is_empty() {
                    Vec::new()
                } else {
                    e.iter().map(f).collect()
                }
            };
            NetBenefitCurve {
                name: name.to_string(),
                net_benefit: full[c].clone(),
                ci_low: band(|x| x.ci_low),
                ci_high: band(|x| x.ci_high),
            }
        })
        .collect();
    curves.push(NetBenefitCurve {
        name: "stop all".into(),
        net_benefit: vec![0.0; nt],
        ci_low: vec![],
        ci_high: vec![],
    });
    DecisionCurve {
        thresholds: thresholds.to_vec(),
        curves,
    }
}

fn nri(rule_stop: &[bool], score_stop: &[bool], event: &[bool]) -> [f64; 3] {
    let (mut e, mut ne, mut n_e, mut n_ne) = (0i64, 0i64, 0usize, 0usize);
    for ((&r, &s), &ev) in rule_stop.iter().zip(score_stop).zip(event) {
        let up = r && !s; // moved to "continue"
        let down = !r && s; // moved to "stop"
        if ev {
            n_e += 1;
            e += i64::from(up) - i64::from(down);
        } else {
            n_ne += 1;
            ne += i64::from(down) - i64::from(up);
        }
    }
    let (a, b) = (e as f64 / n_e as f64, ne as f64 / n_ne as f64);
    [a, b, a + b]
}

/// Compare scores with rules on patients with a known binary outcome.
///
/// # Errors
/// [`Error::Usage`] when lengths differ, there are no rules, or the outcome has one class.
pub fn compare(
    scores: &[Score],
    rules: &[RuleDecisions],
    event: &[bool],
    opts: &CompareOptions,
) -> Result<Comparison> {
    crate::limits::check_count(
        "--bootstrap",
        opts.bootstrap,
        crate::limits::MAX_BOOTSTRAP,
        true,
    )?;
    let n = event.len();
    let events = event.iter().filter(|e| **e).count();
    if n == 0 || events == 0 || events == n {
        return Err(Error::Usage(format!(
            "comparison needs both events and non-events among patients with a known outcome (n = {n}, events = {events})"
        )));
    }
    check_scores_and_rules(scores, rules, n)?;
    let all: Vec<usize> = (0..n).collect();
    let full = statistics(&all, event, scores, rules, opts);
    let reps: Vec<Sample> = (0..opts.bootstrap)
        .into_par_iter()
        .map(|b| {
            let idx = crate::stats::resample_indices(n, opts.seed, b as u64 + 1);
            statistics(&idx, event, scores, rules, opts)
        })
        .collect();

    let mut rule_out = Vec::new();
    for (r, rule) in rules.iter().enumerate() {
        let (rm, per) = &full.rules[r];
        let mut per_score = Vec::new();
        for (s, score) in scores.iter().enumerate() {
            // differences score minus rule, on the full sample and in every replicate
            let matched = |pick: &dyn Fn(&Matched) -> &(PolicyMetrics, f64)| {
                let (policy, cutoff) = *pick(&per[s]);
                let reps = reps
                    .iter()
                    .map(|x| (pick(&x.rules[r].1[s]).0, x.rules[r].0));
                matched_policy(policy, cutoff, rm, reps)
            };
            let nri_e =
                |k: usize| estimate(per[s].nri[k], reps.iter().map(|x| x.rules[r].1[s].nri[k]));
            per_score.push(ScoreVsRule {
                score: score.name.to_string(),
                at_rule_stop_rate: matched(&|m| &m.at_stop),
                at_rule_missed_rate: matched(&|m| &m.at_missed),
                nri: Nri {
                    events: nri_e(0),
                    non_events: nri_e(1),
                    total: nri_e(2),
                },
            });
        }
        rule_out.push(RuleComparison {
            rule: rule.name.to_string(),
            sql: rule.sql.to_string(),
            policy: *rm,
            scores: per_score,
        });
    }
    let rep_curves: Vec<&[Vec<f64>]> = reps.iter().map(|x| x.curves.as_slice()).collect();
    let decision = decision_curve(&opts.thresholds, scores, rules, &full.curves, &rep_curves);
    Ok(Comparison {
        n,
        events,
        bootstrap: opts.bootstrap,
        seed: opts.seed,
        reference_threshold: opts.reference_threshold,
        rules: rule_out,
        decision_curve: decision,
        excluded: None,
        warnings: Vec::new(),
        words: CompareWords::default(),
    })
}
