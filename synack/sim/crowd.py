"""The crowd: how many sockets each host has in each state, and a few kernel counters, over time.

What ``ss -tan | awk '{print $1}' | sort | uniq -c`` would print on each host
at each moment, sampled on the virtual clock, plus the counters the lesson is
about, named as ``nstat`` and ``ss -lt`` show them: the SYN queue's length,
SYN-ACKs sent, SYN cookies sent and validated, SYNs dropped because the queue
was full, connect() failures by errno, TIME_WAIT ports taken over.

Sampling reads the hosts' tables; it needs no per-segment tracing, so it
works as well in a million-SYN run with tracing off.  A sample costs one pass
over each host's live connections; the number of samples is bounded (when it
grows past ``max_samples`` every other one is dropped and the period doubles).
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from ..tcp.states import LISTEN
from .scheduler import TIMER, Scheduler

if TYPE_CHECKING:
    from .host import Host
    from .network import Network

# The order ss prints them in, more or less: the life of a connection.
STATE_ORDER = ("LISTEN", "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT",
               "CLOSING", "LAST_ACK", "TIME_WAIT")
COUNTERS = ("syn_queue", "accept_queue", "synacks_sent", "cookies_sent", "cookies_validated", "syn_dropped",
            "tw_reused")
# Gauges go up and down; counters only grow (as nstat's do).
GAUGES = frozenset(STATE_ORDER) | {"syn_queue", "accept_queue"}
LABELS = {
    "syn_queue": "SYN queue", "accept_queue": "accept queue", "synacks_sent": "SYN-ACKs sent",
    "cookies_sent": "cookies sent", "cookies_validated": "cookies validated",
    "syn_dropped": "SYNs dropped (queue full)", "tw_reused": "TIME_WAIT ports reused",
}


def host_counts(host: "Host", network: "Network") -> dict[str, int]:
    """One host's sockets by state and its counters, right now."""
    counts: Counter[str] = Counter(conn.state.value for conn in host.connections.values())
    syn_queue = accept_queue = cookies_sent = cookies_validated = syn_dropped = 0
    for listener in host.listeners.values():
        if listener.state is LISTEN:
            counts["LISTEN"] += 1
        syn_queue += len(listener.syn_queue)
        accept_queue += len(listener.accept_queue)
        cookies_sent += listener.cookies_sent
        cookies_validated += listener.cookies_validated
        syn_dropped += listener.syn_dropped
    counts.update(syn_queue=syn_queue, accept_queue=accept_queue, cookies_sent=cookies_sent,
                  cookies_validated=cookies_validated, syn_dropped=syn_dropped, tw_reused=host.tw_reused,
                  synacks_sent=network.synacks_sent.get(host.name, 0))
    for errno_name, n in host.connect_failures.items():
        counts[f"connect_failed.{errno_name}"] = n
    return dict(counts)


class CrowdSampler:
    """Samples every watched host every ``every_us`` while anything else is still to happen."""

    def __init__(self, sched: Scheduler, network: "Network", hosts: list["Host"], every_us: int,
                 max_samples: int = 600) -> None:
        self.sched = sched
        self.network = network
        self.hosts = hosts
        self.every_us = every_us
        self.max_samples = max_samples
        self.t_us: list[int] = []
        self.samples: list[dict[str, dict[str, int]]] = []

    def start(self) -> None:
        self.sched.call_at(self.sched.now, self._tick, TIMER)

    def sample(self) -> None:
        now = self.sched.now
        snapshot = {h.name: host_counts(h, self.network) for h in self.hosts}
        if self.t_us and self.t_us[-1] == now:
            self.samples[-1] = snapshot
            return
        self.t_us.append(now)
        self.samples.append(snapshot)
        if len(self.t_us) > self.max_samples:
            # Keep the first and every other one after it: the period doubles, the span stays.
            self.t_us = self.t_us[::2]
            self.samples = self.samples[::2]
            self.every_us *= 2

    def _tick(self) -> None:
        self.sample()
        if self.sched.pending:
            # Keep sampling only while the run has something left to do, so it still ends.
            self.sched.call_at(self.t_us[-1] + self.every_us, self._tick, TIMER)

    def finish(self) -> None:
        """The last sample, once the run has settled."""
        self.sample()

    def as_json(self, plot: tuple[str, ...] = ()) -> dict[str, Any]:
        """Columns for a time-series plot: ``t_us`` and one series per host and quantity that is ever non-zero."""
        keys: dict[tuple[str, str], None] = {}
        for host in self.hosts:
            present = {k for s in self.samples for k, v in s[host.name].items() if v}
            order = [*STATE_ORDER, *COUNTERS, *sorted(k for k in present if k.startswith("connect_failed."))]
            for what in order:
                if what in present:
                    keys[(host.name, what)] = None
        series = []
        for host_name, what in keys:
            if what.startswith("connect_failed."):
                label = f"connect() failed: {what.split('.', 1)[1]}"
            else:
                label = LABELS.get(what, what)
            series.append({
                "key": f"{host_name}.{what}", "host": host_name, "what": what, "label": label,
                "kind": "state" if what in STATE_ORDER else ("gauge" if what in GAUGES else "counter"),
                "values": [s[host_name].get(what, 0) for s in self.samples],
            })
        present_keys = {s["key"] for s in series}
        return {
            "every_us": self.every_us,
            "t_us": list(self.t_us),
            "series": series,
            "plot": [k for k in plot if k in present_keys],
        }
