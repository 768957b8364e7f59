"""The records of the live path: an event or a feedback answer as the engines see it.

The API validates what clients send into these; replay builds the same records from the
``events`` and ``feedback`` tables, so the rule engine cannot tell history from live traffic.

Examples
--------
>>> from datetime import datetime, timezone
>>> event = LiveEvent(
...     event_id="e1", ts=datetime(2026, 1, 5, 9, 30, tzinfo=timezone.utc),
...     identifiers={"customer_id": "C1"}, channel="phone", activity="call",
... )
>>> event.primary_identifier()
('customer_id', 'C1')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from journeylens.store.schema import IDENTIFIER_FIELDS


def _check_utc(ts: datetime, what: str) -> None:
    offset = ts.utcoffset()
    if offset is None or offset.total_seconds() != 0:
        raise ValueError(f"{what}: ts must be timezone-aware UTC, got {ts!r}")


@dataclass(frozen=True, slots=True)
class LiveEvent:
    """One interaction, validated and normalised (UTC, lower-case channel).

    ``identifiers`` maps identifier fields (`journeylens.store.schema.IDENTIFIER_FIELDS`) to
    values, already hashed when the workspace hashes identifiers. ``seq`` is the record's
    position in the append log (or its ``seq`` in the ``events`` table during replay).
    """

    event_id: str
    ts: datetime
    identifiers: Mapping[str, str]
    channel: str
    activity: str
    initiator: str | None = None
    topic: str | None = None
    outcome: str | None = None
    journey_key: str | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)
    seq: int = 0

    def __post_init__(self) -> None:
        if self.ts.tzinfo is not UTC:  # the common case costs one comparison
            _check_utc(self.ts, f"event {self.event_id}")

    def primary_identifier(self) -> tuple[str, str]:
        """The first identifier in `IDENTIFIER_FIELDS` order (the event's own customer)."""
        for name in IDENTIFIER_FIELDS:
            value = self.identifiers.get(name)
            if value:
                return name, value
        raise ValueError(f"event {self.event_id} carries no identifier")


@dataclass(frozen=True, slots=True)
class LiveFeedback:
    """One survey answer or verbatim (see `journeylens.store.schema.FEEDBACK`)."""

    feedback_id: str
    ts: datetime
    identifiers: Mapping[str, str]
    kind: str
    score: float | None = None
    scale_min: float | None = None
    scale_max: float | None = None
    text: str | None = None
    channel: str | None = None
    event_id: str | None = None
    journey_key: str | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)
    seq: int = 0

    def __post_init__(self) -> None:
        if self.ts.tzinfo is not UTC:
            _check_utc(self.ts, f"feedback {self.feedback_id}")
