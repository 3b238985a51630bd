"""``syn_flood``: forged SYNs at a steady rate against one listener, while real clients keep connecting.

RFC 4987 (SYN flooding and its defences) with Linux's numbers: each SYN that
finds room in the SYN queue (the backlog) becomes a half-open connection
whose SYN-ACK is retransmitted tcp_synack_retries times (5: after 1, 3, 7, 15
and 31 s, dropped at 63 s).  Forged sources never answer, so the queue stays
full; with ``cookies=off`` real clients' SYNs are dropped and they retry until
connect() times out (131 s); with ``cookies=on`` (tcp_syncookies=1) the
listener answers the overflow with a SYN cookie and keeps nothing
(:mod:`synack.tcp.cookies`).  The crowd (queue length, SYN-ACKs, cookies) is
sampled over time; the ladder is the first real client's connection.
"""

from __future__ import annotations

from typing import Any

from ..sim.host import Host, SocketError
from ..sim.scheduler import TIMER
from ..tcp import cookies
from ..tcp.segment import Flags
from .apps import ANSWER, PORT, REQUEST, read_at_least
from .base import S, Param, Scenario, ScenarioError, World

COOKIE_MODES = {"off": 0, "on": 1, "always": 2}
MAX_TRACED_SYNS = 500_000  # the run must settle within the runner's event budget


def settings(values: dict[str, Any]) -> dict[str, Any]:
    retries = values["synack_retries"]
    # Linux doubles the SYN-ACK timeout from 1 s; after the last retry it waits one more period.
    return {"syncookies": COOKIE_MODES[values["cookies"]], "max_syn_backlog": values["backlog"],
            "synack_schedule_us": tuple(min(1 << i, 120) * S for i in range(retries + 1))}


