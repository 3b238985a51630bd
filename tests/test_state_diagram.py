"""docs/states.md shows exactly what tools/draw_states.py draws from the engine's transition table."""

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def draw_states():
    spec = importlib.util.spec_from_file_location("draw_states", ROOT / "tools" / "draw_states.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docs_diagram_is_the_drawn_one():
    doc = (ROOT / "docs" / "states.md").read_text()
    block = re.search(r"```mermaid\n(.*?)\n```", doc, re.S)
    assert block, "docs/states.md has no mermaid diagram"
    assert block.group(1) == draw_states().mermaid(), "regenerate: python tools/draw_states.py"


def test_the_diagram_has_every_transition_once():
    from synack.tcp.states import TRANSITIONS
    edges = draw_states().mermaid().splitlines()[1:]
    assert len(edges) == len(TRANSITIONS) == len(set(edges))
    assert "    TIME_WAIT --> CLOSED: new SYN reuses the 4-tuple" in edges
