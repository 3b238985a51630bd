"""Round-trip time estimation and the retransmission timeout (RFC 6298).

One :class:`RttEstimator` per connection times one segment at a time (RFC
6298 3: "at most one measurement per RTT"), drops the measurement when that
segment is retransmitted (Karn's rule, RFC 6298 3), and turns samples into
SRTT, RTTVAR and RTO (RFC 6298 2.2-2.3).  Where the RTO floor applies is a
profile knob: RFC 6298 2.4 bounds the whole RTO, Linux (tcp_set_rto) only the
variance term.
"""

from __future__ import annotations

from typing import Final

from .profiles import Profile

CLOCK_GRANULARITY_US: Final = 1000  # G of RFC 6298 2.2: our clock ticks in milliseconds for this purpose


class RttEstimator:
    __slots__ = ("srtt", "rttvar", "rto", "timed_seq", "timed_at", "rto_min", "rto_max", "floor_on_variance")

    def __init__(self, profile: Profile) -> None:
        self.srtt: int | None = None
        self.rttvar = 0
        # Never above the ceiling, so that rto is backed_off(0), which a first transmission uses.
        rto, most = profile.initial_rto_us, profile.rto_max_us
        self.rto = rto if rto < most else most
        self.timed_seq: int | None = None  # the ACK that ends the measurement in progress
        self.timed_at = 0
        self.rto_min = profile.rto_min_us
        self.rto_max = profile.rto_max_us
        self.floor_on_variance = profile.rto_min_on_variance

    def start(self, ack_expected: int, now: int) -> None:
        """Time the segment just sent, unless one is already being timed."""
        if self.timed_seq is None:
            self.timed_seq, self.timed_at = ack_expected, now

    def forget(self) -> None:
        """Karn's rule: a retransmission makes the measurement in progress ambiguous."""
        self.timed_seq = None

    def on_ack(self, now: int) -> None:
        """The timed segment is acknowledged: its round trip is a sample (RFC 6298 2.2-2.3).

        The connection calls this only for an ACK that covers ``timed_seq``: it
        runs once per round trip, not on every ACK.
        """
        r = now - self.timed_at
        self.timed_seq = None
        if r < 1:
            r = 1
        srtt = self.srtt
        if srtt is None:
            srtt, rttvar = r, r // 2
        else:
            err = srtt - r if srtt > r else r - srtt  # |SRTT - R'|, without a call to abs()
            rttvar = (3 * self.rttvar + err) // 4
            srtt = (7 * srtt + r) // 8
        self.srtt, self.rttvar = srtt, rttvar
        variance = 4 * rttvar
        rto_min = self.rto_min
        if self.floor_on_variance:
            rto = srtt + (variance if variance > rto_min else rto_min)
        else:
            rto = srtt + (variance if variance > CLOCK_GRANULARITY_US else CLOCK_GRANULARITY_US)
            if rto < rto_min:
                rto = rto_min
        rto_max = self.rto_max
        self.rto = rto if rto < rto_max else rto_max

    def backed_off(self, retries: int) -> int:
        """RFC 6298 5.5: the RTO doubled per retransmission, up to the ceiling."""
        rto = self.rto << (retries if retries < 30 else 30)
        return rto if rto < self.rto_max else self.rto_max
