"""The terminal views drawn from real traces: ladder, tcpdump lines, the player's frames."""

import re

from rich.console import Console

from synack.scenarios import list_scenarios, run_scenario
from synack.trace.json_view import trace_json
from synack.trace.ladder import connection_view, ladder_text, segment_label
from synack.trace.play import clock_at, frame, frames, states_at
from synack.trace.tcpdump_view import tcpdump_lines


def render(renderable, width=120, height=None):
    console = Console(width=width, height=height, color_system=None, force_terminal=False)
    with console.capture() as cap:
        console.print(renderable)
    return cap.get()


def rows_of(text):
    """Ladder rows: lines that start with a time (RTTs with two decimals, or seconds with more)."""
    return [line for line in text.splitlines() if re.match(r"^\s*\d+\.\d{2,6}\s", line)]


def test_ladder_arrows_point_the_way_segments_travel():
    text = ladder_text(trace_json(run_scenario("handshake")))
    lines = text.splitlines()
    syn = next(line for line in lines if "SYN 0" in line and "SYN+ACK" not in line)
    synack = next(line for line in lines if "SYN+ACK 0 ack 1" in line)
    assert "▶" in syn and "◀" not in syn
    assert "◀" in synack and "▶" not in synack
    assert all(label in text for label in ("01 SYN", "04 data", "08 ACK", "TIME_WAIT"))


def test_ladder_marks_lost_segments():
    text = ladder_text(trace_json(run_scenario("syn_lost")))
    lost = [line for line in rows_of(text) if "✗" in line]
    assert len(lost) == 1 and "SYN 0" in lost[0] and "01 lost" in lost[0]
    # The phase is the SYN that arrived, ten RTTs later.
    assert any("01 SYN" in line and "10.00" in line for line in rows_of(text))


# ------------------------------------------------------- states at the row's moment
def test_syn_lost_shows_the_client_established_on_its_ack_row():
    text = ladder_text(trace_json(run_scenario("syn_lost")))
    ack_row = next(line for line in rows_of(text) if "03 ACK" in line)
    assert "ESTABLISHED" in ack_row.split("─")[0] and "FIN_WAIT_1" not in ack_row


def test_handshake_rows_show_the_states_when_each_segment_left():
    trace = trace_json(run_scenario("handshake"))
    sent = [(s["segment"]["flags"], s["states_sent"]) for s in trace["steps"]]
    assert sent[0] == (["SYN"], {"client": "SYN_SENT", "server": "LISTEN"})
    assert sent[1] == (["SYN", "ACK"], {"client": "SYN_SENT", "server": "SYN_RECEIVED"})
    # The client may send at 1 RTT; the server is ESTABLISHED only when that ACK arrives.
    assert sent[2] == (["ACK"], {"client": "ESTABLISHED", "server": "SYN_RECEIVED"})


def test_no_state_is_shown_before_the_event_that_causes_it():
    for scenario in [s.name for s in list_scenarios()]:
        for loss, seed in ((0.0, 1), (0.3, 7)):
            trace = trace_json(run_scenario(scenario, loss=loss, seed=seed))
            changes = [e for e in trace["events"] if e["type"] == "state" and "socket" in e]
            for conn in trace["connections"]:
                host_ports = {(e["name"], e["port"]) for e in conn["ends"] if e["tcp"]}
                for i in conn["steps"]:
                    step = trace["steps"][i]
                    for end in conn["ends"]:
                        shown = step["states_sent"].get(end["name"])
                        if shown is None or shown in ("CLOSED", "LISTEN"):
                            continue
                        caused = [e for e in changes if e["endpoint"] == end["name"] and e["new"] == shown
                                  and e["local"].endswith(f":{end['port']}") and e["t_us"] <= step["sent_us"]]
                        assert caused, (scenario, loss, i, end["name"], shown, host_ports)


