//! Calibration: do predicted risks match observed event rates?
//!
//! Weak calibration (Van Calster et al. 2016, J Clin Epidemiol 74:167): calibration-in-the-large
//! ([`citl`]), the logistic recalibration intercept and slope ([`logistic_recalibration`], as
//! `rms::val.prob` "Intercept"/"Slope"), the O/E ratio. Moderate calibration: the LOWESS
//! calibration curve and its summaries Eavg / E50 / E90 / Emax ([`calibration_errors`], as
//! val.prob), the smoothed curve on a grid with a bootstrap band ([`calibration_curve`]), and
//! the grouped table with Wilson intervals ([`calibration_table`]). Spiegelhalter's z test.
//!
//! Predictions of exactly 0 or 1: their logit is infinite, so, as `rms::val.prob` does, they
//! are left out of the logistic fits ([`citl`], [`logistic_recalibration`]) and kept
//! everywhere else (O/E, LOWESS and the E statistics, Spiegelhalter, curve, table).

use rayon::prelude::*;
use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal};

use super::error::MetricsError;
use super::input::{check_level, check_pairs, require_varying, Counts};
use super::lowess::{lowess, lowess_unchecked, Lowess, DEFAULT_SPAN};
use super::ranking::standard_normal_quantile;
use crate::stats::quantile_sorted;

/// Newton steps allowed in the logistic fits before declaring non-convergence.
const MAX_NEWTON_STEPS: usize = 60;
/// Convergence: largest coefficient change below this (absolute, logit units).
const NEWTON_STEP_TOL: f64 = 1e-11;

use crate::stats::expit as plogis;

/// Logits and outcomes of the predictions strictly inside (0, 1), with the counts of the whole
/// sample; errors if what remains cannot support a logistic fit.
struct LogisticSubset {
    logit: Vec<f64>,
    y: Vec<f64>,
    excluded: usize,
}

fn logistic_subset(p: &[f64], y: &[f64], counts: Counts) -> Result<LogisticSubset, MetricsError> {
    let (logit, ys): (Vec<f64>, Vec<f64>) = p
        .iter()
        .zip(y)
        .filter(|(&pi, _)| pi > 0.0 && pi < 1.0)
        .map(|(&pi, &yi)| ((pi / (1.0 - pi)).ln(), yi))
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
    Ok(LogisticSubset {
        excluded: counts.n - ys.len(),
        logit,
        y: ys,
    })
}

/// Calibration-in-the-large: the intercept `a` of `logit P(y = 1) = a + logit(p)` (logit(p)
/// as an offset, slope fixed at 1), in logit units. 0 is ideal; positive means the model
/// under-predicts on average. Van Calster et al.; equals
/// `coef(glm(y ~ 1, offset = qlogis(p), family = binomial))`.
///
/// # Errors
/// Malformed pairs, a single outcome class (also after leaving out predictions of exactly 0 or
/// 1), or no convergence.
pub fn citl(p: &[f64], y: &[f64]) -> Result<f64, MetricsError> {
    let counts = check_pairs(p, y)?.require_both_classes()?;
    let sub = logistic_subset(p, y, counts)?;
    citl_fit(&sub.logit, &sub.y)
}

fn citl_fit(offset: &[f64], y: &[f64]) -> Result<f64, MetricsError> {
    let mut a = 0.0;
    for iteration in 1..=MAX_NEWTON_STEPS {
        let (mut score, mut info) = (0.0, 0.0);
        for (&o, &yi) in offset.iter().zip(y) {
            let mu = plogis(a + o);
            score += yi - mu;
            info += mu * (1.0 - mu);
        }
        if info <= 0.0 || !info.is_finite() {
            return Err(MetricsError::RecalibrationNotConverged {
                iterations: iteration,
            });
        }
        let step = score / info;
        a += step;
        if step.abs() < NEWTON_STEP_TOL {
            return Ok(a);
        }
    }
    Err(MetricsError::RecalibrationNotConverged {
        iterations: MAX_NEWTON_STEPS,
    })
}

