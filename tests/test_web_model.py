"""Pure checks of the page's modules (model, format, decode, settings) under node, against a hand-made trace.

The trace below is written by hand from docs/trace-format.md, independent of
the engine, so these checks pin down what the page makes of the format: what
step k shows, the RTT clock, the ladder's phases, the TIME_WAIT countdown and
the URL.  They skip when node is not installed; the browser tests cover the
same page against the real engine.
"""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parent.parent / "synack" / "web" / "static"
NODE = shutil.which("node")
RTT = 100_000
CLIENT = ("10.0.0.1", 40312)
SERVER = ("10.0.0.2", 80)
ISN = {"client": 1_000, "server": 5_000}

pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed; the browser tests cover the page")


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


FLAG_BITS = {"FIN": 1, "SYN": 2, "RST": 4, "PSH": 8, "ACK": 16}


def ip_packet(src, dst, seq, ack, flags, payload=b"", options=b""):
    """An IPv4 + TCP packet with correct checksums, written out by hand for the fixture."""
    ip = lambda a: bytes(int(x) for x in a.split("."))  # noqa: E731
    offset = (20 + len(options)) // 4
    bits = sum(FLAG_BITS[f] for f in flags)
    tcp = struct.pack("!HHIIBBHHH", src[1], dst[1], seq, ack, offset << 4, bits, 64240, 0, 0) + options + payload
    pseudo = ip(src[0]) + ip(dst[0]) + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0x4000, 64, 6, 0, ip(src[0]), ip(dst[0]))
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return (header + tcp).hex()


