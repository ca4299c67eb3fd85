//! Simulator parameters: the embedded defaults (`data/simulator_params.toml`, where every
//! parameter is documented with its unit and source) and the overlay of a user file.

use serde::{Deserialize, Serialize};

use super::SimError;

/// The embedded default parameter file.
pub const DEFAULT_PARAMS_TOML: &str = include_str!("../../data/simulator_params.toml");

/// All simulator parameters. Field names and meanings mirror the tables of
/// `data/simulator_params.toml` (documented there with units and CLINICAL.md source tags).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SimParams {
    /// Hazard grid.
    pub grid: GridParams,
    /// Baseline covariates at the decision point.
    pub population: PopulationParams,
    /// Latent tumour burden and relapse onset.
    pub tumour: TumourParams,
    /// Marrow MRD readout.
    pub mrd: MrdParams,
    /// ctDNA readout.
    pub ctdna: CtdnaParams,
    /// PET/CT readout.
    pub pet: PetParams,
    /// CTX-I (resorption marker).
    pub ctx: CtxParams,
    /// P1NP (formation marker).
    pub p1np: P1npParams,
    /// Bisphosphonate drug-effect curves.
    pub bisphosphonate: BisphosphonateParams,
    /// Denosumab drug-effect curve (suppression, then rebound).
    pub denosumab: DenosumabParams,
    /// Bone-event hazard.
    pub events: EventParams,
    /// Censoring.
    pub censoring: CensoringParams,
    /// Follow-up visit schedule and missingness.
    pub visits: VisitParams,
    /// Missingness of the decision-point measurements.
    pub baseline_missing: BaselineMissingParams,
}

/// Hazard grid (months).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct GridParams {
    pub dt_months: f64,
    pub horizon_months: f64,
}

/// Baseline covariates (see the parameter file for units and sources).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct PopulationParams {
    pub age_mean: f64,
    pub age_sd: f64,
    pub age_min: f64,
    pub age_max: f64,
    pub male_prob: f64,
    pub egfr_mean: f64,
    pub egfr_sd: f64,
    pub egfr_min: f64,
    pub egfr_max: f64,
    /// ISS I, II, III.
    pub iss_probs: [f64; 3],
    pub cyto_high_prob: f64,
    /// zoledronic_acid, pamidronate, denosumab.
    pub agent_probs: [f64; 3],
    pub bpa_months_min: u32,
    pub bpa_months_max: u32,
    /// sCR, CR, VGPR, PR, SD.
    pub response_probs: [f64; 5],
    /// By ISS I, II, III.
    pub prior_sre_prob_by_iss: [f64; 3],
}

/// Latent tumour burden (log10) and relapse onset.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct TumourParams {
    /// sCR, CR, VGPR, PR, SD.
    pub l0_mean_by_response: [f64; 5],
    pub l0_sd: f64,
    pub l_cap: f64,
    pub growth_months_per_log_min: f64,
    pub growth_months_per_log_max: f64,
    pub growth_high_cyto_factor: f64,
    pub onset_rate_per_month: f64,
    pub onset_ref_log10: f64,
    pub onset_log_hr_per_log10: f64,
    pub onset_hr_high_cyto: f64,
    pub onset_hr_per_iss_stage: f64,
    pub onset_hr_focal: f64,
}

/// Marrow MRD readout.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct MrdParams {
    pub sensitivity_log10: f64,
    pub noise_sd: f64,
    pub patchy_false_negative: f64,
    pub false_positive: f64,
}

/// ctDNA readout.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct CtdnaParams {
    pub offset_log10: f64,
    pub noise_sd: f64,
    pub false_positive: f64,
}

/// PET/CT readout.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct PetParams {
    pub focal_prob: f64,
    pub focal_detect_prob: f64,
    pub burden_threshold_log10: f64,
    pub noise_sd: f64,
    pub false_positive: f64,
}

/// CTX-I levels (ng/mL).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct CtxParams {
    pub baseline_median_ng_ml: f64,
    pub baseline_sdlog: f64,
    pub female_factor: f64,
    pub low_egfr_threshold: f64,
    pub low_egfr_factor: f64,
    pub tumour_coef: f64,
    pub tumour_threshold_log10: f64,
    pub cv_min: f64,
    pub cv_max: f64,
    pub lsc: f64,
}

/// P1NP levels (ng/mL).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct P1npParams {
    pub baseline_median_ng_ml: f64,
    pub baseline_sdlog: f64,
    pub tumour_coef: f64,
    pub cv: f64,
}

