"""A flood of spoofed SYNs against a listener with SYN cookies, simulated on both builds.

One SYN every 10 µs of virtual time from forged addresses against a
``linux`` listener: the SYN queue fills, then every SYN is answered with a
SYN cookie and forgotten (RFC 4987).  Prints the wall time for the pure
sources and, when a fresh mypyc build exists, for the compiled engine; the
targets are under 30 s and under 10 s for a million SYNs.  The last line is
one JSON object.

    python bench/syn_flood.py --n 1000000
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from synack.compiled import build_is_fresh  # noqa: E402
from synack.scenarios.bench import run_benchmark  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    args = parser.parse_args()
    result: dict = {"benchmark": "syn_flood", "n": args.n}
    for pure in [True] + ([False] if build_is_fresh() else []):
        r = run_benchmark("syn_flood", args.n, pure=pure)
        print(f"synack {r['build']:>8}: {args.n:,} spoofed SYNs in {r['seconds']:.1f} s "
              f"({r['cpu_seconds']:.1f} s of CPU), {r['per_second']:,.0f} SYNs/s")
        result[f"{r['build']}_seconds"] = r["seconds"]
        result[f"{r['build']}_cpu_seconds"] = r["cpu_seconds"]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
