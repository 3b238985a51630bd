"""The segments every scenario puts on the wire, as text: the golden record engine changes are held to.

Each scenario runs under both profiles, once on a clean link and twice with
loss, and every segment is written as one line: when it left, who sent it,
the segment in packetdrill notation with absolute numbers and options, and
whether and when it arrived.  Views (phases, notes, states per row) are left
out on purpose: they may change; the wire may not, unless a commit means it to.

``python tests/golden.py`` rewrites the files in ``tests/fixtures/golden/``;
do that only in a commit that says which segments changed and why.
"""

from __future__ import annotations

import sys
from pathlib import Path

GOLDEN_DIR = Path(__file__).parent / "fixtures" / "golden"
PROFILES = ("linux", "rfc9293")
# (loss, seed): a clean run and two lossy ones, so retransmission paths are held too.
CONFIGS = ((0.0, 1), (0.3, 7), (0.1, 3))


def wire_lines(name: str, profile: str, loss: float, seed: int) -> list[str]:
    from synack.scenarios import SCENARIOS, ScenarioError, run_scenario

    try:
        # A crowd scenario's defaults may be a big run; it names smaller settings for the record.
        params = dict(SCENARIOS[name].golden_params) or None
        run = run_scenario(name, profile=profile, loss=loss, seed=seed, params=params)
    except ScenarioError as exc:
        return [f"error: {exc}"]
    lines = []
    for step in run.recorder.steps:
        fate = f"lost ({step.lost_reason})" if step.lost_reason else f"arrives {step.arrives_us}"
        lines.append(f"{step.sent_us} {step.sender} {step.src_ip}>{step.dst_ip} {step.segment!s} {fate}")
    for host in run.hosts.values():
        for conn in host.all_connections:
            lines.append(f"end {host.name} {conn.state.value}")
    return lines


def golden_path(name: str, profile: str, loss: float, seed: int) -> Path:
    return GOLDEN_DIR / f"{name}.{profile}.loss{loss:g}.seed{seed}.txt"


def cases() -> list[tuple[str, str, float, int]]:
    from synack.scenarios import SCENARIOS

    return [(n, p, loss, seed) for n in sorted(SCENARIOS) for p in PROFILES for loss, seed in CONFIGS]


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    only = set(sys.argv[1:])
    for case in cases():
        if only and case[0] not in only:
            continue
        golden_path(*case).write_text("\n".join(wire_lines(*case)) + "\n")
        print("wrote", golden_path(*case).name)
