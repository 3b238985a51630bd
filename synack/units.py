"""Durations as people type them (``100ms``, ``30us``, ``1.5s``) and as synack prints them.

Every layer measures time in integer microseconds; this module is the one
place that converts, shared by the scenario parameters, the CLI and the web API.
"""

from __future__ import annotations

import math
import re

_UNITS = {"us": 1, "µs": 1, "ms": 1_000, "s": 1_000_000, "m": 60_000_000, "min": 60_000_000}
_PATTERN = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*(us|µs|ms|s|min|m)\s*$")
MAX_US = 24 * 3600 * 1_000_000


def parse_duration(text: str) -> int:
    """``"100ms"`` -> 100000.  A unit is required; the result is whole microseconds."""
    match = _PATTERN.match(str(text))
    if not match:
        raise ValueError(f"{text!r} is not a duration; write a number and a unit, like 100ms, 30us or 1.5s.")
    value = float(match.group(1)) * _UNITS[match.group(2)]
    if not math.isfinite(value) or value > MAX_US:
        raise ValueError(f"{text!r} is too long a duration; the most is 24 hours.")
    return int(round(value))

