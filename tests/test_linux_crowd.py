"""Root only: Linux running out of ephemeral ports, against the time_wait_exhaustion scenario.

tools/kernel_port_exhaustion.py drives the kernel in a network namespace of
its own (100 ports, 200 connections a second, the client closing first); the
simulation with the same settings must fail at the same moment and serve the
same number of requests, with and without tcp_tw_reuse.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from synack.scenarios import run_scenario

TOOL = Path(__file__).resolve().parents[1] / "tools" / "kernel_port_exhaustion.py"
pytestmark = [
    pytest.mark.root,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root for a network namespace"),
    pytest.mark.skipif(shutil.which("ip") is None or shutil.which("ss") is None, reason="needs iproute2 (ip, ss)"),
]
PORTS, RATE, SECONDS = (60000, 60099), 200, 2


@pytest.mark.parametrize("tw_reuse", [False, True])
def test_linux_and_the_simulation_run_out_of_ports_alike(tw_reuse):
    args = [sys.executable, str(TOOL), "--ports", f"{PORTS[0]}-{PORTS[1]}", "--rate", str(RATE),
            "--seconds", str(SECONDS), *(["--tw-reuse"] if tw_reuse else [])]
    kernel = json.loads(subprocess.run(args, check=True, capture_output=True, text=True,
                                       timeout=120).stdout.strip().splitlines()[-1])
    sim = run_scenario("time_wait_exhaustion", rtt_us=100, params={
        "port_low": str(PORTS[0]), "port_high": str(PORTS[1]), "rate": str(RATE), "duration": f"{SECONDS}s",
        "tw_reuse": "on" if tw_reuse else "off"}).summary
    ports = PORTS[1] - PORTS[0] + 1
    assert kernel["first_failure_s"] == pytest.approx(ports / RATE, abs=2 / RATE)
    assert sim["first_failure_s"] == pytest.approx(ports / RATE, abs=1e-9)
    if not tw_reuse:
        # Nothing leaves TIME_WAIT within 60 s: exactly one connection per port, in both.
        assert kernel["served"] == sim["requests_served"] == ports
    else:
        # A port is taken over once its last timestamp is a whole second old (seconds granularity,
        # so the kernel's count depends on where the run starts within a second).
        assert kernel["served"] > ports and sim["requests_served"] > ports
        assert abs(kernel["served"] - sim["requests_served"]) <= RATE
