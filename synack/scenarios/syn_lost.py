"""``syn_lost``: the first SYN is lost; the client retransmits it after the initial RTO of 1 s (RFC 6298 2.1)."""

from ..sim.network import Impairment, has_flags
from ..tcp.segment import Flags
from .apps import PORT, connect_then_close, reading_server
from .base import MS, Param, Scenario, World


def script(world: World) -> None:
    client = world.host("client", "10.0.0.1")
    server = world.host("server", "10.0.0.2")
    world.impair(Impairment("the network loses SYNs for the first 0.5 s", has_flags(Flags.SYN, Flags.ACK),
                            sender="client", end_us=world.params["loss_window"]))
    server.spawn(reading_server, PORT)
    client.spawn(connect_then_close, server.ip, PORT)


SCENARIO = Scenario(
    name="syn_lost",
    title="The first SYN is lost",
    summary_line="The SYN dies on the wire; after the initial RTO of one second the client sends it again.",
    explanation=(
        "Before the handshake no round-trip time has been measured, so the client must guess how long to wait "
        "for the SYN-ACK: RFC 6298 sets the initial retransmission timeout to one second. A lost SYN therefore "
        "costs a whole second, however short the path, which is why a single dropped SYN shows up as a "
        "one-second stall in page-load times."
    ),
    script=script,
    params=(Param("loss_window", "duration", 500 * MS, "SYNs from the client are lost until this time",
                  0, 3_600_000_000),),
)
