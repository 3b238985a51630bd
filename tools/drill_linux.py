"""Check packetdrill scripts against the real kernel: the truth the scripts carry into CI.

Run as root from the checkout:

    .venv/bin/python tools/drill_linux.py tests/drill            # every script, writes the record
    .venv/bin/python tools/drill_linux.py tests/drill/x.pkt      # one script, prints the outcome

packetdrill itself is not packaged by Debian, so this is a small one in
Python with packetdrill's own arrangement: each script runs in a network
namespace of its own, the kernel's side at 192.168.0.1 behind a tun device,
the script's side 192.0.2.1 on the far end of it.  The same parser and
runner as ``synack drill`` (:mod:`synack.drill.runner`) drive a
:class:`KernelStack`: ``<`` segments are written to the tun device, what the
kernel sends is read from it with its arrival time, system calls are real
socket calls (a blocking one in a thread), sysctl lines are written to the
namespace's /proc/sys/net/ipv4, inline checks read getsockopt(TCP_INFO).
Times are real, so a script that waits 60 s takes 60 s here.

Given a folder, the outcomes go to ``tests/drill/linux-outcomes.json`` with
the kernel release: CI has no root, and the record is what says that every
script describes what Linux really does.
"""

from __future__ import annotations

import argparse
import errno as errno_module
import fcntl
import json
import os
import platform
import select
import socket
import struct
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from synack.drill.runner import CallResult, NotSupported, run_script  # noqa: E402
from synack.drill.script import LOCAL_IP, REMOTE_IP, ScriptError, parse_script  # noqa: E402
from synack.tcp.segment import Segment  # noqa: E402
from synack.wire.codec import WireError, decode_ipv4, encode_ipv4  # noqa: E402

RECORD = ROOT / "tests" / "drill" / "linux-outcomes.json"
TUNSETIFF = 0x400454CA
IFF_TUN, IFF_NO_PI = 0x0001, 0x1000
TUN_NAME = "drill0"
LOCAL_PORT = REMOTE_PORT = 8080
SCRIPT_PORT = 40000
# A Python checker is slower to react than packetdrill's C: 10 ms of slack instead of 4.
KERNEL_TOLERANCE_US = 10_000
# A script that fails only on timing is run again, up to this many times in all: a wrong field
# fails every time, a checker that was descheduled for 50 ms does not.
TIMING_ATTEMPTS = 3
TCP_INFO_FORMAT = "8B24I"  # the first fields of struct tcp_info (linux/tcp.h)
TCP_INFO_NAMES = ("tcpi_state", "tcpi_ca_state", "tcpi_retransmits", "tcpi_probes", "tcpi_backoff",
                  "tcpi_options", "tcpi_wscale", "tcpi_flags", "tcpi_rto", "tcpi_ato", "tcpi_snd_mss",
                  "tcpi_rcv_mss", "tcpi_unacked", "tcpi_sacked", "tcpi_lost", "tcpi_retrans", "tcpi_fackets",
                  "tcpi_last_data_sent", "tcpi_last_ack_sent", "tcpi_last_data_recv", "tcpi_last_ack_recv",
                  "tcpi_pmtu", "tcpi_rcv_ssthresh", "tcpi_rtt", "tcpi_rttvar", "tcpi_snd_ssthresh",
                  "tcpi_snd_cwnd", "tcpi_advmss", "tcpi_reordering", "tcpi_rcv_rtt", "tcpi_rcv_space",
                  "tcpi_total_retrans")
SOCKOPTS = {"SO_REUSEADDR": (socket.SOL_SOCKET, socket.SO_REUSEADDR),
            "SO_REUSEPORT": (socket.SOL_SOCKET, socket.SO_REUSEPORT),
            "SO_KEEPALIVE": (socket.SOL_SOCKET, socket.SO_KEEPALIVE),
            "SO_LINGER": (socket.SOL_SOCKET, socket.SO_LINGER),
            "SO_SNDBUF": (socket.SOL_SOCKET, socket.SO_SNDBUF),
            "TCP_NODELAY": (socket.IPPROTO_TCP, socket.TCP_NODELAY),
            "TCP_QUICKACK": (socket.IPPROTO_TCP, socket.TCP_QUICKACK),
            "TCP_FASTOPEN": (socket.IPPROTO_TCP, socket.TCP_FASTOPEN),
            "TCP_KEEPIDLE": (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE),
            "TCP_KEEPINTVL": (socket.IPPROTO_TCP, socket.TCP_KEEPINTVL),
            "TCP_KEEPCNT": (socket.IPPROTO_TCP, socket.TCP_KEEPCNT)}


