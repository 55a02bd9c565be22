#!/usr/bin/env python3
"""Rumbo's engine benchmark suite against its peers (run through scripts/bench-suite.sh).

Runs, on the same files and interleaved round by round:
  * `rumbo kpi file` (15-minute KPIs of a call CSV) vs DuckDB and Polars (same query);
  * the import of the same file into a fresh SQLite store (`rumbo dev bench-import`) vs
    DuckDB's CSV -> table into a database file;
  * staffing of a year of 15-minute intervals (the `rumbo-wfm` bench example, in process)
    vs a vectorised numpy Erlang C search, checking both give the same positions;
and prints per work and size: best, p50/p95/p99 of the runs, peak RSS, and the ratio to
the peer. Every child runs under a timeout; nothing listens on the network.

Only the standard library is needed here: peers run in the interpreter given by --peer-python
(the venv) and are skipped when it cannot import them.
"""

import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

KPI_SQL = """SELECT queue, enter_ts - enter_ts % 900 AS interval_start, count(*) AS offered,
  count(*) FILTER (WHERE outcome = 'answered') AS answered,
  count(*) FILTER (WHERE outcome = 'abandoned') AS abandoned,
  count(*) FILTER (WHERE outcome = 'answered' AND wait_s <= 20) AS answered_within_20,
  count(*) FILTER (WHERE outcome = 'abandoned' AND wait_s > 5) AS abandoned_after_5,
  avg(wait_s) FILTER (WHERE outcome = 'answered') AS asa_s,
  avg(talk_s + wrap_s) FILTER (WHERE outcome = 'answered') AS aht_s
  FROM read_csv('{file}', header=true) GROUP BY ALL ORDER BY ALL"""

DUCKDB_KPI = """
import time, duckdb
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
t = time.perf_counter()
con.execute(\"\"\"COPY ({sql}) TO '{out}' (FORMAT csv)\"\"\")
print("SECONDS", time.perf_counter() - t)
"""

POLARS_KPI = """
import time, polars as pl
t = time.perf_counter()
df = pl.scan_csv('{file}', schema_overrides={{"wait_s": pl.Float64, "talk_s": pl.Float64, "wrap_s": pl.Float64}})
ans = pl.col("outcome") == "answered"
ab = pl.col("outcome") == "abandoned"
q = (df.with_columns((pl.col("enter_ts") - pl.col("enter_ts") % 900).alias("interval_start"))
     .group_by(["queue", "interval_start"])
     .agg(pl.len().alias("offered"), ans.sum().alias("answered"), ab.sum().alias("abandoned"),
          (ans & (pl.col("wait_s") <= 20)).sum().alias("answered_within_20"),
          (ab & (pl.col("wait_s") > 5)).sum().alias("abandoned_after_5"),
          pl.col("wait_s").filter(ans).mean().alias("asa_s"),
          (pl.col("talk_s") + pl.col("wrap_s")).filter(ans).mean().alias("aht_s"))
     .sort(["queue", "interval_start"]))
q.collect().write_csv('{out}')
print("SECONDS", time.perf_counter() - t)
"""

DUCKDB_IMPORT = """
import os, time, duckdb
path = '{db}'
if os.path.exists(path):
    os.remove(path)
con = duckdb.connect(path)
con.execute("SET enable_progress_bar = false")
t = time.perf_counter()
con.execute("CREATE TABLE calls AS SELECT * FROM read_csv('{file}', header=true)")
con.execute("CHECKPOINT")
print("SECONDS", time.perf_counter() - t)
con.close()
print("BYTES", os.path.getsize(path))
os.remove(path)
"""

