"""Table tests for the engine: put an endpoint in a state, feed one input, check the state and segments out."""

from itertools import pairwise

import pytest

from synack.compiled import build_name

from synack.tcp.endpoint import Connection, reset_for_unknown
from synack.tcp.errors import ConnectionClosing, ConnectionDoesNotExist, TcpError
from synack.tcp.segment import Flags, Segment
from synack.tcp.seq import seq_add
from synack.tcp.states import State

from helpers import CLIENT, SERVER, Pair, context


def names(segments):
    return [s.flags.tcpdump() for s in segments]


def test_active_open_sends_a_syn_with_linux_options_in_linux_order():
    conn = Connection(context(), CLIENT, SERVER)
    conn.open_active(0)
    (syn,) = conn.segments_to_send()
    assert conn.state is State.SYN_SENT
    assert syn.flags == Flags.SYN
    assert [o.name for o in syn.options] == ["mss", "sackOK", "TS", "nop", "wscale"]
    assert syn.window == 64240  # 44 segments of 1460, never scaled on a SYN


def test_rfc_profile_lays_out_options_differently():
    conn = Connection(context("rfc9293"), CLIENT, SERVER)
    conn.open_active(0)
    (syn,) = conn.segments_to_send()
    assert [o.name for o in syn.options][0] == "mss"
    assert [o.name for o in syn.options] != ["mss", "sackOK", "TS", "nop", "wscale"]


def test_three_way_handshake_then_both_established():
    pair = Pair()
    pair.establish()
    flags = [(who, seg.flags.tcpdump()) for _, who, seg in pair.log]
    assert flags == [("c", "S"), ("s", "S."), ("c", ".")]
    assert pair.server.tcb.irs == pair.client.tcb.iss
    assert pair.client.tcb.irs == pair.server.tcb.iss
    # The ACK of a SYN does not grow the congestion window (RFC 5681 3.1, Linux tcp_init_transfer).
    assert pair.client.cc.cwnd == pair.server.cc.cwnd == pair.ctx_c.profile.initial_cwnd


def test_data_is_delivered_in_order_and_quick_acked():
    pair = Pair()
    pair.establish()
    pair.client.send(b"x" * 3000, pair.now)
    pair.run(until=pair.now + 5 * pair.delay)
    assert pair.server.read(pair.now) == b"x" * 3000
    server_acks = [seg for _, who, seg in pair.log if who == "s" and seg.flags == Flags.ACK]
    assert server_acks and server_acks[-1].ack == seq_add(pair.client.tcb.iss, 3001)
    # The ACKs of data do grow it: slow start, one segment per ACK.
    assert pair.client.cc.cwnd > pair.ctx_c.profile.initial_cwnd


def test_out_of_order_data_gets_a_reassembler_of_its_own():
    # Connections share one empty reassembler until data comes out of order; writing to the
    # shared one would hand one connection's pieces to every other.
    pair, other = Pair(), Pair()
    pair.establish()
    other.establish()
    shared = other.server.reasm
    assert pair.server.reasm is shared
    lost: list[Segment] = []
    pair.drop = lambda who, seg: who == "c" and not lost and bool(seg.payload) and not lost.append(seg)
    mss = pair.client.tcb.snd_mss
    pair.client.send(b"a" * mss + b"b" * mss, pair.now)  # two full segments: the first is lost
    pair.run(until=pair.now + pair.delay + 1)
    assert pair.server.reasm is not shared and pair.server.reasm.nbytes == mss
    assert shared.nbytes == 0 and not shared.pieces and shared.fin is None
    pair.run(until=pair.now + 2_000_000)  # the loss is repaired: the piece waiting moves up
    assert pair.server.read(pair.now) == b"a" * mss + b"b" * mss
    assert pair.server.reasm.nbytes == 0 and other.server.reasm is shared


def test_close_sequence_client_first_ends_in_time_wait_then_closed():
    pair = Pair()
    pair.establish()
    pair.client.close(pair.now)
    assert pair.client.state is State.FIN_WAIT_1
    pair.run(until=pair.now + 100_000)  # past Linux's 40 ms delayed ACK of the FIN
    assert pair.server.state is State.CLOSE_WAIT
    assert pair.client.state is State.FIN_WAIT_2
    pair.server.close(pair.now)
    assert pair.server.state is State.LAST_ACK
    pair.run(until=pair.now + 3 * pair.delay)
    assert pair.client.state is State.TIME_WAIT and pair.server.state is State.CLOSED
    pair.run()
    assert pair.client.state is State.CLOSED
    assert pair.now >= 60_000_000  # Linux's TIME_WAIT is 60 s


