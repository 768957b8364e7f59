"""The pen that path models write journeys with.

A `Walk` collects the events of every journey of one chunk in two flat lists (step codes and
times in seconds since the start of the window), so a path model costs a few list appends per
event. Time moves forward only: ``soon`` within a session, ``later`` to a time of day on a
later day (office hours for assisted channels).

Examples
--------
>>> import random
>>> from journeylens.demo.steps import LOGIN
>>> w = Walk(random.Random(1))
>>> w.begin(day=3)
>>> w.open(office=True)
>>> w.emit(LOGIN)
>>> 3 * DAY + 8 * HOUR <= w.times[0] < 3 * DAY + 19 * HOUR
True
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

HOUR = 3_600
DAY = 86_400

#: Hours of the day (start, length) when customers use each kind of channel.
OFFICE_HOURS = (8 * HOUR, 11 * HOUR)
ONLINE_HOURS = (7 * HOUR, 16 * HOUR)


#: Weighted options with cumulative weights, for `Walk.pick` (made by `choice`).
Choice = tuple[tuple[T, float], ...]


def choice(weights: dict[T, float]) -> Choice[T]:
    """Weighted options with cumulative weights.

    Examples
    --------
    >>> choice({"web": 3, "phone": 1})
    (('web', 0.75), ('phone', 1.0))
    """
    total = float(sum(weights.values()))
    running = 0.0
    items = []
    for value, weight in weights.items():
        running += weight / total
        items.append((value, running))
    return tuple(items)


class Who:
    """What a path model may know about the customer and the journey (reused per journey)."""

    __slots__ = ("app", "business", "pref", "spike")

    def __init__(self) -> None:
        self.app = False
        self.business = False
        self.pref = "web"
        self.spike = False


class Walk:
    """Events of the journeys of one chunk, as parallel lists of step codes and times."""

    __slots__ = ("day", "random", "reason", "steps", "t", "times", "variant")

    def __init__(self, rnd: random.Random) -> None:
        self.random = rnd.random
        self.steps: list[int] = []
        self.times: list[int] = []
        self.t = 0
        self.day = 0
        self.variant = ""
        self.reason = ""

    def begin(self, day: int) -> None:
        """Start a new journey on ``day`` (days since the start of the window)."""
        self.day = day
        self.t = day * DAY
        self.variant = ""
        self.reason = ""

    def open(self, office: bool) -> None:
        """Set the time of the first event: a time of day on the journey's first day."""
        start, length = OFFICE_HOURS if office else ONLINE_HOURS
        self.t = self.day * DAY + start + int(self.random() * length)

    def emit(self, code: int) -> None:
        """Record an event of step ``code`` at the current time."""
        self.steps.append(code)
        self.times.append(self.t)

    def soon(self, low: int, high: int) -> None:
        """Move on between ``low`` and ``high`` seconds (at least one)."""
        self.t += max(1, low + int(self.random() * (high - low)))

    def later(self, low_days: float, high_days: float, office: bool) -> None:
        """Move on to a time of day ``low_days`` … ``high_days`` days later."""
        start, length = OFFICE_HOURS if office else ONLINE_HOURS
        days = int(low_days + self.random() * (high_days - low_days + 1))
        when = (self.t // DAY + days) * DAY + start + int(self.random() * length)
        if when <= self.t:
            when = self.t + 600 + int(self.random() * 3 * HOUR)
        self.t = when

    def chance(self, p: float) -> bool:
        """True with probability ``p``."""
        return self.random() < p

    def pick(self, options: Choice[T]) -> T:
        """One of weighted ``options``."""
        u = self.random()
        for value, cumulative in options:
            if u < cumulative:
                return value
        return options[-1][0]

    def one_of(self, values: Sequence[T]) -> T:
        """One of ``values``, uniformly."""
        return values[int(self.random() * len(values))]
