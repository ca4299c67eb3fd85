//! Validation of a dynamic (landmark) model: at each landmark `s` the predicted risk of an
//! event in `(s, s + w]` is scored against the residual follow-up of the patients at risk with
//! the censoring-aware metrics of [`evaluate_censored`] (IPCW cumulative/dynamic AUC, IPCW
//! Brier, scaled Brier, O/E), plus an IPCW-weighted logistic recalibration (calibration
//! intercept and slope); the same over all landmark rows pooled. Optimism is estimated by
//! bootstrapping patients (all rows of a patient move together), refitting the super-model's
//! coefficients on its fixed design with the IPCW weights.

use serde::Serialize;

use super::model::Refitter;
use super::resample::optimism_from_indices;
use crate::design::replay;
use crate::error::{Error, Result};
use crate::metrics::censored::{evaluate_censored, CensoredCalibrationGroup};
use crate::model::fit::Model;
use crate::model::landmark::stack::{RESIDUAL_TIME, WEIGHT};
use crate::model::landmark::{stack, FollowUp, Stacked};
use crate::model::logistic::{fit_logistic, FitOptions};
use crate::score::{dot_row, logistic};
use crate::table::Table;

/// Performance at one landmark (or pooled over landmarks).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LandmarkPerformance {
    /// Landmark time in months; None for the pooled rows.
    pub landmark: Option<f64>,
    /// Patients at risk with a prediction.
    pub n: usize,
    /// Events in the window.
    pub events_in_window: usize,
    /// Censored in the window.
    pub censored_in_window: usize,
    /// IPCW cumulative/dynamic AUC at the window.
    pub auc: f64,
    /// Its influence-function standard error.
    pub auc_se: f64,
    /// IPCW Brier score.
    pub brier: f64,
    /// Brier score of the Kaplan-Meier null model.
    pub brier_null: f64,
    /// `1 - brier / brier_null`.
    pub scaled_brier: f64,
    /// Kaplan-Meier risk in the window / mean predicted risk.
    pub oe_ratio: f64,
    /// Intercept of the IPCW-weighted recalibration `logit P = a + b logit(p)`.
    pub calibration_intercept: f64,
    /// Its slope (1 is ideal, < 1 overfitting).
    pub calibration_slope: f64,
    /// Why these numbers need care: fewer than [`MIN_EVENTS_IN_WINDOW`] events in the window,
    /// more than half the patients censored in it, and the reason of every NaN.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
}

/// Events in the window below which a landmark's metrics are flagged as unstable.
pub const MIN_EVENTS_IN_WINDOW: usize = 10;

/// The flags of a landmark's metrics (see [`LandmarkPerformance::flags`]).
fn flags_of(p: &LandmarkPerformance) -> Vec<String> {
    let mut out = Vec::new();
    if p.events_in_window < MIN_EVENTS_IN_WINDOW {
        out.push(format!(
            "{} events in the window (fewer than {MIN_EVENTS_IN_WINDOW}): the metrics are unstable",
            p.events_in_window
        ));
    }
    if 2 * p.censored_in_window > p.n {
        out.push(format!(
            "{} of {} patients censored in the window (more than half): IPCW rests on few patients",
            p.censored_in_window, p.n
        ));
    }
    let nan = |v: f64| !v.is_finite();
    if nan(p.auc) {
        out.push("AUC: NaN, the window has no event or no one followed beyond it".into());
    }
    if nan(p.oe_ratio) {
        out.push(
            "O/E: NaN, the mean predicted risk is 0 or the Kaplan-Meier risk is undefined".into(),
        );
    }
    if nan(p.scaled_brier) {
        out.push("scaled Brier: NaN, the null model's Brier score is 0".into());
    }
    if nan(p.calibration_slope) || nan(p.calibration_intercept) {
        out.push(
            "calibration intercept/slope: NaN, the recalibration fit needs events and non-events with risks strictly between 0 and 1".into(),
        );
    }
    out
}

impl LandmarkPerformance {
    const RESAMPLED: [&'static str; 5] = [
        "auc",
        "brier",
        "scaled_brier",
        "oe_ratio",
        "calibration_slope",
    ];

