"""pcap writing checked by dpkt and tshark; reading checked on pcap and pcapng files
built by hand, by dpkt, by Wireshark's editcap and by tcpdump on the loopback."""

import io
import os
import shutil
import socket
import struct
import subprocess
import sys
import time

import dpkt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synack.tcp.options import NOP, SACK_PERMITTED, Mss, Timestamps, WindowScale
from synack.tcp.segment import Flags, Segment
from synack.wire import (
    CapturedPacket,
    PcapWriter,
    WireError,
    conversations,
    encode_ipv4,
    packets_from_trace,
    pcap_bytes,
    pcap_from_trace,
    read_pcap,
)

CLIENT, SERVER = "10.0.0.1", "10.0.0.2"
HANDSHAKE = [
    (0, CLIENT, SERVER, Segment(40312, 80, 1795438201, 0, Flags.SYN, 64240,
                                (Mss(1460), SACK_PERMITTED, Timestamps(1, 0), NOP, WindowScale(7)))),
    (50_000, SERVER, CLIENT, Segment(80, 40312, 9, 1795438202, Flags.SYN | Flags.ACK, 65160,
                                     (Mss(1460), SACK_PERMITTED, Timestamps(2, 1), NOP, WindowScale(7)))),
    (100_000, CLIENT, SERVER, Segment(40312, 80, 1795438202, 10, Flags.ACK, 502, (NOP, NOP, Timestamps(3, 2)))),
    (100_007, CLIENT, SERVER, Segment(40312, 80, 1795438202, 10, Flags.ACK | Flags.PSH, 502,
                                      (NOP, NOP, Timestamps(3, 2)), b"GET / HTTP/1.1\r\n\r\n")),
    (1_234_567_891, SERVER, CLIENT, Segment(80, 40312, 10, 1795438220, Flags.ACK | Flags.RST, 0)),
]


def ip_packets(rows=HANDSHAKE):
    return [(ts, encode_ipv4(src, dst, segment, ip_id=i)) for i, (ts, src, dst, segment) in enumerate(rows)]


def expected_packets(rows=HANDSHAKE):
    return [CapturedPacket(ts, src, dst, segment) for ts, src, dst, segment in rows]


# --- the writer, read back by dpkt -----------------------------------------

def test_dpkt_reads_our_pcap_with_right_times_and_bytes():
    records = ip_packets()
    reader = dpkt.pcap.Reader(io.BytesIO(pcap_bytes(records)))
    assert reader.datalink() == dpkt.pcap.DLT_EN10MB
    got = list(reader)
    assert len(got) == len(records)
    for (ts, frame), (ts_us, ip_packet) in zip(got, records, strict=True):
        assert round(ts * 1_000_000) == ts_us
        ethernet = dpkt.ethernet.Ethernet(frame)
        assert ethernet.type == dpkt.ethernet.ETH_TYPE_IP
        assert bytes(ethernet.data) == ip_packet
        assert ethernet.src == b"\x02\x00" + ip_packet[12:16]
        assert ethernet.dst == b"\x02\x00" + ip_packet[16:20]
        assert ethernet.src[0] & 0x02 and not ethernet.src[0] & 0x01  # locally administered, unicast


def test_header_is_little_endian_microsecond_ethernet():
    data = pcap_bytes([])
    assert data == struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1)


def test_same_records_give_identical_bytes():
    assert pcap_bytes(ip_packets()) == pcap_bytes(ip_packets())


def test_writer_on_a_file(tmp_path):
    path = tmp_path / "out.pcap"
    with open(path, "wb") as handle:
        writer = PcapWriter(handle)
        for ts_us, packet in ip_packets():
            writer.write(ts_us, packet)
    assert read_pcap(path) == expected_packets()


@pytest.mark.parametrize("ts_us", [-1, 1 << 60, 1.5])
def test_writer_refuses_bad_timestamps(ts_us):
    with pytest.raises(WireError, match="timestamp"):
        pcap_bytes([(ts_us, ip_packets()[0][1])])


def test_writer_refuses_non_ipv4():
    with pytest.raises(WireError, match="IPv4"):
        pcap_bytes([(0, b"\x60" + bytes(39))])


