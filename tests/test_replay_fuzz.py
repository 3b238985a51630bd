"""Fuzzing synack replay with Hypothesis: mutated captures (flipped, inserted, deleted bytes, cut
files) give connections and warnings, or a CaptureError sentence; never another exception.

Bounded for CI: a fixed number of examples (SYNACK_SLOW=1 runs ten times more)."""

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_wire_pcap import enhanced, interface, link_frame, section

from synack.replay.capture import endpoint_text, load_packets_with_bytes, scan
from synack.scenarios import run_scenario
from synack.trace.capture_view import capture_trace
from synack.trace.json_view import trace_json
from synack.wire.pcap import pcap_from_trace
from synack.wire.reader import CaptureError

EXAMPLES = 3000 if os.environ.get("SYNACK_SLOW") else 300

PCAP = pcap_from_trace(trace_json(run_scenario("synack_lost", loss=0.1, seed=2)))


def _pcapng():
    order = "<"
    out = section(order) + interface(order, 1) + interface(order, 101)
    # Reuse the classic file's frames: 24-byte header, then 16-byte record headers.
    offset, i = 24, 0
    while offset < len(PCAP):
        caplen = int.from_bytes(PCAP[offset + 8:offset + 12], "little")
        frame = PCAP[offset + 16:offset + 16 + caplen]
        out += enhanced(order, i % 2, i * 1000, frame if i % 2 == 0 else frame[14:])
        offset += 16 + caplen
        i += 1
    return out


PCAPNG = _pcapng()


@st.composite
def mutated(draw):
    data = bytearray(draw(st.sampled_from([PCAP, PCAPNG])))
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["flip", "set", "insert", "delete", "cut"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if not data:
            break
        if kind == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "set":
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "delete":
            del data[at:at + draw(st.integers(1, 16))]
        else:
            del data[at:]
    return bytes(data)


def replay_everything(data):
    try:
        found = scan(data, record=True)
    except CaptureError as exc:
        assert str(exc).endswith((".", "?")) and "\n" not in str(exc)
        return
    numbers = {s.number for c in found.connections for s in c.steps}
    packets = load_packets_with_bytes(data, numbers)
    for conn in found.connections:
        trace = capture_trace(conn, packets, file_name="fuzz", endpoint_text=endpoint_text)
        assert len(trace["steps"]) <= conn.packets
        assert set(trace["final_states"]) == {"client", "server"}
    for warning in found.warnings:
        assert warning.endswith(".")


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_captures_never_raise_anything_but_a_capture_error(data):
    replay_everything(data)


@settings(max_examples=EXAMPLES // 3, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes(data):
    replay_everything(data)


@settings(max_examples=EXAMPLES // 3, deadline=None)
@given(st.binary(min_size=20, max_size=80), st.sampled_from([0, 1, 101, 113, 276]))
def test_random_frames_inside_a_valid_file(frame, linktype):
    import struct
    from test_wire_pcap import classic_pcap
    data = classic_pcap([(0, link_frame(linktype, frame)), (1, frame)], linktype=linktype)
    replay_everything(data)
    assert struct.unpack("<I", data[:4])[0] == 0xA1B2C3D4
