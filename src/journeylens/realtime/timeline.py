"""The recent live timeline: the last events and feedback of each identifier, in memory.

Live events and feedback are kept under their *primary identifier* node (``customer_id:C1``,
``cookie_id:k9`` …: the first identifier in `journeylens.store.schema.IDENTIFIER_FIELDS`
order), not under a customer key: stitching can merge two customers at any moment, but an
identifier stays what it is. The context API gathers the nodes of every identifier of the
customer. Memory is bounded twice: ``depth`` entries per identifier, and at most ``max_keys``
identifiers (the least recently active is forgotten first; its records stay in the log and
reach the built history at the next build).

Examples
--------
>>> from datetime import datetime, timezone
>>> from journeylens.realtime.records import LiveEvent
>>> timeline = LiveTimeline(depth=2)
>>> at = datetime(2026, 1, 5, 9, 30, tzinfo=timezone.utc)
>>> for n in range(3):
...     timeline.add_event(LiveEvent(f"e{n}", at, {"customer_id": "C1"}, "web", "login", seq=n))
>>> [e["event_id"] for e in timeline.events("customer_id:C1")]
['e2', 'e1']
"""

from __future__ import annotations

from collections import OrderedDict, deque
from typing import Any

from journeylens.realtime.records import LiveEvent, LiveFeedback
from journeylens.store.schema import IDENTIFIER_FIELDS

_EVENT_FIELDS = (
    "ts",
    "event_id",
    "channel",
    "activity",
    "initiator",
    "topic",
    "outcome",
    "journey_key",
    "seq",
)
_FEEDBACK_FIELDS = (
    "ts",
    "feedback_id",
    "kind",
    "score",
    "scale_min",
    "scale_max",
    "text",
    "channel",
    "event_id",
    "journey_key",
    "seq",
)


_RANK = {name: rank for rank, name in enumerate(IDENTIFIER_FIELDS)}


def primary_node(identifiers: Any) -> str | None:
    """``"<type>:<value>"`` of the first identifier present (in rank order), or None.

    Examples
    --------
    >>> primary_node({"cookie_id": "k9", "email": "a@b.c"}), primary_node({})
    ('email:a@b.c', None)
    """
    best: tuple[int, str, str] | None = None
    for name, value in identifiers.items():  # usually one or two: cheaper than every field
        rank = _RANK.get(name)
        if rank is not None and value and (best is None or rank < best[0]):
            best = (rank, name, value)
    return None if best is None else f"{best[1]}:{best[2]}"


class LiveTimeline:
    """Recent live records per identifier node.

    Parameters
    ----------
    depth : int
        Entries kept per identifier (events and feedback each).
    max_keys : int
        Identifiers kept; the least recently active are dropped beyond it.
    """

    def __init__(self, *, depth: int = 20, max_keys: int = 1_000_000) -> None:
        if depth < 1 or max_keys < 1:
            raise ValueError("depth and max_keys must be at least 1")
        self.depth = depth
        self.max_keys = max_keys
        self._events: OrderedDict[str, deque[tuple[Any, ...]]] = OrderedDict()
        self._feedback: OrderedDict[str, deque[tuple[Any, ...]]] = OrderedDict()
        self.evicted = 0

    def __len__(self) -> int:
        return len(self._events) + len(self._feedback)

    def _put(
        self, store: OrderedDict[str, deque[tuple[Any, ...]]], node: str, item: tuple[Any, ...]
    ) -> None:
        entries = store.get(node)
        if entries is None:
            entries = store[node] = deque(maxlen=self.depth)
            if len(store) > self.max_keys:
                store.popitem(last=False)
                self.evicted += 1
        else:
            store.move_to_end(node)
        entries.append(item)

    def add_event(self, event: LiveEvent) -> None:
        node = primary_node(event.identifiers)
        if node is None:
            return
        item = (
            event.ts,
            event.event_id,
            event.channel,
            event.activity,
            event.initiator,
            event.topic,
            event.outcome,
            event.journey_key,
            event.seq,
        )
        self._put(self._events, node, item)

    def add_feedback(self, feedback: LiveFeedback) -> None:
        node = primary_node(feedback.identifiers)
        if node is None:
            return  # linked only through an event or journey: reaches the context after a build
        item = (
            feedback.ts,
            feedback.feedback_id,
            feedback.kind,
            feedback.score,
            feedback.scale_min,
            feedback.scale_max,
            feedback.text,
            feedback.channel,
            feedback.event_id,
            feedback.journey_key,
            feedback.seq,
        )
        self._put(self._feedback, node, item)

    def events(self, node: str) -> list[dict[str, Any]]:
        """The live events of identifier ``node``, newest first."""
        entries = self._events.get(node)
        if not entries:
            return []
        return [dict(zip(_EVENT_FIELDS, item, strict=True)) for item in reversed(entries)]

    def feedback(self, node: str) -> list[dict[str, Any]]:
        """The live feedback of identifier ``node``, newest first."""
        entries = self._feedback.get(node)
        if not entries:
            return []
        return [dict(zip(_FEEDBACK_FIELDS, item, strict=True)) for item in reversed(entries)]
