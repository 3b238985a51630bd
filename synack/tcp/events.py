"""What a connection reports: frozen, keyword-only events with past-tense names.

The engine never prints or logs; it appends these to an outbox that the caller
drains with ``events()``.  The simulator stamps them with the time they were
drained at, and every view (ladder, tcpdump lines, JSON, the page) is drawn
from that one stream.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Final

from .segment import Segment
from .states import State
from .timers import Timer


class Reason(str, Enum):
    """Why a segment went out.  The values are what traces and views print and match on."""

    SYN = "syn"
    SYN_ACK = "syn-ack"
    SYN_ACK_COOKIE = "syn-ack-cookie"  # RFC 4987 3.6
    ACK = "ack"
    DELAYED_ACK = "delayed-ack"  # the delayed-ACK timer fired
    DUP_ACK = "dup-ack"  # an immediate ACK of where we are (out of order, out of window)
    CHALLENGE_ACK = "challenge-ack"  # RFC 5961
    WINDOW_UPDATE = "window-update"  # RFC 9293 3.8.6.2.2
    WINDOW_PROBE = "window-probe"  # RFC 9293 3.8.6.1
    KEEPALIVE = "keepalive"  # RFC 1122 4.2.3.6
    DATA = "data"
    FIN = "fin"
    RETRANSMIT = "retransmit"
    PMTU_RETRANSMIT = "pmtu-retransmit"  # RFC 1191: sent again, smaller, after ICMP "fragmentation needed"
    RST = "rst"

    __hash__ = str.__hash__

    def __str__(self) -> str:
        return self.value


# Module-level names: reading Enum members through the class is slow on a hot path.
R_SYN: Final = Reason.SYN
R_SYN_ACK: Final = Reason.SYN_ACK
R_SYN_ACK_COOKIE: Final = Reason.SYN_ACK_COOKIE
R_ACK: Final = Reason.ACK
R_DELAYED_ACK: Final = Reason.DELAYED_ACK
R_DUP_ACK: Final = Reason.DUP_ACK
R_CHALLENGE_ACK: Final = Reason.CHALLENGE_ACK
R_WINDOW_UPDATE: Final = Reason.WINDOW_UPDATE
R_WINDOW_PROBE: Final = Reason.WINDOW_PROBE
R_KEEPALIVE: Final = Reason.KEEPALIVE
R_DATA: Final = Reason.DATA
R_FIN: Final = Reason.FIN
R_RETRANSMIT: Final = Reason.RETRANSMIT
R_PMTU_RETRANSMIT: Final = Reason.PMTU_RETRANSMIT
R_RST: Final = Reason.RST


@dataclass(frozen=True, slots=True, kw_only=True)
class StateChanged:
    old: State
    new: State
    cause: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SegmentSent:
    segment: Segment
    reason: Reason


@dataclass(frozen=True, slots=True, kw_only=True)
class SegmentDropped:
    segment: Segment
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TimerFired:
    timer: Timer


@dataclass(frozen=True, slots=True, kw_only=True)
class DataDelivered:
    """Bytes became readable for the application (in order)."""

    nbytes: int


@dataclass(frozen=True, slots=True, kw_only=True)
class EofReceived:
    """The peer's FIN was reached in sequence: reads will return end of file."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Established:
    """The connection can carry data both ways (reported once)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorReported:
    """An error the application sees, worded as RFC 9293 does ("connection reset")."""

    error: str
    errno_name: str


Event = (StateChanged | SegmentSent | SegmentDropped | TimerFired | DataDelivered | EofReceived | Established
         | ErrorReported)
