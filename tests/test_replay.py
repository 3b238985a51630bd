"""synack replay: the streaming reader on every format and link type, the observer against the
simulator's own states, the command's formats, and damaged files (one sentence, never a traceback)."""

import json
import struct

import dpkt
import pytest
from test_wire_pcap import classic_pcap, enhanced, interface, link_frame, option, section

from synack.cli import main
from synack.replay.capture import FilterError, parse_filter, scan, select, summarize, summary_row, tally
from synack.scenarios import run_scenario
from synack.tcp.options import Mss, UnknownOption
from synack.tcp.segment import Flags, Segment
from synack.trace.json_view import trace_json
from synack.wire.codec import decode_options_lenient, encode_ipv4
from synack.wire.pcap import pcap_from_trace
from synack.wire.reader import CaptureError, CaptureReader, decode_frame

# --- the observer against the simulator --------------------------------------

SINGLE = ["handshake", "client_close", "client_close_lingering_server", "server_close", "half_close", "refused",
          "syn_lost", "synack_lost", "abort", "close_unread", "simultaneous_open", "simultaneous_close",
          "keepalive", "syn_cookies", "in_window_attacks"]


def simulated(name, **settings):
    trace = trace_json(run_scenario(name, **settings))
    return trace, scan(pcap_from_trace(trace), record=True)


@pytest.mark.parametrize("name", SINGLE)
@pytest.mark.parametrize("loss", [0.0, 0.2])
def test_final_states_match_the_simulation(name, loss):
    """The simulator's pcap, replayed: both ends end where the engine really left them."""
    trace, found = simulated(name, loss=loss, seed=3)
    [conn] = found.connections
    first = trace["steps"][0]["segment"]["from"]
    other = next(e["name"] for e in trace["endpoints"] if e.get("tcp") and e["name"] != first)
    truth = trace["steps"][-1]["states"]
    final = conn.final_states()
    # A '?' is an honest "probably": it must still name the right state.
    assert final["client"].rstrip("?") == truth[first]
    assert final["server"].rstrip("?") == truth[other]


def test_the_handshake_lesson_is_inferred_step_for_step():
    trace, found = simulated("handshake")
    [conn] = found.connections
    for step, (_, after) in zip(trace["steps"], conn.snapshots(), strict=True):
        assert after == step["states"], step["note"]


def test_lost_syns_are_inferred_lost_and_the_one_that_arrived_is_not():
    trace, found = simulated("syn_lost")
    [conn] = found.connections
    assert [s.lost for s in conn.steps] == [s["segment"]["lost"] for s in trace["steps"]][:len(conn.steps)]
    assert conn.steps[0].lost and not conn.steps[1].lost


def test_simultaneous_open_and_close_cross_as_in_rfc_9293():
    _, found = simulated("simultaneous_open")
    [conn] = found.connections
    states = [after for _, after in conn.snapshots()]
    assert {"client": "SYN_RECEIVED", "server": "SYN_SENT"} in states  # figure 7: the SYNs crossed
    _, found = simulated("simultaneous_close")
    [conn] = found.connections
    assert any(a == {"client": "CLOSING", "server": "FIN_WAIT_1"} or a["client"] == "CLOSING"
               for _, a in conn.snapshots())
    assert conn.how_it_ended() == "FIN simultaneous"
    assert conn.final_states() == {"client": "TIME_WAIT", "server": "TIME_WAIT"}


def test_how_it_ended():
    assert simulated("client_close")[1].connections[0].how_it_ended() == "FIN 3-way"
    assert simulated("handshake")[1].connections[0].how_it_ended() == "FIN 4-way"
    assert simulated("server_close")[1].connections[0].how_it_ended() == "FIN 4-way"
    assert simulated("refused")[1].connections[0].how_it_ended() == "refused (RST)"
    assert simulated("abort")[1].connections[0].how_it_ended().startswith("RST by")


def test_fast_open_data_in_the_syn_is_counted():
    _, found = simulated("fast_open")
    assert len(found.connections) == 2  # the cookie request, then the connection that uses it
    second = summary_row(found.connections[1])
    assert second["bytes_client_to_server"] > 0
    assert second["first_data_us"] == 0  # the data rode on the SYN itself


# --- builders for hand-made captures ---------------------------------------

C, S = "10.0.0.1", "10.0.0.2"


