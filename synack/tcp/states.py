"""The eleven connection states and the table of every transition between them.

RFC 9293 section 3.3.2 (the state diagram, figure 5) and 3.10 (event
processing).  States carry the names ``netstat``/``ss`` print, which is what
synack shows everywhere.  Transitions are data: ``TRANSITIONS[(state, input)]``
gives the next state and the RFC section that says so.  The endpoint asks this
table for every state change (``Connection._transition``, through
``NEXT_STATE``, the same table indexed by state) so the table and the code
cannot drift apart, and ``tools/draw_states.py`` draws the diagram from it.
Anything not in the table is not a legal transition.
"""

from __future__ import annotations

from enum import Enum
from typing import Final


class State(str, Enum):
    CLOSED = "CLOSED"
    LISTEN = "LISTEN"
    SYN_SENT = "SYN_SENT"
    SYN_RECEIVED = "SYN_RECEIVED"
    ESTABLISHED = "ESTABLISHED"
    FIN_WAIT_1 = "FIN_WAIT_1"
    FIN_WAIT_2 = "FIN_WAIT_2"
    CLOSE_WAIT = "CLOSE_WAIT"
    CLOSING = "CLOSING"
    LAST_ACK = "LAST_ACK"
    TIME_WAIT = "TIME_WAIT"

    # Hash as the plain string, in C: Enum's own __hash__ is Python code, and the engine
    # looks up TRANSITIONS on every state change.
    __hash__ = str.__hash__

    def __str__(self) -> str:
        return self.value


# Module-level names for the states: reading ``State.X`` goes through Enum's descriptor
# machinery on every access, and the engine compares states on every segment.
CLOSED: Final = State.CLOSED
LISTEN: Final = State.LISTEN
SYN_SENT: Final = State.SYN_SENT
SYN_RECEIVED: Final = State.SYN_RECEIVED
ESTABLISHED: Final = State.ESTABLISHED
FIN_WAIT_1: Final = State.FIN_WAIT_1
FIN_WAIT_2: Final = State.FIN_WAIT_2
CLOSE_WAIT: Final = State.CLOSE_WAIT
CLOSING: Final = State.CLOSING
LAST_ACK: Final = State.LAST_ACK
TIME_WAIT: Final = State.TIME_WAIT


#: States in which both sequence spaces are known (RFC 9293 3.10.7.4, "synchronized").
SYNCHRONIZED: Final = frozenset({
    State.ESTABLISHED, State.FIN_WAIT_1, State.FIN_WAIT_2, State.CLOSE_WAIT,
    State.CLOSING, State.LAST_ACK, State.TIME_WAIT,
})

#: States in which arriving data is accepted for the application (RFC 9293 3.10.7.4, seventh).
RECEIVING: Final = frozenset({State.ESTABLISHED, State.FIN_WAIT_1, State.FIN_WAIT_2})

#: SEND is accepted (queued before the handshake ends): RFC 9293 3.10.2.
SEND_ALLOWED: Final = frozenset({State.SYN_SENT, State.SYN_RECEIVED, State.ESTABLISHED, State.CLOSE_WAIT})

#: CLOSE queues a FIN after the data (RFC 9293 3.10.4): no FIN has been sent yet.
CLOSE_QUEUES_FIN: Final = frozenset({State.SYN_RECEIVED, State.ESTABLISHED, State.CLOSE_WAIT})

#: ABORT sends a reset (RFC 9293 3.10.5); so does closing with unread data (RFC 1122 4.2.2.13).
ABORT_SENDS_RST: Final = frozenset({State.SYN_RECEIVED, State.ESTABLISHED, State.FIN_WAIT_1, State.FIN_WAIT_2,
                                    State.CLOSE_WAIT})

#: An RST here is reported to the user as "connection reset" (RFC 9293 3.10.7.4, second check).
RESET_REPORTED: Final = frozenset({State.ESTABLISHED, State.FIN_WAIT_1, State.FIN_WAIT_2, State.CLOSE_WAIT})