/// Result of the logistic recalibration `logit P(y = 1) = intercept + slope * logit(p)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Recalibration {
    /// Calibration intercept `a` (logit units); 0 with slope 1 is ideal.
    pub intercept: f64,
    /// Calibration slope `b`; < 1 means predictions too extreme (overfitting), > 1 too modest.
    pub slope: f64,
    /// Standard error of the intercept (inverse information).
    pub intercept_se: f64,
    /// Standard error of the slope.
    pub slope_se: f64,
    /// -2 log-likelihood at the fitted (intercept, slope).
    pub deviance: f64,
    /// Newton steps taken.
    pub iterations: usize,
    /// Observations used (predictions strictly inside (0, 1)).
    pub n_used: usize,
    /// Predictions of exactly 0 or 1 left out.
    pub n_excluded: usize,
}

/// Logistic recalibration by maximum likelihood (Newton-Raphson with step-halving, iterated to
/// full convergence): the `Intercept` and `Slope`
/// of `rms::val.prob`, equal to `coef(glm(y ~ qlogis(p), family = binomial))`.
///
/// # Errors
/// Malformed pairs; a single outcome class (also after leaving out predictions of exactly 0 or
/// 1); constant predictions (the slope is undefined); no convergence (separation).
pub fn logistic_recalibration(p: &[f64], y: &[f64]) -> Result<Recalibration, MetricsError> {
    let counts = check_pairs(p, y)?.require_both_classes()?;
    let sub = logistic_subset(p, y, counts)?;
    require_varying(&sub.logit).map_err(|_| constant_error(p, sub.logit.len()))?;
    recalibration_fit(&sub.logit, &sub.y, sub.excluded)
}

fn constant_error(p: &[f64], n: usize) -> MetricsError {
    let value = p
        .iter()
        .copied()
        .find(|&v| v > 0.0 && v < 1.0)
        .unwrap_or(f64::NAN);
    MetricsError::ConstantPredictions { n, value }
}

/// Deviance (-2 log-likelihood), score and information of `logit P = a + b x`, in one pass
/// over the pairs (one `exp` and one `ln_1p` per pair).
struct Pass {
    deviance: f64,
    g0: f64,
    g1: f64,
    h00: f64,
    h01: f64,
    h11: f64,
}

fn pass(a: f64, b: f64, x: &[f64], y: &[f64]) -> Pass {
    let mut t = Pass {
        deviance: 0.0,
        g0: 0.0,
        g1: 0.0,
        h00: 0.0,
        h01: 0.0,
        h11: 0.0,
    };
    for (&xi, &yi) in x.iter().zip(y) {
        let eta = a + b * xi;
        let e = (-eta.abs()).exp();
        let log1pe = e.ln_1p();
        // softplus(-eta) for an event, softplus(eta) otherwise; mu = plogis(eta).
        let (mu, loss) = if eta >= 0.0 {
            (
                1.0 / (1.0 + e),
                if yi == 1.0 { log1pe } else { eta + log1pe },
            )
        } else {
            (e / (1.0 + e), if yi == 1.0 { log1pe - eta } else { log1pe })
        };
        let w = mu * (1.0 - mu);
        t.deviance += loss;
        t.g0 += yi - mu;
        t.g1 += (yi - mu) * xi;
        t.h00 += w;
        t.h01 += w * xi;
        t.h11 += w * xi * xi;
    }
    t.deviance *= 2.0;
    t
}

