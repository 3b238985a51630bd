"""The synack command, run as a real subprocess: every command, and one clear sentence for every mistake."""

import json
import os
import subprocess
import sys

import pytest

from synack.wire.pcap import read_pcap

SYNACK = [sys.executable, "-m", "synack"]


def run(*args, input=None):
    return subprocess.run([*SYNACK, *args], capture_output=True, text=True, input=input, timeout=120,
                          env={**os.environ, "COLUMNS": "120"})


def test_list_text_and_json():
    out = run("list")
    assert out.returncode == 0 and "handshake" in out.stdout and "syn_cookies" in out.stdout
    data = json.loads(run("list", "--format", "json").stdout)
    names = {d["name"] for d in data}
    assert {"handshake", "client_close", "refused", "fast_open", "in_window_attacks"} <= names
    assert all(d["title"] and d["summary"] for d in data)


def test_run_json_trace_has_the_promised_fields():
    trace = json.loads(run("run", "handshake", "--rtt", "20ms", "--format", "json").stdout)
    assert trace["scenario"] == "handshake" and trace["rtt_us"] == 20_000 and trace["profile"] == "linux"
    step = trace["steps"][0]
    assert set(step) >= {"index", "phase", "segment", "sent_us", "arrives_us", "states", "note"}
    assert set(step["segment"]) >= {"from", "to", "flags", "seq", "ack", "len", "options", "lost"}
    assert step["segment"]["flags"] == ["SYN"]
    assert {"t_us", "type", "endpoint", "old", "new"} <= set(next(e for e in trace["events"] if e["type"] == "state"))


def test_run_tcpdump_marks_the_lost_syn():
    lines = run("run", "syn_lost", "--format", "tcpdump").stdout.splitlines()
    assert "  # synack: lost on the wire" in lines[0] and "Flags [S]" in lines[0]
    assert lines[1].startswith("1.000000") and "Flags [S]" in lines[1]


def test_run_ladder_and_pcap(tmp_path):
    pcap = tmp_path / "run.pcap"
    out = run("run", "client_close", "--pcap", str(pcap))
    assert out.returncode == 0 and "SYN+ACK" in out.stdout and "◀" in out.stdout and "▶" in out.stdout
    packets = read_pcap(pcap)
    trace = json.loads(run("run", "client_close", "--format", "json").stdout)
    assert len(packets) == len(trace["steps"])


def test_profile_rtt_loss_seed_and_set_reach_the_engine():
    a = json.loads(run("run", "handshake", "--profile", "rfc9293", "--rtt", "1.5s", "--loss", "0.2", "--seed", "9",
                       "--set", "request_bytes=300", "--format", "json").stdout)
    assert (a["profile"], a["rtt_us"], a["loss"], a["seed"]) == ("rfc9293", 1_500_000, 0.2, 9)
    assert a["params"]["request_bytes"] == 300


def test_play_without_a_terminal_prints_the_ladder():
    out = run("play", "handshake", input="")
    assert out.returncode == 0 and "01 SYN" in out.stdout and "TIME_WAIT" in out.stdout


def test_bench_prints_both_sides_and_one_json_line_last():
    out = run("bench", "lifecycles", "--n", "200")
    assert out.returncode == 0, out.stderr
    last = json.loads(out.stdout.strip().splitlines()[-1])
    assert last["benchmark"] == "lifecycles" and last["n"] == 200 and last["per_second"] > 0
    assert last["build"] in ("compiled", "pure") and f"{last['build']} build" in out.stdout
    assert last["kernel_per_second"] > 0 and last["ratio"] == round(last["per_second"] / last["kernel_per_second"], 3)
    assert last["one_cpu_ratio"] == round(last["per_second"] / last["kernel_one_cpu_per_second"], 3)
    assert "threads kept on one CPU" in out.stdout


def test_bench_repeat_keeps_the_best_of_each_side():
    out = run("bench", "lifecycles", "--n", "100", "--repeat", "2", "--no-kernel")
    assert out.returncode == 0, out.stderr
    last = json.loads(out.stdout.strip().splitlines()[-1])
    assert last["repeat"] == 2 and "best of 2 runs" in out.stdout
    assert run("bench", "lifecycles", "--repeat", "0").returncode == 2


def test_bench_pure_runs_the_sources():
    out = run("bench", "lifecycles", "--n", "100", "--pure", "--no-kernel")
    last = json.loads(out.stdout.strip().splitlines()[-1])
    assert last["build"] == "pure" and last["kernel_per_second"] is None


def test_export_writes_a_page(tmp_path):
    page = tmp_path / "handshake.html"
    assert run("export", "handshake", "--html", str(page)).returncode == 0
    assert "<html" in page.read_text().lower()


@pytest.mark.parametrize("args", [
    ["run", "nope"], ["nope"], ["run", "handshake", "--rtt", "fast"], ["run", "handshake", "--rtt", "-5ms"],
    ["run", "handshake", "--rtt", "1us"], ["run", "handshake", "--loss", "1"], ["run", "handshake", "--loss", "x"],
    ["run", "handshake", "--loss", "nan"], ["run", "handshake", "--seed", "-1"], ["run", "handshake", "--seed", "2.5"],
    ["run", "handshake", "--seed", str(2**32)], ["run", "handshake", "--profile", "bsd"],
    ["run", "handshake", "--set", "novalue"], ["run", "handshake", "--set", "bogus=1"],
    ["run", "handshake", "--set", "request_bytes=-4"], ["run", "handshake", "--format", "xml"],
    ["run", "handshake", "--pcap", "/nonexistent/dir/x.pcap"], ["run", "handshake", "--pcap", "/tmp"],
    ["bench", "lifecycles", "--n", "zero"], ["serve", "--port", "99999"], ["export", "handshake"],
])
def test_bad_input_is_one_sentence_and_exit_2(args):
    out = run(*args)
    assert out.returncode == 2, out
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("synack: error: ") and lines[0].endswith(".")


def test_unwritable_pcap_when_not_root(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root can write anywhere; the permission check cannot fail for root")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    out = run("run", "handshake", "--pcap", str(locked / "x.pcap"))
    assert out.returncode == 2 and "permission" in out.stderr


def test_broken_pipe_is_quiet():
    proc = subprocess.run(f"{sys.executable} -m synack run fast_open --format json | head -c 10",
                          shell=True, capture_output=True, text=True, timeout=60)
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr
