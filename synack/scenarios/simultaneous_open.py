"""``simultaneous_open``: two SYNs cross; each end answers with SYN-ACK (RFC 9293 3.5, figure 8)."""

from ..sim.host import Host
from ..sim.network import Impairment, has_flags
from ..tcp.segment import Flags
from .base import MS, Param, Scenario, World

PORT_A, PORT_B = 40001, 40002


def script(world: World) -> None:
    p = world.params
    a = world.host("A", "10.0.0.1")
    b = world.host("B", "10.0.0.2")
    world.impair(Impairment("the network loses A's SYNs for the first 0.4 s", has_flags(Flags.SYN),
                            sender="A", end_us=p["loss_window"]))

    def a_app(host: Host):
        start = host.sched.now
        sock = yield host.connect(b.ip, PORT_B, local_port=PORT_A)
        yield host.sleep(max(0, start + p["a_close_after"] - host.sched.now))
        sock.close()

    def b_app(host: Host):
        yield host.sleep(p["b_connect_after"])
        sock = yield host.connect(a.ip, PORT_A, local_port=PORT_B)
        yield host.sleep(max(0, p["a_close_after"] + p["b_close_lag"] - host.sched.now))
        sock.close()

    a.spawn(a_app)
    b.spawn(b_app)


SCENARIO = Scenario(
    name="simultaneous_open",
    title="Simultaneous open",
    summary_line="Two ends connect to each other at once: SYNs cross, both answer SYN-ACK, no listener needed.",
    explanation=(
        "When a SYN arrives at a socket that is itself in SYN_SENT, RFC 9293 has it move to SYN_RECEIVED and "
        "answer with a SYN-ACK carrying its own, unchanged initial sequence number. Each side then treats the "
        "other's SYN-ACK as the ACK of its SYN. Peer-to-peer programs behind NATs rely on this exchange."
    ),
    script=script,
    params=(Param("loss_window", "duration", 400 * MS, "A's SYNs are lost until this time", 0, 3_600_000_000),
            Param("b_connect_after", "duration", 200 * MS, "when B connects", 0, 3_600_000_000),
            Param("a_close_after", "duration", 1900 * MS, "when A closes, after its connect", 0, 3_600_000_000),
            Param("b_close_lag", "duration", 100 * MS, "how long after A B closes", 0, 3_600_000_000)),
)
