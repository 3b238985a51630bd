"""A script's run as the JSON trace every view reads (ladder, player, page, pcap).

The run is synack's engine as ``local`` (the stack under test) and the
script as ``remote``; :func:`drill_trace` hands the recorder of a traced
run to :func:`synack.trace.json_view.trace_json` with a description built
from the script (its first comment line is its title).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..sim.recorder import Recorder
from ..tcp.profiles import Profile
from ..trace.json_view import trace_json
from .runner import Outcome
from .simstack import SimStack

DEFAULT_RTT_US = 100_000  # for the notes' "after N RTT" wording; a script has no RTT of its own


@dataclass(frozen=True)
class ScriptDescription:
    name: str
    title: str
    summary_line: str
    explanation: str
    phases: tuple[str, ...] = ()
    param_specs: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class DrillRun:
    scenario: ScriptDescription
    profile: Profile
    recorder: Recorder
    hosts: dict[str, Any]
    rtt_us: int = DEFAULT_RTT_US
    loss: float = 0.0
    seed: int = 1
    params: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    duration_us: int = 0
    crowd: dict[str, Any] | None = None  # a script drives one connection: no crowd to count


def _title(path: Path, text: str | None = None) -> str:
    if text is None:
        text = path.read_text(encoding="utf-8", errors="replace")
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("//"):
            return line.lstrip("/ ").strip()
        if line:
            break
    return path.stem


def drill_trace(path: str | Path, outcome: Outcome, stack: SimStack, text: str | None = None) -> dict[str, Any]:
    """The JSON trace of a script run made with ``trace=True`` (``text``: the script, if not on disk).

    Beside the usual keys it carries ``drill``: the script's name, status and first mismatch.
    """
    path = Path(path)
    if stack.recorder is None:
        raise ValueError("this run was made with tracing off")
    verdict = "passes" if outcome.status == "pass" else outcome.message
    title = _title(path, text)
    description = ScriptDescription(
        name=path.stem, title=title,
        summary_line=f"packetdrill script {path.name} against synack's {stack.profile.name} profile: {verdict}",
        explanation=f"{title} The script plays the remote side; 'local' is synack's engine under test.")
    hosts = {"local": stack.host, "remote": stack.peer}
    run = DrillRun(description, stack.profile, stack.recorder, hosts, seed=stack.seed,
                   summary={"drill_status": outcome.status, "drill_message": outcome.message},
                   duration_us=stack.now())
    trace = trace_json(run)
    trace["drill"] = {"script": path.name, "status": outcome.status, "line": outcome.line,
                      "message": outcome.message}
    return trace
