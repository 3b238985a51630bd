"""Both ends' TCP states inferred from a capture: RFC 9293's state machine run from the outside.

A capture shows segments at one point of the path, not what each end did.
The observer runs, for each end of a connection, the transitions of
``synack.tcp.states.TRANSITIONS`` (RFC 9293 section 3.3.2, figure 5, and
section 3.10) on what that end *sent* and what it *received*, with these
rules of evidence (the same a reader of a tcptrace plot uses):

- A segment seen leaving A reaches B later, or is lost.  Its effect on B is
  held "in flight" until B itself sends: B's acknowledgment number then says
  whether it had arrived (RFC 9293 3.10.7.4: an ACK carries RCV.NXT).  A
  segment that B's next segment does not acknowledge had not arrived yet (or
  arrives out of order); a segment that A sends again before B acknowledged it
  was lost (Karn: the copy may be spurious, so the note says "inferred").  A
  segment that takes no sequence space (a pure ACK, an RST) is taken as
  arrived unless B then retransmits something it acknowledged, which shows
  B never got it.  What is still in flight when the capture ends is taken as
  delivered, except to an end that never answered at all: its state stays
  unknown.
- An arrival is shown at the moment of the segment itself when B sent
  nothing in between, otherwise just after B's last segment that did not yet
  acknowledge it.  So a simultaneous open or close (SYNs or FINs that cross)
  comes out as RFC 9293's figures 7 and 13 draw them.
- ``client`` is the end that sent the connection's first segment in the
  capture, ``server`` the other.  An end whose history began before the
  capture gets the state its first segment implies, marked with ``?``
  (``ESTABLISHED?``); the mark stays until the end reaches a state every
  history leads to (CLOSED, TIME_WAIT) or goes through a handshake seen here.
  An end that never sent anything and was sent only SYNs is ``?``: nothing
  says whether anyone was there.
- An RST moves its receiver only if acceptable (RFC 9293 3.10.7.3 for
  SYN-SENT; RFC 5961 3.2 exact match otherwise, as Linux does); an in-window
  RST that is not exact draws a challenge ACK instead.
- TIME_WAIT ends ``time_wait_us`` (60 s on Linux, TCP_TIMEWAIT_LEN) after it
  began; if the capture ends sooner the end is left in TIME_WAIT with the
  time it will end.  A new SYN on the same 4-tuple ends it at once (RFC 6191).

The observer takes plain numbers (no :class:`Segment`), so the same code
serves the one-line summary of a million-packet capture and the step-by-step
trace of one connection.
"""

from __future__ import annotations

from synack.tcp.seq import MASK, seq_le, seq_lt
from synack.tcp.states import TRANSITIONS, Input

FIN, SYN, RST, ACK = 0x01, 0x02, 0x04, 0x10

# Plain strings and a string-keyed copy of the table: reading an Enum member costs a
# descriptor call, and the summary of a large capture makes millions of these lookups.
CLOSED, LISTEN, SYN_SENT, SYN_RECEIVED, ESTABLISHED = "CLOSED", "LISTEN", "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED"
FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING = "FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING"
LAST_ACK, TIME_WAIT = "LAST_ACK", "TIME_WAIT"
TABLE: dict[tuple[str, Input], str] = {(state.value, event): target.value
                                       for (state, event), (target, _) in TRANSITIONS.items()}
ACTIVE_OPEN, CLOSE, ABORT = Input.ACTIVE_OPEN, Input.CLOSE, Input.ABORT
RCV_SYN, RCV_SYN_ACK, RCV_ACK_OF_SYN = Input.RCV_SYN, Input.RCV_SYN_ACK, Input.RCV_ACK_OF_SYN
RCV_FIN, RCV_ACK_OF_FIN, RCV_RST = Input.RCV_FIN, Input.RCV_ACK_OF_FIN, Input.RCV_RST
TIME_WAIT_EXPIRED, REOPENED = Input.TIME_WAIT_EXPIRED, Input.REOPENED
LINUX_TIME_WAIT_US = 60_000_000
UNKNOWN = "?"

