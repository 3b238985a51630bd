"""``close_unread``: closing with unread data sends RST, not FIN (RFC 1122 4.2.2.13)."""

from ..sim.host import Host, SocketError
from .apps import PORT, REQUEST
from .base import MS, Param, Scenario, World


def script(world: World) -> None:
    client = world.host("client", "10.0.0.1")
    server = world.host("server", "10.0.0.2")

    def server_app(host: Host):
        listener = host.listen(PORT)
        sock = yield listener.accept()
        yield host.sleep(world.params["close_after"])
        sock.close()

    def client_app(host: Host):
        sock = yield host.connect(server.ip, PORT)
        sock.send(b"q" * REQUEST)
        try:
            yield from sock.recv_until_eof()
            sock.close()
        except SocketError as exc:
            world.summary["client_error"] = str(exc)

    server.spawn(server_app)
    client.spawn(client_app)


SCENARIO = Scenario(
    name="close_unread",
    title="Closing a socket with unread data",
    summary_line="The server closes without reading the request: its TCP resets instead of sending a FIN.",
    explanation=(
        "A FIN promises an orderly end: everything sent was delivered. When the application closes a socket "
        "while received data still waits unread, that promise would be false, so RFC 1122 says to send a "
        "reset instead. The client learns that its request was never read."
    ),
    script=script,
    params=(Param("close_after", "duration", 100 * MS, "how long after accepting the server closes",
                  0, 3_600_000_000),),
)