    fn resampled(&self) -> [f64; 5] {
        [
            self.auc,
            self.brier,
            self.scaled_brier,
            self.oe_ratio,
            self.calibration_slope,
        ]
    }
}

/// Bootstrap optimism of the resampled metrics, per landmark and pooled.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DynamicOptimism {
    /// Replicates asked for.
    pub requested: usize,
    /// Replicates whose refit succeeded.
    pub used: usize,
    /// Metric names of each optimism vector.
    pub metrics: Vec<String>,
    /// Per landmark (same order as `per_landmark`), then the pooled entry last:
    /// `(apparent, optimism, corrected)` vectors in the order of `metrics`.
    pub rows: Vec<OptimismRow>,
}

/// Apparent, optimism and corrected values of one landmark (or pooled).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OptimismRow {
    /// Landmark; None for pooled.
    pub landmark: Option<f64>,
    /// Apparent values.
    pub apparent: Vec<f64>,
    /// Mean optimism over the replicates.
    pub optimism: Vec<f64>,
    /// `apparent - optimism`.
    pub corrected: Vec<f64>,
}

/// Calibration of the pooled landmark rows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DynamicCalibration {
    /// Smoothed curve: IPCW-weighted logistic regression of the window outcome on a restricted
    /// cubic spline of logit(p) (4 knots at the Hmisc default quantiles), evaluated on a grid of
    /// predicted risks from the 1st to the 99th percentile: `(predicted, observed)` pairs.
    pub curve: Vec<(f64, f64)>,
    /// Tenths of predicted risk with the Kaplan-Meier risk in the window of each group.
    pub groups: Vec<crate::metrics::censored::CensoredCalibrationGroup>,
}

/// Dynamic validation results (`metrics.json` of `validate` with a dynamic model).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DynamicValidation {
    /// Prediction window (months).
    pub window: f64,
    /// Per landmark, in landmark order (landmarks without events or without anyone followed
    /// past the window are left out).
    pub per_landmark: Vec<LandmarkPerformance>,
    /// All landmark rows pooled.
    pub pooled: LandmarkPerformance,
    /// Calibration curve and groups of the pooled rows.
    pub calibration: DynamicCalibration,
    /// Landmarks of the model that are not in `per_landmark`, with the reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub left_out: Vec<LeftOut>,
    /// Bootstrap optimism by patients, when asked.
    pub optimism: Option<DynamicOptimism>,
}

/// A landmark of the model without validation metrics.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeftOut {
    /// Landmark time.
    pub landmark: f64,
    /// Why it has no metrics.
    pub reason: String,
}

/// Rows (indices into the stacked table) with a prediction, grouped by landmark.
struct Scored {
    /// The model's design of every stacked row (refits score it again).
    design: crate::design::ScoringDesign,
    risk: Vec<f64>,
    rows: Vec<usize>,
    landmarks: Vec<f64>,
}

