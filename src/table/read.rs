//! Reading CSV and Parquet files into a [`RawTable`] of text cells with exact positions.
//!
//! CSV goes through the `csv` crate rather than polars' reader: polars stops at the first ragged
//! row or invalid UTF-8 byte without telling which row, while a researcher needs every problem
//! with its row and column. Parquet goes through polars (its columns are typed already, so the
//! row-level problems above cannot occur there).

use std::path::Path;

use super::cell::is_missing;
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
    /// `columns[j][i]` is the cell of data row `i` in column `j`.
    pub columns: Vec<Vec<Option<String>>>,
    /// Physical line where data row `i` starts (see [`super::Table::lines`]).
    pub lines: Vec<usize>,
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
        Format::Parquet => super::parquet::read_raw(path),
    }
}

fn read_csv(path: &Path, delimiter: u8) -> Result<RawTable> {
    let bytes = read_csv_bytes(path)?;
    parse_csv(&path.display().to_string(), &bytes, delimiter)
}

/// The bytes of a CSV file (a regular file, or an error naming it).
///
/// # Errors
/// [`Error::Io`] or a file-level problem when it is not a regular file.
pub fn read_csv_bytes(path: &Path) -> Result<Vec<u8>> {
    regular_file(path)?;
    std::fs::read(path).map_err(|e| Error::io(path, e))
}

/// Parse the bytes of a CSV file (`source` names it in messages); the whole of [`read_raw`]
/// for CSV but the read itself.
///
/// # Errors
/// As [`read_raw`].
pub fn parse_csv(source: &str, bytes: &[u8], delimiter: u8) -> Result<RawTable> {
    let source = source.to_string();
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(Error::one(Problem::file_level(
            &source,
            "a header row and at least one data row, but the file is empty",
        )));
    }
    if let Some(what) = binary_kind(bytes) {
        return Err(Error::one(Problem::file_level(
            &source,
            format!("a text file of comma-separated values, but this is {what}"),
        )));
    }
    if let Some(line) = unclosed_quote(bytes, delimiter) {
        return Err(Error::one(Problem {
            file: source.clone(),
            row: Some(line),
            column: None,
            value: Some("\"".into()),
            expected: "every quoted cell closed by a second quote, but the quote that opens on this line is never closed (the rest of the file would be one cell)".into(),
        }));
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
        names.push(name);
    }
    problems.extend(name_problems(&source, &names));
    let width = names.len();
    if let Some(hint) = delimiter_hint(&names, delimiter) {
        problems.push(Problem::file_level(&source, hint));
        return Err(Error::InvalidInput(problems));
    }
    let mut columns: Vec<Vec<Option<String>>> = vec![Vec::new(); width];
    let mut lines = Vec::new();
    let mut lines_at = LineCounter::default();
    for (i, record) in records.enumerate() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let row = e
                    .position()
                    .map_or_else(|| file_row(i), |p| lines_at.record_line(bytes, p));
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
        let row = record
            .position()
            .map_or_else(|| file_row(i), |p| lines_at.record_line(bytes, p));
        lines.push(row);
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
        // only non-trivial line maps are kept (a file without blank lines or line breaks in
        // quoted cells has row i on line i + 2)
        let trivial = lines.iter().enumerate().all(|(i, &l)| l == file_row(i));
        Ok(RawTable {
            source,
            names,
            columns,
            lines: if trivial { Vec::new() } else { lines },
        })
    } else {
        Err(Error::InvalidInput(problems))
    }
}

/// The column names of a CSV file's header (its first non-blank record, trimmed), read
/// without reading the rest: `None` when the header is not plain UTF-8 text or the file
/// cannot be read (the caller's careful path then reports why).
pub fn header_names(path: &Path, delimiter: u8) -> Option<Vec<String>> {
    // a device or a pipe (/dev/zero) would never end a header
    regular_file(path).ok()?;
    let file = std::fs::File::open(path).ok()?;
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(std::io::BufReader::new(file));
    let mut record = csv::ByteRecord::new();
    if !reader.read_byte_record(&mut record).ok()? {
        return None;
    }
    record
        .iter()
        .enumerate()
        .map(|(j, f)| {
            // a byte order mark belongs to the file, not to the first name
            let f = if j == 0 {
                f.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(f)
            } else {
                f
            };
            std::str::from_utf8(f).ok().map(|s| s.trim().to_string())
        })
        .collect()
}

/// Physical line numbers of byte offsets, counted as an editor counts them: a line ends at
/// `\n`, `\r\n` or a lone `\r` (old Mac files). Offsets are asked for in increasing order,
/// so the whole file is scanned once.
#[derive(Default)]
struct LineCounter {
    byte: usize,
    line: usize,
}

