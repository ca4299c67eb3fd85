//! The landmark data set: one row per patient and landmark time `s` at which the patient is
//! still event-free and under follow-up, with the predictors as known at `s` and the outcome
//! "event within (s, s + w]" (van Houwelingen 2007, "Dynamic prediction by landmarking").
//!
//! Values at `s` are the last observation carried forward: the latest measurement at or
//! before `s` (the cohort file's value counts as a measurement at month 0), or missing when
//! that measurement is older than the maximum staleness. Derived features, when their source
//! columns exist (names as in DESIGN.md):
//!
//! | column | definition at `s` |
//! |---|---|
//! | `ctx_nadir_ng_ml` | lowest CTX-I measured up to `s` |
//! | `ctx_change_pct` | `100 (ctx_ng_ml / ctx_nadir_ng_ml - 1)`, current value against the nadir |
//! | `ctx_above_lsc` | 1 when `ctx_change_pct` exceeds the least significant change (56%), else 0 |
//! | `ctx_change_prev_pct` | `100 (ctx / previous ctx - 1)`, the two latest measurements |
//! | `ctx_rise_lsc` | 1 when `ctx_change_prev_pct` exceeds the LSC (the serial change the LSC is defined for), else 0 (also with a single measurement); missing when the latest CTX is stale |
//! | `mrd_conversion` | 1 when a `positive` MRD follows a `negative` one up to `s`, else 0 |
//! | `ctdna_conversion` | 1 when `detected` follows `not_detected` up to `s`, else 0 |
//! | `months_since_pet` | `s` minus the month of the last PET/CT (missing if none) |
//! | `p1np_ctx_ratio` | `p1np_ng_ml / ctx_ng_ml`, current values |
//!
//! Outcome (when the cohort has follow-up time and event columns): `landmark_event` is 1 for
//! an event in `(s, s + w]`, 0 for follow-up beyond `s + w`, missing for censoring inside the
//! window; `ipcw` weights the complete rows by the inverse probability of remaining
//! uncensored, from the Kaplan-Meier estimate of the censoring distribution among the patients
//! at risk at `s` (residual times `T - s`): `1 / G_s((T - s)-)` for events and `1 / G_s(w)` for
//! the event-free, 0 for rows censored in the window. These are the weights of
//! [`crate::metrics::evaluate_censored`] at horizon `w`, so the super-model is fitted to the
//! same target the dynamic validation scores.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::cohort::schema::CTX_LSC;
use crate::error::{Error, Result};
use crate::metrics::censored::ipcw_weights;
use rayon::prelude::*;

use crate::table::{Column, Table, Text};

/// Column of the landmark time `s` (months). Outside the landmarks (scoring visits after the
/// last one, or month 0 before a first landmark > 0) this column and the landmark-time terms
/// stay at the nearest landmark: the super-model is not extrapolated past the landmarks it was
/// fitted on (van Houwelingen's model is defined on `[s_first, s_last]`). Marker ages
/// (staleness, months since PET) use the real month.
pub const LANDMARK: &str = "landmark";
/// `s / s_max`: linear landmark-time term of the super-model.
pub const LANDMARK_1: &str = "landmark_1";
/// `(s / s_max)^2`: quadratic landmark-time term.
pub const LANDMARK_2: &str = "landmark_2";
/// Outcome column: event in `(s, s + w]` (1), none (0), censored inside the window (missing).
pub const OUTCOME: &str = "landmark_event";
/// IPCW weight column.
pub const WEIGHT: &str = "ipcw";
/// Residual follow-up `T - s`.
pub const RESIDUAL_TIME: &str = "residual_time";

/// How the landmark data set is built (stored in dynamic model files).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LandmarkOptions {
    /// Landmark times in months, increasing, the first >= 0.
    pub landmarks: Vec<f64>,
    /// Prediction window `w` in months.
    pub window: f64,
    /// A measurement older than this (months) is not carried forward.
    pub max_staleness: f64,
    /// Per-column overrides of `max_staleness` (e.g. PET/CT, repeated rarely, valid longer).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub staleness: BTreeMap<String, f64>,
    /// CTX-I least significant change as a fraction (0.56 = 56%).
    pub ctx_lsc: f64,
    /// Least significant change (fraction) of other numeric visit columns, for their
    /// `X_above_lsc` and `X_rise_lsc` features (`--lsc X=PCT`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub lsc: BTreeMap<String, f64>,
    /// The level a two-level visit column converts to, for its `X_conversion` feature
    /// (`--positive X=LEVEL`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub positive: BTreeMap<String, String>,
    /// Patient identifier column (cohort and visits).
    pub id: String,
    /// Month column of the visits file.
    pub month: String,
}

impl Default for LandmarkOptions {
    fn default() -> Self {
        LandmarkOptions {
            landmarks: (0..=8).map(|k| 3.0 * f64::from(k)).collect(),
            window: 6.0,
            max_staleness: 12.0,
            staleness: BTreeMap::new(),
            ctx_lsc: CTX_LSC,
            lsc: BTreeMap::new(),
            positive: BTreeMap::new(),
            id: "patient_id".into(),
            month: "month".into(),
        }
    }
}

