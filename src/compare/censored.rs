//! Model versus stopping rules for a time-to-event outcome at a horizon `H` (a Cox model):
//! every patient is used, censored or not.
//!
//! For a set of stopped patients `S`:
//! - the risk of an event by `H` among them is `1 - S_KM(H)`, Kaplan-Meier within `S` (not a
//!   complete-case proportion); missed events per 100 stopped is 100 times that;
//! - sensitivity for "needs to continue" and specificity are IPCW estimates: cases (event by
//!   `H`) weigh `1 / G(T-)`, controls (followed beyond `H`) `1 / G(H)`, patients censored
//!   before `H` 0, `G` the Kaplan-Meier of censoring ([`crate::metrics::censored::ipcw_weights`],
//!   as `riskRegression::Score`);
//! - net benefit of continuing at threshold `t` (as `dcurves::dca` with a `Surv` outcome):
//!   with `C` the continued patients, `P(C) (1 - S_C(H)) - P(C) S_C(H) t / (1 - t)`.
//!
//! The model is matched to each rule at the rule's stop rate (the same number of lowest-risk
//! patients) and at its missed-event rate (the largest lowest-risk set whose Kaplan-Meier risk
//! is no higher than the rule's: every set size is tried up to 4,000 patients; beyond, a grid
//! of 4,000 sizes and every size between the last two grid points that qualify). Bootstrap
//! replicates resample patients and redo everything inside the replicate, the censoring
//! distribution included; the model's risks are held fixed.

use rayon::prelude::*;
use serde::Serialize;

use super::decision_curve::DecisionCurve;
use super::policy::order_by_risk;
use super::{CompareOptions, CompareWords, Estimate, Excluded, RuleDecisions, Score};
use crate::error::{Error, Result};

/// What a stopping policy does, censoring-aware.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CensoredPolicy {
    /// Patients.
    pub n: usize,
    /// Patients the policy stops.
    pub stopped: usize,
    /// 100 * stopped / n.
    pub spared_per_100: f64,
    /// Kaplan-Meier risk of an event by the horizon among the stopped.
    pub risk_stopped: f64,
    /// 100 * `risk_stopped`: missed events per 100 stopped patients.
    pub missed_per_100_stopped: f64,
    /// IPCW sensitivity for "needs to continue".
    pub sensitivity: f64,
    /// IPCW specificity.
    pub specificity: f64,
    /// Net benefit of continuing at the reference threshold.
    pub net_benefit: f64,
}

/// The score's policy matched to a rule, with score-minus-rule differences.
pub type CensoredMatched = super::MatchedPolicy<CensoredPolicy>;

/// One score against one rule.
#[derive(Debug, Clone, Serialize)]
pub struct CensoredScoreVsRule {
    /// Score name.
    pub score: String,
    /// Stopping as many patients as the rule.
    pub at_rule_stop_rate: CensoredMatched,
    /// Stopping as many as possible without a higher risk among the stopped than the rule's.
    pub at_rule_missed_rate: CensoredMatched,
}

/// One rule and every score against it.
#[derive(Debug, Clone, Serialize)]
pub struct CensoredRuleComparison {
    /// Rule name.
    pub rule: String,
    /// Its SQL condition.
    pub sql: String,
    /// What the rule does.
    pub policy: CensoredPolicy,
    /// Mean risk of the first score (the model) among the patients the rule stops.
    pub mean_score_stopped: f64,
    /// Each score against it.
    pub scores: Vec<CensoredScoreVsRule>,
}

/// The censoring-aware comparison (`comparison.json` of a Cox model).
#[derive(Debug, Clone, Serialize)]
pub struct CensoredComparison {
    /// The horizon of the risks.
    pub horizon: f64,
    /// Patients.
    pub n: usize,
    /// Events by the horizon.
    pub events_before_horizon: usize,
    /// Censored before the horizon (used, with Kaplan-Meier and IPCW).
    pub censored_before_horizon: usize,
    /// Kaplan-Meier risk by the horizon in the whole cohort.
    pub risk_all: f64,
    /// Bootstrap replicates of the CIs.
    pub bootstrap: usize,
    /// Their seed.
    pub seed: u64,
    /// Threshold of the net benefit in the tables.
    pub reference_threshold: f64,
    /// One entry per rule.
    pub rules: Vec<CensoredRuleComparison>,
    /// Net benefit curves (survival) of every score, rule, continue-all and stop-all.
    pub decision_curve: DecisionCurve,
    /// Rows of the file left out, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excluded: Option<Excluded>,
    /// Rules whose result looks wrong.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// The words of the text.
    #[serde(skip)]
    pub words: CompareWords,
}

