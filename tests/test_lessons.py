"""The lessons' figures against the arithmetic that predicts them.

Each scenario's ``summary`` comes out of the engine and the simulated network;
here each figure is held to what the protocol's rules say it must be, so an
engine change that breaks a lesson is caught.
"""

from math import ceil

import pytest

from synack.scenarios import run_scenario
from synack.tcp.listener import secs_to_retrans
from synack.trace.json_view import trace_json

SPACE = 2**32


# ------------------------------------------------------------------ setup_tax
@pytest.mark.parametrize("rtt_ms", [20, 100, 250])
@pytest.mark.parametrize("profile", ["linux", "rfc9293"])
def test_setup_tax_round_trips(rtt_ms, profile):
    rtt = rtt_ms * 1000
    s = run_scenario("setup_tax", profile=profile, rtt_us=rtt).summary
    # Handshake round trips plus one for the request: TCP 1, TLS 1.2 +2, TLS 1.3 +1, Fast Open -1, QUIC 1, 0-RTT 0.
    assert s["ttfb_rtt"] == {"tcp": 2, "tcp+tls1.2": 4, "tcp+tls1.3": 3, "tfo+tls1.3": 2, "quic": 2, "quic-0rtt": 1}
    assert s["ttfb_ms"] == {k: v * rtt_ms for k, v in s["ttfb_rtt"].items()}
    assert s["chart"]["labels"] == list(s["ttfb_rtt"]) and s["chart"]["values"] == list(s["ttfb_rtt"].values())


def test_setup_tax_big_certificates_cost_round_trips():
    # QUIC may send 3 x 1200 bytes before the client's address is proven (RFC 9000 8.1): a server flight of
    # 500 + cert bytes above 3600 waits a round trip.
    assert run_scenario("setup_tax", params={"cert_bytes": "3100"}).summary["ttfb_rtt"]["quic"] == 2
    assert run_scenario("setup_tax", params={"cert_bytes": "3101"}).summary["ttfb_rtt"]["quic"] == 3
    # TCP's initial window is 10 segments of 1448 bytes: a TLS 1.3 flight beyond 14480 bytes waits for ACKs.
    big = run_scenario("setup_tax", params={"cert_bytes": str(14480 - 500 + 1)}).summary["ttfb_rtt"]
    assert big["tcp+tls1.3"] == 4 and big["tcp"] == 2


def test_setup_tax_flights_are_on_the_wire():
    trace = trace_json(run_scenario("setup_tax"))
    datagrams = [e for e in trace["events"] if e["type"] == "datagram"]
    assert datagrams[0]["bytes"] == 1200 and datagrams[0]["label"] == "Initial[ClientHello]"
    tfo_syn = [s for s in trace["steps"] if s["segment"]["flags"] == ["SYN"] and s["segment"]["len"]]
    assert len(tfo_syn) == 1 and tfo_syn[0]["segment"]["len"] == 517  # the ClientHello rides in the SYN


# ------------------------------------------------------------------ fast_open
@pytest.mark.parametrize("profile", ["linux", "rfc9293"])
def test_fast_open_middleboxes(profile):
    def run(box):
        return run_scenario("fast_open", profile=profile, params={"middlebox": box, "connections": "3"}).summary

    clean = run("none")
    assert clean["data_in_syn_acked"] == [False, True, True]
    assert clean["answer_rtt"] == [2, 1, 1]
    strip = run("strip")
    # No cookie ever comes back, the SYN's data is not acknowledged, the request goes after the handshake.
    assert strip["cookie_offered"] == [False, False, False] and strip["data_in_syn_acked"] == [False] * 3
    assert strip["answer_rtt"] == [2, 2, 2]
    drop = run("drop")
    # The SYN with the option is lost; the retransmission after the initial RTO (1 s) has neither.
    rto_rtts = 1_000_000 / 100_000
    assert drop["answer_rtt"] == [2 + rto_rtts] * 3


def test_fast_open_strip_resends_the_syn_data_after_the_handshake():
    trace = trace_json(run_scenario("fast_open", params={"middlebox": "strip"}))
    rewrites = [e for e in trace["events"] if e["type"] == "rewrite"]
    assert rewrites and "tfo" not in rewrites[0]["segment"]
    first = trace["steps"][:3]
    assert [s["segment"]["flags"] for s in first] == [["SYN"], ["SYN", "ACK"], ["PSH", "ACK"]]
    assert first[1]["segment"]["ack"] == 1 and "tfo" not in first[1]["segment"]["options"]


