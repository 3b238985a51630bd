"""Run one script file or every ``*.pkt`` under a folder against synack's engine.

The entry points of ``synack drill``: :func:`run_file` parses and runs one
script (a :class:`~synack.drill.script.ScriptError` becomes an outcome with
status ``error``), :func:`run_tree` runs a folder's scripts in name order.
"""

from __future__ import annotations

from pathlib import Path

from ..tcp.profiles import PROFILES
from .runner import Outcome, run_script
from .script import ScriptError, parse_script
from .simstack import SimStack


def run_file(path: str | Path, profile: str = "linux", *, defines: dict[str, str] | None = None,
             tolerance_us: int | None = None, trace: bool = False) -> tuple[Outcome, SimStack | None]:
    """Parse and run one script; the stack is returned too (its recorder holds the run)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return Outcome(str(path), "error", None, f"{path}: cannot be read ({exc}).") , None
    return run_text(text, str(path), profile, defines=defines, tolerance_us=tolerance_us, trace=trace)


def run_text(text: str, name: str, profile: str = "linux", *, defines: dict[str, str] | None = None,
             tolerance_us: int | None = None, trace: bool = False) -> tuple[Outcome, SimStack | None]:
    """Parse and run a script given as text (``name`` for messages): an upload, or a file's contents."""
    try:
        script = parse_script(text, name, defines)
    except ScriptError as exc:
        return Outcome(name, "error", exc.line, f"{name}: {exc}"), None
    mss = int(script.options.get("mss", "1460"))
    stack = SimStack(PROFILES[profile], mss=mss, trace=trace)
    return run_script(script, stack, tolerance_us=tolerance_us), stack


def scripts_under(folder: str | Path) -> list[Path]:
    return sorted(p for p in Path(folder).rglob("*.pkt") if p.is_file())


def run_tree(folder: str | Path, profile: str = "linux", **kw) -> list[Outcome]:
    return [run_file(p, profile, **kw)[0] for p in scripts_under(folder)]
