#!/usr/bin/env python3
"""Write the notebooks in this folder from the cell lists below (outputs stripped).

The notebooks drive the mbdrisk command line; edit here and rerun rather than editing the
.ipynb by hand, so the git history stays readable.
"""
import json, pathlib

HERE = pathlib.Path(__file__).parent

SETUP = '''import json, os, pathlib, shutil, subprocess
import pandas as pd
from IPython.display import Image, display

ROOT = pathlib.Path.cwd().parent if pathlib.Path.cwd().name == "notebooks" else pathlib.Path.cwd()
# The mbdrisk binary: $MBDRISK_BIN, or `mbdrisk` on PATH, or the release build of this repo.
BIN = os.environ.get("MBDRISK_BIN") or shutil.which("mbdrisk") or str(ROOT / "target/release/mbdrisk")

def mbdrisk(*args):
    """Run an mbdrisk command; show its output; raise when it fails."""
    r = subprocess.run([BIN, *map(str, args)], cwd=ROOT, capture_output=True, text=True)
    print(r.stdout)
    if r.returncode != 0:
        raise RuntimeError(f"mbdrisk {args[0]} failed ({r.returncode}):\\n{r.stderr}")
    return r
'''

DEMO = [
    ("md", "# Fit, validate and compare on the demo cohort\n\nThe demo cohort (`data/demo`, 2,000 simulated patients who all stopped bone protection at the decision point) is used to fit a relapse-risk model, validate it with the bootstrap as `rms::validate` does, and compare it with the fixed 2-year rule. Build the binary first: `cargo build --release` (or set `MBDRISK_BIN`)."),
    ("code", SETUP),
    ("md", "## 1. Check the data\n`check` validates the files (every problem with row and column) and summarises them."),
    ("code", 'mbdrisk("check", "--data", "data/demo/cohort.csv", "--visits", "data/demo/visits.csv");'),
    ("md", "## 2. Fit\nAn R-style formula: `rcs()` is a restricted cubic spline with knots as in `rms`; text columns are factors with the first sorted level as reference."),
    ("code", 'OUT = ROOT / "notebook-output"\nOUT.mkdir(exist_ok=True)\nFORMULA = "event_24m ~ log(ctx_ng_ml) + log(p1np_ng_ml) + mrd + pet + response + rcs(bpa_months, 3) + agent + prior_sre"\nmbdrisk("fit", "--data", "data/demo/cohort.csv", "--formula", FORMULA, "--out", OUT / "model.json");\nmodel = json.loads((OUT / "model.json").read_text())\npd.DataFrame(model["coefficients"]).set_index("name").round(4)'),
    ("md", "## 3. Internal validation\nBootstrap optimism correction as `rms::validate`: on each resample the coefficients are refitted on the model's design (its knots and levels)."),
    ("code", 'mbdrisk("validate", "--model", OUT / "model.json", "--data", "data/demo/cohort.csv", "--bootstrap", 50, "--seed", 1, "--out", OUT / "validation");\nm = json.loads((OUT / "validation/metrics.json").read_text())\npd.DataFrame({k: m[k] for k in ["apparent", "optimism", "optimism_corrected"]}).round(4)'),
    ("md", "## 4. Model versus the 2-year rule\nStopping as many patients as the rule, how many events does the model miss? At the rule's missed-event rate, how many more patients does it spare? The truth file adds the simulated patients' true risk as an upper bound."),
    ("code", 'mbdrisk("compare", "--model", OUT / "model.json", "--data", "data/demo/cohort.csv", "--rule", "two-year", "--bootstrap", 50, "--truth", "data/demo/truth.csv", "--out", OUT / "compare");\ndc = pd.read_csv(OUT / "compare/decision_curve.csv")\ndc[dc.threshold.isin([0.05, 0.1, 0.15, 0.2])].pivot(index="threshold", columns="strategy", values="net_benefit").round(4)'),
    ("md", "## 5. The report with every plot"),
    ("code", 'mbdrisk("report", "--data", "data/demo/cohort.csv", "--formula", FORMULA, "--bootstrap", 50, "--truth", "data/demo/truth.csv", "--out", OUT / "report");\nfor name in ["calibration", "decision_curve", "roc"]:\n    display(Image(filename=str(OUT / "report" / f"{name}.png"), width=700))'),
    ("md", "## 6. After stopping: the dynamic model on the monitoring visits\nA landmark super-model: at months 0, 3, ..., 24 every patient still event-free contributes a row with the markers known then (carried forward up to 12 months) and the outcome \"bone event in the next 6 months\" (censoring handled by IPCW). `a:landmark` lets an effect change with time since stopping; `addNA(ctdna)` keeps visits whose last ctDNA result is missing or older than 12 months, with \"not measured recently\" as a level of its own (the formula of `mbdrisk demo`). It is validated per landmark, and compared as a restart alarm with the article's triggers at the same number of alarms."),
    ("code", 'DYN = "Surv(time_months, event) ~ rcs(landmark, 3) + log(ctx_ng_ml) + ctx_above_lsc + mrd + mrd_conversion + addNA(ctdna) + addNA(pet) + agent + cyto_risk + iss_stage + log(ctx_nadir_ng_ml) + ctx_rise_lsc + log(ctx_ng_ml):landmark + ctx_above_lsc:landmark + mrd:landmark + mrd_conversion:landmark + addNA(ctdna):landmark + addNA(pet):landmark + agent:landmark"\nV = ["--data", "data/demo/cohort.csv", "--visits", "data/demo/visits.csv"]\nmbdrisk("fit", "--dynamic", *V, "--formula", DYN, "--window", 6, "--landmarks", "0:24:3", "--out", OUT / "dynamic.json");\nmbdrisk("validate", "--model", OUT / "dynamic.json", *V, "--bootstrap", 20, "--out", OUT / "dynamic_validation");\nd = json.loads((OUT / "dynamic_validation/metrics.json").read_text())\npd.DataFrame(d["per_landmark"] + [d["pooled"]])[["landmark", "n", "events_in_window", "auc", "brier", "scaled_brier", "oe_ratio", "calibration_slope"]].round(3)'),
    ("code", 'mbdrisk("compare", "--model", OUT / "dynamic.json", *V, "--bootstrap", 100, "--out", OUT / "restart");\nr = json.loads((OUT / "restart/restart.json").read_text())\npd.DataFrame([{"rule": m["rule"]["policy"], "alarms": m["rule"]["alarms"], "rule caught": m["rule"]["caught"], "model caught": m["model"]["caught"], "difference per 100 events": 100 * m["caught_fraction_difference"], "95% CI": f\"{100 * m[\'ci\'][0]:+.1f} to {100 * m[\'ci\'][1]:+.1f}\"} for m in r["matched"]]).round(1)'),
    ("code", 'mbdrisk("score", "--model", OUT / "dynamic.json", *V, "--out", OUT / "visit_risks.csv");\npd.read_csv(OUT / "visit_risks.csv").head(8)'),
]

