//! Discrimination: ROC curve, AUC (C statistic) with ties counted 1/2, DeLong standard error
//! and confidence interval, Somers' Dxy.
//!
//! One kernel feeds everything (the scikit-learn `_binary_clf_curve` idea): the observations
//! are sorted once by predicted probability and collapsed into tie groups, each carrying its
//! event and non-event counts. ROC points are the cumulative counts over the groups; the AUC
//! and the DeLong placement values are per-group quantities, so after the sort everything costs
//! O(number of distinct predictions).
//!
//! Direction is fixed: a higher prediction means a higher risk of the event (pROC
//! `direction = "<"`). An AUC below 0.5 is reported as such, never flipped.

use serde::Serialize;

use super::error::MetricsError;
use super::input::{check_level, check_pairs};

/// Observations sharing one predicted probability.
#[derive(Debug, Clone, Copy, PartialEq)]
struct TieGroup {
    /// The shared predicted probability.
    score: f64,
    /// Events (y = 1) in the group.
    events: usize,
    /// Non-events (y = 0) in the group.
    non_events: usize,
}

/// The sorted kernel: tie groups in decreasing order of prediction plus the class totals.
#[derive(Debug, Clone)]
struct RankTable {
    groups: Vec<TieGroup>,
    events: usize,
    non_events: usize,
}

impl RankTable {
    /// Sort once (decreasing score) and collapse ties. Inputs must be checked already.
    fn new(scores: &[f64], y: &[f64]) -> RankTable {
        // decreasing score (the order within a tie group does not matter: it is counted)
        let order = crate::stats::order(scores);
        let mut groups: Vec<TieGroup> = Vec::new();
        for i in order.into_iter().rev() {
            let event = y[i] == 1.0;
            match groups.last_mut() {
                Some(g) if g.score == scores[i] => {
                    if event {
                        g.events += 1;
                    } else {
                        g.non_events += 1;
                    }
                }
                _ => groups.push(TieGroup {
                    score: scores[i],
                    events: usize::from(event),
                    non_events: usize::from(!event),
                }),
            }
        }
        let events = groups.iter().map(|g| g.events).sum();
        let non_events = groups.iter().map(|g| g.non_events).sum();
        RankTable {
            groups,
            events,
            non_events,
        }
    }

    /// Per-group DeLong placements, in group order: (placement of each event in the group
    /// among non-events, placement of each non-event among events). Ties count 1/2.
    fn placements(&self) -> Vec<(f64, f64)> {
        let m = self.events as f64;
        let n = self.non_events as f64;
        let mut events_above = 0usize;
        let mut non_events_above = 0usize;
        let mut out = Vec::with_capacity(self.groups.len());
        for g in &self.groups {
            let non_events_below = self.non_events - non_events_above - g.non_events;
            let v10 = (non_events_below as f64 + 0.5 * g.non_events as f64) / n;
            let v01 = (events_above as f64 + 0.5 * g.events as f64) / m;
            out.push((v10, v01));
            events_above += g.events;
            non_events_above += g.non_events;
        }
        out
    }

    /// Probability that a random event has a higher prediction than a random non-event, ties
    /// counted 1/2 (Mann-Whitney). Summed in half-integer counts, so exact up to one division.
    fn auc(&self) -> f64 {
        let mut non_events_above = 0usize;
        let mut wins = 0.0;
        for g in &self.groups {
            let below = self.non_events - non_events_above - g.non_events;
            wins += g.events as f64 * (below as f64 + 0.5 * g.non_events as f64);
            non_events_above += g.non_events;
        }
        wins / (self.events as f64 * self.non_events as f64)
    }

    /// DeLong variance of the AUC (sample variances with n - 1, as `pROC::var(method =
    /// "delong")`). NaN with fewer than two events or two non-events.
    fn delong_variance(&self, auc: f64) -> f64 {
        if self.events < 2 || self.non_events < 2 {
            return f64::NAN;
        }
        let mut sx = 0.0;
        let mut sy = 0.0;
        for (g, (v10, v01)) in self.groups.iter().zip(self.placements()) {
            sx += g.events as f64 * (v10 - auc) * (v10 - auc);
            sy += g.non_events as f64 * (v01 - auc) * (v01 - auc);
        }
        let m = self.events as f64;
        let n = self.non_events as f64;
        sx / (m - 1.0) / m + sy / (n - 1.0) / n
    }

