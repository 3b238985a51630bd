"""Streaming capture reader: pcap and pcapng, record by record, in bounded memory.

Reads what ``tcpdump``, ``dumpcap`` and other tools write, without loading the
file: classic pcap in either byte order with micro- or nanosecond timestamps
(draft-ietf-opsawg-pcap), and pcapng (draft-ietf-opsawg-pcapng) with any
number of sections and interfaces, each interface with its own link type and
timestamp resolution (``if_tsresol``, ``if_tsoffset``).  Link types, from
tcpdump.org's LINKTYPE registry: Ethernet (1, with 802.1Q/802.1ad/QinQ tags),
BSD loopback (0, address family in the capturing host's byte order; 108, in
network order), Linux cooked capture v1 (113) and v2 (276), raw IP (101; 228
IPv4; 229 IPv6).  Inside: IPv4 (RFC 791) and IPv6 (RFC 8200, extension
headers skipped: hop-by-hop, routing, destination options, fragment, AH,
mobility, HIP, shim6), carrying TCP (RFC 9293 section 3.1).

Two levels:

- :meth:`CaptureReader.tcp_records` yields one small tuple per TCP segment
  (:data:`TcpRecord`), parsed straight from the read buffer with precompiled
  structs: the fast path for summaries of millions of packets.
- :func:`decode_record` turns a record's frame into a
  :class:`~synack.wire.pcap.CapturedPacket` with a full
  :class:`~synack.tcp.segment.Segment` (options parsed leniently), for the
  few connections a user looks at.

Damage never raises past the reader except when nothing at all can be read
(an empty file, a wrong magic number, a classic pcap of a link type we do not
read): a file cut short, a record with an impossible length, a packet the
snapshot length cut inside its TCP header, each becomes one sentence in
:attr:`CaptureReader.warnings` and reading stops or skips as it must.
With ``strict=True`` (what :func:`~synack.wire.pcap.read_pcap` asks for)
the first damaged record raises :class:`CaptureError` with that sentence.
A packet cut inside its payload keeps its true length (from the IP header),
so sequence numbers still add up.
"""

from __future__ import annotations

import io
import os
import struct
from typing import BinaryIO, Iterator

from synack.tcp.segment import Segment

from .checksum import TCP_PROTOCOL, internet_checksum, tcp_checksum
from .codec import TCP_HEADER_LEN, WireError, _flags, decode_options_lenient

# Link types, from tcpdump.org's LINKTYPE registry.
LINKTYPE_NULL = 0
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LOOP = 108
LINKTYPE_LINUX_SLL = 113
LINKTYPE_IPV4 = 228
LINKTYPE_LINUX_SLL2 = 276
LINKTYPE_IPV6 = 229
SUPPORTED_LINKTYPES = frozenset({LINKTYPE_NULL, LINKTYPE_ETHERNET, LINKTYPE_RAW, LINKTYPE_LOOP,
                                 LINKTYPE_LINUX_SLL, LINKTYPE_IPV4, LINKTYPE_LINUX_SLL2, LINKTYPE_IPV6})

PCAP_MAGIC_MICRO = 0xA1B2C3D4
PCAP_MAGIC_NANO = 0xA1B23C4D
PCAPNG_SHB = 0x0A0D0D0A
CHUNK = 1 << 20
# No link layer frame is this large; a record claiming more is damage, not data.
MAX_RECORD = 1 << 26

ETHERTYPE_IPV4 = 0x0800
ETHERTYPE_IPV6 = 0x86DD
VLAN_ETHERTYPES = frozenset({0x8100, 0x88A8, 0x9100})
# BSD loopback address families: AF_INET is 2 everywhere, AF_INET6 differs by OS.
AF_INET = 2
AF_INET6 = frozenset({10, 24, 28, 30})
IPV6_EXTENSION_HEADERS = frozenset({0, 43, 60, 135, 139, 140})
IPV6_FRAGMENT = 44
IPV6_AH = 51

