//! The study description: which of a cohort's own columns play which role, and the words the
//! outputs use for its event and decision.
//!
//! A study is described by flags (`--id`, `--time`, `--event`, `--visit-time`,
//! `--event-name`, ...) or by a study file (`--study study.toml`, written by `mbdrisk init`);
//! the two are equivalent and flags win. What neither says is decided from the cohort's header:
//!
//! - the **MM profile** (the myeloma schema of `data/README.md`, its plausibility checks and
//!   words) applies when the cohort has at least [`MM_COLUMNS_FOR_PROFILE`] columns only a
//!   myeloma cohort has (`ctx_ng_ml`, `mrd`, `bpa_months`, `response`, ...: not age, sex, time
//!   or event), or one of them next to the MM identifier, time and event columns, under the
//!   study's names (`[columns]` maps an MM role to a cohort's own column:
//!   `ctx_ng_ml = "CTX"`); its identifier, time and event columns are then required;
//! - otherwise the **generic profile**: the identifier, time and event columns are the study's
//!   (time and event are optional: a cohort with a binary outcome needs neither), every other
//!   column is read by type inference, and only columns mapped to MM roles get the MM checks.
//!
//! `profile = "mm"` or `"generic"` in the study file forces one.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::cohort::schema::{self, ColumnSpec, Kind};
use crate::error::{Error, Problem, Result};

/// Which defaults and checks apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// The multiple-myeloma schema: its columns, plausibility ranges and words.
    Mm,
    /// Any cohort: identifier, optional time and event, everything else by inference.
    Generic,
}

/// A plausibility range of a numeric column (`[ranges] age = { min = 18, max = 110 }`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Range {
    /// Smallest plausible value.
    pub min: f64,
    /// Largest plausible value.
    pub max: f64,
}

/// What a study file or the flags say; anything left out is decided from the header
/// ([`Study::resolve`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudyFile {
    /// `mm` or `generic`; decided from the header when absent.
    pub profile: Option<Profile>,
    /// Patient identifier column, in the cohort and the visits file.
    pub id: Option<String>,
    /// Follow-up time column (months from the decision point to the event or censoring).
    pub time: Option<String>,
    /// Event indicator column (1 = event, 0 = censored).
    pub event: Option<String>,
    /// Visit time column of the visits file (months after the decision point).
    pub visit_time: Option<String>,
    /// Unit of the time columns, in words ("months", "days").
    pub time_unit: Option<String>,
    /// The event in words, singular ("death", "relapse"); outputs add an "s" for plurals.
    pub event_name: Option<String>,
    /// What a high-risk call leads to, as a verb phrase ("treat", "continue bone protection").
    pub action: Option<String>,
    /// The horizon of the static model's outcome in words ("5-year", "24-month").
    pub horizon: Option<String>,
    /// Report title.
    pub title: Option<String>,
    /// Whether visits after a patient's event or censoring are errors (otherwise they are left
    /// out with a warning).
    pub strict: Option<bool>,
    /// MM roles played by the cohort's own columns (`ctx_ng_ml = "CTX"`).
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
    /// Plausibility ranges of numeric columns, checked by every command that reads the cohort.
    #[serde(default)]
    pub ranges: BTreeMap<String, Range>,
    /// The unit of a column in the file when it is not the MM role's (`CTX = "pg/mL"`): its
    /// values are converted to the role's unit for the checks and by every model.
    #[serde(default)]
    pub units: BTreeMap<String, String>,
}

