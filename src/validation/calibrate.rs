//! Overfitting-corrected calibration of a Cox model at a horizon, as `rms::calibrate.cph`
//! (method "boot", `what = "observed-predicted"`).
//!
//! Each bootstrap refit predicts the survival by `H` from its own baseline, on its resample
//! (training) and on all rows (test); the *distance* of a prediction set is "observed minus
//! predicted" at fixed places, and the optimism of a place is the mean of training - test
//! distances over the refits that could measure it; the corrected observed value is the
//! apparent one minus the optimism. Two kinds of places:
//!
//! - **groups** (`cmethod = "KM"`): the cuts are the type-7 quantiles of `c(0, 1, S)` (the
//!   apparent predicted survival `S`) at `g + 1` equally spaced probabilities,
//!   `g = max(1, floor(n / m))`; a group is `[cut_j, cut_j+1)` (the last one closed, as
//!   `Hmisc::cut2`), its observed value the Kaplan-Meier survival at `H` (`groupkm`: missing
//!   when the group has fewer than 2 rows or its follow-up ends before `H` with survival above
//!   0), its predicted value the mean predicted survival;
//! - **a smooth curve** at fixed predicted risks: the observed risk from the smoother of
//!   Austin, Harrell & van Klaveren (2020), a Cox model of the outcome on
//!   `rcs(cloglog(risk), 3)` (rms uses `polspline::hare` here; the smoother is the one behind
//!   ICI, E50 and E90, so the apparent curve is the one the validation already reports).
//!
//! A prediction set with fewer than 5 events measures nothing (rms `distance`).
//! Values are reported as risks (`1 - survival`).

use serde::Serialize;

use crate::survival::cox::{CoxFit, CoxInput, CoxOptions};
use crate::survival::km::KaplanMeier;

/// rms' default average group size `m` of `calibrate.cph(cmethod = "KM")`.
pub const DEFAULT_GROUP_SIZE: usize = 150;
/// Smallest group size a user may ask for.
pub const MIN_GROUP_SIZE: usize = 10;
/// Number of places of the smooth curve.
pub const CURVE_POINTS: usize = 50;

/// Check a `--calibrate-m` average group size.
///
/// # Errors
/// [`crate::error::Error::Usage`] below [`MIN_GROUP_SIZE`] or above the count bound.
pub fn check_group_size(m: usize) -> crate::error::Result<()> {
    crate::limits::check_count("--calibrate-m", m, crate::limits::MAX_GROUP_SIZE, false)?;
    if m < MIN_GROUP_SIZE {
        return Err(crate::error::Error::Usage(format!(
            "--calibrate-m {m}: the average group size must be at least {MIN_GROUP_SIZE}"
        )));
    }
    Ok(())
}

/// Cut points on the predicted survival: type-7 quantiles of `c(0, 1, survival)` at
/// `g + 1` equally spaced probabilities, `g = max(1, floor(n / m))`; repeated cuts are
/// kept once (R's `cut` would refuse them).
pub fn survival_cuts(survival: &[f64], m: usize) -> Vec<f64> {
    let g = (survival.len() / m.max(1)).max(1);
    let mut all: Vec<f64> = Vec::with_capacity(survival.len() + 2);
    all.extend([0.0, 1.0]);
    all.extend(survival.iter().copied().filter(|v| !v.is_nan()));
    all.sort_by(f64::total_cmp);
    let mut cuts: Vec<f64> = (0..=g)
        .map(|j| crate::stats::quantile_sorted(&all, j as f64 / g as f64))
        .collect();
    cuts.dedup();
    cuts
}

/// The group of `s` among `cuts` (`[c_j, c_j+1)`, the last closed); `None` outside.
fn group_of(cuts: &[f64], s: f64) -> Option<usize> {
    let groups = cuts.len().checked_sub(1)?;
    if groups == 0 || s.is_nan() || s < cuts[0] || s > cuts[groups] {
        return None;
    }
    Some((cuts.partition_point(|&c| c <= s) - 1).min(groups - 1))
}

/// One group of [`group_km`], on the survival scale.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KmGroup {
    /// Mean predicted survival by `H` (NaN for an empty group).
    pub predicted: f64,
    /// Rows in the group (0 when fewer than 2, as `groupkm`).
    pub n: usize,
    /// Events in the group (any time).
    pub events: usize,
    /// Kaplan-Meier survival at `H` (NaN: fewer than 2 rows, or follow-up ends before `H`).
    pub km: f64,
    /// Standard error of `log KM` (Greenwood), as `survfit`'s `std.err`.
    pub std_err: f64,
}

