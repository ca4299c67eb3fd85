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
