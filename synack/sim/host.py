"""Hosts: an address, ports, TCP endpoints, and a socket-like API for application scripts.

A :class:`Host` owns the connections and listeners bound to its address,
demultiplexes arriving segments by 4-tuple (RFC 9293 3.10.7: no match means
an RST from :func:`~synack.tcp.endpoint.reset_for_unknown`), keeps each
endpoint's next deadline on the scheduler, and passes everything the engine
reports to the recorder.  Applications are generator functions, SimPy style:
they ``yield`` a waitable (``sleep``, ``connect``, ``accept``, ``recv``) and
are resumed with its result, or with :class:`SocketError` thrown in.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import TYPE_CHECKING, Any, Callable, Final, Generator

from ..tcp.endpoint import Connection, Context, reset_for_unknown
from ..tcp.errors import TcpError
from ..tcp.events import (DataDelivered, EofReceived, ErrorReported, Established, SegmentDropped,
                          SegmentSent, StateChanged, TimerFired)
from ..tcp.listener import Listener
from ..tcp.segment import Flags, Segment
from ..tcp.seq import wrap
from ..tcp.states import CLOSED, LISTEN, SYNCHRONIZED, TIME_WAIT, State
from .scheduler import APPLICATION, TIMER, Scheduler

if TYPE_CHECKING:
    from .network import Network
    from .recorder import Recorder

EPHEMERAL_LOW, EPHEMERAL_HIGH = 32768, 60999  # Linux ip_local_port_range
# A connection's wake-up that would come this much before its next deadline is moved rather than
# left to fire for nothing: firing costs a few times what moving does.
STALE_WAKEUP_US: Final = 1_000_000


class SocketError(Exception):
    """What a socket call reports to the application: ``connection refused``, ``connection reset``, ..."""

    def __init__(self, message: str, errno_name: str = "") -> None:
        super().__init__(message)
        self.errno_name = errno_name


class Waitable:
    """Something an application can wait for; resolved once with a value or an error.

    Resolving it schedules the waiting application to resume at the current
    virtual time, after the segments that arrive at the same instant.
    """

    __slots__ = ("done", "value", "error", "_waiters")

    def __init__(self) -> None:
        self.done = False
        self.value: Any = None
        self.error: BaseException | None = None
        self._waiters: list[tuple["Host", Generator]] | None = None  # made when someone waits

    def resolve(self, value: Any = None, error: BaseException | None = None) -> None:
        if self.done:
            return
        self.done, self.value, self.error = True, value, error
        waiters = self._waiters
        if waiters is not None:
            self._waiters = None
            for host, gen in waiters:
                # call_at(now, host._resume, APPLICATION, ...), without the call.
                host.sched.ready.append((host._resume, (gen, value, error)))

    def wait(self, host: "Host", gen: Generator) -> None:
        if self.done:
            host.sched.ready.append((host._resume, (gen, self.value, self.error)))
        elif self._waiters is None:
            self._waiters = [(host, gen)]
        else:
            self._waiters.append((host, gen))


#: What an application script is: a generator that yields waitables and is sent their results.
App = Generator[Waitable, Any, Any]

#: What an application waits for (see Host._wait_until): None while it does not hold, then (value, error).
Condition = Callable[[], "tuple[Any, BaseException | None] | None"]


class Host:
    # Slots: with this many attributes an instance dict is slower to read in the interpreter,
    # and the compiled build (a native class) takes no other attributes either.
    __slots__ = ("name", "ip", "sched", "network", "ctx", "rng", "recorder", "connections", "listeners",
                 "_wakeups", "_waiting", "_waits", "_retest_all", "port_range", "_next_port", "_ports_in_use",
                 "connect_failures", "tw_reused", "down", "display_state", "_primary", "all_connections",
                 "remember_connections", "udp", "_src_ip", "_delivering", "_serial", "_serials", "_resume",
                 "_on_wakeup")

    def __init__(self, name: str, ip: str, sched: Scheduler, network: "Network", ctx: Context,
                 rng: random.Random, recorder: "Recorder | None" = None) -> None:
        self.name = name
        self.ip = ip
        self.sched = sched
        self.network = network
        self.ctx = ctx
        self.rng = rng
        self.recorder = recorder
        self.connections: dict[tuple[int, str, int], Connection] = {}
        self.listeners: dict[int, Listener] = {}
        # Each connection's pending wake-up: (deadline, the scheduler's key to cancel it).
        self._wakeups: dict[Connection, tuple[int, int]] = {}
        # Applications waiting for a condition, by what the condition is about (a connection, a
        # listener, a UDP socket): (registration number, predicate, waitable, that).  Only the waits of
        # what an input touched are re-tested after it; the number keeps registration order.
        self._waiting: dict[object, list[tuple[int, Condition, Waitable, object]]] = {}
        self._waits = 0
        self._retest_all = False  # a crash changed every connection at once
        self.port_range = (EPHEMERAL_LOW, EPHEMERAL_HIGH)
        self._next_port = rng.randint(EPHEMERAL_LOW, EPHEMERAL_HIGH)
        # Ephemeral ports in use per remote address: connect() can tell at once that none is free.
        # (A plain dict: the compiled build reaches into it directly, not through Counter's methods.)
        self._ports_in_use: dict[tuple[str, int], int] = {}
        # connect() failures by errno, and ports taken over from TIME_WAIT (tcp_tw_reuse).
        self.connect_failures: Counter[str] = Counter()
        self.tw_reused = 0
        self.down = False  # crashed or rebooting: segments to it are lost, it sends nothing
        self.display_state = CLOSED
        self._primary: object | None = None
        self.all_connections: list[Connection] = []
        # Every connection made stays in all_connections, for the views and the scenarios' summaries;
        # a benchmark that reads none of them turns this off, so closed connections are freed.
        self.remember_connections = True
        self.udp: dict[int, UdpSocket] = {}
        self._src_ip = ""  # source of the segment being delivered (for the recorder's filter)
        self._delivering: int | None = None  # its step, so an endpoint's drop names what it dropped
        self._serial: dict[int, int] = {}  # id(connection) -> its number on this host, for the state events
        self._serials = 0
        # The callbacks the scheduler is handed over and over, bound once instead of at every use.
        self._resume: Callable[[Generator, Any, BaseException | None], None] = self._step
        self._on_wakeup: Callable[[Connection], None] = self._timer
        network.attach(self)

    def set_port_range(self, low: int, high: int) -> None:
        """ip_local_port_range: where connect() picks its local ports."""
        self.port_range = (low, high)
        self._next_port = self.rng.randint(low, high)

    def _featured(self, conn: Connection) -> bool:
        """Whether the recorder traces this connection (all of them, unless the scenario chose some)."""
        rec = self.recorder
        return rec is not None and rec.keeps(conn.local[0], conn.local[1], conn.remote[0], conn.remote[1])

    # --------------------------------------------------------------- segments
    def deliver(self, src_ip: str, seg: Segment, step: int | None, duplicate: bool = False) -> None:
        if self.down:
            # In flight when the power went: it arrives at a host that cannot hear it.
            if step is not None:
                self._record_event("drop", reason=f"{self.name} is down", step=step)
            return
        now = self.sched.now
        if self.recorder is not None:  # for the recorder's filter and notes only
            self._src_ip = src_ip
            self._delivering = step
        conn = self.connections.get((seg.dst_port, src_ip, seg.src_port))
        # What this segment may have changed, for the applications waiting on it.
        touched: Connection | Listener | None = conn
        reopened = None
        if conn is not None and conn.state is TIME_WAIT and seg.dst_port in self.listeners:
            isn = conn.reopening_isn(seg, now)
            if isn is not None:
                self.pump(conn)  # records the end of TIME_WAIT and forgets the old connection
                reopened, conn = conn, None
        else:
            isn = None
        if conn is not None:
            conn.receive(seg, now)
            self.pump(conn)
        else:
            listener = self.listeners.get(seg.dst_port)
            if listener is not None and listener.state is LISTEN:
                child = listener.receive((src_ip, seg.src_port), seg, now, isn=isn)
                self.pump_listener(listener)
                touched = listener
                if child is not None:
                    self._register(child)
                    self.pump(child)
                    touched = child  # and, through child.parent, the listener
            else:
                touched = None
                if step is not None:
                    self._record_event("drop", reason=f"no socket for port {seg.dst_port}", step=step)
                rst = reset_for_unknown(seg)
                if rst is not None:
                    self.network.transmit(self.name, self.ip, src_ip, rst, "rst")
        if self.recorder is not None:
            if step is not None:
                self.recorder.segment_delivered(now, step, self.name, duplicate)
            self._delivering = None
        if self._waiting:
            self._retest(touched, touched.parent if isinstance(touched, Connection) else None, reopened)

    def icmp_too_big(self, dst_ip: str, seg: Segment, mtu: int) -> None:
        """ICMP "fragmentation needed" about a segment we sent to ``dst_ip`` (RFC 1191, RFC 5927)."""
        conn = self.connections.get((seg.src_port, dst_ip, seg.dst_port))
        if conn is not None:
            conn.path_mtu_reduced(mtu, seg.seq, self.sched.now)
            self.pump(conn)
            if self._waiting:
                self._retest(conn, conn.parent)

    def deliver_datagram(self, src: tuple[str, int], port: int, size: int, label: str) -> None:
        sock = self.udp.get(port)
        if sock is not None:
            sock.queue.append((src, size, label))
            self._retest(sock)

    def udp_socket(self, port: int) -> "UdpSocket":
        sock = UdpSocket(self, port)
        self.udp[port] = sock
        return sock

    def _register(self, conn: Connection) -> None:
        key = (conn.local[1], conn.remote[0], conn.remote[1])
        if key not in self.connections and self.port_range[0] <= key[0] <= self.port_range[1]:
            remote = conn.remote
            self._ports_in_use[remote] = self._ports_in_use.get(remote, 0) + 1
        self.connections[key] = conn
        rec = self.recorder
        if rec is not None:
            self._serial[id(conn)] = self._serials
            self._serials += 1
        if rec is None or rec.featured is None or self._featured(conn):
            # A crowd scenario keeps (and shows the state of) only the connections it features.
            if self.remember_connections:
                self.all_connections.append(conn)
            self._primary = conn

    def _forget(self, conn: Connection) -> None:
        key = (conn.local[1], conn.remote[0], conn.remote[1])
        if self.connections.get(key) is conn:
            del self.connections[key]
            if self.port_range[0] <= key[0] <= self.port_range[1]:
                remote = conn.remote
                self._ports_in_use[remote] = self._ports_in_use.get(remote, 0) - 1
        wakeup = self._wakeups.pop(conn, None)
        if wakeup is not None:
            self.sched.cancel(wakeup[1])  # it would find nothing to do

    def pump(self, conn: Connection) -> None:
        """Drain what the engine produced: record events, put segments on the wire, re-arm its timer."""
        out = conn.segments_to_send()
        if self.recorder is not None:
            reasons = self._drain_events(conn)
            self.recorder.sender_socket = self._serial.get(id(conn))
            try:
                for seg, reason in zip(out, reasons, strict=True):
                    self.network.transmit(self.name, self.ip, conn.remote[0], seg, reason)
            finally:
                self.recorder.sender_socket = None
        elif out:
            for seg in out:
                self.network.transmit(self.name, self.ip, conn.remote[0], seg, "")
        if conn.state is CLOSED:
            self._forget(conn)
            return
        timers = conn.timers
        if not timers:
            return
        deadline = -1
        for when in timers.values():  # min() of one to three: the compiled build calls min() generically
            if deadline < 0 or when < deadline:
                deadline = when
        wakeup = self._wakeups.get(conn)
        if wakeup is not None:
            # One wake-up per connection is kept on the heap.  A deadline a little later reuses
            # it (the wake-up finds nothing due and re-arms), so timers that move often, as the
            # retransmission timer does at every ACK, cost little; one far later (a TIME_WAIT's
            # 60 s after a retransmission timer's 200 ms) is cheaper to move to at once.
            if wakeup[0] <= deadline < wakeup[0] + STALE_WAKEUP_US:
                return
            self.sched.cancel(wakeup[1])  # superseded by an earlier one, or far too early
        self._wakeups[conn] = (deadline, self.sched.call_at(deadline, self._on_wakeup, TIMER, conn))

    def _timer(self, conn: Connection) -> None:
        del self._wakeups[conn]
        conn.on_timer(self.sched.now)
        self.pump(conn)
        if self._waiting:
            self._retest(conn, conn.parent)

    def pump_listener(self, listener: Listener) -> None:
        rec = self.recorder
        reasons: list[str] = []
        if rec is not None:
            if rec.featured is None or rec.keeps(self.ip, listener.local[1], self._src_ip, -1):
                reasons = self._drain_events(listener)
            else:
                listener.events()  # about the crowd: not traced
        else:
            listener.events()  # nobody reads them; a flood must not pile them up
        for i, ((remote_ip, _port), seg) in enumerate(listener.segments_to_send()):
            self.network.transmit(self.name, self.ip, remote_ip, seg, reasons[i] if i < len(reasons) else "")

    def _drain_events(self, source: Connection | Listener) -> list[str]:
        """Record the engine's events; returns the reasons of the segments it sent, in order."""
        reasons: list[str] = []
        if isinstance(source, Connection) and self.recorder is not None and self.recorder.featured is not None \
                and not self._featured(source):
            return [event.reason for event in source.events() if isinstance(event, SegmentSent)]
        for event in source.events():
            if isinstance(event, SegmentSent):
                reasons.append(event.reason)
            else:
                self._on_event(source, event)
        return reasons

    def _on_event(self, source: Connection | Listener, event: object) -> None:
        if isinstance(event, StateChanged) and source is self._primary:
            self.display_state = event.new
        rec = self.recorder
        if rec is None:
            return
        if isinstance(event, StateChanged):
            # Which socket changed: the views follow each connection's own states, not the host's.
            where: dict[str, Any] = {}
            if isinstance(source, Connection):
                where = {"local": f"{source.local[0]}:{source.local[1]}",
                         "remote": f"{source.remote[0]}:{source.remote[1]}",
                         "socket": self._serial.get(id(source), -1)}
            elif isinstance(source, Listener):
                where = {"listener": source.local[1]}
            else:
                where = {}
            rec.event(self.sched.now, "state", self.name, old=event.old.value, new=event.new.value,
                      cause=event.cause, primary=source is self._primary, **where)
        elif isinstance(event, SegmentDropped):
            # A listener's drops (a full SYN queue) are said in the note of the segment they drop.
            where = {"step": self._delivering} if isinstance(source, Listener) and self._delivering is not None else {}
            rec.event(self.sched.now, "drop", self.name, reason=event.reason,
                      segment=event.segment.notation(), **where)
        elif isinstance(event, ErrorReported):
            rec.event(self.sched.now, "error", self.name, error=event.error, errno=event.errno_name)
        elif isinstance(event, TimerFired):
            rec.event(self.sched.now, "timer", self.name, timer=event.timer)
        elif isinstance(event, DataDelivered):
            rec.event(self.sched.now, "data", self.name, nbytes=event.nbytes)
        elif isinstance(event, EofReceived):
            rec.event(self.sched.now, "eof", self.name)
        elif isinstance(event, Established):
            rec.event(self.sched.now, "established", self.name)

    def _record_event(self, kind: str, conn: Connection | None = None, **fields: Any) -> None:
        rec = self.recorder
        if rec is not None and (conn is None or rec.featured is None or self._featured(conn)):
            rec.event(self.sched.now, kind, self.name, **fields)

    # ---------------------------------------------------------- application
    def spawn(self, app: Callable[..., Generator], *args: Any, **kwargs: Any) -> None:
        """Start an application script on this host at the current time."""
        gen = app(self, *args, **kwargs)
        self.sched.call_at(self.sched.now, self._resume, APPLICATION, gen, None, None)

    def _step(self, gen: Generator, value: Any, error: BaseException | None) -> None:
        try:
            waitable = gen.throw(error) if error is not None else gen.send(value)
        except StopIteration:
            return
        except SocketError as exc:
            self._record_event("app", call="exit", error=str(exc))
            return
        waitable.wait(self, gen)

    def _wait_until(self, about: object, predicate: Condition) -> Waitable:
        """A waitable resolved when ``predicate()`` returns something other than None.

        ``about`` is the connection, listener or UDP socket the predicate reads: it is
        tested again only after an input to that (or, for a listener, to one of its children).
        """
        w = Waitable()
        result = predicate()
        if result is not None:
            w.done, w.value, w.error = True, result[0], result[1]  # resolve(), with nobody waiting yet
        else:
            self._waits += 1
            entry = (self._waits, predicate, w, about)
            waits = self._waiting.get(about)
            if waits is None:
                self._waiting[about] = [entry]
            else:
                waits.append(entry)
        return w

    def _retest(self, source: object, parent: object = None, also: object = None) -> None:
        """Resolve the waits on what an input touched whose predicates now hold, in registration order.

        ``source`` is what the input went to; an input to a listener's child may also have
        filled the listener's accept queue, so callers name the child's ``parent`` too;
        ``also`` is a connection a SYN took over from TIME_WAIT.  After a crash every
        wait is tested once.
        """
        waiting = self._waiting
        if self._retest_all:
            self._retest_all = False
            self._retest_sources(list(waiting))
            return
        if (parent is not None and parent in waiting) or (also is not None and also in waiting):
            self._retest_sources([also, source, parent])
            return
        waits = waiting.get(source)
        if waits is None:
            return
        # The common case: one thing touched, usually one wait on it, and that one resolved.
        pending: list[tuple[int, Condition, Waitable, object]] | None = None
        for entry in waits:
            result = entry[1]()
            if result is not None:
                entry[2].resolve(result[0], result[1])
            if not entry[2].done:
                if pending is None:
                    pending = [entry]
                else:
                    pending.append(entry)
        if pending is None:
            del waiting[source]
        elif len(pending) < len(waits):
            waiting[source] = pending

    def _retest_sources(self, sources: list[object]) -> None:
        """:meth:`_retest` for waits on several things at once, merged in registration order."""
        waiting = self._waiting
        waits: list[tuple[int, Condition, Waitable, object]] = []
        for source in sources:
            if source is not None:
                waits += waiting.pop(source, ())
        waits.sort()
        for entry in waits:
            result = entry[1]()
            if result is not None:
                entry[2].resolve(result[0], result[1])
            elif not entry[2].done:
                # Still waiting: back under what it is about, keeping registration order.
                pending = waiting.get(entry[3])
                if pending is None:
                    waiting[entry[3]] = [entry]
                else:
                    pending.append(entry)

    def sleep(self, duration_us: int) -> Waitable:
        w = Waitable()
        self.sched.call_later(max(0, duration_us), w.resolve, APPLICATION)
        return w

    def first_of(self, *waitables: Waitable) -> Waitable:
        """A waitable resolved by whichever of ``waitables`` resolves first (an answer, or a timeout)."""
        either = Waitable()

        def watch(host: "Host", w: Waitable) -> App:
            try:
                value = yield w
            except SocketError as exc:
                either.resolve(None, exc)
                return
            either.resolve(value)

        for w in waitables:
            self.spawn(watch, w)
        return either

    def _ephemeral_port(self, remote: tuple[str, int]) -> tuple[int, int | None]:
        """A free local port for ``remote`` and, when it was taken over from TIME_WAIT, the ISN to use.

        A local port may serve several remotes (the 4-tuple must be unique, as in
        Linux's __inet_hash_connect); when every port of the range has a connection
        to this remote, connect() fails with EADDRNOTAVAIL, unless tcp_tw_reuse may
        take over one in TIME_WAIT.
        """
        low, high = self.port_range
        span = high - low + 1
        reuse = self.ctx.profile.tw_reuse
        if self._ports_in_use.get(remote, 0) >= span and not reuse:
            raise SocketError("cannot assign requested address (no free ephemeral port)", "EADDRNOTAVAIL")
        for _ in range(span):
            port = self._next_port
            self._next_port = low + (port - low + 1) % span
            old = self.connections.get((port, remote[0], remote[1]))
            if old is None:
                return port, None
            isn = self._reuse_time_wait(old)
            if isn is not None:
                return port, isn
        raise SocketError("cannot assign requested address (no free ephemeral port)", "EADDRNOTAVAIL")

    def _reuse_time_wait(self, old: Connection) -> int | None:
        """tcp_tw_reuse: take over ``old``'s 4-tuple when it is in TIME_WAIT and may be; the new ISN, or None."""
        if not self.ctx.profile.tw_reuse or old.state is not TIME_WAIT:
            return None
        isn = old.take_over_time_wait(self.sched.now)
        if isn is not None:
            self.tw_reused += 1
            self.pump(old)  # records the end of TIME_WAIT and forgets the old connection
        return isn

    def listen(self, port: int, backlog: int = 128, *, defer_accept_s: int = 0) -> "ListeningSocket":
        """listen(); ``defer_accept_s`` is Linux's TCP_DEFER_ACCEPT socket option, in seconds."""
        listener = Listener(self.ctx, (self.ip, port), backlog, defer_accept_s=defer_accept_s)
        listener.open_passive(self.sched.now)
        self.listeners[port] = listener
        if self._primary is None:
            self._primary = listener
            self.display_state = LISTEN
        self._record_event("app", call="listen", port=port)
        self.pump_listener(listener)
        return ListeningSocket(self, listener)

    def connect(self, ip: str, port: int, *, local_port: int | None = None,
                fastopen_data: bytes | None = None, keepalive: tuple[int, int, int] | None = None,
                featured: bool = False) -> Waitable:
        """Open a connection; ``featured`` asks a crowd scenario's recorder to trace this one."""
        remote = (ip, port)
        isn = None
        if local_port is not None:
            lport = local_port
            old = self.connections.get((lport, ip, port))
            if old is not None and old.state is not CLOSED:
                # The 4-tuple is still held (LAST_ACK, FIN_WAIT_2, TIME_WAIT...): Linux's
                # __inet_check_established refuses it, unless tcp_tw_reuse may take over TIME_WAIT.
                isn = self._reuse_time_wait(old)
                if isn is None:
                    return self._connect_failed(remote, SocketError(
                        f"cannot assign requested address (port {lport} to {ip}:{port} is still in "
                        f"{old.state.value})", "EADDRNOTAVAIL"))
        else:
            try:
                lport, isn = self._ephemeral_port(remote)
            except SocketError as exc:
                return self._connect_failed(remote, exc)
        if featured and self.recorder is not None:
            self.recorder.feature((self.ip, lport), remote)
        conn = Connection(self.ctx, (self.ip, lport), remote)
        if keepalive is not None:
            conn.set_keepalive(*keepalive)
        self._register(conn)
        if self.recorder is not None:
            self._record_event("app", conn=conn, call="connect", remote=f"{ip}:{port}",
                               **({"bytes": len(fastopen_data)} if fastopen_data else {}))
        conn.open_active(self.sched.now, fastopen_data=fastopen_data, isn=isn)
        self.pump(conn)
        sock = Socket(self, conn)
        return self._wait_until(conn, sock._connected)

    def _connect_failed(self, remote: tuple[str, int], exc: SocketError) -> Waitable:
        """connect() fails before anything is sent; the first failure of each kind is traced, all are counted."""
        if not self.connect_failures[exc.errno_name]:
            self._record_event("error", call="connect", remote=f"{remote[0]}:{remote[1]}", error=str(exc),
                               errno=exc.errno_name)
        self.connect_failures[exc.errno_name] += 1
        w = Waitable()
        w.resolve(None, exc)
        return w

    def crash(self) -> None:
        """The host loses power: every connection vanishes without a FIN or RST, and it goes quiet."""
        self._record_event("app", call="crash")
        self.down = True
        for conn in list(self.connections.values()):
            try:
                conn.abort(self.sched.now)
            except TcpError:
                pass
            conn.segments_to_send()  # the RST abort() would send never leaves a host without power
            self._drain_events(conn)
            self._forget(conn)
        self.connections.clear()
        self._ports_in_use.clear()
        self._retest_all = True  # the waits on those connections are tested at the next input, as any

    def boot(self) -> None:
        """The host is back with empty tables: whatever arrives for an old connection gets an RST."""
        self.down = False
        self._record_event("app", call="boot")

    def inject(self, src: tuple[str, int], dst: tuple[str, int], flags: Flags, seq: int, ack: int = 0,
               window: int = 0, payload: bytes = b"") -> None:
        """Put a forged segment on the wire, as a third party spoofing ``src`` would."""
        seg = Segment(src[1], dst[1], wrap(seq), wrap(ack), flags, window, (), payload)
        if self.recorder is not None and self.recorder.keeps(src[0], src[1], dst[0], dst[1]):
            self._record_event("app", call="inject", segment=seg.notation())
        self.network.transmit(self.name, src[0], dst[0], seg, "spoofed")