/// `Hmisc::groupkm` with given cuts: per group of predicted survival `survival`, its mean
/// and the Kaplan-Meier survival at `horizon`.
pub fn group_km(
    survival: &[f64],
    time: &[f64],
    event: &[bool],
    cuts: &[f64],
    horizon: f64,
) -> Vec<KmGroup> {
    let groups = cuts.len().saturating_sub(1);
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); groups];
    for (i, &s) in survival.iter().enumerate() {
        let s = if s.abs() < 1e-10 { 0.0 } else { s };
        if let Some(g) = group_of(cuts, s) {
            members[g].push(i);
        }
    }
    members
        .iter()
        .map(|rows| {
            let mean = if rows.is_empty() {
                f64::NAN
            } else {
                rows.iter().map(|&i| survival[i]).sum::<f64>() / rows.len() as f64
            };
            let empty = KmGroup {
                predicted: mean,
                n: 0,
                events: 0,
                km: f64::NAN,
                std_err: f64::NAN,
            };
            if rows.len() < 2 {
                return empty;
            }
            let t: Vec<f64> = rows.iter().map(|&i| time[i]).collect();
            let e: Vec<bool> = rows.iter().map(|&i| event[i]).collect();
            let Ok(km) = KaplanMeier::fit(&t, &e) else {
                return empty;
            };
            let upto = horizon + 1e-6;
            let k = km.times.partition_point(|&x| x <= upto);
            let (s, gw) = if k == 0 {
                (1.0, 0.0)
            } else {
                (km.survival[k - 1], km.greenwood[k - 1])
            };
            let last = km.times.len() - 1;
            let ended = horizon > km.times[last] + 1e-6 && km.survival[last] > 0.0;
            KmGroup {
                predicted: mean,
                n: rows.len(),
                events: e.iter().filter(|&&v| v).count(),
                km: if ended { f64::NAN } else { s },
                std_err: if ended { f64::NAN } else { gw.sqrt() },
            }
        })
        .collect()
}

/// The calibration smoother at a horizon: a Cox model of the outcome on
/// `rcs(cloglog(risk), 3)` (knots at the rms default quantiles of the cloglog risks).
pub struct Smoother {
    knots: Vec<f64>,
    scale: f64,
    coef: Vec<f64>,
    centre: f64,
    cumhaz: f64,
}

impl Smoother {
    /// Fit the smoother; `None` when the risks have too few distinct values for the spline,
    /// a risk is 0 or 1, or the Cox model cannot be fitted.
    pub fn fit(risk: &[f64], time: &[f64], event: &[bool], horizon: f64) -> Option<Smoother> {
        let cll: Vec<f64> = risk.iter().map(|&r| cloglog(r)).collect();
        if cll.iter().any(|v| !v.is_finite()) {
            return None;
        }
        let knots = crate::design::rcs::knots(&cll, 3).ok()?;
        if knots.len() < 3 {
            return None;
        }
        let scale = crate::design::rcs::norm2_scale(&knots);
        let p = knots.len() - 1;
        let mut x = vec![0.0; cll.len() * p];
        for (row, &v) in x.chunks_exact_mut(p).zip(&cll) {
            crate::design::rcs::basis_into(v, &knots, scale, row);
        }
        let input = CoxInput {
            time,
            event,
            x: &x,
            p,
            weights: None,
            strata: None,
        };
        let fit = CoxFit::fit_input(&input, &CoxOptions::default()).ok()?;
        let centre = fit.means.iter().zip(&fit.coef).map(|(m, b)| m * b).sum();
        let cumhaz = fit.baseline.first()?.at(horizon);
        Some(Smoother {
            knots,
            scale,
            coef: fit.coef,
            centre,
            cumhaz,
        })
    }

    /// The observed risk by the horizon of a prediction `risk` (NaN for a risk of 0 or 1).
    pub fn observed(&self, risk: f64) -> f64 {
        let v = cloglog(risk);
        if !v.is_finite() {
            return f64::NAN;
        }
        // the basis of 3 knots has 2 columns (a few more at most): no allocation per call
        let mut buf = [0.0; 8];
        let mut heap = Vec::new();
        let b: &mut [f64] = if self.coef.len() <= buf.len() {
            &mut buf[..self.coef.len()]
        } else {
            heap.resize(self.coef.len(), 0.0);
            &mut heap
        };
        crate::design::rcs::basis_into(v, &self.knots, self.scale, b);
        let lp: f64 = b.iter().zip(&self.coef).map(|(x, c)| x * c).sum::<f64>() - self.centre;
        crate::model::family::survival_risk(self.cumhaz, lp)
    }
}

