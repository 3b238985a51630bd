"""Re-record two scenarios on this machine's kernel and check they still look like the committed fixtures.

Needs root, tcpdump, iptables and ip (network namespaces); CI machines that
lack them skip with the reason, and the committed fixtures carry the truth.
"""

import os
import shutil
import sys
from pathlib import Path

import pytest

from synack.wire.pcap import read_pcap

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.root


def _missing() -> str | None:
    if os.geteuid() != 0:
        return "recording Linux needs root (network namespaces, tcpdump, iptables)"
    for tool in ("tcpdump", "iptables", "ip"):
        if shutil.which(tool) is None:
            return f"recording Linux needs {tool}, which is not installed"
    return None


@pytest.mark.parametrize("name", ["client_close", "refused"])
def test_rerecording_matches_the_fixture(name, tmp_path):
    reason = _missing()
    if reason:
        pytest.skip(reason)
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import record_linux
    finally:
        sys.path.pop(0)
    fresh = record_linux.record(name, tmp_path)
    flags = [p.segment.flags.tcpdump() for p in read_pcap(fresh)]
    fixture = [p.segment.flags.tcpdump() for p in read_pcap(ROOT / "tests" / "fixtures" / "linux" / f"{name}.pcap")]
    assert flags == fixture
