//! Parquet input: every page header checked before polars decodes anything, columns read
//! column-wise (a 64-bit float or integer column straight to numbers, anything else through
//! its text, as a CSV cell is read), the file whole or one row group at a time
//! ([`RowGroups`], which `score` streams).
//!
//! The checks exist because polars' decoder allocates what a header claims (a damaged
//! `num_values` asked for exabytes and aborted the process): every data page must hold at most
//! the rows of its row group, every page at most [`crate::limits::MAX_PARQUET_PAGE_BYTES`]
//! once decompressed; a file read whole holds at most [`crate::limits::MAX_PARQUET_ROWS`]
//! rows. A decoder that panics anyway on a damaged file is reported as unreadable.

use std::path::Path;

use polars::polars_utils::mmap::{MemReader, MemSlice};
use polars::prelude::{DataFrame, DataType, ParquetReader, PolarsError, SerReader};
use polars_parquet::parquet::metadata::{FileMetadata, RowGroupMetadata};

use super::cell::is_missing;
use super::read::{name_problems, regular_file, RawTable};
use super::{infer_column, text_cells, Column, Table};
use crate::error::{Error, Problem, Result};

/// Read a Parquet file whole into text cells (the raw form every reader shares).
///
/// # Errors
/// As [`super::read_raw`].
pub(crate) fn read_raw(path: &Path) -> Result<RawTable> {
    regular_file(path)?;
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    parse_parquet(&path.display().to_string(), bytes)
}

/// Parse the bytes of a Parquet file (`source` names it in messages) into text cells.
///
/// # Errors
/// As [`super::read_raw`]; a damaged file, also one that makes the decoder panic.
pub fn parse_parquet(source: &str, bytes: Vec<u8>) -> Result<RawTable> {
    guarded(source, || {
        let df = decode_whole(source, bytes)?;
        let mut names = Vec::with_capacity(df.width());
        let mut columns = Vec::with_capacity(df.width());
        for col in df.get_columns() {
            names.push(col.name().to_string());
            columns.push(text_of(source, col)?);
        }
        Ok(RawTable {
            source: source.to_string(),
            names,
            columns,
            lines: Vec::new(),
        })
    })
}

/// Read a Parquet file whole into a typed table, column-wise; the columns named in `text`
/// stay text (see [`Table::read_keeping_text`]).
///
/// # Errors
/// As [`super::read_raw`].
pub(crate) fn read_table(path: &Path, text: &[&str]) -> Result<Table> {
    regular_file(path)?;
    let source = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    guarded(&source, || {
        let df = decode_whole(&source, bytes)?;
        table_of(&source, &df, text, 0)
    })
}

/// The column names of a Parquet file, from its footer (nothing else is read).
///
/// # Errors
/// As [`RowGroups::open`].
pub fn column_names(path: &Path) -> Result<Vec<String>> {
    Ok(RowGroups::open(path, &[], &[])?.names)
}

/// A Parquet file read one row group at a time, each as a typed table whose rows know their
/// place in the file (messages name file rows, header = row 1). Memory holds one row group.
pub struct RowGroups {
    path: std::path::PathBuf,
    source: String,
    /// The footer, parsed once: the pages are checked against it and polars decodes with it.
    meta: std::sync::Arc<FileMetadata>,
    names: Vec<String>,
    columns: Vec<String>,
    text: Vec<String>,
    next: usize,
    offset: usize,
}

impl RowGroups {
    /// Open `path` and read its footer; `columns` are the columns to decode (all when empty),
    /// `text` those kept as text.
    ///
    /// # Errors
    /// An unreadable file or footer, duplicate or empty column names, a file without rows, a
    /// requested column the file does not have ([`Error::ColumnNotFound`]).
    pub fn open(path: &Path, columns: &[&str], text: &[&str]) -> Result<RowGroups> {
        regular_file(path)?;
        let source = path.display().to_string();
        let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let meta = guarded(&source, || {
            polars_parquet::parquet::read::read_metadata(&mut file)
                .map_err(|e| damaged(&source, format!("its footer does not parse ({e})")))
        })?;
        let names = schema_names(&source, &meta)?;
        // the rows are those of the row groups (a footer's own count is not trusted)
        if meta.row_groups.iter().all(|rg| rg.num_rows() == 0) {
            return Err(no_rows(&source));
        }
        for c in columns {
            if !names.iter().any(|n| n == c) {
                return Err(super::column_not_found(&source, c, &names));
            }
        }
        Ok(RowGroups {
            path: path.to_path_buf(),
            source,
            meta: std::sync::Arc::new(meta),
            names,
            columns: columns.iter().map(|c| c.to_string()).collect(),
            text: text.iter().map(|c| c.to_string()).collect(),
            next: 0,
            offset: 0,
        })
    }

