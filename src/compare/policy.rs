//! A stopping policy's consequences, counted on patients with a known outcome.

use serde::Serialize;

/// What a stopping policy does to a cohort. "Positive" is an event (the patient needed to
/// continue bone protection); a policy "stops" or "continues" each patient.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PolicyMetrics {
    /// Patients with a known outcome.
    pub n: usize,
    /// Patients the policy stops.
    pub stopped: usize,
    /// Patients spared bone protection per 100 patients (100 * stopped / n).
    pub spared_per_100: f64,
    /// Bone events among the stopped patients (missed events).
    pub missed_events: usize,
    /// Missed events per 100 stopped patients; NaN when nobody is stopped.
    pub missed_per_100_stopped: f64,
    /// Sensitivity for "needs to continue": events the policy continues / all events.
    pub sensitivity: f64,
    /// Specificity: non-events the policy stops / all non-events.
    pub specificity: f64,
    /// Net benefit of continuing at the reference threshold t: TP/n - FP/n * t/(1-t).
    pub net_benefit: f64,
}

/// Count a policy. `stop[i]` true = stopped; `event[i]` true = bone event.
pub fn policy_metrics(stop: &[bool], event: &[bool], threshold: f64) -> PolicyMetrics {
    let n = stop.len();
    let mut stopped = 0;
    let mut missed = 0;
    let mut events = 0;
    for (&s, &e) in stop.iter().zip(event) {
        stopped += usize::from(s);
        missed += usize::from(s && e);
        events += usize::from(e);
    }
    let non_events = n - events;
    let tp = events - missed;
    let fp = (n - stopped) - tp;
    let nf = n as f64;
    PolicyMetrics {
        n,
        stopped,
        spared_per_100: 100.0 * stopped as f64 / nf,
        missed_events: missed,
        missed_per_100_stopped: 100.0 * missed as f64 / stopped as f64,
        sensitivity: tp as f64 / events as f64,
        specificity: (stopped - missed) as f64 / non_events as f64,
        net_benefit: net_benefit(tp, fp, n, threshold),
    }
}

/// Net benefit of the action "continue" (DESIGN.md section 5, as `dcurves::dca`).
pub fn net_benefit(tp: usize, fp: usize, n: usize, threshold: f64) -> f64 {
    let nf = n as f64;
    tp as f64 / nf - fp as f64 / nf * threshold / (1.0 - threshold)
}

/// Indices ordered by increasing risk (ties by index, so the order is reproducible).
pub fn order_by_risk(risk: &[f64]) -> Vec<usize> {
    crate::stats::order(risk)
}

/// The model policy that stops the `k` lowest-risk patients. Returns the stop flags and the
/// risk cut-off (the highest risk among the stopped; 0 when k = 0).
pub fn stop_lowest(order: &[usize], risk: &[f64], k: usize) -> (Vec<bool>, f64) {
    let mut stop = vec![false; order.len()];
    for &i in &order[..k] {
        stop[i] = true;
    }
    let cutoff = if k == 0 { 0.0 } else { risk[order[k - 1]] };
    (stop, cutoff)
}

/// The largest k such that stopping the k lowest-risk patients misses at most `max_rate`
/// events per stopped patient (0 when even the lowest-risk patient is an event and
/// `max_rate` is 0).
pub fn largest_k_within_missed_rate(order: &[usize], event: &[bool], max_rate: f64) -> usize {
    let mut missed = 0usize;
    let mut best = 0;
    for (j, &i) in order.iter().enumerate() {
        missed += usize::from(event[i]);
        let k = j + 1;
        // Compare in integers-as-floats with a tiny slack so equal rates count as "at most".
        if missed as f64 <= max_rate * k as f64 + 1e-9 {
            best = k;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_counted_policy() {
        // 6 patients, events at 1 and 4; the policy stops 0, 1, 2.
        let stop = [true, true, true, false, false, false];
        let event = [false, true, false, false, true, false];
        let m = policy_metrics(&stop, &event, 0.2);
        assert_eq!(m.stopped, 3);
        assert_eq!(m.missed_events, 1);
        assert!((m.spared_per_100 - 50.0).abs() < 1e-12);
        assert!((m.missed_per_100_stopped - 100.0 / 3.0).abs() < 1e-12);
        assert!((m.sensitivity - 0.5).abs() < 1e-12);
        assert!((m.specificity - 0.5).abs() < 1e-12);
        // continued: 3, 4, 5 -> TP 1, FP 2; NB = 1/6 - 2/6 * 0.25
        assert!((m.net_benefit - (1.0 / 6.0 - 2.0 / 6.0 * 0.25)).abs() < 1e-15);
    }

    #[test]
    fn missed_rate_matching_takes_the_largest_stop_set() {
        let risk = [0.1, 0.2, 0.3, 0.4, 0.5];
        let event = [false, false, true, false, true];
        let order = order_by_risk(&risk);
        assert_eq!(largest_k_within_missed_rate(&order, &event, 0.25), 4);
        assert_eq!(largest_k_within_missed_rate(&order, &event, 0.0), 2);
        let (stop, cut) = stop_lowest(&order, &risk, 2);
        assert_eq!(stop, [true, true, false, false, false]);
        assert_eq!(cut, 0.2);
    }
}
