"""The layers import only what STYLE.md allows: the core imports nothing of synack and no I/O or clocks."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "synack"
FORBIDDEN_IN_CORE = {"random", "time", "socket", "asyncio", "threading", "datetime", "select", "os"}
ALLOWED = {
    "tcp": set(),
    "wire": {"tcp"},
    "sim": {"tcp"},
    "scenarios": {"sim", "tcp", "units", "compiled"},
    "trace": {"tcp", "wire", "units"},
    "replay": {"tcp", "wire"},
    "drill": {"sim", "tcp", "wire", "trace", "units"},
}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = path.relative_to(ROOT).parts[:-1]
                base = list(parts[: len(parts) - node.level + 1])
                names.add(".".join(["synack", *base, *(node.module.split(".") if node.module else [])]))
            elif node.module:
                names.add(node.module)
    return names


def test_each_layer_imports_only_what_it_may():
    for layer, allowed in ALLOWED.items():
        for path in (ROOT / layer).glob("*.py"):
            for name in imports_of(path):
                if name.startswith("synack."):
                    other = name.split(".")[1]
                    assert other == layer or other in allowed, f"{path.name} imports {name}"


def test_core_has_no_clock_randomness_or_io():
    for path in (ROOT / "tcp").glob("*.py"):
        for name in imports_of(path):
            assert name.split(".")[0] not in FORBIDDEN_IN_CORE, f"{path.name} imports {name}"
