//! Streaming a CSV file through a [`Scorer`] into `scores.csv`.
//!
//! A reader thread (`batches.rs`) cuts the file into batches of `batch_size` records;
//! each batch is tokenised, transformed, scored and formatted ([`super::format`]) in parallel
//! (rayon) over fixed chunks of rows, then written in order. At most three batches exist at
//! once, so memory is flat in the number of rows.
//!
//! Records are read the way the `csv` crate reads them (`\n`, `\r` and `\r\n` end a record,
//! blank lines are skipped, a `"` at the start of a field opens a quoted field in which
//! delimiters and line ends are data and `""` is a quote), on the fast path:
//!
//! - the reader thread cuts large reads into records with `memchr`, following quoted fields
//!   but not splitting fields, and notes each record's shape: no quote at all; quoted fields
//!   that end right before a delimiter or the record end, with no `""` inside (R's
//!   `write.csv` style); or anything else;
//! - the parallel workers split the fields: at the delimiter (eight bytes at a time), a quoted
//!   field being the bytes between its quotes; records of the third shape (`""` escapes, text
//!   after a closing quote, a quote left open at the end of the file) are handed one by one
//!   to the `csv` crate's own parser, so malformed quoting reads exactly as there.
//!
//! The careful path, the `csv` crate's reader ([`csv::ByteRecord`]s) over the whole file, is
//! kept for the tests, which compare both paths byte for byte.
//!
//! Cells of numeric terms are parsed from bytes with an exact fast path (at most 19 digits,
//! no exponent: `m / 10^k` with both exact in an `f64`, one correctly rounded division) and
//! fall back to `str::parse` otherwise, so values are the ones `str::parse` gives.
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
//! at the end of its batch, listing every such cell of that batch. Rows in messages are the
//! physical lines of the file (header = row 1; blank lines and line breaks inside quoted cells
//! count), found when a batch fails from the byte offsets where its records start.

use std::io::{Seek, Write};
use std::path::Path;

use rayon::prelude::*;

use super::batches::{read_batches, Batch, Source, READ_BYTES};
pub use super::format::write_f64;
use super::{dot_row, Scorer};
use crate::design::{Cell, CompiledSpec};
use crate::error::{Error, Problem, Result};
use crate::table::records::{Lines, Rows};
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScoreSummary {
    /// Data rows read.
    pub n_rows: usize,
    /// Rows with a score.
    pub n_scored: usize,
    /// Rows left without a score because a predictor was missing.
    pub n_missing: usize,
    /// Scored rows with a predictor far outside the training data
    /// ([`Scorer::with_training_ranges`]).
    pub n_far_outside: usize,
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
            String::from_utf8_lossy(crate::table::cell::trim_cell(raw)).into_owned()
        })
        .collect();
    // the same rule as every other reader: each column name once
    let problems = crate::table::read::name_problems(source, &names);
    if !problems.is_empty() {
        return Err(Error::InvalidInput(problems));
    }
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
    n_far_outside: usize,
}