/// `log(-log(1 - r))`.
fn cloglog(r: f64) -> f64 {
    (-(-r).ln_1p()).ln()
}

/// The places of a smooth calibration curve: [`CURVE_POINTS`] quantiles (type 7, at
/// `(q + 0.5) / CURVE_POINTS`) of the predicted risks, repeats kept once.
pub fn curve_grid(risk: &[f64]) -> Vec<f64> {
    let mut sorted: Vec<f64> = risk.iter().copied().filter(|v| !v.is_nan()).collect();
    if sorted.is_empty() {
        return Vec::new();
    }
    sorted.sort_by(f64::total_cmp);
    let mut grid: Vec<f64> = (0..CURVE_POINTS)
        .map(|q| crate::stats::quantile_sorted(&sorted, (q as f64 + 0.5) / CURVE_POINTS as f64))
        .collect();
    grid.dedup();
    grid
}

/// The fixed places a prediction set is measured at: the group cuts on the survival scale
/// and the risks of the smooth curve.
#[derive(Debug, Clone)]
pub struct Places {
    /// Cut points of the groups (predicted survival).
    pub cuts: Vec<f64>,
    /// Predicted risks of the smooth curve.
    pub grid: Vec<f64>,
    /// Horizon.
    pub horizon: f64,
}

impl Places {
    /// The places of the apparent predicted risks `risk`: cuts for groups of about `m`
    /// rows, and [`CURVE_POINTS`] quantiles of the risks for the curve.
    pub fn of(risk: &[f64], m: usize, horizon: f64) -> Places {
        let survival: Vec<f64> = risk.iter().map(|r| 1.0 - r).collect();
        let grid = curve_grid(risk);
        Places {
            cuts: survival_cuts(&survival, m),
            grid,
            horizon,
        }
    }

    /// The groups of a prediction set (`risk` by the horizon with its outcomes).
    pub fn groups_of(&self, risk: &[f64], time: &[f64], event: &[bool]) -> Vec<KmGroup> {
        let survival: Vec<f64> = risk.iter().map(|r| 1.0 - r).collect();
        group_km(&survival, time, event, &self.cuts, self.horizon)
    }

    /// Number of groups.
    pub fn groups(&self) -> usize {
        self.cuts.len().saturating_sub(1)
    }

    /// Names of the distances, in [`Places::distances`] order.
    pub fn names(&self) -> Vec<String> {
        (1..=self.groups())
            .map(|g| format!("calibrate_group_{g}"))
            .chain((1..=self.grid.len()).map(|k| format!("calibrate_curve_{k}")))
            .collect()
    }

    /// The distances of a prediction set (`risk` by the horizon with its outcomes): per
    /// group `KM - mean predicted survival`, then per curve place `observed - predicted`
    /// risk; all NaN with fewer than 5 events.
    pub fn distances(&self, risk: &[f64], time: &[f64], event: &[bool]) -> Vec<f64> {
        let k = self.groups() + self.grid.len();
        if event.iter().filter(|&&e| e).count() < 5 {
            return vec![f64::NAN; k];
        }
        let mut out: Vec<f64> = self
            .groups_of(risk, time, event)
            .iter()
            .map(|g| g.km - g.predicted)
            .collect();
        match Smoother::fit(risk, time, event, self.horizon) {
            Some(s) => out.extend(self.grid.iter().map(|&p| s.observed(p) - p)),
            None => out.extend(std::iter::repeat_n(f64::NAN, self.grid.len())),
        }
        out
    }
}

/// One group of the corrected calibration, as risks by the horizon.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CalibrateGroup {
    /// Mean predicted risk.
    pub predicted: f64,
    /// Observed risk (1 - Kaplan-Meier); null when the group cannot be measured.
    pub observed: f64,
    /// Observed risk corrected for optimism.
    pub observed_corrected: f64,
    /// Optimism on the risk scale (corrected = observed - optimism).
    pub optimism: f64,
    /// Standard error of log Kaplan-Meier (Greenwood).
    pub std_err: f64,
    /// Rows.
    pub n: usize,
    /// Events (any time).
    pub events: usize,
    /// Bootstrap replicates that measured the group.
    pub replicates: usize,
}

