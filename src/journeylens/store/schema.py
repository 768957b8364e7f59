"""The canonical tables of a workspace, as Arrow schemas.

Every reader maps its source onto these columns; every backend stores them with these types.
Timestamps are UTC and stored without a zone (microseconds), so DuckDB and Spark agree.

Examples
--------
>>> "customer_id" in IDENTIFIER_FIELDS
True
>>> EVENTS.field("ts").type
TimestampType(timestamp[us])
"""

from __future__ import annotations

import pyarrow as pa

#: Identifier columns, in the order used to pick an event's primary identifier.
IDENTIFIER_FIELDS: tuple[str, ...] = (
    "customer_id",
    "account_id",
    "email",
    "phone",
    "device_id",
    "cookie_id",
)

#: Who started an interaction: the customer (direct contact) or the company (indirect).
INITIATORS: tuple[str, ...] = ("customer", "company")

#: Kinds of feedback records.
FEEDBACK_KINDS: tuple[str, ...] = ("nps", "csat", "ces", "rating", "text")

#: Default scales per feedback kind (min, max) when the source gives none.
DEFAULT_SCALES: dict[str, tuple[float, float]] = {
    "nps": (0.0, 10.0),
    "csat": (1.0, 5.0),
    "ces": (1.0, 7.0),
    "rating": (1.0, 5.0),
}

_TS = pa.timestamp("us")

_PROVENANCE = [
    pa.field("source", pa.string(), nullable=False),
    pa.field("source_file", pa.string(), nullable=False),
    pa.field("source_line", pa.int64(), nullable=False),
    pa.field("seq", pa.int64(), nullable=False),
    pa.field("ingested_at", _TS, nullable=False),
]

EVENTS = pa.schema(
    [
        pa.field("event_id", pa.string(), nullable=False),
        pa.field("ts", _TS, nullable=False),
        *[pa.field(name, pa.string()) for name in IDENTIFIER_FIELDS],
        pa.field("channel", pa.string(), nullable=False),
        pa.field("activity", pa.string(), nullable=False),
        pa.field("initiator", pa.string()),
        pa.field("topic", pa.string()),
        pa.field("outcome", pa.string()),
        pa.field("journey_key", pa.string()),
        pa.field("resource", pa.string()),
        pa.field("lifecycle", pa.string()),
        pa.field("attributes", pa.string()),  # JSON object of the source's other columns
        pa.field("journey_attributes", pa.string()),  # JSON object (XES trace / case:* columns)
        *_PROVENANCE,
    ]
)

FEEDBACK = pa.schema(
    [
        pa.field("feedback_id", pa.string(), nullable=False),
        pa.field("ts", _TS, nullable=False),
        *[pa.field(name, pa.string()) for name in IDENTIFIER_FIELDS],
        pa.field("kind", pa.string(), nullable=False),
        pa.field("score", pa.float64()),
        pa.field("scale_min", pa.float64()),
        pa.field("scale_max", pa.float64()),
        pa.field("text", pa.string()),
        pa.field("question", pa.string()),
        pa.field("channel", pa.string()),
        pa.field("event_id", pa.string()),
        pa.field("journey_key", pa.string()),
        pa.field("attributes", pa.string()),
        *_PROVENANCE,
    ]
)

#: Columns the pipeline adds to say where a record came from.
PROVENANCE_FIELDS: tuple[str, ...] = tuple(f.name for f in _PROVENANCE)

#: Event fields a source may provide (``journey_attributes`` come from ``case:`` columns).
SOURCE_EVENT_FIELDS: tuple[str, ...] = tuple(
    name for name in EVENTS.names if name not in PROVENANCE_FIELDS and name != "journey_attributes"
)

#: Feedback fields a source may provide.
SOURCE_FEEDBACK_FIELDS: tuple[str, ...] = tuple(
    name for name in FEEDBACK.names if name not in PROVENANCE_FIELDS
)

QUARANTINE = pa.schema(
    [
        pa.field("kind", pa.string(), nullable=False),  # events | feedback
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("source_line", pa.int64()),
        pa.field("field", pa.string()),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("raw", pa.string()),  # the rejected record as JSON
        pa.field("ingested_at", _TS, nullable=False),
    ]
)

IDENTITY = pa.schema(
    [
        pa.field("node", pa.string(), nullable=False),  # "<rank><id_type>:<id_value>"
        pa.field("id_type", pa.string(), nullable=False),
        pa.field("id_value", pa.string(), nullable=False),
        pa.field("customer_key", pa.string(), nullable=False),
        pa.field("label", pa.string(), nullable=False),  # the component's smallest node
    ]
)

#: Column names of the tables that `build` produces (types come from the expressions).
JOURNEY_COLUMNS: tuple[str, ...] = (
    "journey_key",
    "customer_key",
    "journey_type",
    "cut",
    "start_ts",
    "end_ts",
    "status",
    "success",
    "outcome",
    "steps",
    "channels",
    "first_channel",
    "last_channel",
    "handoffs",
    "repeat_contacts",
    "assisted_contacts",
    "duration_seconds",
    "first_activity",
    "last_activity",
)

STEP_COLUMNS: tuple[str, ...] = (
    "journey_key",
    "step",
    "event_id",
    "customer_key",
    "cut",
    "definition",
    "source",
    "ts",
    "channel",
    "activity",
    "initiator",
    "topic",
    "outcome",
    "handoff",
    "assisted",
    "seq",
    # The step that follows in the same journey (null on the last step): directly-follows
    # analyses read them instead of joining the steps with themselves.
    "next_activity",
    "next_channel",
    "next_ts",
)