impl LandmarkOptions {
    /// Parse `start:end:step` (months), e.g. `0:24:3`, into landmark times.
    ///
    /// # Errors
    /// [`Error::Usage`] for anything but three numbers with `0 <= start <= end`, `step > 0`.
    pub fn parse_landmarks(spec: &str) -> Result<Vec<f64>> {
        let bad = || {
            Error::Usage(format!(
                "--landmarks '{spec}': expected start:end:step in months, e.g. 0:24:3 (0 <= start <= end, step > 0)"
            ))
        };
        let parts: Vec<f64> = spec
            .split(':')
            .map(|p| p.trim().parse::<f64>().map_err(|_| bad()))
            .collect::<Result<_>>()?;
        let [start, end, step] = parts[..] else {
            return Err(bad());
        };
        if !(start >= 0.0 && end >= start && step > 0.0 && end.is_finite()) {
            return Err(bad());
        }
        // the count is bounded before anything is allocated (0:1e300:1 would ask for 1e300)
        let count = ((end - start) / step + 1e-9).floor();
        let max = crate::limits::MAX_LANDMARKS;
        if !(count.is_finite() && count + 1.0 <= max as f64) {
            return Err(Error::Usage(format!(
                "--landmarks '{spec}': gives {:.0} landmark times; at most {max} (a coarser step, e.g. 0:24:3)",
                count + 1.0
            )));
        }
        let n = count as usize;
        let times: Vec<f64> = (0..=n).map(|k| start + step * k as f64).collect();
        if times.windows(2).any(|w| w[1] <= w[0]) {
            return Err(Error::Usage(format!(
                "--landmarks '{spec}': the step is too small to tell landmark times apart"
            )));
        }
        Ok(times)
    }

    /// Check the options.
    ///
    /// # Errors
    /// [`Error::Usage`] naming the bad option.
    pub fn check(&self) -> Result<()> {
        if self.landmarks.is_empty()
            || self.landmarks[0] < 0.0
            || self.landmarks.windows(2).any(|w| w[1] <= w[0])
            || self.landmarks.iter().any(|s| !s.is_finite())
        {
            return Err(Error::Usage(
                "landmarks: expected increasing finite months >= 0".into(),
            ));
        }
        if !(self.window.is_finite() && self.window > 0.0) {
            return Err(Error::Usage(format!(
                "--window {}: expected a prediction window > 0 months",
                self.window
            )));
        }
        // finite: the model file stores it as a JSON number (no infinity there)
        let months = |v: f64| v.is_finite() && v >= 0.0;
        if !months(self.max_staleness) {
            return Err(Error::Usage(format!(
                "--max-staleness {}: expected finite months >= 0 (e.g. 999 for no limit)",
                self.max_staleness
            )));
        }
        if let Some((c, v)) = self.staleness.iter().find(|(_, v)| !months(**v)) {
            return Err(Error::Usage(format!(
                "--staleness {c}={v}: expected finite months >= 0 (e.g. 999 for no limit)"
            )));
        }
        if !(self.ctx_lsc.is_finite() && self.ctx_lsc > 0.0) {
            return Err(Error::Usage(format!(
                "CTX least significant change {}: expected a fraction > 0",
                self.ctx_lsc
            )));
        }
        Ok(())
    }

    /// Parse `column=months` (a `--staleness` override).
    ///
    /// # Errors
    /// [`Error::Usage`] for anything but a name, `=` and a number of months >= 0.
    pub fn parse_staleness(spec: &str) -> Result<(String, f64)> {
        let bad = || {
            Error::Usage(format!(
                "--staleness '{spec}': expected COLUMN=MONTHS, e.g. pet=24 (finite months >= 0)"
            ))
        };
        let (c, v) = spec.split_once('=').ok_or_else(bad)?;
        let v: f64 = v.trim().parse().map_err(|_| bad())?;
        if c.trim().is_empty() || !v.is_finite() || v < 0.0 {
            return Err(bad());
        }
        Ok((c.trim().to_string(), v))
    }

    /// Check that every `staleness` override names a measurement column of `visits` (at fit
    /// time: a model is later applied to files that may lack a column it does not use).
    ///
    /// # Errors
    /// [`Error::Usage`] naming the column, with a "did you mean".
    pub fn check_staleness_columns(&self, visits: &Table) -> Result<()> {
        let measured = |c: &str| c != self.id && c != self.month && visits.index(c).is_some();
        match self.staleness.keys().find(|c| !measured(c)) {
            None => Ok(()),
            Some(c) => {
                let hint = crate::table::did_you_mean(c, &visits.names)
                    .map_or(String::new(), |s| format!(" (did you mean '{s}'?)"));
                Err(Error::Usage(format!(
                    "--staleness {c}=...: '{c}' is not a measurement column of {}{hint}",
                    visits.source
                )))
            }
        }
    }