impl StudyFile {
    /// Read a study file (TOML, at most 1 MB).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the file and what is wrong in it (syntax, unknown key,
    /// an empty name, a range with min > max, an unknown MM role).
    pub fn read(path: &Path) -> Result<Self> {
        use std::io::Read;
        let source = path.display().to_string();
        const MAX_BYTES: u64 = 1 << 20;
        let mut text = String::new();
        std::fs::File::open(path)
            .map_err(|e| Error::io(path, e))?
            .take(MAX_BYTES + 1)
            .read_to_string(&mut text)
            .map_err(|e| Error::io(path, e))?;
        if text.len() as u64 > MAX_BYTES {
            return Err(Error::one(Problem::file_level(
                &source,
                "a study file of at most 1 MB (it names columns and words; this one is larger)",
            )));
        }
        let file: StudyFile = toml::from_str(&text).map_err(|e: toml::de::Error| {
            Error::one(Problem::file_level(
                &source,
                format!(
                    "a study file (TOML; `mbdrisk init` writes a template): {}{}{}",
                    e.message(),
                    e.span()
                        .map(|r| format!(" (line {})", text[..r.start.min(text.len())].lines().count().max(1)))
                        .unwrap_or_default(),
                    if e.message().contains("expected struct Range") {
                        "; keys after a [table] header belong to that table: put top-level keys (id, time, strict, ...) before [columns] and [ranges]"
                    } else {
                        ""
                    }
                ),
            ))
        })?;
        file.check(&source)?;
        Ok(file)
    }

    /// `other` over `self`: what `other` sets wins (flags over the study file).
    #[must_use]
    pub fn overlay(mut self, other: StudyFile) -> StudyFile {
        macro_rules! take {
            ($($f:ident),*) => { $( if other.$f.is_some() { self.$f = other.$f; } )* };
        }
        take!(
            profile, id, time, event, visit_time, time_unit, event_name, action, horizon, title,
            strict
        );
        self.columns.extend(other.columns);
        self.ranges.extend(other.ranges);
        self.units.extend(other.units);
        self
    }

    /// `self` after [`StudyFile::check`]s (for descriptions built from flags).
    ///
    /// # Errors
    /// As [`StudyFile::read`], naming `source`.
    pub fn checked(self, source: &str) -> Result<Self> {
        self.check(source)?;
        Ok(self)
    }

    /// Names that are empty, roles that are not MM roles, ranges that are empty.
    fn check(&self, source: &str) -> Result<()> {
        let mut problems = Vec::new();
        let names = [
            ("id", &self.id),
            ("time", &self.time),
            ("event", &self.event),
            ("visit_time", &self.visit_time),
            ("time_unit", &self.time_unit),
            ("event_name", &self.event_name),
            ("action", &self.action),
            ("horizon", &self.horizon),
        ];
        for (key, value) in names {
            if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
                problems.push(Problem::file_level(
                    source,
                    format!("a non-empty value for '{key}'"),
                ));
            }
        }
        for (role, column) in &self.columns {
            if mm_role(role).is_none() {
                let roles: Vec<&str> = schema::COHORT.iter().map(|s| s.name).collect();
                problems.push(Problem::file_level(
                    source,
                    format!(
                        "an MM role in [columns] (one of {}), but found '{role}'",
                        roles.join(", ")
                    ),
                ));
            }
            if column.trim().is_empty() {
                problems.push(Problem::file_level(
                    source,
                    format!("a column name for the role '{role}'"),
                ));
            }
        }
        for (column, r) in &self.ranges {
            if !(r.min.is_finite() && r.max.is_finite() && r.min <= r.max) {
                problems.push(Problem::file_level(
                    source,
                    format!(
                        "a range with finite min <= max for '{column}', but found [{}, {}]",
                        r.min, r.max
                    ),
                ));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::InvalidInput(problems))
        }
    }
}

/// The MM schema's spec of a role (`ctx_ng_ml`, `mrd`, ...), if it is one.
fn mm_role(role: &str) -> Option<&'static ColumnSpec> {
    schema::COHORT
        .iter()
        .chain(schema::VISITS)
        .find(|s| s.name == role)
}

