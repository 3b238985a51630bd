"""Application scripts shared by several scenarios: the request/answer server and client.

Each is a generator function run on a host (see :mod:`synack.sim.host`).  The
sizes match the Linux recordings: requests of 100 bytes, answers of 200.
"""

from __future__ import annotations

from ..sim.host import App, Host, Socket, SocketError

REQUEST = 100
ANSWER = 200
PORT = 8080


def answering_server(host: Host, port: int = PORT, *, connections: int = 1, answer: int = ANSWER,
                     close_delay_us: int = 0) -> App:
    """Accept, read the request, answer it, read to end of stream, close (after ``close_delay_us``)."""
    listener = host.listen(port)
    for _ in range(connections):
        sock = yield listener.accept()
        try:
            data = yield sock.recv()
            if data:
                sock.send(b"a" * answer)
                yield from sock.recv_until_eof()
            if close_delay_us:
                yield host.sleep(close_delay_us)
            sock.close()
        except SocketError:
            pass


def reading_server(host: Host, port: int = PORT, *, close_delay_us: int = 0) -> App:
    """Accept, read to end of stream, close (after ``close_delay_us``)."""
    listener = host.listen(port)
    sock = yield listener.accept()
    try:
        yield from sock.recv_until_eof()
        if close_delay_us:
            yield host.sleep(close_delay_us)
        sock.close()
    except SocketError:
        pass


def held_reading_server(host: Host, port: int, held: dict, summary: dict) -> App:
    """Accept one connection and keep its socket in ``held["server"]`` (for an attacker to aim at), read to
    end of stream, close; an error (a reset) goes to ``summary["server_error"]``, its time to
    ``held["error_at_us"]``."""
    listener = host.listen(port)
    sock = yield listener.accept()
    held["server"] = sock
    try:
        yield from sock.recv_until_eof()
        sock.close()
    except SocketError as exc:
        summary["server_error"] = str(exc)
        held["error_at_us"] = host.sched.now


def acknowledged_request(host: Host, server_ip: str, port: int = PORT) -> App:
    """``sock = yield from acknowledged_request(...)``: connect, send the request, wait until it is ACKed."""
    sock = yield host.connect(server_ip, port)
    sock.send(b"q" * REQUEST)
    while sock.conn.tcb.snd_una != sock.conn.tcb.snd_max:
        yield host.sleep(1000)
    return sock


def read_at_least(sock: Socket, n: int) -> App:
    """``got = yield from read_at_least(sock, n)``: read until ``n`` bytes or end of stream."""
    got = 0
    while got < n:
        data = yield sock.recv()
        if not data:
            break
        got += len(data)
    return got


def requesting_client(host: Host, server_ip: str, port: int = PORT, *, connections: int = 1,
                      request: int = REQUEST, answer: int = ANSWER, fastopen: bool = False) -> App:
    """Connect, send the request (in the SYN with Fast Open), close as soon as the whole answer is in;
    ``connections`` times, one after the other."""
    for _ in range(connections):
        if fastopen:
            sock = yield host.connect(server_ip, port, fastopen_data=b"q" * request)
        else:
            sock = yield host.connect(server_ip, port)
            sock.send(b"q" * request)
        yield from read_at_least(sock, answer)
        sock.close()


def connect_then_close(host: Host, server_ip: str, port: int = PORT) -> App:
    """Connect and close as soon as the handshake is done."""
    sock = yield host.connect(server_ip, port)
    sock.close()
