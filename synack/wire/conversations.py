"""Captured packets grouped into TCP connections, in a form to compare the simulator with Linux.

A simulated run and a real Linux capture never share ISNs, ports or wall
clock, so they are compared in a canonical form: per connection and per
direction, one :class:`Row` for each segment with tcpdump's flag letters,
relative sequence and acknowledgment numbers (as Wireshark shows them, RFC
9293 section 3.4 arithmetic modulo 2**32), the payload length, the option
kinds in wire order, and the time since the connection's first packet.

Rules, kept simple on purpose:

- Packets belong to one connection per 4-tuple, in the order given.  A SYN
  without ACK on a 4-tuple whose connection has already ended (seen an RST,
  or a FIN in each direction) starts a new connection, unless it repeats that
  connection's own SYN (same sender and sequence number), which is a
  retransmission.
- The *initiator* is the sender of the connection's first packet ("forward"
  direction); the other side is the responder ("reverse").  For a capture
  that starts mid-connection that need not be the active opener.
- A direction's ISN is the sequence number of its first SYN, or, with no
  SYN seen, of its first segment.  ``rel_seq`` is the sequence number minus
  the ISN of its own direction.
- ``rel_ack`` is the acknowledgment number minus the other direction's ISN,
  None when the ACK flag is off (the field then means nothing), and the
  absolute number when the other direction sent nothing at all, since no
  base exists.
- Connections are ordered by the time of their first packet, ties in the
  order they appeared.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from synack.tcp.options import UnknownOption
from synack.tcp.seq import MASK

from .pcap import CapturedPacket

Endpoint = tuple[str, int]
FORWARD = "forward"
REVERSE = "reverse"


@dataclass(frozen=True, slots=True)
class Row:
    """One segment of a conversation, relative to its connection (see the module docstring)."""

    t_us: int
    flags: str
    rel_seq: int
    rel_ack: int | None
    length: int
    option_kinds: tuple[str, ...] = ()

    def __str__(self) -> str:
        """packetdrill-like: ``S. 0:0(0) ack 1 <mss,sackOK,TS,nop,wscale>``."""
        text = f"{self.flags} {self.rel_seq}:{(self.rel_seq + self.length) & MASK}({self.length})"
        if self.rel_ack is not None:
            text += f" ack {self.rel_ack}"
        if self.option_kinds:
            text += " <" + ",".join(self.option_kinds) + ">"
        return text


@dataclass(frozen=True, slots=True)
class Conversation:
    """One TCP connection of a capture: both directions as rows, and the order they interleaved in."""

    initiator: Endpoint
    responder: Endpoint
    start_us: int                       # absolute time of the first packet; rows count from here
    forward: tuple[Row, ...]            # sent by the initiator
    reverse: tuple[Row, ...]            # sent by the responder
    timeline: tuple[tuple[str, Row], ...]  # (FORWARD or REVERSE, row) in capture order
    forward_isn: int | None
    reverse_isn: int | None


def option_kind(option) -> str:
    """The name a row lists for one option: tcpdump's, or ``opt-N`` for a kind synack does not know."""
    if isinstance(option, UnknownOption):
        return f"opt-{option.kind}"
    return option.name


