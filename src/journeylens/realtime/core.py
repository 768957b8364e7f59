"""`LiveCore`: one event at a time, stitch the customer, update the journey, run the rules.

The same object serves the live API (`journeylens.realtime.service`) and the replay of history
(`journeylens.realtime.rules.replay`), so the same events in the same order fire the same
moments both ways. Per event: identity (`journeylens.realtime.identity`), then the journey
(`journeylens.realtime.journey_state`), then the rules whose filters can match
(`journeylens.realtime.rules.engine`).

Time. Windows (count, sequence, journey duration) use event time. Absence and overdue rules
wait for deadlines, decided by the *watermark*: with ``clock="event"`` it is the newest event
(or feedback) time seen minus the allowed lateness, advanced by every record, so replay and a
live stream in event time decide at the same records; with ``clock="wall"`` it is
``now - lateness`` of the latest `LiveCore.tick`, which the server calls on a timer. A
deadline fires once the watermark is past it. An event arriving behind the watermark still
counts everywhere; it is only too late to cancel a deadline that already fired (``late`` in
`LiveCore.stats`).

Memory. A customer's state goes once nothing of it can matter any more: when the watermark is
past the customer's last record by the longest window, cooldown, SLA or journey timeout
(`LiveCore.horizon`); only the journey counters (which number the customer's journeys) stay.

Examples
--------
>>> from datetime import datetime, timedelta, timezone
>>> from journeylens.realtime.records import LiveEvent
>>> from journeylens.realtime.rules.loader import rules_from_data
>>> rules = rules_from_data({"rules": [{"name": "three-calls", "count": {
...     "where": {"channel": "phone"}, "at_least": 3, "within": "7d"}}]})
>>> core = LiveCore(rules, IncrementalIdentity(), clock="event")
>>> start = datetime(2025, 5, 1, 9, tzinfo=timezone.utc)
>>> fired = []
>>> for day in (0, 2, 4):
...     event = LiveEvent(f"e{day}", start + timedelta(days=day), {"customer_id": "C1"},
...                       "phone", "call")
...     fired += core.process(event)
>>> [(m.rule, m.customer_key, m.event_ids) for m in fired]
[('three-calls', 'customer_id:C1', ('e0', 'e2', 'e4'))]
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from journeylens.analytics.journey_maps import JourneyMap
from journeylens.config import JourneySettings
from journeylens.realtime.identity import PREFIX, IncrementalIdentity
from journeylens.realtime.journey_state import JourneyBook, JourneyState, JourneyTracker
from journeylens.realtime.moments import Moment
from journeylens.realtime.records import LiveEvent, LiveFeedback
from journeylens.realtime.rules.engine import RuleEngine
from journeylens.realtime.rules.ruleset import RuleSet
from journeylens.realtime.rules.state import CustomerRules

if TYPE_CHECKING:
    from journeylens.workspace import Workspace

Clock = Literal["event", "wall"]
CLOCKS: tuple[str, ...] = ("event", "wall")

#: Records between two sweeps of idle customers (event clock).
SWEEP_EVERY = 4096
#: Where enable/disable switches of rules are kept (relative to the workspace root).
SWITCHES_FILE = Path("live") / "rule_switches.json"

_NEVER = float("-inf")


class _Customer:
    """What the core keeps for one customer key."""

    __slots__ = ("book", "last", "rules")

    def __init__(self) -> None:
        self.book = JourneyBook()
        self.rules = CustomerRules()
        self.last = _NEVER


@dataclass
class CoreStats:
    """Counters of a core's life (JSON-ready via ``vars``)."""

    events: int = 0
    feedback: int = 0
    late: int = 0
    merges: int = 0
    moments: int = 0
    expired_customers: int = 0
    unidentified_feedback: int = 0


