//! Restart policies: triggers (SQL conditions over the visit rows and their landmark features;
//! in the MM profile the article's: MRD conversion, a CTX rise above the least significant
//! change, both, either) against the dynamic model at a risk threshold, evaluated visit by
//! visit. The CTX rise is read two ways: against the previous
//! measurement (the serial change the LSC is defined for) and against the nadir so far.
//!
//! Monitoring after the decision point: every visit (month > 0) at which a policy's condition
//! holds is an alarm (a call to act: restart, or re-image). An event is *caught* when at least
//! one alarm came before it within one prediction window (`T - w <= a < T`); its lead time is
//! `T - a` for the earliest such alarm. Alarms per 100 patient-years use the follow-up after
//! the decision point; `patients_alarmed` counts patients with any alarm. The model is compared
//! with each rule at the same number of alarms: its threshold is the k-th largest visit risk,
//! k = the rule's alarms (ties may add a few). Confidence intervals by bootstrapping patients
//! (percentile), the matched threshold recomputed in each replicate.

use rayon::prelude::*;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::model::fit::Model;
use crate::model::landmark::{rows_at, visit_points};
use crate::table::Table;

/// One patient's visits after the decision point, in month order.
#[derive(Debug, Clone)]
pub struct PatientVisits {
    /// Patient identifier.
    pub id: String,
    /// Follow-up time (months).
    pub time: f64,
    /// Whether follow-up ended with the event.
    pub event: bool,
    /// Visit months (> 0).
    pub months: Vec<f64>,
    /// Model risk at each visit (NaN when a predictor is missing).
    pub risk: Vec<f64>,
    /// Per trigger of [`RestartData::triggers`], whether it fires at each visit.
    pub fires: Vec<Vec<bool>>,
}

/// Visit-level data of a cohort for the restart comparison.
#[derive(Debug, Clone)]
pub struct RestartData {
    /// Prediction window of the model (months).
    pub window: f64,
    /// The triggers compared with the model, in order.
    pub triggers: Vec<crate::rules::Rule>,
    /// Triggers that fire at no visit or at every one, or compare with a word that is not a
    /// level of their column.
    pub warnings: Vec<String>,
    /// Time units per year (12 for months): follow-up in patient-years is time / this.
    pub per_year: f64,
    /// One entry per patient with at least one visit after month 0.
    pub patients: Vec<PatientVisits>,
}

/// Outcome of one policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyResult {
    /// Policy name.
    pub policy: String,
    /// Risk threshold (model policies).
    pub threshold: Option<f64>,
    /// Alarms (visits at which the condition held).
    pub alarms: usize,
    /// Patients with at least one alarm.
    pub patients_alarmed: usize,
    /// Alarms per 100 patient-years of follow-up.
    pub alarms_per_100py: f64,
    /// Events during follow-up.
    pub events: usize,
    /// Events caught (alarm within one window before the event).
    pub caught: usize,
    /// `caught / events`.
    pub caught_fraction: f64,
    /// Median lead time of the caught events (months).
    pub median_lead_months: Option<f64>,
    /// Alarms in patients without an event during follow-up.
    pub false_alarms: usize,
    /// Bootstrap percentile intervals (95%, patients resampled) of the measures above.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ci: Option<PolicyIntervals>,
}

/// 95% bootstrap percentile intervals of a policy's measures (`None` where fewer than two
/// replicates had a value, e.g. no event caught).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyIntervals {
    /// Of `caught_fraction`.
    pub caught_fraction: Option<(f64, f64)>,
    /// Of `alarms_per_100py`.
    pub alarms_per_100py: Option<(f64, f64)>,
    /// Of `median_lead_months`.
    pub median_lead_months: Option<(f64, f64)>,
}

