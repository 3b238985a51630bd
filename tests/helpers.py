"""Test helpers: two endpoints over an in-memory link, time moved only by their deadlines (h11's ConnectionPair)."""

from __future__ import annotations

from synack.tcp.endpoint import Connection, Context
from synack.tcp.isn import Rfc6528Isn
from synack.tcp.listener import Listener
from synack.tcp.profiles import PROFILES
from synack.tcp.segment import Segment

CLIENT = ("10.0.0.1", 40000)
SERVER = ("10.0.0.2", 8080)


def context(profile: str = "linux", **settings) -> Context:
    prof = PROFILES[profile].with_settings(**settings) if settings else PROFILES[profile]
    return Context(profile=prof, isn_gen=Rfc6528Isn(b"test-secret"), route_mss=1460)


class Pair:
    """A client connection and a listening server joined by a link of one-way ``delay``."""

    def __init__(self, profile: str = "linux", delay: int = 10_000, **settings) -> None:
        self.ctx_c = context(profile, **settings)
        self.ctx_s = context(profile, **settings)
        self.delay = delay
        self.now = 0
        self.client = Connection(self.ctx_c, CLIENT, SERVER)
        self.listener = Listener(self.ctx_s, SERVER)
        self.listener.open_passive(0)
        self.server: Connection | None = None
        self.in_flight: list[tuple[int, str, Segment]] = []
        self.log: list[tuple[int, str, Segment]] = []
        self.drop = lambda who, seg: False

    def collect(self) -> None:
        for seg in self.client.segments_to_send():
            self._send("c", seg)
        if self.server is not None:
            for seg in self.server.segments_to_send():
                self._send("s", seg)
        for _remote, seg in self.listener.segments_to_send():
            self._send("s", seg)

    def _send(self, who: str, seg: Segment) -> None:
        self.log.append((self.now, who, seg))
        if not self.drop(who, seg):
            self.in_flight.append((self.now + self.delay, who, seg))

    def step(self) -> bool:
        """Advance to the next arrival or deadline; False when nothing is left."""
        self.collect()
        candidates = [t for t, _, _ in self.in_flight]
        for conn in (self.client, self.server):
            if conn is not None and conn.next_deadline() is not None:
                candidates.append(conn.next_deadline())
        if not candidates:
            return False
        self.now = max(self.now, min(candidates))
        arrivals = [x for x in self.in_flight if x[0] <= self.now]
        self.in_flight = [x for x in self.in_flight if x[0] > self.now]
        for _, who, seg in arrivals:
            if who == "c":
                if self.server is not None and self.server.state.value != "CLOSED":
                    self.server.receive(seg, self.now)
                else:
                    child = self.listener.receive(CLIENT, seg, self.now)
                    if child is not None:
                        self.server = child
            else:
                self.client.receive(seg, self.now)
        for conn in (self.client, self.server):
            if conn is not None and conn.next_deadline() is not None and conn.next_deadline() <= self.now:
                conn.on_timer(self.now)
        self.collect()
        return True

    def run(self, until: int | None = None, max_steps: int = 10_000) -> None:
        for _ in range(max_steps):
            self.collect()
            if until is not None:
                nxt = [t for t, _, _ in self.in_flight] + [
                    c.next_deadline() for c in (self.client, self.server) if c is not None and c.next_deadline()]
                if not nxt or min(nxt) > until:
                    self.now = max(self.now, until)
                    return
            if not self.step():
                return
        raise AssertionError("the pair did not settle")

    def establish(self) -> None:
        self.client.open_active(self.now)
        self.run(until=self.now + 3 * self.delay)
        assert self.client.state.value == "ESTABLISHED"
        assert self.server is not None and self.server.state.value == "ESTABLISHED"
