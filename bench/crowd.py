"""The crowd scenarios at full size, tracing off: how long they take, and the figures they produce.

- ``syn_flood``: 1,000,000 forged SYNs (5,000 a second for 200 s) against a
  listener with a 128-entry SYN queue, with cookies on and off, while 40 real
  clients connect.  Target: under 30 s.
- ``time_wait_exhaustion``: 120 s at 1,000 connections a second over Linux's
  ephemeral range 32768-60999 (28,232 ports): first EADDRNOTAVAIL at 28.232 s.

Each run is a child process, on the mypyc build when a fresh one is installed
(see ``synack/compiled.py``; ``--python`` sets SYNACK_PURE=1 and runs the
sources).  Wall time is printed with the CPU time the child used: on a shared
machine the two differ.

    .venv/bin/python bench/crowd.py
    .venv/bin/python bench/crowd.py --only syn_flood --syns 200000

The last line is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHILD = """
import gc, json, sys, time
from synack.compiled import build_name
from synack.scenarios import run_scenario
name, params = sys.argv[1], json.loads(sys.argv[2])
gc.collect()
gc.disable()  # thousands of live connections: reference counting frees them, the collector only re-walks them
wall, cpu = time.perf_counter(), time.process_time()
run = run_scenario(name, params=params, tracing=False, max_events=500_000_000)
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
print(json.dumps({"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "build": build_name(),
                  "summary": run.summary}, default=str))
"""


def run_child(name: str, params: dict[str, str], use_build: bool) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SYNACK_PURE": "0" if use_build else "1"}
    out = subprocess.run([sys.executable, "-c", CHILD, name, json.dumps(params)], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"bench/crowd.py: the {name} run failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--syns", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=120, help="time_wait_exhaustion's length")
    parser.add_argument("--only", choices=("syn_flood", "time_wait_exhaustion"))
    parser.add_argument("--python", action="store_true", help="run the plain source even if a mypyc build exists")
    args = parser.parse_args()
    results = {}
    if args.only in (None, "syn_flood"):
        rate = 5_000  # for 200 s: the queue stays full longer than a client keeps retrying (131 s)
        for cookies in ("on", "off"):
            params = {"rate": str(rate), "flood_for": f"{args.syns / rate}s", "cookies": cookies,
                      "clients": "40", "client_every": "1s", "clients_from": "5s"}
            r = run_child("syn_flood", params, not args.python)
            s = r["summary"]
            print(f"syn_flood, {s['forged_syns']:,} forged SYNs, cookies={cookies} ({r['build']}): "
                  f"{r['wall_s']:.1f} s wall, {r['cpu_s']:.1f} s CPU; legit_success_rate "
                  f"{s['legit_success_rate']}, SYN-ACKs sent {s['synacks_sent']:,}, cookies sent "
                  f"{s['cookies_sent']:,}, validated {s['cookies_validated']}, dropped (queue full) "
                  f"{s['syns_dropped_queue_full']:,}", flush=True)
            results[f"syn_flood_cookies_{cookies}"] = {k: r[k] for k in ("wall_s", "cpu_s", "build")} | {
                k: s[k] for k in ("forged_syns", "legit_success_rate", "synacks_sent", "cookies_sent",
                                  "cookies_validated", "syns_dropped_queue_full")}
    if args.only in (None, "time_wait_exhaustion"):
        params = {"rate": "1000", "duration": f"{args.seconds}s", "port_low": "32768", "port_high": "60999"}
        r = run_child("time_wait_exhaustion", params, not args.python)
        s = r["summary"]
        print(f"time_wait_exhaustion, {args.seconds} s at 1,000/s, ports 32768-60999 ({r['build']}): "
              f"{r['wall_s']:.1f} s wall, {r['cpu_s']:.1f} s CPU; first_failure_s {s['first_failure_s']}, "
              f"{s['requests_served']:,} served, {s['connect_failures']:,} connect() failures", flush=True)
        results["time_wait_exhaustion"] = {k: r[k] for k in ("wall_s", "cpu_s", "build")} | {
            k: s[k] for k in ("requests", "requests_served", "connect_failures", "first_failure_s")}
    print(json.dumps(results))


if __name__ == "__main__":
    main()
