//! A model as one SQL query (`mbdrisk export`), so a warehouse scores where its data live:
//! `SELECT <id>, <risk> AS risk FROM <table>` giving the risks `mbdrisk score` gives.
//!
//! The query is built from the model file alone (terms, knots, levels, coefficients, the
//! Cox baseline at the horizon), never from data. It has two steps:
//!
//! 1. a `design` subquery with one column per design column, as [`crate::design`] expands a
//!    cell: the number (times its unit conversion), `LN`, `LN(1 + x)`, `SQRT`; a restricted
//!    cubic spline as truncated-power terms with rms' normalisation (`Hmisc::rcspline.eval`,
//!    `norm = 2`); a category as one 0/1 column per non-reference level; `addNA` a missing
//!    cell as its own level; interactions multiplied by a numeric factor or placed in the
//!    block of a categorical factor's level;
//! 2. the risk: `expit(lp)` for a logistic model, `1 - exp(-H0(H) exp(lp - centre))` for a
//!    Cox model with the baseline cumulative hazard of the row's stratum at `H`.
//!
//! A row gets `NULL` where `score` leaves it empty: a missing predictor (SQL `NULL`) outside
//! an `addNA` term. Where `score` stops with an input error instead (a level the model has not
//! seen, a value outside a transform's domain such as `log` of 0), a query cannot stop, so
//! it gives `NULL` for that row. Missing is SQL `NULL` only (a text `'NA'` in a warehouse is
//! a value). Identifiers are quoted for the dialect; numbers
//! are written with the shortest text that reads back to the same 64-bit float.

use std::fmt::Write as _;

use crate::design::{LevelKind, TermSpec, Transform};
use crate::error::{Error, Result};
use crate::model::family::Family;
use crate::model::fit::Model;

/// SQL dialects the export writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// DuckDB.
    DuckDb,
    /// SQLite (3.35 or later, built with its math functions: `LN`, `EXP`, `SQRT`).
    Sqlite,
    /// PostgreSQL.
    Postgres,
    /// Spark SQL (Databricks).
    Spark,
}

impl std::str::FromStr for Dialect {
    type Err = Error;
    fn from_str(s: &str) -> Result<Dialect> {
        match s.to_ascii_lowercase().as_str() {
            "duckdb" => Ok(Dialect::DuckDb),
            "sqlite" => Ok(Dialect::Sqlite),
            "postgres" | "postgresql" => Ok(Dialect::Postgres),
            "spark" | "databricks" => Ok(Dialect::Spark),
            _ => Err(Error::Usage(format!(
                "--dialect '{s}': expected duckdb, sqlite, postgres or spark"
            ))),
        }
    }
}

impl Dialect {
    /// The dialect's name as `--dialect` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::DuckDb => "duckdb",
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
            Dialect::Spark => "spark",
        }
    }

    /// A quoted identifier (a column, a table or one part of a dotted table name).
    pub fn ident(self, name: &str) -> String {
        match self {
            Dialect::Spark => format!("`{}`", name.replace('`', "``")),
            _ => format!("\"{}\"", name.replace('"', "\"\"")),
        }
    }

    /// A table name: `schema.table` is quoted part by part.
    pub fn table(self, name: &str) -> String {
        name.split('.')
            .map(|part| self.ident(part))
            .collect::<Vec<_>>()
            .join(".")
    }
}

/// What to export.
#[derive(Debug, Clone)]
pub struct SqlOptions {
    /// Dialect.
    pub dialect: Dialect,
    /// The table (or view) holding the predictors.
    pub table: String,
    /// Identifier column copied into the output.
    pub id: Option<String>,
    /// Horizon of a Cox model's risk.
    pub horizon: Option<f64>,
}

