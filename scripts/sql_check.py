#!/usr/bin/env python3
"""Run `mbdrisk export` SQL in real engines and compare with `mbdrisk score`.

    sql_check.py --bin MBDRISK --data COHORT.csv --model MODEL.json --id COL
                 [--horizon H] [--engines sqlite,duckdb,spark] [--tol 1e-9]

For each engine: load the CSV as a table (empty cells and `NA` as NULL, numeric columns as
DOUBLE, text as text), run the exported query, and compare its risk per id with the
`predicted` column of `mbdrisk score` (both empty, or within --tol). An engine whose Python
package is not installed is skipped with the reason printed (exit code 0 unless another
engine disagrees); a disagreement or an engine error is exit code 1.
"""
import argparse
import csv
import math
import os
import subprocess
import sys
import tempfile


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], [r for r in rows[1:] if r]
    cols = list(zip(*body)) if body else [[] for _ in header]

    def is_num(v):
        try:
            return math.isfinite(float(v))
        except ValueError:
            return False

    numeric = [all(v in ("", "NA") or is_num(v) for v in c) for c in cols]
    data = [
        [None if v in ("", "NA") else (float(v) if numeric[j] else v) for j, v in enumerate(r)]
        for r in body
    ]
    return header, numeric, data


def score(args, tmp):
    out = os.path.join(tmp, "scores.csv")
    cmd = [args.bin, "score", "--model", args.model, "--data", args.data, "--out", out, "--id", args.id]
    if args.horizon:
        cmd += ["--horizon", args.horizon]
    subprocess.run(cmd, check=True, capture_output=True)
    with open(out, newline="") as f:
        r = csv.DictReader(f)
        return {row[args.id]: (float(row["predicted"]) if row["predicted"] else None) for row in r}


def export(args, dialect, tmp):
    out = os.path.join(tmp, f"model_{dialect}.sql")
    cmd = [args.bin, "export", "--model", args.model, "--dialect", dialect, "--table", "cohort",
           "--id", args.id, "--out", out]
    if args.horizon:
        cmd += ["--horizon", args.horizon]
    subprocess.run(cmd, check=True, capture_output=True)
    with open(out) as f:
        return f.read()


def run_sqlite(sql, header, numeric, data):
    import sqlite3
    con = sqlite3.connect(":memory:")
    cols = ", ".join('"%s" %s' % (h, "REAL" if n else "TEXT") for h, n in zip(header, numeric))
    con.execute(f"CREATE TABLE cohort ({cols})")
    con.executemany(f"INSERT INTO cohort VALUES ({', '.join('?' * len(header))})", data)
    return con.execute(sql).fetchall()


def run_duckdb(sql, header, numeric, data):
    import duckdb
    con = duckdb.connect()
    cols = ", ".join('"%s" %s' % (h, "DOUBLE" if n else "VARCHAR") for h, n in zip(header, numeric))
    con.execute(f"CREATE TABLE cohort ({cols})")
    con.executemany(f"INSERT INTO cohort VALUES ({', '.join('?' * len(header))})", data)
    return con.execute(sql).fetchall()


def run_spark(sql, header, numeric, data):
    from pyspark.sql import SparkSession
    from pyspark.sql.types import DoubleType, StringType, StructField, StructType
    spark = (SparkSession.builder.master("local[1]").appName("mbdrisk-sql-check")
             .config("spark.ui.enabled", "false").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    schema = StructType([StructField(h, DoubleType() if n else StringType(), True)
                         for h, n in zip(header, numeric)])
    spark.createDataFrame(data, schema).createOrReplaceTempView("cohort")
    return [tuple(r) for r in spark.sql(sql.rstrip().rstrip(";")).collect()]


ENGINES = {"sqlite": ("sqlite3", run_sqlite), "duckdb": ("duckdb", run_duckdb),
           "spark": ("pyspark", run_spark)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--id", required=True)
    ap.add_argument("--horizon")
    ap.add_argument("--engines", default="sqlite,duckdb")
    ap.add_argument("--tol", type=float, default=1e-9)
    args = ap.parse_args()
    header, numeric, data = read_csv(args.data)
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        want = score(args, tmp)
        for engine in args.engines.split(","):
            package, run = ENGINES[engine]
            try:
                __import__(package)
            except ImportError as e:
                print(f"skip {engine}: Python package {package} is not installed ({e})")
                continue
            sql = export(args, engine, tmp)
            try:
                got = {str(k) if not isinstance(k, float) else repr(k): v for k, v in run(sql, header, numeric, data)}
            except Exception as e:  # an engine error is a failure, with its message
                print(f"FAIL {engine}: the query failed: {e}")
                bad += 1
                continue
            worst, mism, nulls = 0.0, [], 0
            for k, w in want.items():
                g = got.get(k, "absent")
                if w is None or g is None:
                    nulls += w is None
                    if (w is None) != (g is None):
                        mism.append((k, w, g))
                    continue
                if g == "absent":
                    mism.append((k, w, g))
                    continue
                d = abs(g - w)
                worst = max(worst, d)
                if not d <= args.tol:
                    mism.append((k, w, g))
            status = "ok" if not mism and len(got) == len(want) else "FAIL"
            print(f"{status} {engine}: {len(want)} rows, {nulls} empty in score, max |sql - score| = {worst:.3g}"
                  + (f"; {len(mism)} mismatches, first {mism[:3]}" if mism else "")
                  + ("" if len(got) == len(want) else f"; {len(got)} rows from SQL"))
            bad += status != "ok"
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
