"""A virtual clock: a heap of (time, priority, counter, callback, args), as SimPy keeps it.

Time is integer microseconds.  The counter breaks ties so that callbacks due at
the same instant and priority run in the order they were scheduled, which is
what makes a seeded run reproducible.  Nothing here reads the wall clock.
:meth:`Scheduler.cancel` forgets a callback but leaves its place on the heap:
removing it would cost more than popping it later, and the clock still moves
to its time when it comes up, so a run ends at the same instant, and counts
the same pending entries, whether or not its callbacks were cancelled.
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
# The callbacks wait in a dict under their key; a cancelled one is missing there.
_COUNTER_BITS = 40


class Scheduler:
    def __init__(self) -> None:
        self.now = 0
        self._heap: list[int] = []
        self._entries: dict[int, tuple[Callable[..., Any], tuple]] = {}
        self._counter = 0
        self.executed = 0

    def call_at(self, when: int, fn: Callable[..., Any], priority: int = APPLICATION, *args: Any) -> int:
        """Run ``fn(*args)`` at ``when`` (now, if that is past); returns a key for :meth:`cancel`."""
        if when < self.now:
            when = self.now
        self._counter += 1
        key = (((when << 2) | priority) << _COUNTER_BITS) | self._counter
        self._entries[key] = (fn, args)
        heapq.heappush(self._heap, key)
        return key

    def call_later(self, delay: int, fn: Callable[..., Any], priority: int = APPLICATION, *args: Any) -> int:
        return self.call_at(self.now + delay, fn, priority, *args)

    def cancel(self, key: int) -> None:
        """Do not run the callback scheduled under ``key`` (nothing happens if it ran already)."""
        self._entries.pop(key, None)

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
            self.now = key >> shift
            entry = entries.pop(key, None)
            if entry is None:
                continue  # cancelled
            self.executed += 1
            if self.executed > limit:
                raise RuntimeError(f"simulation exceeded {max_events} events")
            entry[0](*entry[1])

    def next_time(self) -> int | None:
        """When the earliest scheduled callback is due (cancelled ones included), or None when nothing is."""
        return self._heap[0] >> (_COUNTER_BITS + 2) if self._heap else None

    @property
    def pending(self) -> int:
        """Entries left on the heap, cancelled ones included (see the module's docstring)."""
        return len(self._heap)
