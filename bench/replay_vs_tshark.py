"""``synack replay --format summary`` against ``tshark -q -z conv,tcp`` on one ~1,000,000-packet capture.

The capture is made by the engine: 100,000 simulated ``client_close``
lifecycles (ten segments each) written as pcap by bench/replay_capture.py,
kept in build/bench/ for the next run.  Both tools then read the same file
in this one run, one after the other, each in its own process; the figures
are wall-clock seconds and each process's peak memory (maximum RSS; for
synack the largest of its processes).  The synack figure is given for the
pure-Python sources (``SYNACK_PURE=1``) and, when the mypyc build is fresh
(``make build``), for the compiled observer too.

    python bench/replay_vs_tshark.py                 # 100,000 lifecycles, ~1,000,000 packets
    python bench/replay_vs_tshark.py --lifecycles 10000
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))


from synack.compiled import build_is_fresh  # noqa: E402


def run(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float, str]:
    """Wall seconds, CPU seconds, peak memory in MB and stdout of ``command``, from the kernel's rusage.

    The CPU time (user + system) is the fairer figure on a machine other work shares; both are printed.
    """
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=ROOT)
    # wait4 gives this child's own rusage (ru_maxrss in KB on Linux), not the sum over all children.
    out_chunks = []
    assert child.stdout is not None
    for chunk in iter(lambda: child.stdout.read(1 << 16), b""):
        out_chunks.append(chunk)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"{command[:3]} exited with status {child.returncode}")
    cpu = usage.ru_utime + usage.ru_stime
    return elapsed, cpu, usage.ru_maxrss / 1024, b"".join(out_chunks).decode(errors="replace")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lifecycles", type=int, default=100_000)
    args = parser.parse_args()
    tshark = shutil.which("tshark")
    if tshark is None:
        raise SystemExit("tshark is not installed (apt-get install tshark); nothing to compare with.")
    capture = ROOT / "build" / "bench" / f"replay-{args.lifecycles}.pcap"
    if not capture.exists():
        capture.parent.mkdir(parents=True, exist_ok=True)
        print(f"making {capture.relative_to(ROOT)} from {args.lifecycles} simulated lifecycles ...", flush=True)
        partial = capture.with_suffix(".part")
        # In its own process: making the capture is not what is timed.
        subprocess.run([sys.executable, str(Path(__file__).with_name("replay_capture.py")), str(partial),
                        str(args.lifecycles)], check=True)
        partial.rename(capture)
    size_mb = capture.stat().st_size / 1e6

    t_tshark, c_tshark, m_tshark, out = run([tshark, "-r", str(capture), "-q", "-z", "conv,tcp"])
    tshark_conversations = sum(1 for line in out.splitlines() if "<->" in line)

    results = {}
    builds = [("pure", "1")] + ([("compiled", "0")] if build_is_fresh() else [])
    for label, pure in builds:
        env = {**os.environ, "SYNACK_PURE": pure}
        seconds, cpu, memory, out = run([sys.executable, "-m", "synack", "replay", str(capture), "--format", "summary"],
                                   env)
        first = out.splitlines()[0] if out else ""
        results[label] = {"seconds": round(seconds, 3), "cpu_seconds": round(cpu, 3), "max_rss_mb": round(memory, 1),
                          "first_line": first}

    packets = next((line.split(", ")[1].split()[0] for line in [results["pure"]["first_line"]]
                    if ", " in line), "?")
    print(f"capture: {capture.relative_to(ROOT)}, {size_mb:.0f} MB, {packets} TCP packets")
    print(f"tshark -r FILE -q -z conv,tcp:               {t_tshark:7.2f} s wall {c_tshark:7.2f} s CPU "
          f"{m_tshark:6.0f} MB peak  ({tshark_conversations} conversations)")
    for label, result in results.items():
        print(f"synack replay --format summary ({label:8}): {result['seconds']:7.2f} s wall "
              f"{result['cpu_seconds']:7.2f} s CPU {result['max_rss_mb']:6.0f} MB peak  = "
              f"{result['seconds'] / t_tshark:.2f} x tshark's wall time, "
              f"{result['cpu_seconds'] / c_tshark:.2f} x its CPU")
    if len(builds) == 1:
        print("(no fresh mypyc build: 'make build' compiles the observer too)")
    print(json.dumps({"benchmark": "replay_vs_tshark", "lifecycles": args.lifecycles, "packets": packets,
                      "tshark_seconds": round(t_tshark, 3), "tshark_cpu_seconds": round(c_tshark, 3),
                      "tshark_max_rss_mb": round(m_tshark, 1),
                      "synack": results}))


if __name__ == "__main__":
    main()
