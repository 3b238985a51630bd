"""The terminal views drawn from real traces: ladder, tcpdump lines, the player's frames."""

from rich.console import Console

from synack.scenarios import run_scenario
from synack.trace.json_view import trace_json
from synack.trace.ladder import ladder_text
from synack.trace.play import clock_at, frame, states_at
from synack.trace.tcpdump_view import tcpdump_lines


def render(renderable, width=120):
    console = Console(width=width, color_system=None, force_terminal=False)
    with console.capture() as cap:
        console.print(renderable)
    return cap.get()


def test_ladder_arrows_point_the_way_segments_travel():
    text = ladder_text(trace_json(run_scenario("handshake")))
    lines = text.splitlines()
    syn = next(line for line in lines if "SYN 0" in line and "SYN+ACK" not in line)
    synack = next(line for line in lines if "SYN+ACK 0 ack 1" in line)
    assert syn.rstrip().split("▶")[0] and "▶" in syn and "◀" not in syn
    assert "◀" in synack and "▶" not in synack
    assert all(label in text for label in ("01 SYN", "04 data", "08 ACK", "TIME_WAIT"))


def test_ladder_marks_lost_segments():
    text = ladder_text(trace_json(run_scenario("syn_lost")))
    lost = [line for line in text.splitlines() if "✗" in line]
    assert len(lost) == 1 and "SYN 0" in lost[0]


def test_tcpdump_lines_are_relative_and_mark_losses():
    lines = tcpdump_lines(trace_json(run_scenario("synack_lost")))
    assert lines[0].startswith("0.000000 IP 10.0.0.1.") and "Flags [S], seq 0," in lines[0]
    assert "Flags [S.], seq 0, ack 1," in lines[1] and lines[1].endswith("(lost)")
    assert not lines[-1].endswith("(lost)")


def test_player_frames_follow_the_steps():
    trace = trace_json(run_scenario("handshake", rtt_us=100_000))
    assert states_at(trace, 0) == {"client": "CLOSED", "server": "LISTEN"}
    assert states_at(trace, 3) == {"client": "ESTABLISHED", "server": "ESTABLISHED"}
    assert clock_at(trace, 3) == 150_000
    first = render(frame(trace, 0))
    assert "nothing on the wire yet" in first and "0.00 RTT" in first
    third = render(frame(trace, 3))
    assert "RTT clock 1.50 RTT" in third and "[03 ACK]" in third and "step 3 of 9" in third
    assert "ESTABLISHED" in third
