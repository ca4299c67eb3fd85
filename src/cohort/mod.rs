//! Cohort and visits files: read, validate under a [`Study`] (the MM schema in the MM
//! profile; identifier, time, event and mapped roles otherwise), summarise.
//!
//! [`load_cohort`] and [`load_visits`] return typed tables only when the file passes every check;
//! otherwise the error lists all problems found (file, row, column, value, expectation).
//!
//! Visits after a patient's event or censoring are left out with a warning that counts them
//! (a visit can be recorded after the data were frozen); with [`Study::strict`] they are errors.

pub mod schema;
pub mod summary;
pub mod validate;

use std::collections::HashMap;
use std::path::Path;

use crate::error::{Error, Problem, Result};
use crate::study::{Study, StudyFile};
use crate::table::{read_raw, Column, Table};
pub use summary::{summarise, CohortSummary};
use validate::check_schema;

/// A validated cohort file (one row per patient at the decision point).
#[derive(Debug, Clone)]
pub struct Cohort {
    /// Typed columns.
    pub table: Table,
    /// The study resolved against this file's header.
    pub study: Study,
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

/// Read and validate a cohort file under the study `file` describes (resolved against the
/// file's header: see [`Study::resolve`]).
///
/// # Errors
/// [`Error::InvalidInput`] listing every problem: structure (empty, header only, ragged rows,
/// non-UTF-8), the study's columns (absent, misspelt), schema (non-numbers, unknown levels,
/// implausible units, negative times, event codes other than 0/1, duplicate ids) and, in the
/// MM profile, consistency of `event_24m`.
pub fn load_cohort(path: &Path, file: &StudyFile) -> Result<Cohort> {
    let (study, mut checked) = match typed_cohort(path, file) {
        Some(done) => done,
        None => {
            let raw = read_raw(path)?;
            let study = Study::resolve(file, &raw.names, &raw.source)?;
            let checked = check_schema(raw, &study.cohort_schema(), study.is_mm());
            (study, checked)
        }
    };
    let ambiguous = checked.table.ambiguity_warnings();
    checked.warnings.extend(ambiguous);
    if study.is_mm() {
        check_event_24m(&checked.table, &study, &mut checked.errors);
    }
    if checked.errors.is_empty() {
        Ok(Cohort {
            table: checked.table,
            study,
            warnings: checked.warnings,
        })
    } else {
        Err(Error::InvalidInput(checked.errors))
    }
}

/// The fast path of [`load_cohort`]: a file read by the typed readers with the study's
/// identifier and label columns kept as text, checked on its typed columns. `None` whenever
/// anything is not right (the header, the study, a cell): the text-cell path then reports
/// every problem exactly.
fn typed_cohort(path: &Path, file: &StudyFile) -> Option<(Study, validate::Checked)> {
    let names = match crate::table::read::Format::from_path(path).ok()? {
        crate::table::read::Format::Csv { delimiter } => {
            crate::table::read::header_names(path, delimiter)?
        }
        crate::table::read::Format::Parquet => crate::table::parquet::column_names(path).ok()?,
    };
    let study = Study::resolve(file, &names, &path.display().to_string()).ok()?;
    let checked = typed_checked(path, &study.cohort_schema(), study.is_mm())?;
    Some((study, checked))
}

/// A file read by the typed readers (the parallel CSV reader, Parquet column-wise) with the
/// schema's identifier and label columns kept as text, checked on its typed columns; `None`
/// when anything fails (the text-cell path then finds and words every problem).
fn typed_checked(
    path: &Path,
    schema: &[(String, schema::ColumnSpec)],
    mm: bool,
) -> Option<validate::Checked> {
    let table = Table::read_keeping_text(path, &validate::text_columns(schema)).ok()?;
    validate::check_typed(table, schema, mm)
}

/// `event_24m` must agree with the time and event columns when all are present.
fn check_event_24m(t: &Table, study: &Study, errors: &mut Vec<Problem>) {
    let (Some(time_col), Some(event_col)) = (study.time.as_deref(), study.event.as_deref()) else {
        return;
    };
    let e24_col = study.column("event_24m").unwrap_or("event_24m");
    let (Ok(time), Ok(event), Ok(e24)) = (t.num(time_col), t.num(event_col), t.num(e24_col)) else {
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
                Some(v) => format!("{v} ({time_col} = {time}, {event_col} = {event})"),
                None => format!(
                    "an empty cell: censored at {time} months, before 24, so the 24-month outcome is unknown"
                ),
            };
            errors.push(Problem::cell(&t.source, t.row(i), e24_col, &found, want));
        }
    }
}

