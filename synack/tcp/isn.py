"""Initial sequence numbers, timestamp offsets and the secrets behind them.

RFC 9293 section 3.4.1 and RFC 6528: ISN = M + F(4-tuple, secret), where M is
a clock.  Linux (net/core/secure_seq.c) uses SipHash and a clock of one tick
per 64 ns; :class:`Rfc6528Isn` does the same with a keyed BLAKE2 hash, which
the standard library has.  The timestamp offset, added to the TS clock so
that TSvals do not tell the host's uptime, comes from the same hash: Linux
takes the two from one 64-bit SipHash of the 4-tuple since "tcp: secure_seq:
add back ports to TS offset" (2026; from 2017 until then the offset hashed
the two addresses alone, so every connection between two hosts shared it).  The kernel our recordings come from
does so: in ``tests/fixtures/linux/fast_open.pcap`` two connections between
the same addresses, 50 ms apart, start their TSvals 2.7 billion apart.
:class:`Rfc793Isn` is RFC 793's bare 4 µs clock, predictable on purpose (the
Mitnick lesson).  Generators are injected into the engine so a seeded run is
reproducible byte for byte.
"""

from __future__ import annotations

import hashlib
from typing import Any, Callable, Final, Protocol

from .seq import wrap

# Keying BLAKE2 costs as much as hashing a few words: the state is keyed once per secret (and
# digest size) and copied for each hash; what is kept is that state's bound ``copy``, called
# without a lookup.
_KEYED_COPY: Final[dict[tuple[bytes, int], Callable[[], Any]]] = {}
_FROM_BYTES: Final = int.from_bytes


def keyed_state(key: bytes, digest_size: int = 4) -> Callable[[], Any]:
    """The ``copy`` of a BLAKE2b state keyed with ``key``: each call gives a fresh hasher."""
    copy = _KEYED_COPY.get((key, digest_size))
    if copy is None:
        copy = _KEYED_COPY[(key, digest_size)] = hashlib.blake2b(key=key, digest_size=digest_size).copy
    return copy


def hash_text(key: bytes, text: str) -> int:
    """A 32-bit keyed hash (BLAKE2b with the secret as key) of ``text``."""
    h = (_KEYED_COPY.get((key, 4)) or keyed_state(key))()
    h.update(text.encode())
    return _FROM_BYTES(h.digest(), "big")


def seq_and_ts_hash(keyed: Callable[[], Any], local: tuple[str, int], remote: tuple[str, int]) -> tuple[int, int]:
    """A connection's two secrets from one 64-bit keyed BLAKE2b hash of ``repr(("isn", local, remote))``:
    the digest's first four bytes for its ISN, the last four for its timestamp offset.
    ``keyed`` is ``keyed_state(secret, 8)``."""
    # The text repr() gives, written out in one string: only the addresses need repr() of their own.
    # (repr() called, not !r: mypyc compiles a conversion in an f-string to a str.format call.)
    text = f"('isn', ({repr(local[0])}, {local[1]}), ({repr(remote[0])}, {remote[1]}))"
    h = keyed()
    h.update(text.encode())
    both = _FROM_BYTES(h.digest(), "big")  # one conversion, then the halves, rather than two slices
    return both >> 32, wrap(both)


class IsnGenerator(Protocol):
    name: str

    def secrets(self, local: tuple[str, int], remote: tuple[str, int], now_us: int) -> tuple[int, int]:
        """A new connection's ISN and timestamp offset."""
        ...

    def ts_offset(self, local: tuple[str, int], remote: tuple[str, int]) -> int:
        """The timestamp offset alone, for a connection whose ISN comes from elsewhere (a SYN cookie,
        a port taken over from TIME_WAIT)."""
        ...


class Rfc6528Isn:
    """Keyed hash of the connection's addresses plus a 64 ns clock (Linux's secure_tcp_seq)."""

    name = "rfc6528"

    def __init__(self, secret: bytes) -> None:
        self.secret = secret
        self._keyed = keyed_state(secret, 8)

    def secrets(self, local: tuple[str, int], remote: tuple[str, int], now_us: int) -> tuple[int, int]:
        # Both from one hash of the 4-tuple, as Linux does (see the module's docstring).
        seq_hash, ts_offset = seq_and_ts_hash(self._keyed, local, remote)
        return wrap(seq_hash + ((now_us * 1000) >> 6)), ts_offset

    def ts_offset(self, local: tuple[str, int], remote: tuple[str, int]) -> int:
        return seq_and_ts_hash(self._keyed, local, remote)[1]


class Rfc793Isn:
    """RFC 793's ISN: a 32-bit clock ticking every 4 µs, the same for every connection."""

    name = "rfc793"

    def __init__(self, secret: bytes = b"") -> None:
        self.secret = secret

    def secrets(self, local: tuple[str, int], remote: tuple[str, int], now_us: int) -> tuple[int, int]:
        return wrap(now_us // 4), 0

    def ts_offset(self, local: tuple[str, int], remote: tuple[str, int]) -> int:
        return 0


ISN_GENERATORS = {"rfc6528": Rfc6528Isn, "rfc793": Rfc793Isn}
