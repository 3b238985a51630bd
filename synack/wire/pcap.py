"""Packet captures: a classic pcap writer, and a reader for pcap and pcapng.

The writer produces the classic libpcap format (magic 0xA1B2C3D4,
microsecond timestamps, LINKTYPE_ETHERNET), always little-endian so that the
same run gives the same bytes on any machine.  Each IPv4 packet is framed in
Ethernet II with made-up, locally administered MAC addresses derived from the
IP addresses (02:00 followed by the four address bytes), so Wireshark's
endpoint views tell the hosts apart.  The simulator's tap sits at the sender:
:func:`pcap_from_trace` writes one packet per trace step at its ``sent_us``,
lost segments included, as ``tcpdump`` on the sending host would see them.

The reader takes what ``tcpdump`` and ``dumpcap`` write: classic pcap in
either byte order with micro- or nanosecond timestamps, and pcapng (section
header, interface description and enhanced packet blocks, plus the obsolete
packet block; simple packet blocks carry no timestamp and are skipped).  Link
types: Ethernet (1, with 802.1Q/802.1ad tags), BSD loopback (0 in host byte
order, 108 in network order), Linux cooked capture v1 (113) and v2 (276), raw
IP (101, 228).  Packets that are not whole IPv4 TCP segments (other
protocols, IPv6, fragments) are skipped.  A packet the capture's snapshot
length cut short keeps its header fields and reads its missing payload bytes
as zeros (``truncated=True``, ``checksum_ok=False``), so sequence numbers and
lengths still add up.

The formats are those of the IETF OPSAWG drafts draft-ietf-opsawg-pcap
(classic) and draft-ietf-opsawg-pcapng; the link types are from
tcpdump.org's LINKTYPE registry.
"""

from __future__ import annotations

import io
import os
import struct
from dataclasses import dataclass
from typing import BinaryIO, Iterable

from synack.tcp.segment import Segment

from .codec import IPV4_FRAGMENT_OFFSET_MASK, IPV4_MORE_FRAGMENTS, WireError, _decode_ipv4, decode_ipv4

LINKTYPE_NULL = 0
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LOOP = 108
LINKTYPE_LINUX_SLL = 113
LINKTYPE_IPV4 = 228
LINKTYPE_LINUX_SLL2 = 276
SUPPORTED_LINKTYPES = frozenset({LINKTYPE_NULL, LINKTYPE_ETHERNET, LINKTYPE_RAW, LINKTYPE_LOOP,
                                 LINKTYPE_LINUX_SLL, LINKTYPE_IPV4, LINKTYPE_LINUX_SLL2})

PCAP_MAGIC_MICRO = 0xA1B2C3D4
PCAP_MAGIC_NANO = 0xA1B23C4D
DEFAULT_SNAPLEN = 262144  # tcpdump's default; no frame of ours comes near it

ETHERTYPE_IPV4 = b"\x08\x00"
_VLAN_ETHERTYPES = (b"\x81\x00", b"\x88\xa8", b"\x91\x00")
_AF_INET_LITTLE = b"\x02\x00\x00\x00"
_AF_INET_BIG = b"\x00\x00\x00\x02"

_PCAP_HEADER_LE = struct.Struct("<IHHiIII")
_PCAP_RECORD_LE = struct.Struct("<IIII")

_PCAPNG_SHB = b"\x0a\x0d\x0d\x0a"
_PCAPNG_IDB = 1
_PCAPNG_OPB = 2
_PCAPNG_SPB = 3
_PCAPNG_EPB = 6
_PCAPNG_OPT_END = 0
_PCAPNG_OPT_IF_TSRESOL = 9
_PCAPNG_OPT_IF_TSOFFSET = 14


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

def _ipv4_from_frame(linktype: int, frame: bytes) -> bytes | None:
    """The IPv4 packet inside one link-layer frame, or None if it holds something else."""
    if linktype == LINKTYPE_ETHERNET:
        offset = 12
        ethertype = frame[12:14]
        while ethertype in _VLAN_ETHERTYPES:
            offset += 4
            ethertype = frame[offset:offset + 2]
        return frame[offset + 2:] if ethertype == ETHERTYPE_IPV4 else None
    if linktype == LINKTYPE_LINUX_SLL:
        return frame[16:] if frame[14:16] == ETHERTYPE_IPV4 else None
    if linktype == LINKTYPE_LINUX_SLL2:
        return frame[20:] if len(frame) >= 20 and frame[0:2] == ETHERTYPE_IPV4 else None
    if linktype == LINKTYPE_NULL:
        # The address family is in the byte order of the host that captured.
        return frame[4:] if frame[:4] in (_AF_INET_LITTLE, _AF_INET_BIG) else None
    if linktype == LINKTYPE_LOOP:
        return frame[4:] if frame[:4] == _AF_INET_BIG else None
    if linktype in (LINKTYPE_RAW, LINKTYPE_IPV4):
        return frame
    return None