def script(world: World) -> None:
    p = world.params
    world.trace_featured_only()
    client = world.host("client", "10.0.0.1")
    server = world.host("server", "10.0.0.2")
    attacker = world.host("attacker", "10.0.0.66", tcp=False)
    flood_syns = int(p["rate"] * p["flood_for"] / S)
    if world.recorder is not None and flood_syns > MAX_TRACED_SYNS:
        raise ScenarioError(f"rate x flood_for makes {flood_syns:,} forged SYNs; a traced run takes at most "
                            f"{MAX_TRACED_SYNS:,} (bench/crowd.py runs a million with tracing off).")
    gap_us = S / p["rate"]
    legit = {"tried": 0, "ok": 0, "connect_us": []}

    def serve(host: Host):
        listener = host.listen(PORT)
        while True:
            sock = yield listener.accept()
            host.spawn(answer, sock)

    def answer(host: Host, sock):
        try:
            got = yield from read_at_least(sock, REQUEST)
            if got:
                sock.send(b"a" * ANSWER)
                yield from sock.recv_until_eof()
            sock.close()
        except SocketError:
            pass

    def flood() -> None:
        # A callback on the clock rather than an application: a million SYNs need no socket layer.
        # Each SYN claims a source that does not exist, so no RST ever frees its slot.
        i = sent[0]
        src = (f"198.51.{100 + (i >> 16) % 100}.{1 + (i >> 8) % 250}", 1024 + i % 60000)
        attacker.inject(src, (server.ip, PORT), Flags.SYN, rng.getrandbits(32), window=1024)
        sent[0] = i + 1
        if i + 1 < flood_syns:
            world.sched.call_at(int((i + 1) * gap_us), flood, TIMER)

    def real_client(host: Host, featured: bool):
        legit["tried"] += 1
        began = host.sched.now
        try:
            sock = yield host.connect(server.ip, PORT, featured=featured)
        except SocketError:
            return
        legit["connect_us"].append(host.sched.now - began)
        sock.send(b"q" * REQUEST)
        got = yield from read_at_least(sock, ANSWER)
        sock.close()
        if got >= ANSWER:
            legit["ok"] += 1

    def clients(host: Host):
        yield host.sleep(p["clients_from"])
        for i in range(p["clients"]):
            host.spawn(real_client, i == 0)
            yield host.sleep(p["client_every"])

    server.spawn(serve)
    rng, sent = world.rng, [0]
    if flood_syns:
        world.sched.call_at(0, flood, TIMER)
    client.spawn(clients)

    def summarise() -> None:
        listener = server.listeners[PORT]
        tried = legit["tried"]
        times = sorted(legit["connect_us"])
        world.summary.update({
            "forged_syns": flood_syns,
            "legit_clients": tried,
            "legit_served": legit["ok"],
            "legit_success_rate": round(legit["ok"] / tried, 4) if tried else None,
            "legit_connect_median_s": times[len(times) // 2] / S if times else None,
            "synacks_sent": world.network.synacks_sent.get("server", 0),
            "cookies_sent": listener.cookies_sent,
            "cookies_validated": listener.cookies_validated,
            "syns_dropped_queue_full": listener.syn_dropped,
            "backlog": p["backlog"],
            "connect_failures": dict(client.connect_failures),
        })
        cookie = cookie_anatomy(world, server)
        if cookie is not None:
            world.summary["cookie"] = cookie

    world.when_done(summarise)


def cookie_anatomy(world: World, server: Host) -> dict[str, Any] | None:
    """What the featured client's cookie carries and what it cannot (needs the trace of that connection)."""
    rec = world.recorder
    if rec is None:
        return None
    synack = next((s for s in rec.steps if s.reason == "syn-ack-cookie"), None)
    if synack is None:
        return None
    syn = next((s for s in rec.steps if s.sender == "client" and s.segment.syn and s.sent_us <= synack.sent_us
                and s.segment.dst_port == synack.segment.src_port), None)
    if syn is None:
        return None
    local, remote = (synack.src_ip, synack.segment.src_port), (synack.dst_ip, synack.segment.dst_port)
    fields = cookies.cookie_fields(server.ctx.syncookie_secret, local, remote, synack.segment.seq,
                                   syn.segment.seq, synack.sent_us)
    if fields is None:
        return None
    counter, index = fields
    offered = {o.name: o for o in syn.segment.options}
    client_mss = getattr(offered.get("mss"), "value", 536)
    answer: dict[str, Any] = {
        "isn": synack.segment.seq,
        "counter": counter & 0xFF, "counter_period_s": cookies.MINUTE_US // S,
        "mss_index": index, "mss": cookies.MSS_TABLE[index], "client_mss": client_mss,
        "sent_us": synack.sent_us,
    }
    ts = next((o for o in synack.segment.options if o.name == "TS"), None)
    lost = []
    if cookies.MSS_TABLE[index] != client_mss:
        lost.append(f"the exact MSS ({client_mss} is rounded down to {cookies.MSS_TABLE[index]})")
    if ts is not None:
        wscale, sack = cookies.decode_cookie_tsecr(ts.tsval)
        answer["tsval_low_bits"] = {"value": ts.tsval & 0x3F, "wscale": wscale, "sack": sack,
                                    "ecn": bool(ts.tsval & cookies.TS_ECN)}
    else:
        lost += [name for name in ("wscale", "sackOK") if name in offered]
    if "tfo" in offered:
        lost.append("Fast Open")
    lost.append("the SYN-ACK's retransmission (nothing is kept to resend it from)")
    answer["lost"] = lost
    return answer


SCENARIO = Scenario(
    name="syn_flood",
    title="A SYN flood, with and without SYN cookies",
    summary_line="Forged SYNs keep the SYN queue full; without cookies real clients are shut out, with cookies "
                 "they get in.",
    explanation=(
        "Every SYN that finds room in the listener's SYN queue becomes a half-open connection, and the server "
        "resends its SYN-ACK for about a minute before giving up on it. Forged SYNs from addresses that never "
        "answer cost the attacker one packet each, so a modest rate keeps the queue full. With cookies off, "
        "the real clients' SYNs are dropped and they retry until connect() times out. With cookies on, the "
        "server answers the overflow with a SYN cookie: its ISN encodes a coarse clock and the MSS, and the "
        "server keeps nothing until an ACK returns it. The plot counts the crowd; the ladder is the first "
        "real client."
    ),
    script=script,
    params=(Param("rate", "float", 100.0, "forged SYNs per second", 0.01, 10_000_000),
            Param("flood_for", "duration", 200 * S, "how long the flood lasts", 1, 3_600_000_000),
            Param("backlog", "int", 128, "SYN queue size (listen backlog, tcp_max_syn_backlog)", 1, 65535),
            Param("synack_retries", "int", 5, "tcp_synack_retries: SYN-ACK retransmissions per half-open entry",
                  0, 10),
            Param("cookies", "choice", "on", "tcp_syncookies: off, on (when the queue overflows), always",
                  choices=tuple(COOKIE_MODES)),
            Param("clients", "int", 20, "real clients, one after another", 0, 100_000),
            Param("client_every", "duration", 1 * S, "time between real clients", 1, 3_600_000_000),
            Param("clients_from", "duration", 5 * S, "when the first real client connects", 0, 3_600_000_000)),
    settings_from_params=settings,
    crowd_every_us=1 * S,
    crowd_plot=("server.syn_queue", "client.SYN_SENT", "client.ESTABLISHED", "client.TIME_WAIT"),
    golden_params={"rate": "20", "flood_for": "150s", "clients": "3", "client_every": "2s", "backlog": "16"},
)

