"""Packet captures: a classic pcap writer, and a whole-file reader over the streaming one.

The writer produces the classic libpcap format (magic 0xA1B2C3D4,
microsecond timestamps, LINKTYPE_ETHERNET), always little-endian so that the
same run gives the same bytes on any machine.  Each IPv4 packet is framed in
Ethernet II with made-up, locally administered MAC addresses derived from the
IP addresses (02:00 followed by the four address bytes), so Wireshark's
endpoint views tell the hosts apart.  The simulator's tap sits at the sender:
:func:`pcap_from_trace` writes one packet per trace step at its ``sent_us``,
lost segments included, as ``tcpdump`` on the sending host would see them.

:func:`read_pcap` reads a whole capture into a list of :class:`CapturedPacket`, the
IPv4 TCP segments with their times and addresses, for tests and tools that
compare small captures: it takes its records from
:class:`~synack.wire.reader.CaptureReader` (pcap and pcapng, every link type
that reader knows), strictly, so a damaged file raises :class:`WireError`
with the reader's sentence instead of being read as far as it goes.  Packets
that are not whole IPv4 TCP segments (other protocols, IPv6, fragments) are
skipped.  A packet the capture's snapshot length cut short keeps its header
fields and reads its missing payload bytes as zeros (``truncated=True``,
``checksum_ok=False``), so sequence numbers and lengths still add up.

The classic format is that of the IETF OPSAWG draft draft-ietf-opsawg-pcap.
"""

from __future__ import annotations

import io
import os
import struct
from dataclasses import dataclass
from typing import BinaryIO, Iterable

from synack.tcp.segment import Segment

from .codec import IPV4_FRAGMENT_OFFSET_MASK, IPV4_MORE_FRAGMENTS, WireError, _decode_ipv4, decode_ipv4
from .reader import LINKTYPE_ETHERNET, PCAP_MAGIC_MICRO, CaptureReader, ip_offset

DEFAULT_SNAPLEN = 262144  # tcpdump's default; no frame of ours comes near it

ETHERTYPE_IPV4 = b"\x08\x00"

_PCAP_HEADER_LE = struct.Struct("<IHHiIII")
_PCAP_RECORD_LE = struct.Struct("<IIII")


@dataclass(frozen=True, slots=True)
class CapturedPacket:
    """One TCP segment read from a capture (or from a trace), with its time and addresses."""

    ts_us: int
    src_ip: str
    dst_ip: str
    segment: Segment
    # The capture kept fewer bytes than the packet had; the missing payload reads as zeros.
    truncated: bool = False


# --- writing ---------------------------------------------------------------

def _mac(ip_address: bytes) -> bytes:
    # 0x02 in the first octet: locally administered, unicast, so no real vendor's.
    return b"\x02\x00" + ip_address


def ethernet_frame(ip_packet: bytes) -> bytes:
    """``ip_packet`` in an Ethernet II frame between MACs made from its IP addresses."""
    if len(ip_packet) < 20 or ip_packet[0] >> 4 != 4:
        raise WireError("Only IPv4 packets (at least a 20-byte header) can be written to the capture.")
    return _mac(ip_packet[16:20]) + _mac(ip_packet[12:16]) + ETHERTYPE_IPV4 + ip_packet


class PcapWriter:
    """Writes a classic pcap stream (Ethernet link type, microsecond timestamps) to a binary file object."""

    def __init__(self, fileobj: BinaryIO, *, snaplen: int = DEFAULT_SNAPLEN) -> None:
        self._file = fileobj
        self._snaplen = snaplen
        fileobj.write(_PCAP_HEADER_LE.pack(PCAP_MAGIC_MICRO, 2, 4, 0, 0, snaplen, LINKTYPE_ETHERNET))

    def write(self, ts_us: int, ip_packet: bytes) -> None:
        """Adds one IPv4 packet seen at ``ts_us`` microseconds."""
        if not isinstance(ts_us, int) or not 0 <= ts_us < (1 << 32) * 1_000_000:
            raise WireError(f"The timestamp {ts_us!r} µs does not fit a pcap record.")
        frame = ethernet_frame(bytes(ip_packet))
        kept = frame[:self._snaplen]
        seconds, micros = divmod(ts_us, 1_000_000)
        self._file.write(_PCAP_RECORD_LE.pack(seconds, micros, len(kept), len(frame)) + kept)


