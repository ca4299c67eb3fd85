//! Streaming a CSV file through a [`Scorer`] into `scores.csv`.
//!
//! The input is read with the `csv` crate in batches of `batch_size` records (reused
//! [`csv::ByteRecord`] buffers); each batch is transformed, scored and formatted in parallel
//! over fixed chunks of rows, then written in order. Memory is flat in the number of rows.
//!
//! Output columns (comma-separated, header first):
//!
//! | column | meaning |
//! |---|---|
//! | `row` | 1-based data row of the input (the first row after the header is 1) |
//! | `<id column>` | only with `--id COL`: that column copied as it is |
//! | `linear_predictor` | log odds, `Intercept + sum(coef * design column)` |
//! | `predicted` | predicted probability, `1 / (1 + exp(-linear_predictor))` |
//!
//! A row with a missing predictor (empty cell or `NA`) has empty `linear_predictor` and
//! `predicted` cells; the count is returned in [`ScoreSummary::n_missing`]. Numbers are written
//! with the shortest representation that reads back to the same `f64`.
//!
//! Failure modes, none of which leaves a partial output file (temporary file + rename):
//! a needed column absent from the header fails before any row is read; a cell that is not a
//! number, is outside a transform's domain, or holds a level unseen in training stops the run
//! at the end of its batch, listing every such cell of that batch (file row, header = row 1).

use std::io::Write;
use std::path::Path;

use rayon::prelude::*;

use super::{dot_row, logistic, Scorer};
use crate::design::{Cell, CompiledSpec};
use crate::error::{Error, Problem, Result};
use crate::table::{did_you_mean, file_row};

/// Default number of records read per batch.
pub const DEFAULT_BATCH_ROWS: usize = 65_536;

/// Rows per parallel work item inside a batch.
const STREAM_CHUNK_ROWS: usize = 2048;

/// Settings of [`Scorer::score_csv`].
#[derive(Debug, Clone)]
pub struct CsvScoreOptions {
    /// Column copied into the output after `row` (e.g. `patient_id`).
    pub id_column: Option<String>,
    /// Records per batch (>= 1). Changes memory use and speed, never the output bytes.
    pub batch_size: usize,
}

impl Default for CsvScoreOptions {
    fn default() -> Self {
        CsvScoreOptions {
            id_column: None,
            batch_size: DEFAULT_BATCH_ROWS,
        }
    }
}

/// What a scoring run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScoreSummary {
    /// Data rows read.
    pub n_rows: usize,
    /// Rows with a score.
    pub n_scored: usize,
    /// Rows left without a score because a predictor was missing.
    pub n_missing: usize,
}

/// Write `v` with the shortest round-trip representation, in exponent form outside
/// `[1e-5, 1e15)` so tiny probabilities stay short.
pub fn write_f64(out: &mut Vec<u8>, v: f64) {
    let a = v.abs();
    // write! to a Vec<u8> cannot fail
    let _ = if a == 0.0 || (1e-5..1e15).contains(&a) {
        write!(out, "{v}")
    } else {
        write!(out, "{v:e}")
    };
}