/// Read and validate a visits file under `study` (the cohort's); with a cohort, also check
/// that every visit belongs to a known patient. Visits after the patient's event or censoring
/// are left out with one warning that counts them (errors under [`Study::strict`]).
///
/// Rows out of order are sorted (patient, month): a documented repair reported as a warning.
/// A patient seen twice in the same month is an error (which value would be right?).
pub fn load_visits(path: &Path, cohort: Option<&Cohort>, study: &Study) -> Result<Visits> {
    let schema = study.visits_schema();
    let mut checked = match typed_checked(path, &schema, study.is_mm()) {
        Some(c) => c,
        None => check_schema(read_raw(path)?, &schema, study.is_mm()),
    };
    let ambiguous = checked.table.ambiguity_warnings();
    checked.warnings.extend(ambiguous);
    if !checked.errors.is_empty() {
        return Err(Error::InvalidInput(checked.errors));
    }
    let t = &checked.table;
    let (id_col, month_col) = (study.id.as_str(), study.visit_time.as_str());
    let ids = t.text(id_col)?;
    let months = t.num(month_col)?;
    let follow_up: Option<HashMap<&str, (usize, Option<f64>)>> = match cohort {
        Some(c) => {
            let cid = c.table.text(id_col)?;
            let time = match study.time.as_deref() {
                Some(col) => c.table.num(col)?.to_vec(),
                None => vec![None; cid.len()],
            };
            Some(
                cid.iter()
                    .zip(time)
                    .enumerate()
                    .filter_map(|(k, (id, t))| Some((id.as_deref()?, (k, t))))
                    .collect(),
            )
        }
        None => None,
    };
    let time_col = study.time.as_deref().unwrap_or("time");
    let mut errors = Vec::new();
    let mut after_end: Vec<usize> = Vec::new();
    let mut seen: HashMap<(&str, u64), usize> = HashMap::new();
    let month_problem = |i: usize, month: f64, expected: String| {
        Problem::cell(
            &t.source,
            t.row(i),
            month_col,
            &format!("{month}"),
            expected,
        )
    };
    for i in 0..t.nrows() {
        let (Some(id), Some(month)) = (ids[i].as_deref(), months[i]) else {
            continue;
        };
        if let Some(first) = seen.insert((id, month.to_bits()), i) {
            errors.push(month_problem(
                i,
                month,
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
                    id_col,
                    id,
                    format!("a {id_col} of the cohort file (visit for an unknown patient)"),
                )),
                Some(&(_, Some(end))) if month > end + 1e-9 => {
                    if study.strict {
                        errors.push(month_problem(
                            i,
                            month,
                            format!(
                                "a visit within follow-up: patient {id} has {time_col} = {end} (event or censoring), so no visit can come after it (--strict)"
                            ),
                        ));
                    } else {
                        after_end.push(i);
                    }
                }
                Some(_) => {}
            }
        }
    }
    if !errors.is_empty() {
        return Err(Error::InvalidInput(errors));
    }
    if let Some(&first) = after_end.first() {
        let mut p = Problem::file_level(
            &t.source,
            format!(
                "visits within each patient's follow-up; {} visit{} after the patient's event or censoring ({time_col}) {} left out (first in row {}; --strict makes this an error)",
                after_end.len(),
                if after_end.len() == 1 { "" } else { "s" },
                if after_end.len() == 1 { "is" } else { "are" },
                t.row(first)
            ),
        );
        p.column = Some(month_col.to_string());
        checked.warnings.push(p);
    }
    let kept: Vec<usize> = {
        let mut drop = after_end.iter().peekable();
        (0..t.nrows())
            .filter(|&i| {
                if drop.peek() == Some(&&i) {
                    drop.next();
                    false
                } else {
                    true
                }
            })
            .collect()
    };
    // Sort by (cohort order or id, month); report the repair.
    let key = |i: usize| -> (usize, String, f64) {
        let id = ids[i].clone().unwrap_or_default();
        let k = follow_up
            .as_ref()
            .and_then(|fu| fu.get(id.as_str()).map(|x| x.0))
            .unwrap_or(0);
        (k, id.to_string(), months[i].unwrap_or(0.0))
    };
    let mut order = kept;
    order.sort_by(|&a, &b| {
        let (ka, kb) = (key(a), key(b));
        ka.0.cmp(&kb.0)
            .then_with(|| ka.1.cmp(&kb.1))
            .then_with(|| ka.2.total_cmp(&kb.2))
    });
    if order.len() < t.nrows() || order.windows(2).any(|w| w[0] > w[1]) {
        if let Some(w) = order.windows(2).find(|w| w[0] > w[1]) {
            let mut p = Problem::file_level(
                &t.source,
                "rows sorted by patient then visit time; they were sorted on reading (no values changed)",
            );
            p.row = Some(t.row(w[1]));
            checked.warnings.push(p);
        }
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
