"""The scheduler against the model it stands for: one heap of (time, priority, counter) keys.

:class:`synack.sim.scheduler.Scheduler` keeps three queues and lets timers wait in a
list before they join their heap; whatever it does inside, the callbacks must run in
the order of one heap, cancelled timers must still move the clock to their times
(a run ends at the same instant) and count as pending until then.  Here random
programs of callbacks that schedule and cancel more run on both.
"""

from __future__ import annotations

import heapq
import random
from typing import Any, Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from synack.sim.scheduler import APPLICATION, DELIVERY, TIMER, Scheduler


class OneHeap:
    """The model: every callback on one heap, a cancelled one popped in its turn without a call."""

    def __init__(self) -> None:
        self.now = 0
        self._heap: list[tuple[int, int, int]] = []
        self._calls: dict[int, tuple[Callable[..., Any], tuple]] = {}
        self._counter = 0
        self.executed = 0

    def call_at(self, when: int, fn: Callable[..., Any], priority: int = APPLICATION, *args: Any) -> int:
        self._counter += 1
        heapq.heappush(self._heap, (max(when, self.now), priority, self._counter))
        self._calls[self._counter] = (fn, args)
        return self._counter if priority == TIMER else 0

    def cancel(self, key: int) -> None:
        self._calls.pop(key, None)

    @property
    def pending(self) -> int:
        return len(self._heap)

    def run(self, until: int | None = None) -> None:
        while self._heap:
            when, _, counter = self._heap[0]
            if until is not None and when > until:
                self.now = until
                return
            heapq.heappop(self._heap)
            self.now = when
            call = self._calls.pop(counter, None)
            if call is not None:
                self.executed += 1
                call[0](*call[1])


DELAYS = (0, 0, 1, 7, 40, 200, 1_000, 60_000)


def play(sched: Any, seed: int, until: int) -> list[tuple[Any, ...]]:
    """A random program: each callback logs, then schedules more and cancels timers, as its seed says."""
    log: list[tuple[Any, ...]] = []
    timer_keys: list[int] = []
    made = [0]

    def schedule(rng: random.Random) -> None:
        made[0] += 1
        label = made[0]
        priority = rng.choice((DELIVERY, TIMER, TIMER, APPLICATION))
        key = sched.call_at(sched.now + rng.choice(DELAYS), callback, priority, label)
        if priority == TIMER:
            timer_keys.append(key)

    def callback(label: int) -> None:
        rng = random.Random(seed * 1_000_003 + label)
        log.append((sched.now, label, sched.pending > 0))
        for _ in range(rng.randint(0, 4)):
            if rng.random() < 0.6 and made[0] < 150:
                schedule(rng)
            elif timer_keys:
                sched.cancel(timer_keys.pop(rng.randrange(len(timer_keys))))

    rng = random.Random(seed)
    for _ in range(rng.randint(1, 8)):
        schedule(rng)
    sched.run(until=until)
    log.append(("until", sched.now, sched.pending > 0))
    sched.run()
    log.append(("end", sched.now, sched.pending, sched.executed))
    return log


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), until=st.sampled_from((0, 50, 500, 5_000, 100_000)))
def test_the_order_is_that_of_one_heap(seed: int, until: int) -> None:
    assert play(Scheduler(), seed, until) == play(OneHeap(), seed, until)


def test_a_cancelled_timer_still_moves_the_clock_and_counts_as_pending() -> None:
    sched = Scheduler()
    seen: list[tuple[int, int]] = []
    sched.call_at(0, lambda: seen.append((sched.now, sched.pending)), TIMER)
    keys = [sched.call_at(t, lambda: seen.append((-1, -1)), TIMER) for t in (5_000, 1_000, 9_000, 3_000)]
    sched.call_at(2_000, lambda: seen.append((sched.now, sched.pending)), TIMER)
    for key in keys:
        sched.cancel(key)
    sched.run()
    assert [t for t, _ in seen] == [0, 2_000]
    assert all(pending > 0 for _, pending in seen)  # the cancelled 9 ms timer is still ahead
    assert sched.now == 9_000 and sched.pending == 0


def test_callbacks_at_one_instant_run_deliveries_then_timers_then_applications() -> None:
    sched = Scheduler()
    order: list[str] = []
    sched.call_at(100, order.append, APPLICATION, "app")
    sched.call_at(100, order.append, TIMER, "timer 1")
    sched.call_at(100, order.append, DELIVERY, "delivery")
    sched.call_at(50, lambda: sched.call_at(100, order.append, TIMER, "timer 2"), TIMER)
    sched.run()
    assert order == ["delivery", "timer 1", "timer 2", "app"]
