//! Model formulas: `y ~ rcs(age, 4) + sex + log(ctx_ng_ml) + mrd`.
//!
//! The formula names the outcome and the predictors; it is the only place where a user says
//! which columns of a file a model uses, so the same tool works on any cohort.
//!
//! Grammar (whitespace is free):
//!
//! ```text
//! formula  := response "~" term ("+" term)*
//! response := name | "Surv" "(" name "," name ")"
//! term     := name | func "(" name ")" | "rcs" "(" name ["," integer] ")"
//! func     := "log" | "log1p" | "sqrt" | "cat" | "addNA"
//! name     := [A-Za-z_.][A-Za-z0-9_.]*  |  `any text in backquotes`
//! ```
//!
//! `rcs(x)` without a knot count uses 5 knots, as `rms::rcs`. A text column used as a plain
//! term is categorical automatically (decided later, by [`crate::design`], from the data).
//! `addNA(x)` is categorical with the missing cells as one more level, `NA` (R's `addNA`).
//! `Surv(time, event)` is parsed for the dynamic (time-to-event) model; fitting it is not
//! supported yet.
//!
//! Errors show the formula with a caret under the offending position.

use std::fmt;

use crate::error::{Error, Result};
use crate::table::did_you_mean;

/// Smallest and largest knot count accepted by `rcs(x, k)` (as `Hmisc::rcspline.eval`'s
/// default knot tables).
pub const RCS_KNOTS: std::ops::RangeInclusive<usize> = 3..=7;

/// Knot count of `rcs(x)` without a second argument (the `rms` default).
pub const RCS_DEFAULT_KNOTS: usize = 5;

/// The function names a term may use.
pub const FUNCTIONS: [&str; 7] = ["log", "log1p", "sqrt", "rcs", "cat", "addNA", "strata"];

/// What a term does to its column before it enters the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TermKind {
    /// The column as it is: linear for numbers, categorical for text.
    Plain,
    /// Natural logarithm; values must be > 0.
    Log,
    /// `ln(1 + x)`; values must be > -1.
    Log1p,
    /// Square root; values must be >= 0.
    Sqrt,
    /// Restricted cubic spline with `k` knots (`rms::rcs`).
    Rcs {
        /// Requested number of knots (3..=7); ties may leave fewer.
        k: usize,
    },
    /// Categorical even when the column holds numbers (`rms::catg`, R `factor`).
    Cat,
    /// Categorical with a missing cell as a level of its own (R `addNA`): rows are not dropped
    /// for a missing value of this column. For markers that are not measured at every visit,
    /// where "not measured recently" carries information.
    AddNa,
    /// `strata(x)`: a Cox model's stratification column (a baseline hazard per level, no
    /// coefficient). Taken out of the terms into [`Formula::strata`] by the parser.
    Strata,
}

/// One right-hand-side term.
#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    /// The column the term reads.
    pub column: String,
    /// The transformation.
    pub kind: TermKind,
    /// Byte span of the term in the formula text (for error carets).
    pub span: (usize, usize),
    /// Byte span of the column name in the formula text.
    pub column_span: (usize, usize),
    /// `term:by`: the term's columns multiplied by a numeric second factor (R's `a:b`).
    pub by: Option<ByFactor>,
}

/// The second factor of an interaction `term:by`: a column (numeric or categorical, as the
/// data say), `cat()` of one, or `log`, `log1p` or `sqrt` of one.
#[derive(Debug, Clone, PartialEq)]
pub struct ByFactor {
    /// The column it reads.
    pub column: String,
    /// [`TermKind::Plain`], [`TermKind::Cat`], [`TermKind::Log`], [`TermKind::Log1p`] or
    /// [`TermKind::Sqrt`].
    pub kind: TermKind,
    /// Byte span of the column name in the formula text.
    pub column_span: (usize, usize),
}

