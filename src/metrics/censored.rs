//! Censoring-aware validation of a risk score at a horizon `H` (dynamic model): inverse
//! probability of censoring weights (IPCW) from a Kaplan-Meier estimate of the censoring
//! distribution `G`, the time-dependent cumulative/dynamic AUC with its influence-function
//! standard error, the IPCW Brier score (model and null model), O/E and calibration at `H`,
//! as `riskRegression::Score(..., cens.model = "km", null.model = TRUE, se.fit = TRUE)`
//! (version 2022.11.28).
//!
//! Conventions (checked against riskRegression's source and by experiment):
//! - cases: event with `T <= H`, weight `1 / G(T-)`; controls: `T > H`, weight `1 / G(H)`
//!   (right-continuous, the drop at `H` included); censored at or before `H`: weight 0.
//! - `G` is `prodlim(..., reverse = TRUE)`: at a time where events and censorings tie, the
//!   events leave the risk set first, so the censoring hazard there is `c / (n_risk - d)`
//!   (this differs from `survfit(Surv(time, 1 - event) ~ 1)`, which keeps them at risk).
//! - AUC: trapezoidal area under the weighted ROC curve, ties in risk counted 1/2.
//! - Brier: `sum(residual) / n` over all subjects, residual `(1 - r)^2 / G(T-)` for cases,
//!   `r^2 / G(H)` for controls, 0 for censored before `H`.
//! - standard errors: `sd(IF) / sqrt(n)` of riskRegression's influence functions, including
//!   the Kaplan-Meier censoring term (a port of `getIC0AUC`,
//!   `getInfluenceFunctionAUCKMCensoringTerm` and `getInfluenceFunctionBrierKMCensoringTerm`).

use serde::Serialize;

use super::error::MetricsError;
use crate::survival::km::KaplanMeier;

/// Groups of the calibration table at the horizon (deciles).
pub const CALIBRATION_GROUPS: usize = 10;

/// One group of the calibration table at the horizon.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CensoredCalibrationGroup {
    /// 0-based group index in order of increasing risk.
    pub group: usize,
    /// Subjects in the group.
    pub n: usize,
    /// Events at or before the horizon in the group.
    pub events: usize,
    /// Mean predicted risk.
    pub mean_predicted: f64,
    /// Observed risk by the horizon: `1 - S(H)`, Kaplan-Meier within the group.
    pub observed: f64,
    /// Lower end of its 95% interval (Greenwood standard error, clipped to [0, 1]).
    pub ci_low: f64,
    /// Upper end.
    pub ci_high: f64,
}

/// Censoring-aware performance of a risk score at one horizon.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CensoredMetrics {
    /// Subjects.
    pub n: usize,
    /// Events at or before the horizon (cases).
    pub events_before_horizon: usize,
    /// Censored at or before the horizon (weight 0).
    pub censored_before_horizon: usize,
    /// The horizon, in the unit of the times.
    pub horizon: f64,
    /// IPCW time-dependent cumulative/dynamic AUC.
    pub auc: f64,
    /// Its influence-function standard error (riskRegression `se`).
    pub auc_se: f64,
    /// IPCW Brier score at the horizon.
    pub brier: f64,
    /// Its influence-function standard error.
    pub brier_se: f64,
    /// IPCW Brier score of the null model (everyone gets the Kaplan-Meier risk by `H`).
    pub brier_null: f64,
    /// `1 - brier / brier_null`.
    pub scaled_brier: f64,
    /// Kaplan-Meier risk by the horizon, `1 - S(H)`.
    pub observed_risk: f64,
    /// Observed / expected: Kaplan-Meier risk by the horizon / mean predicted risk (1 is
    /// ideal; < 1 means the score over-predicts), the direction of
    /// [`Metrics::oe_ratio`](crate::metrics::Metrics) for 0/1 outcomes.
    pub oe_ratio: f64,
    /// Calibration at the horizon by groups of predicted risk.
    pub calibration: Vec<CensoredCalibrationGroup>,
}

