//! `report`: fit, internal validation, comparison with the rules and every plot, computed
//! into one [`Report`] value; [`Report::write`] then writes the files and the HTML.

use std::path::{Path, PathBuf};

use crate::cohort::{load_cohort, load_visits, summarise, CohortSummary};
use crate::compare::{compare_cohort, read_oracle, CohortCompare, CompareOptions, Comparison};
use crate::design::MissingPolicy;
use crate::error::{Error, Result};
use crate::metrics::{roc_curve, wilson_interval};
use crate::model::fit::{fit_model, Model};
use crate::model::logistic::{FitOptions, Penalty};
use crate::model::persist;
use crate::plot::{
    calibration_plot, decision_curve_plot, risk_distribution_plot, roc_plot, CalibrationPlotData,
    CurvePoint, DecisionCurveData, Figure, GroupPoint, NetBenefitSeries, RiskDistributionData,
    RocCurve, RocPlotData, RulePoint, RulePointRoc, SeriesKind,
};
use crate::rules::Rule;
use crate::study::{Study, StudyFile};
use crate::validation::{validate_model, ValidateOptions, Validation};

/// Everything the report needs from the user.
#[derive(Debug, Clone)]
pub struct ReportSettings {
    /// Cohort file.
    pub data: PathBuf,
    /// The study description (flags over a study file), resolved against the cohort's header.
    pub study: StudyFile,
    /// Visits file, summarised in the data section when given.
    pub visits: Option<PathBuf>,
    /// Static model formula: a 0/1 outcome (logistic) or `Surv(time, event)` (Cox, with
    /// `horizon`); none for a report of the dynamic model only.
    pub formula: Option<String>,
    /// Horizon of a Cox model's risk (unit of its time column).
    pub horizon: Option<f64>,
    /// Penalty of the fit.
    pub penalty: Penalty,
    /// Bootstrap replicates for validation and comparison CIs.
    pub bootstrap: usize,
    /// Seed of every random step.
    pub seed: u64,
    /// Rules to compare with; none: the built-in rules in the MM profile, no rule otherwise.
    pub rules: Vec<Rule>,
    /// Simulator truth (oracle comparison), simulated data only.
    pub truth: Option<PathBuf>,
    /// Formula of the dynamic landmark model (`Surv(time, event) ~ ...`); with `visits`, adds
    /// the dynamic section.
    pub dynamic_formula: Option<String>,
    /// How the dynamic model's landmark rows are built (identifier and visit time: the
    /// study's).
    pub landmark: crate::model::landmark::LandmarkOptions,
    /// Restart triggers; none: the MM triggers in the MM profile, no trigger otherwise.
    pub triggers: Vec<Rule>,
    /// Show patients' own identifiers in the report (trajectory titles); by default they are
    /// pseudonyms (`patient A`, `patient B`), so a shared report names no one.
    pub show_ids: bool,
}

/// A computed report: results and figures, ready to write.
#[derive(Debug)]
pub struct Report {
    /// The settings it was computed with.
    pub settings: ReportSettings,
    /// The study resolved against the cohort: its columns and words.
    pub study: Study,
    /// Cohort summary (data and missing-data sections).
    pub summary: CohortSummary,
    /// Non-fatal input findings.
    pub warnings: Vec<String>,
    /// The static model's part, when a static formula with a 0/1 outcome was given.
    pub static_part: Option<StaticReport>,
    /// The Cox model's part, when a static formula with a `Surv(time, event)` outcome was
    /// given.
    pub cox_part: Option<CoxReport>,
    /// The dynamic section, when visits and a dynamic formula were given.
    pub dynamic: Option<super::dynamic::DynamicReport>,
}