class _Wait:
    def __init__(self, fn: Callable[[], CallResult]) -> None:
        self._result: CallResult | None = None
        threading.Thread(target=self._run, args=(fn,), daemon=True).start()

    def _run(self, fn: Callable[[], CallResult]) -> None:
        self._result = fn()

    def result(self) -> CallResult | None:
        return self._result


def _oserror(exc: OSError) -> CallResult:
    return CallResult(-1, errno_module.errorcode.get(exc.errno or 0, "EIO"))


class KernelStack:
    """The runner's Stack interface over the kernel of this network namespace."""

    def __init__(self) -> None:
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        self.tun = os.open("/dev/net/tun", os.O_RDWR)
        fcntl.ioctl(self.tun, TUNSETIFF, struct.pack("16sH", TUN_NAME.encode(), IFF_TUN | IFF_NO_PI))
        for cmd in (["ip", "addr", "add", f"{LOCAL_IP}/24", "dev", TUN_NAME],
                    ["ip", "link", "set", TUN_NAME, "up"],
                    ["ip", "route", "add", "192.0.2.0/24", "dev", TUN_NAME]):
            subprocess.run(cmd, check=True)
        self.t0 = time.monotonic_ns() // 1000
        self.lock = threading.Lock()
        self.sent: list[tuple[int, Segment]] = []
        self.sockets: dict[int, socket.socket] = {}
        self.stop = False
        threading.Thread(target=self._sniff, daemon=True).start()

    def now(self) -> int:
        return time.monotonic_ns() // 1000 - self.t0

    def _sniff(self) -> None:
        while not self.stop:
            ready, _, _ = select.select([self.tun], [], [], 0.05)
            if not ready:
                continue
            packet = os.read(self.tun, 65536)
            when = self.now()
            if len(packet) < 20 or packet[0] >> 4 != 4 or packet[9] != 6:
                continue  # not TCP over IPv4 (IPv6 router solicitations and such)
            try:
                src, _dst, seg = decode_ipv4(packet)
            except WireError:
                continue
            if src == LOCAL_IP:
                with self.lock:
                    self.sent.append((when, seg))

    def wait(self, until: int, done: Callable[[], bool] | None = None) -> bool:
        while True:
            if done is not None and done():
                return True
            left = until - self.now()
            if left <= 0:
                return False
            time.sleep(min(left, 1000) / 1e6)

    def has_outbound(self) -> bool:
        with self.lock:
            return bool(self.sent)

    def take_outbound(self) -> tuple[int, Segment] | None:
        with self.lock:
            return self.sent.pop(0) if self.sent else None

    def inject(self, seg: Segment) -> None:
        client = next((s for s in self.sockets.values() if s.type == socket.SOCK_STREAM and _peer(s)), None)
        if client is not None:
            src_port, dst_port = REMOTE_PORT, client.getsockname()[1]
        else:
            src_port, dst_port = SCRIPT_PORT, LOCAL_PORT
        os.write(self.tun, encode_ipv4(REMOTE_IP, LOCAL_IP, seg.replace(src_port=src_port, dst_port=dst_port)))

    def apply_settings(self, settings: dict[str, str]) -> list[str]:
        notes = []
        for name, value in settings.items():
            try:
                Path(f"/proc/sys/net/ipv4/{name}").write_text(value.replace(" ", "\t") + "\n")
            except OSError as exc:
                notes.append(f"net.ipv4.{name}: {exc.strerror}")
        return notes

    def tcp_info(self, fd: int | None) -> dict[str, int]:
        s = self.sockets.get(fd) if fd is not None else None
        if s is None:
            raise NotSupported("an inline check before any connection exists")
        raw = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
        values = struct.unpack(TCP_INFO_FORMAT, raw[:struct.calcsize(TCP_INFO_FORMAT)])
        info = dict(zip(TCP_INFO_NAMES, values, strict=True))
        info["tcpi_snd_wscale"], info["tcpi_rcv_wscale"] = info["tcpi_wscale"] & 0xF, info["tcpi_wscale"] >> 4
        return info

    # --------------------------------------------------------------- syscalls
    def _new_fd(self, s: socket.socket) -> int:
        fd = 3
        while fd in self.sockets:
            fd += 1
        self.sockets[fd] = s
        return fd

    def call(self, name: str, args: dict[str, Any]) -> CallResult | _Wait:
        if name == "socket":
            return CallResult(self._new_fd(socket.socket(socket.AF_INET, socket.SOCK_STREAM)))
        s = self.sockets.get(args["fd"])
        if s is None:
            return CallResult(-1, "EBADF")
        op = getattr(self, "_call_" + name)
        blocking = s.gettimeout() is None and name in ("accept", "connect", "read", "recv", "sendto")
        if blocking and name in ("accept", "read", "recv") and select.select([s], [], [], 0)[0]:
            blocking = False  # it would return at once: no thread, no thread start-up delay
        if blocking:
            return _Wait(lambda: self._guard(op, s, args))
        return self._guard(op, s, args)

    def _guard(self, op: Callable[..., CallResult], s: socket.socket, args: dict[str, Any]) -> CallResult:
        try:
            return op(s, args)
        except OSError as exc:
            return _oserror(exc)

    def _call_bind(self, s: socket.socket, args: dict[str, Any]) -> CallResult:
        s.bind((LOCAL_IP, LOCAL_PORT))
        return CallResult(0)

    def _call_listen(self, s: socket.socket, args: dict[str, Any]) -> CallResult:
        s.listen(args["backlog"])
        return CallResult(0)

    def _call_accept(self, s: socket.socket, args: dict[str, Any]) -> CallResult:
        conn, _ = s.accept()
        conn.setblocking(True)
        return CallResult(self._new_fd(conn))

    def _call_connect(self, s: socket.socket, args: dict[str, Any]) -> CallResult:
        code = s.connect_ex((REMOTE_IP, REMOTE_PORT))
        return CallResult(0) if code == 0 else CallResult(-1, errno_module.errorcode[code])

    def _call_sendto(self, s: socket.socket, args: dict[str, Any]) -> CallResult:
        flags = socket.MSG_FASTOPEN if args.get("fastopen") else 0
        return CallResult(s.sendto(bytes(args["n"]), flags, (REMOTE_IP, REMOTE_PORT)))

    def _call_write(self, s: socket.socket, args: dict[str, Any]) -> CallResult:
        return CallResult(s.send(bytes(args["n"]), socket.MSG_NOSIGNAL))

    _call_send = _call_write

    def _call_read(self, s: socket.socket, args: dict[str, Any]) -> CallResult:
        return CallResult(len(s.recv(args["n"])))

    _call_recv = _call_read

    def _call_shutdown(self, s: socket.socket, args: dict[str, Any]) -> CallResult:
        s.shutdown(args["how"])
        return CallResult(0)

    def _call_close(self, s: socket.socket, args: dict[str, Any]) -> CallResult:
        del self.sockets[args["fd"]]
        s.close()
        return CallResult(0)

    def _call_fcntl(self, s: socket.socket, args: dict[str, Any]) -> CallResult:
        if args["cmd"] == fcntl.F_SETFL:
            s.setblocking(not args["flags"] & os.O_NONBLOCK)
            return CallResult(0)
        return CallResult(fcntl.fcntl(s.fileno(), args["cmd"]))

    def _call_setsockopt(self, s: socket.socket, args: dict[str, Any]) -> CallResult:
        if args["name"] not in SOCKOPTS:
            raise NotSupported(f"setsockopt {args['name']}")
        level, name = SOCKOPTS[args["name"]]
        value = args["value"]
        if isinstance(value, dict):
            s.setsockopt(level, name, struct.pack("ii", value.get("l_onoff", 0), value.get("l_linger", 0)))
        else:
            s.setsockopt(level, name, int(value))
        return CallResult(0)

    def _call_getsockopt(self, s: socket.socket, args: dict[str, Any]) -> CallResult:
        if args["name"] != "SO_ERROR":
            raise NotSupported(f"getsockopt {args['name']}")
        args["value"] = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        return CallResult(0)


