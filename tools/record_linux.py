"""Record what Linux puts on the wire for each scenario: the oracle of synack's ``linux`` profile.

Run as root from the checkout:

    .venv/bin/python tools/record_linux.py              # every scenario
    .venv/bin/python tools/record_linux.py syn_lost      # just one

Each recording runs in a network namespace of its own (so its sysctls,
iptables rules and TCP metrics touch nothing else): loopback up, ``ip
tcp_metrics flush all`` so no cached RTT or Fast Open cookie leaks in,
tcpdump on ``lo``, then the scenario's script with real sockets.  Lost
segments are made with iptables DROP rules on INPUT: the capture still sees
them, as the simulator's tap at the sender does.  Output goes to
``tests/fixtures/linux/NAME.pcap`` and ``NAME.json`` (how it was made).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import struct
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from netns_capture import kill_capture, ns_run, start_capture, stop_capture, tcpdump  # a sibling in tools/

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "tests" / "fixtures" / "linux"
HOST = "127.0.0.1"
PORT = 8080
REQUEST, ANSWER = b"q" * 100, b"a" * 200


# ------------------------------------------------------------ socket helpers
def listener(fastopen: bool = False) -> socket.socket:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fastopen:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_FASTOPEN, 16)
    s.bind((HOST, PORT))
    s.listen(16)
    return s


def read_to_eof(s: socket.socket) -> bytes:
    data = b""
    try:
        while chunk := s.recv(65536):
            data += chunk
    except OSError:
        pass
    return data


def read_exactly(s: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return data


def in_thread(fn, *args) -> threading.Thread:
    t = threading.Thread(target=fn, args=args, daemon=True)
    t.start()
    return t


def iptables(*rule: str) -> None:
    subprocess.run(["iptables", *rule], check=True)


def drop_for(seconds: float, *match: str) -> None:
    """Drop matching segments on lo's INPUT from now for ``seconds``."""
    rule = ["INPUT", "-i", "lo", "-p", "tcp", *match, "-j", "DROP"]
    iptables("-A", *rule)
    threading.Timer(seconds, lambda: iptables("-D", *rule)).start()


def answering_server(srv: socket.socket, connections: int = 1, close_delay: float = 0.0) -> None:
    for _ in range(connections):
        c, _ = srv.accept()
        c.recv(100)
        c.sendall(ANSWER)
        read_to_eof(c)
        time.sleep(close_delay)
        c.close()


def reading_server(srv: socket.socket, close_delay: float = 0.0) -> None:
    c, _ = srv.accept()
    read_to_eof(c)
    time.sleep(close_delay)
    c.close()


def raw_send(src: tuple[str, int], dst: tuple[str, int], flags: int, seq: int, ack: int, window: int) -> None:
    """Send a forged segment with the project's own encoder (IP_HDRINCL raw socket)."""
    from synack.tcp.segment import Flags, Segment
    from synack.wire.codec import encode_ipv4
    packet = encode_ipv4(src[0], dst[0], Segment(src[1], dst[1], seq, ack, Flags(flags), window))
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
    s.sendto(packet, (dst[0], 0))
    s.close()


# ---------------------------------------------------------------- scenarios
# Each runs inside the namespace, as root, and returns a line for the metadata.
def sc_handshake() -> str:
    srv = listener()
    t = in_thread(reading_server, srv, 0.3)
    c = socket.create_connection((HOST, PORT))
    c.sendall(REQUEST)
    time.sleep(0.1)
    c.close()
    t.join()
    return "client sends 100 bytes, closes 100 ms later; server closes 300 ms after end of stream"


def sc_client_close(close_delay: float = 0.0) -> str:
    srv = listener()
    t = in_thread(answering_server, srv, 1, close_delay)
    c = socket.create_connection((HOST, PORT))
    c.sendall(REQUEST)
    read_exactly(c, len(ANSWER))
    c.close()
    t.join()
    return f"request, answer, client closes on the answer; server closes {close_delay * 1000:.0f} ms after EOF"


def sc_client_close_lingering_server() -> str:
    return sc_client_close(0.15)


def sc_syn_cookies() -> str:
    return sc_client_close()