/// Metrics of predictions `risk` (one per stacked row; NaN = none) on the stacked rows `rows`
/// (repeats allowed), per landmark then pooled, each with its Kaplan-Meier risk groups.
fn measure(
    st: &Stacked,
    risk: &[f64],
    rows: &[usize],
    landmarks: &[f64],
    window: f64,
    event: &str,
) -> Result<Vec<(LandmarkPerformance, Vec<CensoredCalibrationGroup>)>> {
    let time = st.table.num(RESIDUAL_TIME)?;
    let event = st.table.num(event)?;
    let ev = st.table.num(crate::model::landmark::stack::OUTCOME)?;
    let w = st.table.num(WEIGHT)?;
    type Measured = (LandmarkPerformance, Vec<CensoredCalibrationGroup>);
    let one = |landmark: Option<f64>, sel: &[usize]| -> Result<Measured> {
        let p: Vec<f64> = sel.iter().map(|&r| risk[r]).collect();
        let t: Vec<f64> = sel.iter().map(|&r| time[r].unwrap_or(0.0)).collect();
        let e: Vec<bool> = sel.iter().map(|&r| event[r] == Some(1.0)).collect();
        let m = evaluate_censored(&p, &t, &e, window).map_err(|err| {
            Error::Analysis(format!(
                "dynamic validation at landmark {}: {err}",
                landmark.map_or("(pooled)".to_string(), |s| s.to_string())
            ))
        })?;
        let (a, b) = recalibration(sel, risk, ev, w)?;
        let perf = LandmarkPerformance {
            landmark,
            n: m.n,
            events_in_window: m.events_before_horizon,
            censored_in_window: m.censored_before_horizon,
            auc: m.auc,
            auc_se: m.auc_se,
            brier: m.brier,
            brier_null: m.brier_null,
            scaled_brier: m.scaled_brier,
            oe_ratio: m.oe_ratio,
            calibration_intercept: a,
            calibration_slope: b,
            flags: Vec::new(),
        };
        let perf = LandmarkPerformance {
            flags: flags_of(&perf),
            ..perf
        };
        Ok((perf, m.calibration))
    };
    let mut out = Vec::new();
    for &s in landmarks {
        let sel: Vec<usize> = rows
            .iter()
            .copied()
            .filter(|&r| st.landmark[r] == s)
            .collect();
        out.push(one(Some(s), &sel)?);
    }
    out.push(one(None, rows)?);
    Ok(out)
}

/// The rows of `sel` a recalibration fit can use: window outcome known, positive weight, and a
/// risk strictly between 0 and 1 (finite logit).
fn recalibration_rows(
    sel: &[usize],
    risk: &[f64],
    ev: &[Option<f64>],
    w: &[Option<f64>],
) -> Vec<usize> {
    sel.iter()
        .copied()
        .filter(|&r| {
            ev[r].is_some() && w[r].is_some_and(|w| w > 0.0) && risk[r] > 0.0 && risk[r] < 1.0
        })
        .collect()
}

/// IPCW-weighted logistic recalibration of the window outcome on logit(p).
fn recalibration(
    sel: &[usize],
    risk: &[f64],
    ev: &[Option<f64>],
    w: &[Option<f64>],
) -> Result<(f64, f64)> {
    let keep = recalibration_rows(sel, risk, ev, w);
    let x: Vec<f64> = keep
        .iter()
        .map(|&r| (risk[r] / (1.0 - risk[r])).ln())
        .collect();
    let y: Vec<f64> = keep.iter().map(|&r| ev[r].unwrap_or(0.0)).collect();
    let weights: Vec<f64> = keep.iter().map(|&r| w[r].unwrap_or(0.0)).collect();
    let xm = ndarray::Array2::from_shape_vec((x.len(), 1), x)
        .map_err(|e| Error::Analysis(format!("recalibration design: {e}")))?;
    let opts = FitOptions {
        weights: Some(weights),
        ..FitOptions::default()
    };
    match fit_logistic(xm.view(), &y, &opts) {
        Ok(f) => Ok((f.coefficients[0], f.coefficients[1])),
        Err(_) => Ok((f64::NAN, f64::NAN)),
    }
}

