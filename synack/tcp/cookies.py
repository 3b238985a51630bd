"""SYN cookies (RFC 4987 section 3.6, Linux net/ipv4/syncookies.c) and Fast Open cookies (RFC 7413 4.1.2).

A SYN cookie is the server's ISN built so that the returning ACK proves the
handshake without any state kept:

    isn = H0(4-tuple) + client_isn + (minute << 24) + ((H1(4-tuple, minute) + mss_index) & 0xFFFFFF)

with the minute counter valid for two periods and the MSS squeezed into a
2-bit index of Linux's table (536, 1300, 1440, 1460).  When the SYN carried
timestamps, the low 6 bits of the SYN-ACK's TSval keep the client's window
scale (4 bits, 0xF for none), SACK and ECN, which the ACK echoes back in TSecr.
"""

from __future__ import annotations

import hashlib
from typing import Final

from .isn import hash_text
from .seq import seq_add, wrap

COOKIE_BITS: Final = 24
COOKIE_MASK: Final = (1 << COOKIE_BITS) - 1
COUNT_MASK: Final = (1 << (32 - COOKIE_BITS)) - 1  # the minute counter in the top 8 bits
MAX_AGE: Final = 2
MINUTE_US: Final = 60_000_000
MSS_TABLE: Final = (536, 1300, 1440, 1460)
TS_OPT_BITS: Final = 6
TS_WSCALE_NONE: Final = 0xF
TS_SACK: Final = 1 << 4
TS_ECN: Final = 1 << 5


def _tuple(local: tuple[str, int], remote: tuple[str, int]) -> tuple[str, str, int, int]:
    return (remote[0], local[0], remote[1], local[1])


def _cookie_hash(secret: bytes, tag: str, four: tuple[str, str, int, int], *count: int) -> int:
    """The keyed hash of ``repr((tag, *four, *count))``, its text written out (two or three per SYN)."""
    tail = f", {count[0]})" if count else ")"
    return hash_text(secret, f"('{tag}', {repr(four[0])}, {repr(four[1])}, {four[2]}, {four[3]}{tail}")


def mss_index(mss: int) -> int:
    """The largest table entry not above the client's MSS (Linux cookie_v4_init_sequence)."""
    index = 0
    for i, value in enumerate(MSS_TABLE):
        if value <= mss:
            index = i
    return index


def make_syn_cookie(secret: bytes, local: tuple[str, int], remote: tuple[str, int],
                    client_isn: int, mss: int, now_us: int) -> int:
    count = now_us // MINUTE_US
    four = _tuple(local, remote)
    return wrap(_cookie_hash(secret, "c0", four) + client_isn + (count << COOKIE_BITS)
                + ((_cookie_hash(secret, "c1", four, count) + mss_index(mss)) & COOKIE_MASK))


def check_syn_cookie(secret: bytes, local: tuple[str, int], remote: tuple[str, int],
                     ack: int, seq: int, now_us: int) -> int | None:
    """The MSS the cookie in ``ack - 1`` encodes, or None when it is forged or too old."""
    cookie = seq_add(ack, -1)
    client_isn = seq_add(seq, -1)
    four = _tuple(local, remote)
    count = now_us // MINUTE_US
    cookie = wrap(cookie - _cookie_hash(secret, "c0", four) - client_isn)
    diff = (count - (cookie >> COOKIE_BITS)) & COUNT_MASK
    if diff >= MAX_AGE:
        return None
    index = (cookie - _cookie_hash(secret, "c1", four, count - diff)) & COOKIE_MASK
    if index >= len(MSS_TABLE):
        return None
    return MSS_TABLE[index]


def cookie_fields(secret: bytes, local: tuple[str, int], remote: tuple[str, int], isn: int, client_isn: int,
                  now_us: int) -> tuple[int, int] | None:
    """What a cookie ISN carries: (its minute counter, its MSS index), or None when it does not check out."""
    four = _tuple(local, remote)
    count = now_us // MINUTE_US
    rest = wrap(isn - _cookie_hash(secret, "c0", four) - client_isn)
    diff = (count - (rest >> COOKIE_BITS)) & COUNT_MASK
    if diff >= MAX_AGE:
        return None
    index = (rest - _cookie_hash(secret, "c1", four, count - diff)) & COOKIE_MASK
    return (count - diff, index) if index < len(MSS_TABLE) else None


def cookie_tsval(ts_now: int, wscale: int | None, sack: bool, ecn: bool = False) -> int:
    """A TSval not above ``ts_now`` whose low 6 bits carry the SYN's options."""
    options = TS_WSCALE_NONE if wscale is None else wscale
    if sack:
        options |= TS_SACK
    if ecn:
        options |= TS_ECN
    ts = ((ts_now >> TS_OPT_BITS) << TS_OPT_BITS) | options
    if ts > ts_now:
        ts -= 1 << TS_OPT_BITS
    return wrap(ts)


def decode_cookie_tsecr(tsecr: int) -> tuple[int | None, bool]:
    """(client wscale or None, SACK permitted) from the echoed TSval."""
    wscale = tsecr & 0xF
    return (None if wscale == TS_WSCALE_NONE else min(wscale, 14)), bool(tsecr & TS_SACK)


def fastopen_cookie(key: bytes, client_ip: str) -> bytes:
    """RFC 7413 4.1.2: a MAC of the client's address under a server key (Linux uses AES; any MAC will do)."""
    return hashlib.blake2b(client_ip.encode(), key=key, digest_size=8).digest()
