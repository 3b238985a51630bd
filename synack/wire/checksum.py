"""The Internet checksum (RFC 1071) and TCP's IPv4 pseudo-header (RFC 9293 section 3.1).

The checksum is the 16-bit one's complement of the one's complement sum of
the data taken as big-endian 16-bit words, an odd last byte padded with zero
(RFC 1071 section 1).  TCP sums, in front of its header and data, a
pseudo-header of source address, destination address, a zero byte, the
protocol number 6 and the TCP length (RFC 9293 section 3.1, "Checksum").

The sum is computed in one step instead of word by word: reading the data as
one big-endian integer N, each 16-bit word is weighted by a power of 2**16,
and 2**16 = 1 (mod 0xFFFF), so N mod 0xFFFF is the one's complement sum
(end-around carries included, RFC 1071 section 2 (B) and (C)).  The only
ambiguity is zero: a one's complement sum of words that are not all zero is
never +0, so a remainder of 0 then stands for 0xFFFF ("-0").  Python does the
conversion and the remainder in C, which is what keeps encoding every
simulated segment cheap.
"""

from __future__ import annotations

import struct

TCP_PROTOCOL = 6

_PSEUDO_TAIL = struct.Struct("!BBH")


def ones_complement_sum(data: bytes) -> int:
    """The 16-bit one's complement sum of ``data`` (RFC 1071), 0..0xFFFF."""
    if len(data) & 1:
        data = bytes(data) + b"\x00"
    n = int.from_bytes(data, "big")
    if n == 0:
        return 0
    folded = n % 0xFFFF
    return folded if folded else 0xFFFF


def internet_checksum(data: bytes) -> int:
    """The Internet checksum of ``data``: the complement of its one's complement sum.

    Over data that already holds a correct checksum field the result is 0,
    which is how a receiver verifies it (RFC 1071 section 1, step (3)).
    """
    return ~ones_complement_sum(data) & 0xFFFF


def pseudo_header(src: bytes, dst: bytes, tcp_length: int) -> bytes:
    """The 12-byte IPv4 pseudo-header of RFC 9293 section 3.1 (addresses as 4 raw bytes)."""
    return src + dst + _PSEUDO_TAIL.pack(0, TCP_PROTOCOL, tcp_length)


def tcp_checksum(src: bytes, dst: bytes, tcp_bytes: bytes) -> int:
    """The checksum for a TCP header and data whose checksum field is zero.

    Over a segment that already carries its checksum the result is 0 when the
    checksum is right.  ``src`` and ``dst`` are the IPv4 addresses as 4 raw bytes.
    """
    return internet_checksum(pseudo_header(src, dst, len(tcp_bytes)) + tcp_bytes)
