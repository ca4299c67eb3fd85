//! Decision curves: net benefit of continuing bone protection across threshold probabilities
//! (Vickers; computed as `dcurves::dca`: a patient is "treated" = continued when risk >= t).

use serde::Serialize;

use super::policy::net_benefit;

/// Thresholds 0.01, 0.02, ..., 0.99 (DESIGN.md section 5).
pub fn default_thresholds() -> Vec<f64> {
    (1..=99).map(|i| i as f64 / 100.0).collect()
}

/// Net benefit of "continue if risk >= t" at each threshold, in one sort.
pub fn model_net_benefit(risk: &[f64], event: &[bool], thresholds: &[f64]) -> Vec<f64> {
    let n = risk.len();
    let mut pairs: Vec<(f64, bool)> = risk.iter().copied().zip(event.iter().copied()).collect();
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0));
    // Walk thresholds from high to low, counting continued patients (risk >= t).
    let mut order: Vec<usize> = (0..thresholds.len()).collect();
    order.sort_by(|&a, &b| thresholds[b].total_cmp(&thresholds[a]));
    let mut out = vec![0.0; thresholds.len()];
    let (mut j, mut tp, mut fp) = (0usize, 0usize, 0usize);
    for &k in &order {
        let t = thresholds[k];
        while j < n && pairs[j].0 >= t {
            if pairs[j].1 {
                tp += 1;
            } else {
                fp += 1;
            }
            j += 1;
        }
        out[k] = net_benefit(tp, fp, n, t);
    }
    out
}

/// Net benefit of a fixed policy (continue = `!stop`) at each threshold.
pub fn policy_net_benefit(stop: &[bool], event: &[bool], thresholds: &[f64]) -> Vec<f64> {
    let n = stop.len();
    let tp = stop.iter().zip(event).filter(|(s, e)| !**s && **e).count();
    let fp = stop.iter().zip(event).filter(|(s, e)| !**s && !**e).count();
    thresholds
        .iter()
        .map(|&t| net_benefit(tp, fp, n, t))
        .collect()
}

/// One curve of a decision-curve plot, with its bootstrap percentile band when computed.
#[derive(Debug, Clone, Serialize)]
pub struct NetBenefitCurve {
    /// Model, rule, `continue all` or `stop all`.
    pub name: String,
    /// Net benefit at each threshold.
    pub net_benefit: Vec<f64>,
    /// Lower 95% bootstrap bound (empty when not computed).
    pub ci_low: Vec<f64>,
    /// Upper 95% bootstrap bound (empty when not computed).
    pub ci_high: Vec<f64>,
}

/// A decision curve: thresholds and one curve per strategy.
#[derive(Debug, Clone, Serialize)]
pub struct DecisionCurve {
    /// Threshold probabilities.
    pub thresholds: Vec<f64>,
    /// Curves in display order.
    pub curves: Vec<NetBenefitCurve>,
}

impl DecisionCurve {
    /// Long-format CSV: `threshold,strategy,net_benefit,ci_low,ci_high`.
    pub fn to_csv(&self) -> String {
        let mut s = String::from("threshold,strategy,net_benefit,ci_low,ci_high\n");
        for c in &self.curves {
            for (k, t) in self.thresholds.iter().enumerate() {
                let ci = |v: &Vec<f64>| v.get(k).map_or(String::new(), |x| format!("{x:.10}"));
                s.push_str(&format!(
                    "{t:.2},{},{:.10},{},{}\n",
                    crate::table::write::field(&c.name),
                    c.net_benefit[k],
                    ci(&c.ci_low),
                    ci(&c.ci_high)
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
    fn model_net_benefit_matches_the_formula_at_each_threshold() {
        let risk = [0.05, 0.2, 0.2, 0.4, 0.7, 0.9];
        let event = [false, false, true, false, true, true];
        let th = [0.1, 0.2, 0.5, 0.95];
        let nb = model_net_benefit(&risk, &event, &th);
        for (k, &t) in th.iter().enumerate() {
            let tp = (0..6).filter(|&i| risk[i] >= t && event[i]).count() as f64;
            let fp = (0..6).filter(|&i| risk[i] >= t && !event[i]).count() as f64;
            let want = tp / 6.0 - fp / 6.0 * t / (1.0 - t);
            assert!((nb[k] - want).abs() < 1e-15, "t={t}: {} vs {want}", nb[k]);
        }
    }
}