    /// The `--lsc` values from their `COLUMN=PERCENT` specs, as fractions; `ctx_ng_ml` sets
    /// [`LandmarkOptions::ctx_lsc`] (returned separately), the rest go to
    /// [`LandmarkOptions::lsc`].
    ///
    /// # Errors
    /// [`Error::Usage`] for a bad spec, a percentage that is not > 0, or a column given twice.
    pub fn parse_lsc_list(specs: &[String]) -> Result<(Option<f64>, BTreeMap<String, f64>)> {
        let mut out = BTreeMap::new();
        let mut ctx = None;
        for spec in specs {
            let bad = || {
                Error::Usage(format!(
                    "--lsc '{spec}': expected COLUMN=PERCENT, e.g. bili=30 (the least significant change, > 0)"
                ))
            };
            let (c, v) = spec.split_once('=').ok_or_else(bad)?;
            let v: f64 = v.trim().trim_end_matches('%').parse().map_err(|_| bad())?;
            let c = c.trim();
            if c.is_empty() || !(v.is_finite() && v > 0.0 && v <= 1e6) {
                return Err(bad());
            }
            let twice = if c == "ctx_ng_ml" {
                ctx.replace(v / 100.0).is_some()
            } else {
                out.insert(c.to_string(), v / 100.0).is_some()
            };
            if twice {
                return Err(Error::Usage(format!(
                    "--lsc {c}: given twice; give each column once"
                )));
            }
        }
        Ok((ctx, out))
    }

    /// The `--positive` levels from their `COLUMN=LEVEL` specs.
    ///
    /// # Errors
    /// [`Error::Usage`] for a bad spec or a column given twice.
    pub fn parse_positive_list(specs: &[String]) -> Result<BTreeMap<String, String>> {
        let mut out = BTreeMap::new();
        for spec in specs {
            let (c, v) = spec
                .split_once('=')
                .filter(|(c, v)| !c.trim().is_empty() && !v.trim().is_empty())
                .ok_or_else(|| {
                    Error::Usage(format!(
                        "--positive '{spec}': expected COLUMN=LEVEL, e.g. ascites=1 (the level a conversion goes to)"
                    ))
                })?;
            if out
                .insert(c.trim().to_string(), v.trim().to_string())
                .is_some()
            {
                return Err(Error::Usage(format!(
                    "--positive {c}: given twice; give each column once"
                )));
            }
        }
        Ok(out)
    }

    /// Check that every `--lsc` column is a numeric measurement column of `visits` and every
    /// `--positive` column one whose values include the level given (at fit time, as
    /// [`LandmarkOptions::check_staleness_columns`]).
    ///
    /// # Errors
    /// [`Error::Usage`] naming the flag, the column and what it holds.
    pub fn check_feature_columns(&self, visits: &Table) -> Result<()> {
        let measured = |c: &str| c != self.id && c != self.month && visits.index(c).is_some();
        let hint = |c: &str| {
            crate::table::did_you_mean(c, &visits.names)
                .map_or(String::new(), |s| format!(" (did you mean '{s}'?)"))
        };
        for c in self.lsc.keys() {
            if !measured(c) {
                return Err(Error::Usage(format!(
                    "--lsc {c}=...: '{c}' is not a measurement column of {}{}",
                    visits.source,
                    hint(c)
                )));
            }
            if !matches!(visits.column(c)?, Column::Num(_)) {
                return Err(Error::Usage(format!(
                    "--lsc {c}=...: '{c}' holds text in {}; a least significant change is for a numeric marker",
                    visits.source
                )));
            }
        }
        for (c, level) in &self.positive {
            if !measured(c) {
                return Err(Error::Usage(format!(
                    "--positive {c}=...: '{c}' is not a measurement column of {}{}",
                    visits.source,
                    hint(c)
                )));
            }
            let mut values: Vec<String> = match visits.column(c)? {
                Column::Num(v) => v.iter().flatten().map(|x| format!("{x}")).collect(),
                Column::Text(v) => v.iter().flatten().map(|s| s.to_string()).collect(),
            };
            values.sort();
            values.dedup();
            if !values.contains(level) {
                let shown: Vec<&str> = values.iter().take(12).map(String::as_str).collect();
                return Err(Error::Usage(format!(
                    "--positive {c}={level}: '{level}' is not a value of {c} in {} (values: {}{})",
                    visits.source,
                    shown.join(", "),
                    if values.len() > 12 { ", ..." } else { "" }
                )));
            }
        }
        Ok(())
    }

    /// The `--staleness` overrides from their `COLUMN=MONTHS` specs.
    ///
    /// # Errors
    /// [`Error::Usage`] for a bad spec or a column given twice.
    pub fn parse_staleness_list(specs: &[String]) -> Result<BTreeMap<String, f64>> {
        let mut out = BTreeMap::new();
        for spec in specs {
            let (c, v) = Self::parse_staleness(spec)?;
            if out.insert(c.clone(), v).is_some() {
                return Err(Error::Usage(format!(
                    "--staleness {c}: given twice; give each column once"
                )));
            }
        }
        Ok(out)
    }

