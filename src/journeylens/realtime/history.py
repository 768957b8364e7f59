"""What the built workspace knows per customer, loaded once into memory for the context API.

At start (and after each build the server runs) three small columnar sections are read from
the store, each sorted by customer key:

- ``events``: the last ``depth`` journey steps of every customer (time, channel, activity,
  initiator, topic, outcome, journey, assisted);
- ``journeys``: every open journey of every customer and their last ``journey_depth`` others;
- ``feedback``: the last ``feedback_depth`` feedback records of every customer (the customer
  of a record: its highest-ranked identifier through the ``identity`` table, else the
  customer of the event it names).

A lookup is a hash, a ``numpy.searchsorted`` and an Arrow slice: microseconds with a million
customers, with no query to the store while the server answers. Low-cardinality text columns
are dictionary-encoded to keep the memory small (about 60 bytes per kept event).

Examples
--------
>>> import pyarrow as pa
>>> rows = pa.table({"customer_key": ["a", "a", "b"], "activity": ["x", "y", "z"]})
>>> grouped = Grouped(rows, "customer_key")
>>> grouped.rows("a"), grouped.rows("b"), grouped.rows("c"), len(grouped)
([{'activity': 'x'}, {'activity': 'y'}], [{'activity': 'z'}], [], 2)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from journeylens.identity.graph import NODE_FIELDS
from journeylens.journeys import JOURNEYS_TABLE, STEPS_TABLE
from journeylens.store.schema import IDENTIFIER_FIELDS

if TYPE_CHECKING:
    from journeylens.store.backends import Backend

EVENT_COLUMNS = (
    "ts",
    "event_id",
    "channel",
    "activity",
    "initiator",
    "topic",
    "outcome",
    "journey_key",
    "assisted",
)
JOURNEY_COLUMNS = (
    "journey_key",
    "journey_type",
    "status",
    "success",
    "outcome",
    "start_ts",
    "end_ts",
    "steps",
    "channels",
    "handoffs",
    "repeat_contacts",
    "assisted_contacts",
    "first_activity",
    "last_activity",
    "last_channel",
)
FEEDBACK_COLUMNS = (
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
)
#: Columns with few distinct values, dictionary-encoded in memory.
_CODED = frozenset(
    {
        "channel",
        "activity",
        "initiator",
        "topic",
        "outcome",
        "journey_type",
        "status",
        "first_activity",
        "last_activity",
        "last_channel",
        "kind",
    }
)


class Grouped:
    """Rows of an Arrow table grouped by a key column, looked up by key.

    Parameters
    ----------
    table : pyarrow.Table
        Sorted by ``key`` (rows of one key together, in the order they should come back).
    key : str
        The key column (dropped from the rows handed back).
    """

    def __init__(self, table: pa.Table, key: str) -> None:
        column = table.column(key).combine_chunks()
        n = len(column)
        if n:
            changes = pc.not_equal(column.slice(1), column.slice(0, n - 1))
            cuts = np.flatnonzero(changes.to_numpy(zero_copy_only=False)) + 1
            starts = np.concatenate([[0], cuts]).astype(np.int64)
        else:
            starts = np.zeros(0, dtype=np.int64)
        self._starts = starts
        self._ends = np.append(starts[1:], n).astype(np.int64)
        self._keys = column.take(pa.array(starts)) if n else pa.array([], pa.string())
        hashes = np.fromiter((hash(k) for k in self._keys.to_pylist()), np.int64, len(starts))
        self._order = np.argsort(hashes, kind="stable")
        self._hashes = hashes[self._order]
        rest = table.drop_columns([key])
        self._table = pa.table(
            {
                name: _coded(rest.column(name)) if name in _CODED else rest.column(name)
                for name in rest.column_names
            }
        )

    def __len__(self) -> int:
        return len(self._starts)

    @property
    def nbytes(self) -> int:
        return int(self._table.nbytes + self._keys.nbytes + 40 * len(self._starts))

    def rows(self, key: str) -> list[dict[str, Any]]:
        """The rows of ``key`` (empty when unknown)."""
        wanted = hash(key)
        at = int(np.searchsorted(self._hashes, wanted))
        while at < len(self._hashes) and self._hashes[at] == wanted:
            row = int(self._order[at])
            if self._keys[row].as_py() == key:
                start, end = int(self._starts[row]), int(self._ends[row])
                rows: list[dict[str, Any]] = self._table.slice(start, end - start).to_pylist()
                return rows
            at += 1
        return []


def _coded(column: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        return pc.dictionary_encode(column)
    return column


def _ranked(table: ir.Table, order: list[ir.Value]) -> ir.Table:
    window = ibis.window(group_by=table.customer_key, order_by=order)
    return table.mutate(_rank=ibis.row_number().over(window))


def events_section(backend: Backend, depth: int) -> pa.Table:
    """The last ``depth`` steps of every customer, newest first, sorted by customer."""
    steps = backend.table(STEPS_TABLE)
    order = [ibis.desc(steps.ts), ibis.desc(steps.seq)]
    ranked = _ranked(steps, order)
    kept = ranked.filter(ranked._rank < depth)
    expr = kept.order_by(["customer_key", "_rank"]).select("customer_key", *EVENT_COLUMNS)
    return backend.to_arrow(expr)


def journeys_section(backend: Backend, depth: int) -> pa.Table:
    """Every open journey of every customer and their last ``depth`` others, newest first."""
    table = backend.table(JOURNEYS_TABLE)
    order = [ibis.desc(table.end_ts), ibis.desc(table.journey_key)]
    ranked = _ranked(table, order)
    kept = ranked.filter((ranked._rank < depth) | (ranked.status == "open"))
    expr = kept.order_by(["customer_key", "_rank"]).select("customer_key", *JOURNEY_COLUMNS)
    return backend.to_arrow(expr)


def _feedback_customers(backend: Backend) -> ir.Table:
    """Feedback with the customer key of its highest-ranked identifier (or of its event)."""
    feedback = backend.table("feedback")
    identity = backend.table("identity")
    present = [name for name in IDENTIFIER_FIELDS if name in feedback.columns]
    if not present:
        keyed = feedback.mutate(_by_id=ibis.null(str))
    else:
        id_type = ibis.cases(*[(feedback[n].notnull(), n) for n in present], else_=ibis.null(str))
        id_value = ibis.coalesce(*[feedback[n] for n in present])
        tagged = feedback.mutate(_id_type=id_type, _id_value=id_value)
        ids = identity.filter(identity.id_type.isin(list(NODE_FIELDS))).select(
            _t=identity.id_type, _v=identity.id_value, _by_id=identity.customer_key
        )
        keyed = tagged.left_join(
            ids, [tagged._id_type == ids._t, tagged._id_value == ids._v]
        ).select(*feedback.columns, "_by_id")
    steps = backend.table(STEPS_TABLE).select(_e=ibis._.event_id, _by_event=ibis._.customer_key)
    joined = keyed.left_join(steps, keyed.event_id == steps._e)
    both = joined.select(
        *feedback.columns, customer_key=ibis.coalesce(joined._by_id, joined._by_event)
    )
    return both.filter(both.customer_key.notnull())


def feedback_section(backend: Backend, depth: int) -> pa.Table:
    """The last ``depth`` feedback records of every customer, newest first."""
    table = _feedback_customers(backend)
    order = [ibis.desc(table.ts), ibis.desc(table.feedback_id)]
    ranked = _ranked(table, order)
    kept = ranked.filter(ranked._rank < depth)
    expr = kept.order_by(["customer_key", "_rank"]).select("customer_key", *FEEDBACK_COLUMNS)
    return backend.to_arrow(expr)


@dataclass
class History:
    """The per-customer sections of the built workspace (empty before the first build)."""

    events: Grouped
    journeys: Grouped
    feedback: Grouped
    built_as_of: datetime | None = None

    @classmethod
    def empty(cls) -> History:
        blank = pa.table({"customer_key": pa.array([], pa.string())})
        return cls(
            Grouped(blank, "customer_key"),
            Grouped(blank, "customer_key"),
            Grouped(blank, "customer_key"),
        )

    @classmethod
    def load(
        cls,
        backend: Backend,
        *,
        depth: int = 20,
        journey_depth: int = 5,
        feedback_depth: int = 5,
        built_as_of: datetime | None = None,
    ) -> History:
        """Read the sections from the store (what exists of them)."""
        history = cls.empty()
        history.built_as_of = built_as_of
        if backend.has_table(STEPS_TABLE):
            history.events = Grouped(events_section(backend, depth), "customer_key")
        if backend.has_table(JOURNEYS_TABLE):
            history.journeys = Grouped(journeys_section(backend, journey_depth), "customer_key")
        if (
            backend.has_table("feedback")
            and backend.has_table("identity")
            and backend.has_table(STEPS_TABLE)
        ):
            history.feedback = Grouped(feedback_section(backend, feedback_depth), "customer_key")
        pa.default_memory_pool().release_unused()  # the unencoded query results
        return history

    @property
    def customers(self) -> int:
        return max(len(self.events), len(self.journeys))

    @property
    def nbytes(self) -> int:
        return self.events.nbytes + self.journeys.nbytes + self.feedback.nbytes
