"""Every (state, input) pair: put a connection in each of the eleven states, apply each input once.

An input is a user call, a kind of arriving segment, or the next timer.  The
state it ends in must be the one written below in ``EXPECTED``, a table made
by hand from RFC 9293 (and, where the ``linux`` profile follows Linux, from
Linux), independently of the engine's own transition table; every state change
on the way must also be in that table, and a local error must leave the state
alone.  Hypothesis varies the numbers in the arriving segments.
"""

import pytest
from hypothesis import given, settings, strategies as st

from synack.tcp.endpoint import Connection
from synack.tcp.errors import TcpError
from synack.tcp.events import StateChanged
from synack.tcp.listener import Listener
from synack.tcp.segment import Flags, Segment
from synack.tcp.seq import seq_add
from synack.tcp.states import TRANSITIONS, State

from helpers import CLIENT, SERVER, Pair, context

ALLOWED = {(old, new) for (old, _), (new, _) in TRANSITIONS.items()}

S = State
_SEGMENTS = ("SYN", "SYN-ACK", "ACK", "ACK of the future", "old ACK", "RST at RCV.NXT", "RST in window",
             "RST outside", "FIN", "data", "data+FIN", "bare segment")
_CALLS = ("send", "read", "shutdown", "close", "abort", "open_active", "timer")


def _row(state: State, **changes: State) -> dict[tuple[State, str], State]:
    """Every input leaves ``state`` as it is, except those named (spaces and + spelled as _)."""
    row = {(state, kind): state for kind in _SEGMENTS + _CALLS}
    for name, new in changes.items():
        kind = next(k for k in _SEGMENTS + _CALLS if k.replace(" ", "_").replace("-", "_").replace("+", "_")
                    .replace(".", "_") == name)
        row[(state, kind)] = new
    return row


#: (state, input) -> the state the connection is in afterwards, by RFC 9293 section 3.10.
EXPECTED: dict[tuple[State, str], State] = {
    # 3.10.7.1: a segment to CLOSED is answered (RST) or dropped; the user calls are errors but OPEN.
    **_row(S.CLOSED, open_active=S.SYN_SENT),
    # 3.10.7.2: a listener answers SYNs with children and stays; CLOSE or ABORT closes it.
    **_row(S.LISTEN, close=S.CLOSED, abort=S.CLOSED),
    # 3.10.7.3: only a SYN (simultaneous open) or an acceptable SYN-ACK moves SYN-SENT;
    # 3.10.4/3.10.5: CLOSE or ABORT there deletes the TCB.
    **_row(S.SYN_SENT, SYN=S.SYN_RECEIVED, SYN_ACK=S.ESTABLISHED, shutdown=S.CLOSED, close=S.CLOSED,
           abort=S.CLOSED),
    # 3.10.7.4: the ACK of our SYN establishes, a FIN after it leads to CLOSE-WAIT; an RST at RCV.NXT
    # closes the child (the listener stays in LISTEN).  CLOSE is queued until ESTABLISHED (3.10.4,
    # "otherwise, queue"), as Linux does for a socket not yet accepted.
    **_row(S.SYN_RECEIVED, ACK=S.ESTABLISHED, FIN=S.CLOSE_WAIT, data=S.ESTABLISHED, data_FIN=S.CLOSE_WAIT,
           RST_at_RCV_NXT=S.CLOSED, abort=S.CLOSED),
    **_row(S.ESTABLISHED, FIN=S.CLOSE_WAIT, data_FIN=S.CLOSE_WAIT, RST_at_RCV_NXT=S.CLOSED,
           shutdown=S.FIN_WAIT_1, close=S.FIN_WAIT_1, abort=S.CLOSED),
    # The ACK of our FIN leads to FIN-WAIT-2, with the peer's FIN to TIME-WAIT.  Data after close()
    # is answered with RST (RFC 1122 4.2.2.13).
    **_row(S.FIN_WAIT_1, ACK=S.FIN_WAIT_2, FIN=S.TIME_WAIT, data=S.CLOSED, data_FIN=S.CLOSED,
           RST_at_RCV_NXT=S.CLOSED, abort=S.CLOSED),
    # The timer is Linux's tcp_fin_timeout for an orphaned socket.
    **_row(S.FIN_WAIT_2, FIN=S.TIME_WAIT, data=S.CLOSED, data_FIN=S.CLOSED, RST_at_RCV_NXT=S.CLOSED,
           abort=S.CLOSED, timer=S.CLOSED),
    # Another FIN or data after the peer's FIN changes nothing ("remain in the CLOSE-WAIT state").
    **_row(S.CLOSE_WAIT, RST_at_RCV_NXT=S.CLOSED, shutdown=S.LAST_ACK, close=S.LAST_ACK, abort=S.CLOSED),
    # Anything acknowledging our FIN leads to TIME-WAIT.
    **_row(S.CLOSING, ACK=S.TIME_WAIT, FIN=S.TIME_WAIT, data=S.TIME_WAIT, data_FIN=S.TIME_WAIT,
           RST_at_RCV_NXT=S.CLOSED, abort=S.CLOSED),
    # Anything acknowledging our FIN deletes the TCB.
    **_row(S.LAST_ACK, ACK=S.CLOSED, FIN=S.CLOSED, data=S.CLOSED, data_FIN=S.CLOSED,
           RST_at_RCV_NXT=S.CLOSED, abort=S.CLOSED),
    # 3.10.8: the 2 MSL timer closes; an RST closes too (the RFC 1337 hazard, as Linux does by default).
    **_row(S.TIME_WAIT, RST_at_RCV_NXT=S.CLOSED, abort=S.CLOSED, timer=S.CLOSED),
}


