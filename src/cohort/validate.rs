//! Schema validation: every problem with file, row, column, value and expectation, all at once.

use std::collections::HashMap;

use super::schema::{ColumnSpec, Kind};
use crate::error::Problem;
use crate::table::{did_you_mean, parse_number, Column, RawTable, Table};

/// Outcome of checking a raw table against a schema: the typed table (when there were no
/// errors), the errors and the warnings.
#[derive(Debug)]
pub struct Checked {
    /// Typed table: schema columns typed by their spec, other columns by inference.
    pub table: Table,
    /// Problems that make the file unusable.
    pub errors: Vec<Problem>,
    /// Things worth knowing that do not stop the analysis (extra or absent optional columns).
    pub warnings: Vec<Problem>,
}

/// Check every column of `raw` against `schema`: (column name in the file, the spec it is
/// checked by). With `mm`, the schema is the MM profile's: absent optional columns and columns
/// outside it are reported as warnings; otherwise only the schema's columns are checked and
/// the rest typed by inference, silently.
pub fn check_schema(raw: RawTable, schema: &[(String, ColumnSpec)], mm: bool) -> Checked {
    let (mut errors, warnings) = check_names(&raw.source, &raw.names, schema, mm);

    let RawTable {
        source,
        names,
        columns,
        lines,
    } = raw;
    let mut typed = Vec::with_capacity(columns.len());
    for (name, cells) in names.iter().zip(columns) {
        let col = match schema.iter().find(|(n, _)| n == name) {
            Some((_, spec)) => type_column(&source, &lines, name, spec, cells, &mut errors),
            None => crate::table::infer_column(cells),
        };
        typed.push(col);
    }
    Checked {
        table: Table {
            source,
            names,
            columns: typed,
            lines,
        },
        errors,
        warnings,
    }
}

/// The checks of the header against `schema` (absent and misspelt columns; with `mm`, the
/// columns outside the profile): (errors, warnings).
fn check_names(
    src: &str,
    names: &[String],
    schema: &[(String, ColumnSpec)],
    mm: bool,
) -> (Vec<Problem>, Vec<Problem>) {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let schema_names: Vec<String> = schema.iter().map(|(n, _)| n.clone()).collect();

    for (name, spec) in schema {
        if !names.iter().any(|n| n == name) {
            // Only a column that is not itself in the schema can be a misspelling of this one.
            let extra: Vec<String> = names
                .iter()
                .filter(|n| !schema_names.contains(n))
                .cloned()
                .collect();
            let near = did_you_mean(name, &extra).filter(|_| mm || spec.required);
            let mut p = Problem::file_level(
                src,
                match near {
                    Some(n) => format!("a column '{name}' (found '{n}': rename it)"),
                    None => format!("a column '{name}'"),
                },
            );
            p.column = Some(name.clone());
            p.row = Some(1);
            if spec.required || near.is_some() {
                errors.push(p);
            } else if mm {
                p.expected
                    .push_str(" (optional: analyses that need it will fail)");
                warnings.push(p);
            }
        }
    }
    for name in names.iter().filter(|_| mm) {
        if schema.iter().all(|(n, _)| n != name) {
            let mut p = Problem::file_level(src, "");
            p.row = Some(1);
            p.column = Some(name.clone());
            if let Some(n) = did_you_mean(name, &schema_names) {
                // A near-miss of a schema column is a typo, not an extra covariate.
                if !names.iter().any(|m| m == n) {
                    p.expected = format!("the schema column '{n}' (unknown column name)");
                    errors.push(p);
                    continue;
                }
            }
            p.expected = "a column of the MM schema; kept as an extra column".into();
            warnings.push(p);
        }
    }
    (errors, warnings)
}

/// The columns that must be read as text under `schema` (identifiers and labels), so the
/// typed reader keeps their cells as written.
pub fn text_columns(schema: &[(String, ColumnSpec)]) -> Vec<&str> {
    schema
        .iter()
        .filter(|(_, spec)| matches!(spec.kind, Kind::Id | Kind::PatientRef | Kind::Level(_)))
        .map(|(n, _)| n.as_str())
        .collect()
}

/// [`check_schema`] on a table typed by the typed reader with [`text_columns`] kept as text:
/// `Some` when every check passes (the same table and warnings [`check_schema`] gives), `None`
/// when anything fails, so that the caller runs [`check_schema`] on the text cells for the
/// exact messages.
pub fn check_typed(table: Table, schema: &[(String, ColumnSpec)], mm: bool) -> Option<Checked> {
    let (errors, warnings) = check_names(&table.source, &table.names, schema, mm);
    if !errors.is_empty() {
        return None;
    }
    use rayon::prelude::*;
    let all_ok = schema.par_iter().all(|(name, spec)| {
        let Some(col) = table.index(name).map(|j| &table.columns[j]) else {
            return true;
        };
        match (&spec.kind, col) {
            (Kind::Id, Column::Text(cells)) => {
                // unique: a set of the ids (a word-at-a-time hash: ids are long and alike)
                let mut seen: std::collections::HashSet<&str, WordHash> =
                    std::collections::HashSet::with_capacity_and_hasher(cells.len(), WordHash);
                cells
                    .iter()
                    .all(|c| c.as_deref().map_or(spec.nullable, |id| seen.insert(id)))
            }
            (Kind::PatientRef, Column::Text(cells)) => {
                cells.iter().all(|c| c.is_some() || spec.nullable)
            }
            (Kind::Level(levels), Column::Text(cells)) => cells.iter().all(|c| match c {
                None => spec.nullable,
                Some(v) => levels.iter().any(|l| crate::table::cell::same_label(l, v)),
            }),
            (Kind::Binary, Column::Num(v)) => v.iter().all(|x| match x {
                None => spec.nullable,
                Some(x) => *x == 0.0 || *x == 1.0,
            }),
            (Kind::Number { min, max, .. }, Column::Num(v)) => v.iter().all(|x| match x {
                None => spec.nullable,
                Some(x) => x >= min && x <= max,
            }),
            _ => false,
        }
    });
    if !all_ok {
        return None;
    }
    Some(Checked {
        table,
        errors,
        warnings,
    })
}

