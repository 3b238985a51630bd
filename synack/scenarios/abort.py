"""``abort``: close() with SO_LINGER {on, 0} resets the connection instead of closing it (RFC 9293 3.10.5)."""

from ..sim.host import Host, SocketError
from .apps import PORT, REQUEST
from .base import MS, Param, Scenario, World


def script(world: World) -> None:
    client = world.host("client", "10.0.0.1")
    server = world.host("server", "10.0.0.2")

    def server_app(host: Host):
        listener = host.listen(PORT)
        sock = yield listener.accept()
        try:
            yield from sock.recv_until_eof()
            sock.close()
        except SocketError as exc:
            world.summary["server_error"] = str(exc)

    def client_app(host: Host):
        sock = yield host.connect(server.ip, PORT)
        sock.send(b"q" * REQUEST)
        yield host.sleep(world.params["abort_after"])
        sock.abort()

    server.spawn(server_app)
    client.spawn(client_app)


SCENARIO = Scenario(
    name="abort",
    title="Abortive close with SO_LINGER 0",
    summary_line="The client aborts: one RST, no FIN, no TIME_WAIT; the server's read fails with a reset.",
    explanation=(
        "Setting SO_LINGER to on with a zero timeout turns close() into RFC 9293's ABORT: the connection is "
        "dropped at once and a reset tells the peer. Nothing waits in TIME_WAIT, which is why the trick is "
        "popular and also why it is risky: any data still in flight is thrown away."
    ),
    script=script,
    params=(Param("abort_after", "duration", 100 * MS, "how long after sending the client aborts", 0, 3_600_000_000),),
)
