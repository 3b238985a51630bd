"""Links and the network that carries segments between hosts, with delay and impairments.

Each direction has one-way delay (RTT/2 by default), jitter, random loss,
duplication and reordering, all drawn from one ``random.Random(seed)`` so a
run is reproducible.  Scripted impairments ("drop every FIN from the server
between 0 and 0.5 s", "drop the first SYN") are predicates over segments.  The
tap that records what was put on the wire sits at the sender, before any
impairment, so lost segments appear in the trace and in the pcap, as an
iptables drop on the receiver's INPUT chain does in a real capture.

Boxes on the path: a :class:`Rewrite` changes segments in flight (a firewall
that strips the Fast Open option, a gateway that clamps the MSS of SYNs), a
:class:`NarrowLink` is a hop with a smaller MTU (an IPsec tunnel) that drops
packets too big for it, DF being set, and may send ICMP "fragmentation needed"
back (RFC 1191).  Datagrams (:meth:`Network.send_datagram`) carry the QUIC
lesson's flights over the same delay and loss as segments.
"""

from __future__ import annotations

from dataclasses import dataclass
import random
from typing import TYPE_CHECKING, Callable, Protocol

from ..tcp.segment import Flags, Segment
from .scheduler import DELIVERY, Scheduler

if TYPE_CHECKING:
    from .recorder import Recorder


class Attached(Protocol):
    """What the network needs of whatever sits at an address: a simulated host, or a
    packetdrill script's remote side.  A protocol rather than ``Host`` so that the
    compiled build does not refuse an interpreted stand-in."""

    ip: str
    name: str
    down: bool

    def deliver(self, src_ip: str, seg: Segment, step: int | None, duplicate: bool = False) -> None: ...


@dataclass(frozen=True)
class LinkConfig:
    """A link's delay and impairments.  Frozen: a change is a new config given to
    :attr:`Network.link`, so that the network can tell once, not at every segment,
    whether segments only need carrying."""

    delay_us: int = 50_000
    jitter_us: int = 0
    loss: float = 0.0
    duplicate: float = 0.0
    reorder: float = 0.0


@dataclass
class Impairment:
    """Drop segments matching ``match`` sent by ``sender`` (any when None) in [start_us, end_us)."""

    description: str
    match: Callable[[Segment], bool]
    sender: str | None = None
    start_us: int = 0
    end_us: int | None = None
    count: int | None = None  # stop after this many drops

    def __post_init__(self) -> None:
        # Not a field(init=False): mypyc's dataclasses leave such a field unset.
        self.dropped = 0

    def applies(self, sender: str, seg: Segment, now: int) -> bool:
        if self.sender is not None and sender != self.sender:
            return False
        if now < self.start_us or (self.end_us is not None and now >= self.end_us):
            return False
        if self.count is not None and self.dropped >= self.count:
            return False
        if not self.match(seg):
            return False
        self.dropped += 1
        return True


@dataclass
class Rewrite:
    """A box on the path that changes segments from ``sender`` (any when None): ``change`` returns the
    segment as it leaves the box, or None to leave it alone."""

    description: str
    change: Callable[[Segment], "Segment | None"]
    sender: str | None = None


@dataclass
class NarrowLink:
    """A hop with a smaller MTU, half-way along the path (RFC 1191).

    A packet larger than ``mtu`` is dropped there (TCP sets DF); with ``icmp``
    the gateway tells the sender with ICMP type 3 code 4 and the MTU it can
    take, which reaches the sender half a one-way delay later.
    """

    mtu: int
    icmp: bool = True
    name: str = "the tunnel"

    def __post_init__(self) -> None:
        self.icmp_sent = 0
        self.dropped = 0
        self.largest_passed = 0


IPV4_HEADER = 20


def ip_size(seg: Segment) -> int:
    """Bytes of the IPv4 packet carrying ``seg`` (no IP options)."""
    return IPV4_HEADER + seg.header_len + len(seg.payload)


NO_FLAGS = Flags(0)


def has_flags(all_of: Flags, none_of: Flags = NO_FLAGS) -> Callable[[Segment], bool]:
    need, refuse = int(all_of), int(none_of)

    def match(seg: Segment) -> bool:
        bits = seg.bits
        return (bits & need) == need and not (bits & refuse)
    return match