def _peer(s: socket.socket) -> bool:
    try:
        return s.getsockname()[1] not in (0, LOCAL_PORT)
    except OSError:
        return False


# ---------------------------------------------------------------- driving
def run_inside(path: Path, tolerance_us: int) -> dict[str, Any]:
    """In a fresh namespace: run one script against the kernel and return its outcome."""
    try:
        script = parse_script(path.read_text(), str(path))
    except ScriptError as exc:
        return {"script": str(path), "status": "error", "line": exc.line, "message": str(exc)}
    stack = KernelStack()
    try:
        outcome = run_script(script, stack, tolerance_us=max(tolerance_us, script.tolerance_us))
    finally:
        stack.stop = True
    return outcome.as_json()


def run_in_namespace(path: Path, tolerance_us: int) -> dict[str, Any]:
    ns = f"drill{os.getpid()}"
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        proc = subprocess.run(["ip", "netns", "exec", ns, sys.executable, __file__, "--inside",
                               f"--tolerance_usecs={tolerance_us}", str(path)],
                              capture_output=True, text=True, timeout=900)
        if proc.returncode != 0:
            return {"script": str(path), "status": "error", "line": None,
                    "message": f"the checker failed: {proc.stderr.strip().splitlines()[-1:]}"}
        return json.loads(proc.stdout)
    finally:
        subprocess.run(["ip", "netns", "del", ns], check=False)