_CERTAIN = frozenset({CLOSED, TIME_WAIT})
# States where an arriving ACK or data without SYN, FIN or RST changes nothing (RFC 9293 3.10.7.4).
_QUIET = frozenset({ESTABLISHED, FIN_WAIT_2, CLOSE_WAIT, TIME_WAIT, CLOSED})


class End:
    """What is known of one end: its state, whether that is sure, and its sequence numbers."""

    __slots__ = ("name", "state", "sure", "iss", "snd_nxt", "fin_seq", "sent", "last_send", "rcv_nxt",
                 "tw_since", "data_start", "data_end", "retransmissions", "initial")

    def __init__(self, name: str) -> None:
        self.name = name
        self.state: str | None = None   # None: not known yet (decided by its first segment)
        self.sure = True
        self.iss: int | None = None
        self.snd_nxt: int | None = None
        self.fin_seq: int | None = None
        self.sent = 0
        self.last_send = -1             # step index of its latest segment
        self.rcv_nxt: int | None = None  # its latest acknowledgment number
        self.tw_since: int | None = None
        self.data_start: int | None = None
        self.data_end: int | None = None
        self.retransmissions = 0
        self.initial: str | None = None

    def shown(self) -> str:
        if self.state is None:
            return UNKNOWN
        return self.state if self.sure else self.state + "?"


class Step:
    """One captured segment of a connection and what the observer made of it."""

    __slots__ = ("index", "number", "ts_us", "from_client", "flags", "seq", "ack", "length", "window",
                 "lost", "retransmission", "note", "seg_len", "end_seq")

    def __init__(self, index: int, number: int, ts_us: int, from_client: bool, flags: int, seq: int, ack: int,
                 length: int, window: int) -> None:
        self.index = index
        self.number = number            # packet number in the file, from 1
        self.ts_us = ts_us
        self.from_client = from_client
        self.flags = flags
        self.seq = seq
        self.ack = ack
        self.length = length
        self.window = window
        self.lost = False
        self.retransmission = False
        self.note = ""
        self.seg_len = length + ((flags >> 1) & 1) + (flags & FIN)  # SEG.LEN: SYN and FIN count one each
        self.end_seq = (seq + self.seg_len) & MASK


