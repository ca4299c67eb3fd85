//! The compiled scorer: the hot path that turns predictors into a linear predictor and a
//! predicted probability.
//!
//! A [`Scorer`] holds a model's design spec (compiled for fast replay) and its coefficients.
//! Three entry points share one per-row kernel ([`dot_row`]), so every path gives the same
//! bits for the same row:
//!
//! - [`Scorer::score_rows`]: an already-transformed row-major matrix in memory (the batch
//!   kernel; rayon over fixed chunks of [`CHUNK_ROWS`] rows);
//! - [`Scorer::score_table`]: a [`Table`] in memory (replays the spec, then the kernel);
//! - [`Scorer::score_csv`] (module [`stream`]): a CSV file streamed in batches to `scores.csv`
//!   with memory flat in the number of rows.
//!
//! Each row's dot product is summed in a fixed order (four interleaved partial sums combined
//! the same way every time), independent of chunking and of the number of threads: results
//! are bit-identical whatever the batch size or thread count.
//!
//! A row with a missing predictor gets no score: NaN in memory, an empty cell in files.

mod batches;
pub mod format;
pub mod stream;
mod whole;

use rayon::prelude::*;

use crate::design::{replay, CompiledSpec, DesignSpec, Strata};
use crate::error::{Error, Result};
use crate::model::family::RiskMap;
use crate::table::Table;

pub use stream::{CsvScoreOptions, ScoreSummary, DEFAULT_BATCH_ROWS};

/// Rows per parallel work item of the in-memory kernel. Fixed so the split never depends on
/// the thread count (it would not change results anyway: rows are independent).
pub const CHUNK_ROWS: usize = 8192;

/// A model compiled for scoring: the design replay plus coefficients.
#[derive(Debug, Clone)]
pub struct Scorer {
    compiled: CompiledSpec,
    intercept: f64,
    beta: Vec<f64>,
    /// Per term, the values beyond which a cell is far outside the training data (see
    /// [`Scorer::with_training_ranges`]); `None` for categorical terms or without a summary.
    ranges: Vec<Option<(f64, f64)>>,
    /// How the linear predictor becomes the risk columns (logistic by default).
    risk: RiskMap,
    /// A stratified Cox model's strata: each row's stratum selects its baseline.
    strata: Option<Strata>,
}

/// Linear predictor and probability of one row, `None` when a predictor was missing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RowScore {
    /// Linear predictor (log odds).
    pub linear_predictor: f64,
    /// Predicted probability of the outcome, `1 / (1 + exp(-lp))`.
    pub predicted: f64,
}

/// Scores of a whole table, in row order.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    /// Linear predictor per row (NaN when a predictor was missing).
    pub linear_predictor: Vec<f64>,
    /// Probability (risk by the first horizon) per row (NaN when a predictor was missing).
    pub predicted: Vec<f64>,
    /// Stratum per row (0 without strata).
    pub stratum: Vec<u32>,
    /// Rows without a score because a predictor was missing.
    pub n_missing: usize,
    /// Scored rows with a predictor far outside the training data (extrapolated scores).
    pub n_far_outside: usize,
}

impl Scores {
    /// Row `i` as a [`RowScore`], `None` when it has no score.
    pub fn get(&self, i: usize) -> Option<RowScore> {
        let lp = self.linear_predictor[i];
        (!lp.is_nan()).then(|| RowScore {
            linear_predictor: lp,
            predicted: self.predicted[i],
        })
    }
}

impl Scorer {
    /// Compile a design spec and its coefficients (intercept first, then one per design
    /// column, in [`DesignSpec::coefficient_names`] order).
    ///
    /// # Errors
    /// [`Error::Usage`] when the spec is inconsistent or the number of coefficients does not
    /// match (a corrupt model file).
    pub fn new(spec: &DesignSpec, coefficients: &[f64]) -> Result<Scorer> {
        let compiled = spec.compile()?;
        if coefficients.len() != compiled.width() + 1 {
            return Err(Error::Usage(format!(
                "model has {} coefficients but its terms make {} columns plus the intercept",
                coefficients.len(),
                compiled.width()
            )));
        }
        if coefficients.iter().any(|b| !b.is_finite()) {
            return Err(Error::Usage(
                "model has a coefficient that is not a finite number".into(),
            ));
        }
        let ranges = vec![None; compiled.n_terms()];
        Ok(Scorer {
            compiled,
            intercept: coefficients[0],
            beta: coefficients[1..].to_vec(),
            ranges,
            risk: RiskMap::Logistic,
            strata: None,
        })
    }

