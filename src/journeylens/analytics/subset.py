"""A read-only view of a workspace restricted to some journeys, so that any analysis runs on a
segment unchanged.

Every analysis reads the workspace through a `Backend` (``journey_steps``, ``journeys``,
``events``); `JourneySubset` is a Backend whose tables hold only the chosen journeys, their
steps, their events and the links of the feedback about them (``feedback_links``). Writes go
to the workspace underneath (analyses materialise scratch tables), reads of those four tables
are filtered.

Examples
--------
>>> import tempfile, pyarrow as pa
>>> from pathlib import Path
>>> from journeylens.store.backends import connect
>>> db = connect("duckdb", Path(tempfile.mkdtemp()))
>>> db.append("journeys", pa.table({"journey_key": ["j1", "j2"], "first_channel": ["web", "app"]}))
>>> db.append("journey_steps", pa.table({"journey_key": ["j1", "j1", "j2"], "step": [1, 2, 1]}))
>>> web = JourneySubset(db, db.table("journeys").filter(lambda t: t.first_channel == "web"))
>>> web.count("journey_steps")
2
"""

from __future__ import annotations

from typing import Any

import ibis.expr.types as ir
import pyarrow as pa

from journeylens.store.backends import Backend

#: Tables filtered to the subset; any other table is the workspace's own.
FILTERED = ("journeys", "journey_steps", "events", "feedback_links")


class JourneySubset(Backend):
    """The workspace behind ``base``, seen through the journeys in ``journeys``.

    Parameters
    ----------
    base : Backend
        The workspace's engine.
    journeys : ibis Table
        Rows of the ``journeys`` table to keep (any filter of it, e.g. one segment's group).
    """

    def __init__(self, base: Backend, journeys: ir.Table) -> None:
        super().__init__(base.root)
        self.base = base
        self.name = base.name
        self.prefers_local_graph = base.prefers_local_graph
        self._keys = journeys.select("journey_key")

    @property
    def con(self) -> Any:
        return self.base.con

    def has_table(self, name: str) -> bool:
        return self.base.has_table(name)

    def table(self, name: str) -> ir.Table:
        table = self.base.table(name)
        if name in ("journeys", "journey_steps", "feedback_links"):
            # feedback_links: the feedback about the subset's journeys
            return table.semi_join(self._keys, "journey_key")
        if name == "events":
            steps = self.base.table("journey_steps").semi_join(self._keys, "journey_key")
            return table.semi_join(steps.select("event_id"), "event_id")
        return table

    def _write(
        self, name: str, obj: ir.Table | pa.Table, *, overwrite: bool, temporary: bool = False
    ) -> None:
        if name in FILTERED:
            raise PermissionError(f"a journey subset is read-only: it cannot write '{name}'")
        self.base._write(name, obj, overwrite=overwrite, temporary=temporary)

    def drop(self, name: str) -> None:
        if name in FILTERED:
            raise PermissionError(f"a journey subset is read-only: it cannot drop '{name}'")
        self.base.drop(name)

    def to_arrow(self, expr: ir.Table) -> pa.Table:
        return self.base.to_arrow(expr)

    def scalar(self, expr: ir.Scalar) -> Any:
        return self.base.scalar(expr)
