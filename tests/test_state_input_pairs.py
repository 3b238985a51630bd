"""Every (state, input) pair: put a connection in each of the eleven states, apply each input once.

An input is a user call, a kind of arriving segment, or the next timer.  The
result must be either the RFC's local error with the state unchanged, or only
state changes that the transition table allows; and the engine never raises
anything else.  Hypothesis varies the numbers in the arriving segments.
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
    assert obj.state in State