def test_rfc9293_time_wait_is_two_msl():
    pair = Pair("rfc9293")
    pair.establish()
    pair.client.close(pair.now)
    pair.run(until=pair.now + 3 * pair.delay)
    pair.server.close(pair.now)
    pair.run(until=pair.now + 3 * pair.delay)
    entered = pair.now
    pair.run()
    assert pair.now - entered >= 240_000_000 - 3 * pair.delay


def test_misuse_raises_rfc_wording_and_leaves_state():
    conn = Connection(context(), CLIENT, SERVER)
    with pytest.raises(ConnectionDoesNotExist, match="connection does not exist"):
        conn.send(b"x", 0)
    assert conn.state is State.CLOSED
    pair = Pair()
    pair.establish()
    pair.client.shutdown(pair.now)
    state = pair.client.state
    with pytest.raises(ConnectionClosing, match="connection closing"):
        pair.client.send(b"x", pair.now)
    assert pair.client.state is state


def test_reset_for_closed_port_forms():
    syn = Segment(40000, 80, 1000, 0, Flags.SYN, 1000)
    rst = reset_for_unknown(syn)
    assert rst.flags == Flags.RST | Flags.ACK and rst.seq == 0 and rst.ack == 1001
    ack = Segment(40000, 80, 1000, 777777, Flags.ACK, 1000)
    rst = reset_for_unknown(ack)
    assert rst.flags == Flags.RST and rst.seq == 777777
    assert reset_for_unknown(Segment(40000, 80, 1, 0, Flags.RST, 0)) is None


def test_rst_inside_window_gets_challenge_ack_and_exact_rst_resets():
    pair = Pair()
    pair.establish()
    srv = pair.server
    rcv_nxt = srv.tcb.rcv_nxt
    srv.receive(Segment(CLIENT[1], SERVER[1], seq_add(rcv_nxt, 10), 0, Flags.RST, 0), pair.now + 1)
    out = srv.segments_to_send()
    assert srv.state is State.ESTABLISHED
    assert names(out) == ["."] and out[0].seq == srv.tcb.snd_nxt and out[0].ack == rcv_nxt
    srv.receive(Segment(CLIENT[1], SERVER[1], rcv_nxt, 0, Flags.RST, 0), pair.now + 2)
    assert srv.state is State.CLOSED
    assert srv.error == "connection reset"


def test_challenge_acks_are_rate_limited_per_socket():
    pair = Pair()
    pair.establish()
    srv = pair.server
    syn = Segment(CLIENT[1], SERVER[1], 12345, 0, Flags.SYN, 1000)
    srv.receive(syn, pair.now + 1)
    srv.receive(syn, pair.now + 2)
    assert len(srv.segments_to_send()) == 1
    srv.receive(syn, pair.now + 600_000)
    assert len(srv.segments_to_send()) == 1


def test_syn_is_retransmitted_on_linux_schedule():
    conn = Connection(context(), CLIENT, SERVER)
    conn.open_active(0)
    conn.segments_to_send()
    times = [0]
    for _ in range(5):
        t = conn.next_deadline()
        conn.on_timer(t)
        assert names(conn.segments_to_send()) == ["S"]
        times.append(t)
    assert times == [0, 1_000_000, 2_000_000, 3_000_000, 4_000_000, 5_000_000]


def test_connect_times_out_after_the_last_syn():
    conn = Connection(context(), CLIENT, SERVER)
    conn.open_active(0)
    while conn.state is State.SYN_SENT:
        conn.on_timer(conn.next_deadline())
    assert conn.error == "connection timed out"
    assert conn.now == 131_000_000  # Linux: SYNs at 0..67 s, connect() fails at 131 s


def test_close_with_unread_data_resets():
    pair = Pair()
    pair.establish()
    pair.client.send(b"hello", pair.now)
    pair.run(until=pair.now + 3 * pair.delay)
    pair.server.close(pair.now)
    out = pair.server.segments_to_send()
    assert names(out) == ["R."]
    assert pair.server.state is State.CLOSED


