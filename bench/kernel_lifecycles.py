"""The kernel side of the lifecycle benchmark: Linux doing N client_close lifecycles over loopback.

Python drives both ends (client in the main thread, server in a second one):
connect, a 100-byte request, a 200-byte answer, the client closes on the
answer, the server closes on end of stream.  As root it runs in a network
namespace of its own, so the TIME_WAIT sockets it leaves behind do not eat the
machine's ephemeral ports.  The last line is one JSON object; compare it with
bench/lifecycles.py.

    .venv/bin/python bench/kernel_lifecycles.py --n 10000
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time

REQUEST, ANSWER = b"q" * 100, b"a" * 200


def lifecycles(n: int) -> float:
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(128)
    addr = srv.getsockname()

    def server():
        for _ in range(n):
            c, _ = srv.accept()
            c.recv(100)
            c.sendall(ANSWER)
            while c.recv(4096):
                pass
            c.close()

    t = threading.Thread(target=server)
    start = time.perf_counter()
    t.start()
    for _ in range(n):
        s = socket.create_connection(addr)
        s.sendall(REQUEST)
        got = 0
        while got < len(ANSWER):
            got += len(s.recv(4096))
        s.close()
    t.join()
    return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10000)
    parser.add_argument("--here", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.here and os.geteuid() == 0 and subprocess.run(["which", "ip"], capture_output=True).returncode == 0:
        ns = f"synack-bench-{os.getpid()}"
        subprocess.run(["ip", "netns", "add", ns], check=True)
        try:
            subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True)
            result = subprocess.run(["ip", "netns", "exec", ns, sys.executable, __file__, "--n", str(args.n),
                                     "--here"], check=True, capture_output=True, text=True)
            print(result.stdout, end="")
        finally:
            subprocess.run(["ip", "netns", "del", ns], check=False)
        return
    rate = lifecycles(args.n)
    print(f"Linux {os.uname().release}, {args.n} client_close lifecycles over loopback: {rate:,.0f} per second")
    print(json.dumps({"benchmark": "kernel_lifecycles", "n": args.n, "per_second": round(rate, 1)}))


if __name__ == "__main__":
    main()
