"""The ``linux`` profile against real Linux: each scenario run at loopback's RTT reproduces its capture.

The recordings in ``tests/fixtures/linux`` were made with ``tools/record_linux.py``
(tcpdump on ``lo``, iptables drops on INPUT).  Per connection and per
direction, the simulator must put the same segments on the wire as the
kernel did: flags, relative seq and ack, payload length, option kinds in wire
order; and every retransmission must come within 10 % of the kernel's delay.
"""

import json
from pathlib import Path

import pytest

from synack.scenarios import SCENARIOS, run_scenario
from synack.trace.json_view import trace_json
from synack.wire.conversations import conversations, describe, retransmission_delays
from synack.wire.pcap import packets_from_trace, read_pcap

FIXTURES = Path(__file__).parent / "fixtures" / "linux"
LINUX_SCENARIOS = [
    "client_close", "client_close_lingering_server", "server_close", "refused", "syn_lost", "synack_lost",
    "abort", "close_unread", "simultaneous_close", "simultaneous_open", "fast_open", "syn_cookies",
    "keepalive", "half_close", "in_window_attacks", "ack_to_closed_port", "defer_accept",
]
# Recordings of a scenario with other parameters: recording name -> (scenario, parameters).
LINUX_VARIANTS = {"fast_open_strip": ("fast_open", {"middlebox": "strip", "connections": "3"}),
                  "fast_open_drop": ("fast_open", {"middlebox": "drop", "connections": "3"})}
LOOPBACK_RTT_US = 40  # what the recordings show between SYN and the handshake's ACK, give or take


# A retransmission triggered by an arriving segment rather than a timer (a SYN-ACK repeated
# for a repeated SYN) follows within a loopback round trip; timing noise that small is
# not a difference in behaviour, so delays match within 10 % or within this much.
EVENT_DRIVEN_SLACK_US = 1000


def shape(conv):
    def rows(direction):
        out = []
        for i, r in enumerate(direction):
            # A SYN after the first segment of a direction is a forged one (in_window_attacks):
            # its number relative to an ISN the simulator chose at random means nothing.
            rel_seq = None if (i and "S" in r.flags and "." not in r.flags) else r.rel_seq
            out.append((r.flags, rel_seq, r.rel_ack, r.length, r.option_kinds))
        return out
    return rows(conv.forward), rows(conv.reverse)


def simulated(name):
    scenario, params = LINUX_VARIANTS.get(name, (name, {}))
    trace = trace_json(run_scenario(scenario, profile="linux", rtt_us=LOOPBACK_RTT_US,
                                    params={"mss": "65495", **params}))
    return conversations(packets_from_trace(trace))


def test_every_named_scenario_has_a_recording():
    missing = [n for n in LINUX_SCENARIOS if not (FIXTURES / f"{n}.pcap").exists()]
    assert not missing, f"no Linux recording for {missing}"
    assert set(LINUX_SCENARIOS) <= set(SCENARIOS)


@pytest.mark.parametrize("name", LINUX_SCENARIOS + list(LINUX_VARIANTS))
def test_linux_profile_reproduces_the_capture(name):
    real = conversations(read_pcap(FIXTURES / f"{name}.pcap"))
    sim = simulated(name)
    assert len(sim) == len(real), (
        f"{len(sim)} connections simulated, {len(real)} recorded\n--- linux\n"
        + "\n".join(describe(c) for c in real) + "\n--- synack\n" + "\n".join(describe(c) for c in sim))
    for r, s in zip(real, sim, strict=True):
        assert shape(s) == shape(r), f"\n--- linux\n{describe(r)}\n--- synack\n{describe(s)}"
        for direction in ("forward", "reverse"):
            real_delays = retransmission_delays(getattr(r, direction))
            sim_delays = retransmission_delays(getattr(s, direction))
            assert len(sim_delays) == len(real_delays)
            for a, b in zip(real_delays, sim_delays, strict=True):
                assert abs(a - b) <= max(0.1 * a, EVENT_DRIVEN_SLACK_US), \
                    f"retransmission after {b} µs, Linux after {a} µs"


def test_recordings_say_how_they_were_made():
    for name in LINUX_SCENARIOS + list(LINUX_VARIANTS):
        meta = json.loads((FIXTURES / f"{name}.json").read_text())
        assert meta.get("kernel"), name