impl PolicyIntervals {
    /// The intervals over bootstrap replicates of one policy.
    fn of(reps: &[&PolicyResult]) -> PolicyIntervals {
        let over = |f: &dyn Fn(&PolicyResult) -> Option<f64>| {
            interval95(reps.iter().filter_map(|p| f(p)).collect())
        };
        PolicyIntervals {
            caught_fraction: over(&|p| Some(p.caught_fraction)),
            alarms_per_100py: over(&|p| Some(p.alarms_per_100py)),
            median_lead_months: over(&|p| p.median_lead_months),
        }
    }
}

/// 2.5th and 97.5th percentiles of the finite values (`None` with fewer than two).
fn interval95(mut v: Vec<f64>) -> Option<(f64, f64)> {
    v.retain(|x| x.is_finite());
    v.sort_by(f64::total_cmp);
    (v.len() >= 2).then(|| {
        (
            crate::stats::quantile_sorted(&v, 0.025),
            crate::stats::quantile_sorted(&v, 0.975),
        )
    })
}

/// A rule against the model at the same number of alarms.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatchedComparison {
    /// The rule.
    pub rule: PolicyResult,
    /// The model with its threshold matched to the rule's alarms.
    pub model: PolicyResult,
    /// Model minus rule, fraction of events caught.
    pub caught_fraction_difference: f64,
    /// Bootstrap percentile interval of that difference.
    pub ci: Option<(f64, f64)>,
}

/// The restart comparison (`restart.json`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RestartComparison {
    /// Prediction window (months).
    pub window: f64,
    /// Patients compared.
    pub patients: usize,
    /// Follow-up after the decision point (patient-years).
    pub patient_years: f64,
    /// Each rule against the model at equal alarms.
    pub matched: Vec<MatchedComparison>,
    /// The model at the fixed threshold asked for.
    pub model_at_threshold: PolicyResult,
    /// Bootstrap replicates (patients resampled) used for the intervals.
    pub bootstrap: usize,
}

/// Score every visit of `cohort` + `visits` with the dynamic `model`, and evaluate each of
/// `triggers` (SQL over the visit rows and their landmark features: the columns of
/// [`crate::model::landmark::rows_at`]) at every visit. A trigger whose condition is unknown
/// (NULL: a measurement missing) does not fire.
///
/// # Errors
/// A static model, bad input, predictors missing from the files, a trigger that is not a
/// per-visit condition or reads a column the visit rows lack (with the nearest name).
pub fn restart_data(
    model: &Model,
    cohort: &Table,
    visits: &Table,
    triggers: &[crate::rules::Rule],
) -> Result<RestartData> {
    let spec = model.dynamic.as_ref().ok_or_else(|| {
        Error::Usage("restart policies need a dynamic model (mbdrisk fit --dynamic)".into())
    })?;
    let opts = &spec.landmark;
    let points: Vec<(usize, f64)> = visit_points(cohort, visits, opts)?
        .into_iter()
        .filter(|&(_, m)| m > 0.0)
        .collect();
    let st = rows_at(cohort, visits, &points, opts)?;
    let risk = model
        .scorer()?
        .score_table(&st.table)
        .map_err(|e| st.locate(e))?
        .predicted;
    let flags: Vec<Vec<bool>> = triggers
        .iter()
        .map(|t| {
            t.evaluate(&st.table).map_err(|e| match e {
                Error::Usage(m) => Error::Usage(format!(
                    "trigger {m} (the columns of a visit row are the visits file's, carried forward, and their features: see `mbdrisk fit --help`)"
                )),
                e => e,
            })
        })
        .collect::<Result<_>>()?;
    let warnings = triggers
        .iter()
        .zip(&flags)
        .flat_map(|(t, f)| t.warnings(&st.table, f, crate::rules::RuleUse::Trigger))
        .collect();
    let time = cohort.num(&spec.time)?;
    let event = cohort.num(&spec.event)?;
    let ids = cohort.text(&opts.id)?;
    let mut patients: Vec<PatientVisits> = Vec::new();
    for (r, &(i, m)) in points.iter().enumerate() {
        let (Some(t), Some(e)) = (time[i], event[i]) else {
            continue;
        };
        let id = ids[i].clone().unwrap_or_default();
        if patients.last().is_none_or(|p| p.id != id) {
            patients.push(PatientVisits {
                id: id.to_string(),
                time: t,
                event: e == 1.0,
                months: Vec::new(),
                risk: Vec::new(),
                fires: vec![Vec::new(); flags.len()],
            });
        }
        if let Some(p) = patients.last_mut() {
            p.months.push(m);
            p.risk.push(risk[r]);
            for (f, flag) in p.fires.iter_mut().zip(&flags) {
                f.push(flag[r]);
            }
        }
    }
    Ok(RestartData {
        window: opts.window,
        triggers: triggers.to_vec(),
        warnings,
        per_year: 12.0,
        patients,
    })
}

