"""Build hook: compile the protocol core and the simulator with mypyc when possible.

The metadata lives in pyproject.toml.  As black and mypy ship, the same typed
sources become C extensions when mypy (a build requirement) and a C compiler
are present; otherwise, or with ``SYNACK_PURE=1`` at install time, synack
installs as pure Python and loses nothing but speed.  ``synack/compiled.py``
decides at import time whether a build matches the sources.
"""

import os
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "synack"))
import compiled  # noqa: E402  (synack/compiled.py, loaded alone: the package is not installed yet)


BUILT_HASH = ""


class OptionalBuildExt(build_ext):
    """Compile if possible; on any compiler failure install the pure-Python package instead."""

    def run(self) -> None:
        if not self.extensions:
            return
        try:
            super().run()
        except Exception as exc:  # a missing compiler or header surfaces as several distutils errors
            print(f"synack: the mypyc build failed ({exc}); installing pure Python.", file=sys.stderr)
            return
        stamp = BUILT_HASH + "\n"
        for target in {Path(self.build_lib) / "synack", ROOT / "synack"}:
            if target.is_dir():
                (target / compiled.STAMP_NAME).write_text(stamp)


def extensions() -> list:
    if os.environ.get("SYNACK_PURE") == "1":
        return []
    if not {"build_ext", "build", "bdist_wheel", "editable_wheel", "install", "develop"} & set(sys.argv[1:]):
        return []  # metadata only (egg_info, dist_info): no need to run mypyc
    try:
        from mypyc.build import mypycify
    except ImportError:
        print("synack: mypy is not installed; installing pure Python.", file=sys.stderr)
        return []
    # Remove a previous record first: until this build succeeds, nothing may claim to be compiled.
    (ROOT / "synack" / compiled.STAMP_NAME).unlink(missing_ok=True)
    sources = [str(p.relative_to(ROOT)) for p in compiled.compiled_sources(ROOT / "synack")]
    # Hashed before compiling: an edit made during the build leaves the build stale, not wrongly fresh.
    global BUILT_HASH
    BUILT_HASH = compiled.source_hash(ROOT / "synack")
    try:
        return mypycify(sources, group_name="synack._engine", opt_level="3")
    except (Exception, SystemExit) as exc:  # mypyc exits on type errors
        print(f"synack: mypyc cannot compile the sources ({exc}); installing pure Python.", file=sys.stderr)
        return []


setup(ext_modules=extensions(), cmdclass={"build_ext": OptionalBuildExt})
