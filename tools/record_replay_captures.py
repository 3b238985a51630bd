"""Record the real Linux captures that ``synack replay`` is tested on (tests/fixtures/replay/).

Run as root from the checkout:

    .venv/bin/python tools/record_replay_captures.py

Two network namespaces joined by a veth pair (``a``: 10.77.0.1, fd00:77::1;
``b``: 10.77.0.2, fd00:77::2).  A server in ``b`` answers on port 8080
(IPv4 and IPv6): it reads a request, sends an answer, reads to the end and
closes.  Clients in ``a`` make the traffic while the capture runs in ``a``:

- ``linux_nano.pcap``: tcpdump on the veth with ``--time-stamp-precision=nano``
  (classic pcap, nanosecond magic, Ethernet), two lifecycles over IPv4.
- ``linux_sll2_ipv6.pcap``: tcpdump ``-i any -y LINUX_SLL2`` (Linux cooked v2),
  one lifecycle over IPv6.
- ``linux_two_interfaces.pcapng``: dumpcap on the veth and on ``lo`` at once
  (pcapng, two interface blocks): IPv4 over the veth, IPv6 over ``::1``.
- ``linux_port_scan.pcap``: ``nmap -sS`` over ports 8075-8085 (closed ports
  answer RST, the open one SYN-ACK, which the scanner's kernel resets), or,
  without nmap, the same half-open probes sent by a script.
- ``linux_mid_connection.pcap``: tcpdump started after the handshake of a
  connection that then sends data and closes.

``tests/fixtures/replay/README.md`` says how each file (these and the
hand-built ones of tools/build_replay_fixtures.py) was made.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from netns_capture import ns_run, start_capture, stop_capture, tcpdump  # noqa: E402  (a sibling in tools/)

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "replay"
A, B = "synack-rpl-a", "synack-rpl-b"
A4, B4, A6, B6 = "10.77.0.1", "10.77.0.2", "fd00:77::1", "fd00:77::2"
PORT = 8080


def setup() -> None:
    teardown()
    ns_run(None, "ip", "netns", "add", A)
    ns_run(None, "ip", "netns", "add", B)
    ns_run(None, "ip", "link", "add", "v1", "netns", A, "type", "veth", "peer", "name", "v2", "netns", B)
    for name, dev, v4, v6 in ((A, "v1", A4, A6), (B, "v2", B4, B6)):
        ns_run(name, "ip", "link", "set", "lo", "up")
        ns_run(name, "ip", "addr", "add", f"{v4}/24", "dev", dev)
        ns_run(name, "ip", "-6", "addr", "add", f"{v6}/64", "dev", dev, "nodad")
        ns_run(name, "ip", "link", "set", dev, "up")
        # Offloads off: the capture then holds the segments TCP really made, not 64 KB super-packets.
        ns_run(name, "ethtool", "-K", dev, "tso", "off", "gso", "off", "gro", "off", check=False)
        ns_run(name, "ip", "tcp_metrics", "flush", "all", check=False)


def teardown() -> None:
    ns_run(None, "ip", "netns", "del", A, check=False)
    ns_run(None, "ip", "netns", "del", B, check=False)


def serve_forever() -> None:
    """The server in namespace b (and on a's loopback for the two-interface capture)."""
    srv = socket.socket(socket.AF_INET6)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    srv.bind(("::", PORT))
    srv.listen(16)
    print("ready", flush=True)
    while True:
        conn, _ = srv.accept()
        conn.recv(1000)
        conn.sendall(b"a" * 200)
        while conn.recv(65536):
            pass
        conn.close()


def client(host: str, request: bytes = b"q" * 100, pause: float = 0.0) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as s:
        s.connect((host, PORT))
        time.sleep(pause)
        s.sendall(request)
        got = b""
        while len(got) < 200:
            chunk = s.recv(1000)
            if not chunk:
                break
            got += chunk


def start_server(name: str) -> subprocess.Popen:
    proc = subprocess.Popen(["ip", "netns", "exec", name, sys.executable, __file__, "--serve"],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    proc.stdout.readline()
    return proc


def capture(cmd: list[str]) -> subprocess.Popen:
    """Capture in namespace a; a moment more after it is live, for the veth's first packets."""
    return start_capture(A, cmd, warm_up_s=0.3)


def done(proc: subprocess.Popen) -> None:
    print(stop_capture(proc, settle_s=0.5), flush=True)


def in_a(code: str) -> None:
    ns_run(A, sys.executable, "-c", f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
                                    f"from record_replay_captures import *; {code}")


def record_all() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    setup()
    server_b = start_server(B)
    server_a = start_server(A)  # on a's own loopback, for ::1
    try:
        cap = capture(tcpdump("v1", OUT / "linux_nano.pcap", snaplen=256, extra=("--time-stamp-precision=nano",)))
        in_a(f"client({B4!r}); client({B4!r})")
        done(cap)

        cap = capture(tcpdump("any", OUT / "linux_sll2_ipv6.pcap", snaplen=256, capture_filter="tcp and ip6",
                              extra=("-y", "LINUX_SLL2")))
        in_a(f"client({B6!r})")
        done(cap)

        cap = capture(["dumpcap", "-q", "-i", "v1", "-i", "lo", "-s", "256", "-f", "tcp",
                       "-w", str(OUT / "linux_two_interfaces.pcapng")])
        in_a(f"client({B4!r}); client('::1')")
        done(cap)

        cap = capture(tcpdump("v1", OUT / "linux_port_scan.pcap", snaplen=128))
        if shutil.which("nmap"):
            ns_run(A, "nmap", "-n", "-Pn", "-sS", "--max-retries", "0", "-p", "8075-8085", B4)
        else:
            raise SystemExit("nmap is missing: apt-get install nmap")
        done(cap)

        # Mid-connection: the handshake happens before tcpdump starts.
        starter = subprocess.Popen(["ip", "netns", "exec", A, sys.executable, "-c",
                                    f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
                                    f"from record_replay_captures import *; client({B4!r}, pause=2.0)"])
        time.sleep(0.8)
        cap = capture(tcpdump("v1", OUT / "linux_mid_connection.pcap", snaplen=256))
        starter.wait(timeout=20)
        done(cap)
    finally:
        for proc in (server_a, server_b):
            proc.kill()
        teardown()
    for path in sorted(OUT.glob("linux_*")):
        print(f"{path.name}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    if "--serve" in sys.argv:
        serve_forever()
    elif os.geteuid() != 0:
        print("record_replay_captures: needs root (network namespaces, tcpdump).", file=sys.stderr)
        sys.exit(2)
    else:
        record_all()
