//! Comparator rules: who would a guideline let stop bone protection?
//!
//! A rule is a classifier "safe to stop" (true) versus "continue" (false), written as an SQL
//! `WHERE` condition on the cohort columns and evaluated by polars SQL. The built-in rules of
//! DESIGN.md section 6 are plain SQL too, so a user can read exactly what each one does
//! (`mbdrisk compare --help` prints them).
//!
//! Missing values: a condition that evaluates to NULL (for example `mrd = 'negative'` when MRD
//! was not measured) does **not** stop the patient. A rule can only stop a patient whose
//! required measurements are all present, which is how a clinician would apply it.

use polars::prelude::*;
use polars::sql::SQLContext;

use crate::cohort::schema::CTX_REFERENCE_UPPER_NG_ML;
use crate::error::{Error, Result};
use crate::table::{did_you_mean, Column, Table};

/// A named stopping rule.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Rule {
    /// Short name shown in tables and plots (e.g. `two-year`).
    pub name: String,
    /// SQL condition on the cohort columns; true = safe to stop.
    pub sql: String,
}

/// Names of the built-in rules, in the order they are reported.
pub const BUILTIN: &[&str] = &["two-year", "imwg-2021", "triad"];

impl Rule {
    /// A built-in rule by name (`two-year`, `imwg-2021`, `triad`), or `None`.
    pub fn builtin(name: &str) -> Option<Rule> {
        let deep = "response IN ('sCR', 'CR', 'VGPR')";
        let sql = match name {
            "two-year" => format!("bpa_months >= 24 AND {deep}"),
            "imwg-2021" => format!("bpa_months >= 12 AND {deep}"),
            "triad" => format!(
                "bpa_months >= 24 AND {deep} AND mrd = 'negative' AND pet = 'CMR' \
                 AND ctx_ng_ml <= {CTX_REFERENCE_UPPER_NG_ML}"
            ),
            _ => return None,
        };
        Some(Rule {
            name: name.to_string(),
            sql,
        })
    }

    /// Parse a `--rule` argument: a built-in name, or `name=SQL condition`.
    ///
    /// # Errors
    /// [`Error::Usage`] for an unknown built-in name or an empty name/condition.
    pub fn parse(arg: &str) -> Result<Rule> {
        if let Some(r) = Rule::builtin(arg.trim()) {
            return Ok(r);
        }
        match arg.split_once('=') {
            Some((name, sql)) if !name.trim().is_empty() && !sql.trim().is_empty() => {
                let name = name.trim();
                if name.contains(|c: char| c.is_whitespace() || "<>!'\"()".contains(c)) {
                    return Err(Error::Usage(format!(
                        "--rule '{arg}': expected 'name=SQL condition' with a short name before '=' (did you forget the name?)"
                    )));
                }
                Ok(Rule {
                    name: name.to_string(),
                    sql: sql.trim().to_string(),
                })
            }
            _ => Err(Error::Usage(format!(
                "--rule '{arg}': expected a built-in rule ({}) or 'name=SQL condition', \
                 e.g. 'deep=bpa_months >= 24 AND mrd = ''negative'''",
                BUILTIN.join(", ")
            ))),
        }
    }

    /// Evaluate the rule on every row of `table`: `true` = the rule stops this patient.
    ///
    /// # Errors
    /// [`Error::Usage`] naming the rule when the SQL does not parse, refers to a column the
    /// table lacks (with a "did you mean"), or is not a true/false condition.
    pub fn evaluate(&self, table: &Table) -> Result<Vec<bool>> {
        let fail =
            |what: String| Error::Usage(format!("rule '{}' ({}): {what}", self.name, self.sql));
        for ident in identifiers(&self.sql) {
            if table.index(&ident).is_none() {
                let hint = did_you_mean(&ident, &table.names)
                    .map(|s| format!(" (did you mean '{s}'?)"))
                    .unwrap_or_default();
                return Err(fail(format!(
                    "column '{ident}' is not in {}{hint}",
                    table.source
                )));
            }
        }
        let df = to_dataframe(table).map_err(|e| fail(e.to_string()))?;
        let mut ctx = SQLContext::new();
        ctx.register("cohort", df.lazy());
        let query = format!("SELECT ({}) AS mbdrisk_stop FROM cohort", self.sql);
        let out = ctx
            .execute(&query)
            .and_then(|lf| lf.collect())
            .map_err(|e| fail(format!("not a valid SQL condition: {e}")))?;
        if out.width() != 1 {
            return Err(fail("expected a single condition".into()));
        }
        let col = out
            .column("mbdrisk_stop")
            .map_err(|e| fail(e.to_string()))?;
        let b = col.bool().map_err(|_| {
            fail(format!(
                "expected a true/false condition, but it gives values of type {}",
                col.dtype()
            ))
        })?;
        Ok(b.into_iter().map(|v| v.unwrap_or(false)).collect())
    }
}

