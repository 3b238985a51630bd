"""``synack play``: one connection in slow motion in a terminal, one segment per key press.

Frame 0 is the moment before anything is sent; frame k (1..n) is the moment
the k-th segment of the connection left: the clock shows that moment (the
same number as the ladder's ``sent`` column, so the two never disagree), the
boxes each end's state just after it, the wire the segment with when it left
and when it arrived (or that it was lost), and the ladder the rows reached so
far, the newest highlighted; later rows stay hidden.  Frame n+1 is the end:
the last segment has arrived, and the screen says so.  Everything fits the
terminal (80x24 or more): the ladder shows only its newest rows when the
screen is short.  Enter or Right steps, Left steps back, q quits.  Without a
terminal it prints the ladder and returns.
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
from .ladder import (arrow, connection_title, connection_view, goes_right, ladder_table, ladders, segment_label,
                     tcp_endpoints)
from .names import rename_states, state_name

BOX_WIDTH = 16  # "SYN_RECEIVED" and its border


def frames(view: dict[str, Any]) -> int:
    """How many frames a connection has: before, one per segment, and the end."""
    return len(view["steps"]) + 2


def states_at(view: dict[str, Any], k: int) -> dict[str, str]:
    steps = view["steps"]
    if k == 0:
        return {e["name"]: e["initial_state"] for e in view["endpoints"] if e.get("initial_state")}
    if k > len(steps):
        conn = view.get("connection") or {}
        return dict(conn.get("final_states") or steps[-1]["states"])
    return dict(steps[k - 1]["states_sent"])


def clock_at(view: dict[str, Any], k: int) -> int:
    """Elapsed µs at frame k: when its segment left; at the end, when the last one arrived."""
    steps = view["steps"]
    if k == 0 or not steps:
        return 0
    if k > len(steps):
        conn = view.get("connection") or {}
        return conn.get("end_us", steps[-1]["sent_us"])
    return steps[k - 1]["sent_us"]


def _lines(renderable: Any, width: int) -> int:
    console = Console(width=width, color_system=None, force_terminal=False)
    return len(console.render_lines(renderable, console.options.update(width=width), pad=False))


def frame(view: dict[str, Any], k: int, width: int = 100, height: int | None = None,
          names: str = "synack") -> Group:
    """Everything shown at frame ``k`` (0 .. n+1) of one connection: a pure function, so it can be tested."""
    left, right = tcp_endpoints(view)
    steps = view["steps"]
    n = len(steps)
    k = max(0, min(k, n + 1))
    states = states_at(view, k)
    rtt = view["rtt_us"] or 1
    t = clock_at(view, k)
    at_end = k > n

    title = view["title"]
    sub = connection_title(view)
    if sub and view.get("connections_total", 1) > 1:
        title = f"{title} · {sub.split(':', 1)[0]}"
    head = Text(title, style="bold")
    where = "last segment arrived" if at_end else ("nothing sent yet" if k == 0 else "this segment left")
    count = f"end, {n} of {n} segments" if at_end else f"step {k} of {n}"
    clock = Text(f"clock {t / rtt:.2f} RTT ({t / 1000:g} ms): {where}   {count}", style="bold")

    def box(name: str) -> Panel:
        value = states.get(name)
        shown = state_name(value, names) if value else "no TCP state"
        return Panel(Text(shown, style="bold green", no_wrap=True), title=name, width=BOX_WIDTH)

    wire_w = max(width - 2 * BOX_WIDTH - 4, 12)
    boxes = Table.grid(expand=False, padding=(0, 1))
    if 0 < k <= n:
        step = steps[k - 1]
        seg = step["segment"]
        rightward = goes_right(view, step)
        label = segment_label(seg) if len(segment_label(seg)) + 6 <= wire_w else segment_label(seg, short=True)
        if seg["lost"]:
            fate = f"lost ({seg['lost_reason']})" if seg.get("lost_reason") else "lost"
        else:
            fate = f"arrives {step['arrives_us'] / rtt:.2f} RTT"
        wire = Group(Text(""), arrow(step, rightward, wire_w, label),
                     Text(f"sent {step['sent_us'] / rtt:.2f} RTT, {fate}", style="dim"))
        note = Text(rename_states(step["note"], names))
    elif at_end:
        wire = Group(Text(""), Text("─" * wire_w, style="dim"), Text("nothing more on the wire", style="dim"))
        final = ", ".join(f"{name} {state_name(s, names)}" for name, s in states.items())
        total = view.get("connections_total", 1)
        others = ""
        if total > 1:
            here = (view.get("connection") or {}).get("id", 0) + 1
            others = f" This run has {total} connections; --connection {here % total + 1} plays another."
        note = Text(f"End of the run: {final}.{others}")
    else:
        wire = Group(Text(""), Text("─" * wire_w, style="dim"), Text("nothing on the wire yet", style="dim"))
        note = Text(view["summary_line"])
    boxes.add_row(box(left), wire, box(right))
    crowd = "   c crowd chart" if view.get("crowd") else ""
    keys = Text(("← back   q quit" + crowd + "   (the end)") if at_end else "Enter/→ step   ← back   q quit" + crowd,
                style="dim")

    highlight = k - 1 if 0 < k <= n else None
    upto = min(k, n) if not at_end else None
    fixed = Group(head, clock, boxes, note)
    if height is not None:
        used = _lines(fixed, width) + 1 + 2  # keys line, ladder header, one spare for the cursor
        last_rows = max(height - used, 2)
    else:
        last_rows = None
    table = ladder_table(view, highlight=highlight, width=width, names=names, upto=upto, last_rows=last_rows)
    figures = figures_view(view, width) if at_end else None
    if figures is not None:
        # The lesson's numbers, once the whole run has been stepped through.
        return Group(head, clock, boxes, note, table, figures, keys)
    return Group(head, clock, boxes, note, table, keys)


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


def play(trace: dict[str, Any], console: Console | None = None, names: str = "synack",
         connection: int = 0) -> int:
    console = console or Console()
    from .crowd_view import crowd_chart
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        console.print(ladders(trace, width=console.width, names=names, connection=connection))
        if trace.get("crowd"):
            console.print(Text(crowd_chart(trace, width=min(console.width, 100))))
        return 0
    import termios
    import tty
    view = connection_view(trace, connection)
    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    k, last = 0, frames(view) - 1
    try:
        tty.setcbreak(fd)
        while True:
            console.clear()
            console.print(frame(view, k, console.width, console.height, names))
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
                k = min(k + 1, last)
            elif key == "left":
                k = max(k - 1, 0)
    finally:
        # Whatever ends the loop (q, Ctrl-C, an error), the terminal gets its settings back.
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        if os.environ.get("TERM"):
            console.print()
    return 0
