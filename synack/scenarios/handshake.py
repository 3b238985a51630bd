"""``handshake``: the default lesson: three-way handshake, one request, four-segment teardown.

RFC 9293 3.5 (establishing a connection) and 3.6 (closing one).  The client
connects, sends one request and closes; the server reads it and closes a
little later, so that its ACK of the client's FIN and its own FIN travel as
two segments and the ladder shows all eight rows.
"""

from ..sim.host import Host
from .apps import PORT, REQUEST, reading_server
from .base import MS, Param, Scenario, World


def script(world: World) -> None:
    p = world.params
    client = world.host("client", "10.0.0.1")
    server = world.host("server", "10.0.0.2")
    wait = p["client_wait"] if p["client_wait"] else world.rtt_us
    server.spawn(reading_server, PORT, close_delay_us=p["server_close_delay"])

    def client_app(host: Host):
        sock = yield host.connect(server.ip, PORT)
        sock.send(b"q" * p["request_bytes"])
        yield host.sleep(wait)
        sock.close()
    client.spawn(client_app)


SCENARIO = Scenario(
    name="handshake",
    title="The three-way handshake, one request, and the teardown",
    summary_line="SYN, SYN-ACK, ACK, a request, then FIN/ACK from each side: the whole life of a connection.",
    explanation=(
        "The client proposes an initial sequence number in its SYN; the server answers with its own in a "
        "SYN-ACK that also acknowledges the client's; the client's ACK closes the loop. The client may send "
        "as soon as the SYN-ACK arrives, one round trip after it started, but the server only counts the "
        "connection as ESTABLISHED half a round trip later, when that ACK reaches it. Closing takes a FIN "
        "and an ACK in each direction, and the side that closed first waits in TIME_WAIT while the other "
        "is already CLOSED."
    ),
    script=script,
    params=(
        Param("request_bytes", "int", REQUEST, "bytes the client sends", 1, 1_000_000),
        Param("client_wait", "duration", 0, "how long the client waits before closing (0: one RTT)", 0, 3_600_000_000),
        Param("server_close_delay", "duration", 300 * MS,
              "how long the server waits after end of stream before closing",
              0, 3_600_000_000),
    ),
    phases=("01 SYN", "02 SYN-ACK", "03 ACK", "04 data", "05 FIN", "06 ACK", "07 FIN", "08 ACK"),
)
