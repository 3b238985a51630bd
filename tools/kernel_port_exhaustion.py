"""Linux running out of ephemeral ports: the oracle for the ``time_wait_exhaustion`` scenario.

In a network namespace of its own (root, ``ip netns``), with a small
ip_local_port_range, a client opens short connections to one server port at
a steady rate and closes each first, so its side waits in TIME_WAIT; the
script reports when connect() first fails with EADDRNOTAVAIL, how many
failed, and how many TIME_WAIT ports connect() took over with tcp_tw_reuse=1.
tests/test_linux_crowd.py compares these with the simulation.

    sudo .venv/bin/python tools/kernel_port_exhaustion.py --ports 60000-60099 --rate 200 --seconds 2
    sudo .venv/bin/python tools/kernel_port_exhaustion.py --ports 60000-60099 --rate 200 --tw-reuse

The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import socket
import subprocess
import sys
import threading
import time

REQUEST, ANSWER = b"q" * 100, b"a" * 200
PORT = 8080


def serve(listener: socket.socket) -> None:
    def session(conn: socket.socket) -> None:
        with conn:
            got = 0
            while got < len(REQUEST):
                chunk = conn.recv(4096)
                if not chunk:
                    return
                got += len(chunk)
            conn.sendall(ANSWER)
            while conn.recv(4096):
                pass  # the client closes first; then so do we

    while True:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        threading.Thread(target=session, args=(conn,), daemon=True).start()


def run(rate: float, seconds: float) -> dict:
    listener = socket.socket()
    listener.bind(("127.0.0.1", PORT))
    listener.listen(4096)
    threading.Thread(target=serve, args=(listener,), daemon=True).start()
    start = time.monotonic()
    first_failure = None
    failures = served = 0
    total = int(rate * seconds)
    for i in range(total):
        wake = start + i / rate
        delay = wake - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        s = socket.socket()
        try:
            s.connect(("127.0.0.1", PORT))
        except OSError as exc:
            s.close()
            if exc.errno != errno.EADDRNOTAVAIL:
                raise
            failures += 1
            if first_failure is None:
                first_failure = i / rate  # the scheduled time, as the simulation reports it
            continue
        s.sendall(REQUEST)
        got = 0
        while got < len(ANSWER):
            got += len(s.recv(4096))
        s.close()
        served += 1
    tw = subprocess.run(["ss", "-tan", "state", "time-wait"], capture_output=True, text=True).stdout
    return {"requests": total, "served": served, "failures": failures, "first_failure_s": first_failure,
            "time_wait_at_end": max(0, len(tw.splitlines()) - 1), "kernel": os.uname().release}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ports", default="60000-60099", help="ip_local_port_range, LOW-HIGH")
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--tw-reuse", action="store_true", help="net.ipv4.tcp_tw_reuse=1 (default here: 0)")
    parser.add_argument("--here", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    low, _, high = args.ports.partition("-")
    if not args.here:
        if os.geteuid() != 0:
            raise SystemExit("kernel_port_exhaustion: needs root, for a network namespace of its own.")
        ns = f"synack-ports-{os.getpid()}"
        subprocess.run(["ip", "netns", "add", ns], check=True)
        try:
            subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True)
            sysctls = {"net.ipv4.ip_local_port_range": f"{low} {high}",
                       "net.ipv4.tcp_tw_reuse": "1" if args.tw_reuse else "0"}
            for key, value in sysctls.items():
                subprocess.run(["ip", "netns", "exec", ns, "sysctl", "-q", "-w", f"{key}={value}"], check=True)
            result = subprocess.run(["ip", "netns", "exec", ns, sys.executable, __file__, "--here",
                                     "--ports", args.ports, "--rate", str(args.rate), "--seconds",
                                     str(args.seconds), *(["--tw-reuse"] if args.tw_reuse else [])],
                                    check=True, capture_output=True, text=True)
            print(result.stdout, end="")
        finally:
            subprocess.run(["ip", "netns", "del", ns], check=False)
        return
    result = run(args.rate, args.seconds)
    result.update(ports=int(high) - int(low) + 1, rate=args.rate, tw_reuse=args.tw_reuse)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