NUMPY_STAFFING = r"""
import time, numpy as np
calls, aht = np.loadtxt('{loads}', delimiter=',', skiprows=1, unpack=True)
T, SL, OCC, SHRINK, LEN = 20.0, 0.8, 0.90, 0.30, 900.0

def ceil_exact(x):
    r = np.round(x)
    return np.where(np.abs(x - r) <= 1e-9 * np.maximum(np.abs(r), 1.0), r, np.ceil(x))

def staff(calls, aht):
    # Erlang C from the inverse Erlang B recurrence r(n) = 1 + (n/A) r(n-1), all intervals
    # at once; an interval leaves the working set when its target is met.
    a = calls * aht / LEN
    need = np.zeros(a.shape)
    idx = np.flatnonzero(a > 0)
    aa, inv, k = a[idx], LEN / (calls[idx] * aht[idx]), T / aht[idx]
    r = np.ones(idx.shape)
    n = 0
    with np.errstate(over='ignore', invalid='ignore', divide='ignore'):
        while idx.size:
            n += 1
            r = 1.0 + n * inv * r
            ex = n - aa
            sl = 1.0 - np.minimum(n / (r * ex + aa), 1.0) * np.exp(-ex * k)
            ok = (ex > 0) & (sl >= SL)
            need[idx[ok]] = n
            keep = ~ok
            idx, aa, inv, k, r = idx[keep], aa[keep], inv[keep], k[keep], r[keep]
    raw = np.maximum(need, ceil_exact(a / OCC))
    return np.where(a > 0, ceil_exact(raw / (1.0 - SHRINK)), 0.0)

times = []
for _ in range({runs}):
    t = time.perf_counter()
    pos = staff(calls, aht)
    times.append(time.perf_counter() - t)
print("TIMES", " ".join(str(x) for x in times))
print("POSITIONS", int(pos.sum()))
"""


def log(*a):
    print(*a, flush=True)