    /// Check, decode and type row group `g` (its first row is data row `offset`).
    fn read(&self, g: usize, offset: usize) -> Result<Table> {
        let rg = &self.meta.row_groups[g];
        let rows = rg.num_rows();
        guarded(&self.source, || {
            let file = std::fs::File::open(&self.path).map_err(|e| Error::io(&self.path, e))?;
            let slice = MemSlice::from_file(&file).map_err(|e| unreadable(&self.source, &e))?;
            check_row_group(&self.source, &slice, g, rg)?;
            drop(slice);
            let projection = (!self.columns.is_empty()).then(|| self.columns.clone());
            let mut reader = ParquetReader::new(file);
            reader.set_metadata(self.meta.clone());
            let df = reader
                .with_columns(projection)
                .with_slice(Some((offset, rows)))
                .finish()
                .map_err(|e| unreadable(&self.source, &e))?;
            let text: Vec<&str> = self.text.iter().map(String::as_str).collect();
            table_of(&self.source, &df, &text, offset)
        })
    }
}

impl Iterator for RowGroups {
    type Item = Result<Table>;

    fn next(&mut self) -> Option<Result<Table>> {
        // row groups without rows are skipped
        while self.next < self.meta.row_groups.len() {
            let g = self.next;
            self.next += 1;
            let rows = self.meta.row_groups[g].num_rows();
            if rows == 0 {
                continue;
            }
            let offset = self.offset;
            self.offset += rows;
            let batch = self.read(g, offset);
            if batch.is_err() {
                self.next = self.meta.row_groups.len(); // stop after an error
            }
            return Some(batch);
        }
        None
    }
}

/// Run `read`, turning a panic of the decoder on a damaged file into a message.
fn guarded<T>(source: &str, read: impl FnOnce() -> Result<T>) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(read)).unwrap_or_else(|_| {
        Err(Error::one(Problem::file_level(
            source,
            "a readable Parquet file (the file is damaged: its decoder failed)",
        )))
    })
}

/// Check the whole file's pages, then decode it.
fn decode_whole(source: &str, bytes: Vec<u8>) -> Result<DataFrame> {
    let meta = polars_parquet::parquet::read::read_metadata(&mut std::io::Cursor::new(&bytes))
        .map_err(|e| damaged(source, format!("its footer does not parse ({e})")))?;
    let max_rows = crate::limits::MAX_PARQUET_ROWS;
    let total = meta
        .row_groups
        .iter()
        .fold(0usize, |t, rg| t.saturating_add(rg.num_rows()));
    if total > max_rows || meta.num_rows > max_rows {
        return Err(damaged(
            source,
            format!(
                "it declares {} rows; at most {max_rows} are read whole (split the file)",
                total.max(meta.num_rows)
            ),
        ));
    }
    let slice = MemSlice::from_vec(bytes);
    for (g, rg) in meta.row_groups.iter().enumerate() {
        check_row_group(source, &slice, g, rg)?;
    }
    // the file's own column list: polars keeps one column per name (the last), so duplicates
    // must be caught here, with the same rule as a CSV header
    schema_names(source, &meta)?;
    // decoded with the footer whose pages were checked (not parsed a second time)
    let mut reader = ParquetReader::new(std::io::Cursor::new(slice.as_ref()));
    reader.set_metadata(std::sync::Arc::new(meta));
    let df = reader.finish().map_err(|e| unreadable(source, &e))?;
    if df.height() == 0 {
        return Err(no_rows(source));
    }
    Ok(df)
}

/// The schema's column names, each non-empty and given once.
fn schema_names(source: &str, meta: &FileMetadata) -> Result<Vec<String>> {
    let names: Vec<String> = meta
        .schema_descr
        .fields()
        .iter()
        .map(|f| f.name().to_string())
        .collect();
    let problems = name_problems(source, &names);
    if problems.is_empty() {
        Ok(names)
    } else {
        Err(Error::InvalidInput(problems))
    }
}