/// The two bisphosphonates.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct BisphosphonateParams {
    pub zoledronic_acid: BisphosphonateCurve,
    pub pamidronate: BisphosphonateCurve,
}

/// Bisphosphonate effect on log CTX: suppression fading exponentially after stopping.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct BisphosphonateCurve {
    pub ctx_suppression_min: f64,
    pub ctx_suppression_max: f64,
    pub half_life_months_min: f64,
    pub half_life_months_max: f64,
    pub p1np_scale: f64,
}

/// Denosumab effect on log CTX: suppression, crossing baseline, rebound peak, resolution.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct DenosumabParams {
    pub ctx_suppression_min: f64,
    pub ctx_suppression_max: f64,
    pub cross_baseline_month_min: f64,
    pub cross_baseline_month_max: f64,
    pub peak_ratio_min: f64,
    pub peak_ratio_max: f64,
    pub peak_month_min: f64,
    pub peak_month_max: f64,
    pub resolved_month_min: f64,
    pub resolved_month_max: f64,
    pub p1np_scale: f64,
    pub p1np_lag_months: f64,
}

/// Bone-event hazard.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct EventParams {
    pub background_rate_per_month: f64,
    pub tumour_rate_per_month: f64,
    pub tumour_ref_log10: f64,
    pub tumour_log_hr_per_log10: f64,
    pub resorption_log_hr: f64,
    pub prior_sre_hr: f64,
    pub bpa_log_hr_per_year: f64,
    pub bpa_ref_months: f64,
    pub focal_hr: f64,
    pub age_log_hr_per_decade: f64,
    pub low_egfr_hr: f64,
}

/// Independent censoring (months).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct CensoringParams {
    pub admin_min_months: f64,
    pub admin_max_months: f64,
    pub dropout_rate_per_month: f64,
}

/// Visit schedule (months) and missingness probabilities.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct VisitParams {
    pub interval_months: u32,
    pub molecular_interval_months: u32,
    pub pet_interval_months: u32,
    pub pet_on_trigger: bool,
    pub missed_visit_prob: f64,
    pub ctx_missing_prob: f64,
    pub p1np_missing_prob: f64,
    pub mrd_missing_prob: f64,
    pub ctdna_missing_prob: f64,
    pub pet_missing_prob: f64,
}

/// Missingness of the decision-point measurements.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct BaselineMissingParams {
    pub ctx: f64,
    pub p1np: f64,
    pub mrd_deep_response: f64,
    pub mrd_partial_response: f64,
    pub ctdna: f64,
    pub pet: f64,
}

impl SimParams {
    /// The documented defaults embedded from `data/simulator_params.toml`.
    pub fn defaults() -> SimParams {
        // The embedded file is part of the build and covered by a unit test.
        Self::from_toml_str("").expect("embedded data/simulator_params.toml is valid")
    }

    /// Parse a user parameter file and overlay its keys on the defaults. Any subset of keys
    /// may be given (arrays whole); the result is validated.
    ///
    /// # Errors
    /// [`SimError::ParamsSyntax`] for invalid TOML or a value of the wrong type,
    /// [`SimError::UnknownParam`] naming the first key (dotted path) that the defaults do
    /// not have, [`SimError::InvalidParam`] for a value out of its allowed range.
    pub fn from_toml_str(user: &str) -> Result<SimParams, SimError> {
        let mut base: toml::Table = DEFAULT_PARAMS_TOML
            .parse()
            .map_err(|e: toml::de::Error| SimError::ParamsSyntax(format!("defaults: {e}")))?;
        let user: toml::Table = user
            .parse()
            .map_err(|e: toml::de::Error| SimError::ParamsSyntax(e.to_string()))?;
        overlay(&mut base, &user, "")?;
        let params: SimParams = toml::Value::Table(base)
            .try_into()
            .map_err(|e: toml::de::Error| SimError::ParamsSyntax(e.to_string()))?;
        params.validate()?;
        Ok(params)
    }

    /// The parameters as a TOML document (e.g. to record what a simulation used).
    ///
    /// # Errors
    /// [`SimError::ParamsSyntax`] if serialisation fails (it should not).
    pub fn to_toml_string(&self) -> Result<String, SimError> {
        toml::to_string(self).map_err(|e| SimError::ParamsSyntax(e.to_string()))
    }

