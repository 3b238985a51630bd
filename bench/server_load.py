"""The server under load: 100 concurrent clients asking for runs, on loopback, for a minute.

    .venv/bin/python bench/server_load.py [--clients 100] [--seconds 60] [--url http://127.0.0.1:8765]

Starts `synack serve` in a subprocess on a free port (unless --url names a
running one).  Each client loops: a random built-in scenario, seed 1-5, RTT
20 ms or 100 ms; nine requests in ten ask for the JSON trace, one for the
pcap.  That is 170 distinct runs, so the first minute sees the engine run
each once and the cache answer the rest.  The clients speak HTTP/1.1 over
plain asyncio streams, one keep-alive connection each, so that the load
generator costs far less CPU than the server it measures on the same machine.  Prints requests per second, the
latency percentiles and the errors (any non-200 answer or failed request),
and ends with one JSON line.  A figure to read, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent


def start_server() -> tuple[subprocess.Popen, str]:
    code = "from synack.web.server import serve; serve('127.0.0.1', 0, open_browser=False)"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    match = re.search(r"http://127\.0\.0\.1:\d+", proc.stdout.readline())
    if not match:
        proc.kill()
        raise SystemExit("the server did not start")
    return proc, match.group(0)


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


class Connection:
    """One keep-alive HTTP/1.1 connection; small on purpose, so the client costs little next to the server."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, target: str) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(f"GET {target} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = int(re.search(rb"(?i)\r\ncontent-length: *(\d+)", head).group(1))
        body = await self.reader.readexactly(length)
        return status, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


async def client(conn: Connection, names: list[str], rng: random.Random, until: float,
                 latencies: list[float], errors: list[str]) -> None:
    while time.monotonic() < until:
        path = "/api/pcap" if rng.random() < 0.1 else "/api/run"
        query = urlencode({"scenario": rng.choice(names), "seed": rng.randint(1, 5),
                           "rtt": rng.choice(["20ms", "100ms"])})
        start = time.perf_counter()
        try:
            status, _ = await conn.get(f"{path}?{query}")
            if status != 200:
                errors.append(f"{status} {path}?{query}")
        except (OSError, asyncio.IncompleteReadError, ValueError, AttributeError) as exc:
            errors.append(f"{type(exc).__name__} {path}?{query}")
            conn.close()
        latencies.append(time.perf_counter() - start)
    conn.close()


async def load(base: str, clients: int, seconds: float) -> dict:
    url = urlsplit(base)
    probe = Connection(url.hostname, url.port or 80)
    status, body = await probe.get("/api/scenarios")
    probe.close()
    if status != 200:
        raise SystemExit(f"/api/scenarios answered {status}")
    names = [s["name"] for s in json.loads(body)["scenarios"]]
    latencies: list[float] = []
    errors: list[str] = []
    started = time.monotonic()
    until = started + seconds
    await asyncio.gather(*(client(Connection(url.hostname, url.port or 80), names, random.Random(i), until,
                                  latencies, errors) for i in range(clients)))
    elapsed = time.monotonic() - started
    ordered = sorted(latencies)
    return {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "requests": len(latencies),
        "requests_per_second": round(len(latencies) / elapsed, 1),
        "errors": len(errors),
        "p50_ms": round(percentile(ordered, 50) * 1000, 1),
        "p90_ms": round(percentile(ordered, 90) * 1000, 1),
        "p99_ms": round(percentile(ordered, 99) * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1) if ordered else 0.0,
        "first_errors": errors[:3],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--url", help="a running synack server; by default one is started on a free port")
    args = parser.parse_args()
    proc = None
    base = args.url
    if not base:
        proc, base = start_server()
    try:
        result = asyncio.run(load(base.rstrip("/"), args.clients, args.seconds))
    finally:
        if proc:
            proc.terminate()
            proc.wait(timeout=10)
    print(f"{result['clients']} clients for {result['seconds']} s: {result['requests']} requests, "
          f"{result['requests_per_second']}/s, {result['errors']} errors")
    print(f"latency p50 {result['p50_ms']} ms, p90 {result['p90_ms']} ms, p99 {result['p99_ms']} ms, "
          f"max {result['max_ms']} ms")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
