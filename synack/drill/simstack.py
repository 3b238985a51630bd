"""The stack under test as synack's engine: a host on a virtual clock, system calls over its endpoints.

packetdrill puts the kernel behind a tun device at 192.168.0.1 and plays the
remote side, 192.0.2.1, itself.  Here the local side is a
:class:`~synack.sim.host.Host` with synack's engine, on a network whose link
has no delay (a tun device has none); the remote side is the script, which
sees every segment the host sends the instant it is sent.  System calls act
on the host's connections and listeners the way Linux's socket layer does:
file descriptors from 3, ``EINPROGRESS`` for a non-blocking connect,
``EAGAIN`` for a read with nothing to read, ``SO_ERROR`` after a refused
connection, ``MSG_FASTOPEN`` (RFC 7413), ``SO_LINGER`` {1, 0} as an abort.
Sysctl lines become profile settings before the first event.
"""

from __future__ import annotations

import errno as errno_module
import random
from dataclasses import dataclass, field
from typing import Any, Callable

from ..sim.host import Host, ListeningSocket
from ..sim.network import LinkConfig, Network
from ..sim.recorder import Recorder
from ..sim.scheduler import Scheduler
from ..tcp.endpoint import Connection, Context
from ..tcp.errors import ConnectionAlreadyExists, ConnectionClosing, ConnectionDoesNotExist, TcpError
from ..tcp.isn import Rfc6528Isn
from ..tcp.profiles import MS, S, Profile
from ..tcp.segment import Segment
from ..tcp.seq import seq_sub
from ..tcp.states import (CLOSE_WAIT, CLOSED, CLOSING, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, LAST_ACK, LISTEN,
                          SYN_RECEIVED, SYN_SENT, TIME_WAIT)
from .runner import CallResult, NotSupported
from .script import LOCAL_IP, REMOTE_IP

LOCAL_PORT = 8080  # bind(3, ..., ...) in packetdrill's scripts binds its default port
REMOTE_PORT = 8080
SCRIPT_PORT = 40000  # the port the script's segments come from
O_NONBLOCK = 0o4000
O_RDWR = 0o2

TCP_STATE_NUMBERS = {ESTABLISHED: 1, SYN_SENT: 2, SYN_RECEIVED: 3, FIN_WAIT_1: 4, FIN_WAIT_2: 5, TIME_WAIT: 6,
                     CLOSED: 7, CLOSE_WAIT: 8, LAST_ACK: 9, LISTEN: 10, CLOSING: 11}
CONNECTED = (ESTABLISHED, CLOSE_WAIT, FIN_WAIT_1, FIN_WAIT_2, CLOSING, TIME_WAIT, LAST_ACK)


def _retry_schedule(doubling_from: int, retries: int) -> tuple[int, ...]:
    return tuple(doubling_from << i for i in range(retries + 1))


