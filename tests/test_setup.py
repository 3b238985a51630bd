"""What a newcomer meets first: make run, the system packages, --version, capture files, the README."""

import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from synack.wire.pcap import read_pcap

ROOT = Path(__file__).resolve().parent.parent


def synack(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "synack", *args], capture_output=True, text=True, cwd=cwd)


def test_version():
    out = synack("--version")
    assert out.returncode == 0 and out.stdout.strip().startswith("synack ") and out.stdout.strip()[7:8].isdigit()


def test_pcapng_is_written_when_asked_for(tmp_path):
    target = tmp_path / "run.pcapng"
    out = synack("run", "syn_lost", "--pcap", str(target), "--format", "none")
    assert out.returncode == 0, out.stderr
    data = target.read_bytes()
    assert struct.unpack("<I", data[:4])[0] == 0x0A0D0D0A  # a section header block, not classic pcap
    packets = read_pcap(target)
    assert len(packets) == 7 and packets[0].segment.syn
    if shutil.which("tshark"):
        shown = subprocess.run(["tshark", "-r", str(target), "-T", "fields", "-e", "frame.comment"],
                               capture_output=True, text=True)
        assert shown.returncode == 0 and "synack: lost on the wire" in shown.stdout


def test_an_unknown_capture_extension_is_refused_with_a_sentence(tmp_path):
    target = tmp_path / "run.cap"
    out = synack("run", "handshake", "--pcap", str(target))
    assert out.returncode == 2 and not target.exists()
    assert ".pcap or .pcapng" in out.stderr and "Traceback" not in out.stderr


def make_dry(*args):
    return subprocess.run(["make", "-n", "-B", *args], capture_output=True, text=True, cwd=ROOT).stdout


@pytest.mark.skipif(not shutil.which("make"), reason="make is not installed")
def test_make_run_installs_only_what_running_needs_and_takes_a_port():
    run = make_dry("run", "PORT=9123")
    install = [line for line in run.splitlines() if "pip install" in line and "-e" in line]
    assert install and all("test" not in line for line in install)
    assert "synack serve --port 9123" in run
    test = make_dry("test")
    assert any("[test" in line for line in test.splitlines() if "pip install" in line)


def test_system_deps_names_every_package_the_tests_use(tmp_path):
    # A PATH with nothing on it but bash: every tool is missing, and a dry run lists what it would install.
    (tmp_path / "bash").symlink_to(shutil.which("bash"))
    out = subprocess.run(["bash", str(ROOT / "tools" / "system-deps.sh")], capture_output=True, text=True,
                         env={"PATH": str(tmp_path), "SYSTEM_DEPS_DRY_RUN": "1"})
    assert out.returncode == 0
    wanted = set(out.stdout.split("would install", 1)[1].split())
    assert {"chromium", "tshark", "tcpdump", "iptables", "python3-venv", "nodejs", "iproute2"} <= wanted


def test_system_deps_says_clearly_when_it_cannot_install(tmp_path):
    (tmp_path / "bash").symlink_to(shutil.which("bash"))
    for tool in ("id", "python3"):
        if shutil.which(tool):
            (tmp_path / tool).symlink_to(shutil.which(tool))
    out = subprocess.run(["bash", str(ROOT / "tools" / "system-deps.sh")], capture_output=True, text=True,
                         env={"PATH": str(tmp_path)})
    assert "cannot install" in out.stderr and "nodejs" in out.stderr


def test_readme_tells_a_newcomer_where_synack_is_and_what_is_needed():
    text = (ROOT / "README.md").read_text()
    assert ".venv/bin/synack" in text and "source .venv/bin/activate" in text
    assert "Python 3.11" in text and "python3-venv" in text and "make" in text
    assert "make run PORT=" in text
    # The state names as each tool prints them.
    assert "SYN_RECV" in text and "FIN_WAIT1" in text and "SYN-RECV" in text and "FIN-WAIT-1" in text
    assert "--names" in text and "--absolute" in text and ".pcapng" in text


def test_names_option_reaches_the_ladder():
    out = synack("run", "handshake", "--names", "ss")
    assert out.returncode == 0 and "SYN-RECV" in out.stdout and "FIN-WAIT-1" in out.stdout
    bad = synack("run", "handshake", "--names", "bsd")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_connection_option_picks_one_ladder():
    out = synack("run", "fast_open", "--connection", "2")
    assert out.returncode == 0 and "connection 2 of 2" in out.stdout and "connection 1 of 2" not in out.stdout
    bad = synack("run", "fast_open", "--connection", "3")
    assert bad.returncode == 2 and "--connection must be from 1 to 2" in bad.stderr


def test_absolute_option_reaches_the_tcpdump_lines():
    rel = synack("run", "handshake", "--format", "tcpdump").stdout.splitlines()
    absolute = synack("run", "handshake", "--format", "tcpdump", "--absolute").stdout.splitlines()
    assert "ack 1," in rel[2] and "ack 1," not in absolute[2]
    assert os.path.commonprefix([rel[0], absolute[0]]) == rel[0]  # the SYN is absolute either way
    alone = synack("run", "handshake", "--absolute")
    assert alone.returncode == 2 and "--format tcpdump" in alone.stderr


def test_play_takes_a_packetdrill_script_too():
    script = ROOT / "tests" / "drill" / "close_fin_retransmit.pkt"
    out = subprocess.run([sys.executable, "-m", "synack", "play", str(script)], capture_output=True, text=True,
                         stdin=subprocess.DEVNULL)
    assert out.returncode == 0, out.stderr
    assert "remote 192.0.2.1:40000 ↔ local 192.168.0.1:8080" in out.stdout and "FIN_WAIT_1" in out.stdout
