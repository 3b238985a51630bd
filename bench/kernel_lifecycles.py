"""The kernel side of the lifecycle benchmark alone: Linux doing N client_close lifecycles over loopback.

As root it runs in a network namespace of its own (see synack/kernel_bench.py).
``synack bench lifecycles`` runs the same measurement beside the simulator
and prints the ratio.  The last line is one JSON object.

    .venv/bin/python bench/kernel_lifecycles.py --n 10000
"""

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from synack.kernel_bench import kernel_lifecycles  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10000)
    parser.add_argument("--one-cpu", action="store_true", help="keep the client and server threads on one CPU")
    args = parser.parse_args()
    if args.n < 1:
        parser.error("--n must be at least 1")
    rate, cpu_rate = kernel_lifecycles(args.n, one_cpu=args.one_cpu)
    where = ", both threads on one CPU" if args.one_cpu else ""
    print(f"Linux {os.uname().release}, {args.n} client_close lifecycles over loopback{where}: {rate:,.0f} per "
          f"second ({cpu_rate:,.0f} per CPU second)")
    print(json.dumps({"benchmark": "kernel_lifecycles", "n": args.n, "one_cpu": args.one_cpu,
                      "per_second": round(rate, 1), "per_cpu_second": round(cpu_rate, 1)}))


if __name__ == "__main__":
    main()