impl MatchedComparison {
    /// `+29.8 events caught per 100 events (95% CI +25.6 to +34.1)`, or a note without events.
    pub fn difference_text(&self) -> String {
        if !self.caught_fraction_difference.is_finite() {
            return "no events during follow-up: nothing to catch".into();
        }
        let ci = self.ci.map_or(String::new(), |(a, b)| {
            format!(" (95% CI {:+.1} to {:+.1})", 100.0 * a, 100.0 * b)
        });
        format!(
            "{:+.1} events caught per 100 events{ci}",
            100.0 * self.caught_fraction_difference
        )
    }
}

impl PolicyResult {
    /// Percentage of events caught with its bootstrap interval, e.g. `33.3 (29.4-37.5)`, or
    /// `-` without events.
    pub fn caught_percent_text(&self) -> String {
        if self.events == 0 {
            return "-".into();
        }
        let ci = self.ci.as_ref().and_then(|c| c.caught_fraction);
        format!(
            "{:.1}{}",
            100.0 * self.caught_fraction,
            range_text(ci, 100.0)
        )
    }

    /// Median lead time (months) with its bootstrap interval, or `-` when nothing was caught.
    pub fn lead_text(&self) -> String {
        let ci = self.ci.as_ref().and_then(|c| c.median_lead_months);
        self.median_lead_months
            .map_or("-".into(), |m| format!("{m:.1}{}", range_text(ci, 1.0)))
    }
}

fn range_text(r: Option<(f64, f64)>, scale: f64) -> String {
    r.map_or(String::new(), |(a, b)| {
        format!(" ({:.1}-{:.1})", scale * a, scale * b)
    })
}

/// Evaluate a policy given whether it alarms at visit `k` of a patient.
fn evaluate(
    name: &str,
    threshold: Option<f64>,
    d: &RestartData,
    sample: &[usize],
    fires: &dyn Fn(&PatientVisits, usize) -> bool,
) -> PolicyResult {
    let mut alarms = 0;
    let mut patients_alarmed = 0;
    let mut events = 0;
    let mut caught = 0;
    let mut false_alarms = 0;
    let mut leads = Vec::new();
    let mut years = 0.0;
    for &i in sample {
        let p = &d.patients[i];
        years += p.time / d.per_year;
        let months: Vec<f64> = (0..p.months.len())
            .filter(|&k| fires(p, k))
            .map(|k| p.months[k])
            .collect();
        alarms += months.len();
        patients_alarmed += usize::from(!months.is_empty());
        if p.event {
            events += 1;
            if let Some(a) = months
                .iter()
                .copied()
                .find(|&a| a < p.time && p.time - a <= d.window)
            {
                caught += 1;
                leads.push(p.time - a);
            }
        } else {
            false_alarms += months.len();
        }
    }
    leads.sort_by(f64::total_cmp);
    let median = if leads.is_empty() {
        None
    } else {
        let n = leads.len();
        Some(if n % 2 == 1 {
            leads[n / 2]
        } else {
            0.5 * (leads[n / 2 - 1] + leads[n / 2])
        })
    };
    PolicyResult {
        policy: name.to_string(),
        threshold,
        alarms,
        patients_alarmed,
        alarms_per_100py: if years > 0.0 {
            100.0 * alarms as f64 / years
        } else {
            f64::NAN
        },
        events,
        caught,
        caught_fraction: if events > 0 {
            caught as f64 / events as f64
        } else {
            f64::NAN
        },
        median_lead_months: median,
        false_alarms,
        ci: None,
    }
}