fn check_inputs(
    risk: &[f64],
    time: &[f64],
    event: &[bool],
    horizon: f64,
) -> Result<(), MetricsError> {
    if risk.len() != time.len() {
        return Err(MetricsError::LengthMismatch {
            predicted: risk.len(),
            observed: time.len(),
        });
    }
    check_follow_up(time, event, horizon)?;
    if let Some(index) = risk
        .iter()
        .position(|r| !(r.is_finite() && (0.0..=1.0).contains(r)))
    {
        return Err(MetricsError::ProbabilityOutOfRange {
            index,
            value: risk[index],
        });
    }
    check_times(time)?;
    if !time.iter().zip(event).any(|(&t, &e)| e && t <= horizon) {
        return Err(MetricsError::NoEventBeforeHorizon {
            horizon,
            n: risk.len(),
        });
    }
    if !time.iter().any(|&t| t > horizon) {
        return Err(MetricsError::NoSubjectBeyondHorizon {
            horizon,
            max_time: time.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        });
    }
    Ok(())
}

/// Lengths, emptiness and the horizon: what every censored computation needs first.
fn check_follow_up(time: &[f64], event: &[bool], horizon: f64) -> Result<(), MetricsError> {
    if event.len() != time.len() {
        return Err(MetricsError::LengthMismatch {
            predicted: time.len(),
            observed: event.len(),
        });
    }
    if time.is_empty() {
        return Err(MetricsError::Empty);
    }
    if !(horizon.is_finite() && horizon > 0.0) {
        return Err(MetricsError::InvalidOption {
            name: "horizon",
            value: horizon.to_string(),
            expected: "a finite time > 0, in the unit of the follow-up times",
        });
    }
    Ok(())
}

/// Follow-up times must be finite and >= 0.
fn check_times(time: &[f64]) -> Result<(), MetricsError> {
    match time.iter().position(|t| !(t.is_finite() && *t >= 0.0)) {
        Some(index) => Err(MetricsError::TimeInvalid {
            index,
            value: time[index],
        }),
        None => Ok(()),
    }
}

/// IPCW weights of subjects sorted by time (events first at ties), with `km` fitted to them
/// and `g` its censoring curve: `1 / G(t-)` for events by the horizon, `1 / G(horizon)`
/// beyond it, 0 otherwise (infinite where `G` reached 0).
fn ipcw_sorted(km: &KaplanMeier, g: &[f64], t: &[f64], e: &[bool], horizon: f64) -> Vec<f64> {
    let g_h = step_at(&km.times, g, horizon);
    t.iter()
        .zip(e)
        .map(|(&ti, &ei)| {
            if ei && ti <= horizon {
                1.0 / step_before(&km.times, g, ti)
            } else if ti > horizon {
                1.0 / g_h
            } else {
                0.0
            }
        })
        .collect()
}

/// Kaplan-Meier censoring survival `G` on the distinct times of `km` (fitted to the events),
/// prodlim's reverse convention: events at a tied time leave the risk set first.
fn censoring_curve(km: &KaplanMeier) -> Vec<f64> {
    let mut g = 1.0;
    km.times
        .iter()
        .enumerate()
        .map(|(k, _)| {
            let at_risk = km.n_risk[k] - km.n_event[k];
            if km.n_censor[k] > 0 {
                g *= 1.0 - km.n_censor[k] as f64 / at_risk as f64;
            }
            g
        })
        .collect()
}

/// `G(t)` (right-continuous) from the curve on `times`.
fn step_at(times: &[f64], values: &[f64], t: f64) -> f64 {
    match times.partition_point(|&x| x <= t) {
        0 => 1.0,
        k => values[k - 1],
    }
}

/// `G(t-)` (left limit).
fn step_before(times: &[f64], values: &[f64], t: f64) -> f64 {
    match times.partition_point(|&x| x < t) {
        0 => 1.0,
        k => values[k - 1],
    }
}

/// Sample standard deviation (n - 1 denominator, as R `sd`).
fn sd(x: &[f64]) -> f64 {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    (x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1.0)).sqrt()
}

/// Nelson-Aalen pieces of the censoring influence function, on data sorted by time
/// (riskRegression's `getInfluenceFunctionKM`): per distinct time its risk set size and the
/// cumulated `n * dLambda_C / Y`, and per subject the index of its distinct time.
struct CensIf {
    utime: Vec<f64>,
    atrisk: Vec<f64>,
    mc_term2: Vec<f64>,
    sindex: Vec<usize>,
}

