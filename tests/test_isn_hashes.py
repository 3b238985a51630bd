"""The hashes behind ISNs, timestamp offsets and SYN cookies: the texts written out for speed hash
exactly as repr() does, and one hash gives a connection both its ISN and its timestamp offset."""

import hashlib

from hypothesis import given, strategies as st

from synack.tcp.cookies import _cookie_hash
from synack.tcp.isn import Rfc6528Isn, hash_text, keyed_state, seq_and_ts_hash
from synack.tcp.seq import wrap


# --- the hashes behind ISNs and cookies: the written-out texts equal repr() ---------------

addresses = st.one_of(
    st.tuples(*[st.integers(0, 255)] * 4).map(lambda q: ".".join(map(str, q))),
    st.text(max_size=12),  # anything else: quotes, backslashes and unprintable characters included
)
ports = st.integers(0, 65535)


def keyed_hash32(key: bytes, *parts: object) -> int:
    """The keyed hash of the parts' text as repr() writes it: what the cookies' written-out text must equal."""
    return hash_text(key, repr(parts))


def _blake2b_of_repr(local: tuple[str, int], remote: tuple[str, int]) -> tuple[int, int]:
    """The two halves of a 64-bit BLAKE2b keyed with b"k", straight from hashlib and repr()."""
    digest = hashlib.blake2b(repr(("isn", local, remote)).encode(), key=b"k", digest_size=8).digest()
    return int.from_bytes(digest[:4], "big"), int.from_bytes(digest[4:], "big")


@given(addresses, ports, addresses, ports)
def test_one_hash_gives_the_isn_and_the_ts_offset(local_ip, local_port, remote_ip, remote_port):
    local, remote = (local_ip, local_port), (remote_ip, remote_port)
    assert seq_and_ts_hash(keyed_state(b"k", 8), local, remote) == _blake2b_of_repr(local, remote)


@given(addresses, ports, addresses, ports, st.integers(0, 1 << 40))
def test_the_generator_takes_the_isn_and_the_offset_from_that_hash(local_ip, local_port, remote_ip, remote_port, now):
    gen = Rfc6528Isn(b"k")
    local, remote = (local_ip, local_port), (remote_ip, remote_port)
    seq_hash, ts_offset = _blake2b_of_repr(local, remote)
    # The ISN adds Linux's clock, one tick per 64 ns; a connection whose ISN is decided elsewhere
    # (a SYN cookie, a port taken over from TIME_WAIT) asks for the offset alone.
    assert gen.secrets(local, remote, now) == (wrap(seq_hash + ((now * 1000) >> 6)), ts_offset)
    assert gen.ts_offset(local, remote) == ts_offset


def test_connections_between_the_same_hosts_get_their_own_ts_offsets():
    # As Linux since the ports went back into the hash: the offset hides one connection's
    # timestamps from another's, not only the host's uptime.
    gen = Rfc6528Isn(b"k")
    offsets = {gen.ts_offset(("10.0.0.1", port), ("10.0.0.2", 80)) for port in range(40000, 40100)}
    assert len(offsets) == 100


@given(addresses, ports, addresses, ports, st.integers(0, 1 << 40))
def test_cookie_hash_is_the_keyed_hash_of_the_repr(local_ip, local_port, remote_ip, remote_port, count):
    four = (remote_ip, local_ip, remote_port, local_port)
    assert _cookie_hash(b"k", "c0", four) == keyed_hash32(b"k", "c0", *four)
    assert _cookie_hash(b"k", "c1", four, count) == keyed_hash32(b"k", "c1", *four, count)
