//! The MM cohort and visits schemas (DESIGN.md section 2) and their plausibility ranges.
//!
//! Every range and level set lives here, so a reviewer can check them against CLINICAL.md in one
//! place.

/// What a column holds and which values are acceptable.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// Patient identifier: non-empty text, unique in the cohort file.
    Id,
    /// Reference to a patient identifier (visits): non-empty text, repeats allowed.
    PatientRef,
    /// A number within `[min, max]`; outside it the value is rejected with `hint`.
    Number {
        min: f64,
        max: f64,
        unit: &'static str,
        hint: Option<&'static str>,
    },
    /// 0 or 1.
    Binary,
    /// One of a fixed set of labels (case-sensitive).
    Level(&'static [&'static str]),
}

/// One column of a schema.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ColumnSpec {
    /// Column name as in the file header.
    pub name: &'static str,
    /// Accepted values.
    pub kind: Kind,
    /// Whether a file without this column is rejected (otherwise a warning).
    pub required: bool,
    /// Whether an empty cell is accepted.
    pub nullable: bool,
}

const fn num(
    name: &'static str,
    min: f64,
    max: f64,
    unit: &'static str,
    hint: Option<&'static str>,
) -> ColumnSpec {
    ColumnSpec {
        name,
        kind: Kind::Number {
            min,
            max,
            unit,
            hint,
        },
        required: false,
        nullable: true,
    }
}

const fn level(name: &'static str, levels: &'static [&'static str]) -> ColumnSpec {
    ColumnSpec {
        name,
        kind: Kind::Level(levels),
        required: false,
        nullable: true,
    }
}

const fn required(spec: ColumnSpec) -> ColumnSpec {
    ColumnSpec {
        required: true,
        nullable: false,
        ..spec
    }
}

/// Levels of `response`, deepest first.
pub const RESPONSE_LEVELS: &[&str] = &["sCR", "CR", "VGPR", "PR", "SD"];
/// Levels of `mrd`.
pub const MRD_LEVELS: &[&str] = &["negative", "positive"];
/// Levels of `ctdna`.
pub const CTDNA_LEVELS: &[&str] = &["detected", "not_detected"];
/// Levels of `pet`.
pub const PET_LEVELS: &[&str] = &["CMR", "non_CMR"];
/// Levels of `agent`.
pub const AGENT_LEVELS: &[&str] = &["zoledronic_acid", "pamidronate", "denosumab"];

/// CTX-I above this (ng/mL) is almost surely pg/mL entered as ng/mL (CLINICAL.md).
pub const CTX_MAX_NG_ML: f64 = 5.0;
const CTX_HINT: &str = "CTX-I above 5 ng/mL looks like pg/mL: divide by 1000 to get ng/mL";
const P1NP_HINT: &str =
    "P1NP above 2000 ng/mL (= ug/L) is implausible: check the unit (pg/mL? nmol/L?)";
const EGFR_HINT: &str = "eGFR is in mL/min/1.73 m2; values above 200 are not physiological";
const AGE_HINT: &str = "age in years at the decision point; check for birth year or months";
const TIME_HINT: &str = "months from the decision point to the event or censoring; \
                         negative means a date mix-up, above 600 looks like days";

/// Columns of the cohort file, one row per patient at the decision point.
pub const COHORT: &[ColumnSpec] = &[
    required(ColumnSpec {
        name: "patient_id",
        kind: Kind::Id,
        required: true,
        nullable: false,
    }),
    num("age", 18.0, 105.0, "years", Some(AGE_HINT)),
    level("sex", &["F", "M"]),
    num("egfr", 0.0, 200.0, "mL/min/1.73 m2", Some(EGFR_HINT)),
    level("iss_stage", &["I", "II", "III"]),
    level("cyto_risk", &["standard", "high"]),
    level("agent", AGENT_LEVELS),
    num("bpa_months", 0.0, 240.0, "months", None),
    level("response", RESPONSE_LEVELS),
    ColumnSpec {
        name: "prior_sre",
        kind: Kind::Binary,
        required: false,
        nullable: true,
    },
    num("ctx_ng_ml", 0.0, CTX_MAX_NG_ML, "ng/mL", Some(CTX_HINT)),
    num("p1np_ng_ml", 0.0, 2000.0, "ng/mL", Some(P1NP_HINT)),
    level("mrd", MRD_LEVELS),
    level("ctdna", CTDNA_LEVELS),
    level("pet", PET_LEVELS),
    required(num("time_months", 0.0, 600.0, "months", Some(TIME_HINT))),
    required(ColumnSpec {
        name: "event",
        kind: Kind::Binary,
        required: true,
        nullable: false,
    }),
    ColumnSpec {
        name: "event_24m",
        kind: Kind::Binary,
        required: false,
        nullable: true,
    },
];

/// Columns of the visits file, one row per patient-visit after the decision point.
pub const VISITS: &[ColumnSpec] = &[
    required(ColumnSpec {
        name: "patient_id",
        kind: Kind::PatientRef,
        required: true,
        nullable: false,
    }),
    required(num(
        "month",
        0.0,
        600.0,
        "months",
        Some("months after the decision point; a visit before month 0 belongs to the cohort row"),
    )),
    num("ctx_ng_ml", 0.0, CTX_MAX_NG_ML, "ng/mL", Some(CTX_HINT)),
    num("p1np_ng_ml", 0.0, 2000.0, "ng/mL", Some(P1NP_HINT)),
    level("mrd", MRD_LEVELS),
    level("ctdna", CTDNA_LEVELS),
    level("pet", PET_LEVELS),
];

/// Reference range of CTX-I (ng/mL) used by the `triad` rule: adult upper limit (CLINICAL.md).
pub const CTX_REFERENCE_UPPER_NG_ML: f64 = 0.8;
/// Least significant change between two CTX-I measurements (IOF/ECTS), as a fraction.
pub const CTX_LSC: f64 = 0.56;
/// Least significant change between two P1NP measurements (IOF/ECTS), as a fraction.
pub const P1NP_LSC: f64 = 0.38;