/// A study resolved against a cohort's header: every role has its column, every word its text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Study {
    /// The profile in force.
    pub profile: Profile,
    /// Identifier column.
    pub id: String,
    /// Follow-up time column, when the cohort has one.
    pub time: Option<String>,
    /// Event indicator column, when the cohort has one.
    pub event: Option<String>,
    /// Visit time column of the visits file.
    pub visit_time: String,
    /// Unit of the time columns, in words.
    pub time_unit: String,
    /// The event in words, singular.
    pub event_name: String,
    /// What a high-risk call leads to (verb phrase).
    pub action: String,
    /// The horizon of the static model's outcome in words ("24-month"); empty when unknown.
    pub horizon: String,
    /// Report title.
    pub title: String,
    /// MM role -> the cohort's column, for the roles present (identity in the MM profile).
    pub columns: BTreeMap<String, String>,
    /// Plausibility ranges by column.
    pub ranges: BTreeMap<String, Range>,
    /// Unit conversions by column: the factor that takes the file's values to the role's unit.
    pub units: BTreeMap<String, f64>,
    /// The units the study gives, as written (`CTX` -> `pg/mL`).
    pub unit_names: BTreeMap<String, String>,
    /// Visits after a patient's event or censoring are errors, not left out with a warning.
    pub strict: bool,
}

/// How many MM columns (under the study's names; age, sex, time and event aside) a cohort
/// needs for the MM profile to apply by default.
pub const MM_COLUMNS_FOR_PROFILE: usize = 2;

/// The MM profile's words.
const MM_EVENT: &str = "bone event";
const MM_ACTION: &str = "continue bone protection";
const MM_TITLE: &str = "stopping bone protection in multiple myeloma";
const MM_HORIZON: &str = "24-month";

impl Study {
    /// The MM profile with the MM schema's names (what every command assumed before studies).
    pub fn mm() -> Study {
        Study {
            profile: Profile::Mm,
            id: "patient_id".into(),
            time: Some("time_months".into()),
            event: Some("event".into()),
            visit_time: "month".into(),
            time_unit: "months".into(),
            event_name: MM_EVENT.into(),
            action: MM_ACTION.into(),
            horizon: MM_HORIZON.into(),
            title: MM_TITLE.into(),
            columns: schema::COHORT
                .iter()
                .chain(schema::VISITS)
                .filter(|s| !matches!(s.kind, Kind::Id | Kind::PatientRef))
                .filter(|s| !["time_months", "event", "month"].contains(&s.name))
                .map(|s| (s.name.to_string(), s.name.to_string()))
                .collect(),
            ranges: BTreeMap::new(),
            units: BTreeMap::new(),
            unit_names: BTreeMap::new(),
            strict: false,
        }
    }

