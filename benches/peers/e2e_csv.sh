#!/usr/bin/env bash
# End-to-end (whole-process) timings and peak memory, mbdrisk against its peers, run one after
# the other in one session (issue 14's cases):
#   fit from a 500,000 x 20 CSV (logistic) against pandas read_csv + scikit-learn;
#   check on a 1,000,000-patient simulated cohort;
#   validate --predicted on 1,000,000 predictions (with the band) against R read.csv + pROC +
#   rms::val.prob (benches/peers/validate_predicted.R);
#   fit + validate --bootstrap 200 from a 2,000 x 20 CSV (two processes; the R peer,
#   benches/peers/validate_rms.R, times lrm + validate on data in memory);
#   score of a 10,000,000-row CSV and Parquet file (peak memory must not grow with rows; the
#   files are made with DuckDB, skipped without it).
# Usage: benches/peers/e2e_csv.sh path/to/mbdrisk [runs]
# Prints per case: median wall seconds and median peak RSS (MB) over the runs.
set -euo pipefail
BIN="${1:?path to the mbdrisk binary (release)}"
RUNS="${2:-5}"
DIR="${TMPDIR:-/tmp}/mbdrisk-e2e"
mkdir -p "$DIR"
python3 - "$DIR" <<'PY'
import os, sys
import numpy as np
d = sys.argv[1]
for n, name in [(500_000, "x20_500k.csv"), (2_000, "x20_2k.csv")]:
    path = os.path.join(d, name)
    if os.path.exists(path):
        continue
    rng = np.random.default_rng(42)
    x = np.empty((n, 20))
    eta = np.full(n, -1.5)
    for j in range(20):
        if j % 4 == 3:
            x[:, j] = rng.binomial(1, 0.3, n)
            m = 0.3
        else:
            m = j / 4
            x[:, j] = np.round(rng.normal(m, 1 + (j % 3) / 2, n), 4)
        eta += (0.15 if j % 2 == 0 else -0.15) * (x[:, j] - m)
    y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(int)
    header = ",".join(["y"] + [f"x{j+1}" for j in range(20)])
    np.savetxt(path, np.column_stack([y, x]), delimiter=",", header=header, comments="",
               fmt=["%d"] + ["%.4f" if j % 4 != 3 else "%d" for j in range(20)])
# 1,000,000 predictions with outcomes drawn from them (calibrated up to a small shift)
path = os.path.join(d, "pred1m.csv")
if not os.path.exists(path):
    rng = np.random.default_rng(7)
    lp = rng.normal(-1.5, 1.2, 1_000_000)
    p = np.round(1 / (1 + np.exp(-lp)), 6)
    y = (rng.random(p.size) < 1 / (1 + np.exp(-(lp + 0.1)))).astype(int)
    np.savetxt(path, np.column_stack([p, y]), delimiter=",", header="p,y", comments="",
               fmt=["%.6f", "%d"])
# 1,000,000 risks at 24 months with a censored outcome: exponential event times whose rate
# the risk reflects, uniform censoring on (0, 60]
path = os.path.join(d, "cens1m.csv")
if not os.path.exists(path):
    rng = np.random.default_rng(8)
    lp = rng.normal(0.0, 0.8, 1_000_000)
    rate = 0.02 * np.exp(lp)
    risk = np.round(1 - np.exp(-24 * rate), 6)
    t_event = rng.exponential(1 / (rate * np.exp(0.1)))
    t_cens = rng.uniform(0, 60, lp.size)
    time = np.round(np.minimum(t_event, t_cens), 3)
    event = (t_event <= t_cens).astype(int)
    np.savetxt(path, np.column_stack([risk, time, event]), delimiter=",",
               header="risk,time,event", comments="", fmt=["%.6f", "%.3f", "%d"])