def segment_rows(client=C, server=S, sport=40000, isn_c=1000, isn_s=5000, data=b"hello"):
    """A whole lifecycle: handshake, data, its ACK, a four-way close."""
    n = len(data)
    return [
        (0, client, server, Segment(sport, 80, isn_c, 0, Flags.SYN, 64240, (Mss(1460),))),
        (10_000, server, client, Segment(80, sport, isn_s, isn_c + 1, Flags.SYN | Flags.ACK, 65160, (Mss(1460),))),
        (20_000, client, server, Segment(sport, 80, isn_c + 1, isn_s + 1, Flags.ACK, 502)),
        (20_100, client, server, Segment(sport, 80, isn_c + 1, isn_s + 1, Flags.ACK | Flags.PSH, 502, (), data)),
        (30_000, server, client, Segment(80, sport, isn_s + 1, isn_c + 1 + n, Flags.ACK, 509)),
        (40_000, client, server, Segment(sport, 80, isn_c + 1 + n, isn_s + 1, Flags.FIN | Flags.ACK, 502)),
        (50_000, server, client, Segment(80, sport, isn_s + 1, isn_c + 2 + n, Flags.ACK, 509)),
        (60_000, server, client, Segment(80, sport, isn_s + 1, isn_c + 2 + n, Flags.FIN | Flags.ACK, 509)),
        (70_000, client, server, Segment(sport, 80, isn_c + 2 + n, isn_s + 2, Flags.ACK, 502)),
    ]


def ipv4_frames(rows):
    return [(ts, encode_ipv4(src, dst, seg)) for ts, src, dst, seg in rows]


def ipv6_packet(src, dst, seg, extension=False):
    tcp = dpkt.tcp.TCP(sport=seg.src_port, dport=seg.dst_port, seq=seg.seq, ack=seg.ack, flags=int(seg.flags),
                       win=seg.window, data=seg.payload)
    ip6 = dpkt.ip6.IP6(src=src, dst=dst, nxt=dpkt.ip.IP_PROTO_TCP, hlim=64, data=tcp, plen=len(bytes(tcp)))
    raw = bytes(ip6)
    if extension:
        # A hop-by-hop options header (8 bytes, PadN) before TCP: the reader must skip it.
        hop = bytes([6, 0, 1, 4, 0, 0, 0, 0])
        plen = struct.unpack("!H", raw[4:6])[0] + 8
        raw = raw[:4] + struct.pack("!H", plen) + bytes([0]) + raw[7:40] + hop + raw[40:]
    return raw


def expected_summary(found):
    [conn] = found.connections
    row = summary_row(conn)
    return (row["ended"], row["final_states"], row["bytes_client_to_server"], row["syn_to_synack_us"],
            row["synack_to_ack_us"])


LIFECYCLE = ("FIN 4-way", {"client": "TIME_WAIT", "server": "CLOSED"}, 5, 10_000, 10_000)


@pytest.mark.parametrize("order", ["<", ">"])
@pytest.mark.parametrize("nano", [False, True])
@pytest.mark.parametrize("linktype", [0, 1, 101, 108, 113, 228, 276])
def test_every_link_type_byte_order_and_precision(order, nano, linktype):
    data = classic_pcap([(ts, link_frame(linktype, ip, order)) for ts, ip in ipv4_frames(segment_rows())],
                        order=order, nano=nano, linktype=linktype)
    assert expected_summary(scan(data)) == LIFECYCLE


def test_vlan_and_qinq_tags():
    def tagged(ip):
        return (b"\x02\x00\x0a\x00\x00\x02\x02\x00\x0a\x00\x00\x01" + b"\x88\xa8\x00\x0a" + b"\x81\x00\x00\x64"
                + b"\x08\x00" + ip)
    data = classic_pcap([(ts, tagged(ip)) for ts, ip in ipv4_frames(segment_rows())])
    assert expected_summary(scan(data)) == LIFECYCLE


@pytest.mark.parametrize("linktype", [1, 101, 229, 276, 0])
def test_ipv6_with_and_without_extension_headers(linktype):
    a, b = "2001:db8::1", "2001:db8::2"
    import ipaddress
    src_raw, dst_raw = ipaddress.IPv6Address(a).packed, ipaddress.IPv6Address(b).packed
    frames = []
    for i, (ts, src, _, seg) in enumerate(segment_rows()):
        packed = (src_raw, dst_raw) if src == C else (dst_raw, src_raw)
        ip = ipv6_packet(*packed, seg, extension=i % 2 == 0)
        if linktype == 1:
            frame = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x86\xdd" + ip
        elif linktype == 276:
            frame = bytes(dpkt.sll2.SLL2(ethtype=0x86DD, intindex=1, hrd=1, type=4, hlen=6,
                                         hdr=b"\x02\x00\x0a\x00\x00\x01\x00\x00", data=ip))
        elif linktype == 0:
            frame = struct.pack("<I", 30) + ip  # AF_INET6 as macOS numbers it
        else:
            frame = ip
        frames.append((ts, frame))
    found = scan(classic_pcap(frames, linktype=linktype))
    assert expected_summary(found) == LIFECYCLE
    assert summary_row(found.connections[0])["client"] == "[2001:db8::1]:40000"