@given(st.lists(st.tuples(st.integers(0, 10**12), st.binary(max_size=200)), max_size=6))
def test_round_trip_through_our_reader(rows):
    packets = []
    for i, (ts_us, payload) in enumerate(rows):
        segment = Segment(1000 + i, 80, i * 7919, 0, Flags.ACK | Flags.PSH, 1000, (), payload)
        packets.append((ts_us, CLIENT, SERVER, segment))
    assert read_pcap(pcap_bytes(ip_packets(packets))) == expected_packets(packets)


# --- tshark as an independent dissector ------------------------------------

needs_tshark = pytest.mark.skipif(shutil.which("tshark") is None,
                                  reason="tshark is not on PATH (Debian package tshark; make system-deps)")


def tshark(path, *args):
    result = subprocess.run(
        ["tshark", "-n", "-r", str(path), "-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE", *args],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@needs_tshark
def test_tshark_finds_nothing_malformed_and_all_checksums_good(tmp_path):
    path = tmp_path / "handshake.pcap"
    path.write_bytes(pcap_bytes(ip_packets()))
    assert tshark(path, "-Y", "_ws.malformed") == ""
    messages = tshark(path, "-T", "fields", "-e", "_ws.expert.message")
    assert "Malformed" not in messages and "malformed" not in messages
    lines = tshark(path, "-T", "fields", "-e", "frame.time_epoch", "-e", "ip.checksum.status",
                   "-e", "tcp.checksum.status", "-e", "tcp.len", "-E", "separator=,").split()
    assert len(lines) == len(HANDSHAKE)
    for line, (ts_us, _, _, segment) in zip(lines, HANDSHAKE, strict=True):
        epoch, ip_status, tcp_status, tcp_len = line.split(",")
        assert round(float(epoch) * 1_000_000) == ts_us
        assert (ip_status, tcp_status) == ("1", "1")  # 1 is "Good"
        assert int(tcp_len) == len(segment.payload)


@needs_tshark
def test_tshark_reads_the_options_we_wrote(tmp_path):
    path = tmp_path / "syn.pcap"
    path.write_bytes(pcap_bytes(ip_packets()[:1]))
    fields = tshark(path, "-T", "fields", "-e", "tcp.options.mss_val", "-e", "tcp.options.wscale.shift",
                    "-e", "tcp.options.timestamp.tsval", "-e", "tcp.options.sack_perm", "-E", "separator=,")
    mss, shift, tsval, _ = fields.strip().split(",")
    assert (mss, shift, tsval) == ("1460", "7", "1")


@needs_tshark
def test_tshark_on_a_trace_export(tmp_path):
    path = tmp_path / "trace.pcap"
    path.write_bytes(pcap_from_trace(make_trace()))
    assert tshark(path, "-Y", "_ws.malformed || _ws.expert.severity >= 0x00800000") == ""
    assert tshark(path, "-Y", "tcp.checksum.status != 1 || ip.checksum.status != 1") == ""
    assert len(tshark(path).splitlines()) == len(HANDSHAKE)


# --- traces ----------------------------------------------------------------

def make_trace(rows=HANDSHAKE, lost=(2,)):
    steps = []
    for index, (ts_us, src, dst, segment) in enumerate(rows):
        steps.append({
            "index": index,
            "sent_us": ts_us,
            "arrives_us": None if index in lost else ts_us + 50_000,
            "segment": {"lost": index in lost, "ip_hex": encode_ipv4(src, dst, segment, ip_id=index).hex()},
        })
    return {"format": 1, "scenario": "test", "steps": steps}


def test_pcap_from_trace_has_one_packet_per_step_at_sent_time_lost_ones_too():
    assert read_pcap(pcap_from_trace(make_trace())) == expected_packets()
    assert pcap_from_trace(make_trace()) == pcap_bytes(ip_packets())


def test_packets_from_trace():
    assert packets_from_trace(make_trace()) == expected_packets()


@pytest.mark.parametrize("trace, fragment", [
    ([], "JSON object"),
    ({"format": 2, "steps": []}, "format 2"),
    ({"format": 1}, "no list of steps"),
    ({"steps": [{"sent_us": 0}]}, "step 0"),
    ({"steps": [{"sent_us": 0, "segment": {"ip_hex": "zz"}}]}, "step 0"),
    ({"steps": [{"sent_us": "0", "segment": {"ip_hex": "45"}}]}, "not an integer"),
])
def test_bad_traces(trace, fragment):
    with pytest.raises(WireError, match=fragment):
        pcap_from_trace(trace)


# --- reading: classic pcap built by hand -----------------------------------

def mac_frame(ip_packet, ethertype=b"\x08\x00", vlan=False):
    tag = b"\x81\x00\x00\x64" if vlan else b""
    return b"\x02\x00\x0a\x00\x00\x02" + b"\x02\x00\x0a\x00\x00\x01" + tag + ethertype + ip_packet


def link_frame(linktype, ip_packet, byteorder="<"):
    if linktype == 1:
        return mac_frame(ip_packet)
    if linktype == 0:
        return struct.pack(byteorder + "I", socket.AF_INET) + ip_packet
    if linktype == 108:
        return struct.pack(">I", socket.AF_INET) + ip_packet
    if linktype == 113:
        return bytes(dpkt.sll.SLL(type=4, hrd=1, hlen=6, hdr=b"\x02\x00\x0a\x00\x00\x01\x00\x00",
                                  ethtype=0x0800, data=ip_packet))
    if linktype == 276:
        return bytes(dpkt.sll2.SLL2(ethtype=0x0800, intindex=1, hrd=1, type=4, hlen=6,
                                    hdr=b"\x02\x00\x0a\x00\x00\x01\x00\x00", data=ip_packet))
    assert linktype in (101, 228)
    return ip_packet


def classic_pcap(records, *, order="<", nano=False, linktype=1, snaplen=262144):
    """records: (ts_us, frame[, orig_len])."""
    out = struct.pack(order + "IHHiIII", 0xA1B23C4D if nano else 0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype)
    for ts_us, frame, *orig in records:
        seconds, micros = divmod(ts_us, 1_000_000)
        fraction = micros * 1000 + 999 if nano else micros  # nanoseconds below a µs are dropped
        out += struct.pack(order + "IIII", seconds, fraction, len(frame), orig[0] if orig else len(frame)) + frame
    return out


@pytest.mark.parametrize("order", ["<", ">"])
@pytest.mark.parametrize("nano", [False, True])
@pytest.mark.parametrize("linktype", [0, 1, 101, 108, 113, 228, 276])
def test_classic_pcap_every_link_type_order_and_precision(order, nano, linktype):
    records = [(ts, link_frame(linktype, packet, order)) for ts, packet in ip_packets()]
    assert read_pcap(classic_pcap(records, order=order, nano=nano, linktype=linktype)) == expected_packets()


def test_vlan_tagged_ethernet():
    records = [(ts, mac_frame(packet, vlan=True)) for ts, packet in ip_packets()]
    assert read_pcap(classic_pcap(records)) == expected_packets()


def test_fcs_bits_in_the_link_type_field_are_ignored():
    records = [(ts, mac_frame(packet) + b"\xde\xad\xbe\xef") for ts, packet in ip_packets()]
    assert read_pcap(classic_pcap(records, linktype=1 | 0x14000000)) == expected_packets()


def test_dpkt_written_nanosecond_sll():
    out = io.BytesIO()
    writer = dpkt.pcap.Writer(out, snaplen=65535, linktype=dpkt.pcap.DLT_LINUX_SLL, nano=True)
    for ts_us, packet in ip_packets():
        writer.writepkt(link_frame(113, packet), ts=ts_us / 1_000_000)
    assert read_pcap(out.getvalue()) == expected_packets()


def test_other_packets_are_skipped():
    udp = dpkt.ip.IP(src=bytes([10, 0, 0, 1]), dst=bytes([10, 0, 0, 2]), p=17,
                     data=dpkt.udp.UDP(sport=53, dport=53, data=b"x"))
    fragment = dpkt.ip.IP(src=bytes([10, 0, 0, 1]), dst=bytes([10, 0, 0, 2]), p=6, mf=1,
                          data=bytes(encode_ipv4(CLIENT, SERVER, HANDSHAKE[0][3])[20:28]))
    ipv6 = bytes(dpkt.ip6.IP6(src=bytes(16), dst=bytes(16), nxt=6, hlim=64, data=b""))
    first = ip_packets()[0]
    records = [
        (1, mac_frame(bytes(udp))),
        (2, mac_frame(b"\x00" * 28, ethertype=b"\x08\x06")),  # ARP
        (3, mac_frame(ipv6, ethertype=b"\x86\xdd")),
        (4, mac_frame(bytes(fragment))),
        (5, b"\x02\x00"),  # a runt frame
        (first[0], mac_frame(first[1])),
    ]
    assert read_pcap(classic_pcap(records)) == expected_packets()[:1]
    assert read_pcap(classic_pcap([(3, ipv6)], linktype=101)) == []


def test_snaplen_truncated_packet_keeps_its_length():
    ts_us, packet = ip_packets()[3]
    frame = mac_frame(packet)
    cut = 14 + 20 + 32 + 4  # Ethernet, IP, TCP with options, 4 of 18 payload bytes
    [captured] = read_pcap(classic_pcap([(ts_us, frame[:cut], len(frame))], snaplen=cut))
    original = HANDSHAKE[3][3]
    assert captured.truncated
    assert not captured.segment.checksum_ok
    assert captured.segment.seq == original.seq and len(captured.segment.payload) == len(original.payload)
    assert captured.segment.payload == original.payload[:4] + bytes(14)


def test_packet_cut_inside_tcp_header_is_skipped_or_strict_error():
    ts_us, packet = ip_packets()[0]
    data = classic_pcap([(ts_us, mac_frame(packet)[:14 + 20 + 10], 74)])
    assert read_pcap(data) == []
    with pytest.raises(WireError, match="Packet 1 of the capture: .*TCP header"):
        read_pcap(data, strict=True)


def test_bad_tcp_inside_a_capture_is_skipped_unless_strict():
    ts_us, packet = ip_packets()[0]
    broken = bytearray(packet)
    broken[20 + 12] = 0x30  # data offset 3
    data = classic_pcap([(ts_us, mac_frame(bytes(broken))), (ts_us, mac_frame(packet))])
    assert read_pcap(data) == expected_packets()[:1]
    with pytest.raises(WireError, match="data offset 3"):
        read_pcap(data, strict=True)


def test_sources(tmp_path):
    data = pcap_bytes(ip_packets())
    path = tmp_path / "x.pcap"
    path.write_bytes(data)
    for source in (data, bytearray(data), memoryview(data), str(path), path, io.BytesIO(data)):
        assert read_pcap(source) == expected_packets()


@pytest.mark.parametrize("data, fragment", [
    (b"", "The capture is empty"),
    (b"\x00\x01\x02\x03" + bytes(20), "magic number of neither"),
    (struct.pack("<I", 0xA1B2C3D4) + bytes(10), "24-byte pcap file header"),
    (struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 105), "link type 105"),
    (pcap_bytes([]) + bytes(10), "inside the header of packet 1"),
    (pcap_bytes([]) + struct.pack("<IIII", 0, 0, 100, 100) + bytes(20), "inside packet 1"),
])
def test_broken_classic_files(data, fragment):
    with pytest.raises(WireError, match=fragment):
        read_pcap(data)


