"""``client_close``: the client closes first, so the client ends in TIME_WAIT (RFC 9293 3.6, case 1)."""

from .apps import PORT, answering_server, requesting_client
from .base import Scenario, World


def script(world: World) -> None:
    client = world.host("client", "10.0.0.1")
    server = world.host("server", "10.0.0.2")
    server.spawn(answering_server, PORT)
    client.spawn(requesting_client, server.ip, PORT)


SCENARIO = Scenario(
    name="client_close",
    title="Request, answer, and the client closes first",
    summary_line="The client closes on reading the answer; the server closes at once on end of stream.",
    explanation=(
        "After a 100-byte request and a 200-byte answer the client closes. The server sees end of stream and "
        "closes at once, so Linux lets its FIN carry the ACK of the client's FIN: the teardown takes three "
        "segments, not four. The client, having closed first, holds the connection in TIME_WAIT."
    ),
    script=script,
)
