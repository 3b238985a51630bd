"""A connection's timers (RFC 9293 3.8, RFC 6298, RFC 8985, RFC 1122 4.2.3.6), by name.

Their values are what traces and views print ("retransmit", "time-wait",
...), so they stay as they are.
"""

from __future__ import annotations

from enum import Enum
from typing import Final


class Timer(str, Enum):
    RETRANSMIT = "retransmit"  # RFC 6298; also the SYN and SYN-ACK schedules
    DELAYED_ACK = "delayed-ack"  # RFC 9293 3.8.6.3
    TIME_WAIT = "time-wait"  # RFC 9293 3.10.8, 2 MSL
    KEEPALIVE = "keepalive"  # RFC 1122 4.2.3.6
    FIN_WAIT_2 = "fin-wait-2"  # Linux tcp_fin_timeout for orphaned sockets
    PERSIST = "persist"  # RFC 9293 3.8.6.1 zero-window probes
    LOSS_PROBE = "loss-probe"  # RFC 8985 7, tail loss probe

    __hash__ = str.__hash__  # in C: the engine keys a dict by timer on every segment

    def __str__(self) -> str:
        return self.value


RETRANSMIT: Final = Timer.RETRANSMIT
DELAYED_ACK: Final = Timer.DELAYED_ACK
TIME_WAIT_TIMER: Final = Timer.TIME_WAIT
KEEPALIVE: Final = Timer.KEEPALIVE
FIN_WAIT_2_TIMER: Final = Timer.FIN_WAIT_2
PERSIST: Final = Timer.PERSIST
LOSS_PROBE: Final = Timer.LOSS_PROBE
