"""``pmtud_blackhole``: a tunnel with a smaller MTU, path MTU discovery, and the black hole without ICMP.

RFC 1191: TCP sets DF, so a router that cannot forward a packet drops it and
answers with ICMP "fragmentation needed" and its next-hop MTU; the sender
lowers its MSS and resends.  When a firewall blocks that ICMP (RFC 2923 2.1,
the "PMTUD black hole"), the handshake and small requests pass but every
full-sized segment of the answer vanishes, resent until the connection dies.
The usual repair is MSS clamping on the gateway (iptables TCPMSS
--clamp-mss-to-pmtu): it lowers the MSS option in SYNs passing through, so
no segment is ever too big.
"""

from __future__ import annotations

from ..sim.host import Host, SocketError
from ..sim.network import NarrowLink, Rewrite
from ..tcp import options as opt
from ..tcp.segment import Segment
from .apps import PORT, REQUEST
from .base import S, Param, Scenario, World

IP_TCP_HEADERS = 40


def clamp_mss(mtu: int):
    def change(seg: Segment) -> Segment | None:
        if not seg.syn:
            return None
        limit = mtu - IP_TCP_HEADERS
        if not any(isinstance(o, opt.Mss) and o.value > limit for o in seg.options):
            return None
        return seg.replace(options=tuple(opt.Mss(limit) if isinstance(o, opt.Mss) else o for o in seg.options))
    return change


def script(world: World) -> None:
    p = world.params
    client = world.host("client", "10.0.0.1")
    server = world.host("server", "10.0.0.2")
    tunnel = NarrowLink(p["tunnel_mtu"], icmp=p["icmp"] == "delivered", name="the IPsec tunnel")
    world.network.narrow_link(tunnel)
    if p["mss_clamp"]:
        world.network.rewrite(Rewrite(f"the gateway clamps the MSS to {p['tunnel_mtu'] - IP_TCP_HEADERS}",
                                      clamp_mss(p["tunnel_mtu"])))
    summary = world.summary

    def server_app(host: Host):
        listener = host.listen(PORT)
        sock = yield listener.accept()
        try:
            data = yield sock.recv()
            if data:
                sock.send(b"a" * p["answer"])
            yield from sock.recv_until_eof()
            sock.close()
        except SocketError as exc:
            summary["server_error"] = str(exc)

    progress = {"got": 0, "done": False, "sock": None, "start": 0}

    def report(host: Host) -> None:
        got = progress["got"]
        summary["answer_bytes_received"] = got
        summary["answer_complete"] = got >= p["answer"]
        summary["answer_rtt"] = (round((host.sched.now - progress["start"]) / world.rtt_us, 2)
                                 if got >= p["answer"] else None)
        conn = server.all_connections[0]
        summary["mss_server_learned_from_syn"] = conn.tcb.peer_mss
        summary["server_mss"] = conn.tcb.snd_mss
        summary["largest_packet_through_tunnel"] = tunnel.largest_passed
        summary["packets_too_big"] = tunnel.dropped
        summary["icmp_messages"] = tunnel.icmp_sent

    def client_app(host: Host):
        progress["start"] = host.sched.now
        sock = yield host.connect(server.ip, PORT)
        progress["sock"] = sock
        sock.send(b"q" * REQUEST)
        while progress["got"] < p["answer"]:
            data = yield sock.recv()
            if not data:
                break
            progress["got"] += len(data)
        if not progress["done"]:
            progress["done"] = True
            report(host)
            sock.close()

    def give_up(host: Host):
        # Like a browser abandoning a page: a client that has waited long enough resets the connection.
        yield host.sleep(p["give_up"])
        if not progress["done"] and progress["sock"] is not None:
            progress["done"] = True
            report(host)
            try:
                progress["sock"].abort()
            except SocketError:
                pass

    server.spawn(server_app)
    client.spawn(client_app)
    client.spawn(give_up)


SCENARIO = Scenario(
    name="pmtud_blackhole",
    title="Path MTU discovery and the black hole",
    summary_line="A tunnel with a smaller MTU: ICMP shrinks the segments; with ICMP blocked, large answers vanish.",
    explanation=(
        "Ethernet carries 1500-byte packets, but a path through an IPsec tunnel has less room (here 1400). "
        "TCP sends with Don't Fragment set, so the gateway at the tunnel's mouth drops a packet too big for "
        "it and sends back ICMP 'fragmentation needed' with the size that fits; the sender lowers its MSS "
        "and sends again. If a firewall blocks that ICMP, nothing tells the sender: the handshake and a small "
        "request get through, but every full-sized segment of the answer is dropped and resent in vain, and "
        "the page hangs. Gateways fix this by clamping the MSS option of SYNs passing through to what the "
        "tunnel can carry, so the large segments are never sent."
    ),
    script=script,
    params=(Param("tunnel_mtu", "int", 1400, "MTU of the tunnel on the path (Ethernet is 1500)", 576, 1500),
            Param("icmp", "choice", "delivered", "whether the gateway's ICMP 'fragmentation needed' reaches "
                  "the server", choices=("delivered", "blocked")),
            Param("mss_clamp", "bool", False, "the gateway clamps the MSS in SYNs to the tunnel's MTU - 40"),
            Param("answer", "int", 4000, "size of the server's answer in bytes", 1, 1_000_000),
            Param("give_up", "duration", 10 * S, "when the client gives up waiting for the whole answer", 1,
                  3_600_000_000)),
)