impl CensIf {
    fn new(time: &[f64], event: &[bool]) -> CensIf {
        let n = time.len();
        let nf = n as f64;
        let mut c = CensIf {
            utime: Vec::new(),
            atrisk: Vec::new(),
            mc_term2: Vec::new(),
            sindex: vec![0; n],
        };
        let mut i = 0;
        let mut cum = 0.0;
        while i < n {
            let t = time[i];
            let y = (n - i) as f64;
            let mut cens = 0.0;
            let k = c.utime.len();
            while i < n && time[i] == t {
                if !event[i] {
                    cens += 1.0;
                }
                c.sindex[i] = k;
                i += 1;
            }
            cum += cens / y * nf / y;
            c.utime.push(t);
            c.atrisk.push(y);
            c.mc_term2.push(cum);
        }
        c
    }

    /// `fihattau` of the C++ code for subject `i`, with `firsthit` the last index with
    /// time <= tau (`None` when there is none).
    fn fihat(&self, i: usize, firsthit: Option<usize>, time: &[f64], event: &[bool]) -> f64 {
        let Some(fh) = firsthit else { return 0.0 };
        let j = i.min(fh);
        let sj = self.sindex[j];
        if self.utime[sj] < time[i] {
            -self.mc_term2[sj]
        } else {
            let si = self.sindex[i];
            let cens = if event[i] { 0.0 } else { 1.0 };
            cens * time.len() as f64 / self.atrisk[si] - self.mc_term2[si]
        }
    }
}

/// Calibration at the horizon: groups of increasing risk as
/// [`calibration_table`](super::calibration_table) forms them (ties kept together), observed
/// risk by Kaplan-Meier within the group.
fn calibration_at(
    risk: &[f64],
    time: &[f64],
    event: &[bool],
    horizon: f64,
) -> Vec<CensoredCalibrationGroup> {
    let n = risk.len();
    let order = crate::stats::order(risk);
    let mut groups: Vec<(usize, Vec<usize>)> = Vec::new();
    let mut tie_start = 0;
    for (pos, &i) in order.iter().enumerate() {
        if pos > 0 && risk[i] != risk[order[pos - 1]] {
            tie_start = pos;
        }
        let g = tie_start * CALIBRATION_GROUPS / n;
        match groups.last_mut() {
            Some((last, members)) if *last == g => members.push(i),
            _ => groups.push((g, vec![i])),
        }
    }
    groups
        .into_iter()
        .map(|(group, members)| {
            let t: Vec<f64> = members.iter().map(|&i| time[i]).collect();
            let e: Vec<bool> = members.iter().map(|&i| event[i]).collect();
            let (observed, se) = KaplanMeier::fit(&t, &e)
                .map(|km| (1.0 - km.survival_at(horizon), km.std_err_at(horizon)))
                .unwrap_or((f64::NAN, f64::NAN));
            let z = crate::stats::normal_quantile(0.975);
            let (ci_low, ci_high) = if se.is_finite() {
                ((observed - z * se).max(0.0), (observed + z * se).min(1.0))
            } else {
                (observed, observed)
            };
            CensoredCalibrationGroup {
                ci_low,
                ci_high,
                group,
                n: members.len(),
                events: members
                    .iter()
                    .filter(|&&i| event[i] && time[i] <= horizon)
                    .count(),
                mean_predicted: members.iter().map(|&i| risk[i]).sum::<f64>()
                    / members.len() as f64,
                observed,
            }
        })
        .collect()
}

