"""Every scenario's pcap opens in tshark with nothing malformed, good checksums, and the trace's segments."""

import shutil
import subprocess

import pytest

from synack.scenarios import SCENARIOS, run_scenario
from synack.trace.json_view import trace_json
from synack.wire.pcap import pcap_from_trace

pytestmark = pytest.mark.skipif(shutil.which("tshark") is None,
                                reason="tshark is not installed (make test installs it with apt-get)")


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_pcap_is_clean_in_tshark(name, tmp_path):
    trace = trace_json(run_scenario(name, loss=0.1 if name == "client_close" else 0.0))
    path = tmp_path / f"{name}.pcap"
    path.write_bytes(pcap_from_trace(trace))
    out = subprocess.run(["tshark", "-r", str(path), "-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE",
                          "-T", "fields", "-e", "frame.number", "-e", "tcp.flags.str", "-e", "ip.checksum.status",
                          "-e", "tcp.checksum.status", "-e", "_ws.malformed"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    rows = [line.split("\t") for line in out.stdout.splitlines()]
    assert len(rows) == len(trace["steps"])
    for number, _flags, ip_ok, tcp_ok, malformed in rows:
        # tshark's checksum status: 0 bad, 1 good, 2 unverified.
        assert ip_ok == "1" and tcp_ok == "1", f"frame {number}: checksum not verified good"
        assert not malformed, f"frame {number} is malformed"
