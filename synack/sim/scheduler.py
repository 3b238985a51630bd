"""A virtual clock: a heap of (time, priority, counter, callback), as SimPy keeps it.

Time is integer microseconds.  The counter breaks ties so that callbacks due at
the same instant and priority run in the order they were scheduled, which is
what makes a seeded run reproducible.  Nothing here reads the wall clock.
"""

from __future__ import annotations

import heapq
from typing import Callable

# Lower runs first at equal times: deliveries before timers before applications,
# so an application woken at time t sees every segment that arrived at t.
DELIVERY = 0
TIMER = 1
APPLICATION = 2


class Handle:
    __slots__ = ("cancelled",)

    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class Scheduler:
    def __init__(self) -> None:
        self.now = 0
        self._heap: list[tuple[int, int, int, Handle, Callable[[], None]]] = []
        self._counter = 0
        self.executed = 0

    def call_at(self, when: int, fn: Callable[[], None], priority: int = APPLICATION) -> Handle:
        if when < self.now:
            when = self.now
        handle = Handle()
        self._counter += 1
        heapq.heappush(self._heap, (when, priority, self._counter, handle, fn))
        return handle

    def call_later(self, delay: int, fn: Callable[[], None], priority: int = APPLICATION) -> Handle:
        return self.call_at(self.now + delay, fn, priority)

    def run(self, until: int | None = None, max_events: int = 10_000_000) -> None:
        heap = self._heap
        while heap:
            when, _prio, _n, handle, fn = heap[0]
            if until is not None and when > until:
                self.now = until
                return
            heapq.heappop(heap)
            if handle.cancelled:
                continue
            self.now = when
            self.executed += 1
            if self.executed > max_events:
                raise RuntimeError(f"simulation exceeded {max_events} events")
            fn()

    @property
    def pending(self) -> int:
        return sum(1 for item in self._heap if not item[3].cancelled)
