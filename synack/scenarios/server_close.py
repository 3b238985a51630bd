"""``server_close``: the server closes first, so TIME_WAIT lands on the server (RFC 9293 3.6)."""

from ..sim.host import Host
from .apps import PORT, REQUEST
from .base import MS, Param, Scenario, World


def script(world: World) -> None:
    client = world.host("client", "10.0.0.1")
    server = world.host("server", "10.0.0.2")
    delay = world.params["client_close_delay"]

    def server_app(host: Host):
        listener = host.listen(PORT)
        sock = yield listener.accept()
        yield sock.recv()
        sock.send(b"a" * 200)
        sock.close()

    def client_app(host: Host):
        sock = yield host.connect(server.ip, PORT)
        sock.send(b"q" * REQUEST)
        yield from sock.recv_until_eof()
        yield host.sleep(delay)
        sock.close()

    server.spawn(server_app)
    client.spawn(client_app)


SCENARIO = Scenario(
    name="server_close",
    title="The server answers and closes first",
    summary_line="The server closes right after answering; the client closes 150 ms after end of stream.",
    explanation=(
        "The server sends its answer and closes straight away, as an HTTP/1.0 server does. The client reads the "
        "answer and the end of stream, then closes 150 ms later. This time the server closed first, so the "
        "server is the one left in TIME_WAIT: busy servers that close first collect TIME_WAIT sockets."
    ),
    script=script,
    params=(Param("client_close_delay", "duration", 150 * MS, "how long the client waits after end of stream",
                  0, 3_600_000_000),),
)