impl LineCounter {
    /// The line where the record at `pos` starts (after the blank lines the `csv` crate skips
    /// before it: it positions a record where it began looking for it).
    fn record_line(&mut self, bytes: &[u8], pos: &csv::Position) -> usize {
        let mut start = (pos.byte() as usize).min(bytes.len());
        while start < bytes.len() && matches!(bytes[start], b'\n' | b'\r') {
            start += 1;
        }
        if start < self.byte {
            self.byte = 0;
            self.line = 0;
        }
        let prev = self.byte.checked_sub(1).map(|k| bytes[k]);
        self.line += count_line_ends(&bytes[self.byte..start], prev);
        self.byte = start;
        self.line + 1
    }
}

/// The line ends in `bytes`, `prev` being the byte before them: `\n`, `\r\n` and a lone `\r`
/// each end one line (counted as every `\r` plus every `\n` not right after a `\r`, so that
/// bytes can be counted in pieces).
pub(crate) fn count_line_ends(bytes: &[u8], prev: Option<u8>) -> usize {
    memchr::memchr2_iter(b'\n', b'\r', bytes)
        .filter(|&k| {
            bytes[k] == b'\r' || (if k == 0 { prev } else { Some(bytes[k - 1]) }) != Some(b'\r')
        })
        .count()
}

/// The physical line (1-based, the header's first line is 1) of the record starting at each
/// byte offset of `path`, for readers that stream a file and number its rows only when one
/// fails. A record starts after the blank lines at its offset, as in [`LineCounter`].
///
/// # Errors
/// [`Error::Io`] when the file cannot be read.
pub fn physical_lines(path: &Path, offsets: &[u64]) -> Result<Vec<usize>> {
    use std::io::BufRead;
    let io = |e| Error::io(path, e);
    let mut reader =
        std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(path).map_err(io)?);
    let mut order: Vec<usize> = (0..offsets.len()).collect();
    order.sort_by_key(|&k| offsets[k]);
    let mut lines = vec![0; offsets.len()];
    let (mut pos, mut ends, mut prev) = (0u64, 0usize, None);
    for k in order {
        while pos < offsets[k] {
            let buf = reader.fill_buf().map_err(io)?;
            if buf.is_empty() {
                break;
            }
            // at least one byte: pos < offset and the buffer is not empty
            let take = usize::try_from(offsets[k] - pos).map_or(buf.len(), |d| d.min(buf.len()));
            ends += count_line_ends(&buf[..take], prev);
            prev = Some(buf[take - 1]);
            reader.consume(take);
            pos += take as u64;
        }
        while let Some(&b) = reader.fill_buf().map_err(io)?.first() {
            if b != b'\n' && b != b'\r' {
                break;
            }
            ends += count_line_ends(&[b], prev);
            prev = Some(b);
            reader.consume(1);
            pos += 1;
        }
        lines[k] = ends + 1;
    }
    Ok(lines)
}

/// Refuse inputs that are not regular files (`/dev/zero`, a pipe): they can be endless, and
/// every reader reads its input whole or streams it to the end.
pub(crate) fn regular_file(path: &Path) -> Result<()> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.is_file() {
        Ok(())
    } else {
        Err(Error::one(Problem::file_level(
            &path.display().to_string(),
            if meta.is_dir() {
                "a file, but this is a folder"
            } else {
                "a regular file, but this is a device or a pipe (save the data to a file first)"
            },
        )))
    }
}

/// The checks of a text input that need only its start, for readers that stream the rest
/// (the CSV scorer): a regular file, not a binary one, its header separated as its name says.
///
/// # Errors
/// [`Error::InvalidInput`] naming the file and what it is.
pub fn check_text_file(path: &Path, delimiter: u8) -> Result<()> {
    use std::io::Read;
    regular_file(path)?;
    let source = path.display().to_string();
    let mut head = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(64 * 1024).read_to_end(&mut head))
        .map_err(|e| Error::io(path, e))?;
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head);
    if let Some(what) = binary_kind(head) {
        return Err(Error::one(Problem::file_level(
            &source,
            format!("a text file of comma-separated values, but this is {what}"),
        )));
    }
    let first = head.split(|&b| b == b'\n').next().unwrap_or(&[]);
    let names: Vec<String> = String::from_utf8_lossy(first)
        .trim_end_matches('\r')
        .split(delimiter as char)
        .map(str::to_string)
        .collect();
    match delimiter_hint(&names, delimiter) {
        Some(hint) => Err(Error::one(Problem::file_level(&source, hint))),
        None => Ok(()),
    }
}

