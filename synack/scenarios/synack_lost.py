"""``synack_lost``: the server's SYN-ACK is lost; both ends time out and retransmit (RFC 9293 3.8.1)."""

from ..sim.network import Impairment, has_flags
from ..tcp.segment import Flags
from .apps import PORT, connect_then_close, reading_server
from .base import MS, Param, Scenario, World


def script(world: World) -> None:
    client = world.host("client", "10.0.0.1")
    server = world.host("server", "10.0.0.2")
    world.impair(Impairment("the network loses SYN-ACKs for the first 0.5 s", has_flags(Flags.SYN | Flags.ACK),
                            sender="server", end_us=world.params["loss_window"]))
    server.spawn(reading_server, PORT)
    client.spawn(connect_then_close, server.ip, PORT)


SCENARIO = Scenario(
    name="synack_lost",
    title="The SYN-ACK is lost",
    summary_line="The SYN-ACK dies on the wire; the server and the client each retransmit after one second.",
    explanation=(
        "The server has answered and waits in SYN_RECEIVED; the client never heard the answer and waits in "
        "SYN_SENT. Both run a one-second timer: the server resends its SYN-ACK, the client resends its SYN, "
        "and a SYN that repeats the one already answered only makes the server send the SYN-ACK again."
    ),
    script=script,
    params=(Param("loss_window", "duration", 500 * MS, "SYN-ACKs from the server are lost until this time",
                  0, 3_600_000_000),),
)