    /// Resolve `file` (study file and flags) against the header `names` of the cohort.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] (row 1 of `source`) when a column the study names is not in the
    /// header, with the nearest name and the flag that sets it.
    pub fn resolve(file: &StudyFile, names: &[String], source: &str) -> Result<Study> {
        let has = |n: &str| names.iter().any(|m| m == n);
        // an MM role's column: the mapping, else the role's own name
        let column_of = |role: &str| -> String {
            file.columns
                .get(role)
                .cloned()
                .unwrap_or_else(|| role.to_string())
        };
        let id = file.id.clone().unwrap_or_else(|| "patient_id".into());
        let time_default = column_of("time_months");
        let event_default = column_of("event");
        // columns only a myeloma cohort has (not age, sex, time or event)
        // (each role once: the markers are in both schemas)
        let mut mm_roles: Vec<&str> = schema::COHORT
            .iter()
            .chain(schema::VISITS)
            .filter(|s| !matches!(s.kind, Kind::Id | Kind::PatientRef))
            .filter(|s| !["age", "sex", "time_months", "event", "month"].contains(&s.name))
            .filter(|s| has(&column_of(s.name)))
            .map(|s| s.name)
            .collect();
        mm_roles.sort_unstable();
        mm_roles.dedup();
        let mm_columns = mm_roles.len();
        // the MM schema's own identifier, time and event names make one MM column enough
        let mm_names = has(&id) && has(&time_default) && has(&event_default);
        let enough = if mm_names { 1 } else { MM_COLUMNS_FOR_PROFILE };
        let profile = file.profile.unwrap_or(if mm_columns >= enough {
            Profile::Mm
        } else {
            Profile::Generic
        });
        let mut problems = Vec::new();
        let mut need = |name: &str, flag: &str, what: &str| {
            if !has(name) {
                let near = crate::table::did_you_mean(name, names);
                let mut p = Problem::file_level(
                    source,
                    match near {
                        Some(n) => format!(
                            "a {what} column '{name}' (found '{n}': rename it, or say {flag} {n})"
                        ),
                        None => format!(
                            "a {what} column '{name}' (name the file's own with {flag} COL or in a study file)"
                        ),
                    },
                );
                p.row = Some(1);
                p.column = Some(name.to_string());
                problems.push(p);
            }
        };
        let (time, event) = match profile {
            Profile::Mm => (
                Some(file.time.clone().unwrap_or_else(|| time_default.clone())),
                Some(file.event.clone().unwrap_or_else(|| event_default.clone())),
            ),
            // optional in the generic profile: named ones must exist, defaults only if present
            Profile::Generic => (
                file.time
                    .clone()
                    .or_else(|| has(&time_default).then(|| time_default.clone())),
                file.event
                    .clone()
                    .or_else(|| has(&event_default).then(|| event_default.clone())),
            ),
        };
        // the MM schema check names absent MM columns itself (with its near misses)
        if profile == Profile::Generic {
            need(&id, "--id", "patient identifier");
            if let Some(t) = &time {
                need(t, "--time", "follow-up time");
            }
            if let Some(e) = &event {
                need(e, "--event", "event");
            }
            if time.is_some() != event.is_some() {
                problems.push(Problem::file_level(
                    source,
                    format!(
                        "both a follow-up time and an event column, or neither, but found only {}: name the other with {}",
                        time.as_deref().or(event.as_deref()).unwrap_or_default(),
                        if time.is_some() { "--event COL" } else { "--time COL" }
                    ),
                ));
            }
        }
        // a unit is the unit of a column mapped to a role that has one
        let role_of = |column: &str| -> Option<String> {
            file.columns
                .iter()
                .find(|(_, c)| c.as_str() == column)
                .map(|(r, _)| r.clone())
                .or_else(|| mm_role(column).map(|s| s.name.to_string()))
        };
        let mut units = BTreeMap::new();
        for (column, unit) in &file.units {
            match role_of(column).as_deref().map(|r| (r, unit_factor(r, unit))) {
                Some((_, Some(f))) => {
                    units.insert(column.clone(), f);
                }
                Some((role, None)) => problems.push(Problem::file_level(
                    source,
                    match unit_names(role).as_slice() {
                        [] => format!("no unit for '{column}': its role '{role}' has none to convert to"),
                        names => format!(
                            "a unit of the role '{role}' for '{column}' ({}), but found '{unit}'",
                            names.join(", ")
                        ),
                    },
                )),
                None => problems.push(Problem::file_level(
                    source,
                    format!(
                        "a unit only for a column mapped to an MM role (--map ROLE=COL), but '{column}' plays none"
                    ),
                )),
            }
        }
        if time.is_some() && time == event {
            problems.push(Problem::file_level(
                source,
                format!(
                    "different columns for the follow-up time and the event, but both are '{}'",
                    time.as_deref().unwrap_or_default()
                ),
            ));
        }
        // what the study names must exist: a typo would silently drop a check
        for (role, column) in &file.columns {
            if matches!(
                role.as_str(),
                "patient_id" | "time_months" | "event" | "month"
            ) {
                problems.push(Problem::file_level(
                    source,
                    format!(
                        "the identifier, time, event and visit time set by their own keys (id, time, event, visit_time; --id, --time, --event, --visit-time), not as the role '{role}' in [columns] / --map"
                    ),
                ));
            } else if !has(column)
                && mm_role(role).is_some_and(|s| schema::VISITS.iter().all(|v| v.name != s.name))
            {
                let mut p = Problem::file_level(
                    source,
                    format!(
                        "the column '{column}' that the study maps to the role '{role}'{}",
                        crate::table::did_you_mean(column, names)
                            .map_or(String::new(), |n| format!(" (found '{n}')"))
                    ),
                );
                p.row = Some(1);
                p.column = Some(column.clone());
                problems.push(p);
            }
        }
        let mut targets: Vec<&String> = file.columns.values().collect();
        targets.sort_unstable();
        if let Some(w) = targets.windows(2).find(|w| w[0] == w[1]) {
            problems.push(Problem::file_level(
                source,
                format!("one role per column, but '{}' is mapped to two roles", w[0]),
            ));
        }
        if !problems.is_empty() {
            return Err(Error::InvalidInput(problems));
        }
        let columns: BTreeMap<String, String> = match profile {
            Profile::Mm => Study::mm()
                .columns
                .into_keys()
                .map(|role| {
                    let c = column_of(&role);
                    (role, c)
                })
                .collect(),
            Profile::Generic => file
                .columns
                .iter()
                .filter(|(role, _)| !matches!(role.as_str(), "time_months" | "event" | "month"))
                .map(|(r, c)| (r.clone(), c.clone()))
                .collect(),
        };
        let (event_name, action, title) = match profile {
            Profile::Mm => (MM_EVENT, MM_ACTION, MM_TITLE),
            Profile::Generic => ("event", "treat", ""),
        };
        let event_name = file.event_name.clone().unwrap_or_else(|| event_name.into());
        let title = file.title.clone().unwrap_or_else(|| {
            if title.is_empty() {
                format!("risk of {event_name}")
            } else {
                title.into()
            }
        });
        let time_unit = file
            .time_unit
            .clone()
            .unwrap_or_else(|| time_unit_of(profile, time.as_deref()));
        Ok(Study {
            profile,
            id,
            time,
            event,
            visit_time: file
                .visit_time
                .clone()
                .or_else(|| file.columns.get("month").cloned())
                .unwrap_or_else(|| "month".into()),
            time_unit,
            event_name,
            action: file.action.clone().unwrap_or_else(|| action.into()),
            horizon: file.horizon.clone().unwrap_or_else(|| {
                match profile {
                    Profile::Mm => MM_HORIZON,
                    Profile::Generic => "",
                }
                .into()
            }),
            title,
            columns,
            ranges: file.ranges.clone(),
            units,
            unit_names: file.units.clone(),
            strict: file.strict.unwrap_or(false),
        })
    }