    /// How old (months) a measurement of `column` may be and still be carried forward.
    pub fn staleness_of(&self, column: &str) -> f64 {
        self.staleness
            .get(column)
            .copied()
            .unwrap_or(self.max_staleness)
    }

    /// The largest landmark, the scale of `landmark_1` (1 when it is 0).
    pub fn s_max(&self) -> f64 {
        match self.landmarks.last() {
            Some(&s) if s > 0.0 => s,
            _ => 1.0,
        }
    }
}

/// Follow-up columns of the cohort file.
#[derive(Debug, Clone, Copy)]
pub struct FollowUp<'a> {
    /// Time from the decision point to event or censoring (months).
    pub time: &'a str,
    /// 1 = event, 0 = censored.
    pub event: &'a str,
}

/// Where a patient's marker history lives: cohort row and visit rows (sorted by month).
struct History {
    cohort_row: usize,
    visits: Vec<usize>,
}

/// One measurement: a number or a label.
#[derive(Clone, Copy)]
enum Value<'a> {
    Num(f64),
    Text(&'a str),
}

/// A landmark (or scoring) data set.
#[derive(Debug, Clone)]
pub struct Stacked {
    /// The rows: `patient_id`, `landmark`, `landmark_1`, `landmark_2`, every cohort column
    /// (visit columns carried forward instead), the derived features, and with follow-up
    /// `residual_time`, `landmark_event`, `ipcw`.
    pub table: Table,
    /// Cohort row of each row (the cluster for robust standard errors and the bootstrap).
    pub patient: Vec<usize>,
    /// Landmark time of each row.
    pub landmark: Vec<f64>,
    /// Landmarks left without outcome (all their rows weight 0), and why: e.g. everyone still
    /// at risk was censored before the end of the window, so IPCW is undefined there.
    pub skipped: Vec<(f64, String)>,
}

impl Stacked {
    /// Point input problems found in the stacked rows (e.g. a carried-forward CTX of 0 under
    /// `log()`) to the patient and month they belong to: stacked rows are not file rows.
    pub fn locate(&self, err: Error) -> Error {
        let Error::InvalidInput(problems) = err else {
            return err;
        };
        let ids = self.table.text(&self.table.names[0]).ok();
        Error::InvalidInput(
            problems
                .into_iter()
                .map(|mut p| {
                    let i = p.row.and_then(|r| r.checked_sub(2));
                    if let (true, Some(i)) = (p.file == self.table.source, i) {
                        if let Some(s) = self.landmark.get(i) {
                            let id = ids
                                .and_then(|v| v.get(i).cloned().flatten())
                                .unwrap_or_default();
                            p.file = format!(
                                "{} (patient {id}, the value as known at month {s})",
                                self.table.source
                            );
                            p.row = None;
                        }
                    }
                    p
                })
                .collect(),
        )
    }

    /// IPCW weights (all 1 without follow-up columns).
    pub fn weights(&self) -> Vec<f64> {
        match self.table.num(WEIGHT) {
            Ok(w) => w.iter().map(|w| w.unwrap_or(0.0)).collect(),
            Err(_) => vec![1.0; self.table.nrows()],
        }
    }
}

/// Build the landmark data set: every landmark of `opts` for every patient at risk there
/// (`time > s`).
///
/// # Errors
/// Missing id, time or event columns; no patient at risk at any landmark. A landmark where
/// IPCW is undefined is kept without outcome and listed in [`Stacked::skipped`].
pub fn stack(
    cohort: &Table,
    visits: &Table,
    follow_up: FollowUp<'_>,
    opts: &LandmarkOptions,
) -> Result<Stacked> {
    opts.check()?;
    let time = cohort.num(follow_up.time)?;
    let event = cohort.num(follow_up.event)?;
    let mut points = Vec::new();
    for &s in &opts.landmarks {
        for i in 0..cohort.nrows() {
            if matches!(time[i], Some(t) if t > s) && event[i].is_some() {
                points.push((i, s));
            }
        }
    }
    check_at_risk(cohort, time, &points, opts)?;
    let mut st = build(cohort, visits, &points, opts)?;
    add_outcome(&mut st, time, event, opts)?;
    Ok(st)
}

