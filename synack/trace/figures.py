"""A lesson's figures: the numbers its scenario measured, and its bar chart.

Reads the trace's ``summary`` and ``figures`` (docs/trace-format.md): a rich
table of figures (nested ones flattened to ``ttfb_rtt › tcp``) and, when the
summary holds a ``chart``, horizontal bars drawn with plotext in the
terminal and with matplotlib to a file (``synack run --plot``), as the crowd
charts of :mod:`synack.trace.crowd_view` are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

def _flat(key: str, value: Any) -> list[tuple[str, str]]:
    if isinstance(value, dict):
        rows = []
        for sub, inner in value.items():
            rows += _flat(f"{key} › {sub}", inner)
        return rows
    if isinstance(value, list):
        if value and all(isinstance(v, dict) for v in value):
            return [row for i, v in enumerate(value) for row in _flat(f"{key} › {i + 1}", v)]
        return [(key, ", ".join(_text(v) for v in value) or "none")]
    return [(key, _text(value))]


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def figure_rows(trace: dict[str, Any]) -> list[tuple[str, str]]:
    summary = trace.get("summary", {})
    rows: list[tuple[str, str]] = []
    for key in trace.get("figures", []):
        if key != "chart" and key in summary:
            rows += _flat(key, summary[key])
    return rows


def bar_chart(chart: dict[str, Any], width: int = 80) -> str:
    """The chart as text for a terminal of ``width`` columns: one bar per label, its value at the end."""
    import plotext as plt
    labels = list(chart["labels"])
    values = [v if isinstance(v, (int, float)) else 0 for v in chart["values"]]
    plt.clear_figure()
    plt.simple_bar(labels, values, width=max(40, width - 1), title=f"{chart['title']} ({chart['unit']})")
    text = plt.uncolorize(plt.build())
    plt.clear_figure()
    return "\n".join(line.rstrip() for line in text.splitlines())


def save_chart(trace: dict[str, Any], path: Path) -> None:
    """Write the lesson's bar chart to ``path``; the suffix (.svg, .png, .pdf) chooses the format."""
    chart = trace.get("summary", {}).get("chart")
    if not chart:
        raise ValueError(f"scenario {trace['scenario']} has no chart")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    values = [v if isinstance(v, (int, float)) else 0 for v in chart["values"]]
    fig, ax = plt.subplots(figsize=(10, 5.6), dpi=120)
    bars = ax.barh(chart["labels"], values, color="#2a7ab0")
    ax.bar_label(bars, labels=[_text(v) for v in chart["values"]], padding=4)
    ax.invert_yaxis()  # the first label on top, as in the terminal
    ax.set_xlabel(chart["unit"])
    ax.set_title(f"{chart['title']} (profile {trace['profile']}, RTT {trace['rtt_us'] / 1000:g} ms)", fontsize=11)
    ax.grid(True, axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, metadata={"Date": None} if path.suffix == ".svg" else {})
    plt.close(fig)


def datagram_rows(trace: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """The UDP datagrams of a run (QUIC's flights in setup_tax): when, who, bytes, what; they are not TCP
    segments, so the ladder does not draw them."""
    rtt = trace["rtt_us"] or 1
    names = {e["ip"]: e["name"] for e in trace["endpoints"] if e.get("ip")}
    rows = []
    for e in trace.get("events", []):
        if e["type"] != "datagram":
            continue
        to = names.get(e["dst"].split(":")[0], e["dst"])
        fate = "lost" if e["lost"] else f"arrives {e['arrives_us'] / rtt:.2f} RTT"
        rows.append((f"{e['t_us'] / rtt:.2f} RTT", f"{e['endpoint']} → {to}", f"{e['bytes']} B",
                     f"{e['label']} ({fate})"))
    return rows


def figures_view(trace: dict[str, Any], width: int = 80) -> RenderableType | None:
    """The figures table and the chart, or None when the scenario measured nothing of its own."""
    rows = figure_rows(trace)
    chart = trace.get("summary", {}).get("chart")
    datagrams = datagram_rows(trace)
    if not rows and not chart and not datagrams:
        return None
    parts: list[RenderableType] = []
    if datagrams:
        table = Table(title="UDP datagrams (QUIC), not drawn on the ladder", box=box.SIMPLE, pad_edge=False)
        for column in ("sent", "from → to", "size", "carrying"):
            table.add_column(column, no_wrap=column != "carrying")
        for row in datagrams:
            table.add_row(*(Text(cell) for cell in row))  # labels like 0-RTT[request] are not markup
        parts.append(table)
    if chart:
        parts.append(Text(bar_chart(chart, width)))
    if rows:
        table = Table(title="Figures", box=box.SIMPLE, show_header=False, pad_edge=False)
        table.add_column("figure", style="bold", no_wrap=True)
        table.add_column("value")
        for key, value in rows:
            table.add_row(key, value)
        parts.append(table)
    return Group(*parts)