def sc_server_close() -> str:
    srv = listener()

    def server():
        c, _ = srv.accept()
        c.recv(100)
        c.sendall(ANSWER)
        c.close()
    t = in_thread(server)
    c = socket.create_connection((HOST, PORT))
    c.sendall(REQUEST)
    read_to_eof(c)
    time.sleep(0.15)
    c.close()
    t.join()
    return "server answers and closes at once; client reads answer and EOF, closes 150 ms later"


def sc_refused() -> str:
    try:
        socket.create_connection((HOST, PORT))
    except ConnectionRefusedError:
        pass
    return "connect to a port with no listener"


def _handshake_under_loss(*match: str) -> None:
    """Connect and close at once while ``match`` segments are dropped for 0.5 s; the server reads to EOF."""
    srv = listener()
    t = in_thread(reading_server, srv)
    drop_for(0.5, *match)
    socket.create_connection((HOST, PORT)).close()
    t.join()


def sc_syn_lost() -> str:
    _handshake_under_loss("--dport", str(PORT), "--tcp-flags", "SYN,ACK", "SYN")
    return "client SYNs dropped for 0.5 s; connect, close at once; server reads to EOF and closes"


def sc_synack_lost() -> str:
    _handshake_under_loss("--sport", str(PORT), "--tcp-flags", "SYN,ACK", "SYN,ACK")
    return "server SYN-ACKs dropped for 0.5 s; connect, close at once; server reads to EOF and closes"


def sc_abort() -> str:
    srv = listener()
    t = in_thread(reading_server, srv)
    c = socket.create_connection((HOST, PORT))
    c.sendall(REQUEST)
    time.sleep(0.1)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()
    t.join()
    return "client sends the request, 100 ms later closes with SO_LINGER {1, 0}"


def sc_close_unread() -> str:
    srv = listener()

    def server():
        c, _ = srv.accept()
        time.sleep(0.1)
        c.close()
    t = in_thread(server)
    c = socket.create_connection((HOST, PORT))
    c.sendall(REQUEST)
    read_to_eof(c)
    c.close()
    t.join()
    return "server closes 100 ms after accepting, without reading the request"


def sc_simultaneous_close() -> str:
    srv = listener()
    barrier = threading.Barrier(2)
    drop_for(0.5, "--tcp-flags", "FIN", "FIN")

    def server():
        c, _ = srv.accept()
        barrier.wait()
        c.shutdown(socket.SHUT_WR)
        time.sleep(2)
        c.close()
    t = in_thread(server)
    c = socket.create_connection((HOST, PORT))
    barrier.wait()
    c.shutdown(socket.SHUT_WR)
    time.sleep(2)
    c.close()
    t.join()
    return "both shut down writing together after the handshake; FINs dropped for 0.5 s; both close 2 s later"


def sc_simultaneous_open() -> str:
    a, b = socket.socket(), socket.socket()
    for s, port in ((a, 40001), (b, 40002)):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((HOST, port))
    drop_for(0.4, "--sport", "40001", "--tcp-flags", "SYN", "SYN")
    start = time.monotonic()

    def run_a():
        a.connect((HOST, 40002))
        time.sleep(max(0.0, start + 1.9 - time.monotonic()))
        a.close()

    def run_b():
        time.sleep(0.2)
        b.connect((HOST, 40001))
        time.sleep(max(0.0, start + 2.0 - time.monotonic()))
        b.close()
    ta, tb = in_thread(run_a), in_thread(run_b)
    ta.join()
    tb.join()
    return ("A:40001 and B:40002 connect to each other; A's SYNs dropped for 0.4 s; B connects at 0.2 s;"
            " A closes at 1.9 s, B at 2.0 s")


def fast_open_fetches(n: int) -> None:
    """``n`` connections one after another, each sendto(MSG_FASTOPEN) the request, read the answer, close."""
    srv = listener(fastopen=True)
    t = in_thread(answering_server, srv, n)
    for _ in range(n):
        c = socket.socket()
        c.sendto(REQUEST, socket.MSG_FASTOPEN, (HOST, PORT))
        read_exactly(c, len(ANSWER))
        c.close()
        time.sleep(0.05)
    t.join()


def sc_fast_open() -> str:
    fast_open_fetches(2)
    return "tcp_fastopen=3; two connections, each sendto(MSG_FASTOPEN) the request, read the answer, close"


