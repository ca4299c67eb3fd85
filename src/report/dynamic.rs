//! The report's dynamic section: the landmark super-model, its validation per landmark, the
//! restart policies, and individual risk trajectories with marker values and trigger points.

use serde::Serialize;

use crate::compare::restart::{
    compare_restart, model_alarm, restart_data, rule_alarm, PatientVisits, RestartComparison,
};
use crate::error::{Error, Result};
use crate::model::fit::Model;
use crate::model::landmark::{fit_dynamic, LandmarkOptions};
use crate::model::logistic::FitOptions;
use crate::plot::{
    calibration_plot, trajectory_plot, CalibrationPlotData, CurvePoint, Figure, GroupPoint,
    MarkerSeries, TrajectoryData,
};
use crate::table::Table;
use crate::validation::dynamic::{validate_dynamic, DynamicValidation};

/// Risk threshold of the model's restart alarm shown in the report and the trajectories.
pub const RESTART_THRESHOLD: f64 = 0.10;

/// The computed dynamic section.
#[derive(Debug, Serialize)]
pub struct DynamicReport {
    /// The landmark super-model.
    #[serde(skip)]
    pub model: Model,
    /// Validation per landmark and pooled.
    pub validation: DynamicValidation,
    /// Restart policies against the model.
    pub restart: RestartComparison,
    /// Figures by file stem (trajectories).
    #[serde(skip)]
    pub figures: Vec<(&'static str, Figure)>,
    /// Warnings about the triggers (true at no visit or at every one, ...).
    #[serde(skip)]
    pub warnings: Vec<String>,
}

/// How the dynamic section is computed.
#[derive(Debug, Clone)]
pub struct DynamicOptions {
    /// How the landmark rows are built (its `id` and `month` are replaced by the study's).
    pub landmark: LandmarkOptions,
    /// Restart triggers compared with the model.
    pub triggers: Vec<crate::rules::Rule>,
    /// Bootstrap replicates (validation and restart intervals).
    pub bootstrap: usize,
    /// Seed of every random step.
    pub seed: u64,
    /// Name patients by their identifiers in trajectory titles.
    pub show_ids: bool,
}

/// Fit, validate and compare the dynamic model of `formula` on `cohort` and `visits`.
///
/// # Errors
/// As [`fit_dynamic`], [`validate_dynamic`], [`compare_restart`]; plotting failures.
pub fn build_dynamic(
    cohort: &Table,
    visits: &Table,
    formula: &str,
    opts: &DynamicOptions,
    study: &crate::study::Study,
) -> Result<DynamicReport> {
    let (bootstrap, seed, show_ids) = (opts.bootstrap, opts.seed, opts.show_ids);
    let landmark = LandmarkOptions {
        id: study.id.clone(),
        month: study.visit_time.clone(),
        ..opts.landmark.clone()
    };
    let fit_opts = FitOptions {
        units: study.units.clone(),
        ..FitOptions::default()
    };
    let fit = fit_dynamic(cohort, visits, formula, &landmark, &fit_opts)?;
    let model = fit.model;
    let validation = validate_dynamic(&model, cohort, visits, bootstrap, seed)?;
    let mut data = restart_data(&model, cohort, visits, &opts.triggers)?;
    data.per_year = study.per_year();
    let restart = compare_restart(&data, RESTART_THRESHOLD, bootstrap, seed)?;
    let window = data.window;
    // Two example patients: the first with an event caught by the model's alarm (at least 4
    // scored visits), the first event-free patient with at least 6 scored visits.
    let scored = |p: &PatientVisits| p.risk.iter().filter(|r| r.is_finite()).count();
    let alarm = |p: &PatientVisits| p.first_alarm(model_alarm(RESTART_THRESHOLD));
    let with_event = data.patients.iter().find(|p| {
        p.event && scored(p) >= 4 && alarm(p).is_some_and(|a| a < p.time && p.time - a <= window)
    });
    let without = data.patients.iter().find(|p| !p.event && scored(p) >= 6);
    let mut figures = vec![(
        "dynamic_calibration",
        calibration_figure(&validation, &data, study)?,
    )];
    for (stem, pseudonym, p) in [
        ("trajectory_event", "A", with_event),
        ("trajectory_no_event", "B", without),
    ] {
        if let Some(p) = p {
            let name = if show_ids { p.id.as_str() } else { pseudonym };
            figures.push((
                stem,
                trajectory_plot(&trajectory(p, &data, visits, window, name, study, &model)?)?,
            ));
        }
    }
    Ok(DynamicReport {
        model,
        validation,
        restart,
        figures,
        warnings: data.warnings.clone(),
    })
}

/// Calibration of the pooled landmark rows: the IPCW spline curve and the Kaplan-Meier risk of
/// tenths of predicted risk; histograms of the visit risks of patients with and without an
/// event.
fn calibration_figure(
    v: &DynamicValidation,
    d: &crate::compare::restart::RestartData,
    study: &crate::study::Study,
) -> Result<Figure> {
    let curve = v
        .calibration
        .curve
        .iter()
        .map(|&(p, o)| CurvePoint {
            predicted: p,
            observed: o.clamp(0.0, 1.0),
            ci_low: o.clamp(0.0, 1.0),
            ci_high: o.clamp(0.0, 1.0),
        })
        .collect();
    let groups = v
        .calibration
        .groups
        .iter()
        .filter(|g| g.observed.is_finite())
        .map(|g| GroupPoint {
            mean_predicted: g.mean_predicted,
            observed: g.observed.clamp(0.0, 1.0),
            ci_low: g.observed.clamp(0.0, 1.0),
            ci_high: g.observed.clamp(0.0, 1.0),
            n: g.n,
            events: g.events,
        })
        .collect();
    let risks = |event: bool| -> Vec<f64> {
        d.patients
            .iter()
            .filter(|p| p.event == event)
            .flat_map(|p| p.risk.iter().copied().filter(|r| r.is_finite()))
            .collect()
    };
    let p = &v.pooled;
    let (up, down) = (risks(true), risks(false));
    // the histograms count visits, not the landmark rows' events of the caption
    let histogram_labels = Some((
        format!("With event: {} visits", up.len()),
        format!("Without: {} visits", down.len()),
    ));
    Ok(calibration_plot(&CalibrationPlotData {
        curve,
        groups,
        corrected: Vec::new(),
        rules: Vec::new(),
        predicted_events: up,
        predicted_non_events: down,
        title: format!(
            "Calibration of the {}-{} risk, all landmarks pooled (IPCW)",
            v.window,
            study.time_unit.trim_end_matches('s')
        ),
        caption: format!(
            "{} landmark rows, {} events in the window. Curve: IPCW-weighted logistic regression on a spline of logit(risk); points: tenths of risk, Kaplan-Meier observed; histograms: risks at visits of patients with (up) and without (down) an event.",
            p.n, p.events_in_window
        ),
        stats_text: vec![
            format!("AUC = {:.3}", p.auc),
            format!("slope = {:.2}", p.calibration_slope),
            format!("O/E = {:.2}", p.oe_ratio),
        ],
        horizon: format!("{}-{}", v.window, study.time_unit.trim_end_matches('s')),
        event: study.event_name.clone(),
        histogram_labels,
        rule_label: String::new(),
    })?)
}

/// One marker's measurements of a patient from the visits file.
fn marker(
    visits: &Table,
    study: &crate::study::Study,
    id: &str,
    column: &str,
    name: &str,
    unit: &str,
) -> Option<MarkerSeries> {
    let ids = visits.text(&study.id).ok()?;
    let months = visits.num(&study.visit_time).ok()?;
    let values = visits.num(column).ok()?;
    let (m, v): (Vec<f64>, Vec<f64>) = (0..visits.nrows())
        .filter(|&i| ids[i].as_deref() == Some(id))
        .filter_map(|i| Some((months[i]?, values[i]?)))
        .unzip();
    (!m.is_empty()).then(|| MarkerSeries {
        name: name.into(),
        unit: unit.into(),
        months: m,
        values: v,
    })
}

/// The trajectory of patient `p`, titled with `name` (a pseudonym unless ids are shown).
#[allow(clippy::too_many_arguments)]
fn trajectory(
    p: &PatientVisits,
    data: &crate::compare::restart::RestartData,
    visits: &Table,
    window: f64,
    name: &str,
    study: &crate::study::Study,
    model: &Model,
) -> Result<TrajectoryData> {
    let keep: Vec<usize> = (0..p.months.len())
        .filter(|&k| p.risk[k].is_finite())
        .collect();
    if keep.is_empty() {
        return Err(Error::Analysis(format!(
            "patient {} has no scored visit",
            p.id
        )));
    }
    // the first two triggers (the MM ones under their clinical names) and the model
    let label = |name: &str| match name {
        "mrd_conversion" => "MRD conversion".to_string(),
        "ctx_rise_lsc" => "CTX rise > LSC".to_string(),
        n => n.to_string(),
    };
    let mut firsts: Vec<(String, Option<f64>)> = data
        .triggers
        .iter()
        .enumerate()
        .take(2)
        .map(|(t, r)| (label(&r.name), p.first_alarm(rule_alarm(t))))
        .collect();
    firsts.push((
        format!("model risk >= {RESTART_THRESHOLD}"),
        p.first_alarm(model_alarm(RESTART_THRESHOLD)),
    ));
    let triggers = firsts
        .into_iter()
        .filter_map(|(label, month)| month.map(|m| (label, m)))
        .collect();
    // the bone-turnover markers (MM), or the numeric visit columns the model reads
    let mm: Vec<(String, String, String)> = [("ctx_ng_ml", "CTX-I"), ("p1np_ng_ml", "P1NP")]
        .iter()
        .filter_map(|(role, name)| {
            let c = study.column(role)?;
            // the file's values as they are: in the study's unit when it gives one
            let unit = study
                .unit_names
                .get(c)
                .cloned()
                .unwrap_or_else(|| "ng/mL".to_string());
            visits
                .index(c)
                .map(|_| (c.to_string(), name.to_string(), unit))
        })
        .collect();
    let shown = if mm.is_empty() {
        model_visit_columns(model, visits, study)
    } else {
        mm
    };
    let markers = shown
        .iter()
        .filter_map(|(c, name, unit)| marker(visits, study, &p.id, c, name, unit))
        .collect();
    Ok(TrajectoryData {
        patient_id: name.to_string(),
        // every visit: the line breaks where the model gave no risk
        months: p.months.clone(),
        risk: p.risk.clone(),
        markers,
        triggers,
        event_month: p.event.then_some(p.time),
        threshold: Some(RESTART_THRESHOLD),
        event_label: crate::study::capitalized(&study.event_name),
        time_title: if study.is_mm() {
            "Months since decision point".into()
        } else {
            format!(
                "{} since the start of follow-up",
                crate::study::capitalized(&study.time_unit)
            )
        },
        caption: format!(
            "Risk of {} {} within {window} {unit} after each visit (dynamic model); {}",
            article(&study.event_name),
            study.event_name,
            if p.event {
                format!("{} at {:.1} {}", study.event_name, p.time, study.time_unit)
            } else {
                format!("event-free, followed {:.1} {}", p.time, study.time_unit)
            },
            unit = study.time_unit
        ),
    })
}

/// Up to two numeric visit columns the dynamic model's formula reads: (column, name, unit).
fn model_visit_columns(
    model: &Model,
    visits: &Table,
    study: &crate::study::Study,
) -> Vec<(String, String, String)> {
    let Some(f) = model
        .dynamic
        .as_ref()
        .and_then(|d| crate::formula::parse(&d.formula).ok())
    else {
        return Vec::new();
    };
    let mut cols: Vec<(String, String, String)> = Vec::new();
    for c in f.columns() {
        let numeric = visits
            .index(c)
            .is_some_and(|j| matches!(visits.columns[j], crate::table::Column::Num(_)));
        if numeric && c != study.visit_time && !cols.iter().any(|x| x.0 == c) {
            cols.push((c.to_string(), c.to_string(), String::new()));
        }
    }
    cols.truncate(2);
    cols
}

/// "a" or "an" before `word`.
pub(crate) fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}
