"""Segment <-> bytes: round trips, dpkt as an independent parser and builder, and
malformed input that must give WireError and nothing else."""

import dpkt
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from synack.tcp.options import (
    EOL,
    NOP,
    SACK_PERMITTED,
    FastOpen,
    Mss,
    Sack,
    Timestamps,
    UnknownOption,
    WindowScale,
)
from synack.tcp.segment import Flags, Segment
from synack.wire import (
    WireError,
    decode_ipv4,
    decode_options,
    decode_segment,
    encode_ipv4,
    encode_options,
    encode_segment,
)

KNOWN_KINDS = {0, 1, 2, 3, 4, 5, 8, 34, 254}

u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFFFFFF)
ip_addresses = st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: ".".join(map(str, t)))
single_options = st.one_of(
    st.just(NOP),
    st.builds(Mss, u16),
    st.builds(WindowScale, st.integers(0, 255)),
    st.just(SACK_PERMITTED),
    st.builds(Sack, st.lists(st.tuples(u32, u32), max_size=4).map(tuple)),
    st.builds(Timestamps, u32, u32),
    st.builds(FastOpen, st.binary(max_size=16), st.booleans()),
    st.builds(UnknownOption, st.integers(2, 255).filter(lambda k: k not in KNOWN_KINDS), st.binary(max_size=12)),
)
option_lists = st.lists(single_options, max_size=12).map(tuple).filter(lambda o: sum(x.size() for x in o) <= 40)
segments = st.builds(
    Segment,
    src_port=u16,
    dst_port=u16,
    seq=u32,
    ack=u32,
    flags=st.integers(0, 0xFFF).map(Flags),
    window=u16,
    options=option_lists,
    payload=st.binary(max_size=1600),
    urgent=u16,
    checksum_ok=st.just(True),  # what a decoder reports for bytes we encoded
)

LINUX_SYN = Segment(40312, 80, 1795438201, 0, Flags.SYN, 64240,
                    (Mss(1460), SACK_PERMITTED, Timestamps(2716437377, 0), NOP, WindowScale(7)))


# --- round trips -----------------------------------------------------------

@given(segments, ip_addresses, ip_addresses)
def test_segment_round_trip(segment, src_ip, dst_ip):
    data = encode_segment(src_ip, dst_ip, segment)
    decoded = decode_segment(data, src_ip, dst_ip)
    assert decoded == segment
    assert decoded.checksum_ok


@given(segments, ip_addresses, ip_addresses, u16, st.integers(1, 255), st.booleans())
def test_ipv4_round_trip(segment, src_ip, dst_ip, ip_id, ttl, df):
    packet = encode_ipv4(src_ip, dst_ip, segment, ip_id=ip_id, ttl=ttl, df=df)
    got_src, got_dst, decoded = decode_ipv4(packet)
    assert (got_src, got_dst, decoded) == (src_ip, dst_ip, segment)
    assert decoded.checksum_ok


@given(option_lists)
def test_options_round_trip_and_padding(options):
    raw = encode_options(options)
    assert len(raw) % 4 == 0
    assert len(raw) - sum(o.size() for o in options) < 4
    assert decode_options(raw) == options


@given(option_lists, st.lists(single_options, max_size=3).map(tuple))
def test_eol_ends_the_option_list(before, after):
    assume(sum(o.size() for o in before + (EOL,) + after) <= 40)
    assert decode_options(encode_options(before + (EOL,) + after)) == before


# --- dpkt as the independent parser ----------------------------------------

@settings(max_examples=300)
@given(segments, ip_addresses, ip_addresses, u16, st.integers(1, 255), st.booleans())
def test_dpkt_reads_our_fields_and_agrees_on_checksums(segment, src_ip, dst_ip, ip_id, ttl, df):
    packet = encode_ipv4(src_ip, dst_ip, segment, ip_id=ip_id, ttl=ttl, df=df)
    ip = dpkt.ip.IP(packet)
    assert ip.v == 4 and ip.hl == 5 and ip.len == len(packet) and ip.p == 6
    assert ip.id == ip_id and ip.ttl == ttl and bool(ip.df) == df and ip.offset == 0 and not ip.mf
    assert ip.src == bytes(map(int, src_ip.split("."))) and ip.dst == bytes(map(int, dst_ip.split(".")))
    tcp = ip.data
    assert isinstance(tcp, dpkt.tcp.TCP)
    assert (tcp.sport, tcp.dport, tcp.seq, tcp.ack) == (segment.src_port, segment.dst_port, segment.seq, segment.ack)
    assert tcp.flags == int(segment.flags) & 0x1FF  # dpkt names 9 bits (NS); the other 3 are reserved
    assert tcp._off_flags & 0xFFF == int(segment.flags)
    assert (tcp.win, tcp.urp, tcp.data) == (segment.window, segment.urgent, segment.payload)
    assert tcp.off * 4 == 20 + len(tcp.opts)
    # dpkt's own option parser sees the kinds in our order (it also reports the EOL padding).
    kinds = [kind for kind, _ in dpkt.tcp.parse_opts(tcp.opts) if kind != 0]
    assert kinds == [o.kind if not (isinstance(o, FastOpen) and o.experimental) else 254 for o in segment.options]
    # dpkt recomputes both checksums when they are zeroed; they must equal ours.
    ours_ip, ours_tcp = ip.sum, tcp.sum
    ip.sum = 0
    tcp.sum = 0
    rebuilt = dpkt.ip.IP(bytes(ip))
    assert (rebuilt.sum, rebuilt.data.sum) == (ours_ip, ours_tcp)