    /// [`Study::resolve`], or, for a file that need not have the study's columns (a file of
    /// predictions to validate), the words of `file` under the profile the header suggests.
    pub fn resolve_words(file: &StudyFile, names: &[String], source: &str) -> Study {
        Study::resolve(file, names, source).unwrap_or_else(|_| {
            let lenient = StudyFile {
                id: names.first().cloned(),
                time: None,
                event: None,
                ..file.clone()
            };
            Study::resolve(&lenient, names, source).unwrap_or_else(|_| Study::mm())
        })
    }

    /// Time units per year, for patient-years: 12 for months, 365.25 for days, 52.18 for
    /// weeks, 1 for years; NaN for a unit it does not know.
    pub fn per_year(&self) -> f64 {
        let u = self.time_unit.to_ascii_lowercase();
        if u.starts_with("month") {
            12.0
        } else if u.starts_with("day") {
            365.25
        } else if u.starts_with("week") {
            365.25 / 7.0
        } else if u.starts_with("year") {
            1.0
        } else {
            f64::NAN
        }
    }

    /// The event in words, plural ("bone events", "deaths").
    pub fn events_word(&self) -> String {
        plural(&self.event_name)
    }

    /// Whether this is the MM profile.
    pub fn is_mm(&self) -> bool {
        self.profile == Profile::Mm
    }