#: Keepalive probes go out (Linux tcp_keepalive_timer: not while closing our side).
KEEPALIVE_STATES: Final = frozenset({State.ESTABLISHED, State.CLOSE_WAIT, State.FIN_WAIT_2})


class Input(str, Enum):
    """What can move a connection: user calls, segments (after the acceptance checks) and timers."""

    ACTIVE_OPEN = "active open"
    PASSIVE_OPEN = "passive open"
    CLOSE = "close"
    ABORT = "abort"
    RCV_SYN = "SYN received"
    RCV_SYN_ACK = "SYN-ACK received"
    RCV_ACK_OF_SYN = "ACK of SYN received"
    RCV_FIN = "FIN received"
    RCV_ACK_OF_FIN = "ACK of FIN received"
    RCV_RST = "RST received"
    RCV_DATA_AFTER_CLOSE = "data after close"
    TIMEOUT = "retransmission timeout"
    TIME_WAIT_EXPIRED = "2MSL timer expired"
    FIN_WAIT_2_EXPIRED = "FIN_WAIT_2 timer expired"
    KEEPALIVE_EXPIRED = "keepalive probes unanswered"
    SYN_COOKIE_ACK = "valid SYN cookie ACK"
    REOPENED = "new SYN reuses the 4-tuple"

    __hash__ = str.__hash__


# Module-level names for the inputs, as for the states: the engine passes one on every state change.
IN_ACTIVE_OPEN: Final = Input.ACTIVE_OPEN
IN_PASSIVE_OPEN: Final = Input.PASSIVE_OPEN
IN_CLOSE: Final = Input.CLOSE
IN_ABORT: Final = Input.ABORT
IN_RCV_SYN: Final = Input.RCV_SYN
IN_RCV_SYN_ACK: Final = Input.RCV_SYN_ACK
IN_RCV_ACK_OF_SYN: Final = Input.RCV_ACK_OF_SYN
IN_RCV_FIN: Final = Input.RCV_FIN
IN_RCV_ACK_OF_FIN: Final = Input.RCV_ACK_OF_FIN
IN_RCV_RST: Final = Input.RCV_RST
IN_RCV_DATA_AFTER_CLOSE: Final = Input.RCV_DATA_AFTER_CLOSE
IN_TIMEOUT: Final = Input.TIMEOUT
IN_TIME_WAIT_EXPIRED: Final = Input.TIME_WAIT_EXPIRED
IN_FIN_WAIT_2_EXPIRED: Final = Input.FIN_WAIT_2_EXPIRED
IN_KEEPALIVE_EXPIRED: Final = Input.KEEPALIVE_EXPIRED
IN_SYN_COOKIE_ACK: Final = Input.SYN_COOKIE_ACK
IN_REOPENED: Final = Input.REOPENED


S, I = State, Input  # noqa: E741 (short names keep the table one entry per line)

