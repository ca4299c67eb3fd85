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

/// What a condition is used as, for its messages: a rule over the patients of a cohort, or
/// a restart trigger over visit rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleUse {
    /// A stopping rule, one value per patient.
    Rule,
    /// A restart trigger, one value per visit.
    Trigger,
}

/// The MM profile's restart triggers (name, SQL over the visit rows and their landmark
/// features), in the order they are reported:
///
/// - `mrd_conversion`: MRD positive after a negative result;
/// - `ctx_rise_lsc`: CTX-I up by more than the LSC (56%) since the previous measurement;
/// - `ctx_above_nadir_lsc`: CTX-I more than the LSC above the patient's nadir so far;
/// - `mrd_conversion_and_ctx_rise`: both: a CTX rise since the previous measurement in a
///   patient whose MRD has converted;
/// - `mrd_conversion_or_ctx_rise`: either of the first two (the article lists both triggers).
pub const MM_TRIGGERS: [(&str, &str); 5] = [
    ("mrd_conversion", "mrd_conversion = 1"),
    ("ctx_rise_lsc", "ctx_rise_lsc = 1"),
    ("ctx_above_nadir_lsc", "ctx_above_lsc = 1"),
    (
        "mrd_conversion_and_ctx_rise",
        "mrd_conversion = 1 AND ctx_rise_lsc = 1",
    ),
    (
        "mrd_conversion_or_ctx_rise",
        "mrd_conversion = 1 OR ctx_rise_lsc = 1",
    ),
];

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
                if BUILTIN.contains(&name) || is_reserved_name(name) {
                    return Err(Error::Usage(format!(
                        "--rule '{arg}': the name '{name}' is taken (built-in rules: {}; policies: model, oracle, stop-all, continue-all); choose another name",
                        BUILTIN.join(", ")
                    )));
                }
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

    /// The MM profile's restart triggers ([`MM_TRIGGERS`]).
    pub fn mm_triggers() -> Vec<Rule> {
        MM_TRIGGERS
            .iter()
            .map(|(name, sql)| Rule {
                name: (*name).to_string(),
                sql: (*sql).to_string(),
            })
            .collect()
    }

    /// Parse `--trigger` arguments: an MM trigger by name, or `name=SQL condition` over the
    /// visit rows and their landmark features (true = alarm); a name given twice is refused.
    ///
    /// # Errors
    /// [`Error::Usage`] naming the argument.
    pub fn parse_triggers(args: &[String]) -> Result<Vec<Rule>> {
        let mm = Rule::mm_triggers();
        let mut out: Vec<Rule> = Vec::with_capacity(args.len());
        for arg in args {
            let t = match mm.iter().find(|t| t.name == arg.trim()) {
                Some(t) => t.clone(),
                None => match arg.split_once('=') {
                    Some((name, sql))
                        if !name.trim().is_empty()
                            && !sql.trim().is_empty()
                            && !name.contains(|c: char| {
                                c.is_whitespace() || "<>!'\"()".contains(c)
                            }) =>
                    {
                        if is_reserved_name(name.trim()) {
                            return Err(Error::Usage(format!(
                                "--trigger '{arg}': the name '{}' is taken by a policy; choose another name",
                                name.trim()
                            )));
                        }
                        Rule {
                            name: name.trim().to_string(),
                            sql: sql.trim().to_string(),
                        }
                    }
                    _ => {
                        return Err(Error::Usage(format!(
                            "--trigger '{arg}': expected an MM trigger ({}) or 'name=SQL condition' over the visit rows and their features, e.g. 'bili_rise=bili_change_prev_pct > 30'",
                            MM_TRIGGERS.map(|t| t.0).join(", ")
                        )))
                    }
                },
            };
            if out.iter().any(|o| o.name == t.name) {
                return Err(Error::Usage(format!(
                    "--trigger: the name '{}' is given twice; give each trigger its own name",
                    t.name
                )));
            }
            out.push(t);
        }
        Ok(out)
    }

    /// Parse every `--rule` argument (all built-in rules when there are none); a name given
    /// twice is refused, since tables, plots and files key the results by name.
    ///
    /// # Errors
    /// As [`Rule::parse`], and [`Error::Usage`] for a repeated name.
    pub fn parse_list(args: &[String]) -> Result<Vec<Rule>> {
        if args.is_empty() {
            return Ok(BUILTIN.iter().filter_map(|n| Rule::builtin(n)).collect());
        }
        let rules: Vec<Rule> = args.iter().map(|a| Rule::parse(a)).collect::<Result<_>>()?;
        for (i, r) in rules.iter().enumerate() {
            if rules[..i].iter().any(|o| o.name == r.name) {
                return Err(Error::Usage(format!(
                    "--rule: the name '{}' is given twice; give each rule its own name",
                    r.name
                )));
            }
        }
        Ok(rules)
    }

    /// Evaluate the rule on every row of `table`: `true` = the rule stops this patient.
    ///
    /// # Errors
    /// [`Error::Usage`] naming the rule when the SQL does not parse, refers to a column the
    /// table lacks (with a "did you mean"), or is not a true/false condition.
    pub fn evaluate(&self, table: &Table) -> Result<Vec<bool>> {
        let fail =
            |what: String| Error::Usage(format!("rule '{}' ({}): {what}", self.name, self.sql));
        check_size(&self.sql).map_err(|what| {
            Error::Usage(format!(
                "rule '{}' ({} characters): {what}",
                self.name,
                self.sql.chars().count()
            ))
        })?;
        let words = words(&self.sql);
        let aggregate = words
            .iter()
            .find(|w| {
                let lower = w.name.to_ascii_lowercase();
                !w.quoted
                    && ((w.call && AGGREGATES.contains(&lower.as_str()))
                        || (!w.call && matches!(lower.as_str(), "over" | "select" | "exists")))
            })
            .map(|w| w.name.clone());
        if let Some(f) = aggregate {
            return Err(fail(format!(
                "'{f}' is an aggregate, window function or subquery: a rule must be a condition on each patient's own values (e.g. age >= 60 AND stage = 'III'), true or false for each row"
            )));
        }
        let columns = identifiers(&self.sql);
        if columns.is_empty() {
            return Err(fail(
                "a rule must read at least one column of the cohort (a constant condition stops everyone or no one)".into(),
            ));
        }
        for ident in columns {
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
        let query = format!("SELECT ({}) AS mbdrisk_stop FROM cohort", self.sql);
        let out = run_sql(df, &query).map_err(fail)?;
        if out.width() != 1 {
            return Err(fail("expected a single condition".into()));
        }
        if out.height() != table.nrows() {
            return Err(fail(format!(
                "a rule must be a condition on each patient's own values, but it gives {} value(s) for {} patients (aggregates such as count(), sum(), max() and conditions without a column are not rules)",
                out.height(),
                table.nrows()
            )));
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

/// Stack of the thread that runs one rule: the SQL engine recurses once per operator, and
/// [`check_size`] keeps rules well inside this.
const SQL_STACK_BYTES: usize = 64 << 20;

/// Run `query` on `df` registered as `cohort`, on a thread of its own with a large stack, so
/// that neither deep recursion nor a panic inside the SQL engine can take the process down.
fn run_sql(df: DataFrame, query: &str) -> std::result::Result<DataFrame, String> {
    std::thread::scope(|s| {
        let worker = std::thread::Builder::new()
            .name("mbdrisk-sql".into())
            .stack_size(SQL_STACK_BYTES)
            .spawn_scoped(s, move || {
                let mut ctx = SQLContext::new();
                ctx.register("cohort", df.lazy());
                ctx.execute(query).and_then(|lf| lf.collect())
            })
            .map_err(|e| format!("could not start the SQL engine ({e})"))?;
        match worker.join() {
            Ok(Ok(out)) => Ok(out),
            Ok(Err(e)) => Err(format!("not a valid SQL condition: {}", engine_message(&e))),
            Err(_) => Err("the SQL engine failed on this condition (simplify it)".into()),
        }
    })
}

/// Names a `--rule` may not take: the policies the comparison reports beside the rules.
fn is_reserved_name(name: &str) -> bool {
    const RESERVED: &[&str] = &[
        "model",
        "oracle",
        "stop-all",
        "continue-all",
        "treat-all",
        "treat-none",
    ];
    RESERVED.iter().any(|r| r.eq_ignore_ascii_case(name))
}

/// Refuse conditions longer or deeper than [`crate::limits`] allows: a few thousand `AND`ed
/// comparisons overflow the SQL engine's stack (recursion per connective), which no message
/// could then report. Counts connectives and parenthesis depth outside quotes.
fn check_size(sql: &str) -> std::result::Result<(), String> {
    use crate::limits::{MAX_RULE_CHARS, MAX_RULE_CONNECTIVES, MAX_RULE_DEPTH, MAX_RULE_OPERATORS};
    if sql.chars().count() > MAX_RULE_CHARS {
        return Err(format!(
            "a rule is at most {MAX_RULE_CHARS} characters; split it or simplify it"
        ));
    }
    let (mut depth, mut max_depth, mut connectives) = (0usize, 0usize, 0usize);
    let mut operators = 0usize;
    let mut quote: Option<char> = None;
    let mut word = String::new();
    let flush = |word: &mut String, connectives: &mut usize| {
        if word.eq_ignore_ascii_case("and") || word.eq_ignore_ascii_case("or") {
            *connectives += 1;
        }
        word.clear();
    };
    for c in sql.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => {
                flush(&mut word, &mut connectives);
                quote = Some(c);
            }
            None if c.is_alphanumeric() || c == '_' => word.push(c),
            None => {
                flush(&mut word, &mut connectives);
                if "+-*/%<>=!|&".contains(c) {
                    operators += 1;
                }
                if c == '(' {
                    depth += 1;
                    max_depth = max_depth.max(depth);
                } else if c == ')' {
                    depth = depth.saturating_sub(1);
                }
            }
        }
    }
    flush(&mut word, &mut connectives);
    if connectives > MAX_RULE_CONNECTIVES {
        return Err(format!(
            "{connectives} AND/OR connectives; at most {MAX_RULE_CONNECTIVES} (use IN (...) for a list of values)"
        ));
    }
    if operators > MAX_RULE_OPERATORS {
        return Err(format!(
            "{operators} operator characters; at most {MAX_RULE_OPERATORS}"
        ));
    }
    if max_depth > MAX_RULE_DEPTH {
        return Err(format!(
            "parentheses nested {max_depth} deep; at most {MAX_RULE_DEPTH}"
        ));
    }
    Ok(())
}

/// The first line of a polars error, without its plan or AST dumps (which mean nothing to a
/// user), cut to a readable length.
pub fn engine_message(e: &PolarsError) -> String {
    let text = e.to_string();
    let first = text.lines().next().unwrap_or("").trim();
    // parser AST and plan dumps mean nothing to a user
    if ["Query {", "Expr:", "TokenWithSpan", "Select {"]
        .iter()
        .any(|m| first.contains(m))
    {
        return "this SQL is not supported in a rule (write a plain condition on the columns)"
            .into();
    }
    let mut out: String = first.chars().take(240).collect();
    if first.chars().count() > 240 {
        out.push_str("...");
    }
    out
}

/// SQL functions that summarise many rows: not allowed in a rule, which decides per patient.
const AGGREGATES: &[&str] = &[
    "count",
    "stdev",
    "stdev_samp",
    "stdev_pop",
    "std",
    "var",
    "covar",
    "n_unique",
    "implode",
    "columns",
    "exists",
    "unnest",
    "sum",
    "avg",
    "mean",
    "min",
    "max",
    "median",
    "stddev",
    "stddev_samp",
    "stddev_pop",
    "variance",
    "var_samp",
    "var_pop",
    "first",
    "last",
    "any_value",
    "string_agg",
    "array_agg",
    "quantile_cont",
    "quantile_disc",
    "percentile_cont",
    "percentile_disc",
    "row_number",
    "rank",
    "dense_rank",
    "ntile",
    "lag",
    "lead",
    "corr",
    "covar_samp",
    "covar_pop",
    "bool_and",
    "bool_or",
    "every",
    "count_distinct",
    "approx_count_distinct",
];

/// A word of an SQL condition: a bare word outside quotes (with whether a `(` follows it: a
/// call), or a double-quoted identifier.
struct Word {
    name: String,
    call: bool,
    quoted: bool,
}

/// Every word of `sql` in order; single-quoted strings and numbers are skipped.
fn words(sql: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let chars: Vec<char> = sql.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' || c == '"' {
            i += 1;
            let start = i;
            while i < chars.len() && chars[i] != c {
                i += 1;
            }
            if c == '"' {
                out.push(Word {
                    name: chars[start..i.min(chars.len())].iter().collect(),
                    call: false,
                    quoted: true,
                });
            }
            i += 1;
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let call = chars[i..].iter().find(|c| !c.is_whitespace()) == Some(&'(');
            out.push(Word {
                name: chars[start..i].iter().collect(),
                call,
                quoted: false,
            });
        } else if c.is_ascii_digit() || c == '.' {
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '.') {
                i += 1;
            }
        } else {
            i += 1;
        }
    }
    out
}

