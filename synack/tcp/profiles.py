"""Profiles: the numbers and switches that make one engine behave as Linux or as the RFC.

A profile is data read by the engine, never a fork of it.  ``linux`` is what a
user sees in tcpdump on a current kernel (the values and their sources are in
``shared/LINUX_TCP_FACTS.md`` and were checked against our own captures in
``tests/fixtures/linux``); ``rfc9293`` follows the text of RFC 9293 and the
RFCs it cites (RFC 6298 timers, RFC 1122 delayed ACKs, 2 x MSL TIME-WAIT).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

MS = 1000
S = 1_000_000


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    # Options offered on a SYN (RFC 7323, RFC 2018) and how they are laid out.
    window_scale: int | None = 10
    sack: bool = True
    timestamps: bool = True
    # Linux packs sackOK with TS into one word and pads with NOPs (tcp_options_write).
    linux_option_layout: bool = True
    # Our timestamp clock ticks once a millisecond, as Linux's (TCP_TS_HZ = 1000); RFC 7323 5.4
    # allows 1 ms to 1 s a tick.  Kept as the tick's length: TSval is then one division of the clock.
    ts_tick_us: int = 1 * MS
    # Receive buffer that sets the advertised window; Linux advertises half of it.
    rcv_buffer: int = 131072
    adv_win_halved: bool = True
    # Linux caps the offered window at rcv_ssthresh, which starts at the SYN's window (tcp_select_window).
    rcv_ssthresh_clamp: bool = True
    # Retransmission (RFC 6298): initial, floor and ceiling of the RTO.
    initial_rto_us: int = 1 * S
    rto_min_us: int = 200 * MS
    rto_max_us: int = 120 * S
    # Linux's floor bounds only the variance term (tcp_set_rto); RFC 6298 2.4 bounds the whole RTO.
    rto_min_on_variance: bool = True
    # Gaps between SYN transmissions, then the last wait before connect() fails.
    syn_schedule_us: tuple[int, ...] = (1 * S, 1 * S, 1 * S, 1 * S, 1 * S, 2 * S, 4 * S, 8 * S, 16 * S, 32 * S, 64 * S)
    synack_schedule_us: tuple[int, ...] = (1 * S, 2 * S, 4 * S, 8 * S, 16 * S, 32 * S)
    # Linux's window update rule (tcp_may_update_window) rather than RFC 9293's SND.WL1/WL2 test.
    linux_window_update: bool = True
    # Retransmissions of data/FIN before giving up (R2 of RFC 9293 3.8.3); also the unanswered
    # zero-window probes before giving up (Linux tcp_retries2 in tcp_probe_timer).
    data_retries: int = 15
    # An orphan (after close()) probing a zero window: Linux's tcp_orphan_retries (0 means 8) probes,
    # and it dies once the backed-off interval reaches RTO max.  None: no orphan rule (RFC 9293).
    orphan_probes: int | None = 8
    # Delayed ACKs (RFC 9293 3.8.6.3; Linux quick-ACK and ping-pong modes).
    delack_min_us: int = 40 * MS
    delack_max_us: int = 200 * MS
    quickack: bool = True
    max_quickacks: int = 16
    pingpong: bool = True
    # Linux delays the ACK of a FIN that arrives in ESTABLISHED (tcp_fin enters ping-pong mode).
    delay_ack_of_fin: bool = True
    # ... and before any data the delayed-ACK timer fires on the next jiffy (4 ms at HZ=250).
    delack_before_data_us: int = 4 * MS
    # TIME_WAIT length and the FIN_WAIT_2 timeout for orphaned sockets.
    time_wait_us: int = 60 * S
    # Linux tcp_tw_reuse for connect(): take over a TIME_WAIT port when timestamps prove the new
    # connection newer (tcp_twsk_unique).  Linux's default, 2, means loopback only: off here.
    tw_reuse: bool = False
    fin_timeout_us: int = 60 * S
    # Keepalive (RFC 1122 4.2.3.6): idle, interval, probes.
    keepalive_idle_us: int = 7200 * S
    keepalive_interval_us: int = 75 * S
    keepalive_probes: int = 9
    # RFC 5961: exact-match RST, challenge ACKs, per-socket rate limit.
    rfc5961: bool = True
    invalid_ratelimit_us: int = 500 * MS
    # Tail loss probe (RFC 8985 7; Linux tcp_schedule_loss_probe): one probe before the RTO.
    tail_loss_probe: bool = True
    # Congestion control (RFC 5681): initial window in segments.
    initial_cwnd: int = 10
    # Listen queues and SYN cookies (Linux tcp_syncookies: 0 off, 1 on overflow, 2 always).
    syncookies: int = 1
    max_syn_backlog: int = 2048
    # Linux tcp_fastopen bits: 1 client, 2 server, 0x200 server accepts data without a cookie.
    fastopen: int = 1
    # ECN negotiation (RFC 3168 6.1.1; Linux tcp_ecn): 0 off, 1 request and accept, 2 accept only.
    ecn: int = 2
    # Path MTU discovery (RFC 1191; Linux ip_no_pmtu_disc = 0): react to ICMP "fragmentation needed",
    # never below min_pmtu (Linux's default 552).
    pmtud: bool = True
    min_pmtu: int = 552
    # RFC 1122 4.2.2.13: close() with unread data sends RST.
    rst_on_unread_close: bool = True
    # Linux's resets carry ACK (tcp_send_active_reset); RFC 9293 3.10.5 sends <SEQ=SND.NXT><CTL=RST>.
    abort_rst_ack: bool = True
    # What the packetdrill scripts of tests/drill taught, each checked against the kernel:
    # a SYN-ACK acking the wrong thing makes Linux send its SYN again after TCP_TIMEOUT_MIN
    # (two jiffies) as well as the RST, in case an earlier RST was lost (tcp_rcv_synsent_state_process).
    syn_resend_after_bad_synack_us: int | None = 8 * MS
    # A SYN-ACK answering a simultaneous open repeats every option of our SYN (tcp_syn_options);
    # RFC 7323 sends TS on a SYN-ACK only when the SYN had it.
    simultaneous_synack_full_options: bool = True
    # In TIME_WAIT any segment other than a bare in-window ACK or an RST is ACKed, rate limited
    # (tcp_timewait_state_process); RFC 9293 ACKs only the FIN and ignores text.
    time_wait_acks_segments: bool = True
    # D-SACK (RFC 2883, net.ipv4.tcp_dsack=1): a duplicate segment is reported in a SACK block.
    dsack: bool = True

    def with_settings(self, **changes) -> "Profile":
        return replace(self, **changes)


LINUX = Profile(name="linux")

RFC9293 = Profile(
    name="rfc9293",
    window_scale=7,
    linux_option_layout=False,
    adv_win_halved=False,
    rcv_ssthresh_clamp=False,
    rcv_buffer=65535,
    initial_rto_us=1 * S,
    rto_min_us=1 * S,  # RFC 6298 2.4: "RTO SHOULD be rounded up to 1 second"
    rto_max_us=60 * S,  # RFC 6298 2.5: "a maximum value MAY be placed ... at least 60 seconds"
    rto_min_on_variance=False,
    syn_schedule_us=(1 * S, 2 * S, 4 * S, 8 * S, 16 * S, 32 * S, 64 * S),
    synack_schedule_us=(1 * S, 2 * S, 4 * S, 8 * S, 16 * S, 32 * S, 64 * S),
    data_retries=12,
    orphan_probes=None,
    linux_window_update=False,
    delack_min_us=200 * MS,
    delack_max_us=200 * MS,
    quickack=False,
    pingpong=False,
    delay_ack_of_fin=False,
    time_wait_us=240 * S,  # 2 x MSL, MSL = 2 minutes (RFC 9293 3.4.2)
    fin_timeout_us=0,  # RFC 9293 has no FIN-WAIT-2 timeout
    syncookies=0,
    fastopen=0,
    ecn=0,
    abort_rst_ack=False,
    tail_loss_probe=False,
    syn_resend_after_bad_synack_us=None,
    simultaneous_synack_full_options=False,
    time_wait_acks_segments=False,
    dsack=False,
)

PROFILES: dict[str, Profile] = {p.name: p for p in (LINUX, RFC9293)}
