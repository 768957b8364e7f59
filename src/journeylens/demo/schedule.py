"""When customers start journeys, and the walk of every journey of a chunk.

Journey starts are drawn vectorised (Poisson counts per customer and type, uniform days over
the time the customer is with the company, the billing spike on top); the path models then
write the events journey by journey. Two journeys of one type and customer never overlap: a
journey starts at least the type's timeout plus two days after the last event of the previous
one, so the journey definitions of `journeylens.demo.maps.config` cut exactly the true
journeys.

Examples
--------
>>> import random
>>> import numpy as np
>>> from journeylens.demo.identities import Customers, Offsets
>>> rng = np.random.default_rng(3)
>>> people = Customers.make(rng, Offsets(), 50, days=365)
>>> batch = walk_journeys(random.Random(3), plan(rng, people, 365), people, 365)
>>> len(batch.steps) == len(batch.times) == int(batch.count.sum())
True
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from journeylens.demo.identities import Customers
from journeylens.demo.paths import BILLING, ONBOARDING, RENEWAL, TYPES
from journeylens.demo.truths import TRUTHS
from journeylens.demo.walk import DAY, Walk, Who

Ints = npt.NDArray[np.int64]

#: Days between the last event of a journey and the next journey of the same type, on top of
#: the type's timeout.
SEPARATION_DAYS = 2


@dataclass(frozen=True)
class Plan:
    """Planned journey starts of a chunk, ordered by customer, type and day."""

    customer: Ints
    kind: Ints
    day: Ints


def spike_window(days: int) -> tuple[int, int]:
    """First and last-plus-one day of the billing spike, clipped to the window."""
    start = min(TRUTHS.spike_start_day, days)
    return start, min(start + TRUTHS.spike_days, days)


def plan(rng: np.random.Generator, people: Customers, days: int) -> Plan:
    """Journey starts for every customer of the chunk."""
    active = (days - people.join_day).astype(float)
    customers: list[Ints] = []
    kinds: list[Ints] = []
    starts: list[Ints] = []

    def add(code: int, counts: Ints, low: Ints, span: npt.NDArray[np.float64]) -> None:
        who = np.repeat(np.arange(people.n), counts)
        customers.append(who)
        kinds.append(np.full(len(who), code, dtype=np.int64))
        starts.append(low[who] + np.floor(rng.random(len(who)) * span[who]).astype(np.int64))

    for code, journey_type in enumerate(TYPES):
        if code == ONBOARDING:
            counts = people.new.astype(np.int64)
            add(code, counts, people.join_day, np.ones(people.n))
            continue
        rate = journey_type.rate_per_year * active / 365.0
        if code == RENEWAL:
            rate = np.where(people.new, 0.0, rate)
        add(code, rng.poisson(rate), people.join_day, active)
    first, last = spike_window(days)
    low = np.maximum(people.join_day, first)
    span = np.maximum(last - low, 0).astype(float)
    extra = TYPES[BILLING].rate_per_year * (TRUTHS.spike_billing_factor - 1.0) * span / 365.0
    add(BILLING, rng.poisson(extra), low, span)

    customer = np.concatenate(customers)
    kind = np.concatenate(kinds)
    day = np.concatenate(starts)
    order = np.lexsort((day, kind, customer))
    return Plan(customer=customer[order], kind=kind[order], day=day[order])


@dataclass(frozen=True)
class JourneyBatch:
    """The journeys of a chunk and their events (events grouped by journey, in time order)."""

    steps: npt.NDArray[np.int16]
    times: Ints
    count: Ints
    customer: Ints
    kind: Ints
    flags: Ints
    variant: list[str]
    reason: list[str]

    @property
    def journey(self) -> Ints:
        """The journey (position in the batch) of each event."""
        return np.repeat(np.arange(len(self.count)), self.count)


def walk_journeys(rnd: random.Random, planned: Plan, people: Customers, days: int) -> JourneyBatch:
    """Write every planned journey that fits in the window (the only per-journey Python loop)."""
    w = Walk(rnd)
    who = Who()
    walks = [t.walk for t in TYPES]
    separation = [t.timeout_days + SEPARATION_DAYS for t in TYPES]
    spike_first, spike_last = spike_window(days)
    app = people.app.tolist()
    business = people.business.tolist()
    pref = people.pref
    counts: list[int] = []
    customers: list[int] = []
    kinds: list[int] = []
    flags: list[int] = []
    variants: list[str] = []
    reasons: list[str] = []
    previous = (-1, -1)
    last_day = 0
    for c, kind, day in zip(
        planned.customer.tolist(), planned.kind.tolist(), planned.day.tolist(), strict=True
    ):
        if (c, kind) == previous and day < last_day + separation[kind]:
            day = last_day + separation[kind] + int(rnd.random() * 7)
        if day >= days:
            continue
        who.app = app[c]
        who.business = business[c]
        who.pref = pref[c]
        who.spike = kind == BILLING and spike_first <= day < spike_last
        before = len(w.steps)
        w.begin(day)
        flags.append(walks[kind](w, who))
        counts.append(len(w.steps) - before)
        customers.append(c)
        kinds.append(kind)
        variants.append(w.variant)
        reasons.append(w.reason)
        previous = (c, kind)
        last_day = w.times[-1] // DAY
    return JourneyBatch(
        steps=np.array(w.steps, dtype=np.int16),
        times=np.array(w.times, dtype=np.int64),
        count=np.array(counts, dtype=np.int64),
        customer=np.array(customers, dtype=np.int64),
        kind=np.array(kinds, dtype=np.int64),
        flags=np.array(flags, dtype=np.int64),
        variant=variants,
        reason=reasons,
    )
