"""The protocol core alone: client_close lifecycles between two engines that pass segments by hand.

No scheduler, no hosts, no network, no applications: a client
:class:`~synack.tcp.endpoint.Connection` and a ``linux`` listener hand each
other their segments at once (25 µs of virtual time apart) for N back-to-back
lifecycles: handshake, a 100-byte request, a 200-byte answer, the teardown
and the expiry of the client's TIME_WAIT, ten segments each.  This is the
engine's share of ``synack bench lifecycles``: what the simulator around it
costs is the difference.

Each build runs in a child process, timed as ``synack/scenarios/bench.py``
times its simulations (collector off, wall clock and CPU time, start-up and
imports not counted): the compiled one when a fresh mypyc build exists, and
the pure sources (``SYNACK_PURE=1``); ``--repeat K`` keeps the best of K runs
of each (by CPU time), the steadier figure on a shared machine.  ``--pure`` runs only the sources;
``--profile`` runs them under cProfile instead and prints the Python calls
per segment and the heaviest functions.  The last line is one JSON object.

    .venv/bin/python bench/engine_lifecycles.py --n 20000
    .venv/bin/python bench/engine_lifecycles.py --profile --n 2000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HOP_US = 25  # virtual time between one segment's sending and its arrival
REQUEST, ANSWER = 100, 200
SEGMENTS_PER_LIFECYCLE = 10

if TYPE_CHECKING:  # imported late elsewhere: SYNACK_PURE must be settled before synack is
    from synack.tcp.endpoint import Connection
    from synack.tcp.listener import Listener


def exchange(client: Connection, child: Connection | None, listener: Listener,
             now: int) -> tuple[Connection | None, int, int]:
    """Pass segments both ways until both sides are quiet: (the listener's child, the clock, segments passed).

    Kept lean (locals, no per-segment bookkeeping): its cost counts in the figures.
    """
    remote = client.local
    passed = 0
    while True:
        out = client.segments_to_send()
        for seg in out:
            now += HOP_US
            if child is not None:
                child.receive(seg, now)
                continue
            child = listener.receive(remote, seg, now)
            for _dest, answer in listener.segments_to_send():
                passed += 1
                now += HOP_US
                client.receive(answer, now)
        back = child.segments_to_send() if child is not None else []
        for seg in back:
            now += HOP_US
            client.receive(seg, now)
        if not out and not back:
            return child, now, passed
        passed += len(out) + len(back)


def simulate(n: int) -> int:
    """Run ``n`` lifecycles; returns the number of segments exchanged (checked: ten each)."""
    from synack.tcp.endpoint import Connection, Context
    from synack.tcp.isn import Rfc6528Isn
    from synack.tcp.listener import Listener
    from synack.tcp.profiles import LINUX
    from synack.tcp.states import CLOSED

    client_ip, server = "10.0.0.1", ("10.0.0.2", 8080)
    client_ctx = Context(profile=LINUX, isn_gen=Rfc6528Isn(b"c" * 16), route_mss=65495, trace=False)
    server_ctx = Context(profile=LINUX, isn_gen=Rfc6528Isn(b"s" * 16), route_mss=65495, trace=False)
    listener = Listener(server_ctx, server)
    listener.open_passive(0)
    request, answer = b"q" * REQUEST, b"a" * ANSWER
    now = 0
    segments = 0
    for i in range(n):
        client = Connection(client_ctx, (client_ip, 32768 + i % 28232), server)
        client.open_active(now)
        child, now, passed = exchange(client, None, listener, now)
        segments += passed
        srv = listener.accept()
        if srv is None or srv is not child:
            raise AssertionError(f"lifecycle {i}: the handshake did not complete")
        client.send(request, now)
        _, now, passed = exchange(client, srv, listener, now)
        segments += passed
        srv.read(now)
        srv.send(answer, now)
        _, now, passed = exchange(client, srv, listener, now)
        segments += passed
        client.read(now)
        client.close(now)
        _, now, passed = exchange(client, srv, listener, now)
        segments += passed
        srv.read(now)  # end of stream
        srv.close(now)
        _, now, passed = exchange(client, srv, listener, now)
        segments += passed
        # 60 s later the client's TIME_WAIT runs out; as in the simulator, the next lifecycles
        # start meanwhile, so the clock they run on stays where the exchange left it.
        deadline = client.next_deadline()
        assert deadline is not None
        client.on_timer(deadline)
        if client.state is not CLOSED or srv.state is not CLOSED:
            raise AssertionError(f"lifecycle {i} ended with client {client.state}, server {srv.state}")
    if segments != SEGMENTS_PER_LIFECYCLE * n:
        raise AssertionError(f"{segments / n:.2f} segments per lifecycle, not {SEGMENTS_PER_LIFECYCLE}")
    return segments


def child_main(n: int) -> None:
    """In the child: time ``simulate(n)`` the way synack/scenarios/bench.py times a simulation."""
    import gc
    import time

    from synack.compiled import build_name

    gc.collect()
    gc.disable()
    wall, cpu = time.perf_counter(), time.process_time()
    segments = simulate(n)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(json.dumps({"build": build_name(), "n": n, "segments": segments, "seconds": wall, "cpu_seconds": cpu}))


def run_child(n: int, pure: bool) -> dict:
    env = {**os.environ, "SYNACK_PURE": "1" if pure else os.environ.get("SYNACK_PURE", "0")}
    out = subprocess.run([sys.executable, __file__, "--child", "--n", str(n)], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"bench/engine_lifecycles.py: the run failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def profile(n: int, top: int) -> dict:
    """cProfile the pure sources in this process: Python calls per segment and the heaviest functions."""
    import cProfile
    import pstats

    os.environ["SYNACK_PURE"] = "1"
    from synack.compiled import build_name

    simulate(10)  # imports and first-use caches out of the count
    profiler = cProfile.Profile()
    profiler.enable()
    segments = simulate(n)
    profiler.disable()
    stats = pstats.Stats(profiler)
    calls = sum(entry[1] for entry in stats.stats.values())  # type: ignore[attr-defined]
    print(f"{build_name()}: {calls / segments:.1f} Python calls per segment ({calls / n:,.0f} per lifecycle)")
    print(f"heaviest {top} by own time (calls per segment):")
    rows = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:top]  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in stats.stats.values())  # type: ignore[attr-defined]
    for (filename, line, name), (_cc, ncalls, own, _cum, _callers) in rows:
        where = f"{Path(filename).name}:{line}" if line else filename
        print(f"  {own / total:6.1%}  {ncalls / segments:6.2f}  {name} ({where})")
    return {"benchmark": "engine_lifecycles", "n": n, "calls_per_segment": round(calls / segments, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--pure", action="store_true", help="run only the pure-Python sources")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each build; the best (by CPU time) counts")
    parser.add_argument("--profile", action="store_true", help="cProfile the pure sources instead of timing")
    parser.add_argument("--top", type=int, default=25, help="functions --profile lists")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.n < 1 or args.repeat < 1:
        parser.error("--n and --repeat must be at least 1")
    if args.child:
        child_main(args.n)
        return
    if args.profile:
        print(json.dumps(profile(args.n, args.top)))
        return
    from synack.compiled import build_is_fresh

    result: dict = {"benchmark": "engine_lifecycles", "n": args.n}
    pure_env = os.environ.get("SYNACK_PURE") == "1"
    builds = [True] if args.pure or pure_env or not build_is_fresh() else [False, True]
    for pure in builds:
        r = min((run_child(args.n, pure) for _ in range(args.repeat)), key=lambda run: run["cpu_seconds"])
        per_second, per_cpu = args.n / r["seconds"], args.n / r["cpu_seconds"]
        us_per_segment = r["cpu_seconds"] * 1e6 / r["segments"]
        print(f"engine alone, {r['build']:>8}: {per_second:,.0f} lifecycles/s ({per_cpu:,.0f} per CPU second), "
              f"{us_per_segment:.2f} µs of CPU per segment")
        result[f"{r['build']}_per_second"] = round(per_second, 1)
        result[f"{r['build']}_per_cpu_second"] = round(per_cpu, 1)
        result[f"{r['build']}_us_per_segment"] = round(us_per_segment, 3)
    if builds == [True] and not (args.pure or pure_env):
        print("(no fresh mypyc build: 'make build' compiles the engine when a C compiler is present)")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
