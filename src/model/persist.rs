//! `model.json`: the fitted model as a versioned JSON file (DESIGN.md section 4).
//!
//! Layout: `format_version`, `formula`, `outcome`, `terms` (each with `variable`, `transform`,
//! `knots`, `levels`, `columns`), `coefficients` (`{name, estimate, std_error, z, p_value,
//! odds_ratio, ci_low, ci_high}`, the interval being that of the odds ratio), `penalty`, `n`,
//! `events`, `n_dropped_missing`, `missing_by_column`, `converged`, `iterations`,
//! `log_likelihood`, `null_log_likelihood`, `lr_chi2`, `df`, `training_summary` (per-column
//! means, sd, quantiles or level counts). Never row-level data.
//!
//! Reading checks the version first, then the structure, then that the terms and coefficients
//! agree, so a wrong or damaged file gets a clear message instead of wrong scores.

use std::path::Path;

use crate::error::{Error, Problem, Result};
use crate::model::fit::{Model, FORMAT_VERSION, MIN_FORMAT_VERSION};

/// The model as pretty-printed JSON.
///
/// # Errors
/// [`Error::Analysis`] if serialisation fails (it does not for models built by this crate).
pub fn to_json(model: &Model) -> Result<String> {
    serde_json::to_string_pretty(model)
        .map(|s| s + "\n")
        .map_err(|e| Error::Analysis(format!("could not serialise the model: {e}")))
}

/// Write `model.json` atomically (temporary file in the same folder, then rename).
///
/// # Errors
/// [`Error::Io`] when the folder cannot be written.
pub fn save(model: &Model, path: &Path) -> Result<()> {
    let text = to_json(model)?;
    crate::io::write_string_atomic(path, &text)
}

/// Read a model written by [`save`].
///
/// # Errors
/// [`Error::Io`] when the file cannot be read; [`Error::InvalidInput`] (exit code 2) when it is
/// not JSON, has no or another `format_version`, misses fields, or its terms and coefficients
/// disagree.
pub fn load(path: &Path) -> Result<Model> {
    use std::io::Read;
    let source = path.display().to_string();
    let max = crate::limits::MAX_MODEL_FILE_BYTES;
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    // read at most one byte past the cap: a huge or endless file is refused, not slurped
    let mut bytes = Vec::new();
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    if bytes.len() as u64 > max {
        return Err(Error::one(Problem::file_level(
            &source,
            format!(
                "a model file of at most {} MB (a model holds aggregates only, a few kB), but this file is larger: it is not a model written by `mbdrisk fit`",
                max >> 20
            ),
        )));
    }
    let text = String::from_utf8(bytes).map_err(|_| {
        Error::one(Problem::file_level(
            &source,
            "a model file written by `mbdrisk fit` (UTF-8 JSON), but it has bytes that are not UTF-8",
        ))
    })?;
    from_json(&text, &source)
}

