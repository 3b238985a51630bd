"""``options_negotiation``: SACK, window scale, timestamps and ECN, offered and agreed at the handshake.

Each end offers what its settings allow in its SYN or SYN-ACK; an option is
in force only when both ends sent it: SACK (RFC 2018 2), window scaling
(RFC 7323 2.2: "both sides MUST send" it, and a SYN-ACK may carry it only if
the SYN did), timestamps (RFC 7323 3.2), ECN (RFC 3168 6.1.1: ECE+CWR on the
SYN, ECE alone on the SYN-ACK).  Then the client sends a bulk transfer, and
the window the server can advertise caps the throughput at window / RTT.
"""

from __future__ import annotations

from typing import Any

from ..sim.host import Host
from ..tcp.endpoint import MAX_WINDOW_FIELD
from .apps import PORT, reading_server
from .base import MS, Param, Scenario, World

OPTIONS = ("sack", "wscale", "ts", "ecn")


def settings_for(p: dict[str, Any], side: str, *, client: bool) -> dict[str, Any]:
    ecn_on = p[f"{side}_ecn"]
    # A client with ECN on asks for it (tcp_ecn=1); a server with ECN on accepts it (tcp_ecn=2, Linux's default).
    ecn = (1 if client else 2) if ecn_on else 0
    return {"sack": p[f"{side}_sack"], "timestamps": p[f"{side}_ts"], "ecn": ecn,
            "window_scale": p["wscale_shift"] if p[f"{side}_wscale"] else None,
            "rcv_buffer": p["server_buffer"] if not client else 131072}


def why(option: str, client_offers: bool, agreed: bool) -> str:
    name = {"sack": "SACK", "wscale": "Window scaling", "ts": "Timestamps", "ecn": "ECN"}[option]
    if agreed:
        return f"{name}: on, both ends sent it."
    if not client_offers:
        return f"{name}: off, the client's SYN did not offer it, so the server may not either."
    return f"{name}: off, the client offered it but the server's SYN-ACK did not carry it."


def script(world: World) -> None:
    p = world.params
    client = world.host("client", "10.0.0.1", settings=settings_for(p, "client", client=True))
    server = world.host("server", "10.0.0.2", settings=settings_for(p, "server", client=False))
    server.spawn(reading_server, PORT)

    def client_app(host: Host):
        sock = yield host.connect(server.ip, PORT)
        t = sock.conn.tcb
        agreed = {"sack": t.sack_ok, "wscale": sock.conn.wscale_agreed, "ts": t.ts_ok, "ecn": t.ecn_ok}
        summary = world.summary
        summary["agreed"] = {
            "sack": t.sack_ok, "timestamps": t.ts_ok, "ecn": t.ecn_ok,
            "window_scale": {"client_shift": t.rcv_wscale, "server_shift": t.snd_wscale}
            if agreed["wscale"] else None}
        summary["why"] = [why(o, p[f"client_{o}"], agreed[o]) for o in OPTIONS]
        summary["mss_payload"] = t.snd_mss
        start = host.sched.now
        sock.send(b"d" * p["transfer"])
        while sock.conn.tcb.snd_una != sock.conn.tcb.snd_max or sock.conn.sndbuf:
            yield host.sleep(MS)
        elapsed = host.sched.now - start
        rtt_s = world.rtt_us / 1_000_000
        window = t.max_snd_wnd
        summary["largest_window_advertised_bytes"] = window
        summary["ceiling_unscaled_mbit_s"] = round(MAX_WINDOW_FIELD * 8 / rtt_s / 1e6, 2)
        summary["ceiling_this_window_mbit_s"] = round(window * 8 / rtt_s / 1e6, 2)
        summary["transfer_bytes"] = p["transfer"]
        summary["transfer_ms"] = round(elapsed / 1000, 1)
        summary["goodput_mbit_s"] = round(p["transfer"] * 8 / (elapsed / 1_000_000) / 1e6, 2)
        sock.close()

    client.spawn(client_app)


def _switch(side: str, option: str, what: str) -> Param:
    return Param(f"{side}_{option}", "bool", True, f"the {side} offers {what}")


SCENARIO = Scenario(
    name="options_negotiation",
    title="Options negotiation: SACK, window scale, timestamps, ECN",
    summary_line="Each end offers options in its SYN; only what both sent is used, and a 64 KB window caps throughput.",
    explanation=(
        "TCP's extensions are agreed in the handshake and never later: the client lists what it can do in "
        "its SYN, the server answers with the subset it also wants, and an option missing from either side "
        "is off for the whole connection. Window scaling matters most: the window field has 16 bits, so "
        "without a scale factor a receiver can never have more than 64 KB in flight towards it, and "
        "throughput can never exceed 64 KB per round trip, about 5 Mbit/s at 100 ms, whatever the link. "
        "Timestamps give RTT samples and protect against wrapped sequence numbers, SACK lets the receiver "
        "report which pieces arrived, and ECN lets routers signal congestion without dropping. Linux asks "
        "for ECN only when tcp_ecn=1; by default it merely accepts it."
    ),
    script=script,
    params=tuple(_switch(side, o, what) for side in ("client", "server") for o, what in (
        ("sack", "SACK (RFC 2018)"), ("wscale", "window scaling (RFC 7323)"), ("ts", "timestamps (RFC 7323)"),
        ("ecn", "ECN (RFC 3168)"))) + (
        Param("wscale_shift", "int", 10, "the window scale each end offers (Linux 6.16+: 10)", 0, 14),
        Param("server_buffer", "int", 4 << 20, "the server's receive buffer in bytes", 4096, 64 << 20),
        Param("transfer", "int", 500_000, "bytes the client sends", 1, 50_000_000)),
    golden_params={"transfer": "30000"},  # the record keeps the handshake, not a megabyte of segments
    # Linux's receive autotuning opens the window to the buffer over a long transfer; the engine does not
    # model it, so here the receiver offers its whole buffer at once instead of starting at the SYN's window.
    profile_settings={"rcv_ssthresh_clamp": False},
)