    /// Score with `risk` instead of the logistic link (a Cox model's risks by horizons),
    /// per stratum of `strata` when given.
    pub fn with_risk(mut self, risk: RiskMap, strata: Option<Strata>) -> Scorer {
        self.risk = risk;
        self.strata = strata;
        self
    }

    /// How the linear predictor becomes risks.
    pub fn risk_map(&self) -> &RiskMap {
        &self.risk
    }

    /// The strata of a stratified Cox model.
    pub fn strata(&self) -> Option<&Strata> {
        self.strata.as_ref()
    }

    /// Flag cells far outside the training data: below `p05 - (p95 - p05)` or above
    /// `p95 + (p95 - p05)` of the model's training summary (p05 and p95 are all a model file
    /// keeps). Scores of such rows are extrapolations; they are counted, not refused.
    pub fn with_training_ranges(mut self, summary: &[crate::design::ColumnSummary]) -> Scorer {
        for (t, v) in self.compiled.variables().iter().enumerate() {
            if !self.compiled.reads_number(t) || self.compiled.takes_missing(t) {
                continue;
            }
            let s = summary.iter().find(|c| &c.column == v);
            if let Some(q) = s.and_then(|c| c.numeric.as_ref()) {
                let w = q.p95 - q.p05;
                if w.is_finite() {
                    self.ranges[t] = Some((q.p05 - w, q.p95 + w));
                }
            }
        }
        self
    }

    /// Whether the number `v` of term `t` is far outside the training data.
    #[inline]
    pub fn far_outside(&self, t: usize, v: f64) -> bool {
        self.ranges[t].is_some_and(|(lo, hi)| v < lo || v > hi)
    }

    /// The term that most drives design row `x` (largest `|x_j * beta_j|` summed over its
    /// columns; a non-finite product counts as largest): the column to name when a linear
    /// predictor is not finite.
    pub fn dominant_term(&self, x: &[f64]) -> usize {
        let c = &self.compiled;
        let size = |t: usize| -> f64 {
            c.term_range(t)
                .map(|j| (x[j] * self.beta[j]).abs())
                .map(|v| if v.is_nan() { f64::INFINITY } else { v })
                .sum()
        };
        (0..c.n_terms())
            .max_by(|&a, &b| size(a).total_cmp(&size(b)))
            .unwrap_or(0)
    }

    /// The input problem of file row `row` whose linear predictor is not finite: names the
    /// term that drives it ([`Scorer::dominant_term`]) and its cell, `value(term)`.
    pub fn overflow_problem(
        &self,
        file: &str,
        row: usize,
        x: &[f64],
        value: impl FnOnce(usize) -> String,
    ) -> crate::Problem {
        let t = self.dominant_term(x);
        let value = value(t);
        let v = self
            .compiled
            .variables()
            .get(t)
            .map_or("(intercept)", String::as_str);
        crate::Problem::cell(
            file,
            row,
            v,
            &value,
            "a value that gives a finite score: the linear predictor overflows a 64-bit float, \
             so this value (or the model's coefficient for it) is far outside anything the model \
             was fitted on",
        )
    }

    /// Number of design columns a row must have (without the intercept).
    pub fn width(&self) -> usize {
        self.beta.len()
    }

    /// The compiled design replay.
    pub fn compiled(&self) -> &CompiledSpec {
        &self.compiled
    }

    /// Linear predictor of one design row (`row.len() == self.width()`).
    #[inline]
    pub fn linear_predictor(&self, row: &[f64]) -> f64 {
        dot_row(row, &self.beta, self.intercept)
    }

    /// Score a row-major `n x width` matrix of already-transformed design rows into `lp` and
    /// `prob` (each of length `n`), in parallel over chunks of [`CHUNK_ROWS`] rows.
    ///
    /// # Panics
    /// When the slice lengths do not agree (a programming error, not an input problem).
    pub fn score_rows(&self, x: &[f64], lp: &mut [f64], prob: &mut [f64]) {
        score_row_major(x, self.width(), self.intercept, &self.beta, lp, prob);
        if self.risk != RiskMap::Logistic && self.strata.is_none() {
            for (l, p) in lp.iter().zip(prob.iter_mut()) {
                *p = self.risk.risk(*l, 0, 0);
            }
        }
    }

    /// Score a column-major matrix: `columns[j]` holds design column `j` for all rows.
    ///
    /// # Panics
    /// When the number or lengths of the columns do not agree.
    pub fn score_columns(&self, columns: &[&[f64]], lp: &mut [f64], prob: &mut [f64]) {
        score_column_major(columns, self.intercept, &self.beta, lp, prob);
    }

