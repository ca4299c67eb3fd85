"""Peer timings for benches/fit.rs: logistic regression fits on n x 20 simulated designs.

Run: python3 benches/peers/fit_sklearn.py [--sizes 10000 100000 1000000] [--statsmodels]

Same data generator idea as benches/fit.rs (numpy's RNG, so not the same numbers): columns
j % 4 == 3 are Bernoulli(0.3), the others normal with mean j/4 and sd 1 + (j % 3)/2;
logit P(y=1) = -1.5 + sum_j b_j (x_j - mean_j), b_j = +-0.15 (about 25% events).
Timed: scikit-learn LogisticRegression without penalty, lbfgs (its default solver) and
newton-cholesky (a Newton solver like ours); statsmodels Logit Newton with --statsmodels.
Each line is the median wall time over the repeats (fewer repeats for 1e6 rows).
"""
import argparse
import os
import platform
import time
import warnings

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression

P = 20


def simulate(n, seed=42):
    rng = np.random.default_rng(seed)
    x = np.empty((n, P))
    eta = np.full(n, -1.5)
    for j in range(P):
        if j % 4 == 3:
            x[:, j] = (rng.uniform(size=n) < 0.3).astype(float)
            mean = 0.3
        else:
            mean = j / 4
            x[:, j] = mean + (1 + (j % 3) / 2) * rng.standard_normal(n)
        eta += (0.15 if j % 2 == 0 else -0.15) * (x[:, j] - mean)
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(float)
    return x, y


def median_time(f, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--statsmodels", action="store_true", help="also statsmodels Logit (slow)")
    args = ap.parse_args()
    print(f"scikit-learn {sklearn.__version__}, numpy {np.__version__}, {platform.python_version()}, "
          f"cpus {os.cpu_count()}")
    for n in args.sizes:
        x, y = simulate(n)
        repeat = 3 if n >= 1_000_000 else 7
        for solver in ["lbfgs", "newton-cholesky"]:
            def fit():
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    LogisticRegression(penalty=None, solver=solver, max_iter=1000).fit(x, y)
            t = median_time(fit, repeat)
            print(f"sklearn {solver:<16} n={n:>9} p={P}: median {t:.3f} s")
        if args.statsmodels:
            import statsmodels.api as sm
            xc = sm.add_constant(x)
            t = median_time(lambda: sm.Logit(y, xc).fit(method="newton", disp=0), 1 if n >= 1_000_000 else 3)
            print(f"statsmodels Logit newton  n={n:>9} p={P}: median {t:.3f} s")


if __name__ == "__main__":
    main()
