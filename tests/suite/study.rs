//! Study descriptions (issue 12): real public cohorts in their own column names and words
//! (tests/golden/cohorts, written by make_cohorts.R from R's survival package), the MM profile
//! as a default, the generic profile's checks, `init`, and the report in the study's words.

use std::path::Path;
use std::process::Output;

use crate::util::{mbdrisk, stderr, stdout};

const FLCHAIN: &str = "tests/golden/cohorts/flchain.csv";
const PBC: &str = "tests/golden/cohorts/pbc_cohort.csv";
const PBC_VISITS: &str = "tests/golden/cohorts/pbc_visits.csv";

fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

#[track_caller]
fn ok(o: &Output) {
    assert_eq!(o.status.code(), Some(0), "stderr:\n{}", stderr(o));
}

/// Exit 2, never a panic, with every needle in stderr.
#[track_caller]
fn refused(o: &Output, needles: &[&str]) {
    let e = stderr(o);
    assert_eq!(o.status.code(), Some(2), "expected exit 2, stderr:\n{e}");
    assert!(!e.contains("panicked"), "{e}");
    for n in needles {
        assert!(e.contains(n), "stderr lacks {n:?}:\n{e}");
    }
}

/// `fit --dynamic` of log(bili) + albumin on PBC, 24-month window, at `landmarks`.
fn fit_pbc_dynamic(model: &Path, landmarks: &str, extra: &[&str]) -> Output {
    let mut a = vec![
        "fit",
        "--dynamic",
        "--data",
        PBC,
        "--visits",
        PBC_VISITS,
        "--formula",
        "Surv(time_months, event) ~ log(bili) + albumin",
        "--window",
        "24",
        "--landmarks",
        landmarks,
        "--out",
        p(model),
    ];
    a.extend_from_slice(extra);
    mbdrisk(&a)
}

#[test]
fn check_runs_on_any_cohort_with_its_own_names() {
    let o = mbdrisk(&[
        "check",
        "--data",
        FLCHAIN,
        "--id",
        "id",
        "--time",
        "futime",
        "--event",
        "death",
        "--time-unit",
        "days",
        "--event-name",
        "death",
    ]);
    ok(&o);
    let out = stdout(&o);
    assert!(out.contains("patients 1500"), "{out}");
    assert!(out.contains("deaths "), "{out}");
    assert!(out.contains("days (reverse Kaplan-Meier)"), "{out}");
    assert!(!out.contains("bone"), "{out}");
    // generic profile: no MM-schema warnings about the cohort's own columns
    let e = stderr(&o);
    assert!(!e.contains("MM schema"), "{e}");
    // the id is excluded from the category counts
    assert!(!out.contains("F0003"), "{out}");
    // no time and event: a binary-outcome cohort is fine too
    let o = mbdrisk(&["check", "--data", FLCHAIN, "--id", "id"]);
    ok(&o);
    assert!(stdout(&o).contains("no follow-up time and event columns"));
}

#[test]
fn check_names_the_flag_for_a_missing_role() {
    // the default identifier is not in flchain
    refused(
        &mbdrisk(&["check", "--data", FLCHAIN]),
        &["'patient_id'", "--id COL"],
    );
    // a misspelt role column gets the near miss and the flag
    refused(
        &mbdrisk(&["check", "--data", FLCHAIN, "--id", "idd"]),
        &["'idd'", "found 'id'", "--id id"],
    );
    // time without event
    refused(
        &mbdrisk(&["check", "--data", FLCHAIN, "--id", "id", "--time", "futime"]),
        &["found only futime", "--event COL"],
    );
    // a duplicated identifier in the generic profile
    let dir = tempfile::tempdir().expect("tempdir");
    let dup = dir.path().join("dup.csv");
    let text = std::fs::read_to_string(FLCHAIN).expect("read");
    std::fs::write(&dup, text.replace("\"F0005\"", "\"F0003\"")).expect("write");
    refused(
        &mbdrisk(&["check", "--data", p(&dup), "--id", "id"]),
        &["row 3", "column 'id'", "a unique patient id"],
    );
    // a bad --map
    refused(
        &mbdrisk(&["check", "--data", FLCHAIN, "--id", "id", "--map", "ctx"]),
        &["--map 'ctx'", "ROLE=COLUMN"],
    );
    refused(
        &mbdrisk(&[
            "check",
            "--data",
            FLCHAIN,
            "--id",
            "id",
            "--map",
            "kappa_x=kappa",
        ]),
        &["an MM role", "kappa_x"],
    );
}