    /// Replay the design on every row of `table` and score it.
    ///
    /// # Errors
    /// As [`crate::design::replay`]: a predictor column absent from the table, a value that is
    /// not a number, outside a transform's domain, or a category level unseen in training.
    pub fn score_table(&self, table: &Table) -> Result<Scores> {
        let d = replay(&self.compiled, table)?;
        let mut lp = vec![0.0; d.n];
        let mut prob = vec![0.0; d.n];
        self.score_rows(&d.x, &mut lp, &mut prob);
        let p = d.width;
        let row = |i: usize| &d.x[i * p..(i + 1) * p];
        // a missing predictor fills its row with NaN; any other non-finite score overflowed
        let scored = |i: usize| p == 0 || !row(i)[0].is_nan();
        let mut problems = Vec::new();
        for i in (0..d.n).filter(|&i| !lp[i].is_finite() && scored(i)) {
            let value = |t: usize| {
                self.compiled
                    .variables()
                    .get(t)
                    .and_then(|v| table.column(v).ok())
                    .map_or(String::new(), |c| crate::design::table_cell(c, i).display())
            };
            problems.push(self.overflow_problem(&table.source, table.row(i), row(i), value));
        }
        if !problems.is_empty() {
            return Err(Error::InvalidInput(problems));
        }
        let mut stratum = vec![0u32; d.n];
        let mut n_missing = d.n_missing;
        if let Some(st) = &self.strata {
            let col = table.column(&st.variable)?;
            let mut problems = Vec::new();
            for i in 0..d.n {
                match st.code(col, i) {
                    Some(Ok(c)) => {
                        stratum[i] = c;
                        prob[i] = self.risk.risk(lp[i], 0, c as usize);
                    }
                    Some(Err(label)) => problems.push(crate::Problem::cell(
                        &table.source,
                        table.row(i),
                        &st.variable,
                        &label,
                        format!("a stratum of the model ({})", st.levels.join(", ")),
                    )),
                    None => {
                        if !lp[i].is_nan() {
                            n_missing += 1;
                        }
                        lp[i] = f64::NAN;
                        prob[i] = f64::NAN;
                    }
                }
            }
            if !problems.is_empty() {
                return Err(Error::InvalidInput(problems));
            }
        }
        let cols: Vec<Option<&crate::table::Column>> = self
            .compiled
            .variables()
            .iter()
            .map(|v| table.column(v).ok())
            .collect();
        let n_far_outside = (0..d.n)
            .filter(|&i| !lp[i].is_nan())
            .filter(|&i| {
                cols.iter().enumerate().any(|(t, c)| {
                    c.and_then(|c| match c {
                        crate::table::Column::Num(v) => v[i],
                        crate::table::Column::Text(_) => None,
                    })
                    .is_some_and(|v| self.far_outside(t, v))
                })
            })
            .count();
        Ok(Scores {
            linear_predictor: lp,
            predicted: prob,
            stratum,
            n_missing,
            n_far_outside,
        })
    }
}

/// Linear predictor of one row: `intercept + sum_j row[j] * beta[j]`, summed in a fixed order
/// (four interleaved partial sums over blocks of four, then the tail), so a row's value never
/// depends on how rows are batched. NaN anywhere in the row gives NaN.
#[inline]
pub fn dot_row(row: &[f64], beta: &[f64], intercept: f64) -> f64 {
    let n4 = row.len() / 4 * 4;
    let mut acc = [0.0f64; 4];
    for (x, b) in row[..n4].chunks_exact(4).zip(beta[..n4].chunks_exact(4)) {
        acc[0] += x[0] * b[0];
        acc[1] += x[1] * b[1];
        acc[2] += x[2] * b[2];
        acc[3] += x[3] * b[3];
    }
    let mut tail = 0.0;
    for (x, b) in row[n4..].iter().zip(&beta[n4..]) {
        tail += x * b;
    }
    intercept + ((acc[0] + acc[1]) + (acc[2] + acc[3]) + tail)
}

/// The logistic function of a linear predictor: [`crate::stats::expit`].
pub use crate::stats::expit as logistic;

/// Serial kernel over a block of rows.
#[inline]
fn block_row_major(
    x: &[f64],
    p: usize,
    intercept: f64,
    beta: &[f64],
    lp: &mut [f64],
    prob: &mut [f64],
) {
    if p == 0 {
        lp.fill(intercept);
    } else {
        for (row, l) in x.chunks_exact(p).zip(lp.iter_mut()) {
            *l = dot_row(row, beta, intercept);
        }
    }
    for (l, pr) in lp.iter().zip(prob.iter_mut()) {
        *pr = logistic(*l);
    }
}

