#!/usr/bin/env bash
# End-to-end (whole-process) timings and peak memory of CSV ingest + work, mbdrisk against
# pandas + scikit-learn, run one after the other in one session (issue 14's cases):
#   fit from a 500,000 x 20 CSV (logistic), check on a 1,000,000-patient simulated cohort.
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
for n, name in [(500_000, "x20_500k.csv")]:
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
