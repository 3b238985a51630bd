"""``setup_tax``: round trips before the first byte of the answer, TCP to QUIC 0-RTT.

Six fetches of the same small answer, one after another on the same simulated
wire: plain TCP; TCP + TLS 1.2 (RFC 5246 7.3, two round trips of handshake);
TCP + TLS 1.3 (RFC 8446 2, one); TLS 1.3 over TCP Fast Open on a repeat
visit (RFC 7413: the ClientHello rides in the SYN); QUIC (RFC 9000 7, RFC 9001
4: the TLS 1.3 handshake in the first datagrams) and QUIC 0-RTT on a resumed
session (RFC 9001 4.6.1: the request in the first flight).  TLS records are
real bytes on the TCP connections; QUIC's packets are datagrams of their real
sizes with the same delay and loss.  Times are measured in the simulation,
from the application's first call to the moment the answer is in.
"""

from __future__ import annotations

from typing import Any

from ..sim.host import App, Host, Socket, UdpSocket
from .apps import ANSWER, REQUEST, read_at_least
from .base import Param, Scenario, World

# Sizes of the handshake flights, in bytes of TCP payload or UDP payload.
CLIENT_HELLO = 517  # a browser's ClientHello, padded (RFC 7685) past 512 bytes
TLS12_SERVER_EXTRA = 400  # ServerHello, ServerKeyExchange (ECDHE), ServerHelloDone, without the certificates
TLS12_CLIENT_FLIGHT = 126  # ClientKeyExchange, ChangeCipherSpec, Finished
TLS12_SERVER_FINISHED = 51  # ChangeCipherSpec, Finished
TLS13_SERVER_EXTRA = 500  # ServerHello, EncryptedExtensions, CertificateVerify, Finished
TLS13_CLIENT_FINISHED = 80  # (ChangeCipherSpec,) Finished
QUIC_INITIAL = 1200  # RFC 9000 14.1: a client's Initial datagram is padded to 1200 bytes
QUIC_MAX_DATAGRAM = 1200
QUIC_RESUMED_FLIGHT = 250  # ServerHello, EncryptedExtensions, Finished: no certificates on resumption
QUIC_AMPLIFICATION = 3  # RFC 9000 8.1: at most three times what the client sent, until its address is proven
QUIC_INITIAL_PTO_US = 1_000_000  # RFC 9002 6.2.2: 3 x the initial RTT estimate of 333 ms

PORT_TCP, PORT_TLS12, PORT_TLS13, PORT_QUIC = 80, 443, 8443, 443
VARIANTS = ("tcp", "tcp+tls1.2", "tcp+tls1.3", "tfo+tls1.3", "quic", "quic-0rtt")


def tcp_server(host: Host, port: int, kind: str, cert: int, connections: int) -> App:
    """Accept, run the server side of the handshake, answer the request, close at end of stream."""
    listener = host.listen(port)
    for _ in range(connections):
        sock = yield listener.accept()
        if kind == "tls1.2":
            yield from read_at_least(sock, CLIENT_HELLO)
            sock.send(b"s" * (TLS12_SERVER_EXTRA + cert))
            yield from read_at_least(sock, TLS12_CLIENT_FLIGHT)
            sock.send(b"f" * TLS12_SERVER_FINISHED)
            yield from read_at_least(sock, REQUEST)
        elif kind == "tls1.3":
            yield from read_at_least(sock, CLIENT_HELLO)
            sock.send(b"s" * (TLS13_SERVER_EXTRA + cert))
            yield from read_at_least(sock, TLS13_CLIENT_FINISHED + REQUEST)
        else:
            yield from read_at_least(sock, REQUEST)
        sock.send(b"a" * ANSWER)
        yield from sock.recv_until_eof()
        sock.close()


