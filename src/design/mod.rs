//! Design matrices: formula terms turned into numeric columns, learned once on the training rows
//! and replayed exactly when scoring.
//!
//! [`learn`] reads a [`Table`] and a [`Formula`], drops rows with a missing value in any formula
//! column (rms `na.delete`, counting missing cells per column) or fails on them
//! ([`MissingPolicy::Error`]), places spline knots and collects category levels from the
//! training rows, and builds the matrix (no intercept column). As in `rms`, whose `rcs()` is
//! evaluated before `na.delete` drops incomplete rows, knots are placed on **every non-missing
//! value of the spline's variable** among the training rows (also rows dropped for a missing
//! value in another column); category levels come from the complete rows (a level seen only in
//! dropped rows would give an all-zero column). Everything needed to rebuild the same
//! columns on new data is kept in a [`DesignSpec`] (stored in `model.json`); [`DesignSpec::compile`]
//! turns it into a [`CompiledSpec`] that expands one cell at a time, used by both the fit and the
//! scorer so the two can never disagree.
//!
//! Columns are named as `rms` names coefficients: the variable (`age`; also `kappa` for
//! `log(kappa)`), `age'`, `age''` for spline terms, `sex=M` for the levels of a categorical
//! term other than the reference (the first level in sorted order; R treatment coding).

pub mod rcs;

use rayon::prelude::*;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

use ndarray::Array2;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Problem, Result};
use crate::formula::{Formula, Response, TermKind};
use crate::table::{Column, Table};

/// What to do with a row that has a missing value in a formula column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MissingPolicy {
    /// Drop the row and count the missing cells per column (rms `na.delete`). The default.
    #[default]
    Drop,
    /// Fail, naming the first row and column with a missing value.
    Error,
}

impl std::str::FromStr for MissingPolicy {
    type Err = Error;
    fn from_str(s: &str) -> Result<MissingPolicy> {
        match s {
            "drop" => Ok(MissingPolicy::Drop),
            "error" => Ok(MissingPolicy::Error),
            _ => Err(Error::Usage(format!(
                "unknown missing-value policy '{s}'; expected 'drop' or 'error'"
            ))),
        }
    }
}

impl fmt::Display for MissingPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MissingPolicy::Drop => "drop",
            MissingPolicy::Error => "error",
        })
    }
}

/// How a term turns its column into design columns (stored in `model.json` as `transform`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transform {
    /// The number as it is (one column).
    Linear,
    /// Natural log (one column); values must be > 0.
    Log,
    /// `ln(1 + x)` (one column); values must be > -1.
    Log1p,
    /// Square root (one column); values must be >= 0.
    Sqrt,
    /// Restricted cubic spline (`knots.len() - 1` columns).
    Rcs,
    /// Treatment-coded categories (`levels.len() - 1` columns).
    Categorical,
}

/// Name of the level a missing cell takes in an `addNA(x)` term (as R prints it).
pub const NA_LEVEL: &str = "NA";

/// Whether category levels are compared as text or as numbers (`cat(x)` on a numeric column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LevelKind {
    /// Levels are labels compared as text.
    Text,
    /// Levels are numbers (written as R writes them, `1`, `2.5`) compared as numbers.
    Numeric,
}

/// One term of a fitted design: everything needed to rebuild its columns on new data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TermSpec {
    /// The data column the term reads.
    pub variable: String,
    /// The transformation.
    pub transform: Transform,
    /// Spline knots (in the units of the column), for [`Transform::Rcs`]; otherwise `None`.
    pub knots: Option<Vec<f64>>,
    /// Category levels, reference first, for [`Transform::Categorical`]; otherwise `None`.
    pub levels: Option<Vec<String>>,
    /// How levels are compared, for [`Transform::Categorical`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level_kind: Option<LevelKind>,
    /// `addNA(x)`: a missing cell is a level of its own, the last one, named [`NA_LEVEL`]
    /// (R's `addNA(x, ifany = TRUE)`: only when the training rows have missing cells).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub missing_level: bool,
    /// Names of the design columns the term produces (rms naming).
    pub columns: Vec<String>,
    /// Unit conversion of the column: its values are multiplied by this before the transform
    /// (a CTX-I in pg/mL read as ng/mL: 0.001). Absent: 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<f64>,
    /// For an interaction `term:by`: the second factor. A numeric one multiplies every column
    /// of the term; a categorical one gives the term's columns once per non-reference level
    /// (the term's columns vary fastest), zero for the reference level: a spline per group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<ByFactorSpec>,
}

/// The second factor of an interaction term.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ByFactorSpec {
    /// The data column it reads.
    pub variable: String,
    /// [`Transform::Linear`], [`Transform::Log`], [`Transform::Log1p`], [`Transform::Sqrt`] or
    /// [`Transform::Categorical`].
    pub transform: Transform,
    /// Levels, reference first, for a categorical factor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub levels: Option<Vec<String>>,
    /// How levels are compared, for a categorical factor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level_kind: Option<LevelKind>,
    /// Unit conversion of a numeric factor (see [`TermSpec::scale`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<f64>,
}

/// The recipe of a design matrix: the outcome column and the terms, in formula order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DesignSpec {
    /// Outcome column (0/1; of a `Surv(time, event)` outcome, the event column).
    pub outcome: String,
    /// Follow-up time column of a `Surv(time, event)` outcome (Cox models).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    /// Predictor terms in formula order.
    pub terms: Vec<TermSpec>,
}

/// The stratification of a Cox model: a column whose levels each get a baseline hazard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Strata {
    /// The column.
    pub variable: String,
    /// Its levels among the rows used, sorted as R's `factor` does.
    pub levels: Vec<String>,
}

impl Strata {
    /// Whether the levels were learned from a text column (some label is not a number): such
    /// a column must be read as text in every batch of rows.
    pub fn is_text(&self) -> bool {
        self.levels
            .iter()
            .any(|l| crate::table::parse_number(l).is_none())
    }

    /// The stratum code of row `i` of `col`: `None` when missing, `Some(Err(label))` for a
    /// level the model has no baseline for.
    pub fn code(&self, col: &Column, i: usize) -> Option<std::result::Result<u32, String>> {
        let label = stratum_label(col, i)?;
        Some(
            self.levels
                .iter()
                .position(|l| *l == label)
                .map(|k| k as u32)
                .ok_or(label),
        )
    }
}

/// The level label of row `i` of a stratification column (numbers as R prints them).
fn stratum_label(col: &Column, i: usize) -> Option<String> {
    match col {
        Column::Num(v) => v[i].map(format_level),
        Column::Text(v) => v[i].as_deref().map(str::to_string),
    }
}

/// The problems of one row's follow-up `(time, event)` of a `Surv(time, event)` outcome: an
/// event other than 0/1, a time that is not a finite number >= 0 (empty when both are fine).
/// The one rule every Cox path applies (fit, validation, comparison).
pub fn follow_up_problems(
    table: &Table,
    i: usize,
    (time_name, time): (&str, f64),
    (event_name, event): (&str, f64),
) -> Vec<Problem> {
    let mut out = Vec::new();
    if event != 0.0 && event != 1.0 {
        out.push(Problem::cell(
            &table.source,
            table.row(i),
            event_name,
            &format_level(event),
            "0 or 1 (the event indicator of Surv(time, event): 1 = event, 0 = censored)",
        ));
    }
    if !(time.is_finite() && time >= 0.0) {
        out.push(Problem::cell(
            &table.source,
            table.row(i),
            time_name,
            &format_level(time),
            "a follow-up time: a finite number, 0 or more",
        ));
    }
    out
}

