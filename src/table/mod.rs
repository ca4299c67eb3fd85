//! A small typed column store: what the formula, the design matrix and the summaries read.
//!
//! Files are read as text ([`read::RawTable`]) and typed here, so that every cell that fails to
//! parse can be reported with its row and column.

pub mod cell;
pub mod fast;
pub mod parquet;
pub mod read;
pub mod records;
pub mod write;

use std::path::Path;

use crate::error::{Error, Problem, Result};
pub use cell::{is_missing, is_missing_bytes, number_expectation, parse_number};
pub use read::{file_row, read_raw, RawTable};

/// One typed column. Missing cells are `None`.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// Finite numbers.
    Num(Vec<Option<f64>>),
    /// Category labels or other text.
    Text(Vec<Option<Text>>),
}

/// A text cell: a string of up to 24 bytes is stored inline, without an allocation.
pub type Text = compact_str::CompactString;

/// Cells read as strings, as text cells.
pub fn text_cells(cells: Vec<Option<String>>) -> Vec<Option<Text>> {
    cells.into_iter().map(|c| c.map(Text::from)).collect()
}

impl Column {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            Column::Num(v) => v.len(),
            Column::Text(v) => v.len(),
        }
    }

    /// Whether the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether row `i` is missing.
    pub fn is_missing(&self, i: usize) -> bool {
        match self {
            Column::Num(v) => v[i].is_none(),
            Column::Text(v) => v[i].is_none(),
        }
    }

    /// Count of missing cells.
    pub fn n_missing(&self) -> usize {
        (0..self.len()).filter(|&i| self.is_missing(i)).count()
    }
}

/// Columns of equal length with their names and the file they came from.
#[derive(Debug, Clone)]
pub struct Table {
    /// The file name as the user gave it.
    pub source: String,
    /// Column names in file order.
    pub names: Vec<String>,
    /// Typed columns, parallel to `names`.
    pub columns: Vec<Column>,
    /// Physical line of the file where each data row starts (blank lines and line breaks
    /// inside quoted cells counted); empty when row `i` is line `i + 2`.
    pub lines: Vec<usize>,
}

impl Table {
    /// Read a file and type each column by inference: numeric when every non-missing cell
    /// parses as a finite number, text otherwise.
    pub fn read(path: &Path) -> Result<Table> {
        Table::read_keeping_text(path, &[])
    }

    /// [`Table::read`], keeping the columns named in `text` as text whatever their cells: an
    /// identifier `007` stays `007` (inference would make it the number 7) on every path.
    /// CSV goes through the parallel typed reader ([`fast`]).
    pub fn read_keeping_text(path: &Path, text: &[&str]) -> Result<Table> {
        if let read::Format::Csv { delimiter } = read::Format::from_path(path)? {
            let bytes = read::read_csv_bytes(path)?;
            return fast::read_typed(&path.display().to_string(), &bytes, delimiter, text);
        }
        parquet::read_table(path, text)
    }

    /// Type a raw table by inference, keeping the columns named in `text` as text.
    pub fn typed_keeping_text(raw: RawTable, text: &[&str]) -> Table {
        Table {
            columns: raw
                .names
                .iter()
                .zip(raw.columns)
                .map(|(name, cells)| {
                    if text.contains(&name.as_str()) {
                        Column::Text(text_cells(cells))
                    } else {
                        infer_column(cells)
                    }
                })
                .collect(),
            source: raw.source,
            names: raw.names,
            lines: raw.lines,
        }
    }

    /// Type a raw table by inference (see [`Table::read`]).
    pub fn infer(raw: RawTable) -> Table {
        Table::typed_keeping_text(raw, &[])
    }

    /// The row number a user sees for data row `i` (0-based): the physical line of the file
    /// where the row starts, header = 1.
    pub fn row(&self, i: usize) -> usize {
        line_of(&self.lines, i)
    }