def test_missing_file(tmp_path):
    with pytest.raises(WireError, match="Cannot read the capture"):
        read_pcap(tmp_path / "nope.pcap")


# --- reading: pcapng -------------------------------------------------------

def block(order, block_type, body):
    body += bytes(-len(body) % 4)
    total = len(body) + 12
    return struct.pack(order + "II", block_type, total) + body + struct.pack(order + "I", total)


def option(order, code, value):
    return struct.pack(order + "HH", code, len(value)) + value + bytes(-len(value) % 4)


def section(order):
    return block(order, 0x0A0D0D0A, struct.pack(order + "IHHq", 0x1A2B3C4D, 1, 0, -1)
                 + option(order, 3, b"synack test") + option(order, 0, b""))


def interface(order, linktype, *options):
    body = struct.pack(order + "HHI", linktype, 0, 262144)
    if options:
        body += b"".join(options) + option(order, 0, b"")
    return block(order, 1, body)


def enhanced(order, interface_id, ticks, frame, orig_len=None):
    return block(order, 6, struct.pack(order + "IIIII", interface_id, ticks >> 32, ticks & 0xFFFFFFFF,
                                       len(frame), orig_len or len(frame)) + frame)


def obsolete(order, interface_id, ticks, frame):
    return block(order, 2, struct.pack(order + "HHIIII", interface_id, 0, ticks >> 32, ticks & 0xFFFFFFFF,
                                       len(frame), len(frame)) + frame)


