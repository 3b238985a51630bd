"""``close_wait_leak``: a server that forgets close() on an error path; CLOSE_WAIT piles up.

RFC 9293 3.6: a connection whose peer has sent its FIN stays in CLOSE_WAIT
until the local application calls close(); the kernel never times it out.
The peer, which closed first, waits in FIN_WAIT_2 for tcp_fin_timeout (60 s
on Linux, for an orphaned socket) and then forgets the connection, so the
leaked sockets outlive their peers.  When the process finally exits its
sockets are closed for it: each sends a FIN the peer no longer knows, and the
peer answers with RST.
"""

from __future__ import annotations

from ..sim.host import Host, SocketError
from .apps import ANSWER, PORT, REQUEST, read_at_least
from .base import S, Param, Scenario, World


def script(world: World) -> None:
    p = world.params
    world.trace_featured_only()
    client = world.host("client", "10.0.0.1")
    server = world.host("server", "10.0.0.2")
    leaked: list = []
    tally = {"answered": 0, "timed_out": 0, "requests": 0}

    def handle(host: Host, sock, n: int):
        try:
            got = yield from read_at_least(sock, REQUEST)
            if got and p["fail_every"] and n % p["fail_every"] == p["fail_every"] - 1:
                # The bug: the error path returns without sock.close(); the descriptor stays open.
                leaked.append(sock)
                return
            if got:
                sock.send(b"a" * ANSWER)
                yield from sock.recv_until_eof()
            sock.close()
        except SocketError:
            pass

    def serve(host: Host):
        listener = host.listen(PORT)
        n = 0
        while True:
            sock = yield listener.accept()
            host.spawn(handle, sock, n)
            n += 1

    def restart(host: Host):
        yield host.sleep(p["restart_after"])
        # The process exits; the kernel closes every descriptor it still held.
        host._record_event("app", call="exit", leaked=len(leaked))
        for sock in leaked:
            if sock.conn.state.value == "CLOSE_WAIT":
                sock.close()

    def one_client(host: Host, featured: bool):
        tally["requests"] += 1
        try:
            sock = yield host.connect(server.ip, PORT, featured=featured)
        except SocketError:
            return
        sock.send(b"q" * REQUEST)
        answer = sock.recv()
        try:
            # Whichever comes first: the answer, or the end of the client's patience.
            yield host.first_of(answer, host.sleep(p["client_timeout"]))
        except SocketError:
            return
        if answer.done and answer.value:
            tally["answered"] += 1
            yield from read_at_least(sock, ANSWER - len(answer.value))
        else:
            tally["timed_out"] += 1
        sock.close()

    def clients(host: Host):
        for i in range(p["clients"]):
            host.spawn(one_client, i == p["fail_every"] - 1)
            yield host.sleep(int(S / p["rate"]))

    server.spawn(serve)
    client.spawn(clients)
    if p["restart_after"]:
        server.spawn(restart)

    def summarise() -> None:
        world.summary.update({
            "requests": tally["requests"],
            "answered": tally["answered"],
            "client_timeouts": tally["timed_out"],
            "leaked_sockets": len(leaked),
            "fin_timeout_s": world.profile.fin_timeout_us / S,
        })

    world.when_done(summarise)


SCENARIO = Scenario(
    name="close_wait_leak",
    title="A CLOSE_WAIT leak: the application forgets close()",
    summary_line="Every fourth request takes an error path without close(): CLOSE_WAIT piles up on the server "
                 "while the clients give up in FIN_WAIT_2.",
    explanation=(
        "CLOSE_WAIT means the peer has closed its side and the kernel is waiting for this application to do "
        "the same. No timer ends it: only close() does. This server returns early on an error path and "
        "never closes those sockets, so the client waits for an answer, gives up after a few seconds and "
        "closes. The client's side then sits in FIN_WAIT_2 for tcp_fin_timeout (60 s) and disappears, while "
        "the server's CLOSE_WAIT count only grows, and with it the open descriptors, until the process "
        "restarts and the kernel closes them: each late FIN is answered with a reset."
    ),
    script=script,
    params=(Param("clients", "int", 40, "client requests, one after another", 1, 100_000),
            Param("rate", "float", 2.0, "requests per second", 0.01, 100_000),
            Param("fail_every", "int", 4, "every n-th request takes the error path (0: never)", 0, 1000),
            Param("client_timeout", "duration", 5 * S, "how long a client waits for its answer", 1,
                  3_600_000_000),
            Param("restart_after", "duration", 120 * S, "when the server process restarts (0: never)", 0,
                  3_600_000_000)),
    default_rtt_us=20_000,
    crowd_every_us=1 * S,
    crowd_plot=("server.CLOSE_WAIT", "client.FIN_WAIT_2", "server.ESTABLISHED", "client.TIME_WAIT"),
    golden_params={"clients": "8"},
)