/// Whether trigger `t` (an index into [`RestartData::triggers`]) fires at visit `k`.
pub fn rule_alarm(t: usize) -> impl Fn(&PatientVisits, usize) -> bool {
    move |p, k| {
        p.fires
            .get(t)
            .and_then(|f| f.get(k))
            .copied()
            .unwrap_or(false)
    }
}

/// Whether the model alarms at visit `k`: risk at or above `t`.
pub fn model_alarm(t: f64) -> impl Fn(&PatientVisits, usize) -> bool {
    move |p, k| p.risk[k] >= t
}

impl PatientVisits {
    /// Month of the first visit at which `fires` holds.
    pub fn first_alarm(&self, fires: impl Fn(&PatientVisits, usize) -> bool) -> Option<f64> {
        (0..self.months.len())
            .find(|&k| fires(self, k))
            .map(|k| self.months[k])
    }
}

/// The threshold giving the model `k` alarms among `sample`: the k-th largest visit risk
/// (infinity for k = 0).
fn matched_threshold(d: &RestartData, sample: &[usize], k: usize) -> f64 {
    let mut m: Vec<f64> = sample
        .iter()
        .flat_map(|&i| d.patients[i].risk.iter().copied().filter(|r| !r.is_nan()))
        .collect();
    m.sort_by(|a, b| b.total_cmp(a));
    if k == 0 || m.is_empty() {
        f64::INFINITY
    } else {
        m[(k - 1).min(m.len() - 1)]
    }
}

/// Compare the trigger rules with the model (matched alarms) and the model at `threshold`.
///
/// # Errors
/// No patient with visits after the decision point.
pub fn compare_restart(
    d: &RestartData,
    threshold: f64,
    bootstrap: usize,
    seed: u64,
) -> Result<RestartComparison> {
    crate::limits::check_count("--bootstrap", bootstrap, crate::limits::MAX_BOOTSTRAP, true)?;
    let n = d.patients.len();
    if n == 0 {
        return Err(Error::Analysis(
            "no patient has a visit after the decision point: nothing to compare".into(),
        ));
    }
    let all: Vec<usize> = (0..n).collect();
    let diff_on = |sample: &[usize], t: usize| -> (PolicyResult, PolicyResult) {
        let r = evaluate(&d.triggers[t].name, None, d, sample, &rule_alarm(t));
        let t = matched_threshold(d, sample, r.alarms);
        let m = evaluate("model", Some(t), d, sample, &model_alarm(t));
        (r, m)
    };
    let draws: Vec<Vec<usize>> = (0..bootstrap)
        .map(|b| crate::stats::resample_indices(n, seed, b as u64 + 1))
        .collect();
    let with_ci = |mut p: PolicyResult, reps: Vec<&PolicyResult>| {
        if !reps.is_empty() {
            p.ci = Some(PolicyIntervals::of(&reps));
        }
        p
    };
    let matched = (0..d.triggers.len())
        .map(|t| {
            let (r, m) = diff_on(&all, t);
            let reps: Vec<(PolicyResult, PolicyResult)> =
                draws.par_iter().map(|s| diff_on(s, t)).collect();
            let ci = interval95(
                reps.iter()
                    .map(|(r, m)| m.caught_fraction - r.caught_fraction)
                    .collect(),
            );
            MatchedComparison {
                caught_fraction_difference: m.caught_fraction - r.caught_fraction,
                rule: with_ci(r, reps.iter().map(|(r, _)| r).collect()),
                model: with_ci(m, reps.iter().map(|(_, m)| m).collect()),
                ci,
            }
        })
        .collect();
    let at_threshold =
        |s: &[usize]| evaluate("model", Some(threshold), d, s, &model_alarm(threshold));
    let reps: Vec<PolicyResult> = draws.par_iter().map(|s| at_threshold(s)).collect();
    let patient_years = d.patients.iter().map(|p| p.time / d.per_year).sum();
    Ok(RestartComparison {
        window: d.window,
        patients: n,
        patient_years,
        matched,
        model_at_threshold: with_ci(at_threshold(&all), reps.iter().collect()),
        bootstrap,
    })
}

