"""The transition table, and Hypothesis walking (state, input) pairs through real connections."""

from hypothesis import given, settings, strategies as st

from synack.tcp.errors import TcpError
from synack.tcp.segment import Flags, Segment
from synack.tcp.states import TRANSITIONS, State

from helpers import CLIENT, SERVER, Pair


def test_the_table_reaches_all_eleven_states_and_cites_the_rfc():
    states = {s for s, _ in TRANSITIONS} | {t for t, _ in TRANSITIONS.values()}
    assert states == set(State)
    assert len(State) == 11
    for (_state, _input), (_target, where) in TRANSITIONS.items():
        assert where.startswith(("RFC", "Linux"))


def test_netstat_names():
    assert [s.value for s in State] == ["CLOSED", "LISTEN", "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED",
                                        "FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK",
                                        "TIME_WAIT"]


calls = st.sampled_from(["send", "shutdown", "close", "abort", "read", "wait"])
flags = st.sampled_from([Flags.ACK, Flags.SYN, Flags.RST, Flags.FIN | Flags.ACK, Flags.SYN | Flags.ACK,
                         Flags.RST | Flags.ACK, Flags.PSH | Flags.ACK, Flags(0)])


@st.composite
def segments(draw):
    return (draw(flags), draw(st.integers(-70000, 70000)), draw(st.integers(-70000, 70000)),
            draw(st.binary(max_size=40)), draw(st.integers(0, 65535)))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["client", "server"]), calls), max_size=8),
       st.lists(segments(), max_size=6), st.booleans())
def test_any_calls_and_segments_leave_a_valid_state(ops, forged, rfc):
    """User calls either work or raise TcpError with the state unchanged; forged segments never raise."""
    pair = Pair("rfc9293" if rfc else "linux")
    pair.establish()
    for who, op in ops:
        conn = pair.client if who == "client" else pair.server
        before = conn.state
        try:
            if op == "send":
                conn.send(b"d" * 10, pair.now)
            elif op == "shutdown":
                conn.shutdown(pair.now)
            elif op == "close":
                conn.close(pair.now)
            elif op == "abort":
                conn.abort(pair.now)
            elif op == "read":
                conn.read(pair.now)
            else:
                pair.run(until=pair.now + 50_000)
        except TcpError:
            assert conn.state is before
        assert conn.state in State
    for fl, dseq, dack, payload, window in forged:
        conn = pair.server
        t = conn.tcb
        seg = Segment(CLIENT[1], SERVER[1], (t.rcv_nxt + dseq) & 0xFFFFFFFF, (t.snd_nxt + dack) & 0xFFFFFFFF,
                      fl, window, (), payload)
        conn.receive(seg, pair.now + 1)
        assert conn.state in State
    pair.run()
    for conn in (pair.client, pair.server):
        assert conn.state is State.CLOSED or conn.state in (State.CLOSE_WAIT, State.ESTABLISHED,
                                                           State.FIN_WAIT_2, State.SYN_RECEIVED)