    /// Check every value against its allowed range.
    ///
    /// # Errors
    /// [`SimError::InvalidParam`] naming the first offending key.
    pub fn validate(&self) -> Result<(), SimError> {
        let mut c = Checker::default();
        let g = &self.grid;
        c.positive("grid.dt_months", g.dt_months);
        c.ensure(
            "grid.horizon_months",
            g.horizon_months >= self.censoring.admin_max_months + 6.0
                && g.horizon_months >= 30.0
                && g.horizon_months / g.dt_months <= 100_000.0,
            "must be >= censoring.admin_max_months + 6 and >= 30, with at most 100000 cells",
        );
        let p = &self.population;
        c.finite("population.age_mean", p.age_mean);
        c.nonneg("population.age_sd", p.age_sd);
        c.ordered("population.age_min", p.age_min, p.age_max);
        c.prob("population.male_prob", p.male_prob);
        c.finite("population.egfr_mean", p.egfr_mean);
        c.nonneg("population.egfr_sd", p.egfr_sd);
        c.ordered("population.egfr_min", p.egfr_min, p.egfr_max);
        c.simplex("population.iss_probs", &p.iss_probs);
        c.prob("population.cyto_high_prob", p.cyto_high_prob);
        c.simplex("population.agent_probs", &p.agent_probs);
        c.ensure(
            "population.bpa_months_min",
            p.bpa_months_min <= p.bpa_months_max,
            "must be <= bpa_months_max",
        );
        c.simplex("population.response_probs", &p.response_probs);
        for v in p.prior_sre_prob_by_iss {
            c.prob("population.prior_sre_prob_by_iss", v);
        }
        let t = &self.tumour;
        for v in t.l0_mean_by_response {
            c.finite("tumour.l0_mean_by_response", v);
        }
        c.nonneg("tumour.l0_sd", t.l0_sd);
        c.finite("tumour.l_cap", t.l_cap);
        c.positive(
            "tumour.growth_months_per_log_min",
            t.growth_months_per_log_min,
        );
        c.ordered(
            "tumour.growth_months_per_log_min",
            t.growth_months_per_log_min,
            t.growth_months_per_log_max,
        );
        c.positive("tumour.growth_high_cyto_factor", t.growth_high_cyto_factor);
        c.nonneg("tumour.onset_rate_per_month", t.onset_rate_per_month);
        c.finite("tumour.onset_ref_log10", t.onset_ref_log10);
        c.finite("tumour.onset_log_hr_per_log10", t.onset_log_hr_per_log10);
        c.positive("tumour.onset_hr_high_cyto", t.onset_hr_high_cyto);
        c.positive("tumour.onset_hr_per_iss_stage", t.onset_hr_per_iss_stage);
        c.positive("tumour.onset_hr_focal", t.onset_hr_focal);
        c.finite("mrd.sensitivity_log10", self.mrd.sensitivity_log10);
        c.nonneg("mrd.noise_sd", self.mrd.noise_sd);
        c.prob("mrd.patchy_false_negative", self.mrd.patchy_false_negative);
        c.prob("mrd.false_positive", self.mrd.false_positive);
        c.finite("ctdna.offset_log10", self.ctdna.offset_log10);
        c.nonneg("ctdna.noise_sd", self.ctdna.noise_sd);
        c.prob("ctdna.false_positive", self.ctdna.false_positive);
        c.prob("pet.focal_prob", self.pet.focal_prob);
        c.prob("pet.focal_detect_prob", self.pet.focal_detect_prob);
        c.finite(
            "pet.burden_threshold_log10",
            self.pet.burden_threshold_log10,
        );
        c.nonneg("pet.noise_sd", self.pet.noise_sd);
        c.prob("pet.false_positive", self.pet.false_positive);
        let x = &self.ctx;
        c.positive("ctx.baseline_median_ng_ml", x.baseline_median_ng_ml);
        c.nonneg("ctx.baseline_sdlog", x.baseline_sdlog);
        c.positive("ctx.female_factor", x.female_factor);
        c.finite("ctx.low_egfr_threshold", x.low_egfr_threshold);
        c.positive("ctx.low_egfr_factor", x.low_egfr_factor);
        c.finite("ctx.tumour_coef", x.tumour_coef);
        c.finite("ctx.tumour_threshold_log10", x.tumour_threshold_log10);
        c.nonneg("ctx.cv_min", x.cv_min);
        c.ordered("ctx.cv_min", x.cv_min, x.cv_max);
        c.positive("ctx.lsc", x.lsc);
        c.positive(
            "p1np.baseline_median_ng_ml",
            self.p1np.baseline_median_ng_ml,
        );
        c.nonneg("p1np.baseline_sdlog", self.p1np.baseline_sdlog);
        c.finite("p1np.tumour_coef", self.p1np.tumour_coef);
        c.nonneg("p1np.cv", self.p1np.cv);
        for (name, b) in [
            (
                "bisphosphonate.zoledronic_acid",
                &self.bisphosphonate.zoledronic_acid,
            ),
            (
                "bisphosphonate.pamidronate",
                &self.bisphosphonate.pamidronate,
            ),
        ] {
            c.fraction_range(
                &format!("{name}.ctx_suppression_min"),
                b.ctx_suppression_min,
                b.ctx_suppression_max,
            );
            c.positive(
                &format!("{name}.half_life_months_min"),
                b.half_life_months_min,
            );
            c.ordered(
                &format!("{name}.half_life_months_min"),
                b.half_life_months_min,
                b.half_life_months_max,
            );
            c.finite(&format!("{name}.p1np_scale"), b.p1np_scale);
        }
        let d = &self.denosumab;
        c.fraction_range(
            "denosumab.ctx_suppression_min",
            d.ctx_suppression_min,
            d.ctx_suppression_max,
        );
        c.positive(
            "denosumab.cross_baseline_month_min",
            d.cross_baseline_month_min,
        );
        c.ordered(
            "denosumab.cross_baseline_month_min",
            d.cross_baseline_month_min,
            d.cross_baseline_month_max,
        );
        c.ensure(
            "denosumab.peak_ratio_min",
            d.peak_ratio_min >= 1.0 && d.peak_ratio_min <= d.peak_ratio_max,
            "must be >= 1 and <= peak_ratio_max",
        );
        c.ensure(
            "denosumab.peak_month_min",
            d.peak_month_min > d.cross_baseline_month_max && d.peak_month_min <= d.peak_month_max,
            "must be > cross_baseline_month_max and <= peak_month_max",
        );
        c.ensure(
            "denosumab.resolved_month_min",
            d.resolved_month_min > d.peak_month_max && d.resolved_month_min <= d.resolved_month_max,
            "must be > peak_month_max and <= resolved_month_max",
        );
        c.finite("denosumab.p1np_scale", d.p1np_scale);
        c.nonneg("denosumab.p1np_lag_months", d.p1np_lag_months);
        let e = &self.events;
        c.nonneg(
            "events.background_rate_per_month",
            e.background_rate_per_month,
        );
        c.nonneg("events.tumour_rate_per_month", e.tumour_rate_per_month);
        c.finite("events.tumour_ref_log10", e.tumour_ref_log10);
        c.finite("events.tumour_log_hr_per_log10", e.tumour_log_hr_per_log10);
        c.finite("events.resorption_log_hr", e.resorption_log_hr);
        c.positive("events.prior_sre_hr", e.prior_sre_hr);
        c.finite("events.bpa_log_hr_per_year", e.bpa_log_hr_per_year);
        c.finite("events.bpa_ref_months", e.bpa_ref_months);
        c.positive("events.focal_hr", e.focal_hr);
        c.finite("events.age_log_hr_per_decade", e.age_log_hr_per_decade);
        c.positive("events.low_egfr_hr", e.low_egfr_hr);
        let z = &self.censoring;
        c.positive("censoring.admin_min_months", z.admin_min_months);
        c.ordered(
            "censoring.admin_min_months",
            z.admin_min_months,
            z.admin_max_months,
        );
        c.nonneg("censoring.dropout_rate_per_month", z.dropout_rate_per_month);
        let v = &self.visits;
        c.ensure(
            "visits.interval_months",
            v.interval_months > 0,
            "must be > 0",
        );
        c.ensure(
            "visits.molecular_interval_months",
            v.molecular_interval_months > 0,
            "must be > 0",
        );
        c.ensure(
            "visits.pet_interval_months",
            v.pet_interval_months > 0,
            "must be > 0",
        );
        c.prob("visits.missed_visit_prob", v.missed_visit_prob);
        c.prob("visits.ctx_missing_prob", v.ctx_missing_prob);
        c.prob("visits.p1np_missing_prob", v.p1np_missing_prob);
        c.prob("visits.mrd_missing_prob", v.mrd_missing_prob);
        c.prob("visits.ctdna_missing_prob", v.ctdna_missing_prob);
        c.prob("visits.pet_missing_prob", v.pet_missing_prob);
        let b = &self.baseline_missing;
        c.prob("baseline_missing.ctx", b.ctx);
        c.prob("baseline_missing.p1np", b.p1np);
        c.prob("baseline_missing.mrd_deep_response", b.mrd_deep_response);
        c.prob(
            "baseline_missing.mrd_partial_response",
            b.mrd_partial_response,
        );
        c.prob("baseline_missing.ctdna", b.ctdna);
        c.prob("baseline_missing.pet", b.pet);
        c.finish()
    }
}