def reach(state: State) -> tuple[Connection | Listener, Pair | None]:
    """A connection (or the listener) in ``state``, with the pair it lives in."""
    if state is State.CLOSED:
        return Connection(context(), CLIENT, SERVER), None
    pair = Pair()
    if state is State.LISTEN:
        return pair.listener, pair
    if state is State.SYN_SENT:
        pair.client.open_active(0)
        return pair.client, pair
    if state is State.SYN_RECEIVED:
        pair.client.open_active(0)
        pair.run(until=pair.delay)
        return pair.server, pair
    pair.establish()
    if state is State.ESTABLISHED:
        return pair.client, pair
    if state is State.FIN_WAIT_1:
        pair.client.close(pair.now)
        return pair.client, pair
    if state is State.CLOSING:
        pair.client.shutdown(pair.now)
        pair.server.shutdown(pair.now)
        pair.run(until=pair.now + pair.delay)  # the FINs crossed; their ACKs are still on the wire
        return pair.client, pair
    pair.client.close(pair.now)
    pair.run(until=pair.now + 100_000)
    if state is State.FIN_WAIT_2:
        return pair.client, pair
    if state is State.CLOSE_WAIT:
        return pair.server, pair
    pair.server.close(pair.now)
    if state is State.LAST_ACK:
        return pair.server, pair
    pair.run(until=pair.now + 3 * pair.delay)
    return pair.client, pair  # TIME_WAIT


SEGMENT_INPUTS = ["SYN", "SYN-ACK", "ACK", "ACK of the future", "old ACK", "RST at RCV.NXT", "RST in window",
                  "RST outside", "FIN", "data", "data+FIN", "bare segment"]
CALL_INPUTS = ["send", "read", "shutdown", "close", "abort", "open_active"]
TIMER = ["timer"]


def segment_for(conn, kind: str, jitter: int) -> Segment:
    t = conn.tcb
    nxt, una = t.rcv_nxt, t.snd_nxt
    src, dst = conn.remote[1], conn.local[1]
    table = {
        "SYN": (seq_add(nxt, jitter), 0, Flags.SYN, b""),
        "SYN-ACK": (seq_add(nxt, jitter), una, Flags.SYN | Flags.ACK, b""),
        "ACK": (nxt, una, Flags.ACK, b""),
        "ACK of the future": (nxt, seq_add(una, 1000 + jitter), Flags.ACK, b""),
        "old ACK": (nxt, seq_add(una, -(1 << 20) - jitter), Flags.ACK, b""),
        "RST at RCV.NXT": (nxt, 0, Flags.RST, b""),
        "RST in window": (seq_add(nxt, 1 + jitter % 1000), 0, Flags.RST, b""),
        "RST outside": (seq_add(nxt, 1 << 30), 0, Flags.RST, b""),
        "FIN": (nxt, una, Flags.FIN | Flags.ACK, b""),
        "data": (seq_add(nxt, jitter % 3), una, Flags.PSH | Flags.ACK, b"x" * 10),
        "data+FIN": (nxt, una, Flags.FIN | Flags.PSH | Flags.ACK, b"y" * 5),
        "bare segment": (seq_add(nxt, jitter), una, Flags(0), b""),
    }
    seq, ack, flags, payload = table[kind]
    return Segment(src, dst, seq, ack, flags, 1000, (), payload)


def apply(obj, kind: str, now: int, jitter: int) -> None:
    if isinstance(obj, Listener):
        if kind in SEGMENT_INPUTS:
            seg = Segment(CLIENT[1], SERVER[1], 1000 + jitter, 5000, Flags.SYN if kind == "SYN" else Flags.ACK, 1000)
            obj.receive(CLIENT, seg, now)
        elif kind in ("close", "abort"):
            obj.close(now)
        return
    if kind in SEGMENT_INPUTS:
        obj.receive(segment_for(obj, kind, jitter), now)
    elif kind == "timer":
        deadline = obj.next_deadline()
        if deadline is not None:
            obj.on_timer(deadline)
    elif kind == "send":
        obj.send(b"z" * 20, now)
    elif kind == "read":
        obj.read(now)
    elif kind == "open_active":
        obj.open_active(now)
    else:
        getattr(obj, kind)(now)


@pytest.mark.parametrize("state", list(State))
@pytest.mark.parametrize("kind", SEGMENT_INPUTS + CALL_INPUTS + TIMER)
@settings(max_examples=5, deadline=None)
@given(jitter=st.integers(0, 2**31 - 1))
def test_every_state_and_input(state, kind, jitter):
    obj, pair = reach(state)
    assert obj.state is state
    obj.events()
    now = (pair.now if pair else 0) + 1
    before = obj.state
    try:
        apply(obj, kind, now, jitter)
    except TcpError:
        assert obj.state is before  # the RFC's local error leaves the state alone
        return
    changes = [(e.old, e.new) for e in obj.events() if isinstance(e, StateChanged)]
    for change in changes:
        assert change in ALLOWED, f"{state} + {kind}: {change} is not in the transition table"
    assert obj.state is EXPECTED[(state, kind)], f"{state} + {kind}: ended in {obj.state}"


def test_the_expectation_covers_every_pair():
    assert set(EXPECTED) == {(state, kind) for state in State for kind in SEGMENT_INPUTS + CALL_INPUTS + TIMER}
