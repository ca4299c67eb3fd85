//! One patient: latent state, bone-event time, observed markers, visits and true risks.
//!
//! Hazard model (per month), on cells `k` of width `dt` with midpoints `s_k`:
//! `h_k = a_k * m_lag`, where `a_k = exp(eta + resorption_log_hr * D(s_k))` carries the static
//! covariates and the drug-effect curve, and `m_lag = background + tumour(L)` depends on the
//! latent burden, which is `L0` before the relapse-onset cell `i` and `L0 + g (s_k - u_i)`
//! (capped) after it, so it only depends on the lag `k - i`. The event time is drawn exactly
//! from this piecewise-constant hazard, and the true risks sum over the onset cell, whose
//! distribution is geometric: `P(i) = q^i (1 - q)`, `q = exp(-lambda dt)`.

use rand::Rng;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Exp1, StandardNormal};

use super::{
    patient_id, Agent, CytoRisk, IssStage, PatientRow, Response, Sex, SimParams, TruthRow, VisitRow,
};

/// Parameters plus the grid, shared by all patients.
pub(crate) struct Context<'a> {
    pub p: &'a SimParams,
    pub dt: f64,
    pub n_cells: usize,
}

impl<'a> Context<'a> {
    pub fn new(p: &'a SimParams) -> Self {
        let dt = p.grid.dt_months;
        let n_cells = (p.grid.horizon_months / dt).ceil() as usize;
        Context { p, dt, n_cells }
    }
}

/// Everything one patient contributes to the output.
pub(crate) struct PatientSim {
    pub row: PatientRow,
    pub visits: Vec<VisitRow>,
    pub truth: Vec<TruthRow>,
}

/// Agent drug effect on log CTX (natural log, 0 = personal baseline) after stopping at 0.
#[derive(Debug, Clone)]
pub(crate) enum DrugCurve {
    Bisphosphonate {
        log_supp: f64,
        half_life: f64,
        p1np_scale: f64,
    },
    Denosumab {
        log_supp: f64,
        t_cross: f64,
        log_peak: f64,
        t_peak: f64,
        t_end: f64,
        p1np_scale: f64,
        p1np_lag: f64,
    },
}

impl DrugCurve {
    /// Effect on log CTX at month `t >= 0`.
    pub fn ctx(&self, t: f64) -> f64 {
        let t = t.max(0.0);
        match *self {
            DrugCurve::Bisphosphonate {
                log_supp,
                half_life,
                ..
            } => log_supp * (-std::f64::consts::LN_2 * t / half_life).exp(),
            DrugCurve::Denosumab {
                log_supp,
                t_cross,
                log_peak,
                t_peak,
                t_end,
                ..
            } => {
                use std::f64::consts::PI;
                if t <= t_cross {
                    log_supp * (1.0 - t / t_cross)
                } else if t <= t_peak {
                    log_peak * 0.5 * (1.0 - (PI * (t - t_cross) / (t_peak - t_cross)).cos())
                } else if t <= t_end {
                    log_peak * 0.5 * (1.0 + (PI * (t - t_peak) / (t_end - t_peak)).cos())
                } else {
                    0.0
                }
            }
        }
    }

    /// Effect on log P1NP at month `t`.
    pub fn p1np(&self, t: f64) -> f64 {
        match *self {
            DrugCurve::Bisphosphonate { p1np_scale, .. } => p1np_scale * self.ctx(t),
            DrugCurve::Denosumab {
                p1np_scale,
                p1np_lag,
                ..
            } => p1np_scale * self.ctx(t - p1np_lag),
        }
    }
}

/// The latent state of a patient: what the true risks condition on.
#[derive(Debug, Clone)]
pub(crate) struct Latent {
    /// log10 burden at the decision point.
    pub l0: f64,
    /// Growth after onset, log10 per month.
    pub growth: f64,
    /// Relapse-onset hazard, per month.
    pub onset_rate: f64,
    /// Onset cell (None: beyond the horizon).
    pub onset_cell: Option<usize>,
    /// Active focal lesions.
    pub focal: bool,
    /// Static log hazard multiplier of bone events.
    pub eta: f64,
    /// Drug-effect curve.
    pub curve: DrugCurve,
}