#[test]
fn mapped_columns_get_the_mm_checks() {
    // kappa mapped to CTX-I: values above 5 look like pg/mL
    let o = mbdrisk(&[
        "check",
        "--data",
        FLCHAIN,
        "--id",
        "id",
        "--map",
        "ctx_ng_ml=kappa",
    ]);
    refused(&o, &["column 'kappa'", "looks like pg/mL"]);
}

#[test]
fn study_files_and_flags_are_equivalent_and_flags_win() {
    let dir = tempfile::tempdir().expect("tempdir");
    let study = dir.path().join("study.toml");
    ok(&mbdrisk(&[
        "init",
        "--data",
        PBC,
        "--visits",
        PBC_VISITS,
        "--out",
        p(&study),
    ]));
    let text = std::fs::read_to_string(&study).expect("template");
    // the guesses: identifier, time, event, visit time
    for line in [
        "id = \"patient_id\"",
        "time = \"time_months\"",
        "event = \"event\"",
        "visit_time = \"month\"",
    ] {
        assert!(text.contains(line), "{line}:\n{text}");
    }
    let from_file = mbdrisk(&[
        "check",
        "--data",
        PBC,
        "--visits",
        PBC_VISITS,
        "--study",
        p(&study),
    ]);
    ok(&from_file);
    let by_flags = mbdrisk(&[
        "check",
        "--data",
        PBC,
        "--visits",
        PBC_VISITS,
        "--id",
        "patient_id",
        "--time",
        "time_months",
        "--event",
        "event",
    ]);
    ok(&by_flags);
    assert_eq!(stdout(&from_file), stdout(&by_flags));
    // flags win over the file
    std::fs::write(&study, "id = \"nope\"\nevent_name = \"death\"\n").expect("write");
    let o = mbdrisk(&[
        "check",
        "--data",
        PBC,
        "--study",
        p(&study),
        "--id",
        "patient_id",
    ]);
    ok(&o);
    assert!(stdout(&o).contains("deaths"), "{}", stdout(&o));
    // a study file with an unknown key, a bad range, or bad TOML
    for (text, needle) in [
        ("idd = \"x\"\n", "unknown field"),
        ("[ranges]\nage = { min = 5, max = 1 }\n", "min <= max"),
        ("id = \n", "study file"),
    ] {
        std::fs::write(&study, text).expect("write");
        refused(
            &mbdrisk(&["check", "--data", PBC, "--study", p(&study)]),
            &["study.toml", needle],
        );
    }
    // a range from the study file is checked
    std::fs::write(&study, "[ranges]\nage = { min = 40, max = 110 }\n").expect("write");
    refused(
        &mbdrisk(&["check", "--data", PBC, "--study", p(&study)]),
        &["column 'age'", "[40, 110]"],
    );
}

#[test]
fn visits_after_the_end_of_follow_up_are_left_out_with_a_count() {
    let dir = tempfile::tempdir().expect("tempdir");
    let visits = dir.path().join("v.csv");
    let mut text = std::fs::read_to_string(PBC_VISITS).expect("read");
    // patient 1 died at 13.142 months: two visits after that
    text.push_str("1,20,1,3,100,10,0\n1,30,1,3,100,10,0\n");
    std::fs::write(&visits, &text).expect("write");
    let o = mbdrisk(&["check", "--data", PBC, "--visits", p(&visits)]);
    ok(&o);
    let e = stderr(&o);
    assert!(
        e.contains("2 visits after the patient's event or censoring"),
        "{e}"
    );
    assert!(stdout(&o).contains("1945 visits"), "{}", stdout(&o));
    refused(
        &mbdrisk(&["check", "--data", PBC, "--visits", p(&visits), "--strict"]),
        &["row 1947", "--strict"],
    );
}

#[test]
fn the_mm_profile_is_the_default_for_mm_columns() {
    let o = mbdrisk(&["check", "--data", "data/demo/cohort.csv"]);
    ok(&o);
    assert!(stdout(&o).contains("bone events"), "{}", stdout(&o));
    assert!(stdout(&o).contains("12 months"), "{}", stdout(&o));
}

