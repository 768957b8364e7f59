"""The context of one customer at the moment of contact: what an agent sees when they call.

`customer_context` gathers, for any identifier of a customer (customer id, e-mail, cookie …,
typed as ``email:ann@example.com`` or bare, or the customer key):

- ``customer``: the stitched customer key and every identifier (live stitching included);
- ``timeline``: the recent cross-channel events, built history and live events merged, newest
  first;
- ``open_journeys``: journeys in progress, with their stage against the designed map where
  the live engine knows it (``source: live``), else as of the last build (``source: history``);
- ``before``: the last assisted contacts with their outcomes, the last finished journeys
  (status, success, outcome) and the last feedback;
- ``moments``: the customer's active critical moments;
- ``prediction``: the predicted next step and recommended channel/action, only when a
  prediction model exists: ``journeylens.predict.context_predictions(workspace, *,
  customer_key, timeline)`` returning a JSON-ready mapping, or None when it has no model (the
  field is then absent; it is never guessed).

Identifiers are hashed as at ingestion when the workspace hashes them, so an agent can look a
customer up by the plain e-mail address.

Examples
--------
>>> lookup_candidates("email:Ann@Example.com", ("email",), lambda f, v: f"h:{f}:{v.lower()}")
['email:Ann@Example.com', 'email:h:email:ann@example.com']
>>> lookup_candidates("C1", (), lambda f, v: v)
['C1']
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from journeylens.realtime.history import History
from journeylens.realtime.moments import Moment
from journeylens.realtime.timeline import LiveTimeline
from journeylens.store.schema import IDENTIFIER_FIELDS

logger = logging.getLogger("journeylens.live")


class CustomerIndex(Protocol):
    """What the context needs from the live engine (`journeylens.realtime.core.LiveCore`)."""

    def customer_key(self, identifier: str) -> str | None: ...

    def identifiers(self, customer_key: str) -> list[tuple[str, str]]: ...

    def open_journeys(self, customer_key: str) -> Sequence[Any]: ...

    def active_moments(self, customer_key: str) -> Sequence[Moment]: ...


def lookup_candidates(
    identifier: str, hashed: Sequence[str], hash_value: Callable[[str, str], str]
) -> list[str]:
    """The forms to try for an identifier: as given, then hashed as ingestion would."""
    identifier = identifier.strip()
    found = [identifier]
    id_type, sep, value = identifier.partition(":")
    if sep and id_type in hashed and not value.startswith("h:"):
        found.append(f"{id_type}:{hash_value(id_type, value)}")
    elif not sep:
        found.extend(f"{name}:{hash_value(name, identifier)}" for name in hashed)
    return found


def _utc(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _plain(value: Any) -> Any:
    """JSON-ready: dataclasses and mappings as dicts, naive datetimes as UTC."""
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict) and not isinstance(value, type):
        return _plain(to_dict())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return _utc(value)


def _newest_first(rows: Iterable[dict[str, Any]], key: str, limit: int) -> list[dict[str, Any]]:
    seen: set[Any] = set()
    unique = []
    for row in rows:
        row["ts"] = _utc(row["ts"])
        if row.get(key) in seen:
            continue
        seen.add(row.get(key))
        unique.append(row)
    unique.sort(key=lambda r: (r["ts"], r.get("seq") or 0), reverse=True)
    return unique[:limit]


def find_predictor() -> Callable[..., Any] | None:
    """``journeylens.predict.context_predictions`` when the prediction module offers it."""
    try:
        module = importlib.import_module("journeylens.predict")
    except ImportError:
        return None
    found = getattr(module, "context_predictions", None)
    return found if callable(found) else None


@dataclasses.dataclass
class CustomerContext:
    """The context of one customer (see the module docstring for the parts)."""

    customer_key: str
    identifiers: list[tuple[str, str]]
    timeline: list[dict[str, Any]]
    open_journeys: list[dict[str, Any]]
    last_contacts: list[dict[str, Any]]
    last_journeys: list[dict[str, Any]]
    feedback: list[dict[str, Any]]
    moments: list[dict[str, Any]]
    built_as_of: datetime | None = None
    live_seq: int = 0
    prediction: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "customer": {
                "customer_key": self.customer_key,
                "identifiers": [{"type": t, "value": v} for t, v in self.identifiers],
            },
            "timeline": self.timeline,
            "open_journeys": self.open_journeys,
            "before": {
                "last_contacts": self.last_contacts,
                "journeys": self.last_journeys,
                "feedback": self.feedback,
            },
            "moments": self.moments,
            "as_of": {"built": _utc(self.built_as_of), "live_seq": self.live_seq},
        }
        if self.prediction is not None:
            data["prediction"] = self.prediction
        return data


def customer_context(
    customer_key: str,
    index: CustomerIndex,
    history: History,
    timeline: LiveTimeline,
    *,
    assisted_channels: Iterable[str],
    limit: int = 20,
    before: int = 5,
    live_seq: int = 0,
    predict: Callable[..., Any] | None = None,
    workspace: Any = None,
) -> CustomerContext:
    """The context of ``customer_key`` (resolve an identifier with ``index.customer_key``)."""
    identifiers = sorted(
        index.identifiers(customer_key),
        key=lambda pair: (
            IDENTIFIER_FIELDS.index(pair[0]) if pair[0] in IDENTIFIER_FIELDS else 99,
            pair[1],
        ),
    )
    nodes = [f"{t}:{v}" for t, v in identifiers]
    if customer_key not in nodes:
        nodes.append(customer_key)
    # The built customers merged into this one are keyed by one of its identifiers.
    assisted = set(assisted_channels)
    events: list[dict[str, Any]] = []
    journeys: list[dict[str, Any]] = []
    feedback: list[dict[str, Any]] = []
    for node in nodes:
        for row in history.events.rows(node):
            row["source"] = "history"
            events.append(row)
        for row in timeline.events(node):
            row["assisted"] = row["channel"] in assisted and row["initiator"] != "company"
            row["source"] = "live"
            events.append(row)
        journeys.extend(history.journeys.rows(node))
        for row in history.feedback.rows(node):
            row["source"] = "history"
            feedback.append(row)
        for row in timeline.feedback(node):
            row["source"] = "live"
            feedback.append(row)
    recent = _newest_first(events, "event_id", max(limit, 200))
    for row in recent:
        row.pop("seq", None)
    live_journeys = [_plain(state) for state in index.open_journeys(customer_key)]
    for state in live_journeys:
        state.setdefault("source", "live")
    known = {j.get("journey_key") for j in live_journeys}
    open_history = [
        {**_plain(j), "source": "history"}
        for j in journeys
        if j["status"] == "open" and j["journey_key"] not in known
    ]
    finished = [_plain(j) for j in journeys if j["status"] != "open"]
    finished.sort(key=lambda j: j["end_ts"], reverse=True)
    moments = [_plain(m) for m in index.active_moments(customer_key)]
    context = CustomerContext(
        customer_key=customer_key,
        identifiers=identifiers,
        timeline=recent[:limit],
        open_journeys=live_journeys + open_history,
        last_contacts=[e for e in recent if e.get("assisted")][:before],
        last_journeys=finished[:before],
        feedback=_newest_first(feedback, "feedback_id", before),
        moments=moments,
        built_as_of=history.built_as_of,
        live_seq=live_seq,
    )
    for row in context.feedback:
        row.pop("seq", None)
    if predict is not None:
        try:
            prediction = predict(workspace, customer_key=customer_key, timeline=recent)
        except Exception:  # a prediction problem must not cost the agent the context
            logger.exception("context_predictions failed for %s", customer_key)
            prediction = None
        if prediction is not None:
            context.prediction = _plain(prediction)
    return context


__all__ = [
    "CustomerContext",
    "CustomerIndex",
    "customer_context",
    "find_predictor",
    "lookup_candidates",
]