/// Overlay `user` on `base`; every user key must exist in `base`.
fn overlay(base: &mut toml::Table, user: &toml::Table, prefix: &str) -> Result<(), SimError> {
    for (key, value) in user {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match base.get_mut(key) {
            None => return Err(SimError::UnknownParam { key: path }),
            Some(toml::Value::Table(sub)) => match value {
                toml::Value::Table(user_sub) => overlay(sub, user_sub, &path)?,
                _ => {
                    return Err(SimError::InvalidParam {
                        key: path,
                        reason: "is a table of parameters, not a single value".into(),
                    })
                }
            },
            Some(slot) => *slot = conform(slot, value, &path)?,
        }
    }
    Ok(())
}

/// The user's `value` for a key whose default is `default`, checked to have the same type
/// (an integer is accepted where a float is expected; arrays keep their length).
fn conform(default: &toml::Value, value: &toml::Value, key: &str) -> Result<toml::Value, SimError> {
    use toml::Value as V;
    let wrong = |expected: &str| SimError::InvalidParam {
        key: key.to_string(),
        reason: format!("must be {expected}, found `{value}`"),
    };
    match (default, value) {
        (V::Float(_), V::Float(_)) | (V::Integer(_), V::Integer(_)) => Ok(value.clone()),
        (V::Boolean(_), V::Boolean(_)) => Ok(value.clone()),
        (V::Float(_), V::Integer(i)) => Ok(V::Float(*i as f64)),
        (V::Float(_), _) => Err(wrong("a number")),
        (V::Integer(_), _) => Err(wrong("a whole number")),
        (V::Boolean(_), _) => Err(wrong("true or false")),
        (V::Array(d), V::Array(u)) => {
            if d.len() != u.len() {
                return Err(wrong(&format!("an array of {} numbers", d.len())));
            }
            d.iter()
                .zip(u)
                .map(|(dv, uv)| conform(dv, uv, key))
                .collect::<Result<Vec<_>, _>>()
                .map(V::Array)
        }
        (V::Array(d), _) => Err(wrong(&format!("an array of {} numbers", d.len()))),
        (_, V::Table(_)) => Err(wrong("a single value, not a table")),
        _ => Ok(value.clone()),
    }
}