# -------------------------------------------------------------- rst_injection
@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("profile", ["linux", "rfc9293"])
def test_rst_injection_arithmetic(seed, profile):
    off = run_scenario("rst_injection", profile=profile, seed=seed, params={"rfc5961": "off"}).summary
    window = off["window_bytes"]
    assert window == 65536
    assert off["guesses_full_space_before_rfc5961"] == ceil(SPACE / window) == 65536
    assert off["guesses_full_space_rfc5961"] == SPACE
    assert off["guesses_sent"] == ceil(off["search_space"] / window)
    # Guess i lands i x window past the start, RCV.NXT - distance: the first at or past RCV.NXT resets.
    assert off["connection_reset"] and off["reset_by_guess"] == ceil(off["distance"] / window) + 1
    on = run_scenario("rst_injection", profile=profile, seed=seed).summary
    assert on["distance"] == off["distance"]
    assert not on["connection_reset"] and on["reset_by_guess"] is None
    assert on["challenge_acks"] >= 1  # the in-window guess was answered, not obeyed
    assert on["client_state_at_close"] == "ESTABLISHED"


# ------------------------------------------------------------- isn_prediction
@pytest.mark.parametrize("profile", ["linux", "rfc9293"])
def test_isn_prediction_rfc793_falls(profile):
    s = run_scenario("isn_prediction", profile=profile).summary
    a, b = s["probe_isns"]
    assert (b - a) % SPACE == (100_000 + 100_000) // 4  # probes 1 RTT + 100 ms apart, one tick per 4 µs
    assert s["isn_ticks_per_second"] == 250_000
    assert s["prediction_error"] == 0 and s["predicted_isn"] == s["actual_isn"]
    assert s["handshake_completed"] and s["command_run_as_trusted"] == "echo + + >> /.rhosts"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_isn_prediction_rfc6528_holds(seed):
    s = run_scenario("isn_prediction", seed=seed, params={"isn": "rfc6528"}).summary
    assert s["prediction_error"] != 0
    assert not s["handshake_completed"] and s["command_run_as_trusted"] is None
    assert s["spoofed_bytes_accepted"] == 0


# ------------------------------------------------------------ pmtud_blackhole
@pytest.mark.parametrize("mtu", [1400, 1280])
@pytest.mark.parametrize("profile", ["linux", "rfc9293"])
def test_pmtud_icmp_delivered(mtu, profile):
    s = run_scenario("pmtud_blackhole", profile=profile, params={"tunnel_mtu": str(mtu)}).summary
    assert s["answer_complete"] and s["answer_bytes_received"] == 4000
    # New MSS = MTU - 20 (IP) - 20 (TCP) - 12 (timestamps); packets exactly fill the tunnel.
    assert s["server_mss"] == mtu - 52 and s["largest_packet_through_tunnel"] == mtu
    # 4000 bytes in 1448-byte segments: those of 1500 bytes do not fit, each draws one ICMP.
    full = 4000 // 1448
    tail = 4000 - full * 1448
    too_big = full + (1 if tail + 52 > mtu else 0)
    assert s["icmp_messages"] == s["packets_too_big"] == too_big


@pytest.mark.parametrize("profile", ["linux", "rfc9293"])
def test_pmtud_black_hole_and_clamping(profile):
    hole = run_scenario("pmtud_blackhole", profile=profile, params={"icmp": "blocked"}).summary
    assert not hole["answer_complete"] and hole["answer_bytes_received"] == 0
    assert hole["icmp_messages"] == 0 and hole["packets_too_big"] >= 3
    assert hole["server_mss"] == 1448  # nothing told the server
    clamped = run_scenario("pmtud_blackhole", profile=profile, params={"icmp": "blocked", "mss_clamp": "on"}).summary
    assert clamped["answer_complete"] and clamped["packets_too_big"] == 0
    assert clamped["mss_server_learned_from_syn"] == 1400 - 40
    assert clamped["answer_rtt"] == 2