fn recalibration_fit(x: &[f64], y: &[f64], excluded: usize) -> Result<Recalibration, MetricsError> {
    let n = x.len() as f64;
    let ybar = y.iter().sum::<f64>() / n;
    // Newton-Raphson from the better (lower deviance) of the event-rate intercept with slope
    // 0 (rms::lrm.fit's start) and the identity (0, 1), where predictions from a model's own
    // data already are; either way the same maximum, to the convergence tolerance.
    let (mut a, mut b) = ((ybar / (1.0 - ybar)).ln(), 0.0);
    let mut cur = pass(a, b, x, y);
    let identity = pass(0.0, 1.0, x, y);
    if identity.deviance < cur.deviance {
        (a, b, cur) = (0.0, 1.0, identity);
    }
    for iteration in 1..=MAX_NEWTON_STEPS {
        let det = cur.h00 * cur.h11 - cur.h01 * cur.h01;
        if !(det > 1e-300 && det.is_finite()) {
            return Err(MetricsError::RecalibrationNotConverged {
                iterations: iteration,
            });
        }
        let da = (cur.h11 * cur.g0 - cur.h01 * cur.g1) / det;
        let db = (cur.h00 * cur.g1 - cur.h01 * cur.g0) / det;
        // Step-halving guards the rare overshoot; a full Newton step is taken otherwise.
        let mut scale = 1.0;
        let mut next = pass(a + da, b + db, x, y);
        while next.deviance > cur.deviance + 1e-9 * (1.0 + cur.deviance) && scale > 1e-6 {
            scale /= 2.0;
            next = pass(a + scale * da, b + scale * db, x, y);
        }
        a += scale * da;
        b += scale * db;
        cur = next;
        if (scale * da).abs().max((scale * db).abs()) < NEWTON_STEP_TOL {
            let det = cur.h00 * cur.h11 - cur.h01 * cur.h01;
            return Ok(Recalibration {
                intercept: a,
                slope: b,
                intercept_se: (cur.h11 / det).sqrt(),
                slope_se: (cur.h00 / det).sqrt(),
                deviance: cur.deviance,
                iterations: iteration,
                n_used: x.len(),
                n_excluded: excluded,
            });
        }
    }
    Err(MetricsError::RecalibrationNotConverged {
        iterations: MAX_NEWTON_STEPS,
    })
}

/// The logistic recalibration and the calibration-in-the-large of checked pairs, from one
/// computation of the logits: what [`logistic_recalibration`] and [`citl`] return.
pub(crate) fn recalibration_and_citl(
    p: &[f64],
    y: &[f64],
    counts: Counts,
) -> Result<(Recalibration, f64), MetricsError> {
    let sub = logistic_subset(p, y, counts)?;
    require_varying(&sub.logit).map_err(|_| constant_error(p, sub.logit.len()))?;
    let recal = recalibration_fit(&sub.logit, &sub.y, sub.excluded)?;
    Ok((recal, citl_fit(&sub.logit, &sub.y)?))
}

/// Observed / expected ratio: number of events divided by the sum of predicted risks.
/// 1 is ideal; > 1 means the model under-predicts. Infinite when every prediction is 0.
///
/// # Errors
/// Malformed pairs.
pub fn oe_ratio(p: &[f64], y: &[f64]) -> Result<f64, MetricsError> {
    check_pairs(p, y)?;
    Ok(y.iter().sum::<f64>() / p.iter().sum::<f64>())
}

/// Summaries of `|p - smoothed observed rate at p|` over the sample, in probability units,
/// where the smooth is `lowess(p, y, iter = 0)` with span 2/3 (Austin & Steyerberg 2019 ICI).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CalibrationErrors {
    /// Mean absolute difference (Eavg, also called ICI).
    pub eavg: f64,
    /// Median (E50).
    pub e50: f64,
    /// 90th percentile, R quantile type 7 (E90).
    pub e90: f64,
    /// Maximum (Emax).
    pub emax: f64,
}

/// Eavg / E50 / E90 / Emax as `rms::val.prob` computes them: LOWESS of y on p (span 2/3, one
/// pass, default delta), evaluated at each observed p, absolute difference from p.
///
/// # Errors
/// Malformed pairs.
pub fn calibration_errors(p: &[f64], y: &[f64]) -> Result<CalibrationErrors, MetricsError> {
    check_pairs(p, y)?;
    Ok(calibration_errors_unchecked(p, y))
}

pub(crate) fn calibration_errors_unchecked(p: &[f64], y: &[f64]) -> CalibrationErrors {
    errors_of_smooth(&lowess_unchecked(p, y, DEFAULT_SPAN, None))
}

