"""One TCP connection as a sans-IO state machine (RFC 9293 section 3.10).

A :class:`Connection` takes user calls (``open_active``, ``send``, ``read``,
``shutdown``, ``close``, ``abort``), arriving segments (``receive``) and timer
expiries (``on_timer``), each with ``now`` in integer microseconds, and answers
only through what the caller drains: ``segments_to_send()``, ``events()`` and
``next_deadline()``.  It reads no clock and does no I/O.  A listener's
children are made by :meth:`Connection.from_syn` and
:meth:`Connection.from_cookie`.

Implemented here:
- RFC 9293 3.10.7 SEGMENT ARRIVES: the ordered checks (sequence, RST, SYN,
  ACK, URG, text, FIN) stay explicit code in ``_receive_synchronized``; every
  state change goes through the table in :mod:`synack.tcp.states`.
- RFC 5961: exact-match RSTs, challenge ACKs for in-window RSTs and for SYNs,
  Linux's 500 ms per-socket rate limit (tcp_oow_rate_limited).
- RFC 6298 RTO with Karn's rule and backoff (:mod:`synack.tcp.rtt`); SYN and
  SYN-ACK schedules.
- RFC 9293 3.8.6.3 delayed ACKs, with Linux's quick-ACK and ping-pong modes
  (:mod:`synack.tcp.delack`).
- RFC 7323 window scale and timestamps, RFC 2018 SACK blocks
  (:mod:`synack.tcp.reassembly`), RFC 7413 Fast Open (client and server
  side), RFC 1122 4.2.3.6 keepalive.
- RFC 5681 congestion control, kept simple (:mod:`synack.tcp.congestion`).
- RFC 3168 6.1.1 ECN negotiation (ECE+CWR on the SYN, ECE on the SYN-ACK;
  none on a retransmitted SYN, as Linux falls back).
- RFC 1191 / RFC 5927 path MTU discovery: ICMP "fragmentation needed" about
  a segment in flight lowers the MSS and resends what did not fit at once
  (Linux tcp_v4_mtu_reduced, tcp_simple_retransmit).
- Linux TCP_DEFER_ACCEPT, with the listener: a bare ACK completing the
  handshake is dropped, SYN-ACKs are resent only late (syn_ack_recalc).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Final

from .congestion import CongestionControl
from .delack import DelayedAck
from .errors import ConnectionAlreadyExists, ConnectionClosing, ConnectionDoesNotExist
from .events import (R_ACK, R_CHALLENGE_ACK, R_DATA, R_DELAYED_ACK, R_DUP_ACK, R_FIN, R_KEEPALIVE, R_PMTU_RETRANSMIT,
                     R_RETRANSMIT, R_RST, R_SYN, R_SYN_ACK, R_WINDOW_PROBE, R_WINDOW_UPDATE, DataDelivered,
                     EofReceived, ErrorReported, Established, Event, Reason, SegmentDropped, SegmentSent,
                     StateChanged, TimerFired)
from .isn import IsnGenerator
# The option classes by name, not through the module: mypyc then refers to them directly instead of
# looking each up in the module's dictionary on every segment.
from .options import NOP, SACK_PERMITTED, FastOpen, Mss, Option, Sack, SackPermitted, Timestamps, WindowScale
from .profiles import Profile
from .reassembly import Reassembler
from .rtt import RttEstimator
from .segment import Flags, Segment
from .seq import seq_add, seq_ge, seq_gt, seq_le, seq_lt, seq_sub, wrap
from .states import (ABORT_SENDS_RST, CLOSE_QUEUES_FIN, CLOSE_WAIT, CLOSED, CLOSING, ESTABLISHED, FIN_WAIT_1,
                     FIN_WAIT_2, IN_ABORT, IN_ACTIVE_OPEN, IN_CLOSE, IN_FIN_WAIT_2_EXPIRED, IN_KEEPALIVE_EXPIRED,
                     IN_RCV_ACK_OF_FIN, IN_RCV_ACK_OF_SYN, IN_RCV_DATA_AFTER_CLOSE, IN_RCV_FIN, IN_RCV_RST, IN_RCV_SYN,
                     IN_RCV_SYN_ACK, IN_REOPENED, IN_SYN_COOKIE_ACK, IN_TIME_WAIT_EXPIRED, IN_TIMEOUT,
                     KEEPALIVE_STATES, LAST_ACK, LISTEN, NEXT_STATE, RECEIVING, RESET_REPORTED, SEND_ALLOWED,
                     SYN_RECEIVED, SYN_SENT, SYNCHRONIZED, TIME_WAIT, Input, State)
from .tcb import Tcb
from .timers import (DELAYED_ACK, FIN_WAIT_2_TIMER, KEEPALIVE, LOSS_PROBE, PERSIST, RETRANSMIT, TIME_WAIT_TIMER,
                     Timer)

if TYPE_CHECKING:
    from .listener import Listener

MAX_WINDOW_FIELD: Final = 0xFFFF
DEFAULT_MSS: Final = 536  # RFC 9293 3.7.1, when the SYN has no MSS option
MIN_LOSS_PROBE_US: Final = 10_000  # Linux TCP_TIMEOUT_MIN for the probe timeout
REOPEN_ISN_GAP: Final = 65535 + 2  # Linux tcp_timewait_state_process: new ISN above the old SND.NXT

# Flag combinations built once: combining IntFlag members on every segment is slow.
ACK: Final = Flags.ACK
ACK_PSH: Final = Flags.ACK | Flags.PSH
ACK_FIN: Final = Flags.ACK | Flags.FIN
ACK_PSH_FIN: Final = Flags.ACK | Flags.PSH | Flags.FIN
RST: Final = Flags.RST
RST_ACK: Final = Flags.RST | Flags.ACK
SYN: Final = Flags.SYN
SYN_ACK: Final = Flags.SYN | Flags.ACK
SYN_ECN: Final = Flags.SYN | Flags.ECE | Flags.CWR  # RFC 3168 6.1.1: an ECN-setup SYN
SYN_ACK_ECN: Final = Flags.SYN | Flags.ACK | Flags.ECE  # and the ECN-setup SYN-ACK
# The raw bits, for tests on Segment.bits (an int): cheaper than IntFlag's operators.
FIN_BIT: Final = 0x01
SYN_BIT: Final = 0x02
RST_BIT: Final = 0x04
ACK_BIT: Final = 0x10
ACK_PSH_BITS: Final = 0x18
_OUTPUT_STATES: Final = frozenset({ESTABLISHED, CLOSE_WAIT, FIN_WAIT_1, CLOSING, LAST_ACK})
# Where header prediction takes a bare ACK (data only in ESTABLISHED): every synchronized state
# but SYN_RECEIVED and TIME_WAIT, whose special cases come before the ordered checks.
_PREDICTED_ACK_STATES: Final = frozenset({ESTABLISHED, CLOSE_WAIT, FIN_WAIT_1, FIN_WAIT_2, CLOSING, LAST_ACK})
TS_OPTION_BYTES: Final = 12  # nop, nop, TS: what every segment carries once timestamps are agreed
# Untraced connections share one sink: a deque of length 0 swallows appends in C.
_NO_EVENTS: Final[Any] = deque(maxlen=0)
# Connections share this empty reassembler until data comes out of order: it is only read, and
# Connection._own_reassembler() gives a connection its own before anything is written.
_NO_GAPS: Final = Reassembler()


@dataclass(slots=True)
class Context:
    """What a connection needs from its host: profile, generators and secrets, route MSS, caches."""

    profile: Profile
    isn_gen: IsnGenerator
    route_mss: int = 1460
    syncookie_secret: bytes = b"synack-cookie"
    fastopen_key: bytes = b"synack-fastopen"
    # RFC 7413 4.1.3: the client's cookie cache, keyed by server address.
    fastopen_cache: dict[str, bytes] = field(default_factory=dict)
    # Linux tcp_metrics' try_exp per server: 1 after a cookie request went unanswered (ask with the
    # experimental option, kind 254, next time), 2 after that one failed too (back to kind 34 for good).
    fastopen_try_exp: dict[str, int] = field(default_factory=dict)
    # With tracing off nobody reads the events, so they are not even built (the benchmark's hot path).
    trace: bool = True


@dataclass(slots=True)
class KeepaliveSettings:
    idle_us: int
    interval_us: int
    probes: int


class PeerOptions:
    """What a SYN or SYN-ACK told us about the peer.

    A plain slotted class with ``Final`` fields (two per handshake): a frozen
    dataclass sets each field through ``object.__setattr__``.
    """

    __slots__ = ("mss", "wscale", "sack", "tsval", "fastopen")

    def __init__(self, mss: int | None, wscale: int | None, sack: bool, tsval: int | None,
                 fastopen: bytes | None) -> None:
        self.mss: Final = mss
        self.wscale: Final = wscale
        self.sack: Final = sack
        self.tsval: Final = tsval  # None: no timestamps option (its TSecr is never read)
        self.fastopen: Final = fastopen  # None: no option; b"": cookie request

    @classmethod
    def parse(cls, segment: Segment) -> "PeerOptions":
        return cls(*peer_options(segment))


def peer_options(segment: Segment) -> tuple[int | None, int | None, bool, int | None, bytes | None]:
    """What :class:`PeerOptions` holds, as a tuple: the handshake reads it without building the object."""
    mss = wscale = tsval = fastopen = None
    sack = False
    # Option classes have no subclasses: type() is one cheap call, isinstance() one per test.
    for o in segment.options:
        if o is NOP:
            continue  # the commonest option, a singleton: spare it the tests
        if o is SACK_PERMITTED:  # the engine's own singleton (a decoded one is tested below)
            sack = True
        elif type(o) is Mss:
            mss = o.value
        elif type(o) is Timestamps:
            tsval = o.tsval
        elif type(o) is WindowScale:
            wscale = o.shift if o.shift < 14 else 14  # RFC 7323 2.3: treat larger shifts as 14
        elif type(o) is SackPermitted:
            sack = True
        elif type(o) is FastOpen:
            fastopen = o.cookie
    return mss, wscale, sack, tsval, fastopen


# Options are immutable values: the few MSS and window-scale options a run uses are built once.
_MSS_OPTIONS: Final[dict[int, Mss]] = {}
_WSCALE_OPTIONS: Final[dict[int, WindowScale]] = {}


def _mss_option(mss: int) -> Mss:
    option = _MSS_OPTIONS.get(mss)
    if option is None:
        option = _MSS_OPTIONS[mss] = Mss(mss)
    return option


def _wscale_option(shift: int) -> WindowScale:
    option = _WSCALE_OPTIONS.get(shift)
    if option is None:
        option = _WSCALE_OPTIONS[shift] = WindowScale(shift)
    return option


def initial_window(route_mss: int, timestamps: bool) -> int:
    """The window of a SYN or SYN-ACK: whole segments, less the 12 bytes a segment's timestamps
    will take (Linux tcp_select_initial_window), at most 65535 (never scaled, RFC 7323 2.2)."""
    mss = route_mss - (TS_OPTION_BYTES if timestamps else 0)
    return (MAX_WINDOW_FIELD // mss) * mss if mss <= MAX_WINDOW_FIELD else MAX_WINDOW_FIELD


def ts_clock(profile: Profile, now: int, offset: int) -> int:
    """Our TSval at ``now``: the TS clock, one tick every ``ts_tick_us``, plus the connection's
    offset (RFC 7323 5.4), for a SYN or SYN-ACK (``_send`` keeps the tick, for its option cache)."""
    return wrap(now // profile.ts_tick_us + offset)


def syn_options(profile: Profile, mss: int, tsval: int, tsecr: int, *, offer_sack: bool = True,
                offer_ts: bool = True, offer_wscale: int | None = None,
                fastopen: bytes | None = None, fastopen_exp: bool = False) -> tuple[Option, ...]:
    """Options of a SYN or SYN-ACK in the order the profile writes them.

    Linux (tcp_options_write): mss, then sackOK and TS sharing one word (or
    padded with NOPs when only one is on), then nop,wscale, then Fast Open
    followed by two NOPs when its length leaves the word half full.
    """
    sack = profile.sack and offer_sack
    ts = profile.timestamps and offer_ts
    # Only the timestamps (and a Fast Open cookie) differ between two SYNs of one host: the
    # options around them are laid out once per layout, MSS, SACK, TS and window scale.
    key = (profile.linux_option_layout, mss, sack, ts, offer_wscale)
    layout = _SYN_LAYOUTS.get(key) or _syn_layout(*key)
    out = layout[0] + (Timestamps(tsval, tsecr),) + layout[1] if ts else layout[0]
    if fastopen is not None:
        tfo = FastOpen(fastopen, experimental=fastopen_exp)
        # Two NOPs after it when its length leaves the word half full.
        out = out + ((tfo, NOP, NOP) if tfo.size() % 4 == 2 else (tfo,))
    return out


# (Linux layout, MSS, SACK, TS, window scale) -> the options before and after the timestamps.
_SYN_LAYOUTS: Final[dict[tuple[bool, int, bool, bool, int | None],
                         tuple[tuple[Option, ...], tuple[Option, ...]]]] = {}


def _syn_layout(linux_layout: bool, mss: int, sack: bool, ts: bool,
                wscale: int | None) -> tuple[tuple[Option, ...], tuple[Option, ...]]:
    """The options of :func:`syn_options` before and after where the timestamps go, kept for reuse."""
    head: list[Option] = [_mss_option(mss)]
    tail: list[Option] = []
    ws: list[Option] = [] if wscale is None else [NOP, _wscale_option(wscale)]
    if linux_layout:
        if sack and ts:
            head.append(SACK_PERMITTED)
        elif ts:
            head += [NOP, NOP]
        elif sack:
            head += [NOP, NOP, SACK_PERMITTED]
        tail += ws
    else:
        head += ws
        if sack:
            head += [NOP, NOP, SACK_PERMITTED]
        if ts:
            head += [NOP, NOP]
    if not ts:  # nothing goes between: all of it is the head
        head += tail
        tail = []
    layout = _SYN_LAYOUTS[(linux_layout, mss, sack, ts, wscale)] = (tuple(head), tuple(tail))
    return layout


def reset_for_unknown(segment: Segment) -> Segment | None:
    """The RST a host sends for a segment that matches no connection (RFC 9293 3.10.7.1).

    Never an RST for an RST.  With ACK: <SEQ=SEG.ACK><CTL=RST>.  Without:
    <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
    """
    if segment.rst:
        return None
    if segment.has_ack:
        return Segment(segment.dst_port, segment.src_port, segment.ack, 0, RST, 0)
    return Segment(segment.dst_port, segment.src_port, 0, segment.end_seq, RST_ACK, 0)


class Connection:
    """One connection's state, TCB, buffers and timers; the parts that have their own RFC live apart."""

    # Slotted: a connection is made per SYN, and its fields are read on every segment.
    __slots__ = ("ctx", "profile", "local", "remote", "state", "passive", "parent", "tcb", "rtt", "cc", "delack",
                 "reasm", "now", "sndbuf", "sndbuf_seq", "fin_queued", "fin_seq", "snd_sml", "tlp_high", "rcvbuf",
                 "eof", "orphaned", "error", "established_reported", "timers", "retries", "last_rcv",
                 "last_oow_ack", "keepalive", "probes_out", "syn_data", "syn_data_acked", "fastopen_requested",
                 "synack_cookie", "wscale_agreed", "fastopen_exp", "ecn_requested", "deferred_ack_seen",
                 "challenge_acks", "on_close", "_out", "_trace", "_events", "_ts_tick", "_ts_echoed",
                 "_ts_options", "_last_adv", "_syn_window", "_max_window", "_dsack")

    def __init__(self, ctx: Context, local: tuple[str, int], remote: tuple[str, int],
                 parent: Listener | None = None) -> None:
        self.ctx = ctx
        profile = self.profile = ctx.profile
        self.local = local
        self.remote = remote
        # A listener's child starts as a copy of the listening socket (Linux clones it), in LISTEN.
        self.state: State = CLOSED if parent is None else LISTEN
        self.passive = parent is not None
        self.parent = parent
        self.tcb = Tcb()
        self.rtt = RttEstimator(profile)
        self.cc = CongestionControl(profile.initial_cwnd)
        self.delack = DelayedAck()
        # Shared and empty until data comes out of order (most connections never see any).
        self.reasm = _NO_GAPS
        self.now = 0
        # Send side: unacknowledged and unsent bytes; sndbuf[0] has sequence number sndbuf_seq.
        self.sndbuf = bytearray()
        self.sndbuf_seq = 0
        self.fin_queued = False
        self.fin_seq = 0
        self.snd_sml = 0  # end of the last small data segment sent (Minshall's Nagle)
        self.tlp_high: int | None = None  # SND.MAX when the loss probe went out (one probe per tail)
        # Receive side: bytes in order not yet read; eof once the peer's FIN is in sequence.
        self.rcvbuf = bytearray()
        self.eof = False
        # Application's view.
        self.orphaned = False  # close() was called: nobody will read or write again
        self.error: str | None = None
        self.established_reported = False
        # Timers: which -> deadline (µs).  Cancelled with `in` and `del`, never dict.pop: mypyc
        # compiles those two to C calls but pop to a method lookup on every segment.
        self.timers: dict[Timer, int] = {}
        self.retries = 0
        self.last_rcv = 0
        self.last_oow_ack = -(1 << 62)
        self.keepalive: KeepaliveSettings | None = None
        self.probes_out = 0
        # Fast Open and the handshake's negotiation.
        self.syn_data = 0
        self.syn_data_acked = False  # the SYN-ACK covered our SYN's data (Linux's TCPI_OPT_SYN_DATA)
        self.fastopen_requested = False
        self.synack_cookie: bytes | None = None  # a Fast Open cookie our SYN-ACK hands out
        self.wscale_agreed = False
        self.fastopen_exp = False  # our SYN's (or SYN-ACK's) Fast Open option is the experimental kind 254
        self.ecn_requested = False
        # TCP_DEFER_ACCEPT: the handshake's bare ACK came and was dropped; waiting for data.
        self.deferred_ack_seen = False
        self.challenge_acks = 0  # sent, for the lessons' figures
        self.on_close: Callable[[Connection], None] | None = None
        self._out: list[Segment] = []
        self._trace = ctx.trace
        self._events: Any = [] if ctx.trace else _NO_EVENTS
        # The timestamps option of the segments we send, rebuilt only when the TS clock has ticked
        # (once a millisecond) or TS.Recent moved since: most segments reuse it.
        self._ts_tick = -1
        self._ts_echoed = 0
        self._ts_options: tuple[Option, ...] = ()
        self._last_adv = 0
        self._syn_window = 0  # the window our SYN or SYN-ACK offered: Linux's first rcv_ssthresh
        # The largest window our field can say, 65535 << our window scale (RFC 7323 2.3): set with the scale.
        self._max_window = MAX_WINDOW_FIELD
        self._dsack: tuple[int, int] | None = None  # a duplicate to report in the next ACK

    # ------------------------------------------------------- listener's children
    @classmethod
    def from_syn(cls, parent: Listener, remote: tuple[str, int], seg: Segment, now: int, *, iss: int | None,
                 fastopen_data: bytes | None, synack_cookie: bytes | None,
                 on_close: Callable[[Connection], None]) -> Connection:
        """A listener's child for an acceptable SYN (RFC 9293 3.10.7.2, third): SYN_RECEIVED, SYN-ACK sent.

        ``iss`` is given when the SYN takes over a TIME_WAIT connection;
        ``fastopen_data`` is the SYN's data when its Fast Open cookie is good
        (RFC 7413 4.2.2), ``synack_cookie`` a cookie to hand out.
        """
        ctx = parent.ctx
        child = cls(ctx, parent.local, remote, parent)
        child.now = now
        child._init_send_space(iss)
        t = child.tcb
        t.snd_wnd = t.max_snd_wnd = seg.window  # never scaled in a SYN (RFC 7323 2.2)
        t.snd_wl1 = seg.seq
        mss, wscale, sack, tsval, _fastopen = peer_options(seg)
        child._synchronize(seg.seq, mss, wscale, sack, tsval)
        # RFC 3168 6.1.1: an ECN-setup SYN carries both ECE and CWR.
        t.ecn_ok = seg.bits & 0xC0 == 0xC0 and ctx.profile.ecn in (1, 2)
        child.last_rcv = child.delack.last_data_at = now
        child.on_close = on_close
        child.synack_cookie = synack_cookie
        if synack_cookie is not None:
            # The cookie goes back in the option kind it was asked with (Linux answers 254 with 254).
            child.fastopen_exp = any(isinstance(o, FastOpen) and o.experimental for o in seg.options)
        child._transition(IN_RCV_SYN, "SYN received")
        if fastopen_data is not None:
            # RFC 7413 4.2.2: the data is the application's before the handshake completes.
            child._deliver(fastopen_data)
            child.delack.received_data = True
        child._send_syn(R_SYN_ACK)
        child.timers[RETRANSMIT] = now + ctx.profile.synack_schedule_us[0]
        return child

    @classmethod
    def from_cookie(cls, parent: Listener, remote: tuple[str, int], seg: Segment, now: int, *,
                    peer: PeerOptions, on_close: Callable[[Connection], None]) -> Connection:
        """A listener's child for an ACK carrying a valid SYN cookie (RFC 4987 3.6): ESTABLISHED at once.

        ``peer`` is what the cookie (and the echoed timestamp) kept of the SYN.
        """
        ctx = parent.ctx
        child = cls(ctx, parent.local, remote, parent)
        child.now = now
        child._init_send_space(seq_add(seg.ack, -1))
        t = child.tcb
        t.snd_una = seg.ack  # the ACK acknowledges our SYN-ACK
        child._synchronize(seq_add(seg.seq, -1), peer.mss, peer.wscale, peer.sack, peer.tsval)
        t.snd_wnd = t.max_snd_wnd = seg.window << t.snd_wscale
        t.snd_wl1, t.snd_wl2 = seg.seq, seg.ack
        # What the cookie SYN-ACK offered is where the window starts (Linux's rcv_ssthresh).
        child._syn_window = initial_window(ctx.route_mss, t.ts_ok)
        child.on_close = on_close
        child._transition(IN_SYN_COOKIE_ACK, "valid SYN cookie in the ACK")
        child._became_established()
        # The ACK may carry data or a FIN already: the connection takes the rest of it.
        if seg.payload or seg.bits & FIN_BIT:
            child.receive(seg, now)
        return child

    def _init_send_space(self, iss: int | None) -> None:
        """RFC 9293 3.3.1: our sequence space starts at ISS; the SYN takes ISS, data ISS+1.

        With ``iss`` None the ISN generator picks it, and the timestamp offset with it.
        """
        t = self.tcb
        gen = self.ctx.isn_gen
        if iss is None:
            iss, t.ts_offset = gen.secrets(self.local, self.remote, self.now)
        else:
            t.ts_offset = gen.ts_offset(self.local, self.remote)
        t.iss = t.snd_una = iss
        t.snd_nxt = t.snd_max = self.sndbuf_seq = seq_add(iss, 1)
        self.snd_sml = iss

    # ------------------------------------------------------------------ outputs
    def segments_to_send(self) -> list[Segment]:
        out, self._out = self._out, []
        return out

    def events(self) -> list[Event]:
        if not self._trace:
            return []
        out, self._events = self._events, []
        return out

    def next_deadline(self) -> int | None:
        return min(self.timers.values()) if self.timers else None

    @property
    def advertised_window(self) -> int:
        """The receive window last advertised, in bytes (the field shifted by the window scale)."""
        return self._last_adv

    @property
    def fin_sent(self) -> bool:
        return self.fin_queued and seq_gt(self.tcb.snd_max, self.fin_seq)

    # ------------------------------------------------------------- user calls
    def open_active(self, now: int, *, fastopen_data: bytes | None = None, isn: int | None = None) -> None:
        """OPEN, active (RFC 9293 3.10.1); with Fast Open data when ``fastopen_data`` is given.

        ``isn`` is given when the connection takes over a TIME_WAIT port (:meth:`take_over_time_wait`).
        """
        self.now = now
        if self.state is not CLOSED:
            raise ConnectionAlreadyExists()
        self._init_send_space(isn)
        self._transition(IN_ACTIVE_OPEN, "connect()")
        cookie = None
        if fastopen_data is not None and self.profile.fastopen & 1:
            self.fastopen_requested = True
            self.sndbuf += fastopen_data
            cookie = self.ctx.fastopen_cache.get(self.remote[0], b"")
            self.fastopen_exp = not cookie and self.ctx.fastopen_try_exp.get(self.remote[0]) == 1
        self._send_syn(R_SYN, fastopen_cookie=cookie)
        self.timers[RETRANSMIT] = now + self.profile.syn_schedule_us[0]

    def set_keepalive(self, idle_us: int, interval_us: int, probes: int) -> None:
        self.keepalive = KeepaliveSettings(idle_us, interval_us, probes)
        if self.state in SYNCHRONIZED:
            self.timers[KEEPALIVE] = self.last_rcv + idle_us

    def send(self, data: bytes, now: int) -> None:
        """SEND (RFC 9293 3.10.2)."""
        self.now = now
        if self.state is CLOSED or self.state is LISTEN:
            raise ConnectionDoesNotExist()
        if self.fin_queued or self.state not in SEND_ALLOWED:
            raise ConnectionClosing()
        self.sndbuf += data
        self._output()

    def read(self, now: int, max_bytes: int | None = None) -> bytes:
        """RECEIVE (RFC 9293 3.10.3): bytes in order; b"" with ``eof`` set at end of stream."""
        self.now = now
        if self.state is CLOSED and not self.rcvbuf:
            raise ConnectionDoesNotExist()
        rcvbuf = self.rcvbuf
        if max_bytes is None or max_bytes >= len(rcvbuf):
            data = bytes(rcvbuf)  # all of it: one copy, no slice
            rcvbuf.clear()
        else:
            data = bytes(rcvbuf[:max_bytes])
            del rcvbuf[:max_bytes]
        # Tell the peer the window reopened when it had nearly closed (RFC 9293 3.8.6.2.2).
        if data and self.state in RECEIVING and self._last_adv_window_small():
            self._send(R_WINDOW_UPDATE)
        return data

    def shutdown(self, now: int) -> None:
        """shutdown(SHUT_WR): queue a FIN, keep receiving (RFC 9293 3.10.4, half-close)."""
        self.now = now
        self._close_send_side()

    def close(self, now: int) -> None:
        """CLOSE (RFC 9293 3.10.4): no more sends; after this the application is gone.

        Unread data turns the close into a reset (RFC 1122 4.2.2.13).
        """
        self.now = now
        if self.state is CLOSED:
            raise ConnectionDoesNotExist()
        if self.orphaned:
            raise ConnectionClosing()
        self.orphaned = True
        if self.rcvbuf and self.profile.rst_on_unread_close and self.state in ABORT_SENDS_RST:
            self._reset_and_close("close() with unread data", IN_ABORT)
        elif self.state is SYN_SENT:
            self._transition(IN_CLOSE, "close() before the handshake finished")
        elif not self.fin_queued and self.state in CLOSE_QUEUES_FIN:
            self._close_send_side()
        elif self.state is FIN_WAIT_2:
            self._arm_fin_wait_2()

    def abort(self, now: int) -> None:
        """ABORT (RFC 9293 3.10.5), as close() with SO_LINGER {on, 0} does it."""
        self.now = now
        if self.state is CLOSED:
            raise ConnectionDoesNotExist()
        self.orphaned = True
        if self.state in ABORT_SENDS_RST:
            self._reset_and_close("abort()", IN_ABORT)
        else:
            self._transition(IN_ABORT, "abort()")

    # ------------------------------------------------------------------ timers
    def on_timer(self, now: int) -> None:
        """Fire every timer due at ``now``, earliest first."""
        self.now = now
        timers = self.timers
        if not timers or min(timers.values()) > now:
            return  # a wake-up for a timer since cancelled or moved later: nothing to sort
        # One timer (TIME_WAIT's, a lone retransmission) needs no sorting.
        order = list(timers) if len(timers) == 1 else sorted(timers, key=timers.__getitem__)
        for timer in order:
            deadline = timers.get(timer)
            if deadline is None or deadline > now:
                continue  # cancelled or moved by a timer that fired before it
            del timers[timer]
            if self._trace:
                self._events.append(TimerFired(timer=timer))
            if timer is RETRANSMIT:
                self._fire_retransmit()
            elif timer is DELAYED_ACK:
                self._fire_delayed_ack()
            elif timer is TIME_WAIT_TIMER:
                self._transition(IN_TIME_WAIT_EXPIRED, "TIME_WAIT expired")
            elif timer is FIN_WAIT_2_TIMER:
                if self.state is FIN_WAIT_2:
                    self._transition(IN_FIN_WAIT_2_EXPIRED, "FIN_WAIT_2 timed out (tcp_fin_timeout)")
            elif timer is KEEPALIVE:
                self._fire_keepalive()
            elif timer is PERSIST:
                self._fire_persist()
            elif timer is LOSS_PROBE:
                self._fire_loss_probe()

    def _flight_segments(self) -> int:
        t = self.tcb
        return seq_sub(t.snd_max, t.snd_una) // max(t.snd_mss, 1)

    def _fire_retransmit(self) -> None:
        p, t = self.profile, self.tcb
        self.retries += 1
        self.rtt.forget()  # Karn: no RTT sample from a retransmitted segment
        if self.state is SYN_SENT:
            if self.retries >= len(p.syn_schedule_us):
                self._fail("connection timed out", "ETIMEDOUT", IN_TIMEOUT)
                return
            # A retransmitted Fast Open SYN carries neither data nor cookie (RFC 7413 4.2.1).
            if self.syn_data:
                self.syn_data = 0
                t.snd_nxt = t.snd_max = seq_add(t.iss, 1)
            self.ecn_requested = False  # Linux tcp_ecn_clear_syn: a repeated SYN asks for no ECN
            self._send_syn(R_RETRANSMIT)
            self.timers[RETRANSMIT] = self.now + p.syn_schedule_us[self.retries]
            return
        if self.state is SYN_RECEIVED and seq_le(t.snd_una, t.iss):
            expire, resend = self.retries >= len(p.synack_schedule_us), True
            if self.parent is not None and self.parent.defer_retrans:
                expire, resend = self.parent.deferred_synack_timeout(self)
            if expire:
                self._fail("connection timed out", "ETIMEDOUT", IN_TIMEOUT)
                return
            if resend:
                self._send_syn(R_RETRANSMIT)
            self.timers[RETRANSMIT] = self.now + p.synack_schedule_us[min(self.retries, len(p.synack_schedule_us) - 1)]
            return
        if self.retries > p.data_retries:
            self._fail("connection timed out", "ETIMEDOUT", IN_TIMEOUT)
            return
        # RFC 5681 3.1 / RFC 6298 5.5-5.6: collapse the window, back off, go back to SND.UNA.
        self.cc.on_timeout(max(self._flight_segments(), 1))
        t.snd_nxt = t.snd_una
        self._output(R_RETRANSMIT)
        self.timers[RETRANSMIT] = self.now + self.rtt.backed_off(self.retries)

    def _schedule_loss_probe(self, rto_at: int) -> bool:
        """Arm the tail loss probe (RFC 8985 7.2; Linux tcp_schedule_loss_probe) in place of the
        retransmission timer due at ``rto_at``; False when no probe is due (the RTO stays)."""
        p, t = self.profile, self.tcb
        srtt = self.rtt.srtt
        if not p.tail_loss_probe or srtt is None or self.tlp_high is not None or self.retries:
            return False
        if self.state not in _OUTPUT_STATES:
            return False
        pto = 2 * srtt
        flight = t.snd_max - t.snd_una
        if flight < 0:  # the sequence space wrapped in between: only then is seq_sub needed
            flight = seq_sub(t.snd_max, t.snd_una)
        if flight <= t.snd_mss:
            # A lone segment: leave room for the peer's delayed ACK before probing.
            lone = srtt + srtt // 2 + p.delack_max_us
            if lone > pto:
                pto = lone
        if pto < MIN_LOSS_PROBE_US:
            pto = MIN_LOSS_PROBE_US
        # The probe takes the retransmission timer's place and never comes later than it would
        # have; firing, it re-arms the RTO from then on.
        at = self.now + pto
        timers = self.timers
        if RETRANSMIT in timers:
            del timers[RETRANSMIT]
        timers[LOSS_PROBE] = rto_at if rto_at < at else at
        return True

    def _fire_loss_probe(self) -> None:
        """Send the last segment again so its ACK (or SACK) reveals a tail loss without an RTO."""
        t = self.tcb
        if t.snd_una == t.snd_max:
            return
        self.tlp_high = t.snd_max
        end = self.fin_seq if self.fin_sent else t.snd_max
        in_flight_data = max(0, seq_sub(end, t.snd_una))
        self._resend_from(seq_add(end, -min(t.snd_mss, in_flight_data)))
        self.timers[RETRANSMIT] = self.now + self.rtt.backed_off(self.retries)

    def _fire_delayed_ack(self) -> None:
        d = self.delack
        if not d.pending:
            return
        # Linux tcp_delack_timer_handler: a delayed ACK that had to fire ends ping-pong mode.
        d.pingpong = False
        self._send(R_DELAYED_ACK)

    def _fire_keepalive(self) -> None:
        ka = self.keepalive
        if ka is None or self.state not in KEEPALIVE_STATES:
            return
        t = self.tcb
        if seq_sub(t.snd_max, t.snd_una) > 0 or len(self.sndbuf) > 0:
            # Linux keeps quiet while data is in flight: the retransmission timer watches then.
            self.timers[KEEPALIVE] = self.now + ka.idle_us
            return
        idle = self.now - self.last_rcv
        if idle < ka.idle_us and self.probes_out == 0:
            self.timers[KEEPALIVE] = self.last_rcv + ka.idle_us
            return
        if self.probes_out >= ka.probes:
            self._reset_and_close("keepalive probes unanswered", IN_KEEPALIVE_EXPIRED,
                                  error=("connection timed out", "ETIMEDOUT"))
            return
        # A probe is an ACK one byte behind SND.UNA: the peer must answer it (RFC 1122 4.2.3.6).
        self._send(R_KEEPALIVE, ACK, seq_add(t.snd_una, -1))
        self.probes_out += 1
        self.timers[KEEPALIVE] = self.now + ka.interval_us

    def _fire_persist(self) -> None:
        """Probe a zero window (RFC 9293 3.8.6.1; Linux tcp_probe_timer and tcp_send_probe0).

        The connection stays open for as long as the peer answers the probes (RFC 1122 4.2.2.17
        MUST): every acceptable ACK clears ``probes_out``, even one that keeps the window shut.
        Only unanswered probes count: after R2 of them (tcp_retries2) the connection times out.
        Linux gives an orphan less: ``orphan_probes`` probes, and none once the backed-off
        interval has reached RTO max.
        """
        p, t = self.profile, self.tcb
        if t.snd_wnd != 0 or self._unsent() == 0:
            return
        limit = p.data_retries
        if self.orphaned and p.orphan_probes is not None:
            if self.rtt.backed_off(self.retries) >= self.rtt.rto_max:
                self._fail("connection timed out", "ETIMEDOUT", IN_TIMEOUT)
                return
            limit = p.orphan_probes
        if self.probes_out >= limit:
            self._fail("connection timed out", "ETIMEDOUT", IN_TIMEOUT)
            return
        self._send(R_WINDOW_PROBE, ACK, seq_add(t.snd_una, -1))
        self.probes_out += 1
        self.retries += 1  # the backoff: probes go at RTO, 2 RTO, 4 RTO ... up to RTO max
        self.timers[PERSIST] = self.now + self.rtt.backed_off(self.retries)

    # ------------------------------------------------------- segment arrives
    def path_mtu_reduced(self, mtu: int, seq: int, now: int) -> None:
        """ICMP "fragmentation needed" for a segment we sent (RFC 1191 6.1, Linux tcp_v4_mtu_reduced).

        Ignored unless its quoted sequence number is one in flight (RFC 5927 4.1)
        and it lowers the MSS; then the MSS follows the path and, as Linux's
        tcp_simple_retransmit does, every segment in flight that is larger than
        the new MSS goes again at once, cut to it (1448 bytes become 1348 + 100),
        without backing off; segments that fit are left alone.
        """
        self.now = now
        t, p = self.tcb, self.profile
        if not p.pmtud or self.state not in SYNCHRONIZED:
            return
        if seq_lt(seq, t.snd_una) or not seq_lt(seq, t.snd_max):
            self._drop(Segment(self.remote[1], self.local[1], seq, 0, Flags(0), 0),
                       "ICMP about a sequence number not in flight (RFC 5927)")
            return
        mss = max(mtu, p.min_pmtu) - 40 - (TS_OPTION_BYTES if t.ts_ok else 0)
        if mss >= t.snd_mss:
            return
        old_mss, t.snd_mss = t.snd_mss, mss
        self.rtt.forget()
        saved = t.snd_nxt
        end = self.fin_seq if self.fin_sent else t.snd_max
        start = t.snd_una
        # The flight went out in segments of the old MSS from SND.UNA on (the byte stream keeps no
        # boundaries; a bulk flight has exactly these).
        while seq_lt(start, end):
            chunk = min(old_mss, seq_sub(end, start))
            if chunk > mss:
                t.snd_nxt = start
                piece_end = seq_add(start, chunk)
                while seq_lt(t.snd_nxt, piece_end):
                    offset = seq_sub(t.snd_nxt, self.sndbuf_seq)
                    n = min(mss, seq_sub(piece_end, t.snd_nxt))
                    last = offset + n == len(self.sndbuf)
                    self._send_data(ACK_PSH if last else ACK, bytes(self.sndbuf[offset:offset + n]), False,
                                    R_PMTU_RETRANSMIT)
            start = seq_add(start, chunk)
        t.snd_nxt = saved

    def reopening_isn(self, seg: Segment, now: int) -> int | None:
        """A SYN that may take over this TIME_WAIT 4-tuple: the ISN the new connection must use.

        RFC 6191 and Linux (tcp_timewait_state_process): a SYN whose timestamp, or
        without timestamps whose sequence number, is newer than the old
        connection's ends TIME_WAIT early; the new ISN starts above anything
        the old incarnation sent: SND.NXT + 65535 + 2.  Otherwise None.
        """
        t = self.tcb
        if self.state is not TIME_WAIT or (seg.bits & (SYN_BIT | ACK_BIT | RST_BIT)) != SYN_BIT:
            return None
        ts = next((o for o in seg.options if isinstance(o, Timestamps)), None)
        if t.ts_ok and ts is not None:
            newer = seq_gt(ts.tsval, t.ts_recent)
        else:
            newer = seq_gt(seg.seq, t.rcv_nxt)
        if not newer:
            return None
        self.now = now
        self._transition(IN_REOPENED, "a new SYN reuses the 4-tuple, ending TIME_WAIT early")
        return seq_add(t.snd_nxt, REOPEN_ISN_GAP)

    def take_over_time_wait(self, now: int) -> int | None:
        """tcp_tw_reuse: a connect() may take this TIME_WAIT 4-tuple; the ISN it must use, or None.

        Linux (tcp_twsk_unique) allows it when the old connection used timestamps and
        its last one arrived in an earlier second: the new connection's timestamps
        then prove its segments newer (RFC 7323 PAWS).  As for a reopening SYN, the
        new ISN starts above anything the old incarnation sent.
        """
        t = self.tcb
        if self.state is not TIME_WAIT or not t.ts_ok or now // 1_000_000 <= self.last_rcv // 1_000_000:
            return None
        self.now = now
        self.timers.clear()
        self._transition(IN_REOPENED, "connect() takes over the TIME_WAIT port (tcp_tw_reuse)")
        return seq_add(t.snd_nxt, REOPEN_ISN_GAP)

    def receive(self, seg: Segment, now: int) -> None:
        """SEGMENT ARRIVES (RFC 9293 3.10.7), then whatever it lets us send."""
        self.now = now
        if not seg.checksum_ok:
            self._drop(seg, "bad checksum")
            return
        state = self.state
        t = self.tcb
        bits = seg.bits
        payload = seg.payload
        if ((bits == ACK_BIT or bits == ACK_PSH_BITS) and seg.seq == t.rcv_nxt
                and (state is ESTABLISHED and (not payload or self.profile.rcv_buffer > len(self.rcvbuf)
                                               + self.reasm.nbytes)
                     or not payload and state in _PREDICTED_ACK_STATES)):
            # Header prediction (RFC 9293 3.10.7.4 allows it; Linux tcp_rcv_established): the
            # common segment, an ACK with or without data in order, neither RST, SYN nor FIN.
            # Starting at RCV.NXT in an open window it passes the first check, and the second to
            # fourth do not apply: straight to the timestamps, the fifth and the seventh check.
            if t.ts_ok and t.rcv_nxt == t.rcv_wup:
                # _update_ts_recent written out: the segment starts at RCV.NXT, which covers the last
                # ACK we sent unless data came in since (RFC 7323 4.3).
                for o in seg.options:
                    if o is NOP:
                        continue  # the two before TS: spare them the type test
                    if type(o) is Timestamps:
                        if o.tsval != t.ts_recent and seq_gt(o.tsval, t.ts_recent):
                            t.ts_recent = o.tsval
                        break
            if self._process_ack(seg) and payload:
                self._receive_text(seg)
        elif state is CLOSED:
            self._drop(seg, "connection is closed")
            return
        elif state is SYN_SENT:
            self._receive_syn_sent(seg)
        else:
            self._receive_synchronized(seg)
        if self.state is not CLOSED:
            if self.sndbuf or self.fin_queued and t.snd_nxt == self.fin_seq:  # data, or a FIN not yet sent
                self._output()
            if self.delack.pending and DELAYED_ACK not in self.timers:
                self._send(R_ACK)

    def _receive_syn_sent(self, seg: Segment) -> None:
        """RFC 9293 3.10.7.3, SYN-SENT STATE."""
        t = self.tcb
        bits = seg.bits
        # First: the ACK bit.
        # (An ACK of exactly SND.MAX, the usual one, is acceptable: it lies above ISS.)
        if bits & ACK_BIT and seg.ack != t.snd_max and (seq_le(seg.ack, t.iss) or seq_gt(seg.ack, t.snd_max)):
            if not bits & RST_BIT:
                self._emit(Segment(self.local[1], self.remote[1], seg.ack, 0, RST, 0), R_RST)
                if self.profile.syn_resend_after_bad_synack_us is not None and self.retries == 0:
                    self.timers[RETRANSMIT] = self.now + self.profile.syn_resend_after_bad_synack_us
            self._drop(seg, "ACK does not acknowledge our SYN")
            return
        # Second: the RST bit.
        if bits & RST_BIT:
            if bits & ACK_BIT:
                self._fail("connection refused", "ECONNREFUSED", IN_RCV_RST)
            else:
                self._drop(seg, "RST without an acceptable ACK")
            return
        # Fourth: the SYN bit.
        if not bits & SYN_BIT:
            self._drop(seg, "neither SYN nor RST in SYN_SENT")
            return
        mss, wscale, sack, tsval, fastopen = peer_options(seg)
        self._synchronize(seg.seq, mss, wscale, sack, tsval)
        if bits & ACK_BIT:
            if self.fastopen_requested and fastopen:
                self.ctx.fastopen_cache[self.remote[0]] = fastopen
            elif self.fastopen_requested and not self.syn_data and not self.retries:
                # A cookie request went unanswered (Linux tcp_rcv_fastopen_synack): a middlebox may
                # strip the option, so try the other kind next time.
                try_exp = 2 if self.fastopen_exp else 1
                if try_exp > self.ctx.fastopen_try_exp.get(self.remote[0], 0):
                    self.ctx.fastopen_try_exp[self.remote[0]] = try_exp
            # RFC 3168 6.1.1: ECN is on when our ECN-setup SYN got ECE without CWR back.
            t.ecn_ok = self.ecn_requested and bits & 0xC0 == 0x40
            self.syn_data_acked = self.syn_data > 0 and seq_gt(seg.ack, seq_add(t.iss, 1))
            self._ack_advanced(seg.ack)
            t.snd_wnd = seg.window  # never scaled in a SYN-ACK (RFC 7323 2.2)
            if t.snd_wnd > t.max_snd_wnd:
                t.max_snd_wnd = t.snd_wnd
            t.snd_wl1, t.snd_wl2 = seg.seq, seg.ack
            self._transition(IN_RCV_SYN_ACK, "SYN-ACK received")
            self._became_established()
            if t.snd_una != t.snd_nxt and seq_lt(t.snd_una, t.snd_nxt):
                # Fast Open data the SYN-ACK did not cover goes again at once (RFC 7413 4.2.2).
                t.snd_nxt = t.snd_una
            if self.sndbuf and self._unsent() > 0:
                # Data waiting (Fast Open without cookie): it carries the ACK (Linux tcp_rcv_fastopen_synack).
                # Data sent the moment the SYN-ACK arrived makes the exchange interactive: the
                # recordings show Linux delaying the ACK of the answer after this (ping-pong mode).
                self._output()
                if self.profile.pingpong:
                    self.delack.pingpong = True
            else:
                self._send(R_ACK)
        else:
            # Simultaneous open: answer with SYN-ACK carrying our original ISN (RFC 9293 3.5, figure 8).
            self.last_rcv = self.delack.last_data_at = self.now  # on a SYN-ACK, _became_established does it
            t.snd_wnd = seg.window
            self._transition(IN_RCV_SYN, "SYN received in SYN_SENT (simultaneous open)")
            t.snd_nxt = seq_add(t.iss, 1)
            self._send_syn(R_SYN_ACK)

    def _receive_synchronized(self, seg: Segment) -> None:
        """RFC 9293 3.10.7.4, the ordered checks for SYN-RECEIVED and the synchronized states.

        The commonest segments never come here: :meth:`receive` takes them by header prediction.
        """
        t, p = self.tcb, self.profile
        state = self.state
        bits = seg.bits
        if state is TIME_WAIT and bits & FIN_BIT and not bits & RST_BIT and seg.end_seq == t.rcv_nxt:
            # A retransmitted FIN: the peer lost our ACK.  Re-ACK and restart 2MSL (RFC 9293 3.10.7.4 eighth).
            self._send(R_ACK)
            self.timers[TIME_WAIT_TIMER] = self.now + p.time_wait_us
            return
        if (state is TIME_WAIT and p.time_wait_acks_segments and not bits & (RST_BIT | SYN_BIT)
                and not (seg.seq == t.rcv_nxt and seg.seg_len == 0)):
            # Linux answers anything else but a bare ACK with an ACK of where it is (rate limited).
            if bits & ACK_BIT:
                self.timers[TIME_WAIT_TIMER] = self.now + p.time_wait_us
            if not self._oow_rate_limited():
                self._send(R_DUP_ACK)
            return
        if (state is SYN_RECEIVED and not self.passive and (bits & (SYN_BIT | ACK_BIT | RST_BIT)) == SYN_BIT | ACK_BIT
                and seq_add(seg.seq, 1) == t.rcv_nxt and seg.ack == t.snd_nxt):
            # Simultaneous open: the peer's SYN-ACK repeats its SYN and acknowledges ours.  Linux
            # (tcp_validate_incoming) lets it through as the ACK of our SYN; so does RFC 9293 figure 8.
            seg = seg.replace(flags=seg.flags & ~Flags.SYN, seq=t.rcv_nxt)
            bits = seg.bits
        # First: sequence number acceptable?
        if not self._acceptable(seg):
            if bits & RST_BIT:
                self._drop(seg, "RST outside the window")
                return
            if bits & SYN_BIT and state in SYNCHRONIZED:
                self._challenge_ack(seg, "SYN outside the window")
                return
            if state is SYN_RECEIVED and bits & SYN_BIT and seg.seq == t.irs and self.passive:
                self._retransmit_synack(seg)
                return
            self._drop(seg, "sequence number outside the window")
            if p.dsack and t.sack_ok and seg.payload and seq_lt(seg.seq, t.rcv_nxt):
                self._dsack = (seg.seq, seg.end_seq if seq_le(seg.end_seq, t.rcv_nxt) else t.rcv_nxt)
            if seg.seg_len > 0 or not self._oow_rate_limited():
                self._send(R_DUP_ACK)
            return
        if t.ts_ok and not bits & RST_BIT:
            self._update_ts_recent(seg)
        # Second: RST.
        if bits & RST_BIT:
            if p.rfc5961 and seg.seq != t.rcv_nxt:
                self._challenge_ack(seg, "RST inside the window but not at RCV.NXT (RFC 5961 3.2)")
                return
            self._reset_received()
            return
        # Fourth: SYN.  (Third, security, does not apply.)
        if bits & SYN_BIT:
            if state is SYN_RECEIVED and self.passive and seg.seq == t.irs:
                self._retransmit_synack(seg)
                return
            self._challenge_ack(seg, "SYN in a synchronized state (RFC 5961 4.2)")
            return
        # Fifth: ACK.
        if not bits & ACK_BIT:
            self._drop(seg, "no ACK bit")
            return
        if state is SYN_RECEIVED:
            ack = seg.ack
            # SND.UNA < SEG.ACK =< SND.MAX; usually it acknowledges just our SYN-ACK, SND.MAX.
            if (ack == t.snd_max and ack != t.snd_una) or (seq_lt(t.snd_una, ack) and seq_le(ack, t.snd_max)):
                if self.parent is not None and self.parent.defer_retrans and self.parent.defer_bare_ack(self, seg):
                    return
                t.snd_wnd = seg.window << t.snd_wscale
                if t.snd_wnd > t.max_snd_wnd:
                    t.max_snd_wnd = t.snd_wnd
                t.snd_wl1, t.snd_wl2 = seg.seq, ack
                self._ack_advanced(ack)
                self._transition(IN_RCV_ACK_OF_SYN, "ACK of our SYN received")
                self._became_established()
            else:
                self._emit(Segment(self.local[1], self.remote[1], ack, 0, RST, 0), R_RST)
                self._drop(seg, "ACK does not acknowledge our SYN-ACK")
                return
        elif not self._process_ack(seg):
            return
        state = self.state
        if state is CLOSED:
            return
        # Sixth (URG) is not implemented: urgent data is obsolete (RFC 6093).
        # Seventh: segment text.
        if seg.payload:
            if state in RECEIVING or state is SYN_RECEIVED:
                if self.orphaned and (state is FIN_WAIT_1 or state is FIN_WAIT_2):
                    # Nobody will read this: reset (RFC 1122 4.2.2.13, Linux tcp_rcv_state_process).
                    self._reset_and_close("data arrived after close()", IN_RCV_DATA_AFTER_CLOSE)
                    return
                self._receive_text(seg)
            else:
                self._drop(seg, f"data after the peer's FIN, in {state}")
        # Eighth: FIN.
        if bits & FIN_BIT:
            fin_seq = seq_add(seg.seq, len(seg.payload)) if seg.payload else seg.seq
            if fin_seq == t.rcv_nxt:
                self._receive_fin()
            elif seq_gt(fin_seq, t.rcv_nxt) and self.reasm.fin is None:
                self._own_reassembler().fin = fin_seq
                self._send(R_DUP_ACK)

    def _update_ts_recent(self, seg: Segment) -> None:
        """RFC 7323 4.3: remember the peer's TSval from a segment that covers the last ACK we sent."""
        t = self.tcb
        if seg.seq != t.rcv_wup and seq_gt(seg.seq, t.rcv_wup):
            return
        for o in seg.options:
            if o is NOP:
                continue
            if type(o) is Timestamps:
                if o.tsval != t.ts_recent and seq_gt(o.tsval, t.ts_recent):
                    t.ts_recent = o.tsval
                return

    def _acceptable(self, seg: Segment) -> bool:
        """RFC 9293 3.10.7.4 first check, the four cases of the acceptability table."""
        rcv_nxt = self.tcb.rcv_nxt
        if seg.seq == rcv_nxt:
            # The usual segment: at RCV.NXT it is acceptable unless it brings data, a SYN or a FIN
            # (SEG.LEN > 0) to a closed window.  (The window is open when the buffer has room:
            # _rcv_window() > 0, without the call.)
            return ((not seg.payload and not seg.bits & (SYN_BIT | FIN_BIT))
                    or self.profile.rcv_buffer > len(self.rcvbuf) + self.reasm.nbytes)
        wnd = self._rcv_window()
        seg_len = seg.seg_len
        # The distance from RCV.NXT, modulo 2**32: "RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND" is offset < wnd.
        offset = wrap(seg.seq - rcv_nxt)
        if seg_len == 0:
            return offset == 0 if wnd == 0 else offset < wnd
        if wnd == 0:
            return False
        return offset < wnd or wrap(seg.seq + seg_len - 1 - rcv_nxt) < wnd

    def _process_ack(self, seg: Segment) -> bool:
        """The fifth check in the synchronized states.  False when the segment is done with."""
        t, p = self.tcb, self.profile
        ack = seg.ack
        self.last_rcv = self.now
        # Whether the ACK moves SND.UNA forward (> 0), not at all (0) or is an old one (< 0): only
        # the sign counts.  The usual ACKs, of nothing new or of all we sent, are told by equality.
        if ack == t.snd_una:
            moved = 0
        elif ack == t.snd_max:
            moved = 1
        else:
            if seq_gt(ack, t.snd_max):
                # It acknowledges something not yet sent: ACK and drop (RFC 9293 3.10.7.4 fifth).
                self._drop(seg, "ACK of data never sent")
                if not self._oow_rate_limited():
                    self._send(R_DUP_ACK)
                return False
            moved = seq_sub(ack, t.snd_una)
            # (An ACK at or above SND.UNA is never too old: it lies within the window of SND.UNA.)
            if moved < 0 and p.rfc5961 and seq_lt(ack, seq_add(t.snd_una, -max(t.max_snd_wnd, 1))):
                # RFC 5961 5.2: too old an ACK is dropped, with an ACK.
                self._drop(seg, "ACK too far behind SND.UNA (RFC 5961 5.2)")
                if not self._oow_rate_limited():
                    self._send(R_CHALLENGE_ACK)
                return False
        if moved >= 0:
            # An answer from the peer: probes (keepalive, zero window) are answered (Linux tcp_ack
            # clears icsk_probes_out past its checks for unsent and old ACKs).
            self.probes_out = 0
        window = seg.window << t.snd_wscale
        advanced = moved > 0
        if advanced:
            self._ack_advanced(ack)
            # Only here, in the synchronized states, does an ACK grow the window: the ACK of our SYN
            # (the handshake's own call of _ack_advanced) does not, so a connection is established
            # with the initial window it was made with (Linux tcp_init_transfer; RFC 5681 3.1 counts
            # only data ACKs).
            self.cc.on_new_ack()
        elif (moved == 0 and not seg.payload and not seg.bits & FIN_BIT
              and t.snd_una != t.snd_max and seq_lt(t.snd_una, t.snd_max) and window == t.snd_wnd):
            if self.cc.on_duplicate_ack(self._flight_segments()):
                self._resend_from(t.snd_una)  # RFC 5681 3.2 fast retransmit
        # Window update (RFC 9293 3.10.7.4 fifth, SND.WL1/WL2 rule).  Linux's tcp_may_update_window
        # also takes the window of any ACK that moves SND.UNA, and from the same SEG.SEQ only a
        # larger window or a zero one.
        if p.linux_window_update:
            update = advanced or (seq_lt(t.snd_wl1, seg.seq) if t.snd_wl1 != seg.seq
                                  else window > t.snd_wnd or window == 0)
        else:
            update = seq_lt(t.snd_wl1, seg.seq) or (t.snd_wl1 == seg.seq and seq_le(t.snd_wl2, ack))
        if update:
            t.snd_wnd = window
            if window > t.max_snd_wnd:
                t.max_snd_wnd = window
            t.snd_wl1, t.snd_wl2 = seg.seq, ack
            if window > 0 and PERSIST in self.timers:
                del self.timers[PERSIST]
                self.retries = 0  # the window opened: forget the probes' backoff (Linux tcp_ack_probe)
        if self.fin_queued and t.snd_una != self.fin_seq and seq_gt(t.snd_una, self.fin_seq):  # FIN acked
            state = self.state
            if state is FIN_WAIT_1:
                self._transition(IN_RCV_ACK_OF_FIN, "our FIN was acknowledged")
                if self.orphaned:
                    self._arm_fin_wait_2()
            elif state is CLOSING:
                self._transition(IN_RCV_ACK_OF_FIN, "our FIN was acknowledged")
                self._enter_time_wait()
            elif state is LAST_ACK:
                self._transition(IN_RCV_ACK_OF_FIN, "our FIN was acknowledged")
                return False
        return True

    def _ack_advanced(self, ack: int) -> None:
        """SND.UNA moves up to ``ack``: free acknowledged bytes, sample the RTT, see to the timers."""
        t = self.tcb
        sndbuf = self.sndbuf
        if sndbuf:
            acked_data = ack - self.sndbuf_seq
            if acked_data < 0:  # the sequence space wrapped in between: only then is seq_sub needed
                acked_data = seq_sub(ack, self.sndbuf_seq)
            buffered = len(sndbuf)
            if acked_data == buffered:  # all of it, the usual case: the buffer now starts at the ACK
                sndbuf.clear()
                self.sndbuf_seq = ack
            elif acked_data > buffered:  # all of it and our FIN
                sndbuf.clear()
                self.sndbuf_seq = seq_add(self.sndbuf_seq, buffered)
            elif acked_data > 0:
                del sndbuf[:acked_data]
                self.sndbuf_seq = ack
        t.snd_una = ack
        if t.snd_nxt != ack and seq_lt(t.snd_nxt, ack):  # usually everything sent is acknowledged
            t.snd_nxt = ack
        self.retries = 0
        rtt = self.rtt
        timed = rtt.timed_seq
        if timed is not None and (ack == timed or seq_gt(ack, timed)):  # the timed segment is acknowledged
            rtt.on_ack(self.now)
        timers = self.timers
        if LOSS_PROBE in timers:
            del timers[LOSS_PROBE]
        if self.tlp_high is not None and seq_ge(ack, self.tlp_high):
            self.tlp_high = None
        if ack == t.snd_max:
            if RETRANSMIT in timers:
                del timers[RETRANSMIT]
        else:
            # RFC 6298 5.3: restart the timer when new data is acknowledged.
            timers[RETRANSMIT] = self.now + self.rtt.rto

    def _receive_text(self, seg: Segment) -> None:
        """Seventh check: take in-window data, reassemble, decide when to ACK."""
        t, p, d = self.tcb, self.profile, self.delack
        data, seq = seg.payload, seg.seq
        if seq != t.rcv_nxt and seq_lt(seq, t.rcv_nxt):  # trim what we already have
            cut = seq_sub(t.rcv_nxt, seq)
            data, seq = data[cut:], t.rcv_nxt
        # Cut to the window (_rcv_window()), worked out only when the data may not fit in it: more
        # than the buffer's room or than the largest window the field can say.
        size = len(data)
        if size + len(self.rcvbuf) + self.reasm.nbytes > p.rcv_buffer or size > self._max_window:
            data = data[:self._rcv_window()]
        if not data:
            if p.dsack and t.sack_ok and seg.payload:
                self._dsack = (seg.seq, seg.end_seq)  # RFC 2883: tell the sender it sent this twice
            self._send(R_DUP_ACK)
            return
        d.last_data_at = self.now
        if not d.received_data:
            d.received_data = True
            if p.quickack:
                d.quick = p.max_quickacks
        reasm = self.reasm
        if seq != t.rcv_nxt:
            self._own_reassembler().add(seq, data)
            self._send(R_DUP_ACK)  # out of order: ACK at once so the sender sees a hole
            return
        before = t.rcv_nxt
        had_hole = bool(reasm.pieces)
        self._deliver(data)
        if had_hole:
            while (piece := reasm.take(t.rcv_nxt)) is not None:
                if piece:
                    self._deliver(piece)
        if self._trace:
            self._events.append(DataDelivered(nbytes=seq_sub(t.rcv_nxt, before)))
        if reasm.fin is not None and reasm.fin == t.rcv_nxt:
            reasm.fin = None
            self._receive_fin()
            return
        d.pending = True
        if had_hole:
            self._send(R_ACK)
        elif p.quickack and d.quick > 0 and not d.pingpong:
            d.quick -= 1
            self._send(R_ACK)
        elif seq_sub(t.rcv_nxt, t.rcv_wup) >= 2 * t.snd_mss:
            # RFC 9293 3.8.6.3: ACK at least every second full-sized segment.
            self._send(R_ACK)
        else:
            self.timers.setdefault(DELAYED_ACK, self.now + p.delack_min_us)

    def _own_reassembler(self) -> Reassembler:
        """The connection's own reassembler, made when it first has something to hold.

        Until then ``reasm`` is the shared empty one, which is only read: everything that
        writes to a reassembler gets it from here.
        """
        if self.reasm is _NO_GAPS:
            self.reasm = Reassembler()
        return self.reasm

    def _deliver(self, data: bytes) -> None:
        self.rcvbuf += data
        self.tcb.rcv_nxt = seq_add(self.tcb.rcv_nxt, len(data))

    def _receive_fin(self) -> None:
        """Eighth check: the peer's FIN, in sequence."""
        t, p = self.tcb, self.profile
        t.rcv_nxt = seq_add(t.rcv_nxt, 1)
        self.eof = True
        if self._trace:
            self._events.append(EofReceived())
        self.last_rcv = self.now
        state = self.state
        if state is SYN_RECEIVED or state is ESTABLISHED:
            self._transition(IN_RCV_FIN, "FIN received")
            self.delack.pending = True
            if p.delay_ack_of_fin:
                # Linux tcp_fin: enter ping-pong mode, so the ACK waits and can ride on our own FIN.
                # Before any data the ACK timeout (icsk_ack.ato) is still 0: the wait is one tick
                # (tests/drill/close_passive.pkt), long enough for an application's close() at once.
                self.delack.pingpong = True
                wait = p.delack_min_us if self.delack.received_data else p.delack_before_data_us
                self.timers.setdefault(DELAYED_ACK, self.now + wait)
            else:
                self._send(R_ACK)
        elif state is FIN_WAIT_1:
            self._transition(IN_RCV_FIN, "FIN received before our FIN was acknowledged")
            self._send(R_ACK)
        elif state is FIN_WAIT_2:
            self._transition(IN_RCV_FIN, "FIN received")
            self._send(R_ACK)
            self._enter_time_wait()
        else:
            self._send(R_ACK)

    def _reset_received(self) -> None:
        state = self.state
        if state is SYN_RECEIVED and self.passive:
            self._transition(IN_RCV_RST, "RST received in SYN_RECEIVED")
        elif state is SYN_RECEIVED:
            self._fail("connection refused", "ECONNREFUSED", IN_RCV_RST)
        elif state in RESET_REPORTED:
            self._fail("connection reset", "ECONNRESET", IN_RCV_RST)
        else:
            self._transition(IN_RCV_RST, "RST received")

    def _challenge_ack(self, seg: Segment, why: str) -> None:
        """RFC 5961 3.2 / 4.2: answer a suspicious segment with an ACK of where we really are."""
        self._drop(seg, why)
        if self._oow_rate_limited():
            self._drop(seg, "challenge ACK rate-limited (one per 500 ms)")
            return
        self.challenge_acks += 1
        self._send(R_CHALLENGE_ACK)

    def _oow_rate_limited(self) -> bool:
        """Linux tcp_oow_rate_limited: at most one such answer per interval per socket."""
        if self.now - self.last_oow_ack < self.profile.invalid_ratelimit_us:
            return True
        self.last_oow_ack = self.now
        return False

    def _retransmit_synack(self, seg: Segment) -> None:
        self._drop(seg, "retransmitted SYN: answer with the SYN-ACK again")
        self._send_syn(R_RETRANSMIT)

    # ------------------------------------------------------------ sending
    def _rcv_window(self) -> int:
        free = self.profile.rcv_buffer - len(self.rcvbuf) - self.reasm.nbytes
        most = self._max_window
        return most if free > most else (free if free > 0 else 0)

    def _last_adv_window_small(self) -> bool:
        """Whether reading opened the window enough to tell the peer (Linux tcp_cleanup_rbuf)."""
        t = self.tcb
        remaining = self._last_adv
        if t.rcv_nxt != t.rcv_wup:  # data came in since our last ACK: the edge is that much nearer
            remaining -= seq_sub(t.rcv_nxt, t.rcv_wup)
            if remaining < 0:
                remaining = 0
        p = self.profile
        needed = 2 * (remaining if remaining > 1 else 1)
        if (p.rcv_buffer >> 1 if p.adv_win_halved else p.rcv_buffer) < needed:
            # Even an empty buffer could not offer that much: most of the window last offered is
            # still open, the usual case (the window below is never above this bound).
            return False
        window = self._rcv_window() >> (1 if p.adv_win_halved else 0)
        return window >= needed

    def _send(self, reason: Reason, flags: Flags = ACK, seq: int = -1, payload: bytes = b"",
              sack: bool = True) -> None:
        """Send a segment with ACK in ``flags``, from ``seq`` (-1: SND.NXT): a bare ACK unless told otherwise.

        It carries our RCV.NXT, the window, timestamps and SACK blocks (unless
        ``sack`` is False).  Every segment but SYNs and bare RSTs goes out here, so
        the window field and what :meth:`_emit` does for an ACK are written out
        rather than called.  (``sack`` is not keyword-only, nor is :meth:`_send_syn`'s
        cookie: CPython 3.11 specialises no call to a function with keyword-only
        parameters, and these two are called for every segment.)
        """
        t, p = self.tcb, self.profile
        if seq < 0:
            seq = t.snd_nxt
        ack = t.rcv_nxt
        if t.ts_ok:
            # nop, nop, TS with our clock and TS.Recent.  The TS clock ticks once a millisecond: most
            # segments reuse the option of the one before.
            tick = self.now // p.ts_tick_us
            if tick != self._ts_tick or t.ts_recent != self._ts_echoed:
                self._ts_tick = tick
                self._ts_echoed = t.ts_recent
                self._ts_options = (NOP, NOP, Timestamps(wrap(tick + t.ts_offset), t.ts_recent))
            options: tuple[Option, ...] = self._ts_options
        else:
            options = ()
        reasm = self.reasm
        if (reasm.pieces or self._dsack) and sack and t.sack_ok:  # the rare part of the test first
            blocks = reasm.sack_blocks(ack)
            if self._dsack:
                blocks = ((self._dsack,) + blocks)[:3]  # a D-SACK block goes first (RFC 2883 4)
                self._dsack = None
            options = options + (NOP, NOP, Sack(blocks))
        # The window field; what it offers becomes the last advertised window.  The receive
        # window is worked out here rather than through _rcv_window.
        unread = len(self.rcvbuf) + reasm.nbytes
        free = p.rcv_buffer - unread
        if p.adv_win_halved:
            # Linux keeps half the buffer for overhead (tcp_adv_win_scale = 1); the field's limit
            # applies to what is left, or an unscaled window would be halved to 32767.
            free >>= 1
        most = self._max_window
        window = most if free > most else (free if free > 0 else 0)
        if p.rcv_ssthresh_clamp and self._syn_window:
            # Linux offers no more than rcv_ssthresh, which starts at the SYN's window and, in a
            # short exchange, leaves out what sits unread; the right edge then stays put, rounded
            # up to the scale unit (tests/drill: data_read, data_out_of_order_sack).
            clamp = self._syn_window - unread
            if clamp < window:
                window = clamp
        # Never move the right edge back (RFC 9293 3.8.6.2.2), and round up to the scale's unit
        # as Linux does (__tcp_select_window), so a few unread bytes do not shrink the field.
        remaining = self._last_adv
        if ack != t.rcv_wup:  # data came in since our last ACK: the edge is that much nearer
            received = ack - t.rcv_wup
            remaining -= received if received >= 0 else wrap(received)  # wrap() only if the space wrapped
        if remaining > window:
            window = remaining
        scale = t.rcv_wscale
        field = -(-window >> scale)  # rounded up: the negation shifted down (a floor), negated back
        if field > MAX_WINDOW_FIELD:
            field = MAX_WINDOW_FIELD
        self._last_adv = field << scale
        seg = Segment(self.local[1], self.remote[1], seq, ack, flags, field, options, payload)
        # What _emit does for an ACK: it covers all we received, no delayed ACK is owed.
        t.rcv_wup = ack
        self.delack.pending = False
        timers = self.timers
        if DELAYED_ACK in timers:
            del timers[DELAYED_ACK]
        self._out.append(seg)
        if self._trace:
            self._events.append(SegmentSent(segment=seg, reason=reason))

    def _emit(self, seg: Segment, reason: Reason) -> None:
        """Send a segment built elsewhere (a SYN, SYN-ACK or RST)."""
        if seg.bits & ACK_BIT:
            t = self.tcb
            t.rcv_wup = t.rcv_nxt
            self.delack.pending = False
            if DELAYED_ACK in self.timers:
                del self.timers[DELAYED_ACK]
        self._out.append(seg)
        if self._trace:
            self._events.append(SegmentSent(segment=seg, reason=reason))

    def _send_syn(self, reason: Reason, fastopen_cookie: bytes | None = None) -> None:
        """SYN (SYN_SENT) or SYN-ACK (SYN_RECEIVED), always from ISS with the full options."""
        t, p = self.tcb, self.profile
        synack = self.state is SYN_RECEIVED
        if synack:
            flags = SYN_ACK_ECN if t.ecn_ok else SYN_ACK
        else:
            self.ecn_requested = self.ecn_requested or (p.ecn == 1 and reason is not R_RETRANSMIT)
            flags = SYN_ECN if self.ecn_requested else SYN
        tsval = ts_clock(p, self.now, t.ts_offset)
        if synack and not self.passive and p.simultaneous_synack_full_options:
            options = syn_options(p, self.ctx.route_mss, tsval, t.ts_recent, offer_wscale=p.window_scale)
        elif synack:
            options = syn_options(p, self.ctx.route_mss, tsval, t.ts_recent, offer_sack=t.sack_ok,
                                  offer_ts=t.ts_ok, offer_wscale=t.rcv_wscale if self.wscale_agreed else None,
                                  fastopen=self.synack_cookie, fastopen_exp=self.fastopen_exp)
        else:
            options = syn_options(p, self.ctx.route_mss, tsval, 0,
                                  offer_wscale=p.window_scale, fastopen=fastopen_cookie,
                                  fastopen_exp=self.fastopen_exp)
        payload = b""
        if fastopen_cookie and self.sndbuf and reason is not R_RETRANSMIT:
            # RFC 7413 3: with a cookie, the SYN carries data.
            room = self.ctx.route_mss - 40
            payload = bytes(self.sndbuf[:room])
            self.syn_data = len(payload)
            t.snd_nxt = t.snd_max = seq_add(t.iss, 1 + len(payload))
        # A SYN-ACK already knows whether timestamps will cost 12 bytes a segment.
        window = self._last_adv = self._syn_window = initial_window(self.ctx.route_mss, synack and t.ts_ok)
        seg = Segment(self.local[1], self.remote[1], t.iss, t.rcv_nxt if synack else 0, flags, window, options,
                      payload)
        if reason is not R_RETRANSMIT:
            # The SYN is acknowledged once the ACK reaches ISS+1, where our data starts (sndbuf_seq).
            self.rtt.start(self.sndbuf_seq, self.now)
        self._emit(seg, reason)

    def _synchronize(self, irs: int, mss: int | None, wscale: int | None, sack: bool,
                     tsval: int | None) -> None:
        """Take the peer's SYN: its sequence space starts at ``irs`` (RFC 9293 3.3.1: IRS, RCV.NXT =
        IRS+1), and MSS, window scale, SACK and timestamps are settled (RFC 7323 2.2, 3.2).

        The options are what the SYN offered, as :func:`peer_options` reads them.
        """
        t, p = self.tcb, self.profile
        t.irs = irs
        t.rcv_nxt = t.rcv_wup = seq_add(irs, 1)
        peer_mss = t.peer_mss = mss if mss is not None else DEFAULT_MSS
        if wscale is not None and p.window_scale is not None:
            self.wscale_agreed = True
            t.snd_wscale = wscale
            t.rcv_wscale = p.window_scale
        else:
            self.wscale_agreed = False
            t.snd_wscale = t.rcv_wscale = 0
        self._max_window = MAX_WINDOW_FIELD << t.rcv_wscale  # set with the scale, whichever it is
        t.sack_ok = sack and p.sack
        if tsval is not None and p.timestamps:
            t.ts_ok = True
            t.ts_recent = tsval
            snd_mss = -TS_OPTION_BYTES  # what the timestamps take from every segment
        else:
            t.ts_ok = False
            snd_mss = 0
        route_mss = self.ctx.route_mss
        snd_mss += peer_mss if peer_mss < route_mss else route_mss
        t.snd_mss = snd_mss if snd_mss > 1 else 1

    def _unsent(self) -> int:
        return len(self.sndbuf) - max(0, seq_sub(self.tcb.snd_nxt, self.sndbuf_seq))

    def _output(self, reason: Reason | None = None) -> None:
        """Send what the windows allow (RFC 9293 3.8.6, RFC 5681), then the FIN if it is due."""
        t = self.tcb
        if not self.sndbuf and not self.fin_queued:
            return  # the common case after an ACK: nothing waits to be sent
        if self.state not in _OUTPUT_STATES:
            if not (self.state is SYN_RECEIVED and self.parent is not None and self.parent.fastopen_child(self)):
                return
        sndbuf = self.sndbuf
        buffered = len(sndbuf)
        # Where SND.NXT lies in the buffer, and the bytes in flight: worked out once, then moved
        # along with each segment sent.
        offset = 0 if t.snd_nxt == self.sndbuf_seq else seq_sub(t.snd_nxt, self.sndbuf_seq)
        if offset < 0:
            return
        # The buffer starts at SND.UNA but while our SYN or FIN is unacknowledged.
        flight = offset if self.sndbuf_seq == t.snd_una else seq_sub(t.snd_nxt, t.snd_una)
        mss = t.snd_mss
        sent_any = False
        while True:
            avail = buffered - offset
            if avail > 0:
                cwnd_bytes = self.cc.cwnd * mss
                wnd = t.snd_wnd if t.snd_wnd < cwnd_bytes else cwnd_bytes
                usable = wnd - flight  # what the window leaves beyond the flight
                n = avail if avail < mss else mss
                if usable < n:
                    n = usable
                if n <= 0:
                    if t.snd_wnd == 0 and t.snd_una == t.snd_max:
                        self.timers[PERSIST] = self.now + self.rtt.backed_off(self.retries)
                    break
                if (n < mss and n == avail and not self.fin_queued
                        and (t.snd_nxt == t.snd_max or seq_gt(t.snd_nxt, t.snd_max))
                        and self.snd_sml != t.snd_una and seq_gt(self.snd_sml, t.snd_una)):
                    # Nagle (RFC 9293 3.7.4) with Minshall's refinement, as Linux has it
                    # (tcp_minshall_check): hold a small segment only while an earlier small one
                    # is unacknowledged.
                    break
                end = offset + n
                last = end == buffered
                fin = last and self.fin_queued
                if fin:
                    flags = ACK_PSH_FIN
                else:
                    flags = ACK_PSH if last else ACK
                # The whole buffer (the usual short write) is copied once, without a slice first.
                payload = bytes(sndbuf) if offset == 0 and last else bytes(sndbuf[offset:end])
                self._send_data(flags, payload, fin, reason)
                sent_any = True
                if last:
                    break  # the buffer is all sent, and a queued FIN with it
                offset, flight = end, flight + n
            elif self.fin_queued and t.snd_nxt == self.fin_seq:
                self._send_data(ACK_FIN, b"", True, reason)
                sent_any = True
                break
            else:
                break
            if reason is R_RETRANSMIT:
                break  # after a timeout, one segment; the ACK clock sends the rest
        if sent_any:
            # The retransmission timer runs on if it runs (setting it to rto_at leaves it as it
            # is); else it starts with the RTO, not yet backed off (rtt.backed_off(0)) unless this
            # is a retransmission.  After new data a tail loss probe takes its place.
            timers = self.timers
            if RETRANSMIT in timers:
                rto_at = timers[RETRANSMIT]
            else:
                rtt = self.rtt
                rto_at = self.now + (rtt.backed_off(self.retries) if self.retries else rtt.rto)
            if reason is R_RETRANSMIT or reason is R_PMTU_RETRANSMIT or not self._schedule_loss_probe(rto_at):
                timers[RETRANSMIT] = rto_at

    def _send_data(self, flags: Flags, payload: bytes, fin: bool, reason: Reason | None) -> None:
        """Send ``payload`` (and a FIN when ``fin``, which ``flags`` carries) from SND.NXT."""
        t, p = self.tcb, self.profile
        seq = t.snd_nxt
        size = len(payload)
        end = seq_add(seq, size + fin)  # SEG.SEQ + SEG.LEN: never a SYN here
        t.snd_nxt = end
        if seq == t.snd_max:  # new data, the usual case: it moves SND.MAX
            retransmission = False
            t.snd_max = end
        else:
            retransmission = seq_lt(seq, t.snd_max)
            if seq_gt(end, t.snd_max):
                t.snd_max = end
        if size and size < t.snd_mss:
            self.snd_sml = end
        if not retransmission:
            rtt = self.rtt
            if rtt.timed_seq is None:  # rtt.start(end, now): time this segment unless one is timed
                rtt.timed_seq, rtt.timed_at = end, self.now
        d = self.delack
        if payload and self.now - d.last_data_at < p.delack_min_us and p.pingpong and d.received_data:
            # Linux tcp_event_data_sent: answering soon after receiving means an interactive exchange.
            d.pingpong = True
        if reason is None:
            if retransmission:
                reason = R_RETRANSMIT
            else:
                reason = R_FIN if (fin and not payload) else R_DATA
        self._send(reason, flags, seq, payload)

    def _resend_from(self, seq: int) -> None:
        """Send again from ``seq`` (fast retransmit, loss probe): one segment, SND.NXT kept."""
        t = self.tcb
        saved = t.snd_nxt
        t.snd_nxt = seq
        self.rtt.forget()
        self._output(R_RETRANSMIT)
        if seq_lt(t.snd_nxt, saved):
            t.snd_nxt = saved

    # --------------------------------------------------------- state changes
    def _transition(self, event: Input, cause: str) -> None:
        old = self.state
        new = self.state = NEXT_STATE[old][event]
        if self._trace:
            self._events.append(StateChanged(old=old, new=new, cause=cause))
        if new is CLOSED:
            # Closed: no timer runs any more, and the owner (listener or host) is told.
            self.timers.clear()
            callback, self.on_close = self.on_close, None
            if callback is not None:
                callback(self)

    def _became_established(self) -> None:
        self.retries = 0
        self.last_rcv = self.delack.last_data_at = self.now
        if not self.established_reported:
            self.established_reported = True
            if self._trace:
                self._events.append(Established())
        if self.keepalive is not None:
            self.timers[KEEPALIVE] = self.now + self.keepalive.idle_us
        if self.parent is not None:
            self.parent.child_established(self)
        if self.fin_queued and self.state is ESTABLISHED:
            # close() during SYN_RECEIVED queued a FIN; RFC 9293 3.10.4 sends it now.
            self._transition(IN_CLOSE, "queued close() after the handshake")

    def _close_send_side(self) -> None:
        state = self.state
        if state is CLOSED:
            raise ConnectionDoesNotExist()
        if self.fin_queued:
            raise ConnectionClosing()
        if state is SYN_SENT:
            self._transition(IN_CLOSE, "close() before the handshake finished")
            return
        if state not in CLOSE_QUEUES_FIN:
            raise ConnectionClosing()
        self.fin_queued = True
        self.fin_seq = seq_add(self.sndbuf_seq, len(self.sndbuf)) if self.sndbuf else self.sndbuf_seq
        if state is not SYN_RECEIVED:
            self._transition(IN_CLOSE, "close()" if self.orphaned else "shutdown(SHUT_WR)")
        self._output()

    def _enter_time_wait(self) -> None:
        self.timers.clear()
        self.timers[TIME_WAIT_TIMER] = self.now + self.profile.time_wait_us

    def _arm_fin_wait_2(self) -> None:
        if self.profile.fin_timeout_us > 0:
            self.timers[FIN_WAIT_2_TIMER] = self.now + self.profile.fin_timeout_us

    def _reset_and_close(self, cause: str, event: Input, error: tuple[str, str] | None = None) -> None:
        t = self.tcb
        if self.profile.abort_rst_ack:
            # Window and timestamps as on any segment, but never SACK blocks.
            self._send(R_RST, RST_ACK, t.snd_nxt, sack=False)
        else:
            self._emit(Segment(self.local[1], self.remote[1], t.snd_nxt, 0, RST, 0), R_RST)
        if error:
            self.error = error[0]
            self._events.append(ErrorReported(error=error[0], errno_name=error[1]))
        self._transition(event, cause)

    def _fail(self, error: str, errno_name: str, event: Input) -> None:
        self.error = error
        self._events.append(ErrorReported(error=error, errno_name=errno_name))
        self._transition(event, error)  # to CLOSED, which clears the timers and tells the owner

    def _drop(self, seg: Segment, reason: str) -> None:
        if self._trace:  # untraced, the event would only be swallowed: not even built
            self._events.append(SegmentDropped(segment=seg, reason=reason))