/// The static model's part of a report.
#[derive(Debug)]
pub struct StaticReport {
    /// The fitted model.
    pub model: Model,
    /// Apparent and optimism-corrected performance.
    pub validation: Validation,
    /// Model versus rules.
    pub comparison: Comparison,
    /// Figures by file stem.
    pub figures: Vec<(&'static str, Figure)>,
}

/// The Cox model's part of a report: risk by a horizon, every patient used.
#[derive(Debug)]
pub struct CoxReport {
    /// The fitted model.
    pub model: Model,
    /// The horizon of the risk.
    pub horizon: f64,
    /// Apparent and optimism-corrected performance at the horizon.
    pub validation: crate::validation::cox::CoxValidation,
    /// Model versus rules at the horizon (Kaplan-Meier and IPCW).
    pub comparison: crate::compare::censored::CensoredComparison,
    /// Figures by file stem.
    pub figures: Vec<(&'static str, Figure)>,
}

/// Compute the whole report.
///
/// # Errors
/// Input errors (exit 2) and analysis failures (exit 1) of every stage.
pub fn build_report(settings: &ReportSettings, progress: &(dyn Fn() + Sync)) -> Result<Report> {
    let cohort = load_cohort(&settings.data, &settings.study)?;
    let visits = settings
        .visits
        .as_deref()
        .map(|p| load_visits(p, Some(&cohort), &cohort.study))
        .transpose()?;
    let study = cohort.study.clone();
    let rules = if settings.rules.is_empty() && study.is_mm() {
        Rule::parse_list(&[])?
    } else {
        settings.rules.clone()
    };
    let mut warnings: Vec<String> = cohort.warnings.iter().map(|w| w.to_string()).collect();
    if let Some(v) = &visits {
        warnings.extend(v.warnings.iter().map(|w| w.to_string()));
    }
    let summary = summarise(&cohort, visits.as_ref())?;
    let table = &cohort.table;
    let is_surv = match &settings.formula {
        Some(f) => matches!(
            crate::formula::parse(f)?.response,
            crate::formula::Response::Surv { .. }
        ),
        None => false,
    };
    if settings.horizon.is_some() && !is_surv {
        return Err(Error::Usage(
            "--horizon is the horizon of a Cox model's risk: give --formula \"Surv(time, event) ~ ...\" (a 0/1 outcome has its horizon in its definition)".into(),
        ));
    }
    let mut cox_part = None;
    let static_part = match &settings.formula {
        Some(formula) if is_surv => {
            let part = cox_report(settings, &study, table, formula, &rules, progress)?;
            warnings.extend(part.comparison.warnings.iter().cloned());
            cox_part = Some(part);
            None
        }
        Some(formula) => {
            let part = static_report(settings, &study, table, formula, &rules, progress)?;
            warnings.extend(part.comparison.warnings.iter().cloned());
            Some(part)
        }
        None if settings.dynamic_formula.is_none() => {
            return Err(Error::Usage(
                "a report needs a model: give --formula (a 0/1 outcome), --dynamic-formula with --visits, or both".into(),
            ))
        }
        None => None,
    };
    let dynamic = match (&settings.dynamic_formula, &visits) {
        (Some(f), Some(v)) => Some(super::dynamic::build_dynamic(
            table,
            &v.table,
            f,
            &super::dynamic::DynamicOptions {
                landmark: settings.landmark.clone(),
                triggers: if settings.triggers.is_empty() && study.is_mm() {
                    Rule::mm_triggers()
                } else {
                    settings.triggers.clone()
                },
                bootstrap: settings.bootstrap,
                seed: settings.seed,
                show_ids: settings.show_ids,
            },
            &study,
        )?),
        (Some(_), None) => {
            return Err(Error::Usage(
                "a dynamic formula needs the visits file (--visits)".into(),
            ))
        }
        _ => None,
    };
    if let Some(d) = &dynamic {
        warnings.extend(d.warnings.iter().cloned());
    }
    Ok(Report {
        settings: settings.clone(),
        study,
        summary,
        warnings,
        static_part,
        cox_part,
        dynamic,
    })
}

/// Fit, validate and compare the Cox model of `formula` at the settings' horizon, and draw
/// its plots.
fn cox_report(
    settings: &ReportSettings,
    study: &Study,
    table: &crate::table::Table,
    formula: &str,
    rules: &[Rule],
    progress: &(dyn Fn() + Sync),
) -> Result<CoxReport> {
    let Some(horizon) = settings.horizon else {
        return Err(Error::Usage(format!(
            "'{formula}' is a Cox model: give the horizon of its risk with --horizon H (in the unit of its time column)"
        )));
    };
    let fit_opts = FitOptions {
        penalty: settings.penalty.clone(),
        units: study.units.clone(),
        ..FitOptions::default()
    };
    let model = crate::model::fit::fit_any(
        table,
        formula,
        &fit_opts,
        crate::survival::cox::Ties::Efron,
        MissingPolicy::Drop,
    )?;
    let validation = crate::validation::cox::validate_cox(
        &model,
        table,
        horizon,
        settings.bootstrap,
        crate::validation::calibrate::DEFAULT_GROUP_SIZE,
        settings.seed,
        progress,
    )?;
    let oracle = match &settings.truth {
        Some(p) if horizon == 24.0 => Some(read_oracle(p, table)?),
        Some(_) => {
            return Err(Error::Usage(format!(
                "--truth holds the true risk by 24 months; the report's horizon is {horizon}"
            )))
        }
        None => None,
    };
    let copts = CompareOptions {
        bootstrap: settings.bootstrap,
        seed: settings.seed,
        ..CompareOptions::default()
    };
    let setup = CohortCompare {
        rules: rules.to_vec(),
        oracle,
    };
    let mut comparison =
        crate::compare::compare_cohort_censored(&model, table, &setup, &copts, horizon)?;
    comparison.words = crate::compare::CompareWords::of(study);
    let figures = cox_figures(study, rules, horizon, &validation, Some(&comparison))?;
    Ok(CoxReport {
        model,
        horizon,
        validation,
        comparison,
        figures,
    })
}

/// The plots of a Cox model at a horizon: calibration (smoothed curve and Kaplan-Meier by
/// tenths of risk, with the patients each rule stops when a comparison is given) and, with a
/// comparison, the decision curve. Used by `report` and `validate`.
///
/// # Errors
/// Plotting failures.
pub fn cox_figures(
    study: &Study,
    rules: &[Rule],
    horizon: f64,
    v: &crate::validation::cox::CoxValidation,
    c: Option<&crate::compare::censored::CensoredComparison>,
) -> Result<Vec<(&'static str, Figure)>> {
    let h = crate::design::format_level(horizon);
    // a study without a time unit says "time 1825", not "1825 time units"
    let generic_unit = study.time_unit == crate::study::GENERIC_TIME_UNIT;
    let by = if generic_unit {
        format!("time {h}")
    } else {
        format!("{h} {}", study.time_unit)
    };
    let a = &v.apparent;
    let rule_points: Vec<RulePoint> = c
        .into_iter()
        .flat_map(|c| c.rules.iter())
        .map(|r| RulePoint {
            name: r.rule.clone(),
            mean_predicted: r.mean_score_stopped,
            observed: r.policy.risk_stopped,
            ci_low: r.policy.risk_stopped,
            ci_high: r.policy.risk_stopped,
            n: r.policy.stopped,
        })
        .filter(|r| r.mean_predicted.is_finite() && r.observed.is_finite())
        .collect();
    let calib = CalibrationPlotData {
        curve: v
            .calibration_curve
            .iter()
            .map(|p| CurvePoint {
                predicted: p.predicted,
                observed: p.observed,
                ci_low: p.observed,
                ci_high: p.observed,
            })
            .collect(),
        groups: v
            .calibration
            .iter()
            .filter(|g| g.observed.is_finite())
            .map(|g| GroupPoint {
                mean_predicted: g.mean_predicted,
                observed: g.observed,
                ci_low: g.ci_low,
                ci_high: g.ci_high,
                n: g.n,
                events: g.events,
            })
            .collect(),
        // the bootstrap's overfitting-corrected curve (calibrate.cph), where measured
        corrected: v
            .calibrate
            .iter()
            .flat_map(|c| c.curve.iter())
            .filter(|p| p.observed_corrected.is_finite())
            .map(|p| (p.predicted, p.observed_corrected.clamp(0.0, 1.0)))
            .collect(),
        predicted_events: Vec::new(),
        predicted_non_events: Vec::new(),
        title: format!(
            "Calibration of the risk by {by} ({})",
            if v.calibrate.is_some() {
                "apparent and bias-corrected"
            } else {
                "apparent"
            }
        ),
        caption: format!(
            "n = {}, {} events by {by}, {} censored before (every patient used). Curve: hazard regression on rcs(cloglog(risk), 3) (Austin et al. 2020){}; points: tenths of predicted risk, Kaplan-Meier with Greenwood 95% CIs{}.",
            v.n,
            v.events_before_horizon,
            v.censored_before_horizon,
            match (&v.calibrate, &v.bootstrap) {
                (Some(_), Some(b)) => format!(
                    "; dashed: corrected for overfitting by {} bootstrap refits (as rms calibrate.cph)",
                    b.used
                ),
                _ => String::new(),
            },
            if rule_points.is_empty() {
                String::new()
            } else {
                format!(
                    "; rule points: the patients each rule {}: their mean predicted risk and Kaplan-Meier risk",
                    if study.is_mm() { "stops" } else { "calls low risk" }
                )
            }
        ),
        rules: rule_points,
        stats_text: vec![
            format!("C = {:.3}", a.c_harrell),
            format!("AUC({h}) = {:.3}", a.auc),
            format!("Slope = {:.3}", a.calibration_slope),
            format!("ICI = {:.3}", a.ici),
            format!("O/E = {:.3}", a.oe_ratio),
        ],
        horizon: if generic_unit {
            format!("t = {h}")
        } else {
            format!("{h}-{}", study.time_unit.trim_end_matches('s'))
        },
        event: study.event_name.clone(),
        histogram_labels: None,
        rule_label: if study.is_mm() {
            "patients stopped".into()
        } else {
            "called low risk".into()
        },
    };
    let mut out = vec![("calibration", calibration_plot(&calib)?)];
    if let Some(c) = c {
        out.push((
            "decision_curve",
            decision_curve_figure(
                study,
                rules,
                &c.decision_curve,
                c.n,
                c.events_before_horizon,
                c.bootstrap,
            )?,
        ));
    }
    Ok(out)
}

/// Fit, validate and compare the static model of `formula`, and draw its plots.
fn static_report(
    settings: &ReportSettings,
    study: &Study,
    table: &crate::table::Table,
    formula: &str,
    rules: &[Rule],
    progress: &(dyn Fn() + Sync),
) -> Result<StaticReport> {
    let fit_opts = FitOptions {
        penalty: settings.penalty.clone(),
        units: study.units.clone(),
        ..FitOptions::default()
    };
    let model = fit_model(table, formula, &fit_opts, MissingPolicy::Drop)?;
    let vopts = ValidateOptions {
        bootstrap: settings.bootstrap,
        seed: settings.seed,
        ..ValidateOptions::default()
    };
    let validation = validate_model(&model, table, Some(&study.id), &vopts, progress)?;
    let oracle = settings
        .truth
        .as_deref()
        .map(|p| read_oracle(p, table))
        .transpose()?;
    let copts = CompareOptions {
        bootstrap: settings.bootstrap,
        seed: settings.seed,
        ..CompareOptions::default()
    };
    let setup = CohortCompare {
        rules: rules.to_vec(),
        oracle,
    };
    let mut comparison = compare_cohort(&model, table, &setup, &copts)?;
    comparison.words = crate::compare::CompareWords::of(study);
    let figures = static_figures(table, study, rules, &validation, Some(&comparison))?;
    Ok(StaticReport {
        model,
        validation,
        comparison,
        figures,
    })
}

/// The plots of a static model, from result structs (and, for rule points, the rule
/// decisions on the validated rows): calibration, ROC and risk distribution from the
/// validation, the decision curve when a comparison is given. Used by `report`, `validate`
/// and `compare`.
///
/// # Errors
/// A rule that cannot be evaluated on `table`; plotting failures.
pub fn static_figures(
    table: &crate::table::Table,
    study: &Study,
    rules: &[Rule],
    v: &Validation,
    c: Option<&Comparison>,
) -> Result<Vec<(&'static str, Figure)>> {
    let p: Vec<f64> = v.predictions.iter().map(|x| x.predicted).collect();
    let y: Vec<f64> = v.predictions.iter().map(|x| x.observed).collect();
    let rows: Vec<usize> = v.predictions.iter().map(|x| x.row - 1).collect();
    let with_outcome = |outcome: f64| -> Vec<f64> {
        p.iter()
            .zip(&y)
            .filter(|(_, y)| **y == outcome)
            .map(|(p, _)| *p)
            .collect()
    };
    let (pe, pn) = (with_outcome(1.0), with_outcome(0.0));
    let within = if study.horizon.is_empty() {
        study.event_name.clone()
    } else {
        format!("{} by the {} horizon", study.event_name, study.horizon)
    };
    let caption = format!(
        "n = {}, events = {} ({within}); {} rows dropped for missing values",
        v.n, v.events, v.n_dropped_missing
    );
    // Each rule's stopped patients among the validated rows.
    let mut rule_points = Vec::new();
    let mut roc_rules = Vec::new();
    for r in rules {
        let stop_all = r.evaluate(table)?;
        let stop: Vec<bool> = rows.iter().map(|&i| stop_all[i]).collect();
        let idx: Vec<usize> = (0..stop.len()).filter(|&k| stop[k]).collect();
        if !idx.is_empty() {
            let ev = idx.iter().filter(|&&k| y[k] == 1.0).count();
            let (lo, hi) = wilson_interval(ev, idx.len(), 0.95);
            rule_points.push(RulePoint {
                name: r.name.clone(),
                mean_predicted: idx.iter().map(|&k| p[k]).sum::<f64>() / idx.len() as f64,
                observed: ev as f64 / idx.len() as f64,
                ci_low: lo,
                ci_high: hi,
                n: idx.len(),
            });
        }
        let events = y.iter().filter(|y| **y == 1.0).count() as f64;
        let non = y.len() as f64 - events;
        let tp = (0..stop.len()).filter(|&k| !stop[k] && y[k] == 1.0).count() as f64;
        let fp = (0..stop.len()).filter(|&k| !stop[k] && y[k] == 0.0).count() as f64;
        roc_rules.push(RulePointRoc {
            name: r.name.clone(),
            fpr: fp / non,
            tpr: tp / events,
        });
    }
    let a = &v.apparent;
    let corrected = v.optimism_corrected.as_ref();
    let mut stats_text = vec![
        format!("C = {:.3}", a.auc),
        format!("slope = {:.2}", a.calibration_slope),
        format!("Eavg = {:.3}", a.eavg),
    ];
    if let Some(cm) = corrected {
        stats_text.push(format!("C corrected = {:.3}", cm.auc));
        stats_text.push(format!("slope corrected = {:.2}", cm.calibration_slope));
    }
    let calib = CalibrationPlotData {
        curve: v
            .curve
            .iter()
            .map(|c| {
                // A lowess smooth of 0/1 outcomes can stray slightly outside [0, 1]: clip for
                // display only (calibration.csv keeps the raw smooth).
                let clip = |x: f64| x.clamp(0.0, 1.0);
                let or = |x: f64| if x.is_finite() { clip(x) } else { clip(c.observed) };
                CurvePoint {
                    predicted: c.predicted,
                    observed: clip(c.observed),
                    ci_low: or(c.ci_low),
                    ci_high: or(c.ci_high),
                }
            })
            .collect(),
        groups: v
            .groups
            .iter()
            .map(|g| GroupPoint {
                mean_predicted: g.mean_predicted,
                observed: g.observed,
                ci_low: g.ci_low,
                ci_high: g.ci_high,
                n: g.n,
                events: g.events,
            })
            .collect(),
        corrected: Vec::new(),
        rules: rule_points,
        predicted_events: pe.clone(),
        predicted_non_events: pn.clone(),
        title: format!(
            "Calibration of the {} (apparent)",
            crate::plot::risk_title(&study.horizon, &study.event_name)
                .trim_start_matches("Predicted ")
        ),
        caption: format!(
            "{caption}. Curve: lowess (span 2/3) with 95% bootstrap band; points: deciles with Wilson 95% CIs; histogram bars scaled per outcome."
        ),
        stats_text,
        horizon: study.horizon.clone(),
        event: study.event_name.clone(),
        histogram_labels: None,
        rule_label: if study.is_mm() {
            "patients stopped".into()
        } else {
            "called low risk".into()
        },
    };
    let yv: Vec<f64> = y.clone();
    let curves = vec![RocCurve {
        name: "model".into(),
        points: roc_curve(&p, &yv)
            .map_err(|e| Error::Analysis(e.to_string()))?
            .iter()
            .map(|r| (r.fpr, r.tpr))
            .collect(),
        auc: a.auc,
    }];
    let roc = RocPlotData {
        curves,
        rules: roc_rules,
        caption: if study.is_mm() {
            format!("{caption}. Positive = bone event (needs to continue); a rule 'predicts' continue for the patients it does not stop.")
        } else {
            format!(
                "{caption}. Positive = {} (a high-risk call: {}); a rule 'predicts' positive for the patients it does not call low risk.",
                study.event_name, study.action
            )
        },
    };
    let marks: Vec<(String, f64)> = c
        .into_iter()
        .flat_map(|c| c.rules.iter())
        .filter_map(|r| {
            r.scores.first().map(|s| {
                (
                    if study.is_mm() {
                        format!("model cut-off at {} stop rate", r.rule)
                    } else {
                        format!("model cut-off at the low-risk rate of {}", r.rule)
                    },
                    s.at_rule_stop_rate.risk_cutoff,
                )
            })
        })
        .take(1)
        .collect();
    let dist = RiskDistributionData {
        predicted_events: pe,
        predicted_non_events: pn,
        thresholds_marked: marks,
        caption: caption.clone(),
        horizon: study.horizon.clone(),
        event: study.event_name.clone(),
    };
    // the figures are independent: drawn side by side
    let ((calibration, roc), (decision, distribution)) = rayon::join(
        || rayon::join(|| calibration_plot(&calib), || roc_plot(&roc)),
        || {
            rayon::join(
                || c.map(|c| decision_figure(study, rules, c)).transpose(),
                || risk_distribution_plot(&dist),
            )
        },
    );
    let mut out = vec![("calibration", calibration?), ("roc", roc?)];
    if let Some(d) = decision? {
        out.push(("decision_curve", d));
    }
    out.push(("risk_distribution", distribution?));
    Ok(out)
}

/// The decision curve of a comparison: net benefit of the model, the rules, and acting on
/// everyone or no one.
///
/// # Errors
/// Plotting failures.
pub fn decision_figure(study: &Study, rules: &[Rule], c: &Comparison) -> Result<Figure> {
    decision_curve_figure(study, rules, &c.decision_curve, c.n, c.events, c.bootstrap)
}

/// The decision curve `dc` of a comparison on `n` patients with `events` events.
///
/// # Errors
/// Plotting failures.
pub fn decision_curve_figure(
    study: &Study,
    rules: &[Rule],
    dc: &crate::compare::decision_curve::DecisionCurve,
    n: usize,
    events: usize,
    bootstrap: usize,
) -> Result<Figure> {
    let series = dc
        .curves
        .iter()
        .map(|cv| NetBenefitSeries {
            // the reference strategies in the study's words (the MM profile's are its own)
            name: match cv.name.as_str() {
                "continue all" if !study.is_mm() => format!("all: {}", study.action),
                "stop all" if !study.is_mm() => format!("none: {}", study.action),
                n => n.to_string(),
            },
            kind: match cv.name.as_str() {
                "continue all" => SeriesKind::ContinueAll,
                "stop all" => SeriesKind::StopAll,
                n if rules.iter().any(|r| r.name == n) => SeriesKind::Rule,
                _ => SeriesKind::Model,
            },
            net_benefit: cv.net_benefit.clone(),
            ci_low: (!cv.ci_low.is_empty()).then(|| cv.ci_low.clone()),
            ci_high: (!cv.ci_high.is_empty()).then(|| cv.ci_high.clone()),
        })
        .collect();
    let decision = DecisionCurveData {
        thresholds: dc.thresholds.clone(),
        series,
        caption: format!(
            "n = {n}, events = {events}. Net benefit of the decision to {}; bands: 95% bootstrap ({bootstrap} replicates).",
            study.action
        ),
        x_max: DecisionCurveData::DEFAULT_X_MAX,
        event: study.event_name.clone(),
        y_title: if study.is_mm() {
            "Net benefit of continuing therapy".into()
        } else {
            "Net benefit".into()
        },
    };
    Ok(decision_curve_plot(&decision)?)
}

impl Report {
    /// Write every output into `dir`: model.json, metrics.json, predictions.csv,
    /// calibration.csv, comparison.json, decision_curve.csv, the plots (SVG + PNG) and
    /// report.html. Everything was computed before the first file is written.
    pub fn write(&self, dir: &Path) -> Result<()> {
        self.write_protecting(dir, &[])
    }

