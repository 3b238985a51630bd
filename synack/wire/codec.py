"""Bytes <-> Segment: the TCP header and its options, and the IPv4 header around them.

Implements the TCP header of RFC 9293 section 3.1 (the 4 bits after the data
offset are kept as flag bits 0x100..0x800 so a capture's reserved or AE bit
survives a round trip), the option layout of RFC 9293 section 3.2 (EOL, NOP,
MSS), RFC 7323 sections 2.2 and 3.2 (window scale, timestamps), RFC 2018
sections 2 and 3 (SACK-permitted, SACK), RFC 7413 section 4.1.1 (Fast Open,
kind 34, and the experimental kind 254 with magic 0xF989 that Linux still
sends), and the IPv4 header of RFC 791 section 3.1 with its header checksum.

Options are encoded exactly as given: Linux aligns its options with NOPs inside
the list, and the engine puts explicit ``Nop()`` values where Linux does, so
only the tail is padded, with zero bytes (EOL), up to the 32-bit boundary the
data offset needs.  On decoding, an EOL ends the list (RFC 9293 section 3.2:
"the end of the option list") and neither it nor the padding after it is
returned, so ``decode(encode(options))`` gives back ``options`` cut at the
first ``Eol``.  A known kind with a length other than its own is kept as an
:class:`~synack.tcp.options.UnknownOption` of that kind: Linux ignores such an
option, and keeping its bytes lets the segment re-encode unchanged.

Anything that cannot be read or written raises :class:`WireError`, a
``ValueError`` with one sentence saying what was wrong.

``encode_ipv4`` runs for every simulated segment, so the headers are packed by
precompiled :class:`struct.Struct` objects and addresses are parsed once.
"""

from __future__ import annotations

import struct
from functools import lru_cache

from synack.tcp.options import (
    EOL_KIND,
    EXPERIMENTAL_KIND,
    FASTOPEN_EXP_MAGIC,
    FASTOPEN_KIND,
    MSS_KIND,
    NOP,
    NOP_KIND,
    SACK_KIND,
    SACK_PERMITTED,
    SACK_PERMITTED_KIND,
    TIMESTAMPS_KIND,
    WSCALE_KIND,
    Eol,
    FastOpen,
    Mss,
    Nop,
    Option,
    Sack,
    SackPermitted,
    Timestamps,
    UnknownOption,
    WindowScale,
)
from synack.tcp.segment import Flags, Segment

from .checksum import TCP_PROTOCOL, internet_checksum, tcp_checksum


class WireError(ValueError):
    """Bytes that are not a well-formed packet, or a value that cannot be put into one."""


TCP_HEADER_LEN = 20
IPV4_HEADER_LEN = 20
MAX_OPTIONS_LEN = 40  # the data offset is 4 bits of 32-bit words: 60 bytes, 20 of them fixed
MAX_TCP_LEN = 0xFFFF - IPV4_HEADER_LEN  # the IPv4 total length field is 16 bits
IPV4_DONT_FRAGMENT = 0x4000
IPV4_MORE_FRAGMENTS = 0x2000
IPV4_FRAGMENT_OFFSET_MASK = 0x1FFF

_TCP_HEADER = struct.Struct("!HHIIBBHHH")
_IPV4_HEADER = struct.Struct("!BBHHHBBH4s4s")
_CHECKSUM = struct.Struct("!H")
_MSS = struct.Struct("!BBH")
_WSCALE = struct.Struct("!BBB")
_TIMESTAMPS = struct.Struct("!BBII")
_SACK_EDGES = struct.Struct("!II")
_FASTOPEN_EXP = struct.Struct("!BBH")
_U16 = struct.Struct("!H")
_U32_PAIR = struct.Struct("!II")

_FASTOPEN_EXP_MAGIC_BYTES = _U16.pack(FASTOPEN_EXP_MAGIC)


# --- addresses -------------------------------------------------------------

@lru_cache(maxsize=4096)
def _parse_ipv4_address(text: str) -> bytes:
    parts = text.split(".")
    if len(parts) != 4:
        raise WireError(f"{text!r} is not a dotted-quad IPv4 address.")
    values = []
    for part in parts:
        # Leading zeros are refused because inet_aton would read them as octal.
        if not (part.isascii() and part.isdigit()) or len(part) > 3 or (len(part) > 1 and part[0] == "0"):
            raise WireError(f"{text!r} is not a dotted-quad IPv4 address.")
        value = int(part)
        if value > 255:
            raise WireError(f"{text!r} is not a dotted-quad IPv4 address.")
        values.append(value)
    return bytes(values)


def ip_to_bytes(ip: str) -> bytes:
    """The 4 raw bytes of a dotted-quad IPv4 address such as ``"10.0.0.1"``."""
    if not isinstance(ip, str):
        raise WireError(f"{ip!r} is not a dotted-quad IPv4 address.")
    return _parse_ipv4_address(ip)


