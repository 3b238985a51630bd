"""Delayed-ACK state (RFC 9293 3.8.6.3, RFC 1122 4.2.3.2) with Linux's quick-ACK and ping-pong modes.

RFC 9293 lets a receiver wait (up to 500 ms, Linux 40-200 ms) before
acknowledging, but asks for an ACK at least every second full-sized segment.
Linux adds two modes (``icsk_ack``): quick-ACK, a number of immediate ACKs
at the start of a connection, and ping-pong, entered when the application
answers soon after receiving, in which ACKs wait to ride on the answer.
The connection decides when to ACK; this object holds what it decides from.
"""

from __future__ import annotations


class DelayedAck:
    __slots__ = ("pending", "quick", "pingpong", "received_data", "last_data_at")

    def __init__(self) -> None:
        self.pending = False  # data arrived that no ACK has covered yet
        self.quick = 0  # immediate ACKs left (Linux icsk_ack.quick)
        self.pingpong = False  # interactive exchange: ACKs wait for data to ride on
        self.received_data = False
        self.last_data_at = 0  # when data last arrived (Linux icsk_ack.lrcvtime)