class Network:
    def __init__(self, sched: Scheduler, rng: random.Random, link: LinkConfig,
                 recorder: "Recorder | None" = None) -> None:
        self.sched = sched
        self.rng = rng
        self.recorder = recorder
        self.hosts: dict[str, Attached] = {}
        self._deliver: dict[str, Callable[[str, Segment, int | None], None]] = {}  # by address, bound once
        self.impairments: list[Impairment] = []
        self.rewrites: list[Rewrite] = []
        self.narrow: NarrowLink | None = None
        self._link = link
        self._carry_only = False
        self._update_path()
        self.sent = 0
        self.lost = 0
        self.synacks_sent: dict[str, int] = {}  # by sender, for the crowd's counts
        self.taps: list[Callable[[int, str, str, Segment], None]] = []

    @property
    def link(self) -> LinkConfig:
        return self._link

    @link.setter
    def link(self, link: LinkConfig) -> None:
        self._link = link
        self._update_path()

    def _update_path(self) -> None:
        """Work out whether a segment only needs carrying: a perfect link, nothing on the path, nobody
        watching.  Called whenever one of those changes, so that :meth:`transmit` tests one flag."""
        link = self._link
        self._carry_only = (self.recorder is None and not self.impairments and not self.rewrites
                            and self.narrow is None and not link.loss and not link.jitter_us
                            and not link.reorder and not link.duplicate)

    def tap(self, listen: Callable[[int, str, str, Segment], None]) -> None:
        """Call ``listen(now, src_ip, dst_ip, segment)`` for every segment put on the wire.

        Like tcpdump on the sending host, a tap sees each segment as it leaves,
        before any loss or box on the path: a pcap writer, a counter.  Unlike the
        trace recorder it keeps nothing and numbers nothing.
        """
        self.taps.append(listen)

    def attach(self, host: Attached) -> None:
        self.hosts[host.ip] = host
        self._deliver[host.ip] = host.deliver

    def impair(self, impairment: Impairment) -> None:
        self.impairments.append(impairment)
        self._update_path()

    def rewrite(self, box: Rewrite) -> None:
        self.rewrites.append(box)
        self._update_path()

    def narrow_link(self, link: NarrowLink) -> None:
        self.narrow = link
        self._update_path()

    def transmit(self, sender: str, src_ip: str, dst_ip: str, seg: Segment, reason: str) -> None:
        now = self.sched.now
        link = self._link
        self.sent += 1
        if seg.bits & 0x12 == 0x12:
            self.synacks_sent[sender] = self.synacks_sent.get(sender, 0) + 1
        if self.taps:
            for listen in self.taps:
                listen(now, src_ip, dst_ip, seg)
        if self._carry_only:
            # A perfect link and nobody watching: just carry the segment (the benchmark's path).
            deliver = self._deliver.get(dst_ip)
            if deliver is not None:
                self.sched.call_at(now + link.delay_us, deliver, DELIVERY, src_ip, seg, None)
            return
        lost_reason = None
        for imp in self.impairments:
            if imp.applies(sender, seg, now):
                lost_reason = imp.description
                break
        rng = self.rng
        target = self.hosts.get(dst_ip)
        if lost_reason is None and target is None:
            lost_reason = f"no host has the address {dst_ip}"
        if lost_reason is None and target is not None and target.down:
            lost_reason = f"{target.name} is down"
        if lost_reason is None and link.loss and rng.random() < link.loss:
            lost_reason = f"random loss ({link.loss:.0%})"
        narrow = self.narrow
        too_big = lost_reason is None and narrow is not None and ip_size(seg) > narrow.mtu
        if too_big and narrow is not None:
            lost_reason = f"{ip_size(seg)}-byte packet is too big for {narrow.name} (MTU {narrow.mtu}, DF set)"
        elif narrow is not None and lost_reason is None:
            narrow.largest_passed = max(narrow.largest_passed, ip_size(seg))
        delay = link.delay_us
        if link.jitter_us:
            delay += rng.randint(0, link.jitter_us)
        if link.reorder and rng.random() < link.reorder:
            delay += rng.randint(1, max(link.delay_us, 1))
        arrives = None if lost_reason else now + delay
        step = None
        rec = self.recorder
        if rec is not None and (rec.featured is None or (rec.keeps(src_ip, seg.src_port, dst_ip, seg.dst_port)
                                                          and rec.has_room())):
            step = rec.segment_sent(now, sender, src_ip, dst_ip, seg, reason, arrives, lost_reason)
        if lost_reason is not None:
            self.lost += 1
            if too_big and narrow is not None:
                self._too_big(narrow, sender, src_ip, dst_ip, seg, step)
            return
        host = self.hosts.get(dst_ip)
        if host is None:
            return
        for box in self.rewrites:
            if box.sender is None or box.sender == sender:
                changed = box.change(seg)
                if changed is not None:
                    seg = changed
                    if self.recorder is not None:
                        self.recorder.event(now + delay // 2, "rewrite", "network", step=step,
                                            description=box.description, segment=seg.notation())
        self.sched.call_at(now + delay, host.deliver, DELIVERY, src_ip, seg, step)
        if link.duplicate and rng.random() < link.duplicate:
            extra = rng.randint(0, max(link.delay_us // 2, 1))
            self.sched.call_at(now + delay + extra, host.deliver, DELIVERY, src_ip, seg, step, True)

    def _too_big(self, narrow: NarrowLink, sender: str, src_ip: str, dst_ip: str, seg: Segment,
                 step: int | None) -> None:
        """The gateway drops a packet too big for the narrow hop, and says so when ICMP is allowed."""
        narrow.dropped += 1
        if not narrow.icmp:
            return
        narrow.icmp_sent += 1
        origin = self.hosts.get(src_ip)
        half = self.link.delay_us // 2
        if self.recorder is not None:
            self.recorder.event(self.sched.now + half, "icmp", "gateway", to=sender, step=step,
                                message="destination unreachable, fragmentation needed (type 3 code 4)",
                                mtu=narrow.mtu)
        # Only a simulated host speaks ICMP; a packetdrill script's stand-in may not.
        handler = getattr(origin, "icmp_too_big", None)
        if handler is not None:
            self.sched.call_at(self.sched.now + 2 * half, handler, DELIVERY, dst_ip, seg, narrow.mtu)

    def send_datagram(self, sender: str, src: tuple[str, int], dst: tuple[str, int], size: int,
                      label: str) -> None:
        """Carry a UDP datagram of ``size`` bytes (its payload) with the link's delay and random loss."""
        now = self.sched.now
        lost = self.link.loss and self.rng.random() < self.link.loss
        arrives = None if lost else now + self.link.delay_us
        if self.recorder is not None:
            self.recorder.event(now, "datagram", sender, src=f"{src[0]}:{src[1]}", dst=f"{dst[0]}:{dst[1]}",
                                bytes=size, label=label, arrives_us=arrives, lost=bool(lost))
        handler = getattr(self.hosts.get(dst[0]), "deliver_datagram", None)
        if arrives is not None and handler is not None:
            self.sched.call_at(arrives, handler, DELIVERY, src, dst[1], size, label)
