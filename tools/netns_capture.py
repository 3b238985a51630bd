"""Commands and packet captures inside network namespaces, shared by the recording tools.

``tools/record_linux.py``, ``tools/record_linux_routed.py`` and
``tools/record_replay_captures.py`` each run tcpdump (or dumpcap) in a
namespace while real sockets make traffic.  Starting returns only once the
capture is live (the tool has said "listening on" or "Capturing on"), so no
segment is missed; stopping waits a moment for the last segments, then sends
SIGINT, which makes the tool flush its file and print its counts.
:func:`ns_run` runs the other commands (ip, sysctl, ethtool, the scripts).
"""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path


def ns_run(ns: str | None, *cmd: str, check: bool = True, **kw) -> subprocess.CompletedProcess:
    """Run ``cmd`` in namespace ``ns`` (here, when None), its output kept as text; ``check`` raises on failure."""
    full = ["ip", "netns", "exec", ns, *cmd] if ns else list(cmd)
    return subprocess.run(full, check=check, capture_output=True, text=True, **kw)


def tcpdump(interface: str, out: Path, *, snaplen: int = 2048, capture_filter: str = "tcp",
            extra: tuple[str, ...] = ()) -> list[str]:
    """A tcpdump command line writing packets as they come (``-U --immediate-mode``)."""
    return ["tcpdump", "-i", interface, "-n", "-U", "--immediate-mode", *extra, "-s", str(snaplen),
            "-w", str(out), capture_filter]


def start_capture(ns: str, cmd: list[str], *, warm_up_s: float = 0.0) -> subprocess.Popen:
    """Run ``cmd`` in namespace ``ns``; return once it captures (and ``warm_up_s`` later)."""
    proc = subprocess.Popen(["ip", "netns", "exec", ns, *cmd], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    assert proc.stderr is not None
    proc.stderr.readline()  # tcpdump's "listening on", dumpcap's "Capturing on": the capture is live
    time.sleep(warm_up_s)
    return proc


def stop_capture(proc: subprocess.Popen, *, settle_s: float = 0.3) -> str:
    """Let the last segments arrive, stop the capture so it writes its file; returns what it said, on one line."""
    time.sleep(settle_s)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=10)
    return " ".join(err.split())


def kill_capture(proc: subprocess.Popen | None) -> None:
    """Clean-up after a failure: the capture must not outlive its namespace."""
    if proc is not None and proc.poll() is None:
        proc.kill()
        proc.communicate()
