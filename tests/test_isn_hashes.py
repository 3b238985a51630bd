"""The hashes behind ISNs and SYN cookies: the texts written out for speed hash exactly as repr() did."""

from hypothesis import given, strategies as st

from synack.tcp.cookies import _cookie_hash
from synack.tcp.isn import Rfc6528Isn, address_hash32, keyed_hash32
from synack.tcp.seq import wrap


# --- the hashes behind ISNs and cookies: the written-out texts equal repr() ---------------

addresses = st.one_of(
    st.tuples(*[st.integers(0, 255)] * 4).map(lambda q: ".".join(map(str, q))),
    st.text(max_size=12),  # anything else falls back to repr(), quotes and backslashes included
)
ports = st.integers(0, 65535)


@given(addresses, ports, addresses, ports, st.sampled_from(["isn", "ts"]))
def test_address_hash_is_the_keyed_hash_of_the_repr(local_ip, local_port, remote_ip, remote_port, tag):
    local, remote = (local_ip, local_port), (remote_ip, remote_port)
    assert address_hash32(b"k", tag, local, remote) == keyed_hash32(b"k", tag, local, remote)


@given(st.lists(st.tuples(addresses, ports, addresses, ports, st.sampled_from(["isn", "ts"]), st.integers(0, 1 << 40)),
                max_size=6))
def test_the_generator_keeps_the_repr_hash_whatever_the_order_of_its_calls(calls):
    # Rfc6528Isn writes the addresses' text once for consecutive calls about one connection.
    gen = Rfc6528Isn(b"k")
    for local_ip, local_port, remote_ip, remote_port, tag, now in calls + calls[::-1]:
        local, remote = (local_ip, local_port), (remote_ip, remote_port)
        expected = keyed_hash32(b"k", tag, local, remote)
        if tag == "isn":
            assert gen.isn(local, remote, now) == wrap(expected + ((now * 1000) >> 6))
        else:
            assert gen.ts_offset(local, remote) == expected


@given(addresses, ports, addresses, ports, st.integers(0, 1 << 40))
def test_cookie_hash_is_the_keyed_hash_of_the_repr(local_ip, local_port, remote_ip, remote_port, count):
    four = (remote_ip, local_ip, remote_port, local_port)
    assert _cookie_hash(b"k", "c0", four) == keyed_hash32(b"k", "c0", *four)
    assert _cookie_hash(b"k", "c1", four, count) == keyed_hash32(b"k", "c1", *four, count)