#[test]
fn fit_and_compare_use_the_study() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("m.json");
    let formula = "death5 ~ rcs(age, 4) + sex + log(kappa) + log(lambda)";
    ok(&mbdrisk(&[
        "fit",
        "--data",
        FLCHAIN,
        "--id",
        "id",
        "--formula",
        formula,
        "--out",
        p(&model),
    ]));
    // the study's identifier is never a predictor, whatever its name
    let renamed = dir.path().join("r.csv");
    let text = std::fs::read_to_string(FLCHAIN).expect("read");
    std::fs::write(&renamed, text.replacen("\"id\"", "\"subject\"", 1)).expect("write");
    refused(
        &mbdrisk(&[
            "fit",
            "--data",
            p(&renamed),
            "--id",
            "subject",
            "--formula",
            "death5 ~ age + subject",
            "--out",
            p(&model),
        ]),
        &["'subject'", "identifier"],
    );
    // compare: a generic study names its rules
    let out = dir.path().join("cmp");
    refused(
        &mbdrisk(&[
            "compare",
            "--model",
            p(&model),
            "--data",
            FLCHAIN,
            "--id",
            "id",
            "--out",
            p(&out),
        ]),
        &["--rule 'name=SQL condition'"],
    );
    let o = mbdrisk(&[
        "compare",
        "--model",
        p(&model),
        "--data",
        FLCHAIN,
        "--id",
        "id",
        "--rule",
        "young=age < 60 AND mgus = 0",
        "--bootstrap",
        "20",
        "--out",
        p(&out),
    ]);
    ok(&o);
    let table = stdout(&o);
    assert!(
        !table.contains("bone") && !table.contains("stop if"),
        "{table}"
    );
    assert!(out.join("comparison.json").exists());
    assert!(out.join("decision_curve.png").exists());
    assert!(out.join("decision_curve.svg").exists());
    // rules that cannot tell patients apart, or compare with a word that is not a level
    let o = mbdrisk(&[
        "compare",
        "--model",
        p(&model),
        "--data",
        FLCHAIN,
        "--id",
        "id",
        "--rule",
        "men=sex = 'm'",
        "--rule",
        "ancient=age > 200",
        "--bootstrap",
        "0",
        "--out",
        p(&out),
    ]);
    ok(&o);
    let e = stderr(&o);
    assert!(e.contains("'m', which is not a value of sex: F, M"), "{e}");
    assert!(e.contains("the case differs"), "{e}");
    assert!(
        e.contains("rule 'ancient' (age > 200) is true for none"),
        "{e}"
    );
    let json = std::fs::read_to_string(out.join("comparison.json")).expect("json");
    assert!(json.contains("\"warnings\""), "{json}");
}

#[test]
fn the_report_speaks_the_studys_words() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("report");
    let o = mbdrisk(&[
        "report",
        "--data",
        FLCHAIN,
        "--id",
        "id",
        "--time",
        "futime",
        "--event",
        "death",
        "--time-unit",
        "days",
        "--event-name",
        "death",
        "--horizon-words",
        "5-year",
        "--formula",
        "death5 ~ rcs(age, 4) + sex + log(kappa) + log(lambda)",
        "--rule",
        "young=age < 60",
        "--bootstrap",
        "20",
        "--out",
        p(&out),
    ]);
    ok(&o);
    let html = std::fs::read_to_string(out.join("report.html")).expect("report");
    assert!(html.contains("risk of death"), "title");
    assert!(html.contains("5-year"), "horizon");
    for stem in ["calibration", "roc", "decision_curve", "risk_distribution"] {
        assert!(out.join(format!("{stem}.png")).exists(), "{stem}");
    }
    // the text of the page, without its embedded images (base64 can spell anything)
    let mut lower = String::new();
    let mut rest = html.as_str();
    while let Some(k) = rest.find("base64,") {
        lower.push_str(&rest[..k]);
        rest = &rest[k..];
        rest = &rest[rest.find('"').unwrap_or(rest.len())..];
    }
    lower.push_str(rest);
    let lower = lower.to_lowercase();
    for word in [
        "myeloma",
        "bone",
        "ctx",
        "2-year",
        "two-year",
        "bone protection",
        "stop rate",
        "stops",
        "restart",
    ] {
        assert!(!lower.contains(word), "the report says {word:?}");
    }
    for svg in ["calibration", "roc", "decision_curve", "risk_distribution"] {
        let text = std::fs::read_to_string(out.join(format!("{svg}.svg")))
            .expect("svg")
            .to_lowercase();
        for word in ["bone", "stopped", "continuing", "continue all", "stop all"] {
            assert!(!text.contains(word), "{svg}.svg says {word:?}");
        }
    }
    assert!(lower.contains("death"));
    // the dynamic limitation only with a dynamic model, the rules' only with rules
    assert!(!lower.contains("landmark"), "no dynamic model was fitted");
    let predictions = std::fs::read_to_string(out.join("predictions.csv")).expect("csv");
    assert!(predictions.starts_with("row,id,"), "{}", &predictions[..40]);
}