def bytes_to_ip(raw: bytes) -> str:
    """The dotted-quad text of 4 raw address bytes."""
    return f"{raw[0]}.{raw[1]}.{raw[2]}.{raw[3]}"


# --- options ---------------------------------------------------------------

def _length_byte(kind: int, size: int) -> int:
    if size > 255:
        raise WireError(f"TCP option kind {kind} would take {size} bytes; one option holds at most 255.")
    return size


def _encode_sack(option: Sack) -> bytes:
    size = _length_byte(SACK_KIND, 2 + 8 * len(option.blocks))
    return bytes((SACK_KIND, size)) + b"".join(_SACK_EDGES.pack(left, right) for left, right in option.blocks)


def _encode_fastopen(option: FastOpen) -> bytes:
    cookie = bytes(option.cookie)
    if option.experimental:
        return _FASTOPEN_EXP.pack(EXPERIMENTAL_KIND, _length_byte(EXPERIMENTAL_KIND, 4 + len(cookie)),
                                  FASTOPEN_EXP_MAGIC) + cookie
    return bytes((FASTOPEN_KIND, _length_byte(FASTOPEN_KIND, 2 + len(cookie)))) + cookie


def _encode_unknown(option: UnknownOption) -> bytes:
    if option.kind in (EOL_KIND, NOP_KIND):
        # Kinds 0 and 1 have no length byte; written with one they would misparse.
        raise WireError(f"TCP option kind {option.kind} is a single byte; use Eol() or Nop() for it.")
    data = bytes(option.data)
    return bytes((option.kind, _length_byte(option.kind, 2 + len(data)))) + data


_OPTION_ENCODERS = {
    Eol: lambda option: b"\x00",
    Nop: lambda option: b"\x01",
    Mss: lambda option: _MSS.pack(MSS_KIND, 4, option.value),
    WindowScale: lambda option: _WSCALE.pack(WSCALE_KIND, 3, option.shift),
    SackPermitted: lambda option: b"\x04\x02",
    Sack: _encode_sack,
    Timestamps: lambda option: _TIMESTAMPS.pack(TIMESTAMPS_KIND, 10, option.tsval, option.tsecr),
    FastOpen: _encode_fastopen,
    UnknownOption: _encode_unknown,
}

_PADDING = (b"", b"\x00\x00\x00", b"\x00\x00", b"\x00")


def encode_options(options: tuple[Option, ...]) -> bytes:
    """The option bytes in the given order, the tail padded with zeros (EOL) to a multiple of 4."""
    parts = []
    for option in options:
        encoder = _OPTION_ENCODERS.get(type(option))
        if encoder is None:
            raise WireError(f"{option!r} is not a TCP option synack can encode.")
        try:
            parts.append(encoder(option))
        except (struct.error, TypeError, OverflowError) as exc:
            raise WireError(f"The TCP option {option!r} has a field out of range ({exc}).") from None
    raw = b"".join(parts)
    if len(raw) > MAX_OPTIONS_LEN:
        raise WireError(f"The TCP options take {len(raw)} bytes; a header holds at most {MAX_OPTIONS_LEN}.")
    return raw + _PADDING[len(raw) & 3]


def _decode_option(kind: int, body: bytes) -> Option:
    size = len(body)
    if kind == MSS_KIND and size == 2:
        return Mss(_U16.unpack(body)[0])
    if kind == WSCALE_KIND and size == 1:
        return WindowScale(body[0])
    if kind == SACK_PERMITTED_KIND and size == 0:
        return SACK_PERMITTED
    if kind == TIMESTAMPS_KIND and size == 8:
        return Timestamps(*_U32_PAIR.unpack(body))
    if kind == SACK_KIND and size % 8 == 0:
        return Sack(tuple(_SACK_EDGES.iter_unpack(body)))
    if kind == FASTOPEN_KIND:
        return FastOpen(body)
    if kind == EXPERIMENTAL_KIND and size >= 2 and body[:2] == _FASTOPEN_EXP_MAGIC_BYTES:
        return FastOpen(body[2:], experimental=True)
    return UnknownOption(kind, body)


def decode_options(data: bytes) -> tuple[Option, ...]:
    """The options in ``data`` (the bytes between the fixed header and the data offset)."""
    return _decode_options(bytes(data), lenient=False)


def decode_options_lenient(data: bytes) -> tuple[Option, ...]:
    """The options of a captured segment, never raising: what parses, then the rest as one unknown option.

    Real captures hold middlebox damage and experiments; a bad length byte must
    not lose the packet.  The bytes from the first option that cannot be read
    are kept as ``UnknownOption`` of that kind, so nothing is silently dropped.
    """
    return _decode_options(bytes(data), lenient=True)