/// The left-hand side.
#[derive(Debug, Clone, PartialEq)]
pub enum Response {
    /// A binary outcome column coded 0/1.
    Binary {
        /// Column name.
        column: String,
        /// Byte span in the formula text.
        span: (usize, usize),
    },
    /// `Surv(time, event)`: a time-to-event outcome (dynamic model; not fitted yet).
    Surv {
        /// Follow-up time column.
        time: String,
        /// Event indicator column (1 = event, 0 = censored).
        event: String,
        /// Byte span of the whole `Surv(...)` in the formula text.
        span: (usize, usize),
    },
}

impl Response {
    /// The columns the response reads.
    pub fn columns(&self) -> Vec<&str> {
        match self {
            Response::Binary { column, .. } => vec![column],
            Response::Surv { time, event, .. } => vec![time, event],
        }
    }
}

/// A parsed formula.
#[derive(Debug, Clone, PartialEq)]
pub struct Formula {
    /// The text as the user wrote it.
    pub text: String,
    /// The outcome.
    pub response: Response,
    /// Predictor terms in formula order.
    pub terms: Vec<Term>,
    /// `strata(x)` (Cox models): the column whose levels get a baseline hazard each, with
    /// the byte span of its name.
    pub strata: Option<(String, (usize, usize))>,
}

/// A formula that cannot be parsed, with the byte span to underline.
#[derive(Debug, Clone, PartialEq)]
pub struct FormulaError {
    /// The formula text.
    pub formula: String,
    /// Byte span `[start, end)` of the problem (`start == end` for "expected something here").
    pub span: (usize, usize),
    /// What is wrong.
    pub message: String,
}

impl FormulaError {
    /// The formula with a `^` line under the offending span, as printed in messages.
    pub fn caret_diagram(&self) -> String {
        caret_diagram(&self.formula, self.span)
    }
}

impl fmt::Display for FormulaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid formula: {}\n{}",
            self.message,
            self.caret_diagram()
        )
    }
}

impl std::error::Error for FormulaError {}

impl From<FormulaError> for Error {
    fn from(e: FormulaError) -> Error {
        Error::Usage(e.to_string())
    }
}

/// Two lines: the formula indented by 2, and carets under the byte span `[start, end)`
/// (at least one caret). Columns are counted in characters so non-ASCII names line up.
pub fn caret_diagram(formula: &str, span: (usize, usize)) -> String {
    let start = formula[..span.0.min(formula.len())].chars().count();
    let width = formula
        .get(span.0..span.1.min(formula.len()))
        .map_or(0, |s| s.chars().count())
        .max(1);
    format!("  {formula}\n  {}{}", " ".repeat(start), "^".repeat(width))
}

impl Formula {
    /// Every column the formula reads: response columns first, then term columns in order.
    pub fn columns(&self) -> Vec<&str> {
        let mut out = self.response.columns();
        for t in &self.terms {
            for c in
                std::iter::once(t.column.as_str()).chain(t.by.as_ref().map(|b| b.column.as_str()))
            {
                if !out.contains(&c) {
                    out.push(c);
                }
            }
        }
        if let Some((s, _)) = &self.strata {
            if !out.contains(&s.as_str()) {
                out.push(s);
            }
        }
        out
    }

    /// Check that every column exists in `names` (the columns of `file`).
    ///
    /// # Errors
    /// [`Error::ColumnNotFound`] for the first unknown column, with a "did you mean" hint and
    /// the formula with a caret under the name.
    pub fn check_columns(&self, names: &[String], file: &str) -> Result<()> {
        let mut spans: Vec<(&str, (usize, usize))> = match &self.response {
            Response::Binary { column, span } => vec![(column.as_str(), *span)],
            Response::Surv {
                time, event, span, ..
            } => vec![(time.as_str(), *span), (event.as_str(), *span)],
        };
        for t in &self.terms {
            spans.push((t.column.as_str(), t.column_span));
            if let Some(b) = &t.by {
                spans.push((b.column.as_str(), b.column_span));
            }
        }
        if let Some((s, span)) = &self.strata {
            spans.push((s.as_str(), *span));
        }
        for (col, span) in spans {
            if !names.iter().any(|n| n == col) {
                let suggestion = did_you_mean(col, names)
                    .map(|s| format!(" (did you mean '{s}'?)"))
                    .unwrap_or_else(|| format!(" (columns: {})", names.join(", ")));
                return Err(Error::ColumnNotFound {
                    file: file.to_string(),
                    column: col.to_string(),
                    hint: format!(
                        "{suggestion}; used in the formula:\n{}",
                        caret_diagram(&self.text, span)
                    ),
                });
            }
        }
        Ok(())
    }
}