/// IPCW Brier score and its influence-function SE on data sorted by (time, -event).
fn brier_sorted(
    r: &[f64],
    t: &[f64],
    e: &[bool],
    w: &[f64],
    horizon: f64,
    cif: &CensIf,
    firsthit: Option<usize>,
) -> (f64, f64) {
    let n = r.len();
    let nf = n as f64;
    let res: Vec<f64> = (0..n)
        .map(|i| {
            if t[i] <= horizon {
                if e[i] {
                    (1.0 - r[i]).powi(2) * w[i]
                } else {
                    0.0
                }
            } else {
                r[i] * r[i] * w[i]
            }
        })
        .collect();
    let brier = res.iter().sum::<f64>() / nf;
    // getInfluenceFunctionBrierKMCensoringTerm
    let is_case = |i: usize| e[i] && t[i] <= horizon;
    let mut icpart1 = 0.0;
    let mut icpart2: f64 = (0..n).filter(|&i| is_case(i)).map(|i| res[i]).sum();
    let icpart: f64 = (0..n)
        .filter(|&i| t[i] > horizon)
        .map(|i| res[i])
        .sum::<f64>()
        / nf;
    let mut k = 0;
    while k < n && t[k] == t[0] {
        if is_case(k) {
            icpart2 -= res[k];
        }
        k += 1;
    }
    let mut upper_tie = k - 1;
    let mut ifb = vec![0.0; n];
    for i in 0..n {
        let f = cif.fihat(i, firsthit, t, e);
        let icterm = (icpart1 + f * icpart2) / nf;
        let icterm2 = icpart * f;
        if upper_tie == i {
            let mut k = i + 1;
            while k < n && t[k] == t[i + 1] {
                if is_case(k) {
                    icpart1 -= res[k] * cif.mc_term2[cif.sindex[i]];
                    icpart2 -= res[k];
                }
                k += 1;
            }
            upper_tie = k.saturating_sub(1);
        }
        ifb[i] = res[i] - brier + icterm + icterm2;
    }
    (brier, sd(&ifb) / nf.sqrt())
}

/// Inverse-probability-of-censoring weights at `horizon`, the weights of
/// [`evaluate_censored`] (and `riskRegression::Score`): `1 / G(t_i-)` for an event at or
/// before the horizon, `1 / G(horizon)` for follow-up beyond it, 0 for censoring at or before
/// it, where `G` is the Kaplan-Meier estimate of the censoring distribution (events before
/// censorings at tied times).
///
/// # Errors
/// [`MetricsError`] for different lengths, no subjects, a horizon that is not a finite
/// positive number, a negative or non-finite time, or a weight that would be infinite (every
/// subject still at risk censored).
pub fn ipcw_weights(time: &[f64], event: &[bool], horizon: f64) -> Result<Vec<f64>, MetricsError> {
    check_follow_up(time, event, horizon)?;
    check_times(time)?;
    let mut order: Vec<usize> = (0..time.len()).collect();
    order.sort_by(|&a, &b| time[a].total_cmp(&time[b]).then(event[b].cmp(&event[a])));
    let t: Vec<f64> = order.iter().map(|&i| time[i]).collect();
    let e: Vec<bool> = order.iter().map(|&i| event[i]).collect();
    let km = KaplanMeier::fit(&t, &e).map_err(|_| MetricsError::Empty)?;
    let sorted = ipcw_sorted(&km, &censoring_curve(&km), &t, &e, horizon);
    if sorted.iter().any(|w| !w.is_finite()) {
        return Err(MetricsError::InvalidOption {
            name: "horizon",
            value: horizon.to_string(),
            expected:
                "a horizon before everyone at risk is censored (the censoring survival reaches 0)",
        });
    }
    let mut w = vec![0.0; time.len()];
    for (k, &i) in order.iter().enumerate() {
        w[i] = sorted[k];
    }
    Ok(w)
}

