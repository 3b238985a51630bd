"""Draw the TCP state diagram from the transition table in synack/tcp/states.py.

    python tools/draw_states.py            # Mermaid (renders on GitHub), to stdout
    python tools/draw_states.py --dot      # Graphviz

The diagram is generated, never drawn by hand, so it always shows what the
engine does; docs/states.md holds the current output.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from synack.tcp.states import TRANSITIONS  # noqa: E402


def mermaid() -> str:
    lines = ["stateDiagram-v2"]
    for (state, event), (target, _where) in TRANSITIONS.items():
        lines.append(f"    {state.value} --> {target.value}: {event.value}")
    return "\n".join(lines)


def dot() -> str:
    lines = ["digraph tcp {", "  rankdir=TB; node [shape=box, fontname=monospace];"]
    for (state, event), (target, where) in TRANSITIONS.items():
        lines.append(f'  {state.value} -> {target.value} [label="{event.value}", tooltip="{where}"];')
    lines.append("}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dot", action="store_true")
    print(dot() if parser.parse_args().dot else mermaid())


if __name__ == "__main__":
    main()