/// Eavg, E50, E90, Emax of a LOWESS smooth of the pairs (its sorted x and fitted values):
/// [`calibration_errors_unchecked`] for a caller that has the smooth already.
pub(crate) fn errors_of_smooth(s: &Lowess) -> CalibrationErrors {
    errors_of(&s.x, &s.fitted)
}

fn errors_of(xs: &[f64], fitted: &[f64]) -> CalibrationErrors {
    // Tied p share one fitted value, so the value at each sorted position is exactly what
    // val.prob's approx(..., xout = p, ties = mean) returns for that observation.
    let mut err: Vec<f64> = xs.iter().zip(fitted).map(|(x, f)| (x - f).abs()).collect();
    let eavg = err.iter().sum::<f64>() / err.len() as f64;
    err.par_sort_unstable_by(f64::total_cmp);
    CalibrationErrors {
        eavg,
        e50: quantile_sorted(&err, 0.5),
        e90: quantile_sorted(&err, 0.9),
        emax: err[err.len() - 1],
    }
}

/// Spiegelhalter's (1986) z test that the predictions are the true probabilities.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Spiegelhalter {
    /// `sum((y - p)(1 - 2p)) / sqrt(sum((1 - 2p)^2 p (1 - p)))`; NaN if the denominator is 0
    /// (every prediction 0, 1/2 or 1).
    pub z: f64,
    /// Two-sided p-value `2 Phi(-|z|)`.
    pub p_value: f64,
}

/// Spiegelhalter's z and its two-sided p-value, as `rms::val.prob` "S:z" and "S:p". All
/// observations are used, including predictions of exactly 0 or 1.
///
/// # Errors
/// Malformed pairs.
pub fn spiegelhalter(p: &[f64], y: &[f64]) -> Result<Spiegelhalter, MetricsError> {
    check_pairs(p, y)?;
    Ok(spiegelhalter_unchecked(p, y))
}

pub(crate) fn spiegelhalter_unchecked(p: &[f64], y: &[f64]) -> Spiegelhalter {
    let (mut num, mut den) = (0.0, 0.0);
    for (&pi, &yi) in p.iter().zip(y) {
        num += (yi - pi) * (1.0 - 2.0 * pi);
        den += (1.0 - 2.0 * pi) * (1.0 - 2.0 * pi) * pi * (1.0 - pi);
    }
    let z = num / den.sqrt();
    let p_value = match Normal::new(0.0, 1.0) {
        Ok(normal) if z.is_finite() => 2.0 * normal.cdf(-z.abs()),
        _ => f64::NAN,
    };
    Spiegelhalter { z, p_value }
}

/// The LOWESS calibration smooth (span 2/3, one pass, R's default delta) of `y` on `p`,
/// evaluated at `at` by linear interpolation; `None` where `at` is outside the range of `p`.
/// This is the curve val.prob draws as "Nonparametric".
///
/// # Errors
/// Malformed pairs.
pub fn smoothed_calibration_at(
    p: &[f64],
    y: &[f64],
    at: &[f64],
) -> Result<Vec<Option<f64>>, MetricsError> {
    check_pairs(p, y)?;
    Ok(smooth(p, y)?.interpolate_many(at))
}

pub(crate) fn smooth(p: &[f64], y: &[f64]) -> Result<Lowess, MetricsError> {
    lowess(p, y, DEFAULT_SPAN, None)
}

/// Settings of [`calibration_curve`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CurveOptions {
    /// Number of equally spaced grid points from min(p) to max(p). Default 100; at least 2.
    pub grid_points: usize,
    /// Bootstrap resamples for the band; 0 gives no band (limits NaN). Default 200.
    pub bootstrap: usize,
    /// Seed of the resampling. Replicate `b` draws from `ChaCha8Rng::seed_from_u64(seed)` on
    /// stream `b`, so the band does not depend on the number of threads. Default 20260101.
    pub seed: u64,
    /// Confidence level of the percentile band, in (0, 1). Default 0.95.
    pub level: f64,
}