def profile_settings(base: Profile, sysctls: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    """Linux sysctl names and values as profile settings; notes for the ones with no counterpart."""
    out: dict[str, Any] = {}
    notes: list[str] = []
    for name, text in sysctls.items():
        try:
            numbers = [int(w, 0) for w in text.split()]
        except ValueError:
            notes.append(f"net.ipv4.{name}={text} is not numeric; ignored")
            continue
        value = numbers[0] if numbers else 0
        if name == "tcp_syncookies":
            out["syncookies"] = value
        elif name == "tcp_fastopen":
            out["fastopen"] = value
            if value & ~0x203:
                notes.append(f"tcp_fastopen flags {value & ~0x203:#x} have no counterpart in synack; ignored")
        elif name == "tcp_timestamps":
            out["timestamps"] = bool(value)
        elif name == "tcp_sack":
            out["sack"] = bool(value)
        elif name == "tcp_window_scaling":
            if not value:
                out["window_scale"] = None
        elif name == "tcp_rmem" and len(numbers) == 3:
            out["rcv_buffer"] = numbers[1]
        elif name == "tcp_synack_retries":
            out["synack_schedule_us"] = _retry_schedule(1 * S, value)
        elif name == "tcp_fin_timeout":
            out["fin_timeout_us"] = value * S
        elif name == "tcp_invalid_ratelimit":
            out["invalid_ratelimit_us"] = value * MS
        elif name == "tcp_max_syn_backlog":
            out["max_syn_backlog"] = value
        elif name == "tcp_early_retrans":
            out["tail_loss_probe"] = value >= 3
        elif name == "tcp_keepalive_time":
            out["keepalive_idle_us"] = value * S
        elif name == "tcp_keepalive_intvl":
            out["keepalive_interval_us"] = value * S
        elif name == "tcp_keepalive_probes":
            out["keepalive_probes"] = value
        else:
            notes.append(f"net.ipv4.{name} has no counterpart in synack's profile; ignored")
    return out, notes


@dataclass
class _Socket:
    fd: int
    nonblocking: bool = False
    bound: bool = False
    listening: ListeningSocket | None = None
    conn: Connection | None = None
    linger_abort: bool = False
    fastopen_qlen: int = 0
    keepalive: bool = False
    keep: dict[str, int] = field(default_factory=dict)
    error_reported: bool = False
    write_shut: bool = False


class _Wait:
    def __init__(self, attempt: Callable[[], CallResult | None]) -> None:
        self._attempt = attempt
        self._done: CallResult | None = None

    def result(self) -> CallResult | None:
        if self._done is None:
            self._done = self._attempt()
        return self._done


class _ScriptPeer:
    """The remote side as the network sees it: it records what reaches it, and answers nothing."""

    def __init__(self, stack: "SimStack") -> None:
        self.stack = stack
        self.ip = REMOTE_IP
        self.name = "remote"
        self.down = False  # the network asks whether a host is switched off
        self.all_connections: list = []
        self.listeners: dict = {}

    def deliver(self, src_ip: str, seg: Segment, step: int | None, duplicate: bool = False) -> None:
        stack = self.stack
        stack.sent.append((stack.sched.now, seg))
        if stack.recorder is not None and step is not None:
            stack.recorder.segment_delivered(stack.sched.now, step, self.name, duplicate)


class SimStack:
    """The :class:`~synack.drill.runner.Stack` interface over synack's engine."""

    def __init__(self, profile: Profile, *, seed: int = 1, mss: int = 1460, trace: bool = True) -> None:
        self.base_profile = profile
        self.profile = profile
        self.seed = seed
        self.mss = mss
        self.sched = Scheduler()
        self.recorder = Recorder() if trace else None
        self.network = Network(self.sched, random.Random(seed), LinkConfig(delay_us=0), self.recorder)
        self.peer = _ScriptPeer(self)
        self.network.attach(self.peer)
        self.sent: list[tuple[int, Segment]] = []
        self.sockets: dict[int, _Socket] = {}
        self._host: Host | None = None

    # --------------------------------------------------------------- the host
    @property
    def host(self) -> Host:
        """Built on first use, so the script's sysctl lines shape its profile first."""
        if self._host is None:
            rng = random.Random(self.seed)
            ctx = Context(profile=self.profile, isn_gen=Rfc6528Isn(rng.randbytes(16)), route_mss=self.mss)
            self._host = Host("local", LOCAL_IP, self.sched, self.network, ctx, rng, self.recorder)
            if self.recorder is not None:
                self.recorder.watch(self._host)
        return self._host

    def apply_settings(self, settings: dict[str, str]) -> list[str]:
        changes, notes = profile_settings(self.profile, settings)
        if self._host is not None:
            notes.append("sysctl settings after the first system call are ignored")
            return notes
        self.profile = self.profile.with_settings(**changes)
        return notes

    # ------------------------------------------------------------------ time
    def now(self) -> int:
        return self.sched.now

    def wait(self, until: int, done: Callable[[], bool] | None = None) -> bool:
        sched = self.sched
        self.host  # noqa: B018 -- a script that starts with a packet still needs the host
        while True:
            sched.run(until=sched.now)  # everything due now, including what the last action caused
            if done is not None and done():
                return True
            if sched.now >= until:
                return False
            nxt = sched.next_time()
            if nxt is None or nxt > until:
                sched.now = until
            else:
                sched.run(until=nxt)
                sched.now = max(sched.now, nxt)

    # --------------------------------------------------------------- packets
    def has_outbound(self) -> bool:
        return bool(self.sent)

    def take_outbound(self) -> tuple[int, Segment] | None:
        return self.sent.pop(0) if self.sent else None

    def inject(self, seg: Segment) -> None:
        port = self._local_port()
        seg = seg.replace(src_port=SCRIPT_PORT if self._remote_port() is None else self._remote_port(),
                          dst_port=port)
        self.network.transmit(self.peer.name, REMOTE_IP, LOCAL_IP, seg, "script")
        self.sched.run(until=self.sched.now)

    def _local_port(self) -> int:
        for s in self.sockets.values():
            if s.conn is not None and s.listening is None and not s.conn.passive:
                return s.conn.local[1]
        return LOCAL_PORT

    def _remote_port(self) -> int | None:
        for s in self.sockets.values():
            if s.conn is not None and not s.conn.passive:
                return s.conn.remote[1]
        return None

    # ------------------------------------------------------------- tcp_info
    def tcp_info(self, fd: int | None) -> dict[str, int]:
        sock = self.sockets.get(fd) if fd is not None else None
        if sock is None or sock.conn is None:
            if sock is not None and sock.listening is not None:
                return {"tcpi_state": TCP_STATE_NUMBERS[LISTEN]}
            raise NotSupported("an inline check before any connection exists")
        conn = sock.conn
        t = conn.tcb
        options = (1 if t.ts_ok else 0) | (2 if t.sack_ok else 0) | (4 if t.snd_wscale or t.rcv_wscale else 0)
        if conn.syn_data_acked:
            options |= 32
        in_flight = max(0, seq_sub(t.snd_max, t.snd_una))
        unacked = math_ceil(in_flight, max(t.snd_mss, 1))
        return {"tcpi_state": TCP_STATE_NUMBERS[conn.state], "tcpi_options": options,
                "tcpi_unacked": unacked, "tcpi_retrans": min(unacked, conn.retries),
                "tcpi_snd_mss": t.snd_mss, "tcpi_rcv_mss": t.snd_mss, "tcpi_rtt": conn.rtt.srtt or 0,
                "tcpi_rttvar": conn.rtt.rttvar, "tcpi_rto": conn.rtt.rto, "tcpi_snd_cwnd": conn.cc.cwnd,
                "tcpi_snd_wscale": t.snd_wscale, "tcpi_rcv_wscale": t.rcv_wscale,
                "tcpi_snd_ssthresh": min(conn.cc.ssthresh, 0x7FFFFFFF), "tcpi_retransmits": conn.retries}

    # --------------------------------------------------------------- syscalls
    def call(self, name: str, args: dict[str, Any]) -> CallResult | _Wait:
        if name == "socket":
            fd = 3
            while fd in self.sockets:
                fd += 1
            self.sockets[fd] = _Socket(fd)
            return CallResult(fd)
        sock = self.sockets.get(args["fd"])
        if sock is None:
            return _err("EBADF")
        handler = getattr(self, "_call_" + name)
        try:
            result = handler(sock, args)
        except TcpError as exc:
            # The engine refuses a call the state does not allow, as the socket layer does with an errno.
            result = _err(ENGINE_ERRNOS.get(type(exc), "EINVAL"))
        self.sched.run(until=self.sched.now)
        return result

    def _call_bind(self, sock: _Socket, args: dict[str, Any]) -> CallResult:
        sock.bound = True
        return CallResult(0)

    def _call_listen(self, sock: _Socket, args: dict[str, Any]) -> CallResult:
        host = self.host
        sock.listening = host.listen(LOCAL_PORT, args["backlog"])
        self._apply_fastopen_qlen(sock)
        return CallResult(0)

    def _apply_fastopen_qlen(self, sock: _Socket) -> None:
        # Linux accepts Fast Open data only on a listener with TCP_FASTOPEN set (its queue length).
        if sock.listening is not None:
            fastopen = self.profile.fastopen if sock.fastopen_qlen else self.profile.fastopen & ~2
            sock.listening.listener.profile = self.profile.with_settings(fastopen=fastopen)

    def _call_accept(self, sock: _Socket, args: dict[str, Any]) -> CallResult | _Wait:
        if sock.listening is None:
            return _err("EINVAL")
        listener = sock.listening.listener

        def attempt() -> CallResult | None:
            conn = listener.accept()
            if conn is None:
                return None
            fd = 3
            while fd in self.sockets:
                fd += 1
            self.sockets[fd] = _Socket(fd, conn=conn)
            return CallResult(fd)
        first = attempt()
        if first is not None:
            return first
        return _err("EAGAIN") if sock.nonblocking else _Wait(attempt)

    def _connect(self, sock: _Socket, fastopen_data: bytes | None) -> None:
        host = self.host
        host.connect(REMOTE_IP, REMOTE_PORT, fastopen_data=fastopen_data)
        sock.conn = host.all_connections[-1]
        self._arm_keepalive(sock)

    def _arm_keepalive(self, sock: _Socket) -> None:
        """SO_KEEPALIVE with the socket's TCP_KEEP* values, or the sysctls' (tcp_keepalive_*)."""
        if sock.conn is None or not sock.keepalive:
            return
        p = self.profile
        sock.conn.set_keepalive(sock.keep.get("idle", p.keepalive_idle_us),
                                sock.keep.get("intvl", p.keepalive_interval_us),
                                sock.keep.get("cnt", p.keepalive_probes))
        self.host.pump(sock.conn)

    def _connect_result(self, sock: _Socket) -> CallResult | None:
        conn = sock.conn
        assert conn is not None
        if conn.state in CONNECTED:
            return CallResult(0)
        if conn.state is CLOSED:
            sock.error_reported = True
            return _err(_errno_of(conn) or "ECONNREFUSED")
        return None

    def _call_connect(self, sock: _Socket, args: dict[str, Any]) -> CallResult | _Wait:
        if sock.conn is not None:
            done = self._connect_result(sock)
            if done is None:
                return _err("EALREADY")
            return _err("EISCONN") if done.value == 0 else done
        self._connect(sock, None)
        if sock.nonblocking:
            return _err("EINPROGRESS")
        return _Wait(lambda: self._connect_result(sock))

    def _call_sendto(self, sock: _Socket, args: dict[str, Any]) -> CallResult | _Wait:
        if not args.get("fastopen"):
            return self._call_write(sock, args)
        if not self.profile.fastopen & 1:
            return _err("EOPNOTSUPP")
        n = args["n"]
        if sock.conn is not None:
            return _err("EISCONN")
        cookie = self.host.ctx.fastopen_cache.get(REMOTE_IP)
        # Linux tcp_sendmsg_fastopen: without a cookie the SYN only asks for one and the data
        # stays with the application (a non-blocking call says EINPROGRESS); with one it rides the SYN.
        self._connect(sock, bytes(n) if cookie else b"")
        if cookie:
            return CallResult(n)
        if sock.nonblocking:
            return _err("EINPROGRESS")

        def attempt() -> CallResult | None:
            done = self._connect_result(sock)
            if done is None or done.value < 0:
                return done
            assert sock.conn is not None
            sock.conn.send(bytes(n), self.sched.now)
            self.host.pump(sock.conn)
            return CallResult(n)
        return _Wait(attempt)

    def _call_write(self, sock: _Socket, args: dict[str, Any]) -> CallResult:
        conn = sock.conn
        if conn is None:
            return _err("EPIPE" if sock.listening is None else "ENOTCONN")
        if conn.error and not sock.error_reported:
            sock.error_reported = True
            return _err(_errno_of(conn) or "EPIPE")
        if sock.write_shut or conn.state not in (SYN_SENT, SYN_RECEIVED, ESTABLISHED, CLOSE_WAIT):
            return _err("EPIPE")
        if conn.state is SYN_SENT:
            return _err("EAGAIN") if sock.nonblocking else _err("ENOTCONN")
        conn.send(bytes(args["n"]), self.sched.now)
        self.host.pump(conn)
        return CallResult(args["n"])

    _call_send = _call_write

    def _call_read(self, sock: _Socket, args: dict[str, Any]) -> CallResult | _Wait:
        conn = sock.conn
        if conn is None:
            return _err("ENOTCONN")

        def attempt() -> CallResult | None:
            if conn.rcvbuf:
                data = conn.read(self.sched.now, args["n"])
                self.host.pump(conn)
                return CallResult(len(data))
            if conn.error and not sock.error_reported:
                sock.error_reported = True
                return _err(_errno_of(conn) or "ECONNRESET")
            if conn.eof or conn.state is CLOSED:
                return CallResult(0)
            if conn.state in (SYN_SENT, SYN_RECEIVED) and sock.nonblocking:
                return _err("EAGAIN")
            return None
        first = attempt()
        if first is not None:
            return first
        return _err("EAGAIN") if sock.nonblocking else _Wait(attempt)

    _call_recv = _call_read

    def _call_shutdown(self, sock: _Socket, args: dict[str, Any]) -> CallResult:
        conn = sock.conn
        if conn is None or conn.state in (CLOSED, LISTEN, SYN_SENT):
            return _err("ENOTCONN")
        if args["how"] in (1, 2) and not sock.write_shut:
            sock.write_shut = True
            conn.shutdown(self.sched.now)
            self.host.pump(conn)
        return CallResult(0)

    def _call_close(self, sock: _Socket, args: dict[str, Any]) -> CallResult:
        del self.sockets[sock.fd]
        now = self.sched.now
        if sock.listening is not None:
            sock.listening.close()
            return CallResult(0)
        conn = sock.conn
        if conn is None or conn.state is CLOSED:
            return CallResult(0)
        if sock.linger_abort:
            conn.abort(now)
        elif conn.state is SYN_SENT:
            conn.abort(now)
        elif not conn.orphaned:
            conn.close(now)
        self.host.pump(conn)
        return CallResult(0)

    def _call_fcntl(self, sock: _Socket, args: dict[str, Any]) -> CallResult:
        if args["cmd"] == 3:  # F_GETFL
            return CallResult(O_RDWR | (O_NONBLOCK if sock.nonblocking else 0))
        if args["cmd"] == 4:  # F_SETFL
            sock.nonblocking = bool(args["flags"] & O_NONBLOCK)
            return CallResult(0)
        raise NotSupported(f"fcntl command {args['cmd']}")

    def _call_setsockopt(self, sock: _Socket, args: dict[str, Any]) -> CallResult:
        name, value = args["name"], args["value"]
        if name in ("SO_REUSEADDR", "SO_REUSEPORT", "TCP_NODELAY", "SO_SNDBUF", "TCP_QUICKACK"):
            return CallResult(0)  # no effect a script can see in synack's engine
        if name == "SO_LINGER" and isinstance(value, dict):
            sock.linger_abort = bool(value.get("l_onoff")) and value.get("l_linger", 1) == 0
            return CallResult(0)
        if name == "TCP_FASTOPEN":
            sock.fastopen_qlen = int(value or 0)
            self._apply_fastopen_qlen(sock)
            return CallResult(0)
        if name == "SO_KEEPALIVE":
            sock.keepalive = bool(value)
            self._arm_keepalive(sock)
            return CallResult(0)
        if name in ("TCP_KEEPIDLE", "TCP_KEEPINTVL", "TCP_KEEPCNT"):
            key = {"TCP_KEEPIDLE": "idle", "TCP_KEEPINTVL": "intvl", "TCP_KEEPCNT": "cnt"}[name]
            sock.keep[key] = int(value) * (S if key != "cnt" else 1)
            self._arm_keepalive(sock)
            return CallResult(0)
        raise NotSupported(f"setsockopt {name}")

    def _call_getsockopt(self, sock: _Socket, args: dict[str, Any]) -> CallResult:
        if args["name"] != "SO_ERROR":
            raise NotSupported(f"getsockopt {args['name']}")
        conn = sock.conn
        value = 0
        if conn is not None and conn.error and not sock.error_reported:
            sock.error_reported = True
            value = getattr(errno_module, _errno_of(conn) or "ECONNRESET")
        args["value"] = value
        return CallResult(0)


ENGINE_ERRNOS = {ConnectionDoesNotExist: "ENOTCONN", ConnectionClosing: "EPIPE", ConnectionAlreadyExists: "EISCONN"}


def math_ceil(a: int, b: int) -> int:
    return -(-a // b)


def _err(name: str) -> CallResult:
    return CallResult(-1, name)


def _errno_of(conn: Connection) -> str:
    return {"connection refused": "ECONNREFUSED", "connection reset": "ECONNRESET",
            "connection timed out": "ETIMEDOUT"}.get(conn.error or "", "")
