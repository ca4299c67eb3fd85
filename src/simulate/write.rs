//! CSV output of a simulated cohort, written atomically (temp file in the target folder,
//! then rename), with a fixed number of decimals so files are byte-for-byte reproducible.

use std::io::Write;
use std::path::Path;

use super::{SimError, SimOutput};

/// Column order of `cohort.csv` (DESIGN.md section 2, contract).
pub const COHORT_COLUMNS: [&str; 18] = [
    "patient_id",
    "age",
    "sex",
    "egfr",
    "iss_stage",
    "cyto_risk",
    "agent",
    "bpa_months",
    "response",
    "prior_sre",
    "ctx_ng_ml",
    "p1np_ng_ml",
    "mrd",
    "ctdna",
    "pet",
    "time_months",
    "event",
    "event_24m",
];

/// Column order of `visits.csv` (contract).
pub const VISIT_COLUMNS: [&str; 7] = [
    "patient_id",
    "month",
    "ctx_ng_ml",
    "p1np_ng_ml",
    "mrd",
    "ctdna",
    "pet",
];

/// Column order of `truth.csv`.
pub const TRUTH_COLUMNS: [&str; 4] = ["patient_id", "month", "true_risk_24m", "true_risk_next_6m"];

fn num(x: Option<f64>, decimals: usize) -> String {
    x.map_or(String::new(), |v| format!("{v:.decimals$}"))
}

fn label(x: Option<bool>, yes: &'static str, no: &'static str) -> &'static str {
    match x {
        Some(true) => yes,
        Some(false) => no,
        None => "",
    }
}

fn flag(x: bool) -> &'static str {
    if x {
        "1"
    } else {
        "0"
    }
}

/// Write `cohort.csv`, `visits.csv` and `truth.csv` into `dir` (created if missing), as one
/// set ([`crate::io::OutputSet`]): the folder holds all three new files or the old ones.
///
/// # Errors
/// [`SimError::Io`] naming the folder or file that could not be written.
pub fn write_csvs(out: &SimOutput, dir: &Path) -> Result<(), SimError> {
    let to_sim = |e: crate::Error| match e {
        crate::Error::Io { path, source } => SimError::Io {
            path: path.into(),
            source,
        },
        other => SimError::Io {
            path: dir.to_path_buf(),
            source: std::io::Error::other(other.to_string()),
        },
    };
    // all three files or none: a failed write leaves the folder as it was
    let mut set = crate::io::OutputSet::begin(dir).map_err(to_sim)?;
    stage(&mut set, dir, "cohort.csv", |w| {
        writeln!(w, "{}", COHORT_COLUMNS.join(","))?;
        for r in &out.cohort {
            writeln!(
                w,
                "{},{},{},{:.1},{},{},{},{},{},{},{},{},{},{},{},{:.2},{},{}",
                r.patient_id,
                r.age,
                r.sex.label(),
                r.egfr,
                r.iss_stage.label(),
                r.cyto_risk.label(),
                r.agent.label(),
                r.bpa_months,
                r.response.label(),
                flag(r.prior_sre),
                num(r.ctx_ng_ml, 3),
                num(r.p1np_ng_ml, 1),
                label(r.mrd_positive, "positive", "negative"),
                label(r.ctdna_detected, "detected", "not_detected"),
                label(r.pet_non_cmr, "non_CMR", "CMR"),
                r.time_months,
                flag(r.event),
                label(r.event_24m, "1", "0"),
            )?;
        }
        Ok(())
    })?;
    stage(&mut set, dir, "visits.csv", |w| {
        writeln!(w, "{}", VISIT_COLUMNS.join(","))?;
        for v in &out.visits {
            writeln!(
                w,
                "{},{},{},{},{},{},{}",
                v.patient_id,
                v.month,
                num(v.ctx_ng_ml, 3),
                num(v.p1np_ng_ml, 1),
                label(v.mrd_positive, "positive", "negative"),
                label(v.ctdna_detected, "detected", "not_detected"),
                label(v.pet_non_cmr, "non_CMR", "CMR"),
            )?;
        }
        Ok(())
    })?;
    stage(&mut set, dir, "truth.csv", |w| {
        writeln!(w, "{}", TRUTH_COLUMNS.join(","))?;
        for t in &out.truth {
            writeln!(
                w,
                "{},{},{},{:.4}",
                t.patient_id,
                t.month,
                num(t.true_risk_24m, 4),
                t.true_risk_next_6m,
            )?;
        }
        Ok(())
    })?;
    set.commit().map_err(to_sim)
}

/// Stage one file of the set; `body` writes its lines.
fn stage<F>(set: &mut crate::io::OutputSet, dir: &Path, name: &str, body: F) -> Result<(), SimError>
where
    F: FnOnce(&mut dyn Write) -> std::io::Result<()>,
{
    let path = dir.join(name);
    set.write(name, |w| body(w).map_err(|e| crate::Error::io(&path, e)))
        .map_err(|e| SimError::Io {
            path: path.clone(),
            source: std::io::Error::other(e.to_string()),
        })
}
