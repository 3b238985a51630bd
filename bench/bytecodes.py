"""Bytecodes and Python calls per simulated lifecycle, by layer and by function: a count, not a timing.

Runs ``synack bench lifecycles``' simulation (back-to-back ``client_close``
lifecycles, tracing off) on the pure-Python sources under ``sys.settrace``
with opcode events on, and counts, per function, the bytecodes the
interpreter executed and the times it was entered (a generator resumed
counts as entered).  Unlike a rate on this shared 2-core machine, the counts
are the same from one run to the next, so a change of a few per cent shows:
run it before and after.  A bytecode is not a fixed cost (a call costs
several hundred machine instructions on top of its own bytecodes), so read
the calls column too.  The last line is one JSON object.

    .venv/bin/python bench/bytecodes.py --n 300 --top 40
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["SYNACK_PURE"] = "1"  # settrace sees only interpreted code; before synack is imported


def count(n: int) -> tuple[Counter[str], Counter[str]]:
    """Bytecodes and entries per ``file:function`` over ``n`` lifecycles, after a warm-up run."""
    from synack.scenarios.bench import simulate_lifecycles

    simulate_lifecycles(50)  # imports and first-use caches out of the count
    opcodes: Counter[str] = Counter()
    calls: Counter[str] = Counter()
    names: dict[Any, str] = {}

    def trace(frame: FrameType, event: str, _arg: Any) -> Any:
        code = frame.f_code
        name = names.get(code)
        if name is None:
            name = names[code] = f"{Path(code.co_filename).name}:{code.co_name}"
        if event == "opcode":
            opcodes[name] += 1
        elif event == "call":
            frame.f_trace_opcodes = True
            calls[name] += 1
        return trace

    sys.settrace(trace)
    try:
        simulate_lifecycles(n)
    finally:
        sys.settrace(None)
    return opcodes, calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="lifecycles counted")
    parser.add_argument("--top", type=int, default=30, help="functions listed")
    args = parser.parse_args()
    if args.n < 1 or args.top < 0:
        parser.error("--n must be at least 1 and --top at least 0")
    opcodes, calls = count(args.n)
    n = args.n
    total, total_calls = sum(opcodes.values()), sum(calls.values())
    print(f"pure Python, per client_close lifecycle: {total / n:,.0f} bytecodes, {total_calls / n:,.0f} Python calls")
    by_file: Counter[str] = Counter()
    calls_by_file: Counter[str] = Counter()
    for name, ops in opcodes.items():
        by_file[name.split(":")[0]] += ops
    for name, k in calls.items():
        calls_by_file[name.split(":")[0]] += k
    print("by file:      bytecodes   share   calls")
    for file, ops in by_file.most_common():
        print(f"  {file:<16} {ops / n:7,.0f}  {ops / total:6.1%}  {calls_by_file[file] / n:6.1f}")
    print(f"heaviest {args.top} functions: bytecodes, share, calls")
    for name, ops in opcodes.most_common(args.top):
        print(f"  {ops / n:7,.0f}  {ops / total:6.1%}  {calls[name] / n:6.1f}  {name}")
    print(json.dumps({"benchmark": "bytecodes", "n": n, "bytecodes_per_lifecycle": round(total / n, 1),
                      "calls_per_lifecycle": round(total_calls / n, 1),
                      "by_file": {file: round(ops / n, 1) for file, ops in by_file.most_common()}}))


if __name__ == "__main__":
    main()
