"""``fast_open``: TCP Fast Open, a cookie first, then data in the SYN (RFC 7413)."""

from ..sim.host import Host
from .apps import PORT, answering_server, requesting_client
from .base import Scenario, World


def script(world: World) -> None:
    client = world.host("client", "10.0.0.1")
    server = world.host("server", "10.0.0.2")
    server.spawn(answering_server, PORT, connections=2)

    def client_app(host: Host):
        for _ in range(2):
            yield from requesting_client(host, server.ip, PORT, fastopen=True)

    client.spawn(client_app)


SCENARIO = Scenario(
    name="fast_open",
    title="TCP Fast Open: the request rides in the SYN",
    summary_line="First connection fetches a cookie; the second sends its request in the SYN and saves a round trip.",
    explanation=(
        "On the first connection the client asks for a Fast Open cookie with an empty option in its SYN; the "
        "server puts a cookie, a MAC of the client's address, in its SYN-ACK, and the request follows the "
        "handshake as usual. On the second connection the SYN carries the cookie and the request itself: the "
        "server checks the cookie, hands the data to the application before the handshake ends, and its "
        "answer can leave half a round trip after the SYN arrived."
    ),
    script=script,
    profile_settings={"fastopen": 3},
)
