"""``simultaneous_close``: both ends send FIN at once; both pass through CLOSING to TIME_WAIT (RFC 9293 3.6, case 3)."""

from ..sim.host import Host, Waitable
from ..sim.network import Impairment, has_flags
from ..tcp.segment import Flags
from .apps import PORT
from .base import MS, S, Param, Scenario, World


def script(world: World) -> None:
    a = world.host("client", "10.0.0.1")
    b = world.host("server", "10.0.0.2")
    world.impair(Impairment("the network loses FINs for the first 0.5 s", has_flags(Flags.FIN),
                            end_us=world.params["loss_window"]))
    both_up = Waitable()
    later = world.params["close_after"]

    def server_app(host: Host):
        listener = host.listen(PORT)
        sock = yield listener.accept()
        both_up.resolve(None)
        sock.shutdown()
        yield host.sleep(later)
        sock.close()

    def client_app(host: Host):
        sock = yield host.connect(b.ip, PORT)
        yield both_up
        sock.shutdown()
        yield host.sleep(later)
        sock.close()

    b.spawn(server_app)
    a.spawn(client_app)


SCENARIO = Scenario(
    name="simultaneous_close",
    title="Simultaneous close",
    summary_line="Both ends shut down writing at the same moment; their FINs cross and both end in TIME_WAIT.",
    explanation=(
        "Each side sends a FIN before it has seen the other's. A FIN that arrives while our own is still "
        "unacknowledged moves us from FIN_WAIT_1 to CLOSING; the ACK of our FIN then moves us to TIME_WAIT. "
        "Here the first FINs are lost, so both are retransmitted after the RTO before the crossing happens."
    ),
    script=script,
    params=(Param("loss_window", "duration", 500 * MS, "FINs are lost until this time", 0, 3_600_000_000),
            Param("close_after", "duration", 2 * S, "when both close after shutting down", 0, 3_600_000_000)),
)