/// Refuse landmarks that no patient reaches, and a window that no patient outlives: the model
/// would extrapolate past the data, or see events only (one outcome class) and say so in words
/// that point nowhere.
fn check_at_risk(
    cohort: &Table,
    time: &[Option<f64>],
    points: &[(usize, f64)],
    opts: &LandmarkOptions,
) -> Result<()> {
    let longest = time.iter().flatten().copied().fold(f64::NAN, f64::max);
    let longest_text = if longest.is_nan() {
        "no follow-up times".to_string()
    } else {
        format!("the longest follow-up is {longest} months")
    };
    let empty: Vec<String> = opts
        .landmarks
        .iter()
        .filter(|&&s| !points.iter().any(|&(_, p)| p == s))
        .map(|s| s.to_string())
        .collect();
    if !empty.is_empty() {
        let shown: Vec<&str> = empty.iter().take(8).map(String::as_str).collect();
        return Err(Error::Usage(format!(
            "landmarks: no patient of {} is event-free and under follow-up at month {}{} ({longest_text}); end the landmarks before it (--landmarks start:end:step)",
            cohort.source,
            shown.join(", "),
            if empty.len() > 8 { ", ..." } else { "" },
        )));
    }
    let outlives = points
        .iter()
        .any(|&(i, s)| time[i].is_some_and(|t| t > s + opts.window));
    if !outlives {
        return Err(Error::Usage(format!(
            "--window {}: no patient of {} is followed for longer than the window after any landmark ({longest_text}), so no one is known to be event-free at its end; choose a shorter window",
            opts.window, cohort.source
        )));
    }
    Ok(())
}

/// Rows at given `(cohort row, month)` points, e.g. every visit of every patient for
/// scoring: the same predictors as [`stack`], no outcome.
///
/// # Errors
/// A missing id column, or a visit for a patient absent from the cohort.
pub fn rows_at(
    cohort: &Table,
    visits: &Table,
    points: &[(usize, f64)],
    opts: &LandmarkOptions,
) -> Result<Stacked> {
    build(cohort, visits, points, opts)
}

/// `(cohort row, month)` of every visit (cohort order, then month), with month 0 (the
/// decision point) first for every patient.
///
/// # Errors
/// A missing id or month column; a visit for a patient absent from the cohort.
pub fn visit_points(
    cohort: &Table,
    visits: &Table,
    opts: &LandmarkOptions,
) -> Result<Vec<(usize, f64)>> {
    let hist = histories(cohort, visits, opts)?;
    let months = visits.num(&opts.month)?;
    let mut out = Vec::new();
    for h in &hist {
        out.push((h.cohort_row, 0.0));
        for &v in &h.visits {
            if let Some(m) = months[v] {
                if m > 0.0 {
                    out.push((h.cohort_row, m));
                }
            }
        }
    }
    Ok(out)
}

fn histories(cohort: &Table, visits: &Table, opts: &LandmarkOptions) -> Result<Vec<History>> {
    let cid = cohort.text(&opts.id)?;
    let vid = visits.text(&opts.id)?;
    let months = visits.num(&opts.month)?;
    let index: HashMap<&str, usize> = cid
        .iter()
        .enumerate()
        .filter_map(|(i, id)| Some((id.as_deref()?, i)))
        .collect();
    let mut hist: Vec<History> = (0..cohort.nrows())
        .map(|i| History {
            cohort_row: i,
            visits: Vec::new(),
        })
        .collect();
    for (v, id) in vid.iter().enumerate() {
        let Some(id) = id.as_deref() else { continue };
        let Some(&i) = index.get(id) else {
            return Err(Error::Usage(format!(
                "{} row {}: patient '{id}' is not in {}",
                visits.source,
                visits.row(v),
                cohort.source
            )));
        };
        hist[i].visits.push(v);
    }
    for h in &mut hist {
        h.visits.sort_by(|&a, &b| {
            months[a]
                .unwrap_or(0.0)
                .total_cmp(&months[b].unwrap_or(0.0))
        });
    }
    Ok(hist)
}

/// Measurements of one column for one patient at or before `s`, oldest first.
fn series<'a>(
    h: &History,
    s: f64,
    cohort_col: Option<&'a Column>,
    visit_col: Option<&'a Column>,
    months: &[Option<f64>],
) -> Vec<(f64, Value<'a>)> {
    let mut out = Vec::new();
    let get = |c: &'a Column, i: usize| -> Option<Value<'a>> {
        match c {
            Column::Num(v) => v[i].map(Value::Num),
            Column::Text(v) => v[i].as_deref().map(Value::Text),
        }
    };
    if let Some(v) = cohort_col.and_then(|c| get(c, h.cohort_row)) {
        out.push((0.0, v));
    }
    if let Some(c) = visit_col {
        for &v in &h.visits {
            let Some(m) = months[v] else { continue };
            if m > s {
                break;
            }
            if let Some(val) = get(c, v) {
                out.push((m, val));
            }
        }
    }
    out
}

