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
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    from_json(&text, &path.display().to_string())
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
    let version = value.get("format_version").ok_or_else(|| {
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
    let model: Model = serde_json::from_value(value)
        .map_err(|e| bad(format!("a complete model file, but it is damaged ({e})")))?;
    let want = model.design.coefficient_names();
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
