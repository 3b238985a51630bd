"""synack replay on real captures (recorded on Linux) and on faithful rebuilds of other systems'
captures (tests/fixtures/replay/README.md says how each was made); each is also read by tshark,
so the reader and the observer are held to Wireshark's view of the same file."""

import shutil
import subprocess
from pathlib import Path

import pytest

from synack.cli import main
from synack.replay.capture import endpoint_text, load_packets_with_bytes, scan, summary_row
from synack.trace.capture_view import capture_trace
from synack.wire.reader import CaptureReader

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "replay"
ALL = sorted(p for p in FIXTURES.iterdir() if p.suffix in (".pcap", ".pcapng"))


def traces(path):
    found = scan(path, record=True)
    packets = load_packets_with_bytes(path, {s.number for c in found.connections for s in c.steps})
    return found, [capture_trace(c, packets, file_name=path.name, endpoint_text=endpoint_text)
                   for c in found.connections]


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed (tools/system-deps.sh)")
@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_same_tcp_packets_and_streams_as_tshark(path):
    out = subprocess.run(["tshark", "-r", str(path), "-Y", "tcp", "-T", "fields", "-e", "frame.number",
                          "-e", "tcp.stream", "-e", "tcp.seq_raw", "-e", "tcp.len"],
                         capture_output=True, text=True, check=True).stdout
    rows = [line.split("\t") for line in out.splitlines()]
    found = scan(path, record=True)
    ours = sorted((s.number, c.number, s.seq, s.length) for c in found.connections for s in c.steps)
    assert [(int(n), int(stream), int(seq), int(length)) for n, stream, seq, length in rows] == ours
    assert not found.warnings


def test_nanosecond_pcap_keeps_microseconds():
    with CaptureReader(FIXTURES / "linux_nano.pcap") as reader:
        assert reader._nano
        stamps = [r[1] for r in reader.tcp_records()]
    out = subprocess.run(["tshark", "-r", str(FIXTURES / "linux_nano.pcap"), "-T", "fields", "-e",
                          "frame.time_epoch"], capture_output=True, text=True).stdout.split()
    if out:
        assert stamps == [int(t.replace(".", "")[:16]) for t in out]


@pytest.mark.parametrize("name, linktypes", [("linux_nano.pcap", {1}), ("linux_sll2_ipv6.pcap", {276}),
                                             ("linux_two_interfaces.pcapng", {1, 772}),
                                             ("macos_fast_open.pcap", {0}), ("accecn.pcapng", {1})])
def test_link_types(name, linktypes):
    found = scan(FIXTURES / name)
    # dumpcap on lo writes LINKTYPE_ETHERNET for Linux's loopback; either way all are read.
    assert found.linktypes <= linktypes | {1} and found.connections


@pytest.mark.parametrize("name", ["linux_nano.pcap", "linux_sll2_ipv6.pcap", "linux_two_interfaces.pcapng"])
def test_whole_linux_lifecycles(name):
    found, all_traces = traces(FIXTURES / name)
    for conn, trace in zip(found.connections, all_traces, strict=True):
        row = summary_row(conn)
        assert row["ended"] == "FIN 3-way"
        assert row["final_states"] == {"client": "TIME_WAIT", "server": "CLOSED"}
        assert (row["bytes_client_to_server"], row["bytes_server_to_client"]) == (100, 200)
        assert row["syn_to_synack_us"] is not None and row["synack_to_ack_us"] is not None
        assert trace["steps"][0]["states"] == {"client": "SYN_SENT", "server": "SYN_RECEIVED"}
        assert trace["endpoints"][0]["initial_state"] == "CLOSED"
        assert trace["endpoints"][1]["initial_state"] == "LISTEN"


def test_ipv6_addresses():
    found = scan(FIXTURES / "linux_two_interfaces.pcapng")
    assert {summary_row(c)["client"].split("]")[0] for c in found.connections} >= {"[::1"}
    row = summary_row(scan(FIXTURES / "linux_sll2_ipv6.pcap").connections[0])
    assert row["client"].startswith("[fd00:77::1]:") and row["server"] == "[fd00:77::2]:8080"


def test_port_scan():
    found = scan(FIXTURES / "linux_port_scan.pcap")
    rows = [summary_row(c) for c in found.connections]
    assert len(rows) == 11
    refused = [r for r in rows if r["ended"] == "refused (RST)"]
    assert len(refused) == 10
    assert all(r["final_states"] == {"client": "CLOSED", "server": "CLOSED"} for r in refused)
    [open_port] = [r for r in rows if r["server"].endswith(":8080")]
    assert open_port["ended"] == "RST by client"  # half-open scan: the scanner's kernel resets the SYN-ACK
    assert open_port["syn_to_synack_us"] is not None and open_port["synack_to_ack_us"] is None


def test_mid_connection_start():
    found, [trace] = traces(FIXTURES / "linux_mid_connection.pcap")
    assert [e["initial_state"] for e in trace["endpoints"]] == ["ESTABLISHED?", "ESTABLISHED?"]
    assert trace["steps"][0]["states"]["server"] == "ESTABLISHED?"
    assert trace["final_states"] == {"client": "TIME_WAIT", "server": "CLOSED"}
    assert trace["steps"][0]["segment"]["ack"] == 0  # relative to the server's first sequence number
    assert trace["rtt_us"] is not None  # from the first data and its ACK


def test_macos_fast_open():
    found, [first, second] = traces(FIXTURES / "macos_fast_open.pcap")
    assert "asks for a Fast Open cookie" in first["steps"][0]["note"]
    assert "hands the client a Fast Open cookie" in first["steps"][1]["note"]
    syn = second["steps"][0]
    assert syn["segment"]["len"] == 100 and "tfo" in syn["segment"]["options"]
    assert "carries a Fast Open cookie" in syn["note"]
    assert second["steps"][1]["segment"]["ack"] == 101  # the SYN-ACK acknowledges the data
    assert summary_row(found.connections[1])["first_data_us"] == 0
    # The server sends its answer before the handshake's last ACK: it is SYN_RECEIVED, and may.
    assert second["steps"][2]["states_sent"]["server"] == "SYN_RECEIVED"


def test_accecn():
    found, [trace] = traces(FIXTURES / "accecn.pcapng")
    syn, synack = trace["steps"][0], trace["steps"][1]
    assert {"AE", "CWR", "ECE"} <= set(syn["segment"]["flags"])
    assert "Accurate ECN" in syn["note"] and "Accurate ECN" in synack["note"]
    assert any(o.startswith("opt-174") for s in trace["steps"] for o in
               [d["text"] for d in s["segment"]["options_detail"]])
    assert trace["final_states"] == {"client": "TIME_WAIT", "server": "CLOSED"}


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_every_format_of_the_command(path, capsys):
    for fmt in ("summary", "ladder", "tcpdump", "json"):
        args = ["replay", str(path), "--format", fmt]
        if fmt != "summary":
            args += ["--conn", "0"]
        assert main(args) == 0, fmt
    assert "Traceback" not in capsys.readouterr().err