/// Follow-up of the patients, with what every statistic needs precomputed.
struct FollowUp<'a> {
    time: &'a [f64],
    event: &'a [bool],
    horizon: f64,
    /// Patients in increasing time, events before censorings at a tie.
    by_time: Vec<usize>,
    /// IPCW weights at the horizon.
    w: Vec<f64>,
}

impl<'a> FollowUp<'a> {
    fn new(time: &'a [f64], event: &'a [bool], horizon: f64) -> Result<FollowUp<'a>> {
        let w = crate::metrics::censored::ipcw_weights(time, event, horizon)
            .map_err(|e| Error::Analysis(format!("IPCW weights at horizon {horizon}: {e}")))?;
        let mut by_time: Vec<usize> = (0..time.len()).collect();
        by_time.sort_by(|&a, &b| time[a].total_cmp(&time[b]).then(event[b].cmp(&event[a])));
        Ok(FollowUp {
            time,
            event,
            horizon,
            by_time,
            w,
        })
    }

    fn is_case(&self, i: usize) -> bool {
        self.event[i] && self.time[i] <= self.horizon
    }

    /// Kaplan-Meier risk by the horizon among `member` patients (NaN for none).
    fn km_risk(&self, member: &[bool]) -> f64 {
        self.km_risk_of(|i| member[i])
    }

    /// Kaplan-Meier risk by the horizon among the patients `member(i)` selects.
    fn km_risk_of(&self, member: impl Fn(usize) -> bool) -> f64 {
        let mut at_risk = (0..self.time.len()).filter(|&i| member(i)).count();
        if at_risk == 0 {
            return f64::NAN;
        }
        let mut surv = 1.0;
        let order = &self.by_time;
        let mut k = 0;
        while k < order.len() && self.time[order[k]] <= self.horizon {
            let t = self.time[order[k]];
            let (mut d, mut left) = (0usize, 0usize);
            while k < order.len() && self.time[order[k]] == t {
                let i = order[k];
                if member(i) {
                    left += 1;
                    d += usize::from(self.event[i]);
                }
                k += 1;
            }
            if d > 0 && at_risk > 0 {
                surv *= 1.0 - d as f64 / at_risk as f64;
            }
            at_risk -= left;
        }
        1.0 - surv
    }

    /// The policy that stops `stop`.
    fn policy(&self, stop: &[bool], threshold: f64) -> CensoredPolicy {
        let n = stop.len();
        let stopped = stop.iter().filter(|&&s| s).count();
        let risk_stopped = self.km_risk(stop);
        let (mut case_w, mut case_cont, mut ctrl_w, mut ctrl_stop) = (0.0, 0.0, 0.0, 0.0);
        for (i, &stopped_i) in stop.iter().enumerate() {
            if self.is_case(i) {
                case_w += self.w[i];
                if !stopped_i {
                    case_cont += self.w[i];
                }
            } else if self.time[i] > self.horizon {
                ctrl_w += self.w[i];
                if stopped_i {
                    ctrl_stop += self.w[i];
                }
            }
        }
        let cont: Vec<bool> = stop.iter().map(|s| !s).collect();
        CensoredPolicy {
            n,
            stopped,
            spared_per_100: 100.0 * stopped as f64 / n as f64,
            risk_stopped,
            missed_per_100_stopped: 100.0 * risk_stopped,
            sensitivity: case_cont / case_w,
            specificity: ctrl_stop / ctrl_w,
            net_benefit: self.net_benefit(&cont, threshold),
        }
    }

    /// Net benefit of continuing the `cont` patients at threshold `t`.
    fn net_benefit(&self, cont: &[bool], t: f64) -> f64 {
        let n = cont.len() as f64;
        let k = cont.iter().filter(|&&c| c).count();
        if k == 0 {
            return 0.0;
        }
        let p = k as f64 / n;
        let risk = self.km_risk(cont);
        p * risk - p * (1.0 - risk) * t / (1.0 - t)
    }

    /// Net benefit of "continue if risk >= t" at each threshold.
    fn model_curve(&self, risk: &[f64], thresholds: &[f64]) -> Vec<f64> {
        thresholds
            .iter()
            .map(|&t| {
                let cont: Vec<bool> = risk.iter().map(|&r| r >= t).collect();
                self.net_benefit(&cont, t)
            })
            .collect()
    }
}

