"""JSON records from the live API into normalised log records, with per-record errors.

The rules are the ingest rules (`journeylens.ingest.validate`), applied to one JSON record at a
time: canonical field names, timestamps to UTC, channels lower-cased with the common synonyms
(``Internet`` → ``web``), ``initiator`` one of ``customer``/``company``, feedback kinds and
scales, at least one identifier, and the workspace's identifier hashing. The API is stricter
than file ingestion where a live client can fix its request at once:

- a timestamp must carry its UTC offset (``Z`` or ``+01:00``): a server cannot know the
  client's zone; and it may lie at most ``max_future_seconds`` in the future;
- a field must have its JSON type (text as a string, scores as numbers; identifiers may be
  integers), and unknown fields are errors (free fields go in ``attributes``, an object).

Every problem of every record is reported as ``{"index", "field", "reason"}``. A record
without ``event_id`` (``feedback_id``) gets a content id (a hash of what it says), so a resent
record stays a duplicate.

Examples
--------
>>> from journeylens.config import HashingSettings
>>> from journeylens.ingest.hashing import IdentifierHasher
>>> check = LiveValidator(IdentifierHasher(HashingSettings()))
>>> good = {"event_id": "e1", "ts": "2026-01-05T10:30:00+01:00", "customer_id": "C1",
...         "channel": "Internet", "activity": "login"}
>>> result = check.events([good, {"ts": 5, "activity": ""}])
>>> [(e.index, e.field) for e in result.errors]
[(1, 'ts'), (1, 'activity'), (1, 'customer_id')]
>>> result = check.events([good])
>>> result.records[0]["ts"], result.records[0]["channel"]
('2026-01-05T09:30:00+00:00', 'web')
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from journeylens.ingest.hashing import IdentifierHasher
from journeylens.ingest.validate import CHANNEL_SYNONYMS
from journeylens.realtime.records import LiveEvent, LiveFeedback
from journeylens.store.schema import (
    DEFAULT_SCALES,
    FEEDBACK_KINDS,
    IDENTIFIER_FIELDS,
    INITIATORS,
)

#: Optional text fields of an event besides the identifiers.
EVENT_TEXT = ("initiator", "topic", "outcome", "journey_key", "resource", "lifecycle")
EVENT_FIELDS = frozenset(
    {"event_id", "ts", *IDENTIFIER_FIELDS, "channel", "activity", *EVENT_TEXT, "attributes"}
)
FEEDBACK_TEXT = ("text", "question", "event_id", "journey_key")
FEEDBACK_NUMBERS = ("score", "scale_min", "scale_max")
FEEDBACK_FIELDS = frozenset(
    {
        "feedback_id",
        "ts",
        *IDENTIFIER_FIELDS,
        "kind",
        *FEEDBACK_NUMBERS,
        *FEEDBACK_TEXT,
        "channel",
        "attributes",
    }
)
_IDENTIFIERS = frozenset(IDENTIFIER_FIELDS)
_EVENT_TEXT = frozenset({"event_id", "channel", "activity", *EVENT_TEXT})
_TS_EXAMPLE = "e.g. 2026-01-05T09:30:00Z or 2026-01-05T10:30:00+01:00"
_MISSING_TS = f"missing 'ts': give the time of the interaction, {_TS_EXAMPLE}"


@dataclass(frozen=True, slots=True)
class RecordError:
    """One problem of one record: its position in the batch, the field and the reason."""

    index: int
    field: str | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "field": self.field, "reason": self.reason}


@dataclass
class Checked:
    """The outcome of checking a batch: normalised records and times, or the errors.

    ``records`` are what goes into the log (canonical names, hashed identifiers, UTC ISO
    timestamps); ``times`` are their timestamps as `datetime`; ``ids`` their record ids;
    ``identifiers`` their identifier fields.
    """

    records: list[dict[str, Any]] = field(default_factory=list)
    times: list[datetime] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    identifiers: list[dict[str, str]] = field(default_factory=list)
    errors: list[RecordError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def normalise_channel(value: str) -> str:
    """A channel as the ingest stores it.

    Examples
    --------
    >>> normalise_channel("Call Centre"), normalise_channel("web")
    ('phone', 'web')
    """
    lowered = value.lower()
    return CHANNEL_SYNONYMS.get(lowered, lowered)


def content_id(record: Mapping[str, Any]) -> str:
    """The id of a record that came without one: a hash of its content (as ingest does)."""
    raw = orjson.dumps(record, option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(raw, digest_size=12).hexdigest()


def _type_name(value: object) -> str:
    return {
        dict: "an object",
        list: "an array",
        str: "a string",
        bool: "true/false",
        int: "a number",
        float: "a number",
        type(None): "null",
    }.get(type(value), type(value).__name__)


def _wrong_type(index: int, name: str, value: Any, wanted: str) -> RecordError:
    return RecordError(index, name, f"'{name}' must be {wanted}, not {_type_name(value)}")


def _unknown(index: int, name: str) -> RecordError:
    return RecordError(
        index,
        name,
        f"unknown field '{name}'; put free fields in 'attributes' (an object), see "
        "docs/realtime/api.md for the fields",
    )


class _Record:
    """Checks the fields of one record, collecting errors."""

    __slots__ = ("errors", "index", "obj")

    def __init__(self, index: int, obj: dict[str, Any], errors: list[RecordError]) -> None:
        self.index = index
        self.obj = obj
        self.errors = errors

    def fail(self, name: str | None, reason: str) -> None:
        self.errors.append(RecordError(self.index, name, reason))

    def text(self, name: str) -> str | None:
        value = self.obj.get(name)
        if value is None:
            return None
        if isinstance(value, str):
            return value.strip() or None
        if name in _IDENTIFIERS and isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        self.fail(name, f"'{name}' must be a string, not {_type_name(value)}")
        return None

    def number(self, name: str) -> float | None:
        value = self.obj.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(name, f"'{name}' must be a number, not {_type_name(value)}")
            return None
        if not math.isfinite(value):
            self.fail(name, f"'{name}' must be a finite number")
            return None
        return float(value)

    def unknown(self, allowed: frozenset[str]) -> None:
        for name in self.obj:
            if name not in allowed:
                self.errors.append(_unknown(self.index, name))


class LiveValidator:
    """Checks batches of live events or feedback for one workspace.

    Parameters
    ----------
    hasher : IdentifierHasher
        The workspace's identifier hashing (``journeylens.yaml: hashing``).
    max_future_seconds : int
        How far in the future a timestamp may lie (clocks differ; watermarks must not jump).
    now : callable, optional
        The clock (tests).
    """

    def __init__(
        self,
        hasher: IdentifierHasher,
        *,
        max_future_seconds: int = 86_400,
        now: Any = None,
    ) -> None:
        self.hasher = hasher
        self.hashed = tuple(hasher.fields)
        self.max_future = timedelta(seconds=max_future_seconds)
        self._now = now or (lambda: datetime.now(UTC))

    # -- shared parts -------------------------------------------------------------------------

    def _identifiers(self, rec: _Record, out: dict[str, Any]) -> int:
        """Copy (and hash) the identifiers; the number given (an identifier of the wrong type
        counts: its own error says what is wrong)."""
        found = 0
        for name in IDENTIFIER_FIELDS:
            if name not in rec.obj:
                continue
            before = len(rec.errors)
            value = rec.text(name)
            if value is None:
                found += len(rec.errors) > before
                continue
            if name in self.hashed:
                value = self.hasher.hash_value(name, value)
            out[name] = value
            found += 1
        return found

    @staticmethod
    def _attributes(rec: _Record, out: dict[str, Any]) -> None:
        value = rec.obj.get("attributes")
        if value is None:
            return
        if not isinstance(value, dict):
            rec.fail(
                "attributes",
                f'\'attributes\' must be a JSON object, e.g. {{"plan": "basic"}}, not '
                f"{_type_name(value)}",
            )
            return
        if value:
            out["attributes"] = value

    def _batch(self, payload: Sequence[Any], one: Any, key: str) -> Checked:
        checked = Checked()
        errors = checked.errors
        latest = self._now() + self.max_future
        for index, obj in enumerate(payload):
            if type(obj) is not dict:
                errors.append(
                    RecordError(
                        index, None, f"a record must be a JSON object, not {_type_name(obj)}"
                    )
                )
                continue
            found = one(index, obj, errors, latest)
            if found is None:
                continue
            out, ts, identifiers = found
            record_id = out.get(key)
            if record_id is None:
                record_id = content_id(out)
                out = {key: record_id, **out}
            checked.records.append(out)
            checked.times.append(ts)
            checked.ids.append(record_id)
            checked.identifiers.append(identifiers)
        return checked

    # -- events -------------------------------------------------------------------------------

    def events(self, payload: Sequence[Any]) -> Checked:
        """Check a batch of events (a list of JSON values)."""
        return self._batch(payload, self._event, "event_id")

    def _event(
        self, index: int, obj: dict[str, Any], errors: list[RecordError], latest: datetime
    ) -> tuple[dict[str, Any], datetime, dict[str, str]] | None:
        """One event in one pass over its fields (the hot path of ingestion)."""
        before = len(errors)
        out: dict[str, Any] = {}
        identifiers: dict[str, str] = {}
        bad_identifier = False
        ts: datetime | None = None
        text_fields, identifier_fields, string = _EVENT_TEXT, _IDENTIFIERS, str  # locals: faster
        for name, value in obj.items():
            if value is None:
                continue
            if name in text_fields:
                if type(value) is string:
                    value = value.strip()
                    if value:
                        out[name] = value
                else:
                    errors.append(_wrong_type(index, name, value, "a string"))
            elif name in identifier_fields:
                if type(value) is str:
                    value = value.strip()
                elif type(value) is int:
                    value = str(value)
                else:
                    errors.append(_wrong_type(index, name, value, "a string"))
                    bad_identifier = True
                    continue
                if value:
                    if name in self.hashed:
                        value = self.hasher.hash_value(name, value)
                    out[name] = identifiers[name] = value
            elif name == "ts":
                ts = self._time(index, value, errors, latest)
            elif name == "attributes":
                if type(value) is dict:
                    if value:
                        out[name] = value
                else:
                    errors.append(
                        _wrong_type(index, name, value, 'a JSON object, e.g. {"plan": "basic"}')
                    )
            else:
                errors.append(_unknown(index, name))
        if obj.get("ts") is None:
            errors.append(RecordError(index, "ts", _MISSING_TS))
        activity = obj.get("activity")
        if "activity" not in out and (activity is None or type(activity) is str):
            errors.append(
                RecordError(
                    index, "activity", "missing 'activity': name what happened, e.g. \"login\""
                )
            )
        channel = out.get("channel")
        out["channel"] = "unknown" if channel is None else normalise_channel(channel)
        initiator = out.get("initiator")
        if initiator is not None:
            initiator = out["initiator"] = initiator.lower()
            if initiator not in INITIATORS:
                errors.append(
                    RecordError(
                        index,
                        "initiator",
                        f"initiator {initiator!r} is not one of {', '.join(INITIATORS)}; use one "
                        "of them, or leave it out when unknown",
                    )
                )
        if not identifiers and not bad_identifier:
            errors.append(
                RecordError(
                    index,
                    "customer_id",
                    f"no identifier: give at least one of {', '.join(IDENTIFIER_FIELDS)}",
                )
            )
        if ts is None or len(errors) > before:
            return None
        out["ts"] = ts.isoformat()
        return out, ts, identifiers

    def _time(
        self, index: int, value: Any, errors: list[RecordError], latest: datetime
    ) -> datetime | None:
        if type(value) is not str:
            errors.append(
                RecordError(
                    index,
                    "ts",
                    f"'ts' must be an ISO 8601 string ({_TS_EXAMPLE}), not {_type_name(value)}",
                )
            )
            return None
        try:
            ts = datetime.fromisoformat(value.strip())
        except ValueError:
            errors.append(
                RecordError(
                    index,
                    "ts",
                    f"cannot read {value!r} as an ISO 8601 timestamp; write it {_TS_EXAMPLE}",
                )
            )
            return None
        if ts.tzinfo is None:
            errors.append(
                RecordError(
                    index,
                    "ts",
                    f"timestamp {value!r} has no UTC offset; add Z for UTC or the offset, "
                    f"{_TS_EXAMPLE}",
                )
            )
            return None
        if ts.tzinfo is not UTC:
            ts = ts.astimezone(UTC)
        if ts > latest:
            errors.append(
                RecordError(
                    index,
                    "ts",
                    f"timestamp {value!r} lies more than {self.max_future} in the future; "
                    "check the sender's clock and time zone",
                )
            )
            return None
        return ts

    # -- feedback -----------------------------------------------------------------------------

    def feedback(self, payload: Sequence[Any]) -> Checked:
        """Check a batch of feedback records (survey answers, verbatims)."""
        return self._batch(payload, self._feedback, "feedback_id")

    def _feedback(
        self, index: int, obj: dict[str, Any], errors: list[RecordError], latest: datetime
    ) -> tuple[dict[str, Any], datetime, dict[str, str]] | None:
        before = len(errors)
        rec = _Record(index, obj, errors)
        rec.unknown(FEEDBACK_FIELDS)
        out: dict[str, Any] = {}
        feedback_id = rec.text("feedback_id")
        if feedback_id is not None:
            out["feedback_id"] = feedback_id
        ts = None
        if obj.get("ts") is None:
            rec.fail("ts", _MISSING_TS)
        else:
            ts = self._time(index, obj["ts"], errors, latest)
        if ts is not None:
            out["ts"] = ts.isoformat()
        found = self._identifiers(rec, out)
        texts = {name: rec.text(name) for name in FEEDBACK_TEXT}
        before = len(rec.errors)
        numbers = {name: rec.number(name) for name in FEEDBACK_NUMBERS}
        numbers_ok = len(rec.errors) == before
        kind = rec.text("kind")
        kind = kind.lower() if kind is not None else None
        score = numbers["score"]
        if kind is None and texts["text"] is not None and score is None:
            kind = "text"  # a verbatim, as ingest reads it
        if kind is None:
            rec.fail("kind", f"missing 'kind': give one of {', '.join(FEEDBACK_KINDS)}")
        elif kind not in FEEDBACK_KINDS:
            rec.fail("kind", f"kind {kind!r} is not one of {', '.join(FEEDBACK_KINDS)}")
        elif kind == "text":
            if score is not None:
                rec.fail(
                    "score",
                    "a text record has no score; give the kind of the score (nps, csat, ces or "
                    "rating)",
                )
            if texts["text"] is None:
                rec.fail("text", "a text record needs 'text'")
        else:
            low, high = DEFAULT_SCALES[kind]
            low = numbers["scale_min"] if numbers["scale_min"] is not None else low
            high = numbers["scale_max"] if numbers["scale_max"] is not None else high
            numbers["scale_min"], numbers["scale_max"] = low, high
            if score is None and numbers_ok:
                rec.fail("score", f"a {kind} answer needs a 'score'; or use kind text")
            elif score is not None and not low <= score <= high:
                rec.fail(
                    "score",
                    f"score {score:g} is outside the scale {low:g}..{high:g} of {kind}; give "
                    "scale_min and scale_max when the survey used another scale",
                )
        out["kind"] = kind
        for name, number in numbers.items():
            if number is not None:
                out[name] = number
        for name, value in texts.items():
            if value is not None:
                out[name] = value
        channel = rec.text("channel")
        if channel is not None:
            out["channel"] = normalise_channel(channel)
        if not found and texts["event_id"] is None and texts["journey_key"] is None:
            rec.fail(
                "customer_id",
                f"no identifier: give at least one of {', '.join(IDENTIFIER_FIELDS)}, "
                "event_id or journey_key",
            )
        self._attributes(rec, out)
        if ts is None or len(errors) > before:
            return None
        return out, ts, _identifiers_of(out)


# -- log records back into the records the engines see -------------------------------------


def _identifiers_of(data: Mapping[str, Any]) -> dict[str, str]:
    return {name: data[name] for name in IDENTIFIER_FIELDS if name in data}


def event_from_record(
    data: Mapping[str, Any],
    seq: int,
    ts: datetime | None = None,
    identifiers: Mapping[str, str] | None = None,
) -> LiveEvent:
    """The `LiveEvent` of a normalised record (from `LiveValidator.events` or the log)."""
    return LiveEvent(
        event_id=data["event_id"],
        ts=ts if ts is not None else datetime.fromisoformat(data["ts"]),
        identifiers=identifiers if identifiers is not None else _identifiers_of(data),
        channel=data["channel"],
        activity=data["activity"],
        initiator=data.get("initiator"),
        topic=data.get("topic"),
        outcome=data.get("outcome"),
        journey_key=data.get("journey_key"),
        attributes=data.get("attributes") or {},
        seq=seq,
    )


def feedback_from_record(
    data: Mapping[str, Any],
    seq: int,
    ts: datetime | None = None,
    identifiers: Mapping[str, str] | None = None,
) -> LiveFeedback:
    """The `LiveFeedback` of a normalised record."""
    return LiveFeedback(
        feedback_id=data["feedback_id"],
        ts=ts if ts is not None else datetime.fromisoformat(data["ts"]),
        identifiers=identifiers if identifiers is not None else _identifiers_of(data),
        kind=data["kind"],
        score=data.get("score"),
        scale_min=data.get("scale_min"),
        scale_max=data.get("scale_max"),
        text=data.get("text"),
        channel=data.get("channel"),
        event_id=data.get("event_id"),
        journey_key=data.get("journey_key"),
        attributes=data.get("attributes") or {},
        seq=seq,
    )