def sc_keepalive() -> str:
    srv = listener()
    t = in_thread(reading_server, srv)
    c = socket.socket()
    c.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 3)
    c.connect((HOST, PORT))
    time.sleep(2.5)
    c.close()
    t.join()
    return "client keepalive idle 1 s, interval 1 s, 3 probes; idle; closes at 2.5 s; server closes on EOF"


def sc_half_close() -> str:
    srv = listener()

    def server():
        c, _ = srv.accept()
        read_to_eof(c)
        time.sleep(0.05)
        c.sendall(ANSWER)
        c.close()
    t = in_thread(server)
    c = socket.create_connection((HOST, PORT))
    c.sendall(REQUEST)
    c.shutdown(socket.SHUT_WR)
    read_to_eof(c)
    c.close()
    t.join()
    return "client sends the request and shuts down writing; server reads to EOF, answers 50 ms later, closes"


def sc_in_window_attacks() -> str:
    from synack.wire.codec import decode_ipv4
    sniff = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
    sniff.bind(("lo", 0))
    sniff.settimeout(2)
    srv = listener()
    t = in_thread(reading_server, srv)
    c = socket.create_connection((HOST, PORT))
    isn = None
    while isn is None:
        frame = sniff.recv(65535)
        try:
            _src, _dst, seg = decode_ipv4(frame[14:])
        except ValueError:
            continue
        if seg.dst_port == PORT and seg.syn and not seg.has_ack:
            isn = seg.seq
    sniff.close()
    c.sendall(REQUEST)
    time.sleep(0.05)  # the request is ACKed by now
    client = (HOST, c.getsockname()[1])
    rcv_nxt = (isn + 1 + len(REQUEST)) & 0xFFFFFFFF
    raw_send(client, (HOST, PORT), 0x02, 12345, 0, 1000)
    time.sleep(0.1)
    raw_send(client, (HOST, PORT), 0x04, (rcv_nxt + 10) & 0xFFFFFFFF, 0, 0)
    time.sleep(0.1)
    raw_send(client, (HOST, PORT), 0x04, rcv_nxt, 0, 0)
    time.sleep(0.2)
    c.close()
    t.join()
    return ("after the request is ACKed, a forged SYN (seq 12345, win 1000), 0.1 s later an RST at rcv_nxt+10, "
            "0.1 s later an RST at rcv_nxt; client closes 0.2 s later")


def sc_ack_to_closed_port() -> str:
    raw_send((HOST, 40000), (HOST, PORT), 0x10, 1000, 777777, 1000)
    time.sleep(0.1)
    return "a forged bare ACK (seq 1000, ack 777777) from port 40000 to a port with no listener"


def sc_defer_accept() -> str:
    srv = listener()
    srv.setsockopt(socket.IPPROTO_TCP, socket.TCP_DEFER_ACCEPT, 5)

    def server():
        # Only the client is ever accepted: the scanner's connection never reaches accept().
        c, _ = srv.accept()
        c.recv(100)
        c.sendall(ANSWER)
        read_to_eof(c)
        c.close()
    t = in_thread(server)
    start = time.monotonic()
    scanner = socket.socket()
    scanner.bind((HOST, 40000))
    scanner.connect((HOST, PORT))
    # From now on the scanner's stack ignores the server, as a masscan-style scanner's firewalled kernel does.
    iptables("-A", "INPUT", "-i", "lo", "-p", "tcp", "--dport", "40000", "--tcp-flags", "SYN,ACK", "SYN,ACK",
             "-j", "DROP")
    time.sleep(max(0.0, start + 0.5 - time.monotonic()))
    c = socket.create_connection((HOST, PORT))
    c.sendall(REQUEST)
    read_exactly(c, len(ANSWER))
    c.close()
    t.join()
    time.sleep(max(0.0, start + 70 - time.monotonic()))
    scanner.close()
    time.sleep(0.2)
    return ("listener with TCP_DEFER_ACCEPT 5 s; a scanner on port 40000 connects and sends nothing (its "
            "SYN-ACKs dropped after the handshake); a client connects at 0.5 s with a request; the scanner "
            "closes at 70 s")


