"""The TCP segment as a frozen value (RFC 9293 section 3.1).

A :class:`Segment` holds exactly the header fields and payload of one TCP
segment, ports included, addresses not (those belong to IP; the simulator
carries them beside the segment).  Flags are a raw :class:`Flags` ``IntFlag`` so
that any combination seen in a real capture fits.  ``str(segment)`` gives
packetdrill's notation, the clearest one for a log line or a test:
``S 0:0(0) win 65535 <mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7>``.
"""

from __future__ import annotations

from enum import IntFlag
from typing import NamedTuple

from .options import Option, options_size


class Flags(IntFlag):
    FIN = 0x01
    SYN = 0x02
    RST = 0x04
    PSH = 0x08
    ACK = 0x10
    URG = 0x20
    ECE = 0x40
    CWR = 0x80

    def names(self) -> list[str]:
        """Flag names in the order Wireshark lists them for a trace: SYN, ACK, ..."""
        order = (Flags.SYN, Flags.FIN, Flags.RST, Flags.PSH, Flags.ACK, Flags.URG, Flags.ECE, Flags.CWR)
        return [f.name for f in order if self & f]  # type: ignore[misc]

    def tcpdump(self) -> str:
        """tcpdump's letters: ``S``, ``S.``, ``F.``, ``R``, ``P.``; ``.`` alone for a bare ACK."""
        letters = ""
        for flag, letter in ((Flags.SYN, "S"), (Flags.FIN, "F"), (Flags.PSH, "P"), (Flags.RST, "R"),
                             (Flags.URG, "U"), (Flags.ECE, "E"), (Flags.CWR, "W")):
            if self & flag:
                letters += letter
        if self & Flags.ACK:
            letters += "."
        return letters or "none"


class Segment(NamedTuple):
    """One segment.  A NamedTuple: immutable like a frozen dataclass, and far cheaper to build,
    which counts when a simulation makes millions of them.  ``checksum_ok`` takes part in
    equality: a segment that arrived damaged is not the segment that was sent."""

    src_port: int
    dst_port: int
    seq: int
    ack: int
    flags: Flags
    window: int
    options: tuple[Option, ...] = ()
    payload: bytes = b""
    urgent: int = 0
    # Set by decoders when the checksum or header was bad; the engine drops such
    # segments (RFC 9293 3.10.7: "If the checksum is bad, discard").
    checksum_ok: bool = True

    # The flag tests read the raw integer: IntFlag's own operators are slow enough
    # to dominate a simulation that handles millions of segments.
    @property
    def syn(self) -> bool:
        return (self.flags._value_ & 0x02) != 0

    @property
    def fin(self) -> bool:
        return (self.flags._value_ & 0x01) != 0

    @property
    def rst(self) -> bool:
        return (self.flags._value_ & 0x04) != 0

    @property
    def has_ack(self) -> bool:
        return (self.flags._value_ & 0x10) != 0

    @property
    def seg_len(self) -> int:
        """SEG.LEN of RFC 9293: payload octets plus one each for SYN and FIN."""
        return len(self.payload) + (self.flags._value_ & 0x01) + ((self.flags._value_ >> 1) & 1)

    @property
    def end_seq(self) -> int:
        return (self.seq + self.seg_len) & 0xFFFFFFFF

    @property
    def header_len(self) -> int:
        return 20 + options_size(self.options)

    def replace(self, **changes) -> "Segment":
        return self._replace(**changes)

    def __str__(self) -> str:
        return self.notation()

    def notation(self, seq_base: int = 0, ack_base: int = 0) -> str:
        """packetdrill notation, with sequence numbers relative to the given bases."""
        seq = (self.seq - seq_base) & 0xFFFFFFFF
        end = (seq + len(self.payload)) & 0xFFFFFFFF
        text = f"{self.flags.tcpdump()} {seq}:{end}({len(self.payload)})"
        if self.has_ack:
            text += f" ack {(self.ack - ack_base) & 0xFFFFFFFF}"
        text += f" win {self.window}"
        if self.options:
            text += " <" + ",".join(o.describe() for o in self.options) + ">"
        return text
