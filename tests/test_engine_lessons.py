"""The engine knobs the lessons needed, one endpoint pair at a time: ECN setup, PMTU, TCP_DEFER_ACCEPT, try_exp."""

from synack.tcp.listener import secs_to_retrans
from synack.tcp.segment import Flags

from helpers import Pair


def test_ecn_is_agreed_only_when_asked_and_accepted():
    pair = Pair(ecn=1)
    pair.establish()
    syn, synack = pair.log[0][2], pair.log[1][2]
    assert syn.flags == Flags.SYN | Flags.ECE | Flags.CWR  # RFC 3168 6.1.1: ECN-setup SYN
    assert synack.flags == Flags.SYN | Flags.ACK | Flags.ECE  # and ECN-setup SYN-ACK, no CWR
    assert pair.client.tcb.ecn_ok and pair.server.tcb.ecn_ok


def test_linux_default_accepts_ecn_but_never_asks():
    pair = Pair()  # tcp_ecn = 2
    pair.establish()
    assert pair.log[0][2].flags == Flags.SYN and pair.log[1][2].flags == Flags.SYN | Flags.ACK
    assert not pair.client.tcb.ecn_ok and not pair.server.tcb.ecn_ok


def test_a_repeated_syn_asks_for_no_ecn():
    pair = Pair(ecn=1)
    pair.drop = lambda who, seg: who == "c" and seg.syn and pair.now < 500_000
    pair.client.open_active(0)
    pair.run(until=1_500_000)
    syns = [seg for _t, who, seg in pair.log if who == "c" and seg.syn]
    assert syns[0].flags == Flags.SYN | Flags.ECE | Flags.CWR
    assert syns[1].flags == Flags.SYN  # Linux tcp_ecn_clear_syn: ECN fallback
    assert not pair.client.tcb.ecn_ok


def test_icmp_about_data_not_in_flight_is_ignored():
    pair = Pair()
    pair.establish()
    conn = pair.client
    before = conn.tcb.snd_mss
    conn.path_mtu_reduced(1400, conn.tcb.snd_nxt, pair.now)  # nothing in flight: RFC 5927 check
    assert conn.tcb.snd_mss == before and conn.segments_to_send() == []


def test_icmp_lowers_the_mss_and_resends_the_too_big_segments_at_once():
    pair = Pair()
    pair.establish()
    conn = pair.client
    conn.send(b"x" * 3000, pair.now)
    sent = [seg for seg in conn.segments_to_send()]
    assert [len(s.payload) for s in sent] == [1448, 1448, 104]
    conn.path_mtu_reduced(1400, sent[0].seq, pair.now)
    assert conn.tcb.snd_mss == 1400 - 40 - 12
    again = conn.segments_to_send()
    assert [len(s.payload) for s in again] == [1348, 100, 1348, 100]
    conn.path_mtu_reduced(1400, sent[1].seq, pair.now)  # the same news twice changes nothing
    assert conn.segments_to_send() == []
    conn.path_mtu_reduced(100, sent[0].seq, pair.now)  # never below Linux's min_pmtu of 552
    assert conn.tcb.snd_mss == 552 - 40 - 12


def test_pmtud_off_ignores_icmp():
    pair = Pair(pmtud=False)
    pair.establish()
    conn = pair.client
    conn.send(b"x" * 3000, pair.now)
    first = conn.segments_to_send()[0]
    conn.path_mtu_reduced(1400, first.seq, pair.now)
    assert conn.tcb.snd_mss == 1448 and conn.segments_to_send() == []


def test_defer_accept_drops_the_bare_ack_and_waits_for_data():
    pair = Pair()
    pair.listener.defer_retrans = secs_to_retrans(5, 1, 120)
    pair.client.open_active(0)
    pair.run(until=100_000)
    assert pair.client.state.value == "ESTABLISHED"
    assert pair.server.state.value == "SYN_RECEIVED" and pair.listener.deferred_acks_dropped == 1
    assert pair.listener.accept() is None
    pair.client.send(b"GET /", pair.now)
    pair.run(until=pair.now + 100_000)
    assert pair.server.state.value == "ESTABLISHED"
    assert pair.listener.accept() is pair.server and bytes(pair.server.rcvbuf) == b"GET /"


def test_secs_to_retrans_counts_doubling_timeouts():
    # 1 s covers the first timeout; 3 s the first two (1 + 2); 7 s three; capped at 120 s each.
    assert secs_to_retrans(0, 1, 120) == 0
    assert [secs_to_retrans(s, 1, 120) for s in (1, 3, 4, 7, 8)] == [1, 2, 3, 3, 4]
    # 1 + 2 + ... + 64 = 127 s in 7, 120 s (capped) makes 247 in 8, then 82 more of 120 s pass 10,000.
    assert secs_to_retrans(10_000, 1, 120) == 8 + 82
