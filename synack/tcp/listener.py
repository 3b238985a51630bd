"""A listening socket: the LISTEN state, the SYN queue, the accept queue and SYN cookies.

RFC 9293 3.10.7.2 (SEGMENT ARRIVES in LISTEN), RFC 4987 (SYN flooding and
SYN cookies, with Linux's encoding from :mod:`synack.tcp.cookies`) and RFC
7413 section 4 (the Fast Open server: cookie issue and check, data accepted
with the SYN) and Linux's TCP_DEFER_ACCEPT (inet_csk_listen, syn_ack_recalc,
tcp_check_req: a bare ACK leaves the connection in the SYN queue until data
comes).  A SYN makes a child :class:`~synack.tcp.endpoint.Connection`
in SYN_RECEIVED (Linux's request socket plays this part); once the handshake
completes the child moves to the accept queue.  With cookies the listener
keeps no state at all until a valid ACK comes back.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from . import cookies
from .endpoint import RST, SYN_ACK, Connection, Context, PeerOptions, initial_window, syn_options, ts_clock
from .errors import ConnectionDoesNotExist
from .events import R_RST, R_SYN_ACK_COOKIE, Event, Reason, SegmentDropped, SegmentSent, StateChanged
from .options import FastOpen, Mss, Timestamps
from .segment import Segment
from .seq import seq_add
from .states import CLOSED, IN_CLOSE, IN_PASSIVE_OPEN, NEXT_STATE, Input

SYN_BIT, RST_BIT, ACK_BIT = 0x02, 0x04, 0x10


class Listener:
    def __init__(self, ctx: Context, local: tuple[str, int], backlog: int = 128, *,
                 defer_accept_s: int = 0) -> None:
        self.ctx = ctx
        self.profile = ctx.profile
        self.local = local
        self.backlog = backlog
        self.state = CLOSED
        self.syn_queue: dict[tuple[str, int], Connection] = {}
        self.accept_queue: deque[Connection] = deque()
        self.fastopen_children: set[int] = set()
        # Counters as nstat names them: TcpExtSyncookiesSent, TcpExtSyncookiesRecv, TcpExtTCPReqQFullDrop.
        self.cookies_sent = 0
        self.cookies_validated = 0
        self.syn_dropped = 0
        # TCP_DEFER_ACCEPT in seconds becomes a count of SYN-ACK timeouts (Linux secs_to_retrans).
        self.defer_retrans = secs_to_retrans(defer_accept_s, ctx.profile.initial_rto_us // 1_000_000 or 1,
                                             ctx.profile.rto_max_us // 1_000_000)
        self.deferred_acks_dropped = 0
        self._out: list[tuple[tuple[str, int], Segment]] = []
        self._trace = ctx.trace
        # Untraced, events are swallowed at once (a flood would otherwise keep one per SYN).
        self._events: Any = [] if ctx.trace else deque(maxlen=0)
        # What every cookie SYN-ACK shares: the MSS option (Linux cookie_v4_init).
        self._mss_only = (Mss(ctx.route_mss),)

    def open_passive(self, now: int) -> None:
        """OPEN, passive (RFC 9293 3.10.1)."""
        self._transition(IN_PASSIVE_OPEN, "listen()")

    def close(self, now: int) -> None:
        if self.state is CLOSED:
            raise ConnectionDoesNotExist()
        self._transition(IN_CLOSE, "close() on the listening socket")

    def _transition(self, event: Input, cause: str) -> None:
        new = NEXT_STATE[self.state][event]
        self._events.append(StateChanged(old=self.state, new=new, cause=cause))
        self.state = new

    def segments_to_send(self) -> list[tuple[tuple[str, int], Segment]]:
        """Segments the listener itself sends (RSTs, cookie SYN-ACKs), each with its destination."""
        out, self._out = self._out, []
        return out

    def events(self) -> list[Event]:
        if not self._trace:
            return []
        out, self._events = self._events, []
        return out

    def accept(self) -> Connection | None:
        return self.accept_queue.popleft() if self.accept_queue else None

    # ------------------------------------------------------------------ input
    def receive(self, remote: tuple[str, int], seg: Segment, now: int, *, isn: int | None = None) -> Connection | None:
        """RFC 9293 3.10.7.2.  Returns a new child connection when the segment makes one.

        ``isn`` is given when the SYN took over a TIME_WAIT connection.
        """
        p = self.profile
        bits = seg.bits
        if not seg.checksum_ok:
            self._drop(seg, "bad checksum")
            return None
        # First: an RST is ignored.
        if bits & RST_BIT:
            self._drop(seg, "RST to a listening socket is ignored")
            return None
        # Second: an ACK is answered with an RST, unless it brings back a valid SYN cookie.
        if bits & ACK_BIT:
            if not bits & SYN_BIT and p.syncookies and self._cookie_mode_recently():
                child = self._child_from_cookie(remote, seg, now)
                if child is not None:
                    return child
            self._send(remote, Segment(self.local[1], remote[1], seg.ack, 0, RST, 0), R_RST)
            self._drop(seg, "ACK to a listening socket")
            return None
        # Third: a SYN makes a child, or a cookie when the SYN queue is full.
        if not bits & SYN_BIT:
            self._drop(seg, "neither SYN, ACK nor RST")
            return None
        if p.syncookies == 2 or (p.syncookies == 1 and len(self.syn_queue) >= p.max_syn_backlog):
            self._send_cookie_synack(remote, seg, now)
            return None
        if len(self.syn_queue) >= p.max_syn_backlog or len(self.accept_queue) >= self.backlog:
            self.syn_dropped += 1
            self._drop(seg, "SYN queue full")
            return None
        return self._child_from_syn(remote, seg, now, isn)

    def _child_from_syn(self, remote: tuple[str, int], seg: Segment, now: int, isn: int | None) -> Connection:
        fastopen_data = synack_cookie = None
        if self.profile.fastopen & 0x202 == 0x202 and seg.payload:
            # TFO_SERVER_COOKIE_NOT_REQD: data on any SYN is taken, and no cookie is handed out.
            fastopen_data = seg.payload
        elif self.profile.fastopen & 2:
            peer_cookie = next((o.cookie for o in seg.options if isinstance(o, FastOpen)), None)
            if peer_cookie is not None:
                good = cookies.fastopen_cookie(self.ctx.fastopen_key, remote[0])
                if peer_cookie == good and seg.payload:
                    fastopen_data = seg.payload
                elif peer_cookie != good:
                    # A request, or a wrong cookie: hand out the right one (RFC 7413 4.1.2).
                    synack_cookie = good
        child = Connection.from_syn(self, remote, seg, now, iss=isn, fastopen_data=fastopen_data,
                                    synack_cookie=synack_cookie, on_close=self._child_closed)
        self.syn_queue[remote] = child
        if fastopen_data is not None:
            # RFC 7413 4.2.2: the application may accept it before the handshake completes.
            self.fastopen_children.add(id(child))
            self.accept_queue.append(child)
        return child

    def fastopen_child(self, child: Connection) -> bool:
        """A Fast Open child may send before the handshake completes (RFC 7413 4.2.2)."""
        return id(child) in self.fastopen_children

    def defer_bare_ack(self, child: Connection, seg: Segment) -> bool:
        """TCP_DEFER_ACCEPT: drop a bare ACK that completes the handshake (Linux tcp_check_req).

        Until the SYN-ACK has timed out ``defer_retrans`` times, an ACK without
        data leaves the connection in the SYN queue: only data wakes accept().
        """
        if seg.payload or seg.fin or child.retries >= self.defer_retrans:
            return False
        child.deferred_ack_seen = True
        self.deferred_acks_dropped += 1
        child._drop(seg, "TCP_DEFER_ACCEPT: a bare ACK does not complete the handshake; waiting for data")
        return True

    def deferred_synack_timeout(self, child: Connection) -> tuple[bool, bool]:
        """Linux syn_ack_recalc: (give up, resend the SYN-ACK) when the SYN-ACK timer fires.

        After the bare ACK came, the SYN-ACK is not resent while waiting for
        data, only from the last deferring timeout on, as a last chance.
        """
        timeouts = child.retries - 1  # Linux's num_timeout before this expiry
        max_retries = len(self.profile.synack_schedule_us) - 1
        acked = child.deferred_ack_seen
        expire = timeouts >= max_retries and (not acked or timeouts >= self.defer_retrans)
        resend = not acked or timeouts >= self.defer_retrans - 1
        return expire, resend

    def child_established(self, child: Connection) -> None:
        self.syn_queue.pop(child.remote, None)
        # Out of the SYN queue, the child is the application's: its close is no longer ours to hear.
        child.on_close = None
        if self.fastopen_children and id(child) in self.fastopen_children:  # usually there are none
            self.fastopen_children.discard(id(child))
            return  # already in the accept queue
        self.accept_queue.append(child)

    def _child_closed(self, child: Connection) -> None:
        self.syn_queue.pop(child.remote, None)
        if self.fastopen_children:  # usually there are none
            self.fastopen_children.discard(id(child))

    # ------------------------------------------------------------- SYN cookies
    def _cookie_mode_recently(self) -> bool:
        return self.profile.syncookies == 2 or self.cookies_sent > 0

    def _send_cookie_synack(self, remote: tuple[str, int], seg: Segment, now: int) -> None:
        """A SYN-ACK whose ISN is the cookie; nothing is remembered (RFC 4987 3.6)."""
        p, ctx = self.profile, self.ctx
        peer = PeerOptions.parse(seg)
        client_mss = peer.mss if peer.mss is not None else 536
        isn = cookies.make_syn_cookie(ctx.syncookie_secret, self.local, remote, seg.seq, client_mss, now)
        if peer.tsval is not None and p.timestamps:
            ts_now = ts_clock(p, now, ctx.isn_gen.ts_offset(self.local, remote))
            tsval = cookies.cookie_tsval(ts_now, peer.wscale, peer.sack)
            options = syn_options(p, ctx.route_mss, tsval, peer.tsval, offer_sack=peer.sack,
                                  offer_ts=True,
                                  offer_wscale=p.window_scale if peer.wscale is not None else None)
        else:
            # Without timestamps there is nowhere to keep wscale or SACK: MSS only (Linux cookie_v4_init).
            options = self._mss_only
        window = initial_window(ctx.route_mss, peer.tsval is not None and p.timestamps)
        synack = Segment(self.local[1], remote[1], isn, seq_add(seg.seq, 1), SYN_ACK, window, options)
        self.cookies_sent += 1
        self._send(remote, synack, R_SYN_ACK_COOKIE)

    def _child_from_cookie(self, remote: tuple[str, int], seg: Segment, now: int) -> Connection | None:
        ctx = self.ctx
        mss = cookies.check_syn_cookie(ctx.syncookie_secret, self.local, remote, seg.ack, seg.seq, now)
        if mss is None:
            return None
        peer_ts = next((o for o in seg.options if isinstance(o, Timestamps)), None)
        wscale, sack = (None, False)
        if peer_ts is not None:
            wscale, sack = cookies.decode_cookie_tsecr(peer_ts.tsecr)
        peer = PeerOptions(mss, wscale, sack, peer_ts.tsval if peer_ts else None, None)
        self.cookies_validated += 1
        return Connection.from_cookie(self, remote, seg, now, peer=peer, on_close=self._child_closed)

    # ---------------------------------------------------------------- helpers
    def _send(self, remote: tuple[str, int], seg: Segment, reason: Reason) -> None:
        self._out.append((remote, seg))
        if self._trace:
            self._events.append(SegmentSent(segment=seg, reason=reason))

    def _drop(self, seg: Segment, reason: str) -> None:
        if self._trace:  # untraced, the event would only be swallowed: not even built
            self._events.append(SegmentDropped(segment=seg, reason=reason))


def secs_to_retrans(seconds: int, timeout: int, rto_max: int) -> int:
    """Linux secs_to_retrans: how many doubling SYN-ACK timeouts cover ``seconds``."""
    if seconds <= 0:
        return 0
    res, period = 1, timeout
    while seconds > period and res < 255:
        res += 1
        timeout = min(timeout * 2, rto_max)
        period += timeout
    return res