    /// The cohort's column playing MM role `role`, if the study has one.
    pub fn column(&self, role: &str) -> Option<&str> {
        self.columns.get(role).map(String::as_str)
    }

    /// The checks of the cohort file under this study, as (column of the file, MM spec it is
    /// checked by): the MM schema under the study's names (MM profile), or the identifier,
    /// time, event and mapped MM roles (generic); plus a number check for every range.
    pub fn cohort_schema(&self) -> Vec<(String, ColumnSpec)> {
        self.schema(schema::COHORT)
    }

    /// The checks of the visits file under this study (see [`Study::cohort_schema`]).
    pub fn visits_schema(&self) -> Vec<(String, ColumnSpec)> {
        self.schema(schema::VISITS)
    }

    fn schema(&self, mm: &[ColumnSpec]) -> Vec<(String, ColumnSpec)> {
        let mut out: Vec<(String, ColumnSpec)> = Vec::new();
        for spec in mm {
            let name = match spec.name {
                "patient_id" => Some(self.id.clone()),
                "time_months" => self.time.clone(),
                "event" => self.event.clone(),
                "month" => Some(self.visit_time.clone()),
                role => match self.profile {
                    Profile::Mm => Some(self.column(role).unwrap_or(role).to_string()),
                    Profile::Generic => self.column(role).map(str::to_string),
                },
            };
            let Some(name) = name else { continue };
            let mut spec = *spec;
            if self.profile == Profile::Generic && matches!(spec.name, "time_months" | "month") {
                // any time unit and length: only negative times are refused
                spec.kind = Kind::Number {
                    min: 0.0,
                    max: f64::MAX,
                    unit: "",
                    hint: Some(if spec.name == "month" {
                        "the time of the visit since the start of follow-up"
                    } else {
                        "time from the start of follow-up to the event or censoring"
                    }),
                };
            }
            out.push((name, spec));
        }
        // a column in another unit is checked against the role's range in its own unit
        for (name, spec) in &mut out {
            if let (
                Some(&f),
                Kind::Number {
                    min,
                    max,
                    unit,
                    hint,
                },
            ) = (self.units.get(name.as_str()), &mut spec.kind)
            {
                *min /= f;
                *max /= f;
                *unit = "";
                *hint =
                    Some("the role's plausible range, in the unit the study gives for this column");
            }
        }
        for (column, r) in &self.ranges {
            match out.iter_mut().find(|(n, _)| n == column) {
                Some((_, spec)) => {
                    if let Kind::Number { min, max, .. } = &mut spec.kind {
                        *min = r.min;
                        *max = r.max;
                    }
                }
                None => out.push((
                    column.clone(),
                    ColumnSpec {
                        name: "",
                        kind: Kind::Number {
                            min: r.min,
                            max: r.max,
                            unit: "",
                            hint: Some("the plausibility range the study file gives"),
                        },
                        required: false,
                        nullable: true,
                    },
                )),
            }
        }
        out
    }
}

/// The time unit of a study whose time column's name gives none and that names none.
pub const GENERIC_TIME_UNIT: &str = "time units";

/// The unit of the time columns when the study does not say: months in the MM profile; else
/// the unit the time column's name gives (`time_months`, `days`, ...), or "time units".
fn time_unit_of(profile: Profile, time: Option<&str>) -> String {
    if profile == Profile::Mm {
        return "months".into();
    }
    let name = time.unwrap_or_default().to_ascii_lowercase();
    ["month", "day", "week", "year"]
        .iter()
        .find(|u| name.contains(*u))
        .map_or_else(|| GENERIC_TIME_UNIT.to_string(), |u| format!("{u}s"))
}

