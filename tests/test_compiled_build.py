"""The mypyc build is used only while it matches the sources, and SYNACK_PURE=1 always runs the sources."""

import os
import shutil
import subprocess
import sys

import pytest

from synack import compiled


def build_of(**env: str) -> str:
    code = "from synack.compiled import build_name; print(build_name())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, **env})
    return out.stdout.strip()


def test_an_edit_makes_the_build_stale(tmp_path):
    package = tmp_path / "synack"
    for name in compiled.COMPILED_PACKAGES:
        shutil.copytree(compiled.PACKAGE / name, package / name, ignore=shutil.ignore_patterns("*.so", "__pycache__"))
    assert not compiled.build_is_fresh(package)  # no record of a build yet
    (package / compiled.STAMP_NAME).write_text(compiled.source_hash(package) + "\n")
    assert compiled.build_is_fresh(package)
    seq = package / "tcp" / "seq.py"
    seq.write_text(seq.read_text() + "\n# an edit\n")
    assert not compiled.build_is_fresh(package)


def test_synack_pure_runs_the_sources():
    assert build_of(SYNACK_PURE="1") == "pure"


def test_a_fresh_build_runs_compiled():
    if not compiled.build_is_fresh():
        pytest.skip("no fresh mypyc build here (no C compiler, or sources edited since; 'make build')")
    assert build_of(SYNACK_PURE="0") == "compiled"


def test_compiled_and_pure_modules_are_never_mixed():
    # Every compiled module comes from the same build in one process.
    code = ("import sys, synack.tcp.endpoint, synack.tcp.listener, synack.sim.host, synack.sim.network;"
            "from synack.compiled import compiled_sources, PACKAGE;"
            "names = {'synack.' + '.'.join(p.relative_to(PACKAGE).with_suffix('').parts) for p in compiled_sources()};"
            "print({m.__file__.endswith('.py') for n, m in sys.modules.items() if n in names})")
    for env in ({"SYNACK_PURE": "1"}, {"SYNACK_PURE": "0"}):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                             env={**os.environ, **env})
        assert len(eval(out.stdout)) == 1


def test_the_compiled_sources_type_check():
    # mypyc compiles only what mypy accepts: a type error here would make every install pure Python.
    api = pytest.importorskip("mypy.api")
    out, err, status = api.run([str(p) for p in compiled.compiled_sources()] + ["--no-error-summary"])
    assert status == 0, out + err