/// Score a row-major `n x p` matrix into `lp` and `prob` in parallel (rayon, chunks of
/// [`CHUNK_ROWS`] rows). Free-function form of [`Scorer::score_rows`] for callers holding
/// raw coefficients (benchmarks, validation).
///
/// # Panics
/// When `x.len() != lp.len() * p`, `lp.len() != prob.len()` or `beta.len() != p`.
pub fn score_row_major(
    x: &[f64],
    p: usize,
    intercept: f64,
    beta: &[f64],
    lp: &mut [f64],
    prob: &mut [f64],
) {
    let n = lp.len();
    assert_eq!(beta.len(), p, "one coefficient per column");
    assert_eq!(x.len(), n * p, "matrix is n x p");
    assert_eq!(prob.len(), n, "one probability per row");
    if p == 0 {
        block_row_major(x, p, intercept, beta, lp, prob);
        return;
    }
    x.par_chunks(CHUNK_ROWS * p)
        .zip(lp.par_chunks_mut(CHUNK_ROWS))
        .zip(prob.par_chunks_mut(CHUNK_ROWS))
        .for_each(|((xc, lc), pc)| block_row_major(xc, p, intercept, beta, lc, pc));
}

/// Score a column-major matrix (`columns[j][i]` = column `j` of row `i`) in parallel. The sum
/// for each row uses the same order as [`dot_row`], so row-major and column-major scoring of
/// the same data give identical bits.
///
/// # Panics
/// When `columns.len() != beta.len()` or a column's length differs from `lp.len()`.
pub fn score_column_major(
    columns: &[&[f64]],
    intercept: f64,
    beta: &[f64],
    lp: &mut [f64],
    prob: &mut [f64],
) {
    let n = lp.len();
    assert_eq!(columns.len(), beta.len(), "one coefficient per column");
    assert!(columns.iter().all(|c| c.len() == n), "columns have n rows");
    assert_eq!(prob.len(), n, "one probability per row");
    let p = beta.len();
    let n4 = p / 4 * 4;
    lp.par_chunks_mut(CHUNK_ROWS)
        .zip(prob.par_chunks_mut(CHUNK_ROWS))
        .enumerate()
        .for_each(|(c, (lc, pc))| {
            let start = c * CHUNK_ROWS;
            let m = lc.len();
            let mut acc = vec![[0.0f64; 4]; m];
            for j0 in (0..n4).step_by(4) {
                for lane in 0..4 {
                    let col = &columns[j0 + lane][start..start + m];
                    let b = beta[j0 + lane];
                    for (a, x) in acc.iter_mut().zip(col) {
                        a[lane] += x * b;
                    }
                }
            }
            let mut tail = vec![0.0f64; m];
            for j in n4..p {
                let col = &columns[j][start..start + m];
                for (t, x) in tail.iter_mut().zip(col) {
                    *t += x * beta[j];
                }
            }
            for i in 0..m {
                let a = acc[i];
                lc[i] = intercept + ((a[0] + a[1]) + (a[2] + a[3]) + tail[i]);
                pc[i] = logistic(lc[i]);
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_and_column_major_agree_bitwise() {
        let n = 1000;
        let p = 7;
        let x: Vec<f64> = (0..n * p)
            .map(|k| ((k * 37 % 101) as f64 - 50.0) / 13.0)
            .collect();
        let beta: Vec<f64> = (0..p).map(|j| 0.1 * j as f64 - 0.3).collect();
        let mut lp = vec![0.0; n];
        let mut pr = vec![0.0; n];
        score_row_major(&x, p, 0.5, &beta, &mut lp, &mut pr);
        let cols: Vec<Vec<f64>> = (0..p)
            .map(|j| (0..n).map(|i| x[i * p + j]).collect())
            .collect();
        let refs: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
        let mut lp2 = vec![0.0; n];
        let mut pr2 = vec![0.0; n];
        score_column_major(&refs, 0.5, &beta, &mut lp2, &mut pr2);
        assert_eq!(lp, lp2);
        assert_eq!(pr, pr2);
    }

    #[test]
    fn logistic_is_finite_at_extremes() {
        assert_eq!(logistic(-1000.0), 0.0);
        assert_eq!(logistic(1000.0), 1.0);
        assert!((logistic(0.0) - 0.5).abs() < 1e-15);
    }
}