impl RestartComparison {
    /// A plain-text table for the terminal.
    pub fn render_table(&self) -> String {
        let mut s = format!(
            "Restart policies: {} patients, {:.0} patient-years; an alarm is a visit where the policy fires; an event is caught by an alarm at most {} months before it\n",
            self.patients, self.patient_years, self.window
        );
        s.push_str(&format!(
            "{:<30} {:>9} {:>7} {:>9} {:>9} {:>18} {:>16}\n",
            "policy", "threshold", "alarms", "/100 PY", "caught", "% (95% CI)", "lead mo (95% CI)"
        ));
        let line = |p: &PolicyResult| {
            format!(
                "{:<30} {:>9} {:>7} {:>9.1} {:>4}/{:<4} {:>18} {:>16}\n",
                p.policy,
                p.threshold.map_or("-".into(), |t| format!("{t:.3}")),
                p.alarms,
                p.alarms_per_100py,
                p.caught,
                p.events,
                p.caught_percent_text(),
                p.lead_text()
            )
        };
        for m in &self.matched {
            s.push_str(&line(&m.rule));
            s.push_str(&line(&m.model));
            s.push_str(&format!(
                "  model - rule at equal alarms: {}\n",
                m.difference_text()
            ));
        }
        s.push_str(&line(&self.model_at_threshold));
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patient(
        id: &str,
        time: f64,
        event: bool,
        months: &[f64],
        risk: &[f64],
        flags: [&[bool]; 3],
    ) -> PatientVisits {
        PatientVisits {
            id: id.into(),
            time,
            event,
            months: months.to_vec(),
            risk: risk.to_vec(),
            // the MM triggers, in order: mrd, rise, above nadir, both, either
            fires: vec![
                flags[0].to_vec(),
                flags[2].to_vec(),
                flags[1].to_vec(),
                flags[0]
                    .iter()
                    .zip(flags[2])
                    .map(|(a, b)| *a && *b)
                    .collect(),
                flags[0]
                    .iter()
                    .zip(flags[2])
                    .map(|(a, b)| *a || *b)
                    .collect(),
            ],
        }
    }

    /// P1: event at 10 (visits 3, 6, 9); P2: event-free to 24 (3, 6, 12); P3: event at 20,
    /// last visit 12, more than one window (6) before it.
    fn hand_case() -> RestartData {
        let (t, f) = (true, false);
        RestartData {
            window: 6.0,
            triggers: crate::rules::Rule::mm_triggers(),
            warnings: Vec::new(),
            per_year: 12.0,
            patients: vec![
                patient(
                    "P1",
                    10.0,
                    true,
                    &[3.0, 6.0, 9.0],
                    &[0.1, 0.3, 0.5],
                    [&[f, t, t], &[t, t, t], &[f, f, t]],
                ),
                patient(
                    "P2",
                    24.0,
                    false,
                    &[3.0, 6.0, 12.0],
                    &[0.2, 0.05, 0.4],
                    [&[f, f, f], &[f, f, t], &[t, f, f]],
                ),
                patient(
                    "P3",
                    20.0,
                    true,
                    &[3.0, 12.0],
                    &[0.05, 0.1],
                    [&[f, f], &[f, t], &[f, f]],
                ),
            ],
        }
    }

    #[test]
    fn hand_case_alarms_catches_and_lead_times() {
        let c = compare_restart(&hand_case(), 0.25, 0, 1).expect("compare");
        assert!((c.patient_years - 54.0 / 12.0).abs() < 1e-12);
        let by = |name: &str| {
            c.matched
                .iter()
                .find(|m| m.rule.policy == name)
                .expect("rule")
        };
        // (alarms, patients alarmed, caught, lead, false alarms) of each rule: P1's event is
        // caught by the earliest alarm in [4, 10); P3's alarm at 12 is 8 months early.
        for (rule, alarms, patients, caught, lead, false_alarms) in [
            ("mrd_conversion", 2, 1, 1, 4.0, 0),
            ("ctx_rise_lsc", 2, 2, 1, 1.0, 1),
            ("ctx_above_nadir_lsc", 5, 3, 1, 4.0, 1),
            ("mrd_conversion_and_ctx_rise", 1, 1, 1, 1.0, 0),
            ("mrd_conversion_or_ctx_rise", 3, 2, 1, 4.0, 1),
        ] {
            let r = &by(rule).rule;
            assert_eq!(
                (
                    r.alarms,
                    r.patients_alarmed,
                    r.caught,
                    r.events,
                    r.false_alarms
                ),
                (alarms, patients, caught, 2, false_alarms),
                "{rule}"
            );
            assert_eq!(r.median_lead_months, Some(lead), "{rule}");
            assert!((r.alarms_per_100py - 100.0 * alarms as f64 / 4.5).abs() < 1e-9);
            assert!(
                r.ci.is_none() && by(rule).ci.is_none(),
                "no bootstrap asked"
            );
        }
        // The model at the rule's 2 alarms: the 2 highest risks, 0.5 (P1 at 9) and 0.4 (P2 at
        // 12): catches P1 one month ahead.
        let m = &by("mrd_conversion").model;
        assert_eq!((m.threshold, m.alarms, m.caught), (Some(0.4), 2, 1));
        assert_eq!(m.median_lead_months, Some(1.0));
        assert_eq!(by("mrd_conversion").caught_fraction_difference, 0.0);
        // At 5 alarms (0.5, 0.4, 0.3, 0.2, 0.1 with a tie at 0.1: 6 alarms): P1 from month 3,
        // outside the window, so its first alarm in the window is at 6 (lead 4).
        let m = &by("ctx_above_nadir_lsc").model;
        assert_eq!(
            (m.alarms, m.caught, m.median_lead_months),
            (6, 1, Some(4.0))
        );
        // At the fixed threshold 0.25: P1 at 6 and 9, P2 at 12.
        let t = &c.model_at_threshold;
        assert_eq!((t.alarms, t.patients_alarmed, t.caught), (3, 2, 1));
    }

    #[test]
    fn without_events_the_tables_say_dash_not_nan() {
        let mut d = hand_case();
        d.patients.retain(|p| !p.event);
        let c = compare_restart(&d, 0.25, 0, 1).expect("compare");
        let r = &c.matched[0].rule;
        assert_eq!(
            (r.events, r.caught_percent_text(), r.lead_text()),
            (0, "-".into(), "-".into())
        );
        assert!(!c.render_table().contains("NaN"), "{}", c.render_table());
    }

    #[test]
    fn bootstrap_intervals_are_reproducible_and_bracket_the_spread() {
        let d = hand_case();
        let a = compare_restart(&d, 0.25, 50, 9).expect("compare");
        let b = compare_restart(&d, 0.25, 50, 9).expect("compare");
        assert_eq!(a, b, "same seed, same result");
        for m in &a.matched {
            for p in [&m.rule, &m.model] {
                let ci = p.ci.as_ref().expect("intervals");
                let (lo, hi) = ci.caught_fraction.expect("caught");
                assert!(
                    (0.0..=1.0).contains(&lo) && lo <= hi && hi <= 1.0,
                    "{lo} {hi}"
                );
                let (lo, hi) = ci.alarms_per_100py.expect("alarms");
                assert!(0.0 <= lo && lo <= hi, "{lo} {hi}");
            }
        }
        assert!(a.model_at_threshold.ci.is_some());
    }
}
