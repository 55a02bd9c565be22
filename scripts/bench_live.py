#!/usr/bin/env python3
"""Load for scripts/bench-live.sh: writes queue_log events at a steady rate (calls that join,
are answered or abandoned, and end; agents that pause), holds N event-stream clients open on
the wallboard, and samples the RSS and CPU time of the watcher and the server from /proc."""
import argparse
import http.client
import os
import random
import threading
import time
import urllib.parse

TICK = os.sysconf("SC_CLK_TCK")


def proc(pid):
    with open(f"/proc/{pid}/stat") as f:
        parts = f.read().rsplit(")", 1)[1].split()
    cpu = (int(parts[11]) + int(parts[12])) / TICK
    rss = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024
    return cpu, rss


def client(url, token, code, stop, counts, i):
    u = urllib.parse.urlparse(url)
    while not stop.is_set():
        try:
            c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
            c.request("GET", f"/api/v1/programs/{code}/live/events",
                      headers={"Authorization": f"Bearer {token}"})
            r = c.getresponse()
            while not stop.is_set():
                line = r.fp.readline()
                if not line:
                    break
                if line.startswith(b"event: board"):
                    counts[i] += 1
            c.close()
        except Exception:
            time.sleep(0.5)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--code", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--seconds", type=int, default=600)
    ap.add_argument("--rate", type=int, default=200)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--watcher-pid", type=int, required=True)
    ap.add_argument("--server-pid", type=int, required=True)
    a = ap.parse_args()
    rnd = random.Random(7)
    stop = threading.Event()
    counts = [0] * a.clients
    threads = [threading.Thread(target=client, args=(a.url, a.token, a.code, stop, counts, i), daemon=True)
               for i in range(a.clients)]
    for t in threads:
        t.start()
    agents = [f"Agente{i:02d}" for i in range(40)]
    queues = ["ventas", "soporte", "cobranza"]
    out = open(a.log, "a", buffering=1)
    for q in queues:
        for ag in agents:
            out.write(f"{int(time.time())}|NONE|{q}|{ag}|ADDMEMBER|\n")
    pending = []  # (due, line)
    n_call = 0
    carry = 0.0
    written = 0
    start = time.time()
    samples = []
    base = {p: proc(p) for p in (a.watcher_pid, a.server_pid)}
    next_sample = start + 5
    while time.time() - start < a.seconds:
        sec_start = time.time()
        now = int(sec_start)
        lines = []
        due = [p for p in pending if p[0] <= sec_start]
        pending = [p for p in pending if p[0] > sec_start]
        lines.extend(l for _, l in due)
        # A call is 2.9 events on average (join, connect, complete; one in ten join, abandon),
        # so this many calls begin each second for the rate asked.
        carry += a.rate / 2.9
        while carry >= 1:
            carry -= 1
            n_call += 1
            cid = f"b{n_call}"
            q = rnd.choice(queues)
            ag = rnd.choice(agents)
            lines.append(f"{now}|{cid}|{q}|NONE|ENTERQUEUE||+5691{rnd.randrange(10**7):07d}|1")
            wait = rnd.randrange(1, 40)
            if rnd.random() < 0.1:
                pending.append((sec_start + wait, f"{now + wait}|{cid}|{q}|NONE|ABANDON|1|1|{wait}"))
            else:
                talk = rnd.randrange(5, 60)
                pending.append((sec_start + wait, f"{now + wait}|{cid}|{q}|{ag}|CONNECT|{wait}|{cid}.1|1"))
                pending.append((sec_start + wait + talk,
                                f"{now + wait + talk}|{cid}|{q}|{ag}|COMPLETECALLER|{wait}|{talk}|1"))
            if rnd.random() < 0.02:
                lines.append(f"{now}|NONE|{q}|{ag}|PAUSE|colación")
        for l in lines:
            out.write(l + "\n")
        written += len(lines)
        if time.time() >= next_sample:
            next_sample += 5
            t = time.time() - start
            row = [t]
            for p in (a.watcher_pid, a.server_pid):
                cpu, rss = proc(p)
                row += [(cpu - base[p][0]) / t, rss]
            samples.append(row)
            print(f"t={t:6.0f}s written={written:8d} watcher cpu={row[1]:.3f} rss={row[2]:.1f}MB "
                  f"server cpu={row[3]:.3f} rss={row[4]:.1f}MB sse={sum(counts)}", flush=True)
        time.sleep(max(0.0, 1.0 - (time.time() - sec_start)))
    stop.set()
    t = time.time() - start
    (wc, wr), (sc, sr) = proc(a.watcher_pid), proc(a.server_pid)
    print(f"SUMMARY seconds={t:.0f} events_written={written} events_per_s={written / t:.0f} clients={a.clients} "
          f"clients_with_events={sum(1 for c in counts if c > 0)} sse_events={sum(counts)}")
    print(f"SUMMARY watcher mean_cpu_cores={(wc - base[a.watcher_pid][0]) / t:.3f} "
          f"peak_rss_mb={max([s[2] for s in samples] + [wr]):.1f}")
    print(f"SUMMARY server mean_cpu_cores={(sc - base[a.server_pid][0]) / t:.3f} "
          f"peak_rss_mb={max([s[4] for s in samples] + [sr]):.1f}")


if __name__ == "__main__":
    main()