/// Censoring-aware validation of predicted risks of an event by `horizon`.
///
/// `risk[i]` is the predicted probability that subject `i` has the event by `horizon`,
/// `time[i]` its follow-up time, `event[i]` whether follow-up ended with the event (`false`:
/// censored).
///
/// # Errors
/// [`MetricsError`] for different lengths, no subjects, a horizon that is not a finite
/// positive number, a risk outside [0, 1] or not finite, a negative or non-finite time, no
/// event at or before the horizon, or nobody followed beyond it.
pub fn evaluate_censored(
    risk: &[f64],
    time: &[f64],
    event: &[bool],
    horizon: f64,
) -> Result<CensoredMetrics, MetricsError> {
    check_inputs(risk, time, event, horizon)?;
    let n = risk.len();
    let nf = n as f64;
    // Sort by time, events first at tied times (Score's data order).
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| time[a].total_cmp(&time[b]).then(event[b].cmp(&event[a])));
    let t: Vec<f64> = order.iter().map(|&i| time[i]).collect();
    let e: Vec<bool> = order.iter().map(|&i| event[i]).collect();
    let r: Vec<f64> = order.iter().map(|&i| risk[i]).collect();

    let km = KaplanMeier::fit(&t, &e).map_err(|err| match err {
        crate::survival::km::KmError::BadTime { index, value } => MetricsError::TimeInvalid {
            index: order[index],
            value,
        },
        _ => MetricsError::Empty,
    })?;
    let g = censoring_curve(&km);
    let g_h = step_at(&km.times, &g, horizon);
    let is_case = |i: usize| e[i] && t[i] <= horizon;
    let is_control = |i: usize| t[i] > horizon;
    // IPCW weights (1 / G); 0 for censored before the horizon.
    let w = ipcw_sorted(&km, &g, &t, &e, horizon);
    let events_before_horizon = (0..n).filter(|&i| is_case(i)).count();
    let censored_before_horizon = (0..n).filter(|&i| !e[i] && t[i] <= horizon).count();

    // ic0Control[j]: case weight with higher risk + half the tied (self excluded);
    // ic0Case[i]: control weight with lower risk + half the tied (self excluded).
    let by_risk = crate::stats::order(&r);
    let mut ic0_case = vec![0.0; n];
    let mut ic0_control = vec![0.0; n];
    {
        let (mut prev, mut curr) = (0.0, 0.0);
        let mut hi = n;
        while hi > 0 {
            let mut lo = hi;
            while lo > 0 && r[by_risk[lo - 1]] == r[by_risk[hi - 1]] {
                lo -= 1;
                let k = by_risk[lo];
                if is_case(k) {
                    curr += w[k];
                }
            }
            for &k in &by_risk[lo..hi] {
                let own = if is_case(k) { w[k] } else { 0.0 };
                ic0_control[k] = 0.5 * (prev + curr - own);
            }
            prev = curr;
            hi = lo;
        }
        let (mut prev, mut curr) = (0.0, 0.0);
        let mut lo = 0;
        while lo < n {
            let mut hi = lo;
            while hi < n && r[by_risk[hi]] == r[by_risk[lo]] {
                let k = by_risk[hi];
                if is_control(k) {
                    curr += w[k];
                }
                hi += 1;
            }
            for &k in &by_risk[lo..hi] {
                let own = if is_control(k) { w[k] } else { 0.0 };
                ic0_case[k] = 0.5 * (prev + curr - own);
            }
            prev = curr;
            lo = hi;
        }
    }
    let mu_case: f64 = (0..n).filter(|&i| is_case(i)).map(|i| w[i]).sum();
    let mu_controls: f64 = (0..n).filter(|&i| is_control(i)).map(|i| w[i]).sum();
    let numerator: f64 = (0..n)
        .filter(|&i| is_case(i))
        .map(|i| w[i] * ic0_case[i])
        .sum();
    // In [0, 1] mathematically; clamp the last-bit rounding of a perfect ranking.
    let auc = (numerator / (mu_case * mu_controls)).clamp(0.0, 1.0);

    // Influence function of the AUC (getIC0AUC + KM censoring term).
    let n2 = nf * nf;
    let mu = mu_case * mu_controls / n2;
    let nu = auc * mu;
    let cif = CensIf::new(&t, &e);
    let last_le = t.partition_point(|&x| x <= horizon);
    let firsthit = last_le.checked_sub(1);
    let fh = firsthit.unwrap_or(0);
    let mut if_auc = vec![0.0; n];
    for i in 0..n {
        let (num, den) = if is_case(i) {
            (w[i] / nf * ic0_case[i], w[i] / nf * mu_controls)
        } else if is_control(i) {
            (w[i] / nf * ic0_control[i], w[i] / nf * mu_case)
        } else {
            (0.0, 0.0)
        };
        if_auc[i] = (num * mu - den * nu) / (mu * mu);
    }
    {
        let mut t2num1 = 0.0;
        let mut t2den1 = 0.0;
        let mut t2num2 = nu * n2;
        let mut t2den2 = mu_case;
        let sum_part_num: f64 = ic0_control[fh + 1..].iter().sum::<f64>() / g_h;
        let t3num2 = nu * n2 - sum_part_num;
        let sum_part_den = (n - (fh + 1)) as f64 / g_h;
        let t3den2 = mu_controls - sum_part_den;
        let mut k = 0;
        while k < n && t[k] == t[0] {
            if is_case(k) {
                t2num2 -= ic0_case[k] * w[k];
                t2den2 -= w[k];
            }
            k += 1;
        }
        let mut upper_tie = k - 1;
        for i in 0..n {
            let f = cif.fihat(i, Some(fh), &t, &e);
            let t2num = (t2num1 + f * t2num2) / n2;
            let t2den = (t2den1 + f * t2den2) / n2 * mu_controls;
            let t3num = (f * t3num2 + f * sum_part_num) / n2;
            let t3den = (f * t3den2 + f * sum_part_den) / n2 * mu_case;
            if upper_tie == i {
                let mut k = i + 1;
                while k < n && t[k] == t[i + 1] {
                    if is_case(k) {
                        let m = cif.mc_term2[cif.sindex[i]];
                        t2num1 -= ic0_case[k] * m * w[k];
                        t2den1 -= m * w[k];
                        t2num2 -= ic0_case[k] * w[k];
                        t2den2 -= w[k];
                    }
                    k += 1;
                }
                upper_tie = k.saturating_sub(1);
            }
            let ifnum = t2num + t3num;
            let ifden = t2den + t3den;
            if_auc[i] += (ifnum * mu - ifden * nu) / (mu * mu);
        }
    }
    let auc_se = sd(&if_auc) / nf.sqrt();

    let (brier, brier_se) = brier_sorted(&r, &t, &e, &w, horizon, &cif, firsthit);
    let observed_risk = 1.0 - km.survival_at(horizon);
    let null = vec![observed_risk; n];
    let (brier_null, _) = brier_sorted(&null, &t, &e, &w, horizon, &cif, firsthit);
    let mean_risk = risk.iter().sum::<f64>() / nf;
    Ok(CensoredMetrics {
        n,
        events_before_horizon,
        censored_before_horizon,
        horizon,
        auc,
        auc_se,
        brier,
        brier_se,
        brier_null,
        scaled_brier: 1.0 - brier / brier_null,
        observed_risk,
        oe_ratio: observed_risk / mean_risk,
        calibration: calibration_at(risk, time, event, horizon),
    })
}

