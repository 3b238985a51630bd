"""``client_close_lingering_server``: the server waits before closing, so its ACK of the FIN goes alone."""

from .apps import PORT, answering_server, requesting_client
from .base import MS, Param, Scenario, World


def script(world: World) -> None:
    client = world.host("client", "10.0.0.1")
    server = world.host("server", "10.0.0.2")
    server.spawn(answering_server, PORT, close_delay_us=world.params["server_close_delay"])
    client.spawn(requesting_client, server.ip, PORT)


SCENARIO = Scenario(
    name="client_close_lingering_server",
    title="The client closes; the server lingers before closing",
    summary_line="The server closes 150 ms after end of stream: its delayed ACK and its FIN go separately.",
    explanation=(
        "As in client_close, but the server keeps the connection in CLOSE_WAIT for 150 ms before closing. "
        "The ACK of the client's FIN cannot wait for the server's FIN any longer: the delayed-ACK timer sends "
        "it alone, and the teardown takes the textbook four segments."
    ),
    script=script,
    params=(Param("server_close_delay", "duration", 150 * MS, "how long the server waits after end of stream",
                  0, 3_600_000_000),),
)
