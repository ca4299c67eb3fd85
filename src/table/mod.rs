//! A small typed column store: what the formula, the design matrix and the summaries read.
//!
//! Files are read as text ([`read::RawTable`]) and typed here, so that every cell that fails to
//! parse can be reported with its row and column.

pub mod read;

use std::path::Path;

use crate::error::{Error, Problem, Result};
pub use read::{file_row, read_raw, RawTable};

/// One typed column. Missing cells are `None`.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// Finite numbers.
    Num(Vec<Option<f64>>),
    /// Category labels or other text.
    Text(Vec<Option<String>>),
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
}

/// Parse a trimmed cell as a finite number.
pub fn parse_number(cell: &str) -> Option<f64> {
    cell.parse::<f64>().ok().filter(|x| x.is_finite())
}

impl Table {
    /// Read a file and type each column by inference: numeric when every non-missing cell
    /// parses as a finite number, text otherwise.
    pub fn read(path: &Path) -> Result<Table> {
        Ok(Table::infer(read_raw(path)?))
    }

    /// Type a raw table by inference (see [`Table::read`]).
    pub fn infer(raw: RawTable) -> Table {
        let columns = raw
            .columns
            .into_iter()
            .map(|cells| {
                let numeric = cells.iter().flatten().all(|c| parse_number(c).is_some());
                if numeric {
                    Column::Num(
                        cells
                            .iter()
                            .map(|c| c.as_deref().and_then(parse_number))
                            .collect(),
                    )
                } else {
                    Column::Text(cells)
                }
            })
            .collect();
        Table {
            source: raw.source,
            names: raw.names,
            columns,
        }
    }

    /// The table as CSV text: header, then one line per row; numbers in shortest round-trip
    /// form, missing cells empty, text quoted when it holds a comma, quote or line break.
    pub fn to_csv(&self) -> String {
        fn field(out: &mut String, s: &str) {
            if s.contains([',', '"', '\n', '\r']) {
                out.push('"');
                out.push_str(&s.replace('"', "\"\""));
                out.push('"');
            } else {
                out.push_str(s);
            }
        }
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
            None => Err(Error::ColumnNotFound {
                file: self.source.clone(),
                column: name.to_string(),
                hint: did_you_mean(name, &self.names)
                    .map(|s| format!(" (did you mean '{s}'?)"))
                    .unwrap_or_else(|| format!(" (columns: {})", self.names.join(", "))),
            }),
        }
    }

    /// A text column by name (identifiers, labels); a numeric column is an error.
    pub fn text(&self, name: &str) -> Result<&[Option<String>]> {
        match self.column(name)? {
            Column::Text(v) => Ok(v),
            Column::Num(_) => Err(Error::Usage(format!(
                "{}: column '{name}' should be text",
                self.source
            ))),
        }
    }

    /// A numeric column by name; a text column is an error naming the first non-number.
    pub fn num(&self, name: &str) -> Result<&[Option<f64>]> {
        match self.column(name)? {
            Column::Num(v) => Ok(v),
            Column::Text(v) => {
                let (i, bad) = v
                    .iter()
                    .enumerate()
                    .find_map(|(i, c)| {
                        c.as_deref()
                            .filter(|c| parse_number(c).is_none())
                            .map(|c| (i, c))
                    })
                    .unwrap_or((0, ""));
                Err(Error::one(Problem::cell(
                    &self.source,
                    file_row(i),
                    name,
                    bad,
                    "a number",
                )))
            }
        }
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
