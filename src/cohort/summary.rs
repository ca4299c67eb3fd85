//! What a researcher wants to see first about a cohort: size, events, follow-up, missingness,
//! marker distributions and category counts. Computed here, printed by the CLI.

use serde::Serialize;

use super::{Cohort, Visits};
use crate::stats::{describe, Describe};
use crate::survival::km::KaplanMeier;
use crate::table::Column;

/// Summary of a validated cohort (and visits, when given).
#[derive(Debug, Clone, Serialize)]
pub struct CohortSummary {
    /// Source file.
    pub source: String,
    /// Patients.
    pub n: usize,
    /// The study's event in words, plural ("bone events", "deaths").
    pub events_word: String,
    /// Follow-up, when the study has time and event columns.
    pub follow_up: Option<FollowUp>,
    /// Missing cells per column (every column, file order).
    pub missing: Vec<(String, usize)>,
    /// Distribution of each numeric column (file order).
    pub numeric: Vec<(String, Describe)>,
    /// Counts per level of each text column except the id (levels sorted).
    pub categories: Vec<(String, Vec<(String, usize)>)>,
    /// Visits file summary, when given.
    pub visits: Option<VisitsSummary>,
}

/// Events and follow-up of a cohort with time and event columns.
#[derive(Debug, Clone, Serialize)]
pub struct FollowUp {
    /// Events (event = 1).
    pub events: usize,
    /// Unit of the time column ("months").
    pub time_unit: String,
    /// Median follow-up by the reverse Kaplan-Meier method (censoring as the event); `None`
    /// when the censoring curve never reaches 0.5.
    pub median: Option<f64>,
    /// Kaplan-Meier event probability (1 - S(t)) at each time: 12 and 24 months in the MM
    /// profile, the median follow-up otherwise.
    pub km_event: Vec<(f64, f64)>,
}

/// Summary of a visits file.
#[derive(Debug, Clone, Serialize)]
pub struct VisitsSummary {
    /// Source file.
    pub source: String,
    /// Visit rows.
    pub n_visits: usize,
    /// Distinct patients with at least one visit.
    pub n_patients: usize,
    /// Median number of visits per patient with visits.
    pub median_visits_per_patient: f64,
    /// Latest visit month.
    pub max_month: f64,
    /// Measured (non-missing) values per column.
    pub measured: Vec<(String, usize)>,
}

/// Summarise a validated cohort (and visits).
///
/// # Errors
/// When the survival columns cannot be used (they are validated upstream, so this only fails on
/// a cohort built by hand without them).
pub fn summarise(cohort: &Cohort, visits: Option<&Visits>) -> crate::Result<CohortSummary> {
    let t = &cohort.table;
    let study = &cohort.study;
    let follow_up = match (study.time.as_deref(), study.event.as_deref()) {
        (Some(time), Some(event)) => Some(follow_up(
            t.num(time)?,
            t.num(event)?,
            study.time_unit.clone(),
            study.is_mm(),
        )?),
        _ => None,
    };

    // each column summarised on its own (in parallel), gathered in file order
    enum Of {
        Numeric(crate::stats::Describe),
        Categories(Vec<(String, usize)>),
        Nothing,
    }
    use rayon::prelude::*;
    let per_column: Vec<(usize, Of)> = t
        .names
        .par_iter()
        .zip(t.columns.par_iter())
        .map(|(name, col)| {
            let of = match col {
                Column::Num(v) => describe(v).map_or(Of::Nothing, Of::Numeric),
                Column::Text(v) if *name != study.id => Of::Categories(count_levels(v)),
                Column::Text(_) => Of::Nothing,
            };
            (col.n_missing(), of)
        })
        .collect();
    let mut missing = Vec::new();
    let mut numeric = Vec::new();
    let mut categories = Vec::new();
    for (name, (n_missing, of)) in t.names.iter().zip(per_column) {
        missing.push((name.clone(), n_missing));
        match of {
            Of::Numeric(d) => numeric.push((name.clone(), d)),
            Of::Categories(c) => categories.push((name.clone(), c)),
            Of::Nothing => {}
        }
    }
    Ok(CohortSummary {
        source: t.source.clone(),
        n: t.nrows(),
        events_word: study.events_word(),
        follow_up,
        missing,
        numeric,
        categories,
        visits: visits.map(|v| summarise_visits(v, &study.id, &study.visit_time)),
    })
}

/// Events, median follow-up (reverse Kaplan-Meier) and Kaplan-Meier event probabilities.
fn follow_up(
    time: &[Option<f64>],
    event: &[Option<f64>],
    time_unit: String,
    mm: bool,
) -> crate::Result<FollowUp> {
    let (tt, ee): (Vec<f64>, Vec<bool>) = time
        .iter()
        .zip(event)
        .filter_map(|(t, e)| Some(((*t)?, (*e)? == 1.0)))
        .unzip();
    let km = KaplanMeier::fit(&tt, &ee).map_err(|e| crate::Error::Analysis(e.to_string()))?;
    let censor: Vec<bool> = ee.iter().map(|e| !e).collect();
    let reverse =
        KaplanMeier::fit(&tt, &censor).map_err(|e| crate::Error::Analysis(e.to_string()))?;
    let median = reverse.median();
    let times: Vec<f64> = if mm {
        vec![12.0, 24.0]
    } else {
        median.into_iter().collect()
    };
    Ok(FollowUp {
        events: ee.iter().filter(|e| **e).count(),
        time_unit,
        median,
        km_event: times
            .into_iter()
            .map(|x| (x, 1.0 - km.survival_at(x)))
            .collect(),
    })
}