/// Smoothed (spline) calibration of the pooled landmark rows (those the pooled metrics use),
/// with the risk `groups` the pooled metrics computed.
fn pooled_calibration(
    st: &Stacked,
    sc: &Scored,
    groups: Vec<CensoredCalibrationGroup>,
) -> Result<DynamicCalibration> {
    use crate::design::rcs;
    let ev = st.table.num(crate::model::landmark::stack::OUTCOME)?;
    let w = st.table.num(WEIGHT)?;
    let risk = &sc.risk;
    let keep = recalibration_rows(&sc.rows, risk, ev, w);
    let logit = crate::stats::logit;
    let lx: Vec<f64> = keep.iter().map(|&r| logit(risk[r])).collect();
    let curve = match rcs::knots(&lx, 4) {
        Ok(knots) if knots.len() >= 3 => {
            let kd = rcs::norm2_scale(&knots);
            let q = knots.len() - 1;
            let mut x = ndarray::Array2::<f64>::zeros((lx.len(), q));
            for (i, v) in lx.iter().enumerate() {
                let mut row = vec![0.0; q];
                rcs::basis_into(*v, &knots, kd, &mut row);
                for (j, b) in row.into_iter().enumerate() {
                    x[[i, j]] = b;
                }
            }
            let y: Vec<f64> = keep.iter().map(|&r| ev[r].unwrap_or(0.0)).collect();
            let opts = FitOptions {
                weights: Some(keep.iter().map(|&r| w[r].unwrap_or(0.0)).collect()),
                ..FitOptions::default()
            };
            match fit_logistic(x.view(), &y, &opts) {
                Ok(f) => {
                    let mut sorted: Vec<f64> = keep.iter().map(|&r| risk[r]).collect();
                    sorted.sort_by(f64::total_cmp);
                    let (lo, hi) = (
                        rcs::quantile7_sorted(&sorted, 0.01),
                        rcs::quantile7_sorted(&sorted, 0.99),
                    );
                    (0..50)
                        .map(|k| {
                            let p = lo + (hi - lo) * k as f64 / 49.0;
                            let mut b = vec![0.0; q];
                            rcs::basis_into(logit(p), &knots, kd, &mut b);
                            (
                                p,
                                logistic(dot_row(&b, &f.coefficients[1..], f.coefficients[0])),
                            )
                        })
                        .collect()
                }
                Err(_) => Vec::new(),
            }
        }
        _ => Vec::new(),
    };
    Ok(DynamicCalibration { curve, groups })
}

/// Landmarks with at least one event in the window and someone followed beyond it among
/// `rows` (the censoring-aware metrics are undefined otherwise).
fn usable_landmarks(st: &Stacked, rows: &[usize], all: &[f64]) -> Result<Vec<f64>> {
    let ev = st.table.num(crate::model::landmark::stack::OUTCOME)?;
    Ok(all
        .iter()
        .copied()
        .filter(|&s| {
            let sel = || rows.iter().filter(move |&&r| st.landmark[r] == s);
            sel().any(|&r| ev[r] == Some(1.0)) && sel().any(|&r| ev[r] == Some(0.0))
        })
        .collect())
}

fn score_stacked(model: &Model, st: &Stacked) -> Result<Scored> {
    let scorer = model.scorer()?;
    let d = replay(scorer.compiled(), &st.table).map_err(|e| st.locate(e))?;
    let mut lp = vec![0.0; d.n];
    let mut risk = vec![0.0; d.n];
    scorer.score_rows(&d.x, &mut lp, &mut risk);
    let rows: Vec<usize> = (0..d.n).filter(|&r| !risk[r].is_nan()).collect();
    Ok(Scored {
        design: d,
        risk,
        rows,
        landmarks: Vec::new(),
    })
}