fn build(
    cohort: &Table,
    visits: &Table,
    points: &[(usize, f64)],
    opts: &LandmarkOptions,
) -> Result<Stacked> {
    let hist = histories(cohort, visits, opts)?;
    let months = visits.num(&opts.month)?;
    let cid = cohort.text(&opts.id)?;
    let s_max = opts.s_max();
    // the landmark-time columns stay within [first, last landmark] (no extrapolation)
    let s_first = opts.landmarks.first().copied().unwrap_or(0.0);
    let s_last = opts.landmarks.last().copied().unwrap_or(f64::INFINITY);
    let s_in = |s: f64| s.max(s_first).min(s_last);
    let mut names: Vec<String> = vec![
        opts.id.clone(),
        LANDMARK.into(),
        LANDMARK_1.into(),
        LANDMARK_2.into(),
    ];
    let mut columns: Vec<Column> = vec![
        Column::Text(
            points
                .iter()
                .map(|&(i, _)| cid[i].as_deref().map(Text::from))
                .collect(),
        ),
        Column::Num(points.iter().map(|&(_, s)| Some(s_in(s))).collect()),
        Column::Num(points.iter().map(|&(_, s)| Some(s_in(s) / s_max)).collect()),
        Column::Num(
            points
                .iter()
                .map(|&(_, s)| Some((s_in(s) / s_max).powi(2)))
                .collect(),
        ),
    ];
    // Cohort columns, then visit-only columns; a column in the visits file is carried forward.
    let mut carried: Vec<&str> = cohort
        .names
        .iter()
        .map(String::as_str)
        .filter(|c| *c != opts.id)
        .collect();
    for c in &visits.names {
        if *c != opts.id && *c != opts.month && !carried.contains(&c.as_str()) {
            carried.push(c);
        }
    }
    let is_visit_col = |c: &str| c != opts.id && c != opts.month && visits.index(c).is_some();
    // LOCF value of a column at s, and its full history (for the derived features).
    // each name's cohort and visit column, looked up once (not per patient and landmark)
    type Sources<'t> = (Option<&'t Column>, Option<&'t Column>);
    let sources: std::collections::HashMap<&str, Sources<'_>> = cohort
        .names
        .iter()
        .chain(&visits.names)
        .map(|c| {
            let cc = cohort.index(c).map(|j| &cohort.columns[j]);
            let vc = if is_visit_col(c) {
                visits.index(c).map(|j| &visits.columns[j])
            } else {
                None
            };
            (c.as_str(), (cc, vc))
        })
        .collect();
    let at = |c: &str, i: usize, s: f64| -> Vec<(f64, Value<'_>)> {
        let (cc, vc) = sources.get(c).copied().unwrap_or((None, None));
        series(&hist[i], s, cc, vc, months)
    };
    let fresh = |c: &str, hist: &[(f64, Value<'_>)], s: f64| -> Option<usize> {
        let k = hist.len().checked_sub(1)?;
        (s - hist[k].0 <= opts.staleness_of(c) + 1e-9).then_some(k)
    };
    for &c in &carried {
        if !is_visit_col(c) {
            let j = cohort.index(c).unwrap_or(0);
            let col = match &cohort.columns[j] {
                Column::Num(v) => Column::Num(points.iter().map(|&(i, _)| v[i]).collect()),
                Column::Text(v) => {
                    Column::Text(points.iter().map(|&(i, _)| v[i].clone()).collect())
                }
            };
            names.push(c.to_string());
            columns.push(col);
            continue;
        }
        let numeric = match visits.column(c)? {
            Column::Num(_) => cohort
                .index(c)
                .is_none_or(|j| matches!(cohort.columns[j], Column::Num(_))),
            Column::Text(_) => false,
        };
        // the patients' landmarks in parallel, in order
        let latest = |i: usize, s: f64| -> Option<Value<'_>> {
            let h = at(c, i, s);
            fresh(c, &h, s).map(|k| h[k].1)
        };
        names.push(c.to_string());
        columns.push(if numeric {
            Column::Num(
                points
                    .par_iter()
                    .map(|&(i, s)| match latest(i, s) {
                        Some(Value::Num(x)) => Some(x),
                        _ => None,
                    })
                    .collect(),
            )
        } else {
            Column::Text(
                points
                    .par_iter()
                    .map(|&(i, s)| match latest(i, s) {
                        Some(Value::Text(t)) => Some(Text::from(t)),
                        Some(Value::Num(x)) => Some(Text::from(x.to_string())),
                        None => None,
                    })
                    .collect(),
            )
        });
    }
    let visit_only: Vec<(String, bool)> = visits
        .names
        .iter()
        .filter(|c| is_visit_col(c) && !MM_MARKERS.contains(&c.as_str()))
        .map(|c| {
            let numeric = names
                .iter()
                .position(|n| n == c)
                .is_some_and(|j| matches!(columns[j], Column::Num(_)));
            (c.clone(), numeric)
        })
        .collect();
    derived(&mut names, &mut columns, points, opts, &at, &fresh);
    generic_features(
        &mut names,
        &mut columns,
        points,
        opts,
        &visit_only,
        &at,
        &fresh,
    );
    Ok(Stacked {
        table: Table {
            source: format!("landmark data of {} and {}", cohort.source, visits.source),
            names,
            columns,
            lines: Vec::new(),
        },
        patient: points.iter().map(|&(i, _)| i).collect(),
        landmark: points.iter().map(|&(_, s)| s).collect(),
        skipped: Vec::new(),
    })
}

/// Visit columns with the MM profile's own features (their generic ones are not made).
const MM_MARKERS: [&str; 5] = ["ctx_ng_ml", "p1np_ng_ml", "mrd", "ctdna", "pet"];