/// Interaction formulas (`a*b`, either order, a spline per group, factor first) give the
/// linear predictors and coefficient names of `rms::lrm` (make_interaction_goldens.R).
#[test]
fn interaction_models_predict_as_rms_lrm() {
    use crate::tolerances::INTERACTION_LP_ABS;
    let dir = "tests/golden/cohorts";
    let table =
        mbdrisk::table::Table::read_keeping_text(Path::new(FLCHAIN), &["id"]).expect("flchain");
    let golden = std::fs::read_to_string(format!("{dir}/interaction_golden.csv")).expect("golden");
    let mut lines = golden.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let formulas =
        std::fs::read_to_string(format!("{dir}/interaction_formulas.txt")).expect("formulas");
    let coefs = std::fs::read_to_string(format!("{dir}/interaction_coefs.csv")).expect("coefs");
    let ids = table.text("id").expect("ids");
    for (k, formula) in formulas.lines().enumerate() {
        let name = header[k + 1];
        let model = mbdrisk::model::fit::fit_model(
            &table,
            formula,
            &Default::default(),
            mbdrisk::design::MissingPolicy::Drop,
        )
        .unwrap_or_else(|e| panic!("{formula}: {e}"));
        // names and order as rms prints them
        let want: Vec<String> = coefs
            .lines()
            .skip(1)
            .filter(|l| l.starts_with(&format!("\"{name}\"")))
            .map(|l| {
                l.split(',')
                    .nth(1)
                    .expect("name")
                    .trim_matches('"')
                    .to_string()
            })
            .collect();
        let got: Vec<String> = model.coefficients.iter().map(|c| c.name.clone()).collect();
        assert_eq!(got, want, "{formula}");
        let scores = model
            .scorer()
            .expect("scorer")
            .score_table(&table)
            .expect("score");
        let mut compared = 0;
        for r in &rows {
            let i = ids
                .iter()
                .position(|id| id.as_deref() == Some(r[0]))
                .expect("golden id in the file");
            if r[k + 1] == "NA" {
                // a missing predictor: no score, as R gives none
                assert!(scores.linear_predictor[i].is_nan(), "{formula}, {}", r[0]);
                continue;
            }
            let want: f64 = r[k + 1].parse().expect("number");
            let got = scores.linear_predictor[i];
            assert!(
                (got - want).abs() <= INTERACTION_LP_ABS,
                "{formula}, {}: {got} vs rms {want}",
                r[0]
            );
            compared += 1;
        }
        // anova(lrm) and the print(lrm) indexes
        let anova =
            std::fs::read_to_string(format!("{dir}/interaction_anova.csv")).expect("anova golden");
        let want: Vec<(String, f64, usize)> = anova
            .lines()
            .skip(1)
            .filter(|l| l.starts_with(&format!("\"{name}\"")))
            .map(|l| {
                let f: Vec<&str> = l.split("\",\"").collect();
                let last: Vec<&str> = f[2].split("\",").collect();
                (
                    f[1].to_string(),
                    last[0].parse().expect("chi2"),
                    last[1].trim().parse().expect("df"),
                )
            })
            .collect();
        let got: Vec<(String, f64, usize)> = model
            .anova
            .iter()
            .map(|t| (t.term.trim().to_string(), t.chi2, t.df))
            .collect();
        assert_eq!(got.len(), want.len(), "{formula}: {got:?}");
        for (g, w) in got.iter().zip(&want) {
            assert_eq!((&g.0, g.2), (&w.0, w.2), "{formula}");
            assert!(
                (g.1 - w.1).abs() <= crate::tolerances::ANOVA_CHI2_REL * w.1,
                "{formula}, {}: {} vs rms {}",
                g.0,
                g.1,
                w.1
            );
        }
        let indexes = std::fs::read_to_string(format!("{dir}/interaction_indexes.csv"))
            .expect("indexes golden");
        let line = indexes
            .lines()
            .find(|l| l.starts_with(&format!("\"{name}\"")))
            .expect("indexes row");
        let v: Vec<f64> = line
            .split(',')
            .skip(1)
            .map(|x| x.trim_matches('"').parse().expect("number"))
            .collect();
        let ix = model.indexes.expect("indexes");
        for (g, w) in [ix.c, ix.dxy, ix.brier, ix.r2].iter().zip(&v) {
            assert!(
                (g - w).abs() <= crate::tolerances::FIT_INDEX_ABS,
                "{formula}: {g} vs R {w}"
            );
        }
        let expected = rows.iter().filter(|r| r[k + 1] != "NA").count();
        assert_eq!(compared, expected, "{formula}");
        assert!(compared > 1000, "{formula}: {compared} rows compared");
    }
}

