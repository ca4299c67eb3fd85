//! Acceptance tests of the cohort simulator against the literature targets in CLINICAL.md.
//!
//! One cohort of 20,000 patients is simulated once (seed 20261125) and shared by the tests.
//! Cross-check of the Cox numbers with R `survival::coxph` on the written cohort.csv
//! (`tests/golden/survival/simulated_cohort_hr.R`, values in `simulated_cohort_hr.txt`):
//! R gives HR MRD 3.1346 (2.9702-3.3081), HR PET 2.5235 (2.3901-2.6644), KM 1 - S(24) 0.1383,
//! identical to `mbdrisk::survival` on the same rows.

use std::collections::HashMap;
use std::sync::OnceLock;

use mbdrisk::simulate::{simulate, write_csvs, PatientRow, SimOutput, SimParams, VisitRow};
use mbdrisk::survival::{CoxFit, KaplanMeier};

const N_BIG: usize = 20_000;
const SEED: u64 = 20261125;

fn big() -> &'static SimOutput {
    static OUT: OnceLock<SimOutput> = OnceLock::new();
    OUT.get_or_init(|| simulate(N_BIG, SEED, &SimParams::defaults()).expect("simulate"))
}

fn share(num: usize, den: usize) -> f64 {
    num as f64 / den as f64
}

/// Univariate Cox HR of a binary marker (rows with the marker measured).
fn marker_hr(cohort: &[PatientRow], marker: impl Fn(&PatientRow) -> Option<bool>) -> CoxFit {
    let rows: Vec<&PatientRow> = cohort.iter().filter(|r| marker(r).is_some()).collect();
    let time: Vec<f64> = rows.iter().map(|r| r.time_months).collect();
    let event: Vec<bool> = rows.iter().map(|r| r.event).collect();
    let x: Vec<f64> = rows
        .iter()
        .map(|r| if marker(r) == Some(true) { 1.0 } else { 0.0 })
        .collect();
    CoxFit::fit(&time, &event, &[&x]).expect("cox fit")
}

fn km_24(cohort: &[&PatientRow]) -> f64 {
    let time: Vec<f64> = cohort.iter().map(|r| r.time_months).collect();
    let event: Vec<bool> = cohort.iter().map(|r| r.event).collect();
    1.0 - KaplanMeier::fit(&time, &event)
        .expect("km")
        .survival_at(24.0)
}

/// Mann-Whitney AUC with ties counted 1/2.
fn auc(scores: &[f64], labels: &[bool]) -> f64 {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let (mut rank_sum_pos, mut n_pos) = (0.0, 0usize);
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && scores[idx[j + 1]] == scores[idx[i]] {
            j += 1;
        }
        let mid_rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            if labels[k] {
                rank_sum_pos += mid_rank;
                n_pos += 1;
            }
        }
        i = j + 1;
    }
    let n_neg = scores.len() - n_pos;
    (rank_sum_pos - (n_pos * (n_pos + 1)) as f64 / 2.0) / (n_pos * n_neg) as f64
}

fn two_year_rule_stops(r: &PatientRow) -> bool {
    r.bpa_months >= 24 && r.response.is_vgpr_or_better()
}

/// Share of events whose last CTX in the 6 months before the event exceeds the patient's
/// earlier nadir (month 0 and earlier visits) by more than the least significant change.
fn ctx_lsc_share(out: &SimOutput, lsc: f64) -> (f64, usize) {
    let mut by_patient: HashMap<&str, Vec<&VisitRow>> = HashMap::new();
    for v in &out.visits {
        by_patient.entry(&v.patient_id).or_default().push(v);
    }
    let (mut eligible, mut rose) = (0usize, 0usize);
    for r in out.cohort.iter().filter(|r| r.event) {
        let visits = by_patient
            .get(r.patient_id.as_str())
            .cloned()
            .unwrap_or_default();
        let with_ctx: Vec<(f64, f64)> = visits
            .iter()
            .filter_map(|v| v.ctx_ng_ml.map(|c| (v.month as f64, c)))
            .collect();
        let Some(&(last_month, last_ctx)) = with_ctx.last() else {
            continue;
        };
        if last_month < r.time_months - 6.0 {
            continue;
        }
        let earlier = r
            .ctx_ng_ml
            .into_iter()
            .chain(with_ctx[..with_ctx.len() - 1].iter().map(|&(_, c)| c));
        let Some(nadir) = earlier.reduce(f64::min) else {
            continue;
        };
        eligible += 1;
        if last_ctx > nadir * (1.0 + lsc) {
            rose += 1;
        }
    }
    (share(rose, eligible), eligible)
}