def test_simultaneous_open_goes_through_syn_received():
    a = Connection(context(), CLIENT, SERVER)
    b = Connection(context(), SERVER, CLIENT)
    a.open_active(0)
    b.open_active(0)
    (syn_a,), (syn_b,) = a.segments_to_send(), b.segments_to_send()
    a.receive(syn_b, 10)
    b.receive(syn_a, 10)
    assert a.state is State.SYN_RECEIVED and b.state is State.SYN_RECEIVED
    (synack_a,), (synack_b,) = a.segments_to_send(), b.segments_to_send()
    assert synack_a.flags == Flags.SYN | Flags.ACK and synack_a.seq == a.tcb.iss
    a.receive(synack_b, 20)
    b.receive(synack_a, 20)
    assert a.state is State.ESTABLISHED and b.state is State.ESTABLISHED
    assert a.cc.cwnd == b.cc.cwnd == a.profile.initial_cwnd  # no SYN's ACK grew the window


def test_keepalive_probe_is_one_byte_behind():
    pair = Pair()
    pair.client.set_keepalive(1_000_000, 1_000_000, 3)
    pair.establish()
    una = pair.client.tcb.snd_una
    pair.run(until=pair.now + 1_000_000 + pair.delay // 2)
    probes = [seg for _, who, seg in pair.log
              if who == "c" and seg.seq == seq_add(una, -1) and seg.flags == Flags.ACK]
    assert probes and not probes[0].payload


def test_misuse_on_every_state_never_corrupts(tmp_path):
    # Every user call in every reachable state either works or raises TcpError, state unchanged.
    for stop in range(8):
        pair = Pair()
        pair.establish()
        calls = [lambda c, t: c.shutdown(t), lambda c, t: c.close(t), lambda c, t: c.send(b"x", t),
                 lambda c, t: c.abort(t), lambda c, t: c.read(t)]
        for call in calls[: stop % len(calls) + 1]:
            before = pair.client.state
            try:
                call(pair.client, pair.now)
            except TcpError:
                assert pair.client.state is before
            pair.run(until=pair.now + 2 * pair.delay)


def test_segments_are_immutable_values():
    seg = Segment(1, 2, 3, 4, Flags.SYN, 100)
    if build_name() == "compiled":
        with pytest.raises(AttributeError):
            seg.seq = 5  # type: ignore[misc]
    assert seg.replace(seq=5).seq == 5 and seg.seq == 3
    assert seg == Segment(1, 2, 3, 4, Flags.SYN, 100, checksum_ok=False)  # a damaged copy is the same segment
    assert len({seg, Segment(1, 2, 3, 4, Flags.SYN, 100)}) == 1
    assert str(seg) == "S 3:3(0) win 100"


def test_the_type_checker_refuses_assigning_a_segment_field(tmp_path):
    api = pytest.importorskip("mypy.api")
    snippet = tmp_path / "assign.py"
    snippet.write_text("from synack.tcp.segment import Flags, Segment\n"
                       "seg = Segment(1, 2, 3, 4, Flags.SYN, 100)\n"
                       "seg.seq = 5\n")
    out, _, status = api.run([str(snippet), "--no-error-summary", "--cache-dir", str(tmp_path / "cache")])
    assert status == 1 and 'Cannot assign to final attribute "seq"' in out


def _shut_by_forged_zero_window(profile: str) -> Pair:
    """The Hypothesis case: a forged ACK moves SND.WL1 to RCV.NXT + 1 with window 0 (RFC 9293 3.10.7.4)."""
    pair = Pair(profile)
    pair.establish()
    srv = pair.server
    srv.send(b"d" * 10, pair.now)
    srv.send(b"d" * 10, pair.now)  # held by Nagle behind the first
    for dseq in (0, 1):
        t = srv.tcb
        srv.receive(Segment(CLIENT[1], SERVER[1], seq_add(t.rcv_nxt, dseq), t.snd_nxt, Flags.ACK, 0),
                    pair.now + 1)
    assert srv.tcb.snd_wnd == 0 and srv.tcb.snd_wl1 == seq_add(srv.tcb.rcv_nxt, 1)
    return pair


def _window_probes(pair: Pair) -> list[int]:
    una = pair.server.tcb.snd_una
    return [at for at, who, seg in pair.log
            if who == "s" and seg.seq == seq_add(una, -1) and not seg.payload and seg.flags == Flags.ACK]


def _probe_intervals(pair: Pair) -> list[int]:
    """Gaps between window probes, less the round trip of an answer that re-armed the timer."""
    return [b - a - 2 * pair.delay for a, b in pairwise(_window_probes(pair))]


@pytest.mark.parametrize("profile", ["linux", "rfc9293"])
def test_answered_window_probes_go_on_for_ever(profile):
    # RFC 1122 4.2.2.17: the peer answers every probe (its ACKs cannot reopen the window, their
    # SEG.SEQ is behind SND.WL1), so the sender stays open, probing at RTO doubled up to RTO max,
    # each interval counted from the answer (Linux tcp_ack_probe re-arms the timer on every ACK;
    # the second probe comes < 500 ms after the first, so tcp_oow_rate_limited keeps it unanswered).
    pair = _shut_by_forged_zero_window(profile)
    pair.run(until=pair.now + 3600 * 1_000_000)
    srv = pair.server
    assert srv.state is State.ESTABLISHED and srv.probes_out <= 1
    intervals = _probe_intervals(pair)
    rto_max = srv.rtt.rto_max
    assert len(intervals) > 20 and intervals[-5:] == [rto_max] * 5
    assert intervals == sorted(intervals) and intervals[0] == 2 * srv.rtt.rto


@pytest.mark.parametrize("profile", ["linux", "rfc9293"])
def test_unanswered_window_probes_time_out_after_r2(profile):
    # Linux tcp_probe_timer: tcp_retries2 unanswered probes, then ETIMEDOUT, without an RST.
    pair = _shut_by_forged_zero_window(profile)
    pair.drop = lambda who, seg: who == "c"
    pair.run(until=pair.now + 24 * 3600 * 1_000_000)
    srv = pair.server
    assert srv.state is State.CLOSED and srv.error == "connection timed out"
    assert len(_window_probes(pair)) == srv.profile.data_retries
    assert not [seg for _, who, seg in pair.log if who == "s" and seg.flags & Flags.RST]


def test_an_orphan_stops_probing_when_the_interval_reaches_rto_max():
    # Linux tcp_probe_timer for a SOCK_DEAD socket: answered or not, it dies once RTO << backoff
    # reaches TCP_RTO_MAX (tcp_orphan_retries gives 0 then).
    pair = _shut_by_forged_zero_window("linux")
    srv = pair.server
    srv.close(pair.now + 1)
    pair.run(until=pair.now + 3600 * 1_000_000)
    assert srv.state is State.CLOSED and srv.error == "connection timed out"
    intervals = _probe_intervals(pair)
    assert intervals and intervals[-1] < srv.rtt.rto_max <= 2 * intervals[-1]


@pytest.mark.parametrize("profile", ["linux", "rfc9293"])
def test_an_ack_that_moves_snd_una_reopens_the_window_on_linux_only(profile):
    # A forged zero window with SEG.SEQ = RCV.NXT + 1 arrives while 10 bytes are in flight.  The
    # client's real ACK of them has SEG.SEQ < SND.WL1: RFC 9293's rule ignores its window, so the
    # held 10 bytes wait behind a window that never reopens; Linux's tcp_may_update_window takes
    # the window of any ACK that moves SND.UNA, and the bytes go.
    pair = Pair(profile)
    pair.establish()
    srv = pair.server
    srv.send(b"a" * 10, pair.now)
    srv.send(b"b" * 10, pair.now)  # held by Nagle until the first is ACKed
    t = srv.tcb
    srv.receive(Segment(CLIENT[1], SERVER[1], seq_add(t.rcv_nxt, 1), t.snd_una, Flags.ACK, 0), pair.now + 1)
    assert t.snd_wnd == 0
    pair.run(until=pair.now + 60 * 1_000_000)
    got = pair.client.read(pair.now)
    if profile == "linux":
        assert got == b"a" * 10 + b"b" * 10 and t.snd_wnd > 0
    else:
        assert got == b"a" * 10 and t.snd_wnd == 0 and _window_probes(pair)


def test_an_accepted_child_closing_leaves_the_syn_queue_alone():
    # Once established the child is the application's: its end must not take a newer SYN's child
    # for the same address out of the listener's SYN queue.
    pair = Pair()
    pair.establish()
    first = pair.server
    syn = Segment(CLIENT[1], SERVER[1], 12345, 0, Flags.SYN, 65535)
    second = pair.listener.receive(CLIENT, syn, pair.now)
    assert second is not None and pair.listener.syn_queue[CLIENT] is second
    first.abort(pair.now)
    assert first.state is State.CLOSED
    assert pair.listener.syn_queue[CLIENT] is second