def _packet_from_frame(linktype: int, frame: bytes, ts_us: int, number: int,
                       strict: bool) -> CapturedPacket | None:
    ip_packet = _ipv4_from_frame(linktype, frame)
    if ip_packet is None or len(ip_packet) < 20 or ip_packet[0] >> 4 != 4 or ip_packet[9] != 6:
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


def _load(source: str | os.PathLike | bytes | bytearray | memoryview | BinaryIO) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)
    if isinstance(source, (str, os.PathLike)):
        try:
            with open(source, "rb") as handle:
                return handle.read()
        except OSError as exc:
            raise WireError(f"Cannot read the capture {os.fspath(source)!r}: {exc.strerror or exc}.") from None
    if hasattr(source, "read"):
        data = source.read()
        if isinstance(data, (bytes, bytearray)):
            return bytes(data)
    raise TypeError("read_pcap takes a path, the file's bytes, or a binary file object.")


def read_pcap(source: str | os.PathLike | bytes | BinaryIO, *, strict: bool = False) -> list[CapturedPacket]:
    """The TCP segments of a pcap or pcapng capture, in file order.

    A damaged file (bad magic, a record running past the end, an unsupported
    classic-pcap link type) raises :class:`WireError`.  A TCP packet whose
    headers do not parse is skipped, or raises with ``strict=True``.
    """
    data = _load(source)
    if len(data) < 4:
        raise WireError(f"The capture is {len(data)} bytes long, too short to be pcap or pcapng.")
    if data[:4] == _PCAPNG_SHB:
        return _read_pcapng(data, strict)
    return _read_classic(data, strict)


