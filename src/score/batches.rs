//! The reader thread of the CSV stream: the file cut into batches of records (fast path:
//! large reads cut with `memchr`, each record's shape noted; careful path: the `csv` crate's
//! records), handed to the scorer over a bounded channel, so at most three batches exist at
//! once.

use std::io::Read;
use std::path::Path;

use crate::error::Problem;
use crate::table::file_row;
use crate::table::records::{cut_record, Rec};

/// Bytes asked of the file per read on the fast path.
pub(super) const READ_BYTES: usize = 1 << 22;

/// Buffers of one batch, handed from the reader thread to the scorer and back.
#[derive(Default)]
pub(super) struct Batch {
    /// Raw bytes of the batch (fast path); `lines` index into it.
    pub(super) bytes: Vec<u8>,
    /// The records in `bytes`.
    pub(super) lines: Vec<Rec>,
    /// Records (careful path); the first `filled` are this batch's.
    pub(super) records: Vec<csv::ByteRecord>,
    pub(super) filled: usize,
    /// Whether this batch came from the careful path.
    pub(super) careful: bool,
    /// Byte offset in the file of `bytes[0]` (fast path) or of where the careful reader
    /// started (its records' positions count from there).
    pub(super) base: u64,
    /// An unreadable record or read failure: the run stops here.
    pub(super) problems: Vec<Problem>,
}

impl Batch {
    pub(super) fn len(&self) -> usize {
        if self.careful {
            self.filled
        } else {
            self.lines.len()
        }
    }

    /// Byte offset in the file where record `k` of the batch starts.
    pub(super) fn start(&self, k: usize) -> Option<u64> {
        let at = if self.careful {
            self.records[..self.filled]
                .get(k)
                .and_then(csv::ByteRecord::position)
                .map(csv::Position::byte)
        } else {
            self.lines.get(k).map(|l| l.0 as u64)
        };
        at.map(|a| self.base + a)
    }

    /// Renumber `problems` of this batch, whose rows count records from data row `first`
    /// ([`file_row`]), by the physical line of the file where each record starts, as the
    /// table reader numbers rows (blank lines and line breaks in quoted cells count).
    pub(super) fn to_physical_lines(&self, problems: &mut [Problem], first: usize, input: &Path) {
        let k_of = |p: &Problem| p.row.and_then(|r| r.checked_sub(file_row(first)));
        let starts: Vec<u64> = problems
            .iter()
            .filter_map(|p| k_of(p).and_then(|k| self.start(k)))
            .collect();
        // an unreadable file at this point keeps the record numbers
        let Ok(lines) = crate::table::read::physical_lines(input, &starts) else {
            return;
        };
        let mut lines = lines.into_iter();
        for p in problems.iter_mut() {
            if k_of(p).and_then(|k| self.start(k)).is_some() {
                p.row = lines.next();
            }
        }
    }
}

/// The file after the header: large reads on the fast path, or the `csv` crate's reader
/// (the careful path, for the tests).
pub(super) enum Source {
    Fast {
        file: std::fs::File,
        buf: Vec<u8>,
        pos: usize,
        len: usize,
        eof: bool,
    },
    Careful(csv::Reader<std::io::Chain<std::io::Cursor<Vec<u8>>, std::fs::File>>),
    /// Only while switching from one to the other.
    Switching,
}

