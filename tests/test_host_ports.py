"""connect() from a chosen local port whose 4-tuple an old connection still holds.

Linux refuses it with EADDRNOTAVAIL (``__inet_check_established``) while the
old socket is in LAST_ACK, FIN_WAIT_2, TIME_WAIT or any state but CLOSED;
with ``tcp_tw_reuse`` a TIME_WAIT one may be taken over when timestamps prove
the new connection newer (``tcp_twsk_unique``).  Before, the simulator let
the new connection shadow the old one, two sockets on one 4-tuple.
"""

from __future__ import annotations

from synack.scenarios.apps import ANSWER, PORT, REQUEST
from synack.scenarios.base import S, World
from synack.scenarios.client_close import SCENARIO
from synack.sim.host import Host, SocketError
from synack.tcp.profiles import LINUX

LOCAL = 45000


def _run(*, client_closes_first: bool, wait_us: int, tw_reuse: bool = False) -> tuple[dict, Host]:
    world = World(SCENARIO, LINUX, 100_000, 0.0, 1, {"mss": 1460, "isn": "rfc6528"}, tracing=True)
    client = world.host("client", "10.0.0.1", settings={"tw_reuse": tw_reuse})
    server = world.host("server", "10.0.0.2")
    out: dict = {}

    def server_app(host: Host):
        listener = host.listen(PORT)
        for _ in range(2):
            sock = yield listener.accept()
            yield sock.recv()
            sock.send(b"a" * ANSWER)
            if client_closes_first:
                yield from sock.recv_until_eof()
            sock.close()

    def client_app(host: Host):
        sock = yield host.connect(server.ip, PORT, local_port=LOCAL)
        sock.send(b"q" * REQUEST)
        got = 0
        while got < ANSWER:
            got += len((yield sock.recv()))
        if not client_closes_first:
            yield from sock.recv_until_eof()
        sock.close()
        yield host.sleep(wait_us)
        out["old_state"] = sock.state.value
        try:
            again = yield host.connect(server.ip, PORT, local_port=LOCAL)
        except SocketError as exc:
            out["error"] = exc.errno_name
            return
        out["new_state"] = again.state.value
        out["new_isn"], out["old_snd_nxt"] = again.conn.tcb.iss, sock.conn.tcb.snd_nxt

    server.spawn(server_app)
    client.spawn(client_app)
    world.sched.run(until=5 * S)
    return out, client


def test_a_port_still_in_last_ack_is_refused():
    # The server closes first; the client's close leaves it in LAST_ACK until the ACK of its FIN.
    out, client = _run(client_closes_first=False, wait_us=0)
    assert out == {"old_state": "LAST_ACK", "error": "EADDRNOTAVAIL"}
    assert client.connect_failures["EADDRNOTAVAIL"] == 1


def test_a_port_whose_old_connection_closed_is_free_again():
    out, _ = _run(client_closes_first=False, wait_us=200_000)
    assert out["old_state"] == "CLOSED" and out["new_state"] == "ESTABLISHED"


def test_time_wait_is_refused_without_tw_reuse_and_taken_over_with_it():
    refused, _ = _run(client_closes_first=True, wait_us=2 * S)
    assert refused == {"old_state": "TIME_WAIT", "error": "EADDRNOTAVAIL"}
    taken, client = _run(client_closes_first=True, wait_us=2 * S, tw_reuse=True)
    assert taken["new_state"] == "ESTABLISHED" and client.tw_reused == 1
    # The new incarnation starts above anything the old one sent (Linux tcp_twsk_unique).
    assert (taken["new_isn"] - taken["old_snd_nxt"]) % 2**32 == 65535 + 2
