"""The ladder diagram: one connection's segments as rows between its two ends' columns, drawn with rich.

Each connection of a run gets its own ladder (``connection_view`` cuts it out
of the trace).  A row stands for the moment its segment left: the time column
is that moment in RTTs (in seconds, said in its header, when the run goes on
for so many RTTs that the multiple would be unreadable: half_open's 0.1 ms RTT
over minutes of retransmissions), and both state columns show each end's state at that
moment, just after the send (``states_sent``), so a state change appears on
the first row after its cause, never before.  A last row shows both ends once
the last segment has arrived.  The phase column names a phase on the row of
its first successful delivery; a retransmission or duplicate says ``again``,
a lost copy ``lost``, and a lost segment stops mid-wire with ✗.

The columns are sized from what they hold, so at 80 columns (or piped) no
state, time or label is cut; narrower, the wire labels shrink to the flags,
then the phase column goes, and both ends stay.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from .names import state_name

MIN_WIDTH = 60
LEGEND = "sent: when the segment left, in RTTs; states: each end just after that moment"
LEGEND_SECONDS = "sent: when the segment left, in seconds; states: each end just after that moment"
#: From this many RTTs on, the time column counts seconds: 10000.00 RTT is as wide as it should get.
MAX_RTTS = 10_000


# ----------------------------------------------------------------- one connection
def connection_view(trace: dict[str, Any], connection: int = 0) -> dict[str, Any]:
    """The trace cut down to one connection: its ends, phases (numbered from 0) and steps."""
    conns = trace.get("connections") or []
    if not conns:
        return dict(trace, connection=None, connections_total=0)
    conn = conns[connection]
    base = conn["phases"][0] if conn["phases"] else 0
    steps = []
    for i in conn["steps"]:
        step = dict(trace["steps"][i])
        step["phase"] = step["phase"] - base
        steps.append(step)
    return dict(trace, endpoints=conn["ends"], phases=[trace["phases"][p] for p in conn["phases"]],
                steps=steps, connection=conn, connections_total=len(conns), connections_all=conns)


def tcp_endpoints(view: dict[str, Any]) -> list[str]:
    names = [e["name"] for e in view["endpoints"]]
    return names[:2] if len(names) >= 2 else names + ["?"] * (2 - len(names))


def segment_label(seg: dict[str, Any], short: bool = False) -> str:
    """``SYN 0``, ``SYN+ACK 0 ack 1``, ``PSH+ACK 1:101 ack 1``: flags, relative seq (range with data), ack."""
    flags = "+".join(seg["flags"]) or "none"
    if short:
        return flags
    seq = f"{seg['seq']}:{seg['seq'] + seg['len']}" if seg["len"] else f"{seg['seq']}"
    text = f"{flags} {seq}"
    if "ACK" in seg["flags"]:
        text += f" ack {seg['ack']}"
    return text


def goes_right(view: dict[str, Any], step: dict[str, Any]) -> bool:
    ends = view["endpoints"]
    if len(ends) >= 2 and "ip" in ends[0]:
        return step["segment"]["src"] == f"{ends[0]['ip']}:{ends[0]['port']}"
    left, right = tcp_endpoints(view)
    seg = step["segment"]
    return seg["to"] == right or (seg["from"] != right and seg["to"] != left)


def _label(view: dict[str, Any], step: dict[str, Any], short: bool) -> str:
    seg = step["segment"]
    text = segment_label(seg, short)
    ends = view["endpoints"]
    sender_end = ends[0] if goes_right(view, step) else ends[1] if len(ends) > 1 else ends[0]
    if seg["from"] != sender_end.get("name"):
        text = f"{seg['from']}: {text}"  # forged with another's address
    return text


def arrow(step: dict[str, Any], rightward: bool, width: int, label: str) -> Text:
    """``─── SYN 0 ──▶`` or ``◀── ...``; a lost segment stops mid-wire with ✗."""
    label = f" {label} "
    body = max(width - len(label) - 1, 2)
    if step["segment"]["lost"]:
        half = body // 2
        if rightward:
            line = "─" * (body - half) + label + "─" * (half // 2) + "✗" + " " * (half - half // 2)
        else:
            line = " " * (half - half // 2) + "✗" + "─" * (half // 2) + label + "─" * (body - half)
        return Text(line, style="red")
    if rightward:
        return Text("─" * (body // 2) + label + "─" * (body - body // 2) + "▶", style="cyan")
    return Text("◀" + "─" * (body // 2) + label + "─" * (body - body // 2), style="magenta")


def phase_cell(view: dict[str, Any], step: dict[str, Any]) -> str:
    """The phase on the row of its first delivery; ``NN again`` / ``NN lost`` on its other copies."""
    phases = view["phases"]
    if not 0 <= step["phase"] < len(phases):
        return ""
    label = phases[step["phase"]]["label"]
    role = step.get("role", "first")
    if role == "first":
        return label
    if role == "answer":
        return ""
    head = label.split(" ", 1)[0] if label[:1].isdigit() else label
    return f"{head} {'lost' if step['segment']['lost'] else 'again'}"


def in_seconds(trace: dict[str, Any]) -> bool:
    """Whether the trace's times read better in seconds than as multiples of its RTT."""
    rtt = trace["rtt_us"] or 1
    latest = max([s["sent_us"] for s in trace["steps"]]
                 + [c["end_us"] for c in trace.get("connections") or [] if c.get("end_us") is not None], default=0)
    return latest / rtt >= MAX_RTTS