def test_syn_flood_shows_each_end_as_it_is_when_the_row_happens():
    trace = trace_json(run_scenario("syn_flood"))
    client_connect = next(e["t_us"] for e in trace["events"]
                          if e["endpoint"] == "client" and e.get("call") == "connect")
    for step in trace["steps"]:
        if "client" in step["states_sent"] and step["states_sent"]["client"] != "CLOSED":
            assert step["sent_us"] >= client_connect
        if step["segment"]["reason"] == "spoofed":
            assert "client" not in step["states_sent"]
    # SYN cookies: the server keeps no state for the client until its ACK comes back; it is LISTEN.
    synack = next(s for s in trace["steps"] if s["segment"]["flags"] == ["SYN", "ACK"])
    assert synack["states_sent"]["server"] == "LISTEN" and synack["segment"]["reason"] == "syn-ack-cookie"
    conn = trace["connections"][0]
    assert conn["initial_states"] == {"client": "CLOSED", "server": "LISTEN"}


# ------------------------------------------------------------- one connection each
def test_fast_open_draws_each_connection_as_its_own_ladder():
    trace = trace_json(run_scenario("fast_open"))
    conns = trace["connections"]
    assert len(conns) == 2
    assert {c["ends"][0]["port"] for c in conns} == {40384, 40385}
    for conn in conns:
        ports = {trace["steps"][i]["segment"]["src"] for i in conn["steps"]} | \
            {trace["steps"][i]["segment"]["dst"] for i in conn["steps"]}
        assert len(ports) == 2
        for i in conn["steps"]:
            step = trace["steps"][i]
            if step["segment"]["from"] == "client" and "FIN" in step["segment"]["flags"]:
                assert step["states_sent"]["client"] == "FIN_WAIT_1"
    text = ladder_text(trace, width=80)
    assert "connection 1 of 2: client 10.0.0.1:40384" in text and "connection 2 of 2: client 10.0.0.1:40385" in text
    first, second = text.split("connection 2 of 2")
    assert "SYN 0:100" in second and "SYN 0:100" not in first
    for part in (first, second):
        fin_row = next(line for line in rows_of(part) if "05 FIN" in line)
        assert "FIN_WAIT_1" in fin_row and "SYN_SENT" not in fin_row


# ------------------------------------------------------------------ terminal fit
def test_every_ladder_fits_80_columns_without_cutting_a_name():
    for s in list_scenarios():
        trace = trace_json(run_scenario(s.name, loss=0.2, seed=3))
        text = ladder_text(trace, width=80)
        lines = text.splitlines()
        assert max(len(line) for line in lines) <= 80, s.name
        assert "…" not in text, s.name
        shown = set(re.findall(r"\b[A-Z][A-Z_0-9]+\b", "\n".join(rows_of(text))))
        states = {v for step in trace["steps"] for v in step["states_sent"].values()}
        assert states <= shown, (s.name, states - shown)
        for row in rows_of(text):
            assert re.match(r"^\s*\d+\.\d{2,6}\s", row)  # the whole time, never "13.00 R…"
        # Every segment keeps its numbers, but a forged one whose label cannot fit (it keeps its flags).
        for step in trace["steps"]:
            if step["segment"]["reason"] != "spoofed":
                assert f" {segment_label(step['segment'])} " in text, (s.name, segment_label(step["segment"]))


def test_at_60_columns_both_ends_still_show():
    trace = trace_json(run_scenario("handshake", loss=0.3, seed=7))
    text = ladder_text(trace, width=60)
    assert max(len(line) for line in text.splitlines()) <= 60
    rows = rows_of(text)
    assert any("SYN_SENT" in r and "LISTEN" in r for r in rows)
    assert any("TIME_WAIT" in r and "CLOSED" in r for r in rows)
    assert "SYN_RECEIVED" in text and "ESTABLISHED" in text


def test_piped_ladder_fits_80_columns(tmp_path):
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-m", "synack", "run", "fast_open"], capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin", "PYTHONPATH": ":".join(sys.path)}, check=True).stdout
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "SYN_RECEIVED" in out and "ESTABLISHED" in out and "…" not in out


# ----------------------------------------------------------------------- player
def test_player_frames_follow_the_rows():
    trace = trace_json(run_scenario("handshake", rtt_us=100_000))
    view = connection_view(trace, 0)
    assert frames(view) == len(view["steps"]) + 2
    assert states_at(view, 0) == {"client": "CLOSED", "server": "LISTEN"}
    assert states_at(view, 3) == {"client": "ESTABLISHED", "server": "SYN_RECEIVED"}
    assert clock_at(view, 3) == 100_000
    first = render(frame(view, 0))
    assert "nothing on the wire yet" in first and "clock 0.00 RTT" in first and "step 0 of 9" in first
    third = render(frame(view, 3))
    assert "clock 1.00 RTT" in third and "step 3 of 9" in third and "03 ACK" in third
    assert "arrives 1.50 RTT" in third


