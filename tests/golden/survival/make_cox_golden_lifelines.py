"""Golden values for src/survival (Cox with Efron ties, Kaplan-Meier) from Python lifelines.

Run: python3 make_cox_golden_lifelines.py  (lifelines 0.30.x). Writes cox_golden_lifelines.json.
The R script make_cox_golden.R writes the same quantities from survival::coxph / survfit.
"""
import json

import pandas as pd
from lifelines import CoxPHFitter, KaplanMeierFitter

d = pd.read_csv("cox_data.csv")
out = {"source": "lifelines", "fits": {}}
for name, cols in {"x1": ["x1"], "x2": ["x2"], "x1_x2": ["x1", "x2"]}.items():
    cph = CoxPHFitter()  # Efron ties, no penalty
    cph.fit(d[["time", "status"] + cols], duration_col="time", event_col="status",
            fit_options={"precision": 1e-12, "max_steps": 100})
    out["fits"][name] = {
        "coef": [float(cph.params_[c]) for c in cols],
        "se": [float(cph.standard_errors_[c]) for c in cols],
        "loglik": float(cph.log_likelihood_),
    }
km = KaplanMeierFitter().fit(d["time"], d["status"])
sf = km.survival_function_["KM_estimate"]
out["km"] = {"times": [float(t) for t in sf.index if t > 0],
             "survival": [float(s) for t, s in sf.items() if t > 0],
             "median": float(km.median_survival_time_)}
with open("cox_golden_lifelines.json", "w") as f:
    json.dump(out, f, indent=1)
print(json.dumps(out["fits"], indent=1))