def test_pcapng_with_two_interfaces_of_different_link_types_and_resolutions():
    order = "<"
    frames = ipv4_frames(segment_rows())
    blocks = section(order) + interface(order, 1) + interface(order, 101, option(order, 9, b"\x09"))
    for i, (ts, ip) in enumerate(frames):
        if i % 2:
            blocks += enhanced(order, 1, ts * 1000, ip)  # nanoseconds on the raw-IP interface
        else:
            blocks += enhanced(order, 0, ts, link_frame(1, ip))
    found = scan(blocks)
    assert expected_summary(found) == LIFECYCLE
    assert found.linktypes == {1, 101}


def test_pcapng_interface_of_an_unknown_link_type_is_skipped_with_a_warning():
    order = ">"
    frames = ipv4_frames(segment_rows())
    blocks = section(order) + interface(order, 1) + interface(order, 147)
    for ts, ip in frames:
        blocks += enhanced(order, 0, ts, link_frame(1, ip))
    blocks += enhanced(order, 1, 99, b"\x00" * 40)
    found = scan(blocks)
    assert expected_summary(found) == LIFECYCLE
    assert any("link type 147" in w for w in found.warnings)


def test_mid_connection_start_says_it_is_guessing():
    rows = segment_rows()[3:]  # from the data on: no handshake seen
    found = scan(classic_pcap([(ts, link_frame(1, ip)) for ts, ip in ipv4_frames(rows)]))
    [conn] = found.connections
    assert conn.client.initial == "ESTABLISHED?" and conn.server.initial == "ESTABLISHED?"
    assert conn.final_states() == {"client": "TIME_WAIT", "server": "CLOSED"}  # every history ends here
    assert summary_row(conn)["syn_to_synack_us"] is None


def test_unanswered_syns_leave_the_server_unknown():
    rows = [(i * 1_000_000, C, S, Segment(40000 + i % 2, 80, 7, 0, Flags.SYN, 1024)) for i in range(3)]
    found = scan(classic_pcap([(ts, link_frame(1, ip)) for ts, ip in ipv4_frames(rows)]))
    assert [c.final_states() for c in found.connections] == [{"client": "SYN_SENT", "server": "?"}] * 2
    assert {summary_row(c)["ended"] for c in found.connections} == {"no answer"}


def test_time_wait_is_left_running_when_the_capture_is_shorter_and_expires_when_it_is_not():
    rows = segment_rows()
    found = scan(classic_pcap([(ts, link_frame(1, ip)) for ts, ip in ipv4_frames(rows)]))
    [conn] = found.connections
    assert conn.time_wait_until()["client"] == 60_000 + 60_000_000  # from the server's FIN
    later = rows + [(61_000_000, "10.9.9.9", S, Segment(1, 2, 3, 0, Flags.SYN, 9))]
    found = scan(classic_pcap([(ts, link_frame(1, ip)) for ts, ip in ipv4_frames(later)]))
    assert found.connections[0].final_states() == {"client": "CLOSED", "server": "CLOSED"}


def test_out_of_window_rst_does_not_close():
    rows = segment_rows()[:5] + [(35_000, S, C, Segment(80, 40000, 123456, 0, Flags.RST, 0))]
    found = scan(classic_pcap([(ts, link_frame(1, ip)) for ts, ip in ipv4_frames(rows)]), record=True)
    [conn] = found.connections
    assert conn.final_states()["client"] == "ESTABLISHED"
    assert "challenge ACK" in conn.steps[-1].note


def test_port_reuse_starts_a_new_connection():
    again = [(ts + 1_000_000, src, dst, seg) for ts, src, dst, seg in segment_rows(isn_c=900_000, isn_s=700_000)]
    found = scan(classic_pcap([(ts, link_frame(1, ip)) for ts, ip in ipv4_frames(segment_rows() + again)]))
    assert len(found.connections) == 2
    # The client's TIME_WAIT was cut short by the new SYN on the same 4-tuple (RFC 6191).
    assert found.connections[0].final_states() == {"client": "CLOSED", "server": "CLOSED"}
    assert found.connections[1].final_states() == {"client": "TIME_WAIT", "server": "CLOSED"}