def _time(us: int, rtt: int, seconds: bool) -> str:
    if not seconds:
        return f"{us / rtt:.2f}"
    # Enough decimals to tell half an RTT apart, down to the microsecond.
    decimals = 0
    while decimals < 6 and 10 ** (6 - decimals) > rtt / 2:
        decimals += 1
    return f"{us / 1_000_000:.{decimals}f}"


def ladder_table(view: dict[str, Any], highlight: int | None = None, width: int | None = None,
                 names: str = "synack", upto: int | None = None, title: str | None = None,
                 last_rows: int | None = None, seconds: bool | None = None) -> Table:
    """One connection's ladder; ``highlight`` marks a step (index into the view's steps).

    ``seconds`` gives the time column in seconds rather than RTTs; by default,
    when the view's times would be unreadable in RTTs (:func:`in_seconds`).

    ``upto`` shows only the first ``upto`` steps (the player hides the future);
    ``last_rows`` keeps only that many of the newest rows (the player's window).
    """
    if width is None:
        width = Console().width
    left, right = tcp_endpoints(view)
    rtt = view["rtt_us"] or 1
    if seconds is None:
        seconds = in_seconds(view)
    steps = view["steps"] if upto is None else view["steps"][:upto]
    conn = view.get("connection")
    initial = {e["name"]: e.get("initial_state", "") for e in view["endpoints"]}
    final = (conn or {}).get("final_states") if upto is None else None
    end_us = (conn or {}).get("end_us")

    def shown(states: dict[str, str], who: str) -> str:
        value = states.get(who)
        return state_name(value, names) if value else ("no TCP state" if who not in initial or not initial[who]
                                                       else "")

    rows = [("", "", shown(initial, left), None, shown(initial, right))]
    for step in steps:
        # A trace made elsewhere (a replayed capture) may carry only the states after arrival, or none.
        states = step.get("states_sent") or step.get("states") or {}
        rows.append((_time(step["sent_us"], rtt, seconds), phase_cell(view, step), shown(states, left), step,
                     shown(states, right)))
    if final is not None and end_us is not None:
        rows.append((_time(end_us, rtt, seconds), "end", shown(final, left), "end", shown(final, right)))

    time_head = "sent s" if seconds else "sent"
    time_w = max([len(time_head)] + [len(r[0]) for r in rows])
    left_w = max([len(left)] + [len(r[2]) for r in rows])
    right_w = max([len(right)] + [len(r[4]) for r in rows])
    phase_w = max([len("phase")] + [len(r[1]) for r in rows])

    def wire_need(short: bool | str) -> int:
        labels = [len(_label(view, r[3], bool(short))) for r in rows if isinstance(r[3], dict)]
        return max(labels + [7]) + 6

    # Gaps: two spaces between columns.  Rather than cut anything, a row whose label does not fit
    # shows its flags only ("fit"), and at the narrowest the phase column goes.
    plans: list[tuple[bool, bool | str]] = [(True, False), (True, "fit"), (False, "fit")]
    with_phase, short = plans[-1]
    wire_w = 0
    for with_phase, short in plans:
        fixed = time_w + left_w + right_w + (phase_w + 2 if with_phase else 0) + 2 * 3
        wire_w = width - fixed
        if wire_w >= wire_need(short):
            wire_w = min(wire_w, max(wire_need(short) + 8, 30))
            break
    wire_w = max(wire_w, 6)
    end_text = "last segment arrived" if wire_w >= 22 else "arrived"

    table = Table(title=title, box=None, expand=False, pad_edge=False, padding=(0, 1), show_edge=False,
                  header_style="bold", title_justify="left")
    table.add_column(time_head, justify="right", no_wrap=True, width=time_w)
    if with_phase:
        table.add_column("phase", no_wrap=True, width=phase_w)
    table.add_column(left, justify="right", no_wrap=True, width=left_w)
    table.add_column("", no_wrap=True, width=wire_w, overflow="crop")
    table.add_column(right, no_wrap=True, width=right_w)
    visible = rows
    if last_rows is not None and len(rows) > last_rows:
        kept = max(last_rows - 2, 1)
        hidden = len(rows) - 1 - kept
        visible = [rows[0], ("⋮", "", "", f"{hidden} earlier rows", "")] + rows[-kept:]
    for when, phase, lstate, step, rstate in visible:
        if isinstance(step, dict):
            label = _label(view, step, False)
            if short is True or (short == "fit" and len(label) + 6 > wire_w):
                label = _label(view, step, True)
            wire: Text = arrow(step, goes_right(view, step), wire_w, label)
            index = view["steps"].index(step) if highlight is not None else None
            style = "reverse" if index is not None and index == highlight else None
        elif step == "end":
            wire, style = Text(end_text.center(wire_w), style="dim"), None
        elif isinstance(step, str):
            wire, style = Text(step.center(wire_w), style="dim"), None
        else:
            wire, style = Text(""), None
        cells = [when] + ([phase] if with_phase else []) + [lstate, wire, rstate]
        table.add_row(*cells, style=style)
    return table


