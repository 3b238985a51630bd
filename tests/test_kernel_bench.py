"""The kernel's side of the lifecycle benchmark: its child process measures, on one CPU when asked.

Only the setting is checked here, never a rate: the figures belong to
``synack bench lifecycles`` and ``bench/``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys


def _child(*flags: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "synack.kernel_bench", "20", *flags],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_one_cpu_keeps_both_threads_on_one_cpu():
    assert _child("--one-cpu")["cpus"] == 1


def test_otherwise_the_threads_may_use_every_cpu_the_process_may():
    report = _child()
    assert report["cpus"] == len(os.sched_getaffinity(0)) and report["per_second"] > 0