class LiveCore:
    """Identity, journeys and rules, one record at a time (see the module docstring).

    Parameters
    ----------
    rules : RuleSet
        The moment rules (enable/disable through ``core.rules``).
    identity : IncrementalIdentity
        The identity graph (seeded from the workspace, or empty).
    clock : {"wall", "event"}
        What moves the watermark: `tick` (wall) or the records themselves (event).
    lateness_seconds : int
        How far behind the newest time the watermark trails.
    journeys : JourneySettings, optional
        Journey definitions, gap and assisted channels (default: none defined).
    maps : mapping of journey type to JourneyMap, optional
        The designed journeys (stages, SLAs).
    sentiment : callable, optional
        Text -> polarity for ``sentiment:`` conditions (default: VADER).
    """

    def __init__(
        self,
        rules: RuleSet,
        identity: IncrementalIdentity,
        *,
        clock: Clock = "wall",
        lateness_seconds: int = 0,
        journeys: JourneySettings | None = None,
        maps: Mapping[str, JourneyMap] | None = None,
        sentiment: Callable[[str], float] | None = None,
    ) -> None:
        if clock not in CLOCKS:
            raise ValueError(f"clock '{clock}' is not one of {', '.join(CLOCKS)}")
        if lateness_seconds < 0:
            raise ValueError(f"lateness_seconds must be >= 0, got {lateness_seconds}")
        self.identity = identity
        self.clock = clock
        self.lateness = float(lateness_seconds)
        self.tracker = JourneyTracker(journeys or JourneySettings(), maps)
        self._sentiment = sentiment
        self.engine = RuleEngine(rules, sentiment=sentiment)
        self._customers: OrderedDict[str, _Customer] = OrderedDict()
        self._counters: dict[str, dict[str, int]] = {}
        #: Newest record time seen (epoch seconds), and newest of that and the wall ticks.
        self.newest = _NEVER
        self.now = _NEVER
        #: Deadlines before the watermark are decided.
        self.watermark = _NEVER
        self.stats = CoreStats()
        self._since_sweep = 0
        self.horizon = self._horizon()

    # -- building -----------------------------------------------------------------------------

    @classmethod
    def from_workspace(
        cls,
        ws: Workspace,
        rules: RuleSet | None = None,
        *,
        clock: Clock | None = None,
        lateness_seconds: int | None = None,
        identity: Literal["built", "fresh"] = "built",
        history: bool = True,
        maps: Mapping[str, JourneyMap] | None = None,
        sentiment: Callable[[str], float] | None = None,
    ) -> LiveCore:
        """A core for a workspace: its rules (``rules.yaml`` with the saved switches, unless
        given), journey definitions, designed maps (``journey_maps.yaml``), the identity graph
        of its last build (``identity="fresh"`` starts empty) and, with ``history``, the
        journey counters and open journeys of its last build, so that live events continue
        them. ``clock`` and ``lateness_seconds`` default to the rules file's ``settings:``;
        ``maps`` replaces the workspace's journey maps."""
        from journeylens.realtime.journey_seed import seed_history
        from journeylens.realtime.rules.loader import load_workspace_rules

        if rules is None:
            rules = load_workspace_rules(ws)
            apply_saved_switches(ws.root, rules)
        if maps is None:
            maps = load_workspace_maps(ws.root)
        core = cls(
            rules,
            IncrementalIdentity.from_backend(ws.backend)
            if identity == "built"
            else IncrementalIdentity(),
            clock=clock or rules.settings.clock,
            lateness_seconds=rules.settings.lateness_seconds
            if lateness_seconds is None
            else lateness_seconds,
            journeys=ws.config.journeys,
            maps=maps,
            sentiment=sentiment,
        )
        if history:
            seed_history(core, ws.backend)
        return core

    def _horizon(self) -> float:
        longest = [float(self.tracker.horizon), float(self.rules.settings.active_for_seconds)]
        for compiled in self.rules.compiled:
            longest.append(float(compiled.within or 0))
            longest.append(float(compiled.rule.cooldown_seconds or 0))
        sla = [m.sla or 0 for m in self.tracker.maps.values()]
        return max(longest + [float(s) for s in sla]) + self.lateness

    @property
    def rules(self) -> RuleSet:
        """The rules in force; assigning a new set restarts the rule state (not journeys)."""
        return self.engine.rules

    @rules.setter
    def rules(self, rules: RuleSet) -> None:
        self.engine = RuleEngine(rules, sentiment=self._sentiment)
        for customer in self._customers.values():
            customer.rules = CustomerRules()
        self.horizon = self._horizon()

    # -- customers ----------------------------------------------------------------------------

    def _customer(self, key: str, t: float) -> _Customer:
        customers = self._customers
        customer = customers.get(key)
        if customer is None:
            customer = customers[key] = _Customer()
            counters = self._counters.pop(key, None)
            if counters:
                customer.book.counters = counters
        elif customer.last != t:
            customers.move_to_end(key)
        if t > customer.last:
            customer.last = t
        return customer

    def _rules_of(self, key: str) -> CustomerRules:
        customer = self._customers.get(key)
        if customer is None:
            customer = self._customers[key] = _Customer()
        return customer.rules

    def _merge(self, into: _Customer, key: str, old: str) -> None:
        other = self._customers.pop(old, None)
        saved = self._counters.pop(old, None)
        self.stats.merges += 1
        if other is None:
            if saved:
                for stream, count in saved.items():
                    into.book.counters[stream] = max(into.book.counters.get(stream, 0), count)
            return
        self.tracker.merge(into.book, other.book, key)
        self.engine.merge(into.rules, other.rules, key)
        into.last = max(into.last, other.last)

    def _sweep(self) -> None:
        """Forget customers idle for longer than the horizon (their counters stay)."""
        self._since_sweep = 0
        limit = self.watermark - self.horizon
        customers = self._customers
        while customers:
            key, customer = next(iter(customers.items()))
            if customer.last >= limit:
                break
            del customers[key]
            if customer.book.counters:
                self._counters[key] = customer.book.counters
            self.stats.expired_customers += 1

    def _advance(self, t: float) -> list[Moment]:
        """A record newer than any before: with the event clock it moves the watermark, and
        the deadlines it passes fire."""
        self.newest = t
        if t > self.now:
            self.now = t
        if self.clock != "event":
            return []
        mark = t - self.lateness
        if mark <= self.watermark:
            return []
        self.watermark = mark
        self._since_sweep += 1
        if self._since_sweep >= SWEEP_EVERY:
            self._sweep()
        if self.engine.timers.next_deadline_before(mark):
            return self.engine.due(mark, self._rules_of)
        return []

    # -- the record paths ---------------------------------------------------------------------

    def process(self, event: LiveEvent) -> list[Moment]:
        """Stitch, update the journey, fire the deadlines passed and the rules that match."""
        t = event.ts.timestamp()
        stats = self.stats
        stats.events += 1
        moments: list[Moment] = []
        if t > self.newest:
            moments = self._advance(t)
        elif t < self.watermark:
            stats.late += 1
        key, absorbed = self.identity.observe(event.identifiers, event.journey_key)
        customer = self._customer(key, t)
        for old in absorbed:
            self._merge(customer, key, old)
        step = self.tracker.observe(customer.book, key, event, t)
        fired = self.engine.on_event(customer.rules, key, event, t, step)
        if fired:
            moments = [*moments, *fired] if moments else fired
        if moments:
            stats.moments += len(moments)
        return moments

    def process_feedback(self, feedback: LiveFeedback) -> list[Moment]:
        """Score and sentiment thresholds on one feedback record.

        The customer is that of the record's highest-ranked known identifier; feedback does not
        link identifiers (as in batch stitching). A record with no known identifier belongs to
        a customer of its own (its highest-ranked identifier).
        """
        t = feedback.ts.timestamp()
        self.stats.feedback += 1
        moments = self._advance(t) if t > self.newest else []
        key = self.identity.lookup(feedback.identifiers)
        if key is None:
            key = _own_key(feedback.identifiers)
        if key is None:
            self.stats.unidentified_feedback += 1
            return moments
        customer = self._customer(key, t)
        fired = self.engine.on_feedback(customer.rules, key, feedback, t)
        moments = [*moments, *fired]
        self.stats.moments += len(moments)
        return moments

    def tick(self, now: datetime) -> list[Moment]:
        """Wall clock: move the watermark to ``now - lateness`` and fire the deadlines passed.

        With the event clock the records move the watermark, and ticks do nothing.
        """
        if self.clock != "wall":
            return []
        t = now.timestamp()
        if t > self.now:
            self.now = t
        mark = t - self.lateness
        if mark <= self.watermark:
            return []
        self.watermark = mark
        moments = self.engine.due(mark, self._rules_of)
        self._sweep()
        self.stats.moments += len(moments)
        return moments

    # -- reading ------------------------------------------------------------------------------

    def customer_key(self, identifier: str) -> str | None:
        """The customer key of any identifier value, typed identifier or customer key."""
        return self.identity.customer_key(identifier)

    def identifiers(self, customer_key: str) -> list[tuple[str, str]]:
        """Every ``(type, value)`` identifier of the customer."""
        return self.identity.identifiers(customer_key)

    def _current(self, customer_key: str) -> _Customer | None:
        key = self.identity.customer_key(customer_key) or customer_key
        return self._customers.get(key)

    def open_journeys(self, customer_key: str) -> list[JourneyState]:
        """The customer's journeys in progress (type, start, steps, stage vs map, hand-offs,
        duration, SLA), oldest first."""
        customer = self._current(customer_key)
        if customer is None:
            return []
        now = self.now if self.now != _NEVER else None
        return self.tracker.open_journeys(customer.book, now)

    def active_moments(self, customer_key: str) -> list[Moment]:
        """The customer's moments of the last ``settings.active_for``, newest first."""
        customer = self._current(customer_key)
        if customer is None:
            return []
        since = self.now - self.rules.settings.active_for_seconds
        return [m for m in reversed(customer.rules.moments) if m.ts.timestamp() >= since]

    def describe(self) -> dict[str, Any]:
        """Counters, clock, watermark and customers held, JSON-ready."""
        return {
            **vars(self.stats),
            "clock": self.clock,
            "lateness_seconds": self.lateness,
            "watermark": None if self.watermark == _NEVER else self.watermark,
            "customers_in_memory": len(self._customers),
            "pending_timers": len(self.engine.timers),
            "identifiers": self.identity.nodes,
        }

    def __len__(self) -> int:
        return len(self._customers)


