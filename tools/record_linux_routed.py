"""Record Linux across a router with a narrower link: the oracle of ``pmtud_blackhole``.

Run as root from the checkout:

    .venv/bin/python tools/record_linux_routed.py            # the three variants

Three network namespaces, client -- router -- server, joined by veth pairs:

    client c0 10.0.1.1/24 -- r0 10.0.1.2/24 (MTU 1400) router r1 10.0.2.1/24 -- s0 10.0.2.2/24 server

The router forwards; its link towards the client takes 1400-byte packets, as
an IPsec tunnel would, so the server's full-sized segments (1500 bytes, DF)
are dropped there and answered with ICMP "fragmentation needed" (RFC 1191).
Variants: ``pmtud_blackhole`` (ICMP delivered), ``pmtud_blackhole_blocked``
(the router's ICMP dropped by iptables), ``pmtud_blackhole_clamp`` (ICMP
dropped, and the router clamps the MSS of SYNs to 1360 with TCPMSS).
GSO is off on every link (gso_max_segs 1), so tcpdump on the server's link
sees the segments as the wire carries them.  Output:
``tests/fixtures/linux/NAME.pcap`` and ``NAME.json``.
"""

from __future__ import annotations

import json
import os
import platform
import socket
import struct
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))  # record_linux and netns_capture, its siblings
from netns_capture import kill_capture, ns_run, start_capture, stop_capture, tcpdump  # noqa: E402
OUT = ROOT / "tests" / "fixtures" / "linux"
SERVER, PORT = "10.0.2.2", 8080
REQUEST, ANSWER = 100, 4000
GIVE_UP_S = 10.0
TUNNEL_MTU = 1400

VARIANTS = {
    "pmtud_blackhole": [],
    "pmtud_blackhole_blocked": [["iptables", "-A", "OUTPUT", "-p", "icmp", "--icmp-type", "fragmentation-needed",
                                 "-j", "DROP"]],
    "pmtud_blackhole_clamp": [["iptables", "-A", "OUTPUT", "-p", "icmp", "--icmp-type", "fragmentation-needed",
                               "-j", "DROP"],
                              ["iptables", "-t", "mangle", "-A", "FORWARD", "-p", "tcp", "--tcp-flags", "SYN,RST",
                               "SYN", "-j", "TCPMSS", "--set-mss", str(TUNNEL_MTU - 40)]],
}


def server() -> None:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((SERVER, PORT))
    s.listen(4)
    print("listening", flush=True)
    c, _ = s.accept()
    try:
        c.recv(REQUEST)
        c.sendall(b"a" * ANSWER)
        while c.recv(65536):
            pass
        c.close()
    except OSError:
        pass


def client() -> None:
    c = socket.create_connection((SERVER, PORT))
    c.sendall(b"q" * REQUEST)
    c.settimeout(GIVE_UP_S)
    got = 0
    try:
        while got < ANSWER:
            data = c.recv(65536)
            if not data:
                break
            got += len(data)
    except socket.timeout:
        # Like a browser abandoning the page: reset, as the simulated client does.
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()
    print(f"client got {got} bytes", flush=True)


def record(name: str) -> Path:
    tag = os.getpid()
    c, r, s = f"synack-c-{tag}", f"synack-r-{tag}", f"synack-s-{tag}"
    pcap = OUT / f"{name}.pcap"
    capture = srv = None
    for ns in (c, r, s):
        ns_run(None, "ip", "netns", "add", ns)
    try:
        ns_run(None, "ip", "link", "add", "c0", "netns", c, "type", "veth", "peer", "name", "r0", "netns", r)
        ns_run(None, "ip", "link", "add", "s0", "netns", s, "type", "veth", "peer", "name", "r1", "netns", r)
        for ns, dev, addr in ((c, "c0", "10.0.1.1/24"), (r, "r0", "10.0.1.2/24"), (r, "r1", "10.0.2.1/24"),
                              (s, "s0", "10.0.2.2/24")):
            ns_run(ns, "ip", "addr", "add", addr, "dev", dev)
            ns_run(ns, "ip", "link", "set", "dev", dev, "gso_max_segs", "1", "up")
        for ns in (c, r, s):
            ns_run(ns, "ip", "link", "set", "lo", "up")
            ns_run(ns, "ip", "tcp_metrics", "flush", "all")
        ns_run(r, "ip", "link", "set", "dev", "r0", "mtu", str(TUNNEL_MTU))
        ns_run(c, "ip", "route", "add", "default", "via", "10.0.1.2")
        ns_run(s, "ip", "route", "add", "default", "via", "10.0.2.1")
        ns_run(r, "sysctl", "-qw", "net.ipv4.ip_forward=1")
        for rule in VARIANTS[name]:
            ns_run(r, *rule)
        capture = start_capture(s, tcpdump("s0", pcap))
        srv = subprocess.Popen(["ip", "netns", "exec", s, sys.executable, __file__, "--role", "server"],
                               stdout=subprocess.PIPE, text=True)
        assert srv.stdout is not None
        srv.stdout.readline()  # listening
        out = subprocess.run(["ip", "netns", "exec", c, sys.executable, __file__, "--role", "client"],
                             check=True, capture_output=True, text=True, timeout=60).stdout.strip()
        srv.wait(timeout=30)
        stop_capture(capture)
        meta = {
            "scenario": name,
            "kernel": platform.release(),
            "recorded": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
            "script": (f"client 10.0.1.1 -- router (link to the client MTU {TUNNEL_MTU}) -- server 10.0.2.2:8080; "
                       f"request {REQUEST} bytes, answer {ANSWER}; client gives up after {GIVE_UP_S:g} s with a "
                       f"reset; router rules: {VARIANTS[name] or 'none'}; {out}"),
            "how": "tools/record_linux_routed.py: three netns, veth with gso_max_segs 1, tcpdump -i s0",
        }
        (OUT / f"{name}.json").write_text(json.dumps(meta, indent=2) + "\n")
        return pcap
    finally:
        kill_capture(capture)
        if srv is not None and srv.poll() is None:
            srv.kill()
        for ns in (c, r, s):
            subprocess.run(["ip", "netns", "del", ns], check=False)


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--role":
        (server if sys.argv[2] == "server" else client)()
        return 0
    from record_linux import record_each
    return record_each("record_linux_routed", sys.argv[1:] or list(VARIANTS), VARIANTS, record)

if __name__ == "__main__":
    sys.exit(main())
