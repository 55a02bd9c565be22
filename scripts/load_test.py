#!/usr/bin/env python3
"""Load test of a running Rumbo server: CLIENTS clients for SECONDS seconds on the control
API (KPI table per 15 minutes and per day, drill-down) and the import endpoint, then a check
that no import was lost (the programme's offered calls equal the calls of every accepted
import). Prints p50/p95/p99/max per endpoint and the answers by status.

  scripts/load_test.py URL TOKEN PROGRAMME [--clients 50] [--seconds 60] [--importers 5]
                       [--restart-at S --restart-cmd 'pg_ctlcluster 16 main restart']

With --restart-at, the command runs S seconds into the test (a manual PostgreSQL restart) and
the report lists the answers given while the database was away: only 503 is acceptable, each
within 2 s, and the time until the first success after the restart. Standard library only.
"""
import argparse
import http.client
import json
import subprocess
import sys
import threading
import time
import urllib.parse

BASE_TS = 1_772_445_600  # 2026-03-02 10:00 UTC


def percentile(xs, p):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


class Client:
    def __init__(self, url, token):
        u = urllib.parse.urlparse(url)
        self.host, self.port = u.hostname, u.port
        self.token = token
        self.conn = None

    def request(self, method, path, body=None, ctype=None):
        headers = {"Authorization": f"Bearer {self.token}"}
        if ctype:
            headers["Content-Type"] = ctype
        for attempt in range(2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
                self.conn.request(method, path, body=body, headers=headers)
                r = self.conn.getresponse()
                data = r.read()
                return r.status, data
            except (ConnectionError, http.client.HTTPException, OSError):
                self.conn = None
                if attempt == 1:
                    return 0, b""
        return 0, b""


def calls_csv(batch, n):
    lines = ["call_id,queue,enter_ts,wait_s,talk_s,wrap_s,outcome"]
    for i in range(n):
        lines.append(f"L{batch}-{i},ventas,{BASE_TS + (batch * n + i) % 86400},{5 + i % 40},{120 + i % 90},10,answered")
    return ("\n".join(lines) + "\n").encode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("token")
    ap.add_argument("programme")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--importers", type=int, default=5)
    ap.add_argument("--calls-per-import", type=int, default=200)
    ap.add_argument("--restart-at", type=float)
    ap.add_argument("--restart-cmd")
    a = ap.parse_args()

    code = urllib.parse.quote(a.programme)
    reads = [
        ("kpis 15m", f"/api/v1/programs/{code}/kpis?by=15m&from=2026-03-01&to=2026-03-03"),
        ("kpis day", f"/api/v1/programs/{code}/kpis?by=day&from=2026-03-01&to=2026-03-31"),
        ("drill-down", f"/api/v1/programs/{code}/kpis/calls?by=15m&start={BASE_TS}"),
    ]
    lat = {}
    status = {}
    events = []  # (t, name, status, seconds) for the restart report
    imported_calls = [0]
    lock = threading.Lock()
    start = time.monotonic()
    stop_at = start + a.seconds
    batch_no = [0]

    def record(name, st, dt):
        with lock:
            lat.setdefault(name, []).append(dt)
            status.setdefault(name, {}).setdefault(st, 0)
            status[name][st] += 1
            events.append((time.monotonic() - start, name, st, dt))

    def reader(i):
        c = Client(a.url, a.token)
        k = i
        while time.monotonic() < stop_at:
            name, path = reads[k % len(reads)]
            k += 1
            t = time.monotonic()
            st, _ = c.request("GET", path)
            record(name, st, time.monotonic() - t)

    def importer(i):
        c = Client(a.url, a.token)
        while time.monotonic() < stop_at:
            with lock:
                batch_no[0] += 1
                b = batch_no[0]
            body = calls_csv(b, a.calls_per_import)
            t = time.monotonic()
            st, data = c.request("POST", f"/api/v1/programs/{code}/imports?source=calls&file_name=load-{b}.csv", body, "text/csv")
            record("import", st, time.monotonic() - t)
            if st == 201:
                with lock:
                    imported_calls[0] += json.loads(data)["imported"]

    threads = [threading.Thread(target=importer, args=(i,)) for i in range(a.importers)]
    threads += [threading.Thread(target=reader, args=(i,)) for i in range(a.clients - a.importers)]
    restart_done = [None]
    if a.restart_at is not None and a.restart_cmd:
        def restarter():
            time.sleep(a.restart_at)
            t = time.monotonic() - start
            subprocess.run(a.restart_cmd, shell=True, check=False)
            restart_done[0] = (t, time.monotonic() - start)
        threads.append(threading.Thread(target=restarter))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start

    print(f"{a.clients} clients ({a.importers} importing {a.calls_per_import} calls per file) for {elapsed:.1f} s")
    print(f"{'endpoint':12} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}  statuses")
    total = 0
    for name in [r[0] for r in reads] + ["import"]:
        xs = lat.get(name, [])
        total += len(xs)
        print(f"{name:12} {len(xs):8} {percentile(xs,50)*1e3:8.1f} {percentile(xs,95)*1e3:8.1f} {percentile(xs,99)*1e3:8.1f} {max(xs or [0])*1e3:8.1f}  {dict(sorted(status.get(name, {}).items()))}")
    print(f"throughput: {total / elapsed:.0f} requests/s")

    ok = True
    if restart_done[0]:
        t0, t1 = restart_done[0]
        window = [e for e in events if e[0] >= t0 - 0.1]
        bad = [e for e in window if e[2] >= 500 and e[2] != 503 or e[2] == 0]
        slow503 = [e for e in window if e[2] == 503 and e[3] > 2.0]
        n503 = sum(1 for e in window if e[2] == 503)
        first_ok = min((e[0] for e in window if e[0] > t1 and 200 <= e[2] < 300), default=None)
        print(f"PostgreSQL restart from {t0:.1f} s to {t1:.1f} s: {n503} answers 503, "
              f"{len(slow503)} of them slower than 2 s, {len(bad)} other 5xx or dropped; "
              f"first success after the restart at {first_ok if first_ok is None else round(first_ok - t1, 2)} s")
        ok = ok and not bad and not slow503 and first_ok is not None

    # No lost import: the programme counts exactly the calls the accepted imports reported.
    c = Client(a.url, a.token)
    st, data = c.request("GET", f"/api/v1/programs/{code}/kpis?by=month&from=2026-03-01&to=2026-03-31")
    offered = sum(int(r.get("offered", 0)) for r in json.loads(data)) if st == 200 else -1
    print(f"no lost import: calls imported by 201 answers = {imported_calls[0]}, offered in the programme = {offered}")
    ok = ok and offered == imported_calls[0]
    five = sum(n for s in status.values() for k, n in s.items() if k >= 500 and k != 503)
    if not a.restart_at:
        ok = ok and five == 0 and all(k != 503 for s in status.values() for k in s)
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
