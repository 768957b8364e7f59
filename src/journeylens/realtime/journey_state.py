"""Open journeys per customer, kept up to date one event at a time.

The live tracker cuts journeys the way `journeylens.journeys.segment.cut` does in batch, so
that the same events give the same journeys (and journey keys) both ways:

- an event with a source ``journey_key`` belongs to that journey (never cut by time);
- otherwise the first journey definition that claims it (by topic, or by activity for
  definitions without topics) puts it in the customer's stream of that definition, where a new
  journey starts at the first event, after an end activity, or after more than the
  definition's timeout of inactivity;
- any other event goes to the customer's gap stream (new journey after more than the gap).

A journey's key is ``<customer>/<definition or gap>/<n>``, ``n`` counting the journeys started
in that stream. Each open journey keeps its measures (steps, channels, hand-offs, assisted and
repeat contacts, duration), its stage against the designed map of its type (the furthest
stage whose expected step it reached; steps the map does not expect count as ``off_map``)
and its SLA. A journey closes at an end activity or when it times out; closed journeys are
dropped, only the stream's counter stays.

Examples
--------
>>> from datetime import datetime, timezone
>>> from journeylens.config import parse_config
>>> from journeylens.realtime.records import LiveEvent
>>> settings = parse_config({"journeys": {"definitions": [{"name": "fault", "topics": ["fault"],
...     "end_activities": ["fault_closed"], "timeout": "10d"}]}}).journeys
>>> tracker, book = JourneyTracker(settings), JourneyBook()
>>> def event(i, activity, channel, day):
...     ts = datetime(2025, 3, day, 9, tzinfo=timezone.utc)
...     return LiveEvent(f"e{i}", ts, {"customer_id": "C1"}, channel, activity, topic="fault")
>>> for i, (activity, channel, day) in enumerate([("fault_reported", "app", 1),
...         ("fault_call", "phone", 2), ("fault_closed", "email", 3)]):
...     step = tracker.observe(book, "customer_id:C1", event(i, activity, channel, day))
>>> step.journey.journey_key, step.step, step.journey.handoffs, step.completed
('customer_id:C1/fault/1', 3, 2, True)
>>> tracker.observe(book, "customer_id:C1", event(9, "fault_call", "phone", 20)).journey.journey_key
'customer_id:C1/fault/2'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from journeylens.analytics.journey_maps import JourneyMap
from journeylens.config import JourneySettings
from journeylens.journeys.segment import CUT_DEFINITION, CUT_GAP, CUT_SOURCE, OTHER_TYPE
from journeylens.realtime.records import LiveEvent


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat()


@dataclass(slots=True, eq=False)
class JourneyState:
    """One open (or just closed) journey and its measures; times are epoch seconds."""

    journey_key: str
    journey_type: str
    customer_key: str
    cut: str
    start: float
    last: float
    first_event_id: str
    timeout: int
    sla_seconds: int | None = None
    stage_names: tuple[str, ...] = ()
    steps: int = 0
    handoffs: int = 0
    assisted_contacts: int = 0
    assisted_topical: int = 0
    assisted_topics: set[str] = field(default_factory=set)
    channel_set: set[str] = field(default_factory=set)
    last_channel: str = ""
    last_activity: str = ""
    stage_index: int = -1
    off_map: int = 0
    status: str = "open"
    #: Bit mask of the journey rules that already fired on this journey.
    fired: int = 0
    #: The designed map of the journey's type, as lookups (None without a map).
    map_index: _MapIndex | None = field(default=None, repr=False)

    @property
    def duration(self) -> float:
        """Seconds from the first to the latest step."""
        return self.last - self.start

    @property
    def repeat_contacts(self) -> int:
        """Assisted contacts about a topic already raised in this journey."""
        return self.assisted_topical - len(self.assisted_topics)

    @property
    def channels(self) -> int:
        """Distinct channels used."""
        return len(self.channel_set)

    @property
    def stage(self) -> str | None:
        """The furthest stage of the designed map reached (None without a map or before it)."""
        return self.stage_names[self.stage_index] if self.stage_index >= 0 else None

    @property
    def next_stage(self) -> str | None:
        """The stage the map expects next (None at the end or without a map)."""
        nxt = self.stage_index + 1
        return self.stage_names[nxt] if nxt < len(self.stage_names) else None

    @property
    def sla_due(self) -> float | None:
        """When the SLA runs out (epoch seconds)."""
        return None if self.sla_seconds is None else self.start + self.sla_seconds

    def to_dict(self, now: float | None = None) -> dict[str, Any]:
        """JSON-ready, for the customer context (``now`` decides ``overdue``)."""
        due = self.sla_due
        return {
            "journey_key": self.journey_key,
            "journey_type": self.journey_type,
            "cut": self.cut,
            "status": self.status,
            "start": _iso(self.start),
            "last": _iso(self.last),
            "duration_seconds": self.duration,
            "steps": self.steps,
            "channels": sorted(self.channel_set),
            "handoffs": self.handoffs,
            "assisted_contacts": self.assisted_contacts,
            "repeat_contacts": self.repeat_contacts,
            "stage": self.stage,
            "next_stage": self.next_stage,
            "stages": list(self.stage_names),
            "off_map_steps": self.off_map,
            "sla_seconds": self.sla_seconds,
            "sla_due": None if due is None else _iso(due),
            "overdue": None if due is None or now is None else now > due,
            "last_channel": self.last_channel,
            "last_activity": self.last_activity,
        }


class Step:
    """What the tracker learnt from one event: its journey, position and what changed."""

    __slots__ = ("assisted", "completed", "expired", "handoff", "journey", "started", "step")

    def __init__(
        self,
        journey: JourneyState,
        step: int,
        handoff: bool,
        assisted: bool,
        started: bool,
        completed: bool,
        expired: JourneyState | None,
    ) -> None:
        self.journey = journey
        self.step = step
        self.handoff = handoff
        self.assisted = assisted
        #: The event opened a new journey.
        self.started = started
        #: The event reached an end activity: its journey is complete (and closed).
        self.completed = completed
        #: A journey of the same stream that timed out before this event (now closed).
        self.expired = expired


class JourneyBook:
    """One customer's open journeys by stream, and how many journeys each stream started."""

    __slots__ = ("counters", "open")

    def __init__(self) -> None:
        self.open: dict[str, JourneyState] = {}
        self.counters: dict[str, int] = {}


