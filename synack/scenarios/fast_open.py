"""``fast_open``: TCP Fast Open, a cookie first, then data in the SYN (RFC 7413), and middleboxes.

With ``middlebox=strip`` a firewall on the path overwrites the Fast Open
option of SYNs with NOPs (RFC 7413 7.1): no cookie ever comes back, so the
request always follows the handshake; Linux asks once more with the
experimental option (kind 254) and then keeps to kind 34
(tcp_rcv_fastopen_synack's try_exp).  A client that sends data with a cookie
through such a box sees the data unacknowledged and sends it again at once.
With ``middlebox=drop`` the firewall drops SYNs that carry the option: the
SYN times out and is resent without data and without the option (RFC 7413
4.2.1, Linux tcp_send_syn_data "Exclude Fast Open option for SYN retries").
Both variants are recorded on Linux (tests/fixtures/linux/fast_open_*.pcap).
"""

from ..sim.host import Host
from ..sim.network import Impairment, Rewrite
from ..tcp import options as opt
from ..tcp.segment import Segment
from ..tcp.seq import seq_sub
from .apps import ANSWER, PORT, REQUEST, answering_server, read_at_least
from .base import Param, Scenario, World


def has_fastopen(seg: Segment) -> bool:
    return seg.syn and any(isinstance(o, opt.FastOpen) for o in seg.options)


def strip_fastopen(seg: Segment) -> Segment | None:
    """The option is overwritten with NOPs, as option-stripping firewalls do; the payload is left alone."""
    if not has_fastopen(seg):
        return None
    options: list[opt.Option] = []
    for o in seg.options:
        options += [opt.NOP] * o.size() if isinstance(o, opt.FastOpen) else [o]
    return seg.replace(options=tuple(options))


def script(world: World) -> None:
    p = world.params
    client = world.host("client", "10.0.0.1")
    server = world.host("server", "10.0.0.2")
    if p["middlebox"] == "strip":
        world.network.rewrite(Rewrite("a firewall strips the Fast Open option from SYNs", strip_fastopen,
                                      sender="client"))
    elif p["middlebox"] == "drop":
        world.impair(Impairment("a firewall drops SYNs carrying the Fast Open option", has_fastopen,
                                sender="client"))
    server.spawn(answering_server, PORT, connections=p["connections"])

    def client_app(host: Host):
        answer_rtt, data_acked, cookie_offered = [], [], []
        for _ in range(p["connections"]):
            start = host.sched.now
            cookie_offered.append(bool(host.ctx.fastopen_cache.get(server.ip)))
            sock = yield host.connect(server.ip, PORT, fastopen_data=b"q" * REQUEST)
            t = sock.conn.tcb
            # Did the SYN-ACK acknowledge data beyond the SYN itself?
            data_acked.append(seq_sub(t.snd_una, t.iss) > 1)
            yield from read_at_least(sock, ANSWER)
            answer_rtt.append(round((host.sched.now - start) / world.rtt_us, 2))
            sock.close()
        world.summary["cookie_offered"] = cookie_offered
        world.summary["data_in_syn_acked"] = data_acked
        world.summary["answer_rtt"] = answer_rtt

    client.spawn(client_app)


SCENARIO = Scenario(
    name="fast_open",
    title="TCP Fast Open: the request rides in the SYN",
    summary_line="First connection fetches a cookie; the second sends its request in the SYN and saves a round trip.",
    explanation=(
        "On the first connection the client asks for a Fast Open cookie with an empty option in its SYN; the "
        "server puts a cookie, a MAC of the client's address, in its SYN-ACK, and the request follows the "
        "handshake as usual. On the second connection the SYN carries the cookie and the request itself: the "
        "server checks the cookie, hands the data to the application before the handshake ends, and its "
        "answer can leave half a round trip after the SYN arrived. Put a middlebox on the path to see why "
        "Fast Open is rare on the Internet: one that strips the option leaves the client without a cookie, "
        "so every request waits for the handshake (Linux tries the option's older experimental form once, in "
        "case only the new one is filtered); one that drops such SYNs costs a whole retransmission timeout, "
        "after which the SYN goes again without the option."
    ),
    script=script,
    params=(Param("middlebox", "choice", "none", "a firewall on the path that strips the option or drops SYNs "
                  "carrying it", choices=("none", "strip", "drop")),
            Param("connections", "int", 2, "connections the client makes, one after another", 1, 20)),
    profile_settings={"fastopen": 3},
)
