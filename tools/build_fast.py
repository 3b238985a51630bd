"""Compile the simulator's hot layers with mypyc into build/fast, for the lifecycle benchmark.

The compiled copy is built from the very same source files (the core is plain,
typed Python; mypyc turns it into a C extension), and it is used only when its
recorded source hash still matches the tree, so an edit can never leave a
stale build in charge.  Without mypy or a C compiler this says so and stops:
synack runs as pure Python and loses nothing but speed.

    python tools/build_fast.py          # build if the sources changed
    python tools/build_fast.py --check  # exit 0 if build/fast is fresh
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from synack.fast import BUILD_DIR, COMPILED, source_hash  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report whether build/fast is fresh")
    args = parser.parse_args()
    wanted = source_hash()
    stamp = BUILD_DIR / "SOURCE_HASH"
    fresh = stamp.exists() and stamp.read_text().strip() == wanted
    if args.check or fresh:
        print(f"build/fast is {'fresh' if fresh else 'missing or stale'}")
        return 0 if fresh else 1
    mypyc = shutil.which("mypyc", path=str(Path(sys.executable).parent))
    if mypyc is None or shutil.which("cc") is None and shutil.which("gcc") is None:
        print("build_fast: mypyc or a C compiler is missing; synack stays pure Python.")
        return 0
    work = BUILD_DIR.with_name("fast-tmp")
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(ROOT / "synack", work / "synack", ignore=shutil.ignore_patterns("__pycache__", "*.so", "static"))
    result = subprocess.run([mypyc, *COMPILED], cwd=work, capture_output=True, text=True)
    if result.returncode != 0:
        print("build_fast: mypyc failed; synack stays pure Python.\n" + result.stdout[-2000:] + result.stderr[-2000:])
        return 0
    shutil.rmtree(work / "build", ignore_errors=True)
    (work / "SOURCE_HASH").write_text(wanted + "\n")
    shutil.rmtree(BUILD_DIR, ignore_errors=True)
    work.rename(BUILD_DIR)
    print(f"build_fast: compiled {len(COMPILED)} modules into {BUILD_DIR.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