/// Bare identifiers in an SQL condition (outside quotes, not keywords, not functions): the
/// columns it needs. Used to name a misspelt column before polars does.
fn identifiers(sql: &str) -> Vec<String> {
    const KEYWORDS: &[&str] = &[
        "and", "or", "not", "in", "is", "null", "true", "false", "between", "like", "ilike",
        "case", "when", "then", "else", "end", "as", "cast", "double", "float", "int", "integer",
        "varchar", "text", "select", "from", "where",
    ];
    let mut out = Vec::new();
    let chars: Vec<char> = sql.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' || c == '"' {
            let quote = c;
            i += 1;
            let start = i;
            while i < chars.len() && chars[i] != quote {
                i += 1;
            }
            if quote == '"' {
                out.push(chars[start..i.min(chars.len())].iter().collect());
            }
            i += 1;
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let next = chars[i..].iter().find(|c| !c.is_whitespace());
            if next != Some(&'(') && !KEYWORDS.contains(&word.to_ascii_lowercase().as_str()) {
                out.push(word);
            }
        } else if c.is_ascii_digit() || c == '.' {
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '.') {
                i += 1;
            }
        } else {
            i += 1;
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Our typed table as a polars DataFrame (numbers as Float64, text as String).
pub fn to_dataframe(table: &Table) -> PolarsResult<DataFrame> {
    let cols: Vec<polars::prelude::Column> = table
        .names
        .iter()
        .zip(&table.columns)
        .map(|(name, col)| match col {
            Column::Num(v) => Series::new(name.as_str().into(), v.as_slice()).into(),
            Column::Text(v) => {
                let s: Vec<Option<&str>> = v.iter().map(|c| c.as_deref()).collect();
                Series::new(name.as_str().into(), s).into()
            }
        })
        .collect();
    DataFrame::new(cols)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        Table {
            source: "cohort.csv".into(),
            names: vec![
                "bpa_months".into(),
                "response".into(),
                "mrd".into(),
                "pet".into(),
                "ctx_ng_ml".into(),
            ],
            columns: vec![
                Column::Num(vec![Some(30.0), Some(30.0), Some(12.0), Some(26.0)]),
                Column::Text(vec![
                    Some("CR".into()),
                    Some("PR".into()),
                    Some("VGPR".into()),
                    Some("sCR".into()),
                ]),
                Column::Text(vec![
                    Some("negative".into()),
                    Some("negative".into()),
                    Some("negative".into()),
                    None,
                ]),
                Column::Text(vec![Some("CMR".into()); 4]),
                Column::Num(vec![Some(0.2), Some(0.2), Some(0.2), Some(0.3)]),
            ],
        }
    }

    #[test]
    fn builtin_rules_follow_design_section_6() {
        let t = table();
        let two = Rule::builtin("two-year").expect("builtin");
        assert_eq!(two.evaluate(&t).expect("eval"), [true, false, false, true]);
        let imwg = Rule::builtin("imwg-2021").expect("builtin");
        assert_eq!(imwg.evaluate(&t).expect("eval"), [true, false, true, true]);
        // Missing MRD in row 4: the triad cannot stop that patient.
        let triad = Rule::builtin("triad").expect("builtin");
        assert_eq!(
            triad.evaluate(&t).expect("eval"),
            [true, false, false, false]
        );
    }

    #[test]
    fn custom_rule_parses_name_and_condition() {
        let r = Rule::parse("short=bpa_months >= 12 AND mrd = 'negative'").expect("parse");
        assert_eq!(r.name, "short");
        assert_eq!(
            r.evaluate(&table()).expect("eval"),
            [true, true, true, false]
        );
    }

    #[test]
    fn rejects_rule_without_name() {
        let e = Rule::parse("bpa_months >= 24").expect_err("no name");
        assert!(e.to_string().contains("name=SQL"), "{e}");
        let e = Rule::parse("nonsense").expect_err("unknown builtin");
        assert!(e.to_string().contains("two-year"), "{e}");
    }

    #[test]
    fn rejects_missing_column_with_suggestion() {
        let r = Rule::parse("x=bpa_month >= 24").expect("parse");
        let e = r.evaluate(&table()).expect_err("missing column");
        let m = e.to_string();
        assert!(m.contains("rule 'x'") && m.contains("'bpa_month'"), "{m}");
        assert!(m.contains("did you mean 'bpa_months'"), "{m}");
        assert_eq!(e.exit_code(), 2);
    }

    #[test]
    fn rejects_bad_sql() {
        for bad in [
            "x=bpa_months >= ",
            "x=bpa_months >> 24 )",
            "x=bpa_months + 1",
        ] {
            let r = Rule::parse(bad).expect("parse");
            let e = r.evaluate(&table()).expect_err(bad);
            assert!(e.to_string().contains("rule 'x'"), "{e}");
            assert_eq!(e.exit_code(), 2);
        }
    }

    #[test]
    fn identifiers_skip_strings_keywords_and_functions() {
        assert_eq!(
            identifiers("bpa_months >= 24 AND response IN ('sCR') AND abs(ctx_ng_ml) < 1.5e0"),
            ["bpa_months", "ctx_ng_ml", "response"]
        );
    }
}