    /// ROC points from the highest threshold down, starting at (0, 0).
    fn roc_points(&self) -> Vec<RocPoint> {
        let m = self.events as f64;
        let n = self.non_events as f64;
        let mut out = Vec::with_capacity(self.groups.len() + 1);
        out.push(RocPoint {
            threshold: f64::INFINITY,
            fpr: 0.0,
            tpr: 0.0,
        });
        let (mut tp, mut fp) = (0usize, 0usize);
        for g in &self.groups {
            tp += g.events;
            fp += g.non_events;
            out.push(RocPoint {
                threshold: g.score,
                fpr: fp as f64 / n,
                tpr: tp as f64 / m,
            });
        }
        out
    }
}

/// Check the pairs and require both classes: the precondition of every ranking metric.
fn checked_table(p: &[f64], y: &[f64]) -> Result<RankTable, MetricsError> {
    check_pairs(p, y)?.require_both_classes()?;
    Ok(RankTable::new(p, y))
}

/// One point of the ROC curve: calling "event" every prediction `>= threshold` gives this
/// false-positive rate (1 - specificity) and true-positive rate (sensitivity), both in [0, 1].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RocPoint {
    /// Decision threshold on the predicted probability; `+inf` for the (0, 0) start point.
    pub threshold: f64,
    /// False-positive rate: non-events at or above the threshold / all non-events.
    pub fpr: f64,
    /// True-positive rate: events at or above the threshold / all events.
    pub tpr: f64,
}

/// The empirical ROC curve, one point per distinct prediction plus the (0, 0) start, in order
/// of decreasing threshold (so `fpr` and `tpr` are non-decreasing and the last point is (1, 1)).
///
/// The area under these points by the trapezoid rule equals [`auc`].
///
/// # Errors
/// Malformed pairs (see [`MetricsError`]) or a single outcome class.
pub fn roc_curve(p: &[f64], y: &[f64]) -> Result<Vec<RocPoint>, MetricsError> {
    Ok(checked_table(p, y)?.roc_points())
}

/// AUC = C statistic: P(prediction of an event > prediction of a non-event) + 1/2 P(tie).
/// Unitless, in [0, 1]; 0.5 is no discrimination. Equals `pROC::auc(roc(y, p, direction = "<"))`
/// and `Hmisc::somers2(p, y)["C"]`.
///
/// # Errors
/// Malformed pairs or a single outcome class.
pub fn auc(p: &[f64], y: &[f64]) -> Result<f64, MetricsError> {
    Ok(checked_table(p, y)?.auc())
}

/// Somers' Dxy rank correlation between prediction and outcome: 2 (C - 0.5), in [-1, 1].
///
/// # Errors
/// Malformed pairs or a single outcome class.
pub fn somers_dxy(p: &[f64], y: &[f64]) -> Result<f64, MetricsError> {
    Ok(2.0 * (auc(p, y)? - 0.5))
}

/// AUC with its DeLong standard error and confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AucInference {
    /// The AUC (C statistic).
    pub auc: f64,
    /// DeLong variance of the AUC; NaN with fewer than two events or two non-events.
    pub variance: f64,
    /// Standard error, `sqrt(variance)`.
    pub se: f64,
    /// Lower confidence limit, `auc + qnorm((1 - level) / 2) * se`, clipped at 0.
    pub ci_low: f64,
    /// Upper confidence limit, clipped at 1.
    pub ci_high: f64,
    /// Confidence level used, e.g. 0.95.
    pub level: f64,
}

/// AUC with DeLong (1988) standard error and normal-theory CI, as
/// `pROC::ci.auc(roc(y, p, direction = "<"), method = "delong")`; the variance equals
/// `var(roc, method = "delong")`. Structural-components placements with ties counted 1/2.
///
/// # Errors
/// Malformed pairs, a single outcome class, or `level` not in (0, 1).
pub fn auc_delong(p: &[f64], y: &[f64], level: f64) -> Result<AucInference, MetricsError> {
    check_level(level)?;
    let table = checked_table(p, y)?;
    Ok(delong_from_table(&table, level))
}

fn delong_from_table(table: &RankTable, level: f64) -> AucInference {
    let auc = table.auc();
    let variance = table.delong_variance(auc);
    let se = variance.sqrt();
    let z = standard_normal_quantile(0.5 + level / 2.0);
    AucInference {
        auc,
        variance,
        se,
        ci_low: (auc - z * se).max(0.0),
        ci_high: (auc + z * se).min(1.0),
        level,
    }
}

/// Upper quantile of N(0, 1); `q` in (0, 1).
pub(crate) fn standard_normal_quantile(q: f64) -> f64 {
    crate::stats::normal_quantile(q)
}

/// AUC + DeLong inference from already-checked pairs (both classes present).
pub(crate) fn delong_checked(p: &[f64], y: &[f64], level: f64) -> AucInference {
    delong_from_table(&RankTable::new(p, y), level)
}

