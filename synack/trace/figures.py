"""A lesson's figures in the terminal: the numbers its scenario measured, and its bar chart.

Reads the trace's ``summary`` and ``figures`` (docs/trace-format.md) and
draws them with rich: a table of figures (nested ones flattened to
``ttfb_rtt › tcp``) and, when the summary holds a ``chart``, horizontal bars
scaled to the largest value.
"""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

BAR_WIDTH = 40


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


def bar_chart(chart: dict[str, Any], width: int = BAR_WIDTH) -> Table:
    """Horizontal bars, one per label, scaled so the largest fills ``width`` cells."""
    values = [v for v in chart["values"] if isinstance(v, (int, float))]
    top = max(values, default=0) or 1
    table = Table(title=f"{chart['title']} ({chart['unit']})", box=None, show_header=False, pad_edge=False)
    table.add_column("label", justify="right", no_wrap=True)
    table.add_column("bar", no_wrap=True)
    for label, value in zip(chart["labels"], chart["values"]):
        if not isinstance(value, (int, float)):
            table.add_row(label, Text("did not finish", style="red"))
            continue
        cells = max(1, round(value / top * width)) if value else 0
        table.add_row(label, Text("█" * cells, style="cyan") + Text(f" {_text(value)}"))
    return table


def figures_view(trace: dict[str, Any]) -> RenderableType | None:
    """The figures table and the chart, or None when the scenario measured nothing of its own."""
    rows = figure_rows(trace)
    chart = trace.get("summary", {}).get("chart")
    if not rows and not chart:
        return None
    parts: list[RenderableType] = []
    if chart:
        parts.append(bar_chart(chart))
    if rows:
        table = Table(title="Figures", box=box.SIMPLE, show_header=False, pad_edge=False)
        table.add_column("figure", style="bold", no_wrap=True)
        table.add_column("value")
        for key, value in rows:
            table.add_row(key, value)
        parts.append(table)
    return Group(*parts)
