#!/usr/bin/env python3
"""Third reference for the ridge goldens: scikit-learn on StandardScaler(ddof=0) columns.

Run from this folder after make_goldens.R:  python3 make_goldens_sklearn.py
mbdrisk's ridge maximises  loglik - lambda/2 * sum_j (sd_j * beta_j)^2  (sd_j: weighted
population sd), which is sklearn's  C * sum(w * logloss) + 1/2 ||b_std||^2  with C = 1/lambda on
columns standardised by StandardScaler(sample_weight=w) and an unpenalised intercept. The
standardised coefficients are mapped back to the original scale and written next to the R
goldens as <case>_sklearn.json.
"""
import csv
import json

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler


def read(path):
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {k: np.array([float(r[k]) for r in rows]) for k in rows[0]}


for case in ["ridge", "ridge_weighted"]:
    gold = json.load(open(f"{case}_golden.json"))
    d = read(gold["data"])
    X = np.column_stack([d[c] for c in gold["x_columns"]])
    y = d[gold["y_column"]]
    w = d[gold["weights_column"]] if gold["weights_column"] else np.ones(len(y))
    lam = gold["lambda"]
    sc = StandardScaler().fit(X, sample_weight=w)
    fit = LogisticRegression(C=1.0 / lam, solver="newton-cholesky", tol=1e-14, max_iter=1000)
    fit.fit(sc.transform(X), y, sample_weight=w)
    slopes = fit.coef_[0] / sc.scale_
    intercept = fit.intercept_[0] - np.sum(slopes * sc.mean_)
    coef = [float(intercept)] + [float(v) for v in slopes]
    ref = np.array(gold["coefficients"])
    out = {
        "case": case,
        "reference": "sklearn LogisticRegression(C=1/lambda, solver='newton-cholesky', tol=1e-14) "
        "on StandardScaler(sample_weight=w) columns, mapped back to the original scale",
        "versions": f"scikit-learn {sklearn.__version__}; numpy {np.__version__}",
        "coefficients": coef,
        "max_rel_vs_rms": float(np.max(np.abs(np.array(coef) - ref) / np.abs(ref))),
    }
    with open(f"{case}_sklearn.json", "w") as fh:
        json.dump(out, fh, indent=2)
        fh.write("\n")
    print(case, out["max_rel_vs_rms"])
