"""``time_wait_exhaustion``: a proxy's short connections to one upstream use up its ephemeral ports.

Every connection the proxy closes first leaves its 4-tuple in TIME_WAIT for
60 s (RFC 9293 3.6.1; Linux TCP_TIMEWAIT_LEN).  Towards one upstream address
and port only the local port varies, so at most ``port_high - port_low + 1``
connections (28,232 with Linux's 32768-60999) can exist at once; opening
``rate`` per second, connect() fails with EADDRNOTAVAIL once they are all
taken, after ports / rate seconds, until the oldest TIME_WAIT expires.
Mitigations: ``tw_reuse`` (Linux tcp_tw_reuse: take over a TIME_WAIT port
when timestamps prove the new connection newer), a wider port range, and
``keep_alive`` (reuse a few persistent connections instead).
"""

from __future__ import annotations

from ..sim.host import Host, SocketError
from .apps import ANSWER, PORT, REQUEST, read_at_least
from .base import MS, S, Param, Scenario, ScenarioError, World

MAX_TRACED_REQUESTS = 200_000  # the run must settle within the runner's event budget


def serve_requests(host: Host, port: int = PORT) -> object:
    """Accept for ever; on each connection answer every request until the client closes."""
    listener = host.listen(port, backlog=4096)

    def session(host: Host, sock):
        try:
            while True:
                got = yield from read_at_least(sock, REQUEST)
                if got < REQUEST:
                    break
                sock.send(b"a" * ANSWER)
            sock.close()
        except SocketError:
            pass

    while True:
        sock = yield listener.accept()
        host.spawn(session, sock)


def script(world: World) -> None:
    p = world.params
    if p["port_high"] < p["port_low"]:
        raise ScenarioError("parameter port_high must not be below port_low.")
    if world.recorder is not None and p["rate"] * p["duration"] / S > MAX_TRACED_REQUESTS:
        raise ScenarioError(f"rate x duration asks for more than {MAX_TRACED_REQUESTS:,} connections; "
                            "bench/crowd.py runs bigger ones with tracing off.")
    world.trace_featured_only()
    proxy = world.host("proxy", "10.0.0.1")
    upstream = world.host("upstream", "10.0.0.2")
    proxy.set_port_range(p["port_low"], p["port_high"])
    upstream.spawn(serve_requests)
    gap = S / p["rate"]
    total = int(p["rate"] * p["duration"] / S)
    tally = {"ok": 0, "failed": 0, "first_failure_us": None}

    def one_request(host: Host, featured: bool):
        try:
            sock = yield host.connect(upstream.ip, PORT, featured=featured)
        except SocketError as exc:
            tally["failed"] += 1
            if exc.errno_name == "EADDRNOTAVAIL" and tally["first_failure_us"] is None:
                tally["first_failure_us"] = host.sched.now
            return
        sock.send(b"q" * REQUEST)
        got = yield from read_at_least(sock, ANSWER)
        sock.close()  # the proxy closes first: the TIME_WAIT is its own
        if got >= ANSWER:
            tally["ok"] += 1

    def opener(host: Host):
        for i in range(total):
            host.spawn(one_request, i == 0)
            wake = int((i + 1) * gap)
            if wake > host.sched.now:
                yield host.sleep(wake - host.sched.now)

    def pooled(host: Host, k: int, pool: int):
        # One persistent connection carries every pool-th request.
        sock = yield host.connect(upstream.ip, PORT, featured=k == 0)
        for i in range(k, total, pool):
            wake = int(i * gap)
            if wake > host.sched.now:
                yield host.sleep(wake - host.sched.now)
            sock.send(b"q" * REQUEST)
            got = yield from read_at_least(sock, ANSWER)
            if got >= ANSWER:
                tally["ok"] += 1
        sock.close()

    if p["keep_alive"]:
        pool = min(p["pool"], max(total, 1))
        for k in range(pool):
            proxy.spawn(pooled, k, pool)
    else:
        proxy.spawn(opener)

    def summarise() -> None:
        first = tally["first_failure_us"]
        world.summary.update({
            "requests": total,
            "requests_served": tally["ok"],
            "connect_failures": tally["failed"],
            "first_failure_s": None if first is None else first / S,
            "ephemeral_ports": p["port_high"] - p["port_low"] + 1,
            "tw_reused": proxy.tw_reused,
        })

    world.when_done(summarise)


def settings(values: dict) -> dict:
    return {"tw_reuse": values["tw_reuse"]}


SCENARIO = Scenario(
    name="time_wait_exhaustion",
    title="TIME_WAIT exhaustion: a proxy runs out of ephemeral ports",
    summary_line="Short connections to one upstream leave their ports in TIME_WAIT for 60 s until connect() "
                 "fails with EADDRNOTAVAIL.",
    explanation=(
        "A proxy that opens a new connection for every request and closes it first leaves each one in "
        "TIME_WAIT for 60 s. Towards a single upstream address and port only the proxy's own port changes, "
        "and Linux picks it from 32768-60999: 28,232 ports. At 1,000 connections a second they are all in "
        "TIME_WAIT after 28.2 s, and connect() fails with EADDRNOTAVAIL until the first ones expire at 60 s. "
        "This run starts with 1,000 ports at 100 a second, so the wall comes after 10 s; set port_low=32768 "
        "and rate=1000 for Linux's figures. "
        "tw_reuse=on lets connect() take over a TIME_WAIT port whose last timestamp is at least a second "
        "old (the timestamps prove the new segments newer); a wider range postpones the failure; keep_alive "
        "reuses a few connections and leaves almost nothing in TIME_WAIT."
    ),
    script=script,
    # Linux's range is 32768-60999; the default is narrower so the run takes a second, not fifteen
    # (--set port_low=32768 --set rate=1000 --set duration=35s gives the first failure at 28.232 s).
    params=(Param("rate", "float", 100.0, "new connections per second", 0.01, 1_000_000),
            Param("duration", "duration", 20 * S, "how long the proxy keeps opening them", 1, 3_600_000_000),
            Param("port_low", "int", 60000, "ip_local_port_range, low end (Linux: 32768)", 1, 65535),
            Param("port_high", "int", 60999, "ip_local_port_range, high end", 1, 65535),
            Param("tw_reuse", "bool", False, "tcp_tw_reuse: take over TIME_WAIT ports (needs timestamps)"),
            Param("keep_alive", "bool", False, "reuse persistent connections instead of one per request"),
            Param("pool", "int", 8, "persistent connections with keep_alive", 1, 1000)),
    settings_from_params=settings,
    default_rtt_us=1 * MS,
    crowd_every_us=1 * S,
    crowd_plot=("proxy.TIME_WAIT", "proxy.ESTABLISHED", "proxy.connect_failed.EADDRNOTAVAIL", "proxy.tw_reused"),
    golden_params={"rate": "100", "duration": "3s", "port_low": "60900"},
)
