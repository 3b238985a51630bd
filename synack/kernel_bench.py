"""The kernel side of the lifecycle benchmark: Linux living N client_close lifecycles over loopback.

Python drives both ends (client in the main thread, server in a second one):
connect, a 100-byte request, a 200-byte answer, the client closes on the
answer, the server closes on end of stream, as ``client_close`` does in the
simulator.  As root it runs in a network namespace of its own, so the
TIME_WAIT sockets it leaves behind do not eat the machine's ephemeral ports.
``synack bench lifecycles`` runs it beside the simulator;
``bench/kernel_lifecycles.py`` runs it alone.

Where the two threads run moves the figure by half.  On separate CPUs every
segment wakes the thread on the other one, and on a virtual machine such a
cross-CPU wake-up is dear; on one CPU it is not.  The scheduler puts the
threads apart when the machine is idle and together when something else
keeps a CPU busy, so the kernel looked fastest in busy minutes.  ``one_cpu``
pins both threads to one CPU, as the simulator runs on one: the steadier
figure, and on this 2-CPU virtual machine the faster one.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time

REQUEST, ANSWER = b"q" * 100, b"a" * 200


def lifecycles_here(n: int, one_cpu: bool = False) -> tuple[float, float]:
    """Lifecycles per second over this network namespace's loopback: by the wall clock, and per CPU second.

    The CPU time is this process's, both threads, user and system: on loopback the
    kernel does the TCP work in the context of the process that sends.  ``one_cpu``
    keeps both threads on the first CPU this process may use.
    """
    if one_cpu:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # the server thread, made below, inherits it
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(128)
    addr = srv.getsockname()

    def server() -> None:
        for _ in range(n):
            c, _ = srv.accept()
            c.recv(100)
            c.sendall(ANSWER)
            while c.recv(4096):
                pass
            c.close()

    t = threading.Thread(target=server)
    start, cpu = time.perf_counter(), time.process_time()
    t.start()
    for _ in range(n):
        s = socket.create_connection(addr)
        s.sendall(REQUEST)
        got = 0
        while got < len(ANSWER):
            got += len(s.recv(4096))
        s.close()
    t.join()
    srv.close()
    return n / (time.perf_counter() - start), n / (time.process_time() - cpu)


def kernel_lifecycles(n: int, *, one_cpu: bool = False) -> tuple[float, float]:
    """Lifecycles per second the kernel lives (wall, CPU), measured in a child process, in a fresh network
    namespace when root allows one; ``one_cpu`` runs its two threads on one CPU."""
    child = [sys.executable, "-m", "synack.kernel_bench", str(n)] + (["--one-cpu"] if one_cpu else [])
    ns = f"synack-bench-{os.getpid()}"
    if (os.geteuid() != 0 or shutil.which("ip") is None
            or subprocess.run(["ip", "netns", "add", ns], capture_output=True).returncode != 0):
        return _measure(child)
    try:
        subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True)
        return _measure(["ip", "netns", "exec", ns, *child])
    finally:
        subprocess.run(["ip", "netns", "del", ns], check=False)


def _measure(cmd: list[str]) -> tuple[float, float]:
    """Run the child that measures (its CPU affinity and CPU time are its own); its (wall, CPU) rates."""
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    report = json.loads(out.strip().splitlines()[-1])
    return float(report["per_second"]), float(report["per_cpu_second"])


if __name__ == "__main__":
    # In the child: measure here and report in one JSON line.
    wall, cpu = lifecycles_here(int(sys.argv[1]), one_cpu="--one-cpu" in sys.argv[2:])
    print(json.dumps({"per_second": wall, "per_cpu_second": cpu, "cpus": len(os.sched_getaffinity(0))}))
