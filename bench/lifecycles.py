"""Simulated lifecycles per second on both builds, beside the kernel: N back-to-back client_close connections.

Prints the pure-Python figure, the compiled one when a fresh mypyc build
exists, and Linux living the same lifecycles over loopback; the last line is
one JSON object.  ``synack bench lifecycles`` is the same comparison for one
build.

    python bench/lifecycles.py --n 20000
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from synack.compiled import build_is_fresh  # noqa: E402
from synack.kernel_bench import kernel_lifecycles  # noqa: E402
from synack.scenarios.bench import run_benchmark  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000)
    args = parser.parse_args()
    kernel, kernel_cpu = kernel_lifecycles(args.n)
    print(f"Linux kernel over loopback:  {kernel:,.0f} lifecycles/s ({kernel_cpu:,.0f} per CPU second)")
    one_cpu, one_cpu_cpu = kernel_lifecycles(args.n, one_cpu=True)
    print(f"  its threads on one CPU:    {one_cpu:,.0f} lifecycles/s ({one_cpu_cpu:,.0f} per CPU second)")
    result = {"benchmark": "lifecycles", "n": args.n, "kernel_per_second": round(kernel, 1),
              "kernel_per_cpu_second": round(kernel_cpu, 1), "kernel_one_cpu_per_second": round(one_cpu, 1)}
    builds = [True] + ([False] if build_is_fresh() else [])
    for pure in builds:
        r = run_benchmark("lifecycles", args.n, pure=pure)
        print(f"synack {r['build']:>8}, 1 process: {r['per_second']:,.0f} lifecycles/s "
              f"({r['per_cpu_second']:,.0f} per CPU second), ratio to the kernel {r['per_second'] / kernel:.2f} "
              f"(per CPU second {r['per_cpu_second'] / kernel_cpu:.2f}; to the kernel on one CPU "
              f"{r['per_second'] / one_cpu:.2f})")
        result[f"{r['build']}_per_second"] = r["per_second"]
        result[f"{r['build']}_per_cpu_second"] = r["per_cpu_second"]
        result[f"{r['build']}_ratio"] = round(r["per_second"] / kernel, 3)
        result[f"{r['build']}_cpu_ratio"] = round(r["per_cpu_second"] / kernel_cpu, 3)
        result[f"{r['build']}_one_cpu_ratio"] = round(r["per_second"] / one_cpu, 3)
    if len(builds) == 1:
        print("(no fresh mypyc build: 'make build' compiles the engine when a C compiler is present)")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