@pytest.mark.parametrize("order", ["<", ">"])
def test_pcapng_by_hand(order):
    nano = option(order, 9, b"\x09")
    binary = option(order, 9, b"\x94")  # 2**-20 s
    offset = option(order, 14, struct.pack(order + "q", -100))
    records = ip_packets()
    data = section(order)
    data += interface(order, 1)                     # 0: Ethernet, microseconds
    data += interface(order, 276, nano)             # 1: SLL2, nanoseconds
    data += interface(order, 147)                   # 2: a link type synack does not read
    data += interface(order, 101, binary, offset)   # 3: raw IP, 2**-20 s, -100 s offset
    data += enhanced(order, 0, records[0][0], mac_frame(records[0][1]))
    data += block(order, 3, struct.pack(order + "I", 60) + bytes(60))  # simple packet block: no time, skipped
    data += enhanced(order, 1, records[1][0] * 1000 + 999, link_frame(276, records[1][1]))
    data += enhanced(order, 2, 5, b"\x00" * 40)
    data += block(order, 4, option(order, 0, b""))  # name resolution block: ignored
    data += obsolete(order, 0, records[2][0], mac_frame(records[2][1]))
    ticks = ((records[3][0] + 100_000_000) << 20) // 1_000_000 + 1  # just past the µs, which rounds down
    data += enhanced(order, 3, ticks, records[3][1])
    data += block(order, 5, struct.pack(order + "III", 0, 0, 0))  # interface statistics: ignored
    data += section(order) + interface(order, 228)  # a new section forgets the old interfaces
    data += enhanced(order, 0, records[4][0], records[4][1])
    assert read_pcap(data) == expected_packets()