impl Latent {
    /// Latent log10 burden at month `t`.
    pub fn burden(&self, ctx: &Context, t: f64) -> f64 {
        match self.onset_cell {
            Some(i) => {
                let u = (i as f64 + 0.5) * ctx.dt;
                if t > u {
                    (self.l0 + self.growth * (t - u)).min(ctx.p.tumour.l_cap)
                } else {
                    self.l0
                }
            }
            None => self.l0,
        }
    }

    /// Per-cell multipliers `a_k` and lag terms `m_j` of the bone-event hazard.
    pub fn hazard_parts(&self, ctx: &Context) -> (Vec<f64>, Vec<f64>) {
        let e = &ctx.p.events;
        let a = (0..ctx.n_cells)
            .map(|k| {
                let s = (k as f64 + 0.5) * ctx.dt;
                (self.eta + e.resorption_log_hr * self.curve.ctx(s)).exp()
            })
            .collect();
        let m = (0..ctx.n_cells)
            .map(|j| {
                let l = (self.l0 + self.growth * j as f64 * ctx.dt).min(ctx.p.tumour.l_cap);
                e.background_rate_per_month
                    + e.tumour_rate_per_month
                        * (e.tumour_log_hr_per_log10 * (l - e.tumour_ref_log10)).exp()
            })
            .collect();
        (a, m)
    }
}

/// True probability of a bone event in cells `[start, start + w)` given event-free at the
/// start of cell `start` and the latent state there: onset already in cell `onset`
/// (`Some(i)`, `i < start`) or not yet (`None`, then the onset cell is geometric from
/// `start` on).
pub(crate) fn window_risk(
    a: &[f64],
    m: &[f64],
    dt: f64,
    onset_rate: f64,
    start: usize,
    w: usize,
    onset: Option<usize>,
) -> f64 {
    let end = (start + w).min(a.len());
    let w = end - start;
    if let Some(i) = onset {
        let cum: f64 = (start..end).map(|k| a[k] * m[k - i]).sum();
        return -(-dt * cum).exp_m1();
    }
    let q = (-onset_rate * dt).exp();
    let p_cell = 1.0 - q;
    let mut risk = 0.0;
    let mut pre = 0.0; // cumulative pre-onset hazard over [start, start + j)
    let mut qj = 1.0; // q^j
    for j in 0..w {
        let on = start + j;
        let post: f64 = (on..end).map(|k| a[k] * m[k - on]).sum();
        risk += p_cell * qj * -(-dt * (pre + post)).exp_m1();
        pre += a[on] * m[0];
        qj *= q;
    }
    risk + qj * -(-dt * pre).exp_m1()
}

fn normal<R: Rng>(rng: &mut R) -> f64 {
    rng.sample(StandardNormal)
}

fn uniform<R: Rng>(rng: &mut R, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * rng.gen::<f64>()
}

fn categorical<R: Rng>(rng: &mut R, probs: &[f64]) -> usize {
    let u: f64 = rng.gen();
    let mut acc = 0.0;
    for (i, p) in probs.iter().enumerate() {
        acc += p;
        if u < acc {
            return i;
        }
    }
    probs.len() - 1
}

fn truncated_normal<R: Rng>(rng: &mut R, mean: f64, sd: f64, lo: f64, hi: f64) -> f64 {
    for _ in 0..64 {
        let x = mean + sd * normal(rng);
        if (lo..=hi).contains(&x) {
            return x;
        }
    }
    mean.clamp(lo, hi)
}

fn round_to(x: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (x * f).round() / f
}