/// Number of missing cells in one formula column among the rows considered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingCount {
    /// Column name.
    pub column: String,
    /// Missing cells (`"<5"` for 1 to 4: see [`crate::privacy`]).
    pub n_missing: crate::privacy::Count,
}

/// A design matrix built on training rows, with the spec to replay it.
#[derive(Debug, Clone)]
pub struct TrainingDesign {
    /// The recipe (knots and levels learned from the rows used).
    pub spec: DesignSpec,
    /// `n x p` matrix of predictors, no intercept column, rows in `rows` order.
    pub x: Array2<f64>,
    /// Outcome (0.0 / 1.0) per used row (of a `Surv` outcome: the event indicator).
    pub y: Vec<f64>,
    /// Follow-up time per used row (`Surv` outcomes; empty otherwise).
    pub time: Vec<f64>,
    /// `strata(x)`: the stratum levels (sorted as R's `factor`) and each used row's code.
    pub strata: Option<(Strata, Vec<u32>)>,
    /// The table rows used (0-based data-row indices; repeated under bootstrap resampling).
    pub rows: Vec<usize>,
    /// Rows dropped because a formula column was missing.
    pub n_dropped_missing: usize,
    /// Missing cells per formula column (only columns with any), over the rows considered.
    pub missing: Vec<MissingCount>,
}

impl DesignSpec {
    /// Design column names, without the intercept.
    pub fn column_names(&self) -> Vec<String> {
        self.terms
            .iter()
            .flat_map(|t| t.columns.iter().cloned())
            .collect()
    }

    /// Coefficient names as rms prints them: `Intercept` first, then [`Self::column_names`].
    pub fn coefficient_names(&self) -> Vec<String> {
        let mut v = vec!["Intercept".to_string()];
        v.extend(self.column_names());
        v
    }

    /// Number of design columns (without the intercept).
    pub fn width(&self) -> usize {
        self.terms.iter().map(|t| t.columns.len()).sum()
    }

    /// The data columns the predictors read, in term order.
    pub fn variables(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for t in &self.terms {
            for v in std::iter::once(t.variable.as_str())
                .chain(t.by.as_ref().map(|b| b.variable.as_str()))
            {
                if !out.contains(&v) {
                    out.push(v);
                }
            }
        }
        out
    }

    /// Check the spec (as read from a file) and prepare it for fast row-by-row expansion.
    ///
    /// # Errors
    /// [`Error::Usage`] when a term is inconsistent (missing knots or levels, a column count
    /// that does not match, numeric levels that are not numbers): a hand-edited or corrupt
    /// model file.
    pub fn compile(&self) -> Result<CompiledSpec> {
        let mut ops = Vec::with_capacity(self.terms.len());
        let mut by_ops = Vec::with_capacity(self.terms.len());
        let mut na = Vec::with_capacity(self.terms.len());
        let mut offsets = Vec::with_capacity(self.terms.len() + 1);
        let mut bases = Vec::with_capacity(self.terms.len());
        let mut scales = Vec::with_capacity(self.terms.len());
        let mut width = 0;
        for t in &self.terms {
            let bad = |what: &str| {
                Error::Usage(format!(
                    "model term for '{}' is inconsistent: {what}",
                    t.variable
                ))
            };
            let (op, w) = match t.transform {
                Transform::Linear | Transform::Log | Transform::Log1p | Transform::Sqrt => (
                    scalar_op(t.transform).ok_or_else(|| bad("a scalar transform"))?,
                    1,
                ),
                Transform::Rcs => {
                    let k = t
                        .knots
                        .clone()
                        .ok_or_else(|| bad("an rcs term without knots"))?;
                    let sorted = k.windows(2).all(|w| w[0] < w[1]);
                    if k.len() < 3 || !sorted || k.iter().any(|v| !v.is_finite()) {
                        return Err(bad("knots must be at least 3 increasing finite numbers"));
                    }
                    let kd = rcs::norm2_scale(&k);
                    let w = k.len() - 1;
                    (Op::Rcs { knots: k, kd }, w)
                }
                Transform::Categorical => {
                    let levels = t
                        .levels
                        .clone()
                        .ok_or_else(|| bad("a categorical term without levels"))?;
                    if levels.len() < 2 {
                        return Err(bad("a categorical term needs at least 2 levels"));
                    }
                    let w = levels.len() - 1;
                    if t.missing_level && levels.last().map(String::as_str) != Some(NA_LEVEL) {
                        return Err(bad(&format!(
                            "an addNA term whose last level is not {NA_LEVEL}"
                        )));
                    }
                    let observed = levels.len() - usize::from(t.missing_level);
                    match t.level_kind.unwrap_or(LevelKind::Text) {
                        LevelKind::Text => (Op::CatText(levels), w),
                        LevelKind::Numeric => {
                            let nums = levels[..observed]
                                .iter()
                                .map(|l| l.parse::<f64>().ok().filter(|v| v.is_finite()))
                                .collect::<Option<Vec<f64>>>()
                                .ok_or_else(|| bad("numeric levels that are not numbers"))?;
                            (
                                Op::CatNum {
                                    nums,
                                    labels: levels,
                                },
                                w,
                            )
                        }
                    }
                }
            };
            let base = w;
            let by = match &t.by {
                None => None,
                Some(b) => Some(match b.transform {
                    Transform::Categorical => {
                        let levels = b.levels.clone().ok_or_else(|| {
                            bad("a categorical interaction factor without levels")
                        })?;
                        if levels.len() < 2 {
                            return Err(bad("a categorical interaction factor needs 2 levels"));
                        }
                        let op = match b.level_kind.unwrap_or(LevelKind::Text) {
                            LevelKind::Text => Op::CatText(levels.clone()),
                            LevelKind::Numeric => Op::CatNum {
                                nums: levels
                                    .iter()
                                    .map(|l| l.parse::<f64>().ok().filter(|v| v.is_finite()))
                                    .collect::<Option<Vec<f64>>>()
                                    .ok_or_else(|| bad("numeric levels that are not numbers"))?,
                                labels: levels.clone(),
                            },
                        };
                        ByOp {
                            variable: b.variable.clone(),
                            op,
                            width: levels.len() - 1,
                            scale: 1.0,
                        }
                    }
                    tr => ByOp {
                        variable: b.variable.clone(),
                        op: scalar_op(tr).ok_or_else(|| {
                            bad("an interaction factor that is neither numeric nor categorical")
                        })?,
                        width: 1,
                        scale: b.scale.filter(|v| v.is_finite() && *v > 0.0).unwrap_or(1.0),
                    },
                }),
            };
            let w = w * by.as_ref().map_or(1, |b| b.width);
            if t.columns.len() != w {
                return Err(bad(&format!(
                    "{} column names for {w} design columns",
                    t.columns.len()
                )));
            }
            let scale = t.scale.unwrap_or(1.0);
            if !(scale.is_finite() && scale > 0.0) {
                return Err(bad("a unit conversion that is not a positive number"));
            }
            scales.push(scale);
            bases.push(base);
            offsets.push(width);
            width += w;
            ops.push(op);
            by_ops.push(by);
            if t.missing_level && t.transform != Transform::Categorical {
                return Err(bad("missing_level on a term that is not categorical"));
            }
            na.push(t.missing_level.then_some(w));
        }
        offsets.push(width);
        Ok(CompiledSpec {
            variables: self.terms.iter().map(|t| t.variable.clone()).collect(),
            ops,
            by: by_ops,
            na,
            bases,
            scales,
            offsets,
            width,
        })
    }
}