class Connection:
    """One TCP connection of a capture, observed segment by segment (:meth:`add`), then :meth:`finish`-ed."""

    # Slots: a summary keeps one of these per connection, and a capture may hold a million.
    __slots__ = ("number", "client_addr", "server_addr", "time_wait_us", "record", "client", "server", "first_us",
                 "first_number", "last_us", "packets", "steps", "changes", "pending", "rst_by", "refused", "syn_us",
                 "synack_us", "ack_us", "first_data_us", "first_data", "data_rtt_us", "fin_order", "fin_acked_first",
                 "finished", "_when")

    def __init__(self, number: int, client: tuple[bytes, int], server: tuple[bytes, int], *,
                 time_wait_us: int = LINUX_TIME_WAIT_US, record: bool = True) -> None:
        self.number = number
        self.client_addr = client
        self.server_addr = server
        self.time_wait_us = time_wait_us
        self.record = record
        self.client = End("client")
        self.server = End("server")
        self.first_us: int | None = None
        self.first_number = 0
        self.last_us = 0
        self.packets = 0
        self.steps: list[Step] = []
        self.changes: list[tuple[int, int, str, str, str]] = []  # (step, phase, end, state, cause)
        self.pending: dict[str, list[Step]] = {"client": [], "server": []}  # in flight toward that end
        self.rst_by: str | None = None
        self.refused = False
        self.syn_us: int | None = None
        self.synack_us: int | None = None
        self.ack_us: int | None = None
        self.first_data_us: int | None = None
        self.first_data: tuple[bool, int] | None = None  # (from the client?, its end): to time its ACK
        self.data_rtt_us: int | None = None  # first data to the ACK that covers it, at the capture point
        self.fin_order: list[tuple[str, bool]] = []  # (who, whether its FIN acknowledged the other's FIN)
        self.fin_acked_first: bool = False  # second closer acknowledged the first FIN before its own
        self.finished = False
        self._when = 0  # capture time of the segment being applied: when a TIME_WAIT begins

    # ---------------------------------------------------------------- state changes
    def _set(self, end: End, state: str, step: int, phase: int, cause: str, sure: bool | None = None) -> None:
        if end.state is None and end.initial is None:
            end.initial = UNKNOWN
        end.state = state
        if sure is not None:
            end.sure = sure
        if state in _CERTAIN:
            end.sure = True
        if state == TIME_WAIT:
            end.tw_since = self._when
        if self.record:
            self.changes.append((step, phase, end.name, end.shown(), cause))

    def _move(self, end: End, event: Input, step: int, phase: int) -> bool:
        """Take the transition ``(end.state, event)`` if RFC 9293's table has it."""
        if end.state is None:
            return False
        target = TABLE.get((end.state, event))
        if target is None:
            return False
        self._set(end, target, step, phase, event.value)
        return True

    def _start(self, end: End, state: str, sure: bool) -> None:
        """The state an end was in when the capture first shows it."""
        end.state = state
        end.sure = sure
        end.initial = end.shown()

    # ---------------------------------------------------------------- input
    def add(self, number: int, ts_us: int, from_client: bool, flags: int, seq: int, ack: int, length: int,
            window: int = 0) -> None:
        """One segment seen in the capture, in capture order."""
        if self.first_us is None:
            self.first_us = ts_us
            self.first_number = number
        self.last_us = ts_us
        index = self.packets
        self.packets += 1
        step = Step(index, number, ts_us, from_client, flags, seq, ack, length, window)
        if self.record:
            self.steps.append(step)
        if from_client:
            sender, receiver = self.client, self.server
        else:
            sender, receiver = self.server, self.client
        if self.client.tw_since is not None or self.server.tw_since is not None:
            self._expire_time_wait(ts_us, index - 1)
        if sender.state is None:
            self._first_segment(sender, step)
        if self.pending[sender.name]:
            self._resolve(sender, step)
        self._send(sender, step)
        self.pending[receiver.name].append(step)
        # The statistics only change around the handshake, the first data and its ACK.
        if flags & (SYN | RST) or length or self.ack_us is None or self.data_rtt_us is None:
            self._statistics(sender, step)

    def _expire_time_wait(self, now: int, step: int) -> None:
        if self.client.tw_since is None and self.server.tw_since is None:
            return
        for end in (self.client, self.server):
            if end.state == TIME_WAIT and end.tw_since is not None \
                    and now >= end.tw_since + self.time_wait_us:
                self._move(end, TIME_WAIT_EXPIRED, max(step, 0), 2)

    def _resolve(self, end: End, sending: Step) -> None:
        """``end`` is sending: settle what was in flight toward it, from what its segment says."""
        queue = self.pending[end.name]
        if not queue:
            return
        keep = []
        acks = sending.flags & ACK
        for p in queue:
            if p.seg_len:
                if acks and seq_le(p.end_seq, sending.ack):
                    self._arrive(end, p, max(p.index, end.last_send))
                else:
                    keep.append(p)
            elif sending.seg_len and p.flags & ACK and seq_le(sending.end_seq, p.ack) \
                    and end.snd_nxt is not None and seq_lt(sending.seq, end.snd_nxt):
                p.lost = True  # it acknowledged what ``end`` now sends again: it never got there
            else:
                self._arrive(end, p, p.index)
        self.pending[end.name] = keep

    def _first_segment(self, end: End, s: Step) -> None:
        """The first segment seen from an end says what it was doing before."""
        flags = s.flags
        other = self.client if end is self.server else self.server
        if flags & RST or (flags & SYN and not flags & ACK):
            self._start(end, CLOSED, True)
        elif flags & SYN:
            if other.iss is not None and s.ack == (other.iss + 1) & MASK or (
                    other.iss is not None and other.state == SYN_SENT):
                self._start(end, LISTEN, True)
            else:
                self._start(end, SYN_RECEIVED, False)  # its SYN came before the capture
        else:
            self._start(end, ESTABLISHED, False)

    def _send(self, end: End, s: Step) -> None:
        """The sender's side of a segment: what it must have done to send it."""
        k = s.index
        flags = s.flags
        # A copy of something still in flight: the earlier one was lost (or is late).
        if s.seg_len and end.snd_nxt is not None and seq_lt(s.seq, end.snd_nxt):
            s.retransmission = True
            end.retransmissions += 1
            other = self.client if end is self.server else self.server
            for p in self.pending[other.name]:
                if p.from_client == s.from_client and p.seq == s.seq and not p.lost:
                    p.lost = True
            self.pending[other.name] = [p for p in self.pending[other.name] if not p.lost]
        self._when = s.ts_us
        if flags & RST:
            if end.state != CLOSED:
                if not self._move(end, ABORT, k, 0):
                    self._set(end, CLOSED, k, 0, "sent RST")
            if self.rst_by is None:
                self.rst_by = end.name
        elif flags & SYN and not flags & ACK:
            if end.state in (CLOSED, TIME_WAIT) and (end.iss is None or s.seq != end.iss):
                self._move(end, ACTIVE_OPEN, k, 0)
            end.iss = s.seq if end.iss is None or end.state == SYN_SENT else end.iss
        elif flags & SYN:
            end.iss = s.seq if end.iss is None else end.iss
        if flags & FIN and not flags & RST:
            fin_seq = (s.seq + s.length + (1 if flags & SYN else 0)) & MASK
            if end.fin_seq is None:
                end.fin_seq = fin_seq
                other = self.server if end is self.client else self.client
                if other.fin_seq is not None:
                    self.fin_order.append((end.name, bool(flags & ACK) and seq_lt(other.fin_seq, s.ack)))
                else:
                    self.fin_order.append((end.name, False))
                self._move(end, CLOSE, k, 0)
        # An RST's sequence number is a claim to check, not data sent: it does not move SND.NXT.
        if not flags & RST and (end.snd_nxt is None or seq_lt(end.snd_nxt, s.end_seq)):
            end.snd_nxt = s.end_seq
        if flags & ACK:
            end.rcv_nxt = s.ack
            other = self.client if end is self.server else self.server
            if not flags & FIN and end.fin_seq is None and other.fin_seq is not None \
                    and seq_lt(other.fin_seq, s.ack):
                self.fin_acked_first = True
        end.sent += 1
        end.last_send = k

    def _arrive(self, end: End, p: Step, at: int) -> None:
        """Segment ``p`` is processed by ``end`` (RFC 9293 3.10.7), shown at step ``at``."""
        flags = p.flags
        state = end.state
        if not flags & (SYN | FIN | RST) and state in _QUIET:
            return  # data and ACKs move nothing in these states
        self._when = p.ts_us
        if state is None:
            # An end that answers nothing we saw: what arrives sets what we may assume.
            if flags & SYN and not flags & ACK:
                return
            self._start(end, ESTABLISHED, False)
            state = end.state
        sender = self.client if end is self.server else self.server
        if flags & RST:
            if self._acceptable_rst(end, p):
                self._move(end, RCV_RST, at, 1)
                if self.rst_by is None:
                    self.rst_by = sender.name
            return
        if flags & SYN:
            if not flags & ACK:
                self._move(end, RCV_SYN, at, 1)
                return
            if state == SYN_SENT and end.iss is not None and seq_lt(end.iss, p.ack) \
                    and end.snd_nxt is not None and seq_le(p.ack, end.snd_nxt):
                self._move(end, RCV_SYN_ACK, at, 1)
            elif state == SYN_RECEIVED and end.iss is not None and seq_lt(end.iss, p.ack):
                self._move(end, RCV_ACK_OF_SYN, at, 1)
            return
        if flags & ACK:
            if state == SYN_RECEIVED and end.iss is not None and seq_lt(end.iss, p.ack):
                self._move(end, RCV_ACK_OF_SYN, at, 1)
            elif end.fin_seq is not None and seq_lt(end.fin_seq, p.ack) and state in (
                    FIN_WAIT_1, CLOSING, LAST_ACK):
                self._move(end, RCV_ACK_OF_FIN, at, 1)
        if flags & FIN:
            if end.state == TIME_WAIT:
                return  # a repeated FIN: TIME_WAIT answers it and restarts (RFC 9293 3.10.7.4, eighth)
            self._move(end, RCV_FIN, at, 1)

    def _acceptable_rst(self, end: End, p: Step) -> bool:
        if end.state == SYN_SENT:
            # RFC 9293 3.10.7.3: acceptable if its ACK acknowledges the SYN.
            return bool(p.flags & ACK) and end.iss is not None and seq_lt(end.iss, p.ack) \
                and end.snd_nxt is not None and seq_le(p.ack, end.snd_nxt)
        expected = end.rcv_nxt
        sender = self.client if end is self.server else self.server
        if expected is None:
            expected = sender.snd_nxt
        if expected is None or p.seq == expected:
            return True
        # Linux also takes an RST at the sender's own SND.NXT if the receiver had not acknowledged all of it.
        if sender.snd_nxt is not None and p.seq == sender.snd_nxt:
            return True
        p.note = "not an exact match for RCV.NXT: ignored, or answered with a challenge ACK (RFC 5961 3.2)"
        return False

    def _statistics(self, sender: End, s: Step) -> None:
        flags = s.flags
        if flags & SYN and not flags & ACK and sender is self.client and self.synack_us is None:
            self.syn_us = s.ts_us
        elif flags & SYN and flags & ACK and sender is self.server and self.synack_us is None \
                and self.syn_us is not None:
            self.synack_us = s.ts_us
        elif flags & ACK and not flags & SYN and sender is self.client and self.synack_us is not None \
                and self.ack_us is None and self.server.iss is not None and seq_lt(self.server.iss, s.ack):
            self.ack_us = s.ts_us
        if flags & RST and sender is self.server and self.synack_us is None and self.syn_us is not None:
            self.refused = True
        if self.first_data is not None and self.data_rtt_us is None and flags & ACK \
                and s.from_client != self.first_data[0] and seq_le(self.first_data[1], s.ack):
            self.data_rtt_us = s.ts_us - self.first_data_us if self.first_data_us is not None else None
        if s.length and not flags & RST:
            if self.first_data_us is None:
                self.first_data_us = s.ts_us
                self.first_data = (s.from_client, s.end_seq)
            start = (s.seq + (1 if flags & SYN else 0)) & MASK
            stop = (start + s.length) & MASK
            if sender.data_start is None or sender.data_end is None:
                sender.data_start = start
                sender.data_end = stop
            elif seq_lt(sender.data_end, stop):
                sender.data_end = stop
        elif flags & SYN and sender.data_start is None:
            sender.data_start = sender.data_end = (s.seq + 1) & MASK

    # ---------------------------------------------------------------- the end
    def finish(self, capture_end_us: int) -> None:
        """The capture is over: settle what is still in flight and the timers that ran out."""
        if self.finished:
            return
        self.finished = True
        last = max(self.packets - 1, 0)
        for name in ("client", "server"):
            end = self.client if name == "client" else self.server
            for p in self.pending[name]:
                if end.state is None and end.sent == 0 and p.flags & SYN:
                    continue  # nobody answered: whether anyone was there stays unknown
                if p.retransmission and end.last_send < p.index:
                    # Sent again and still unanswered: the earlier copies did not get through,
                    # so this one may not have either.
                    end.sure = end.state in _CERTAIN if end.state else False
                    if self.record and end.state is not None:
                        self.changes.append((last, 2, name, end.shown(), "retransmissions unanswered"))
                    continue
                self._arrive(end, p, max(p.index, end.last_send))
            self.pending[name] = []
        self._expire_time_wait(capture_end_us, last)
        for end in (self.client, self.server):
            if end.initial is None:
                end.initial = end.shown()

    def reopen(self, step_us: int) -> None:
        """A new SYN takes over the 4-tuple: an end still in TIME_WAIT leaves it (RFC 6191)."""
        for end in (self.client, self.server):
            if end.state == TIME_WAIT and end.tw_since is not None:
                if step_us >= end.tw_since + self.time_wait_us:
                    self._move(end, TIME_WAIT_EXPIRED, max(self.packets - 1, 0), 2)
                else:
                    self._move(end, REOPENED, max(self.packets - 1, 0), 2)

    def ended(self) -> bool:
        """Over on the wire: reset, or a FIN each way (a new SYN on the 4-tuple starts a new connection)."""
        return self.rst_by is not None or (self.client.fin_seq is not None and self.server.fin_seq is not None)

    def repeats_client_syn(self, from_client: bool, seq: int) -> bool:
        return from_client and self.client.iss == seq

    # ---------------------------------------------------------------- results
    def final_states(self) -> dict[str, str]:
        return {"client": self.client.shown(), "server": self.server.shown()}

    def time_wait_until(self) -> dict[str, int]:
        """For an end left in TIME_WAIT: when it ends (µs, capture clock)."""
        out = {}
        for end in (self.client, self.server):
            if end.state == TIME_WAIT and end.tw_since is not None:
                out[end.name] = end.tw_since + self.time_wait_us
        return out

    def how_it_ended(self) -> str:
        if self.refused:
            return "refused (RST)"
        if self.rst_by is not None:
            return f"RST by {self.rst_by}"
        if len(self.fin_order) == 2:
            second, acked_first = self.fin_order[1]
            if not acked_first:
                return "FIN simultaneous"
            return "FIN 4-way" if self.fin_acked_first else "FIN 3-way"
        if len(self.fin_order) == 1:
            return f"half-closed ({self.fin_order[0][0]} FIN)"
        if self.server.sent == 0:
            return "no answer"
        return "open"

    def bytes_sent(self, end: End) -> int:
        if end.data_start is None or end.data_end is None:
            return 0
        return (end.data_end - end.data_start) & MASK

    def handshake_us(self) -> tuple[int | None, int | None]:
        """(SYN -> SYN-ACK, SYN-ACK -> ACK) in µs as seen at the capture point."""
        a = self.synack_us - self.syn_us if self.synack_us is not None and self.syn_us is not None else None
        b = self.ack_us - self.synack_us if self.ack_us is not None and self.synack_us is not None else None
        return a, b

    def snapshots(self) -> list[tuple[dict[str, str], dict[str, str]]]:
        """For each step, both ends' states right after it left and right after it was processed."""
        states = {"client": self.client.initial or UNKNOWN, "server": self.server.initial or UNKNOWN}
        by_step: dict[int, list[tuple[int, str, str]]] = {}
        for step, phase, name, state, _ in self.changes:
            by_step.setdefault(step, []).append((phase, name, state))
        out = []
        for k in range(len(self.steps)):
            changes = sorted(by_step.get(k, ()), key=lambda c: c[0])
            for phase, name, state in changes:
                if phase == 0:
                    states[name] = state
            sent = dict(states)
            for phase, name, state in changes:
                if phase:
                    states[name] = state
            out.append((sent, dict(states)))
        return out