#[cfg(test)]
mod ipcw_tests {
    use super::*;

    /// Times 1 (censored), 2 (event), 3 (censored), 5 (event), 8: G = 1 before 1, 4/5 from
    /// 1, (4/5)(2/3) = 8/15 from 3. Horizon 4: the event at 2 weighs 1/G(2-) = 5/4, the
    /// subjects beyond 4 weigh 1/G(4) = 15/8, the censored ones 0.
    #[test]
    fn ipcw_weights_by_hand_and_bad_input() {
        let t = [1.0, 2.0, 3.0, 5.0, 8.0];
        let e = [false, true, false, true, false];
        let w = ipcw_weights(&t, &e, 4.0).expect("weights");
        let want = [0.0, 1.25, 0.0, 15.0 / 8.0, 15.0 / 8.0];
        for (a, b) in w.iter().zip(want) {
            assert!((a - b).abs() < 1e-15, "{w:?}");
        }
        assert!(matches!(
            ipcw_weights(&t, &e[..4], 4.0),
            Err(MetricsError::LengthMismatch { .. })
        ));
        assert!(matches!(
            ipcw_weights(&[], &[], 4.0),
            Err(MetricsError::Empty)
        ));
        assert!(matches!(
            ipcw_weights(&t, &e, 0.0),
            Err(MetricsError::InvalidOption { .. })
        ));
        assert!(matches!(
            ipcw_weights(&[1.0, f64::NAN], &[true, false], 4.0),
            Err(MetricsError::TimeInvalid { index: 1, .. })
        ));
    }
}
