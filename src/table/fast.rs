//! The typed CSV reader: a file straight into typed columns, in parallel, with no per-cell
//! string kept for numeric columns.
//!
//! Records are cut once over the whole file ([`super::records::cut_all`]); chunks of records
//! are then split and typed in parallel with the one rule per cell of [`super::cell`]
//! (trimming, missing, numbers). A column is numeric while every non-missing cell of it is a
//! number; at its first other cell it becomes text (the cells before it are read again as
//! text), so text is kept only for text columns. The result is the table
//! [`super::Table::infer`] gives on [`super::read::parse_csv`]'s cells, value for value.
//!
//! The fast path never reports a problem itself: on anything the careful reader would
//! report (a header problem, a ragged row, a non-UTF-8 cell, a quote left open, no data
//! row), the file is read again by [`super::read::parse_csv`], which lists every problem with
//! its row and column.

use rayon::prelude::*;

use super::cell::{is_missing_bytes, parse_number_bytes, trim_cell};
use super::read::{count_line_ends, file_row, parse_csv};
use super::records::{cut_all, cut_record, Lines, Rec, Rows, Shape};
use super::{Column, Table, Text};
use crate::error::Result;

/// Records typed per parallel task.
const CHUNK_RECORDS: usize = 8192;

/// Read the bytes of a CSV file (`source` names it in messages) into a typed table; the
/// columns named in `keep_text` stay text whatever their cells (identifiers such as `007`).
///
/// # Errors
/// As [`super::read::read_raw`] (the careful reader's problems, exactly).
pub fn read_typed(source: &str, bytes: &[u8], delimiter: u8, keep_text: &[&str]) -> Result<Table> {
    match fast(source, bytes, delimiter, keep_text) {
        Some(t) => Ok(t),
        None => careful(source, bytes, delimiter, keep_text),
    }
}

/// The careful reader and inference (the reference the fast path must equal).
pub fn careful(source: &str, bytes: &[u8], delimiter: u8, keep_text: &[&str]) -> Result<Table> {
    Ok(Table::typed_keeping_text(
        parse_csv(source, bytes, delimiter)?,
        keep_text,
    ))
}

/// A numeric cell not written yet: each chunk writes its rows of a numeric column in place
/// (see [`type_chunk`]).
type NumSlot = std::mem::MaybeUninit<Option<f64>>;