/// What a binary file is, when a text file was expected: compressed, Parquet, a spreadsheet,
/// or any file with NUL bytes near its start. Named instead of being dumped to the terminal.
pub fn binary_kind(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        Some("a gzip-compressed file (decompress it first: gunzip)")
    } else if bytes.starts_with(b"PAR1") {
        Some("a Parquet file (name it .parquet)")
    } else if bytes.starts_with(b"PK\x03\x04") {
        Some("a zip archive or an Excel workbook (export the sheet as CSV)")
    } else if bytes.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Some("a zstd-compressed file (decompress it first)")
    } else if bytes.starts_with(b"BZh") && bytes.get(3).is_some_and(u8::is_ascii_digit) {
        Some("a bzip2-compressed file (decompress it first)")
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        Some("an old Excel workbook (export the sheet as CSV)")
    } else if bytes[..bytes.len().min(8192)].contains(&0) {
        Some("a binary file (it has NUL bytes; is it UTF-16 text? save it as UTF-8)")
    } else {
        None
    }
}

/// The line where a quoted cell opens and is never closed, if any. A quote opens a quoted
/// cell only at the start of a cell (as the `csv` crate reads it); `""` inside is a quote.
pub fn unclosed_quote(bytes: &[u8], delimiter: u8) -> Option<usize> {
    let mut line = 1usize;
    let mut opened_at = 0usize;
    let mut in_quotes = false;
    let mut at_field_start = true;
    let mut k = 0;
    while k < bytes.len() {
        let b = bytes[k];
        if in_quotes {
            if b == b'"' {
                if bytes.get(k + 1) == Some(&b'"') {
                    k += 1;
                } else {
                    in_quotes = false;
                }
            } else if b == b'\n' {
                line += 1;
            }
        } else if b == b'"' && at_field_start {
            in_quotes = true;
            opened_at = line;
        } else if b == b'\n' {
            line += 1;
        }
        at_field_start = !in_quotes && (b == delimiter || b == b'\n' || b == b'\r');
        k += 1;
    }
    in_quotes.then_some(opened_at)
}

/// A hint when a header read with `delimiter` is one column that holds another separator: a
/// semicolon- or tab-separated file with a `.csv` name.
pub(crate) fn delimiter_hint(names: &[String], delimiter: u8) -> Option<String> {
    let [only] = names else { return None };
    let found = [
        (b';', "semicolons"),
        (b'\t', "tabs"),
        (b'|', "vertical bars"),
    ]
    .into_iter()
    .find(|&(d, _)| d != delimiter && only.as_bytes().contains(&d))?;
    let fix = if found.0 == b'\t' {
        "name it .tsv"
    } else {
        "save it with commas as separators (and '.' as the decimal mark)"
    };
    Some(format!(
        "columns separated by {}, but the header is one column that holds {}: the file looks {}-separated; {fix}",
        if delimiter == b'\t' { "tabs" } else { "commas" },
        found.1,
        match found.0 {
            b';' => "semicolon",
            b'\t' => "tab",
            _ => "bar",
        }
    ))
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

/// The one rule for column names, CSV header or Parquet schema: each non-empty and given once.
pub fn name_problems(source: &str, names: &[String]) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (j, name) in names.iter().enumerate() {
        if name.is_empty() {
            problems.push(Problem {
                file: source.to_string(),
                row: Some(1),
                column: Some(format!("#{}", j + 1)),
                value: Some(String::new()),
                expected: "a non-empty column name".into(),
            });
        } else if names[..j].contains(name) {
            problems.push(Problem::cell(
                source,
                1,
                name,
                name,
                "each column name once, but it appears twice in the header",
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unclosed_quotes_are_found_where_they_open() {
        assert_eq!(unclosed_quote(b"a,b\n1,2\n3,\"x\n4,5\n", b','), Some(3));
        assert_eq!(
            unclosed_quote(b"a,b\n1,\"x\ny\"\n3,\"\"\"q\"\n", b','),
            None
        );
        // a quote inside an unquoted cell is a literal (5" screws)
        assert_eq!(unclosed_quote(b"a,b\n5\",2\n", b','), None);
    }

    #[test]
    fn binary_files_are_named() {
        assert!(binary_kind(&[0x1f, 0x8b, 8]).is_some_and(|k| k.contains("gzip")));
        assert!(binary_kind(b"PAR1....").is_some_and(|k| k.contains("Parquet")));
        assert!(binary_kind(b"PK\x03\x04").is_some_and(|k| k.contains("Excel")));
        assert!(binary_kind(b"a\0b\0").is_some_and(|k| k.contains("NUL")));
        assert_eq!(binary_kind(b"a,b\n1,2\n"), None);
    }

    #[test]
    fn physical_lines_count_blank_lines_and_quoted_breaks() {
        let raw = parse_csv("t.csv", b"a,b\n\n1,\"x\ny\"\n\n2,z\n", b',').expect("parse");
        assert_eq!(raw.lines, vec![3, 6]);
        let plain = parse_csv("t.csv", b"a,b\n1,2\n3,4\n", b',').expect("parse");
        assert!(plain.lines.is_empty(), "trivial maps are not kept");
    }
}