/// One cell as the expander sees it, whatever the source (typed table or raw CSV text).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    /// Not measured (empty or `NA`).
    Missing,
    /// A number.
    Num(f64),
    /// Text (parsed as a number where the term needs one).
    Text(&'a str),
}

impl Cell<'_> {
    /// The cell as it would appear in a file, for messages.
    pub fn display(&self) -> String {
        match self {
            Cell::Missing => String::new(),
            Cell::Num(v) => format_level(*v),
            Cell::Text(s) => (*s).to_string(),
        }
    }
}

/// Why a cell cannot be expanded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellError {
    /// The term needs a number and the cell is not one.
    NotANumber,
    /// The number is outside the transform's domain (log of <= 0, sqrt of < 0, log1p of <= -1).
    OutOfDomain,
    /// A category level not seen when the model was fitted.
    UnseenLevel,
    /// The number is so far out that its design columns overflow (an rcs basis of 1e200).
    Overflow,
}

/// The transform of a `log`, `log1p` or `sqrt` term (`None` for any other kind).
fn transform_of(kind: TermKind) -> Option<Transform> {
    match kind {
        TermKind::Log => Some(Transform::Log),
        TermKind::Log1p => Some(Transform::Log1p),
        TermKind::Sqrt => Some(Transform::Sqrt),
        _ => None,
    }
}

/// The one-column op of a scalar transform (`None` for splines and categories).
fn scalar_op(t: Transform) -> Option<Op> {
    match t {
        Transform::Linear => Some(Op::Linear),
        Transform::Log => Some(Op::Log),
        Transform::Log1p => Some(Op::Log1p),
        Transform::Sqrt => Some(Op::Sqrt),
        Transform::Rcs | Transform::Categorical => None,
    }
}

#[derive(Debug, Clone)]
enum Op {
    Linear,
    Log,
    Log1p,
    Sqrt,
    Rcs { knots: Vec<f64>, kd: f64 },
    CatText(Vec<String>),
    CatNum { nums: Vec<f64>, labels: Vec<String> },
}

/// A [`DesignSpec`] prepared for fast expansion of one cell at a time.
#[derive(Debug, Clone)]
pub struct CompiledSpec {
    variables: Vec<String>,
    ops: Vec<Op>,
    /// Per term: the interaction factor.
    by: Vec<Option<ByOp>>,
    /// Per term: the level index of a missing cell (`addNA` terms).
    na: Vec<Option<usize>>,
    /// Per term: the width of the term itself (before a categorical factor repeats it).
    bases: Vec<usize>,
    /// Per term: the unit conversion of its numeric cells.
    scales: Vec<f64>,
    offsets: Vec<usize>,
    width: usize,
}

/// The second factor of an interaction, compiled.
#[derive(Debug, Clone)]
struct ByOp {
    variable: String,
    /// A scalar op (numeric factor) or a category op (categorical factor).
    op: Op,
    /// 1 for a numeric factor, levels - 1 for a categorical one.
    width: usize,
    /// Unit conversion of a numeric factor's cells.
    scale: f64,
}

impl CompiledSpec {
    /// Number of design columns (without the intercept).
    pub fn width(&self) -> usize {
        self.width
    }

    /// Number of terms.
    pub fn n_terms(&self) -> usize {
        self.ops.len()
    }

    /// The data column each term reads.
    pub fn variables(&self) -> &[String] {
        &self.variables
    }

    /// Design columns of term `t` within a row.
    pub fn term_range(&self, t: usize) -> Range<usize> {
        self.offsets[t]..self.offsets[t + 1]
    }

    /// The variable of term `t`'s interaction factor, if it is an interaction `term:by`.
    pub fn by_variable(&self, t: usize) -> Option<&str> {
        self.by[t].as_ref().map(|b| b.variable.as_str())
    }

    /// Whether term `t` expands a missing cell (an `addNA` term with its missing level);
    /// otherwise a missing cell means the row has no score.
    pub fn takes_missing(&self, t: usize) -> bool {
        self.na[t].is_some()
    }