def run(cmd, timeout, env=None):
    """Runs a child; returns (wall seconds, stdout, stderr, peak RSS in MB)."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        raise RuntimeError(f"timed out after {timeout} s: {' '.join(cmd)}")
    wall = time.perf_counter() - t
    rss = None
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}): {err.decode(errors='replace')[-2000:]}")
    return wall, out.decode(errors="replace"), err.decode(errors="replace"), rss


def run_measured(cmd, timeout):
    """Like run, with the peak RSS of the child through /usr/bin/time when present."""
    if os.path.exists("/usr/bin/time"):
        wall, out, err, _ = run(["/usr/bin/time", "-f", "MAXRSS_KB=%M"] + cmd, timeout)
        rss = None
        for line in err.splitlines():
            if line.startswith("MAXRSS_KB="):
                rss = int(line.split("=", 1)[1]) / 1024.0
        return wall, out, err, rss
    return run(cmd, timeout)


def field(text, key):
    for line in text.splitlines():
        if line.startswith(key + " "):
            return line.split(" ", 1)[1].strip()
    return None


def pct(values, q):
    v = sorted(values)
    if not v:
        return float("nan")
    k = (len(v) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def summary(values):
    return {
        "best": min(values),
        "p50": pct(values, 0.5),
        "p95": pct(values, 0.95),
        "p99": pct(values, 0.99),
        "runs": len(values),
    }


def fmt_s(x, unit="s"):
    if x is None or x != x:
        return "-"
    if unit == "ms":
        return f"{x * 1e3:.2f} ms"
    return f"{x:.3f} s"


def peer_ok(python, module):
    if not python:
        return False
    try:
        subprocess.run([python, "-c", f"import {module}"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        return True
    except Exception:
        return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rumbo", default=os.path.join(ROOT, "target/release/rumbo"))
    ap.add_argument("--staffing-bench", default=os.path.join(ROOT, "target/release/examples/bench"))
    ap.add_argument("--peer-python", default="")
    ap.add_argument("--dir", default=os.path.join(ROOT, "target/bench-data"))
    ap.add_argument("--sizes", default="1000000,3000000,10000000")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--import-rounds", type=int, default=2)
    ap.add_argument("--http-seconds", type=int, default=15)
    ap.add_argument("--http-sizes", default="1000000,10000000")
    ap.add_argument("--timeout", type=int, default=900)
    ap.add_argument("--json", default="")
    a = ap.parse_args()

    os.makedirs(a.dir, exist_ok=True)
    sizes = [int(s) for s in a.sizes.split(",") if s]
    py = a.peer_python
    have = {m: peer_ok(py, m) for m in ("duckdb", "polars", "numpy")}
    log(f"peers: " + ", ".join(f"{m} {'yes' if ok else 'skipped'}" for m, ok in have.items()))
    load0 = os.getloadavg()
    log(f"load average at start: {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}; cores {os.cpu_count()}")
    # Checked first, not after the other measurements have run for minutes.
    if not os.path.exists(a.staffing_bench):
        sys.exit(f"{a.staffing_bench} is missing: build it with "
                 "`cargo build --release -p rumbo-wfm --example bench` (scripts/bench-suite.sh does)")
    results = {"load_start": load0, "kpi": {}, "import": {}, "staffing": {}, "http": {}}

    # Data: one seeded file per size (the same generator as `rumbo dev bench-kpi`).
    files = {}
    for n in sizes:
        f = os.path.join(a.dir, f"calls-{n}-seed42.csv")
        if not os.path.exists(f):
            log(f"generating {f} ...")
            run([a.rumbo, "dev", "gen-calls", "--rows", str(n), "--seed", "42", "--output", f], a.timeout)
        files[n] = f

    out_csv = os.path.join(a.dir, "suite-out.csv")
    for n in sizes:
        f = files[n]
        times = {"rumbo": [], "duckdb": [], "polars": []}
        rss = {"rumbo": [], "duckdb": [], "polars": []}
        for _ in range(a.rounds):
            wall, _, _, r = run_measured([a.rumbo, "kpi", "file", f, "--by", "15m", "--format", "csv",
                                          "--output", out_csv], a.timeout)
            times["rumbo"].append(wall)
            rss["rumbo"].append(r)
            if have["duckdb"]:
                script = DUCKDB_KPI.format(sql=KPI_SQL.format(file=f), out=out_csv + ".duckdb")
                _, out, _, r = run_measured([py, "-c", script], a.timeout)
                times["duckdb"].append(float(field(out, "SECONDS")))
                rss["duckdb"].append(r)
            if have["polars"]:
                script = POLARS_KPI.format(file=f, out=out_csv + ".polars")
                _, out, _, r = run_measured([py, "-c", script], a.timeout)
                times["polars"].append(float(field(out, "SECONDS")))
                rss["polars"].append(r)
        row = {}
        for k in times:
            if times[k]:
                row[k] = summary(times[k])
                row[k]["rss_mb"] = max(x for x in rss[k] if x is not None) if any(rss[k]) else None
        results["kpi"][n] = row
        log(f"kpi file {n:>10,} rows: " + "; ".join(
            f"{k} best {fmt_s(v['best'])} p50 {fmt_s(v['p50'])} p95 {fmt_s(v['p95'])} p99 {fmt_s(v['p99'])} peak {v['rss_mb'] or 0:.0f} MB"
            for k, v in row.items()))
        if "duckdb" in row:
            log(f"  ratio rumbo/duckdb: best {row['rumbo']['best'] / row['duckdb']['best']:.2f}, "
                f"p50 {row['rumbo']['p50'] / row['duckdb']['p50']:.2f} (target <= 0.5; rumbo is process wall, peers query time)")
        if "polars" in row:
            log(f"  ratio rumbo/polars: best {row['rumbo']['best'] / row['polars']['best']:.2f}")

    for n in sizes:
        f = files[n]
        times = {"rumbo": [], "duckdb": []}
        rss = {"rumbo": [], "duckdb": []}
        extra = {}
        for _ in range(a.import_rounds):
            _, out, _, r = run_measured([a.rumbo, "dev", "bench-import", "--rows", str(n), "--seed", "42",
                                         "--dir", a.dir, "--skip-reimport"], a.timeout)
            line = next((l for l in out.splitlines() if l.startswith("import:")), "")
            times["rumbo"].append(float(line.split()[1]))
            rss["rumbo"].append(r)
            b = next((l for l in out.splitlines() if l.startswith("bytes:")), None)
            if b:
                extra["rumbo_bytes"] = b
            if have["duckdb"]:
                script = DUCKDB_IMPORT.format(db=os.path.join(a.dir, "suite-import.duckdb"), file=f)
                _, out, _, r = run_measured([py, "-c", script], a.timeout)
                times["duckdb"].append(float(field(out, "SECONDS")))
                rss["duckdb"].append(r)
                extra["duckdb_bytes"] = field(out, "BYTES")
        row = {}
        for k in times:
            if times[k]:
                row[k] = summary(times[k])
                row[k]["rss_mb"] = max(x for x in rss[k] if x is not None) if any(rss[k]) else None
        row.update(extra)
        results["import"][n] = row
        log(f"import {n:>10,} rows: " + "; ".join(
            f"{k} best {fmt_s(v['best'])} p50 {fmt_s(v['p50'])} peak {v['rss_mb'] or 0:.0f} MB"
            for k, v in row.items() if isinstance(v, dict)))
        if "rumbo_bytes" in extra:
            log(f"  rumbo {extra['rumbo_bytes']}; duckdb database file {extra.get('duckdb_bytes') or '-'} bytes")
        if "duckdb" in row:
            log(f"  ratio rumbo/duckdb: best {row['rumbo']['best'] / row['duckdb']['best']:.2f}, "
                f"p50 {row['rumbo']['p50'] / row['duckdb']['p50']:.2f} (target <= 2; rumbo includes opening a fresh store)")

    # Staffing: the Rust example writes its year of loads, then numpy runs on the same loads.
    loads = os.path.join(a.dir, "staffing-loads.csv")
    _, out, _, _ = run([a.staffing_bench, "--runs", "31", "--write-loads", loads], a.timeout)
    rust_times = [float(x) / 1e3 for x in field(out, "STAFFING_MS").split()]
    rust_positions = int(field(out, "STAFFING_POSITIONS"))
    row = {"rumbo": summary(rust_times), "rumbo_positions": rust_positions}
    if have["numpy"]:
        _, out, _, _ = run([py, "-c", NUMPY_STAFFING.format(loads=loads, runs=31)], a.timeout)
        np_times = [float(x) for x in field(out, "TIMES").split()]
        row["numpy"] = summary(np_times)
        row["numpy_positions"] = int(field(out, "POSITIONS"))
    results["staffing"] = row
    log(f"staffing 35,040 intervals: rumbo best {fmt_s(row['rumbo']['best'], 'ms')} p50 {fmt_s(row['rumbo']['p50'], 'ms')} "
        f"p95 {fmt_s(row['rumbo']['p95'], 'ms')} p99 {fmt_s(row['rumbo']['p99'], 'ms')} (target <= 2 ms); "
        f"{rust_positions} position-intervals")
    if "numpy" in row:
        same = "same" if row["numpy_positions"] == rust_positions else f"DIFFERENT ({row['numpy_positions']})"
        log(f"  numpy best {fmt_s(row['numpy']['best'], 'ms')} p50 {fmt_s(row['numpy']['p50'], 'ms')}; positions {same}; "
            f"ratio rumbo/numpy best {row['rumbo']['best'] / row['numpy']['best']:.2f}")

    # Page latency: the serving side's own benchmark, when this binary has it.
    probe = subprocess.run([a.rumbo, "dev", "bench-http", "--help"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, cwd=ROOT)
    if probe.returncode == 0:
        for n in [int(s) for s in a.http_sizes.split(",") if s]:
            log(f"page latency, {n:,} calls (rumbo dev bench-http, loopback, {a.http_seconds} s):")
            _, out, err, _ = run([a.rumbo, "dev", "bench-http", "--rows", str(n), "--seconds",
                                  str(a.http_seconds), "--dir", a.dir], a.timeout)
            for line in out.splitlines():
                log("  " + line)
            results["http"][n] = out
    else:
        log("page latency: this binary has no `rumbo dev bench-http`; skipped")

    load1 = os.getloadavg()
    results["load_end"] = load1
    log(f"load average at end: {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}")
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(results, fh, indent=1, default=str)
    for p in (out_csv, out_csv + ".duckdb", out_csv + ".polars"):
        if os.path.exists(p):
            os.remove(p)


if __name__ == "__main__":
    try:
        main()
    except RuntimeError as e:
        print(f"bench-suite: {e}", file=sys.stderr)
        sys.exit(1)