/// One place of the corrected smooth calibration curve.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CalibratePoint {
    /// Predicted risk.
    pub predicted: f64,
    /// Apparent observed risk (the smoother on the model's own predictions).
    pub observed: f64,
    /// Observed risk corrected for optimism.
    pub observed_corrected: f64,
    /// Bootstrap replicates that measured the place.
    pub replicates: usize,
}

/// The overfitting-corrected calibration at a horizon (`metrics.json` `calibrate`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calibrate {
    /// Horizon.
    pub horizon: f64,
    /// Average group size `m`.
    pub group_size: usize,
    /// Grouped Kaplan-Meier calibration (rms `cmethod = "KM"`), by increasing predicted
    /// risk (calibrate.cph lists them by increasing predicted survival).
    pub groups: Vec<CalibrateGroup>,
    /// Smooth calibration curve.
    pub curve: Vec<CalibratePoint>,
    /// Mean absolute corrected calibration error over the curve's places.
    pub mean_abs_error_corrected: f64,
}

impl Calibrate {
    /// Assemble from the places, the apparent groups and the per-place apparent distances,
    /// optimism and replicate counts (in [`Places::names`] order).
    pub fn assemble(
        places: &Places,
        m: usize,
        apparent_groups: &[KmGroup],
        apparent: &[f64],
        optimism: &[f64],
        measured: &[usize],
    ) -> Calibrate {
        let ng = places.groups();
        // by increasing predicted risk (the cuts are on the survival scale)
        let groups = apparent_groups
            .iter()
            .enumerate()
            .rev()
            .map(|(j, g)| CalibrateGroup {
                predicted: 1.0 - g.predicted,
                observed: 1.0 - g.km,
                observed_corrected: 1.0 - (g.km - optimism[j]),
                optimism: -optimism[j],
                std_err: g.std_err,
                n: g.n,
                events: g.events,
                replicates: measured[j],
            })
            .collect();
        let curve: Vec<CalibratePoint> = places
            .grid
            .iter()
            .enumerate()
            .map(|(k, &p)| CalibratePoint {
                predicted: p,
                observed: p + apparent[ng + k],
                observed_corrected: p + apparent[ng + k] - optimism[ng + k],
                replicates: measured[ng + k],
            })
            .collect();
        let errs: Vec<f64> = curve
            .iter()
            .map(|c| (c.observed_corrected - c.predicted).abs())
            .filter(|v| v.is_finite())
            .collect();
        Calibrate {
            horizon: places.horizon,
            group_size: m,
            groups,
            curve,
            mean_abs_error_corrected: if errs.is_empty() {
                f64::NAN
            } else {
                errs.iter().sum::<f64>() / errs.len() as f64
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_span_zero_to_one_and_groups_are_half_open() {
        let s: Vec<f64> = (1..=300).map(|i| i as f64 / 301.0).collect();
        let cuts = survival_cuts(&s, 150);
        assert_eq!(cuts.len(), 3);
        assert_eq!(cuts[0], 0.0);
        assert_eq!(cuts[2], 1.0);
        assert_eq!(group_of(&cuts, cuts[1]), Some(1));
        assert_eq!(group_of(&cuts, 1.0), Some(1));
        assert_eq!(group_of(&cuts, 0.0), Some(0));
        assert_eq!(group_of(&cuts, 1.5), None);
    }

    #[test]
    fn group_km_marks_short_follow_up_and_tiny_groups() {
        let cuts = vec![0.0, 0.5, 1.0];
        // group 0: one row; group 1: follow-up ends at 3 < horizon 5 with survival > 0
        let survival = [0.2, 0.7, 0.8, 0.9];
        let time = [1.0, 1.0, 2.0, 3.0];
        let event = [true, true, false, false];
        let g = group_km(&survival, &time, &event, &cuts, 5.0);
        assert_eq!(g[0].n, 0);
        assert!(g[0].km.is_nan());
        assert_eq!(g[0].predicted, 0.2);
        assert!(g[1].km.is_nan());
        let g = group_km(&survival, &time, &event, &cuts, 2.5);
        assert!((g[1].km - 2.0 / 3.0).abs() < 1e-15);
        assert!((g[1].predicted - 0.8).abs() < 1e-15);
    }
}