def test_linux_syn_bytes_are_exact():
    packet = encode_ipv4("10.0.0.1", "10.0.0.2", LINUX_SYN)
    assert len(packet) == 60
    tcp = packet[20:]
    assert tcp[12] >> 4 == 10  # 40-byte header: 20 fixed + 20 of options, no padding
    assert tcp[20:] == bytes.fromhex("020405b4" "0402" "080aa1e98b8100000000" "01" "030307")


# --- dpkt as the independent builder ---------------------------------------

def dpkt_packet(src, dst, sport, dport, seq, ack, flags, win, opts=b"", data=b""):
    tcp = dpkt.tcp.TCP(sport=sport, dport=dport, seq=seq, ack=ack, flags=flags, win=win, opts=opts, data=data)
    tcp.off = (20 + len(opts)) // 4
    ip = dpkt.ip.IP(src=src, dst=dst, p=6, ttl=64, data=tcp)
    ip.len = 20 + len(bytes(tcp))
    return bytes(ip)


def test_decodes_a_packet_dpkt_built():
    opts = bytes.fromhex("0101080a00000001000000020101050a0000000a00000014")
    packet = dpkt_packet(bytes([192, 168, 1, 2]), bytes([192, 168, 1, 3]), 5000, 443, 123456, 654321,
                         dpkt.tcp.TH_ACK | dpkt.tcp.TH_PUSH, 512, opts, b"hello")
    src, dst, segment = decode_ipv4(packet)
    assert (src, dst) == ("192.168.1.2", "192.168.1.3")
    assert segment == Segment(5000, 443, 123456, 654321, Flags.ACK | Flags.PSH, 512,
                              (NOP, NOP, Timestamps(1, 2), NOP, NOP, Sack(((10, 20),))), b"hello")
    assert segment.checksum_ok


def test_bad_tcp_checksum_is_flagged_not_raised():
    packet = bytearray(encode_ipv4("10.0.0.1", "10.0.0.2", LINUX_SYN))
    packet[20 + 16] ^= 0x01
    assert not decode_ipv4(bytes(packet))[2].checksum_ok


def test_bad_ip_header_checksum_is_flagged():
    packet = bytearray(encode_ipv4("10.0.0.1", "10.0.0.2", LINUX_SYN))
    packet[10] ^= 0x01
    assert not decode_ipv4(bytes(packet))[2].checksum_ok


def test_checksum_unchecked_without_addresses():
    data = bytearray(encode_segment("10.0.0.1", "10.0.0.2", LINUX_SYN))
    data[16] ^= 0xFF
    assert decode_segment(bytes(data)).checksum_ok
    assert not decode_segment(bytes(data), "10.0.0.1", "10.0.0.2").checksum_ok


def test_ethernet_padding_after_total_length_is_ignored():
    packet = encode_ipv4("10.0.0.1", "10.0.0.2", Segment(1, 2, 3, 4, Flags.ACK, 5))
    assert decode_ipv4(packet + bytes(6))[2] == Segment(1, 2, 3, 4, Flags.ACK, 5)


# --- options in detail -----------------------------------------------------

def test_fast_open_encodings():
    assert encode_options((FastOpen(b"\x01\x02\x03\x04"),)) == bytes.fromhex("220601020304") + bytes(2)
    assert encode_options((FastOpen(),)) == bytes.fromhex("2202") + bytes(2)
    assert encode_options((FastOpen(b"\xaa\xbb\xcc\xdd", experimental=True),)) == bytes.fromhex("fe08f989aabbccdd")
    assert decode_options(bytes.fromhex("fe04f989")) == (FastOpen(experimental=True),)


def test_kind_254_without_the_fast_open_magic_stays_unknown():
    assert decode_options(bytes.fromhex("fe0412340000")) == (UnknownOption(254, b"\x12\x34"),)


def test_known_kind_with_wrong_length_is_kept_as_unknown():
    options = decode_options(bytes.fromhex("020305" "01"))
    assert options == (UnknownOption(2, b"\x05"), NOP)
    assert encode_options(options) == bytes.fromhex("02030501")


def test_tail_padding_only():
    assert encode_options((Mss(1460), WindowScale(7))) == bytes.fromhex("020405b4" "030307" "00")
    assert encode_options((NOP, NOP, Timestamps(1, 2))) == bytes.fromhex("0101080a0000000100000002")


@pytest.mark.parametrize("raw, fragment", [
    (bytes.fromhex("02"), "no room for its length byte"),
    (bytes.fromhex("0201"), "length 1"),
    (bytes.fromhex("0200"), "length 0"),
    (bytes.fromhex("080a0000"), "past the end"),
])
def test_malformed_option_lists(raw, fragment):
    with pytest.raises(WireError, match=fragment):
        decode_options(raw)


