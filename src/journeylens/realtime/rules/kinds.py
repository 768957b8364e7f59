"""How each kind of rule reacts to an event (or a feedback record), with its state.

A handler gets the customer's rule state, the event (its time ``t`` in epoch seconds) and the
journey step the tracker made of it, updates its part of the state and returns a `Firing` when
the rule fires. The engine offers an event only to the handlers whose filters admit its
activity, channel and journey type; the handler checks the rest.

- ``event``: every matching event;
- ``count``: the matching event that makes ``at_least`` matches within ``within`` (per group);
  the window holds at most ``at_least`` events;
- ``sequence``: the event that completes the steps in order within ``within`` (from the first
  step); each partial sequence keeps the latest start, and a completed one is consumed;
- ``absence``: an ``after`` event arms a timer at ``t + within``; an ``expect`` event in
  ``[after, deadline]`` cancels the pending timers of its group; the timer fires when the
  watermark passes its deadline;
- ``overdue``: a journey's start arms a timer at start + SLA (or ``within``); its completion
  (end activity) by then cancels it;
- ``journey``: the first event of a journey at which every condition on its measures holds
  (once per journey);
- ``feedback``: a feedback record whose kind, fields, score and sentiment match.

Examples
--------
>>> sorted(HANDLERS)
['absence', 'count', 'event', 'journey', 'overdue', 'sequence']
>>> _group_details.__name__, MAX_GROUPS, MAX_PENDING
('_group_details', 64, 16)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from journeylens.realtime.journey_state import JourneyState, Step
from journeylens.realtime.records import LiveEvent, LiveFeedback
from journeylens.realtime.rules.check import Compiled
from journeylens.realtime.rules.conditions import Filter
from journeylens.realtime.rules.state import (
    MAX_GROUPS,
    MAX_PENDING,
    CustomerRules,
    Firing,
    Timer,
    TimerQueue,
)


def _group_details(compiled: Compiled, group: tuple[Any, ...]) -> dict[str, Any]:
    spec = compiled.rule.spec
    names = getattr(spec, "group_by", None) or getattr(spec, "same", None) or ()
    return dict(zip(names, group, strict=False))


def _cap(groups: dict[Any, Any]) -> None:
    """Keep at most `MAX_GROUPS` groups (the oldest inserted go first)."""
    while len(groups) > MAX_GROUPS:
        del groups[next(iter(groups))]


#: A partial sequence: when its first step happened, and the events matched so far.
Partial = tuple[float, tuple[str, ...]]


class Handler:
    """Base of the handlers: the compiled rule and the filters that decide candidacy.

    The engine offers an event only to handlers that `admits` it; a handler with a single
    filter (event, count, journey) therefore checks only the filter's non-indexed conditions.
    """

    def __init__(self, compiled: Compiled, timers: TimerQueue) -> None:
        self.compiled = compiled
        self.index = compiled.index
        self.timers = timers
        #: The non-indexed conditions of the first filter (all a one-filter rule must check).
        self.checks = compiled.filters[0].checks if compiled.filters else ()

    def admits(self, activity: str, channel: str, journey_type: str) -> bool:
        """Whether any of the rule's filters could match such an event."""
        types = self.compiled.journey_types
        if types is not None and journey_type not in types:
            return False
        return any(f.admits(activity, channel, journey_type) for f in self.compiled.filters)

    def on_event(
        self, state: CustomerRules, key: str, event: LiveEvent, t: float, step: Step
    ) -> Firing | None:
        """React to an event of the customer (None: nothing fired)."""
        raise NotImplementedError

    def merge(self, into: Any, other: Any, key: str) -> Any:
        """This rule's state of two customers found to be one."""
        return into


class EventHandler(Handler):
    def on_event(
        self, state: CustomerRules, key: str, event: LiveEvent, t: float, step: Step
    ) -> Firing | None:
        for get, test in self.checks:
            if not test(get(event, step)):
                return None
        details = {"activity": event.activity, "channel": event.channel}
        return Firing(event.ts, t, (event.event_id,), step.journey.journey_key, details)