    /// The columns read as text labels (a text category, as a term or as an interaction
    /// factor): a reader that types each batch of rows on its own must keep them text, or a
    /// batch whose labels all look like numbers (`01`, `1.0`) would read them as numbers.
    pub fn text_columns(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for t in 0..self.ops.len() {
            if matches!(self.ops[t], Op::CatText(_)) {
                out.push(&self.variables[t]);
            }
            if let Some(by) = &self.by[t] {
                if matches!(by.op, Op::CatText(_)) {
                    out.push(&by.variable);
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Whether any term is an interaction (read with [`CompiledSpec::expand_by`]).
    pub fn has_interactions(&self) -> bool {
        self.by.iter().any(Option::is_some)
    }

    /// After [`CompiledSpec::expand`] of term `t`, combine its columns (the first of `out`)
    /// with the interaction factor read from `cell`: multiplied by a numeric factor, or placed
    /// in the block of the factor's level (zeros elsewhere; all zeros for the reference level).
    /// A no-op for a term without a factor.
    ///
    /// # Errors
    /// [`CellError`] when the factor's cell is not a number or outside its transform's domain,
    /// or is a level not seen in training.
    pub fn expand_by(&self, t: usize, cell: Cell<'_>, out: &mut [f64]) -> Result<(), CellError> {
        let Some(by) = &self.by[t] else {
            return Ok(());
        };
        let base = self.bases[t];
        match &by.op {
            op @ (Op::CatText(_) | Op::CatNum { .. }) => {
                let idx = level_index(op, cell, None).ok_or(CellError::UnseenLevel)?;
                place_in_level_block(idx, base, out);
            }
            op => {
                let f = scalar(op, cell_number(cell)? * by.scale)?;
                for o in out.iter_mut() {
                    *o *= f;
                }
            }
        }
        if out.iter().any(|v| !v.is_finite()) {
            return Err(CellError::Overflow);
        }
        Ok(())
    }

    /// A problem for a failed interaction-factor cell of term `t` at file row `row` of `file`.
    pub fn by_problem(
        &self,
        file: &str,
        row: usize,
        t: usize,
        cell: Cell<'_>,
        err: CellError,
    ) -> Problem {
        let v = self.by_variable(t).unwrap_or_default();
        let expected = match (&self.by[t], err) {
            (_, CellError::NotANumber) => format!(
                "{} (an interaction factor)",
                crate::table::number_expectation(&cell.display())
            ),
            (Some(b), err) => expected_of(&b.op, v, err),
            (None, _) => "a valid value".to_string(),
        };
        Problem::cell(file, row, v, &cell.display(), expected)
    }

    /// Whether term `t` reads its cell as a number (every transform but a text category):
    /// for such a term, [`Cell::Num`] of the parsed value expands exactly as [`Cell::Text`]
    /// of the text, so a caller may parse the cell itself.
    pub fn reads_number(&self, t: usize) -> bool {
        !matches!(self.ops[t], Op::CatText(_))
    }

    /// For a term that takes its number as it is (`Linear`, no unit conversion), its design
    /// column within a row:
    /// expanding [`Cell::Num`]`(v)` then just writes `v` there.
    pub fn linear_column(&self, t: usize) -> Option<usize> {
        (matches!(self.ops[t], Op::Linear) && self.scales[t] == 1.0).then(|| self.offsets[t])
    }

    /// Write the design columns of term `t` for one cell into `out` (a missing cell only
    /// where [`CompiledSpec::takes_missing`])
    /// (`out.len() == self.term_range(t).len()`).
    ///
    /// # Errors
    /// [`CellError`] when the cell is not a number where one is needed, is outside the
    /// transform's domain, or is an unseen level; `out` is then unspecified.
    #[inline]
    pub fn expand(&self, t: usize, cell: Cell<'_>, out: &mut [f64]) -> Result<(), CellError> {
        // an interaction with a categorical factor repeats the term: it fills the first block
        let base = self.bases[t].min(out.len());
        let out = &mut out[..base];
        match &self.ops[t] {
            op @ (Op::Linear | Op::Log | Op::Log1p | Op::Sqrt) => {
                out[0] = scalar(op, cell_number(cell)? * self.scales[t])?;
            }
            Op::Rcs { knots, kd } => {
                rcs::basis_into(cell_number(cell)? * self.scales[t], knots, *kd, out);
                if out.iter().any(|v| !v.is_finite()) {
                    return Err(CellError::Overflow);
                }
            }
            op @ (Op::CatText(_) | Op::CatNum { .. }) => {
                let idx = level_index(op, cell, self.na[t]).ok_or(CellError::UnseenLevel)?;
                one_hot(idx, out);
            }
        }
        Ok(())
    }

    /// What term `t` expected, for the "expected ..." part of an input problem.
    pub fn expected(&self, t: usize, err: CellError) -> String {
        expected_of(&self.ops[t], &self.variables[t], err)
    }

    /// Problem for a failed cell of term `t` at file row `row` of `file`.
    pub fn problem(
        &self,
        file: &str,
        row: usize,
        t: usize,
        cell: Cell<'_>,
        err: CellError,
    ) -> Problem {
        let shown = cell.display();
        let mut expected = match err {
            CellError::NotANumber => crate::table::number_expectation(&shown),
            _ => self.expected(t, err),
        };
        if let (CellError::UnseenLevel, Op::CatText(levels)) = (err, &self.ops[t]) {
            if let Some(l) = levels.iter().find(|l| l.eq_ignore_ascii_case(&shown)) {
                expected.push_str(&format!(
                    " ('{shown}' differs from '{l}' only in case: levels are case-sensitive)"
                ));
            }
        }
        Problem::cell(file, row, &self.variables[t], &shown, expected)
    }
}

/// What a term with `op` on variable `v` expected, for the "expected ..." part of a problem.
fn expected_of(op: &Op, v: &str, err: CellError) -> String {
    match (op, err) {
        (_, CellError::NotANumber) => "a number".to_string(),
        (_, CellError::Overflow) => format!(
            "a value whose terms of {v} are finite: this one overflows a 64-bit float, far outside the values the model was fitted on"
        ),
        (Op::Log, _) => format!("a positive number (the formula takes log({v}))"),
        (Op::Log1p, _) => format!("a number above -1 (the formula takes log1p({v}))"),
        (Op::Sqrt, _) => format!("a number >= 0 (the formula takes sqrt({v}))"),
        (Op::CatText(levels), _) | (Op::CatNum { labels: levels, .. }, _) => format!(
            "one of the levels seen when the model was fitted: {}",
            levels.join(", ")
        ),
        _ => "a valid value".to_string(),
    }
}

/// The number in a cell (text is parsed; missing is not a number).
#[inline]
fn cell_number(c: Cell<'_>) -> Result<f64, CellError> {
    match c {
        Cell::Num(v) => Ok(v),
        Cell::Text(s) => crate::table::parse_number(s).ok_or(CellError::NotANumber),
        Cell::Missing => Err(CellError::NotANumber),
    }
}

/// A one-column transform (`Linear`, `Log`, `Log1p`, `Sqrt`) of `v`, checking its domain.
#[inline]
fn scalar(op: &Op, v: f64) -> Result<f64, CellError> {
    match op {
        Op::Log if v <= 0.0 => Err(CellError::OutOfDomain),
        Op::Log => Ok(v.ln()),
        Op::Log1p if v <= -1.0 => Err(CellError::OutOfDomain),
        Op::Log1p => Ok(v.ln_1p()),
        Op::Sqrt if v < 0.0 => Err(CellError::OutOfDomain),
        Op::Sqrt => Ok(v.sqrt()),
        Op::Linear => Ok(v),
        _ => Err(CellError::OutOfDomain),
    }
}

/// The level (index into the levels, reference 0) of `cell` under a category op; `missing`
/// is the level of a missing cell (`addNA` terms). `None` for an unseen level or another op.
#[inline]
fn level_index(op: &Op, cell: Cell<'_>, missing: Option<usize>) -> Option<usize> {
    match (op, cell) {
        (_, Cell::Missing) => missing,
        (Op::CatText(levels), Cell::Text(s)) => levels.iter().position(|l| l == s),
        (Op::CatText(levels), Cell::Num(v)) => {
            let s = format_level(v);
            levels.iter().position(|l| *l == s)
        }
        (Op::CatNum { nums, .. }, Cell::Num(v)) => nums.iter().position(|&l| l == v),
        (Op::CatNum { nums, .. }, Cell::Text(s)) => {
            crate::table::parse_number(s).and_then(|v| nums.iter().position(|&l| l == v))
        }
        _ => None,
    }
}

/// `out` holds the term's `base` columns first: move them into the block of level `idx`
/// (1-based among the non-reference levels) and zero the rest; all zeros for the reference.
fn place_in_level_block(idx: usize, base: usize, out: &mut [f64]) {
    if idx > 0 && idx * base <= out.len() {
        let start = (idx - 1) * base;
        if start > 0 {
            out.copy_within(0..base, start);
            out[..start].fill(0.0);
        }
        out[start + base..].fill(0.0);
    } else {
        out.fill(0.0);
    }
}

fn one_hot(idx: usize, out: &mut [f64]) {
    out.fill(0.0);
    if idx > 0 {
        out[idx - 1] = 1.0;
    }
}

/// A numeric level as R's `as.character` writes common values: `1`, `2.5`, `0.001`.
pub fn format_level(v: f64) -> String {
    format!("{v}")
}

/// Order of category labels as R's `sort` in its usual locales (ICU collation), approximated
/// for the labels cohorts use: first compare case-insensitively, with spaces and punctuation
/// before digits before letters; when equal, lowercase before uppercase; then by bytes.
/// Thus `CR < PR < sCR < SD < VGPR` (a plain byte sort would put `sCR` last).
pub fn r_collate(a: &str, b: &str) -> Ordering {
    fn class(c: char) -> u8 {
        if c.is_whitespace() {
            0
        } else if c.is_alphabetic() {
            3
        } else if c.is_numeric() {
            2
        } else {
            1
        }
    }
    let primary = |s: &str| -> Vec<(u8, char)> {
        s.chars()
            .map(|c| (class(c), c.to_lowercase().next().unwrap_or(c)))
            .collect()
    };
    let tertiary = |s: &str| -> Vec<bool> { s.chars().map(char::is_uppercase).collect() };
    primary(a)
        .cmp(&primary(b))
        .then_with(|| tertiary(a).cmp(&tertiary(b)))
        .then_with(|| a.cmp(b))
}

/// The cell of column `col` at row `i`.
pub fn table_cell(col: &Column, i: usize) -> Cell<'_> {
    match col {
        Column::Num(v) => v[i].map_or(Cell::Missing, Cell::Num),
        Column::Text(v) => v[i].as_deref().map_or(Cell::Missing, Cell::Text),
    }
}

/// Build the design on all rows of `table`. See [`learn_on_rows`].
///
/// # Errors
/// As [`learn_on_rows`].
pub fn learn(table: &Table, formula: &Formula, policy: MissingPolicy) -> Result<TrainingDesign> {
    let rows: Vec<usize> = (0..table.nrows()).collect();
    learn_on_rows(table, formula, policy, &rows)
}

/// Why column `var` cannot be a categorical predictor, if it looks like a patient identifier:
/// its levels are almost all unique (more than 10, and more than half the rows), so the model
/// file would list patients and each coefficient would describe one of them.
fn identifier_like(var: &str, n_levels: usize, n_rows: usize) -> Option<String> {
    (n_levels > 10 && 2 * n_levels > n_rows).then(|| {
        format!(
            "a predictor with repeated values, but '{var}' has {n_levels} different values in {n_rows} rows: it identifies patients (an ID, a date or free text). A model file is shared and must not list patients: leave it out of the formula"
        )
    })
}

/// Whether a column name says it is an identifier (`id`, `patient_id`, `MRN`...): such a
/// column is never a predictor, whatever its type.
pub fn is_identifier_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    const NAMES: &[&str] = &[
        "id",
        "mrn",
        "patientid",
        "studyid",
        "subjid",
        "usubjid",
        "pid",
        "hosp_no",
        "nhs_number",
        "nhs_no",
        "ssn",
        "record_id",
        "chart_no",
    ];
    NAMES.contains(&n.as_str())
        || n.ends_with("_id")
        || n.ends_with(".id")
        || n.ends_with("_mrn")
        || n.ends_with("_nhs_number")
}

/// The error of reading a mixed column as a number, with the way to read it as a category.
fn with_cat_hint(r: Result<&[Option<f64>]>, column: &str) -> Error {
    match r {
        Err(Error::InvalidInput(mut problems)) => {
            if let Some(p) = problems.first_mut() {
                p.expected.push_str(&format!(
                    "; if '{column}' is a category, write cat({column})"
                ));
            }
            Error::InvalidInput(problems)
        }
        Err(e) => e,
        Ok(_) => Error::Analysis(format!("column '{column}' is numeric")),
    }
}

/// Build the design on the given rows of `table` (0-based, repeats allowed: a bootstrap
/// resample is its list of row indices). A pure function of the rows, the formula and the
/// policy: knots and levels are learned from these rows (see the module docs for which), so
/// refitting on a resample repeats the whole pipeline, knots included.
///
/// # Errors
/// - [`Error::ColumnNotFound`]: a formula column is not in the table (with "did you mean");
/// - [`Error::Usage`]: a `Surv(time, event)` outcome (not fitted yet);
/// - [`Error::InvalidInput`]: a non-numeric outcome or transformed column, an outcome other
///   than 0/1, a missing value under [`MissingPolicy::Error`], values outside a transform's
///   domain (every such cell is listed), no complete rows, a categorical column with a single
///   level, or too few distinct values for the requested spline.
pub fn learn_on_rows(
    table: &Table,
    formula: &Formula,
    policy: MissingPolicy,
    rows: &[usize],
) -> Result<TrainingDesign> {
    learn_on_rows_in_units(table, formula, policy, rows, &BTreeMap::new())
}

/// [`learn_on_rows`] for columns whose values are converted to the unit the model works in:
/// `units[column]` multiplies every value of that column (numeric terms and factors) before
/// its transform, spline knots included; the design records it ([`TermSpec::scale`]), so
/// scoring a file in the same units applies the same conversion.
///
/// # Errors
/// As [`learn_on_rows`].
pub fn learn_on_rows_in_units(
    table: &Table,
    formula: &Formula,
    policy: MissingPolicy,
    rows: &[usize],
    units: &BTreeMap<String, f64>,
) -> Result<TrainingDesign> {
    formula.check_columns(&table.names, &table.source)?;
    let (outcome, time_name) = match &formula.response {
        Response::Binary { column, .. } => (column.clone(), None),
        Response::Surv { time, event, .. } => (event.clone(), Some(time.clone())),
    };
    let file = table.source.as_str();
    let y_col = table.num(&outcome)?;
    let time_col = match &time_name {
        Some(t) => Some(table.num(t)?),
        None => None,
    };
    let strata_col = match &formula.strata {
        Some((s, _)) => Some(table.column(s)?),
        None => None,
    };
    let mut kinds = Vec::with_capacity(formula.terms.len());
    let mut cols = Vec::with_capacity(formula.terms.len());
    let mut by_cols: Vec<Option<(&Column, Transform, Option<LevelKind>)>> =
        Vec::with_capacity(formula.terms.len());
    for t in &formula.terms {
        let col = table.column(&t.column)?;
        for c in std::iter::once(&t.column).chain(t.by.as_ref().map(|b| &b.column)) {
            if is_identifier_name(c) {
                return Err(Error::Usage(format!(
                    "'{}': '{c}' is a patient identifier and cannot be a predictor (a shared model file must not describe patients); leave it out of the formula",
                    formula.text
                )));
            }
        }
        let numeric = matches!(col, Column::Num(_));
        if t.kind == TermKind::Plain && table.is_mixed(&t.column) {
            // a number column with a few stray cells: never a silent factor (cat() makes one)
            return Err(with_cat_hint(table.num(&t.column), &t.column));
        }
        let (transform, level_kind) = match (t.kind, numeric) {
            (TermKind::Plain, true) => (Transform::Linear, None),
            (TermKind::Plain, false) => (Transform::Categorical, Some(LevelKind::Text)),
            (TermKind::Cat | TermKind::AddNa, true) => {
                (Transform::Categorical, Some(LevelKind::Numeric))
            }
            (TermKind::Cat | TermKind::AddNa, false) => {
                (Transform::Categorical, Some(LevelKind::Text))
            }
            (kind, _) => {
                table.num(&t.column)?; // a text column under log/sqrt/rcs: names the bad cell
                (transform_of(kind).unwrap_or(Transform::Rcs), None)
            }
        };
        kinds.push((transform, level_kind));
        cols.push(col);
        let by = match &t.by {
            None => None,
            Some(b) => {
                let bcol = table.column(&b.column)?;
                let numeric = matches!(bcol, Column::Num(_));
                if b.kind == TermKind::Plain && table.is_mixed(&b.column) {
                    return Err(with_cat_hint(table.num(&b.column), &b.column));
                }
                Some(match (b.kind, numeric) {
                    (TermKind::Plain, true) => (bcol, Transform::Linear, None),
                    (TermKind::Plain, false) => {
                        (bcol, Transform::Categorical, Some(LevelKind::Text))
                    }
                    (TermKind::Cat, true) => {
                        (bcol, Transform::Categorical, Some(LevelKind::Numeric))
                    }
                    (TermKind::Cat, false) => (bcol, Transform::Categorical, Some(LevelKind::Text)),
                    (kind, _) => {
                        table.num(&b.column)?; // log/sqrt of text: names the bad cell
                        (bcol, transform_of(kind).unwrap_or(Transform::Linear), None)
                    }
                })
            }
        };
        by_cols.push(by);
    }

    check_interaction_margins(formula, &kinds, &by_cols)?;

    // rms na.delete: count missing per column, keep complete rows (a column read only by
    // addNA terms keeps its missing cells as a level)
    let mut all_cols: Vec<(&str, &Column)> = vec![(outcome.as_str(), table.column(&outcome)?)];
    if let Some(t) = &time_name {
        all_cols.push((t.as_str(), table.column(t)?));
    }
    if let (Some((s, _)), Some(col)) = (&formula.strata, strata_col) {
        if !all_cols.iter().any(|(n, _)| n == s) {
            all_cols.push((s.as_str(), col));
        }
    }
    for ((t, col), by) in formula.terms.iter().zip(&cols).zip(&by_cols) {
        if t.kind != TermKind::AddNa && !all_cols.iter().any(|(n, _)| *n == t.column) {
            all_cols.push((t.column.as_str(), col));
        }
        if let (Some(b), Some((bcol, _, _))) = (&t.by, by) {
            if !all_cols.iter().any(|(n, _)| *n == b.column) {
                all_cols.push((b.column.as_str(), bcol));
            }
        }
    }
    let missing: Vec<MissingCount> = all_cols
        .par_iter()
        .filter_map(|(name, col)| {
            let n = rows.iter().filter(|&&i| col.is_missing(i)).count();
            (n > 0).then(|| MissingCount {
                column: name.to_string(),
                n_missing: crate::privacy::Count::of(n),
            })
        })
        .collect();
    let used: Vec<usize> = rows
        .par_iter()
        .copied()
        .filter(|&i| all_cols.iter().all(|(_, c)| !c.is_missing(i)))
        .collect();
    if policy == MissingPolicy::Error && used.len() < rows.len() {
        let mut first = rows.to_vec();
        first.sort_unstable();
        for i in first {
            if let Some((name, _)) = all_cols.iter().find(|(_, c)| c.is_missing(i)) {
                return Err(Error::one(Problem::cell(
                    file,
                    table.row(i),
                    name,
                    "",
                    "a value: the formula uses this column (--missing drop would drop such rows and count them)",
                )));
            }
        }
    }
    if used.is_empty() {
        return Err(Error::one(Problem::file_level(
            file,
            format!(
                "at least one row with every formula column present ({}); all {} rows have a missing value",
                formula.columns().join(", "),
                rows.len()
            ),
        )));
    }

    // outcome must be 0/1; a follow-up time finite and not negative
    let mut problems = Vec::new();
    let mut y = Vec::with_capacity(used.len());
    let mut time = Vec::new();
    match (&time_name, time_col) {
        (Some(name), Some(tc)) => {
            time.reserve(used.len());
            for &i in &used {
                let (t, e) = (tc[i].unwrap_or(f64::NAN), y_col[i].unwrap_or(f64::NAN));
                problems.extend(follow_up_problems(table, i, (name, t), (&outcome, e)));
                time.push(t);
                y.push(e);
            }
        }
        _ => {
            for &i in &used {
                let v = y_col[i].unwrap_or(f64::NAN);
                if v != 0.0 && v != 1.0 {
                    problems.push(Problem::cell(
                        file,
                        table.row(i),
                        &outcome,
                        &format_level(v),
                        "0 or 1 (the outcome of a logistic model)",
                    ));
                }
                y.push(v);
            }
        }
    }
    if !problems.is_empty() {
        return Err(Error::InvalidInput(problems));
    }
    let strata = match (&formula.strata, strata_col) {
        (Some((name, _)), Some(col)) => {
            let kind = match col {
                Column::Num(_) => LevelKind::Numeric,
                Column::Text(_) => LevelKind::Text,
            };
            let levels = learn_levels(col, &used, kind);
            if let Some(why) = identifier_like(name, levels.len(), used.len()) {
                return Err(Error::one(Problem {
                    file: file.to_string(),
                    row: None,
                    column: Some(name.clone()),
                    value: None,
                    expected: why,
                }));
            }
            let st = Strata {
                variable: name.clone(),
                levels,
            };
            let codes = used
                .iter()
                .map(|&i| match st.code(col, i) {
                    Some(Ok(c)) => c,
                    _ => 0, // every used row has a level learned from the used rows
                })
                .collect();
            Some((st, codes))
        }
        _ => None,
    };

    // learn knots and levels from the rows used
    let mut terms = Vec::with_capacity(formula.terms.len());
    for ((t, &(transform, level_kind)), col) in formula.terms.iter().zip(&kinds).zip(&cols) {
        let var = t.column.clone();
        let mut spec = match transform {
            Transform::Rcs => {
                let k = match t.kind {
                    TermKind::Rcs { k } => k,
                    _ => crate::formula::RCS_DEFAULT_KNOTS,
                };
                // as rms: rcs() is evaluated before na.delete, so knots are placed on every
                // non-missing value of the variable among the rows given, not only complete rows
                let unit = units.get(&var).copied().unwrap_or(1.0);
                let vals: Vec<f64> = match col {
                    Column::Num(v) => rows
                        .iter()
                        .filter_map(|&i| v[i])
                        .map(|x| x * unit)
                        .collect(),
                    Column::Text(_) => Vec::new(),
                };
                let knots = rcs::knots(&vals, k).map_err(|e| {
                    Error::one(Problem {
                        file: file.to_string(),
                        row: None,
                        column: Some(var.clone()),
                        value: None,
                        expected: format!("enough distinct values for rcs({var}, {k}): {e}"),
                    })
                })?;
                TermSpec {
                    columns: rcs::column_names(&var, knots.len()),
                    scale: units.get(&var).copied(),
                    variable: var,
                    transform,
                    knots: Some(knots),
                    levels: None,
                    level_kind: None,
                    missing_level: false,
                    by: None,
                }
            }
            Transform::Categorical => {
                let mut levels = learn_levels(col, &used, level_kind.unwrap_or(LevelKind::Text));
                let missing_level =
                    t.kind == TermKind::AddNa && used.iter().any(|&i| col.is_missing(i));
                if missing_level {
                    levels.push(NA_LEVEL.to_string());
                }
                check_levels(file, &var, &levels, used.len(), "a categorical term")?;
                TermSpec {
                    columns: levels[1..].iter().map(|l| format!("{var}={l}")).collect(),
                    variable: var,
                    transform,
                    knots: None,
                    levels: Some(levels),
                    level_kind,
                    missing_level,
                    scale: None,
                    by: None,
                }
            }
            _ => TermSpec {
                columns: vec![var.clone()],
                scale: units.get(&var).copied(),
                variable: var,
                transform,
                knots: None,
                levels: None,
                level_kind: None,
                missing_level: false,
                by: None,
            },
        };
        if let (Some(b), Some((bcol, tr, level_kind))) = (&t.by, by_cols[terms.len()]) {
            // rms names: a numeric factor by its variable ("sex=M * kappa" for log(kappa)),
            // a categorical one by level ("age' * sex=M"), the term's columns varying fastest
            let (labels, levels) = if tr == Transform::Categorical {
                let levels = learn_levels(bcol, &used, level_kind.unwrap_or(LevelKind::Text));
                check_levels(
                    file,
                    &b.column,
                    &levels,
                    used.len(),
                    "an interaction factor",
                )?;
                let labels: Vec<String> = levels[1..]
                    .iter()
                    .map(|l| format!("{}={l}", b.column))
                    .collect();
                (labels, Some(levels))
            } else {
                (vec![b.column.clone()], None)
            };
            spec.columns = labels
                .iter()
                .flat_map(|l| spec.columns.iter().map(move |c| format!("{c} * {l}")))
                .collect();
            spec.by = Some(ByFactorSpec {
                variable: b.column.clone(),
                transform: tr,
                scale: if tr == Transform::Categorical {
                    None
                } else {
                    units.get(&b.column).copied()
                },
                levels,
                level_kind,
            });
        }
        terms.push(spec);
    }
    let spec = DesignSpec {
        outcome,
        time: time_name,
        terms,
    };
    let compiled = spec.compile()?;
    let p = compiled.width();
    let mut x = Array2::<f64>::zeros((used.len(), p));
    let Some(cells) = x.as_slice_mut() else {
        return Err(Error::Analysis("design matrix is not contiguous".into()));
    };
    // the rows used are complete: nothing is missing that the design cannot take
    let design_rows = DesignRows {
        compiled: &compiled,
        table,
        cols: &cols,
        by_cols: &by_cols
            .iter()
            .map(|b| b.map(|(c, _, _)| c))
            .collect::<Vec<_>>(),
    };
    problems.extend(design_rows.fill(cells, used.len(), |r| used[r]).0);
    if !problems.is_empty() {
        problems.sort_by_key(|p| p.row);
        problems.dedup();
        return Err(Error::InvalidInput(problems));
    }
    Ok(TrainingDesign {
        spec,
        x,
        y,
        time,
        strata,
        n_dropped_missing: rows.len() - used.len(),
        rows: used,
        missing,
    })
}

/// An interaction with a categorical factor needs a main effect of its other factor's column
/// (of a spline: the same spline), and one of two categories needs both: without them the
/// coding of the category is a convention (R codes every level, rms refuses the formula) and
/// the model would silently differ from what its user expects.
fn check_interaction_margins(
    formula: &Formula,
    kinds: &[(Transform, Option<LevelKind>)],
    by_cols: &[Option<(&Column, Transform, Option<LevelKind>)>],
) -> Result<()> {
    // a spline needs its own main effect (a spline per group around a common spline); any
    // other numeric factor a main effect of its column in some form
    let main_effect = |column: &str, kind: TermKind| {
        formula.terms.iter().any(|u| {
            u.by.is_none()
                && u.column == column
                && (!matches!(kind, TermKind::Rcs { .. }) || u.kind == kind)
        })
    };
    for (k, t) in formula.terms.iter().enumerate() {
        let (Some(b), Some((_, by_tr, _))) = (&t.by, by_cols[k]) else {
            continue;
        };
        let term_cat = kinds[k].0 == Transform::Categorical;
        let by_cat = by_tr == Transform::Categorical;
        let mut needed: Vec<String> = Vec::new();
        if by_cat && !main_effect(&t.column, t.kind) {
            needed.push(crate::formula::term_text(&t.column, t.kind));
        }
        if term_cat && !main_effect(&b.column, b.kind) {
            needed.push(crate::formula::term_text(&b.column, b.kind));
        }
        if (term_cat || by_cat) && !needed.is_empty() {
            let inter = format!(
                "{}:{}",
                crate::formula::term_text(&t.column, t.kind),
                crate::formula::term_text(&b.column, b.kind)
            );
            return Err(Error::Usage(format!(
                "'{}': the interaction {inter} needs the main effect of {} in the formula (write a*b, or add {}): without it the coding of a category in an interaction is a convention (R codes every level, rms refuses the formula)",
                formula.text,
                needed.join(" and "),
                needed.join(" + ")
            )));
        }
    }
    Ok(())
}

/// The levels learned for `column` must make a term: not an identifier's (almost all unique
/// among `n_used` rows: it would describe patients), and at least two of them.
fn check_levels(
    file: &str,
    column: &str,
    levels: &[String],
    n_used: usize,
    what: &str,
) -> Result<()> {
    let problem = |value: Option<String>, expected: String| {
        Error::one(Problem {
            file: file.to_string(),
            row: None,
            column: Some(column.to_string()),
            value,
            expected,
        })
    };
    if let Some(why) = identifier_like(column, levels.len(), n_used) {
        return Err(problem(None, why));
    }
    if levels.len() < 2 {
        return Err(problem(
            levels.first().cloned(),
            format!("at least 2 different values among the rows used: {what} with one level cannot be estimated"),
        ));
    }
    Ok(())
}

/// Distinct levels among the used rows, sorted as R's `factor` does (numbers numerically,
/// text by [`r_collate`]).
fn learn_levels(col: &Column, used: &[usize], kind: LevelKind) -> Vec<String> {
    match (col, kind) {
        (Column::Num(v), _) => {
            let mut nums: Vec<f64> = used.iter().filter_map(|&i| v[i]).collect();
            nums.par_sort_unstable_by(f64::total_cmp);
            nums.dedup();
            nums.into_iter().map(format_level).collect()
        }
        (Column::Text(v), _) => {
            let mut labels: Vec<&str> = used.iter().filter_map(|&i| v[i].as_deref()).collect();
            labels.sort_by(|a, b| r_collate(a, b));
            labels.dedup();
            labels.into_iter().map(str::to_string).collect()
        }
    }
}

/// Design rows for scoring: the spec replayed on every row of a table.
#[derive(Debug, Clone)]
pub struct ScoringDesign {
    /// Row-major `n x width` matrix. A row with a missing predictor is all NaN, so its
    /// linear predictor and probability are NaN ("no score", written as an empty cell).
    pub x: Vec<f64>,
    /// Number of rows.
    pub n: usize,
    /// Number of columns.
    pub width: usize,
    /// Rows with a missing predictor (scored as empty).
    pub n_missing: usize,
}

/// Replay a compiled spec on every row of `table` (the outcome column is not needed).
///
/// # Errors
/// [`Error::ColumnNotFound`] for a predictor column absent from the table; [`Error::InvalidInput`]
/// listing every cell that is not a number where one is needed, is outside a transform's
/// domain, or is a level not seen in training (with the known levels).
pub fn replay(compiled: &CompiledSpec, table: &Table) -> Result<ScoringDesign> {
    let cols = compiled
        .variables()
        .iter()
        .map(|v| table.column(v))
        .collect::<Result<Vec<&Column>>>()?;
    let by_cols = (0..compiled.n_terms())
        .map(|t| compiled.by_variable(t).map(|v| table.column(v)).transpose())
        .collect::<Result<Vec<Option<&Column>>>>()?;
    let n = table.nrows();
    let p = compiled.width();
    let mut x = vec![0.0; n * p];
    let rows = DesignRows {
        compiled,
        table,
        cols: &cols,
        by_cols: &by_cols,
    };
    let (problems, n_missing) = rows.fill(&mut x, n, |r| r);
    if !problems.is_empty() {
        return Err(Error::InvalidInput(problems));
    }
    Ok(ScoringDesign {
        x,
        n,
        width: p,
        n_missing,
    })
}

/// The cells a design reads, for filling its matrix: each term's column and interaction
/// factor's column. One rule for training ([`learn_on_rows_in_units`]) and scoring
/// ([`replay`]).
struct DesignRows<'a> {
    compiled: &'a CompiledSpec,
    table: &'a Table,
    cols: &'a [&'a Column],
    by_cols: &'a [Option<&'a Column>],
}

