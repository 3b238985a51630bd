"""Initial sequence numbers, timestamp offsets and the secrets behind them.

RFC 9293 section 3.4.1 and RFC 6528: ISN = M + F(4-tuple, secret), where M is
a clock.  Linux (net/core/secure_seq.c) uses SipHash and a clock of one tick
per 64 ns; :class:`Rfc6528Isn` does the same with a keyed BLAKE2 hash, which
the standard library has.  :class:`Rfc793Isn` is RFC 793's bare 4 µs clock,
predictable on purpose (the Mitnick lesson).  Generators are injected into the
engine so a seeded run is reproducible byte for byte.
"""

from __future__ import annotations

import hashlib
from typing import Any, Callable, Final, Protocol

from .seq import wrap

# Keying BLAKE2 costs as much as hashing a few words: the state is keyed once per secret and
# copied for each hash; what is kept is that state's bound ``copy``, called without a lookup.
_KEYED_COPY: Final[dict[bytes, Callable[[], Any]]] = {}
_FROM_BYTES: Final = int.from_bytes


def keyed_state(key: bytes) -> Callable[[], Any]:
    """The ``copy`` of a BLAKE2b state keyed with ``key``: each call gives a fresh hasher."""
    copy = _KEYED_COPY.get(key)
    if copy is None:
        copy = _KEYED_COPY[key] = hashlib.blake2b(key=key, digest_size=4).copy
    return copy


def hash_text(key: bytes, text: str) -> int:
    """A 32-bit keyed hash (BLAKE2b with the secret as key) of ``text``."""
    h = (_KEYED_COPY.get(key) or keyed_state(key))()
    h.update(text.encode())
    return _FROM_BYTES(h.digest(), "big")


def keyed_hash32(key: bytes, *parts: object) -> int:
    """The keyed hash of the parts' text, ``repr(parts)``."""
    return hash_text(key, repr(parts))


def plain(text: str) -> bool:
    """Whether ``repr(text)`` is ``text`` in single quotes, as for every dotted-quad address."""
    return "'" not in text and "\\" not in text and text.isprintable()


def address_text(local: tuple[str, int], remote: tuple[str, int]) -> str | None:
    """``repr((local, remote))`` less its opening parenthesis, written out; None when repr() would escape."""
    both = local[0] + remote[0]  # one test for both: each character is one of theirs
    if "'" not in both and "\\" not in both and both.isprintable():  # plain(both), written out
        return f"('{local[0]}', {local[1]}), ('{remote[0]}', {remote[1]}))"
    return None


def address_hash32(key: bytes, tag: str, local: tuple[str, int], remote: tuple[str, int]) -> int:
    """``keyed_hash32(key, tag, local, remote)``, its text written out: the same number for a third of the work.

    Two hashes per connection and side, one per forged SYN: repr() of nested tuples was a
    fifth of a lifecycle's time.
    """
    text = address_text(local, remote)
    if text is not None and plain(tag):
        return hash_text(key, f"('{tag}', {text}")
    return keyed_hash32(key, tag, local, remote)


class IsnGenerator(Protocol):
    name: str

    def isn(self, local: tuple[str, int], remote: tuple[str, int], now_us: int) -> int: ...

    def ts_offset(self, local: tuple[str, int], remote: tuple[str, int]) -> int: ...


class Rfc6528Isn:
    """Keyed hash of the connection's addresses plus a 64 ns clock (Linux's secure_tcp_seq)."""

    name = "rfc6528"

    def __init__(self, secret: bytes) -> None:
        self.secret = secret
        self._keyed = keyed_state(secret)  # hash_text(secret, ...) without the lookup of the keyed state
        # A connection asks for its ISN and then its timestamp offset: the text of its addresses
        # is written (and checked) once for the two, and encoded.
        self._local: tuple[str, int] = ("", -1)
        self._remote: tuple[str, int] = ("", -1)
        self._text: bytes | None = None

    def _hash(self, tag: str, prefix: bytes, local: tuple[str, int], remote: tuple[str, int]) -> int:
        """``address_hash32(self.secret, tag, local, remote)``; ``prefix`` is the start of the
        text, ``"('" + tag + "', "`` encoded, for one of our plain tags."""
        # (Equal, not the same tuples: the compiled build keeps a tuple[str, int] unboxed, and
        # boxes it anew for an identity test, which would then always fail.)
        if local != self._local or remote != self._remote:
            self._local, self._remote = local, remote
            text = address_text(local, remote)
            self._text = None if text is None else text.encode()
        if self._text is None:
            return keyed_hash32(self.secret, tag, local, remote)
        h = self._keyed()
        h.update(prefix)
        h.update(self._text)
        return _FROM_BYTES(h.digest(), "big")

    def isn(self, local: tuple[str, int], remote: tuple[str, int], now_us: int) -> int:
        clock = (now_us * 1000) >> 6
        return wrap(self._hash("isn", b"('isn', ", local, remote) + clock)

    def ts_offset(self, local: tuple[str, int], remote: tuple[str, int]) -> int:
        # Linux randomises the TSval base per connection (secure_tcpv4_ts_off).
        return self._hash("ts", b"('ts', ", local, remote)


class Rfc793Isn:
    """RFC 793's ISN: a 32-bit clock ticking every 4 µs, the same for every connection."""

    name = "rfc793"

    def __init__(self, secret: bytes = b"") -> None:
        self.secret = secret

    def isn(self, local: tuple[str, int], remote: tuple[str, int], now_us: int) -> int:
        return wrap(now_us // 4)

    def ts_offset(self, local: tuple[str, int], remote: tuple[str, int]) -> int:
        return 0


ISN_GENERATORS = {"rfc6528": Rfc6528Isn, "rfc793": Rfc793Isn}
