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
    /// Bone events (`event = 1`).
    pub events: usize,
    /// Median follow-up in months by the reverse Kaplan-Meier method (censoring as the event);
    /// `None` when the censoring curve never reaches 0.5.
    pub median_follow_up_months: Option<f64>,
    /// Kaplan-Meier event probability by 12 and 24 months (1 - S(t)).
    pub km_event_12m: f64,
    /// See `km_event_12m`.
    pub km_event_24m: f64,
    /// Missing cells per column (every column, file order).
    pub missing: Vec<(String, usize)>,
    /// Distribution of each numeric column (file order).
    pub numeric: Vec<(String, Describe)>,
    /// Counts per level of each text column except the id (levels sorted).
    pub categories: Vec<(String, Vec<(String, usize)>)>,
    /// Visits file summary, when given.
    pub visits: Option<VisitsSummary>,
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
    let time = t.num("time_months")?;
    let event = t.num("event")?;
    let (tt, ee): (Vec<f64>, Vec<bool>) = time
        .iter()
        .zip(event)
        .filter_map(|(t, e)| Some(((*t)?, (*e)? == 1.0)))
        .unzip();
    let km = KaplanMeier::fit(&tt, &ee).map_err(|e| crate::Error::Analysis(e.to_string()))?;
    let censor: Vec<bool> = ee.iter().map(|e| !e).collect();
    let reverse =
        KaplanMeier::fit(&tt, &censor).map_err(|e| crate::Error::Analysis(e.to_string()))?;

    let mut missing = Vec::new();
    let mut numeric = Vec::new();
    let mut categories = Vec::new();
    for (name, col) in t.names.iter().zip(&t.columns) {
        missing.push((name.clone(), col.n_missing()));
        match col {
            Column::Num(v) => {
                if let Some(d) = describe(v) {
                    numeric.push((name.clone(), d));
                }
            }
            Column::Text(v) if name != "patient_id" => {
                categories.push((name.clone(), count_levels(v)));
            }
            Column::Text(_) => {}
        }
    }
    Ok(CohortSummary {
        source: t.source.clone(),
        n: t.nrows(),
        events: ee.iter().filter(|e| **e).count(),
        median_follow_up_months: reverse.median(),
        km_event_12m: 1.0 - km.survival_at(12.0),
        km_event_24m: 1.0 - km.survival_at(24.0),
        missing,
        numeric,
        categories,
        visits: visits.map(summarise_visits),
    })
}

fn count_levels(v: &[Option<String>]) -> Vec<(String, usize)> {
    let mut counts = std::collections::BTreeMap::new();
    for c in v.iter().flatten() {
        *counts.entry(c.clone()).or_insert(0usize) += 1;
    }
    counts.into_iter().collect()
}

fn summarise_visits(v: &Visits) -> VisitsSummary {
    let t = &v.table;
    let mut per_patient = std::collections::HashMap::new();
    if let Some(Column::Text(ids)) = t.index("patient_id").map(|j| &t.columns[j]) {
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
        .num("month")
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
            .filter(|(n, _)| *n != "patient_id" && *n != "month")
            .map(|(n, c)| (n.clone(), c.len() - c.n_missing()))
            .collect(),
    }
}

impl std::fmt::Display for CohortSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "Cohort {}", self.source)?;
        writeln!(
            f,
            "  patients {}   bone events {} ({:.1}%)",
            self.n,
            self.events,
            100.0 * self.events as f64 / self.n.max(1) as f64
        )?;
        match self.median_follow_up_months {
            Some(m) => writeln!(f, "  median follow-up {m:.1} months (reverse Kaplan-Meier)")?,
            None => writeln!(f, "  median follow-up not reached (reverse Kaplan-Meier)")?,
        }
        writeln!(
            f,
            "  Kaplan-Meier event probability: 12 months {:.1}%, 24 months {:.1}%",
            100.0 * self.km_event_12m,
            100.0 * self.km_event_24m
        )?;
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
