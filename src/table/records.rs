//! CSV records on the fast path, shared by the table reader ([`super::fast`]) and the
//! streaming scorer ([`crate::score::stream`]).
//!
//! Records are cut the way the `csv` crate cuts them (`\n`, `\r` and `\r\n` end a record,
//! blank lines are skipped, a `"` at the start of a field opens a quoted field in which
//! delimiters and line ends are data and `""` is a quote) by [`cut_record`], which follows
//! quoted fields without splitting fields and notes each record's [`Shape`]: no quote at all;
//! quoted fields that end right before a delimiter or the record end, with no `""` inside (R's
//! `write.csv` style); or anything else. Fields are then split in parallel: at the delimiter
//! (eight bytes at a time), a quoted field being the bytes between its quotes; records of the
//! third shape (`""` escapes, text after a closing quote, a quote left open at the end of the
//! file) are handed to the `csv` crate's own parser, so malformed quoting reads exactly as
//! there.

/// Records of one chunk, whatever path read them.
pub(crate) trait Rows: Sync {
    /// Number of records.
    fn n(&self) -> usize;
    /// The fields of record `k`, pushed onto `fields` (cleared first).
    fn fields<'a>(&'a self, k: usize, fields: &mut Vec<&'a [u8]>);
}

/// Records read by the `csv` crate.
impl Rows for [csv::ByteRecord] {
    fn n(&self) -> usize {
        self.len()
    }
    fn fields<'a>(&'a self, k: usize, fields: &mut Vec<&'a [u8]>) {
        fields.clear();
        fields.extend(self[k].iter());
    }
}

/// How the workers split a record cut by the fast path (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Shape {
    /// No quote character: fields are the bytes between delimiters.
    Plain,
    /// Every quoted field ends right before a delimiter or the record end and holds no `"`:
    /// such a field is the bytes between its quotes (a `"` inside an unquoted field is data).
    Quoted,
    /// Anything else with a quote: read by the `csv` crate's parser.
    Other,
}

/// A record cut on the fast path: byte range in its buffer (line end excluded), shape.
pub(crate) type Rec = (usize, usize, Shape);

/// Records cut by the fast path; those of shape [`Shape::Other`] are parsed up front.
pub(crate) struct Lines<'a> {
    bytes: &'a [u8],
    lines: &'a [Rec],
    delimiter: u8,
    /// The records of shape `Other`, parsed.
    other: Parsed,
}

/// Records parsed by the `csv` crate, flat: field bytes, field ranges in them, and for each
/// record its index in [`Lines::lines`] and range of fields.
#[derive(Default)]
pub(crate) struct Parsed {
    bytes: Vec<u8>,
    fields: Vec<(usize, usize)>,
    records: Vec<(usize, usize, usize)>,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(bytes: &'a [u8], lines: &'a [Rec], delimiter: u8) -> Self {
        let other = parse_records(bytes, lines, delimiter);
        Lines {
            bytes,
            lines,
            delimiter,
            other,
        }
    }
}

impl Rows for Lines<'_> {
    fn n(&self) -> usize {
        self.lines.len()
    }
    fn fields<'a>(&'a self, k: usize, fields: &mut Vec<&'a [u8]>) {
        fields.clear();
        let (s, e, shape) = self.lines[k];
        let line = &self.bytes[s..e];
        match shape {
            Shape::Plain => split_fields(line, self.delimiter, fields),
            Shape::Quoted => split_quoted(line, self.delimiter, fields),
            Shape::Other => match self.other.records.binary_search_by_key(&k, |r| r.0) {
                Ok(i) => {
                    let (_, a, b) = self.other.records[i];
                    let o = &self.other;
                    fields.extend(o.fields[a..b].iter().map(|&(s, e)| &o.bytes[s..e]));
                }
                // not reached: `new` parsed every record of this shape
                Err(_) => split_quoted(line, self.delimiter, fields),
            },
        }
    }
}

