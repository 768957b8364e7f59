"""History as live records: the ``events`` and ``feedback`` tables in the order replay feeds them.

Events come ordered by (``ts``, ``seq``), read in Arrow batches; feedback records are
interleaved by time (at equal times, events first, then feedback by ``seq``). Attributes stay
JSON text until a rule reads one (`JsonAttributes`), so replay pays for parsing only when a
rule needs it.

Examples
--------
>>> attrs = JsonAttributes('{"reason": "double_charge", "n": 2}')
>>> attrs["reason"], attrs.get("missing"), len(attrs)
('double_charge', None, 2)
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import orjson
import pyarrow as pa

from journeylens.realtime.records import LiveEvent, LiveFeedback
from journeylens.store.schema import IDENTIFIER_FIELDS

if TYPE_CHECKING:
    from journeylens.store.backends import Backend

EVENT_COLUMNS = (
    "event_id",
    "ts",
    *IDENTIFIER_FIELDS,
    "channel",
    "activity",
    "initiator",
    "topic",
    "outcome",
    "journey_key",
    "attributes",
    "seq",
)
FEEDBACK_COLUMNS = (
    "feedback_id",
    "ts",
    *IDENTIFIER_FIELDS,
    "kind",
    "score",
    "scale_min",
    "scale_max",
    "text",
    "channel",
    "event_id",
    "journey_key",
    "attributes",
    "seq",
)
_UTC = pa.timestamp("us", tz="UTC")
_EMPTY: Mapping[str, Any] = {}


class JsonAttributes(Mapping[str, Any]):
    """A JSON object's text, parsed on first access."""

    __slots__ = ("_data", "_text")

    def __init__(self, text: str) -> None:
        self._text = text
        self._data: dict[str, Any] | None = None

    def _parsed(self) -> dict[str, Any]:
        if self._data is None:
            value = orjson.loads(self._text)
            self._data = value if isinstance(value, dict) else {}
        return self._data

    def __getitem__(self, key: str) -> Any:
        return self._parsed()[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self._parsed().get(key, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self._parsed())

    def __len__(self) -> int:
        return len(self._parsed())

    def __repr__(self) -> str:
        return f"JsonAttributes({self._text!r})"


def _columns(batch: pa.RecordBatch | pa.Table, names: tuple[str, ...]) -> dict[str, list[Any]]:
    out = {}
    for name in names:
        column = batch.column(name)
        if name == "ts":
            column = column.cast(_UTC)
        out[name] = column.to_pylist()
    return out


def _identifiers(cols: dict[str, list[Any]], i: int) -> dict[str, str]:
    return {name: cols[name][i] for name in IDENTIFIER_FIELDS if cols[name][i]}


def events_of(batch: pa.RecordBatch | pa.Table) -> Iterator[LiveEvent]:
    """The rows of an ``events`` batch as `LiveEvent` records."""
    c = _columns(batch, EVENT_COLUMNS)
    for i in range(batch.num_rows):
        attributes = c["attributes"][i]
        yield LiveEvent(
            event_id=c["event_id"][i],
            ts=c["ts"][i],
            identifiers=_identifiers(c, i),
            channel=c["channel"][i],
            activity=c["activity"][i],
            initiator=c["initiator"][i],
            topic=c["topic"][i],
            outcome=c["outcome"][i],
            journey_key=c["journey_key"][i],
            attributes=JsonAttributes(attributes) if attributes else _EMPTY,
            seq=c["seq"][i],
        )


def feedback_of(table: pa.RecordBatch | pa.Table) -> Iterator[LiveFeedback]:
    """The rows of a ``feedback`` table as `LiveFeedback` records."""
    c = _columns(table, FEEDBACK_COLUMNS)
    for i in range(table.num_rows):
        attributes = c["attributes"][i]
        yield LiveFeedback(
            feedback_id=c["feedback_id"][i],
            ts=c["ts"][i],
            identifiers=_identifiers(c, i),
            kind=c["kind"][i],
            score=c["score"][i],
            scale_min=c["scale_min"][i],
            scale_max=c["scale_max"][i],
            text=c["text"][i],
            channel=c["channel"][i],
            event_id=c["event_id"][i],
            journey_key=c["journey_key"][i],
            attributes=JsonAttributes(attributes) if attributes else _EMPTY,
            seq=c["seq"][i],
        )


def _stream_events(backend: Backend, batch_rows: int) -> Iterator[LiveEvent]:
    """Events in (ts, seq) order, read in time slices of about ``batch_rows`` events each."""
    events = backend.table("events")
    bounds = backend.to_arrow(
        events.aggregate(n=events.count(), first=events.ts.min(), last=events.ts.max())
    ).to_pylist()[0]
    if not bounds["n"]:
        return
    slices = max(1, -(-int(bounds["n"]) // batch_rows))
    first, last = bounds["first"], bounds["last"]
    step = (last - first) / slices
    ordered = events.select(*EVENT_COLUMNS)
    for i in range(slices):
        low = first + step * i
        part = ordered.filter(ordered.ts >= low)
        if i < slices - 1:
            part = part.filter(part.ts < first + step * (i + 1))
        yield from events_of(backend.to_arrow(part.order_by(["ts", "seq"])))


def history(
    backend: Backend, *, feedback: bool = True, batch_rows: int = 200_000
) -> Iterator[LiveEvent | LiveFeedback]:
    """Every event and (with ``feedback``) feedback record of the workspace, in replay order.

    The feedback table is read whole first (it is small next to the events), then the events
    in time slices of about ``batch_rows`` events, and the two are merged by time.
    """
    records: list[Iterator[tuple[Any, int, int, LiveEvent | LiveFeedback]]] = []
    if feedback and backend.has_table("feedback"):
        table = backend.table("feedback")
        rows = backend.to_arrow(table.select(*FEEDBACK_COLUMNS).order_by(["ts", "seq"]))
        records.append((f.ts, 1, f.seq, f) for f in feedback_of(rows))
    if backend.has_table("events"):
        records.append((e.ts, 0, e.seq, e) for e in _stream_events(backend, batch_rows))
    for _, _, _, record in heapq.merge(*records, key=lambda item: item[:3]):
        yield record