def _decode_options(data: bytes, lenient: bool) -> tuple[Option, ...]:
    options: list[Option] = []
    end_of_space = len(data)
    i = 0
    while i < end_of_space:
        kind = data[i]
        if kind == EOL_KIND:
            break
        if kind == NOP_KIND:
            options.append(NOP)
            i += 1
            continue
        problem = None
        size = data[i + 1] if i + 1 < end_of_space else 0
        if i + 1 >= end_of_space:
            problem = f"TCP option kind {kind} at option byte {i} has no room for its length byte."
        elif size < 2:
            problem = (f"TCP option kind {kind} at option byte {i} has length {size}; "
                       "the kind and length bytes alone take 2.")
        elif i + size > end_of_space:
            problem = (f"TCP option kind {kind} at option byte {i} has length {size}, "
                       f"past the end of the {end_of_space}-byte option space.")
        if problem is not None:
            if not lenient:
                raise WireError(problem)
            options.append(UnknownOption(kind, data[i + 1:]))
            break
        options.append(_decode_option(kind, data[i + 2:i + size]))
        i += size
    return tuple(options)


# --- TCP -------------------------------------------------------------------

_FLAGS_CACHE: dict[int, Flags] = {}


def _flags(value: int) -> Flags:
    # Building an IntFlag is slow next to a dict lookup, and there are only 4096 values.
    flags = _FLAGS_CACHE.get(value)
    if flags is None:
        flags = _FLAGS_CACHE[value] = Flags(value)
    return flags


def _segment_field_error(segment: Segment) -> WireError:
    for name, value, bits in (
        ("source port", segment.src_port, 16),
        ("destination port", segment.dst_port, 16),
        ("sequence number", segment.seq, 32),
        ("acknowledgment number", segment.ack, 32),
        ("flags", segment.flags, 12),
        ("window", segment.window, 16),
        ("urgent pointer", segment.urgent, 16),
    ):
        if not isinstance(value, int) or not 0 <= value < (1 << bits):
            return WireError(f"The {name} {value!r} does not fit the {bits}-bit TCP header field.")
    return WireError(f"The segment {segment!r} cannot be encoded.")


def _encode_tcp(src: bytes, dst: bytes, segment: Segment) -> bytes:
    options = encode_options(segment.options) if segment.options else b""
    try:
        flags = int(segment.flags)  # IntFlag's own & is slow; plain int arithmetic is not
        if flags >> 12:
            raise struct.error
        header = _TCP_HEADER.pack(
            segment.src_port, segment.dst_port, segment.seq, segment.ack,
            ((TCP_HEADER_LEN + len(options)) << 2) | (flags >> 8), flags & 0xFF,
            segment.window, 0, segment.urgent,
        )
    except (struct.error, TypeError):
        raise _segment_field_error(segment) from None
    try:
        tcp = header + options + segment.payload
    except TypeError:
        raise WireError(f"The payload must be bytes, not {type(segment.payload).__name__}.") from None
    if len(tcp) > MAX_TCP_LEN:
        raise WireError(f"The segment takes {len(tcp)} bytes, but an IPv4 packet holds at most 65535, "
                        f"so at most {MAX_TCP_LEN} of TCP.")
    checksum = tcp_checksum(src, dst, tcp)
    return tcp[:16] + _CHECKSUM.pack(checksum) + tcp[18:]


def encode_segment(src_ip: str, dst_ip: str, segment: Segment) -> bytes:
    """The TCP header, options and payload of ``segment``, checksummed for the two addresses."""
    return _encode_tcp(ip_to_bytes(src_ip), ip_to_bytes(dst_ip), segment)


def decode_segment(data: bytes, src_ip: str | None = None, dst_ip: str | None = None) -> Segment:
    """The segment in ``data`` (a TCP header, options and payload, nothing after).

    With both addresses given, ``checksum_ok`` tells whether the checksum
    verifies; without them it is left True, as nothing can be checked.
    """
    if (src_ip is None) != (dst_ip is None):
        raise TypeError("decode_segment needs both src_ip and dst_ip to verify the checksum, or neither.")
    data = bytes(data)
    if len(data) < TCP_HEADER_LEN:
        raise WireError(f"A TCP header takes at least {TCP_HEADER_LEN} bytes; got {len(data)}.")
    src_port, dst_port, seq, ack, offset_byte, flag_byte, window, _, urgent = _TCP_HEADER.unpack_from(data)
    header_len = (offset_byte >> 4) * 4
    if header_len < TCP_HEADER_LEN:
        raise WireError(f"The TCP data offset {header_len // 4} is below the minimum of 5 words.")
    if header_len > len(data):
        raise WireError(f"The TCP data offset says the header takes {header_len} bytes, "
                        f"but the segment has only {len(data)}.")
    checksum_ok = True
    if src_ip is not None and dst_ip is not None:
        checksum_ok = tcp_checksum(ip_to_bytes(src_ip), ip_to_bytes(dst_ip), data) == 0
    return Segment(
        src_port=src_port,
        dst_port=dst_port,
        seq=seq,
        ack=ack,
        flags=_flags(((offset_byte & 0x0F) << 8) | flag_byte),
        window=window,
        options=decode_options(data[TCP_HEADER_LEN:header_len]) if header_len > TCP_HEADER_LEN else (),
        payload=data[header_len:],
        urgent=urgent,
        checksum_ok=checksum_ok,
    )