/// The records of shape [`Shape::Other`] among `lines`, read by the `csv` crate configured as
/// the careful path's reader, with their indices in `lines`.
///
/// They are read by one reader, one after another with a `\n` between them: each starts at a
/// record start, and each but the file's last ends outside quotes (the fast path cut it at a
/// line end there), so the `\n` ends it as its own line end or the end of the file would; a
/// quote left open can only be in the file's last record, which has nothing after it. A blank
/// line goes first so that a UTF-8 byte order mark opening the first one stays data, as it is
/// anywhere but at the start of the file.
pub(crate) fn parse_records(bytes: &[u8], lines: &[Rec], delimiter: u8) -> Parsed {
    let mut joined = Vec::new();
    let mut which = Vec::new();
    for (k, &(s, e, shape)) in lines.iter().enumerate() {
        if shape == Shape::Other {
            joined.push(b'\n');
            joined.extend_from_slice(&bytes[s..e]);
            which.push(k);
        }
    }
    let mut out = Parsed::default();
    if which.is_empty() {
        return out;
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(joined.len().clamp(64, 1 << 16))
        .from_reader(joined.as_slice());
    let mut record = csv::ByteRecord::new();
    for k in which {
        let first = out.fields.len();
        let mut push = |field: &[u8]| {
            let s = out.bytes.len();
            out.bytes.extend_from_slice(field);
            out.fields.push((s, out.bytes.len()));
        };
        match reader.read_byte_record(&mut record) {
            Ok(true) => record.iter().for_each(&mut push),
            // not reached: one record per line, and reading from memory cannot fail
            _ => {
                let (s, e, _) = lines[k];
                push(&bytes[s..e]);
            }
        }
        out.records.push((k, first, out.fields.len()));
    }
    out
}

/// Push the fields of a record of shape [`Shape::Quoted`] onto `fields`: a field starting
/// with `"` is the bytes up to the next `"` (which the delimiter or the record end follows);
/// once no quote is left, the rest is split by [`split_fields`].
#[inline]
pub(crate) fn split_quoted<'a>(line: &'a [u8], delimiter: u8, fields: &mut Vec<&'a [u8]>) {
    let mut i = 0;
    loop {
        let rest = &line[i..];
        if rest.first() == Some(&b'"') {
            let body = &rest[1..];
            let close = memchr::memchr(b'"', body).unwrap_or(body.len());
            fields.push(&body[..close]);
            // past the opening quote, the body, the closing quote and the delimiter
            i += close + 3;
            if i > line.len() {
                return;
            }
        } else if memchr::memchr(b'"', rest).is_none() {
            split_fields(rest, delimiter, fields);
            return;
        } else if let Some(d) = memchr::memchr(delimiter, rest) {
            fields.push(&rest[..d]);
            i += d + 1;
        } else {
            fields.push(rest);
            return;
        }
    }
}

/// Push the fields of `line` (split at every `delimiter`) onto `fields`, eight bytes at a time:
/// fields are short, so a word-wide compare beats a `memchr` call per field.
#[inline]
pub(crate) fn split_fields<'a>(line: &'a [u8], delimiter: u8, fields: &mut Vec<&'a [u8]>) {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let pattern = u64::from(delimiter) * 0x0101_0101_0101_0101;
    let mut start = 0;
    let mut base = 0;
    let mut words = line.chunks_exact(8);
    for word in &mut words {
        let mut le = [0u8; 8];
        le.copy_from_slice(word);
        let x = u64::from_le_bytes(le) ^ pattern;
        // high bit set exactly in the bytes of x that are zero (the delimiter's)
        let mut hits = !(((x & LOW7) + LOW7) | x | LOW7);
        while hits != 0 {
            let p = base + (hits.trailing_zeros() / 8) as usize;
            fields.push(&line[start..p]);
            start = p + 1;
            hits &= hits - 1;
        }
        base += 8;
    }
    for (k, &b) in words.remainder().iter().enumerate() {
        if b == delimiter {
            fields.push(&line[start..base + k]);
            start = base + k + 1;
        }
    }
    fields.push(&line[start..]);
}

/// Cut the record at the start of `buf`: `Some((end, next, shape))` with the record's bytes
/// `buf[..end]` (line end excluded; `end == 0` is a blank line), the start of what follows
/// `next` and its shape; `None` when `buf` ends inside the record and more bytes may come
/// (`eof` false). With `eof`, a record running to the end of `buf` ends there (a quote left
/// open: shape `Other`).
pub(crate) fn cut_record(buf: &[u8], delimiter: u8, eof: bool) -> Option<(usize, usize, Shape)> {
    let mut at = 0usize;
    let mut in_quotes = false;
    let mut shape = Shape::Plain;
    loop {
        let next = if in_quotes {
            memchr::memchr(b'"', &buf[at..])
        } else {
            memchr::memchr3(b'\n', b'\r', b'"', &buf[at..])
        };
        match next {
            Some(k) => {
                let k = at + k;
                if buf[k] != b'"' {
                    // a line end outside quotes
                    return Some((k, k + 1, shape));
                } else if !in_quotes {
                    // a quote opens a quoted field only at the start of a field
                    shape = shape.max(Shape::Quoted);
                    in_quotes = k == 0 || buf[k - 1] == delimiter;
                    at = k + 1;
                } else {
                    match buf.get(k + 1) {
                        Some(b'"') => {
                            // "" inside quotes: a quote
                            shape = Shape::Other;
                            at = k + 2;
                        }
                        Some(&b) => {
                            if b != delimiter && b != b'\n' && b != b'\r' {
                                // text after the closing quote joins the field
                                shape = Shape::Other;
                            }
                            in_quotes = false;
                            at = k + 1;
                        }
                        None if eof => {
                            in_quotes = false;
                            at = k + 1;
                        }
                        // the byte after the quote decides: read it first
                        None => return None,
                    }
                }
            }
            None if eof => {
                if in_quotes {
                    // a quote left open: the field runs to the end of the file
                    shape = Shape::Other;
                }
                return Some((buf.len(), buf.len(), shape));
            }
            None => return None,
        }
    }
}

/// Every record of `bytes` (a whole file after its header): `(start, end, shape)` ranges,
/// blank lines skipped.
pub(crate) fn cut_all(bytes: &[u8], delimiter: u8) -> Vec<Rec> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        // with eof every record is cut
        let Some((end, next, shape)) = cut_record(&bytes[pos..], delimiter, true) else {
            break;
        };
        if end > 0 {
            out.push((pos, pos + end, shape));
        }
        pos += next.max(1);
    }
    out
}