@dataclass(frozen=True)
class _Claim:
    """Where an event goes: its stream, definition and how that stream ends journeys."""

    stream: str
    cut: str
    journey_type: str | None
    timeout: int
    ends: frozenset[str]


_SOURCE = _Claim(CUT_SOURCE, CUT_SOURCE, None, 0, frozenset())


@dataclass(frozen=True)
class _MapIndex:
    """A journey map as lookups: activity -> [(stage index, allowed channels or None)]."""

    stages: tuple[str, ...]
    sla: int | None
    where: Mapping[str, tuple[tuple[int, frozenset[str] | None], ...]]

    @classmethod
    def of(cls, journey_map: JourneyMap) -> _MapIndex:
        where: dict[str, list[tuple[int, frozenset[str] | None]]] = {}
        for i, stage in enumerate(journey_map.stages):
            for step in (*stage.steps, *stage.alternatives):
                channels = frozenset(step.channels) if step.channels else None
                where.setdefault(step.activity, []).append((i, channels))
        return cls(
            tuple(s.name for s in journey_map.stages),
            journey_map.sla_seconds,
            {k: tuple(v) for k, v in where.items()},
        )

    def stage_of(self, activity: str, channel: str) -> int | None:
        best = None
        for index, channels in self.where.get(activity, ()):
            if (channels is None or channel in channels) and (best is None or index > best):
                best = index
        return best


