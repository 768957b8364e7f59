"""What the engine keeps per customer, and the timers of absence and overdue rules.

Per customer: for each rule, a small state (windows of recent matches per group, partial
sequences, pending timers), when each rule last fired (cooldown), and the recent moments.
Every structure is bounded: windows keep at most the events the rule needs, groups per rule
are capped, and timers are decided once the watermark passes them.

Timers sit in one heap ordered by (deadline, creation order), so that the same events fire
the same timers in the same order, live and in replay.

Examples
--------
>>> queue = TimerQueue()
>>> a = queue.add(100.0, rule=0, customer_key="c1", home=[])
>>> b = queue.add(50.0, rule=0, customer_key="c2", home=[])
>>> b.cancel()
>>> [t.deadline for t in queue.due(101.0)]
[100.0]
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from journeylens.realtime.moments import Moment

#: Moments remembered per customer (for the context's active moments).
RECENT_MOMENTS = 20
#: Groups (e.g. topics) one rule keeps per customer before the oldest are dropped.
MAX_GROUPS = 64
#: Pending timers per rule, customer and group.
MAX_PENDING = 16


class Timer:
    """A pending deadline of one rule for one customer.

    ``home`` is the list of the customer's pending timers this one sits in (so a firing can
    remove itself without a lookup); ``payload`` holds what the moment will report.
    """

    __slots__ = ("cancelled", "customer_key", "deadline", "home", "payload", "rule", "seq")

    def __init__(
        self,
        deadline: float,
        seq: int,
        rule: int,
        customer_key: str,
        home: list[Timer],
        payload: dict[str, Any],
    ) -> None:
        self.deadline = deadline
        self.seq = seq
        self.rule = rule
        self.customer_key = customer_key
        self.home = home
        self.payload = payload
        self.cancelled = False

    def cancel(self) -> None:
        """Forget the timer (it stays in the heap until its deadline, ignored)."""
        self.cancelled = True
        if self in self.home:
            self.home.remove(self)

    def __lt__(self, other: Timer) -> bool:
        return (self.deadline, self.seq) < (other.deadline, other.seq)


class TimerQueue:
    """Every pending timer, earliest deadline first."""

    def __init__(self) -> None:
        self._heap: list[Timer] = []
        self._seq = 0

    def add(
        self,
        deadline: float,
        *,
        rule: int,
        customer_key: str,
        home: list[Timer],
        payload: dict[str, Any] | None = None,
    ) -> Timer:
        """A new timer, also appended to ``home``."""
        self._seq += 1
        timer = Timer(deadline, self._seq, rule, customer_key, home, payload or {})
        home.append(timer)
        heapq.heappush(self._heap, timer)
        return timer

    def next_deadline(self) -> float | None:
        """The earliest deadline still in the heap (perhaps of a cancelled timer)."""
        return self._heap[0].deadline if self._heap else None

    def next_deadline_before(self, watermark: float) -> bool:
        """Whether some timer (perhaps cancelled) has its deadline before ``watermark``."""
        heap = self._heap
        return bool(heap) and heap[0].deadline < watermark

    def due(self, watermark: float) -> list[Timer]:
        """Pop the live timers whose deadline lies strictly before ``watermark``."""
        heap = self._heap
        out = []
        while heap and heap[0].deadline < watermark:
            timer = heapq.heappop(heap)
            if not timer.cancelled:
                timer.cancel()  # leaves its home list
                out.append(timer)
        return out

    def __len__(self) -> int:
        return len(self._heap)


@dataclass(slots=True)
class CustomerRules:
    """The rule state of one customer."""

    #: Per rule index: the kind's state (dicts by group, see `journeylens.realtime.rules.kinds`).
    parts: dict[int, Any] = field(default_factory=dict)
    #: Per rule index: event time of the last firing (for cooldowns).
    fired_at: dict[int, float] = field(default_factory=dict)
    #: The customer's latest moments, newest last.
    moments: deque[Moment] = field(default_factory=lambda: deque(maxlen=RECENT_MOMENTS))


@dataclass(frozen=True, slots=True)
class Firing:
    """What a rule saw when it fired (the engine turns it into a `Moment`)."""

    ts: datetime
    t: float
    event_ids: tuple[str, ...]
    journey_key: str | None
    details: dict[str, Any]
