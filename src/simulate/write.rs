//! CSV output of a simulated cohort, written atomically (temp file in the target folder,
//! then rename), with a fixed number of decimals so files are byte-for-byte reproducible.

use std::fs;
use std::io::{BufWriter, Write};
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

/// Write `cohort.csv`, `visits.csv` and `truth.csv` into `dir` (created if missing). Each
/// file is written to a temporary file in `dir` and renamed into place, so a failure never
/// leaves a half-written file under the final name.
///
/// # Errors
/// [`SimError::Io`] naming the folder or file that could not be written.
pub fn write_csvs(out: &SimOutput, dir: &Path) -> Result<(), SimError> {
    fs::create_dir_all(dir).map_err(|source| SimError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    write_atomic(dir, "cohort.csv", |w| {
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
    write_atomic(dir, "visits.csv", |w| {
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
    write_atomic(dir, "truth.csv", |w| {
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
    })
}

fn write_atomic<F>(dir: &Path, name: &str, body: F) -> Result<(), SimError>
where
    F: FnOnce(&mut BufWriter<&mut fs::File>) -> std::io::Result<()>,
{
    let path = dir.join(name);
    let io_err = |source| SimError::Io {
        path: path.clone(),
        source,
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(io_err)?;
    {
        let mut w = BufWriter::with_capacity(1 << 16, tmp.as_file_mut());
        body(&mut w).map_err(io_err)?;
        w.flush().map_err(io_err)?;
    }
    tmp.as_file().sync_all().map_err(io_err)?;
    // tempfile creates 0600 files; results are ordinary shareable files.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o644)).map_err(io_err)?;
    }
    tmp.persist(&path).map_err(|e| io_err(e.error))?;
    Ok(())
}