/// Check 1: MRD-negative share among measured in [0.55, 0.75] (CLINICAL: 55-75% after modern
/// induction/ASCT [V]); PET CMR share in [0.63, 0.80] (CLINICAL: 63-75% [V], a little room
/// above because this cohort is selected for having reached a stopping decision).
#[test]
fn mrd_and_pet_shares_match_literature() {
    let c = &big().cohort;
    let mrd: Vec<bool> = c.iter().filter_map(|r| r.mrd_positive).collect();
    let mrd_neg = share(mrd.iter().filter(|&&p| !p).count(), mrd.len());
    let pet: Vec<bool> = c.iter().filter_map(|r| r.pet_non_cmr).collect();
    let cmr = share(pet.iter().filter(|&&p| !p).count(), pet.len());
    eprintln!(
        "MRD-negative share {mrd_neg:.3} (n = {}), PET CMR share {cmr:.3} (n = {})",
        mrd.len(),
        pet.len()
    );
    assert!(
        (0.55..=0.75).contains(&mrd_neg),
        "MRD-negative share {mrd_neg}"
    );
    assert!((0.63..=0.80).contains(&cmr), "PET CMR share {cmr}");
    // realistic missingness: some but not most
    assert!(mrd.len() < c.len() && mrd.len() > c.len() * 9 / 10);
    assert!(pet.len() < c.len() * 95 / 100 && pet.len() > c.len() * 8 / 10);
}

/// Check 2: Univariate Cox HRs for bone events: MRD-positive vs negative in [2.5, 3.5] (CLINICAL:
/// PFS HR 0.33 for MRD-negative, i.e. ~3 [V]); PET non-CMR vs CMR in [2.0, 3.5] (FORTE PFS HR
/// 2.5-3.2 [V]).
#[test]
fn marker_hazard_ratios_match_literature() {
    let c = &big().cohort;
    let mrd = marker_hr(c, |r| r.mrd_positive);
    let pet = marker_hr(c, |r| r.pet_non_cmr);
    eprintln!(
        "HR MRD+ {:.3} ({:.3}-{:.3}); HR PET non-CMR {:.3} ({:.3}-{:.3})",
        mrd.hazard_ratio[0],
        mrd.hr_ci_low[0],
        mrd.hr_ci_high[0],
        pet.hazard_ratio[0],
        pet.hr_ci_low[0],
        pet.hr_ci_high[0]
    );
    assert!(
        (2.5..=3.5).contains(&mrd.hazard_ratio[0]),
        "MRD HR {}",
        mrd.hazard_ratio[0]
    );
    assert!(
        (2.0..=3.5).contains(&pet.hazard_ratio[0]),
        "PET HR {}",
        pet.hazard_ratio[0]
    );
}

/// Check 3: Bone-event rate 24 months after stopping (KM 1 - S(24)) in [0.10, 0.30].
///
/// Justification from CLINICAL.md: relapse in deep remission runs at ~8-10% per year [V/A]
/// (~17% over 2 years) and new bone disease follows in ~40% of relapses off bone agents [V]
/// (~7% of the cohort), but this is a mixed population where a quarter are PR/SD or MRD
/// positive and relapse faster, on top of background skeletal events and the denosumab
/// rebound (rebound fractures 8-17% over ~2 years [V/A]). SREs reach 22-45% over 2-4 years
/// *on* protection in active disease [V]: a remission cohort off protection should sit below
/// that upper end and above the ~7% relapse-driven floor. Hence [0.10, 0.30].
#[test]
fn event_rate_at_24_months_is_plausible() {
    let c: Vec<&PatientRow> = big().cohort.iter().collect();
    let r = km_24(&c);
    eprintln!("KM 24-month bone-event rate {r:.4}");
    assert!((0.10..=0.30).contains(&r), "24-month rate {r}");
}

/// Check 4: CTX rises before events: among events with a CTX value in the 6 months before the
/// event and an earlier CTX value, the share whose last pre-event CTX exceeds the nadir by
/// more than the LSC (56%) is in [0.55, 0.95]. CLINICAL.md (Br J Haematol 2016 [V]): CTX rose
/// above the LSC 3-6 months before relapse in 26% and within 3 months in 61% (87% in all);
/// events here also include non-relapse skeletal events with no tumour-driven rise, so a
/// somewhat lower share is expected, but most should show it.
#[test]
fn ctx_rises_above_lsc_before_events() {
    let (s, n) = ctx_lsc_share(big(), 0.56);
    eprintln!("CTX > nadir + LSC before event: {s:.3} of {n} events");
    assert!(n > 500, "too few eligible events: {n}");
    assert!((0.55..=0.95).contains(&s), "CTX-LSC share {s}");
}

