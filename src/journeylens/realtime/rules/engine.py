"""The rule engine: which rules an event can concern, their firings, cooldowns and timers.

Rules are indexed by what their filters list: an event is offered only to the handlers whose
filters admit its (activity, channel, journey type); the tuple of candidates is computed once
per distinct combination and cached, so a typical event costs one dictionary lookup plus the
few rules that can match it. Feedback rules are indexed by feedback kind.

A firing becomes a `Moment` unless the rule fired for the same customer less than its
``cooldown`` before (in event time); moments of one call come out by priority (highest first),
then in rule order. Timers (absence, overdue) are fired by `RuleEngine.due` with the watermark
the caller (`journeylens.realtime.core.LiveCore`) keeps.

Examples
--------
>>> from journeylens.realtime.rules.loader import rules_from_data
>>> engine = RuleEngine(rules_from_data({"rules": [
...     {"name": "calls", "event": {"channel": "phone"}},
...     {"name": "errors", "event": {"activity": "form_error"}}]}))
>>> [h.compiled.name for h in engine.candidates("call", "phone", "other")]
['calls']
>>> engine.candidates("login", "web", "other")
()
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from journeylens.realtime.journey_state import Step
from journeylens.realtime.moments import Moment
from journeylens.realtime.records import LiveEvent, LiveFeedback
from journeylens.realtime.rules.check import Compiled
from journeylens.realtime.rules.kinds import HANDLERS, FeedbackHandler, Handler
from journeylens.realtime.rules.ruleset import RuleSet
from journeylens.realtime.rules.sentiment import vader_compound
from journeylens.realtime.rules.state import CustomerRules, Firing, Timer, TimerQueue

#: Distinct (activity, channel, journey type) combinations whose candidates are cached.
MAX_CACHED = 50_000


@dataclass
class RuleStats:
    """What one rule did since the engine started."""

    fired: int = 0
    suppressed: int = 0


def _timer_firing(timer: Timer) -> Firing:
    payload = timer.payload
    at = datetime.fromtimestamp(timer.deadline, UTC)
    journey = payload.get("journey")
    if journey is not None:  # overdue
        details = {
            "journey_type": journey.journey_type,
            "limit_seconds": payload["limit"],
            "started": datetime.fromtimestamp(journey.start, UTC).isoformat(),
            "steps": journey.steps,
            "stage": journey.stage,
        }
        return Firing(at, timer.deadline, (payload["event_id"],), journey.journey_key, details)
    details = {
        "after": payload["activity"],
        "within_seconds": timer.deadline - payload["start"],
        **({"group": payload["group"]} if payload["group"] else {}),
    }
    return Firing(at, timer.deadline, (payload["event_id"],), payload["journey_key"], details)


class RuleEngine:
    """Runs a `RuleSet` over events and feedback, customer by customer.

    Parameters
    ----------
    rules : RuleSet
        The rules; their switches (`RuleSet.flags`) are read on every evaluation.
    sentiment : callable, optional
        Text -> polarity in [-1, 1] for ``sentiment:`` conditions (default: VADER).
    """

    def __init__(self, rules: RuleSet, *, sentiment: Callable[[str], float] | None = None) -> None:
        self.rules = rules
        self.flags = rules.flags
        self.timers = TimerQueue()
        self.handlers: list[Handler] = []
        self.feedback_handlers: list[FeedbackHandler] = []
        self._by_index: dict[int, Handler] = {}
        for compiled in rules.compiled:
            if compiled.kind == "feedback":
                self.feedback_handlers.append(
                    FeedbackHandler(compiled, sentiment or vader_compound)
                )
            else:
                handler = HANDLERS[compiled.kind](compiled, self.timers)
                self.handlers.append(handler)
                self._by_index[compiled.index] = handler
        self._candidates: dict[tuple[str, str, str], tuple[Handler, ...]] = {}
        self._feedback_candidates: dict[str, tuple[FeedbackHandler, ...]] = {}
        self.stats = {c.rule.name: RuleStats() for c in rules.compiled}

    # -- index --------------------------------------------------------------------------------

    def candidates(self, activity: str, channel: str, journey_type: str) -> tuple[Handler, ...]:
        """The handlers whose filters admit such an event (cached)."""
        key = (activity, channel, journey_type)
        found = self._candidates.get(key)
        if found is None:
            found = tuple(h for h in self.handlers if h.admits(activity, channel, journey_type))
            if len(self._candidates) < MAX_CACHED:
                self._candidates[key] = found
        return found

    def _feedback_for(self, kind: str) -> tuple[FeedbackHandler, ...]:
        found = self._feedback_candidates.get(kind)
        if found is None:
            found = tuple(
                h
                for h in self.feedback_handlers
                if h.compiled.kinds is None or kind in h.compiled.kinds
            )
            if len(self._feedback_candidates) < MAX_CACHED:
                self._feedback_candidates[kind] = found
        return found

    # -- firing -------------------------------------------------------------------------------

    def _emit(
        self, state: CustomerRules, compiled: Compiled, key: str, firing: Firing
    ) -> Moment | None:
        rule = compiled.rule
        cooldown = rule.cooldown_seconds
        stats = self.stats[rule.name]
        if cooldown is not None:
            last = state.fired_at.get(compiled.index)
            if last is not None and firing.t - last < cooldown:
                stats.suppressed += 1
                return None
        state.fired_at[compiled.index] = firing.t
        stats.fired += 1
        moment = Moment.of(
            rule.name,
            key,
            firing.ts,
            firing.event_ids,
            priority=rule.priority,
            journey_key=firing.journey_key,
            actions=rule.actions,
            details=firing.details,
        )
        state.moments.append(moment)
        return moment

    @staticmethod
    def _ordered(moments: list[tuple[int, int, Moment]]) -> list[Moment]:
        moments.sort(key=lambda item: (-item[0], item[1]))
        return [m for _, _, m in moments]

    def on_event(
        self, state: CustomerRules, key: str, event: LiveEvent, t: float, step: Step
    ) -> list[Moment]:
        """Evaluate the candidate rules on one event of customer ``key``."""
        handlers = self._candidates.get((event.activity, event.channel, step.journey.journey_type))
        if handlers is None:
            handlers = self.candidates(event.activity, event.channel, step.journey.journey_type)
        flags = self.flags
        fired: list[tuple[int, int, Moment]] | None = None
        for handler in handlers:
            if flags[handler.index]:
                firing = handler.on_event(state, key, event, t, step)
                if firing is not None:
                    moment = self._emit(state, handler.compiled, key, firing)
                    if moment is not None:
                        if fired is None:
                            fired = []
                        fired.append((moment.priority, handler.index, moment))
        if fired is None:
            return []
        if len(fired) == 1:
            return [fired[0][2]]
        return self._ordered(fired)

    def on_feedback(
        self, state: CustomerRules, key: str, feedback: LiveFeedback, t: float
    ) -> list[Moment]:
        """Evaluate the feedback rules on one record of customer ``key``."""
        fired: list[tuple[int, int, Moment]] = []
        for handler in self._feedback_for(feedback.kind):
            if not self.flags[handler.index]:
                continue
            firing = handler.on_feedback(feedback, t)
            if firing is not None:
                moment = self._emit(state, handler.compiled, key, firing)
                if moment is not None:
                    fired.append((moment.priority, handler.index, moment))
        return self._ordered(fired)

    def due(self, watermark: float, state_of: Callable[[str], CustomerRules]) -> list[Moment]:
        """Fire the timers whose deadline the watermark has passed, in deadline order."""
        if not self.timers.next_deadline_before(watermark):
            return []
        out: list[Moment] = []
        for timer in self.timers.due(watermark):
            if not self.flags[timer.rule]:
                continue
            handler = self._by_index[timer.rule]
            moment = self._emit(
                state_of(timer.customer_key),
                handler.compiled,
                timer.customer_key,
                _timer_firing(timer),
            )
            if moment is not None:
                out.append(moment)
        return out

    # -- merging ------------------------------------------------------------------------------

    def merge(self, into: CustomerRules, other: CustomerRules, key: str) -> None:
        """Fold the rule state of a customer merged into ``key``."""
        for index, theirs in other.parts.items():
            handler = self._by_index.get(index)
            mine = into.parts.get(index)
            if handler is None:
                into.parts.setdefault(index, theirs)
                continue
            into.parts[index] = handler.merge({} if mine is None else mine, theirs, key)
        for index, t in other.fired_at.items():
            into.fired_at[index] = max(t, into.fired_at.get(index, t))
        if other.moments:
            merged = sorted([*into.moments, *other.moments], key=lambda m: m.ts)
            into.moments.clear()
            into.moments.extend(merged)

    def describe(self) -> list[dict[str, Any]]:
        """The rule set's rows with what each rule did (``fired``, ``suppressed``)."""
        rows = self.rules.describe()
        for row in rows:
            stats = self.stats[row["name"]]
            row["fired"] = stats.fired
            row["suppressed"] = stats.suppressed
        return rows
