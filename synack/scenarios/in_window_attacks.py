"""``in_window_attacks``: spoofed SYN and RSTs against an open connection (RFC 5961 3 and 4)."""

from ..sim.host import Host, SocketError
from ..tcp.segment import Flags
from ..tcp.seq import seq_add
from .apps import PORT, acknowledged_request, held_reading_server
from .base import MS, Param, Scenario, World


def script(world: World) -> None:
    p = world.params
    client = world.host("client", "10.0.0.1")
    server = world.host("server", "10.0.0.2")
    attacker = world.host("attacker", "10.0.0.66", tcp=False)
    state: dict = {}

    def attacker_app(host: Host, client_sock, server_sock):
        src = (client.ip, client_sock.conn.local[1])
        dst = (server.ip, PORT)
        host.inject(src, dst, Flags.SYN, 12345, window=1000)
        yield host.sleep(p["gap"])
        # The attacker is on the path and knows where the server's window starts.
        rcv_nxt = server_sock.conn.tcb.rcv_nxt
        host.inject(src, dst, Flags.RST, seq_add(rcv_nxt, 10))
        yield host.sleep(p["gap"])
        host.inject(src, dst, Flags.RST, server_sock.conn.tcb.rcv_nxt)

    def client_app(host: Host):
        sock = yield from acknowledged_request(host, server.ip)
        yield host.sleep(p["attack_after"])
        attacker.spawn(attacker_app, sock, state["server"])
        yield host.sleep(2 * p["gap"] + p["close_after"])
        try:
            sock.close()
        except SocketError:
            pass

    server.spawn(held_reading_server, PORT, state, world.summary)
    client.spawn(client_app)


SCENARIO = Scenario(
    name="in_window_attacks",
    title="Blind in-window attacks and RFC 5961",
    summary_line="A spoofed SYN and an RST near the window get challenge ACKs; only an exact RST resets.",
    explanation=(
        "An attacker who can guess roughly where a connection's sequence numbers are could once reset it with "
        "any RST inside the window. RFC 5961 narrows that: only an RST exactly at RCV.NXT resets; one merely "
        "inside the window, and any SYN on an open connection, is answered with a 'challenge ACK' that the "
        "real peer would follow up on. Linux sends at most one such answer per socket every 500 ms."
    ),
    script=script,
    params=(Param("attack_after", "duration", 0, "delay after the request is acknowledged", 0, 3_600_000_000),
            Param("gap", "duration", 100 * MS, "time between the attacker's segments", 0, 3_600_000_000),
            Param("close_after", "duration", 200 * MS, "when the client closes after the last RST", 0,
                  3_600_000_000)),
)
