"""Makes the benchmark capture of bench/replay_vs_tshark.py: simulated lifecycles written as pcap.

The engine runs ``client_close`` lifecycles (handshake, a request, an answer,
the four-way close) between a few client addresses and one server, with a
pcap tap on the simulated network (``Network.tap``); the
resulting classic pcap (Ethernet, microseconds) is what tcpdump on the
server's link would have written.  Each batch is a separate simulation from
its own client address, so ports are never exhausted by TIME_WAIT.
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from synack.scenarios.apps import PORT, answering_server, requesting_client  # noqa: E402
from synack.scenarios.base import World  # noqa: E402
from synack.scenarios.client_close import SCENARIO  # noqa: E402
from synack.tcp.profiles import LINUX  # noqa: E402
from synack.tcp.segment import Segment  # noqa: E402
from synack.wire.codec import encode_ipv4  # noqa: E402
from synack.wire.pcap import PcapWriter  # noqa: E402

BATCH = 10_000


class PcapTap:
    """A tap on the simulated network (``Network.tap``): every segment it carries goes to the pcap."""

    def __init__(self, writer: PcapWriter, offset_us: int) -> None:
        self.writer = writer
        self.offset_us = offset_us
        self.packets = 0
        self.last_us = 0

    def __call__(self, now: int, src_ip: str, dst_ip: str, seg: Segment) -> None:
        self.last_us = self.offset_us + now
        self.writer.write(self.last_us, encode_ipv4(src_ip, dst_ip, seg))
        self.packets += 1


def _batch(writer: PcapWriter, n: int, client_ip: str, offset_us: int, seed: int) -> PcapTap:
    world = World(SCENARIO, LINUX, 200, 0.0, seed, {"mss": 1460, "isn": "rfc6528"}, tracing=False)
    client = world.host("client", client_ip)
    server = world.host("server", "10.0.0.2")
    tap = PcapTap(writer, offset_us)
    world.network.tap(tap)
    server.spawn(answering_server, PORT, connections=n)

    def client_app(host):
        for _ in range(n):
            yield from requesting_client(host, server.ip, PORT)

    client.spawn(client_app)
    world.sched.run()
    return tap


def write_capture(path: Path, lifecycles: int) -> int:
    """Writes ``lifecycles`` simulated connections to ``path``; returns the number of packets."""
    packets = 0
    offset = 1_700_000_000 * 1_000_000
    gc.disable()
    try:
        with open(path, "wb") as handle:
            writer = PcapWriter(handle)
            done = 0
            batch_number = 0
            while done < lifecycles:
                n = min(BATCH, lifecycles - done)
                batch_number += 1
                client_ip = f"10.1.{batch_number // 250}.{batch_number % 250 + 1}"
                tap = _batch(writer, n, client_ip, offset, seed=batch_number)
                packets += tap.packets
                offset = tap.last_us + 1_000_000
                done += n
    finally:
        gc.enable()
    return packets


if __name__ == "__main__":
    import time
    start = time.perf_counter()
    count = write_capture(Path(sys.argv[1]), int(sys.argv[2]))
    print(f"{count} packets in {time.perf_counter() - start:.1f} s")
