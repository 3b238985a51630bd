"""packetdrill scripts against synack's engine: the parser, the runner's semantics, the CLI, the kernel record."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synack.cli import main
from synack.drill.checks import CheckError, evaluate_checks
from synack.drill.runner import run_script
from synack.drill.script import PacketLine, ScriptError, Syscall, Unsupported, parse_script
from synack.drill.settings import settings_from_shell
from synack.drill.simstack import SimStack
from synack.drill.suite import run_file, scripts_under
from synack.tcp import options as opt
from synack.tcp.profiles import PROFILES
from synack.wire.pcap import read_pcap

ROOT = Path(__file__).resolve().parent.parent
DRILL = ROOT / "tests" / "drill"
RECORD = json.loads((DRILL / "linux-outcomes.json").read_text())
# Linux behaviour the scripts show and the linux profile does not reproduce yet (see docs/drill.md).
KNOWN_LINUX_GAPS = {"data_write_mss_split.pkt"}

SERVER = """\
0     socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0    bind(3, ..., ...) = 0
+0    listen(3, 1) = 0
+0    < S 0:0(0) win 65535 <mss 1460,nop,nop,sackOK,nop,wscale 7>
+0    > S. 0:0(0) ack 1 win 64240 <mss 1460,nop,nop,sackOK,nop,wscale 10>
+.1   < . 1:1(0) ack 1 win 1000
+0    accept(3, ..., ...) = 4
"""


def run_text(text: str, profile: str = "linux"):
    return run_script(parse_script(text, "t.pkt"), SimStack(PROFILES[profile]))


# ------------------------------------------------------------------ parser
def test_every_script_parses_and_expects_something():
    scripts = scripts_under(DRILL)
    assert len(scripts) >= 40
    for path in scripts:
        script = parse_script(path.read_text(), str(path))
        outbound = [e for e in script.events if isinstance(e.body, PacketLine) and e.body.direction == ">"]
        assert outbound, f"{path.name} expects no segment"


def test_packet_line_fields_and_options():
    script = parse_script("0 < S. 0:100(100) ack 1 win 512 <mss 1000,sackOK,TS val 5 ecr 6,nop,wscale 7,"
                          "sack 1:2 3:4,FO 0a0b,FOEXP>\n+0 > . 1:1(0) ack 101 <...>\n")
    first, second = (e.body for e in script.events)
    assert isinstance(first, PacketLine) and first.flags == "S." and first.length == 100
    assert first.ack == 1 and first.window == 512
    assert first.options == (opt.Mss(1000), opt.SACK_PERMITTED, opt.Timestamps(5, 6), opt.NOP,
                             opt.WindowScale(7), opt.Sack(((1, 2), (3, 4))), opt.FastOpen(b"\x0a\x0b"),
                             opt.FastOpen(b"", experimental=True))
    assert isinstance(second, PacketLine) and second.options is None and second.window is None


def test_times_absolute_relative_ranges_any_and_blocking():
    script = parse_script("0.5 close(3) = 0\n+.25 close(3) = 0\n+1~+2 > . 1:1(0) ack 1\n* > . 1:1(0) ack 1\n"
                          "0.1...0.3 accept(3, ..., ...) = 4\n")
    times = [e.time for e in script.events]
    assert (times[0].kind, times[0].start_us) == ("abs", 500_000)
    assert (times[1].kind, times[1].start_us) == ("rel", 250_000)
    assert (times[2].start_us, times[2].end_us, times[2].end_relative) == (1_000_000, 2_000_000, True)
    assert times[3].kind == "any"
    assert times[4].blocking and times[4].end_us == 300_000


def test_options_and_defines():
    script = parse_script("--tolerance_usecs=10000\n-D COOKIE=0102\n0 < S 0:0(0) win 1 <FO COOKIE>\n"
                          "+0 write(4, ..., LEN) = 10\n", defines={"LEN": "10"})
    assert script.tolerance_us == 10000
    assert script.events[0].body.options == (opt.FastOpen(b"\x01\x02"),)
    call = script.events[1].body
    assert isinstance(call, Syscall) and call.args[2] == "10"


@pytest.mark.parametrize("text, line, words", [
    ("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 < S 0:0(0) wim 100\n", 2, "unexpected 'wim'"),
    ("0 < S 0:10(5) win 1\n", 1, "is 10 bytes but the length says 5"),
    ("\n\nbanana\n", 3, "is not a time"),
    ("0 < S 0:0(0) win 1 <mss 1460,bogus 3>\n", 1, "unknown TCP option 'bogus'"),
    ("0 `sysctl -q net.ipv4.tcp_sack=0\n", 1, "never closed"),
    ("0 close(3) = banana\n", 1, "must be a number"),
])
def test_parse_errors_name_the_line(text, line, words):
    with pytest.raises(ScriptError) as exc:
        parse_script(text)
    assert exc.value.line == line
    assert str(exc.value).startswith(f"script line {line}: ") and words in str(exc.value)


def test_unsupported_things_are_named():
    for text, what in (("0 poll([{fd=3, events=POLLIN}], 1, 0) = 1\n", "poll()"),
                       ("0 epoll_create(1) = 4\n", "epoll"),
                       ("0 > icmp unreachable frag_needed mtu 1200\n", "icmp packets"),
                       ("0 sendmsg(4, {msg_name(...)=...}, MSG_ZEROCOPY) = 10\n", "sendmsg() and its cmsg")):
        body = parse_script(text).events[0].body
        assert isinstance(body, Unsupported) and body.what == what
    outcome = run_text("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 poll([], 0, 0) = 0\n")
    assert (outcome.status, outcome.message) == ("unsupported", "unsupported: poll()")


FRAGMENTS = [
    "socket(..., SOCK_STREAM, IPPROTO_TCP) = 3", "bind(3, ..., ...) = 0", "listen(3, 1) = 0",
    "accept(3, ..., ...) = 4", "connect(3, ..., ...) = -1 EINPROGRESS", "read(4, ..., 100) = 100",
    "write(4, ..., 100) = 100", "close(4) = 0", "shutdown(4, SHUT_WR) = 0", "fcntl(3, F_SETFL, O_NONBLOCK) = 0",
    "sendto(3, ..., 10, MSG_FASTOPEN, ..., ...) = 10", "setsockopt(4, SOL_SOCKET, SO_LINGER, {l_onoff=1}, 8) = 0",
    "getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4]) = 0", "read(4) = 0", "close(x) = 0", "poll([], 0, 0) = 0",
    "< S 0:0(0) win 65535 <mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7>", "< . 1:1(0) ack 1 win 100",
    "< P. 1:101(100) ack 1 win 100", "< F. 1:1(0) ack 1 win 100", "< R 1:1(0) win 0", "< S. 0:0(0) ack 1 win 9",
    "> S. 0:0(0) ack 1 <...>", "> . 1:1(0) ack 1", "> F. 1:1(0) ack 2 win 63", "> R 0:0(0)",
    "%{ assert tcpi_state == TCP_ESTABLISHED }%", "%{ assert 1/0 }%", "%{ import os }%", "`sysctl -q net.ipv4.x=1`",
    "< S 0:0(0) win 99999999", "< S 0:5(4) win 1", "< Q 0:0(0)", "banana", "write(4, ..., -1) = 0",
    "read(4, ..., -5) = 0", "shutdown(4, SHUT_RDWR) = 0", "close(3) = 0", "connect(4, ..., ...) = 0",
    "accept(4, ..., ...) = 5", "listen(4, 1) = 0", "setsockopt(3, SOL_TCP, TCP_FASTOPEN, [5], 4) = 0",
    "sendto(4, ..., 10, 0, ..., ...) = 10", "write(3, ..., 10) = 10", "fcntl(4, F_GETFL) = 2",
]


@settings(max_examples=int(os.environ.get("SYNACK_FUZZ", "120")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["0", "+0", "+.1", "*", "+1~+2", "0...0.5", "+2"]),
                          st.sampled_from(FRAGMENTS)), min_size=1, max_size=10))
def test_any_script_ends_in_an_outcome_never_an_exception(lines):
    """Bad scripts are refused with a sentence, odd ones fail or are unsupported: nothing escapes."""
    # Half the scripts start from an established connection, to reach the calls that need one.
    prelude = SERVER.replace("> S. 0:0(0) ack 1 win 64240 <mss 1460,nop,nop,sackOK,nop,wscale 10>", "> S. 0:0(0) <...>")
    text = (prelude if len(lines) % 2 else "") + "".join(f"{time} {body}\n" for time, body in lines)
    try:
        script = parse_script(text, "fuzz.pkt")
    except ScriptError as exc:
        assert str(exc).startswith("script line ")
        return
    outcome = run_script(script, SimStack(PROFILES["linux"]))
    assert outcome.status in ("pass", "fail", "unsupported")


# ---------------------------------------------------------------- settings
def test_shell_lines_become_sysctl_settings():
    settings, notes = settings_from_shell(
        "sysctl -q net.ipv4.tcp_syncookies=2; set_sysctls.py /proc/sys/net/ipv4/tcp_fastopen=0x202 "
        "/proc/sys/net/ipv4/tcp_rmem='4096 87380 6291456'; echo 0 > /proc/sys/net/ipv4/tcp_sack; tc qdisc x")
    assert settings == {"tcp_syncookies": "2", "tcp_fastopen": "0x202", "tcp_rmem": "4096 87380 6291456",
                        "tcp_sack": "0"}
    assert notes == ["skipped shell command 'tc qdisc x'"]
    defaults, _ = settings_from_shell("../common/defaults.sh")
    assert defaults["tcp_syncookies"] == "1" and defaults["tcp_rmem"] == "4096 87380 6291456"


def test_sysctls_reach_the_profile():
    stack = SimStack(PROFILES["linux"])
    notes = stack.apply_settings({"tcp_syncookies": "2", "tcp_timestamps": "0", "tcp_rmem": "4096 50000 60000",
                                  "tcp_no_such_thing": "1"})
    assert (stack.profile.syncookies, stack.profile.timestamps, stack.profile.rcv_buffer) == (2, False, 50000)
    assert notes == ["net.ipv4.tcp_no_such_thing has no counterpart in synack's profile; ignored"]


# ------------------------------------------------------------------ checks
def test_inline_checks_pass_fail_and_refuse():
    info = {"tcpi_state": 1, "tcpi_options": 0b100111, "tcpi_rtt": 100_000}
    evaluate_checks("assert tcpi_state == TCP_ESTABLISHED\nassert tcpi_options & TCPI_OPT_SYN_DATA", info)
    evaluate_checks("assert 90000 <= tcpi_rtt <= 110000 and abs(tcpi_rtt - 100000) < 5", info)
    with pytest.raises(CheckError, match=r"assertion failed: tcpi_rtt < 1000 \(tcpi_rtt=100000\)"):
        evaluate_checks("assert tcpi_rtt < 1000", info)
    for evil in ("assert __import__('os').system('true')", "assert tcpi_state.__class__",
                 "import os", "assert (lambda: 1)()", "assert tcpi_nonexistent == 0"):
        with pytest.raises(CheckError):
            evaluate_checks(evil, info)


# ------------------------------------------------------------------ runner
def test_a_matching_script_passes_and_logs_the_exchange():
    outcome = run_text(SERVER + "+0 %{ assert tcpi_state == TCP_ESTABLISHED }%\n")
    assert outcome.status == "pass", outcome.message
    assert [e["dir"] for e in outcome.log if e["dir"] != "call"] == ["<", ">", "<"]


def test_a_wrong_field_is_reported_as_packetdrill_does():
    outcome = run_text(SERVER.replace("wscale 10>", "wscale 9>"))
    assert outcome.status == "fail" and outcome.line == 5
    assert outcome.message.startswith("script line 5: expected > S. 0:0(0) ack 1 win 64240")
    assert "got > S. 0:0(0) ack 1 win 64240" in outcome.message and "(option wscale 9 vs wscale 10)" in outcome.message


def test_timing_is_held_to_the_tolerance():
    late = SERVER + "+0 close(4) = 0\n+.02 > F. 1:1(0) ack 1 win 63\n"
    outcome = run_text(late)
    assert outcome.status == "fail" and "at 0.12s got it at 0.1s (tolerance 4 ms)" in outcome.message
    tolerant = run_script(parse_script(late, "t.pkt"), SimStack(PROFILES["linux"]), tolerance_us=30_000)
    assert tolerant.status == "pass"
    # The retransmission comes 300 ms after the data; 12.5% of a 330 ms gap (41 ms) covers 30 ms off,
    # not 60 ms off.
    rto = SERVER + "+0 write(4, ..., 10) = 10\n+0 > P. 1:11(10) ack 1 win 63\n{} > P. 1:11(10) ack 1 win 63\n"
    assert run_text(rto.format("+.33")).status == "pass"
    outcome = run_text(rto.format("+.36"))
    assert outcome.status == "fail" and "(tolerance 45 ms)" in outcome.message


def test_ts_values_are_checked_with_a_tick():
    text = (DRILL / "timestamps_tick.pkt").read_text()
    assert run_text(text).status == "pass"
    outcome = run_text(text.replace("TS val 800 ecr 200", "TS val 900 ecr 200"))
    assert outcome.status == "fail" and "TS val advanced by 600 ticks, not 700" in outcome.message
    # Without the tick option TS values are not compared (packetdrill's default).
    assert run_text(text.replace("--tcp_ts_tick_usecs=1000", "").replace("TS val 800", "TS val 900")).status == "pass"


def test_system_call_results_and_errnos_are_checked():
    outcome = run_text(SERVER + "+0 read(4, ..., 100) = -1 EAGAIN (Resource temporarily unavailable)\n")
    assert outcome.status == "fail" and "read() still blocked" in outcome.message  # a blocking socket waits
    outcome = run_text(SERVER + "+0 fcntl(4, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n"
                       "+0 read(4, ..., 100) = -1 EAGAIN (Resource temporarily unavailable)\n"
                       "+0 fcntl(4, F_GETFL) = 0x802\n")
    assert outcome.status == "pass", outcome.message


def test_every_script_is_what_linux_does():
    """The record made by tools/drill_linux.py as root: each script passed against the real kernel."""
    names = {p.name for p in scripts_under(DRILL)}
    assert set(RECORD["scripts"]) == names, "re-run tools/drill_linux.py tests/drill after adding a script"
    failing = {name: r["message"] for name, r in RECORD["scripts"].items() if r["status"] != "pass"}
    assert not failing


def test_linux_profile_passes_every_script_but_the_known_gaps():
    outcomes = {Path(o.script).name: o for o in (run_file(p, "linux")[0] for p in scripts_under(DRILL))}
    failing = {name for name, o in outcomes.items() if o.status != "pass"}
    assert failing == KNOWN_LINUX_GAPS, {n: outcomes[n].message for n in failing ^ KNOWN_LINUX_GAPS}


def test_rfc9293_profile_differs_where_the_rfc_does():
    outcome, _ = run_file(DRILL / "handshake_server_no_ts.pkt", "rfc9293")
    assert outcome.status == "fail" and "wscale 7" in outcome.message  # RFC 9293 profile: other layout, shift 7
    outcome, _ = run_file(DRILL / "closed_port_syn.pkt", "rfc9293")
    assert outcome.status == "pass"  # RFC 9293 3.10.7.1 and Linux agree on the reset


# --------------------------------------------------------------------- CLI
def test_cli_exit_codes(capsys, tmp_path):
    assert main(["drill", str(DRILL / "handshake_server.pkt")]) == 0
    assert capsys.readouterr().out.strip().endswith("handshake_server.pkt: pass")
    bad = tmp_path / "bad.pkt"
    bad.write_text(SERVER.replace("wscale 10>", "wscale 9>"))
    assert main(["drill", str(bad)]) == 1
    assert "script line 5: expected" in capsys.readouterr().out
    bad.write_text("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 < S 0:0(0) wim 100\n")
    assert main(["drill", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "script line 2:" in err and "Traceback" not in err and err.count("\n") == 1
    assert main(["drill", str(tmp_path / "missing.pkt")]) == 2
    assert main(["drill", str(DRILL / "data_read.pkt"), "--profile", "bsd"]) == 2
    assert main(["drill", str(DRILL / "data_read.pkt"), "-D", "novalue"]) == 2
    assert main(["drill", str(DRILL), "--pcap", str(tmp_path / "x.pcap")]) == 2


def test_cli_folder_table_and_total(capsys, tmp_path):
    shutil.copy(DRILL / "handshake_server.pkt", tmp_path)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "wrong.pkt").write_text(SERVER.replace("ack 1 win 64240", "ack 2 win 64240"))
    (tmp_path / "sub" / "poll.pkt").write_text("0 poll([], 0, 0) = 0\n")
    assert main(["drill", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "3 scripts under linux: 1 pass, 1 fail, 1 unsupported, 0 unreadable" in out
    assert main(["drill", str(tmp_path), "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["counts"] == {"pass": 1, "fail": 1, "unsupported": 1, "error": 0}


def test_cli_pcap_and_json(capsys, tmp_path):
    pcap = tmp_path / "run.pcap"
    assert main(["drill", str(DRILL / "close_active_server.pkt"), "--format", "json", "--pcap", str(pcap)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["status"] == "pass" and data["profile"] == "linux"
    packets = read_pcap(pcap)
    assert [p.segment.flags.tcpdump() for p in packets] == ["S", "S.", ".", "F.", ".", "F.", "."]


def test_play_opens_a_script_run():
    from synack.cli import _drill_play_trace, build_parser
    trace = _drill_play_trace(build_parser().parse_args(["play", str(DRILL / "rst_in_window_challenge.pkt")]))
    assert trace["summary"]["drill_status"] == "pass"
    assert [s["segment"]["from"] for s in trace["steps"]] == ["remote", "local", "remote", "remote", "local"]


# ------------------------------------------------------------- kernel check
KERNEL_SAMPLE = ("handshake_server.pkt", "closed_port_syn.pkt", "rst_in_window_challenge.pkt",
                 "data_out_of_order_sack.pkt", "close_simultaneous.pkt", "syncookies_always.pkt")


@pytest.mark.root
@pytest.mark.skipif(os.geteuid() != 0 or not Path("/dev/net/tun").exists() or not shutil.which("ip"),
                    reason="re-checking scripts against the kernel needs root, /dev/net/tun and ip(8)")
def test_root_scripts_still_pass_against_this_kernel():
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "drill_linux.py"), "--no-record",
                           *(str(DRILL / name) for name in KERNEL_SAMPLE)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"{len(KERNEL_SAMPLE)}/{len(KERNEL_SAMPLE)} scripts pass" in proc.stdout
