"""``syn_cookies``: client_close with SYN cookies always on (Linux tcp_syncookies=2; RFC 4987 3.6)."""

from .client_close import script
from .base import Scenario

SCENARIO = Scenario(
    name="syn_cookies",
    title="SYN cookies: a handshake the server does not remember",
    summary_line="The server's ISN is a cookie; it keeps no state until the ACK proves the client is real.",
    explanation=(
        "A SYN flood fills the queue of half-open connections with forged SYNs. With SYN cookies the server "
        "stores nothing on a SYN: it encodes the connection's addresses, a coarse clock and an MSS index into "
        "its initial sequence number, and rebuilds the connection from the ACK that echoes it. The MSS is "
        "rounded to one of four values, and window scale and SACK survive only in the timestamp's low bits."
    ),
    script=script,
    profile_settings={"syncookies": 2},
    crowd_every_us=100_000,
    crowd_plot=("server.syn_queue", "server.cookies_sent", "server.cookies_validated", "server.synacks_sent"),
)
