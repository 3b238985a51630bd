"""tcpdump-style lines for a JSON trace, with relative sequence numbers as ``tcpdump -n`` shows them.

    0.000000 IP 10.0.0.1.40384 > 10.0.0.2.8080: Flags [S], seq 0, win 64240, options [...], length 0

Times count from the first segment; a segment the network lost is marked
``(lost)``, since the tap sits at the sender.
"""

from __future__ import annotations

from typing import Any


def _endpoint(addr: str) -> str:
    ip, port = addr.rsplit(":", 1)
    return f"{ip}.{port}"


def tcpdump_lines(trace: dict[str, Any]) -> list[str]:
    steps = trace["steps"]
    if not steps:
        return []
    t0 = steps[0]["sent_us"]
    lines = []
    for step in steps:
        seg = step["segment"]
        t = (step["sent_us"] - t0) / 1_000_000
        line = f"{t:.6f} IP {_endpoint(seg['src'])} > {_endpoint(seg['dst'])}: {seg['tcpdump']}"
        if seg["lost"]:
            line += " (lost)"
        lines.append(line)
    return lines