impl Default for CurveOptions {
    fn default() -> Self {
        CurveOptions {
            grid_points: 100,
            bootstrap: 200,
            seed: 20_260_101,
            level: 0.95,
        }
    }
}

/// One grid point of the smoothed calibration curve (the rows of `calibration.csv`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CurvePoint {
    /// Predicted probability (grid point).
    pub predicted: f64,
    /// Smoothed observed event rate at `predicted`.
    pub observed: f64,
    /// Lower limit of the bootstrap percentile band, within [0, 1]; NaN without a band or
    /// when fewer than two resamples cover this grid point.
    pub ci_low: f64,
    /// Upper limit of the band.
    pub ci_high: f64,
}

/// Smoothed calibration curve on a grid with a seeded bootstrap percentile band.
///
/// The curve is [`smoothed_calibration_at`] on `grid_points` equally spaced points from min(p)
/// to max(p). For the band, (p, y) pairs are resampled with replacement, the same LOWESS is
/// refitted, and each grid point takes the (1 - level)/2 and (1 + level)/2 quantiles (type 7)
/// of the resampled smooths that cover it (a resample whose range of p does not reach a grid
/// point contributes nothing there). Above [`super::band::EXACT_BAND_MAX`] pairs the
/// resamples are drawn and smoothed on bins of sorted predictions ([`super::band`]).
///
/// # Errors
/// Malformed pairs; `grid_points < 2`; `level` not in (0, 1).
pub fn calibration_curve(
    p: &[f64],
    y: &[f64],
    options: &CurveOptions,
) -> Result<Vec<CurvePoint>, MetricsError> {
    check_pairs(p, y)?;
    calibration_curve_from(p, y, &smooth(p, y)?, options)
}

/// [`calibration_curve`] with the LOWESS smooth of `(p, y)` already made (see
/// [`crate::metrics::evaluate_smoothed`]): one smooth of a large sample instead of two.
///
/// # Errors
/// As [`calibration_curve`].
pub fn calibration_curve_from(
    p: &[f64],
    y: &[f64],
    centre: &Lowess,
    options: &CurveOptions,
) -> Result<Vec<CurvePoint>, MetricsError> {
    check_pairs(p, y)?;
    check_level(options.level)?;
    if options.grid_points < 2 {
        return Err(MetricsError::InvalidOption {
            name: "grid_points",
            value: options.grid_points.to_string(),
            expected: "at least 2 grid points",
        });
    }
    let lo = p.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = p.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let step = (hi - lo) / (options.grid_points - 1) as f64;
    let grid: Vec<f64> = (0..options.grid_points)
        .map(|k| {
            if k + 1 == options.grid_points {
                hi
            } else {
                lo + k as f64 * step
            }
        })
        .collect();
    let centre = centre.interpolate_many(&grid);
    let replicates: Vec<Vec<Option<f64>>> = if p.len() > super::band::EXACT_BAND_MAX {
        // large samples: the bootstrap on bins of sorted predictions (super::band)
        let bins = super::band::Bins::of(p, y);
        (0..options.bootstrap)
            .into_par_iter()
            .map(|b| bins.replicate(&grid, DEFAULT_SPAN, options.seed, b as u64))
            .collect()
    } else {
        (0..options.bootstrap)
            .into_par_iter()
            .map(|b| bootstrap_smooth(p, y, &grid, options.seed, b as u64))
            .collect::<Result<_, _>>()?
    };
    let tail = (1.0 - options.level) / 2.0;
    Ok(grid
        .iter()
        .enumerate()
        .map(|(k, &g)| {
            let mut values: Vec<f64> = replicates.iter().filter_map(|r| r[k]).collect();
            values.sort_by(f64::total_cmp);
            // limits of a probability: a smooth of 0/1 outcomes can stray past [0, 1]
            let (ci_low, ci_high) = if values.len() >= 2 {
                (
                    quantile_sorted(&values, tail).clamp(0.0, 1.0),
                    quantile_sorted(&values, 1.0 - tail).clamp(0.0, 1.0),
                )
            } else {
                (f64::NAN, f64::NAN)
            };
            CurvePoint {
                predicted: g,
                observed: centre[k].unwrap_or(f64::NAN),
                ci_low,
                ci_high,
            }
        })
        .collect())
}