/// Rows of the design matrix filled per parallel work item.
const DESIGN_BLOCK_ROWS: usize = 4096;

impl DesignRows<'_> {
    /// Expand table row `i` into `row`; `false` when a cell the design cannot take is
    /// missing (the row is then left for the caller), each bad cell added to `problems`.
    fn expand(&self, i: usize, row: &mut [f64], problems: &mut Vec<Problem>) -> bool {
        let (c, source) = (self.compiled, &self.table.source);
        let mut complete = true;
        for (t, col) in self.cols.iter().enumerate() {
            let cell = table_cell(col, i);
            let out = &mut row[c.term_range(t)];
            let bcell = self.by_cols[t].map(|b| table_cell(b, i));
            if (cell == Cell::Missing && !c.takes_missing(t)) || bcell == Some(Cell::Missing) {
                complete = false;
                continue;
            }
            if let Err(e) = c.expand(t, cell, out) {
                problems.push(c.problem(source, self.table.row(i), t, cell, e));
            } else if let Some(bcell) = bcell {
                if let Err(e) = c.expand_by(t, bcell, out) {
                    problems.push(c.by_problem(source, self.table.row(i), t, bcell, e));
                }
            }
        }
        complete
    }

    /// Fill `x` (row-major, `n` rows of the design's width) with the table rows
    /// `row_of(0..n)`, in parallel over fixed blocks of rows; a row with a missing cell is
    /// all NaN. The problems (in row order) and the count of such rows.
    fn fill(
        &self,
        x: &mut [f64],
        n: usize,
        row_of: impl Fn(usize) -> usize + Sync,
    ) -> (Vec<Problem>, usize) {
        use rayon::prelude::*;
        let p = self.compiled.width();
        if p == 0 || n == 0 {
            let missing = (0..n)
                .filter(|&r| !self.expand(row_of(r), &mut [], &mut Vec::new()))
                .count();
            return (Vec::new(), missing);
        }
        let blocks: Vec<(Vec<Problem>, usize)> = x[..n * p]
            .par_chunks_mut(DESIGN_BLOCK_ROWS * p)
            .enumerate()
            .map(|(b, block)| {
                let mut problems = Vec::new();
                let mut missing = 0;
                for (k, row) in block.chunks_exact_mut(p).enumerate() {
                    let i = row_of(b * DESIGN_BLOCK_ROWS + k);
                    if !self.expand(i, row, &mut problems) {
                        row.fill(f64::NAN);
                        missing += 1;
                    }
                }
                (problems, missing)
            })
            .collect();
        let missing = blocks.iter().map(|b| b.1).sum();
        (blocks.into_iter().flat_map(|b| b.0).collect(), missing)
    }
}

