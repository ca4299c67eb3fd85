//! The one CSV quoting rule for every file mbdrisk writes: a field is quoted when it holds a
//! comma, a quote or a line break, and quotes inside are doubled (RFC 4180, as R's
//! `write.csv` and the `csv` crate read it back).

use std::borrow::Cow;

/// Whether a field must be quoted.
#[inline]
fn needs_quotes(field: &[u8]) -> bool {
    field
        .iter()
        .any(|&b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
}

/// Append a field (bytes) to a CSV line, quoted when needed.
pub fn push_field_bytes(out: &mut Vec<u8>, field: &[u8]) {
    if needs_quotes(field) {
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

/// A text field as it goes into a CSV line: as it is, or quoted when needed.
pub fn field(text: &str) -> Cow<'_, str> {
    if needs_quotes(text.as_bytes()) {
        Cow::Owned(format!("\"{}\"", text.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(text)
    }
}

/// Append a text field to a CSV line, quoted when needed.
pub fn push_field(out: &mut String, text: &str) {
    out.push_str(&field(text));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_what_needs_it() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        let mut v = Vec::new();
        push_field_bytes(&mut v, b"x,y");
        assert_eq!(v, b"\"x,y\"");
    }
}
