"""The mypyc build: which modules are compiled, and whether this process may run them.

``pip install`` (and so ``make run``/``make test``) compiles the protocol core
and the simulator with mypyc when mypy and a C compiler are at hand (see
``setup.py``), the way black and mypy ship; the compiled modules sit next to
their sources.  They are used only while they match those sources: the build
records a hash of what it compiled, and at import time :func:`choose` compares
it with the files on disk.  On a mismatch (an edit since the build), without a
build, or with ``SYNACK_PURE=1`` in the environment, a finder placed first on
``sys.meta_path`` loads those modules from their ``.py`` files instead, so an
edit never leaves a stale compiled module in charge.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType

PACKAGE = Path(__file__).resolve().parent
#: The build's record of the sources it compiled (written by setup.py).
STAMP_NAME = "_compiled_hash.txt"
#: Packages whose modules are compiled: the protocol core, the simulator, and replay's observer
#: (the summary of a million-packet capture runs it once per packet).
COMPILED_PACKAGES = ("tcp", "sim", "replay")
#: Modules of those packages left as Python, relative to the package (none today: keep a module
#: here only while mypyc cannot compile it, e.g. a dataclass with class-level constants).
NOT_COMPILED: tuple[str, ...] = ()


#: Single modules compiled outside those packages: replay's streaming capture reader.
COMPILED_MODULES = ("wire/reader.py",)


def compiled_sources(package: Path = PACKAGE) -> list[Path]:
    packages = [p for name in COMPILED_PACKAGES for p in sorted((package / name).glob("*.py"))
                if p.name != "__init__.py" and p.relative_to(package).as_posix() not in NOT_COMPILED]
    return packages + [package / name for name in COMPILED_MODULES if (package / name).is_file()]


def source_hash(package: Path = PACKAGE) -> str:
    """Hash of the compiled modules' sources: any edit to them makes a build stale."""
    digest = hashlib.sha256()
    for path in compiled_sources(package):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def build_is_fresh(package: Path = PACKAGE) -> bool:
    try:
        return (package / STAMP_NAME).read_text().strip() == source_hash(package)
    except OSError:
        return False


class SourceOnlyFinder:
    """Loads the compiled packages' modules from their ``.py`` files, never from an extension."""

    prefixes = tuple(f"synack.{name}." for name in COMPILED_PACKAGES)
    modules = frozenset("synack." + name.removesuffix(".py").replace("/", ".") for name in COMPILED_MODULES)

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> ModuleSpec | None:
        if not (fullname.startswith(self.prefixes) or fullname in self.modules) or not path:
            return None
        leaf = fullname.rpartition(".")[2]
        for entry in path:
            source = Path(entry) / f"{leaf}.py"
            if source.is_file():
                return importlib.util.spec_from_file_location(fullname, source)
        return None


def choose() -> None:
    """Run from ``synack/__init__.py``: fall back to the sources unless a fresh build may run."""
    if os.environ.get("SYNACK_PURE") == "1" or not build_is_fresh():
        if not any(isinstance(f, SourceOnlyFinder) for f in sys.meta_path):
            sys.meta_path.insert(0, SourceOnlyFinder())


def build_name() -> str:
    """``"compiled"`` when this process runs the mypyc build of the engine, else ``"pure"``."""
    from .tcp import endpoint
    return "pure" if endpoint.__file__.endswith(".py") else "compiled"
