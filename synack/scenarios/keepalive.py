"""``keepalive``: an idle connection probed by keep-alives (RFC 1122 4.2.3.6)."""

from ..sim.host import Host
from .apps import PORT, reading_server
from .base import MS, S, Param, Scenario, World


def script(world: World) -> None:
    p = world.params
    client = world.host("client", "10.0.0.1")
    server = world.host("server", "10.0.0.2")
    server.spawn(reading_server, PORT)

    def client_app(host: Host):
        sock = yield host.connect(server.ip, PORT, keepalive=(p["idle"], p["interval"], p["probes"]))
        yield host.sleep(p["close_after"])
        sock.close()

    client.spawn(client_app)


SCENARIO = Scenario(
    name="keepalive",
    title="Keep-alive probes on an idle connection",
    summary_line="Nothing to say for 2.5 s: every second the client checks that the server is still there.",
    explanation=(
        "An idle TCP connection sends nothing, so a peer that vanished goes unnoticed. A keep-alive probe is "
        "an ACK with a sequence number one below what the peer expects: it carries no data, but the peer must "
        "answer it with an ACK. Linux waits two hours by default; this client asks for one second."
    ),
    script=script,
    params=(Param("idle", "duration", 1 * S, "idle time before the first probe", 1000, 3_600_000_000),
            Param("interval", "duration", 1 * S, "time between probes", 1000, 3_600_000_000),
            Param("probes", "int", 3, "unanswered probes before giving up", 1, 127),
            Param("close_after", "duration", 2500 * MS, "when the client closes", 0, 3_600_000_000)),
)
