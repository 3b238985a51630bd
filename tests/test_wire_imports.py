"""synack/wire may import only the standard library and synack.tcp (STYLE.md, "Layers")."""

import ast
import sys
from pathlib import Path

WIRE = Path(__file__).resolve().parent.parent / "synack" / "wire"


def imported_modules(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            yield node.module


def test_wire_imports_only_the_standard_library_and_synack_tcp():
    files = sorted(WIRE.glob("*.py"))
    assert files
    for path in files:
        for module in imported_modules(path):
            top = module.split(".")[0]
            allowed = top in sys.stdlib_module_names or top == "__future__" or module.startswith("synack.tcp")
            assert allowed, f"{path.name} imports {module}"