def test_pcapng_written_by_dpkt():
    out = io.BytesIO()
    writer = dpkt.pcapng.Writer(out, snaplen=65535, linktype=dpkt.pcap.DLT_EN10MB)
    for ts_us, packet in ip_packets():
        writer.writepkt(mac_frame(packet), ts=ts_us / 1_000_000)
    assert read_pcap(out.getvalue()) == expected_packets()


@pytest.mark.parametrize("data, fragment", [
    (b"\x0a\x0d\x0d\x0a" + bytes(4), "inside a block header"),
    (b"\x0a\x0d\x0d\x0a" + struct.pack("<I", 28) + b"\x01\x02\x03\x04" + bytes(16), "byte-order magic"),
    (section("<")[:-4] + struct.pack("<I", 1), "different leading and trailing lengths"),
    (section("<")[:4] + struct.pack("<I", 30) + section("<")[8:], "impossible length 30"),
    (section("<") + interface("<", 1)[:-8], "ends inside the block"),
    (section("<") + enhanced("<", 0, 0, b"x"), "never described"),
    (section("<") + interface("<", 1) + block("<", 6, struct.pack("<IIIII", 0, 0, 0, 500, 500)), "more than its block"),
    (section("<") + interface("<", 1) + block("<", 6, b"\x00" * 8), "shorter than its 20"),
    (block("<", 0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 2, 0, -1)), "version 1"),
])
def test_broken_pcapng_files(data, fragment):
    with pytest.raises(WireError, match=fragment):
        read_pcap(data)