@dataclass(slots=True)
class _Connection:
    initiator: Endpoint
    responder: Endpoint
    packets: list[tuple[bool, CapturedPacket]] = field(default_factory=list)
    initiator_syn_seq: int | None = None
    saw_rst: bool = False
    fin_forward: bool = False
    fin_reverse: bool = False

    def ended(self) -> bool:
        return self.saw_rst or (self.fin_forward and self.fin_reverse)

    def add(self, forward: bool, packet: CapturedPacket) -> None:
        segment = packet.segment
        self.packets.append((forward, packet))
        if segment.rst:
            self.saw_rst = True
        if segment.fin:
            if forward:
                self.fin_forward = True
            else:
                self.fin_reverse = True
        if forward and segment.syn and self.initiator_syn_seq is None:
            self.initiator_syn_seq = segment.seq

    def repeats_own_syn(self, sender: Endpoint, seq: int) -> bool:
        return sender == self.initiator and seq == self.initiator_syn_seq

    def build(self) -> Conversation:
        isn: dict[bool, int | None] = {True: None, False: None}
        for forward in (True, False):
            segments = [p.segment for f, p in self.packets if f == forward]
            syn = next((s.seq for s in segments if s.syn), None)
            isn[forward] = syn if syn is not None else (segments[0].seq if segments else None)
        start_us = self.packets[0][1].ts_us
        timeline = []
        for forward, packet in self.packets:
            segment = packet.segment
            other_isn = isn[not forward]
            if not segment.has_ack:
                rel_ack = None
            elif other_isn is None:
                rel_ack = segment.ack
            else:
                rel_ack = (segment.ack - other_isn) & MASK
            row = Row(
                t_us=packet.ts_us - start_us,
                flags=segment.flags.tcpdump(),
                rel_seq=(segment.seq - (isn[forward] or 0)) & MASK,  # a direction with a packet has an ISN
                rel_ack=rel_ack,
                length=len(segment.payload),
                option_kinds=tuple(option_kind(o) for o in segment.options),
            )
            timeline.append((FORWARD if forward else REVERSE, row))
        return Conversation(
            initiator=self.initiator,
            responder=self.responder,
            start_us=start_us,
            forward=tuple(row for direction, row in timeline if direction == FORWARD),
            reverse=tuple(row for direction, row in timeline if direction == REVERSE),
            timeline=tuple(timeline),
            forward_isn=isn[True],
            reverse_isn=isn[False],
        )


def conversations(packets: Iterable[CapturedPacket]) -> list[Conversation]:
    """The TCP connections in ``packets`` (taken in the order given), ordered by first packet time."""
    current: dict[tuple[Endpoint, Endpoint], _Connection] = {}
    connections: list[_Connection] = []
    for packet in packets:
        segment = packet.segment
        sender = (packet.src_ip, segment.src_port)
        receiver = (packet.dst_ip, segment.dst_port)
        key = (sender, receiver) if sender <= receiver else (receiver, sender)
        connection = current.get(key)
        opens = segment.syn and not segment.has_ack
        if connection is None or (opens and connection.ended()
                                  and not connection.repeats_own_syn(sender, segment.seq)):
            connection = current[key] = _Connection(initiator=sender, responder=receiver)
            connections.append(connection)
        connection.add(sender == connection.initiator, packet)
    built = [connection.build() for connection in connections]
    built.sort(key=lambda conversation: conversation.start_us)  # stable: ties keep their order
    return built


def _occupies_sequence_space(row: Row) -> bool:
    return row.length > 0 or "S" in row.flags or "F" in row.flags


def retransmission_delays(rows: Iterable[Row], *, include_empty: bool = False) -> list[int]:
    """For each row that repeats an earlier one (same flags, rel_seq and length), µs since the previous copy.

    Rows that occupy no sequence space (pure ACKs, RSTs) repeat without being
    retransmissions (duplicate ACKs), so they are left out unless
    ``include_empty`` is set.
    """
    last_sent: dict[tuple[str, int, int], int] = {}
    delays = []
    for row in rows:
        if not include_empty and not _occupies_sequence_space(row):
            continue
        key = (row.flags, row.rel_seq, row.length)
        previous = last_sent.get(key)
        if previous is not None:
            delays.append(row.t_us - previous)
        last_sent[key] = row.t_us
    return delays


def describe(conversation: Conversation) -> str:
    """The conversation as text, one line per segment (``>`` initiator to responder, ``<`` back)."""
    initiator = f"{conversation.initiator[0]}:{conversation.initiator[1]}"
    responder = f"{conversation.responder[0]}:{conversation.responder[1]}"
    lines = [f"{initiator} > {responder}: {len(conversation.timeline)} segments from "
             f"t={conversation.start_us / 1e6:.6f} s (times relative, seq/ack relative to each ISN)"]
    for direction, row in conversation.timeline:
        arrow = ">" if direction == FORWARD else "<"
        lines.append(f"  {row.t_us / 1e6:10.6f} {arrow} {row}")
    return "\n".join(lines)