class CountHandler(Handler):
    """State: group -> list of (t, event_id), oldest first, at most ``at_least`` long."""

    def on_event(
        self, state: CustomerRules, key: str, event: LiveEvent, t: float, step: Step
    ) -> Firing | None:
        for get, test in self.checks:
            if not test(get(event, step)):
                return None
        c = self.compiled
        group = c.group_key(event, step) if c.group else ()
        if group is None:
            return None
        groups = state.parts.get(self.index)
        if groups is None:
            groups = state.parts[self.index] = {}
        window: list[tuple[float, str]] | None = groups.get(group)
        if window is None:
            window = groups[group] = []
            _cap(groups)
        item = (t, event.event_id)
        if not window or t >= window[-1][0]:
            window.append(item)
        else:  # a late event (within the allowed lateness): keep the window in time order
            window.append(item)
            window.sort()
        newest = window[-1][0]
        assert c.within is not None
        while window and window[0][0] < newest - c.within:
            del window[0]
        if len(window) > c.at_least:
            del window[: len(window) - c.at_least]
        if len(window) < c.at_least or item not in window:
            return None
        details = {
            "count": len(window),
            "within_seconds": c.within,
            "first": window[0][1],
            **({"group": _group_details(c, group)} if group else {}),
        }
        ids = tuple(e for _, e in window)
        return Firing(event.ts, t, ids, step.journey.journey_key, details)

    def merge(self, into: Any, other: Any, key: str) -> Any:
        for group, window in other.items():
            mine = into.setdefault(group, [])
            mine.extend(window)
            mine.sort()
            del mine[: max(0, len(mine) - self.compiled.at_least)]
        _cap(into)
        return into


class SequenceHandler(Handler):
    """State: group -> list per step of the partial match ending there: (start, ids) or None."""

    def on_event(
        self, state: CustomerRules, key: str, event: LiveEvent, t: float, step: Step
    ) -> Firing | None:
        c = self.compiled
        filters = c.filters
        hits = [f.matches(event, step) for f in filters]
        if not any(hits):
            return None
        group = c.group_key(event, step)
        if group is None:
            return None
        groups = state.parts.get(self.index)
        if groups is None:
            groups = state.parts[self.index] = {}
        partial: list[Partial | None] | None = groups.get(group)
        if partial is None:
            fresh: list[Partial | None] = [None] * (len(filters) - 1)
            partial = groups[group] = fresh
            _cap(groups)
        assert c.within is not None
        fired = None
        last = len(filters) - 1
        for k in range(last, -1, -1):
            if not hits[k]:
                continue
            if k == 0:
                if last > 0:
                    partial[0] = (t, (event.event_id,))
                continue
            before = partial[k - 1]
            if before is None:
                continue
            start, ids = before
            if t - start > c.within or t < start:
                if t - start > c.within:
                    partial[k - 1] = None
                continue
            partial[k - 1] = None
            if k == last:
                details = {
                    "steps": len(filters),
                    "elapsed_seconds": t - start,
                    "within_seconds": c.within,
                    **({"group": _group_details(c, group)} if group else {}),
                }
                fired = Firing(
                    event.ts, t, (*ids, event.event_id), step.journey.journey_key, details
                )
            else:
                partial[k] = (start, (*ids, event.event_id))
        return fired

    def merge(self, into: Any, other: Any, key: str) -> Any:
        for group, theirs in other.items():
            mine = into.get(group)
            if mine is None:
                into[group] = theirs
                continue
            for k, item in enumerate(theirs):
                if item is not None and (mine[k] is None or item[0] > mine[k][0]):
                    mine[k] = item
        _cap(into)
        return into


class AbsenceHandler(Handler):
    """State: group -> list of pending timers (their ``payload`` holds the start)."""

    def on_event(
        self, state: CustomerRules, key: str, event: LiveEvent, t: float, step: Step
    ) -> Firing | None:
        c = self.compiled
        after, expect = c.filters
        is_after = after.matches(event, step)
        is_expect = expect.matches(event, step)
        if not (is_after or is_expect):
            return None
        group = c.group_key(event, step)
        if group is None:
            return None
        groups = state.parts.get(self.index)
        if groups is None:
            groups = state.parts[self.index] = {}
        pending = groups.get(group)
        if is_expect and pending:
            for timer in [p for p in pending if p.payload["start"] <= t <= p.deadline]:
                timer.cancel()
        if is_after:
            if pending is None:
                pending = groups[group] = []
                _cap(groups)
            while len(pending) >= MAX_PENDING:
                pending[0].cancel()
            assert c.within is not None
            self.timers.add(
                t + c.within,
                rule=self.index,
                customer_key=key,
                home=pending,
                payload={
                    "start": t,
                    "event_id": event.event_id,
                    "activity": event.activity,
                    "journey_key": step.journey.journey_key,
                    "group": _group_details(c, group),
                },
            )
        if pending is not None and not pending:
            del groups[group]
        return None

    def merge(self, into: Any, other: Any, key: str) -> Any:
        return _merge_timers(into, other, key)