/// The fast path; `None` whenever the careful reader must decide.
fn fast(source: &str, bytes: &[u8], delimiter: u8, keep_text: &[&str]) -> Option<Table> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if super::read::binary_kind(bytes).is_some() {
        return None;
    }
    // the header: the first non-blank record, read by the csv crate
    let mut pos = 0;
    let (header, data_start) = loop {
        let (end, next, _) = cut_record(&bytes[pos..], delimiter, true)?;
        if end > 0 {
            break (&bytes[pos..pos + end], pos + next);
        }
        if next == 0 || pos + next >= bytes.len() {
            return None;
        }
        pos += next;
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(header);
    let mut record = csv::ByteRecord::new();
    if !reader.read_byte_record(&mut record).ok()? {
        return None;
    }
    let names: Vec<String> = record
        .iter()
        .map(|f| std::str::from_utf8(f).ok().map(|s| s.trim().to_string()))
        .collect::<Option<Vec<_>>>()?;
    if !super::read::name_problems(source, &names).is_empty()
        || super::read::delimiter_hint(&names, delimiter).is_some()
    {
        return None;
    }
    let width = names.len();
    let data = &bytes[data_start..];
    let recs = cut_all(data, delimiter);
    // no data row, or a quote left open at the end of the file (the careful reader names it)
    if recs.is_empty() || recs.last().is_some_and(|r| r.2 == Shape::Other) {
        return None;
    }
    let forced: Vec<bool> = names
        .iter()
        .map(|n| keep_text.contains(&n.as_str()))
        .collect();
    let n = recs.len();
    // Each numeric column is allocated once at its full length, and every chunk writes its
    // numbers straight into its own rows of it (no per-chunk pieces copied together).
    let mut nums: Vec<Vec<Option<f64>>> = forced
        .iter()
        .map(|&t| if t { Vec::new() } else { Vec::with_capacity(n) })
        .collect();
    let mut by_column: Vec<std::slice::ChunksMut<'_, NumSlot>> = nums
        .iter_mut()
        .map(|v| {
            let spare = v.spare_capacity_mut();
            let m = spare.len().min(n);
            spare[..m].chunks_mut(CHUNK_RECORDS)
        })
        .collect();
    let chunks = recs.chunks(CHUNK_RECORDS);
    let slots: Vec<Vec<&mut [NumSlot]>> = (0..chunks.len())
        .map(|_| {
            by_column
                .iter_mut()
                .map(|c| c.next().unwrap_or_default())
                .collect()
        })
        .collect();
    drop(by_column);
    let texts_of_chunks: Vec<Vec<Option<Vec<Option<Text>>>>> = slots
        .into_par_iter()
        .zip(recs.par_chunks(CHUNK_RECORDS))
        .map(|(slots, chunk)| type_chunk(data, chunk, delimiter, &forced, slots))
        .collect::<Option<Vec<_>>>()?;
    // each column's text pieces (one per chunk; None where the chunk wrote numbers)
    let mut pieces: Vec<Vec<Option<Vec<Option<Text>>>>> = (0..width)
        .map(|_| Vec::with_capacity(texts_of_chunks.len()))
        .collect();
    for chunk_texts in texts_of_chunks {
        for (j, t) in chunk_texts.into_iter().enumerate() {
            pieces[j].push(t);
        }
    }
    // columns assembled in parallel
    let columns: Vec<Column> = nums
        .into_par_iter()
        .zip(pieces)
        .enumerate()
        .map(|(j, (mut num, pieces))| {
            if forced[j] || pieces.iter().any(Option::is_some) {
                let mut cells: Vec<Option<Text>> = Vec::with_capacity(n);
                for (piece, chunk) in pieces.into_iter().zip(recs.chunks(CHUNK_RECORDS)) {
                    match piece {
                        Some(t) => cells.extend(t),
                        None => cells.extend(texts(data, chunk, delimiter, j, chunk.len())?),
                    }
                }
                Some(Column::Text(cells))
            } else {
                if num.capacity() < n {
                    return None;
                }
                // SAFETY: the column is numeric in every chunk, and `type_chunk` wrote a value
                // into every row of its chunk's slot slice of a numeric column; the slices
                // (`chunks_mut(CHUNK_RECORDS)` of the first n slots) match the chunks of
                // `recs` one to one, so all n slots are initialised.
                unsafe { num.set_len(n) };
                Some(Column::Num(num))
            }
        })
        .collect::<Option<Vec<_>>>()?;
    Some(Table {
        source: source.to_string(),
        names,
        columns,
        lines: physical_lines(bytes, data_start, &recs),
    })
}

/// Type the records of one chunk: the numbers of a column that is numeric in the chunk are
/// written into its slots (one per record, every one written), the cells of any other column
/// returned as text (`Some`). `None` on a ragged row or a non-UTF-8 text cell.
#[allow(clippy::needless_range_loop)] // k is the record: its fields, its slot, its text
fn type_chunk(
    data: &[u8],
    chunk: &[Rec],
    delimiter: u8,
    forced: &[bool],
    mut slots: Vec<&mut [NumSlot]>,
) -> Option<Vec<Option<Vec<Option<Text>>>>> {
    let width = forced.len();
    let rows = Lines::new(data, chunk, delimiter);
    if slots.len() != width
        || forced
            .iter()
            .zip(&slots)
            .any(|(&t, s)| !t && s.len() != rows.n())
    {
        return None;
    }
    let mut text: Vec<Option<Vec<Option<Text>>>> = forced
        .iter()
        .map(|&t| t.then(|| Vec::with_capacity(chunk.len())))
        .collect();
    let mut fields = Vec::with_capacity(width);
    for k in 0..rows.n() {
        rows.fields(k, &mut fields);
        if fields.len() != width {
            return None;
        }
        for (j, raw) in fields.iter().enumerate() {
            let cell = trim_cell(raw);
            let missing = is_missing_bytes(cell);
            if text[j].is_none() {
                if missing {
                    slots[j][k].write(None);
                    continue;
                }
                if let Some(x) = parse_number_bytes(cell) {
                    slots[j][k].write(Some(x));
                    continue;
                }
                // the first cell that is not a number: the column is text in this chunk
                text[j] = Some(texts(data, chunk, delimiter, j, k)?);
            }
            if let Some(t) = &mut text[j] {
                let s = std::str::from_utf8(cell).ok()?;
                t.push((!missing).then(|| Text::from(s)));
            }
        }
    }
    Some(text)
}

