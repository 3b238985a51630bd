"""The engine's benchmarks, tracing off: back-to-back lifecycles and a flood of spoofed SYNs.

A lifecycle is the whole life of a ``client_close`` connection: handshake, a
100-byte request, a 200-byte answer, the teardown and, later in virtual time,
the expiry of the client's TIME_WAIT.  ``bench/lifecycles.py`` and ``synack
bench lifecycles`` print the rate; ``bench/kernel_lifecycles.py`` measures
Linux doing the same over loopback for comparison.

The flood is N SYNs from forged addresses, one every ``interval_us``, against
a listener of the ``linux`` profile: the SYN queue fills (RFC 4987 2), then
every SYN is answered with a SYN cookie (RFC 4987 3.6) and forgotten.
``bench/syn_flood.py`` prints how long it takes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Callable

from ..sim.scheduler import DELIVERY
from ..tcp.endpoint import syn_options
from ..tcp.profiles import LINUX
from ..tcp.segment import Flags, Segment
from .apps import PORT, answering_server, requesting_client
from .base import World
from .client_close import SCENARIO


def simulate_lifecycles(n: int, *, seed: int = 1, rtt_us: int = 50) -> World:
    params = {"mss": 65495, "isn": "rfc6528"}
    world = World(SCENARIO, LINUX, rtt_us, 0.0, seed, params, tracing=False)
    client = world.host("client", "10.0.0.1")
    server = world.host("server", "10.0.0.2")
    # Nothing reads the connections afterwards: let the closed ones go, as the kernel does.
    client.remember_connections = server.remember_connections = False
    server.spawn(answering_server, PORT, connections=n)
    client.spawn(requesting_client, server.ip, PORT, connections=n)
    world.sched.run()
    return world


def simulate_syn_flood(n: int, *, interval_us: int = 10, seed: int = 1) -> World:
    """``n`` spoofed SYNs against a listener; the SYN-ACKs go to addresses nobody has."""
    world = World(SCENARIO, LINUX, 2_000, 0.0, seed, {"mss": 1460, "isn": "rfc6528"}, tracing=False)
    server = world.host("server", "10.0.0.2")
    server.listen(PORT)
    sched, rng = world.sched, world.rng
    deliver = server.deliver
    # The options of a Linux client's SYN: the flood takes the listener's most expensive path.
    options = syn_options(LINUX, 1460, 1, 0, offer_wscale=7)
    syn = Flags.SYN
    sent = 0

    def forge() -> None:
        nonlocal sent
        # Every SYN from a different address and port, each address a stranger to the network.
        src_ip = f"198.{18 + (sent >> 24) % 2}.{(sent >> 16) & 255}.{(sent >> 8) & 255}"
        seg = Segment(1024 + (sent & 0xFF) * 200, PORT, rng.getrandbits(32), 0, syn, 64240, options)
        sent += 1
        deliver(src_ip, seg, None)
        if sent < n:
            sched.call_at(sched.now + interval_us, forge, DELIVERY)

    sched.call_at(0, forge, DELIVERY)
    sched.run()
    world.summary["forged_syns"] = sent
    return world


def run_benchmark(what: str, n: int, *, workers: int = 1, pure: bool = False) -> dict:
    """Run ``lifecycles`` or ``syn_flood`` in child processes; ``{"per_second", "per_cpu_second", "build", ...}``.

    ``pure`` runs the sources even when a compiled build is fresh
    (``SYNACK_PURE=1``).  ``workers`` > 1 splits the N over that many
    independent simulations running at once (one per core); the rate is N
    over the wall time until the last one finishes.
    """
    if what not in SIMULATIONS:
        raise ValueError(f"no benchmark named {what!r}")
    shares = [n // workers + (1 if i < n % workers else 0) for i in range(max(workers, 1))]
    # Each child times its own simulation on the wall clock (comparable across processes),
    # so interpreter start-up and imports are not counted.
    # The collector would otherwise walk every live connection again and again while thousands
    # wait in TIME_WAIT; they are freed by reference counting when they close.
    code = ("import sys, json, gc, time; from synack.compiled import build_name;"
            "from synack.scenarios.bench import SIMULATIONS;"
            "gc.collect(); gc.disable(); start, cpu = time.time(), time.process_time();"
            "SIMULATIONS[sys.argv[1]](int(sys.argv[2]));"
            "print(json.dumps([build_name(), start, time.time(), time.process_time() - cpu]))")
    env = {**os.environ, "SYNACK_PURE": "1" if pure else os.environ.get("SYNACK_PURE", "0")}
    procs = [subprocess.Popen([sys.executable, "-c", code, what, str(k)], env=env, stdout=subprocess.PIPE, text=True)
             for k in shares if k]
    outputs = [p.communicate()[0] for p in procs]
    if any(p.returncode for p in procs):
        raise RuntimeError(f"a {what} benchmark worker failed")
    reports = [json.loads(o.strip().splitlines()[-1]) for o in outputs]
    builds = {r[0] for r in reports}
    elapsed = max(r[2] for r in reports) - min(r[1] for r in reports)
    cpu = sum(r[3] for r in reports)
    # On a shared machine the wall clock counts other processes' turns too; the CPU time
    # this simulation used is the steadier figure to compare.
    return {"benchmark": what, "n": n, "per_second": round(n / elapsed, 1), "seconds": round(elapsed, 3),
            "per_cpu_second": round(n / cpu, 1) if cpu else None, "cpu_seconds": round(cpu, 3),
            "build": builds.pop() if len(builds) == 1 else "mixed", "workers": len(procs)}


SIMULATIONS: dict[str, Callable[[int], World]] = {"lifecycles": simulate_lifecycles, "syn_flood": simulate_syn_flood}