/// The landmark features of any visit column `X` (other than the MM markers): for a numeric
/// one `X_nadir`, `X_change_pct` (current against the nadir, when the nadir is > 0),
/// `X_change_prev_pct` (the two latest measurements), with an LSC (`--lsc X=PCT`)
/// `X_above_lsc` and `X_rise_lsc`; for any `months_since_X` (since the latest measurement,
/// stale or not); for one with a `--positive X=LEVEL`, `X_conversion` (1 when that level
/// follows another one). A name the data already have is not made again.
#[allow(clippy::too_many_arguments)]
fn generic_features<'a, A, F>(
    names: &mut Vec<String>,
    columns: &mut Vec<Column>,
    points: &[(usize, f64)],
    opts: &LandmarkOptions,
    visit_cols: &[(String, bool)],
    at: &A,
    fresh: &F,
) where
    A: Fn(&str, usize, f64) -> Vec<(f64, Value<'a>)> + Sync,
    F: Fn(&str, &[(f64, Value<'a>)], f64) -> Option<usize> + Sync,
{
    let mut push = |name: String, f: &(dyn Fn(usize, f64) -> Option<f64> + Sync)| {
        if names.contains(&name) {
            return;
        }
        let v: Vec<Option<f64>> = points.par_iter().map(|&(i, s)| f(i, s)).collect();
        names.push(name);
        columns.push(Column::Num(v));
    };
    for (x, numeric) in visit_cols {
        let x = x.as_str();
        if *numeric {
            let current = |i: usize, s: f64| -> Option<f64> {
                let h = at(x, i, s);
                fresh(x, &h, s).and_then(|k| num_of(&h[k].1))
            };
            let nadir = |i: usize, s: f64| -> Option<f64> {
                at(x, i, s)
                    .iter()
                    .filter_map(|(_, v)| num_of(v))
                    .min_by(f64::total_cmp)
            };
            let change = |i: usize, s: f64| -> Option<f64> {
                let (c, m) = (current(i, s)?, nadir(i, s)?);
                (m > 0.0).then(|| 100.0 * (c / m - 1.0))
            };
            let change_prev = |i: usize, s: f64| -> Option<f64> {
                let h = at(x, i, s);
                let k = fresh(x, &h, s)?;
                let cur = num_of(&h[k].1)?;
                let prev = h[..k].iter().rev().find_map(|(_, v)| num_of(v))?;
                (prev > 0.0).then(|| 100.0 * (cur / prev - 1.0))
            };
            push(format!("{x}_nadir"), &nadir);
            push(format!("{x}_change_pct"), &change);
            push(format!("{x}_change_prev_pct"), &change_prev);
            if let Some(&lsc) = opts.lsc.get(x) {
                let lsc = 100.0 * lsc;
                push(format!("{x}_above_lsc"), &|i, s| {
                    change(i, s).map(|c| f64::from(c > lsc))
                });
                push(format!("{x}_rise_lsc"), &|i, s| {
                    let h = at(x, i, s);
                    fresh(x, &h, s)?;
                    Some(change_prev(i, s).map_or(0.0, |c| f64::from(c > lsc)))
                });
            }
        }
        // numbers compare as they are written (`--positive ascites=1`), as the check of the
        // flag lists them
        if let Some(to) = opts.positive.get(x) {
            push(format!("{x}_conversion"), &|i, s| {
                let h = at(x, i, s);
                if h.is_empty() {
                    return None;
                }
                let mut other = false;
                for (_, v) in &h {
                    let t = match v {
                        Value::Text(t) => (*t).to_string(),
                        Value::Num(n) => format!("{n}"),
                    };
                    if t != *to {
                        other = true;
                    } else if other {
                        return Some(1.0);
                    }
                }
                Some(0.0)
            });
        }
        push(format!("months_since_{x}"), &|i, s| {
            at(x, i, s).last().map(|(m, _)| s - m)
        });
    }
}

fn num_of(v: &Value<'_>) -> Option<f64> {
    match v {
        Value::Num(x) => Some(*x),
        Value::Text(_) => None,
    }
}

/// 1 when a `to` label follows a `from` label in the history, 0 when the history has any
/// label, missing when it has none.
fn conversion(h: &[(f64, Value<'_>)], from: &str, to: &str) -> Option<f64> {
    if h.is_empty() {
        return None;
    }
    let mut seen_from = false;
    for (_, v) in h {
        if let Value::Text(t) = v {
            if *t == from {
                seen_from = true;
            } else if *t == to && seen_from {
                return Some(1.0);
            }
        }
    }
    Some(0.0)
}

fn derived<'a, A, F>(
    names: &mut Vec<String>,
    columns: &mut Vec<Column>,
    points: &[(usize, f64)],
    opts: &LandmarkOptions,
    at: &A,
    fresh: &F,
) where
    A: Fn(&str, usize, f64) -> Vec<(f64, Value<'a>)> + Sync,
    F: Fn(&str, &[(f64, Value<'a>)], f64) -> Option<usize> + Sync,
{
    let has = |c: &str| names.iter().any(|n| n == c);
    let (has_ctx, has_p1np, has_mrd, has_ctdna, has_pet) = (
        has("ctx_ng_ml"),
        has("p1np_ng_ml"),
        has("mrd"),
        has("ctdna"),
        has("pet"),
    );
    let mut push = |name: &str, f: &(dyn Fn(usize, f64) -> Option<f64> + Sync)| {
        let v: Vec<Option<f64>> = points.par_iter().map(|&(i, s)| f(i, s)).collect();
        names.push(name.to_string());
        columns.push(Column::Num(v));
    };
    let current = |c: &str, i: usize, s: f64| -> Option<f64> {
        let h = at(c, i, s);
        fresh(c, &h, s).and_then(|k| num_of(&h[k].1))
    };
    let nadir = |i: usize, s: f64| -> Option<f64> {
        at("ctx_ng_ml", i, s)
            .iter()
            .filter_map(|(_, v)| num_of(v))
            .filter(|v| *v > 0.0)
            .min_by(f64::total_cmp)
    };
    let change = |i: usize, s: f64| -> Option<f64> {
        let (c, m) = (current("ctx_ng_ml", i, s)?, nadir(i, s)?);
        Some(100.0 * (c / m - 1.0))
    };
    if has_ctx {
        push("ctx_nadir_ng_ml", &nadir);
        push("ctx_change_pct", &change);
        let lsc = 100.0 * opts.ctx_lsc;
        push("ctx_above_lsc", &|i, s| {
            change(i, s).map(|c| f64::from(c > lsc))
        });
        // Change between the two latest measurements (the latest one fresh): the serial
        // comparison the LSC is defined for.
        let change_prev = |i: usize, s: f64| -> Option<f64> {
            let h = at("ctx_ng_ml", i, s);
            let k = fresh("ctx_ng_ml", &h, s)?;
            let cur = num_of(&h[k].1)?;
            let prev = h[..k].iter().rev().find_map(|(_, v)| num_of(v))?;
            (prev > 0.0).then(|| 100.0 * (cur / prev - 1.0))
        };
        push("ctx_change_prev_pct", &change_prev);
        // A fresh measurement with none before it shows no rise: 0, not missing.
        push("ctx_rise_lsc", &|i, s| {
            let h = at("ctx_ng_ml", i, s);
            fresh("ctx_ng_ml", &h, s)?;
            Some(change_prev(i, s).map_or(0.0, |c| f64::from(c > lsc)))
        });
    }
    if has_mrd {
        push("mrd_conversion", &|i, s| {
            conversion(&at("mrd", i, s), "negative", "positive")
        });
    }
    if has_ctdna {
        push("ctdna_conversion", &|i, s| {
            conversion(&at("ctdna", i, s), "not_detected", "detected")
        });
    }
    if has_pet {
        push("months_since_pet", &|i, s| {
            at("pet", i, s).last().map(|(m, _)| s - m)
        });
    }
    if has_ctx && has_p1np {
        push("p1np_ctx_ratio", &|i, s| {
            let c = current("ctx_ng_ml", i, s)?;
            let p = current("p1np_ng_ml", i, s)?;
            (c > 0.0).then(|| p / c)
        });
    }
}

/// Residual time, window outcome and IPCW weights, landmark by landmark.
fn add_outcome(
    st: &mut Stacked,
    time: &[Option<f64>],
    event: &[Option<f64>],
    opts: &LandmarkOptions,
) -> Result<()> {
    let n = st.patient.len();
    let mut residual = vec![None; n];
    let mut outcome = vec![None; n];
    let mut weight = vec![None; n];
    for &s in &opts.landmarks {
        let rows: Vec<usize> = (0..n).filter(|&r| st.landmark[r] == s).collect();
        if rows.is_empty() {
            continue;
        }
        let t: Vec<f64> = rows
            .iter()
            .map(|&r| time[st.patient[r]].unwrap_or(0.0) - s)
            .collect();
        let e: Vec<bool> = rows
            .iter()
            .map(|&r| event[st.patient[r]] == Some(1.0))
            .collect();
        let w = match ipcw_weights(&t, &e, opts.window) {
            Ok(w) => w,
            Err(err) => {
                // Undefined weights (e.g. nobody followed past the window): the landmark's
                // rows stay in the data without outcome and weight 0.
                st.skipped.push((s, err.to_string()));
                for (k, &r) in rows.iter().enumerate() {
                    residual[r] = Some(t[k]);
                    weight[r] = Some(0.0);
                }
                continue;
            }
        };
        for (k, &r) in rows.iter().enumerate() {
            residual[r] = Some(t[k]);
            weight[r] = Some(w[k]);
            outcome[r] = if e[k] && t[k] <= opts.window {
                Some(1.0)
            } else if t[k] > opts.window {
                Some(0.0)
            } else {
                None
            };
        }
    }
    for (name, col) in [
        (RESIDUAL_TIME, residual),
        (OUTCOME, outcome),
        (WEIGHT, weight),
    ] {
        st.table.names.push(name.to_string());
        st.table.columns.push(Column::Num(col));
    }
    Ok(())
}