def _read_classic(data: bytes, strict: bool) -> list[CapturedPacket]:
    magic = data[:4]
    for order in ("<", ">"):
        value = struct.unpack(order + "I", magic)[0]
        if value in (PCAP_MAGIC_MICRO, PCAP_MAGIC_NANO):
            nanoseconds = value == PCAP_MAGIC_NANO
            break
    else:
        raise WireError(f"The file starts with {magic.hex()}, the magic number of neither pcap nor pcapng.")
    if len(data) < 24:
        raise WireError("The capture ends inside its 24-byte pcap file header.")
    # The top bits of the link-type field may hold FCS information; the type is the low 16.
    linktype = struct.unpack_from(order + "I", data, 20)[0] & 0xFFFF
    if linktype not in SUPPORTED_LINKTYPES:
        raise WireError(f"The capture's link type {linktype} is not one synack reads "
                        "(Ethernet, Linux cooked v1/v2, raw IPv4, loopback).")
    record = struct.Struct(order + "IIII")
    packets = []
    offset = 24
    number = 0
    while offset < len(data):
        number += 1
        if offset + 16 > len(data):
            raise WireError(f"The capture ends inside the record header of packet {number}.")
        seconds, fraction, caplen, _ = record.unpack_from(data, offset)
        offset += 16
        if offset + caplen > len(data):
            raise WireError(f"The capture ends inside packet {number}, which claims {caplen} bytes.")
        frame = data[offset:offset + caplen]
        offset += caplen
        ts_us = seconds * 1_000_000 + (fraction // 1000 if nanoseconds else fraction)
        packet = _packet_from_frame(linktype, frame, ts_us, number, strict)
        if packet is not None:
            packets.append(packet)
    return packets


@dataclass(slots=True)
class _Interface:
    linktype: int
    resolution: int = 6      # exponent of the timestamp unit
    binary: bool = False     # unit 2**-resolution instead of 10**-resolution
    offset_s: int = 0        # if_tsoffset: seconds to add

    def ts_us(self, ticks: int) -> int:
        if self.binary:
            micros = (ticks * 1_000_000) >> self.resolution
        elif self.resolution >= 6:
            micros = ticks // 10 ** (self.resolution - 6)
        else:
            micros = ticks * 10 ** (6 - self.resolution)
        return micros + self.offset_s * 1_000_000


def _pcapng_interface(order: str, body: bytes) -> _Interface:
    if len(body) < 8:
        raise WireError("A pcapng interface description block is shorter than its 8 fixed bytes.")
    interface = _Interface(linktype=struct.unpack_from(order + "H", body, 0)[0])
    position = 8
    while position + 4 <= len(body):
        code, length = struct.unpack_from(order + "HH", body, position)
        position += 4
        if code == _PCAPNG_OPT_END:
            break
        value = body[position:position + length]
        if len(value) < length:
            raise WireError(f"A pcapng interface option (code {code}) runs past its block.")
        if code == _PCAPNG_OPT_IF_TSRESOL and length == 1:
            interface.binary = bool(value[0] & 0x80)
            interface.resolution = value[0] & 0x7F
        elif code == _PCAPNG_OPT_IF_TSOFFSET and length == 8:
            interface.offset_s = struct.unpack(order + "q", value)[0]
        position += (length + 3) & ~3
    return interface


def _read_pcapng(data: bytes, strict: bool) -> list[CapturedPacket]:
    packets = []
    interfaces: list[_Interface] = []
    order = "<"
    offset = 0
    number = 0
    while offset < len(data):
        if offset + 12 > len(data):
            raise WireError(f"The pcapng file ends inside a block header at byte {offset}.")
        if data[offset:offset + 4] == _PCAPNG_SHB:
            # Each section names its own byte order, and starts a fresh list of interfaces.
            byte_order_magic = data[offset + 8:offset + 12]
            if byte_order_magic == b"\x4d\x3c\x2b\x1a":
                order = "<"
            elif byte_order_magic == b"\x1a\x2b\x3c\x4d":
                order = ">"
            else:
                raise WireError(f"The pcapng section at byte {offset} has no valid byte-order magic.")
            interfaces = []
        elif offset == 0:
            raise WireError("The pcapng file does not start with a section header block.")
        block_type, block_len = struct.unpack_from(order + "II", data, offset)
        if block_len < 12 or block_len % 4:
            raise WireError(f"The pcapng block at byte {offset} has an invalid length {block_len}.")
        if offset + block_len > len(data):
            raise WireError(f"The pcapng file ends inside the block at byte {offset}.")
        if struct.unpack_from(order + "I", data, offset + block_len - 4)[0] != block_len:
            raise WireError(f"The pcapng block at byte {offset} has mismatched leading and trailing lengths.")
        body = data[offset + 8:offset + block_len - 4]
        offset += block_len
        if block_type == int.from_bytes(_PCAPNG_SHB, "big"):
            if len(body) < 16 or struct.unpack_from(order + "H", body, 4)[0] != 1:
                raise WireError("The pcapng section header is not of version 1.")
        elif block_type == _PCAPNG_IDB:
            interfaces.append(_pcapng_interface(order, body))
        elif block_type in (_PCAPNG_EPB, _PCAPNG_OPB):
            number += 1
            if len(body) < 20:
                raise WireError(f"Packet {number} of the pcapng file has a block shorter than its 20 fixed bytes.")
            if block_type == _PCAPNG_EPB:
                interface_id, ts_high, ts_low, caplen, _ = struct.unpack_from(order + "IIIII", body)
            else:
                interface_id, _, ts_high, ts_low, caplen, _ = struct.unpack_from(order + "HHIIII", body)
            if interface_id >= len(interfaces):
                raise WireError(f"Packet {number} of the pcapng file names interface {interface_id}, "
                                "which was never described.")
            if 20 + caplen > len(body):
                raise WireError(f"Packet {number} of the pcapng file claims {caplen} bytes, more than its block.")
            interface = interfaces[interface_id]
            if interface.linktype not in SUPPORTED_LINKTYPES:
                # A capture on several interfaces may include some of other kinds; their packets are skipped.
                continue
            ts_us = interface.ts_us((ts_high << 32) | ts_low)
            packet = _packet_from_frame(interface.linktype, body[20:20 + caplen], ts_us, number, strict)
            if packet is not None:
                packets.append(packet)
        # Other blocks (simple packets without timestamps, name resolution, statistics) say nothing we use.
    return packets