/// Check 5: The fixed 2-year rule on the 2,000-patient demo cohort stops 30-70%, and the event
/// proportion among stopped patients is lower than among kept patients.
#[test]
fn two_year_rule_on_demo_cohort() {
    let out = simulate(2_000, SEED, &SimParams::defaults()).unwrap();
    let (stopped, kept): (Vec<&PatientRow>, Vec<&PatientRow>) =
        out.cohort.iter().partition(|r| two_year_rule_stops(r));
    let stop_share = share(stopped.len(), out.cohort.len());
    let ev = |g: &[&PatientRow]| share(g.iter().filter(|r| r.event).count(), g.len());
    eprintln!(
        "2-year rule: stops {stop_share:.3}; event proportion stopped {:.3} kept {:.3}; KM24 stopped {:.3} kept {:.3}",
        ev(&stopped), ev(&kept), km_24(&stopped), km_24(&kept)
    );
    assert!(
        (0.30..=0.70).contains(&stop_share),
        "stop share {stop_share}"
    );
    assert!(ev(&stopped) < ev(&kept));
    assert!(km_24(&stopped) < km_24(&kept));
}

fn csv_bytes(out: &SimOutput) -> Vec<Vec<u8>> {
    let dir = tempfile::tempdir().unwrap();
    write_csvs(out, dir.path()).unwrap();
    let files = ["cohort.csv", "visits.csv", "truth.csv"]
        .iter()
        .map(|f| std::fs::read(dir.path().join(f)).unwrap())
        .collect();
    // nothing but the three files (no temp files left)
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 3);
    files
}

/// Check 6: Same seed, same bytes; and the same with 1 and 2 rayon threads.
#[test]
fn deterministic_across_runs_and_thread_counts() {
    let p = SimParams::defaults();
    let a = csv_bytes(&simulate(3_000, 7, &p).unwrap());
    let b = csv_bytes(&simulate(3_000, 7, &p).unwrap());
    assert_eq!(a, b);
    let run = |k: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(k)
            .build()
            .unwrap()
            .install(|| csv_bytes(&simulate(3_000, 7, &p).unwrap()))
    };
    assert_eq!(run(1), a);
    assert_eq!(run(2), a);
    // the progress variant gives the same cohort and reports every patient
    let last = std::sync::atomic::AtomicUsize::new(0);
    let with_progress = mbdrisk::simulate::simulate_with_progress(3_000, 7, &p, &|done| {
        last.store(done, std::sync::atomic::Ordering::Relaxed)
    })
    .unwrap();
    assert_eq!(csv_bytes(&with_progress), a);
    assert_eq!(last.into_inner(), 3_000);
    // patient i does not depend on the cohort size
    let small = simulate(100, 7, &p).unwrap();
    let large = simulate(3_000, 7, &p).unwrap();
    assert_eq!(small.cohort[..], large.cohort[..100]);
    let other = csv_bytes(&simulate(3_000, 8, &p).unwrap());
    assert_ne!(other[0], a[0]);
    // header contract
    let header = String::from_utf8(a[0].clone()).unwrap();
    assert!(header.starts_with(
        "patient_id,age,sex,egfr,iss_stage,cyto_risk,agent,bpa_months,response,prior_sre,\
         ctx_ng_ml,p1np_ng_ml,mrd,ctdna,pet,time_months,event,event_24m\nMM00001,"
    ));
    assert!(String::from_utf8(a[1].clone())
        .unwrap()
        .starts_with("patient_id,month,ctx_ng_ml,p1np_ng_ml,mrd,ctdna,pet\n"));
    assert!(String::from_utf8(a[2].clone())
        .unwrap()
        .starts_with("patient_id,month,true_risk_24m,true_risk_next_6m\nMM00001,0,"));
}

