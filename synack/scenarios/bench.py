"""The lifecycle benchmark: N back-to-back ``client_close`` connections, tracing off.

Each lifecycle is the whole life of a connection: handshake, a 100-byte
request, a 200-byte answer, the teardown and, later in virtual time, the
expiry of the client's TIME_WAIT.  ``bench/lifecycles.py`` and ``synack bench
lifecycles`` print the rate; ``bench/kernel_lifecycles.py`` measures Linux
doing the same over loopback for comparison.
"""

from __future__ import annotations

import time

from ..sim.host import Host
from ..tcp.profiles import LINUX
from .apps import ANSWER, PORT, REQUEST, answering_server
from .base import World
from .client_close import SCENARIO


def simulate_lifecycles(n: int, *, seed: int = 1, rtt_us: int = 50) -> World:
    params = {"mss": 65495, "isn": "rfc6528"}
    world = World(SCENARIO, LINUX, rtt_us, 0.0, seed, params, tracing=False)
    client = world.host("client", "10.0.0.1")
    server = world.host("server", "10.0.0.2")
    server.spawn(answering_server, PORT, connections=n)

    def client_app(host: Host):
        request = b"q" * REQUEST
        for _ in range(n):
            sock = yield host.connect(server.ip, PORT)
            sock.send(request)
            got = 0
            while got < ANSWER:
                data = yield sock.recv()
                if not data:
                    break
                got += len(data)
            sock.close()

    client.spawn(client_app)
    world.sched.run()
    return world


def bench_lifecycles(n: int) -> float:
    """Lifecycles simulated per second of wall time."""
    start = time.perf_counter()
    simulate_lifecycles(n)
    return n / (time.perf_counter() - start)
