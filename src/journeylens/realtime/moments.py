"""A critical moment: what a rule saw, for whom, and which actions it names.

The rule engine makes moments (live and in replay alike); the action centre records them with
their actions in the outbox. A moment's id is deterministic, so the same firing seen twice (a
retried request, a restart that replays the log) is the same moment.

Examples
--------
>>> from datetime import datetime, timezone
>>> at = datetime(2026, 1, 5, 9, 30, tzinfo=timezone.utc)
>>> a = Moment.of("third-contact", "C1", at, ("e1", "e2", "e3"), priority=2)
>>> b = Moment.of("third-contact", "C1", at, ("e1", "e2", "e3"), priority=2)
>>> a.moment_id == b.moment_id, len(a.moment_id)
(True, 20)
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


def moment_id(rule: str, customer_key: str, ts: datetime, event_ids: tuple[str, ...]) -> str:
    """A stable id: the same rule firing for the same customer on the same events."""
    text = "\x1f".join([rule, customer_key, ts.isoformat(), *event_ids])
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:20]


@dataclass(frozen=True, slots=True)
class Moment:
    """One firing of a moment rule.

    Parameters
    ----------
    moment_id : str
        Deterministic (see `moment_id`).
    rule : str
        The rule's name.
    customer_key : str
        The stitched customer.
    ts : datetime
        Event time of the firing: the triggering event's time, or the deadline of an absence.
    event_ids : tuple of str
        The events that made the moment (in event-time order).
    priority : int
        The rule's priority (higher first).
    journey_key : str or None
        The journey the moment belongs to, when known.
    actions : tuple of str
        Names of the actions the rule asks for.
    details : mapping
        What the rule measured (counts, durations, scores …), JSON-serialisable.
    """

    moment_id: str
    rule: str
    customer_key: str
    ts: datetime
    event_ids: tuple[str, ...]
    priority: int = 0
    journey_key: str | None = None
    actions: tuple[str, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        rule: str,
        customer_key: str,
        ts: datetime,
        event_ids: tuple[str, ...],
        **rest: Any,
    ) -> Moment:
        """A moment with its deterministic id."""
        return cls(
            moment_id(rule, customer_key, ts, event_ids), rule, customer_key, ts, event_ids, **rest
        )