def _errno(conn: Connection) -> str:
    return {"connection refused": "ECONNREFUSED", "connection reset": "ECONNRESET",
            "connection timed out": "ETIMEDOUT"}.get(conn.error or "", "")


class ListeningSocket:
    def __init__(self, host: Host, listener: Listener) -> None:
        self.host = host
        self.listener = listener

    def accept(self) -> Waitable:
        return self.host._wait_until(self.listener, self._acceptable)

    def _acceptable(self) -> tuple[Any, BaseException | None] | None:
        """accept()'s condition: a connection in the accept queue."""
        host = self.host
        conn = self.listener.accept()
        if conn is None:
            return None
        if host.recorder is not None:
            host._record_event("app", conn=conn, call="accept", remote=f"{conn.remote[0]}:{conn.remote[1]}")
        return (Socket(host, conn), None)

    def close(self) -> None:
        self.listener.close(self.host.sched.now)
        self.host.listeners.pop(self.listener.local[1], None)
        self.host.pump_listener(self.listener)


class Socket:
    """The application's handle on one connection; calls return at once or yield a waitable."""

    def __init__(self, host: Host, conn: Connection) -> None:
        self.host = host
        self.conn = conn

    @property
    def state(self) -> State:
        return self.conn.state

    def _call(self, name: str, data: bytes = b"") -> None:
        """A socket call on the connection (``data`` for send), then what it sent goes out.

        The engine's methods are called by name here, not passed in as functions: the
        compiled build calls them directly then, where a bound method or a lambda would
        go through the generic call protocol.
        """
        host, conn = self.host, self.conn
        if host.recorder is not None:
            host._record_event("app", conn=conn, call=name, **({"bytes": len(data)} if name == "send" else {}))
        now = host.sched.now
        try:
            if name == "send":
                conn.send(data, now)
            elif name == "close":
                conn.close(now)
            elif name == "shutdown":
                conn.shutdown(now)
            else:
                conn.abort(now)
        except TcpError as exc:
            raise SocketError(str(exc)) from None
        host.pump(conn)
        if host._waiting:
            host._retest(conn, conn.parent)

    def send(self, data: bytes) -> None:
        conn = self.conn
        if conn.error:
            raise SocketError(conn.error, _errno(conn))
        self._call("send", data)

    def _connected(self) -> tuple[Any, BaseException | None] | None:
        """connect()'s condition: the handshake done, or the connection failed."""
        conn = self.conn
        if conn.state in SYNCHRONIZED:
            return (self, None)
        if conn.state is CLOSED:
            errno_name = _errno(conn)
            self.host.connect_failures[errno_name or "error"] += 1
            return (None, SocketError(conn.error or "connection closed", errno_name))
        return None

    def recv(self) -> Waitable:
        """Wait for data; resolves with everything readable, b"" at end of stream."""
        return self.host._wait_until(self.conn, self._readable)

    def _readable(self) -> tuple[Any, BaseException | None] | None:
        """recv()'s condition: data, the end of the stream, or the connection's end."""
        conn, host = self.conn, self.host
        if conn.rcvbuf:
            data = conn.read(host.sched.now)
            if host.recorder is not None:
                host._record_event("app", conn=conn, call="recv", bytes=len(data))
            host.pump(conn)
            return (data, None)
        if conn.eof:
            if host.recorder is not None:
                host._record_event("app", conn=conn, call="recv", bytes=0, eof=True)
            return (b"", None)
        if conn.state is CLOSED:
            return (None, SocketError(conn.error or "connection closed", _errno(conn)))
        return None

    def recv_until_eof(self) -> Generator[Waitable, Any, bytes]:
        """``data = yield from sock.recv_until_eof()``."""
        chunks: list[bytes] = []
        while True:
            data = yield self.recv()
            if not data:
                return b"".join(chunks)
            chunks.append(data)

    def shutdown(self) -> None:
        self._call("shutdown")

    def close(self) -> None:
        self._call("close")

    def abort(self) -> None:
        self._call("abort")


class UdpSocket:
    """A UDP port: datagrams are (source, size, label); only their sizes and labels are simulated."""

    def __init__(self, host: Host, port: int) -> None:
        self.host = host
        self.port = port
        self.queue: list[tuple[tuple[str, int], int, str]] = []

    def sendto(self, dst: tuple[str, int], size: int, label: str) -> None:
        self.host._record_event("app", call="sendto", bytes=size, label=label)
        self.host.network.send_datagram(self.host.name, (self.host.ip, self.port), dst, size, label)

    def recvfrom(self, timeout_us: int | None = None) -> Waitable:
        """Wait for the next datagram: resolves with (source, size, label), or None after ``timeout_us``."""
        waitable: Waitable | None = None

        def ready():
            if waitable is not None and waitable.done:
                return (None, None)  # timed out already: leave the datagram for the next call
            return (self.queue.pop(0), None) if self.queue else None
        waitable = self.host._wait_until(self, ready)
        if timeout_us is not None and not waitable.done:
            self.host.sched.call_later(timeout_us, waitable.resolve, APPLICATION, None)
        return waitable
