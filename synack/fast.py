"""Where the mypyc-compiled copy of the simulator lives, and whether it matches the sources.

``tools/build_fast.py`` builds it; :func:`fresh_build` answers whether it may
be used.  Only the lifecycle benchmark uses it; everything else, tests
included, runs the plain Python source.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
BUILD_DIR = PACKAGE.parent / "build" / "fast"

#: The modules compiled, relative to the checkout: the core, the simulator and what the benchmark runs.
COMPILED = (
    *(f"synack/tcp/{p.name}" for p in sorted((PACKAGE / "tcp").glob("*.py")) if p.name != "__init__.py"),
    *(f"synack/sim/{p.name}" for p in sorted((PACKAGE / "sim").glob("*.py")) if p.name != "__init__.py"),
    "synack/scenarios/apps.py", "synack/scenarios/base.py", "synack/scenarios/bench.py",
    "synack/scenarios/client_close.py",
    # synack replay's summary of a large capture (bench/replay_vs_tshark.py).
    "synack/wire/reader.py", "synack/replay/observer.py", "synack/replay/capture.py",
)


def source_hash() -> str:
    """Hash of the compiled modules' sources: any edit to them makes the build stale."""
    digest = hashlib.sha256()
    for name in COMPILED:
        path = PACKAGE.parent / name
        digest.update(name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def fresh_build() -> Path | None:
    """The directory to put first on sys.path for the compiled copy, or None when there is none fresh."""
    stamp = BUILD_DIR / "SOURCE_HASH"
    try:
        if stamp.read_text().strip() == source_hash():
            return BUILD_DIR
    except OSError:
        pass
    return None