/// Validate a dynamic model on a cohort and its visits (the development data for apparent
/// and optimism-corrected performance, or a new cohort for external validation).
///
/// # Errors
/// A static model; input errors in the files; no landmark with events (exit code 1).
pub fn validate_dynamic(
    model: &Model,
    cohort: &Table,
    visits: &Table,
    bootstrap: usize,
    seed: u64,
) -> Result<DynamicValidation> {
    crate::limits::check_count("--bootstrap", bootstrap, crate::limits::MAX_BOOTSTRAP, true)?;
    let spec = model.dynamic.as_ref().ok_or_else(|| {
        Error::Usage("this model is not dynamic: validate it without --visits".into())
    })?;
    let st = stack(
        cohort,
        visits,
        FollowUp {
            time: &spec.time,
            event: &spec.event,
        },
        &spec.landmark,
    )?;
    let mut sc = score_stacked(model, &st)?;
    sc.landmarks = usable_landmarks(&st, &sc.rows, &spec.landmark.landmarks)?;
    if sc.landmarks.is_empty() {
        return Err(Error::Analysis(
            "no landmark has both an event in the window and a patient followed beyond it".into(),
        ));
    }
    let window = spec.landmark.window;
    let mut measured = measure(&st, &sc.risk, &sc.rows, &sc.landmarks, window, &spec.event)?;
    let (pooled, groups) = measured
        .pop()
        .ok_or_else(|| Error::Analysis("no pooled metrics".into()))?;
    let perf: Vec<LandmarkPerformance> = measured.into_iter().map(|(p, _)| p).collect();
    let calibration = pooled_calibration(&st, &sc, groups)?;
    let optimism = if bootstrap > 0 {
        Some(patient_bootstrap(
            model,
            &st,
            &sc,
            window,
            &spec.event,
            bootstrap,
            seed,
        )?)
    } else {
        None
    };
    let ev = st.table.num(crate::model::landmark::stack::OUTCOME)?;
    let left_out = spec
        .landmark
        .landmarks
        .iter()
        .filter(|s| !sc.landmarks.contains(s))
        .map(|&s| {
            let sel: Vec<usize> = sc
                .rows
                .iter()
                .copied()
                .filter(|&r| st.landmark[r] == s)
                .collect();
            let events = sel.iter().filter(|&&r| ev[r] == Some(1.0)).count();
            let reason = if sel.is_empty() {
                "no patient at risk with a prediction".to_string()
            } else if events == 0 {
                format!("{} patients at risk, no event in the window", sel.len())
            } else {
                format!(
                    "{} patients at risk, none followed beyond the window",
                    sel.len()
                )
            };
            LeftOut {
                landmark: s,
                reason,
            }
        })
        .collect();
    Ok(DynamicValidation {
        window,
        per_landmark: perf,
        pooled,
        calibration,
        left_out,
        optimism,
    })
}

fn patient_bootstrap(
    model: &Model,
    st: &Stacked,
    sc: &Scored,
    window: f64,
    event: &str,
    replicates: usize,
    seed: u64,
) -> Result<DynamicOptimism> {
    let weights = st.weights();
    let refitter = Refitter::on_design(
        model,
        &st.table,
        &sc.design,
        sc.risk.clone(),
        Some(&weights),
    )?;
    let design = &sc.design;
    // Patients and their rows: fit rows (indices into refitter.rows) and scored rows.
    let n_patients = st.patient.iter().copied().max().map_or(0, |m| m + 1);
    let mut fit_rows: Vec<Vec<usize>> = vec![Vec::new(); n_patients];
    for (k, &r) in refitter.rows.iter().enumerate() {
        fit_rows[st.patient[r]].push(k);
    }
    let mut score_rows: Vec<Vec<usize>> = vec![Vec::new(); n_patients];
    for &r in &sc.rows {
        score_rows[st.patient[r]].push(r);
    }
    let patients: Vec<usize> = (0..n_patients)
        .filter(|&p| !score_rows[p].is_empty())
        .collect();
    // Each replicate's "indices" are into the list of scored rows (sc.rows): the measure
    // needs them; the fit maps them to its own rows through the patient.
    let pos: std::collections::HashMap<usize, usize> =
        sc.rows.iter().enumerate().map(|(k, &r)| (r, k)).collect();
    let draws: Vec<Vec<usize>> = (0..replicates)
        .map(|b| {
            let mut idx = Vec::new();
            for k in crate::stats::resample_indices(patients.len(), seed, b as u64 + 1) {
                idx.extend(score_rows[patients[k]].iter().map(|r| pos[r]));
            }
            idx
        })
        .collect();
    let width = design.width;
    let fit = |idx: &[usize]| -> Result<Vec<f64>> {
        // Each drawn patient brings all its scored rows once per draw, so the count of its
        // first scored row is how often it was drawn; refit on its fit rows that often.
        let mut mult = vec![0usize; n_patients];
        for &k in idx {
            let r = sc.rows[k];
            let p = st.patient[r];
            if score_rows[p].first() == Some(&r) {
                mult[p] += 1;
            }
        }
        let mut fidx = Vec::new();
        for (p, &m) in mult.iter().enumerate() {
            for _ in 0..m {
                fidx.extend(&fit_rows[p]);
            }
        }
        let coef = refitter.coefficients(&fidx)?;
        let (b0, beta) = (coef[0], &coef[1..]);
        let mut risk = vec![f64::NAN; st.table.nrows()];
        for &r in &sc.rows {
            risk[r] = logistic(dot_row(&design.x[r * width..(r + 1) * width], beta, b0));
        }
        Ok(risk)
    };
    let names: Vec<String> = LandmarkPerformance::RESAMPLED
        .iter()
        .map(|s| s.to_string())
        .collect();
    let k = names.len();
    let landmarks = &sc.landmarks;
    let measure_flat = |risk: &Vec<f64>, idx: &[usize]| -> Result<Vec<f64>> {
        let rows: Vec<usize> = idx.iter().map(|&i| sc.rows[i]).collect();
        let perf = measure(st, risk, &rows, landmarks, window, event)?;
        Ok(perf.iter().flat_map(|(p, _)| p.resampled()).collect())
    };
    let flat_names: Vec<String> = (0..=landmarks.len())
        .flat_map(|_| names.iter().cloned())
        .collect();
    let flat_refs: Vec<&str> = flat_names.iter().map(String::as_str).collect();
    let o = optimism_from_indices(sc.rows.len(), &flat_refs, &draws, fit, measure_flat)?;
    let rows = (0..=landmarks.len())
        .map(|g| OptimismRow {
            landmark: landmarks.get(g).copied(),
            apparent: o.apparent[g * k..(g + 1) * k].to_vec(),
            optimism: o.optimism[g * k..(g + 1) * k].to_vec(),
            corrected: o.corrected[g * k..(g + 1) * k].to_vec(),
        })
        .collect();
    Ok(DynamicOptimism {
        requested: o.requested,
        used: o.used,
        metrics: names,
        rows,
    })
}

