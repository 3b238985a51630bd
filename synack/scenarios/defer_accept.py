"""``defer_accept``: Linux's TCP_DEFER_ACCEPT against a scanner that connects and says nothing.

With TCP_DEFER_ACCEPT the listener treats a bare ACK that completes the
handshake as not enough (Linux tcp_check_req): it drops it and keeps the
connection in the SYN queue until data arrives, so accept() never returns a
connection that has nothing to read.  The seconds given become a number of
SYN-ACK timeouts (secs_to_retrans); while waiting, the SYN-ACK is resent only
from the last of those on (syn_ack_recalc), and after tcp_synack_retries the
half-done connection is dropped without a word.  Here a scanner connects and
never sends (its stack does not answer the repeated SYN-ACKs, like a
masscan-style scanner whose kernel is firewalled), while a real client sends
its request at once and is served at once.
"""

from __future__ import annotations

from ..sim.host import Host, SocketError
from ..sim.network import Impairment
from ..tcp.segment import Segment
from .apps import ANSWER, PORT, REQUEST, read_at_least
from .base import MS, S, Param, Scenario, World

SCANNER_PORT = 40000


def script(world: World) -> None:
    p = world.params
    server = world.host("server", "10.0.0.2")
    scanner = world.host("scanner", "10.0.0.66")
    client = world.host("client", "10.0.0.1")
    summary = world.summary

    def to_scanner(seg: Segment) -> bool:
        return seg.syn and seg.has_ack and seg.dst_port == SCANNER_PORT

    # Once its handshake is done, the scanner's stack ignores the server (an iptables DROP in the recording).
    world.impair(Impairment("the scanner does not answer repeated SYN-ACKs (its firewall drops them)",
                            to_scanner, sender="server", start_us=world.rtt_us))
    accepted: list[dict] = []
    summary["accepted"] = accepted

    def server_app(host: Host):
        listener = host.listen(PORT, defer_accept_s=p["defer_accept"])
        summary["defer_accept_s"] = p["defer_accept"]
        summary["synack_timeouts_deferred"] = listener.listener.defer_retrans
        while True:
            sock = yield listener.accept()
            accepted.append({"peer": sock.conn.remote[0], "at_ms": host.sched.now / 1000,
                             "bytes_readable": len(sock.conn.rcvbuf)})
            host.spawn(serve, sock)

    def serve(host: Host, sock):
        try:
            data = yield sock.recv()
            if data:
                sock.send(b"a" * ANSWER)
                yield from sock.recv_until_eof()
            sock.close()
        except SocketError:
            pass

    def scanner_app(host: Host):
        sock = yield host.connect(server.ip, PORT, local_port=SCANNER_PORT)
        yield host.sleep(p["scanner_quits"])
        listener = server.listeners[PORT]
        summary["bare_acks_dropped"] = listener.deferred_acks_dropped
        summary["synacks_resent_to_scanner"] = world.network.impairments[0].dropped
        try:
            sock.close()
        except SocketError:
            pass
        yield host.sleep(2 * world.rtt_us)
        summary["scanner_woke_application"] = any(a["peer"] == scanner.ip for a in accepted)

    def client_app(host: Host):
        yield host.sleep(p["client_at"])
        start = host.sched.now
        sock = yield host.connect(server.ip, PORT)
        sock.send(b"q" * REQUEST)
        yield from read_at_least(sock, ANSWER)
        summary["client_answer_rtt"] = round((host.sched.now - start) / world.rtt_us, 2)
        sock.close()

    server.spawn(server_app)
    scanner.spawn(scanner_app)
    client.spawn(client_app)


SCENARIO = Scenario(
    name="defer_accept",
    title="TCP_DEFER_ACCEPT: a silent scanner never wakes the server",
    summary_line="Handshakes without data stay in the SYN queue; only a connection with a request reaches accept().",
    explanation=(
        "A server normally wakes up for every completed handshake, even one from a port scanner that will "
        "never send a byte, and spends a thread or a slot on it until a timeout. Linux's TCP_DEFER_ACCEPT "
        "option tells the listener to ignore the handshake's bare ACK and wait for data: the connection stays "
        "half-done in the SYN queue, the server resends its SYN-ACK only near the end of the waiting time, "
        "and if nothing comes it drops the connection silently after its SYN-ACK retries. A real client, "
        "whose request follows its ACK at once, is accepted the moment the request arrives. The seconds you "
        "give are rounded up to whole SYN-ACK timeouts (1, 2, 4, 8 ... s)."
    ),
    script=script,
    params=(Param("defer_accept", "int", 5, "TCP_DEFER_ACCEPT in seconds (0 turns it off)", 0, 3600),
            Param("client_at", "duration", 500 * MS, "when the real client connects", 0, 3_600_000_000),
            Param("scanner_quits", "duration", 70 * S, "when the scanner closes its socket", 0, 3_600_000_000)),
    default_rtt_us=100 * MS,
)

