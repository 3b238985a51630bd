"""A virtual clock: a heap of (time, priority, counter, callback, args), as SimPy keeps it.

Time is integer microseconds.  The counter breaks ties so that callbacks due at
the same instant and priority run in the order they were scheduled, which is
what makes a seeded run reproducible.  Nothing here reads the wall clock.
There is no cancellation: hosts keep one wake-up per connection and ignore
stale ones, which is cheaper than removing entries from a heap.
"""

from __future__ import annotations

import heapq
from typing import Any, Callable

# Lower runs first at equal times: deliveries before timers before applications,
# so an application woken at time t sees every segment that arrived at t.
DELIVERY = 0
TIMER = 1
APPLICATION = 2


# Time, priority and the tie-breaking counter are packed into one integer key, so the
# heap holds plain ints and compares them directly: (time << 2 | priority) << 40 | counter.
# The callbacks wait in a dict under their key.
_COUNTER_BITS = 40


class Scheduler:
    def __init__(self) -> None:
        self.now = 0
        self._heap: list[int] = []
        self._entries: dict[int, tuple[Callable[..., Any], tuple]] = {}
        self._counter = 0
        self.executed = 0

    def call_at(self, when: int, fn: Callable[..., Any], priority: int = APPLICATION, *args: Any) -> None:
        if when < self.now:
            when = self.now
        self._counter += 1
        key = (((when << 2) | priority) << _COUNTER_BITS) | self._counter
        self._entries[key] = (fn, args)
        heapq.heappush(self._heap, key)

    def call_later(self, delay: int, fn: Callable[..., Any], priority: int = APPLICATION, *args: Any) -> None:
        self.call_at(self.now + delay, fn, priority, *args)

    def run(self, until: int | None = None, max_events: int = 10_000_000) -> None:
        heap = self._heap
        pop = heapq.heappop
        limit = self.executed + max_events
        entries = self._entries
        shift = _COUNTER_BITS + 2
        while heap:
            if until is not None and (heap[0] >> shift) > until:
                self.now = until
                return
            key = pop(heap)
            fn, args = entries.pop(key)
            self.now = key >> shift
            self.executed += 1
            if self.executed > limit:
                raise RuntimeError(f"simulation exceeded {max_events} events")
            fn(*args)

    def next_time(self) -> int | None:
        """When the earliest scheduled callback is due, or None when nothing is."""
        return self._heap[0] >> (_COUNTER_BITS + 2) if self._heap else None

    @property
    def pending(self) -> int:
        return len(self._heap)