impl Scorer {
    /// Score a CSV (`.csv`, `.txt`) or TSV (`.tsv`) file into a CSV at `output`, streaming
    /// (see the [module docs](self) for the output columns and failure modes). A Parquet
    /// input is scored one row group at a time, with the same output.
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
        self.score_csv_with(input, output, opts, false)
    }

    /// [`Scorer::score_csv`], optionally reading every record with the `csv` crate (tests
    /// compare both paths).
    fn score_csv_with(
        &self,
        input: &Path,
        output: &Path,
        opts: &CsvScoreOptions,
        careful_only: bool,
    ) -> Result<ScoreSummary> {
        crate::limits::check_count(
            "--batch-size",
            opts.batch_size,
            crate::limits::MAX_BATCH_ROWS,
            false,
        )?;
        let delimiter = match crate::table::read::Format::from_path(input)? {
            crate::table::read::Format::Csv { delimiter } => delimiter,
            // row groups are scored as tables: any model
            crate::table::read::Format::Parquet => return self.score_parquet(input, output, opts),
        };
        if self.compiled.has_interactions() || self.strata.is_some() {
            // An interaction term reads two cells; the CSV stream expands one cell per term,
            // so such models are scored from the whole table (same output).
            return self.score_whole(input, output, opts);
        }
        let source = input.display().to_string();
        crate::table::read::check_text_file(input, delimiter)?;
        let file = std::fs::File::open(input).map_err(|e| Error::io(input, e))?;
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(true)
            .flexible(true)
            .buffer_capacity(1 << 16)
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
        // the data start right after the header record
        let data_start = reader.position().byte();
        let mut file = reader.into_inner();
        file.seek(std::io::SeekFrom::Start(data_start))
            .map_err(|e| Error::io(input, e))?;
        let mut src = Source::Fast {
            file,
            buf: vec![0; READ_BYTES],
            pos: 0,
            len: 0,
            eof: false,
        };
        if careful_only {
            src.switch_to_careful(&mut Batch::default(), delimiter);
        }
        let numeric: Vec<bool> = (0..cols.len())
            .map(|t| self.compiled.reads_number(t))
            .collect();
        let linear: Vec<Option<usize>> = (0..cols.len())
            .map(|t| self.compiled.linear_column(t))
            .collect();
        let width = header.len();
        let mut summary = ScoreSummary::default();
        write_atomic_csv(output, |w| {
            w.write_all(&self.header(opts))
                .map_err(|e| Error::io(output, e))?;
            // A reader thread fills batches while the previous one is scored (rayon) and
            // written; at most three batches exist at once, so memory stays flat.
            std::thread::scope(|scope| -> Result<()> {
                let (full_tx, full_rx) = std::sync::mpsc::sync_channel::<Batch>(1);
                let (empty_tx, empty_rx) = std::sync::mpsc::channel::<Batch>();
                let batch_size = opts.batch_size;
                let src_name = source.as_str();
                scope.spawn(move || {
                    read_batches(
                        src, data_start, batch_size, delimiter, src_name, &full_tx, &empty_rx,
                    )
                });
                let ctx = ChunkCtx {
                    cols: &cols,
                    numeric: &numeric,
                    linear: &linear,
                    id_col,
                    width,
                    source: &source,
                };
                for mut batch in full_rx.iter() {
                    if !batch.problems.is_empty() {
                        return Err(Error::InvalidInput(std::mem::take(&mut batch.problems)));
                    }
                    let first = summary.n_rows;
                    let filled = batch.len();
                    let outs: Vec<ChunkOut> = if batch.careful {
                        batch.records[..filled]
                            .par_chunks(STREAM_CHUNK_ROWS)
                            .enumerate()
                            .map(|(c, recs)| {
                                self.score_chunk(recs, first + c * STREAM_CHUNK_ROWS, &ctx)
                            })
                            .collect()
                    } else {
                        batch
                            .lines
                            .par_chunks(STREAM_CHUNK_ROWS)
                            .enumerate()
                            .map(|(c, lines)| {
                                let rows = Lines::new(&batch.bytes, lines, delimiter);
                                self.score_chunk(&rows, first + c * STREAM_CHUNK_ROWS, &ctx)
                            })
                            .collect()
                    };
                    let mut problems: Vec<Problem> = outs
                        .iter()
                        .flat_map(|o| o.problems.iter().cloned())
                        .collect();
                    if !problems.is_empty() {
                        batch.to_physical_lines(&mut problems, first, input);
                        return Err(Error::InvalidInput(problems));
                    }
                    let _ = empty_tx.send(batch);
                    for o in &outs {
                        w.write_all(&o.text).map_err(|e| Error::io(output, e))?;
                        summary.n_missing += o.n_missing;
                        summary.n_far_outside += o.n_far_outside;
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
    fn score_chunk<R: Rows + ?Sized>(
        &self,
        recs: &R,
        first: usize,
        ctx: &ChunkCtx<'_>,
    ) -> ChunkOut {
        let c = &self.compiled;
        let source = ctx.source;
        let mut text = Vec::with_capacity(recs.n() * 48);
        let mut problems = Vec::new();
        let mut n_missing = 0;
        let mut n_far_outside = 0;
        let mut x = vec![0.0; c.width()];
        let mut fields: Vec<&[u8]> = Vec::with_capacity(ctx.width);
        let mut row_no = itoa::Buffer::new();
        for k in 0..recs.n() {
            let i = first + k;
            recs.fields(k, &mut fields);
            if fields.len() != ctx.width {
                problems.push(Problem {
                    file: source.to_string(),
                    row: Some(file_row(i)),
                    column: None,
                    value: Some(format!("{} fields", fields.len())),
                    expected: format!(
                        "{} fields, as many as the header has (ragged row)",
                        ctx.width
                    ),
                });
                continue;
            }
            let mut missing = false;
            let mut far = false;
            for (t, &j) in ctx.cols.iter().enumerate() {
                let raw = crate::table::cell::trim_cell(fields[j]);
                if crate::table::is_missing_bytes(raw) {
                    if c.takes_missing(t) {
                        if let Err(e) = c.expand(t, Cell::Missing, &mut x[c.term_range(t)]) {
                            problems.push(c.problem(source, file_row(i), t, Cell::Missing, e));
                        }
                    } else {
                        missing = true;
                    }
                    continue;
                }
                if ctx.numeric[t] {
                    if let Some(v) = crate::table::cell::parse_number_bytes(raw) {
                        far |= self.far_outside(t, v);
                        // the same as expanding the text: numeric terms parse it this way
                        if let Some(slot) = ctx.linear[t] {
                            x[slot] = v;
                        } else if let Err(e) = c.expand(t, Cell::Num(v), &mut x[c.term_range(t)]) {
                            let shown = String::from_utf8_lossy(raw);
                            problems.push(c.problem(source, file_row(i), t, Cell::Text(&shown), e));
                        }
                        continue;
                    }
                }
                let cell = match std::str::from_utf8(raw) {
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
                if let Err(e) = c.expand(t, cell, &mut x[c.term_range(t)]) {
                    problems.push(c.problem(source, file_row(i), t, cell, e));
                }
            }
            if !problems.is_empty() {
                continue;
            }
            text.extend_from_slice(row_no.format(i + 1).as_bytes());
            text.push(b',');
            if let Some(j) = ctx.id_col {
                crate::table::write::push_field_bytes(
                    &mut text,
                    crate::table::cell::trim_cell(fields[j]),
                );
                text.push(b',');
            }
            if missing {
                n_missing += 1;
                self.push_scores(&mut text, None, 0);
            } else {
                let lp = dot_row(&x, &self.beta, self.intercept);
                if !lp.is_finite() {
                    let value = |t: usize| {
                        ctx.cols.get(t).map_or(String::new(), |&j| {
                            String::from_utf8_lossy(crate::table::cell::trim_cell(fields[j]))
                                .into_owned()
                        })
                    };
                    problems.push(self.overflow_problem(source, file_row(i), &x, value));
                    continue;
                }
                n_far_outside += usize::from(far);
                self.push_scores(&mut text, Some(lp), 0);
            }
        }
        ChunkOut {
            text,
            problems,
            n_missing,
            n_far_outside,
        }
    }

    /// The output header after `row,` and the id column: `linear_predictor` and the risk
    /// columns, with the line end.
    fn header_tail(&self) -> String {
        let mut cols = vec!["linear_predictor".to_string()];
        cols.extend(self.risk.columns());
        cols.join(",") + "\n"
    }

    /// The output header: `row`, the id column when asked for, then the linear predictor and
    /// risk columns.
    pub(super) fn header(&self, opts: &CsvScoreOptions) -> Vec<u8> {
        let mut text = b"row,".to_vec();
        if let Some(c) = &opts.id_column {
            crate::table::write::push_field_bytes(&mut text, c.as_bytes());
            text.push(b',');
        }
        text.extend_from_slice(self.header_tail().as_bytes());
        text
    }

    /// A row's cells after `row` and the id, with the line end: the linear predictor and
    /// each risk (of `stratum`), or empty cells for a row without a score.
    pub(super) fn push_scores(&self, text: &mut Vec<u8>, lp: Option<f64>, stratum: usize) {
        match lp {
            Some(lp) => {
                write_f64(text, lp);
                for k in 0..self.risk.n_outputs() {
                    text.push(b',');
                    write_f64(text, self.risk.risk(lp, k, stratum));
                }
            }
            None => text.extend(std::iter::repeat_n(b',', self.risk.n_outputs())),
        }
        text.push(b'\n');
    }
}

pub(super) fn write_atomic_csv<F>(output: &Path, fill: F) -> Result<()>
where
    F: FnOnce(&mut dyn Write) -> Result<()>,
{
    crate::io::write_atomic(output, fill)
}

/// What every chunk of a run needs besides its records.
struct ChunkCtx<'a> {
    /// Column index of each term's variable.
    cols: &'a [usize],
    /// Whether each term reads its cell as a number.
    numeric: &'a [bool],
    /// For a term taken as it is, its design column.
    linear: &'a [Option<usize>],
    id_col: Option<usize>,
    /// Fields per record (the header's).
    width: usize,
    source: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::design::{DesignSpec, LevelKind, TermSpec, Transform};
    use crate::score::format::tests::XorShift;
    use crate::table::records::split_fields;

    #[test]
    fn byte_parser_agrees_with_str_parse() {
        let cases = [
            "0",
            "-0",
            "+0",
            "1",
            "-1",
            "+1",
            "1.",
            ".5",
            "-.5",
            "+.5",
            ".",
            "-",
            "+",
            "",
            "1e5",
            "1E-3",
            "1.5e300",
            "inf",
            "-inf",
            "NaN",
            "nan",
            "infinity",
            "0x10",
            "1_000",
            "1,5",
            "--1",
            "1.2.3",
            " 1",
            "1 ",
            "00012.5000",
            "9007199254740992",
            "9007199254740993",
            "9007199254740993.0",
            "0.1",
            "0.30000000000000004",
            "1234567890123456789",
            "12345678901234567890",
            "0.0000000000000000000001",
            "0.00000000000000000000001",
            "123456.7890123456789",
            "1e400",
            "-1e400",
            "4.9e-324",
            "2.5e-324",
            "٣",
        ];
        for s in cases {
            assert_eq!(
                crate::table::cell::parse_number_bytes(s.as_bytes()).map(f64::to_bits),
                crate::table::parse_number(s).map(f64::to_bits),
                "{s:?}"
            );
        }
        let mut rng = XorShift(0x0dd_ba11);
        for _ in 0..200_000 {
            let int_len = (rng.next() % 12) as usize;
            let frac_len = (rng.next() % 14) as usize;
            let mut s = String::new();
            match rng.next() % 3 {
                0 => s.push('-'),
                1 => s.push('+'),
                _ => {}
            }
            for _ in 0..int_len {
                s.push(char::from(b'0' + (rng.next() % 10) as u8));
            }
            if frac_len > 0 || rng.next() % 2 == 0 {
                s.push('.');
            }
            for _ in 0..frac_len {
                s.push(char::from(b'0' + (rng.next() % 10) as u8));
            }
            assert_eq!(
                crate::table::cell::parse_number_bytes(s.as_bytes()).map(f64::to_bits),
                crate::table::parse_number(&s).map(f64::to_bits),
                "{s:?}"
            );
        }
    }

    #[test]
    fn word_wide_split_matches_a_plain_split() {
        let mut rng = XorShift(0xfeed_f00d);
        for len in 0..200 {
            for _ in 0..20 {
                let line: Vec<u8> = (0..len)
                    .map(|_| match rng.next() % 5 {
                        0 => b',',
                        1 => b'\t',
                        2 => 0xac, // ',' with the high bit set
                        3 => 0x2d,
                        _ => b'7',
                    })
                    .collect();
                for d in [b',', b'\t'] {
                    let mut fields = Vec::new();
                    split_fields(&line, d, &mut fields);
                    let plain: Vec<&[u8]> = line.split(|&b| b == d).collect();
                    assert_eq!(fields, plain, "{line:?}");
                }
            }
        }
    }

    /// Records as the `csv` crate reads them (the careful path's settings).
    fn csv_records(text: &[u8], delimiter: u8) -> Vec<Vec<Vec<u8>>> {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(text);
        reader
            .byte_records()
            .map(|r| r.expect("record").iter().map(<[u8]>::to_vec).collect())
            .collect()
    }

    /// Records as the fast path cuts and splits them, reading through a buffer of `buf_len`
    /// bytes at first, in batches of `batch_size`.
    fn fast_records(
        text: &[u8],
        delimiter: u8,
        buf_len: usize,
        batch_size: usize,
    ) -> Vec<Vec<Vec<u8>>> {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("d.csv");
        std::fs::write(&path, text).expect("write");
        let mut src = Source::Fast {
            file: std::fs::File::open(&path).expect("open"),
            buf: vec![0; buf_len],
            pos: 0,
            len: 0,
            eof: false,
        };
        let mut out = Vec::new();
        loop {
            let mut batch = Batch::default();
            src.fill_records(batch_size, delimiter, &mut batch)
                .expect("read");
            let rows = Lines::new(&batch.bytes, &batch.lines, delimiter);
            let mut fields = Vec::new();
            for k in 0..rows.n() {
                rows.fields(k, &mut fields);
                out.push(fields.iter().map(|f| f.to_vec()).collect());
            }
            if batch.lines.len() < batch_size {
                return out;
            }
        }
    }

    #[test]
    fn fast_records_match_the_csv_crate_on_any_bytes() {
        let fixed: [&[u8]; 16] = [
            b"\"a\",\"b\"\n",
            b"\"a,b\",c\r\n\"d\ne\",f\n",
            b"\"a\"\"b\",c",
            b"\"a\"b,c\n",
            b"a\"b\",c\n",
            b"\"",
            b"\"\n\n",
            b"x,\"",
            b"\"\"",
            b"\"\"\"",
            b",\"\",",
            b"a\rb\r\n\r\nc\n\r",
            b"\"a\"\r",
            b"\"a\" ,\" b\"",
            b"1,\"2\"\n\"3\",4\n\"5\"\"\",6",
            b"\"a\"\n\xEF\xBB\xBF\"b\"\"\n\xEF\xBB\xBFc\n",
        ];
        for text in fixed {
            for buf_len in [0, 1, 2, 3, 5, 64] {
                for batch in [1, 2, 1000] {
                    assert_eq!(
                        fast_records(text, b',', buf_len, batch),
                        csv_records(text, b','),
                        "{:?}, buffer {buf_len}, batch {batch}",
                        String::from_utf8_lossy(text)
                    );
                }
            }
        }
        let alphabet = b"a1,\"\"\n\r \t";
        let mut rng = XorShift(0x5eed_cafe);
        for round in 0..20_000 {
            let n = (rng.next() % 40) as usize;
            let text: Vec<u8> = (0..n)
                .map(|_| alphabet[(rng.next() % alphabet.len() as u64) as usize])
                .collect();
            let delimiter = if round % 4 == 0 { b'\t' } else { b',' };
            let buf_len = (rng.next() % 9) as usize;
            let batch = 1 + (rng.next() % 4) as usize;
            assert_eq!(
                fast_records(&text, delimiter, buf_len, batch),
                csv_records(&text, delimiter),
                "{:?}, delimiter {delimiter}, buffer {buf_len}, batch {batch}",
                String::from_utf8_lossy(&text)
            );
        }
    }

    #[test]
    fn quoted_files_score_the_same_on_both_paths() {
        let r_style = "\"a\",\"b\",\"g\",\"id\"\n1.5,2,\"u\",\"P1\"\n-3,0.25,\"v\",\"P2\"\n\
                       NA,1,\"w\",\"P3\"\n7,3,\"u\",\"P4\"\n";
        let body = "a,b,g,id\n1.5,2,u,P1\n-3,0.25,v,P2\n,1,w,P3\n7,NA,u,P4\n";
        let inputs: Vec<String> = vec![
            r_style.to_string(),
            r_style.replace('\n', "\r\n"),
            r_style.replace('\n', "\r"),
            // quoted numbers, an empty quoted cell, padding inside quotes
            body.replace("1.5,2", "\"1.5\",\"2\"")
                .replace("-3,0.25", "\" -3 \",\"0.25\"")
                .replace(",1,w", "\"\",1,w"),
            // embedded delimiters, line ends and escaped quotes in ids
            body.replace("P1", "\"P,1\"")
                .replace("P2", "\"P\n2\"")
                .replace("P3", "\"P\"\"3\"\"\"")
                .replace("P4", "\"P\r\n4\""),
            // a quote inside an unquoted field is data; text after a closing quote joins it
            body.replace("P1", "P\"1").replace("P2", "\"P\"2"),
            // quoted first and last fields, CRLF
            body.replace("1.5", "\"1.5\"")
                .replace("P4", "\"P4\"")
                .replace('\n', "\r\n"),
            // a quote left open at the end of the file: the id runs to the end
            format!("{body}8,1,v,\"P5\n9,1,w,P6\n"),
            // a quote-only record swallowing the rest: a ragged row
            format!("{body}\"\n9,1,w,P6\n"),
            // a quoted empty record
            format!("{body}\"\"\n9,1,w,P6\n"),
            // quoted numbers that do not parse, and an unknown quoted level
            body.replace("1.5,2,u", "\"1.5x\",2,\"z\""),
            // blank lines around quoted records
            body.replace("\n-3", "\n\n\r\n\"-3\"")
                .replace("\n7", "\r\r\"7\""),
        ];
        for text in &inputs {
            let reference = run(text.as_bytes(), "d.csv", 1, true);
            for batch in [1, 2, 3, 1000] {
                for careful in [false, true] {
                    assert_eq!(
                        run(text.as_bytes(), "d.csv", batch, careful),
                        run(text.as_bytes(), "d.csv", batch, true),
                        "{text:?}, batch {batch}, careful {careful}"
                    );
                }
                if reference.is_ok() {
                    assert_eq!(run(text.as_bytes(), "d.csv", batch, false), reference);
                }
            }
            let tsv = text.replace(',', "\t");
            assert_eq!(
                run(tsv.as_bytes(), "d.tsv", 2, false),
                run(tsv.as_bytes(), "d.tsv", 2, true),
                "{tsv:?}"
            );
        }
        // the R-style file reads as the same file without quotes
        let unquoted = r_style.replace('"', "");
        let plain = run(unquoted.as_bytes(), "d.csv", 2, false);
        assert!(plain.is_ok(), "{plain:?}");
        assert_eq!(run(r_style.as_bytes(), "d.csv", 2, false), plain);
    }

    #[test]
    fn fields_with_commas_are_quoted() {
        let mut b = Vec::new();
        crate::table::write::push_field_bytes(&mut b, b"a,\"b\"");
        assert_eq!(b, b"\"a,\"\"b\"\"\"");
    }

    fn term(variable: &str, transform: Transform, levels: Option<Vec<&str>>) -> TermSpec {
        let levels: Option<Vec<String>> =
            levels.map(|l| l.into_iter().map(str::to_string).collect());
        let columns = match &levels {
            Some(l) => l[1..].iter().map(|x| format!("{variable}={x}")).collect(),
            None => vec![variable.to_string()],
        };
        TermSpec {
            variable: variable.into(),
            transform,
            knots: None,
            level_kind: levels.as_ref().map(|_| LevelKind::Text),
            levels,
            missing_level: false,
            columns,
            scale: None,
            by: None,
        }
    }

    fn test_scorer() -> Scorer {
        let spec = DesignSpec {
            outcome: "y".into(),
            time: None,
            terms: vec![
                term("a", Transform::Linear, None),
                term("b", Transform::Log, None),
                term("g", Transform::Categorical, Some(vec!["u", "v", "w"])),
            ],
        };
        Scorer::new(&spec, &[0.25, -0.5, 1.25, 0.75, -2.0]).expect("scorer")
    }

    /// Output bytes or error text of a run.
    fn run(
        text: &[u8],
        name: &str,
        batch: usize,
        careful: bool,
    ) -> std::result::Result<Vec<u8>, String> {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join(name);
        std::fs::write(&data, text).expect("write");
        let out = dir.path().join("scores.csv");
        let opts = CsvScoreOptions {
            id_column: Some("id".into()),
            batch_size: batch,
        };
        match test_scorer().score_csv_with(&data, &out, &opts, careful) {
            Ok(_) => Ok(std::fs::read(&out).expect("read")),
            Err(e) => {
                assert!(!out.exists(), "no output after an error");
                Err(e.to_string().replace(&data.display().to_string(), name))
            }
        }
    }

    #[test]
    fn fast_and_careful_paths_give_the_same_bytes() {
        let body =
            "a,b,g,id\n1.5,2,u,P1\n-3,0.25,v,P2\n,1,w,P3\n7,NA,u,P4\n 8 ,1e1,w,P5\n.5,3.,v,P6\n";
        let quoted = format!("{body}9,1,\"u\",\"P,7\"\n10,2,v,\"P\n8\"\n11,3,w,P9\n");
        let crlf = body.replace('\n', "\r\n");
        let lone_cr = format!("{body}12,1,u,Q1\r13,2,v,Q2\n14,3,w,Q3\n");
        let inputs: Vec<(String, &str)> = vec![
            (body.to_string(), "d.csv"),
            (body.trim_end().to_string(), "d.csv"),
            (
                body.replace("\nP2", "\n\n\nP2").replace("\n7", "\n\r\n7"),
                "d.csv",
            ),
            (format!("\u{feff}{body}"), "d.csv"),
            (crlf.clone(), "d.csv"),
            (crlf.trim_end().to_string(), "d.csv"),
            (format!("{crlf}\r"), "d.csv"),
            (quoted.clone(), "d.csv"),
            (quoted.replace("P,7", "P7"), "d.csv"),
            (lone_cr, "d.csv"),
            ("\"a\",b,g,id\n1,2,u,P1\n2,3,v,P2\n".to_string(), "d.csv"),
            ("a,b,g,id\r\n1,2,u,P1\r\n".to_string(), "d.csv"),
            (body.replace(',', "\t"), "d.tsv"),
        ];
        for (text, name) in &inputs {
            let reference = run(text.as_bytes(), name, 1, true);
            assert!(reference.is_ok(), "{text:?}: {reference:?}");
            for batch in [1, 2, 3, 7, 1000, crate::limits::MAX_BATCH_ROWS] {
                for careful in [false, true] {
                    assert_eq!(
                        run(text.as_bytes(), name, batch, careful),
                        reference,
                        "{text:?}, batch {batch}, careful {careful}"
                    );
                }
            }
        }
    }

    #[test]
    fn fast_and_careful_paths_report_the_same_problems() {
        let body = "a,b,g,id\n1,2,u,P1\nx,2,u,P2\n1,-1,v,P3\n1,2,z,P4\n1,2\n1,2,u,P6\n";
        let quoted_early = body.replace("1,2,u,P1", "\"1\",2,u,P1");
        let quoted_late = body.replace("P6", "\"P6\"");
        // rows are physical lines: two blank lines, or a line break in a quoted cell, before
        // the bad cells move them down
        let blank = body.replace("\nx", "\n\n\r\nx");
        let broken = body.replace("P1", "\"P\r\n1\"").replace("P3", "\"P\n\n3\"");
        let crlf = body.replace("\nx", "\n\n\nx").replace('\n', "\r\n");
        let cr = body.replace("\nx", "\n\n\nx").replace('\n', "\r");
        let cases = [
            (body.to_string(), [3, 4, 5, 6]),
            (quoted_early, [3, 4, 5, 6]),
            (quoted_late, [3, 4, 5, 6]),
            (blank, [5, 6, 7, 8]),
            (broken, [4, 5, 8, 9]),
            (crlf, [5, 6, 7, 8]),
            (cr, [5, 6, 7, 8]),
        ];
        for (text, rows) in cases {
            for batch in [1, 2, 3, 7, crate::limits::MAX_BATCH_ROWS] {
                let fast = run(text.as_bytes(), "d.csv", batch, false);
                let careful = run(text.as_bytes(), "d.csv", batch, true);
                assert_eq!(fast, careful, "{text:?}, batch {batch}");
                let msg = fast.expect_err("bad input");
                let first = format!("row {}, column 'a': found 'x'", rows[0]);
                assert!(msg.contains(&first), "{text:?}: {msg}");
            }
            let all = run(
                text.as_bytes(),
                "d.csv",
                crate::limits::MAX_BATCH_ROWS,
                false,
            )
            .expect_err("bad");
            for expected in [
                format!("row {}, column 'a': found 'x'; expected a number", rows[0]),
                format!(
                    "row {}, column 'b': found '-1'; expected a positive number",
                    rows[1]
                ),
                format!("row {}, column 'g': found 'z'", rows[2]),
            ] {
                assert!(all.contains(&expected), "{text:?}: {all}");
            }
            assert!(
                all.contains(&format!("row {}", rows[3])) && all.contains("ragged"),
                "{text:?}: {all}"
            );
            // the table reader numbers the same lines
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join("d.csv");
            std::fs::write(&path, &text).expect("write");
            let raw = crate::table::read::read_raw(&path).expect_err("ragged");
            assert!(
                raw.to_string().contains(&format!("row {}", rows[3])),
                "{text:?}: {raw}"
            );
        }
    }

    #[test]
    fn physical_lines_of_offsets() {
        let text = b"h\n\na\r\nb\rc\n\n\n\"x\ny\"\nd";
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.csv");
        std::fs::write(&path, text).expect("write");
        // offsets out of order; 1, 2, 5 and 10 point at line ends before a record; 40 is past
        // the end
        let offsets = [18, 0, 1, 2, 5, 8, 10, 12, 40];
        let lines = crate::table::read::physical_lines(&path, &offsets).expect("lines");
        assert_eq!(lines, vec![10, 1, 3, 3, 4, 5, 8, 8, 10]);
    }
}