    /// The table as CSV text: header, then one line per row; numbers in shortest round-trip
    /// form, missing cells empty, text quoted when it holds a comma, quote or line break.
    pub fn to_csv(&self) -> String {
        let field = write::push_field;
        let mut out = String::new();
        for (j, name) in self.names.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            field(&mut out, name);
        }
        out.push('\n');
        for i in 0..self.nrows() {
            for (j, col) in self.columns.iter().enumerate() {
                if j > 0 {
                    out.push(',');
                }
                match col {
                    Column::Num(v) => {
                        if let Some(x) = v[i] {
                            out.push_str(&x.to_string());
                        }
                    }
                    Column::Text(v) => {
                        if let Some(t) = &v[i] {
                            field(&mut out, t);
                        }
                    }
                }
            }
            out.push('\n');
        }
        out
    }

    /// Number of rows.
    pub fn nrows(&self) -> usize {
        self.columns.first().map_or(0, Column::len)
    }

    /// Index of a column by exact name.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// A column by name, or [`Error::ColumnNotFound`] with a "did you mean" hint.
    pub fn column(&self, name: &str) -> Result<&Column> {
        match self.index(name) {
            Some(j) => Ok(&self.columns[j]),
            None => Err(column_not_found(&self.source, name, &self.names)),
        }
    }

    /// A text column by name (identifiers, labels); a numeric column is an error.
    pub fn text(&self, name: &str) -> Result<&[Option<Text>]> {
        match self.column(name)? {
            Column::Text(v) => Ok(v),
            Column::Num(_) => Err(Error::Usage(format!(
                "{}: column '{name}' should be text",
                self.source
            ))),
        }
    }

    /// A numeric column by name; a text column is an error listing every cell that is not a
    /// number (file row, value, and the likely cause).
    pub fn num(&self, name: &str) -> Result<&[Option<f64>]> {
        match self.column(name)? {
            Column::Num(v) => Ok(v),
            Column::Text(v) => Err(Error::InvalidInput(non_numbers(self, name, v))),
        }
    }

    /// Whether column `name` is text although some of its cells are numbers: a number column
    /// with a few stray cells (`N/A`, `68,5`), which inference read as text. Such a column
    /// is never taken as a category without `cat()`: see [`Table::num`].
    pub fn is_mixed(&self, name: &str) -> bool {
        match self.column(name) {
            Ok(Column::Text(v)) => v.iter().flatten().any(|c| parse_number(c).is_some()),
            _ => false,
        }
    }

    /// Warnings for the text columns whose cells are mostly numbers: the type a user expects
    /// and the one inferred differ because of a few cells, and a user should hear it before a
    /// formula reads the column.
    pub fn ambiguity_warnings(&self) -> Vec<Problem> {
        use rayon::prelude::*;
        let per_column: Vec<Option<Problem>> = self
            .names
            .par_iter()
            .zip(self.columns.par_iter())
            .map(|(name, col)| self.ambiguity_of(name, col))
            .collect();
        per_column.into_iter().flatten().collect()
    }

    /// The warning of [`Table::ambiguity_warnings`] for one column, if any.
    fn ambiguity_of(&self, name: &str, col: &Column) -> Option<Problem> {
        {
            let Column::Text(v) = col else { return None };
            // the count of numbers and of other cells, and the first three others
            let (mut numbers, mut n_others, mut others) = (0usize, 0usize, Vec::new());
            // categories repeat a few labels: their verdicts are kept (up to 16 labels)
            let mut known: Vec<(&str, bool)> = Vec::new();
            fn is_number<'a>(known: &mut Vec<(&'a str, bool)>, c: &'a str) -> bool {
                if let Some(&(_, v)) = known.iter().find(|(l, _)| cell::same_label(l, c)) {
                    return v;
                }
                let v = parse_number(c).is_some();
                if known.len() < 16 {
                    known.push((c, v));
                }
                v
            }
            for (i, c) in v.iter().enumerate() {
                if let Some(c) = c.as_deref() {
                    if is_number(&mut known, c) {
                        numbers += 1;
                    } else {
                        n_others += 1;
                        if others.len() < 3 {
                            others.push((i, c));
                        }
                    }
                }
            }
            // all numbers: a column read as text on purpose (an identifier such as 007)
            if numbers == 0 || n_others == 0 || numbers < n_others {
                return None;
            }
            let shown: Vec<String> = others
                .iter()
                .map(|(i, c)| format!("row {}: '{c}'", self.row(*i)))
                .collect();
            Some(Problem {
                file: self.source.clone(),
                row: None,
                column: Some(name.to_string()),
                value: None,
                expected: format!(
                    "numbers, but {} of {} cells are not ({}{}); the column is read as text: \
                     as a number (plain term, log, rcs) it fails until they are fixed, and \
                     cat({name}) makes it a category",
                    n_others,
                    numbers + n_others,
                    shown.join(", "),
                    if n_others > 3 { ", ..." } else { "" }
                ),
            })
        }
    }
}

