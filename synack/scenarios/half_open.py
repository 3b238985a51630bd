"""``half_open``: the peer vanishes without a FIN; the sender finds out only from its timers, or an RST.

RFC 9293 3.10.7 and 3.8.3: a host that loses power sends nothing, so its peer
keeps the connection ESTABLISHED.  Writes still succeed (the data only waits in
the send buffer); the first unacknowledged segment is retransmitted with
exponential backoff (RFC 6298 5.5, capped at 120 s) until tcp_retries2 (15)
retransmissions have failed: with a 200 ms RTO, 0.2 + 0.4 + ... + 102.4 + 6 x
120 = 924.6 s.  An idle connection learns nothing at all, unless keepalive
probes it (RFC 1122 4.2.3.6).  If the peer boots again meanwhile, it has no
record of the connection and answers the next segment with RST.
"""

from __future__ import annotations

from ..sim.host import Host, SocketError
from .apps import PORT, REQUEST, reading_server
from .base import S, Param, Scenario, World


def script(world: World) -> None:
    p = world.params
    client = world.host("client", "10.0.0.1")
    server = world.host("server", "10.0.0.2")
    server.spawn(reading_server, PORT)
    tally: dict = {"writes_after_crash": 0, "error": None, "errno": None, "error_at_us": None,
                   "first_unanswered_us": None}

    def crash_and_reboot(host: Host):
        yield host.sleep(p["crash_at"])
        host.crash()
        if p["reboot_after"]:
            yield host.sleep(p["reboot_after"])
            host.boot()

    def client_app(host: Host):
        keepalive = (p["keepalive_idle"], p["keepalive_interval"], p["keepalive_probes"]) if p["keepalive"] else None
        sock = yield host.connect(server.ip, PORT, keepalive=keepalive)
        sock.send(b"q" * REQUEST)  # before the crash: answered at once
        try:
            if p["writes"]:
                yield host.sleep(p["crash_at"] - host.sched.now + p["write_every"])
                while True:
                    sock.send(b"q" * REQUEST)  # accepted into the send buffer: send() cannot tell
                    tally["writes_after_crash"] += 1
                    if tally["first_unanswered_us"] is None:
                        tally["first_unanswered_us"] = host.sched.now
                    yield host.first_of(sock.recv(), host.sleep(p["write_every"]))
            else:
                yield sock.recv()  # an idle client: only keepalive can notice
        except SocketError as exc:
            tally.update(error=str(exc), errno=exc.errno_name, error_at_us=host.sched.now)
            return
        sock.close()

    server.spawn(crash_and_reboot)
    client.spawn(client_app)

    def summarise() -> None:
        start, end = tally["first_unanswered_us"], tally["error_at_us"]
        world.summary.update({
            "crash_at_s": p["crash_at"] / S,
            "writes_after_crash": tally["writes_after_crash"],
            "error": tally["error"],
            "errno": tally["errno"],
            "error_at_s": None if end is None else end / S,
            "detected_after_crash_s": None if end is None else (end - p["crash_at"]) / S,
            "gave_up_after_first_write_s": None if end is None or start is None else (end - start) / S,
            "retries2": world.profile.data_retries,
        })

    world.when_done(summarise)


SCENARIO = Scenario(
    name="half_open",
    title="A half-open connection: the peer reboots without a word",
    summary_line="The server loses power; the client's writes still succeed and it retransmits for 15 minutes, "
                 "unless keepalive or an RST after the reboot tells it sooner.",
    explanation=(
        "A host that crashes or loses power sends no FIN and no reset: its peer still believes the connection "
        "is ESTABLISHED. Writes keep succeeding, because send() only copies into the send buffer. The first "
        "unacknowledged segment is retransmitted with a doubling timeout, capped at 120 s, and Linux gives "
        "up after tcp_retries2 = 15 retransmissions: about 924.6 s with a 200 ms RTO. A client that is idle "
        "notices nothing at all unless keepalive probes it; tight settings (here 10 s, then 3 probes 5 s "
        "apart) find out in under a minute. If the server boots again first, it has no record of the "
        "connection and answers the next segment with a reset."
    ),
    script=script,
    params=(Param("crash_at", "duration", 3 * S, "when the server loses power", 1, 3_600_000_000),
            Param("reboot_after", "duration", 0, "when it is back after the crash (0: never)", 0, 3_600_000_000),
            Param("writes", "bool", True, "the client keeps writing (off: it sits idle)"),
            Param("write_every", "duration", 10 * S, "time between the client's writes", 1000, 3_600_000_000),
            Param("keepalive", "bool", False, "keepalive on the client's socket"),
            Param("keepalive_idle", "duration", 10 * S, "TCP_KEEPIDLE", 1000, 3_600_000_000),
            Param("keepalive_interval", "duration", 5 * S, "TCP_KEEPINTVL", 1000, 3_600_000_000),
            Param("keepalive_probes", "int", 3, "TCP_KEEPCNT", 1, 127)),
    # A LAN: the RTO is Linux's floor, 200 ms (plus a tenth of a millisecond of RTT).
    default_rtt_us=100,
    crowd_every_us=1 * S,
    crowd_plot=("client.ESTABLISHED", "server.ESTABLISHED"),
)