/// Check the page headers of row group `g` in the file `bytes` before anything decodes it.
fn check_row_group(source: &str, bytes: &MemSlice, g: usize, rg: &RowGroupMetadata) -> Result<()> {
    use polars_parquet::parquet::page::CompressedPage;
    use polars_parquet::parquet::read::get_page_iterator;
    let rows = rg.num_rows();
    if rows > crate::limits::MAX_PARQUET_ROWS {
        return Err(damaged(
            source,
            format!("row group {g} declares {rows} rows"),
        ));
    }
    let max_page = crate::limits::MAX_PARQUET_PAGE_BYTES;
    for col in rg.parquet_columns() {
        let range = col.byte_range();
        if range.start > range.end || range.end > bytes.len() as u64 {
            return Err(damaged(
                source,
                format!("row group {g} points past the end of the file"),
            ));
        }
        let name = col.descriptor().path_in_schema.join(".");
        let pages = get_page_iterator(col, MemReader::new(bytes.clone()), Vec::new(), max_page)
            .map_err(|e| damaged(source, format!("column '{name}': {e}")))?;
        let mut values = 0usize;
        // a repeated (list) column holds more values than rows
        let flat = col.descriptor().descriptor.max_rep_level == 0;
        for page in pages {
            let page = page.map_err(|e| damaged(source, format!("column '{name}': {e}")))?;
            if let CompressedPage::Data(d) = &page {
                let n = d.num_values();
                values = values.saturating_add(n);
                if flat && (n > rows || values > rows) {
                    return Err(damaged(
                        source,
                        format!("column '{name}' has a page of {n} values in a row group of {rows} rows"),
                    ));
                }
                if d.uncompressed_size() > max_page {
                    return Err(damaged(
                        source,
                        format!(
                            "column '{name}' has a page of {} bytes",
                            d.uncompressed_size()
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// A decoded frame as a typed table; its first row is data row `offset` of the file.
fn table_of(source: &str, df: &DataFrame, text: &[&str], offset: usize) -> Result<Table> {
    let mut names = Vec::with_capacity(df.width());
    let mut columns = Vec::with_capacity(df.width());
    for col in df.get_columns() {
        let name = col.name().to_string();
        let keep_text = text.contains(&name.as_str());
        let column = match (keep_text, numbers_of(col)) {
            (false, Some(v)) => Column::Num(v),
            (true, _) => Column::Text(text_cells(text_of(source, col)?)),
            (false, None) => infer_column(text_of(source, col)?),
        };
        names.push(name);
        columns.push(column);
    }
    Ok(Table {
        source: source.to_string(),
        names,
        columns,
        lines: if offset == 0 {
            Vec::new()
        } else {
            (0..df.height())
                .map(|i| super::file_row(offset + i))
                .collect()
        },
    })
}

/// The numbers of a 64-bit float or integer column when every value is finite: the values
/// its text would parse to (an integer beyond 2^53 rounds to the nearest double either way).
/// `None` for other types (a 32-bit float's text is its shortest decimal, not its double)
/// and for NaN or infinite values, which go through the text path and its messages.
fn numbers_of(col: &polars::prelude::Column) -> Option<Vec<Option<f64>>> {
    let dtype = col.dtype();
    if !(dtype.is_integer() || *dtype == DataType::Float64) {
        return None;
    }
    let cast = col.cast(&DataType::Float64).ok()?;
    let values = cast.f64().ok()?;
    let cells: Vec<Option<f64>> = values.into_iter().collect();
    cells
        .iter()
        .flatten()
        .all(|v| v.is_finite())
        .then_some(cells)
}

/// A column as text cells, trimmed, with the missing-value words as missing.
fn text_of(source: &str, col: &polars::prelude::Column) -> Result<Vec<Option<String>>> {
    let name = col.name().to_string();
    let text = col.cast(&DataType::String).map_err(|e| {
        Error::one(Problem {
            file: source.to_string(),
            row: None,
            column: Some(name.clone()),
            value: Some(format!("{}", col.dtype())),
            expected: format!("a column of numbers or text ({e})"),
        })
    })?;
    let text = text.str().map_err(|e| {
        Error::one(Problem::file_level(
            source,
            format!("text after casting column '{name}' ({e})"),
        ))
    })?;
    Ok(text
        .into_iter()
        .map(|c| {
            c.map(str::trim)
                .filter(|c| !is_missing(c))
                .map(str::to_string)
        })
        .collect())
}

fn damaged(source: &str, what: String) -> Error {
    Error::one(Problem::file_level(
        source,
        format!("a readable Parquet file, but it is damaged: {what}"),
    ))
}

fn unreadable(source: &str, e: &PolarsError) -> Error {
    Error::one(Problem::file_level(
        source,
        format!(
            "a readable Parquet file ({})",
            crate::rules::engine_message(e)
        ),
    ))
}

fn no_rows(source: &str) -> Error {
    Error::one(Problem::file_level(
        source,
        "at least one data row, but the file has only a schema",
    ))
}
