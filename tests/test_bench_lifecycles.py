"""The simulation ``synack bench lifecycles`` times: N whole ``client_close`` lifecycles, one after the other."""

from __future__ import annotations

from synack.scenarios.bench import simulate_lifecycles


def test_each_lifecycle_is_the_ten_segments_of_client_close_and_all_of_them_end():
    world = simulate_lifecycles(3)
    client, server = world.hosts["client"], world.hosts["server"]
    assert world.network.sent == 30 and world.network.lost == 0
    # Every connection is gone at the end, the client's after its 60 s of TIME_WAIT.
    assert not client.connections and not server.connections
    assert world.sched.now >= 60_000_000 and world.sched.pending == 0