    /// [`Report::write`] as one set of files (all new or all old), refusing to overwrite any
    /// of `inputs`.
    ///
    /// # Errors
    /// [`Error::Usage`] when an output is an input; [`Error::Io`] when writing fails.
    pub fn write_protecting(&self, dir: &Path, inputs: &[&Path]) -> Result<()> {
        let mut set = crate::io::OutputSet::begin(dir)?;
        if let Some(sr) = &self.static_part {
            set.write_str("model.json", &persist::to_json(&sr.model)?)?;
            let files = [
                ("metrics.json", to_json(&sr.validation)?),
                (
                    "predictions.csv",
                    sr.validation.predictions_csv(Some(&self.study.id)),
                ),
                ("calibration.csv", sr.validation.calibration_csv()),
                ("comparison.json", to_json(&sr.comparison)?),
                ("decision_curve.csv", sr.comparison.decision_curve.to_csv()),
            ];
            for (name, text) in &files {
                set.write_str(name, text)?;
            }
            for (stem, fig) in &sr.figures {
                fig.stage(&mut set, stem)?;
            }
        }
        if let Some(cp) = &self.cox_part {
            set.write_str("model.json", &persist::to_json(&cp.model)?)?;
            set.write_str("metrics.json", &to_json(&cp.validation)?)?;
            set.write_str("comparison.json", &to_json(&cp.comparison)?)?;
            set.write_str("decision_curve.csv", &cp.comparison.decision_curve.to_csv())?;
            for (stem, fig) in &cp.figures {
                fig.stage(&mut set, stem)?;
            }
        }
        if let Some(d) = &self.dynamic {
            set.write_str("dynamic_model.json", &persist::to_json(&d.model)?)?;
            set.write_str("dynamic_metrics.json", &to_json(&d.validation)?)?;
            set.write_str("restart.json", &to_json(&d.restart)?)?;
            for (stem, fig) in &d.figures {
                fig.stage(&mut set, stem)?;
            }
        }
        set.write_str("report.html", &super::html_report(self))?;
        crate::io::refuse_overwriting_inputs(&set.paths(), inputs)?;
        set.commit()
    }
}

/// Pretty JSON with a trailing newline.
fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string_pretty(value)
        .map(|s| s + "\n")
        .map_err(|e| Error::Analysis(format!("JSON output: {e}")))
}
