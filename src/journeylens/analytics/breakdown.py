"""Breakdown and recovery: where journeys break, whether and how fast they recover.

A **breakdown** is one step of a journey of one of three kinds (rules in the ``metrics:``
section of `journeylens.yaml`, see `journeylens.analytics.outcomes`):

- ``failure``: a step whose outcome is a failure (default ``failed``, ``error``,
  ``unresolved``, ``rejected``) or whose activity matches ``failures.activities``;
- ``escalation``: an assisted contact right after a failure on a self-service channel, or an
  activity matching ``escalation.activities``;
- ``abandonment``: the last step of an abandoned journey (the point where the customer gave up).

A breakdown is **recovered** when a later step of the same journey is a recovery (its outcome
is one of ``recovery.outcomes``, default ``success``, ``resolved``, ``completed``, or it meets
the journey definition's success criterion); an escalation also counts as recovered when the
escalated contact itself is one (a call that resolved the problem: 0 seconds). The first such
step is *the* recovery: its channel, activity and the seconds from the breakdown to it. An
abandonment point is never recovered (nothing follows it). The outcome after recovery is the
journey's ``status`` and ``success``.

Examples
--------
>>> BreakdownQuery(kinds=("failure",)).kinds
('failure',)
>>> BreakdownQuery(kinds=("oops",))
Traceback (most recent call last):
...
ValueError: unknown breakdown kind 'oops'; choose from failure, escalation, abandonment
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from journeylens.analytics.labels import LABELS, Label, labelled
from journeylens.analytics.metrics import scoped_journeys
from journeylens.analytics.outcomes import marked
from journeylens.config import JourneyDefinition, MetricsSettings
from journeylens.frame import Frame
from journeylens.palette import PALETTE
from journeylens.store.backends import Backend

if TYPE_CHECKING:
    import plotly.graph_objects as go

KINDS = ("failure", "escalation", "abandonment")

#: Columns of one breakdown (``Breakdowns.breakdowns``).
BREAKDOWN_COLUMNS = (
    "journey_key",
    "journey_type",
    "kind",
    "label",
    "step",
    "ts",
    "channel",
    "recovered",
    "recovery_step",
    "recovery_ts",
    "recovery_channel",
    "recovery_activity",
    "seconds_to_recover",
    "status",
    "success",
)

POINTS_SCHEMA = pa.schema(
    [
        ("kind", pa.string()),
        ("label", pa.string()),
        ("breakdowns", pa.int64()),
        ("journeys", pa.int64()),
        ("recovered", pa.int64()),
        ("recovery_rate", pa.float64()),
        ("median_seconds_to_recover", pa.float64()),
        ("p90_seconds_to_recover", pa.float64()),
        ("recovery_channels", pa.list_(pa.string())),
        ("top_recovery_channel", pa.string()),
        ("top_recovery_share", pa.float64()),
        ("success_after_recovery", pa.float64()),
        ("success_without_recovery", pa.float64()),
    ]
)

CHANNELS_SCHEMA = pa.schema(
    [
        ("kind", pa.string()),
        ("label", pa.string()),
        ("recovery_channel", pa.string()),
        ("recoveries", pa.int64()),
        ("share", pa.float64()),
    ]
)


@dataclass(frozen=True)
class BreakdownQuery:
    """Which breakdowns.

    Parameters
    ----------
    by : {"activity", "channel", "activity@channel"}
        What names a breakdown point.
    journey_type : str, optional
        Only journeys of this type.
    kinds : tuple of str
        Kinds of breakdown to find (``failure``, ``escalation``, ``abandonment``).
    top_channels : int
        Recovery channels to list per breakdown point.
    settings : MetricsSettings
        The failure, escalation and recovery rules.
    definitions : sequence of JourneyDefinition
        Journey definitions, whose success criteria also mark recoveries.
    """

    by: Label = "activity"
    journey_type: str | None = None
    kinds: tuple[str, ...] = KINDS
    top_channels: int = 3
    settings: MetricsSettings = field(default_factory=MetricsSettings)
    definitions: Sequence[JourneyDefinition] = ()

    def __post_init__(self) -> None:
        if self.by not in LABELS:
            raise ValueError(f"unknown label '{self.by}'; choose one of {', '.join(LABELS)}")
        for kind in self.kinds:
            if kind not in KINDS:
                raise ValueError(f"unknown breakdown kind '{kind}'; choose from {', '.join(KINDS)}")
        if not self.kinds:
            raise ValueError(f"no breakdown kinds asked for; choose from {', '.join(KINDS)}")
        if self.top_channels < 1:
            raise ValueError("top_channels must be at least 1")


@dataclass
class Breakdowns:
    """Breakdown points, most frequent first, and every breakdown (computed when read).

    ``table``: ``kind``, ``label``, ``breakdowns``, ``journeys``, ``recovered``,
    ``recovery_rate``, ``median_seconds_to_recover``, ``p90_seconds_to_recover``,
    ``recovery_channels`` (the most frequent first), ``top_recovery_channel``,
    ``top_recovery_share`` (of the recoveries), ``success_after_recovery`` and
    ``success_without_recovery`` (share of those journeys that succeeded).
    ``channels``: ``kind``, ``label``, ``recovery_channel``, ``recoveries``, ``share``.
    """

    query: BreakdownQuery
    table: pa.Table
    channels: pa.Table
    breakdowns: Frame

    def to_frame(self) -> pd.DataFrame:
        """The breakdown points."""
        frame: pd.DataFrame = self.table.to_pandas()
        return frame

    def figure(self, top: int = 15) -> go.Figure:
        """Horizontal bars of the ``top`` breakdown points, recovered and not stacked."""
        import plotly.graph_objects as go

        frame = self.to_frame().head(top)
        names = [f"{k}: {label}" for k, label in zip(frame["kind"], frame["label"], strict=True)]
        fig = go.Figure()
        fig.add_bar(
            y=names,
            x=frame["recovered"],
            name="recovered",
            orientation="h",
            marker_color=PALETTE[2],
        )
        fig.add_bar(
            y=names,
            x=frame["breakdowns"] - frame["recovered"],
            name="not recovered",
            orientation="h",
            marker_color=PALETTE[3],
        )
        fig.update_layout(
            barmode="stack",
            title="where journeys break down",
            xaxis={"title": "breakdowns"},
            yaxis={"autorange": "reversed", "automargin": True},
            height=max(300, 120 + 28 * len(names)),
            template="plotly_white",
        )
        return fig


def breakdowns_expr(backend: Backend, query: BreakdownQuery) -> ir.Table:
    """One row per breakdown with its recovery (see the module docstring)."""
    journeys = scoped_journeys(backend, query.journey_type)
    steps = backend.table("journey_steps").semi_join(journeys.select("journey_key"), "journey_key")
    steps = labelled(marked(steps, query.settings, query.definitions), query.by)
    recovering = ibis.cases((steps.recovery, steps.step), else_=ibis.null("int64"))
    steps = steps.mutate(
        _after=recovering.min().over(
            ibis.window(group_by=steps.journey_key, order_by=steps.step, rows=(1, None))
        ),
        _from_here=recovering.min().over(
            ibis.window(group_by=steps.journey_key, order_by=steps.step, rows=(0, None))
        ),
    )
    facts = journeys.select(
        "journey_key", "journey_type", "status", "success", _last_step=journeys.steps
    )
    steps = steps.join(facts, "journey_key")
    flags = {
        "failure": steps.failure,
        "escalation": steps.escalation,
        "abandonment": (steps.status == "abandoned") & (steps.step == steps._last_step),
    }
    found = ibis.union(
        *[steps.filter(flags[kind]).mutate(kind=ibis.literal(kind)) for kind in query.kinds]
    )
    found = found.mutate(
        recovery_step=ibis.cases(
            (found.kind == "failure", found._after),
            (found.kind == "escalation", found._from_here),
            else_=ibis.null("int64"),
        )
    )
    all_steps = backend.table("journey_steps")
    recovery = all_steps.select(
        "journey_key",
        recovery_step=all_steps.step,
        recovery_ts=all_steps.ts,
        recovery_channel=all_steps.channel,
        recovery_activity=all_steps.activity,
    )
    joined = found.left_join(recovery, ["journey_key", "recovery_step"])
    seconds = (joined.recovery_ts.epoch_seconds() - joined.ts.epoch_seconds()).cast("float64")
    return joined.select(
        "journey_key",
        "journey_type",
        "kind",
        "label",
        "step",
        "ts",
        "channel",
        recovered=joined.recovery_step.notnull(),
        recovery_step=joined.recovery_step,
        recovery_ts=joined.recovery_ts,
        recovery_channel=joined.recovery_channel,
        recovery_activity=joined.recovery_activity,
        seconds_to_recover=seconds,
        status=joined.status,
        success=joined.success,
    )


def _points(found: ir.Table) -> ir.Table:
    recovered = found.recovered
    return found.group_by(["kind", "label"]).aggregate(
        breakdowns=found.count(),
        journeys=found.journey_key.nunique(),
        recovered=recovered.cast("int64").sum(),
        median_seconds_to_recover=found.seconds_to_recover.median(),
        p90_seconds_to_recover=found.seconds_to_recover.quantile(0.9),
        success_after_recovery=found.success.cast("float64").mean(where=recovered),
        success_without_recovery=found.success.cast("float64").mean(where=~recovered),
    )


def _channels(found: ir.Table) -> ir.Table:
    done = found.filter(found.recovered)
    return done.group_by(["kind", "label", "recovery_channel"]).aggregate(recoveries=done.count())


def breakdowns(backend: Backend, query: BreakdownQuery | None = None) -> Breakdowns:
    """Find the breakdowns of the workspace's journeys and their recoveries."""
    query = query or BreakdownQuery()
    found = breakdowns_expr(backend, query)
    points = backend.to_pandas(_points(found))
    channels = backend.to_pandas(_channels(found))
    points["recovery_rate"] = points["recovered"] / points["breakdowns"]
    channels["share"] = channels["recoveries"] / channels.groupby(["kind", "label"])[
        "recoveries"
    ].transform("sum")
    channels = channels.sort_values(
        ["kind", "label", "recoveries", "recovery_channel"], ascending=[True, True, False, True]
    ).reset_index(drop=True)
    listed = channels.groupby(["kind", "label"], sort=False)
    top = listed.head(1).set_index(["kind", "label"])
    names = listed["recovery_channel"].agg(lambda s: list(s)[: query.top_channels])
    keyed = points.set_index(["kind", "label"])
    keyed["recovery_channels"] = names.reindex(keyed.index)
    keyed["top_recovery_channel"] = top["recovery_channel"].reindex(keyed.index)
    keyed["top_recovery_share"] = top["share"].reindex(keyed.index)
    keyed["recovery_channels"] = [
        v if isinstance(v, list) else [] for v in keyed["recovery_channels"]
    ]
    table = keyed.reset_index().sort_values(
        ["breakdowns", "kind", "label"], ascending=[False, True, True]
    )
    table = table[list(POINTS_SCHEMA.names)]
    channels = channels[list(CHANNELS_SCHEMA.names)]
    return Breakdowns(
        query,
        pa.Table.from_pandas(table, schema=POINTS_SCHEMA, preserve_index=False),
        pa.Table.from_pandas(channels, schema=CHANNELS_SCHEMA, preserve_index=False),
        Frame(backend, found.order_by(["journey_key", "step", "kind"])),
    )