/// Append a CSV field, quoted when it contains a comma, quote, or line break.
fn write_field(out: &mut Vec<u8>, field: &[u8]) {
    if field
        .iter()
        .any(|&b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
    {
        out.push(b'"');
        for &b in field {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(field);
    }
}

fn trim_bytes(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &b[start..end]
}

/// Resolve the header into column indices for each term (and the id column).
fn resolve_header(
    header: &csv::ByteRecord,
    source: &str,
    compiled: &CompiledSpec,
    id: Option<&str>,
) -> Result<(Vec<usize>, Option<usize>)> {
    let names: Vec<String> = header
        .iter()
        .enumerate()
        .map(|(j, raw)| {
            let raw = if j == 0 {
                raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw)
            } else {
                raw
            };
            String::from_utf8_lossy(trim_bytes(raw)).into_owned()
        })
        .collect();
    let find = |name: &str, role: &str| -> Result<usize> {
        names
            .iter()
            .position(|n| n == name)
            .ok_or_else(|| Error::ColumnNotFound {
                file: source.to_string(),
                column: name.to_string(),
                hint: format!(
                    "{}; the model needs it as {role}",
                    did_you_mean(name, &names)
                        .map(|s| format!(" (did you mean '{s}'?)"))
                        .unwrap_or_else(|| format!(" (columns: {})", names.join(", ")))
                ),
            })
    };
    let cols = compiled
        .variables()
        .iter()
        .map(|v| find(v, "a predictor"))
        .collect::<Result<Vec<usize>>>()?;
    let id = id.map(|c| find(c, "the --id column")).transpose()?;
    Ok((cols, id))
}

/// Outcome of scoring one chunk of records.
struct ChunkOut {
    text: Vec<u8>,
    problems: Vec<Problem>,
    n_missing: usize,
}

/// A batch of records handed from the reader thread to the scorer.
struct Batch {
    records: Vec<csv::ByteRecord>,
    filled: usize,
    problems: Vec<Problem>,
}

/// Reader thread: fill batches of `batch_size` records (reusing returned buffers) until the
/// file ends, a record is unreadable, or the scorer hangs up.
fn read_batches<R: std::io::Read>(
    reader: &mut csv::Reader<R>,
    batch_size: usize,
    source: &str,
    full: &std::sync::mpsc::SyncSender<Batch>,
    empty: &std::sync::mpsc::Receiver<Vec<csv::ByteRecord>>,
) {
    let mut n_read = 0usize;
    loop {
        let mut records = empty.try_recv().unwrap_or_default();
        let mut filled = 0;
        let mut problems = Vec::new();
        while filled < batch_size {
            if records.len() == filled {
                records.push(csv::ByteRecord::new());
            }
            match reader.read_byte_record(&mut records[filled]) {
                Ok(true) => filled += 1,
                Ok(false) => break,
                Err(e) => {
                    problems.push(Problem {
                        file: source.to_string(),
                        row: Some(file_row(n_read + filled)),
                        column: None,
                        value: None,
                        expected: format!("a well-formed CSV record ({e})"),
                    });
                    break;
                }
            }
        }
        n_read += filled;
        let last = filled < batch_size || !problems.is_empty();
        if filled == 0 && problems.is_empty() {
            return;
        }
        if full
            .send(Batch {
                records,
                filled,
                problems,
            })
            .is_err()
            || last
        {
            return;
        }
    }
}

impl Scorer {
    /// Score a CSV (`.csv`, `.txt`) or TSV (`.tsv`) file into a CSV at `output`, streaming
    /// (see the [module docs](self) for the output columns and failure modes). A Parquet
    /// input is read whole and scored in memory, with the same output.
    ///
    /// # Errors
    /// [`Error::ColumnNotFound`] before any row is read when a predictor or the id column is
    /// absent; [`Error::InvalidInput`] for unreadable records, ragged rows and bad cells (file
    /// row, column, value and what was expected, e.g. the known levels); [`Error::Io`] when a
    /// file cannot be opened or written; [`Error::Usage`] for a batch size of 0.
    pub fn score_csv(
        &self,
        input: &Path,
        output: &Path,
        opts: &CsvScoreOptions,
    ) -> Result<ScoreSummary> {
        if opts.batch_size == 0 {
            return Err(Error::Usage("--batch-size must be at least 1".into()));
        }
        let source = input.display().to_string();
        let delimiter = match crate::table::read::Format::from_path(input)? {
            crate::table::read::Format::Csv { delimiter } => delimiter,
            crate::table::read::Format::Parquet => return self.score_parquet(input, output, opts),
        };
        let file = std::fs::File::open(input).map_err(|e| Error::io(input, e))?;
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(true)
            .flexible(true)
            .buffer_capacity(1 << 20)
            .from_reader(file);
        let header = reader
            .byte_headers()
            .map_err(|e| {
                Error::one(Problem::file_level(
                    &source,
                    format!("a readable CSV header ({e})"),
                ))
            })?
            .clone();
        if header.is_empty() {
            return Err(Error::one(Problem::file_level(
                &source,
                "a header row, but the file is empty",
            )));
        }
        let (cols, id_col) =
            resolve_header(&header, &source, &self.compiled, opts.id_column.as_deref())?;
        let width = header.len();
        let mut summary = ScoreSummary {
            n_rows: 0,
            n_scored: 0,
            n_missing: 0,
        };
        write_atomic_csv(output, |w| {
            let mut head = b"row,".to_vec();
            if let Some(name) = opts.id_column.as_deref().filter(|_| id_col.is_some()) {
                write_field(&mut head, name.as_bytes());
                head.push(b',');
            }
            head.extend_from_slice(b"linear_predictor,predicted\n");
            w.write_all(&head).map_err(|e| Error::io(output, e))?;
            // A reader thread fills batches while the previous one is scored (rayon) and
            // written; at most three batches exist at once, so memory stays flat.
            std::thread::scope(|scope| -> Result<()> {
                let (full_tx, full_rx) = std::sync::mpsc::sync_channel::<Batch>(1);
                let (empty_tx, empty_rx) = std::sync::mpsc::channel::<Vec<csv::ByteRecord>>();
                let batch_size = opts.batch_size;
                let src = source.as_str();
                scope
                    .spawn(move || read_batches(&mut reader, batch_size, src, &full_tx, &empty_rx));
                for batch in full_rx.iter() {
                    let Batch {
                        records,
                        filled,
                        problems,
                    } = batch;
                    if !problems.is_empty() {
                        return Err(Error::InvalidInput(problems));
                    }
                    let first = summary.n_rows;
                    let outs: Vec<ChunkOut> = records[..filled]
                        .par_chunks(STREAM_CHUNK_ROWS)
                        .enumerate()
                        .map(|(c, recs)| {
                            self.score_chunk(
                                recs,
                                first + c * STREAM_CHUNK_ROWS,
                                &cols,
                                id_col,
                                width,
                                &source,
                            )
                        })
                        .collect();
                    let _ = empty_tx.send(records);
                    let problems: Vec<Problem> = outs
                        .iter()
                        .flat_map(|o| o.problems.iter().cloned())
                        .collect();
                    if !problems.is_empty() {
                        return Err(Error::InvalidInput(problems));
                    }
                    for o in &outs {
                        w.write_all(&o.text).map_err(|e| Error::io(output, e))?;
                        summary.n_missing += o.n_missing;
                    }
                    summary.n_rows += filled;
                }
                Ok(())
            })?;
            if summary.n_rows == 0 {
                return Err(Error::one(Problem::file_level(
                    &source,
                    "at least one data row, but the file has only a header",
                )));
            }
            Ok(())
        })?;
        summary.n_scored = summary.n_rows - summary.n_missing;
        Ok(summary)
    }

    /// Transform, score and format a chunk of records whose first is data row `first`.
    fn score_chunk(
        &self,
        recs: &[csv::ByteRecord],
        first: usize,
        cols: &[usize],
        id_col: Option<usize>,
        width: usize,
        source: &str,
    ) -> ChunkOut {
        let c = &self.compiled;
        let mut text = Vec::with_capacity(recs.len() * 48);
        let mut problems = Vec::new();
        let mut n_missing = 0;
        let mut x = vec![0.0; c.width()];
        for (k, rec) in recs.iter().enumerate() {
            let i = first + k;
            if rec.len() != width {
                problems.push(Problem {
                    file: source.to_string(),
                    row: Some(file_row(i)),
                    column: None,
                    value: Some(format!("{} fields", rec.len())),
                    expected: format!("{width} fields, as many as the header has (ragged row)"),
                });
                continue;
            }
            let mut missing = false;
            for (t, &j) in cols.iter().enumerate() {
                let raw = trim_bytes(&rec[j]);
                let cell = match std::str::from_utf8(raw) {
                    Ok(s) if s.is_empty() || s == "NA" => Cell::Missing,
                    Ok(s) => Cell::Text(s),
                    Err(_) => {
                        problems.push(Problem::cell(
                            source,
                            file_row(i),
                            &c.variables()[t],
                            &String::from_utf8_lossy(raw),
                            "UTF-8 text (save the file as UTF-8)",
                        ));
                        continue;
                    }
                };
                if cell == Cell::Missing {
                    missing = true;
                    continue;
                }
                if let Err(e) = c.expand(t, cell, &mut x[c.term_range(t)]) {
                    problems.push(c.problem(source, i, t, cell, e));
                }
            }
            if !problems.is_empty() {
                continue;
            }
            let _ = write!(text, "{}", i + 1);
            text.push(b',');
            if let Some(j) = id_col {
                write_field(&mut text, trim_bytes(&rec[j]));
                text.push(b',');
            }
            if missing {
                n_missing += 1;
                text.extend_from_slice(b",\n");
            } else {
                let lp = dot_row(&x, &self.beta, self.intercept);
                write_f64(&mut text, lp);
                text.push(b',');
                write_f64(&mut text, logistic(lp));
                text.push(b'\n');
            }
        }
        ChunkOut {
            text,
            problems,
            n_missing,
        }
    }

    /// Parquet input: read whole, score in memory, write the same columns as the CSV path.
    fn score_parquet(
        &self,
        input: &Path,
        output: &Path,
        opts: &CsvScoreOptions,
    ) -> Result<ScoreSummary> {
        let table = crate::table::Table::read(input)?;
        let id = match &opts.id_column {
            Some(c) => Some(table.column(c)?),
            None => None,
        };
        let scores = self.score_table(&table)?;
        write_atomic_csv(output, |w| {
            let mut text = b"row,".to_vec();
            if let Some(c) = &opts.id_column {
                write_field(&mut text, c.as_bytes());
                text.push(b',');
            }
            text.extend_from_slice(b"linear_predictor,predicted\n");
            for i in 0..table.nrows() {
                let _ = write!(text, "{}", i + 1);
                text.push(b',');
                if let Some(col) = id {
                    write_field(
                        &mut text,
                        crate::design::table_cell(col, i).display().as_bytes(),
                    );
                    text.push(b',');
                }
                match scores.get(i) {
                    Some(s) => {
                        write_f64(&mut text, s.linear_predictor);
                        text.push(b',');
                        write_f64(&mut text, s.predicted);
                    }
                    None => text.push(b','),
                }
                text.push(b'\n');
                if text.len() > 1 << 20 {
                    w.write_all(&text).map_err(|e| Error::io(output, e))?;
                    text.clear();
                }
            }
            w.write_all(&text).map_err(|e| Error::io(output, e))
        })?;
        Ok(ScoreSummary {
            n_rows: table.nrows(),
            n_scored: table.nrows() - scores.n_missing,
            n_missing: scores.n_missing,
        })
    }
}

fn write_atomic_csv<F>(output: &Path, fill: F) -> Result<()>
where
    F: FnOnce(&mut dyn Write) -> Result<()>,
{
    crate::io::write_atomic(output, fill)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_round_trip_and_stay_short() {
        for v in [
            0.0,
            0.5,
            1.0,
            1e-300,
            0.123456789012345,
            -3.25,
            1e20,
            2.2250738585072014e-308,
        ] {
            let mut b = Vec::new();
            write_f64(&mut b, v);
            let s = String::from_utf8(b).expect("utf8");
            assert_eq!(s.parse::<f64>().expect("parse"), v, "{s}");
            assert!(s.len() < 26, "{s}");
        }
    }

    #[test]
    fn fields_with_commas_are_quoted() {
        let mut b = Vec::new();
        write_field(&mut b, b"a,\"b\"");
        assert_eq!(b, b"\"a,\"\"b\"\"\"");
    }
}