def pcap_bytes(records: Iterable[tuple[int, bytes]]) -> bytes:
    """A whole pcap file from ``(ts_us, ip_packet)`` pairs, in the order given."""
    out = io.BytesIO()
    writer = PcapWriter(out)
    for ts_us, ip_packet in records:
        writer.write(ts_us, ip_packet)
    return out.getvalue()


def _trace_records(trace: dict) -> list[tuple[int, bytes]]:
    """``(sent_us, ip_packet)`` for every step of a JSON trace (docs/trace-format.md)."""
    if not isinstance(trace, dict):
        raise WireError("A trace must be a JSON object.")
    if trace.get("format", 1) != 1:
        raise WireError(f"Trace format {trace.get('format')!r} is not supported; synack reads format 1.")
    steps = trace.get("steps")
    if not isinstance(steps, list):
        raise WireError("The trace has no list of steps.")
    records = []
    for position, step in enumerate(steps):
        try:
            sent_us = step["sent_us"]
            ip_packet = bytes.fromhex(step["segment"]["ip_hex"])
        except (KeyError, TypeError, ValueError):
            raise WireError(f"Trace step {position} lacks a sent_us time or a hex ip_hex packet.") from None
        if not isinstance(sent_us, int) or isinstance(sent_us, bool):
            raise WireError(f"Trace step {position} has a sent_us that is not an integer.")
        records.append((sent_us, ip_packet))
    return records


def pcap_from_trace(trace: dict) -> bytes:
    """The pcap of a trace: one packet per step at ``sent_us``, lost segments included."""
    return pcap_bytes(_trace_records(trace))


def packets_from_trace(trace: dict) -> list[CapturedPacket]:
    """The trace's segments as :class:`CapturedPacket` values, ready for :func:`conversations`."""
    packets = []
    for position, (ts_us, ip_packet) in enumerate(_trace_records(trace)):
        try:
            src_ip, dst_ip, segment = decode_ipv4(ip_packet)
        except WireError as exc:
            raise WireError(f"Trace step {position}: {exc}") from None
        packets.append(CapturedPacket(ts_us, src_ip, dst_ip, segment))
    return packets


# --- reading ---------------------------------------------------------------

def _packet_from_frame(linktype: int, buf: bytes, offset: int, caplen: int, ts_us: int, number: int,
                       strict: bool) -> CapturedPacket | None:
    """The IPv4 TCP segment in the frame at ``buf[offset:offset + caplen]``, or None."""
    ip = ip_offset(linktype, buf, offset, caplen)
    if ip < 0:
        return None
    ip_packet = buf[ip:offset + caplen]
    if len(ip_packet) < 20 or ip_packet[0] >> 4 != 4 or ip_packet[9] != 6:
        return None
    if int.from_bytes(ip_packet[6:8], "big") & (IPV4_MORE_FRAGMENTS | IPV4_FRAGMENT_OFFSET_MASK):
        return None
    try:
        src_ip, dst_ip, segment, truncated = _decode_ipv4(ip_packet, allow_truncated=True)
    except WireError as exc:
        if strict:
            raise WireError(f"Packet {number} of the capture: {exc}") from None
        return None
    return CapturedPacket(ts_us, src_ip, dst_ip, segment, truncated)


def read_pcap(source: str | os.PathLike | bytes | bytearray | memoryview | BinaryIO, *,
              strict: bool = False) -> list[CapturedPacket]:
    """The IPv4 TCP segments of a pcap or pcapng capture, in file order, read in full.

    The records come from :class:`~synack.wire.reader.CaptureReader`, strict:
    a damaged file (bad magic, a record running past the end, an unsupported
    classic-pcap link type) raises :class:`WireError` with the reader's
    sentence.  A TCP packet whose headers do not parse is skipped, or raises
    with ``strict=True``.  ``synack replay`` reads with the same reader,
    leniently and in bounded memory.
    """
    if isinstance(source, memoryview):
        source = bytes(source)
    elif not isinstance(source, (bytes, bytearray, str, os.PathLike)) and not hasattr(source, "read"):
        raise TypeError("read_pcap takes a path, the file's bytes, or a binary file object.")
    packets = []
    # Bytes and streams have no file name for the reader's sentences to start with.
    name = None if isinstance(source, (str, os.PathLike)) else "The capture"
    with CaptureReader(source, name, strict=True) as reader:
        for number, ts_us, linktype, buf, offset, caplen, _ in reader.frames():
            packet = _packet_from_frame(linktype, buf, offset, caplen, ts_us, number, strict)
            if packet is not None:
                packets.append(packet)
    return packets
