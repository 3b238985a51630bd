"""The transmission control block: RFC 9293 section 3.3.1's variables, by their RFC names.

Only variables live here; the state is on the connection, buffers and timers
are kept apart (``synack.tcp.endpoint``), and so are the parts with RFCs of
their own: round-trip estimation (``rtt``), congestion control
(``congestion``), delayed ACKs (``delack``) and reassembly (``reassembly``).  All sequence variables are mod 2**32
and are compared only through :mod:`synack.tcp.seq`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class Tcb:
    # Send sequence space (RFC 9293 3.3.1, figure 3).
    iss: int = 0
    snd_una: int = 0
    snd_nxt: int = 0
    snd_max: int = 0  # highest sequence sent; snd_nxt goes back below it on a retransmission timeout
    snd_wnd: int = 0
    snd_wl1: int = 0
    snd_wl2: int = 0
    max_snd_wnd: int = 0
    # Receive sequence space (figure 4).
    irs: int = 0
    rcv_nxt: int = 0
    rcv_wup: int = 0  # rcv_nxt when we last sent an ACK (Linux's name): what "unacked" counts from
    # Negotiated at the handshake (RFC 7323, RFC 2018, RFC 9293 3.7.1).
    snd_wscale: int = 0  # the peer's shift, applied to windows it sends
    rcv_wscale: int = 0  # our shift, applied to windows we send
    peer_mss: int = 536
    snd_mss: int = 536  # payload per segment after options
    sack_ok: bool = False
    ts_ok: bool = False
    ts_recent: int = 0
    ts_offset: int = 0
    ecn_ok: bool = False  # RFC 3168: both ends agreed on ECN at the handshake
