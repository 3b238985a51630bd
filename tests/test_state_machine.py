"""The transition table, and Hypothesis walking (state, input) pairs through real connections."""

from hypothesis import example, given, settings, strategies as st

from synack.tcp.errors import TcpError
from synack.tcp.segment import Flags, Segment
from synack.tcp.states import TRANSITIONS, State
from synack.tcp.timers import PERSIST

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


RESTING = (State.CLOSED, State.CLOSE_WAIT, State.ESTABLISHED, State.FIN_WAIT_2, State.SYN_RECEIVED)
# Long enough for every timer that ends: TIME_WAIT (240 s), R2 retransmissions at RTO max (< 40 min).
HORIZON_US = 2 * 3600 * 1_000_000


def probing_an_answered_zero_window(conn) -> bool:
    """RFC 9293 3.8.6.1 / RFC 1122 4.2.2.17: a sender whose peer answers its zero-window probes MUST stay open.

    A forged in-window ACK with SEG.SEQ ahead of RCV.NXT and window 0 moves SND.WL1 past every
    segment the real peer will send until it sends data, so its ACKs never reopen the window
    (RFC 9293 3.10.7.4; Linux's tcp_may_update_window likewise).  Such a connection is left
    with nothing but the persist timer, data waiting, and its last probe answered or in flight;
    an orphan may not do this (Linux kills it) and neither may one whose probes go unanswered.
    """
    return (set(conn.timers) == {PERSIST} and conn.tcb.snd_wnd == 0 and not conn.orphaned
            and conn.probes_out <= 1)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["client", "server"]), calls), max_size=8),
       st.lists(segments(), max_size=6), st.booleans())
# Found by Hypothesis: the second forged ACK (seq = RCV.NXT + 1, window 0) shuts the server's
# window for good; the client answers every probe, so the server probes for ever, as Linux does.
@example(ops=[("server", "send"), ("server", "send")],
         forged=[(Flags.ACK, 0, 0, b"", 0), (Flags.ACK, 1, 0, b"", 0)], rfc=False)
@example(ops=[("server", "send"), ("server", "send")],
         forged=[(Flags.ACK, 0, 0, b"", 0), (Flags.ACK, 1, 0, b"", 0)], rfc=True)
def test_any_calls_and_segments_leave_a_valid_state(ops, forged, rfc):
    """User calls either work or raise TcpError with the state unchanged; forged segments never raise.

    Afterwards the pair settles: each connection rests with no timer left, unless it keeps
    probing a zero window its peer answers, which RFC 9293 says it must do for ever.
    """
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
    pair.run(until=pair.now + HORIZON_US)
    for conn, peer in ((pair.client, pair.server), (pair.server, pair.client)):
        if conn.next_deadline() is None:
            assert conn.state in RESTING
        else:
            assert probing_an_answered_zero_window(conn), (conn.state, conn.timers, conn.tcb.snd_wnd)
            assert peer.next_deadline() is None and peer.state in RESTING
