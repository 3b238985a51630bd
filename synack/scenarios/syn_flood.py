"""``syn_flood``: forged SYNs fill the SYN queue; SYN cookies let a real client in anyway (RFC 4987)."""

from ..sim.host import Host
from ..tcp.segment import Flags
from .apps import PORT, answering_server, requesting_client
from .base import MS, Param, Scenario, World


def script(world: World) -> None:
    p = world.params
    client = world.host("client", "10.0.0.1")
    server = world.host("server", "10.0.0.2")
    attacker = world.host("attacker", "10.0.0.66", tcp=False)
    server.spawn(answering_server, PORT)

    def flood(host: Host):
        for i in range(p["forged_syns"]):
            # Each SYN claims a different source that does not exist, so no RST ever frees the slot.
            src = (f"198.51.100.{1 + i % 250}", 1024 + i)
            host.inject(src, (server.ip, PORT), Flags.SYN, world.rng.getrandbits(32), window=1024)
            yield host.sleep(p["interval"])

    def late_client(host: Host):
        yield host.sleep(p["forged_syns"] * p["interval"] + p["interval"])
        yield from requesting_client(host, server.ip, PORT)

    attacker.spawn(flood)
    client.spawn(late_client)


SCENARIO = Scenario(
    name="syn_flood",
    title="A SYN flood, and SYN cookies",
    summary_line="Forged SYNs fill the half-open queue; with cookies on, a real client still gets in.",
    explanation=(
        "Every SYN makes the server keep a half-open connection and retransmit its SYN-ACK for about a minute. "
        "Forged SYNs from addresses that never answer fill that queue cheaply. Once it is full, Linux (with "
        "tcp_syncookies=1, the default) stops keeping state and answers with SYN cookies, so the real client "
        "below completes its handshake anyway. Set syncookies=0 to see its SYNs dropped instead."
    ),
    script=script,
    params=(Param("forged_syns", "int", 8, "how many forged SYNs the attacker sends", 1, 1000),
            Param("interval", "duration", 10 * MS, "time between forged SYNs", 1, 3_600_000_000),
            Param("backlog", "int", 8, "size of the SYN queue (tcp_max_syn_backlog)", 1, 65535),
            Param("syncookies", "int", 1, "0 off, 1 when the queue overflows, 2 always", 0, 2)),
    profile_settings={},
)