def sc_fast_open_strip() -> str:
    # A middlebox in front of the server overwrites the Fast Open option (both kinds) in SYNs with NOPs.
    iptables("-t", "mangle", "-A", "PREROUTING", "-i", "lo", "-p", "tcp", "--dport", str(PORT), "--tcp-flags",
             "SYN", "SYN", "-j", "TCPOPTSTRIP", "--strip-options", "34,254")
    fast_open_fetches(3)
    return ("tcp_fastopen=3; TCPOPTSTRIP strips options 34 and 254 from SYNs to the server; three connections, "
            "each sendto(MSG_FASTOPEN) the request, read the answer, close")


def sc_fast_open_drop() -> str:
    # A firewall in front of the server drops SYNs that carry a Fast Open option (either kind).
    for kind in ("34", "254"):
        iptables("-A", "INPUT", "-i", "lo", "-p", "tcp", "--dport", str(PORT), "--tcp-flags", "SYN", "SYN",
                 "--tcp-option", kind, "-j", "DROP")
    fast_open_fetches(3)
    return ("tcp_fastopen=3; iptables drops SYNs to the server that carry option 34 or 254; three connections, "
            "each sendto(MSG_FASTOPEN) the request, read the answer, close")


SCENARIOS = {name[3:]: fn for name, fn in globals().items() if name.startswith("sc_")}
TIMEOUTS = {"defer_accept": 120}  # seconds a recording may take
SYSCTLS = {"fast_open": {"net.ipv4.tcp_fastopen": "3"}, "fast_open_strip": {"net.ipv4.tcp_fastopen": "3"},
           "fast_open_drop": {"net.ipv4.tcp_fastopen": "3"},
           "syn_cookies": {"net.ipv4.tcp_syncookies": "2"}}


# ---------------------------------------------------------------- recording
def record(name: str, out_dir: Path = OUT) -> Path:
    """Record one scenario into ``out_dir/NAME.pcap`` (and ``.json``); cleans up whatever happens."""
    ns = f"synack-rec-{os.getpid()}"
    pcap = out_dir / f"{name}.pcap"
    out_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run(["ip", "netns", "add", ns], check=True)
    capture = None
    try:
        ns_run(ns, "ip", "link", "set", "lo", "up")
        sysctls = SYSCTLS.get(name, {})
        for key, value in sysctls.items():
            ns_run(ns, "sysctl", "-qw", f"{key}={value}")
        ns_run(ns, "ip", "tcp_metrics", "flush", "all")
        capture = start_capture(ns, tcpdump("lo", pcap))
        result = ns_run(ns, sys.executable, __file__, "--child", name, timeout=TIMEOUTS.get(name, 30))
        stop_capture(capture)
        meta = {
            "scenario": name,
            "kernel": platform.release(),
            "recorded": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
            "script": result.stdout.strip().splitlines()[-1],
            "sysctls": sysctls,
            "addresses": "127.0.0.1 both sides, server port 8080",
            "how": "tools/record_linux.py: netns, tcp_metrics flushed, tcpdump -i lo, iptables DROP on INPUT",
        }
        (out_dir / f"{name}.json").write_text(json.dumps(meta, indent=2) + "\n")
        return pcap
    finally:
        kill_capture(capture)
        subprocess.run(["ip", "netns", "del", ns], check=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="scenarios to record (default: all)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(SCENARIOS[args.child]())
        return 0
    return record_each("record_linux", args.names or sorted(SCENARIOS), SCENARIOS, record)


def record_each(tool: str, names: list[str], known, record_one) -> int:
    """Record each of ``names`` (as root) with ``record_one``, saying how many packets each got."""
    if os.geteuid() != 0:
        print(f"{tool}: needs root (network namespaces, tcpdump, iptables).", file=sys.stderr)
        return 2
    for name in names:
        if name not in known:
            print(f"{tool}: no recording {name!r}; choose from {', '.join(known)}.", file=sys.stderr)
            return 2
        path = record_one(name)
        out = subprocess.run(["tcpdump", "-nr", str(path)], capture_output=True, text=True).stdout
        print(f"== {name}: {len(out.splitlines())} packets")
    return 0


if __name__ == "__main__":
    sys.exit(main())