def _timing_only(message: str) -> bool:
    """A failure about when, not what: the checker itself may have been late on a busy machine."""
    return any(words in message for words in ("but nothing was sent by", " got it at ", ") returned at "))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="+", help="scripts, or folders of *.pkt")
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--tolerance_usecs", type=int, default=KERNEL_TOLERANCE_US,
                        help="timing tolerance (default 10000: Python's own latency on top of packetdrill's 4 ms)")
    parser.add_argument("--log", action="store_true", help="print every event with the time it happened")
    parser.add_argument("--no-record", action="store_true", help="do not rewrite the outcomes file")
    args = parser.parse_args(argv)
    if args.inside:
        print(json.dumps(run_inside(Path(args.paths[0]), args.tolerance_usecs)))
        return 0
    if os.geteuid() != 0:
        print("drill_linux: needs root (network namespaces and a tun device).", file=sys.stderr)
        return 2
    scripts: list[Path] = []
    for p in map(Path, args.paths):
        scripts += sorted(p.rglob("*.pkt")) if p.is_dir() else [p]
    results = {}
    for path in scripts:
        attempt = 1
        outcome = run_in_namespace(path, args.tolerance_usecs)
        while outcome["status"] != "pass" and _timing_only(outcome.get("message", "")) and attempt < TIMING_ATTEMPTS:
            attempt += 1
            outcome = run_in_namespace(path, args.tolerance_usecs)
        results[path.name] = {"status": outcome["status"], "message": outcome.get("message", ""),
                              "attempts": attempt}
        print(f"{outcome['status']:12} {path.name}  {outcome.get('message', '')}", flush=True)
        if args.log:
            for entry in outcome.get("log", []):
                print(f"    {entry['t_us'] / 1e6:10.6f}  line {entry['line']:3}  {entry['dir']:4} {entry['text']}")
    passed = sum(r["status"] == "pass" for r in results.values())
    print(f"{passed}/{len(results)} scripts pass against Linux {platform.release()}")
    if not args.no_record and any(Path(p).is_dir() for p in args.paths):
        record = {"kernel": platform.release(),
                  "recorded": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                  "how": "tools/drill_linux.py: one network namespace per script, kernel behind a tun device",
                  "tolerance_usecs": args.tolerance_usecs,
                  "timing_attempts": TIMING_ATTEMPTS,
                  "scripts": dict(sorted(results.items()))}
        RECORD.write_text(json.dumps(record, indent=1) + "\n")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