@needs_tshark
@pytest.mark.skipif(shutil.which("editcap") is None, reason="editcap is not on PATH (Debian package wireshark-common)")
def test_pcapng_written_by_editcap(tmp_path):
    source = tmp_path / "in.pcap"
    target = tmp_path / "out.pcapng"
    source.write_bytes(pcap_bytes(ip_packets()))
    subprocess.run(["editcap", "-F", "pcapng", str(source), str(target)], check=True, capture_output=True, timeout=60)
    assert target.read_bytes()[:4] == b"\x0a\x0d\x0d\x0a"
    assert read_pcap(target) == expected_packets()


# --- malformed files never raise anything but WireError --------------------

def _read_or_wire_error(data):
    try:
        read_pcap(data, strict=True)
    except WireError:
        pass


@settings(max_examples=300)
@given(st.binary(max_size=200))
def test_random_bytes(data):
    _read_or_wire_error(data)
    _read_or_wire_error(b"\xd4\xc3\xb2\xa1" + data)
    _read_or_wire_error(b"\x0a\x0d\x0d\x0a" + data)


GOOD_PCAP = pcap_bytes(ip_packets())
GOOD_PCAPNG = (section("<") + interface("<", 1, option("<", 9, b"\x09"))
               + b"".join(enhanced("<", 0, ts * 1000, mac_frame(p)) for ts, p in ip_packets()))


@settings(max_examples=300)
@given(st.sampled_from([GOOD_PCAP, GOOD_PCAPNG]),
       st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=6),
       st.integers(0, 10**6))
def test_corrupted_files(data, corruptions, cut):
    corrupted = bytearray(data)
    for position, value in corruptions:
        corrupted[position % len(corrupted)] = value
    _read_or_wire_error(bytes(corrupted))
    _read_or_wire_error(bytes(corrupted[:cut % (len(corrupted) + 1)]))


# --- real captures by tcpdump on the loopback -----------------------------

@pytest.mark.root
@pytest.mark.skipif(shutil.which("tcpdump") is None or os.geteuid() != 0,
                    reason="needs root and tcpdump to capture on the loopback")
@pytest.mark.parametrize("interface_name, extra, linktype", [
    ("lo", [], 1),
    ("any", ["--time-stamp-precision=nano"], 276),
])
def test_reads_a_real_tcpdump_capture(tmp_path, interface_name, extra, linktype):
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    path = tmp_path / "lo.pcap"
    # A small snapshot length: in immediate mode every ring slot is snaplen bytes, and with the
    # default 262144 the 2 MiB ring holds 8 packets, so a busy machine drops the FINs.
    capture = subprocess.Popen(
        ["tcpdump", "-i", interface_name, "-U", "--immediate-mode", "-s", "2048", *extra, "-w", str(path),
         f"tcp port {port} and host 127.0.0.1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        started = ""
        for _ in range(5):  # "listening on ..." once the filter is in place, maybe after a link-type note
            started = capture.stderr.readline()
            if not started or "listening" in started:
                break
        if "listening" not in started:
            pytest.skip(f"tcpdump cannot capture here: {started.strip()}")
        client = socket.create_connection(("127.0.0.1", port), timeout=5)
        accepted, _ = server.accept()
        client.sendall(b"hello")
        assert accepted.recv(16) == b"hello"
        client.close()
        assert accepted.recv(16) == b""
        accepted.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            got = [p for p in read_pcap(path) if p.segment.fin] if path.exists() and path.stat().st_size > 24 else []
            if len(got) >= 2:
                break
            time.sleep(0.05)
    finally:
        capture.terminate()
        capture.wait(timeout=10)
        server.close()
    assert int.from_bytes(path.read_bytes()[20:24], sys.byteorder) == linktype  # tcpdump writes host order
    [conversation] = conversations(read_pcap(path))
    forward_flags = [row.flags for row in conversation.forward]
    reverse_flags = [row.flags for row in conversation.reverse]
    assert forward_flags[0] == "S" and reverse_flags[0] == "S."
    assert conversation.forward[0].option_kinds == ("mss", "sackOK", "TS", "nop", "wscale")
    assert "P." in forward_flags and "F." in forward_flags and "F." in reverse_flags
    data_row = conversation.forward[forward_flags.index("P.")]
    assert (data_row.rel_seq, data_row.rel_ack, data_row.length) == (1, 1, 5)
