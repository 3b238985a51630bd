"""Conversations: grouping by 4-tuple and connection lifetime, relative numbers, retransmission
delays and the readable description used in failure messages."""

from hypothesis import given
from hypothesis import strategies as st

from synack.tcp.options import NOP, SACK_PERMITTED, Mss, Timestamps, UnknownOption, WindowScale
from synack.tcp.segment import Flags, Segment
from synack.wire import CapturedPacket, Row, conversations, describe, retransmission_delays

S, A, F, R, P = Flags.SYN, Flags.ACK, Flags.FIN, Flags.RST, Flags.PSH
CLIENT, SERVER = ("10.0.0.1", 40312), ("10.0.0.2", 80)
SYN_OPTIONS = (Mss(1460), SACK_PERMITTED, Timestamps(1, 0), NOP, WindowScale(7))


def packet(t_us, sender, receiver, flags, seq, ack=0, payload=b"", options=()):
    segment = Segment(sender[1], receiver[1], seq, ack, flags, 1000, options, payload)
    return CapturedPacket(t_us, sender[0], receiver[0], segment)


def connection(start_us, client=CLIENT, server=SERVER, client_isn=1000, server_isn=5000):
    c, s = client_isn, server_isn
    return [
        packet(start_us, client, server, S, c, options=SYN_OPTIONS),
        packet(start_us + 50, server, client, S | A, s, c + 1, options=SYN_OPTIONS),
        packet(start_us + 100, client, server, A, c + 1, s + 1),
        packet(start_us + 100, client, server, P | A, c + 1, s + 1, b"GET /"),
        packet(start_us + 150, server, client, P | A, s + 1, c + 6, b"200 OK\n"),
        packet(start_us + 200, client, server, F | A, c + 6, s + 8),
        packet(start_us + 250, server, client, F | A, s + 8, c + 7),
        packet(start_us + 300, client, server, A, c + 7, s + 9),
    ]


def flags_of(rows):
    return [row.flags for row in rows]


def test_one_connection_in_relative_numbers():
    [conversation] = conversations(connection(7_000_000))
    assert conversation.initiator == CLIENT and conversation.responder == SERVER
    assert conversation.start_us == 7_000_000
    assert (conversation.forward_isn, conversation.reverse_isn) == (1000, 5000)
    assert conversation.forward == (
        Row(0, "S", 0, None, 0, ("mss", "sackOK", "TS", "nop", "wscale")),
        Row(100, ".", 1, 1, 0),
        Row(100, "P.", 1, 1, 5),
        Row(200, "F.", 6, 8, 0),
        Row(300, ".", 7, 9, 0),
    )
    assert conversation.reverse == (
        Row(50, "S.", 0, 1, 0, ("mss", "sackOK", "TS", "nop", "wscale")),
        Row(150, "P.", 1, 6, 7),
        Row(250, "F.", 8, 7, 0),
    )
    assert [direction for direction, _ in conversation.timeline] == [
        "forward", "reverse", "forward", "forward", "reverse", "forward", "reverse", "forward"]


def test_isns_near_the_wrap():
    [conversation] = conversations(connection(0, client_isn=2**32 - 3, server_isn=2**32 - 1))
    assert [row.rel_seq for row in conversation.forward] == [0, 1, 1, 6, 7]
    assert [row.rel_ack for row in conversation.forward] == [None, 1, 1, 8, 9]
    assert [row.rel_seq for row in conversation.reverse] == [0, 1, 8]


@given(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1))
def test_relative_numbers_do_not_depend_on_isns(client_isn, server_isn):
    reference = conversations(connection(0))[0]
    shifted = conversations(connection(0, client_isn=client_isn, server_isn=server_isn))[0]
    assert (shifted.forward, shifted.reverse) == (reference.forward, reference.reverse)


def test_several_connections_ordered_by_first_packet():
    other_client = ("10.0.0.3", 50000)
    first = connection(1000)
    second = connection(500, client=other_client)
    packets = sorted(first + second, key=lambda p: p.ts_us)
    result = conversations(packets)
    assert [c.initiator for c in result] == [other_client, CLIENT]


def test_same_four_tuple_reused_after_fin_both_ways():
    result = conversations(connection(0) + connection(10_000, client_isn=77))
    assert len(result) == 2
    assert [c.start_us for c in result] == [0, 10_000]
    assert result[1].forward_isn == 77