PY
cat > "$DIR/fit_sklearn_csv.py" <<'PY'
import sys
import pandas as pd
from sklearn.linear_model import LogisticRegression
d = pd.read_csv(sys.argv[1])
m = LogisticRegression(penalty=None, solver="newton-cholesky", max_iter=100)
m.fit(d.drop(columns="y").to_numpy(), d["y"].to_numpy())
print(m.intercept_[0])
PY
FORMULA="y ~ $(printf 'x%d + ' $(seq 1 19))x20"
measure() { # name, command...
  local name="$1"; shift
  local times=() mems=()
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f "%e %M" -o "$DIR/t" "$@" >/dev/null 2>&1
    read -r t m < "$DIR/t"
    times+=("$t"); mems+=("$m")
  done
  python3 - "$name" "${times[*]}" "${mems[*]}" <<'PY'
import statistics, sys
t = [float(v) for v in sys.argv[2].split()]
m = [float(v) / 1024 for v in sys.argv[3].split()]
print(f"{sys.argv[1]:<42} median {statistics.median(t):6.2f} s (min {min(t):.2f}, max {max(t):.2f})  peak RSS {statistics.median(m):6.0f} MB")
PY
}
echo "machine: $(nproc) cores; $(date -u +%FT%TZ); runs: $RUNS"
measure "mbdrisk fit, 500k x 20 CSV" "$BIN" fit --data "$DIR/x20_500k.csv" --formula "$FORMULA" --out "$DIR/m.json"
measure "pandas read_csv + sklearn fit, 500k x 20" python3 "$DIR/fit_sklearn_csv.py" "$DIR/x20_500k.csv"
# an MM cohort of 1,000,000 patients (18 columns) for check
[ -f "$DIR/sim1m/cohort.csv" ] || "$BIN" simulate --patients 1000000 --seed 7 --out "$DIR/sim1m" >/dev/null
measure "mbdrisk check, simulated MM cohort 1M rows" "$BIN" check --data "$DIR/sim1m/cohort.csv"
BENCH_DIR="$(cd "$(dirname "$0")" && pwd)"
measure "mbdrisk validate --predicted, 1M predictions" "$BIN" validate --predicted p --outcome y --data "$DIR/pred1m.csv" --out "$DIR/vp1m"
if command -v Rscript >/dev/null; then
  Rscript "$BENCH_DIR/validate_predicted.R" "$DIR/pred1m.csv" "$RUNS"
else
  echo "R peer of validate --predicted: skipped (Rscript not installed)"
fi
measure "mbdrisk validate --predicted at 24 (IPCW), 1M" "$BIN" validate --predicted risk --time time --event event --horizon 24 --data "$DIR/cens1m.csv" --out "$DIR/vc1m"
if command -v Rscript >/dev/null; then
  Rscript "$BENCH_DIR/validate_censored.R" "$DIR/cens1m.csv" 24 "$RUNS"
else
  echo "R peer of the censored validation: skipped (Rscript not installed)"
fi
fit_validate() {
  "$BIN" fit --data "$DIR/x20_2k.csv" --formula "$FORMULA" --out "$DIR/m2k.json" &&
    "$BIN" validate --model "$DIR/m2k.json" --data "$DIR/x20_2k.csv" --bootstrap 200 --out "$DIR/v2k"
}
export -f fit_validate; export BIN DIR FORMULA
measure "mbdrisk fit + validate --bootstrap 200, 2k x 20 CSV" bash -c fit_validate
if command -v Rscript >/dev/null; then
  Rscript "$BENCH_DIR/validate_rms.R" "$RUNS"
else
  echo "R peer of fit + validate: skipped (Rscript not installed)"
fi
# 10M rows to score: the CSV stream and the Parquet stream (row groups of 131,072 rows)
if python3 -c "import duckdb" 2>/dev/null; then
  if [ ! -f "$DIR/x20_10m.parquet" ]; then
    python3 - "$DIR" <<'PY'
import os, sys, duckdb
d = sys.argv[1]
cols = ", ".join(f"round(random() * 4 - 1, 4) AS x{j + 1}" if j % 4 != 3
                 else f"(random() < 0.3)::INTEGER AS x{j + 1}" for j in range(20))
con = duckdb.connect()
con.execute("SELECT setseed(0.42)")
con.execute(f"CREATE TABLE t AS SELECT (random() < 0.2)::INTEGER AS y, {cols}, "
            "'P' || i::VARCHAR AS pid FROM range(10000000) r(i)")
con.execute(f"COPY t TO '{os.path.join(d, 'x20_10m.csv')}' (HEADER, DELIMITER ',')")
con.execute(f"COPY t TO '{os.path.join(d, 'x20_10m.parquet')}' (FORMAT PARQUET, ROW_GROUP_SIZE 131072)")
con.execute(f"COPY (SELECT * FROM t LIMIT 1000000) TO '{os.path.join(d, 'x20_1m.csv')}' (HEADER, DELIMITER ',')")
con.execute(f"COPY (SELECT * FROM t LIMIT 1000000) TO '{os.path.join(d, 'x20_1m.parquet')}' (FORMAT PARQUET, ROW_GROUP_SIZE 131072)")
PY
  fi
  for f in x20_1m.csv x20_10m.csv x20_1m.parquet x20_10m.parquet; do
    measure "mbdrisk score --id pid, $f" "$BIN" score --model "$DIR/m.json" --data "$DIR/$f" --id pid --out "$DIR/scores_$f.csv"
  done
else
  echo "score of 10M rows: skipped (python3 -c 'import duckdb' failed: pip install duckdb)"
fi