impl DynamicValidation {
    /// One line per flagged or left-out landmark: what the table's numbers need.
    pub fn notes(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .per_landmark
            .iter()
            .chain(std::iter::once(&self.pooled))
            .filter(|p| !p.flags.is_empty())
            .map(|p| {
                format!(
                    "{}: {}",
                    p.landmark
                        .map_or("pooled".to_string(), |s| format!("landmark {s}")),
                    p.flags.join("; ")
                )
            })
            .collect();
        out.extend(
            self.left_out
                .iter()
                .map(|l| format!("landmark {}: not validated, {}", l.landmark, l.reason)),
        );
        out
    }

    /// A plain-text table for the terminal.
    pub fn render_table(&self) -> String {
        let mut s = format!(
            "Dynamic validation: event within {} months of each landmark (IPCW)\n",
            self.window
        );
        s.push_str(&format!(
            "{:>9} {:>6} {:>7} {:>7} {:>7} {:>8} {:>7} {:>7}\n",
            "landmark", "n", "events", "AUC", "Brier", "scaled", "O/E", "slope"
        ));
        for p in self
            .per_landmark
            .iter()
            .chain(std::iter::once(&self.pooled))
        {
            let lm = p.landmark.map_or("pooled".to_string(), |s| format!("{s}"));
            s.push_str(&format!(
                "{:>9} {:>6} {:>7} {:>7.3} {:>7.4} {:>8.3} {:>7.3} {:>7.3}\n",
                lm,
                p.n,
                p.events_in_window,
                p.auc,
                p.brier,
                p.scaled_brier,
                p.oe_ratio,
                p.calibration_slope
            ));
        }
        for note in self.notes() {
            s.push_str(&format!("  note: {note}\n"));
        }
        if let Some(o) = &self.optimism {
            s.push_str(&format!(
                "\nOptimism-corrected (bootstrap of patients, {} of {} refits used):\n",
                o.used, o.requested
            ));
            s.push_str(&format!("{:>9} {}\n", "landmark", o.metrics.join("  ")));
            for r in &o.rows {
                let lm = r.landmark.map_or("pooled".to_string(), |s| format!("{s}"));
                let v: Vec<String> = r.corrected.iter().map(|x| format!("{x:.3}")).collect();
                s.push_str(&format!("{:>9} {}\n", lm, v.join("  ")));
            }
        }
        s
    }
}