impl std::str::FromStr for Formula {
    type Err = FormulaError;
    fn from_str(s: &str) -> std::result::Result<Formula, FormulaError> {
        parse(s)
    }
}

impl fmt::Display for Formula {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Parse a formula.
///
/// # Errors
/// A [`FormulaError`] (converts into [`Error::Usage`], exit code 2) for bad syntax, an unknown
/// function, a knot count outside 3..=7, a column used twice, or the outcome used as a
/// predictor. Unknown columns are checked against the data by [`Formula::check_columns`].
///
/// # Examples
/// ```
/// use mbdrisk::formula::{parse, TermKind};
/// let f = parse("event_24m ~ rcs(age, 4) + sex + log(ctx_ng_ml)").unwrap();
/// assert_eq!(f.terms.len(), 3);
/// assert_eq!(f.terms[0].kind, TermKind::Rcs { k: 4 });
/// assert!(parse("y ~ rcs(age, 9)").is_err());
/// ```
pub fn parse(text: &str) -> std::result::Result<Formula, FormulaError> {
    let max = crate::limits::MAX_FORMULA_CHARS;
    if text.len() > max {
        return Err(FormulaError {
            formula: text.chars().take(60).collect::<String>() + "...",
            span: (0, 0),
            message: format!("a formula of at most {max} characters"),
        });
    }
    let mut p = Parser {
        text,
        tokens: tokenize(text)?,
        pos: 0,
    };
    let formula = p.formula()?;
    check_duplicates(&formula)?;
    Ok(formula)
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Name(String),
    Int(usize),
    Number,
    Tilde,
    Plus,
    Comma,
    LParen,
    RParen,
    Colon,
    /// An operator we know but do not support yet (`*`, `-`, `^`, `/`).
    Unsupported(char),
    End,
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Name(n) => format!("name '{n}'"),
            Tok::Int(i) => format!("number {i}"),
            Tok::Number => "a number".into(),
            Tok::Tilde => "'~'".into(),
            Tok::Plus => "'+'".into(),
            Tok::Comma => "','".into(),
            Tok::LParen => "'('".into(),
            Tok::RParen => "')'".into(),
            Tok::Colon => "':'".into(),
            Tok::Unsupported(c) => format!("'{c}'"),
            Tok::End => "the end of the formula".into(),
        }
    }
}

fn err(text: &str, span: (usize, usize), message: impl Into<String>) -> FormulaError {
    FormulaError {
        formula: text.to_string(),
        span,
        message: message.into(),
    }
}

fn is_name_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || c == '.'
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '.'
}

/// A token with its byte span.
type Spanned = (Tok, (usize, usize));