/// The `k` lowest-risk patients of `order`.
fn lowest(order: &[usize], k: usize) -> Vec<bool> {
    let mut stop = vec![false; order.len()];
    for &i in &order[..k] {
        stop[i] = true;
    }
    stop
}

/// Largest set size whose Kaplan-Meier risk among the lowest-risk patients is at most
/// `target` (see the module docs for the search).
fn largest_within(f: &FollowUp<'_>, order: &[usize], target: f64) -> usize {
    const GRID: usize = 200;
    let n = order.len();
    let mut rank = vec![0usize; n];
    for (k, &i) in order.iter().enumerate() {
        rank[i] = k;
    }
    let ok = |k: usize| f.km_risk_of(|i| rank[i] < k) <= target + 1e-12;
    let step = n.div_ceil(GRID).max(1);
    let grid: Vec<usize> = (1..=n).step_by(step).chain(std::iter::once(n)).collect();
    let Some(g) = grid.iter().rposition(|&k| ok(k)) else {
        return 0;
    };
    let hi = grid.get(g + 1).copied().unwrap_or(n);
    (grid[g]..=hi).rev().find(|&k| ok(k)).unwrap_or(grid[g])
}

/// A score's two matched policies (at the rule's stop rate, at its missed-event rate), each
/// with its risk cut-off.
type Matched = [(CensoredPolicy, f64); 2];

/// Every statistic of one sample (the full cohort or a replicate), by name.
struct Sample {
    /// Per rule: the rule's policy, then per score its matched policies.
    rules: Vec<(CensoredPolicy, Vec<Matched>)>,
    /// Net benefit curves: scores, rules, continue all.
    curves: Vec<Vec<f64>>,
}

fn sample(
    f: &FollowUp<'_>,
    scores: &[Vec<f64>],
    stops: &[Vec<bool>],
    opts: &CompareOptions,
) -> Sample {
    let t = opts.reference_threshold;
    let orders: Vec<Vec<usize>> = scores.iter().map(|r| order_by_risk(r)).collect();
    let rules = stops
        .iter()
        .map(|stop| {
            let rp = f.policy(stop, t);
            let per = scores
                .iter()
                .zip(&orders)
                .map(|(risk, order)| {
                    let cut = |k: usize| if k == 0 { 0.0 } else { risk[order[k - 1]] };
                    let a = f.policy(&lowest(order, rp.stopped), t);
                    let k = if rp.risk_stopped.is_nan() {
                        0
                    } else {
                        largest_within(f, order, rp.risk_stopped)
                    };
                    let b = f.policy(&lowest(order, k), t);
                    [(a, cut(rp.stopped)), (b, cut(k))]
                })
                .collect();
            (rp, per)
        })
        .collect();
    let mut curves: Vec<Vec<f64>> = scores
        .iter()
        .map(|r| f.model_curve(r, &opts.thresholds))
        .collect();
    for stop in stops {
        let cont: Vec<bool> = stop.iter().map(|s| !s).collect();
        curves.push(
            opts.thresholds
                .iter()
                .map(|&th| f.net_benefit(&cont, th))
                .collect(),
        );
    }
    let all = vec![true; f.time.len()];
    curves.push(
        opts.thresholds
            .iter()
            .map(|&th| f.net_benefit(&all, th))
            .collect(),
    );
    Sample { rules, curves }
}