/// Summary of one formula column over the training rows: aggregates only, never row values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnSummary {
    /// Column name.
    pub column: String,
    /// Non-missing values among the rows used (`"<5"` for 1 to 4).
    pub n: crate::privacy::Count,
    /// Mean, sd and quantiles for a numeric column (absent for fewer than 5 values).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub numeric: Option<NumericSummary>,
    /// Counts per level for a categorical column (levels in model order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub levels: Option<Vec<LevelCount>>,
}

/// Mean, standard deviation and the 5/25/50/75/95th percentiles (R type 7) of a column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumericSummary {
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation (n - 1).
    pub sd: f64,
    /// 5th percentile.
    pub p05: f64,
    /// 25th percentile.
    pub p25: f64,
    /// Median.
    pub p50: f64,
    /// 75th percentile.
    pub p75: f64,
    /// 95th percentile.
    pub p95: f64,
}

/// Rows with one category level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelCount {
    /// Level label.
    pub level: String,
    /// Rows with that level (`"<5"` for 1 to 4: see [`crate::privacy`]).
    pub count: crate::privacy::Count,
}

/// Summaries of the outcome and each predictor column over the rows of a training design.
pub fn training_summary(table: &Table, design: &TrainingDesign) -> Vec<ColumnSummary> {
    let numeric_summary = |name: &str| -> Option<ColumnSummary> {
        let v = table.num(name).ok()?;
        let mut vals: Vec<f64> = design.rows.iter().filter_map(|&i| v[i]).collect();
        // no mean, sd or quantile of fewer than MIN_CELL patients is written
        let numeric = (vals.len() >= crate::privacy::MIN_CELL).then(|| {
            let (mean, sd) = crate::stats::mean_sd(&vals);
            let q = crate::stats::quantiles_by_selection(&mut vals, &[0.05, 0.25, 0.5, 0.75, 0.95]);
            NumericSummary {
                mean,
                sd,
                p05: q[0],
                p25: q[1],
                p50: q[2],
                p75: q[3],
                p95: q[4],
            }
        });
        Some(ColumnSummary {
            column: name.to_string(),
            n: crate::privacy::Count::of(vals.len()),
            numeric,
            levels: None,
        })
    };
    let levels_summary = |t: usize, levels: &[String], c: &CompiledSpec| -> ColumnSummary {
        let term = &design.spec.terms[t];
        let mut counts = vec![0usize; levels.len()];
        if let Ok(col) = table.column(&term.variable) {
            let mut buf = vec![0.0; c.term_range(t).len()];
            for &i in &design.rows {
                if c.expand(t, table_cell(col, i), &mut buf).is_ok() {
                    let idx = buf.iter().position(|&b| b == 1.0).map_or(0, |j| j + 1);
                    counts[idx] += 1;
                }
            }
        }
        let n_na = if term.missing_level {
            counts.last().copied().unwrap_or(0)
        } else {
            0
        };
        ColumnSummary {
            column: term.variable.clone(),
            n: crate::privacy::Count::of(counts.iter().sum::<usize>() - n_na),
            numeric: None,
            levels: Some(
                levels
                    .iter()
                    .zip(counts)
                    .map(|(l, count)| LevelCount {
                        level: l.clone(),
                        count: crate::privacy::Count::of(count),
                    })
                    .collect(),
            ),
        }
    };
    // What to summarise, in order, each column once (the outcome, then each term's factor
    // and variable); then the summaries, side by side.
    enum Item<'a> {
        Numeric(&'a str),
        Levels(usize, &'a [String]),
    }
    let is_num = |name: &str| matches!(table.column(name), Ok(Column::Num(_)));
    let compiled = design.spec.compile().ok();
    let mut plan: Vec<(&str, Item)> = Vec::new();
    let outcome = design.spec.outcome.as_str();
    if is_num(outcome) {
        plan.push((outcome, Item::Numeric(outcome)));
    }
    let planned = |plan: &Vec<(&str, Item)>, name: &str| plan.iter().any(|(c, _)| *c == name);
    for (t, term) in design.spec.terms.iter().enumerate() {
        if let Some(b) = &term.by {
            // an interaction: summarise its factor once; its main column has its own term or
            // is summarised below
            if !planned(&plan, &b.variable) && is_num(&b.variable) {
                plan.push((&b.variable, Item::Numeric(&b.variable)));
            }
        }
        if planned(&plan, &term.variable) {
            continue;
        }
        match (&term.levels, &compiled) {
            (Some(levels), Some(_)) => {
                if table.column(&term.variable).is_ok() {
                    plan.push((&term.variable, Item::Levels(t, levels)));
                }
            }
            _ => {
                if is_num(&term.variable) {
                    plan.push((&term.variable, Item::Numeric(&term.variable)));
                }
            }
        }
    }
    plan.par_iter()
        .filter_map(|(_, item)| match (item, &compiled) {
            (Item::Numeric(name), _) => numeric_summary(name),
            (Item::Levels(t, levels), Some(c)) => Some(levels_summary(*t, levels, c)),
            (Item::Levels(..), None) => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collation_puts_case_variants_together() {
        let mut v = vec!["VGPR", "sCR", "SD", "CR", "PR", "b", "A", "a"];
        v.sort_by(|a, b| r_collate(a, b));
        assert_eq!(v, vec!["a", "A", "b", "CR", "PR", "sCR", "SD", "VGPR"]);
    }

    #[test]
    fn missing_policy_parses() {
        assert_eq!(
            "drop".parse::<MissingPolicy>().ok(),
            Some(MissingPolicy::Drop)
        );
        assert!("maybe".parse::<MissingPolicy>().is_err());
    }
}
