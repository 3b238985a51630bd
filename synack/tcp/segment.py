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
from typing import Any, Final

from .options import Option, options_size
from .seq import seq_add, wrap


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


_FIELDS = ("src_port", "dst_port", "seq", "ack", "flags", "window", "options", "payload", "urgent", "checksum_ok")


class Segment:
    """One segment, immutable: its fields are ``Final``.

    A plain slotted class rather than a frozen dataclass or a NamedTuple: built
    and read several times faster, which counts when a run makes millions of
    segments, and mypyc turns it into a C struct.  Nothing assigns a field
    after ``__init__``: the type checker refuses it (``Final``), and the
    compiled build refuses it at run time too; the pure-Python build does not
    pay for a run-time guard on every field of every segment.
    ``checksum_ok`` is set by decoders when the checksum or header was bad, and
    takes no part in equality; the engine drops such segments (RFC 9293
    3.10.7: "If the checksum is bad, discard").
    """

    __slots__ = (*_FIELDS, "bits")

    def __init__(self, src_port: int, dst_port: int, seq: int, ack: int, flags: Flags, window: int,
                 options: tuple[Option, ...] = (), payload: bytes = b"", urgent: int = 0,
                 checksum_ok: bool = True) -> None:
        self.src_port: Final = src_port
        self.dst_port: Final = dst_port
        self.seq: Final = seq
        self.ack: Final = ack
        self.flags: Final = flags
        self.window: Final = window
        self.options: Final = options
        self.payload: Final = payload
        self.urgent: Final = urgent
        self.checksum_ok: Final = checksum_ok
        # The flags as a plain int, read by every flag test: IntFlag's own attribute
        # and operators cost more than the arithmetic they wrap.  IntFlag leaves
        # addition to int, so ``+ 0`` gives a plain int without calling int().
        self.bits: Final[int] = flags + 0

    def _key(self) -> tuple:
        return (self.src_port, self.dst_port, self.seq, self.ack, int(self.flags), self.window, self.options,
                self.payload, self.urgent)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Segment):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in _FIELDS)
        return f"Segment({fields})"

    # The flag tests read the raw integer: IntFlag's own operators are slow enough
    # to dominate a simulation that handles millions of segments.
    @property
    def syn(self) -> bool:
        return (self.bits & 0x02) != 0

    @property
    def fin(self) -> bool:
        return (self.bits & 0x01) != 0

    @property
    def rst(self) -> bool:
        return (self.bits & 0x04) != 0

    @property
    def has_ack(self) -> bool:
        return (self.bits & 0x10) != 0

    @property
    def seg_len(self) -> int:
        """SEG.LEN of RFC 9293: payload octets plus one each for SYN and FIN."""
        return len(self.payload) + (self.bits & 0x01) + ((self.bits >> 1) & 1)

    @property
    def end_seq(self) -> int:
        return seq_add(self.seq, self.seg_len)

    @property
    def header_len(self) -> int:
        return 20 + options_size(self.options)

    def replace(self, **changes: Any) -> "Segment":
        values = {name: getattr(self, name) for name in _FIELDS}
        values.update(changes)
        return Segment(**values)

    def __str__(self) -> str:
        return self.notation()

    def notation(self, seq_base: int = 0, ack_base: int = 0) -> str:
        """packetdrill notation, with sequence numbers relative to the given bases."""
        seq = wrap(self.seq - seq_base)
        end = seq_add(seq, len(self.payload))
        text = f"{self.flags.tcpdump()} {seq}:{end}({len(self.payload)})"
        if self.has_ack:
            text += f" ack {wrap(self.ack - ack_base)}"
        text += f" win {self.window}"
        if self.options:
            text += " <" + ",".join(o.describe() for o in self.options) + ">"
        return text