def handshake_fixture() -> dict:
    """The `handshake` lesson at 100 ms RTT: 9 segments in 8 phases, by hand."""
    rows = [
        # phase, sender, sent, flags, rel seq, rel ack, len, states_sent, states
        (0, "client", 0, ["SYN"], 0, 0, 0, ("SYN_SENT", "LISTEN"), ("SYN_SENT", "SYN_RECEIVED")),
        (1, "server", 50_000, ["SYN", "ACK"], 0, 1, 0, ("SYN_SENT", "SYN_RECEIVED"), ("ESTABLISHED", "SYN_RECEIVED")),
        (2, "client", 100_000, ["ACK"], 1, 1, 0, ("ESTABLISHED", "SYN_RECEIVED"), ("ESTABLISHED", "ESTABLISHED")),
        (3, "client", 100_000, ["PSH", "ACK"], 1, 1, 100, ("ESTABLISHED", "SYN_RECEIVED"),
         ("ESTABLISHED", "ESTABLISHED")),
        (3, "server", 150_000, ["ACK"], 1, 101, 0, ("ESTABLISHED", "ESTABLISHED"), ("ESTABLISHED", "ESTABLISHED")),
        (4, "client", 200_000, ["FIN", "ACK"], 101, 1, 0, ("FIN_WAIT_1", "ESTABLISHED"), ("FIN_WAIT_1", "CLOSE_WAIT")),
        (5, "server", 250_000, ["ACK"], 1, 102, 0, ("FIN_WAIT_1", "CLOSE_WAIT"), ("FIN_WAIT_2", "CLOSE_WAIT")),
        (6, "server", 550_000, ["FIN", "ACK"], 1, 102, 0, ("FIN_WAIT_2", "LAST_ACK"), ("TIME_WAIT", "LAST_ACK")),
        (7, "client", 600_000, ["ACK"], 102, 2, 0, ("TIME_WAIT", "LAST_ACK"), ("TIME_WAIT", "CLOSED")),
    ]
    steps, events = [], []
    for index, (phase, sender, sent, flags, seq, ack, length, sent_states, states) in enumerate(rows):
        receiver = "server" if sender == "client" else "client"
        src, dst = (CLIENT, SERVER) if sender == "client" else (SERVER, CLIENT)
        abs_seq = ISN[sender] + seq
        abs_ack = ISN[receiver] + ack if "ACK" in flags else 0
        options = b"\x02\x04\x05\xb4" if "SYN" in flags else b""
        steps.append({
            "index": index, "phase": phase, "sent_us": sent, "arrives_us": sent + RTT // 2,
            "segment": {
                "from": sender, "to": receiver, "src": "%s:%d" % src, "dst": "%s:%d" % dst,
                "flags": flags, "seq": seq, "ack": ack, "abs_seq": abs_seq, "abs_ack": abs_ack,
                "window": 64240, "len": length, "options": ["mss"] if options else [],
                "options_detail": [{"name": "mss", "text": "mss 1460"}] if options else [],
                "lost": False, "tcpdump": "Flags [x]",
                "ip_hex": ip_packet(src, dst, abs_seq, abs_ack, flags, b"q" * length, options),
            },
            "states_sent": dict(zip(("client", "server"), sent_states, strict=True)),
            "states": dict(zip(("client", "server"), states, strict=True)),
            "note": f"Step {index} <b>not html</b>.",
        })
        events.append({"t_us": sent, "type": "send", "endpoint": sender, "step": index})
    events += [
        {"t_us": 600_000, "type": "state", "endpoint": "client", "old": "FIN_WAIT_2", "new": "TIME_WAIT",
         "cause": "FIN received"},
        {"t_us": 60_600_000, "type": "state", "endpoint": "client", "old": "TIME_WAIT", "new": "CLOSED",
         "cause": "TIME_WAIT expired"},
    ]
    return {
        "format": 1, "scenario": "handshake", "title": "The three-way handshake",
        "summary_line": "Setup in 1.5 RTT.", "explanation": "By hand.", "profile": "linux",
        "rtt_us": RTT, "loss": 0.0, "seed": 1,
        "params": {"request_bytes": 100, "client_wait": 0},
        "param_specs": [
            {"name": "request_bytes", "type": "int", "default": 100, "min": 1, "max": 1000000, "help": "bytes"},
            {"name": "client_wait", "type": "duration", "default": 0, "help": "wait"},
        ],
        "time_wait_us": 60_000_000, "duration_us": 60_600_000,
        "endpoints": [
            {"name": "client", "ip": CLIENT[0], "port": CLIENT[1], "tcp": True, "initial_state": "CLOSED"},
            {"name": "server", "ip": SERVER[0], "port": SERVER[1], "tcp": True, "initial_state": "LISTEN"},
        ],
        "phases": [{"label": label} for label in
                   ("01 SYN", "02 SYN-ACK", "03 ACK", "04 data", "05 FIN", "06 ACK", "07 FIN", "08 ACK")],
        "steps": steps, "events": events, "summary": {},
    }


