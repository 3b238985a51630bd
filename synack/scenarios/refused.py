"""``refused``: a SYN to a port nobody listens on is answered with RST+ACK (RFC 9293 3.10.7.1)."""

from ..sim.host import Host, SocketError
from .apps import PORT
from .base import Scenario, World


def script(world: World) -> None:
    client = world.host("client", "10.0.0.1")
    server = world.host("server", "10.0.0.2")

    def client_app(host: Host):
        try:
            yield host.connect(server.ip, PORT)
        except SocketError as exc:
            world.summary["client_error"] = str(exc)

    client.spawn(client_app)


SCENARIO = Scenario(
    name="refused",
    title="Connection refused",
    summary_line="Nobody listens on the port: the SYN is answered with RST+ACK and connect() fails.",
    explanation=(
        "With no socket bound to the port, the server's TCP has no connection to hand the SYN to. RFC 9293 "
        "says to answer any segment for a closed port with a reset; since the SYN carried no ACK, the reset "
        "has sequence number 0 and acknowledges the SYN. The client's connect() fails with 'connection refused'."
    ),
    script=script,
)
