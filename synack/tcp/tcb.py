"""The transmission control block: RFC 9293 section 3.3.1's variables, by their RFC names.

Only variables live here; the state is on the connection, buffers and timers
are kept apart (``synack.tcp.endpoint``), and so are the parts with RFCs of
their own: round-trip estimation (``rtt``), congestion control
(``congestion``), delayed ACKs (``delack``) and reassembly (``reassembly``).  All sequence variables are mod 2**32
and are compared only through :mod:`synack.tcp.seq`.

A plain slotted class rather than a dataclass: every connection makes one, and
mypyc compiles this ``__init__`` while it leaves a dataclass's generated one
to the interpreter.
"""

from __future__ import annotations


_FIELDS = ("iss", "snd_una", "snd_nxt", "snd_max", "snd_wnd", "snd_wl1", "snd_wl2", "max_snd_wnd", "irs", "rcv_nxt",
           "rcv_wup", "snd_wscale", "rcv_wscale", "peer_mss", "snd_mss", "sack_ok", "ts_ok", "ts_recent", "ts_offset",
           "ecn_ok")


class Tcb:
    __slots__ = _FIELDS

    def __init__(self) -> None:
        # Send sequence space (RFC 9293 3.3.1, figure 3).
        self.iss = 0
        self.snd_una = 0
        self.snd_nxt = 0
        self.snd_max = 0  # highest sequence sent; snd_nxt goes back below it on a retransmission timeout
        self.snd_wnd = 0
        self.snd_wl1 = 0
        self.snd_wl2 = 0
        self.max_snd_wnd = 0
        # Receive sequence space (figure 4).
        self.irs = 0
        self.rcv_nxt = 0
        self.rcv_wup = 0  # rcv_nxt when we last sent an ACK (Linux's name): what "unacked" counts from
        # Negotiated at the handshake (RFC 7323, RFC 2018, RFC 9293 3.7.1).
        self.snd_wscale = 0  # the peer's shift, applied to windows it sends
        self.rcv_wscale = 0  # our shift, applied to windows we send
        self.peer_mss = 536
        self.snd_mss = 536  # payload per segment after options
        self.sack_ok = False
        self.ts_ok = False
        self.ts_recent = 0
        self.ts_offset = 0
        self.ecn_ok = False  # RFC 3168: both ends agreed on ECN at the handshake

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in _FIELDS)
        return f"Tcb({fields})"