/// Paths of the keys of `input` that `known` (the model written back) lacks; keys whose value
/// is `null` are skipped (optional fields are written as absent).
fn unknown_fields(
    input: &serde_json::Value,
    known: &serde_json::Value,
    path: &str,
    out: &mut Vec<String>,
) {
    use serde_json::Value;
    match (input, known) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                let here = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match b.get(k) {
                    Some(w) => unknown_fields(v, w, &here, out),
                    None if v.is_null() => {}
                    None => out.push(here),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for (i, (v, w)) in a.iter().zip(b).enumerate() {
                unknown_fields(v, w, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// Parse a model from JSON text; `source` names the file in messages.
///
/// # Errors
/// As [`load`].
pub fn from_json(text: &str, source: &str) -> Result<Model> {
    let bad = |what: String| Error::one(Problem::file_level(source, what));
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        bad(format!(
            "a model file written by `mbdrisk fit`, but it is not valid JSON ({e})"
        ))
    })?;
    let version = value.get("format_version").cloned().ok_or_else(|| {
        bad("a model file written by `mbdrisk fit`, but it has no format_version".into())
    })?;
    match version.as_u64() {
        Some(v) if (u64::from(MIN_FORMAT_VERSION)..=u64::from(FORMAT_VERSION)).contains(&v) => {}
        Some(v) if v > u64::from(FORMAT_VERSION) => {
            return Err(bad(format!(
                "model format_version {FORMAT_VERSION}, but the file has version {v}: it was written by a newer mbdrisk; upgrade to read it"
            )))
        }
        _ => {
            return Err(bad(format!(
                "model format_version {FORMAT_VERSION}, but the file has {version}"
            )))
        }
    }
    // versions 1 and 2 have no family: logistic, or landmark with a `dynamic` section
    let mut value = value;
    if version.as_u64().is_some_and(|v| v < 3) {
        if let Some(obj) = value.as_object_mut() {
            let family = if obj.get("dynamic").is_some_and(|d| !d.is_null()) {
                "landmark"
            } else {
                "logistic"
            };
            obj.entry("family")
                .or_insert_with(|| serde_json::Value::String(family.into()));
        }
    }
    let model: Model = serde_json::from_value(value.clone())
        .map_err(|e| bad(format!("a complete model file, but it is damaged ({e})")))?;
    let known = serde_json::to_value(&model)
        .map_err(|e| bad(format!("a model that can be written back ({e})")))?;
    let mut unknown = Vec::new();
    unknown_fields(&value, &known, "", &mut unknown);
    if !unknown.is_empty() {
        let shown: Vec<&str> = unknown.iter().take(5).map(String::as_str).collect();
        return Err(bad(format!(
            "only the fields of a model file, but it has {} unknown field{} ({}{}): it was edited or written by another program",
            unknown.len(),
            if unknown.len() == 1 { "" } else { "s" },
            shown.join(", "),
            if unknown.len() > 5 { ", ..." } else { "" }
        )));
    }
    if model.events > model.n {
        return Err(bad(format!(
            "a model fitted on n rows with at most n events, but it says n = {} and events = {}: it is damaged or was edited",
            model.n, model.events
        )));
    }
    if let Some(cox) = model.family.cox() {
        check_baseline(cox, model.design.time.is_some()).map_err(bad)?;
    }
    let want = model.coefficient_names();
    let got: Vec<&str> = model.coefficients.iter().map(|c| c.name.as_str()).collect();
    if got != want {
        return Err(bad(format!(
            "coefficients named after the terms ({}), but the file has ({}): it is damaged or was edited",
            want.join(", "),
            got.join(", ")
        )));
    }
    model
        .scorer()
        .map_err(|e| bad(format!("a consistent model file ({e})")))?;
    Ok(model)
}

/// A Cox model's baseline must be what `mbdrisk fit` writes: one curve per stratum, times
/// increasing, cumulative hazards finite and not decreasing, at least 5 at risk everywhere.
fn check_baseline(
    cox: &crate::model::cox::CoxSpec,
    has_time: bool,
) -> std::result::Result<(), String> {
    let damaged = |what: String| {
        format!("a Cox model with a consistent baseline, but {what}: it is damaged or was edited")
    };
    if !has_time {
        return Err(damaged("it names no time column".into()));
    }
    let n_strata = cox.strata.as_ref().map_or(1, |s| s.levels.len());
    if cox.baseline.len() != n_strata {
        return Err(damaged(format!(
            "it has {} baseline curves for {n_strata} strata",
            cox.baseline.len()
        )));
    }
    if !cox.centre.is_finite() {
        return Err(damaged("its centre is not a number".into()));
    }
    for (k, b) in cox.baseline.iter().enumerate() {
        let which = b.stratum.clone().unwrap_or_else(|| k.to_string());
        if b.times.len() != b.cumhaz.len() || b.times.len() != b.n_risk.len() {
            return Err(damaged(format!(
                "curve {which} has lists of different lengths"
            )));
        }
        if b.times.is_empty() {
            return Err(damaged(format!("curve {which} is empty")));
        }
        let increasing = b.times.windows(2).all(|w| w[0] < w[1]);
        let hazards = b.cumhaz.iter().all(|h| h.is_finite() && *h >= 0.0)
            && b.cumhaz.windows(2).all(|w| w[0] <= w[1]);
        if !increasing || !b.times.iter().all(|t| t.is_finite()) || !hazards {
            return Err(damaged(format!(
                "curve {which} is not a cumulative hazard over increasing times"
            )));
        }
        if b.n_risk.iter().any(|&r| r < crate::privacy::MIN_CELL) {
            return Err(damaged(format!(
                "curve {which} has times with fewer than {} at risk (a model file never describes so few patients)",
                crate::privacy::MIN_CELL
            )));
        }
    }
    Ok(())
}