def test_the_player_clock_is_the_ladders_sent_column():
    trace = trace_json(run_scenario("handshake", loss=0.3, seed=7))
    view = connection_view(trace, 0)
    for k in range(1, len(view["steps"]) + 1):
        text = render(frame(view, k, width=80, height=24), width=80, height=24)
        clock = re.search(r"clock (\d+\.\d\d) RTT", text).group(1)
        assert clock == f"{view['steps'][k - 1]['sent_us'] / trace['rtt_us']:.2f}"
        last_row = rows_of(text)[-1]
        assert last_row.strip().startswith(clock)


def test_the_player_fits_80x24_hides_the_future_and_says_when_it_ends():
    trace = trace_json(run_scenario("handshake", loss=0.3, seed=7))
    view = connection_view(trace, 0)
    n = len(view["steps"])
    for k in range(0, n + 2):
        text = render(frame(view, k, width=80, height=24), width=80, height=24)
        lines = text.rstrip("\n").splitlines()
        assert len(lines) <= 23 and max(len(line) for line in lines) <= 80, k
        assert lines[0].startswith(trace["title"]) and "clock" in lines[1]
        assert (f"step {k} of {n}" in lines[1]) if k <= n else ("end" in lines[1])
        times = [float(r.split()[0]) for r in rows_of(text)]
        assert all(t <= view["steps"][min(k, n) - 1]["sent_us"] / trace["rtt_us"] + 1e-9 for t in times[:-1]) \
            if k else not times
    end = render(frame(view, n + 1, width=80, height=24), width=80, height=24)
    assert "End of the run: client TIME_WAIT, server CLOSED." in end and "--connection" not in end
    two = connection_view(trace_json(run_scenario("fast_open")), 0)
    end = render(frame(two, len(two["steps"]) + 1, width=80, height=24), width=80, height=24)
    assert "This run has 2 connections; --connection 2 plays another." in " ".join(end.split())
    # Frame 2 has not shown the FIN yet.
    assert "FIN" not in "\n".join(rows_of(render(frame(view, 2, width=80, height=24), width=80, height=24)))


# ----------------------------------------------------------------------- tcpdump
def test_tcpdump_prints_absolute_numbers_on_the_handshake_then_relative():
    trace = trace_json(run_scenario("handshake"))
    lines = tcpdump_lines(trace)
    syn, synack = trace["steps"][0]["segment"], trace["steps"][1]["segment"]
    assert f"Flags [S], seq {syn['abs_seq']}," in lines[0]
    assert f"Flags [S.], seq {synack['abs_seq']}, ack {synack['abs_ack']}," in lines[1]
    assert "Flags [.], ack 1," in lines[2] and "seq 1:101, ack 1," in lines[3]


def test_tcpdump_absolute_is_like_tcpdump_S():
    trace = trace_json(run_scenario("handshake"))
    lines = tcpdump_lines(trace, absolute=True)
    third = trace["steps"][3]["segment"]
    assert f"seq {third['abs_seq']}:{third['abs_seq'] + 100}, ack {third['abs_ack']}," in lines[3]


def test_tcpdump_marks_a_loss_with_a_comment_tcpdump_never_prints():
    lines = tcpdump_lines(trace_json(run_scenario("synack_lost")))
    lost = [line for line in lines if "lost" in line]
    assert len(lost) == 1 and "Flags [S.]" in lost[0]
    body, comment = lost[0].split("  # ", 1)
    assert body.endswith("length 0") and comment.startswith("synack: lost on the wire")
    assert not lines[-1].count("#")


def test_time_wait_ladder_says_the_new_isns_are_above_the_old_connection():
    trace = trace_json(run_scenario("time_wait"))
    old, new = trace["connections"]
    assert new["reuses"] == 0 and old["reuses"] is None
    text = " ".join(ladder_text(trace, width=80).split())  # the title wraps at 80 columns
    assert "same ports as connection 1" in text
    for before, after in zip(old["ends"], new["ends"], strict=True):
        assert f"{after['name']} ISN {after['isn']} (the old one ended at {before['next_seq']})" in text
    server_old, server_new = old["ends"][1], new["ends"][1]
    assert 0 < (server_new["isn"] - server_old["next_seq"]) % 2**32 < 2**31


