"""``ack_to_closed_port``: an ACK for no connection is answered with <SEQ=SEG.ACK><CTL=RST> (RFC 9293 3.10.7.1)."""

from ..sim.host import Host
from ..tcp.segment import Flags
from .apps import PORT
from .base import Param, Scenario, World


def script(world: World) -> None:
    p = world.params
    prober = world.host("prober", "10.0.0.1", tcp=False)
    server = world.host("server", "10.0.0.2")

    def prober_app(host: Host):
        host.inject((prober.ip, 40000), (server.ip, PORT), Flags.ACK, p["seq"], p["ack"], window=1000)
        yield host.sleep(0)

    prober.spawn(prober_app)


SCENARIO = Scenario(
    name="ack_to_closed_port",
    title="A stray ACK to a closed port",
    summary_line="An ACK that matches no connection gets an RST whose sequence number is that ACK.",
    explanation=(
        "A segment that carries an ACK but belongs to no connection (a leftover from a crashed peer, or an "
        "ACK scan) is answered with a bare RST whose sequence number is the acknowledgment number it "
        "received. That choice makes the RST acceptable to whoever sent the ACK, if it has a connection."
    ),
    script=script,
    params=(Param("seq", "int", 1000, "sequence number of the ACK", 0, 2**32 - 1),
            Param("ack", "int", 777777, "acknowledgment number of the ACK", 0, 2**32 - 1)),
)