/// The units an MM role's column may come in, with the factor to the role's own unit.
const UNITS: &[(&str, &[(&str, f64)])] = &[
    (
        "ctx_ng_ml",
        &[
            ("ng/mL", 1.0),
            ("ug/L", 1.0),
            ("µg/L", 1.0),
            ("pg/mL", 0.001),
            ("ng/L", 0.001),
        ],
    ),
    (
        "p1np_ng_ml",
        &[
            ("ng/mL", 1.0),
            ("ug/L", 1.0),
            ("µg/L", 1.0),
            ("pg/mL", 0.001),
        ],
    ),
    (
        "bpa_months",
        &[
            ("months", 1.0),
            ("days", 12.0 / 365.25),
            ("weeks", 12.0 / 52.1775),
            ("years", 12.0),
        ],
    ),
    ("age", &[("years", 1.0), ("months", 1.0 / 12.0)]),
];

/// The factor from `unit` to the unit of `role` (`None`: not a unit of that role).
fn unit_factor(role: &str, unit: &str) -> Option<f64> {
    UNITS
        .iter()
        .find(|(r, _)| *r == role)
        .and_then(|(_, us)| us.iter().find(|(u, _)| u.eq_ignore_ascii_case(unit.trim())))
        .map(|(_, f)| *f)
}

/// The units `role` accepts.
fn unit_names(role: &str) -> Vec<&'static str> {
    UNITS
        .iter()
        .find(|(r, _)| *r == role)
        .map_or_else(Vec::new, |(_, us)| us.iter().map(|(u, _)| *u).collect())
}

/// `text` with its first letter upper case ("Death", "Time units").
pub fn capitalized(text: &str) -> String {
    let mut c = text.chars();
    c.next()
        .map_or(String::new(), |f| f.to_uppercase().chain(c).collect())
}

/// `word` in the plural: an "s" added unless it already ends in one.
pub fn plural(word: &str) -> String {
    if word.ends_with('s') {
        word.to_string()
    } else {
        format!("{word}s")
    }
}