def test_time_wait_shows_the_new_isn_above_the_old_connection():
    lines = tcpdump_lines(trace_json(run_scenario("time_wait")))
    synacks = [int(re.search(r"seq (\d+)", line).group(1)) for line in lines if "Flags [S.]" in line]
    assert len(synacks) == 2
    old_fin = next(line for line in lines if "8080 >" in line and "Flags [F.]" in line)
    old_last = synacks[0] + int(re.search(r"seq (\d+)", old_fin).group(1)) + 1
    assert synacks[1] > old_last > synacks[0]


# ------------------------------------------------------------------- state names
def test_names_follow_netstat_ss_and_the_rfc():
    trace = trace_json(run_scenario("handshake"))
    netstat = ladder_text(trace, width=100, names="netstat")
    assert "SYN_RECV" in netstat and "FIN_WAIT1" in netstat and "SYN_RECEIVED" not in netstat
    ss = ladder_text(trace, width=100, names="ss")
    assert "SYN-RECV" in ss and "FIN-WAIT-1" in ss and "ESTAB " in ss and "ESTABLISHED" not in ss
    rfc = ladder_text(trace, width=100, names="rfc")
    assert "SYN-RECEIVED" in rfc and "TIME-WAIT" in rfc
    default = ladder_text(trace, width=100)
    assert "SYN_RECEIVED" in default and "FIN_WAIT_1" in default


def test_one_4_tuple_used_twice_gives_two_connections():
    # time_wait: the client comes back from port 45000 and its SYN reopens the server's TIME_WAIT.
    trace = trace_json(run_scenario("time_wait"))
    sent_by = {e["step"]: (e["endpoint"], e.get("socket")) for e in trace["events"] if e["type"] == "send"}
    old, new = trace["connections"]
    for conn in (old, new):
        sockets = {sent_by[i] for i in conn["steps"] if sent_by[i][1] is not None}
        assert len({host for host, _ in sockets}) == len(sockets), sockets  # one socket per end
    assert max(old["steps"]) < min(new["steps"])
    first = trace["steps"][new["steps"][0]]
    assert first["segment"]["flags"] == ["SYN"] and first["states_sent"]["client"] == "SYN_SENT"


def test_a_4_tuple_still_held_is_refused_not_shared():
    # With loss the client's old socket is still in LAST_ACK a second later: connect() from the same
    # port fails (EADDRNOTAVAIL, as on Linux) instead of a second socket sharing the 4-tuple.
    trace = trace_json(run_scenario("time_wait", loss=0.2, seed=3))
    assert len(trace["connections"]) == 1
    errors = [e for e in trace["events"] if e["type"] == "error"]
    assert [e["errno"] for e in errors] == ["EADDRNOTAVAIL"] and "LAST_ACK" in errors[0]["error"]


def test_half_open_s_minutes_at_a_tenth_of_a_millisecond_are_counted_in_seconds():
    # 0.1 ms RTT, minutes of retransmissions: millions of RTTs, which the time column cut in the terminal.
    trace = trace_json(run_scenario("half_open"))
    text = ladder_text(trace, width=80)
    assert re.search(r"^\s*sent s\s+phase", text, re.MULTILINE)
    assert "in seconds" in text and "in RTTs" not in text
    times = [line.split()[0] for line in text.splitlines() if re.match(r"^\s*\d+\.\d{5}\s", line)]
    last = max(s["sent_us"] for s in trace["steps"])
    assert len(times) == len(trace["steps"]) + 1  # every row and the end row, none cut
    assert f"{last / 1e6:.5f}" in times and float(times[-1]) >= last / 1e6
    # Half an RTT apart still reads apart: the SYN and the SYN-ACK 50 µs later.
    assert times[:2] == ["0.00000", "0.00005"]
    assert all(len(line) <= 80 for line in text.splitlines())


def test_a_run_of_few_rtts_keeps_its_time_column_in_rtts():
    text = ladder_text(trace_json(run_scenario("half_open", rtt_us=100_000)))
    assert re.search(r"^\s*sent\s+phase", text, re.MULTILINE) and "sent s" not in text
    assert "in RTTs" in text
