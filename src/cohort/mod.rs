//! Cohort and visits files: read, validate against the MM schema, summarise.
//!
//! [`load_cohort`] and [`load_visits`] return typed tables only when the file passes every check;
//! otherwise the error lists all problems found (file, row, column, value, expectation).

pub mod schema;
pub mod summary;
pub mod validate;

use std::collections::HashMap;
use std::path::Path;

use crate::error::{Error, Problem, Result};
use crate::table::{read_raw, Column, Table};
pub use summary::{summarise, CohortSummary};
use validate::check_schema;

/// A validated cohort file (one row per patient at the decision point).
#[derive(Debug, Clone)]
pub struct Cohort {
    /// Typed columns.
    pub table: Table,
    /// Non-fatal findings (absent optional columns, extra columns).
    pub warnings: Vec<Problem>,
}

/// A validated visits file (one row per patient-visit after the decision point), sorted by
/// patient (in cohort order when a cohort was given) then month.
#[derive(Debug, Clone)]
pub struct Visits {
    /// Typed columns.
    pub table: Table,
    /// Non-fatal findings, including the documented repair of unsorted rows.
    pub warnings: Vec<Problem>,
}

/// Read and validate a cohort file.
///
/// # Errors
/// [`Error::InvalidInput`] listing every problem: structure (empty, header only, ragged rows,
/// non-UTF-8), schema (missing/misspelt columns, non-numbers, unknown levels, implausible units,
/// negative times, event codes other than 0/1, duplicate ids) and consistency of `event_24m`.
pub fn load_cohort(path: &Path) -> Result<Cohort> {
    let raw = read_raw(path)?;
    let mut checked = check_schema(raw, schema::COHORT);
    let ambiguous = checked.table.ambiguity_warnings();
    checked.warnings.extend(ambiguous);
    check_event_24m(&checked.table, &mut checked.errors);
    if checked.errors.is_empty() {
        Ok(Cohort {
            table: checked.table,
            warnings: checked.warnings,
        })
    } else {
        Err(Error::InvalidInput(checked.errors))
    }
}

/// `event_24m` must agree with `time_months` and `event` when both are present.
fn check_event_24m(t: &Table, errors: &mut Vec<Problem>) {
    let (Ok(time), Ok(event), Ok(e24)) = (t.num("time_months"), t.num("event"), t.num("event_24m"))
    else {
        return;
    };
    for i in 0..t.nrows() {
        let (Some(time), Some(event)) = (time[i], event[i]) else {
            continue;
        };
        let expected: Option<f64> = if event == 1.0 && time <= 24.0 {
            Some(1.0)
        } else if time >= 24.0 {
            Some(0.0)
        } else {
            None
        };
        if e24[i] != expected {
            let found = e24[i].map_or(String::new(), |v| format!("{v}"));
            let want = match expected {
                Some(v) => format!("{v} (time_months = {time}, event = {event})"),
                None => format!(
                    "an empty cell: censored at {time} months, before 24, so the 24-month outcome is unknown"
                ),
            };
            errors.push(Problem::cell(
                &t.source,
                t.row(i),
                "event_24m",
                &found,
                want,
            ));
        }
    }
}

/// Read and validate a visits file; with a cohort, also check that every visit belongs to a
/// known patient and lies within that patient's follow-up.
///
/// Rows out of order are sorted (patient, month): a documented repair reported as a warning.
/// A patient seen twice in the same month is an error (which value would be right?).
pub fn load_visits(path: &Path, cohort: Option<&Cohort>) -> Result<Visits> {
    let raw = read_raw(path)?;
    let mut checked = check_schema(raw, schema::VISITS);
    let ambiguous = checked.table.ambiguity_warnings();
    checked.warnings.extend(ambiguous);
    if !checked.errors.is_empty() {
        return Err(Error::InvalidInput(checked.errors));
    }
    let t = &checked.table;
    let ids = t.text("patient_id")?;
    let months = t.num("month")?;
    let follow_up: Option<HashMap<&str, (usize, f64)>> = match cohort {
        Some(c) => {
            let cid = c.table.text("patient_id")?;
            let time = c.table.num("time_months")?;
            Some(
                cid.iter()
                    .zip(time)
                    .enumerate()
                    .filter_map(|(k, (id, t))| Some((id.as_deref()?, (k, (*t)?))))
                    .collect(),
            )
        }
        None => None,
    };
    let mut errors = Vec::new();
    let mut seen: HashMap<(&str, u64), usize> = HashMap::new();
    for i in 0..t.nrows() {
        let (Some(id), Some(month)) = (ids[i].as_deref(), months[i]) else {
            continue;
        };
        if let Some(first) = seen.insert((id, month.to_bits()), i) {
            errors.push(Problem::cell(
                &t.source,
                t.row(i),
                "month",
                &format!("{month}"),
                format!(
                    "one visit per patient and month, but patient {id} already has month {month} in row {}",
                    t.row(first)
                ),
            ));
        }
        if let Some(fu) = &follow_up {
            match fu.get(id) {
                None => errors.push(Problem::cell(
                    &t.source,
                    t.row(i),
                    "patient_id",
                    id,
                    "a patient_id of the cohort file (visit for an unknown patient)",
                )),
                Some(&(_, end)) if month > end + 1e-9 => errors.push(Problem::cell(
                    &t.source,
                    t.row(i),
                    "month",
                    &format!("{month}"),
                    format!(
                        "a month within follow-up: patient {id} has time_months = {end} (event or censoring), so no visit can come after it"
                    ),
                )),
                Some(_) => {}
            }
        }
    }
    if !errors.is_empty() {
        return Err(Error::InvalidInput(errors));
    }
    // Sort by (cohort order or id, month); report the repair.
    let key = |i: usize| -> (usize, String, f64) {
        let id = ids[i].clone().unwrap_or_default();
        let k = follow_up
            .as_ref()
            .and_then(|fu| fu.get(id.as_str()).map(|x| x.0))
            .unwrap_or(0);
        (k, id, months[i].unwrap_or(0.0))
    };
    let mut order: Vec<usize> = (0..t.nrows()).collect();
    order.sort_by(|&a, &b| {
        let (ka, kb) = (key(a), key(b));
        ka.0.cmp(&kb.0)
            .then_with(|| ka.1.cmp(&kb.1))
            .then_with(|| ka.2.total_cmp(&kb.2))
    });
    if order.windows(2).any(|w| w[0] > w[1]) {
        let first_out = order.windows(2).find(|w| w[0] > w[1]).map_or(0, |w| w[1]);
        let mut p = Problem::file_level(
            &t.source,
            "rows sorted by patient then month; they were sorted on reading (no values changed)",
        );
        p.row = Some(t.row(first_out));
        checked.warnings.push(p);
        let table = reorder(t, &order);
        checked.table = table;
    }
    Ok(Visits {
        table: checked.table,
        warnings: checked.warnings,
    })
}

fn reorder(t: &Table, order: &[usize]) -> Table {
    let columns = t
        .columns
        .iter()
        .map(|c| match c {
            Column::Num(v) => Column::Num(order.iter().map(|&i| v[i]).collect()),
            Column::Text(v) => Column::Text(order.iter().map(|&i| v[i].clone()).collect()),
        })
        .collect();
    Table {
        source: t.source.clone(),
        names: t.names.clone(),
        columns,
        lines: order.iter().map(|&i| t.row(i)).collect(),
    }
}