/// A commented study file for a cohort with header `cohort` (and a visits file with header
/// `visits`): every key of [`StudyFile`], filled with the columns that look like each role
/// and left commented out where nothing does. `mbdrisk init` writes it.
pub fn template(cohort_source: &str, cohort: &[String], visits: Option<&[String]>) -> String {
    let find = |names: &[String], pick: &dyn Fn(&str) -> bool| -> Option<String> {
        names
            .iter()
            .find(|n| pick(&n.to_ascii_lowercase()))
            .cloned()
    };
    let id = find(cohort, &|n| n == "patient_id")
        .or_else(|| find(cohort, &|n| crate::design::is_identifier_name(n)));
    let time = find(cohort, &|n| n == "time_months").or_else(|| {
        find(cohort, &|n| {
            [
                "futime",
                "time",
                "fu_time",
                "followup",
                "follow_up",
                "os_months",
                "pfs_months",
            ]
            .contains(&n)
                || n.ends_with("_time")
        })
    });
    let event = find(cohort, &|n| n == "event").or_else(|| {
        find(cohort, &|n| {
            ["status", "death", "dead", "died", "fustat", "relapse"].contains(&n)
        })
    });
    let visit_time = visits.and_then(|v| {
        find(v, &|n| {
            [
                "month",
                "months",
                "visit_month",
                "time",
                "day",
                "days",
                "week",
                "year",
            ]
            .contains(&n)
        })
    });
    let mm = Study::mm();
    let lowered: Vec<String> = cohort
        .iter()
        .chain(visits.into_iter().flatten())
        .map(|n| n.to_ascii_lowercase())
        .collect();
    let all: Vec<&String> = cohort.iter().chain(visits.into_iter().flatten()).collect();
    let taken: Vec<&String> = [&id, &time, &event, &visit_time]
        .into_iter()
        .flatten()
        .collect();
    let mut roles = Vec::new();
    for role in mm.columns.keys() {
        let stem = role.split('_').next().unwrap_or(role);
        let free = |k: &usize| !taken.contains(&all[*k]);
        let exact = (0..all.len()).filter(free).find(|&k| lowered[k] == *role);
        let near = || {
            (0..all.len())
                .filter(free)
                .find(|&k| stem.len() >= 3 && lowered[k].starts_with(stem))
        };
        if let Some(k) = exact.or_else(near) {
            if !roles.iter().any(|(_, c): &(String, String)| c == all[k]) {
                roles.push((role.clone(), all[k].clone()));
            }
        }
    }
    let line = |key: &str, value: Option<&String>, fallback: &str| -> String {
        match value {
            Some(v) => format!("{key} = {}\n", toml_string(v)),
            None => format!("# {key} = \"{fallback}\"\n"),
        }
    };
    let mut out = String::new();
    out.push_str(&format!(
        "# mbdrisk study file for {cohort_source}, written by `mbdrisk init`.\n\
         # Every command takes it with --study; a flag (--id, --time, ...) wins over it.\n\
         # Keys left commented out take their defaults (the MM profile's when the MM columns\n\
         # are present, see docs/study.md).\n\n\
         # The profile: \"mm\" (myeloma schema and checks) or \"generic\"; decided from the\n\
         # header when left out.\n# profile = \"generic\"\n\n\
         # Columns of {cohort_source}: {}\n\n",
        cohort.join(", ")
    ));
    out.push_str("# Patient identifier (cohort and visits file).\n");
    out.push_str(&line("id", id.as_ref(), "patient_id"));
    out.push_str(
        "# Follow-up time (start of follow-up to the event or censoring) and event (1/0).\n",
    );
    out.push_str(&line("time", time.as_ref(), "time_months"));
    out.push_str(&line("event", event.as_ref(), "event"));
    out.push_str(&format!(
        "# Unit of the time columns, in words (check it: a name does not always say).\n# time_unit = \"{}\"\n",
        match time_unit_of(Profile::Generic, time.as_deref()).as_str() {
            GENERIC_TIME_UNIT => "months".to_string(),
            u => u.to_string(),
        }
    ));
    if let Some(v) = visits {
        out.push_str(&format!(
            "\n# Visits file columns: {}\n# Visit time column of the visits file.\n",
            v.join(", ")
        ));
        out.push_str(&line("visit_time", visit_time.as_ref(), "month"));
    }
    out.push_str(
        "\n# Words of the outputs: the event (singular), what a high-risk call leads to,\n\
         # the horizon of the static model's outcome, and the report's title.\n\
         # event_name = \"death\"\n# action = \"treat\"\n# horizon = \"5-year\"\n\
         # title = \"risk of death\"\n\n\
         # Visits after a patient's event or censoring: left out with a warning, or errors.\n\
         # strict = false\n\n\
         # MM roles played by this cohort's columns: each gets that role's checks (CTX-I in\n\
         # ng/mL, levels of MRD, ...). Roles: ",
    );
    out.push_str(&mm.columns.keys().cloned().collect::<Vec<_>>().join(", "));
    out.push_str("\n[columns]\n");
    for (role, col) in &roles {
        if role == col {
            out.push_str(&format!("# {role} = {}\n", toml_string(col)));
        } else {
            out.push_str(&format!("{role} = {}\n", toml_string(col)));
        }
    }
    out.push_str(
        "\n# Plausibility ranges of numeric columns (values outside are refused).\n[ranges]\n",
    );
    if let Some(age) = cohort.iter().find(|n| n.eq_ignore_ascii_case("age")) {
        out.push_str(&format!(
            "# {} = {{ min = 18, max = 110 }}\n",
            toml_key(age)
        ));
    } else {
        out.push_str("# age = { min = 18, max = 110 }\n");
    }
    out
}

/// `s` as a TOML basic string.
fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// `s` as a TOML key (bare when it can be).
fn toml_key(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        s.to_string()
    } else {
        toml_string(s)
    }
}
