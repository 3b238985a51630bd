"""Every scenario runs under both profiles; the handshake lesson shows what the seed promises."""

import json

import pytest

from synack.scenarios import SCENARIOS, ScenarioError, run_scenario
from synack.trace.json_view import trace_json
from synack.wire.pcap import pcap_from_trace

NAMES = sorted(SCENARIOS)


@pytest.mark.parametrize("profile", ["linux", "rfc9293"])
@pytest.mark.parametrize("name", NAMES)
def test_every_scenario_runs_and_every_connection_ends_closed(name, profile):
    run = run_scenario(name, profile=profile)
    trace = trace_json(run)
    assert trace["steps"], "a scenario puts something on the wire"
    for host in run.hosts.values():
        for conn in host.all_connections:
            assert conn.state.value == "CLOSED", (host.name, conn.state)
    for step in trace["steps"]:
        assert 0 <= step["phase"] < len(trace["phases"])
        assert step["note"] and step["note"].endswith((".", ")"))
    json.dumps(trace)  # serialisable


def test_handshake_lesson():
    trace = trace_json(run_scenario("handshake", rtt_us=100_000))
    assert [p["label"] for p in trace["phases"]] == [
        "01 SYN", "02 SYN-ACK", "03 ACK", "04 data", "05 FIN", "06 ACK", "07 FIN", "08 ACK"]
    steps = trace["steps"]
    rtt = trace["rtt_us"]
    third = steps[2]
    assert third["segment"]["flags"] == ["ACK"]
    # Both ESTABLISHED only when the third segment arrives, at 1.5 RTT, with no data moved yet.
    assert third["states"] == {"client": "ESTABLISHED", "server": "ESTABLISHED"}
    assert third["arrives_us"] == 3 * rtt // 2
    assert all(s["segment"]["len"] == 0 for s in steps[:3])
    data = [s for s in steps if s["segment"]["len"]]
    assert data and all(trace["phases"][s["phase"]]["label"] == "04 data" for s in data)
    assert data[0]["sent_us"] == rtt  # the client may send after one RTT
    teardown = [s for s in steps if s["phase"] >= 4]
    assert [s["segment"]["flags"] for s in teardown] == [["FIN", "ACK"], ["ACK"], ["FIN", "ACK"], ["ACK"]]
    assert steps[-1]["states"] == {"client": "TIME_WAIT", "server": "CLOSED"}


def test_refused_reports_the_error_and_rst_ack():
    trace = trace_json(run_scenario("refused"))
    assert [s["segment"]["flags"] for s in trace["steps"]] == [["SYN"], ["RST", "ACK"]]
    assert trace["steps"][1]["segment"]["ack"] == 1
    assert trace["summary"]["client_error"] == "connection refused"


def test_same_seed_same_bytes_and_different_seed_different_isns():
    a = trace_json(run_scenario("client_close", seed=7))
    b = trace_json(run_scenario("client_close", seed=7))
    c = trace_json(run_scenario("client_close", seed=8))
    assert json.dumps(a) == json.dumps(b)
    assert pcap_from_trace(a) == pcap_from_trace(b)
    assert a["steps"][0]["segment"]["abs_seq"] != c["steps"][0]["segment"]["abs_seq"]


@pytest.mark.parametrize("kwargs, message", [
    ({"name": "nope"}, "unknown scenario"),
    ({"name": "handshake", "profile": "bsd"}, "unknown profile"),
    ({"name": "handshake", "rtt_us": 0}, "RTT"),
    ({"name": "handshake", "loss": 1.0}, "loss"),
    ({"name": "handshake", "seed": -1}, "seed"),
    ({"name": "handshake", "params": {"bogus": "1"}}, "no parameter"),
    ({"name": "handshake", "params": {"request_bytes": "many"}}, "whole number"),
    ({"name": "handshake", "params": {"server_close_delay": "soon"}}, "duration"),
])
def test_bad_settings_are_one_clear_sentence(kwargs, message):
    name = kwargs.pop("name")
    with pytest.raises(ScenarioError, match=message) as info:
        run_scenario(name, **kwargs)
    assert str(info.value).endswith(".")


def test_rfc793_isns_follow_the_4us_clock():
    trace = trace_json(run_scenario("handshake", params={"isn": "rfc793"}))
    assert trace["steps"][0]["segment"]["abs_seq"] == 0  # the clock at t = 0


def test_time_wait_reuse_starts_above_the_old_connection():
    trace = trace_json(run_scenario("time_wait"))
    synacks = [s for s in trace["steps"] if s["segment"]["flags"] == ["SYN", "ACK"]]
    assert len(synacks) == 2
    old_fin = [s for s in trace["steps"] if s["segment"]["from"] == "server" and "FIN" in s["segment"]["flags"]][0]
    old_snd_nxt = (old_fin["segment"]["abs_seq"] + 1) & 0xFFFFFFFF
    assert synacks[1]["segment"]["abs_seq"] == (old_snd_nxt + 65535 + 2) & 0xFFFFFFFF
    reopened = [e for e in trace["events"] if e["type"] == "state" and e.get("cause", "").startswith("a new SYN")]
    assert reopened and reopened[0]["old"] == "TIME_WAIT"
