"""Drill-down: from an aggregate to the journeys behind it, one bounded page at a time.

Every aggregate of an analysis has a set of journeys behind it: the journeys of a scope
(`journeylens.analytics.scope`), those whose path matches a pattern (a variant, an edge of the
process map, a step: `journeylens.analytics.patterns`), those with a breakdown point
(`journeylens.analytics.breakdown`), those dropping out of a funnel step. `journey_list` counts
them and returns one page of them (latest first), so a page of a dashboard stays fast however
many journeys there are.

Examples
--------
>>> variant_pattern(["move_form_started", "move form submitted"])
'^ "move_form_started" -> "move form submitted" $'
>>> edge_pattern("a", "b")
'"a" -> "b"'
>>> missing_pattern(["a@web", "a@app"])
'^ [^"a@web"|"a@app"]* $'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from journeylens.store.backends import Backend

#: The journey columns a list shows.
LIST_COLUMNS = (
    "journey_key",
    "customer_key",
    "journey_type",
    "start_ts",
    "end_ts",
    "status",
    "success",
    "steps",
    "channels",
    "handoffs",
    "duration_seconds",
    "first_channel",
    "last_activity",
)


@dataclass(frozen=True)
class JourneyList:
    """One page of journeys: ``total`` journeys behind the aggregate, ``rows`` (at most
    ``limit``, from ``offset``, latest start first) with the `LIST_COLUMNS`."""

    total: int
    rows: list[dict[str, Any]]
    offset: int = 0
    limit: int = 50

    @property
    def more(self) -> bool:
        """Whether there are journeys after this page."""
        return self.offset + len(self.rows) < self.total


def journey_list(
    backend: Backend,
    journeys: ir.Table | None = None,
    keys: ir.Table | pa.Table | None = None,
    *,
    limit: int = 50,
    offset: int = 0,
) -> JourneyList:
    """Count the journeys and return one page of them.

    Parameters
    ----------
    backend : Backend
        The engine (a scope's `JourneySubset` restricts the journeys).
    journeys : ibis Table, optional
        Rows of the ``journeys`` table to list (default: all of ``backend``'s).
    keys : ibis or Arrow table with a ``journey_key`` column, optional
        Keep only these journeys (e.g. the matches of a pattern).
    limit, offset : int
        The page.
    """
    if limit < 1 or offset < 0:
        raise ValueError(f"limit must be at least 1 and offset at least 0 (got {limit}, {offset})")
    table = backend.table("journeys") if journeys is None else journeys
    if keys is not None:
        wanted = ibis.memtable(keys) if isinstance(keys, pa.Table) else keys
        table = table.semi_join(wanted.select("journey_key").distinct(), "journey_key")
    total = int(backend.scalar(table.count()))
    page = (
        table.select(*LIST_COLUMNS)
        .order_by([ibis.desc("start_ts"), "journey_key"])
        .limit(limit, offset=offset)
    )
    return JourneyList(total, backend.to_arrow(page).to_pylist(), offset, limit)


def _quoted(label: str) -> str:
    """A label as a quoted pattern label (single quotes when it holds a double quote)."""
    return f"'{label}'" if '"' in label else f'"{label}"'


def variant_pattern(path: Sequence[str]) -> str:
    """The path pattern that matches exactly the journeys of one variant."""
    return "^ " + " -> ".join(_quoted(label) for label in path) + " $"


def edge_pattern(source: str, target: str) -> str:
    """The path pattern of one directly-follows edge (``source`` then ``target``)."""
    return f"{_quoted(source)} -> {_quoted(target)}"


def step_pattern(label: str) -> str:
    """The path pattern of journeys that have a step ``label`` anywhere."""
    return _quoted(label)


def missing_pattern(labels: Sequence[str]) -> str:
    """The path pattern of journeys that have none of ``labels`` (e.g. a skipped step)."""
    return "^ [^" + "|".join(_quoted(label) for label in labels) + "]* $"


def hotspot_keys(journeys: pa.Table, stage: str, kind: str, label: str) -> pa.Table:
    """The keys of the journeys with one deviation hot spot: ``kind`` (off_path, skipped,
    loop) of ``label`` in ``stage`` (``journeys`` is
    `journeylens.analytics.conformance.Conformance.journeys`, whose ``deviations`` read like
    ``Request the move: skipped move_form_submitted@web|app``)."""
    prefix = f"{stage}: {kind.replace('_', '-')} {label}"
    keys = [
        row["journey_key"]
        for row in journeys.select(["journey_key", "deviations"]).to_pylist()
        if any(d == prefix or d.startswith(prefix + " (") for d in row["deviations"] or [])
    ]
    return pa.table({"journey_key": pa.array(keys, pa.string())})


def breakdown_keys(breakdowns: ir.Table, kind: str, label: str) -> ir.Table:
    """The keys of the journeys with breakdown ``kind`` at ``label`` (``breakdowns`` is
    `journeylens.analytics.breakdown.Breakdowns.breakdowns`'s expression)."""
    found = breakdowns.filter((breakdowns.kind == kind) & (breakdowns.label == label))
    return found.select("journey_key").distinct()


#: The feedback columns shown next to a journey or a customer.
FEEDBACK_COLUMNS = ("feedback_id", "ts", "kind", "score", "scale_max", "text", "channel")


def linked_feedback(
    backend: Backend,
    *,
    journey_key: str | None = None,
    customer_key: str | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """The feedback linked to one journey or one customer, latest first (at most ``limit``).

    Needs the ``feedback_links`` table (written at build when there is feedback); without it
    the answer is empty. Each row: the `FEEDBACK_COLUMNS`, ``scope`` and ``journey_key``.
    """
    if (journey_key is None) == (customer_key is None):
        raise ValueError("give exactly one of journey_key and customer_key")
    if not (backend.has_table("feedback_links") and backend.has_table("feedback")):
        return []
    links = backend.table("feedback_links")
    wanted = (
        links.journey_key == journey_key
        if journey_key is not None
        else links.customer_key == customer_key
    )
    mine = links.filter(wanted).select("feedback_id", "scope", "journey_key")
    feedback = backend.table("feedback").select(*FEEDBACK_COLUMNS)
    joined = mine.join(feedback, "feedback_id")
    rows: list[dict[str, Any]] = backend.to_arrow(
        joined.order_by([ibis.desc("ts"), "feedback_id"]).limit(limit)
    ).to_pylist()
    return rows
