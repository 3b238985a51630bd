"""The ladder diagram: one row per segment between the two ends' columns, drawn with rich.

Each row shows when the segment left (ms and RTTs), its phase, an arrow in its
direction with flags and relative numbers, whether it was lost, and the state
each end is in once it has been processed.  A third party that only forges
segments (an attacker) is drawn as an arrow from outside the ladder.
"""

from __future__ import annotations

from typing import Any

from rich import box
from rich.table import Table
from rich.text import Text

ARROW_WIDTH = 44


def tcp_endpoints(trace: dict[str, Any]) -> list[str]:
    names = [e["name"] for e in trace["endpoints"] if e.get("tcp")]
    return names[:2] if len(names) >= 2 else names + ["?"] * (2 - len(names))


def segment_label(seg: dict[str, Any]) -> str:
    """``SYN 0``, ``SYN+ACK 0 ack 1``, ``PSH+ACK 1:101 ack 1``: flags, relative seq (range with data), ack."""
    flags = "+".join(seg["flags"]) or "none"
    seq = f"{seg['seq']}:{seg['seq'] + seg['len']}" if seg["len"] else f"{seg['seq']}"
    text = f"{flags} {seq}"
    if "ACK" in seg["flags"]:
        text += f" ack {seg['ack']}"
    return text


def arrow(step: dict[str, Any], left: str, right: str, width: int = ARROW_WIDTH) -> Text:
    """``─── SYN seq=0 ──▶`` or ``◀── ...``; a lost segment stops mid-wire with ✗."""
    seg = step["segment"]
    label = f" {segment_label(seg)} "
    rightward = seg["to"] == right or (seg["from"] != right and seg["to"] != left)
    if seg["from"] not in (left, right):
        label = f" {seg['from']}: {segment_label(seg)} "
    body = max(width - len(label) - 1, 4)
    if seg["lost"]:
        half = body // 2
        if rightward:
            line = "─" * (body - half) + label + "─" * (half // 2) + "✗" + " " * (half - half // 2)
        else:
            line = " " * (half - half // 2) + "✗" + "─" * (half // 2) + label + "─" * (body - half)
        return Text(line, style="red")
    if rightward:
        return Text("─" * (body // 2) + label + "─" * (body - body // 2) + "▶", style="cyan")
    return Text("◀" + "─" * (body // 2) + label + "─" * (body - body // 2), style="magenta")


def ladder_table(trace: dict[str, Any], highlight: int | None = None, width: int | None = None) -> Table:
    """The whole run as a table; ``highlight`` marks one step (an index into ``steps``).

    ``width`` is the console's; the wire takes whatever the other columns leave.
    """
    if width is None:
        from rich.console import Console
        width = Console().width
    left, right = tcp_endpoints(trace)
    wire = max(22, min(60, width - 62))
    rtt = trace["rtt_us"] or 1
    phases = [p["label"] for p in trace["phases"]]
    initial = {e["name"]: e.get("initial_state", "CLOSED") for e in trace["endpoints"] if e.get("tcp")}
    table = Table(title=trace["title"], caption=f"profile {trace['profile']}, RTT {rtt / 1000:g} ms, "
                  f"seed {trace['seed']}; time is when the segment left", box=box.SIMPLE, expand=False,
                  pad_edge=False)
    table.add_column("time", justify="right", no_wrap=True, min_width=8)
    table.add_column("phase", no_wrap=True, min_width=9)
    table.add_column(left, justify="right", no_wrap=True, min_width=12)
    table.add_column("", no_wrap=True, min_width=wire)
    table.add_column(right, no_wrap=True, min_width=12)
    table.add_row("", "", initial.get(left, ""), "", initial.get(right, ""))
    last_phase = None
    for i, step in enumerate(trace["steps"]):
        phase = phases[step["phase"]] if step["phase"] < len(phases) else ""
        shown_phase = phase if phase != last_phase else ""
        last_phase = phase
        states = step["states"]
        row_style = "reverse" if i == highlight else None
        when = f"{step['sent_us'] / rtt:.2f} RTT"
        table.add_row(when, shown_phase, states.get(left, ""), arrow(step, left, right, width=wire),
                      states.get(right, ""), style=row_style)
    return table


def ladder_text(trace: dict[str, Any], width: int = 140) -> str:
    """The ladder as plain text (for pipes and tests)."""
    from rich.console import Console
    console = Console(width=width, color_system=None, record=True, force_terminal=False)
    with console.capture() as capture:
        console.print(ladder_table(trace, width=width))
    return capture.get()
