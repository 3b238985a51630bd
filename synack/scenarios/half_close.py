"""``half_close``: the client shuts down writing and still reads the answer (RFC 9293 3.6)."""

from ..sim.host import Host
from .apps import ANSWER, PORT, REQUEST
from .base import MS, Param, Scenario, World


def script(world: World) -> None:
    client = world.host("client", "10.0.0.1")
    server = world.host("server", "10.0.0.2")

    def server_app(host: Host):
        listener = host.listen(PORT)
        sock = yield listener.accept()
        yield from sock.recv_until_eof()
        yield host.sleep(world.params["answer_delay"])
        sock.send(b"a" * ANSWER)
        sock.close()

    def client_app(host: Host):
        sock = yield host.connect(server.ip, PORT)
        sock.send(b"q" * REQUEST)
        sock.shutdown()
        yield from sock.recv_until_eof()
        sock.close()

    server.spawn(server_app)
    client.spawn(client_app)


SCENARIO = Scenario(
    name="half_close",
    title="Half-close: done sending, still listening",
    summary_line="The client sends its request and a FIN, then reads the answer that follows.",
    explanation=(
        "A FIN closes one direction only. After shutdown(SHUT_WR) the client sits in FIN_WAIT_2 and can still "
        "receive; the server, in CLOSE_WAIT, reads to end of stream, answers, and closes. Tools like rsh and "
        "netcat rely on this to say 'that was all my input'."
    ),
    script=script,
    params=(Param("answer_delay", "duration", 50 * MS, "how long the server waits before answering",
                  0, 3_600_000_000),),
)