#: ``(number, ts_us, src, dst, sport, dport, seq, ack, flags, window, payload_len, linktype, frame_offset)``:
#: one TCP segment; ``src``/``dst`` are the raw address bytes (4 or 16), ``flags`` the 12 bits after
#: the data offset, ``frame_offset`` where the record starts in the file (for a second, full read).
TcpRecord = tuple

_U16 = struct.Struct("!H")
_TCP_FIXED = struct.Struct("!HHIIHH")   # ports, seq, ack, offset+flags, window
_IPV4_LENGTHS = struct.Struct("!BxH4xBB")  # version/IHL, total length, TTL, protocol


class CaptureError(WireError):
    """The file is not a capture synack can read at all; the message is one sentence."""


def _interval_us(resolution: int, binary: bool, ticks: int) -> int:
    if binary:
        return (ticks * 1_000_000) >> resolution
    if resolution >= 6:
        return ticks // 10 ** (resolution - 6)
    return ticks * 10 ** (6 - resolution)


def ip_offset(linktype: int, buf: bytes, off: int, caplen: int) -> int:
    """Where the IP header starts in the frame at ``off``, or -1 if the frame carries no IP."""
    if linktype == LINKTYPE_ETHERNET:
        if caplen < 14:
            return -1
        at = off + 12
        ethertype = (buf[at] << 8) | buf[at + 1]
        while ethertype in VLAN_ETHERTYPES and at + 6 <= off + caplen:
            at += 4
            ethertype = (buf[at] << 8) | buf[at + 1]
        return at + 2 if ethertype in (ETHERTYPE_IPV4, ETHERTYPE_IPV6) else -1
    if linktype in (LINKTYPE_RAW, LINKTYPE_IPV4, LINKTYPE_IPV6):
        return off
    if linktype == LINKTYPE_LINUX_SLL2:
        if caplen < 20:
            return -1
        proto = (buf[off] << 8) | buf[off + 1]
        return off + 20 if proto in (ETHERTYPE_IPV4, ETHERTYPE_IPV6) else -1
    if linktype == LINKTYPE_LINUX_SLL:
        if caplen < 16:
            return -1
        proto = (buf[off + 14] << 8) | buf[off + 15]
        return off + 16 if proto in (ETHERTYPE_IPV4, ETHERTYPE_IPV6) else -1
    if linktype in (LINKTYPE_NULL, LINKTYPE_LOOP):
        if caplen < 4:
            return -1
        little = buf[off] | (buf[off + 1] << 8) | (buf[off + 2] << 16) | (buf[off + 3] << 24)
        big = (buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]
        family = big if linktype == LINKTYPE_LOOP else (little if little < 256 else big)
        return off + 4 if family == AF_INET or family in AF_INET6 else -1
    return -1


def tcp_offset(buf: bytes, ip: int, end: int) -> tuple[int, int, int, int] | None:
    """``(version, tcp_start, tcp_end, ip_header_len)`` for an IP packet at ``ip`` carrying a whole TCP segment.

    ``tcp_end`` is where the segment ends according to the IP header, which may
    lie past ``end`` (the captured bytes) when the snapshot length cut it.
    None for other protocols, non-first fragments and damaged headers.
    """
    if ip + 20 > end:
        return None
    version = buf[ip] >> 4
    if version == 4:
        ihl = (buf[ip] & 0x0F) * 4
        if ihl < 20 or buf[ip + 9] != TCP_PROTOCOL:
            return None
        if ((buf[ip + 6] & 0x3F) << 8) | buf[ip + 7]:  # more fragments, or an offset: not a whole segment
            return None
        total = (buf[ip + 2] << 8) | buf[ip + 3]
        if total == 0:
            total = end - ip  # TCP segmentation offload: the capture saw the packet before the NIC set it
        if total < ihl:
            return None
        return 4, ip + ihl, ip + total, ihl
    if version == 6:
        if ip + 40 > end:
            return None
        payload = (buf[ip + 4] << 8) | buf[ip + 5]
        if payload == 0:
            payload = end - ip - 40  # a jumbogram or offload: take what was captured
        nxt = buf[ip + 6]
        at = ip + 40
        stop = ip + 40 + payload
        while nxt != TCP_PROTOCOL:
            if at + 8 > end:
                return None
            if nxt in IPV6_EXTENSION_HEADERS:
                nxt, at = buf[at], at + (buf[at + 1] + 1) * 8
            elif nxt == IPV6_FRAGMENT:
                if ((buf[at + 2] << 8) | buf[at + 3]) & 0xFFF9:  # offset or M flag: not a whole segment
                    return None
                nxt, at = buf[at], at + 8
            elif nxt == IPV6_AH:
                nxt, at = buf[at], at + (buf[at + 1] + 2) * 4
            else:
                return None  # another protocol, ESP, or no next header
        return 6, at, stop, at - ip
    return None