# --- IPv4 ------------------------------------------------------------------

def encode_ipv4(src_ip: str, dst_ip: str, segment: Segment, *, ip_id: int = 0, ttl: int = 64,
                df: bool = True, tos: int = 0) -> bytes:
    """A whole IPv4 packet (20-byte header, no IP options) carrying ``segment``, both checksums right."""
    src = ip_to_bytes(src_ip)
    dst = ip_to_bytes(dst_ip)
    tcp = _encode_tcp(src, dst, segment)
    total_len = IPV4_HEADER_LEN + len(tcp)
    try:
        header = _IPV4_HEADER.pack(0x45, tos, total_len, ip_id, IPV4_DONT_FRAGMENT if df else 0,
                                   ttl, TCP_PROTOCOL, 0, src, dst)
    except struct.error:
        raise WireError(f"An IPv4 header field is out of range (ip_id={ip_id!r}, ttl={ttl!r}, tos={tos!r}).") from None
    return header[:10] + _CHECKSUM.pack(internet_checksum(header)) + header[12:] + tcp


def _decode_ipv4(data: bytes, allow_truncated: bool) -> tuple[str, str, Segment, bool]:
    """The work of :func:`decode_ipv4`; with ``allow_truncated``, a packet cut short by a
    capture's snapshot length is read with its missing payload bytes as zeros."""
    if len(data) < IPV4_HEADER_LEN:
        raise WireError(f"An IPv4 header takes at least {IPV4_HEADER_LEN} bytes; got {len(data)}.")
    version_ihl, _, total_len, _, fragment, _, protocol, _, src, dst = _IPV4_HEADER.unpack_from(data)
    if version_ihl >> 4 != 4:
        raise WireError(f"The packet is IP version {version_ihl >> 4}, not IPv4.")
    header_len = (version_ihl & 0x0F) * 4
    if header_len < IPV4_HEADER_LEN:
        raise WireError(f"The IPv4 header length {header_len // 4} is below the minimum of 5 words.")
    if total_len < header_len:
        raise WireError(f"The IPv4 total length {total_len} is shorter than its own {header_len}-byte header.")
    if len(data) < header_len:
        raise WireError(f"The IPv4 header says it takes {header_len} bytes, but only {len(data)} are there.")
    if protocol != TCP_PROTOCOL:
        raise WireError(f"The IPv4 packet carries protocol {protocol}, not TCP (6).")
    if fragment & (IPV4_MORE_FRAGMENTS | IPV4_FRAGMENT_OFFSET_MASK):
        raise WireError("The IPv4 packet is a fragment, not a whole TCP segment.")
    src_ip = bytes_to_ip(src)
    dst_ip = bytes_to_ip(dst)
    ip_header_ok = internet_checksum(data[:header_len]) == 0
    truncated = total_len > len(data)
    if not truncated:
        segment = decode_segment(data[header_len:total_len], src_ip, dst_ip)
        if not ip_header_ok:
            segment = segment.replace(checksum_ok=False)
        return src_ip, dst_ip, segment, False
    if not allow_truncated:
        raise WireError(f"The IPv4 total length is {total_len} bytes, but only {len(data)} are there.")
    tcp = bytes(data[header_len:])
    if len(tcp) < TCP_HEADER_LEN or len(tcp) < (tcp[12] >> 4) * 4:
        raise WireError("The capture cut the packet inside its TCP header.")
    segment = decode_segment(tcp + bytes(total_len - len(data)))
    return src_ip, dst_ip, segment.replace(checksum_ok=False), True


def decode_ipv4(data: bytes) -> tuple[str, str, Segment]:
    """``(src_ip, dst_ip, segment)`` from an IPv4 packet carrying TCP.

    Bytes after the IPv4 total length (an Ethernet frame's padding) are
    ignored.  ``checksum_ok`` is False when either the IPv4 header checksum
    or the TCP checksum fails.
    """
    src_ip, dst_ip, segment, _ = _decode_ipv4(bytes(data), allow_truncated=False)
    return src_ip, dst_ip, segment