fn tokenize(text: &str) -> std::result::Result<Vec<Spanned>, FormulaError> {
    let mut out = Vec::new();
    let mut it = text.char_indices().peekable();
    while let Some(&(i, c)) = it.peek() {
        if c.is_whitespace() {
            it.next();
            continue;
        }
        let single = match c {
            '~' => Some(Tok::Tilde),
            '+' => Some(Tok::Plus),
            ',' => Some(Tok::Comma),
            '(' => Some(Tok::LParen),
            ')' => Some(Tok::RParen),
            ':' => Some(Tok::Colon),
            '*' | '-' | '^' | '/' => Some(Tok::Unsupported(c)),
            _ => None,
        };
        if let Some(t) = single {
            it.next();
            out.push((t, (i, i + c.len_utf8())));
            continue;
        }
        if c == '`' {
            it.next();
            let mut end = None;
            for (j, d) in it.by_ref() {
                if d == '`' {
                    end = Some(j);
                    break;
                }
            }
            let Some(j) = end else {
                return Err(err(text, (i, text.len()), "unclosed backquote"));
            };
            if j == i + 1 {
                return Err(err(text, (i, j + 1), "empty column name"));
            }
            out.push((Tok::Name(text[i + 1..j].to_string()), (i, j + 1)));
            continue;
        }
        if c.is_ascii_digit() {
            let mut end = i;
            while let Some(&(j, d)) = it.peek() {
                if d.is_ascii_alphanumeric() || d == '.' || d == '_' {
                    end = j + d.len_utf8();
                    it.next();
                } else {
                    break;
                }
            }
            let s = &text[i..end];
            let tok = match s.parse::<usize>() {
                Ok(v) => Tok::Int(v),
                Err(_) if s.parse::<f64>().is_ok() => Tok::Number,
                Err(_) => {
                    return Err(err(
                        text,
                        (i, end),
                        format!("'{s}' is neither a number nor a column name (names cannot start with a digit; put them in `backquotes`)"),
                    ))
                }
            };
            out.push((tok, (i, end)));
            continue;
        }
        if is_name_start(c) {
            let mut end = i;
            while let Some(&(j, d)) = it.peek() {
                if is_name_char(d) {
                    end = j + d.len_utf8();
                    it.next();
                } else {
                    break;
                }
            }
            out.push((Tok::Name(text[i..end].to_string()), (i, end)));
            continue;
        }
        return Err(err(
            text,
            (i, i + c.len_utf8()),
            format!("unexpected character '{c}'"),
        ));
    }
    out.push((Tok::End, (text.len(), text.len())));
    Ok(out)
}

struct Parser<'a> {
    text: &'a str,
    tokens: Vec<Spanned>,
    pos: usize,
}

type PResult<T> = std::result::Result<T, FormulaError>;