impl super::PolicyHeadline for CensoredPolicy {
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

/// Compare scores (risks by `horizon`) with rules on patients with follow-up `(time, event)`.
///
/// # Errors
/// [`Error::Usage`] for inconsistent lengths, no score, risks outside [0, 1], a bootstrap
/// count beyond the limit; [`Error::Analysis`] when the horizon leaves no event before it or
/// nobody followed beyond it.
pub fn compare_censored(
    scores: &[Score],
    rules: &[RuleDecisions],
    time: &[f64],
    event: &[bool],
    horizon: f64,
    opts: &CompareOptions,
) -> Result<CensoredComparison> {
    crate::limits::check_count(
        "--bootstrap",
        opts.bootstrap,
        crate::limits::MAX_BOOTSTRAP,
        true,
    )?;
    let n = time.len();
    super::check_scores_and_rules(scores, rules, n)?;
    let full_f = FollowUp::new(time, event, horizon)?;
    let events_before_horizon = (0..n).filter(|&i| full_f.is_case(i)).count();
    let censored_before_horizon = (0..n).filter(|&i| !event[i] && time[i] <= horizon).count();
    let score_risks: Vec<Vec<f64>> = scores.iter().map(|s| s.risk.to_vec()).collect();
    let stops: Vec<Vec<bool>> = rules.iter().map(|r| r.stop.to_vec()).collect();
    let full = sample(&full_f, &score_risks, &stops, opts);
    let reps: Vec<Option<Sample>> = (0..opts.bootstrap)
        .into_par_iter()
        .map(|b| {
            let idx = crate::stats::resample_indices(n, opts.seed, b as u64 + 1);
            let t: Vec<f64> = idx.iter().map(|&i| time[i]).collect();
            let e: Vec<bool> = idx.iter().map(|&i| event[i]).collect();
            let f = FollowUp::new(&t, &e, horizon).ok()?;
            let sr: Vec<Vec<f64>> = score_risks
                .iter()
                .map(|r| idx.iter().map(|&i| r[i]).collect())
                .collect();
            let st: Vec<Vec<bool>> = stops
                .iter()
                .map(|s| idx.iter().map(|&i| s[i]).collect())
                .collect();
            Some(sample(&f, &sr, &st, opts))
        })
        .collect();
    let reps: Vec<&Sample> = reps.iter().flatten().collect();
    let mut rules_out = Vec::new();
    for (r, rule) in rules.iter().enumerate() {
        let (rp, per) = &full.rules[r];
        let mut scores_out = Vec::new();
        for (s, score) in scores.iter().enumerate() {
            let matched = |m: usize| -> CensoredMatched {
                let (policy, cutoff) = per[s][m];
                let reps = reps.iter().map(|x| (x.rules[r].1[s][m].0, x.rules[r].0));
                super::matched_policy(policy, cutoff, rp, reps)
            };
            scores_out.push(CensoredScoreVsRule {
                score: score.name.to_string(),
                at_rule_stop_rate: matched(0),
                at_rule_missed_rate: matched(1),
            });
        }
        let stopped: Vec<f64> = (0..n)
            .filter(|&i| rule.stop[i])
            .map(|i| scores[0].risk[i])
            .collect();
        rules_out.push(CensoredRuleComparison {
            rule: rule.name.to_string(),
            sql: rule.sql.to_string(),
            policy: *rp,
            mean_score_stopped: stopped.iter().sum::<f64>() / stopped.len() as f64,
            scores: scores_out,
        });
    }
    let rep_curves: Vec<&[Vec<f64>]> = reps.iter().map(|x| x.curves.as_slice()).collect();
    let decision =
        super::decision_curve(&opts.thresholds, scores, rules, &full.curves, &rep_curves);
    let all = vec![true; n];
    Ok(CensoredComparison {
        horizon,
        n,
        events_before_horizon,
        censored_before_horizon,
        risk_all: full_f.km_risk(&all),
        bootstrap: reps.len(),
        seed: opts.seed,
        reference_threshold: opts.reference_threshold,
        rules: rules_out,
        decision_curve: decision,
        excluded: None,
        warnings: Vec::new(),
        words: CompareWords::default(),
    })
}

impl CensoredComparison {
    /// The terminal table: per rule, the rule, the model at its stop rate and at its
    /// missed-event rate, with the differences and their CIs.
    pub fn render_table(&self) -> String {
        let w = &self.words;
        let super::PolicyColumns {
            stopped,
            spared,
            missed,
            stop_rate,
            missed_rate,
        } = w.columns();
        let (same_missed, missed_long, spared_long) = if w.mm {
            (
                "missed-event rate",
                "missed events per 100 stopped",
                "patients spared per 100",
            )
        } else {
            (
                "event rate among low risk",
                "events per 100 called low risk",
                "patients called low risk per 100",
            )
        };
        let mut s = format!(
            "{} patients, {} {} by the horizon ({}; {} censored before it: Kaplan-Meier and IPCW, every patient used); Kaplan-Meier risk by the horizon {:.1}%\n",
            self.n,
            self.events_before_horizon,
            w.events,
            crate::design::format_level(self.horizon),
            self.censored_before_horizon,
            100.0 * self.risk_all
        );
        let ci = |e: &Estimate, scale: f64| e.signed_with_ci(scale);
        for r in &self.rules {
            s.push_str(&format!("\nRule {}: {}\n", r.rule, r.sql));
            s.push_str(&format!(
                "  {:<44} {:>8} {:>10} {:>18} {:>7} {:>7}\n",
                "policy", stopped, spared, missed, "sens", "spec"
            ));
            let line = |name: &str, p: &CensoredPolicy| {
                format!(
                    "  {:<44} {:>8} {:>10.1} {:>18.1} {:>7.3} {:>7.3}\n",
                    name,
                    p.stopped,
                    p.spared_per_100,
                    p.missed_per_100_stopped,
                    p.sensitivity,
                    p.specificity
                )
            };
            s.push_str(&line(&r.rule, &r.policy));
            for sc in &r.scores {
                s.push_str(&line(
                    &format!("{} at the rule's {stop_rate}", sc.score),
                    &sc.at_rule_stop_rate.policy,
                ));
                s.push_str(&line(
                    &format!("{} at the rule's {missed_rate}", sc.score),
                    &sc.at_rule_missed_rate.policy,
                ));
                s.push_str(&format!(
                    "  {} minus rule, same {stop_rate}: {missed_long} {}; sensitivity {} pts\n",
                    sc.score,
                    ci(&sc.at_rule_stop_rate.diff_missed_per_100_stopped, 1.0),
                    ci(&sc.at_rule_stop_rate.diff_sensitivity, 100.0)
                ));
                s.push_str(&format!(
                    "  {} minus rule, same {same_missed}: {spared_long} {}\n",
                    sc.score,
                    ci(&sc.at_rule_missed_rate.diff_spared_per_100, 1.0)
                ));
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn km_risk_among_members_matches_a_hand_count() {
        // members 0..4: times 1(event) 2(cens) 3(event) 5(event); horizon 4
        let time = [1.0, 2.0, 3.0, 5.0, 1.5, 6.0];
        let event = [true, false, true, true, true, false];
        let f = FollowUp::new(&time, &event, 4.0).expect("follow-up");
        let member = [true, true, true, true, false, false];
        // S = (1 - 1/4) * (1 - 1/2) = 0.375 -> risk 0.625
        assert!((f.km_risk(&member) - 0.625).abs() < 1e-15);
    }

    #[test]
    fn survival_net_benefit_of_treating_all_is_the_km_formula() {
        let time = [1.0, 2.0, 3.0, 5.0, 1.5, 6.0];
        let event = [true, false, true, true, true, false];
        let f = FollowUp::new(&time, &event, 4.0).expect("follow-up");
        let all = [true; 6];
        let risk = f.km_risk(&all);
        let t = 0.2;
        let nb = f.net_benefit(&all, t);
        assert!((nb - (risk - (1.0 - risk) * t / (1.0 - t))).abs() < 1e-15);
    }
}
