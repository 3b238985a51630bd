"""A virtual clock: heaps of (time, priority, counter, callback, args), as SimPy keeps one.

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
# heaps hold plain ints and compare them directly: (time << 2 | priority) << 40 | counter.
# The callbacks wait in a dict under their key; a cancelled one is missing there.
_COUNTER_BITS = 40
_SHIFT = _COUNTER_BITS + 2


class Scheduler:
    """Timers wait on a heap of their own: they are far ahead (a TIME_WAIT's 60 s, a SYN's 1 s
    retransmission), so they make a large heap, while deliveries and applications are due
    within a round trip and keep theirs small.  Each step runs the smaller of the two heads,
    so the order is the same as with one heap."""

    def __init__(self) -> None:
        self.now = 0
        self._heap: list[int] = []
        self._timers: list[int] = []
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
        heapq.heappush(self._timers if priority == TIMER else self._heap, key)
        return key

    def call_later(self, delay: int, fn: Callable[..., Any], priority: int = APPLICATION, *args: Any) -> int:
        return self.call_at(self.now + delay, fn, priority, *args)

    def cancel(self, key: int) -> None:
        """Do not run the callback scheduled under ``key`` (nothing happens if it ran already)."""
        self._entries.pop(key, None)

    def run(self, until: int | None = None, max_events: int = 10_000_000) -> None:
        heap = self._heap
        timers = self._timers
        pop = heapq.heappop
        limit = self.executed + max_events
        entries = self._entries
        while True:
            if heap:
                key = heap[0]
                first = heap
                if timers and timers[0] < key:
                    key = timers[0]
                    first = timers
            elif timers:
                key = timers[0]
                first = timers
            else:
                return
            if until is not None and (key >> _SHIFT) > until:
                self.now = until
                return
            pop(first)
            self.now = key >> _SHIFT
            entry = entries.pop(key, None)
            if entry is None:
                continue  # cancelled
            self.executed += 1
            if self.executed > limit:
                raise RuntimeError(f"simulation exceeded {max_events} events")
            entry[0](*entry[1])

    def next_time(self) -> int | None:
        """When the earliest scheduled callback is due (cancelled ones included), or None when nothing is."""
        heads = [h[0] for h in (self._heap, self._timers) if h]
        return min(heads) >> _SHIFT if heads else None

    @property
    def pending(self) -> int:
        """Entries left on the heaps, cancelled ones included (see the module's docstring)."""
        return len(self._heap) + len(self._timers)