/// The text cells of column `j` in the first `upto` records of `chunk`.
fn texts(
    data: &[u8],
    chunk: &[Rec],
    delimiter: u8,
    j: usize,
    upto: usize,
) -> Option<Vec<Option<Text>>> {
    let rows = Lines::new(data, &chunk[..upto], delimiter);
    let mut fields = Vec::new();
    (0..upto)
        .map(|k| {
            rows.fields(k, &mut fields);
            let cell = trim_cell(fields.get(j)?);
            let s = std::str::from_utf8(cell).ok()?;
            Some((!is_missing_bytes(cell)).then(|| Text::from(s)))
        })
        .collect()
}

/// The physical line where each record starts (header line 1), or empty when record `i` is
/// on line `i + 2` throughout (no blank line, no line break inside a quoted cell).
fn physical_lines(bytes: &[u8], data_start: usize, recs: &[Rec]) -> Vec<usize> {
    let mut lines = Vec::with_capacity(recs.len());
    let mut line = 1 + count_line_ends(&bytes[..data_start], None);
    let mut at = data_start;
    let mut trivial = true;
    for (i, r) in recs.iter().enumerate() {
        let start = data_start + r.0;
        let prev = at.checked_sub(1).map(|k| bytes[k]);
        line += count_line_ends(&bytes[at..start], prev);
        at = start;
        trivial &= line == file_row(i);
        lines.push(line);
    }
    if trivial {
        Vec::new()
    } else {
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(text: &[u8], keep: &[&str]) {
        let a = read_typed("t.csv", text, b',', keep);
        let b = careful("t.csv", text, b',', keep);
        match (a, b) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a.names, b.names, "{:?}", String::from_utf8_lossy(text));
                assert_eq!(a.columns, b.columns, "{:?}", String::from_utf8_lossy(text));
                assert_eq!(a.lines, b.lines, "{:?}", String::from_utf8_lossy(text));
            }
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
            (a, b) => panic!(
                "{:?}: fast {:?} careful {:?}",
                String::from_utf8_lossy(text),
                a.map(|t| t.names),
                b.map(|t| t.names)
            ),
        }
    }

    #[test]
    fn typed_reader_equals_the_careful_reader() {
        same(b"a,b,c\n1,x,2.5\n2,y,NA\n", &[]);
        same(b"a,b\n1,2\n3,x\n\n4,\" 5 \"\n", &[]);
        same(b"id,v\n007,1\n008,2\n", &["id"]);
        same(b"a,b\r\n1,\"multi\nline\"\r\n2,\"q\"\"uote\"\n", &[]);
        same(b"a,b\n1,2\n3\n", &[]);
        same(b"a,b\n1,\"open\n", &[]);
        same(b"a,b\n", &[]);
        same(b"\xEF\xBB\xBFa,b\n 1 ,\xC2\xA02\xC2\xA0\n", &[]);
        same(b"a,a\n1,2\n", &[]);
        same(b"a;b\n1;2\n", &[]);
        same(b"a,b\n1,\xFF\n", &[]);
    }

    #[test]
    fn typed_reader_equals_the_careful_reader_on_any_bytes() {
        // small alphabet of the bytes that matter, many lengths; chunks of records cross
        let alphabet: &[u8] = b"1.5,\"\n\r xNA-e";
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for len in 0..300 {
            for _ in 0..8 {
                let mut text = b"a,b,c\n".to_vec();
                for _ in 0..len {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    text.push(alphabet[(state % alphabet.len() as u64) as usize]);
                }
                same(&text, &[]);
            }
        }
    }

    #[test]
    fn a_column_turning_text_in_a_later_chunk_keeps_its_text() {
        let mut text = b"v\n".to_vec();
        for i in 0..(CHUNK_RECORDS * 2 + 5) {
            text.extend_from_slice(format!("{}.50\n", i % 7).as_bytes());
        }
        text.extend_from_slice(b"n/a\n");
        same(&text, &[]);
        let t = read_typed("t.csv", &text, b',', &[]).expect("read");
        match &t.columns[0] {
            Column::Text(v) => assert_eq!(v[1].as_deref(), Some("1.50")),
            Column::Num(_) => panic!("a column with text is text"),
        }
    }
}
