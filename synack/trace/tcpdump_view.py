"""tcpdump-style lines for a JSON trace, numbered as ``tcpdump -n`` numbers them.

    0.000000 IP 10.0.0.1.40384 > 10.0.0.2.8080: Flags [S], seq 1795438201, win 64240, options [...], length 0

tcpdump prints absolute sequence numbers on the SYN and the SYN-ACK (and on
anything without ACK) and relative ones after them; ``absolute=True`` prints
every number absolute, as ``tcpdump -S`` does.  Times count from the first
segment.  The tap sits at the sender, so a segment the network then lost is
still printed, followed by a ``# synack:`` comment that tcpdump itself never
prints.
"""

from __future__ import annotations

from typing import Any


def _endpoint(addr: str) -> str:
    ip, port = addr.rsplit(":", 1)
    return f"{ip}.{port}"


def tcpdump_lines(trace: dict[str, Any], absolute: bool = False) -> list[str]:
    steps = trace["steps"]
    if not steps:
        return []
    t0 = steps[0]["sent_us"]
    lines = []
    for step in steps:
        seg = step["segment"]
        t = (step["sent_us"] - t0) / 1_000_000
        text = seg["tcpdump_absolute"] if absolute and "tcpdump_absolute" in seg else seg["tcpdump"]
        line = f"{t:.6f} IP {_endpoint(seg['src'])} > {_endpoint(seg['dst'])}: {text}"
        if seg["lost"]:
            why = f" ({seg['lost_reason']})" if seg.get("lost_reason") else ""
            line += f"  # synack: lost on the wire{why}"
        lines.append(line)
    return lines
