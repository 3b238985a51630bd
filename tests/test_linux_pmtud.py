"""``pmtud_blackhole`` against Linux across a router with a 1400-byte link (tools/record_linux_routed.py).

The recordings run at veth speed (tens of µs), where the order of an ICMP,
a SACK and the sender's own progress is a matter of microseconds, so the
segments are not compared one by one as in test_linux_profile.  What the
lesson claims is compared instead, the same way for Linux's capture and the
simulator's pcap: the segment sizes before and after the ICMP, what is sent
again and what is not, the backoff when ICMP is blocked, the clamped MSS.
"""

from pathlib import Path

import pytest

from synack.scenarios import run_scenario
from synack.trace.json_view import trace_json
from synack.wire.conversations import conversations, retransmission_delays
from synack.wire.pcap import packets_from_trace, read_pcap

FIXTURES = Path(__file__).parent / "fixtures" / "linux"
VARIANTS = {"pmtud_blackhole": {}, "pmtud_blackhole_blocked": {"icmp": "blocked"},
            "pmtud_blackhole_clamp": {"icmp": "blocked", "mss_clamp": "on"}}
VETH_RTT_US = 40


def answer_rows(source, name):
    """The server's data segments (relative seq, length) and the client's rows of the one connection."""
    if source == "linux":
        packets = read_pcap(FIXTURES / f"{name}.pcap")
    else:
        run = run_scenario("pmtud_blackhole", rtt_us=VETH_RTT_US, params=VARIANTS[name])
        packets = packets_from_trace(trace_json(run))
    (conv,) = conversations(packets)
    return [r for r in conv.reverse if r.length], conv.forward


@pytest.mark.parametrize("source", ["linux", "simulator"])
def test_icmp_delivered_resends_what_did_not_fit_in_smaller_pieces(source):
    data, client = answer_rows(source, "pmtud_blackhole")
    assert [(r.rel_seq, r.length) for r in data[:3]] == [(1, 1448), (1449, 1448), (2897, 1104)]
    pieces = [(r.rel_seq, r.length) for r in data if r.length < 1448 and r.rel_seq != 2897]
    # Each 1448-byte segment goes again as 1348 + 100: MSS = 1400 - 40 - 12 (timestamps).
    assert pieces == [(1, 1348), (1349, 100), (1449, 1348), (2797, 100)]
    assert [r.rel_seq for r in data].count(2897) == 1  # the tail fitted: never sent again
    assert any(r.rel_ack == 4001 for r in client)  # the whole answer arrived


@pytest.mark.parametrize("source", ["linux", "simulator"])
def test_icmp_blocked_the_answer_vanishes(source):
    data, client = answer_rows(source, "pmtud_blackhole_blocked")
    first = [r for r in data if r.rel_seq == 1]
    assert all(r.length == 1448 for r in first) and len(first) >= 6  # sent, and sent again, at full size
    assert not any(r.length in (1348, 100) for r in data)
    assert not any((r.rel_ack or 0) > 1 for r in client if "R" not in r.flags)
    # The retransmission timer doubles from about 200 ms (Linux's floor plus a tiny RTT), within 10 %.
    timer = [g for g in retransmission_delays(first) if g > 100_000][:5]
    assert 190_000 < timer[0] < 230_000
    for k, gap in enumerate(timer):
        assert abs(gap / timer[0] - 2**k) <= 0.1 * 2**k, (k, timer)
    reset = [r for r in client if "R" in r.flags]
    assert len(reset) == 1 and abs(reset[0].t_us - 10_000_000) < 100_000  # the client gave up at 10 s


@pytest.mark.parametrize("source", ["linux", "simulator"])
def test_mss_clamping_keeps_every_segment_small(source):
    data, _client = answer_rows(source, "pmtud_blackhole_clamp")
    assert [r.length for r in data] == [1348, 1348, 1304]  # 1360 - 12, nothing lost, nothing resent