#: (state, input) -> (next state, where the RFC says so)
TRANSITIONS: Final[dict[tuple[State, Input], tuple[State, str]]] = {
    (S.CLOSED, I.ACTIVE_OPEN): (S.SYN_SENT, "RFC 9293 3.10.1 OPEN call, CLOSED state"),
    (S.CLOSED, I.PASSIVE_OPEN): (S.LISTEN, "RFC 9293 3.10.1 OPEN call, CLOSED state"),
    (S.LISTEN, I.RCV_SYN): (S.SYN_RECEIVED, "RFC 9293 3.10.7.2 LISTEN, third check"),
    (S.LISTEN, I.SYN_COOKIE_ACK): (S.ESTABLISHED, "RFC 4987 3.6 SYN cookies"),
    (S.LISTEN, I.CLOSE): (S.CLOSED, "RFC 9293 3.10.4 CLOSE call, LISTEN state"),
    (S.LISTEN, I.ABORT): (S.CLOSED, "RFC 9293 3.10.5 ABORT call, LISTEN state"),
    (S.SYN_SENT, I.RCV_SYN_ACK): (S.ESTABLISHED, "RFC 9293 3.10.7.3 SYN-SENT, fourth check"),
    (S.SYN_SENT, I.RCV_SYN): (S.SYN_RECEIVED, "RFC 9293 3.10.7.3 SYN-SENT, simultaneous open"),
    (S.SYN_SENT, I.RCV_RST): (S.CLOSED, "RFC 9293 3.10.7.3 SYN-SENT, second check"),
    (S.SYN_SENT, I.CLOSE): (S.CLOSED, "RFC 9293 3.10.4 CLOSE call, SYN-SENT state"),
    (S.SYN_SENT, I.ABORT): (S.CLOSED, "RFC 9293 3.10.5 ABORT call, SYN-SENT state"),
    (S.SYN_SENT, I.TIMEOUT): (S.CLOSED, "RFC 9293 3.8.3 R2 for SYN segments"),
    (S.SYN_RECEIVED, I.RCV_ACK_OF_SYN): (S.ESTABLISHED, "RFC 9293 3.10.7.4 fifth check, SYN-RECEIVED"),
    (S.SYN_RECEIVED, I.RCV_FIN): (S.CLOSE_WAIT, "RFC 9293 3.10.7.4 eighth check, SYN-RECEIVED"),
    (S.SYN_RECEIVED, I.RCV_RST): (S.CLOSED, "RFC 9293 3.10.7.4 second check, SYN-RECEIVED"),
    (S.SYN_RECEIVED, I.CLOSE): (S.FIN_WAIT_1, "RFC 9293 3.10.4 CLOSE call, SYN-RECEIVED state"),
    (S.SYN_RECEIVED, I.ABORT): (S.CLOSED, "RFC 9293 3.10.5 ABORT call"),
    (S.SYN_RECEIVED, I.TIMEOUT): (S.CLOSED, "RFC 9293 3.8.3 R2; Linux tcp_synack_retries"),
    (S.ESTABLISHED, I.CLOSE): (S.FIN_WAIT_1, "RFC 9293 3.10.4 CLOSE call, ESTABLISHED state"),
    (S.ESTABLISHED, I.RCV_FIN): (S.CLOSE_WAIT, "RFC 9293 3.10.7.4 eighth check, ESTABLISHED"),
    (S.ESTABLISHED, I.RCV_RST): (S.CLOSED, "RFC 9293 3.10.7.4 second check; RFC 5961 3.2"),
    (S.ESTABLISHED, I.ABORT): (S.CLOSED, "RFC 9293 3.10.5 ABORT call"),
    (S.ESTABLISHED, I.TIMEOUT): (S.CLOSED, "RFC 9293 3.8.3 R2"),
    (S.ESTABLISHED, I.KEEPALIVE_EXPIRED): (S.CLOSED, "RFC 1122 4.2.3.6 keep-alives"),
    (S.FIN_WAIT_1, I.RCV_ACK_OF_FIN): (S.FIN_WAIT_2, "RFC 9293 3.10.7.4 fifth check, FIN-WAIT-1"),
    (S.FIN_WAIT_1, I.RCV_FIN): (S.CLOSING, "RFC 9293 3.10.7.4 eighth check, FIN-WAIT-1"),
    (S.FIN_WAIT_1, I.RCV_RST): (S.CLOSED, "RFC 9293 3.10.7.4 second check"),
    (S.FIN_WAIT_1, I.ABORT): (S.CLOSED, "RFC 9293 3.10.5 ABORT call"),
    (S.FIN_WAIT_1, I.TIMEOUT): (S.CLOSED, "RFC 9293 3.8.3 R2"),
    (S.FIN_WAIT_1, I.RCV_DATA_AFTER_CLOSE): (S.CLOSED, "RFC 1122 4.2.2.13; Linux tcp_rcv_state_process"),
    (S.FIN_WAIT_2, I.RCV_FIN): (S.TIME_WAIT, "RFC 9293 3.10.7.4 eighth check, FIN-WAIT-2"),
    (S.FIN_WAIT_2, I.RCV_RST): (S.CLOSED, "RFC 9293 3.10.7.4 second check"),
    (S.FIN_WAIT_2, I.ABORT): (S.CLOSED, "RFC 9293 3.10.5 ABORT call"),
    (S.FIN_WAIT_2, I.FIN_WAIT_2_EXPIRED): (S.CLOSED, "Linux tcp_fin_timeout for orphaned sockets"),
    (S.FIN_WAIT_2, I.RCV_DATA_AFTER_CLOSE): (S.CLOSED, "RFC 1122 4.2.2.13; Linux tcp_rcv_state_process"),
    (S.FIN_WAIT_2, I.KEEPALIVE_EXPIRED): (S.CLOSED, "RFC 1122 4.2.3.6 keep-alives"),
    (S.CLOSE_WAIT, I.CLOSE): (S.LAST_ACK, "RFC 9293 3.10.4 CLOSE call, CLOSE-WAIT state"),
    (S.CLOSE_WAIT, I.RCV_RST): (S.CLOSED, "RFC 9293 3.10.7.4 second check"),
    (S.CLOSE_WAIT, I.ABORT): (S.CLOSED, "RFC 9293 3.10.5 ABORT call"),
    (S.CLOSE_WAIT, I.TIMEOUT): (S.CLOSED, "RFC 9293 3.8.3 R2"),
    (S.CLOSE_WAIT, I.KEEPALIVE_EXPIRED): (S.CLOSED, "RFC 1122 4.2.3.6 keep-alives"),
    (S.CLOSING, I.RCV_ACK_OF_FIN): (S.TIME_WAIT, "RFC 9293 3.10.7.4 fifth check, CLOSING"),
    (S.CLOSING, I.RCV_RST): (S.CLOSED, "RFC 9293 3.10.7.4 second check"),
    (S.CLOSING, I.ABORT): (S.CLOSED, "RFC 9293 3.10.5 ABORT call"),
    (S.CLOSING, I.TIMEOUT): (S.CLOSED, "RFC 9293 3.8.3 R2"),
    (S.LAST_ACK, I.RCV_ACK_OF_FIN): (S.CLOSED, "RFC 9293 3.10.7.4 fifth check, LAST-ACK"),
    (S.LAST_ACK, I.RCV_RST): (S.CLOSED, "RFC 9293 3.10.7.4 second check"),
    (S.LAST_ACK, I.ABORT): (S.CLOSED, "RFC 9293 3.10.5 ABORT call"),
    (S.LAST_ACK, I.TIMEOUT): (S.CLOSED, "RFC 9293 3.8.3 R2"),
    (S.TIME_WAIT, I.TIME_WAIT_EXPIRED): (S.CLOSED, "RFC 9293 3.10.8 time-wait timeout"),
    (S.TIME_WAIT, I.RCV_RST): (S.CLOSED, "RFC 9293 3.10.7.4 second check (RFC 1337 hazard noted)"),
    (S.TIME_WAIT, I.ABORT): (S.CLOSED, "RFC 9293 3.10.5 ABORT call"),
    (S.TIME_WAIT, I.REOPENED): (S.CLOSED, "RFC 6191 (Linux tcp_timewait_state_process, TCP_TW_SYN)"),
}

#: The same table by state, then input, for the engine's lookups: two dictionaries keyed by
#: strings with cached hashes cost less than building and hashing a tuple on every change.
NEXT_STATE: Final[dict[State, dict[Input, State]]] = {}
for (_state, _input), (_target, _where) in TRANSITIONS.items():
    NEXT_STATE.setdefault(_state, {})[_input] = _target