impl Parser<'_> {
    fn peek(&self) -> &Spanned {
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn next(&mut self) -> Spanned {
        let t = self.peek().clone();
        if self.pos < self.tokens.len() - 1 {
            self.pos += 1;
        }
        t
    }

    fn unexpected(&self, tok: &Tok, span: (usize, usize), wanted: &str) -> FormulaError {
        match tok {
            Tok::Unsupported(c) => err(
                self.text,
                span,
                format!(
                    "'{c}' is not supported: terms are joined with '+', interactions written a:b or a*b (removals, powers and nesting are not supported)"
                ),
            ),
            _ => err(
                self.text,
                span,
                format!("expected {wanted}, found {}", tok.describe()),
            ),
        }
    }

    fn expect(&mut self, want: Tok, what: &str) -> PResult<(usize, usize)> {
        let (tok, span) = self.next();
        if tok == want {
            Ok(span)
        } else {
            Err(self.unexpected(&tok, span, what))
        }
    }

    fn name(&mut self, what: &str) -> PResult<(String, (usize, usize))> {
        match self.next() {
            (Tok::Name(n), span) => Ok((n, span)),
            (tok, span) => Err(self.unexpected(&tok, span, what)),
        }
    }

    fn formula(&mut self) -> PResult<Formula> {
        if self.text.trim().is_empty() {
            return Err(err(
                self.text,
                (0, 0),
                "empty formula; write it as 'outcome ~ term + term', e.g. 'event_24m ~ rcs(age, 4) + sex'",
            ));
        }
        if !self.tokens.iter().any(|(t, _)| *t == Tok::Tilde) {
            return Err(err(
                self.text,
                (0, self.text.len()),
                "a formula needs '~' between the outcome and the terms, e.g. 'event_24m ~ age + sex'",
            ));
        }
        let response = self.response()?;
        self.expect(Tok::Tilde, "'~' after the outcome")?;
        // (term, written by the user rather than expanded from a*b)
        let mut terms: Vec<(Term, bool)> = self.terms()?;
        loop {
            match self.next() {
                (Tok::Plus, _) => terms.extend(self.terms()?),
                (Tok::End, _) => break,
                (tok, span) => {
                    return Err(self.unexpected(
                        &tok,
                        span,
                        "'+', ':', '*' or the end of the formula",
                    ))
                }
            }
        }
        // a term that a*b also gives is kept once (R: `a*b + a` is `a*b`)
        let mut kept: Vec<(Term, bool)> = Vec::with_capacity(terms.len());
        for (t, written) in terms {
            let same = kept.iter().position(|(u, _)| same_term(u, &t));
            match same {
                Some(k) if !written || !kept[k].1 => {}
                _ => kept.push((t, written)),
            }
        }
        // main effects first, then interactions, each in the order written (as R orders terms)
        type Written = Vec<(Term, bool)>;
        let (stratas, kept): (Written, Written) = kept
            .into_iter()
            .partition(|(t, _)| t.kind == TermKind::Strata);
        let mut strata = None;
        for (t, _) in stratas {
            if t.by.is_some() {
                return Err(err(
                    self.text,
                    t.span,
                    "strata() cannot be part of an interaction: a stratum has no coefficient",
                ));
            }
            if strata.is_some() {
                return Err(err(
                    self.text,
                    t.span,
                    "one strata() term at most: combine the columns into one in the file",
                ));
            }
            strata = Some((t.column, t.column_span));
        }
        if strata.is_some() && !matches!(response, Response::Surv { .. }) {
            let span = strata
                .as_ref()
                .map_or((0, 0), |s: &(String, (usize, usize))| s.1);
            return Err(err(
                self.text,
                span,
                "strata() is for Cox models (a Surv(time, event) outcome); for a 0/1 outcome add the column as a term",
            ));
        }
        let (mains, interactions): (Vec<Term>, Vec<Term>) = kept
            .into_iter()
            .map(|(t, _)| t)
            .partition(|t| t.by.is_none());
        Ok(Formula {
            text: self.text.to_string(),
            response,
            terms: mains.into_iter().chain(interactions).collect(),
            strata,
        })
    }

    fn response(&mut self) -> PResult<Response> {
        let (name, span) = self.name("the outcome column before '~'")?;
        if name == "Surv" && self.peek().0 == Tok::LParen {
            self.next();
            let (time, _) = self.name("the time column in Surv(time, event)")?;
            self.expect(
                Tok::Comma,
                "',' between the time and event columns of Surv(time, event)",
            )?;
            let (event, _) = self.name("the event column in Surv(time, event)")?;
            let close = self.expect(Tok::RParen, "')' closing Surv(time, event)")?;
            return Ok(Response::Surv {
                time,
                event,
                span: (span.0, close.1),
            });
        }
        if self.peek().0 == Tok::LParen {
            return Err(err(
                self.text,
                span,
                format!(
                    "the outcome must be a column (or Surv(time, event)), not a call to '{name}'"
                ),
            ));
        }
        Ok(Response::Binary { column: name, span })
    }

    /// A term; an interaction `a:b`; or `a*b`, which is `a + b + a:b`. Each with whether the
    /// user wrote it (the main effects of `a*b` are implied).
    fn terms(&mut self) -> PResult<Vec<(Term, bool)>> {
        let a = self.factor()?;
        let star = match self.peek().0 {
            Tok::Colon => false,
            Tok::Unsupported('*') => true,
            _ => return Ok(vec![(a, true)]),
        };
        self.next(); // ':' or '*'
        let b = self.factor()?;
        if matches!(self.peek().0, Tok::Colon | Tok::Unsupported('*')) {
            let (_, span) = self.next();
            return Err(err(
                self.text,
                span,
                "only two-way interactions (a:b, a*b) are supported",
            ));
        }
        let both = self.interaction(a.clone(), b.clone())?;
        Ok(if star {
            vec![(a, false), (b, false), (both, true)]
        } else {
            vec![(both, true)]
        })
    }

    /// The interaction of two factors: the first keeps its transform (a spline, a category,
    /// a number), the second multiplies it (a number) or repeats it per level (a category).
    /// A spline written second is moved first, so `sex:rcs(age, 4)` is a spline per sex.
    fn interaction(&self, a: Term, b: Term) -> PResult<Term> {
        let is_rcs = |t: &Term| matches!(t.kind, TermKind::Rcs { .. });
        if is_rcs(&a) && is_rcs(&b) {
            return Err(err(
                self.text,
                (a.span.0, b.span.1),
                "an interaction of two splines is not supported: make one of them linear, e.g. rcs(x, 4):z",
            ));
        }
        if let Some(s) = [&a, &b].into_iter().find(|t| t.kind == TermKind::Strata) {
            return Err(err(
                self.text,
                s.span,
                "strata() cannot be part of an interaction: a stratum has no coefficient",
            ));
        }
        let span = (a.span.0, b.span.1);
        let (mut t, by) = if is_rcs(&b) { (b, a) } else { (a, b) };
        if by.kind == TermKind::AddNa {
            return Err(err(
                self.text,
                by.span,
                "addNA() cannot be the second factor of an interaction: write it first, e.g. addNA(pet):landmark",
            ));
        }
        t.span = span;
        t.by = Some(ByFactor {
            column: by.column,
            kind: by.kind,
            column_span: by.column_span,
        });
        Ok(t)
    }

    fn factor(&mut self) -> PResult<Term> {
        let (name, span) = self.name("a column name or a function such as rcs(x, 4)")?;
        if name == "." {
            return Err(err(
                self.text,
                span,
                "'.' (every other column) is not supported: list the terms, so the model says what it uses",
            ));
        }
        if self.peek().0 != Tok::LParen {
            return Ok(Term {
                column: name,
                kind: TermKind::Plain,
                span,
                column_span: span,
                by: None,
            });
        }
        let kind = match name.as_str() {
            "log" => TermKind::Log,
            "log1p" => TermKind::Log1p,
            "sqrt" => TermKind::Sqrt,
            "cat" | "factor" | "as.factor" | "catg" => TermKind::Cat,
            "strat" | "strata" => TermKind::Strata,
            "I" | "ns" | "bs" | "pol" | "poly" | "offset" | "scale" | "exp" => {
                let instead = match name.as_str() {
                    "I" => "compute the expression as a column of the file, or use rcs(x, k) for a curve",
                    "ns" | "bs" => "use rcs(x, k), the restricted cubic spline of rms",
                    "pol" | "poly" => "use rcs(x, k) for a curve, or compute the powers as columns",
                    "offset" => "a term with a fixed coefficient cannot be fitted here; leave it out",
                    _ => "compute the transformed column in the file, or use log(), log1p(), sqrt() or rcs()",
                };
                return Err(err(
                    self.text,
                    span,
                    format!("{name}() is not supported: {instead}"),
                ));
            }
            "addNA" => TermKind::AddNa,
            "rcs" => TermKind::Rcs {
                k: RCS_DEFAULT_KNOTS,
            },
            _ => {
                let known: Vec<String> = FUNCTIONS.iter().map(|s| s.to_string()).collect();
                let hint = match did_you_mean(&name, &known) {
                    Some(s) => format!(" (did you mean '{s}'?)"),
                    None => String::new(),
                };
                return Err(err(
                    self.text,
                    span,
                    format!(
                        "unknown function '{name}'{hint}; known: {}",
                        FUNCTIONS.join(", ")
                    ),
                ));
            }
        };
        self.next(); // '('
        let (column, column_span) = self.name(&format!("a column name inside {name}(...)"))?;
        let kind = if let TermKind::Rcs { .. } = kind {
            if self.peek().0 == Tok::Comma {
                self.next();
                match self.next() {
                    (Tok::Int(k), kspan) => {
                        if !RCS_KNOTS.contains(&k) {
                            return Err(err(
                                self.text,
                                kspan,
                                format!(
                                    "rcs() takes {} to {} knots, not {k}",
                                    RCS_KNOTS.start(),
                                    RCS_KNOTS.end()
                                ),
                            ));
                        }
                        TermKind::Rcs { k }
                    }
                    (Tok::Number, kspan) => {
                        return Err(err(
                            self.text,
                            kspan,
                            "the number of knots must be a whole number from 3 to 7",
                        ))
                    }
                    (tok, kspan) => {
                        return Err(self.unexpected(&tok, kspan, "the number of knots (3 to 7)"))
                    }
                }
            } else {
                kind
            }
        } else {
            kind
        };
        let what = if matches!(kind, TermKind::Rcs { .. }) {
            "',' and the number of knots, or ')' closing rcs(".to_string()
        } else {
            format!("')' closing {name}(")
        };
        let close = self.expect(Tok::RParen, &what)?;
        Ok(Term {
            column,
            kind,
            span: (span.0, close.1),
            column_span,
            by: None,
        })
    }
}