# The node side: import the page's own modules and answer each check with JSON.
RUNNER = r"""
import { readFileSync } from "node:fs";
import * as model from "./model.js";
import * as format from "./format.js";
import * as decode from "./decode.js";
import * as settings from "./settings.js";

const trace = JSON.parse(readFileSync(process.argv[2], "utf8"));
const catalog = { profiles: ["linux", "rfc9293"], scenarios: [{
  name: "handshake", title: trace.title, summary_line: "", explanation: "", default_rtt_us: 100000,
  param_specs: trace.param_specs }] };
const out = {};
out.frames = [0, 1, 2, 3, 4, 9, 12, -3].map((k) => {
  const f = model.frameAt(trace, k);
  return { ...f, rtts: format.formatRtts(f.clockUs, trace.rtt_us) };
});
out.departure4 = model.departureStates(trace, 4);
out.departure6 = model.departureStates(trace, 6);
out.phaseSteps = model.phaseSteps(trace);
out.stepForPhase = trace.phases.map((_, p) => model.stepForPhase(trace, p));
out.timeWait = model.timeWait(trace, "client", model.clockAt(trace, 9));
out.timeWaitServer = model.timeWait(trace, "server", 650000);
out.rtts = [[0, 1], [150000, 100000], [100000, 100000], [154000, 100000], [60650000, 100000], [1, 3]]
  .map(([us, rtt]) => format.formatRtts(us, rtt));
out.durations = [250, 150000, 12500, 1250000, 60000000].map(format.formatDuration);
out.inputs = [0, 100000, 1500000, 250, 60000000].map(format.durationInput);
out.flags = [["ACK", "SYN"], ["ACK", "FIN"], ["RST"], ["ACK", "PSH"], []].map(format.flagsName);
out.kinds = trace.steps.map((s) => format.segmentKind(s.segment));
const d = decode.decodePacket(decode.hexToBytes(trace.steps[0].segment.ip_hex));
out.decoded = Object.fromEntries(d.fields.map((f) => [f.name, f.value]));
out.regions = d.regions;
const deflt = settings.defaultSettings(catalog, "handshake");
out.defaults = deflt;
out.defaultQuery = settings.pageQuery(deflt, catalog, 0, "1");
out.changedQuery = settings.pageQuery(
  { ...deflt, rtt: "20ms", params: { ...deflt.params, request_bytes: "5" } }, catalog, 3, "2");
out.fromUrl = settings.settingsFromUrl("?scenario=handshake&rtt=20ms&step=3&client_wait=1s", catalog);
out.unknown = settings.settingsFromUrl("?scenario=nope", catalog);
console.log(JSON.stringify(out));
"""


