"""Congestion control, kept simple (RFC 5681): slow start, congestion avoidance, fast retransmit.

Windows are counted in segments, as Linux counts ``snd_cwnd``.  The
connection tells :class:`CongestionControl` what happened (new data
acknowledged, a duplicate ACK, a timeout); it answers how many segments may
be in flight.
"""

from __future__ import annotations

from typing import Final

INITIAL_SSTHRESH: Final = 1 << 30  # RFC 5681 3.1: "arbitrarily high"
DUPACK_THRESHOLD: Final = 3  # RFC 5681 3.2


class CongestionControl:
    __slots__ = ("cwnd", "ssthresh", "acks", "dupacks")

    def __init__(self, initial_cwnd: int) -> None:
        self.cwnd = initial_cwnd
        self.ssthresh = INITIAL_SSTHRESH
        self.acks = 0  # ACKs counted towards the next increase in congestion avoidance
        self.dupacks = 0

    def on_new_ack(self) -> None:
        self.dupacks = 0
        if self.cwnd < self.ssthresh:
            self.cwnd += 1  # slow start (RFC 5681 3.1)
        else:
            # Congestion avoidance: one more segment per window's worth of ACKs.
            self.acks += 1
            if self.acks >= self.cwnd:
                self.cwnd += 1
                self.acks = 0

    def on_duplicate_ack(self, flight_segments: int) -> bool:
        """Count a duplicate ACK; True when it is the third, time for a fast retransmit (RFC 5681 3.2)."""
        self.dupacks += 1
        if self.dupacks != DUPACK_THRESHOLD:
            return False
        self.ssthresh = max(flight_segments // 2, 2)
        self.cwnd = self.ssthresh
        return True

    def on_timeout(self, flight_segments: int) -> None:
        """RFC 5681 3.1 equation (4) and the loss window of one segment."""
        self.ssthresh = max(flight_segments // 2, 2)
        self.cwnd = 1
