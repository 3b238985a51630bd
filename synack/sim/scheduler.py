"""A virtual clock: heaps of (time, priority, counter, callback, args), as SimPy keeps one.

Time is integer microseconds.  The counter breaks ties so that callbacks due at
the same instant and priority run in the order they were scheduled, which is
what makes a seeded run reproducible.  Nothing here reads the wall clock.
:meth:`Scheduler.cancel` forgets a timer but leaves its place on the heap:
removing it would cost more than popping it later, and the clock still moves
to its time when it comes up, so a run ends at the same instant, and has
entries pending until then, whether or not its callbacks were cancelled.

Most timers are cancelled long before their time (a retransmission timer
moves at every ACK, the SYN-ACK cancels a SYN's), so one that is not the
next timer waits in a list and joins the heap only when the timers before it
have run.  Of those cancelled while they waited, only the latest then takes
its place on the heap: that is all it takes for the clock, the end of a run
and ``pending`` to be what they would be with every one of them there.
"""

from __future__ import annotations

import heapq
from typing import Any, Callable, Final

# Lower runs first at equal times: deliveries before timers before applications,
# so an application woken at time t sees every segment that arrived at t.
# (Final: the compiled build inlines them instead of looking them up at every use.)
DELIVERY: Final = 0
TIMER: Final = 1
APPLICATION: Final = 2

# Final, the compiled build keeps these in C variables: a plain import is a dict lookup per call.
_heappush: Final = heapq.heappush
_heappop: Final = heapq.heappop


# Time, priority and the tie-breaking counter are packed into one integer key:
# time << 42 | priority << 40 | counter.  The counter only orders callbacks due at the same time
# and priority, so each priority counts its own, from priority << 40 on: a key is then one shift
# and one or of two numbers (integer operations are what a key costs in the interpreter).
# Keys are unique, so an entry (key, callback, args) compares by its key alone.  Timers, the
# only callbacks that get cancelled, are plain keys on their heap with their callbacks in a dict;
# a cancelled one is missing there.
_COUNTER_BITS: Final = 40
_SHIFT: Final = _COUNTER_BITS + 2


