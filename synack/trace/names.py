"""How a state is spelled: synack's own names, RFC 9293's, or what ``netstat`` and ``ss`` print.

The engine's names (RFC 9293 3.3.2 with underscores: ``SYN_RECEIVED``,
``FIN_WAIT_1``) are the default.  ``netstat`` (net-tools, from the kernel's
``/proc/net/tcp`` codes) prints ``SYN_RECV``, ``FIN_WAIT1`` and ``CLOSE`` for a
closed socket; ``ss`` (iproute2) prints ``ESTAB``, ``SYN-RECV``, ``FIN-WAIT-1``
and ``UNCONN``.  The trace keeps the engine's names; only what is shown changes.
"""

from __future__ import annotations

import re

STATES = ("CLOSED", "LISTEN", "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2",
          "CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT")

STYLES: dict[str, dict[str, str]] = {
    "synack": {s: s for s in STATES},
    "rfc": {s: s.replace("_", "-") for s in STATES},
    "netstat": {"CLOSED": "CLOSE", "LISTEN": "LISTEN", "SYN_SENT": "SYN_SENT", "SYN_RECEIVED": "SYN_RECV",
                "ESTABLISHED": "ESTABLISHED", "FIN_WAIT_1": "FIN_WAIT1", "FIN_WAIT_2": "FIN_WAIT2",
                "CLOSE_WAIT": "CLOSE_WAIT", "CLOSING": "CLOSING", "LAST_ACK": "LAST_ACK",
                "TIME_WAIT": "TIME_WAIT"},
    "ss": {"CLOSED": "UNCONN", "LISTEN": "LISTEN", "SYN_SENT": "SYN-SENT", "SYN_RECEIVED": "SYN-RECV",
           "ESTABLISHED": "ESTAB", "FIN_WAIT_1": "FIN-WAIT-1", "FIN_WAIT_2": "FIN-WAIT-2",
           "CLOSE_WAIT": "CLOSE-WAIT", "CLOSING": "CLOSING", "LAST_ACK": "LAST-ACK", "TIME_WAIT": "TIME-WAIT"},
}

# Longest first, so FIN_WAIT_1 is not read as part of something shorter.
_WORD = re.compile(r"\b(" + "|".join(sorted(STATES, key=len, reverse=True)) + r")\b")


def state_name(state: str, style: str = "synack") -> str:
    return STYLES[style].get(state, state)


def rename_states(text: str, style: str = "synack") -> str:
    """Every state name in a sentence (a note) spelled in ``style``."""
    if style == "synack":
        return text
    table = STYLES[style]
    return _WORD.sub(lambda m: table[m.group(1)], text)