/// The PBC acceptance case: a dynamic model on a real longitudinal cohort with its own
/// names, a user-defined trigger next to the model at equal alarms, in the study's words.
#[test]
fn dynamic_report_on_a_real_longitudinal_cohort() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("report");
    let o = mbdrisk(&[
        "report",
        "--data",
        PBC,
        "--visits",
        PBC_VISITS,
        "--id",
        "patient_id",
        "--dynamic-formula",
        "Surv(time_months, event) ~ log(bili) + albumin",
        "--window",
        "24",
        "--landmarks",
        "0:60:12",
        "--trigger",
        "bili_rise=bili_change_prev_pct > 30",
        "--event-name",
        "death",
        "--bootstrap",
        "10",
        "--out",
        p(&out),
    ]);
    ok(&o);
    let html = std::fs::read_to_string(out.join("report.html")).expect("report");
    let mut text = String::new();
    let mut rest = html.as_str();
    while let Some(k) = rest.find("base64,") {
        text.push_str(&rest[..k]);
        rest = &rest[k..];
        rest = &rest[rest.find('"').unwrap_or(rest.len())..];
    }
    text.push_str(rest);
    assert!(
        text.contains("model at the alarms of bili_rise"),
        "trigger row"
    );
    assert!(text.contains("Versus bili_rise: model minus rule at equal alarms"));
    assert!(text.contains("death within 24 months of the landmark"));
    let lower = text.to_lowercase();
    for word in ["myeloma", "bone", "ctx", "mrd", "two-year", "restart"] {
        assert!(!lower.contains(word), "the report says {word:?}");
    }
    for stem in [
        "dynamic_calibration",
        "trajectory_event",
        "trajectory_no_event",
    ] {
        let svg = std::fs::read_to_string(out.join(format!("{stem}.svg"))).expect("svg");
        assert!(!svg.to_lowercase().contains("bone"), "{stem}.svg says bone");
    }
    let restart = std::fs::read_to_string(out.join("restart.json")).expect("restart");
    assert!(restart.contains("bili_rise"));
    // without a static formula there is no static model output
    assert!(!out.join("model.json").exists());
    // compare --visits on a generic study names its triggers
    let model = dir.path().join("dyn.json");
    ok(&fit_pbc_dynamic(&model, "0:60:12", &[]));
    let cmp = dir.path().join("cmp");
    refused(
        &mbdrisk(&[
            "compare",
            "--model",
            p(&model),
            "--data",
            PBC,
            "--visits",
            PBC_VISITS,
            "--out",
            p(&cmp),
        ]),
        &["--trigger 'name=SQL condition'"],
    );
    refused(
        &mbdrisk(&[
            "compare",
            "--model",
            p(&model),
            "--data",
            PBC,
            "--visits",
            PBC_VISITS,
            "--trigger",
            "rise=bili_chnge_prev_pct > 30",
            "--out",
            p(&cmp),
        ]),
        &["bili_change_prev_pct"],
    );
    let o = mbdrisk(&[
        "compare",
        "--model",
        p(&model),
        "--data",
        PBC,
        "--visits",
        PBC_VISITS,
        "--trigger",
        "bili_rise=bili_change_prev_pct > 30",
        "--bootstrap",
        "10",
        "--out",
        p(&cmp),
    ]);
    ok(&o);
    assert!(stdout(&o).contains("bili_rise"), "{}", stdout(&o));
}

/// Cross-validated calibration errors come from the pooled out-of-fold predictions, so they
/// are of the size of the bootstrap's (each fold's own noisy curve made them ~5x larger), and
/// metrics.json says how they were computed (issue 12, item 8).
#[test]
fn cross_validated_calibration_errors_use_pooled_predictions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("m.json");
    ok(&mbdrisk(&[
        "fit",
        "--data",
        FLCHAIN,
        "--id",
        "id",
        "--formula",
        "death5 ~ rcs(age, 4) + sex + log(kappa) + log(lambda)",
        "--out",
        p(&model),
    ]));
    let out = dir.path().join("val");
    ok(&mbdrisk(&[
        "validate",
        "--model",
        p(&model),
        "--data",
        FLCHAIN,
        "--id",
        "id",
        "--cv",
        "10x2",
        "--bootstrap",
        "40",
        "--out",
        p(&out),
    ]));
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json")).expect("json"))
            .expect("metrics.json");
    // validate writes its plots, in the study's words
    for stem in ["calibration", "roc", "risk_distribution"] {
        assert!(out.join(format!("{stem}.png")).exists(), "{stem}.png");
        let svg = std::fs::read_to_string(out.join(format!("{stem}.svg"))).expect("svg");
        assert!(!svg.contains("bone"), "{stem}.svg says bone");
    }
    let cv = &m["cross_validated"];
    assert!(
        cv["method"]
            .as_str()
            .expect("method")
            .contains("pooled out-of-fold"),
        "{cv}"
    );
    let cv_eavg = cv["metrics"]["eavg"].as_f64().expect("cv eavg");
    let boot_eavg = m["optimism_corrected"]["eavg"]
        .as_f64()
        .expect("corrected eavg");
    assert!(
        cv_eavg < 2.5 * boot_eavg.max(0.005),
        "cv eavg {cv_eavg} vs bootstrap-corrected {boot_eavg}"
    );
}