fn type_column(
    src: &str,
    lines: &[usize],
    name: &str,
    spec: &ColumnSpec,
    cells: Vec<Option<String>>,
    errors: &mut Vec<Problem>,
) -> Column {
    let file_row = |i: usize| crate::table::line_of(lines, i);
    let missing = |i: usize, errors: &mut Vec<Problem>| {
        if !spec.nullable {
            errors.push(Problem::cell(
                src,
                file_row(i),
                name,
                "",
                "a value (this column may not be empty)",
            ));
        }
    };
    match spec.kind {
        Kind::Id => {
            let mut seen: HashMap<&str, usize> = HashMap::new();
            for (i, c) in cells.iter().enumerate() {
                match c {
                    None => missing(i, errors),
                    Some(id) => {
                        if let Some(first) = seen.insert(id.as_str(), i) {
                            errors.push(Problem::cell(
                                src,
                                file_row(i),
                                name,
                                id,
                                format!(
                                    "a unique patient id, but it already appears in row {}",
                                    file_row(first)
                                ),
                            ));
                        }
                    }
                }
            }
            Column::Text(crate::table::text_cells(cells))
        }
        Kind::PatientRef => {
            for (i, c) in cells.iter().enumerate() {
                if c.is_none() {
                    missing(i, errors);
                }
            }
            Column::Text(crate::table::text_cells(cells))
        }
        Kind::Level(levels) => {
            for (i, c) in cells.iter().enumerate() {
                match c {
                    None => missing(i, errors),
                    Some(v) if levels.contains(&v.as_str()) => {}
                    Some(v) => {
                        let hint = levels
                            .iter()
                            .find(|l| l.eq_ignore_ascii_case(v))
                            .map(|l| format!(" (write '{l}'; levels are case-sensitive)"))
                            .unwrap_or_default();
                        errors.push(Problem::cell(
                            src,
                            file_row(i),
                            name,
                            v,
                            format!("one of {}{hint}", levels.join(", ")),
                        ));
                    }
                }
            }
            Column::Text(crate::table::text_cells(cells))
        }
        Kind::Binary => Column::Num(
            cells
                .iter()
                .enumerate()
                .map(|(i, c)| match c.as_deref() {
                    None => {
                        missing(i, errors);
                        None
                    }
                    Some("0") => Some(0.0),
                    Some("1") => Some(1.0),
                    Some(v) => {
                        let expected = match parse_number(v) {
                            Some(x) if x == 0.0 || x == 1.0 => return Some(x),
                            _ => "0 or 1 (1 = yes / event, 0 = no / censored)",
                        };
                        errors.push(Problem::cell(src, file_row(i), name, v, expected));
                        None
                    }
                })
                .collect(),
        ),
        Kind::Number {
            min,
            max,
            unit,
            hint,
        } => Column::Num(
            cells
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let v = match c.as_deref() {
                        None => {
                            missing(i, errors);
                            return None;
                        }
                        Some(v) => v,
                    };
                    match parse_number(v) {
                        None => {
                            errors.push(Problem::cell(
                                src,
                                file_row(i),
                                name,
                                v,
                                match (crate::table::number_expectation(v).as_str(), unit) {
                                    ("a number", "") => {
                                        "a number (leave the cell empty when not measured)".into()
                                    }
                                    ("a number", unit) => format!(
                                        "a number in {unit} (leave the cell empty when not measured)"
                                    ),
                                    (why, "") => why.to_string(),
                                    (why, unit) => format!("{why} (in {unit})"),
                                },
                            ));
                            None
                        }
                        Some(x) if x < min || x > max => {
                            let what = if x < 0.0 && min >= 0.0 {
                                "a non-negative number"
                            } else {
                                "a plausible value"
                            };
                            let hint = hint.map(|h| format!(": {h}")).unwrap_or_default();
                            errors.push(Problem::cell(
                                src,
                                file_row(i),
                                name,
                                v,
                                format!(
                                    "{what} in [{min}, {max}]{}{hint}",
                                    if unit.is_empty() {
                                        String::new()
                                    } else {
                                        format!(" {unit}")
                                    }
                                ),
                            ));
                            None
                        }
                        Some(x) => Some(x),
                    }
                })
                .collect(),
        ),
    }
}

/// A fast non-cryptographic hash of short keys, eight bytes at a time (FxHash's multiply and
/// rotate, then murmur3's finaliser): ids come from the user's own file, so no adversary
/// chooses collisions.
#[derive(Clone, Copy, Default)]
struct WordHash;

impl std::hash::BuildHasher for WordHash {
    type Hasher = WordHasher;
    fn build_hasher(&self) -> WordHasher {
        WordHasher(0)
    }
}

struct WordHasher(u64);

impl std::hash::Hasher for WordHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            let mut b = [0u8; 8];
            b.copy_from_slice(w);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(b)).wrapping_mul(K);
        }
        for &b in words.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }
    fn finish(&self) -> u64 {
        // murmur3's finaliser: every input bit reaches the low bits the table indexes with
        let mut x = self.0;
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^= x >> 33;
        x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        x ^ (x >> 33)
    }
}