OWN = [
    ("md", "# Your own cohort and formula\n\nReplace `DATA` with your CSV or Parquet file. Columns are free: the formula names them. For the built-in rules (`two-year`, `imwg-2021`, `triad`) the MM column names of `data/README.md` are needed; otherwise write your own rule as an SQL condition."),
    ("code", SETUP),
    ("code", '# Your file and formula. Here a copy of the demo with an extra column stands in for your data.\nOUT = ROOT / "notebook-output-own"\nOUT.mkdir(exist_ok=True)\ndf = pd.read_csv(ROOT / "data/demo/cohort.csv")\ndf["ldh_u_l"] = 180 + 40 * (df["mrd"] == "positive") + (df.index % 7) * 5\nDATA = OUT / "my_cohort.csv"\ndf.to_csv(DATA, index=False)\nFORMULA = "event_24m ~ rcs(age, 4) + log(ctx_ng_ml) + mrd + pet + ldh_u_l + response"'),
    ("code", 'mbdrisk("check", "--data", DATA);'),
    ("code", 'mbdrisk("fit", "--data", DATA, "--formula", FORMULA, "--out", OUT / "model.json");'),
    ("md", "Bad input is reported with row and column, and nothing is written:"),
    ("code", 'bad = OUT / "bad.csv"\nbad.write_text(DATA.read_text().replace("negative", "neg", 1))\ntry:\n    mbdrisk("check", "--data", bad)\nexcept RuntimeError as e:\n    print(e)'),
    ("code", 'mbdrisk("compare", "--model", OUT / "model.json", "--data", DATA, "--rule", "two-year", "--rule", "deep=bpa_months >= 18 AND mrd = \'negative\' AND pet = \'CMR\'", "--bootstrap", 50, "--out", OUT / "compare");\nc = json.loads((OUT / "compare/comparison.json").read_text())\npd.DataFrame([{"rule": r["rule"], "stopped": r["policy"]["stopped"], "missed/100 stopped": r["policy"]["missed_per_100_stopped"], "model missed/100 at same stop rate": r["scores"][0]["at_rule_stop_rate"]["policy"]["missed_per_100_stopped"]} for r in c["rules"]]).round(2)'),
]

def notebook(cells):
    out = []
    for i, (kind, src) in enumerate(cells):
        lines = src.splitlines(keepends=True)
        cell = {"cell_type": "markdown" if kind == "md" else "code", "id": f"cell-{i:02d}",
                "metadata": {}, "source": lines}
        if kind == "code":
            cell.update(execution_count=None, outputs=[])
        out.append(cell)
    return {"cells": out, "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"}}, "nbformat": 4, "nbformat_minor": 5}

for name, cells in [("01_demo_fit_validate_compare.ipynb", DEMO), ("02_your_own_cohort.ipynb", OWN)]:
    (HERE / name).write_text(json.dumps(notebook(cells), indent=1) + "\n")
    print("wrote", name)