/// Bare identifiers in an SQL condition (outside quotes, not keywords, not functions) and
/// double-quoted ones: the columns it needs. Used to name a misspelt column before polars does.
fn identifiers(sql: &str) -> Vec<String> {
    const KEYWORDS: &[&str] = &[
        "and", "or", "not", "in", "is", "null", "true", "false", "between", "like", "ilike",
        "case", "when", "then", "else", "end", "as", "cast", "double", "float", "int", "integer",
        "varchar", "text", "select", "from", "where",
    ];
    let mut out: Vec<String> = words(sql)
        .into_iter()
        .filter(|w| {
            w.quoted || (!w.call && !KEYWORDS.contains(&w.name.to_ascii_lowercase().as_str()))
        })
        .map(|w| w.name)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Single-quoted string literals of `sql` (`''` is a quote inside one).
fn string_literals(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\'' {
            continue;
        }
        let mut lit = String::new();
        loop {
            match chars.next() {
                Some('\'') if chars.peek() == Some(&'\'') => {
                    chars.next();
                    lit.push('\'');
                }
                Some('\'') | None => break,
                Some(d) => lit.push(d),
            }
        }
        out.push(lit);
    }
    out
}

impl Rule {
    /// What makes a rule's result suspicious, for a warning: it stops no patient or every
    /// patient of `stops` (one per row of `table`), or it compares a text column with a word
    /// that is none of its levels (`sex = 'm'` where the levels are F, M), with the levels.
    pub fn warnings(&self, table: &Table, stops: &[bool], used: RuleUse) -> Vec<String> {
        let (kind, rows) = match used {
            RuleUse::Rule => ("rule", "patients"),
            RuleUse::Trigger => ("trigger", "visits"),
        };
        let mut out = Vec::new();
        let n = stops.len();
        let k = stops.iter().filter(|s| **s).count();
        if n > 0 && (k == 0 || k == n) {
            out.push(format!(
                "{kind} '{}' ({}) is true for {} of the {n} {rows}: it cannot tell them apart; check its columns and values",
                self.name,
                self.sql,
                if k == 0 { "none" } else { "all" }
            ));
        }
        let text_columns: Vec<(&str, Vec<&str>)> = identifiers(&self.sql)
            .into_iter()
            .filter_map(|c| {
                let j = table.index(&c)?;
                match &table.columns[j] {
                    Column::Text(v) => {
                        let mut levels: Vec<&str> =
                            v.iter().flatten().map(|s| s.as_str()).collect();
                        levels.sort_unstable();
                        levels.dedup();
                        Some((table.names[j].as_str(), levels))
                    }
                    Column::Num(_) => None,
                }
            })
            .collect();
        if text_columns.is_empty() {
            return out;
        }
        for lit in string_literals(&self.sql) {
            if text_columns.iter().any(|(_, l)| l.contains(&lit.as_str())) {
                continue;
            }
            // name the column whose levels differ from the word by case only, else all
            let near = text_columns
                .iter()
                .find(|(_, l)| l.iter().any(|v| v.eq_ignore_ascii_case(&lit)));
            let shown: Vec<String> = near
                .into_iter()
                .chain(if near.is_none() {
                    text_columns.iter().collect()
                } else {
                    Vec::new()
                })
                .map(|(c, l)| {
                    let mut l: Vec<&str> = l.iter().take(12).copied().collect();
                    if l.len() == 12 {
                        l.push("...");
                    }
                    format!("{c}: {}", l.join(", "))
                })
                .collect();
            out.push(format!(
                "{kind} '{}' compares with '{lit}', which is not a value of {} (levels are case-sensitive{})",
                self.name,
                shown.join("; "),
                if near.is_some() { "; the case differs" } else { "" }
            ));
        }
        out
    }
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
            lines: Vec::new(),
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
    fn string_literals_unescape_quotes() {
        assert_eq!(
            string_literals("a = 'x' OR b IN ('it''s', '') AND c = 'y"),
            ["x", "it's", "", "y"]
        );
    }

    #[test]
    fn identifiers_skip_strings_keywords_and_functions() {
        assert_eq!(
            identifiers("bpa_months >= 24 AND response IN ('sCR') AND abs(ctx_ng_ml) < 1.5e0"),
            ["bpa_months", "ctx_ng_ml", "response"]
        );
    }
}
