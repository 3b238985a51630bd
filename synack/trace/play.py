"""``synack play``: the connection in slow motion in a terminal, one segment per key press.

Step 0 is the moment before anything is sent; step k shows the k-th segment on
the wire between the two boxes, each box labelled with its end's state once the
segment has been processed, the ladder with the current phase marked, the RTT
clock and the step's note.  Enter or Right steps, Left steps back, q quits.
Without a terminal it prints the ladder and returns.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from .figures import figures_view
from .ladder import arrow, ladder_table, segment_label, tcp_endpoints


def states_at(trace: dict[str, Any], k: int) -> dict[str, str]:
    if k == 0:
        return {e["name"]: e.get("initial_state", "CLOSED") for e in trace["endpoints"] if e.get("tcp")}
    return dict(trace["steps"][k - 1]["states"])


def clock_at(trace: dict[str, Any], k: int) -> int:
    """Elapsed µs at step k: when the segment arrived, or when it died for a lost one."""
    if k == 0:
        return 0
    step = trace["steps"][k - 1]
    return step["arrives_us"] if step["arrives_us"] is not None else step["sent_us"]


def frame(trace: dict[str, Any], k: int, width: int = 100) -> Group:
    """Everything shown at step ``k`` (0 .. len(steps)): a pure function, so it can be tested."""
    left, right = tcp_endpoints(trace)
    states = states_at(trace, k)
    total = len(trace["steps"])
    rtt = trace["rtt_us"] or 1
    t = clock_at(trace, k)
    clock = Text(f"RTT clock {t / rtt:.2f} RTT  ({t / 1000:.3f} ms)   step {k} of {total}", style="bold")
    boxes = Table.grid(expand=False, padding=(0, 2))
    box_l = Panel(Text(states.get(left, ""), style="bold green"), title=left, width=22)
    box_r = Panel(Text(states.get(right, ""), style="bold green"), title=right, width=22)
    if k:
        step = trace["steps"][k - 1]
        wire = Group(arrow(step, left, right, width=48), Text(segment_label(step["segment"]), style="dim"))
        note = Text(step["note"])
    else:
        wire = Group(Text("─" * 48, style="dim"), Text("nothing on the wire yet", style="dim"))
        note = Text(trace["summary_line"])
    boxes.add_row(box_l, wire, box_r)
    highlight = k - 1 if k else None
    phase = trace["steps"][k - 1]["phase"] if k else None
    phases = Text("  ".join(
        f"[{p['label']}]" if i == phase else p["label"] for i, p in enumerate(trace["phases"])))
    keys = Text("Enter/→ step   ← back   q quit" + ("   c crowd chart" if trace.get("crowd") else ""),
                style="dim")
    parts = [Text(trace["title"], style="bold"), clock, boxes, note, phases,
             ladder_table(trace, highlight=highlight, width=width)]
    figures = figures_view(trace, width) if k == total else None
    if figures is not None:
        parts.append(figures)  # the lesson's numbers, once the whole run has been stepped through
    return Group(*parts, keys)


def _read_key() -> str:
    ch = sys.stdin.read(1)
    if ch == "\x1b":
        seq = sys.stdin.read(2)
        return {"[C": "right", "[D": "left"}.get(seq, "")
    if ch in ("\r", "\n", " "):
        return "right"
    if ch in ("q", "Q", "\x03", "\x04"):
        return "quit"
    if ch in ("c", "C"):
        return "chart"
    return ""


def play(trace: dict[str, Any], console: Console | None = None) -> int:
    console = console or Console()
    from .crowd_view import crowd_chart
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        console.print(ladder_table(trace))
        if trace.get("crowd"):
            console.print(Text(crowd_chart(trace, width=min(console.width, 100))))
        return 0
    import termios
    import tty
    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    k, total = 0, len(trace["steps"])
    try:
        tty.setcbreak(fd)
        while True:
            console.clear()
            console.print(frame(trace, k, console.width))
            key = _read_key()
            if key == "chart" and trace.get("crowd"):
                # The crowd of connections, counted: any key goes back to the ladder.
                console.clear()
                console.print(Text(crowd_chart(trace, width=console.width, height=max(8, console.height - 4))))
                console.print(Text("any key: back to the ladder", style="dim"))
                key = _read_key()
            if key == "quit":
                break
            if key == "right":
                k = min(k + 1, total)
            elif key == "left":
                k = max(k - 1, 0)
    finally:
        # Whatever ends the loop (q, Ctrl-C, an error), the terminal gets its settings back.
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        if os.environ.get("TERM"):
            console.print()
    return 0