/// The AUC alone of pairs already checked (both classes present).
pub(crate) fn auc_checked(p: &[f64], y: &[f64]) -> f64 {
    RankTable::new(p, y).auc()
}

/// The C index exactly as `rms::lrm.fit` (rms <= 6.5, Fortran `lrmfit`) reports it, and hence
/// as `rms::val.prob` reports "C (ROC)" and "Dxy": each prediction goes through
/// `plogis(qlogis(p))` (logit clamped to [-30, 30]) and is binned into `floor(5000 p + 1)`
/// before concordance is counted, so distinct predictions within 1/5000 of each other count
/// as ties. Predictions of exactly 0 or 1 are left out, as val.prob leaves them out.
///
/// Use [`auc`] for the exact statistic; this exists to reproduce val.prob to the last digit
/// (the two differ by up to ~1e-4 on continuous predictions).
///
/// # Errors
/// Malformed pairs, a single outcome class, or a single class among the predictions strictly
/// inside (0, 1).
pub fn concordance_rms_binned(p: &[f64], y: &[f64]) -> Result<f64, MetricsError> {
    let counts = check_pairs(p, y)?.require_both_classes()?;
    let (bins, ys): (Vec<f64>, Vec<f64>) = p
        .iter()
        .zip(y)
        .filter(|(&pi, _)| pi > 0.0 && pi < 1.0)
        .map(|(&pi, &yi)| (rms_bin(pi), yi))
        .unzip();
    let events = ys.iter().filter(|&&v| v == 1.0).count();
    if events == 0 || events == ys.len() {
        return Err(MetricsError::DegenerateAfterExclusion {
            n: counts.n,
            excluded: counts.n - ys.len(),
            remaining: ys.len(),
            events,
        });
    }
    Ok(RankTable::new(&bins, &ys).auc())
}

/// `INT(5000 * lprob(logit(p)) + 1)` of the rms Fortran, as a score.
fn rms_bin(p: f64) -> f64 {
    let logit = (p / (1.0 - p)).ln();
    let prob = 1.0 / (1.0 + (-logit.clamp(-30.0, 30.0)).exp());
    (5000.0 * prob + 1.0).trunc()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_auc_with_ties() {
        // Events at 0.8, 0.4; non-events at 0.4, 0.2, 0.1.
        // Pairs: (0.8 beats all 3) + (0.4 ties 0.4 -> 1/2, beats 0.2, 0.1) = 3 + 2.5 = 5.5 / 6.
        let p = [0.8, 0.4, 0.4, 0.2, 0.1];
        let y = [1.0, 1.0, 0.0, 0.0, 0.0];
        let a = auc(&p, &y).expect("auc");
        assert!((a - 5.5 / 6.0).abs() < 1e-15);
    }

    #[test]
    fn trapezoid_under_roc_points_equals_auc() {
        let p = [0.9, 0.8, 0.8, 0.7, 0.5, 0.5, 0.5, 0.3, 0.2, 0.2];
        let y = [1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0];
        let roc = roc_curve(&p, &y).expect("roc");
        let area: f64 = roc
            .windows(2)
            .map(|w| (w[1].fpr - w[0].fpr) * (w[1].tpr + w[0].tpr) / 2.0)
            .sum();
        assert!((area - auc(&p, &y).expect("auc")).abs() < 1e-15);
        let last = roc.last().expect("points");
        assert_eq!((last.fpr, last.tpr), (1.0, 1.0));
        assert_eq!(roc.len(), 6 + 1); // six distinct predictions plus (0, 0)
    }

    #[test]
    fn delong_undefined_with_one_event() {
        let p = [0.9, 0.2, 0.3];
        let y = [1.0, 0.0, 0.0];
        let d = auc_delong(&p, &y, 0.95).expect("delong");
        assert_eq!(d.auc, 1.0);
        assert!(d.variance.is_nan() && d.se.is_nan());
    }

    #[test]
    fn normal_quantile_matches_r_qnorm() {
        // qnorm(0.975) in R.
        assert!((standard_normal_quantile(0.975) - 1.959963984540054).abs() < 1e-14);
    }

    #[test]
    fn rms_binning_merges_close_predictions() {
        // 0.30001 and 0.30002 share the bin floor(5000 p + 1) = 1501: a tie for rms.
        let p = [0.30002, 0.30001, 0.1];
        let y = [0.0, 1.0, 0.0];
        assert!((auc(&p, &y).expect("auc") - 0.5).abs() < 1e-15);
        assert!((concordance_rms_binned(&p, &y).expect("c") - 0.75).abs() < 1e-15);
    }
}
