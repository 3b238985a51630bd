"""What happened in a run, as plain records: one per segment put on the wire, and the event stream.

The network's tap calls :meth:`Recorder.segment_sent` at the sender (so lost
segments are recorded), hosts call :meth:`segment_delivered` once the receiver
has processed a segment and :meth:`event` for everything their endpoints
report.  Views (:mod:`synack.trace`) turn these records into the JSON trace,
the ladder, tcpdump lines and pcap; with tracing off no recorder exists and
the simulation pays nothing for it.

A scenario with a crowd of connections (a SYN flood, thousands of TIME_WAIT
sockets) features the one connection it is about with :meth:`Recorder.feature`;
from then on only that connection's segments and events are recorded, and the
crowd is told by counts (:mod:`synack.sim.crowd`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..tcp.segment import Segment

if TYPE_CHECKING:
    from .host import Host


FEATURED_STEP_LIMIT = 300


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


class Recorder:
    def __init__(self) -> None:
        self.steps: list[StepRecord] = []
        self.events: list[dict[str, Any]] = []
        self.tcp_hosts: list["Host"] = []
        # None: record everything.  Otherwise the featured 4-tuples, both ways round.
        self.featured: set[tuple[str, int, str, int]] | None = None
        self._featured_peers: set[tuple[str, int, str]] = set()
        self.featured_pairs: list[tuple[tuple[str, int], tuple[str, int]]] = []
        # A featured connection that talks for ever (a keep-alive pool) is cut here: a ladder, not a log.
        self.step_limit: int | None = None
        self.truncated = False
        # The socket (host's serial) whose segments are being put on the wire, so the views can tell two
        # connections on one 4-tuple apart; None for a listener, a bare RST or a forged segment.
        self.sender_socket: int | None = None

    def feature_only(self) -> None:
        """From now on record only featured connections (none until :meth:`feature` names one)."""
        if self.featured is None:
            self.featured = set()
            self.step_limit = FEATURED_STEP_LIMIT

    def feature(self, local: tuple[str, int], remote: tuple[str, int]) -> None:
        """Record the connection between ``local`` and ``remote`` (and, from now on, only featured ones)."""
        if self.featured is None:
            self.featured = set()
        self.featured.add((local[0], local[1], remote[0], remote[1]))
        self.featured.add((remote[0], remote[1], local[0], local[1]))
        self._featured_peers.add((remote[0], remote[1], local[0]))
        self.featured_pairs.append((local, remote))

    def keeps(self, src_ip: str, src_port: int, dst_ip: str, dst_port: int) -> bool:
        """Whether a segment (or an endpoint's event) between these addresses is recorded.

        ``dst_port`` -1 asks about a listener at ``src_ip:src_port`` hearing from ``dst_ip``.
        """
        featured = self.featured
        if featured is None:
            return True
        if dst_port < 0:
            return (src_ip, src_port, dst_ip) in self._featured_peers
        return (src_ip, src_port, dst_ip, dst_port) in featured

    def watch(self, host: "Host") -> None:
        """Include ``host`` in the state snapshots (third parties that only inject are not watched)."""
        self.tcp_hosts.append(host)

    def snapshot(self) -> dict[str, str]:
        return {h.name: h.display_state.value for h in self.tcp_hosts}

    def has_room(self) -> bool:
        """Whether another segment may be recorded (see ``step_limit``)."""
        if self.step_limit is not None and len(self.steps) >= self.step_limit:
            self.truncated = True
            return False
        return True

    def segment_sent(self, now: int, sender: str, src_ip: str, dst_ip: str, seg: Segment, reason: str,
                     arrives: int | None, lost_reason: str | None) -> int:
        index = len(self.steps)
        states = self.snapshot()
        self.steps.append(StepRecord(index, now, sender, src_ip, dst_ip, seg, reason, arrives, lost_reason,
                                     states, states if lost_reason else None))
        if self.sender_socket is None:
            self.event(now, "send", sender, step=index, reason=reason)
        else:
            self.event(now, "send", sender, step=index, reason=reason, socket=self.sender_socket)
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