/// A time as written in text: whole numbers without decimals.
pub(crate) fn short(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

fn count_levels(v: &[Option<crate::table::Text>]) -> Vec<(String, usize)> {
    use crate::table::cell::same_label;
    // counted by reference (a short list scanned from the last hit: categories have few
    // levels; a hash map past 64), copied once per level; in byte order of the labels
    let mut few: Vec<(&str, usize)> = Vec::new();
    let mut many: Option<std::collections::HashMap<&str, usize>> = None;
    let mut last = 0;
    for c in v.iter().flatten() {
        let c = c.as_str();
        if let Some(m) = many.as_mut() {
            *m.entry(c).or_insert(0) += 1;
        } else if few.get(last).is_some_and(|l| same_label(l.0, c)) {
            few[last].1 += 1;
        } else if let Some(k) = few.iter().position(|l| same_label(l.0, c)) {
            few[k].1 += 1;
            last = k;
        } else if few.len() < 64 {
            few.push((c, 1));
            last = few.len() - 1;
        } else {
            let mut m: std::collections::HashMap<&str, usize> = few.drain(..).collect();
            m.insert(c, 1);
            many = Some(m);
        }
    }
    let mut out: Vec<(String, usize)> = match many {
        Some(m) => m.into_iter().map(|(k, n)| (k.to_string(), n)).collect(),
        None => few.into_iter().map(|(k, n)| (k.to_string(), n)).collect(),
    };
    out.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    out
}

fn summarise_visits(v: &Visits, id: &str, visit_time: &str) -> VisitsSummary {
    let t = &v.table;
    let mut per_patient = std::collections::HashMap::new();
    if let Some(Column::Text(ids)) = t.index(id).map(|j| &t.columns[j]) {
        for id in ids.iter().flatten() {
            *per_patient.entry(id.as_str()).or_insert(0usize) += 1;
        }
    }
    let mut counts: Vec<f64> = per_patient.values().map(|&c| c as f64).collect();
    counts.sort_by(f64::total_cmp);
    let median = if counts.is_empty() {
        0.0
    } else {
        crate::stats::quantile_sorted(&counts, 0.5)
    };
    let max_month = t
        .num(visit_time)
        .map(|m| m.iter().flatten().fold(0.0f64, |a, &b| a.max(b)))
        .unwrap_or(0.0);
    VisitsSummary {
        source: t.source.clone(),
        n_visits: t.nrows(),
        n_patients: per_patient.len(),
        median_visits_per_patient: median,
        max_month,
        measured: t
            .names
            .iter()
            .zip(&t.columns)
            .filter(|(n, _)| *n != id && *n != visit_time)
            .map(|(n, c)| (n.clone(), c.len() - c.n_missing()))
            .collect(),
    }
}

impl std::fmt::Display for CohortSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "Cohort {}", self.source)?;
        match &self.follow_up {
            Some(fu) => {
                writeln!(
                    f,
                    "  patients {}   {} {} ({:.1}%)",
                    self.n,
                    self.events_word,
                    fu.events,
                    100.0 * fu.events as f64 / self.n.max(1) as f64
                )?;
                let unit = &fu.time_unit;
                match fu.median {
                    Some(m) => {
                        writeln!(f, "  median follow-up {m:.1} {unit} (reverse Kaplan-Meier)")?;
                    }
                    None => writeln!(f, "  median follow-up not reached (reverse Kaplan-Meier)")?,
                }
                let at: Vec<String> = fu
                    .km_event
                    .iter()
                    .map(|(x, p)| format!("{} {unit} {:.1}%", short(*x), 100.0 * p))
                    .collect();
                if !at.is_empty() {
                    writeln!(f, "  Kaplan-Meier event probability: {}", at.join(", "))?;
                }
            }
            None => writeln!(
                f,
                "  patients {}   (no follow-up time and event columns)",
                self.n
            )?,
        }
        writeln!(f, "\nNumeric columns")?;
        writeln!(
            f,
            "  {:<14} {:>6} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
            "column", "n", "mean", "min", "q25", "median", "q75", "max"
        )?;
        for (name, d) in &self.numeric {
            writeln!(
                f,
                "  {:<14} {:>6} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>9.3}",
                name, d.n, d.mean, d.min, d.q25, d.median, d.q75, d.max
            )?;
        }
        writeln!(f, "\nCategories")?;
        for (name, levels) in &self.categories {
            let parts: Vec<String> = levels.iter().map(|(l, c)| format!("{l} {c}")).collect();
            writeln!(f, "  {:<14} {}", name, parts.join(", "))?;
        }
        writeln!(f, "\nMissing values")?;
        let miss: Vec<String> = self
            .missing
            .iter()
            .filter(|(_, m)| *m > 0)
            .map(|(n, m)| format!("{n} {m} ({:.1}%)", 100.0 * *m as f64 / self.n.max(1) as f64))
            .collect();
        if miss.is_empty() {
            writeln!(f, "  none")?;
        } else {
            for m in miss {
                writeln!(f, "  {m}")?;
            }
        }
        if let Some(v) = &self.visits {
            writeln!(f, "\nVisits {}", v.source)?;
            writeln!(
                f,
                "  {} visits of {} patients (median {} per patient), last at month {}",
                v.n_visits, v.n_patients, v.median_visits_per_patient, v.max_month
            )?;
            let parts: Vec<String> = v.measured.iter().map(|(n, c)| format!("{n} {c}")).collect();
            writeln!(f, "  measured: {}", parts.join(", "))?;
        }
        Ok(())
    }
}