/// Check 7: Truth sanity: the mean true 24-month risk matches the observed KM rate (within 0.02)
/// and the true risk discriminates (AUC > 0.7 among patients with known 24-month status).
#[test]
fn truth_is_calibrated_and_discriminates() {
    let out = big();
    let risk0: HashMap<&str, f64> = out
        .truth
        .iter()
        .filter(|t| t.month == 0)
        .map(|t| (t.patient_id.as_str(), t.true_risk_24m.unwrap()))
        .collect();
    assert_eq!(risk0.len(), out.cohort.len());
    let mean = risk0.values().sum::<f64>() / risk0.len() as f64;
    let c: Vec<&PatientRow> = out.cohort.iter().collect();
    let km = km_24(&c);
    let (scores, labels): (Vec<f64>, Vec<bool>) = out
        .cohort
        .iter()
        .filter_map(|r| r.event_24m.map(|y| (risk0[r.patient_id.as_str()], y)))
        .unzip();
    let a = auc(&scores, &labels);
    eprintln!(
        "mean true 24m risk {mean:.4} vs KM {km:.4}; AUC {a:.3} (n = {})",
        scores.len()
    );
    assert!((mean - km).abs() < 0.02, "mean true risk {mean} vs KM {km}");
    assert!(a > 0.7, "AUC {a}");
    // Dynamic truth: at each visit month the 6-month risk is a probability, and rows exist
    // for every visit.
    assert!(out
        .truth
        .iter()
        .all(|t| (0.0..=1.0).contains(&t.true_risk_next_6m)));
    let truth_keys: std::collections::HashSet<(&str, u32)> = out
        .truth
        .iter()
        .map(|t| (t.patient_id.as_str(), t.month))
        .collect();
    assert!(out
        .visits
        .iter()
        .all(|v| truth_keys.contains(&(v.patient_id.as_str(), v.month))));
}

/// Visits respect the schedule: every 3 months, before the event / censoring, sorted;
/// molecular markers only at 6-month visits.
#[test]
fn visits_follow_the_schedule() {
    let out = big();
    let time: HashMap<&str, f64> = out
        .cohort
        .iter()
        .map(|r| (r.patient_id.as_str(), r.time_months))
        .collect();
    for w in out.visits.windows(2) {
        assert!((w[0].patient_id.as_str(), w[0].month) < (w[1].patient_id.as_str(), w[1].month));
    }
    for v in &out.visits {
        assert!(v.month % 3 == 0 && v.month > 0);
        assert!((v.month as f64) < time[v.patient_id.as_str()]);
        if v.month % 6 != 0 {
            assert!(v.mrd_positive.is_none() && v.ctdna_detected.is_none());
        }
    }
}

/// Check 8: Parameters: unknown keys are errors naming the key; an override changes the output.
#[test]
fn params_overlay_and_unknown_keys() {
    let err = SimParams::from_toml_str("[events]\nfocal_hazard = 2.0\n").unwrap_err();
    assert!(err.to_string().contains("events.focal_hazard"), "{err}");
    let err = SimParams::from_toml_str("colour = 1\n").unwrap_err();
    assert!(err.to_string().contains("colour"), "{err}");
    let err = SimParams::from_toml_str("[population]\nmale_prob = 1.5\n").unwrap_err();
    assert!(err.to_string().contains("population.male_prob"), "{err}");
    assert!(SimParams::from_toml_str("[population\n").is_err());
    let err = SimParams::from_toml_str("[population]\nmale_prob = \"x\"\n").unwrap_err();
    assert!(err.to_string().contains("population.male_prob"), "{err}");
    let err = SimParams::from_toml_str("[population]\niss_probs = [0.5, 0.5]\n").unwrap_err();
    assert!(err.to_string().contains("population.iss_probs"), "{err}");
    let err = SimParams::from_toml_str("events = 3\n").unwrap_err();
    assert!(err.to_string().contains("`events`"), "{err}");
    // an integer where a float is expected is fine
    let p = SimParams::from_toml_str("[population]\nage_mean = 70\n").unwrap();
    assert_eq!(p.population.age_mean, 70.0);

    let p = SimParams::from_toml_str("[events]\nbackground_rate_per_month = 0.01\n").unwrap();
    assert_eq!(p.events.background_rate_per_month, 0.01);
    let d = SimParams::defaults();
    assert_eq!(p.population, d.population);
    let a = simulate(500, 3, &d).unwrap();
    let b = simulate(500, 3, &p).unwrap();
    assert_ne!(a.cohort, b.cohort);
    let events = |o: &SimOutput| o.cohort.iter().filter(|r| r.event).count();
    assert!(events(&b) > events(&a));
    // round trip through TOML
    let again = SimParams::from_toml_str(&p.to_toml_string().unwrap()).unwrap();
    assert_eq!(again, p);
}

#[test]
fn rejects_zero_patients_and_unwritable_folder() {
    let p = SimParams::defaults();
    assert!(matches!(
        simulate(0, 1, &p),
        Err(mbdrisk::simulate::SimError::NoPatients)
    ));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not_a_folder");
    std::fs::write(&file, "x").unwrap();
    let out = simulate(5, 1, &p).unwrap();
    let err = write_csvs(&out, &file).unwrap_err();
    assert!(err.to_string().contains("not_a_folder"), "{err}");
}