def test_same_four_tuple_reused_after_rst():
    packets = [
        packet(0, CLIENT, SERVER, S, 1000),
        packet(50, SERVER, CLIENT, R | A, 0, 1001),
        packet(1000, CLIENT, SERVER, S, 3000),
        packet(1050, SERVER, CLIENT, S | A, 9000, 3001),
    ]
    first, second = conversations(packets)
    assert flags_of(first.forward) == ["S"] and flags_of(first.reverse) == ["R."]
    assert first.reverse[0].rel_ack == 1
    assert flags_of(second.reverse) == ["S."] and second.reverse[0].rel_ack == 1


def test_a_syn_inside_a_live_connection_does_not_split_it():
    packets = connection(0)[:5] + [packet(160, CLIENT, SERVER, S, 424242)] + connection(0)[5:]
    assert len(conversations(packets)) == 1


def test_a_repeated_syn_after_the_end_is_a_retransmission():
    packets = [
        packet(0, CLIENT, SERVER, S, 1000),
        packet(50, SERVER, CLIENT, R | A, 0, 1001),
        packet(1_000_000, CLIENT, SERVER, S, 1000),
    ]
    [conversation] = conversations(packets)
    assert flags_of(conversation.forward) == ["S", "S"]


def test_capture_starting_mid_connection():
    packets = [
        packet(0, SERVER, CLIENT, P | A, 70_000, 123, b"abc"),
        packet(10, CLIENT, SERVER, A, 123, 70_003),
    ]
    [conversation] = conversations(packets)
    assert conversation.initiator == SERVER  # the sender of the first packet
    assert conversation.forward == (Row(0, "P.", 0, 0, 3),)
    assert conversation.reverse == (Row(10, ".", 0, 3, 0),)


def test_other_direction_never_seen_keeps_absolute_acks():
    packets = [
        packet(0, CLIENT, SERVER, A, 10, 99_999),
        packet(5, CLIENT, SERVER, P | A, 10, 99_999, b"xy"),
    ]
    [conversation] = conversations(packets)
    assert conversation.reverse == () and conversation.reverse_isn is None
    assert [row.rel_ack for row in conversation.forward] == [99_999, 99_999]


def test_unknown_option_kinds_are_named_by_number():
    [conversation] = conversations([packet(0, CLIENT, SERVER, S, 1, options=(UnknownOption(30, b"\x00\x00"), NOP))])
    assert conversation.forward[0].option_kinds == ("opt-30", "nop")


def test_empty_input():
    assert conversations([]) == []


# --- retransmissions -------------------------------------------------------

def test_syn_backoff_delays():
    packets = [packet(t, CLIENT, SERVER, S, 1000) for t in (0, 1_000_000, 3_000_000, 7_000_000)]
    [conversation] = conversations(packets)
    assert retransmission_delays(conversation.forward) == [1_000_000, 2_000_000, 4_000_000]


def test_data_retransmission_and_duplicate_acks():
    packets = connection(0)[:4] + [
        packet(300, CLIENT, SERVER, P | A, 1001, 5001, b"GET /"),       # retransmitted after 200 µs
        packet(310, SERVER, CLIENT, A, 5001, 1006),
        packet(320, SERVER, CLIENT, A, 5001, 1006),                    # a duplicate ACK, not a retransmission
        packet(700, CLIENT, SERVER, P | A, 1001, 5001, b"GET /"),       # again, 400 µs after the previous copy
    ]
    [conversation] = conversations(packets)
    assert retransmission_delays(conversation.forward) == [200, 400]
    assert retransmission_delays(conversation.reverse) == []
    assert retransmission_delays(conversation.reverse, include_empty=True) == [10]


def test_fin_retransmission():
    rows = [Row(0, "F.", 6, 8, 0), Row(200_000, "F.", 6, 8, 0), Row(200_050, ".", 7, 9, 0)]
    assert retransmission_delays(rows) == [200_000]


# --- description -----------------------------------------------------------

def test_describe():
    [conversation] = conversations(connection(1_500_000))
    text = describe(conversation)
    lines = text.splitlines()
    assert lines[0].startswith("10.0.0.1:40312 > 10.0.0.2:80: 8 segments from t=1.500000 s")
    assert lines[1] == "    0.000000 > S 0:0(0) <mss,sackOK,TS,nop,wscale>"
    assert lines[2] == "    0.000050 < S. 0:0(0) ack 1 <mss,sackOK,TS,nop,wscale>"
    assert lines[4] == "    0.000100 > P. 1:6(5) ack 1"
    assert len(lines) == 9