def _own_key(identifiers: Mapping[str, str]) -> str | None:
    nodes = sorted(
        PREFIX[name] + value for name, value in identifiers.items() if name in PREFIX and value
    )
    return nodes[0][1:] if nodes else None


def load_workspace_maps(root: Path) -> Mapping[str, JourneyMap] | None:
    """The workspace's designed journeys, when it has ``journey_maps.yaml``."""
    from journeylens.analytics.journey_maps import MAPS_FILE, load_journey_maps

    path = root / MAPS_FILE
    return load_journey_maps(path) if path.exists() else None


def saved_switches(root: Path) -> dict[str, bool]:
    """Rule switches set through the API (``live/rule_switches.json``), by rule name."""
    path = root / SWITCHES_FILE
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {str(k): bool(v) for k, v in data.items()} if isinstance(data, dict) else {}


def apply_saved_switches(root: Path, rules: RuleSet) -> None:
    """Apply the saved switches to ``rules``."""
    rules.apply_switches(saved_switches(root))


def save_switch(root: Path, name: str, enabled: bool) -> None:
    """Remember a rule's switch across restarts (atomically replaced file)."""
    path = root / SWITCHES_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    switches = {**saved_switches(root), name: enabled}
    staged = path.with_suffix(".json.tmp")
    staged.write_text(json.dumps(switches, indent=2, sort_keys=True), encoding="utf-8")
    staged.replace(path)
