"""The Internet checksum (RFC 1071) against the RFC's own example, a word-by-word
reference, and dpkt's independent implementation."""

import dpkt
from hypothesis import given
from hypothesis import strategies as st

from synack.wire.checksum import internet_checksum, ones_complement_sum, pseudo_header, tcp_checksum


def reference_sum(data: bytes) -> int:
    """RFC 1071 section 4.1's loop, word by word with end-around carry."""
    if len(data) % 2:
        data += b"\x00"
    total = 0
    for i in range(0, len(data), 2):
        total += (data[i] << 8) | data[i + 1]
        total = (total & 0xFFFF) + (total >> 16)
    return total


def test_rfc1071_numerical_example():
    # RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2.
    data = bytes.fromhex("0001f203f4f5f6f7")
    assert ones_complement_sum(data) == 0xDDF2
    assert internet_checksum(data) == 0x220D


def test_checksum_over_data_with_its_checksum_is_zero():
    data = bytes.fromhex("0001f203f4f5f6f7")
    assert internet_checksum(data + (0x220D).to_bytes(2, "big")) == 0


def test_odd_length_pads_with_zero():
    assert internet_checksum(b"\xab") == internet_checksum(b"\xab\x00")


def test_all_zero_and_negative_zero():
    assert ones_complement_sum(b"") == 0
    assert ones_complement_sum(bytes(8)) == 0
    # 0xFFFF is one's complement "-0": a sum of non-zero words never gives +0.
    assert ones_complement_sum(b"\xff\xff") == 0xFFFF
    assert ones_complement_sum(b"\x80\x00\x7f\xff") == 0xFFFF


@given(st.binary(max_size=3000))
def test_matches_word_by_word_reference(data):
    assert ones_complement_sum(data) == reference_sum(data)


@given(st.binary(max_size=3000))
def test_matches_dpkt(data):
    assert internet_checksum(data) == dpkt.in_cksum(data)


def test_pseudo_header_layout():
    header = pseudo_header(bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]), 40)
    assert header == bytes.fromhex("0a000001" "0a000002" "00" "06" "0028")


@given(st.binary(min_size=4, max_size=4), st.binary(min_size=4, max_size=4), st.binary(min_size=20, max_size=200))
def test_tcp_checksum_matches_dpkt(src, dst, tcp_bytes):
    tcp_bytes = tcp_bytes[:16] + b"\x00\x00" + tcp_bytes[18:]
    expected = dpkt.in_cksum(src + dst + bytes([0, 6]) + len(tcp_bytes).to_bytes(2, "big") + tcp_bytes)
    assert tcp_checksum(src, dst, tcp_bytes) == expected
    checked = tcp_bytes[:16] + expected.to_bytes(2, "big") + tcp_bytes[18:]
    assert tcp_checksum(src, dst, checked) == 0