# -------------------------------------------------------- options_negotiation
@pytest.mark.parametrize("rtt_ms", [50, 100])
def test_options_window_ceiling(rtt_ms):
    rtt_s = rtt_ms / 1000
    scaled = run_scenario("options_negotiation", rtt_us=rtt_ms * 1000).summary
    unscaled = run_scenario("options_negotiation", rtt_us=rtt_ms * 1000, params={"server_wscale": "off"}).summary
    assert scaled["agreed"]["window_scale"] == {"client_shift": 10, "server_shift": 10}
    assert unscaled["agreed"]["window_scale"] is None
    assert unscaled["largest_window_advertised_bytes"] == 65535
    assert scaled["largest_window_advertised_bytes"] == (4 << 20) // 2  # Linux advertises half the buffer
    assert unscaled["ceiling_unscaled_mbit_s"] == round(65535 * 8 / rtt_s / 1e6, 2)
    assert scaled["ceiling_this_window_mbit_s"] == round((2 << 20) * 8 / rtt_s / 1e6, 2)
    assert unscaled["goodput_mbit_s"] <= unscaled["ceiling_unscaled_mbit_s"]
    assert scaled["goodput_mbit_s"] > unscaled["goodput_mbit_s"]


@pytest.mark.parametrize("profile", ["linux", "rfc9293"])
@pytest.mark.parametrize("off", ["client_sack", "server_sack", "client_ts", "server_ts", "client_ecn",
                                 "server_ecn", "client_wscale", "server_wscale"])
def test_options_agreed_only_when_both_send(profile, off):
    run = run_scenario("options_negotiation", profile=profile, params={off: "off", "transfer": "1000"})
    agreed = run.summary["agreed"]
    key = {"sack": "sack", "ts": "timestamps", "ecn": "ecn", "wscale": "window_scale"}[off.split("_")[1]]
    for name, value in agreed.items():
        assert bool(value) == (name != key), (name, value)
    syn, synack = trace_json(run)["steps"][:2]
    option = {"sack": "sackOK", "ts": "TS", "wscale": "wscale"}.get(off.split("_")[1])
    if option:
        # A SYN-ACK carries only what the SYN offered (RFC 7323 2.2, Linux tcp_synack_options).
        assert (option in syn["segment"]["options"]) == off.startswith("server")
        assert option not in synack["segment"]["options"]
    else:
        assert ("ECE" in syn["segment"]["flags"]) == off.startswith("server")
        assert "ECE" not in synack["segment"]["flags"]


def test_ecn_setup_flags():
    syn, synack = trace_json(run_scenario("options_negotiation", params={"transfer": "1000"}))["steps"][:2]
    assert syn["segment"]["flags"] == ["SYN", "ECE", "CWR"]  # RFC 3168 6.1.1
    assert synack["segment"]["flags"] == ["SYN", "ACK", "ECE"]


# --------------------------------------------------------------- defer_accept
def expected_synack_resends(defer_s: int, schedule=(1, 2, 4, 8, 16, 32)) -> list[int]:
    """Linux syn_ack_recalc: after the dropped bare ACK, resend only from timeout rskq - 1 on."""
    rskq = secs_to_retrans(defer_s, 1, 120)
    times, t = [], 0
    for timeouts, gap in enumerate(schedule[:-1]):
        t += gap
        if timeouts >= rskq - 1:
            times.append(t)
    return times


def test_secs_to_retrans_matches_linux():
    assert [secs_to_retrans(s, 1, 120) for s in (0, 1, 2, 3, 4, 5, 7, 8, 15, 16, 31, 32)] == \
        [0, 1, 2, 2, 3, 3, 3, 4, 4, 5, 5, 6]


@pytest.mark.parametrize("defer", [1, 3, 5, 15])
def test_defer_accept_scanner_never_wakes_the_application(defer):
    run = run_scenario("defer_accept", params={"defer_accept": str(defer)})
    s = run.summary
    assert not s["scanner_woke_application"]
    assert [a["peer"] for a in s["accepted"]] == ["10.0.0.1"] and s["accepted"][0]["bytes_readable"] == 100
    assert s["client_answer_rtt"] == 2
    assert s["bare_acks_dropped"] == 2  # the scanner's and the client's
    trace = trace_json(run)
    resent = [st["sent_us"] - trace["steps"][1]["sent_us"] for st in trace["steps"]
              if st["segment"]["to"] == "scanner" and st["segment"]["flags"] == ["SYN", "ACK"]][1:]
    assert [round(t / 1e6) for t in resent] == expected_synack_resends(defer)
    assert s["synacks_resent_to_scanner"] == len(expected_synack_resends(defer))


