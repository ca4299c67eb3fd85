//! Reading CSV and Parquet files into a [`RawTable`] of text cells with exact positions.
//!
//! CSV goes through the `csv` crate rather than polars' reader: polars stops at the first ragged
//! row or invalid UTF-8 byte without telling which row, while a researcher needs every problem
//! with its row and column. Parquet goes through polars (its columns are typed already, so the
//! row-level problems above cannot occur there).

use std::path::Path;

use crate::error::{Error, Problem, Result};

/// A file read as text cells, one `Vec` per column, before any typing.
///
/// Cells are trimmed; empty cells and `NA` are `None` (missing).
#[derive(Debug, Clone)]
pub struct RawTable {
    /// The file name as the user gave it (used in every message).
    pub source: String,
    /// Column names in file order.
    pub names: Vec<String>,
    /// `columns[j][i]` is the cell of data row `i` (file row `i + 2`) in column `j`.
    pub columns: Vec<Vec<Option<String>>>,
}

impl RawTable {
    /// Number of data rows (header excluded).
    pub fn nrows(&self) -> usize {
        self.columns.first().map_or(0, Vec::len)
    }
}

/// File row number (header = 1) of data row index `i`.
pub fn file_row(i: usize) -> usize {
    i + 2
}

/// Whether a trimmed cell means "not measured".
pub fn is_missing(cell: &str) -> bool {
    cell.is_empty() || cell == "NA"
}

/// Supported input formats, chosen by file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated (or tab-separated for `.tsv`).
    Csv { delimiter: u8 },
    /// Apache Parquet.
    Parquet,
}

impl Format {
    /// Pick the format from the extension: `.csv`, `.tsv`, `.txt`, `.parquet`, `.pq`.
    pub fn from_path(path: &Path) -> Result<Format> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase())
            .unwrap_or_default();
        match ext.as_str() {
            "csv" | "txt" => Ok(Format::Csv { delimiter: b',' }),
            "tsv" => Ok(Format::Csv { delimiter: b'\t' }),
            "parquet" | "pq" => Ok(Format::Parquet),
            _ => Err(Error::one(Problem::file_level(
                &path.display().to_string(),
                "a file ending in .csv, .tsv or .parquet",
            ))),
        }
    }
}

/// Read a CSV or Parquet file into text cells, reporting every structural problem at once.
///
/// # Errors
/// [`Error::InvalidInput`] for an empty file, a header without data rows, duplicate or empty
/// column names, ragged rows and non-UTF-8 cells; [`Error::Io`] when the file cannot be opened.
pub fn read_raw(path: &Path) -> Result<RawTable> {
    match Format::from_path(path)? {
        Format::Csv { delimiter } => read_csv(path, delimiter),
        Format::Parquet => read_parquet(path),
    }
}