/// The row number of data row `i` under a line map (see [`Table::lines`]; empty = `i + 2`).
pub fn line_of(lines: &[usize], i: usize) -> usize {
    lines.get(i).copied().unwrap_or_else(|| file_row(i))
}

/// Type one column of text cells: numeric when every non-missing cell is a number
/// ([`parse_number`]), text otherwise (see [`Table::ambiguity_warnings`] for the columns where
/// a few cells decide).
pub fn infer_column(cells: Vec<Option<String>>) -> Column {
    if cells.iter().flatten().all(|c| parse_number(c).is_some()) {
        Column::Num(
            cells
                .iter()
                .map(|c| c.as_deref().and_then(parse_number))
                .collect(),
        )
    } else {
        Column::Text(text_cells(cells))
    }
}

/// Every cell of a text column that is not a number, as problems with their cause.
fn non_numbers(table: &Table, name: &str, cells: &[Option<Text>]) -> Vec<Problem> {
    let numbers = cells
        .iter()
        .flatten()
        .filter(|c| parse_number(c).is_some())
        .count();
    let note = if numbers > 0 {
        format!(" ({numbers} other cells of '{name}' are numbers)")
    } else {
        String::new()
    };
    cells
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let c = c.as_deref()?;
            parse_number(c).is_none().then(|| {
                Problem::cell(
                    &table.source,
                    table.row(i),
                    name,
                    c,
                    format!("{}{note}", number_expectation(c)),
                )
            })
        })
        .collect()
}

/// [`Error::ColumnNotFound`] for `name` in a file with columns `names`, with a "did you
/// mean" hint (or the list of columns).
pub fn column_not_found(source: &str, name: &str, names: &[String]) -> Error {
    Error::ColumnNotFound {
        file: source.to_string(),
        column: name.to_string(),
        hint: did_you_mean(name, names)
            .map(|s| format!(" (did you mean '{s}'?)"))
            .unwrap_or_else(|| format!(" (columns: {})", names.join(", "))),
    }
}

/// The closest name within a small edit distance (case-insensitive; 1 for names of up to 5
/// characters, 2 otherwise), if any.
pub fn did_you_mean<'a>(name: &str, candidates: &'a [String]) -> Option<&'a str> {
    let lower = name.to_ascii_lowercase();
    candidates
        .iter()
        .map(|c| (edit_distance(&lower, &c.to_ascii_lowercase()), c))
        .filter(|(d, c)| *d <= if c.len().min(lower.len()) <= 5 { 1 } else { 2 })
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.as_str())
}

/// Levenshtein distance on chars.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn to_csv_quotes_what_needs_it_and_reads_back() {
        let t = Table {
            source: "t".into(),
            names: vec!["id".into(), "x,y".into()],
            columns: vec![
                Column::Text(vec![Some("a\"b".into()), None, Some("line\nbreak".into())]),
                Column::Num(vec![Some(0.1), Some(-2.5e-8), None]),
            ],
            lines: Vec::new(),
        };
        let text = t.to_csv();
        assert_eq!(
            text,
            "id,\"x,y\"\n\"a\"\"b\",0.1\n,-0.000000025\n\"line\nbreak\",\n"
        );
        let mut r = csv::ReaderBuilder::new().from_reader(text.as_bytes());
        let rows: Vec<csv::StringRecord> = r.records().map(|x| x.expect("record")).collect();
        assert_eq!(&rows[0][0], "a\"b");
        assert_eq!(rows[1][1].parse::<f64>().ok(), Some(-2.5e-8));
        assert_eq!(&rows[2][0], "line\nbreak");
    }

    #[test]
    fn edit_distance_counts_insertions_and_swaps() {
        assert_eq!(edit_distance("ctx_ng_ml", "ctx_ng_ml"), 0);
        assert_eq!(edit_distance("ctx_ngml", "ctx_ng_ml"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn did_you_mean_finds_case_and_typo_variants() {
        let names = vec!["ctx_ng_ml".to_string(), "event".to_string()];
        assert_eq!(did_you_mean("CTX_ng_mL", &names), Some("ctx_ng_ml"));
        assert_eq!(did_you_mean("evnt", &names), Some("event"));
        assert_eq!(did_you_mean("ldh", &names), None);
        assert_eq!(did_you_mean("agent", &names), None);
    }
}