# --- options and damaged packets ---------------------------------------------

@pytest.mark.parametrize("raw", [b"\x02", b"\x02\x01\x00\x00", b"\x08\xff", b"\x01\x01\x22\x09abc", b"\xfe"])
def test_garbage_options_are_kept_not_fatal(raw):
    options = decode_options_lenient(raw)
    assert isinstance(options, tuple)
    assert any(isinstance(o, UnknownOption) for o in options) or raw.startswith(b"\x01\x01")


def test_snaplen_cut_packet_keeps_its_length_and_says_so():
    rows = segment_rows(data=b"x" * 1000)
    frames = [(ts, link_frame(1, ip)[:80], len(ip) + 14) for ts, ip in ipv4_frames(rows)]
    data = classic_pcap(frames, snaplen=80)
    found = scan(data, record=True)
    assert summary_row(found.connections[0])["bytes_client_to_server"] == 1000
    with CaptureReader(data) as reader:
        frame = next(f for f in reader.frames() if f[0] == 4)
        decoded = decode_frame(frame[2], bytes(frame[3][frame[4]:frame[4] + frame[5]]))
    assert decoded[4] is True and len(decoded[2].payload) == 1000 and not decoded[2].checksum_ok


def test_cut_inside_the_tcp_header_is_counted_in_a_warning():
    rows = segment_rows()
    frames = [(ts, link_frame(1, ip)[:40] if i == 2 else link_frame(1, ip)) for i, (ts, ip)
              in enumerate(ipv4_frames(rows))]
    found = scan(classic_pcap(frames))
    assert any("cut inside the TCP header" in w for w in found.warnings)


# --- the command -------------------------------------------------------------

def write(tmp_path, data, name="c.pcap"):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def lifecycle_file(tmp_path):
    return write(tmp_path, classic_pcap([(ts, link_frame(1, ip)) for ts, ip in ipv4_frames(segment_rows())]))


