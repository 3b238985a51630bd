"""The crowd as a chart: in the terminal with plotext, and as SVG or PNG with matplotlib.

Both draw the columns of a trace's ``crowd`` (docs/trace-format.md): time on
the x axis, one line per series the scenario chose to plot (sockets in a state,
a queue's length, a counter).  The terminal chart fits the console it is given
(80 columns by default); the file is for slides.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

PLOT_SUFFIXES = (".svg", ".png", ".pdf")


def plotted(trace: dict[str, Any]) -> list[dict[str, Any]]:
    """The series to draw: the scenario's choice, or every gauge when it chose none."""
    crowd = trace.get("crowd") or {}
    by_key = {s["key"]: s for s in crowd.get("series", [])}
    keys = crowd.get("plot") or [s["key"] for s in crowd.get("series", []) if s["kind"] != "counter"]
    return [by_key[k] for k in keys if k in by_key]


def series_label(s: dict[str, Any]) -> str:
    return f"{s['host']} {s['label']}"


def _seconds(trace: dict[str, Any]) -> list[float]:
    return [t / 1_000_000 for t in trace["crowd"]["t_us"]]


def crowd_chart(trace: dict[str, Any], width: int = 80, height: int = 16) -> str:
    """The chart as text for a terminal of ``width`` columns; empty when the run has no crowd."""
    shown = plotted(trace)
    if not shown:
        return ""
    import plotext as plt
    plt.clear_figure()
    plt.plotsize(max(40, width - 1), max(8, height))
    plt.theme("clear")
    xs = _seconds(trace)
    for s in shown:
        plt.plot(xs, s["values"], label=series_label(s), marker="braille")
    plt.title(f"{trace['scenario']}: sockets and counters over time")
    plt.xlabel("time (s)")
    text = plt.uncolorize(plt.build())
    plt.clear_figure()
    return "\n".join(line.rstrip() for line in text.splitlines())


def save_plot(trace: dict[str, Any], path: Path) -> None:
    """Write the chart to ``path``; the suffix (.svg, .png, .pdf) chooses the format."""
    shown = plotted(trace)
    if not shown:
        raise ValueError(f"scenario {trace['scenario']} has no crowd to plot")
    import matplotlib
    matplotlib.use("Agg")  # no display needed, and nothing opens a window
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(10, 5.6), dpi=120)
    xs = _seconds(trace)
    for s in shown:
        ax.step(xs, s["values"], where="post", label=series_label(s), linewidth=2)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("sockets / count")
    ax.set_title(trace["title"])
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best")
    summary = trace.get("summary", {})
    figures = [f"{k} = {summary[k]}" for k in ("legit_success_rate", "first_failure_s", "leaked_sockets",
                                                 "gave_up_after_first_write_s") if summary.get(k) is not None]
    if figures:
        ax.text(0.01, 0.99, "; ".join(figures), transform=ax.transAxes, va="top", fontsize=9)
    fig.tight_layout()
    # A fixed date and no hash salt keep the same run's file byte for byte the same.
    metadata = {"Date": None} if path.suffix == ".svg" else {}
    fig.savefig(path, metadata=metadata)
    plt.close(fig)
