"""Peer timings for benches/fit.rs (fit_cox_x20): lifelines CoxPHFitter (Efron) and
scikit-survival CoxPHSurvivalAnalysis (Breslow and Efron) on n x 20 simulated designs with
censored, tied survival times (the recipe of benches/common/x20.rs, numpy's RNG).

Run: python3 benches/peers/fit_cox.py [sizes...]     (default 10000 100000 1000000)
Needs: pip install lifelines scikit-survival
"""
import sys
import time

import numpy as np

P = 20


def simulate(n, seed=42):
    rng = np.random.default_rng(seed)
    x = np.zeros((n, P))
    eta = np.zeros(n)
    for j in range(P):
        if j % 4 == 3:
            x[:, j] = (rng.random(n) < 0.3).astype(float)
            m = 0.3
        else:
            m = j / 4
            x[:, j] = m + (1 + (j % 3) / 2) * rng.standard_normal(n)
        eta += (0.15 if j % 2 == 0 else -0.15) * (x[:, j] - m)
    t = np.ceil(-np.log(rng.random(n)) / (0.05 * np.exp(eta)))
    c = np.ceil(rng.random(n) * 60)
    return x, np.minimum(t, c), (t <= c)


def median_time(f, repeat):
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        out.append(time.perf_counter() - t0)
    return float(np.median(out))


def main():
    sizes = [int(float(a)) for a in sys.argv[1:]] or [10_000, 100_000, 1_000_000]
    import lifelines
    import pandas as pd
    import sksurv
    from lifelines import CoxPHFitter
    from sksurv.linear_model import CoxPHSurvivalAnalysis

    print(f"lifelines {lifelines.__version__}; scikit-survival {sksurv.__version__}")
    for n in sizes:
        x, t, e = simulate(n)
        rep = 3 if n >= 1_000_000 else 5
        df = pd.DataFrame(x, columns=[f"x{j + 1}" for j in range(P)])
        df["time"] = t
        df["event"] = e.astype(int)
        lt = median_time(lambda: CoxPHFitter().fit(df, "time", "event"), rep)
        print(f"lifelines CoxPHFitter (efron)        n={n:9d} p={P}: median {lt:.3f} s")
        y = np.array(list(zip(e, t)), dtype=[("event", bool), ("time", float)])
        for ties in ["breslow", "efron"]:
            st = median_time(lambda: CoxPHSurvivalAnalysis(ties=ties).fit(x, y), rep)
            print(f"sksurv CoxPHSurvivalAnalysis {ties:7s} n={n:9d} p={P}: median {st:.3f} s")


if __name__ == "__main__":
    main()
