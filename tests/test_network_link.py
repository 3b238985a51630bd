"""The network decides once, not per segment, whether segments only need carrying.

``Network.transmit`` takes a short path when the link is perfect, nothing sits
on the path and nobody traces (the benchmarks' case).  That decision is made
again whenever one of those changes: a new ``LinkConfig`` (frozen, so that an
attribute cannot change behind the network's back), an impairment, a box on
the path, a narrow hop.  Each test changes the world after it was built,
untraced, and checks that the change took effect.
"""

from __future__ import annotations

from dataclasses import FrozenInstanceError, replace

import pytest

from synack.scenarios.apps import PORT, answering_server, requesting_client
from synack.scenarios.base import World
from synack.scenarios.client_close import SCENARIO
from synack.sim.network import Impairment, NarrowLink, Rewrite, has_flags
from synack.tcp.profiles import LINUX
from synack.tcp.segment import Flags


def _world() -> World:
    return World(SCENARIO, LINUX, 20_000, 0.0, 3, {"mss": 1460, "isn": "rfc6528"}, tracing=False)


def _lifecycle(world: World) -> None:
    client = world.host("client", "10.0.0.1")
    server = world.host("server", "10.0.0.2")
    server.spawn(answering_server, PORT)
    client.spawn(requesting_client, server.ip, PORT)
    world.sched.run(max_events=100_000)


def test_an_untouched_perfect_link_carries_all_ten_segments():
    world = _world()
    _lifecycle(world)
    assert (world.network.sent, world.network.lost) == (10, 0)


def test_a_link_config_cannot_be_changed_in_place():
    world = _world()
    with pytest.raises(FrozenInstanceError):
        world.network.link.loss = 0.5  # type: ignore[misc]


def test_a_new_link_config_with_loss_takes_effect():
    world = _world()
    world.network.link = replace(world.network.link, loss=1.0)
    _lifecycle(world)
    assert world.network.lost == world.network.sent > 1  # every SYN lost, retransmitted, lost again


def test_a_new_link_config_with_duplication_takes_effect():
    world = _world()
    world.network.link = replace(world.network.link, duplicate=1.0)
    _lifecycle(world)
    # Every segment arrives twice; the duplicates of data and FINs are answered with more ACKs.
    assert world.network.sent > 10


def test_an_impairment_added_later_drops_segments():
    world = _world()
    world.network.impair(Impairment("drop every SYN", has_flags(Flags.SYN), count=1))
    _lifecycle(world)
    assert world.network.lost == 1 and world.network.sent == 11  # the SYN, once more after the RTO


def test_a_box_added_later_sees_every_segment():
    world = _world()
    seen: list[int] = []
    world.network.rewrite(Rewrite("a counter", lambda seg: seen.append(seg.seq)))
    _lifecycle(world)
    assert len(seen) == world.network.sent == 10


def test_a_narrow_hop_added_later_drops_what_is_too_big():
    world = _world()
    world.network.narrow_link(NarrowLink(mtu=100, icmp=False))
    _lifecycle(world)
    assert world.network.lost > 0  # the 200-byte answer does not fit