class JourneyTracker:
    """Cuts each customer's events into journeys as they come (see the module docstring).

    Parameters
    ----------
    settings : JourneySettings
        The workspace's journey definitions, gap and assisted channels.
    maps : mapping of journey type to JourneyMap, optional
        The designed journeys (stages, SLA).
    """

    def __init__(
        self, settings: JourneySettings, maps: Mapping[str, JourneyMap] | None = None
    ) -> None:
        self.settings = settings
        self.assisted_channels = frozenset(settings.assisted_channels)
        self.maps = {name: _MapIndex.of(m) for name, m in (maps or {}).items()}
        self._claims: dict[tuple[str | None, str], _Claim] = {}
        self._gap = _Claim(CUT_GAP, CUT_GAP, None, settings.gap_seconds, frozenset())
        timeouts = [d.timeout_seconds for d in settings.definitions]
        #: The longest inactivity after which a journey may still continue.
        self.horizon = max([settings.gap_seconds, *timeouts])

    def _claim(self, topic: str | None, activity: str) -> _Claim:
        key = (topic, activity)
        claim = self._claims.get(key)
        if claim is None:
            claim = self._gap
            for d in self.settings.definitions:
                hit = topic in d.topics if d.topics else activity in d.claims_by_activity()
                if hit:
                    claim = _Claim(
                        d.name,
                        CUT_DEFINITION,
                        d.name,
                        d.timeout_seconds,
                        frozenset(d.end_activities),
                    )
                    break
            if len(self._claims) < 100_000:
                self._claims[key] = claim
        return claim

    def _new(
        self,
        book: JourneyBook,
        customer_key: str,
        event: LiveEvent,
        t: float,
        claim: _Claim,
        stream: str,
    ) -> JourneyState:
        if claim.cut == CUT_SOURCE:
            key = event.journey_key or ""
        else:
            number = book.counters.get(stream, 0) + 1
            book.counters[stream] = number
            key = f"{customer_key}/{stream}/{number}"
        journey_type = claim.journey_type or event.topic or OTHER_TYPE
        index = self.maps.get(journey_type)
        journey = JourneyState(
            journey_key=key,
            journey_type=journey_type,
            customer_key=customer_key,
            cut=claim.cut,
            start=t,
            last=t,
            first_event_id=event.event_id,
            timeout=claim.timeout,
            sla_seconds=index.sla if index else None,
            stage_names=index.stages if index else (),
            map_index=index,
        )
        book.open[stream] = journey
        return journey

    def observe(
        self, book: JourneyBook, customer_key: str, event: LiveEvent, t: float | None = None
    ) -> Step:
        """Add one event of the customer to its journey; what changed."""
        if t is None:
            t = event.ts.timestamp()
        if event.journey_key:
            claim = _SOURCE
            stream = "\x00" + event.journey_key
        else:
            claim = self._claims.get((event.topic, event.activity)) or self._claim(
                event.topic, event.activity
            )
            stream = claim.stream
        journey = book.open.get(stream)
        expired = None
        started = False
        if journey is not None and claim.cut != CUT_SOURCE and t - journey.last > claim.timeout:
            journey.status = "abandoned" if claim.cut == CUT_DEFINITION else "completed"
            expired, journey = journey, None
        if journey is None:
            journey = self._new(book, customer_key, event, t, claim, stream)
            started = True
        elif journey.journey_type == OTHER_TYPE and event.topic and claim.cut != CUT_DEFINITION:
            self._retype(journey, event.topic)
        channel = event.channel
        handoff = journey.steps > 0 and journey.last_channel != channel
        assisted = channel in self.assisted_channels and event.initiator != "company"
        journey.steps += 1
        journey.handoffs += handoff
        if assisted:
            journey.assisted_contacts += 1
            if event.topic is not None:
                journey.assisted_topical += 1
                journey.assisted_topics.add(event.topic)
        journey.channel_set.add(channel)
        journey.last_channel = channel
        journey.last_activity = event.activity
        if t > journey.last:
            journey.last = t
        index = journey.map_index
        if index is not None:
            stage = index.stage_of(event.activity, channel)
            if stage is None:
                journey.off_map += 1
            elif stage > journey.stage_index:
                journey.stage_index = stage
        completed = event.activity in claim.ends
        if completed:
            journey.status = "completed"
            del book.open[stream]
        return Step(journey, journey.steps, handoff, assisted, started, completed, expired)

    def _retype(self, journey: JourneyState, topic: str) -> None:
        """A gap or source journey takes the type of its first topic."""
        journey.journey_type = topic
        index = self.maps.get(topic)
        journey.map_index = index
        if index is not None:
            journey.sla_seconds = index.sla
            journey.stage_names = index.stages

    def open_journeys(self, book: JourneyBook, now: float | None = None) -> list[JourneyState]:
        """The customer's open journeys (not timed out at ``now``), oldest first."""
        found = [
            j
            for j in book.open.values()
            if now is None or j.cut == CUT_SOURCE or now - j.last <= j.timeout
        ]
        return sorted(found, key=lambda j: (j.start, j.journey_key))

    def expire(self, book: JourneyBook, now: float) -> None:
        """Drop the journeys that timed out by ``now`` (counters stay)."""
        for stream, journey in list(book.open.items()):
            idle = now - journey.last
            if (journey.cut == CUT_SOURCE and idle > self.horizon) or (
                journey.cut != CUT_SOURCE and idle > journey.timeout
            ):
                del book.open[stream]

    def merge(self, into: JourneyBook, other: JourneyBook, customer_key: str) -> None:
        """Fold another customer's journeys into ``into`` (two customers found to be one).

        Streams open on both sides become one journey (the earlier one's key, summed
        measures); counters take the larger count. Batch stitching would have cut the merged
        events afresh, so keys and counts can differ from a later build.
        """
        for stream, count in other.counters.items():
            into.counters[stream] = max(into.counters.get(stream, 0), count)
        for stream, theirs in other.open.items():
            ours = into.open.get(stream)
            if ours is None:
                theirs.customer_key = customer_key
                into.open[stream] = theirs
                continue
            first, second = (ours, theirs) if ours.start <= theirs.start else (theirs, ours)
            first.customer_key = customer_key
            first.last = max(first.last, second.last)
            first.steps += second.steps
            first.handoffs += second.handoffs
            first.assisted_contacts += second.assisted_contacts
            first.assisted_topical += second.assisted_topical
            first.assisted_topics |= second.assisted_topics
            first.channel_set |= second.channel_set
            first.off_map += second.off_map
            first.stage_index = max(first.stage_index, second.stage_index)
            first.fired |= second.fired
            if second.last >= first.last:
                first.last_channel, first.last_activity = second.last_channel, second.last_activity
            into.open[stream] = first
