"""``rst_injection``: an off-path attacker guesses sequence numbers to reset a connection (RFC 5961 3).

The attacker knows the 4-tuple (a BGP session between known routers, say) and
roughly where the server's receive sequence space is, but not RCV.NXT.  It
sprays forged RSTs one receive window apart over that range.  Before RFC 5961
(RFC 793's rule, ``rfc5961=off``) any RST inside the window resets, so
2^32 / window guesses cover the whole space; with RFC 5961 only an RST at
exactly RCV.NXT resets and the in-window ones earn challenge ACKs that go to
the real peer, so the same spray fails and an exact hit needs up to 2^32.
"""

from __future__ import annotations

from math import ceil

from ..sim.host import Host, SocketError
from ..tcp.segment import Flags
from ..tcp.seq import seq_add
from .apps import PORT, acknowledged_request, held_reading_server
from .base import MS, S, Param, Scenario, World

SPACE = 1 << 32


def script(world: World) -> None:
    p = world.params
    client = world.host("client", "10.0.0.1")
    server = world.host("server", "10.0.0.2")
    attacker = world.host("attacker", "10.0.0.66", tcp=False)
    state: dict = {}

    def attacker_app(host: Host, client_port: int, target):
        conn = target.conn
        t = conn.tcb
        # What the attacker may know: the window the server advertises (anyone on the Internet can
        # see it by connecting) and a range of sequence numbers; where RCV.NXT lies in it is luck.
        window = conn.advertised_window
        rng = host.rng
        distance = rng.randrange(1, p["search_space"])
        start = seq_add(t.rcv_nxt, -distance)
        guesses = ceil(p["search_space"] / window)
        summary = world.summary
        summary.update({"window_bytes": window, "search_space": p["search_space"], "distance": distance,
                        "guesses_planned": guesses,
                        "guesses_full_space_before_rfc5961": ceil(SPACE / window),
                        "guesses_full_space_rfc5961": SPACE})
        sent_at = []
        for i in range(guesses):
            host.inject((client.ip, client_port), (server.ip, PORT), Flags.RST, seq_add(start, i * window))
            sent_at.append(host.sched.now)
            yield host.sleep(p["interval"])
        # Off the path, the attacker never learns whether it worked; the lesson looks at the server.
        yield host.sleep(world.network.link.delay_us + p["interval"])
        reset_at = state.get("error_at_us")
        arrived = [t + world.network.link.delay_us for t in sent_at]
        summary.update({"guesses_sent": len(sent_at), "connection_reset": reset_at is not None,
                        "reset_by_guess": arrived.index(reset_at) + 1 if reset_at in arrived else None,
                        "challenge_acks": conn.challenge_acks})

    def client_app(host: Host):
        sock = yield from acknowledged_request(host, server.ip)
        attacker.spawn(attacker_app, sock.conn.local[1], state["server"])
        yield host.sleep(p["close_after"])
        world.summary["client_state_at_close"] = sock.state.value
        try:
            sock.close()
        except SocketError:
            pass

    server.spawn(held_reading_server, PORT, state, world.summary)
    client.spawn(client_app)


SCENARIO = Scenario(
    name="rst_injection",
    title="Blind RST injection: guessing a connection to death",
    summary_line="Forged RSTs sprayed one window apart: enough before RFC 5961, useless after it.",
    explanation=(
        "An attacker who cannot see a connection can still forge packets from one end to the other if it "
        "knows the addresses and ports. To reset the connection its RST needs a sequence number the receiver "
        "accepts. Under RFC 793 any number inside the receive window would do, so stepping through the 2^32 "
        "possible numbers one window at a time needs only 2^32 / window guesses: with a 64 KB window, "
        "65,536. RFC 5961 (2010) accepts an RST only at exactly the next expected sequence number and "
        "answers one that is merely in the window with a challenge ACK to the real peer, which ignores it. "
        "Switch rfc5961 off to see stacks from before 2010 fall to the same spray."
    ),
    script=script,
    params=(Param("rfc5961", "bool", True, "exact-match RSTs and challenge ACKs (RFC 5961); off as before 2010"),
            Param("search_space", "int", 1 << 20, "bytes of sequence space the attacker must search", 2, 1 << 26),
            Param("interval", "duration", 1 * MS, "time between forged RSTs", 1, 3_600_000_000),
            Param("close_after", "duration", 2 * S, "when the client closes, after the request is acknowledged",
                  0, 3_600_000_000)),
)