class CaptureReader:
    """A pcap or pcapng file read record by record.

    ``source`` is a path, a binary file object, or the bytes themselves.
    Raises :class:`CaptureError` at once if the file cannot be a capture;
    later damage lands in :attr:`warnings`, or raises too with ``strict``.
    """

    def __init__(self, source: str | os.PathLike | bytes | bytearray | BinaryIO, name: str | None = None, *,
                 strict: bool = False) -> None:
        self.warnings: list[str] = []
        self._strict = strict
        self.linktypes: set[int] = set()
        self.skipped_linktypes: set[int] = set()
        self.records = 0        # link-layer records read
        self.tcp_packets = 0    # of them, TCP segments
        self.cut_headers = 0    # TCP packets the snapshot length cut inside the TCP header
        self._own = False
        if isinstance(source, (bytes, bytearray, memoryview)):
            self.name = name or "<bytes>"
            self._file: BinaryIO = io.BytesIO(bytes(source))
        elif isinstance(source, (str, os.PathLike)):
            self.name = name or os.fspath(source)
            try:
                self._file = open(source, "rb")
            except OSError as exc:
                raise CaptureError(f"Cannot read the capture {os.fspath(source)!r}: "
                                   f"{exc.strerror or exc}.") from None
            self._own = True
        else:
            self.name = name or str(getattr(source, "name", "<stream>"))
            self._file = source
        head = self._file.read(24)
        if len(head) == 0:
            self.close()
            raise CaptureError(f"{self.name} is empty (0 bytes), so it holds no capture.")
        if len(head) < 4:
            self.close()
            raise CaptureError(f"{self.name} is {len(head)} bytes long, too short to be pcap or pcapng.")
        self._head = head
        magic_le = struct.unpack("<I", head[:4])[0]
        if magic_le == PCAPNG_SHB:
            self.format = "pcapng"
        elif magic_le in (PCAP_MAGIC_MICRO, PCAP_MAGIC_NANO) or struct.unpack(">I", head[:4])[0] in (
                PCAP_MAGIC_MICRO, PCAP_MAGIC_NANO):
            self.format = "pcap"
            self._classic_header(head)
        else:
            self.close()
            raise CaptureError(f"{self.name} starts with the bytes {head[:4].hex()}, the magic number of "
                               "neither pcap nor pcapng; is it a capture file?")

    def _damage(self, message: str) -> None:
        """The file is damaged here: say so, and read on or stop as the caller decides (or raise, when strict)."""
        if self._strict:
            self.close()
            raise CaptureError(message)
        self.warnings.append(message)

    def close(self) -> None:
        if self._own:
            self._file.close()

    def __enter__(self) -> "CaptureReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _window(self, buf: bytes, pos: int, base: int, need: int) -> tuple[bytes, int, int]:
        """The unread rest of ``buf`` with at least ``need`` bytes (fewer at the end of the file).

        Returns the new buffer, the position in it (0) and the file offset of its first byte.
        """
        return buf[pos:] + self._file.read(max(CHUNK, need)), 0, base + pos

    # ---------------------------------------------------------------- classic pcap
    def _classic_header(self, head: bytes) -> None:
        order = "<" if struct.unpack("<I", head[:4])[0] in (PCAP_MAGIC_MICRO, PCAP_MAGIC_NANO) else ">"
        if len(head) < 24:
            self.close()
            raise CaptureError(f"{self.name} ends inside its 24-byte pcap file header.")
        self._order = order
        self._nano = struct.unpack(order + "I", head[:4])[0] == PCAP_MAGIC_NANO
        # The top bits of the link-type field may carry FCS information; the type is the low 16.
        self._linktype = struct.unpack_from(order + "I", head, 20)[0] & 0xFFFF
        if self._linktype not in SUPPORTED_LINKTYPES:
            self.close()
            raise CaptureError(f"{self.name} has link type {self._linktype}, which synack does not read "
                               "(it reads Ethernet, Linux cooked v1/v2, raw IP and loopback).")
        self.linktypes.add(self._linktype)

    def _classic_frames(self) -> Iterator[tuple[int, int, int, bytes, int, int, int]]:
        """``(number, ts_us, linktype, buffer, offset, caplen, file_offset)`` for each record."""
        record = struct.Struct(self._order + "IIII")
        unpack = record.unpack_from
        nano = self._nano
        linktype = self._linktype
        window = self._window
        buf = b""
        pos = 0
        base = 24          # file offset of buf[0]
        number = 0
        while True:
            if len(buf) - pos < 16:
                buf, pos, base = window(buf, pos, base, 16)
                if len(buf) < 16:
                    if buf:
                        self._damage(f"The capture ends inside the header of packet {number + 1} "
                                     "(the file was cut short); the packets before it are read.")
                    return
            seconds, fraction, caplen, _ = unpack(buf, pos)
            if caplen > MAX_RECORD:
                self._damage(f"Packet {number + 1} claims {caplen} bytes, which no capture holds; "
                             "the file is damaged there and the packets before it are read.")
                return
            start = pos + 16
            if start + caplen > len(buf):
                buf, pos, base = window(buf, pos, base, 16 + caplen)
                start = 16
                if start + caplen > len(buf):
                    self._damage(f"The capture ends inside packet {number + 1}, which claims {caplen} "
                                 "bytes (the file was cut short); the packets before it are read.")
                    return
            number += 1
            yield (number, seconds * 1_000_000 + (fraction // 1000 if nano else fraction), linktype, buf, start,
                   caplen, base + pos)
            pos = start + caplen

    # ---------------------------------------------------------------- pcapng
    def _pcapng_frames(self) -> Iterator[tuple[int, int, int, bytes, int, int, int]]:
        window = self._window
        buf = self._head
        pos = 0
        base = 0
        order = "<"
        interfaces: list[tuple[int, int, bool, int]] = []   # linktype, resolution, binary, offset_s
        number = 0
        while True:
            if len(buf) - pos < 12:
                buf, pos, base = window(buf, pos, base, 12)
                if len(buf) < 12:
                    if buf:
                        self._damage(f"The pcapng file ends inside a block header at byte {base}; "
                                     "the packets before it are read.")
                    return
            if buf[pos:pos + 4] == b"\x0a\x0d\x0d\x0a":
                magic = buf[pos + 8:pos + 12]
                if magic == b"\x4d\x3c\x2b\x1a":
                    order = "<"
                elif magic == b"\x1a\x2b\x3c\x4d":
                    order = ">"
                else:
                    self._damage(f"The pcapng section at byte {base + pos} has no valid byte-order "
                                 "magic; reading stops there.")
                    return
                interfaces = []  # each section describes its own interfaces
            elif base + pos == 0:
                self._damage("The pcapng file does not start with a section header block.")
                return
            block_type, block_len = struct.unpack_from(order + "II", buf, pos)
            if block_len < 12 or block_len % 4 or block_len > MAX_RECORD:
                self._damage(f"The pcapng block at byte {base + pos} has an impossible length "
                             f"{block_len}; the file is damaged there and the packets before it are read.")
                return
            if pos + block_len > len(buf):
                buf, pos, base = window(buf, pos, base, block_len)
                if block_len > len(buf):
                    self._damage(f"The pcapng file ends inside the block at byte {base} (the file was "
                                 "cut short); the packets before it are read.")
                    return
            if struct.unpack_from(order + "I", buf, pos + block_len - 4)[0] != block_len:
                self._damage(f"The pcapng block at byte {base + pos} has different leading and trailing "
                             "lengths; the file is damaged there and the packets before it are read.")
                return
            body = pos + 8
            body_len = block_len - 12
            if block_type == PCAPNG_SHB and (body_len < 16 or struct.unpack_from(order + "H", buf, body + 4)[0] != 1):
                # A section of another major version may lay its blocks out differently (pcapng 4.1).
                self._damage(f"The pcapng section at byte {base + pos} is not of version 1; reading stops there.")
                return
            if block_type == 1:
                interfaces.append(self._interface(order, buf[body:body + body_len]))
            elif block_type in (6, 2):
                number += 1
                if body_len < 20:
                    self._damage(f"Packet {number} has a block shorter than its 20 fixed bytes; skipped.")
                elif block_type == 6:
                    iface, high, low, caplen = struct.unpack_from(order + "IIII", buf, body)
                else:
                    iface, _, high, low, caplen = struct.unpack_from(order + "HHIII", buf, body)
                if body_len >= 20:
                    if iface >= len(interfaces):
                        self._damage(f"Packet {number} names interface {iface}, which the file never "
                                     "described; skipped.")
                    elif 20 + caplen > body_len:
                        self._damage(f"Packet {number} claims {caplen} bytes, more than its block holds; "
                                     "skipped.")
                    else:
                        linktype, resolution, binary, offset_s = interfaces[iface]
                        if linktype in SUPPORTED_LINKTYPES:
                            ts_us = _interval_us(resolution, binary, (high << 32) | low) + offset_s * 1_000_000
                            yield number, ts_us, linktype, buf, body + 20, caplen, base + pos
                        else:
                            self.skipped_linktypes.add(linktype)
            # Other blocks (simple packets without timestamps, names, statistics) say nothing we use.
            pos += block_len

    def _interface(self, order: str, body: bytes) -> tuple[int, int, bool, int]:
        if len(body) < 8:
            self._damage("A pcapng interface description is shorter than its 8 fixed bytes; "
                         "its packets are skipped.")
            return -1, 6, False, 0
        linktype = struct.unpack_from(order + "H", body, 0)[0]
        resolution, binary, offset_s = 6, False, 0
        position = 8
        while position + 4 <= len(body):
            code, length = struct.unpack_from(order + "HH", body, position)
            position += 4
            if code == 0:
                break
            value = body[position:position + length]
            if code == 9 and length == 1:          # if_tsresol
                binary = bool(value[0] & 0x80)
                resolution = value[0] & 0x7F
            elif code == 14 and length == 8:       # if_tsoffset
                offset_s = struct.unpack(order + "q", value)[0]
            position += (length + 3) & ~3
        if linktype in SUPPORTED_LINKTYPES:
            self.linktypes.add(linktype)
        return linktype, resolution, binary, offset_s

    # ---------------------------------------------------------------- both
    def frames(self) -> Iterator[tuple[int, int, int, bytes, int, int, int]]:
        """``(number, ts_us, linktype, buffer, offset, caplen, file_offset)`` for every link-layer record."""
        frames = self._classic_frames() if self.format == "pcap" else self._pcapng_frames()
        for frame in frames:
            self.records += 1
            yield frame
        if self.skipped_linktypes:
            kinds = ", ".join(str(k) for k in sorted(self.skipped_linktypes))
            self.warnings.append(f"Packets on interfaces of link type {kinds} were skipped; synack reads "
                                 "Ethernet, Linux cooked, raw IP and loopback.")

    def tcp_records(self) -> Iterator[TcpRecord]:
        """One :data:`TcpRecord` per TCP segment, other packets skipped."""
        unpack_tcp = _TCP_FIXED.unpack_from
        for number, ts_us, linktype, buf, off, caplen, file_offset in self.frames():
            end = off + caplen
            # The common case inline (untagged Ethernet, IPv4 without fragments, TCP): the general
            # functions below give the same answer, a few calls slower.
            if linktype == LINKTYPE_ETHERNET and caplen >= 34 and buf[off + 12] == 8 and buf[off + 13] == 0 \
                    and buf[off + 14] == 0x45 and buf[off + 23] == TCP_PROTOCOL \
                    and not (buf[off + 20] & 0x3F or buf[off + 21]):
                ip = off + 14
                total = (buf[ip + 2] << 8) | buf[ip + 3]
                version, tcp, stop = 4, ip + 20, ip + (total if total >= 20 else end - ip)
            else:
                ip = ip_offset(linktype, buf, off, caplen)
                if ip < 0:
                    continue
                found = tcp_offset(buf, ip, end)
                if found is None:
                    continue
                version, tcp, stop, _ = found
            if tcp + TCP_HEADER_LEN > end:
                self.cut_headers += 1
                continue
            sport, dport, seq, ack, offset_flags, window = unpack_tcp(buf, tcp)
            header = (offset_flags >> 12) * 4
            if header < TCP_HEADER_LEN or stop - tcp < header:
                continue
            if version == 4:
                src, dst = buf[ip + 12:ip + 16], buf[ip + 16:ip + 20]
            else:
                src, dst = buf[ip + 8:ip + 24], buf[ip + 24:ip + 40]
            self.tcp_packets += 1
            yield (number, ts_us, src, dst, sport, dport, seq, ack, offset_flags & 0x0FFF, window,
                   stop - tcp - header, linktype, file_offset)

    def finish_warnings(self) -> list[str]:
        """The warnings, with one more if some packets had their TCP header cut."""
        out = list(self.warnings)
        if self.cut_headers:
            out.append(f"{self.cut_headers} TCP packet{'s' if self.cut_headers != 1 else ''} had the snapshot "
                       "length cut inside the TCP header and were skipped.")
        return out


# ---------------------------------------------------------------- full decoding

def address_text(raw: bytes) -> str:
    """``10.0.0.1`` or ``2001:db8::1`` (RFC 5952 form, as tcpdump prints it)."""
    if len(raw) == 4:
        return f"{raw[0]}.{raw[1]}.{raw[2]}.{raw[3]}"
    import ipaddress
    return str(ipaddress.IPv6Address(bytes(raw)))


def decode_frame(linktype: int, frame: bytes) -> tuple[str, str, Segment, bytes, bool] | None:
    """``(src_ip, dst_ip, segment, ip_packet, truncated)`` for a frame holding a TCP segment, else None.

    The IP packet is returned as captured (the inspector shows its real bytes).
    Options are read leniently; a checksum that fails, or cannot be checked
    because the packet was cut, leaves ``checksum_ok`` False.
    """
    ip = ip_offset(linktype, frame, 0, len(frame))
    if ip < 0:
        return None
    found = tcp_offset(frame, ip, len(frame))
    if found is None:
        return None
    version, tcp, stop, ip_header_len = found
    end = len(frame)
    if tcp + TCP_HEADER_LEN > end:
        return None
    header = (frame[tcp + 12] >> 4) * 4
    if header < TCP_HEADER_LEN or stop - tcp < header or tcp + header > end:
        return None
    sport, dport, seq, ack, offset_flags, window = _TCP_FIXED.unpack_from(frame, tcp)
    urgent = _U16.unpack_from(frame, tcp + 18)[0]
    truncated = stop > end
    captured = frame[tcp:min(stop, end)]
    payload = captured[header:] + (bytes(stop - end) if truncated else b"")
    if version == 4:
        src, dst = frame[ip + 12:ip + 16], frame[ip + 16:ip + 20]
    else:
        src, dst = frame[ip + 8:ip + 24], frame[ip + 24:ip + 40]
    checksum_ok = False
    if not truncated:
        if version == 4:
            checksum_ok = (tcp_checksum(src, dst, captured) == 0
                           and internet_checksum(frame[ip:ip + ip_header_len]) == 0)
        else:
            pseudo = src + dst + len(captured).to_bytes(4, "big") + b"\x00\x00\x00\x06"
            checksum_ok = internet_checksum(pseudo + captured) == 0
    segment = Segment(sport, dport, seq, ack, _flags(offset_flags & 0x0FFF), window,
                      decode_options_lenient(captured[TCP_HEADER_LEN:header]), bytes(payload), urgent,
                      checksum_ok)
    return address_text(src), address_text(dst), segment, bytes(frame[ip:min(stop, end)]), truncated