fn read_csv(path: &Path, delimiter: u8) -> Result<RawTable> {
    let source = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(Error::one(Problem::file_level(
            &source,
            "a header row and at least one data row, but the file is empty",
        )));
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut problems = Vec::new();
    let mut records = reader.byte_records();
    let header = match records.next() {
        Some(Ok(h)) => h,
        Some(Err(e)) => {
            return Err(Error::one(Problem::file_level(
                &source,
                format!("a readable CSV header ({e})"),
            )))
        }
        None => {
            return Err(Error::one(Problem::file_level(
                &source,
                "a header row, but the file has none",
            )))
        }
    };
    let mut names = Vec::with_capacity(header.len());
    for (j, raw) in header.iter().enumerate() {
        let name = match std::str::from_utf8(raw) {
            Ok(s) => s.trim().to_string(),
            Err(_) => {
                problems.push(Problem {
                    file: source.clone(),
                    row: Some(1),
                    column: Some(format!("#{}", j + 1)),
                    value: Some(escape_bytes(raw)),
                    expected: "a UTF-8 column name (save the file as UTF-8)".into(),
                });
                format!("#{}", j + 1)
            }
        };
        if name.is_empty() {
            problems.push(Problem {
                file: source.clone(),
                row: Some(1),
                column: Some(format!("#{}", j + 1)),
                value: Some(String::new()),
                expected: "a non-empty column name".into(),
            });
        } else if names.contains(&name) {
            problems.push(Problem::cell(
                &source,
                1,
                &name,
                &name,
                "each column name once, but it appears twice in the header",
            ));
        }
        names.push(name);
    }
    let width = names.len();
    let mut columns: Vec<Vec<Option<String>>> = vec![Vec::new(); width];
    for (i, record) in records.enumerate() {
        let row = file_row(i);
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.push(Problem {
                    file: source.clone(),
                    row: Some(row),
                    column: None,
                    value: None,
                    expected: format!("a well-formed CSV record ({e})"),
                });
                continue;
            }
        };
        if record.len() != width {
            // Name the first column the row fails to fill (short row) or the first field past
            // the last column (long row), so the user knows where to look.
            let column = match names.get(record.len()) {
                Some(name) => name.clone(),
                None => format!("(field {} after '{}')", width + 1, names[width - 1]),
            };
            problems.push(Problem {
                file: source.clone(),
                row: Some(row),
                column: Some(column),
                value: Some(format!("{} fields", record.len())),
                expected: format!("{width} fields, as many as the header has (ragged row)"),
            });
            continue;
        }
        for (j, raw) in record.iter().enumerate() {
            let cell = match std::str::from_utf8(raw) {
                Ok(s) => s.trim(),
                Err(_) => {
                    problems.push(Problem::cell(
                        &source,
                        row,
                        &names[j],
                        &escape_bytes(raw),
                        "UTF-8 text (the file has bytes of another encoding; save it as UTF-8)",
                    ));
                    ""
                }
            };
            columns[j].push((!is_missing(cell)).then(|| cell.to_string()));
        }
    }
    if problems.is_empty() && columns.first().is_none_or(Vec::is_empty) {
        problems.push(Problem::file_level(
            &source,
            "at least one data row, but the file has only a header",
        ));
    }
    if problems.is_empty() {
        Ok(RawTable {
            source,
            names,
            columns,
        })
    } else {
        Err(Error::InvalidInput(problems))
    }
}

/// Show non-UTF-8 bytes as `\xNN` so the user can find them in an editor.
fn escape_bytes(raw: &[u8]) -> String {
    let mut s = String::new();
    for chunk in raw.utf8_chunks() {
        s.push_str(chunk.valid());
        for b in chunk.invalid() {
            s.push_str(&format!("\\x{b:02X}"));
        }
    }
    s
}

fn read_parquet(path: &Path) -> Result<RawTable> {
    use polars::prelude::*;
    let source = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let df = ParquetReader::new(file).finish().map_err(|e| {
        Error::one(Problem::file_level(
            &source,
            format!("a readable Parquet file ({e})"),
        ))
    })?;
    if df.height() == 0 {
        return Err(Error::one(Problem::file_level(
            &source,
            "at least one data row, but the file has only a schema",
        )));
    }
    let mut names = Vec::with_capacity(df.width());
    let mut columns = Vec::with_capacity(df.width());
    for col in df.get_columns() {
        let name = col.name().to_string();
        let text = col.cast(&DataType::String).map_err(|e| {
            Error::one(Problem {
                file: source.clone(),
                row: None,
                column: Some(name.clone()),
                value: Some(format!("{}", col.dtype())),
                expected: format!("a column of numbers or text ({e})"),
            })
        })?;
        let text = text.str().map_err(|e| {
            Error::one(Problem::file_level(
                &source,
                format!("text after casting column '{name}' ({e})"),
            ))
        })?;
        let cells: Vec<Option<String>> = text
            .into_iter()
            .map(|c| {
                c.map(str::trim)
                    .filter(|c| !is_missing(c))
                    .map(str::to_string)
            })
            .collect();
        names.push(name);
        columns.push(cells);
    }
    Ok(RawTable {
        source,
        names,
        columns,
    })
}
