"""The crowd in the trace and its views: columns, the terminal chart at 80 columns, --plot files."""

import json
import re
import xml.etree.ElementTree as ET

import pytest

from synack.cli import main
from synack.scenarios import run_scenario
from synack.trace.crowd_view import crowd_chart, plotted
from synack.trace.json_view import trace_json


@pytest.fixture(scope="module")
def flood():
    return trace_json(run_scenario("syn_flood", params={"cookies": "off", "flood_for": "100s", "clients": "5"}))


def test_crowd_columns_line_up(flood):
    crowd = flood["crowd"]
    n = len(crowd["t_us"])
    assert n > 10 and crowd["t_us"] == sorted(crowd["t_us"])
    assert all(len(s["values"]) == n for s in crowd["series"])
    kinds = {s["key"]: s["kind"] for s in crowd["series"]}
    assert kinds["server.SYN_RECEIVED"] == "state" and kinds["server.syn_queue"] == "gauge"
    assert kinds["server.synacks_sent"] == "counter"
    for s in crowd["series"]:
        if s["kind"] == "counter":
            assert s["values"] == sorted(s["values"]), s["key"]  # counters never go down
    # The queue's length is the number of SYN_RECEIVED sockets: the same thing, counted twice.
    by = {s["key"]: s["values"] for s in crowd["series"]}
    assert by["server.syn_queue"] == by["server.SYN_RECEIVED"]
    assert set(crowd["plot"]) <= set(by)
    json.dumps(flood)


def test_only_the_featured_connection_is_traced(flood):
    featured = flood["featured"]
    assert len(featured) == 1
    ends = {featured[0]["a"], featured[0]["b"]}
    for step in flood["steps"]:
        assert {step["segment"]["src"], step["segment"]["dst"]} == ends
    assert not any(e.get("call") == "inject" for e in flood["events"])


def test_crowd_sampling_works_with_tracing_off():
    run = run_scenario("syn_flood", tracing=False, params={"cookies": "on", "flood_for": "30s", "clients": "3"})
    assert run.recorder is None
    keys = {s["key"]: s for s in run.crowd["series"]}
    assert max(keys["server.syn_queue"]["values"]) == 128
    assert keys["server.cookies_sent"]["values"][-1] == run.summary["cookies_sent"] > 0


def test_terminal_chart_fits_80_columns(flood):
    text = crowd_chart(flood, width=80)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "\x1b" not in text
    for s in plotted(flood):
        assert f"{s['host']} {s['label']}" in text


def test_scenarios_without_a_crowd_have_none():
    trace = trace_json(run_scenario("handshake"))
    assert trace["crowd"] is None and trace["featured"] == []


def test_run_prints_the_chart_under_the_ladder(capsys):
    assert main(["run", "close_wait_leak"]) == 0
    out = capsys.readouterr().out
    assert "server CLOSE_WAIT" in out and "time (s)" in out


def test_plot_svg_and_png(tmp_path, capsys):
    svg, png = tmp_path / "tw.svg", tmp_path / "tw.png"
    assert main(["run", "time_wait_exhaustion", "--format", "none", "--plot", str(svg)]) == 0
    assert main(["run", "time_wait_exhaustion", "--format", "none", "--plot", str(png)]) == 0
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg")
    assert "proxy TIME_WAIT" in svg.read_text()
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("argv, message", [
    (["run", "handshake", "--plot", "x.svg"], "no crowd"),
    (["run", "syn_flood", "--plot", "x.txt"], "ending in"),
])
def test_plot_refuses_with_one_sentence(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and re.search(r"\.$", err.strip())


def test_the_figures_table_says_what_the_cookie_carried():
    from synack.trace.figures import figure_rows
    trace = trace_json(run_scenario("syn_flood", params={"flood_for": "30s", "clients": "2"}))
    rows = dict(figure_rows(trace))
    assert rows["legit_success_rate"] == "1"
    assert rows["cookie › mss_index"] == "3" and rows["cookie › mss"] == "1,460"
    assert rows["cookie › tsval_low_bits › wscale"] == "10" and rows["cookie › tsval_low_bits › sack"] == "yes"
    assert "retransmission" in rows["cookie › lost"]


def test_long_runs_keep_a_bounded_number_of_samples():
    # half_open lasts about 938 s, sampled every second: past 600 samples every other one is
    # dropped and the period doubles, so the columns stay small and still span the whole run.
    crowd = run_scenario("half_open").crowd
    assert len(crowd["t_us"]) <= 601
    assert crowd["every_us"] == 2_000_000
    assert crowd["t_us"][0] == 0 and crowd["t_us"][-1] > 930_000_000
