"""Peer timings for benches/score.rs: scikit-learn predict_proba in memory, and reading the
bench CSV with pandas (and polars when installed).

Run: python3 benches/peers/score_sklearn.py [--csv /tmp/mbdrisk_bench_1000000x20.csv]
The CSV is the one benches/score.rs writes (set MBDRISK_BENCH_DIR to choose its folder).
"""
import argparse
import os
import time

import numpy as np
from sklearn.linear_model import LogisticRegression


def best_of(f, repeat=5):
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--csv", default=os.path.join(os.environ.get("MBDRISK_BENCH_DIR", "/tmp"),
                                                  "mbdrisk_bench_1000000x20.csv"))
    ap.add_argument("--big", action="store_true", help="also 1e7 rows (1.6 GB for p = 20)")
    args = ap.parse_args()
    rng = np.random.default_rng(1)
    sizes = [1_000_000] + ([10_000_000] if args.big else [])
    for n in sizes:
        for p in (10, 20):
            x = rng.uniform(-2, 2, size=(n, p))
            y = (rng.uniform(size=20_000) < 0.3).astype(int)
            m = LogisticRegression().fit(x[:20_000], y)
            t = best_of(lambda: m.predict_proba(x), repeat=3)
            print(f"sklearn predict_proba n={n} p={p}: {t:.3f} s = {n / t / 1e6:.1f} M rows/s")
            del x
    if os.path.exists(args.csv):
        import pandas as pd
        t = best_of(lambda: pd.read_csv(args.csv), repeat=3)
        print(f"pandas read_csv {args.csv}: {t:.3f} s")
        try:
            import polars as pl
            t = best_of(lambda: pl.read_csv(args.csv), repeat=5)
            print(f"polars read_csv {args.csv}: {t:.3f} s (threads: {pl.thread_pool_size()})")
        except ImportError:
            print("polars not installed: pip install polars")
    else:
        print(f"{args.csv} not found: run cargo bench --bench score first")


if __name__ == "__main__":
    main()