/// Collects the first range violation.
#[derive(Default)]
struct Checker {
    first: Option<SimError>,
}

impl Checker {
    fn ensure(&mut self, key: &str, ok: bool, reason: &str) {
        if !ok && self.first.is_none() {
            self.first = Some(SimError::InvalidParam {
                key: key.to_string(),
                reason: reason.to_string(),
            });
        }
    }
    fn finite(&mut self, key: &str, v: f64) {
        self.ensure(key, v.is_finite(), "must be a finite number");
    }
    fn positive(&mut self, key: &str, v: f64) {
        self.ensure(key, v.is_finite() && v > 0.0, "must be > 0");
    }
    fn nonneg(&mut self, key: &str, v: f64) {
        self.ensure(key, v.is_finite() && v >= 0.0, "must be >= 0");
    }
    fn prob(&mut self, key: &str, v: f64) {
        self.ensure(
            key,
            (0.0..=1.0).contains(&v),
            "must be a probability in [0, 1]",
        );
    }
    fn ordered(&mut self, key: &str, lo: f64, hi: f64) {
        self.ensure(
            key,
            lo.is_finite() && hi.is_finite() && lo <= hi,
            "must be finite and <= the matching _max",
        );
    }
    fn fraction_range(&mut self, key: &str, lo: f64, hi: f64) {
        self.ensure(
            key,
            (0.0..1.0).contains(&lo) && (0.0..1.0).contains(&hi) && lo <= hi,
            "suppression fractions must be in [0, 1) with min <= max",
        );
    }
    fn simplex(&mut self, key: &str, v: &[f64]) {
        let ok =
            v.iter().all(|p| (0.0..=1.0).contains(p)) && (v.iter().sum::<f64>() - 1.0).abs() < 1e-6;
        self.ensure(key, ok, "must be probabilities in [0, 1] summing to 1");
    }
    fn finish(self) -> Result<(), SimError> {
        match self.first {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}