def tcp_fetch(host: Host, server_ip: str, port: int, kind: str, cert: int, fastopen: bool,
              times: dict[str, int], name: str) -> App:
    """One fetch over TCP; records when it began and when the answer was in."""
    start = host.sched.now
    sock: Socket
    if kind == "tcp":
        sock = yield host.connect(server_ip, port)
        sock.send(b"q" * REQUEST)
    elif fastopen:
        # With a cookie, the ClientHello rides in the SYN; without one the SYN asks for a cookie.
        sock = yield host.connect(server_ip, port, fastopen_data=b"c" * CLIENT_HELLO)
    else:
        sock = yield host.connect(server_ip, port)
        sock.send(b"c" * CLIENT_HELLO)
    if kind == "tls1.2":
        yield from read_at_least(sock, TLS12_SERVER_EXTRA + cert)
        sock.send(b"k" * TLS12_CLIENT_FLIGHT)
        yield from read_at_least(sock, TLS12_SERVER_FINISHED)
        sock.send(b"q" * REQUEST)
    elif kind == "tls1.3":
        yield from read_at_least(sock, TLS13_SERVER_EXTRA + cert)
        sock.send(b"q" * (TLS13_CLIENT_FINISHED + REQUEST))  # Finished and the request leave together
    yield from read_at_least(sock, ANSWER)
    times[name] = host.sched.now - start
    sock.close()


def flight_label(first: bool, last: bool, resumed: bool) -> str:
    """What one datagram of the server's handshake flight carries (RFC 9001 4.1.4)."""
    if resumed:
        return "Initial[ServerHello] Handshake[EncryptedExtensions, Finished]"
    if first and last:
        return "Initial[ServerHello] Handshake[EncryptedExtensions, Certificate, CertificateVerify, Finished]"
    if first:
        return "Initial[ServerHello] Handshake[EncryptedExtensions, Certificate...]"
    if last:
        return "Handshake[...Certificate, CertificateVerify, Finished]"
    return "Handshake[...Certificate...]"


def quic_server(host: Host, cert: int) -> App:
    """A QUIC server's handshake as flights: sizes, the anti-amplification limit, answers to repeats."""
    udp = host.udp_socket(PORT_QUIC)
    received = sent = 0
    flight = done = 0  # bytes in the current handshake flight, and how many of them went out
    resumed = False

    def send_flight(src: tuple[str, int]) -> None:
        """Send what is left of the flight, as far as the anti-amplification limit allows (RFC 9000 8.1)."""
        nonlocal sent, done
        while done < flight:
            budget = QUIC_AMPLIFICATION * received - sent
            part = min(flight - done, QUIC_MAX_DATAGRAM, budget)
            if part <= 0:
                return
            first, last = done == 0, done + part == flight
            label = flight_label(first, last, resumed)
            done += part
            sent += part
            if not last and QUIC_AMPLIFICATION * received - sent <= 0:
                label += " (anti-amplification limit: waiting for the client)"
            udp.sendto(src, part, label)
    while True:
        src, size, label = yield udp.recvfrom()
        if label.startswith("Initial[ClientHello]"):
            if "(repeat)" not in label:
                received = sent = 0  # a new connection
            received += size
            resumed = "0-RTT" in label
            # A resumed session has no certificates (RFC 8446 2.2); its 0-RTT request is answered at once.
            flight, done = (QUIC_RESUMED_FLIGHT if resumed else TLS13_SERVER_EXTRA + cert), 0
            send_flight(src)
            if resumed:
                udp.sendto(src, ANSWER, "1-RTT[answer]")
        elif label.startswith("Initial[ACK]"):
            # A Handshake-level reply proves the client's address: the limit is lifted (RFC 9000 8.1).
            received += 1 << 30
            send_flight(src)
        elif label.startswith("Handshake[Finished]"):
            udp.sendto(src, ANSWER, "1-RTT[answer] HANDSHAKE_DONE")


def quic_fetch(host: Host, udp: UdpSocket, server_ip: str, zero_rtt: bool, times: dict[str, int],
               name: str) -> App:
    """The client: Initial (and 0-RTT request), wait for the server's Finished, send its own, get the answer.

    An unanswered flight is sent again after the probe timeout, doubling (RFC 9002 6.2).
    """
    start = host.sched.now
    server = (server_ip, PORT_QUIC)
    first = "Initial[ClientHello] + 0-RTT[request]" if zero_rtt else "Initial[ClientHello]"
    flight = (first, QUIC_INITIAL)
    udp.sendto(server, flight[1], flight[0])
    pto = QUIC_INITIAL_PTO_US
    while True:
        msg = yield udp.recvfrom(timeout_us=pto)
        if msg is None:
            udp.sendto(server, flight[1], flight[0] + " (repeat)")
            pto *= 2
            continue
        _src, _size, label = msg
        if label.startswith("1-RTT[answer]"):
            times[name] = host.sched.now - start
            break
        if "anti-amplification" in label:
            udp.sendto(server, 50, "Initial[ACK]")
        elif label.endswith("Finished]") and not zero_rtt:
            flight = ("Handshake[Finished] + 1-RTT[request]", TLS13_CLIENT_FINISHED + REQUEST + 40)
            udp.sendto(server, flight[1], flight[0])
    udp.sendto(server, 40, "CONNECTION_CLOSE")


