//! Restart policies after bone protection stops: the article's triggers (MRD conversion, a CTX
//! rise above the least significant change, both, either) against the dynamic model at a risk
//! threshold, evaluated visit by visit. The CTX rise is read two ways: against the previous
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

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
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
    /// MRD converted negative -> positive by the visit.
    pub mrd_conversion: Vec<bool>,
    /// CTX above its nadir by more than the LSC at the visit.
    pub ctx_above_lsc: Vec<bool>,
    /// CTX up by more than the LSC since the previous measurement at the visit.
    pub ctx_rise_lsc: Vec<bool>,
}

/// Visit-level data of a cohort for the restart comparison.
#[derive(Debug, Clone)]
pub struct RestartData {
    /// Prediction window of the model (months).
    pub window: f64,
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

/// The trigger rules, by name.
///
/// - `mrd_conversion`: MRD positive after a negative result;
/// - `ctx_rise_lsc`: CTX-I up by more than the LSC (56%) since the previous measurement;
/// - `ctx_above_nadir_lsc`: CTX-I more than the LSC above the patient's nadir so far;
/// - `mrd_conversion_and_ctx_rise`: both: a CTX rise since the previous measurement in a
///   patient whose MRD has converted;
/// - `mrd_conversion_or_ctx_rise`: either of the first two (the article lists both triggers).
pub const RULES: [&str; 5] = [
    "mrd_conversion",
    "ctx_rise_lsc",
    "ctx_above_nadir_lsc",
    "mrd_conversion_and_ctx_rise",
    "mrd_conversion_or_ctx_rise",
];

fn rule_fires(rule: &str, p: &PatientVisits, k: usize) -> bool {
    match rule {
        "mrd_conversion" => p.mrd_conversion[k],
        "ctx_rise_lsc" => p.ctx_rise_lsc[k],
        "ctx_above_nadir_lsc" => p.ctx_above_lsc[k],
        "mrd_conversion_and_ctx_rise" => p.mrd_conversion[k] && p.ctx_rise_lsc[k],
        _ => p.mrd_conversion[k] || p.ctx_rise_lsc[k],
    }
}

/// Score every visit of `cohort` + `visits` with the dynamic `model`.
///
/// # Errors
/// A static model, bad input, predictors missing from the files.
pub fn restart_data(model: &Model, cohort: &Table, visits: &Table) -> Result<RestartData> {
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
    let flag = |name: &str| -> Result<Vec<bool>> {
        Ok(st
            .table
            .num(name)
            .map_err(|_| {
                Error::Usage(format!(
                    "the restart triggers need the column behind '{name}' (visits with mrd and ctx_ng_ml)"
                ))
            })?
            .iter()
            .map(|v| *v == Some(1.0))
            .collect())
    };
    let mrd = flag("mrd_conversion")?;
    let ctx = flag("ctx_above_lsc")?;
    let rise = flag("ctx_rise_lsc")?;
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
                id,
                time: t,
                event: e == 1.0,
                months: Vec::new(),
                risk: Vec::new(),
                mrd_conversion: Vec::new(),
                ctx_above_lsc: Vec::new(),
                ctx_rise_lsc: Vec::new(),
            });
        }
        if let Some(p) = patients.last_mut() {
            p.months.push(m);
            p.risk.push(risk[r]);
            p.mrd_conversion.push(mrd[r]);
            p.ctx_above_lsc.push(ctx[r]);
            p.ctx_rise_lsc.push(rise[r]);
        }
    }
    Ok(RestartData {
        window: opts.window,
        patients,
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
        years += p.time / 12.0;
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
    }
}

/// Whether trigger `rule` (one of [`RULES`]) fires at visit `k` of a patient.
pub fn rule_alarm(rule: &str) -> impl Fn(&PatientVisits, usize) -> bool + '_ {
    move |p, k| rule_fires(rule, p, k)
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

fn percentile(sorted: &[f64], q: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * q;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
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
    let n = d.patients.len();
    if n == 0 {
        return Err(Error::Analysis(
            "no patient has a visit after the decision point: nothing to compare".into(),
        ));
    }
    let all: Vec<usize> = (0..n).collect();
    let diff_on = |sample: &[usize], rule: &str| -> (PolicyResult, PolicyResult) {
        let r = evaluate(rule, None, d, sample, &rule_alarm(rule));
        let t = matched_threshold(d, sample, r.alarms);
        let m = evaluate("model", Some(t), d, sample, &model_alarm(t));
        (r, m)
    };
    let draws: Vec<Vec<usize>> = (0..bootstrap)
        .map(|b| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(b as u64 + 1);
            (0..n).map(|_| rng.gen_range(0..n)).collect()
        })
        .collect();
    let matched = RULES
        .iter()
        .map(|rule| {
            let (r, m) = diff_on(&all, rule);
            let mut diffs: Vec<f64> = draws
                .par_iter()
                .map(|s| {
                    let (r, m) = diff_on(s, rule);
                    m.caught_fraction - r.caught_fraction
                })
                .filter(|x| x.is_finite())
                .collect();
            diffs.sort_by(f64::total_cmp);
            let ci =
                (diffs.len() >= 2).then(|| (percentile(&diffs, 0.025), percentile(&diffs, 0.975)));
            MatchedComparison {
                caught_fraction_difference: m.caught_fraction - r.caught_fraction,
                rule: r,
                model: m,
                ci,
            }
        })
        .collect();
    let patient_years = d.patients.iter().map(|p| p.time / 12.0).sum();
    Ok(RestartComparison {
        window: d.window,
        patients: n,
        patient_years,
        matched,
        model_at_threshold: evaluate("model", Some(threshold), d, &all, &model_alarm(threshold)),
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
            "{:<30} {:>9} {:>7} {:>9} {:>9} {:>10}\n",
            "policy", "threshold", "alarms", "/100 PY", "caught", "lead (mo)"
        ));
        let line = |p: &PolicyResult| {
            format!(
                "{:<30} {:>9} {:>7} {:>9.1} {:>4}/{:<4} {:>10}\n",
                p.policy,
                p.threshold.map_or("-".into(), |t| format!("{t:.3}")),
                p.alarms,
                p.alarms_per_100py,
                p.caught,
                p.events,
                p.median_lead_months
                    .map_or("-".into(), |m| format!("{m:.1}"))
            )
        };
        for m in &self.matched {
            s.push_str(&line(&m.rule));
            s.push_str(&line(&m.model));
            let ci = m.ci.map_or(String::new(), |(a, b)| {
                format!(" (95% CI {:+.1} to {:+.1})", 100.0 * a, 100.0 * b)
            });
            s.push_str(&format!(
                "  model - rule at equal alarms: {:+.1} events caught per 100 events{ci}\n",
                100.0 * m.caught_fraction_difference
            ));
        }
        s.push_str(&line(&self.model_at_threshold));
        s
    }
}
