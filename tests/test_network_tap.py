"""``Network.tap``: a listener that sees every segment as it leaves the sender, lost ones included.

The replay benchmark writes its capture through a tap; with tracing on, what
the tap saw must be exactly the trace's steps (the recorder sits at the same
place), and with tracing off (the compiled build's fast path) it still sees
every segment.
"""

from __future__ import annotations

from synack.scenarios.apps import PORT, answering_server, requesting_client
from synack.scenarios.base import World
from synack.scenarios.client_close import SCENARIO
from synack.tcp.profiles import LINUX


def _world(tracing: bool, loss: float) -> tuple[World, list[tuple[int, str, str, int, int, str]]]:
    world = World(SCENARIO, LINUX, 20_000, loss, 7, {"mss": 1460, "isn": "rfc6528"}, tracing=tracing)
    seen: list[tuple[int, str, str, int, int, str]] = []
    world.network.tap(lambda now, src, dst, seg: seen.append((now, src, dst, seg.seq, seg.ack, seg.flags.tcpdump())))
    client = world.host("client", "10.0.0.1")
    server = world.host("server", "10.0.0.2")
    server.spawn(answering_server, PORT, connections=3)
    client.spawn(requesting_client, server.ip, PORT, connections=3)
    world.sched.run(max_events=100_000)
    return world, seen


def test_the_tap_sees_what_the_trace_records_lost_segments_too():
    world, seen = _world(tracing=True, loss=0.3)
    assert world.recorder is not None and world.network.lost > 0
    steps = [(s.sent_us, s.src_ip, s.dst_ip, s.segment.seq, s.segment.ack, s.segment.flags.tcpdump())
             for s in world.recorder.steps]
    assert seen == steps


def test_the_tap_sees_every_segment_on_the_untraced_fast_path():
    world, seen = _world(tracing=False, loss=0.0)
    assert world.network.sent == len(seen) == 30  # three lifecycles of ten segments
    assert [flags for *_, flags in seen[:3]] == ["S", "S.", "."]
