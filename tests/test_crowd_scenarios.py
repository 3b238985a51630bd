"""The crowd scenarios' figures against the arithmetic that predicts them.

Each figure comes out of the engine and the simulated network; these tests
hold it to the sum a reader would do by hand (ports / rate, the RTO backoffs,
tcp_fin_timeout, the SYN-ACK schedule), so an engine change that moves it is
caught.  Sizes are kept small; bench/crowd.py runs the big ones.
"""

import pytest

from synack.scenarios import run_scenario
from synack.scenarios.base import S
from synack.tcp import cookies
from synack.tcp.profiles import LINUX
from synack.trace.json_view import trace_json


def series(trace, key):
    found = {s["key"]: s for s in trace["crowd"]["series"]}
    return found[key]["values"] if key in found else [0] * len(trace["crowd"]["t_us"])


def at(trace, key, t_us):
    """A series' value at the last sample taken at or before ``t_us``."""
    values = series(trace, key)
    idx = max(i for i, t in enumerate(trace["crowd"]["t_us"]) if t <= t_us)
    return values[idx]


# ------------------------------------------------------------------ syn_flood
def test_syn_flood_without_cookies_shuts_real_clients_out():
    trace = trace_json(run_scenario("syn_flood", params={"cookies": "off"}))
    s = trace["summary"]
    assert s["legit_success_rate"] < 0.5
    assert s["cookies_sent"] == 0
    backlog = s["backlog"]
    assert max(series(trace, "server.syn_queue")) == backlog  # full, never more
    # Forged entries live 1+2+4+8+16+32 = 63 s (five SYN-ACK retransmissions), so the queue is
    # refilled once every 63 s: 4 generations during a 200 s flood.  The real clients' 11 SYNs
    # each (Linux's SYN schedule) are all among the drops.
    lifetime = sum(LINUX.synack_schedule_us)
    assert lifetime == 63 * S
    generations = -(-200 * S // lifetime)
    syns = s["forged_syns"] + 11 * s["legit_clients"]
    entries = syns - s["syns_dropped_queue_full"]
    assert entries == generations * backlog
    assert s["synacks_sent"] == entries * (1 + 5)
    assert at(trace, "server.syn_queue", 62 * S) == backlog
    client_syns = [st["sent_us"] - trace["steps"][0]["sent_us"] for st in trace["steps"]
                   if st["segment"]["from"] == "client"]
    assert client_syns == [t * S for t in (0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67)]
    assert s["connect_failures"] == {"ETIMEDOUT": s["legit_clients"]}
    # Each of the featured client's SYNs is said to be discarded, and why.
    assert all(st["note"].endswith("The server discards it: SYN queue full.") for st in trace["steps"])


def test_syn_flood_with_cookies_serves_real_clients_and_keeps_no_state_per_syn():
    trace = trace_json(run_scenario("syn_flood", params={"cookies": "on"}))
    s = trace["summary"]
    assert s["legit_success_rate"] > 0.95
    assert s["syns_dropped_queue_full"] == 0
    # State for at most `backlog` SYNs; every other SYN got a cookie and left nothing behind.
    assert max(series(trace, "server.syn_queue")) == s["backlog"]
    assert s["cookies_validated"] == s["legit_served"]
    # No drops: a SYN either got a slot (and six SYN-ACKs) or a cookie (one).
    entries = s["forged_syns"] + s["legit_clients"] - s["cookies_sent"]
    assert s["synacks_sent"] == s["cookies_sent"] + 6 * entries
    c = s["cookie"]
    assert cookies.MSS_TABLE[c["mss_index"]] == c["mss"] == 1460  # the client's MSS is in the table
    assert c["counter"] == (c["sent_us"] // cookies.MINUTE_US) & 0xFF
    assert c["tsval_low_bits"] == {"value": 10 | cookies.TS_SACK, "wscale": 10, "sack": True, "ecn": False}
    assert any("retransmission" in item for item in c["lost"])
    # The cookie SYN-ACK is the featured connection's second segment, with the ISN the summary decodes.
    synack = trace["steps"][1]
    assert synack["segment"]["reason"] == "syn-ack-cookie" and synack["segment"]["abs_seq"] == c["isn"]


def test_syn_flood_always_cookies_keeps_nothing():
    trace = trace_json(run_scenario("syn_flood", params={"cookies": "always", "clients": "3"}))
    assert max(series(trace, "server.syn_queue")) == 0
    assert trace["summary"]["cookies_sent"] == trace["summary"]["forged_syns"] + 3


def test_cookie_without_timestamps_loses_window_scale_and_sack():
    run = run_scenario("syn_flood", params={"clients": "1", "flood_for": "10s"},
                       profile_settings={"timestamps": False})
    c = trace_json(run)["summary"]["cookie"]
    assert "tsval_low_bits" not in c
    assert {"wscale", "sackOK"} <= set(c["lost"])


# -------------------------------------------------------- time_wait_exhaustion
@pytest.mark.parametrize("rate, low", [(1000, 59000), (250, 60500), (100, 60000)])
def test_first_failure_is_ports_over_rate(rate, low):
    high = 60999
    trace = trace_json(run_scenario("time_wait_exhaustion", rtt_us=1000, params={
        "rate": str(rate), "port_low": str(low), "duration": f"{(high - low + 1) // rate + 2}s"}))
    ports = high - low + 1
    assert trace["summary"]["first_failure_s"] == pytest.approx(ports / rate, abs=1e-6)
    assert max(series(trace, "proxy.TIME_WAIT")) == ports
    # Linux's range holds 28,232 ports: 28.232 s at 1,000 per second (bench/crowd.py runs it).
    assert 60999 - 32768 + 1 == 28232


def test_time_wait_exhaustion_failures_stop_when_the_first_time_wait_expires():
    trace = trace_json(run_scenario("time_wait_exhaustion", params={"duration": "75s", "rate": "100"}))
    s = trace["summary"]
    # 1,000 ports at 100/s: full at 10 s; the first port is free again 60 s after its connection closed.
    assert s["first_failure_s"] == 10.0
    failed = series(trace, "proxy.connect_failed.EADDRNOTAVAIL")
    failed_by = dict(zip(trace["crowd"]["t_us"], failed, strict=True))
    assert failed_by[60 * S] == (60 - 10) * 100
    # Ports come back 60 s after they were taken: those of 0-10 s during 60-70 s (the request at
    # exactly 60 s is a little early for the first), none of 10-20 s, so it fails again from 70 s.
    assert failed_by[70 * S] == failed_by[61 * S] == failed_by[60 * S] + 1
    assert failed_by[75 * S] - failed_by[71 * S] == 4 * 100


@pytest.mark.parametrize("mitigation", [{"tw_reuse": "on"}, {"keep_alive": "on"}, {"port_low": "58000"}])
def test_time_wait_exhaustion_mitigations(mitigation):
    trace = trace_json(run_scenario("time_wait_exhaustion", params=mitigation))
    s = trace["summary"]
    assert s["first_failure_s"] is None and s["connect_failures"] == 0
    assert s["requests_served"] == s["requests"]
    if "tw_reuse" in mitigation:
        # Once the 1,000 ports are taken, every new connection takes over a TIME_WAIT one.
        assert s["tw_reused"] == s["requests"] - s["ephemeral_ports"]
        assert max(series(trace, "proxy.TIME_WAIT")) == s["ephemeral_ports"]
    if "keep_alive" in mitigation:
        assert max(series(trace, "proxy.TIME_WAIT")) == 8  # one per pooled connection, at the end


def test_tw_reuse_needs_timestamps():
    trace = trace_json(run_scenario("time_wait_exhaustion", params={"tw_reuse": "on"},
                                    profile_settings={"timestamps": False}))
    assert trace["summary"]["first_failure_s"] == 10.0


def test_tw_reuse_takes_over_the_port_with_an_isn_above_the_old_connection():
    trace = trace_json(run_scenario("time_wait_exhaustion", params={"tw_reuse": "on"}))
    syns = [s for s in trace["steps"] if s["segment"]["flags"] == ["SYN"]]
    assert len(syns) == 2  # the featured 4-tuple, taken over once its port came round again
    old_fin = next(s for s in trace["steps"] if s["segment"]["from"] == "proxy" and "FIN" in s["segment"]["flags"])
    assert syns[1]["segment"]["abs_seq"] == (old_fin["segment"]["abs_seq"] + 1 + 65535 + 2) & 0xFFFFFFFF
    assert syns[1]["sent_us"] == 10 * S  # 1,000 ports at 100/s: the first comes round at 10 s


# ----------------------------------------------------------- close_wait_leak
def test_close_wait_piles_up_and_the_peers_time_out_in_fin_wait_2():
    trace = trace_json(run_scenario("close_wait_leak"))
    s = trace["summary"]
    assert s["leaked_sockets"] == 40 // 4 == s["client_timeouts"]
    close_wait = series(trace, "server.CLOSE_WAIT")
    assert max(close_wait) == s["leaked_sockets"]
    # The last leaking client (request 39, sent at 19.5 s) closes after its 5 s timeout; its
    # FIN_WAIT_2 ends tcp_fin_timeout (60 s) later: before the restart at 120 s, none is left.
    last_close = 39 / 2 * S + 5 * S
    assert at(trace, "client.FIN_WAIT_2", last_close + 1 * S) > 0
    assert at(trace, "client.FIN_WAIT_2", last_close + 60 * S + 1 * S) == 0
    assert at(trace, "server.CLOSE_WAIT", 119 * S) == s["leaked_sockets"]  # no timer ends CLOSE_WAIT
    assert close_wait[-1] == 0  # the restart closed them
    # The featured connection ends with the late FIN answered by a reset.
    flags = [st["segment"]["flags"] for st in trace["steps"]]
    assert flags[-2:] == [["FIN", "ACK"], ["RST"]]


# ----------------------------------------------------------------- half_open
def linux_rto(rtt_us):
    """Linux's RTO after one clean sample: srtt + max(4 * rttvar, 200 ms) (tcp_set_rto)."""
    return rtt_us + max(4 * (rtt_us // 2), LINUX.rto_min_us)


def test_half_open_writes_succeed_until_retries2_gives_up():
    rtt = 100
    trace = trace_json(run_scenario("half_open", rtt_us=rtt))
    s = trace["summary"]
    assert s["errno"] == "ETIMEDOUT"
    rto = linux_rto(rtt)
    backoffs = sum(min(rto << i, LINUX.rto_max_us) for i in range(LINUX.data_retries + 1))
    assert backoffs == pytest.approx(924.6 * S, abs=0.2 * S)  # 0.2 + 0.4 + ... + 102.4 + 6 x 120
    # The tail loss probe goes first: 1.5 RTT + 200 ms for a lone segment, but never after the RTO
    # it replaces; then the 16 backed-off RTOs.
    probe = min(rtt + rtt // 2 + LINUX.delack_max_us, rto)
    assert s["gave_up_after_first_write_s"] * S == pytest.approx(probe + backoffs, abs=1)
    assert s["writes_after_crash"] == int(s["gave_up_after_first_write_s"] // 10) + 1
    retransmits = [st for st in trace["steps"] if st["segment"]["reason"] == "retransmit"]
    assert len(retransmits) == 1 + LINUX.data_retries  # the probe and 15 RTO retransmissions


def test_half_open_rst_after_reboot():
    trace = trace_json(run_scenario("half_open", params={"reboot_after": "30s"}))
    s = trace["summary"]
    assert s["errno"] == "ECONNRESET"
    assert trace["steps"][-1]["segment"]["flags"] == ["RST"] and trace["steps"][-1]["segment"]["from"] == "server"
    assert s["error_at_s"] > 31  # the first retransmission after the server is back


def test_half_open_keepalive_notices_an_idle_peer():
    trace = trace_json(run_scenario("half_open", params={"writes": "off", "keepalive": "on"}))
    s = trace["summary"]
    assert s["errno"] == "ETIMEDOUT"
    # Idle 10 s after the last segment received, then 3 probes 5 s apart, then give up.
    last_rx = max(st["arrives_us"] for st in trace["steps"] if st["segment"]["from"] == "server")
    assert s["error_at_s"] == pytest.approx((last_rx + 10 * S + 3 * 5 * S) / S, abs=1e-3)
    probes = [st for st in trace["steps"] if st["segment"]["reason"] == "keepalive"]
    assert len(probes) == 3


def test_half_open_crowd_shows_one_side_still_established():
    trace = trace_json(run_scenario("half_open"))
    crash = trace["summary"]["crash_at_s"] * S
    before, after = crash - 1 * S, crash + 10 * S
    assert at(trace, "client.ESTABLISHED", before) == at(trace, "server.ESTABLISHED", before) == 1
    assert at(trace, "client.ESTABLISHED", after) == 1 and at(trace, "server.ESTABLISHED", after) == 0


@pytest.mark.parametrize("name, params, message", [
    ("time_wait_exhaustion", {"port_low": "60000", "port_high": "50000"}, "port_high must not be below"),
    ("time_wait_exhaustion", {"rate": "100000", "duration": "3600s"}, "bench/crowd.py"),
    ("syn_flood", {"rate": "10000000", "flood_for": "3600s"}, "bench/crowd.py"),
    ("syn_flood", {"cookies": "maybe"}, "one of off, on, always"),
])
def test_bad_crowd_settings_are_one_sentence(name, params, message):
    from synack.scenarios import ScenarioError
    with pytest.raises(ScenarioError, match=message) as info:
        run_scenario(name, params=params)
    assert str(info.value).endswith(".") and "\n" not in str(info.value)