fn bootstrap_smooth(
    p: &[f64],
    y: &[f64],
    grid: &[f64],
    seed: u64,
    stream: u64,
) -> Result<Vec<Option<f64>>, MetricsError> {
    let (bp, by): (Vec<f64>, Vec<f64>) = crate::stats::resample_indices(p.len(), seed, stream)
        .into_iter()
        .map(|i| (p[i], y[i]))
        .unzip();
    Ok(smooth(&bp, &by)?.interpolate_many(grid))
}

/// One row of the grouped calibration table.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CalibrationGroup {
    /// 0-based group index in order of increasing prediction.
    pub group: usize,
    /// Observations in the group.
    pub n: usize,
    /// Events in the group.
    pub events: usize,
    /// Mean predicted probability.
    pub mean_predicted: f64,
    /// Observed event rate `events / n`.
    pub observed: f64,
    /// Lower Wilson score limit of the observed rate.
    pub ci_low: f64,
    /// Upper Wilson score limit.
    pub ci_high: f64,
    /// Smallest prediction in the group.
    pub p_min: f64,
    /// Largest prediction in the group.
    pub p_max: f64,
}

/// Grouped calibration table: observations sorted by prediction and cut into `groups` groups
/// of (nearly) equal size, deciles for `groups = 10`. Tied predictions are never split: an
/// observation goes to group `floor((r - 1) * groups / n)` where `r` is the smallest rank of
/// its tie group (R: `rank(p, ties.method = "min")`), so groups can be uneven and an empty
/// group is omitted. Each row has the observed rate with a Wilson score interval at `level`.
///
/// # Errors
/// Malformed pairs; `groups == 0`; `level` not in (0, 1).
pub fn calibration_table(
    p: &[f64],
    y: &[f64],
    groups: usize,
    level: f64,
) -> Result<Vec<CalibrationGroup>, MetricsError> {
    check_pairs(p, y)?;
    check_level(level)?;
    if groups == 0 {
        return Err(MetricsError::InvalidOption {
            name: "groups",
            value: groups.to_string(),
            expected: "at least 1 group (10 gives deciles)",
        });
    }
    let n = p.len();
    let order = crate::stats::order(p);
    let mut rows: Vec<CalibrationGroup> = Vec::new();
    let mut tie_start = 0;
    for (pos, &i) in order.iter().enumerate() {
        if pos > 0 && p[i] != p[order[pos - 1]] {
            tie_start = pos;
        }
        let group = tie_start * groups / n;
        if rows.last().map(|r| r.group) != Some(group) {
            rows.push(CalibrationGroup {
                group,
                n: 0,
                events: 0,
                mean_predicted: 0.0,
                observed: 0.0,
                ci_low: 0.0,
                ci_high: 0.0,
                p_min: p[i],
                p_max: p[i],
            });
        }
        if let Some(row) = rows.last_mut() {
            row.n += 1;
            row.events += usize::from(y[i] == 1.0);
            row.mean_predicted += p[i];
            row.p_max = p[i];
        }
    }
    for row in &mut rows {
        row.mean_predicted /= row.n as f64;
        row.observed = row.events as f64 / row.n as f64;
        (row.ci_low, row.ci_high) = wilson_interval(row.events, row.n, level);
    }
    Ok(rows)
}