/// Per-patient random streams: one for the latent state and outcome, one for the
/// observations, so changing a missingness or assay parameter leaves the latent cohort and
/// its outcomes unchanged (common random numbers).
fn streams(seed: u64, index: usize) -> (ChaCha8Rng, ChaCha8Rng) {
    let mut latent = ChaCha8Rng::seed_from_u64(seed);
    latent.set_stream(2 * index as u64);
    let mut obs = ChaCha8Rng::seed_from_u64(seed);
    obs.set_stream(2 * index as u64 + 1);
    (latent, obs)
}

/// Readouts of the latent state.
struct Assays<'a> {
    p: &'a SimParams,
}

impl Assays<'_> {
    fn mrd<R: Rng>(&self, rng: &mut R, l: f64) -> bool {
        let m = &self.p.mrd;
        let z = normal(rng);
        let u: f64 = rng.gen();
        let above = l + m.noise_sd * z > m.sensitivity_log10;
        if above {
            u >= m.patchy_false_negative
        } else {
            u < m.false_positive
        }
    }

    fn ctdna<R: Rng>(&self, rng: &mut R, l: f64) -> bool {
        let c = &self.p.ctdna;
        let z = normal(rng);
        let u: f64 = rng.gen();
        l + c.noise_sd * z > self.p.mrd.sensitivity_log10 + c.offset_log10 || u < c.false_positive
    }

    fn pet<R: Rng>(&self, rng: &mut R, l: f64, focal: bool) -> bool {
        let p = &self.p.pet;
        let z = normal(rng);
        let u1: f64 = rng.gen();
        let u2: f64 = rng.gen();
        (focal && u1 < p.focal_detect_prob)
            || l + p.noise_sd * z > p.burden_threshold_log10
            || u2 < p.false_positive
    }
}

/// Personal marker model: log CTX / log P1NP = personal baseline + drug effect + tumour
/// coupling + within-subject noise.
struct Markers {
    ctx_log_base: f64,
    ctx_sd: f64,
    p1np_log_base: f64,
    p1np_sd: f64,
}

impl Markers {
    fn ctx<R: Rng>(&self, rng: &mut R, p: &SimParams, curve: &DrugCurve, t: f64, l: f64) -> f64 {
        let tum = p.ctx.tumour_coef * (l - p.ctx.tumour_threshold_log10).max(0.0);
        round_to(
            (self.ctx_log_base + curve.ctx(t) + tum + self.ctx_sd * normal(rng)).exp(),
            3,
        )
    }

    fn p1np<R: Rng>(&self, rng: &mut R, p: &SimParams, curve: &DrugCurve, t: f64, l: f64) -> f64 {
        let tum = p.p1np.tumour_coef * (l - p.ctx.tumour_threshold_log10).max(0.0);
        round_to(
            (self.p1np_log_base + curve.p1np(t) + tum + self.p1np_sd * normal(rng)).exp(),
            1,
        )
    }
}

fn log_sd_from_cv(cv: f64) -> f64 {
    (1.0 + cv * cv).ln().sqrt()
}