def test_summary_format(tmp_path, capsys):
    assert main(["replay", lifecycle_file(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "10.0.0.1:40000" in out and "FIN 4-way" in out and "10 ms" in out
    assert "TIME_WAIT" in out.split("States at the end")[1] and "CLOSED" in out.split("States at the end")[1]


def test_json_format_has_the_trace_schema_and_final_states(tmp_path, capsys):
    path = lifecycle_file(tmp_path)
    assert main(["replay", path, "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["file"] == path
    [trace] = doc["connections"]
    assert trace["final_states"] == {"client": "TIME_WAIT", "server": "CLOSED"}
    assert trace["rtt_us"] == 20_000
    assert [s["segment"]["flags"] for s in trace["steps"][:2]] == [["SYN"], ["SYN", "ACK"]]
    assert trace["steps"][3]["segment"]["seq"] == 1 and trace["steps"][3]["segment"]["len"] == 5
    assert trace["steps"][0]["states"] == {"client": "SYN_SENT", "server": "SYN_RECEIVED"}
    assert trace["steps"][0]["arrives_us"] == 5_000  # half the SYN -> SYN-ACK delay at the capture point
    assert bytes.fromhex(trace["steps"][0]["segment"]["ip_hex"])[9] == 6
    for key in ("format", "endpoints", "phases", "steps", "events", "summary", "title", "summary_line"):
        assert key in trace


def test_ladder_and_tcpdump_formats(tmp_path, capsys):
    path = lifecycle_file(tmp_path)
    assert main(["replay", path, "--conn", "0"]) == 0
    out = capsys.readouterr().out
    assert "SYN_SENT" in out and "final states: client TIME_WAIT, server CLOSED" in out
    assert main(["replay", path, "--filter", "10.0.0.2:80", "--format", "tcpdump"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith("0.000000 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [S], seq 0")
    assert len(lines) == 10


@pytest.mark.parametrize("args, fragment", [
    (["--conn", "3"], "has no connection 3; it has 1"),
    (["--filter", "10.0.0.9:80"], "matching --filter"),
    (["--filter", "nonsense"], "does not start with an IP address"),
    (["--filter", "10.0.0.1:99999"], "from 0 to 65535"),
    (["--conn", "x"], "whole number"),
])
def test_bad_choices_are_one_sentence_and_exit_2(tmp_path, capsys, args, fragment):
    assert main(["replay", lifecycle_file(tmp_path), *args]) == 2
    err = capsys.readouterr().err
    assert fragment in err and "Traceback" not in err


@pytest.mark.parametrize("data, fragment", [
    (b"", "is empty (0 bytes)"),
    (b"\xd4\xc3", "too short"),
    (b"GET / HTTP/1.1\r\n\r\n" * 3, "neither pcap nor pcapng"),
    (struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 147), "link type 147"),
    (struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1), "holds no TCP connection"),
])
def test_files_that_cannot_be_read_exit_2_with_a_sentence(tmp_path, capsys, data, fragment):
    assert main(["replay", write(tmp_path, data)]) == 2
    err = capsys.readouterr().err
    assert fragment in err and "Traceback" not in err and err.count("\n") == 1


def test_missing_file_and_directory(tmp_path, capsys):
    assert main(["replay", str(tmp_path / "nope.pcap")]) == 2
    assert "Cannot read the capture" in capsys.readouterr().err
    assert main(["replay", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err


def test_non_tcp_only_capture(tmp_path, capsys):
    udp = dpkt.ip.IP(src=bytes([10, 0, 0, 1]), dst=bytes([10, 0, 0, 2]), p=17,
                     data=dpkt.udp.UDP(sport=53, dport=53, data=b"x"))
    data = classic_pcap([(0, link_frame(1, bytes(udp))), (1, b"\xff" * 60)])
    assert main(["replay", write(tmp_path, data)]) == 2
    assert "none of them a readable TCP segment" in capsys.readouterr().err


@pytest.mark.parametrize("cut", [100, 301, -1])
def test_truncated_file_gives_the_connections_before_the_cut_and_a_warning(tmp_path, capsys, cut):
    data = classic_pcap([(ts, link_frame(1, ip)) for ts, ip in ipv4_frames(segment_rows())])
    assert main(["replay", write(tmp_path, data[:cut])]) == 0
    captured = capsys.readouterr()
    assert "warning: The capture ends inside" in captured.err
    assert "1 TCP connection" in captured.out


def test_summary_rows_are_the_scan_in_order(tmp_path):
    rows = []
    for i in range(6):
        rows += [(ts + i * 15_000, src, dst, seg.replace(src_port=40000 + i) if src == C
                  else seg.replace(dst_port=40000 + i)) for ts, src, dst, seg in segment_rows()]
    rows.sort(key=lambda r: r[0])
    path = write(tmp_path, classic_pcap([(ts, link_frame(1, ip)) for ts, ip in ipv4_frames(rows)]))
    summary, found = summarize(path)
    assert [r["conn"] for r in summary] == list(range(6))
    assert [r["client"] for r in summary] == [f"10.0.0.1:{40000 + i}" for i in range(6)]
    assert found.tcp_packets == 54 and not found.connections


def test_filter_parsing():
    assert parse_filter(":80") == (None, 80)
    assert parse_filter("[2001:db8::1]:443")[1] == 443
    assert parse_filter("2001:db8::1")[1] is None
    with pytest.raises(FilterError):
        parse_filter("[::1")


def test_tally_counts_both_ends():
    found = scan(classic_pcap([(ts, link_frame(1, ip)) for ts, ip in ipv4_frames(segment_rows())]))
    assert tally(summary_row(c) for c in found.connections) == {"CLOSED": 1, "TIME_WAIT": 1}
    assert select(found.connections, filter_text=":80") == found.connections


def test_reader_errors_are_capture_errors():
    with pytest.raises(CaptureError, match="empty"):
        CaptureReader(b"")


def test_play_without_a_terminal_prints_the_ladder_and_needs_one_connection(tmp_path, capsys):
    path = lifecycle_file(tmp_path)
    assert main(["replay", path, "--conn", "0", "--play"]) == 0
    assert "SYN_RECEIVED" in capsys.readouterr().out
    rows = segment_rows() + [(ts + 1, src, dst, seg.replace(src_port=41000) if src == C
                              else seg.replace(dst_port=41000)) for ts, src, dst, seg in segment_rows()]
    rows.sort(key=lambda r: r[0])
    two = write(tmp_path, classic_pcap([(ts, link_frame(1, ip)) for ts, ip in ipv4_frames(rows)]), "two.pcap")
    assert main(["replay", two, "--filter", ":80", "--play"]) == 2
    assert "2 connections match; pick one with --conn N" in capsys.readouterr().err