class Scheduler:
    """Three queues, one order.

    Timers wait on a heap of their own: they are far ahead (a TIME_WAIT's 60 s, a
    SYN's 1 s retransmission), so they make a large heap, while deliveries and
    sleeps are due within a round trip and keep theirs small (and a timer later
    than the head of its heap waits in a list until its turn may come, see the
    module's docstring).  An application
    resumed now (a socket call's result) waits in a plain FIFO, ``ready``: it
    comes after everything on the heaps due now, which was scheduled earlier or
    at a lower priority, and before anything later, so it needs no key.  Each
    step runs the earliest of the heads, so the order is that of one heap.
    """

    def __init__(self) -> None:
        self.now = 0
        self._heap: list[tuple[int, Callable[..., Any], tuple]] = []
        self._timers: list[int] = []
        self._entries: dict[int, tuple[Callable[..., Any], tuple]] = {}  # the timers' callbacks
        # Timers that wait to join their heap (all later than its head), and the least of their keys.
        self._later: list[int] = []
        self._later_min = 0
        # A list read from _ready_at on (list operations are primitives of the compiled build).
        # Appending ``(fn, args)`` is call_at(now, fn, APPLICATION, *args) without the call, for
        # the application layer's hottest path (a waitable resolved).
        self.ready: list[tuple[Callable[..., Any], tuple]] = []
        self._ready_at = 0
        # Each priority's counter, with the priority in its top bits (see _COUNTER_BITS).  Three
        # attributes, not a list: the compiled build keeps them as machine integers.
        self._delivery_ties = DELIVERY << _COUNTER_BITS
        self._timer_ties = TIMER << _COUNTER_BITS
        self._application_ties = APPLICATION << _COUNTER_BITS
        self.executed = 0

    def call_at(self, when: int, fn: Callable[..., Any], priority: int = APPLICATION, *args: Any) -> int:
        """Run ``fn(*args)`` at ``when`` (now, if that is past); returns a key for :meth:`cancel`
        (a timer's; 0, which cancels nothing, for a delivery or an application)."""
        if when <= self.now:
            if priority == APPLICATION:
                self.ready.append((fn, args))
                return 0
            when = self.now
        if priority == DELIVERY:
            self._delivery_ties = tie = self._delivery_ties + 1
        elif priority == TIMER:
            self._timer_ties = tie = self._timer_ties + 1
        else:
            self._application_ties = tie = self._application_ties + 1
        key = (when << _SHIFT) | tie
        if priority == TIMER:
            self._entries[key] = (fn, args)
            timers = self._timers
            if not timers or key < timers[0]:
                _heappush(timers, key)
            else:
                # Not the next timer: it may well be cancelled before its turn.
                if not self._later or key < self._later_min:
                    self._later_min = key
                self._later.append(key)
            return key
        _heappush(self._heap, (key, fn, args))
        return 0

    def call_later(self, delay: int, fn: Callable[..., Any], priority: int = APPLICATION, *args: Any) -> int:
        return self.call_at(self.now + delay, fn, priority, *args)

    def cancel(self, key: int) -> None:
        """Do not run the timer scheduled under ``key`` (nothing happens if it ran already)."""
        self._entries.pop(key, None)

    def run(self, until: int | None = None, max_events: int = 10_000_000) -> None:
        heap = self._heap
        timers = self._timers
        later = self._later
        ready = self.ready
        entries = self._entries
        # Counted in a local and stored on the way out: this loop is the simulator's hottest code.
        executed = self.executed
        limit = executed + max_events
        try:
            while True:
                if heap:
                    key = heap[0][0]
                    from_heap = True
                    if timers and timers[0] < key:
                        key = timers[0]
                        from_heap = False
                elif timers:
                    key = timers[0]
                    from_heap = False
                elif ready:
                    key = -1  # only the ready queue is left
                    from_heap = False
                else:
                    return
                if ready and (key < 0 or key >> _SHIFT > self.now):
                    # Nothing else is due now: the applications resumed at this instant run.
                    at = self._ready_at
                    fn, args = ready[at]
                    if at + 1 == len(ready):
                        ready.clear()
                        self._ready_at = 0
                    else:
                        self._ready_at = at + 1
                else:
                    if until is not None and (key >> _SHIFT) > until:
                        self.now = until
                        return
                    self.now = key >> _SHIFT
                    if from_heap:
                        _, fn, args = _heappop(heap)
                    else:
                        _heappop(timers)
                        if later and (not timers or self._later_min < timers[0]):
                            self._take_in_timers()
                        entry = entries.pop(key, None)
                        if entry is None:
                            continue  # cancelled
                        fn, args = entry
                executed += 1
                if executed > limit:
                    raise RuntimeError(f"simulation exceeded {max_events} events")
                fn(*args)
        finally:
            self.executed = executed

    def _take_in_timers(self) -> None:
        """Put the timers that waited on their heap, now that one of them may be the next.

        Of those cancelled meanwhile, the latest goes on the heap all the same, with no
        callback (see the module's docstring); the others are forgotten.
        """
        entries = self._entries
        timers = self._timers
        latest_cancelled = -1
        for key in self._later:
            if key in entries:
                _heappush(timers, key)
            elif key > latest_cancelled:
                latest_cancelled = key
        if latest_cancelled >= 0:
            _heappush(timers, latest_cancelled)
        self._later.clear()

    def next_time(self) -> int | None:
        """When the earliest scheduled callback is due, or None when nothing is.

        A cancelled timer may count (see the module's docstring): at its time nothing happens.
        """
        if self.ready:  # emptied as soon as its last entry runs
            return self.now
        heads = ([self._heap[0][0]] if self._heap else []) + self._timers[:1]
        return min(heads) >> _SHIFT if heads else None

    @property
    def pending(self) -> int:
        """Callbacks left to run, and some cancelled timers: not zero while one's time is to come.

        (See the module's docstring.)
        """
        return len(self._heap) + len(self._timers) + len(self._later) + len(self.ready) - self._ready_at