/// Landmarks with few events or mostly censored windows are flagged in the table and in
/// metrics.json (issue 12, item 8).
#[test]
fn thin_landmarks_are_flagged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("dyn.json");
    ok(&fit_pbc_dynamic(&model, "0:144:24", &[]));
    let out = dir.path().join("val");
    let o = mbdrisk(&[
        "validate",
        "--model",
        p(&model),
        "--data",
        PBC,
        "--visits",
        PBC_VISITS,
        "--out",
        p(&out),
    ]);
    ok(&o);
    let text = stdout(&o);
    assert!(
        text.contains("note: landmark 144: 1 events in the window (fewer than 10)"),
        "{text}"
    );
    assert!(text.contains("more than half"), "{text}");
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json")).expect("json"))
            .expect("metrics.json");
    let last = m["per_landmark"]
        .as_array()
        .and_then(|a| a.last())
        .expect("landmarks");
    assert_eq!(last["landmark"].as_f64(), Some(144.0));
    assert_eq!(last["flags"].as_array().map(Vec::len), Some(2), "{last}");
    // a well-populated landmark has no flags
    assert!(m["per_landmark"][0].get("flags").is_none());
}

/// A level that differs only in case is named once with a hint, not once per row (issue 12,
/// item 6).
#[test]
fn a_case_only_difference_is_hinted_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("m.json");
    ok(&mbdrisk(&[
        "fit",
        "--data",
        PBC,
        "--formula",
        "event ~ age + sex",
        "--out",
        p(&model),
    ]));
    let upper = dir.path().join("upper.csv");
    let text = std::fs::read_to_string(PBC).expect("read");
    std::fs::write(&upper, text.replace("\"f\"", "\"F\"")).expect("write");
    let out = dir.path().join("s.csv");
    let o = mbdrisk(&[
        "score",
        "--model",
        p(&model),
        "--data",
        p(&upper),
        "--out",
        p(&out),
    ]);
    refused(
        &o,
        &[
            "row 2, column 'sex': found 'F'",
            "(the same in 275 more rows",
        ],
    );
    assert_eq!(
        stderr(&o).matches("only in case").count(),
        1,
        "{}",
        stderr(&o)
    );
}

/// Regressions from the new-user trial of session 5: each of these was an exit 0 with a
/// wrong or silently ignored result, or a refusal of valid input.
#[test]
fn interactions_without_their_margin_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("m.json");
    for (formula, needle) in [
        ("death5 ~ sex:age", "needs the main effect of age"),
        (
            "death5 ~ sex:log(kappa) + age",
            "needs the main effect of log(kappa)",
        ),
        (
            "death5 ~ sex:rcs(age, 3) + sex + age",
            "needs the main effect of rcs(age, 3)",
        ),
    ] {
        refused(
            &mbdrisk(&[
                "fit",
                "--data",
                FLCHAIN,
                "--id",
                "id",
                "--formula",
                formula,
                "--out",
                p(&model),
            ]),
            &[needle],
        );
    }
    ok(&mbdrisk(&[
        "fit",
        "--data",
        FLCHAIN,
        "--id",
        "id",
        "--formula",
        "death5 ~ sex * rcs(age, 3)",
        "--out",
        p(&model),
    ]));
}

