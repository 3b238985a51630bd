"""The summary of a capture as text: one row per connection, then netstat's tally of final states.

Plain fixed-width lines rather than a rich table: a capture may hold a
hundred thousand connections, and the summary must print them in a moment.
"""

from __future__ import annotations

from typing import Any, Iterable

HEADER = ("conn", "client", "server", "pkts", "SYN>SYN-ACK", "SYN-ACK>ACK", "1st data", "bytes c>s",
          "bytes s>c", "retx", "ended", "final states (client / server)")


def duration_text(us: int | None) -> str:
    """``0.21 ms``, ``1.5 s``, ``-`` for unknown."""
    if us is None:
        return "-"
    if us >= 1_000_000:
        return f"{us / 1_000_000:.3g} s"
    if us >= 1000:
        return f"{us / 1000:.3g} ms"
    return f"{us} us"


def _final(row: dict[str, Any]) -> str:
    states = row["final_states"]
    text = f"{states['client']} / {states['server']}"
    until = row.get("time_wait_until_us") or {}
    if until:
        text += " (TIME_WAIT lasts 60 s from its start, past the capture's end)"
    return text


def summary_lines(rows: Iterable[dict[str, Any]], tally: dict[str, int], file_name: str,
                  packets: int, warnings: Iterable[str] = ()) -> Iterable[str]:
    rows = list(rows)
    widths = [4, 21, 21, 5, 11, 11, 9, 10, 10, 4, 20]
    yield f"{file_name}: {len(rows)} TCP connection{'s' if len(rows) != 1 else ''}, {packets} TCP packets"
    yield "  ".join(h.ljust(w) if i else h.rjust(w) for i, (h, w) in enumerate(zip(HEADER, widths + [0], strict=True)))
    for row in rows:
        cells = [str(row["conn"]), row["client"], row["server"], str(row["packets"]),
                 duration_text(row["syn_to_synack_us"]), duration_text(row["synack_to_ack_us"]),
                 duration_text(row["first_data_us"]), str(row["bytes_client_to_server"]),
                 str(row["bytes_server_to_client"]), str(row["retransmissions"]), row["ended"]]
        yield "  ".join(c.ljust(w) if i else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))) + \
            "  " + _final(row)
    yield ""
    yield "States at the end of the capture (both ends of every connection, as netstat would count them):"
    for state, count in tally.items():
        yield f"  {state:<14} {count}"