/// Wilson score interval for a binomial proportion `events / n` at confidence `level`, as
/// `prop.test(events, n, correct = FALSE)$conf.int` (limits 0 and 1 at the boundaries).
/// Returns (NaN, NaN) for `n == 0` or `level` outside (0, 1).
pub fn wilson_interval(events: usize, n: usize, level: f64) -> (f64, f64) {
    if n == 0 || !(level > 0.0 && level < 1.0) {
        return (f64::NAN, f64::NAN);
    }
    let nf = n as f64;
    let est = events as f64 / nf;
    let z = standard_normal_quantile((1.0 + level) / 2.0);
    let z22n = z * z / (2.0 * nf);
    let half = z * (est * (1.0 - est) / nf + z22n / (2.0 * nf)).sqrt();
    let upper = if est >= 1.0 {
        1.0
    } else {
        (est + z22n + half) / (1.0 + 2.0 * z22n)
    };
    let lower = if est <= 0.0 {
        0.0
    } else {
        (est + z22n - half) / (1.0 + 2.0 * z22n)
    };
    (lower, upper)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfectly_calibrated_logit_gives_citl_zero() {
        // Events exactly at the predicted rate in each of two groups.
        let mut p = vec![0.2; 10];
        p.extend([0.6; 10]);
        let mut y = vec![0.0; 20];
        y[0] = 1.0;
        y[1] = 1.0;
        for v in y.iter_mut().skip(10).take(6) {
            *v = 1.0;
        }
        assert!(citl(&p, &y).expect("citl").abs() < 1e-12);
        let r = logistic_recalibration(&p, &y).expect("recal");
        assert!(r.intercept.abs() < 1e-10 && (r.slope - 1.0).abs() < 1e-10);
        assert!((oe_ratio(&p, &y).expect("oe") - 1.0).abs() < 1e-15);
    }

    #[test]
    fn separation_is_reported_not_returned() {
        let p = [0.1, 0.2, 0.3, 0.7, 0.8, 0.9];
        let y = [0.0, 0.0, 0.0, 1.0, 1.0, 1.0];
        assert!(matches!(
            logistic_recalibration(&p, &y),
            Err(MetricsError::RecalibrationNotConverged { .. })
        ));
    }

    #[test]
    fn exact_zero_and_one_are_left_out_of_the_logistic_fit() {
        let p = [0.0, 1.0, 0.2, 0.4, 0.5, 0.7, 0.3];
        let y = [0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1.0];
        let with = logistic_recalibration(&p, &y).expect("with extremes");
        let without = logistic_recalibration(&p[2..], &y[2..]).expect("without");
        assert_eq!(with.n_excluded, 2);
        assert_eq!(with.intercept, without.intercept);
        assert_eq!(with.slope, without.slope);
    }

    #[test]
    fn wilson_matches_prop_test() {
        // prop.test(3, 10, correct = FALSE)$conf.int in R 4.2.
        let (lo, hi) = wilson_interval(3, 10, 0.95);
        assert!((lo - 0.10779126740630104).abs() < 1e-13);
        assert!((hi - 0.6032218525388545).abs() < 1e-13);
        assert_eq!(wilson_interval(0, 5, 0.95).0, 0.0);
        assert_eq!(wilson_interval(5, 5, 0.95).1, 1.0);
    }

    #[test]
    fn table_never_splits_ties() {
        let p = [0.1, 0.1, 0.1, 0.1, 0.5, 0.6];
        let y = [0.0, 1.0, 0.0, 0.0, 1.0, 1.0];
        let t = calibration_table(&p, &y, 3, 0.95).expect("table");
        assert_eq!(t.len(), 2);
        assert_eq!((t[0].n, t[0].events), (4, 1));
        assert_eq!((t[1].group, t[1].n), (2, 2));
    }

    /// The curve, checked to be the same bits on one thread as on the pool.
    fn curve_at_any_thread_count(p: &[f64], y: &[f64], opts: &CurveOptions) -> Vec<CurvePoint> {
        let a = calibration_curve(p, y, opts).expect("curve");
        let one_thread = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .expect("pool");
        let b = one_thread
            .install(|| calibration_curve(p, y, opts))
            .expect("curve");
        let bits = |c: &[CurvePoint]| -> Vec<[u64; 4]> {
            c.iter()
                .map(|q| [q.predicted, q.observed, q.ci_low, q.ci_high].map(f64::to_bits))
                .collect()
        };
        assert_eq!(bits(&a), bits(&b));
        a
    }

    #[test]
    fn curve_band_is_seeded_and_thread_independent() {
        let p: Vec<f64> = (0..200).map(|i| (i as f64 + 0.5) / 200.0).collect();
        let y: Vec<f64> = p
            .iter()
            .enumerate()
            .map(|(i, &v)| f64::from(((i * 7919) % 100) as f64 / 100.0 < v))
            .collect();
        let opts = CurveOptions {
            grid_points: 20,
            bootstrap: 40,
            ..CurveOptions::default()
        };
        let a = curve_at_any_thread_count(&p, &y, &opts);
        let interior = &a[1..a.len() - 1];
        assert!(interior.iter().all(|c| c.ci_low <= c.ci_high));
    }

    /// The binned bootstrap band (large samples) is as close to the exact bootstrap band as
    /// two exact bands with different seeds are to each other (Monte Carlo noise), on a
    /// sample small enough to run the exact one: every interior grid point, both limits.
    #[test]
    fn binned_band_matches_the_exact_bootstrap_band() {
        use rand::{Rng, SeedableRng};
        let n = 12_000;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let p: Vec<f64> = (0..n)
            .map(|_| crate::stats::expit(-1.5 + 1.2 * (rng.gen::<f64>() - 0.5) * 3.0))
            .collect();
        let y: Vec<f64> = p
            .iter()
            .map(|&v| {
                f64::from(
                    rng.gen::<f64>() < crate::stats::expit(0.9 * crate::stats::logit(v) - 0.2),
                )
            })
            .collect();
        let lo = p.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = p.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let grid: Vec<f64> = (1..20).map(|k| lo + (hi - lo) * k as f64 / 20.0).collect();
        let b = 60;
        let limits = |reps: Vec<Vec<Option<f64>>>| -> Vec<(f64, f64)> {
            (0..grid.len())
                .map(|k| {
                    let mut v: Vec<f64> = reps.iter().filter_map(|r| r[k]).collect();
                    v.sort_by(f64::total_cmp);
                    (quantile_sorted(&v, 0.025), quantile_sorted(&v, 0.975))
                })
                .collect()
        };
        let exact = |seed: u64| {
            limits(
                (0..b)
                    .into_par_iter()
                    .map(|r| bootstrap_smooth(&p, &y, &grid, seed, r as u64).expect("smooth"))
                    .collect(),
            )
        };
        let (e1, e2) = (exact(1), exact(2));
        let bins = crate::metrics::band::Bins::of(&p, &y);
        let binned = limits(
            (0..b)
                .into_par_iter()
                .map(|r| bins.replicate(&grid, DEFAULT_SPAN, 3, r as u64))
                .collect(),
        );
        let gap = |a: &[(f64, f64)], c: &[(f64, f64)]| {
            a.iter()
                .zip(c)
                .map(|(x, z)| (x.0 - z.0).abs().max((x.1 - z.1).abs()))
                .fold(0.0f64, f64::max)
        };
        let noise = gap(&e1, &e2);
        let off = gap(&binned, &e1).max(gap(&binned, &e2));
        eprintln!("exact vs exact {noise:.4}, binned vs exact {off:.4}");
        assert!(off <= 1.5 * noise + 0.002, "binned {off} vs noise {noise}");
    }

    /// Above the exact-band size the band comes from the binned bootstrap: still seeded and
    /// the same at any thread count.
    #[test]
    fn binned_band_is_seeded_and_thread_independent() {
        let n = crate::metrics::band::EXACT_BAND_MAX + 5_000;
        let p: Vec<f64> = (0..n)
            .map(|i| 0.02 + 0.5 * ((i * 7919) % n) as f64 / n as f64)
            .collect();
        let y: Vec<f64> = (0..n)
            .map(|i| f64::from(((i * 104_729) % 1000) as f64 / 1000.0 < p[i]))
            .collect();
        let opts = CurveOptions {
            grid_points: 10,
            bootstrap: 12,
            ..CurveOptions::default()
        };
        let a = curve_at_any_thread_count(&p, &y, &opts);
        assert!(a[1..9]
            .iter()
            .all(|c| c.ci_low < c.observed && c.observed < c.ci_high));
    }
}