def _merge_timers(into: dict[Any, list[Timer]], other: dict[Any, list[Timer]], key: str) -> Any:
    for group, theirs in other.items():
        mine = into.setdefault(group, [])
        for timer in theirs:
            timer.customer_key = key
            timer.home = mine
            mine.append(timer)
        mine.sort()
    return into


class OverdueHandler(Handler):
    """State: journey key -> [its pending timer]."""

    def admits(self, activity: str, channel: str, journey_type: str) -> bool:
        types = self.compiled.journey_types
        return types is None or journey_type in types

    def on_event(
        self, state: CustomerRules, key: str, event: LiveEvent, t: float, step: Step
    ) -> Firing | None:
        journey = step.journey
        if step.started:
            limit = self.compiled.within or journey.sla_seconds
            if limit is not None and (
                self.compiled.journey_types is None
                or journey.journey_type in self.compiled.journey_types
            ):
                journeys = state.parts.setdefault(self.index, {})
                home: list[Timer] = journeys.setdefault(journey.journey_key, [])
                self.timers.add(
                    journey.start + limit,
                    rule=self.index,
                    customer_key=key,
                    home=home,
                    payload={"journey": journey, "limit": limit, "event_id": event.event_id},
                )
        if step.completed:
            journeys = state.parts.get(self.index)
            pending = journeys.get(journey.journey_key) if journeys else None
            if pending is not None:
                for timer in list(pending):
                    if t <= timer.deadline:
                        timer.cancel()
                if not pending:
                    del journeys[journey.journey_key]  # type: ignore[union-attr]
        return None

    def merge(self, into: Any, other: Any, key: str) -> Any:
        return _merge_timers(into, other, key)


def _measure(name: str) -> Callable[[JourneyState], Any]:
    if name == "duration":
        return lambda j: j.duration
    return lambda j: getattr(j, name)


class JourneyHandler(Handler):
    """Fires once per journey (a bit of ``JourneyState.fired``)."""

    def __init__(self, compiled: Compiled, timers: TimerQueue) -> None:
        super().__init__(compiled, timers)
        self.bit = 1 << compiled.index
        self.measures = tuple((name, _measure(name), test) for name, test in compiled.measures)

    def on_event(
        self, state: CustomerRules, key: str, event: LiveEvent, t: float, step: Step
    ) -> Firing | None:
        journey = step.journey
        if journey.fired & self.bit:
            return None
        types = self.compiled.journey_types
        if types is not None and journey.journey_type not in types:
            return None
        for get, test in self.checks:
            if not test(get(event, step)):
                return None
        values = {}
        for name, measure, holds in self.measures:
            value = measure(journey)
            if not holds(value):
                return None
            values[name] = value
        journey.fired |= self.bit
        details = {"journey_type": journey.journey_type, **values}
        return Firing(event.ts, t, (event.event_id,), journey.journey_key, details)


class FeedbackHandler:
    """Feedback thresholds; ``sentiment`` is computed only when a rule asks for it."""

    def __init__(self, compiled: Compiled, sentiment: Callable[[str], float]) -> None:
        self.compiled = compiled
        self.index = compiled.index
        self.sentiment = sentiment
        self.where: Filter = compiled.filters[0]

    def on_feedback(self, feedback: LiveFeedback, t: float) -> Firing | None:
        """Whether the record meets the rule (the engine handles cooldowns)."""
        c = self.compiled
        if c.kinds is not None and feedback.kind not in c.kinds:
            return None
        if not self.where.matches(feedback):
            return None
        details: dict[str, Any] = {"kind": feedback.kind, "score": feedback.score}
        if c.score is not None and not c.score(feedback.score):
            return None
        if c.sentiment is not None:
            if not feedback.text:
                return None
            polarity = self.sentiment(feedback.text)
            if not c.sentiment(polarity):
                return None
            details["sentiment"] = polarity
        if feedback.event_id:
            details["event_id"] = feedback.event_id
        return Firing(feedback.ts, t, (feedback.feedback_id,), feedback.journey_key, details)


#: The handler class of each event-driven kind.
HANDLERS: dict[str, type[Handler]] = {
    "event": EventHandler,
    "count": CountHandler,
    "sequence": SequenceHandler,
    "absence": AbsenceHandler,
    "overdue": OverdueHandler,
    "journey": JourneyHandler,
}