def run_in_node(work, runner, trace):
    """The page's modules next to ``runner``, run by node on ``trace``; its JSON answer."""
    for path in STATIC.glob("*.js"):
        shutil.copy(path, work / path.name)
    (work / "package.json").write_text('{"type": "module"}')  # node reads .js as ES modules
    (work / "run.js").write_text(runner)
    (work / "trace.json").write_text(json.dumps(trace))
    done = subprocess.run([NODE, "run.js", "trace.json"], cwd=work, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    return run_in_node(tmp_path_factory.mktemp("page"), RUNNER, handshake_fixture())


def test_step_zero_is_nothing_sent(results):
    f = results["frames"][0]
    assert f["step"] == 0 and f["clockUs"] == 0 and f["rtts"] == "0.0"
    assert f["states"] == {"client": "CLOSED", "server": "LISTEN"}
    assert f["phase"] is None and f["segmentIndex"] is None and f["note"] is None


def test_step_k_shows_segment_k_arrived_and_its_time(results):
    f1, f2, f3, f4 = results["frames"][1:5]
    assert f1["states"] == {"client": "SYN_SENT", "server": "SYN_RECEIVED"} and f1["rtts"] == "0.5"
    # The client may send at 1 RTT; the server is ESTABLISHED only at 1.5.
    assert f2["states"] == {"client": "ESTABLISHED", "server": "SYN_RECEIVED"} and f2["rtts"] == "1.0"
    assert f3["states"] == {"client": "ESTABLISHED", "server": "ESTABLISHED"} and f3["rtts"] == "1.5"
    assert f3["phase"] == 2 and f3["segmentIndex"] == 2
    assert f4["phase"] == 3 and f4["rtts"] == "1.5"  # the data left at 1 RTT, with the ACK


def test_last_step_and_clamping(results):
    last, beyond, negative = results["frames"][5:]
    assert last["atEnd"] and last["step"] == 9
    assert last["states"] == {"client": "TIME_WAIT", "server": "CLOSED"} and last["rtts"] == "6.5"
    assert beyond["step"] == 9 and negative["step"] == 0
    assert last["note"] == "Step 8 <b>not html</b>."  # the model passes text through; the page sets textContent


def test_departure_never_rolls_the_picture_back(results):
    # The data segment left at 100 ms, before the ACK that step 3 shows arriving at 150 ms.
    assert results["departure4"] == {"client": "ESTABLISHED", "server": "ESTABLISHED"}
    # The client's FIN leaves after step 5's moment: the sender's new state shows as it leaves.
    assert results["departure6"]["client"] == "FIN_WAIT_1"


def test_ladder_phases(results):
    assert results["phaseSteps"] == [[0], [1], [2], [3, 4], [5], [6], [7], [8]]
    assert results["stepForPhase"] == [1, 2, 3, 4, 6, 7, 8, 9]


def test_time_wait_countdown(results):
    tw = results["timeWait"]
    assert tw["enteredUs"] == 600_000 and tw["endsUs"] == 60_600_000
    assert tw["totalUs"] == 60_000_000 and tw["remainingUs"] == 59_950_000
    assert results["timeWaitServer"] is None


def test_formatting(results):
    assert results["rtts"] == ["0.0", "1.5", "1.0", "1.54", "606.5", "0.33"]
    assert results["durations"] == ["250 µs", "150 ms", "12.5 ms", "1.25 s", "60 s"]
    assert results["inputs"] == ["0s", "100ms", "1500ms", "250us", "60s"]
    assert results["flags"] == ["SYN-ACK", "FIN-ACK", "RST", "PSH-ACK", "none"]
    assert results["kinds"] == ["syn", "synack", "ack", "data", "ack", "fin", "ack", "fin", "ack"]


def test_decoding_the_real_bytes(results):
    d = results["decoded"]
    assert d["Source"] == "10.0.0.1" and d["Destination"] == "10.0.0.2"
    assert d["Source port"] == "40312" and d["Destination port"] == "80"
    assert d["Sequence number"] == str(ISN["client"])
    assert d["Flags"] == "SYN (0x02)" and d["Data offset"] == "24 bytes" and d["Options"] == "4 bytes"
    assert d["Protocol"] == "6 (TCP)" and d["Flags / fragment offset"] == "DF / 0"
    assert [r["name"] for r in results["regions"]] == ["ip", "tcp", "options"]


def test_url_state(results):
    assert results["defaults"]["rtt"] == "100ms" and results["defaults"]["params"]["client_wait"] == "0s"
    assert results["defaultQuery"] == "scenario=handshake"
    assert results["changedQuery"] == "scenario=handshake&rtt=20ms&request_bytes=5&step=3&speed=2"
    from_url = results["fromUrl"]["settings"]
    assert from_url["rtt"] == "20ms" and from_url["params"]["client_wait"] == "1s"
    assert results["unknown"]["unknownScenario"] == "nope"
    assert results["unknown"]["settings"]["scenario"] == "handshake"


# ------------------------------------------------------------ several connections
CONNECTIONS_RUNNER = r"""
import { readFileSync } from "node:fs";
import * as model from "./model.js";
const trace = JSON.parse(readFileSync(process.argv[2], "utf8"));
const out = { count: model.connectionCount(trace), views: [] };
for (const id of [0, 1]) {
  const v = model.connectionView(trace, id);
  out.views.push({
    endpoints: v.endpoints.map((e) => `${e.name} ${e.ip}:${e.port}`),
    phases: v.phases.map((p) => p.label),
    steps: v.steps.map((s) => [s.index, s.phase, s.segment.to]),
    initial: model.initialStates(v),
    frame2: model.frameAt(v, 2).states,
    timeWait: model.timeWait(v, "client", 400000),
  });
}
out.single = model.connectionCount({ steps: [] });
console.log(JSON.stringify(out));
"""


def two_connections_fixture():
    """Two connections from one client, as docs/trace-format.md lays them out; the second to a forged peer."""
    def step(index, conn, phase, src, dst, frm, to, flags, sent, states):
        return {"index": index, "connection": conn, "phase": phase, "role": "first", "sent_us": sent,
                "arrives_us": sent + 50_000,
                "segment": {"from": frm, "to": to, "src": src, "dst": dst, "flags": flags, "seq": 0, "ack": 0,
                            "len": 0, "lost": False},
                "states_sent": states, "states": states, "note": "By hand."}
    a, b, s, f = "10.0.0.1:40384", "10.0.0.1:40385", "10.0.0.2:80", "198.51.100.1:1024"
    steps = [
        step(0, 0, 0, a, s, "client", "server", ["SYN"], 0, {"client": "SYN_SENT", "server": "LISTEN"}),
        step(1, 1, 2, f, s, "attacker", "server", ["SYN"], 10_000, {"server": "LISTEN"}),
        step(2, 0, 1, s, a, "server", "client", ["SYN", "ACK"], 50_000,
             {"client": "SYN_SENT", "server": "SYN_RECEIVED"}),
        step(3, 1, 3, s, f, "server", "198.51.100.1", ["SYN", "ACK"], 60_000, {"server": "SYN_RECEIVED"}),
    ]
    ends = lambda left, lname, ltcp, lstate: [  # noqa: E731
        {"name": lname, "ip": left.split(":")[0], "port": int(left.split(":")[1]), "tcp": ltcp,
         **({"initial_state": lstate} if ltcp else {})},
        {"name": "server", "ip": "10.0.0.2", "port": 80, "tcp": True, "initial_state": "LISTEN"}]
    return {
        "rtt_us": RTT, "title": "Two", "endpoints": ends(a, "client", True, "CLOSED") + [
            {"name": "attacker", "ip": "10.0.0.66", "tcp": False}],
        "phases": [{"label": "01 SYN", "connection": 0}, {"label": "02 SYN-ACK", "connection": 0},
                   {"label": "01 spoofed SYN", "connection": 1}, {"label": "02 SYN-ACK", "connection": 1}],
        "connections": [
            {"id": 0, "label": "client", "ends": ends(a, "client", True, "CLOSED"), "steps": [0, 2],
             "phases": [0, 1]},
            {"id": 1, "label": "forged", "ends": ends(f, "attacker", False, None), "steps": [1, 3],
             "phases": [2, 3]},
        ],
        "steps": steps,
        "events": [
            {"t_us": 0, "type": "state", "endpoint": "client", "old": "CLOSED", "new": "TIME_WAIT",
             "local": a, "remote": s, "socket": 0},
            {"t_us": 0, "type": "state", "endpoint": "client", "old": "CLOSED", "new": "TIME_WAIT",
             "local": b, "remote": s, "socket": 1},
        ],
        "time_wait_us": 1_000_000,
    }


@pytest.fixture(scope="module")
def connection_results(tmp_path_factory):
    return run_in_node(tmp_path_factory.mktemp("conns"), CONNECTIONS_RUNNER, two_connections_fixture())


def test_a_connection_view_is_one_connection_with_its_own_ends_phases_and_states(connection_results):
    first, forged = connection_results["views"]
    assert connection_results["count"] == 2 and connection_results["single"] == 1
    assert first["endpoints"] == ["client 10.0.0.1:40384", "server 10.0.0.2:80"]
    assert first["phases"] == ["01 SYN", "02 SYN-ACK"]
    assert first["steps"] == [[0, 0, "server"], [2, 1, "client"]]
    assert first["initial"] == {"client": "CLOSED", "server": "LISTEN"}
    assert first["frame2"] == {"client": "SYN_SENT", "server": "SYN_RECEIVED"}
    # The forged connection: the server's SYN-ACK goes to the end that forged the address.
    assert forged["endpoints"] == ["attacker 198.51.100.1:1024", "server 10.0.0.2:80"]
    assert forged["steps"] == [[1, 0, "server"], [3, 1, "attacker"]]
    assert forged["initial"] == {"server": "LISTEN"}
    # Each connection's TIME_WAIT comes from its own socket's events only.
    assert first["timeWait"] is not None and forged["timeWait"] is None
