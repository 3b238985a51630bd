"""The crowd scenarios at full size, tracing off: how long they take, and the figures they produce.

- ``syn_flood``: 1,000,000 forged SYNs (5,000 a second for 200 s) against a
  listener with a 128-entry SYN queue, with cookies on and off, while 40 real
  clients connect.  Target: under 30 s each.
- ``time_wait_exhaustion``: 120 s at 1,000 connections a second over Linux's
  ephemeral range 32768-60999 (28,232 ports): first EADDRNOTAVAIL at 28.232 s.

    .venv/bin/python bench/crowd.py            # both
    .venv/bin/python bench/crowd.py --syns 200000

The last line is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from synack.scenarios import run_scenario  # noqa: E402


def timed(name: str, params: dict[str, str]) -> tuple[float, dict]:
    gc.collect()
    start = time.perf_counter()
    run = run_scenario(name, params=params, tracing=False, max_events=200_000_000)
    return time.perf_counter() - start, run.summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--syns", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=120, help="time_wait_exhaustion's length")
    parser.add_argument("--only", choices=("syn_flood", "time_wait_exhaustion"))
    args = parser.parse_args()
    results = {}
    if args.only in (None, "syn_flood"):
        rate = 5_000  # for 200 s: the queue stays full longer than a client keeps retrying (131 s)
        for cookies in ("on", "off"):
            params = {"rate": str(rate), "flood_for": f"{args.syns / rate}s", "cookies": cookies,
                      "clients": "40", "client_every": "200ms", "clients_from": "1s"}
            took, s = timed("syn_flood", params)
            print(f"syn_flood, {s['forged_syns']:,} forged SYNs, cookies={cookies}: {took:.1f} s wall; "
                  f"legit_success_rate {s['legit_success_rate']}, SYN-ACKs sent {s['synacks_sent']:,}, "
                  f"cookies sent {s['cookies_sent']:,}, validated {s['cookies_validated']}, "
                  f"dropped (queue full) {s['syns_dropped_queue_full']:,}")
            results[f"syn_flood_cookies_{cookies}"] = {"seconds": round(took, 2), **{
                k: s[k] for k in ("forged_syns", "legit_success_rate", "synacks_sent", "cookies_sent",
                                  "cookies_validated", "syns_dropped_queue_full")}}
    if args.only in (None, "time_wait_exhaustion"):
        params = {"rate": "1000", "duration": f"{args.seconds}s", "port_low": "32768", "port_high": "60999"}
        took, s = timed("time_wait_exhaustion", params)
        print(f"time_wait_exhaustion, {args.seconds} s at 1,000/s, ports 32768-60999: {took:.1f} s wall; "
              f"first_failure_s {s['first_failure_s']}, {s['requests_served']:,} served, "
              f"{s['connect_failures']:,} connect() failures")
        results["time_wait_exhaustion"] = {"seconds": round(took, 2), **{
            k: s[k] for k in ("requests", "requests_served", "connect_failures", "first_failure_s")}}
    print(json.dumps(results))


if __name__ == "__main__":
    main()