def legend(view: dict[str, Any], seconds: bool = False) -> str:
    rtt = view["rtt_us"] or 1
    return (f"profile {view['profile']}, RTT {rtt / 1000:g} ms, seed {view['seed']}. "
            f"{LEGEND_SECONDS if seconds else LEGEND}; "
            f"✗ lost; 'again' a copy sent again; 'end' once the last segment arrived.")


def connection_title(view: dict[str, Any]) -> str | None:
    conn = view.get("connection")
    if conn is None:
        return None
    total = view.get("connections_total", 1)
    title = f"connection {conn['id'] + 1} of {total}: {conn['label']}" if total > 1 else conn["label"]
    if conn.get("reuses") is not None:
        # A new connection on an old 4-tuple: its ISNs must lie above what the old one used (RFC 9293 3.4.1).
        old = {e["name"]: e for e in view["connections_all"][conn["reuses"]]["ends"]}
        parts = [f"{e['name']} ISN {e['isn']} (the old one ended at {old[e['name']]['next_seq']})"
                 for e in conn["ends"] if e.get("isn") is not None and old.get(e["name"], {}).get("next_seq")]
        title += f"\nsame ports as connection {conn['reuses'] + 1}; " + ", ".join(parts)
    return title


def ladders(trace: dict[str, Any], width: int | None = None, names: str = "synack",
            connection: int | None = None) -> Group:
    """The run's title, one labelled ladder per connection (or just ``connection``), and the legend."""
    if width is None:
        width = Console().width
    width = max(width, MIN_WIDTH)
    total = len(trace.get("connections") or [])
    which = range(total) if connection is None else [connection]
    seconds = in_seconds(trace)  # one unit for every ladder of the run, as its legend says
    parts: list[Any] = [Text(trace["title"], style="bold")]
    for c in which or [0]:
        view = connection_view(trace, c)
        parts.append(Text(""))
        parts.append(ladder_table(view, width=width, names=names, title=connection_title(view), seconds=seconds))
    parts.append(Text(""))
    parts.append(Text(legend(connection_view(trace, 0), seconds), style="dim"))
    return Group(*parts)


def ladder_text(trace: dict[str, Any], width: int = 140, names: str = "synack",
                connection: int | None = None) -> str:
    """The ladders as plain text (for pipes and tests)."""
    console = Console(width=width, color_system=None, record=True, force_terminal=False)
    with console.capture() as capture:
        console.print(ladders(trace, width=width, names=names, connection=connection))
    return capture.get()
