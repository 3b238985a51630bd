"""What happened in a run, as plain records: one per segment put on the wire, and the event stream.

The network's tap calls :meth:`Recorder.segment_sent` at the sender (so lost
segments are recorded), hosts call :meth:`segment_delivered` once the receiver
has processed a segment and :meth:`event` for everything their endpoints
report.  Views (:mod:`synack.trace`) turn these records into the JSON trace,
the ladder, tcpdump lines and pcap; with tracing off no recorder exists and
the simulation pays nothing for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..tcp.segment import Segment

if TYPE_CHECKING:
    from .host import Host


@dataclass
class StepRecord:
    index: int
    sent_us: int
    sender: str
    src_ip: str
    dst_ip: str
    segment: Segment
    reason: str
    arrives_us: int | None
    lost_reason: str | None
    states_sent: dict[str, str]
    states: dict[str, str] | None = None
    receiver: str | None = None
    events_after: list[dict[str, Any]] = field(default_factory=list)


class Recorder:
    def __init__(self) -> None:
        self.steps: list[StepRecord] = []
        self.events: list[dict[str, Any]] = []
        self.tcp_hosts: list["Host"] = []

    def watch(self, host: "Host") -> None:
        """Include ``host`` in the state snapshots (third parties that only inject are not watched)."""
        self.tcp_hosts.append(host)

    def snapshot(self) -> dict[str, str]:
        return {h.name: h.display_state.value for h in self.tcp_hosts}

    def segment_sent(self, now: int, sender: str, src_ip: str, dst_ip: str, seg: Segment, reason: str,
                     arrives: int | None, lost_reason: str | None) -> int:
        index = len(self.steps)
        states = self.snapshot()
        self.steps.append(StepRecord(index, now, sender, src_ip, dst_ip, seg, reason, arrives, lost_reason,
                                     states, states if lost_reason else None))
        self.event(now, "send", sender, step=index, reason=reason)
        if lost_reason:
            self.event(now, "drop", sender, step=index, reason=lost_reason, lost=True)
        return index

    def segment_delivered(self, now: int, index: int, receiver: str, duplicate: bool) -> None:
        step = self.steps[index]
        if not duplicate:
            step.receiver = receiver
            step.states = self.snapshot()
        self.event(now, "deliver", receiver, step=index, duplicate=duplicate)

    def event(self, now: int, kind: str, endpoint: str, **fields: Any) -> None:
        record = {"t_us": now, "type": kind, "endpoint": endpoint}
        record.update(fields)
        self.events.append(record)