#[test]
fn study_descriptions_that_say_nothing_useful_are_refused() {
    let base = ["check", "--data", FLCHAIN, "--id", "id"];
    let with = |extra: &[&str]| {
        let mut a: Vec<&str> = base.to_vec();
        a.extend_from_slice(extra);
        mbdrisk(&a)
    };
    refused(
        &with(&["--time", "futime", "--event", "futime"]),
        &["both are 'futime'"],
    );
    refused(
        &with(&["--map", "egfr=kreatinine"]),
        &["'kreatinine'", "found 'creatinine'"],
    );
    refused(&with(&["--map", "patient_id=age"]), &["their own keys"]);
    refused(
        &with(&["--map", "egfr=creatinine", "--map", "age=creatinine"]),
        &["'creatinine' is mapped to two roles"],
    );
    // one MM role mapped keeps the generic profile: futime in days is not checked as months
    let o = with(&[
        "--time",
        "futime",
        "--event",
        "death",
        "--map",
        "mrd=chapter",
    ]);
    assert!(!stderr(&o).contains("[0, 600] months"), "{}", stderr(&o));
    // init keeps an existing (edited) study file
    let dir = tempfile::tempdir().expect("tempdir");
    let study = dir.path().join("s.toml");
    std::fs::write(&study, "event_name = \"death\"\n").expect("write");
    refused(
        &mbdrisk(&["init", "--data", FLCHAIN, "--out", p(&study)]),
        &["exists", "--force"],
    );
    assert_eq!(
        std::fs::read_to_string(&study).expect("read"),
        "event_name = \"death\"\n"
    );
    ok(&mbdrisk(&[
        "init",
        "--data",
        FLCHAIN,
        "--out",
        p(&study),
        "--force",
    ]));
}

#[test]
fn visits_in_days_and_dynamic_feature_flags_are_checked_as_given() {
    let dir = tempfile::tempdir().expect("tempdir");
    // PBC with times in days: visit times above 600 are fine outside the MM profile
    let days = |from: &str, cols: &[usize], to: &Path| {
        let text = std::fs::read_to_string(from).expect("read");
        let mut out = String::new();
        for (k, line) in text.lines().enumerate() {
            let mut cells: Vec<String> = line.split(',').map(str::to_string).collect();
            for &c in cols {
                if k == 0 {
                    cells[c] = if c == 1 {
                        "\"day\"".into()
                    } else {
                        "\"futime\"".into()
                    };
                } else if let Ok(v) = cells[c].parse::<f64>() {
                    cells[c] = format!("{}", (v * 30.4375 * 1000.0).round() / 1000.0);
                }
            }
            out.push_str(&cells.join(","));
            out.push('\n');
        }
        std::fs::write(to, out).expect("write");
    };
    let cohort = dir.path().join("c.csv");
    let visits = dir.path().join("v.csv");
    days(PBC, &[4], &cohort);
    days(PBC_VISITS, &[1], &visits);
    let o = mbdrisk(&[
        "check",
        "--data",
        p(&cohort),
        "--visits",
        p(&visits),
        "--id",
        "patient_id",
        "--time",
        "futime",
        "--event",
        "event",
        "--visit-time",
        "day",
        "--time-unit",
        "days",
    ]);
    ok(&o);
    assert!(
        stdout(&o).contains("days (reverse Kaplan-Meier)"),
        "{}",
        stdout(&o)
    );
    // --lsc and --positive must name visit columns, and --positive one of their values
    let model = dir.path().join("d.json");
    let fit = |extra: &[&str]| fit_pbc_dynamic(&model, "0:60:12", extra);
    refused(
        &fit(&["--lsc", "bilii=20"]),
        &["--lsc bilii", "did you mean 'bili'"],
    );
    refused(
        &fit(&["--positive", "ascites=2"]),
        &["'2' is not a value of ascites", "0, 1"],
    );
    ok(&fit(&["--lsc", "bili=30", "--positive", "ascites=1"]));
    // a trigger true at every visit warns
    let out = dir.path().join("cmp");
    let o = mbdrisk(&[
        "compare",
        "--model",
        p(&model),
        "--data",
        PBC,
        "--visits",
        PBC_VISITS,
        "--trigger",
        "always=bili > 0 OR 1 = 1",
        "--bootstrap",
        "0",
        "--out",
        p(&out),
    ]);
    ok(&o);
    assert!(
        stderr(&o).contains("trigger 'always' (bili > 0 OR 1 = 1) is true for all of the"),
        "{}",
        stderr(&o)
    );
}

/// A closed stderr is not a crash: the exit code still says what happened.
#[test]
fn a_closed_stderr_keeps_the_exit_code() {
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_mbdrisk"))
        .args(["check", "--data", FLCHAIN])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stderr.take());
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(2), "{status:?}");
}

