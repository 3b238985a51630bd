"""Simulated lifecycles per second: N back-to-back client_close connections, TIME_WAIT expiry included.

Prints the pure-Python figure and, when tools/build_fast.py has built it, the
figure for the same source compiled by mypyc; the last line is one JSON
object.  Compare with bench/kernel_lifecycles.py, Linux doing the same over
loopback driven by Python.

    python bench/lifecycles.py --n 20000
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from synack.scenarios.bench import bench_lifecycles, run_benchmark  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--workers", type=int, default=2, help="simulations run at once for the last figure")
    args = parser.parse_args()
    python_rate = bench_lifecycles(args.n)
    print(f"pure Python, 1 process:  {python_rate:,.0f} lifecycles/s")
    single = run_benchmark(args.n)
    print(f"{single['build']}, 1 process: {single['per_second']:,.0f} lifecycles/s")
    result = run_benchmark(args.n, workers=args.workers)
    print(f"{result['build']}, {result['workers']} processes: {result['per_second']:,.0f} lifecycles/s")
    result["python_per_second"] = round(python_rate, 1)
    result["single_process_per_second"] = single["per_second"]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
