"""Replay: how often would the rules have fired over history, and for whom.

History goes through a fresh `journeylens.realtime.core.LiveCore` with the event clock, one
record at a time in the order of `journeylens.realtime.rules.sources.history` (events by
``ts``, ``seq``; feedback interleaved by time). It is the same engine the live API runs, so a
live stream of the same records in the same order fires the same moments (same ids).

The identity graph is that of the workspace's last build (``identity="built"``: customer keys
as the analytics show them, known from the first event) or grows as the records come
(``"fresh"``: as a live server started on an empty workspace would see them).

Result: ``moments`` (one row per firing), ``rules`` (per rule: firings, customers, moments
suppressed by the cooldown, first and last firing) and ``weekly`` (firings per rule and week,
the week starting on Monday).

Examples
--------
>>> ReplayQuery(identity="guess")
Traceback (most recent call last):
...
ValueError: identity 'guess' is not one of built, fresh
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
import pyarrow as pa

from journeylens.palette import PALETTE
from journeylens.realtime.moments import Moment
from journeylens.realtime.records import LiveEvent
from journeylens.realtime.rules.ruleset import RuleSet
from journeylens.realtime.rules.sources import history

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from journeylens.analytics.journey_maps import JourneyMap
    from journeylens.workspace import Workspace

IDENTITIES = ("built", "fresh")

MOMENTS_SCHEMA = pa.schema(
    [
        pa.field("moment_id", pa.string()),
        pa.field("rule", pa.string()),
        pa.field("customer_key", pa.string()),
        pa.field("ts", pa.timestamp("us", tz="UTC")),
        pa.field("journey_key", pa.string()),
        pa.field("priority", pa.int64()),
        pa.field("event_ids", pa.list_(pa.string())),
        pa.field("actions", pa.list_(pa.string())),
        pa.field("details", pa.string()),
    ]
)


RULES_SCHEMA = pa.schema(
    [
        pa.field("rule", pa.string()),
        pa.field("kind", pa.string()),
        pa.field("enabled", pa.bool_()),
        pa.field("moments", pa.int64()),
        pa.field("customers", pa.int64()),
        pa.field("suppressed", pa.int64()),
        pa.field("first_ts", pa.timestamp("us", tz="UTC")),
        pa.field("last_ts", pa.timestamp("us", tz="UTC")),
    ]
)


@dataclass(frozen=True)
class ReplayQuery:
    """Which rules to replay, and how.

    Parameters
    ----------
    rule : str, optional
        Replay only this rule (enabled even if the file disables it).
    identity : {"built", "fresh"}
        Customer keys from the last build, or stitched as the records come.
    lateness_seconds : int, optional
        Allowed lateness (default: the rules file's ``settings.lateness``).
    feedback : bool
        Feed the feedback records too (feedback rules need them).
    """

    rule: str | None = None
    identity: Literal["built", "fresh"] = "built"
    lateness_seconds: int | None = None
    feedback: bool = True

    def __post_init__(self) -> None:
        if self.identity not in IDENTITIES:
            raise ValueError(f"identity '{self.identity}' is not one of {', '.join(IDENTITIES)}")
        if self.lateness_seconds is not None and self.lateness_seconds < 0:
            raise ValueError(f"lateness_seconds must be >= 0, got {self.lateness_seconds}")


@dataclass
class Replay:
    """What the rules would have fired over history.

    ``moments``: ``moment_id``, ``rule``, ``customer_key``, ``ts``, ``journey_key``,
    ``priority``, ``event_ids``, ``actions``, ``details`` (JSON);
    ``rules``: ``rule``, ``kind``, ``enabled``, ``moments``, ``customers``, ``suppressed``,
    ``first_ts``, ``last_ts``; ``weekly``: ``rule``, ``week``, ``moments``.
    """

    query: ReplayQuery
    moments: pa.Table
    rules: pa.Table
    weekly: pa.Table
    events: int
    feedback: int
    stats: dict[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """One row per moment."""
        frame: pd.DataFrame = self.moments.to_pandas()
        return frame

    def counts(self) -> list[dict[str, Any]]:
        """Per rule: moments, customers, suppressed, first and last firing (JSON-ready)."""
        rows: list[dict[str, Any]] = self.rules.to_pylist()
        return rows

    def figure(self) -> go.Figure:
        """Moments per rule and week."""
        import plotly.graph_objects as go

        weekly = self.weekly.to_pandas()
        fig = go.Figure()
        for i, (rule, part) in enumerate(weekly.groupby("rule", sort=False)):
            fig.add_trace(
                go.Scatter(
                    x=part["week"],
                    y=part["moments"],
                    mode="lines+markers",
                    name=str(rule),
                    line={"color": PALETTE[i % len(PALETTE)]},
                )
            )
        fig.update_layout(
            title="Moments per week if the rules had run over history",
            xaxis_title="week",
            yaxis_title="moments",
            template="plotly_white",
        )
        return fig


@contextmanager
def steady_gc() -> Iterator[None]:
    """Freeze the objects that exist (the identity graph, the rules) for the garbage
    collector during a long loop that allocates many short-lived ones; a full collection over
    a large, stable heap otherwise costs more than the loop's own work."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def moments_table(moments: list[Moment]) -> pa.Table:
    """Moments as an Arrow table (see `MOMENTS_SCHEMA`)."""
    return pa.table(
        {
            "moment_id": [m.moment_id for m in moments],
            "rule": [m.rule for m in moments],
            "customer_key": [m.customer_key for m in moments],
            "ts": [m.ts for m in moments],
            "journey_key": [m.journey_key for m in moments],
            "priority": [m.priority for m in moments],
            "event_ids": [list(m.event_ids) for m in moments],
            "actions": [list(m.actions) for m in moments],
            "details": [json.dumps(dict(m.details), default=str) for m in moments],
        },
        schema=MOMENTS_SCHEMA,
    )


def _rule_table(rules: RuleSet, moments: list[Moment], suppressed: dict[str, int]) -> pa.Table:
    by_rule: dict[str, list[Moment]] = {name: [] for name in rules.names()}
    for moment in moments:
        by_rule.setdefault(moment.rule, []).append(moment)
    rows = []
    for rule in rules:
        mine = by_rule[rule.name]
        rows.append(
            {
                "rule": rule.name,
                "kind": rule.kind,
                "enabled": rules.is_enabled(rule.name),
                "moments": len(mine),
                "customers": len({m.customer_key for m in mine}),
                "suppressed": suppressed.get(rule.name, 0),
                "first_ts": mine[0].ts if mine else None,
                "last_ts": mine[-1].ts if mine else None,
            }
        )
    return pa.Table.from_pylist(rows, schema=RULES_SCHEMA)


def _weekly(moments: list[Moment]) -> pa.Table:
    counts: dict[tuple[str, date], int] = {}
    for m in moments:
        key = (m.rule, _monday(m.ts.date()))
        counts[key] = counts.get(key, 0) + 1
    ordered = sorted(counts.items(), key=lambda item: (item[0][1], item[0][0]))
    return pa.table(
        {
            "rule": pa.array([k[0] for k, _ in ordered], pa.string()),
            "week": pa.array([k[1] for k, _ in ordered], pa.date32()),
            "moments": pa.array([n for _, n in ordered], pa.int64()),
        }
    )


def replay(
    ws: Workspace,
    rules: RuleSet | None = None,
    query: ReplayQuery | None = None,
    *,
    maps: Mapping[str, JourneyMap] | None = None,
    **options: Any,
) -> Replay:
    """Run the rules over the workspace's history through a fresh live core (event clock).

    Parameters
    ----------
    ws : Workspace
        Its events and feedback are replayed (ingested records; a build is needed only for
        ``identity="built"``).
    rules : RuleSet, optional
        Default: the workspace's ``rules.yaml``.
    query : ReplayQuery, optional
        Or its fields as keyword arguments (``rule=``, ``identity=``, ``lateness_seconds=``).
    maps : mapping of journey type to JourneyMap, optional
        Designed journeys (stages, SLAs); default: the workspace's ``journey_maps.yaml``.
    """
    from journeylens.realtime.core import LiveCore
    from journeylens.realtime.rules.loader import load_workspace_rules

    query = query or ReplayQuery(**options)
    rules = rules if rules is not None else load_workspace_rules(ws)
    if query.rule is not None:
        rules = rules.only(query.rule)
    core = LiveCore.from_workspace(
        ws,
        rules,
        clock="event",
        lateness_seconds=query.lateness_seconds,
        identity=query.identity,
        history=False,
        maps=maps,
    )
    moments: list[Moment] = []
    events = feedback = 0
    with steady_gc():
        for record in history(ws.backend, feedback=query.feedback):
            if isinstance(record, LiveEvent):
                events += 1
                fired = core.process(record)
            else:
                feedback += 1
                fired = core.process_feedback(record)
            if fired:
                moments.extend(fired)
    suppressed = {name: s.suppressed for name, s in core.engine.stats.items()}
    return Replay(
        query=query,
        moments=moments_table(moments),
        rules=_rule_table(rules, moments, suppressed),
        weekly=_weekly(moments),
        events=events,
        feedback=feedback,
        stats=core.describe(),
    )