impl Source {
    /// Read more of the file after `pos`, keeping `buf[pos..len]` (moved to the front).
    pub(super) fn refill(
        file: &mut std::fs::File,
        buf: &mut Vec<u8>,
        pos: &mut usize,
        len: &mut usize,
        eof: &mut bool,
    ) -> std::io::Result<()> {
        if *pos > 0 {
            buf.copy_within(*pos..*len, 0);
            *len -= *pos;
            *pos = 0;
        }
        if *len == buf.len() {
            let grow = buf.len().max(64);
            buf.resize(buf.len() + grow, 0);
        }
        loop {
            match file.read(&mut buf[*len..]) {
                Ok(0) => {
                    *eof = true;
                    return Ok(());
                }
                Ok(k) => {
                    *len += k;
                    return Ok(());
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Fast path: append up to `batch_size` records to `batch`, cut where the `csv` crate
    /// ends them (see the [module docs](self)); `batch.bytes` keeps every byte consumed,
    /// blank lines and line ends included.
    pub(super) fn fill_records(
        &mut self,
        batch_size: usize,
        delimiter: u8,
        batch: &mut Batch,
    ) -> std::io::Result<()> {
        let Source::Fast {
            file,
            buf,
            pos,
            len,
            eof,
        } = self
        else {
            return Ok(());
        };
        while batch.lines.len() < batch_size {
            let rec = &buf[*pos..*len];
            if rec.is_empty() && *eof {
                return Ok(());
            }
            match cut_record(rec, delimiter, *eof) {
                Some((end, next, shape)) => {
                    // an empty record is a blank line
                    let start = batch.bytes.len();
                    if end > 0 {
                        batch.lines.push((start, start + end, shape));
                    }
                    batch.bytes.extend_from_slice(&rec[..next]);
                    *pos += next;
                }
                // the record runs past the bytes read: read more (it is scanned again)
                None => Source::refill(file, buf, pos, len, eof)?,
            }
        }
        Ok(())
    }

    /// Switch to the careful path, re-reading from the start of `batch` (whose consumed bytes
    /// it holds); `batch` is emptied. The tests read whole files this way.
    pub(super) fn switch_to_careful(&mut self, batch: &mut Batch, delimiter: u8) {
        if !matches!(self, Source::Fast { .. }) {
            return;
        }
        if let Source::Fast {
            file,
            buf,
            pos,
            len,
            ..
        } = std::mem::replace(self, Source::Switching)
        {
            let mut prefix = std::mem::take(&mut batch.bytes);
            prefix.extend_from_slice(&buf[pos..len]);
            batch.lines.clear();
            let reader = csv::ReaderBuilder::new()
                .delimiter(delimiter)
                .has_headers(false)
                .flexible(true)
                .buffer_capacity(1 << 20)
                .from_reader(std::io::Cursor::new(prefix).chain(file));
            *self = Source::Careful(reader);
        }
    }
}

/// Reader thread: fill batches of `batch_size` records (reusing returned buffers) until the
/// file ends, a record is unreadable, or the scorer hangs up.
pub(super) fn read_batches(
    mut src: Source,
    data_start: u64,
    batch_size: usize,
    delimiter: u8,
    source: &str,
    full: &std::sync::mpsc::SyncSender<Batch>,
    empty: &std::sync::mpsc::Receiver<Batch>,
) {
    let mut n_read = 0usize;
    let mut consumed = data_start;
    loop {
        let mut batch = empty.try_recv().unwrap_or_default();
        batch.bytes.clear();
        batch.lines.clear();
        batch.filled = 0;
        batch.careful = false;
        batch.base = consumed;
        batch.problems.clear();
        let read_problem = |at: usize, e: &dyn std::fmt::Display| Problem {
            file: source.to_string(),
            row: Some(file_row(at)),
            column: None,
            value: None,
            expected: format!("a well-formed CSV record ({e})"),
        };
        let mut ended = false;
        if matches!(src, Source::Fast { .. }) {
            match src.fill_records(batch_size, delimiter, &mut batch) {
                Ok(()) => ended = batch.lines.len() < batch_size,
                Err(e) => {
                    let at = n_read + batch.lines.len();
                    batch.problems.push(read_problem(at, &e));
                }
            }
        }
        if let Source::Careful(reader) = &mut src {
            batch.careful = true;
            while batch.filled < batch_size {
                if batch.records.len() == batch.filled {
                    batch.records.push(csv::ByteRecord::new());
                }
                match reader.read_byte_record(&mut batch.records[batch.filled]) {
                    Ok(true) => batch.filled += 1,
                    Ok(false) => break,
                    Err(e) => {
                        batch.problems.push(read_problem(n_read + batch.filled, &e));
                        break;
                    }
                }
            }
            ended = batch.filled < batch_size;
        }
        let filled = batch.len();
        n_read += filled;
        consumed += batch.bytes.len() as u64;
        let last = ended || !batch.problems.is_empty();
        if filled == 0 && batch.problems.is_empty() {
            return;
        }
        if full.send(batch).is_err() || last {
            return;
        }
    }
}