/// Simulate patient `index` (0-based).
pub(crate) fn simulate_patient(ctx: &Context, seed: u64, index: usize) -> PatientSim {
    let p = ctx.p;
    let (mut rng, mut obs) = streams(seed, index);
    let id = patient_id(index);

    // --- baseline covariates
    let pop = &p.population;
    let age = truncated_normal(&mut rng, pop.age_mean, pop.age_sd, pop.age_min, pop.age_max).round()
        as u32;
    let sex = if rng.gen::<f64>() < pop.male_prob {
        Sex::M
    } else {
        Sex::F
    };
    let egfr = round_to(
        truncated_normal(
            &mut rng,
            pop.egfr_mean,
            pop.egfr_sd,
            pop.egfr_min,
            pop.egfr_max,
        ),
        1,
    );
    let iss_idx = categorical(&mut rng, &pop.iss_probs);
    let iss_stage = [IssStage::I, IssStage::II, IssStage::III][iss_idx];
    let cyto_high = rng.gen::<f64>() < pop.cyto_high_prob;
    let agent = [Agent::ZoledronicAcid, Agent::Pamidronate, Agent::Denosumab]
        [categorical(&mut rng, &pop.agent_probs)];
    let bpa_months = rng.gen_range(pop.bpa_months_min..=pop.bpa_months_max);
    let resp_idx = categorical(&mut rng, &pop.response_probs);
    let response = [
        Response::SCr,
        Response::Cr,
        Response::Vgpr,
        Response::Pr,
        Response::Sd,
    ][resp_idx];
    let prior_sre = rng.gen::<f64>() < pop.prior_sre_prob_by_iss[iss_idx];

    // --- latent tumour state
    let t = &p.tumour;
    let l0 = (t.l0_mean_by_response[resp_idx] + t.l0_sd * normal(&mut rng)).min(t.l_cap);
    let focal = rng.gen::<f64>() < p.pet.focal_prob;
    let months_per_log = uniform(
        &mut rng,
        t.growth_months_per_log_min,
        t.growth_months_per_log_max,
    );
    let growth = if cyto_high {
        t.growth_high_cyto_factor
    } else {
        1.0
    } / months_per_log;
    let onset_rate = t.onset_rate_per_month
        * (t.onset_log_hr_per_log10 * (l0 - t.onset_ref_log10)).exp()
        * if cyto_high { t.onset_hr_high_cyto } else { 1.0 }
        * t.onset_hr_per_iss_stage.powi(iss_idx as i32)
        * if focal { t.onset_hr_focal } else { 1.0 };
    let onset_time = if onset_rate > 0.0 {
        rng.sample::<f64, _>(Exp1) / onset_rate
    } else {
        f64::INFINITY
    };
    let onset_cell = if onset_time < ctx.n_cells as f64 * ctx.dt {
        Some((onset_time / ctx.dt).floor() as usize)
    } else {
        None
    };

    // --- drug-effect curve
    let curve = match agent {
        Agent::ZoledronicAcid | Agent::Pamidronate => {
            let b = if agent == Agent::ZoledronicAcid {
                &p.bisphosphonate.zoledronic_acid
            } else {
                &p.bisphosphonate.pamidronate
            };
            let supp = uniform(&mut rng, b.ctx_suppression_min, b.ctx_suppression_max);
            let hl = uniform(&mut rng, b.half_life_months_min, b.half_life_months_max);
            DrugCurve::Bisphosphonate {
                log_supp: (1.0 - supp).ln(),
                half_life: hl,
                p1np_scale: b.p1np_scale,
            }
        }
        Agent::Denosumab => {
            let d = &p.denosumab;
            let supp = uniform(&mut rng, d.ctx_suppression_min, d.ctx_suppression_max);
            DrugCurve::Denosumab {
                log_supp: (1.0 - supp).ln(),
                t_cross: uniform(
                    &mut rng,
                    d.cross_baseline_month_min,
                    d.cross_baseline_month_max,
                ),
                log_peak: uniform(&mut rng, d.peak_ratio_min, d.peak_ratio_max).ln(),
                t_peak: uniform(&mut rng, d.peak_month_min, d.peak_month_max),
                t_end: uniform(&mut rng, d.resolved_month_min, d.resolved_month_max),
                p1np_scale: d.p1np_scale,
                p1np_lag: d.p1np_lag_months,
            }
        }
    };

    // --- static bone-event log hazard
    let e = &p.events;
    let low_egfr = egfr < p.ctx.low_egfr_threshold;
    let eta = if prior_sre { e.prior_sre_hr.ln() } else { 0.0 }
        + e.bpa_log_hr_per_year * (bpa_months as f64 - e.bpa_ref_months) / 12.0
        + if focal { e.focal_hr.ln() } else { 0.0 }
        + e.age_log_hr_per_decade * (age as f64 - 65.0) / 10.0
        + if low_egfr { e.low_egfr_hr.ln() } else { 0.0 };

    let latent = Latent {
        l0,
        growth,
        onset_rate,
        onset_cell,
        focal,
        eta,
        curve,
    };
    let (a, m) = latent.hazard_parts(ctx);

    // --- censoring and event time
    let c = &p.censoring;
    let admin = uniform(&mut rng, c.admin_min_months, c.admin_max_months);
    let dropout = if c.dropout_rate_per_month > 0.0 {
        rng.sample::<f64, _>(Exp1) / c.dropout_rate_per_month
    } else {
        f64::INFINITY
    };
    let censor = admin.min(dropout);
    let target: f64 = rng.sample(Exp1);
    let mut event_time = f64::INFINITY;
    let mut cum = 0.0;
    for (k, &a_k) in a.iter().enumerate() {
        let start = k as f64 * ctx.dt;
        if start >= censor {
            break;
        }
        let lag = onset_cell.map_or(0, |i| k.saturating_sub(i));
        let h = a_k * m[lag];
        if cum + h * ctx.dt >= target {
            event_time = start + (target - cum) / h;
            break;
        }
        cum += h * ctx.dt;
    }
    let event = event_time <= censor;
    let time_months = round_to(if event { event_time } else { censor }, 2).max(0.01);
    let event_24m = if event && time_months <= 24.0 {
        Some(true)
    } else if time_months >= 24.0 {
        Some(false)
    } else {
        None
    };

    // --- observations at the decision point
    let assays = Assays { p };
    let markers = Markers {
        ctx_log_base: (p.ctx.baseline_median_ng_ml
            * if sex == Sex::F {
                p.ctx.female_factor
            } else {
                1.0
            }
            * if low_egfr { p.ctx.low_egfr_factor } else { 1.0 })
        .ln()
            + p.ctx.baseline_sdlog * normal(&mut obs),
        ctx_sd: log_sd_from_cv(uniform(&mut obs, p.ctx.cv_min, p.ctx.cv_max)),
        p1np_log_base: p.p1np.baseline_median_ng_ml.ln() + p.p1np.baseline_sdlog * normal(&mut obs),
        p1np_sd: log_sd_from_cv(p.p1np.cv),
    };
    let bm = &p.baseline_missing;
    let ctx0 = markers.ctx(&mut obs, p, &latent.curve, 0.0, l0);
    let ctx0 = (obs.gen::<f64>() >= bm.ctx).then_some(ctx0);
    let p1np0 = markers.p1np(&mut obs, p, &latent.curve, 0.0, l0);
    let p1np0 = (obs.gen::<f64>() >= bm.p1np).then_some(p1np0);
    let mrd_missing = if response.is_vgpr_or_better() {
        bm.mrd_deep_response
    } else {
        bm.mrd_partial_response
    };
    let mrd0 = assays.mrd(&mut obs, l0);
    let mrd0 = (obs.gen::<f64>() >= mrd_missing).then_some(mrd0);
    let ctdna0 = assays.ctdna(&mut obs, l0);
    let ctdna0 = (obs.gen::<f64>() >= bm.ctdna).then_some(ctdna0);
    let pet0 = assays.pet(&mut obs, l0, latent.focal);
    let pet0 = (obs.gen::<f64>() >= bm.pet).then_some(pet0);

    let row = PatientRow {
        patient_id: id.clone(),
        age,
        sex,
        egfr,
        iss_stage,
        cyto_risk: if cyto_high {
            CytoRisk::High
        } else {
            CytoRisk::Standard
        },
        agent,
        bpa_months,
        response,
        prior_sre,
        ctx_ng_ml: ctx0,
        p1np_ng_ml: p1np0,
        mrd_positive: mrd0,
        ctdna_detected: ctdna0,
        pet_non_cmr: pet0,
        time_months,
        event,
        event_24m,
    };

    // --- truth at month 0
    let cells_per_month = 1.0 / ctx.dt;
    let w6 = (6.0 * cells_per_month).round() as usize;
    let w24 = (24.0 * cells_per_month).round() as usize;
    let mut truth = vec![TruthRow {
        patient_id: id.clone(),
        month: 0,
        true_risk_24m: Some(round_to(
            window_risk(&a, &m, ctx.dt, latent.onset_rate, 0, w24, None),
            4,
        )),
        true_risk_next_6m: round_to(
            window_risk(&a, &m, ctx.dt, latent.onset_rate, 0, w6, None),
            4,
        ),
    }];

    // --- follow-up visits
    let v = &p.visits;
    let mut visits = Vec::new();
    let mut nadir = ctx0;
    let mut last_mrd = mrd0;
    let mut last_pet = pet0.map(|_| 0u32);
    let mut month = v.interval_months;
    while (month as f64) < time_months && (month as f64) + 6.0 <= p.grid.horizon_months {
        let s = month as f64;
        let start = (s * cells_per_month).round() as usize;
        let known_onset = onset_cell.filter(|&i| i < start);
        truth.push(TruthRow {
            patient_id: id.clone(),
            month,
            true_risk_24m: None,
            true_risk_next_6m: round_to(
                window_risk(&a, &m, ctx.dt, latent.onset_rate, start, w6, known_onset),
                4,
            ),
        });
        // Draw everything a visit could need, in a fixed order, so a missed visit or a
        // missing value does not shift the random numbers of later visits.
        let l = latent.burden(ctx, s);
        let attended = obs.gen::<f64>() >= v.missed_visit_prob;
        let ctx_v = markers.ctx(&mut obs, p, &latent.curve, s, l);
        let ctx_ok = obs.gen::<f64>() >= v.ctx_missing_prob;
        let p1np_v = markers.p1np(&mut obs, p, &latent.curve, s, l);
        let p1np_ok = obs.gen::<f64>() >= v.p1np_missing_prob;
        let mrd_v = assays.mrd(&mut obs, l);
        let mrd_ok = obs.gen::<f64>() >= v.mrd_missing_prob;
        let ctdna_v = assays.ctdna(&mut obs, l);
        let ctdna_ok = obs.gen::<f64>() >= v.ctdna_missing_prob;
        let pet_v = assays.pet(&mut obs, l, latent.focal);
        let pet_ok = obs.gen::<f64>() >= v.pet_missing_prob;
        if attended {
            let molecular = month % v.molecular_interval_months == 0;
            let ctx_obs = ctx_ok.then_some(ctx_v);
            let mrd_obs = (molecular && mrd_ok).then_some(mrd_v);
            let ctx_rise =
                matches!((ctx_obs, nadir), (Some(x), Some(n)) if x > n * (1.0 + p.ctx.lsc));
            let conversion = last_mrd == Some(false) && mrd_obs == Some(true);
            // A trigger orders a PET unless one was done in the last 6 months.
            let recent_pet = last_pet.is_some_and(|m| month < m + 6);
            let pet_due = month % v.pet_interval_months == 0
                || (v.pet_on_trigger && (ctx_rise || conversion) && !recent_pet);
            if pet_due && pet_ok {
                last_pet = Some(month);
            }
            visits.push(VisitRow {
                patient_id: id.clone(),
                month,
                ctx_ng_ml: ctx_obs,
                p1np_ng_ml: p1np_ok.then_some(p1np_v),
                mrd_positive: mrd_obs,
                ctdna_detected: (molecular && ctdna_ok).then_some(ctdna_v),
                pet_non_cmr: (pet_due && pet_ok).then_some(pet_v),
            });
            // The CTX reference is the nadir; a rise that triggered resets it, so the
            // next trigger needs a further rise beyond the LSC.
            if let Some(x) = ctx_obs {
                nadir = Some(if ctx_rise {
                    x
                } else {
                    nadir.map_or(x, |n| n.min(x))
                });
            }
            if mrd_obs.is_some() {
                last_mrd = mrd_obs;
            }
        }
        month += v.interval_months;
    }

    PatientSim { row, visits, truth }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate::SimParams;

    fn example_latent(ctx: &Context, l0: f64, onset_rate: f64, curve: DrugCurve) -> Latent {
        let _ = ctx;
        Latent {
            l0,
            growth: 1.0 / 6.0,
            onset_rate,
            onset_cell: None,
            focal: false,
            eta: 0.3,
            curve,
        }
    }

    /// The exact grid risk equals a brute-force Monte Carlo of the same mechanism (onset
    /// time, then the event time from the piecewise-constant hazard).
    #[test]
    fn window_risk_matches_monte_carlo() {
        let params = SimParams::defaults();
        let ctx = Context::new(&params);
        let curves = [
            DrugCurve::Bisphosphonate {
                log_supp: (0.45f64).ln(),
                half_life: 24.0,
                p1np_scale: 1.0,
            },
            DrugCurve::Denosumab {
                log_supp: (0.25f64).ln(),
                t_cross: 2.5,
                log_peak: 2f64.ln(),
                t_peak: 9.0,
                t_end: 24.0,
                p1np_scale: 0.45,
                p1np_lag: 3.0,
            },
        ];
        let mut rng = ChaCha8Rng::seed_from_u64(99);
        for (ci, curve) in curves.into_iter().enumerate() {
            for &(l0, rate) in &[(-4.3, 0.04), (-6.3, 0.008)] {
                let lat = example_latent(&ctx, l0, rate, curve.clone());
                let (a, m) = lat.hazard_parts(&ctx);
                for &(start_month, w_months) in &[(0usize, 24usize), (6, 6)] {
                    let start = start_month * 4;
                    let w = w_months * 4;
                    let exact = window_risk(&a, &m, ctx.dt, rate, start, w, None);
                    let n = 200_000;
                    let mut hits = 0;
                    for _ in 0..n {
                        // onset cell beyond `start` (memoryless)
                        let t_on: f64 = rng.sample::<f64, _>(Exp1) / rate;
                        let i = start + (t_on / ctx.dt).floor() as usize;
                        let target: f64 = rng.sample(Exp1);
                        let mut cum = 0.0;
                        for (k, &a_k) in a.iter().enumerate().skip(start).take(w) {
                            cum += a_k * m[k.saturating_sub(i)] * ctx.dt;
                        }
                        if cum >= target {
                            hits += 1;
                        }
                    }
                    let mc = hits as f64 / n as f64;
                    let se = (mc * (1.0 - mc) / n as f64).sqrt();
                    assert!(
                        (mc - exact).abs() < 4.0 * se + 1e-4,
                        "curve {ci} l0 {l0} start {start_month}: exact {exact} mc {mc}"
                    );
                }
            }
        }
    }

    #[test]
    fn known_onset_risk_is_deterministic_path() {
        let params = SimParams::defaults();
        let ctx = Context::new(&params);
        let lat = example_latent(
            &ctx,
            -4.0,
            0.05,
            DrugCurve::Bisphosphonate {
                log_supp: -0.7,
                half_life: 24.0,
                p1np_scale: 1.0,
            },
        );
        let (a, m) = lat.hazard_parts(&ctx);
        let r = window_risk(&a, &m, ctx.dt, 0.05, 40, 24, Some(10));
        let cum: f64 = (40..64).map(|k| a[k] * m[k - 10] * ctx.dt).sum();
        assert!((r - (1.0 - (-cum).exp())).abs() < 1e-12);
    }

    #[test]
    fn denosumab_curve_shape() {
        let c = DrugCurve::Denosumab {
            log_supp: (0.25f64).ln(),
            t_cross: 2.5,
            log_peak: 2f64.ln(),
            t_peak: 9.0,
            t_end: 24.0,
            p1np_scale: 0.45,
            p1np_lag: 3.0,
        };
        assert!((c.ctx(0.0) - (0.25f64).ln()).abs() < 1e-12);
        assert!(c.ctx(2.5).abs() < 1e-12);
        assert!(c.ctx(3.0) > 0.0);
        assert!((c.ctx(9.0) - 2f64.ln()).abs() < 1e-12);
        assert!(c.ctx(30.0) == 0.0);
        assert!(c.p1np(4.0) < 0.0 && c.p1np(8.0) > 0.0 && c.p1np(8.0) < c.ctx(8.0));
    }
}