def script(world: World) -> None:
    p = world.params
    cert = p["cert_bytes"]
    client = world.host("client", "10.0.0.1")
    server = world.host("server", "10.0.0.2")
    server.spawn(tcp_server, PORT_TCP, "tcp", cert, 1)
    server.spawn(tcp_server, PORT_TLS12, "tls1.2", cert, 1)
    server.spawn(tcp_server, PORT_TLS13, "tls1.3", cert, 2)
    server.spawn(quic_server, cert)
    times: dict[str, int] = {}

    def client_app(host: Host) -> App:
        gap = p["gap"]
        yield from tcp_fetch(host, server.ip, PORT_TCP, "tcp", cert, False, times, "tcp")
        yield host.sleep(gap)
        yield from tcp_fetch(host, server.ip, PORT_TLS12, "tls1.2", cert, False, times, "tcp+tls1.2")
        yield host.sleep(gap)
        # The first TLS 1.3 visit also asks for a Fast Open cookie, which the repeat visit then uses.
        yield from tcp_fetch(host, server.ip, PORT_TLS13, "tls1.3", cert, True, times, "tcp+tls1.3")
        yield host.sleep(gap)
        yield from tcp_fetch(host, server.ip, PORT_TLS13, "tls1.3", cert, True, times, "tfo+tls1.3")
        yield host.sleep(gap)
        udp = host.udp_socket(50000)
        yield from quic_fetch(host, udp, server.ip, False, times, "quic")
        yield host.sleep(gap)
        # The first QUIC visit left a session ticket: the repeat visit resumes and sends its request at once.
        yield from quic_fetch(host, udp, server.ip, True, times, "quic-0rtt")
        rtt = world.rtt_us
        world.summary["ttfb_rtt"] = {v: (round(times[v] / rtt, 2) if v in times else None) for v in VARIANTS}
        world.summary["ttfb_ms"] = {v: (round(times[v] / 1000, 3) if v in times else None) for v in VARIANTS}
        world.summary["chart"] = bar_chart(world.summary["ttfb_rtt"])

    client.spawn(client_app)


def bar_chart(values: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "bar", "title": "Time to the first byte of the answer", "unit": "round trips",
            "labels": list(values), "values": list(values.values())}


SCENARIO = Scenario(
    name="setup_tax",
    title="The setup tax: round trips before the first byte, TCP to QUIC 0-RTT",
    summary_line="The same request six ways: each handshake layered on TCP costs round trips; QUIC folds them in.",
    explanation=(
        "Before a server can answer, the client must reach it, and with encryption both must agree on keys. "
        "Plain TCP spends one round trip on its handshake, so the answer arrives after two. TLS 1.2 adds two "
        "more round trips on top, TLS 1.3 one. Fast Open lets a returning client put its ClientHello in the "
        "SYN, hiding TCP's round trip. QUIC runs TLS 1.3 inside its own first packets, so a new connection "
        "costs what TCP alone does, and a resumed one can send its request in the very first flight (0-RTT). "
        "Every flight here is a real message on the simulated wire; the times are measured, not assumed. "
        "Make the certificate chain big enough and watch QUIC pay a round trip for its anti-amplification "
        "limit, or TCP for its initial window."
    ),
    script=script,
    params=(Param("cert_bytes", "int", 2500, "size of the server's certificate chain in bytes", 0, 200_000),
            Param("gap", "duration", 1_000_000, "pause between two fetches", 0, 3_600_000_000)),
    profile_settings={"fastopen": 3},
)