/// A term's text as a formula would write it: `age`, `log(kappa)`, `rcs(age, 4)`, `cat(x)`.
pub fn term_text(column: &str, kind: TermKind) -> String {
    match kind {
        TermKind::Plain => column.to_string(),
        TermKind::Log => format!("log({column})"),
        TermKind::Log1p => format!("log1p({column})"),
        TermKind::Sqrt => format!("sqrt({column})"),
        TermKind::Rcs { k } => format!("rcs({column}, {k})"),
        TermKind::Cat => format!("cat({column})"),
        TermKind::AddNa => format!("addNA({column})"),
        TermKind::Strata => format!("strata({column})"),
    }
}

/// Whether two terms read the same columns the same way.
fn same_term(a: &Term, b: &Term) -> bool {
    let by = |t: &Term| t.by.as_ref().map(|x| (x.column.clone(), x.kind));
    a.column == b.column && a.kind == b.kind && by(a) == by(b)
}

fn check_duplicates(f: &Formula) -> PResult<()> {
    let outcome = f.response.columns();
    for (i, t) in f.terms.iter().enumerate() {
        for (col, span) in std::iter::once((&t.column, t.column_span))
            .chain(t.by.as_ref().map(|b| (&b.column, b.column_span)))
        {
            if outcome.contains(&col.as_str()) {
                return Err(err(
                    &f.text,
                    span,
                    format!("'{col}' is the outcome and cannot also be a predictor"),
                ));
            }
        }
        let by = |u: &Term| u.by.as_ref().map(|b| b.column.clone());
        // A column under addNA() must be read that way by every term: another reading would
        // drop its missing rows before addNA could give them a level.
        let reads_plain = |u: &Term, c: &str| {
            (u.kind != TermKind::AddNa && u.column == c) || by(u).as_deref() == Some(c)
        };
        if t.kind == TermKind::AddNa {
            if let Some(u) = f.terms.iter().find(|u| reads_plain(u, &t.column)) {
                return Err(err(
                    &f.text,
                    u.span,
                    format!(
                        "'{c}' is read by addNA({c}) and here without it: rows with a missing {c} would be dropped and addNA would have no level for them; write addNA({c}) in every term of {c}",
                        c = t.column
                    ),
                ));
            }
        }
        if let Some(b) = &t.by {
            if b.column == t.column {
                return Err(err(
                    &f.text,
                    t.span,
                    format!("'{}:{}' multiplies a column by itself", t.column, b.column),
                ));
            }
        }
        if f.terms[..i]
            .iter()
            .any(|u| u.column == t.column && by(u) == by(t))
        {
            return Err(err(
                &f.text,
                t.span,
                format!(
                    "column '{}' is used in two terms; use one term per column",
                    t.column
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_expands_and_terms_follow_r_order() {
        let f = parse("y ~ rcs(age, 4) * sex + log(kappa)").expect("parse");
        let shape: Vec<(&str, Option<&str>)> = f
            .terms
            .iter()
            .map(|t| (t.column.as_str(), t.by.as_ref().map(|b| b.column.as_str())))
            .collect();
        assert_eq!(
            shape,
            vec![
                ("age", None),
                ("sex", None),
                ("kappa", None),
                ("age", Some("sex"))
            ]
        );
        assert_eq!(f.terms[3].kind, TermKind::Rcs { k: 4 });
        // implied main effects are not repeated; a written duplicate still is an error
        assert_eq!(parse("y ~ a*b + a").expect("parse").terms.len(), 3);
        assert_eq!(parse("y ~ a + a*b").expect("parse").terms.len(), 3);
        assert!(parse("y ~ a + a").is_err());
        // a spline written second is the term; factor() is cat()
        let f = parse("y ~ sex:rcs(age, 3) + factor(stage)").expect("parse");
        assert_eq!(f.terms[1].column, "age");
        assert_eq!(
            f.terms[1].by.as_ref().map(|b| b.column.as_str()),
            Some("sex")
        );
        assert_eq!(f.terms[0].kind, TermKind::Cat);
    }

    #[test]
    fn interactions_parse_and_bad_ones_are_refused() {
        let f = parse("y ~ mrd + landmark + mrd:landmark + log(ctx):log(landmark)").expect("parse");
        assert_eq!(f.terms.len(), 4);
        let by = f.terms[2].by.as_ref().expect("interaction");
        assert_eq!(
            (f.terms[2].column.as_str(), by.column.as_str()),
            ("mrd", "landmark")
        );
        assert_eq!(f.terms[3].kind, TermKind::Log);
        assert_eq!(f.terms[3].by.as_ref().map(|b| b.kind), Some(TermKind::Log));
        assert_eq!(f.columns(), vec!["y", "mrd", "landmark", "ctx"]);
        for (bad, needle) in [
            ("y ~ rcs(a, 3):rcs(b, 3)", "two splines"),
            ("y ~ a:addNA(b)", "cannot be the second factor"),
            ("y ~ a*b*c", "two-way"),
            ("y ~ a:b*c", "two-way"),
            ("y ~ I(a)", "I() is not supported"),
            ("y ~ ns(a, 3)", "use rcs(x, k)"),
            ("y ~ offset(a)", "offset() is not supported"),
            ("y ~ .", "'.' (every other column)"),
            ("y ~ a - b", "'-' is not supported"),
            ("y ~ a:b:c", "two-way"),
            ("y ~ a:a", "by itself"),
            ("y ~ a:b + a:b", "two terms"),
            ("y ~ a:y", "outcome"),
            ("y ~ addNA(a) + a:t", "write addNA(a) in every term"),
            ("y ~ a:t + addNA(a):t", "write addNA(a) in every term"),
            ("y ~ addNA(t) + a:t", "write addNA(t) in every term"),
        ] {
            let e = parse(bad).expect_err(bad);
            assert!(e.message.contains(needle), "{bad}: {}", e.message);
        }
    }

    #[test]
    fn parses_every_term_kind() {
        let f =
            parse("y ~ a + log(b) + log1p(c) + sqrt(d) + rcs(e, 3) + rcs(g) + cat(h) + addNA(i)")
                .expect("parse");
        let kinds: Vec<TermKind> = f.terms.iter().map(|t| t.kind).collect();
        assert_eq!(
            kinds,
            vec![
                TermKind::Plain,
                TermKind::Log,
                TermKind::Log1p,
                TermKind::Sqrt,
                TermKind::Rcs { k: 3 },
                TermKind::Rcs { k: 5 },
                TermKind::Cat,
                TermKind::AddNa
            ]
        );
        assert_eq!(
            f.columns(),
            vec!["y", "a", "b", "c", "d", "e", "g", "h", "i"]
        );
    }

    #[test]
    fn parses_surv_and_backquotes() {
        let f = parse("Surv(time_months, event) ~ `ctx ng/ml` + age").expect("parse");
        assert!(matches!(f.response, Response::Surv { ref time, .. } if time == "time_months"));
        assert_eq!(f.terms[0].column, "ctx ng/ml");
    }

    #[test]
    fn caret_points_at_span() {
        assert_eq!(caret_diagram("y ~ a", (4, 5)), "  y ~ a\n      ^");
    }
}
