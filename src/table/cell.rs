//! The rules for one cell, in one place: what is missing, what is a number, and what to tell a
//! user whose cell is neither. Every reader (the table, the streaming scorer, the design) uses
//! these, so a cell means the same thing on every path.

/// Whether a trimmed cell means "not measured": an empty cell or `NA` (R's `read.csv`
/// default). Nothing else is missing: `N/A`, `.`, `NaN` or `-` are values, and a column used as
/// a number reports them.
#[inline]
pub fn is_missing(cell: &str) -> bool {
    is_missing_bytes(cell.as_bytes())
}

/// [`is_missing`] on raw bytes (the streaming scorer's view of a trimmed field).
#[inline]
pub fn is_missing_bytes(cell: &[u8]) -> bool {
    cell.is_empty() || cell == b"NA"
}

/// A trimmed cell as a finite number: decimal notation with an optional exponent, as R's
/// `as.numeric` reads it. `inf`, `NaN` and values beyond the range of a 64-bit float are not
/// numbers here; neither are hexadecimal (`0x41`) or decimal commas (`68,5`).
#[inline]
pub fn parse_number(cell: &str) -> Option<f64> {
    let b = cell.as_bytes();
    // Rust's parser also takes "inf", "infinity" and "nan" in any case: none is a measurement
    if b.is_empty() || !b.iter().all(|c| c.is_ascii_digit() || b"+-.eE".contains(c)) {
        return None;
    }
    cell.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// What a cell that should be a number was expected to be, with the likely cause when we can
/// tell it: the "expected ..." of an input problem.
pub fn number_expectation(cell: &str) -> String {
    let lower = cell.to_ascii_lowercase();
    let looks_numeric = !cell.is_empty()
        && cell
            .bytes()
            .all(|c| c.is_ascii_digit() || b"+-.eE".contains(&c));
    if looks_numeric && cell.parse::<f64>().is_ok_and(|v| v.is_infinite()) {
        "a number within the range of a 64-bit float (about 1.8e308); this one overflows".into()
    } else if matches!(
        lower.as_str(),
        "inf" | "+inf" | "-inf" | "infinity" | "+infinity" | "-infinity" | "nan"
    ) {
        "a finite number; leave the cell empty or write NA where the value is missing".into()
    } else if cell.contains(',') && cell.replace(',', ".").parse::<f64>().is_ok() {
        "a number with a decimal point (this cell has a decimal comma; export the file with '.' as the decimal separator)".into()
    } else if lower.starts_with("0x") || lower.starts_with("-0x") {
        "a decimal number (hexadecimal is not read)".into()
    } else if matches!(
        lower.as_str(),
        "n/a" | "na." | "n.a." | "." | "-" | "--" | "?" | "missing" | "null" | "none" | "nd"
    ) {
        "a number; only an empty cell or NA means missing (write NA here if the value is missing)"
            .into()
    } else {
        "a number".into()
    }
}

/// Powers of ten exactly representable in an `f64`.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Parse a plain decimal `[+-]digits[.digits]` exactly, or `None` when the text is anything
/// else (exponent, too many digits, not a number): the caller then asks `str::parse`.
///
/// With at most 19 digits, a mantissa `m <= 2^53` and `k <= 22` fraction digits, `m` and
/// `10^k` are exact `f64`s and `m / 10^k` is one correctly rounded division: the same value
/// `str::parse` returns.
#[inline]
fn parse_plain(b: &[u8]) -> Option<f64> {
    let (neg, digits) = match b.first()? {
        b'-' => (true, &b[1..]),
        b'+' => (false, &b[1..]),
        _ => (false, b),
    };
    let mut m: u64 = 0;
    let mut i = 0;
    while i < digits.len() && digits[i].is_ascii_digit() {
        m = m.wrapping_mul(10).wrapping_add(u64::from(digits[i] - b'0'));
        i += 1;
    }
    let int_digits = i;
    let mut frac_digits = 0;
    if i < digits.len() && digits[i] == b'.' {
        i += 1;
        let start = i;
        while i < digits.len() && digits[i].is_ascii_digit() {
            m = m.wrapping_mul(10).wrapping_add(u64::from(digits[i] - b'0'));
            i += 1;
        }
        frac_digits = i - start;
    }
    let n_digits = int_digits + frac_digits;
    if i != digits.len() || n_digits == 0 || n_digits > 19 || m > (1u64 << 53) {
        return None;
    }
    let v = m as f64 / *POW10.get(frac_digits)?;
    Some(if neg { -v } else { v })
}

/// A trimmed cell as a number the way [`parse_number`] reads it, from bytes (an exact fast
/// path for plain decimals, `str::parse` otherwise): the one number rule of every reader.
#[inline]
pub fn parse_number_bytes(raw: &[u8]) -> Option<f64> {
    parse_plain(raw).or_else(|| std::str::from_utf8(raw).ok().and_then(parse_number))
}

/// A field without its surrounding whitespace, as `str::trim` cuts it (ASCII whitespace on
/// the fast path; Unicode whitespace such as a no-break space when the field starts or ends
/// with a non-ASCII byte): the one trimming rule of every reader.
#[inline]
pub fn trim_cell(b: &[u8]) -> &[u8] {
    match (b.first(), b.last()) {
        (Some(f), Some(l))
            if !f.is_ascii_whitespace()
                && !l.is_ascii_whitespace()
                && f.is_ascii()
                && l.is_ascii() =>
        {
            return b
        }
        _ => {}
    }
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    let b = &b[start..end];
    match (b.first(), b.last()) {
        (Some(f), Some(l)) if !f.is_ascii() || !l.is_ascii() => match std::str::from_utf8(b) {
            Ok(s) => s.trim().as_bytes(),
            Err(_) => b,
        },
        _ => b,
    }
}

/// Whether two labels are equal, deciding most unequal pairs by length and first byte before
/// a byte comparison (a library call per pair): for the millions of short category labels of
/// a large cohort.
#[inline]
pub fn same_label(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.first() == b.first() && a.last() == b.last() && a == b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_decimal_and_finite() {
        for (s, v) in [
            ("1", 1.0),
            ("-2.5", -2.5),
            ("1e3", 1e3),
            (".5", 0.5),
            ("5.", 5.0),
        ] {
            assert_eq!(parse_number(s), Some(v), "{s}");
        }
        for s in [
            "NaN",
            "nan",
            "inf",
            "-Infinity",
            "1e400",
            "0x41",
            "68,5",
            ".",
            "N/A",
            "",
        ] {
            assert_eq!(parse_number(s), None, "{s}");
        }
    }

    #[test]
    fn expectations_name_the_cause() {
        assert!(number_expectation("1e400").contains("overflows"));
        assert!(number_expectation("68,5").contains("decimal comma"));
        assert!(number_expectation("N/A").contains("NA"));
        assert!(number_expectation("inf").contains("finite"));
        assert!(number_expectation("0x41").contains("hexadecimal"));
        assert!(!number_expectation("1e400").contains("missing"));
    }

    #[test]
    fn only_empty_and_na_are_missing() {
        assert!(is_missing("") && is_missing("NA"));
        for s in ["N/A", "na", ".", "NaN", "-"] {
            assert!(!is_missing(s), "{s}");
        }
    }
}
