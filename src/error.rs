//! Error kinds named by meaning, and the exit-code policy of the command line.
//!
//! Input problems are collected, not thrown one at a time: a researcher fixing a file wants the
//! whole list (file, row, column, value, what was expected) in one run.

use std::fmt;

/// One thing wrong with an input file, located as precisely as the reader can.
///
/// `row` is 1-based with the header as row 1, the way a spreadsheet shows the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// The file the problem is in, as the user named it.
    pub file: String,
    /// 1-based row (header = 1); `None` for file-level problems.
    pub row: Option<usize>,
    /// Column name; `None` for row-level problems (a ragged row) and file-level ones.
    pub column: Option<String>,
    /// The offending value as found (already escaped for non-UTF-8 bytes).
    pub value: Option<String>,
    /// What was expected instead, including a hint where we can guess the cause.
    pub expected: String,
}

impl Problem {
    /// A problem not tied to a row (empty file, missing column).
    pub fn file_level(file: &str, expected: impl Into<String>) -> Problem {
        Problem {
            file: file.to_string(),
            row: None,
            column: None,
            value: None,
            expected: expected.into(),
        }
    }

    /// A problem in one cell.
    pub fn cell(
        file: &str,
        row: usize,
        column: &str,
        value: &str,
        expected: impl Into<String>,
    ) -> Problem {
        Problem {
            file: file.to_string(),
            row: Some(row),
            column: Some(column.to_string()),
            value: Some(value.to_string()),
            expected: expected.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(r) = self.row {
            write!(f, ": row {r}")?;
        }
        if let Some(c) = &self.column {
            write!(f, ", column '{c}'")?;
        }
        if let Some(v) = &self.value {
            write!(f, ": found '{}'", shown_value(v))?;
        }
        write!(f, "; expected {}", self.expected)
    }
}

/// A value as a message shows it: control characters (NUL, escape codes) escaped so they
/// cannot hide or repaint the terminal, and at most 120 characters.
fn shown_value(v: &str) -> String {
    let mut out = String::new();
    for (k, c) in v.chars().enumerate() {
        if k == 120 {
            out.push_str(&format!("... ({} characters)", v.chars().count()));
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// How many problems are printed in full before the rest are counted.
pub const MAX_PROBLEMS_SHOWN: usize = 50;

/// How many warnings are printed in full before the rest are counted.
pub const MAX_WARNINGS_SHOWN: usize = 20;

/// Warnings as the terminal shows them: one line each for the first [`MAX_WARNINGS_SHOWN`],
/// then one line counting the rest.
pub fn render_warnings(warnings: &[Problem]) -> String {
    let mut s = String::new();
    for w in warnings.iter().take(MAX_WARNINGS_SHOWN) {
        s.push_str(&format!("warning: {w}\n"));
    }
    if warnings.len() > MAX_WARNINGS_SHOWN {
        s.push_str(&format!(
            "warning: ... and {} more warnings of the same kinds (fix the ones above first)\n",
            warnings.len() - MAX_WARNINGS_SHOWN
        ));
    }
    s
}

/// Everything that can go wrong in mbdrisk.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input files break the contract; every problem found is listed.
    #[error("{}", render_problems(.0))]
    InvalidInput(Vec<Problem>),
    /// A flag or argument combination that cannot work.
    #[error("{0}")]
    Usage(String),
    /// A named column is not in the data.
    #[error("{file}: column '{column}' not found{hint}")]
    ColumnNotFound {
        file: String,
        column: String,
        hint: String,
    },
    /// Reading or writing a file failed at the operating-system level.
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The analysis could not produce a trustworthy answer (non-convergence, separation...).
    #[error("{0}")]
    Analysis(String),
}

impl Error {
    /// Exit code policy (DESIGN.md section 3): 2 bad input or usage, 1 analysis failed.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::InvalidInput(_) | Error::Usage(_) | Error::ColumnNotFound { .. } => 2,
            Error::Io { .. } => 2,
            Error::Analysis(_) => 1,
        }
    }

    /// Wrap an I/O error with the path it concerns.
    pub fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.as_ref().display().to_string(),
            source,
        }
    }

    /// A single input problem as an error.
    pub fn one(problem: Problem) -> Error {
        Error::InvalidInput(vec![problem])
    }
}

/// Every problem, except that problems differing only in their row (the same value in the
/// same column, for the same reason) are shown once, with the other rows counted: a file with
/// 'F' for 'f' in 2,000 rows says so once.
fn render_problems(problems: &[Problem]) -> String {
    let mut s = format!(
        "{} problem{} in the input:",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    );
    // (first problem, the other rows), in order of first appearance
    let mut groups: Vec<(&Problem, Vec<usize>)> = Vec::new();
    type Key<'a> = (&'a str, Option<&'a str>, Option<&'a str>, &'a str);
    let mut index: std::collections::HashMap<Key<'_>, usize> = Default::default();
    for p in problems {
        let key = (
            p.file.as_str(),
            p.column.as_deref(),
            p.value.as_deref(),
            p.expected.as_str(),
        );
        match (p.row, index.get(&key)) {
            (Some(row), Some(&g)) => groups[g].1.push(row),
            (Some(_), None) => {
                index.insert(key, groups.len());
                groups.push((p, Vec::new()));
            }
            (None, _) => groups.push((p, Vec::new())),
        }
    }
    for (p, rows) in groups.iter().take(MAX_PROBLEMS_SHOWN) {
        s.push_str("\n  ");
        s.push_str(&p.to_string());
        if !rows.is_empty() {
            let shown: Vec<String> = rows.iter().take(5).map(ToString::to_string).collect();
            s.push_str(&format!(
                "\n    (the same in {} more row{}: {}{})",
                rows.len(),
                if rows.len() == 1 { "" } else { "s" },
                shown.join(", "),
                if rows.len() > 5 { ", ..." } else { "" }
            ));
        }
    }
    if groups.len() > MAX_PROBLEMS_SHOWN {
        s.push_str(&format!(
            "\n  ... and {} more",
            groups.len() - MAX_PROBLEMS_SHOWN
        ));
    }
    s
}

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