/// A marker in another unit (CTX-I in pg/mL): declared once in the study, it passes the
/// checks, and the model converts it in every path (the knots, the fit, the streaming
/// scorer), so the results equal those on the file in ng/mL.
#[test]
fn a_marker_in_another_unit_is_converted_everywhere() {
    let dir = tempfile::tempdir().expect("tempdir");
    let demo = std::fs::read_to_string("data/demo/cohort.csv").expect("demo");
    let mut lines = demo.lines();
    let header = lines.next().expect("header");
    let ctx = header
        .split(',')
        .position(|c| c == "ctx_ng_ml")
        .expect("ctx column");
    let mut pg = format!("{header}\n");
    for line in lines {
        let mut cells: Vec<String> = line.split(',').map(str::to_string).collect();
        if let Ok(v) = cells[ctx].parse::<f64>() {
            cells[ctx] = format!("{}", v * 1000.0);
        }
        pg.push_str(&cells.join(","));
        pg.push('\n');
    }
    let pg_file = dir.path().join("pg.csv");
    std::fs::write(&pg_file, pg).expect("write");
    let study = dir.path().join("study.toml");
    std::fs::write(&study, "[units]\nctx_ng_ml = \"pg/mL\"\n").expect("write");
    // the checks: refused as ng/mL, accepted as declared
    refused(
        &mbdrisk(&["check", "--data", p(&pg_file)]),
        &["looks like pg/mL"],
    );
    ok(&mbdrisk(&[
        "check",
        "--data",
        p(&pg_file),
        "--study",
        p(&study),
    ]));
    ok(&mbdrisk(&[
        "check",
        "--data",
        p(&pg_file),
        "--unit",
        "ctx_ng_ml=pg/mL",
    ]));
    // the same model either way
    let formula = "event_24m ~ rcs(ctx_ng_ml, 4) + mrd + pet";
    let (m_ng, m_pg) = (dir.path().join("ng.json"), dir.path().join("pg.json"));
    ok(&mbdrisk(&[
        "fit",
        "--data",
        "data/demo/cohort.csv",
        "--formula",
        formula,
        "--out",
        p(&m_ng),
    ]));
    ok(&mbdrisk(&[
        "fit",
        "--data",
        p(&pg_file),
        "--study",
        p(&study),
        "--formula",
        formula,
        "--out",
        p(&m_pg),
    ]));
    let coefs = |m: &Path| -> Vec<f64> {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(m).expect("model")).expect("json");
        v["coefficients"]
            .as_array()
            .expect("coefficients")
            .iter()
            .map(|c| c["estimate"].as_f64().expect("estimate"))
            .collect()
    };
    let (a, b) = (coefs(&m_ng), coefs(&m_pg));
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert!((x - y).abs() <= 1e-9 * (1.0 + x.abs()), "{a:?} vs {b:?}");
    }
    // the streaming scorer applies the model's conversion to the file in pg/mL
    let (s_ng, s_pg) = (dir.path().join("s_ng.csv"), dir.path().join("s_pg.csv"));
    ok(&mbdrisk(&[
        "score",
        "--model",
        p(&m_ng),
        "--data",
        "data/demo/cohort.csv",
        "--out",
        p(&s_ng),
    ]));
    ok(&mbdrisk(&[
        "score",
        "--model",
        p(&m_pg),
        "--data",
        p(&pg_file),
        "--out",
        p(&s_pg),
    ]));
    let risks = |f: &Path| -> Vec<Option<f64>> {
        std::fs::read_to_string(f)
            .expect("scores")
            .lines()
            .skip(1)
            .map(|l| l.rsplit(',').next().and_then(|v| v.parse().ok()))
            .collect()
    };
    let (r_ng, r_pg) = (risks(&s_ng), risks(&s_pg));
    assert_eq!(r_ng.len(), r_pg.len());
    for (x, y) in r_ng.iter().zip(&r_pg) {
        match (x, y) {
            (Some(x), Some(y)) => assert!((x - y).abs() <= 1e-12, "{x} vs {y}"),
            (None, None) => {}
            _ => panic!("one scored, one not: {x:?} {y:?}"),
        }
    }
    // units that do not fit their role, or a column without one
    refused(
        &mbdrisk(&["check", "--data", p(&pg_file), "--unit", "ctx_ng_ml=mg"]),
        &["pg/mL", "found 'mg'"],
    );
    refused(
        &mbdrisk(&["check", "--data", p(&pg_file), "--unit", "mrd=pg/mL"]),
        &["has none to convert to"],
    );
    refused(
        &mbdrisk(&[
            "check",
            "--data",
            FLCHAIN,
            "--id",
            "id",
            "--unit",
            "kappa=mg/L",
        ]),
        &["'kappa' plays none"],
    );
}