def test_malformed_options_inside_a_packet_raise_wire_error():
    packet = bytearray(encode_ipv4("10.0.0.1", "10.0.0.2", LINUX_SYN))
    packet[20 + 20 + 1] = 0  # the MSS option's length byte
    with pytest.raises(WireError):
        decode_ipv4(bytes(packet))


@pytest.mark.parametrize("options, fragment", [
    ((Timestamps(1, 2),) * 5, "at most 40"),
    ((Mss(70000),), "out of range"),
    ((UnknownOption(1, b""),), "single byte"),
    ((FastOpen(bytes(300)),), "at most 255"),
    (("mss",), "not a TCP option"),
])
def test_options_that_cannot_be_encoded(options, fragment):
    with pytest.raises(WireError, match=fragment):
        encode_options(options)


# --- errors on encoding ----------------------------------------------------

@pytest.mark.parametrize("changes, fragment", [
    ({"src_port": 70000}, "source port"),
    ({"seq": -1}, "sequence number"),
    ({"ack": 1 << 32}, "acknowledgment number"),
    ({"window": 65536}, "window"),
    ({"flags": Flags(0x1000)}, "flags"),
    ({"payload": "text"}, "bytes"),
    ({"payload": bytes(65536)}, "at most 65535"),
])
def test_segments_that_cannot_be_encoded(changes, fragment):
    # The compiled build refuses a wrongly typed field when the segment is built (TypeError),
    # the pure one when it is encoded.
    with pytest.raises((WireError, TypeError), match=fragment):
        encode_ipv4("10.0.0.1", "10.0.0.2", LINUX_SYN.replace(**changes))


@pytest.mark.parametrize("address", ["10.0.0", "10.0.0.256", "010.0.0.1", "a.b.c.d", "1.2.3.4 ", "", "١.2.3.4"])
def test_bad_addresses(address):
    with pytest.raises(WireError, match="dotted-quad"):
        encode_segment(address, "10.0.0.2", LINUX_SYN)


def test_ip_header_fields_out_of_range():
    with pytest.raises(WireError, match="IPv4 header field"):
        encode_ipv4("10.0.0.1", "10.0.0.2", LINUX_SYN, ttl=256)


# --- malformed input -------------------------------------------------------

@pytest.mark.parametrize("data, fragment", [
    (b"\x45\x00", "at least 20 bytes"),
    (bytes.fromhex("6000000000000000") + bytes(32), "IP version 6"),
    (bytes.fromhex("44000028000040004006") + bytes(30), "header length 4"),
    (bytes.fromhex("45000010000040004006") + bytes(30), "shorter than its own"),
    (bytes.fromhex("45000028000040004011") + bytes(30), "protocol 17"),
    (bytes.fromhex("45000028000020004006") + bytes(30), "fragment"),
    (bytes.fromhex("45000100000040004006") + bytes(30), "total length is 256"),
    (bytes.fromhex("45000028000040004006") + bytes(10) + bytes(12) + b"\x40" + bytes(7), "data offset 4"),
    (bytes.fromhex("45000028000040004006") + bytes(10) + bytes(12) + b"\xf0" + bytes(7), "takes 60 bytes"),
])
def test_malformed_packets(data, fragment):
    with pytest.raises(WireError, match=fragment):
        decode_ipv4(data)


def test_decode_segment_needs_both_addresses_or_neither():
    with pytest.raises(TypeError):
        decode_segment(encode_segment("10.0.0.1", "10.0.0.2", LINUX_SYN), "10.0.0.1")


@settings(max_examples=500)
@given(st.binary(max_size=120))
@example(bytes.fromhex("450000300000400040060000") + bytes(8) + bytes(12) + b"\x60" + bytes(7) + b"\x02")
def test_random_bytes_give_wire_error_or_a_segment(data):
    for decode in (decode_ipv4, decode_segment, decode_options):
        try:
            decode(data)
        except WireError:
            pass


@settings(max_examples=500)
@given(segments, st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=8))
def test_corrupted_packets_give_wire_error_or_a_segment(segment, corruptions):
    packet = bytearray(encode_ipv4("10.0.0.1", "10.0.0.2", segment))
    for position, value in corruptions:
        packet[position % len(packet)] = value
    try:
        decode_ipv4(bytes(packet))
    except WireError:
        pass


@given(segments)
def test_truncated_packets_give_wire_error(segment):
    packet = encode_ipv4("10.0.0.1", "10.0.0.2", segment)
    for cut in range(len(packet) - 1, max(len(packet) - 70, -1), -7):
        with pytest.raises(WireError):
            decode_ipv4(packet[:cut])


def test_flags_keep_the_reserved_bits():
    segment = Segment(1, 2, 3, 4, Flags(0x1D2), 5)  # AE/reserved bit 0x100 with ECE|ACK|SYN
    data = encode_segment("10.0.0.1", "10.0.0.2", segment)
    assert data[12] & 0x0F == 0x1 and data[13] == 0xD2
    assert decode_segment(data).flags == Flags(0x1D2)
