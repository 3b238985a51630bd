"""What a connection reports: frozen, keyword-only events with past-tense names.

The engine never prints or logs; it appends these to an outbox that the caller
drains with ``events()``.  The simulator stamps them with the time they were
drained at, and every view (ladder, tcpdump lines, JSON, the page) is drawn
from that one stream.
"""

from __future__ import annotations

from dataclasses import dataclass

from .segment import Segment
from .states import State


@dataclass(frozen=True, slots=True, kw_only=True)
class StateChanged:
    old: State
    new: State
    cause: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SegmentSent:
    segment: Segment
    # Why it went out: "syn", "syn-ack", "ack", "data", "fin", "rst", "retransmit",
    # "challenge-ack", "keepalive", "delayed-ack", "window-probe", ...
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SegmentDropped:
    segment: Segment
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TimerFired:
    timer: str


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