/// A string literal (quotes doubled).
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A numeric literal that reads back to the same `f64` (`{:?}` of Rust is the shortest
/// round-trip form: `0.1`, `1e-7`, `2.0`), parenthesised when negative.
fn num(v: f64) -> String {
    let s = format!("{v:?}");
    if v < 0.0 {
        format!("({s})")
    } else {
        s
    }
}

/// The SQL of a model; see the module documentation.
///
/// # Errors
/// [`Error::Usage`] for a landmark (dynamic) model, a Cox model without a horizon or with one
/// beyond its baseline, a horizon given to a logistic model, an empty table name.
pub fn to_sql(model: &Model, opts: &SqlOptions) -> Result<String> {
    if opts.table.trim().is_empty() || opts.table.split('.').any(str::is_empty) {
        return Err(Error::Usage(format!(
            "--table '{}': expected a table name (schema.table allowed)",
            opts.table
        )));
    }
    let d = opts.dialect;
    let beta: Vec<f64> = model.coefficients.iter().map(|c| c.estimate).collect();
    if let Some(c) = model.coefficients.iter().find(|c| !c.estimate.is_finite()) {
        return Err(Error::Usage(format!(
            "the model's coefficient '{}' is not a finite number (the file is damaged or the fit failed): no SQL can reproduce it",
            c.name
        )));
    }
    let (intercept, slopes) = match &model.family {
        Family::Landmark => {
            return Err(Error::Usage(
                "export writes logistic and Cox models; a landmark (dynamic) model needs its visits and landmark terms, which one SELECT over a table does not have".into(),
            ))
        }
        Family::Logistic => {
            if opts.horizon.is_some() {
                return Err(Error::Usage(
                    "--horizon: a logistic model's risk has no horizon".into(),
                ));
            }
            (beta.first().copied().unwrap_or(0.0), &beta[1.min(beta.len())..])
        }
        Family::Cox(_) => (0.0, &beta[..]),
    };
    // 1. design columns
    let mut cols: Vec<String> = Vec::new();
    for term in &model.design.terms {
        cols.extend(term_columns(d, term)?);
    }
    if cols.len() != slopes.len() {
        return Err(Error::Usage(format!(
            "the model file is damaged: its terms give {} design columns and it has {} coefficients",
            cols.len(),
            slopes.len()
        )));
    }
    let mut sql = String::new();
    let _ = writeln!(
        sql,
        "-- mbdrisk {} model: {}\n-- {} design columns; dialect {}; NULL where `mbdrisk score` leaves a row empty",
        model.family.name(),
        model.formula.replace('\n', " "),
        cols.len(),
        d.name()
    );
    // 2. the risk
    let lp_terms: String = cols
        .iter()
        .enumerate()
        .filter(|(j, _)| slopes[*j] != 0.0)
        .map(|(j, _)| {
            format!(
                " + {} * {}",
                num(slopes[j]),
                d.ident(&format!("c{}", j + 1))
            )
        })
        .collect();
    let (lp, risk, h0) = match &model.family {
        Family::Cox(cox) => {
            let Some(h) = opts.horizon else {
                return Err(Error::Usage(format!(
                    "--horizon H: a Cox model's risk is by a horizon (at most {})",
                    crate::design::format_level(cox.max_horizon())
                )));
            };
            let map = cox.risk_map(&[h])?;
            let crate::model::family::RiskMap::Survival { cumhaz, .. } = map else {
                return Err(Error::Usage("not a survival risk".into()));
            };
            let h0 = match &cox.strata {
                None => num(cumhaz[0][0]),
                Some(s) => {
                    let mut case = String::from("CASE");
                    for (k, level) in s.levels.iter().enumerate() {
                        if let Some(c) = cumhaz.get(k) {
                            let _ = write!(
                                case,
                                " WHEN {} = {} THEN {}",
                                d.ident(&s.variable),
                                literal(level),
                                num(c[0])
                            );
                        }
                    }
                    case.push_str(" END");
                    case
                }
            };
            let _ = writeln!(
                sql,
                "-- risk by {} = 1 - exp(-H0 * exp(lp)), lp centred at {}",
                crate::design::format_level(h),
                num(cox.centre)
            );
            (
                format!("{}{lp_terms}", num(-cox.centre)),
                "1 - EXP(-h0 * EXP(lp))".to_string(),
                Some(h0),
            )
        }
        _ => (
            format!("{}{lp_terms}", num(intercept)),
            // expit without overflow either way
            "CASE WHEN lp >= 0 THEN 1 / (1 + EXP(-lp)) ELSE EXP(lp) / (1 + EXP(lp)) END".into(),
            None,
        ),
    };
    let id_item = opts.id.as_ref().map(|i| d.ident(i));
    // each level selects the id (when asked) and its own items
    let select = |items: Vec<String>, indent: &str| -> String {
        id_item
            .iter()
            .cloned()
            .chain(items)
            .collect::<Vec<_>>()
            .join(&format!(",\n{indent}"))
    };
    let mut design_items: Vec<String> = cols
        .iter()
        .enumerate()
        .map(|(j, e)| format!("{e} AS {}", d.ident(&format!("c{}", j + 1))))
        .collect();
    let mut lp_items = vec![format!("{lp} AS lp")];
    if let Some(h0) = h0 {
        design_items.push(format!("{h0} AS h0"));
        lp_items.push("h0".into());
    }
    if design_items.is_empty() {
        design_items.push("1 AS one".into());
    }
    let _ = write!(
        sql,
        "SELECT {}\nFROM (\n  SELECT {}\n  FROM (\n    SELECT {}\n    FROM {}\n  ) AS design\n) AS scored;\n",
        select(vec![format!("{risk} AS risk")], "       "),
        select(lp_items, "         "),
        select(design_items, "           "),
        d.table(&opts.table)
    );
    Ok(sql)
}

/// The design column expressions of one term (with its interaction).
fn term_columns(d: Dialect, term: &TermSpec) -> Result<Vec<String>> {
    let x = d.ident(&term.variable);
    let base = base_columns(term, &x)?;
    let Some(by) = &term.by else {
        return Ok(base);
    };
    let f = d.ident(&by.variable);
    match by.transform {
        Transform::Categorical => {
            let levels = by.levels.clone().unwrap_or_default();
            let kind = by.level_kind.unwrap_or(LevelKind::Text);
            let known = level_list(&levels, kind)?;
            let mut out = Vec::new();
            for level in levels.iter().skip(1) {
                let is = format!("{f} = {}", level_literal(level, kind)?);
                for b in &base {
                    // 0 * b keeps a NULL base NULL in the other blocks
                    out.push(format!(
                        "CASE WHEN {is} THEN {b} WHEN {f} IN ({known}) THEN 0 * ({b}) END"
                    ));
                }
            }
            Ok(out)
        }
        t => {
            let v = scaled(&f, by.scale);
            let fx = scalar(t, &v)?;
            Ok(base.iter().map(|b| format!("({b}) * ({fx})")).collect())
        }
    }
}

/// `x * scale` (no-op for 1).
fn scaled(x: &str, scale: Option<f64>) -> String {
    match scale {
        Some(s) if s != 1.0 => format!("({x} * {})", num(s)),
        _ => x.to_string(),
    }
}

/// A one-column transform of the expression `v`, `NULL` outside its domain.
fn scalar(t: Transform, v: &str) -> Result<String> {
    Ok(match t {
        Transform::Linear => v.to_string(),
        Transform::Log => format!("CASE WHEN {v} > 0 THEN LN({v}) END"),
        Transform::Log1p => format!("CASE WHEN {v} > -1 THEN LN(1 + {v}) END"),
        Transform::Sqrt => format!("CASE WHEN {v} >= 0 THEN SQRT({v}) END"),
        other => {
            return Err(Error::Usage(format!(
                "the model file is damaged: {other:?} is not a one-column transform"
            )))
        }
    })
}

/// The term's own columns (before an interaction).
fn base_columns(term: &TermSpec, x: &str) -> Result<Vec<String>> {
    let v = scaled(x, term.scale);
    match term.transform {
        Transform::Rcs => {
            let knots = term.knots.clone().unwrap_or_default();
            if knots.len() < 3 {
                return Err(Error::Usage(format!(
                    "the model file is damaged: the spline of {} has {} knots",
                    term.variable,
                    knots.len()
                )));
            }
            let kd = crate::design::rcs::norm2_scale(&knots);
            let nk = knots.len();
            let (tk, tk1) = (knots[nk - 1], knots[nk - 2]);
            // ((v - t)_+ / kd)^3
            let cube = |t: f64| {
                let u = format!("(({v} - {}) / {})", num(t), num(kd));
                format!("CASE WHEN {v} > {} THEN {u} * {u} * {u} ELSE 0 END", num(t))
            };
            let mut out = vec![v.clone()];
            for &tj in &knots[..nk - 2] {
                out.push(format!(
                    "({}) + ({} * ({}) - {} * ({})) / {}",
                    cube(tj),
                    num(tk1 - tj),
                    cube(tk),
                    num(tk - tj),
                    cube(tk1),
                    num(tk - tk1)
                ));
            }
            Ok(out)
        }
        Transform::Categorical => {
            let levels = term.levels.clone().unwrap_or_default();
            let kind = term.level_kind.unwrap_or(LevelKind::Text);
            // the addNA level (last) is a missing cell, not a value
            let na = term.missing_level;
            let values: Vec<String> = if na {
                levels[..levels.len().saturating_sub(1)].to_vec()
            } else {
                levels.clone()
            };
            let known = level_list(&values, kind)?;
            let mut out = Vec::new();
            for (k, level) in levels.iter().enumerate().skip(1) {
                let is_na_level = na && k == levels.len() - 1;
                let missing = if na {
                    format!("WHEN {x} IS NULL THEN {} ", u8::from(is_na_level))
                } else {
                    String::new()
                };
                let this = if is_na_level {
                    String::new()
                } else {
                    format!("WHEN {x} = {} THEN 1 ", level_literal(level, kind)?)
                };
                let others = if known.is_empty() {
                    String::new()
                } else {
                    format!("WHEN {x} IN ({known}) THEN 0 ")
                };
                out.push(format!("CASE {missing}{this}{others}END"));
            }
            Ok(out)
        }
        t => Ok(vec![scalar(t, &v)?]),
    }
}

/// A level as a literal: text quoted, numbers as numbers.
fn level_literal(level: &str, kind: LevelKind) -> Result<String> {
    match kind {
        LevelKind::Text => Ok(literal(level)),
        LevelKind::Numeric => level.parse::<f64>().map(num).map_err(|_| {
            Error::Usage(format!(
                "the model file is damaged: the numeric level '{level}' is not a number"
            ))
        }),
    }
}

/// The comma-separated literals of `levels`.
fn level_list(levels: &[String], kind: LevelKind) -> Result<String> {
    Ok(levels
        .iter()
        .map(|l| level_literal(l, kind))
        .collect::<Result<Vec<_>>>()?
        .join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted_per_dialect() {
        assert_eq!(Dialect::DuckDb.ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(Dialect::Spark.ident("a`b"), "`a``b`");
        assert_eq!(Dialect::Postgres.table("s.t"), "\"s\".\"t\"");
        assert_eq!(literal("O'Neil"), "'O''Neil'");
        assert_eq!(num(-0.5), "(-0.5)");
        assert_eq!(num(1e-7), "1e-7");
        assert!("oracle".parse::<Dialect>().is_err());
    }
}
