"""``time_wait``: the server closes first and sits in TIME_WAIT; the client comes back on the same port.

RFC 9293 3.6.1 (TIME-WAIT, 2 x MSL) and RFC 6191: a new SYN with a newer
timestamp may end TIME_WAIT early; Linux then starts the new connection's ISN
at the old SND.NXT + 65535 + 2 so no old segment can be mistaken for new.
"""

from ..sim.host import Host
from .apps import ANSWER, PORT, REQUEST
from .base import S, Param, Scenario, World

CLIENT_PORT = 45000


def script(world: World) -> None:
    client = world.host("client", "10.0.0.1")
    server = world.host("server", "10.0.0.2")

    def server_app(host: Host):
        listener = host.listen(PORT)
        for _ in range(2):
            sock = yield listener.accept()
            yield sock.recv()
            sock.send(b"a" * ANSWER)
            sock.close()  # the server closes first: TIME_WAIT lands here

    def client_app(host: Host):
        for _ in range(2):
            sock = yield host.connect(server.ip, PORT, local_port=CLIENT_PORT)
            sock.send(b"q" * REQUEST)
            yield from sock.recv_until_eof()
            sock.close()
            yield host.sleep(world.params["reconnect_after"])

    server.spawn(server_app)
    client.spawn(client_app)


SCENARIO = Scenario(
    name="time_wait",
    title="TIME_WAIT, and a new connection on the same ports",
    summary_line="The server closes first and waits in TIME_WAIT; the client's next SYN on the same 4-tuple ends it.",
    explanation=(
        "The side that closes first keeps the connection in TIME_WAIT (60 s on Linux, 2 x MSL in the RFC) so "
        "that a stray old segment cannot be taken for part of a new connection with the same addresses and "
        "ports. Here the client reconnects from the same port a second later. Its SYN carries a newer "
        "timestamp, so the server may end TIME_WAIT early; it starts the new connection's sequence numbers "
        "above anything the old one sent."
    ),
    script=script,
    params=(Param("reconnect_after", "duration", 1 * S, "when the client connects again", 0, 3_600_000_000),),
    crowd_every_us=1 * S,
    crowd_plot=("server.TIME_WAIT", "client.TIME_WAIT", "server.ESTABLISHED", "client.ESTABLISHED"),
)