def test_without_defer_accept_the_scanner_wakes_the_application():
    s = run_scenario("defer_accept", params={"defer_accept": "0"}).summary
    assert s["scanner_woke_application"] and s["bare_acks_dropped"] == 0
    scanner = next(a for a in s["accepted"] if a["peer"] == "10.0.0.66")
    assert scanner["bytes_readable"] == 0 and scanner["at_ms"] == 150  # at the handshake's ACK, 1.5 RTT


# ------------------------------------------------------------ terminal views
def test_run_prints_the_chart_and_figures(capsys):
    from synack.cli import main
    assert main(["run", "setup_tax", "--rtt", "20ms"]) == 0
    out = capsys.readouterr().out
    assert "Time to the first byte of the answer (round trips)" in out
    bars = {line.split()[0]: line.count("▇") for line in out.splitlines() if "▇" in line}
    assert list(bars) == ["tcp", "tcp+tls1.2", "tcp+tls1.3", "tfo+tls1.3", "quic", "quic-0rtt"]
    # Bar lengths are proportional to the round trips: 2, 4, 3, 2, 2, 1.
    unit = bars["quic-0rtt"]
    for label, rtts in zip(bars, (2, 4, 3, 2, 2, 1), strict=True):
        assert abs(bars[label] - rtts * unit) <= rtts, (label, bars)
    assert "ttfb_ms › tcp+tls1.2" in out and "80" in out


def test_plot_saves_the_lessons_chart(tmp_path):
    from synack.cli import main
    target = tmp_path / "tax.svg"
    assert main(["run", "setup_tax", "--format", "none", "--plot", str(target)]) == 0
    svg = target.read_text()
    assert svg.startswith("<?xml") and "Time to the first byte" in svg and "quic-0rtt" in svg


def test_play_shows_the_figures_at_the_end():
    from rich.console import Console
    from synack.trace.ladder import connection_view
    from synack.trace.play import frame
    trace = trace_json(run_scenario("rst_injection", params={"rfc5961": "off"}))
    view = connection_view(trace, 0)
    console = Console(width=140, record=True, color_system=None)

    def text(k):
        with console.capture() as cap:
            console.print(frame(view, k, 140))
        return cap.get()
    assert "connection_reset" not in text(1)
    last = text(len(view["steps"]) + 1)  # the end frame, after the last segment
    assert "connection_reset" in last and "reset_by_guess" in last


def test_fast_open_strip_tries_the_experimental_option_once():
    # Linux (tcp_rcv_fastopen_synack, try_exp): a cookie request that went unanswered is repeated with the
    # experimental option kind 254 (magic 0xF989); when that fails too, back to kind 34 for good.
    trace = trace_json(run_scenario("fast_open", params={"middlebox": "strip", "connections": "4"}))
    syns = [s for s in trace["steps"] if s["segment"]["flags"] == ["SYN"]]
    kinds = [[o["text"] for o in s["segment"]["options_detail"] if "tfo" in o["text"]] for s in syns]
    assert kinds == [["tfo cookiereq"], ["exp-tfo cookiereq"], ["tfo cookiereq"], ["tfo cookiereq"]]


def test_pmtud_resends_only_what_did_not_fit_cut_to_the_new_mss():
    # Linux tcp_simple_retransmit: segments larger than the new MSS (1448 > 1348) go again at once, each cut
    # in two (1348 + 100); the 1104-byte tail fitted the tunnel and is not sent again.
    trace = trace_json(run_scenario("pmtud_blackhole"))
    resent = [s["segment"]["len"] for s in trace["steps"] if s["segment"]["reason"] == "pmtu-retransmit"]
    assert resent == [1348, 100, 1348, 100]


def test_no_golden_record_hides_a_failed_run():
    # A run that raises is written to the golden file as "error: ..."; none of the records may be that.
    from golden import GOLDEN_DIR
    failed = [p.name for p in GOLDEN_DIR.glob("*.txt") if p.read_text().startswith("error:")]
    assert failed == []
