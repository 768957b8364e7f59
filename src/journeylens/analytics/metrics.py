"""Journey metrics: per journey and per segment, with effort, success and friction as three
comparable 0-100 faces (effortless, productive, painless).

Per journey (the formulas; weights from the ``metrics:`` section of `journeylens.yaml`):

- ``failures``: steps that are failures (`journeylens.analytics.outcomes`);
  ``long_gaps``: waits between consecutive steps longer than ``friction.long_gap``;
- ``abandoned``: status is abandoned (null while the journey is open);
- ``fcr`` (first-contact resolution): true when the journey had exactly one assisted contact
  and succeeded, false when it had assisted contacts otherwise; null without assisted
  contacts or without a success criterion;
- ``effort`` = w_steps·steps + w_handoffs·handoffs + w_repeat·repeat_contacts +
  w_assisted·assisted_contacts + w_days·duration_seconds/86400 (effort points; the weights are
  ``metrics.effort.*``);
- ``friction`` = w_failures·failures + w_repeat·repeat_contacts + w_abandoned·abandoned +
  w_long_gaps·long_gaps (friction points; ``metrics.friction.*``);
- ``effortless`` = 100·max(0, 1 - effort / effort.scale); ``painless`` = 100·max(0, 1 -
  friction / friction.scale); ``productive`` = 100 when the journey succeeded, 0 when not,
  null when unknown.

Per segment: ``journeys``, ``median_seconds``/``p90_seconds`` of duration, the means of
``steps``, ``channels``, ``handoffs``, ``repeat_contacts``, ``assisted_contacts``, ``effort``
and ``friction``, ``fcr_rate``, ``success_rate``, ``abandonment_rate`` (rates over the journeys
where the value is known) and the mean of each face.

Examples
--------
>>> MetricsQuery(by="attribute:segment", period="month").segment.name
'segment'
>>> MetricsQuery(period="day")
Traceback (most recent call last):
...
ValueError: period 'day' is not one of week, month (or None for no trend)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from journeylens.analytics.outcomes import marked
from journeylens.analytics.segments import Segment, parse_segment, period_label, segment_table
from journeylens.config import JourneyDefinition, MetricsSettings
from journeylens.frame import Frame
from journeylens.palette import PALETTE
from journeylens.store.backends import Backend

if TYPE_CHECKING:
    import plotly.graph_objects as go


#: The three faces, in the order they are drawn.
FACES = ("effortless", "productive", "painless")

#: Group name when no segment is asked for.
ALL = "all"

PERIODS = ("week", "month")

#: Per-journey numeric metrics a segment or a week can be summarised by (mean of each).
JOURNEY_METRICS = (
    "duration_seconds",
    "steps",
    "channels",
    "handoffs",
    "repeat_contacts",
    "assisted_contacts",
    "failures",
    "long_gaps",
    "effort",
    "friction",
    "fcr",
    "success",
    "abandoned",
    *FACES,
)


@dataclass(frozen=True)
class MetricsQuery:
    """Which journeys, grouped how.

    Parameters
    ----------
    by : str, optional
        A segment (`journeylens.analytics.segments`), e.g. ``journey_type``, ``channel``,
        ``attribute:segment``; None puts every journey in one group, ``all``.
    journey_type : str, optional
        Only journeys of this type.
    period : {"week", "month"}, optional
        Also split each segment by the week or month the journeys started (a trend).
    settings : MetricsSettings
        Weights and rules (the ``metrics:`` section of `journeylens.yaml`).
    definitions : sequence of JourneyDefinition
        The journey definitions (their success criteria mark recovering steps).
    """

    by: str | None = "journey_type"
    journey_type: str | None = None
    period: str | None = None
    settings: MetricsSettings = field(default_factory=MetricsSettings)
    definitions: Sequence[JourneyDefinition] = ()

    def __post_init__(self) -> None:
        if self.by is not None:
            parse_segment(self.by)
        if self.period is not None and self.period not in PERIODS:
            raise ValueError(
                f"period '{self.period}' is not one of {', '.join(PERIODS)} (or None for no trend)"
            )

    @property
    def segment(self) -> Segment | None:
        """The parsed segment (None for one group of all journeys)."""
        return None if self.by is None else parse_segment(self.by)


@dataclass
class JourneyMetrics:
    """Metrics per segment (``table``) and per journey (``journeys``, computed when read).

    ``table``: ``segment``, ``period`` (when asked for), ``journeys``, ``median_seconds``,
    ``p90_seconds``, ``steps``, ``channels``, ``handoffs``, ``repeat_contacts``,
    ``assisted_contacts``, ``fcr_rate``, ``success_rate``, ``abandonment_rate``, ``effort``,
    ``friction``, ``effortless``, ``productive``, ``painless``.
    """

    query: MetricsQuery
    table: pa.Table
    journeys: Frame

    def to_frame(self) -> pd.DataFrame:
        """The metrics per segment (and period)."""
        frame: pd.DataFrame = self.table.to_pandas()
        return frame

    def figure(self, metric: str = "effortless") -> go.Figure:
        """The three faces per segment as grouped bars; with a period, ``metric`` over time
        with one line per segment."""
        import plotly.graph_objects as go

        frame = self.to_frame()
        fig = go.Figure()
        if self.query.period is None:
            for colour, face in zip(PALETTE, FACES, strict=False):
                fig.add_bar(x=frame["segment"], y=frame[face], name=face, marker_color=colour)
            fig.update_layout(barmode="group", yaxis={"title": "score (0-100)", "range": [0, 100]})
        else:
            for i, (name, rows) in enumerate(frame.groupby("segment", sort=True)):
                fig.add_scatter(
                    x=rows["period"],
                    y=rows[metric],
                    mode="lines+markers",
                    name=str(name),
                    line={"color": PALETTE[i % len(PALETTE)]},
                )
            fig.update_layout(yaxis={"title": metric}, xaxis={"title": self.query.period})
        fig.update_layout(
            title=f"journey metrics by {self.query.by or ALL}", template="plotly_white"
        )
        return fig


def _per_journey_steps(steps: ir.Table, query: MetricsQuery) -> ir.Table:
    table = marked(steps, query.settings, query.definitions)
    long_gap = query.settings.friction.long_gap_seconds
    return table.group_by("journey_key").aggregate(
        failures=table.failure.cast("int64").sum(),
        long_gaps=(ibis.coalesce(table.gap, 0.0) > long_gap).cast("int64").sum(),
    )


def _real(value: ir.Value) -> ir.FloatingValue:
    """``value`` as a double before any arithmetic with a literal: Spark reads ``1.5`` as a
    decimal, and an integer divided by a decimal is rounded to a few places."""
    real: ir.FloatingValue = value.cast("float64")
    return real


def journey_metrics_expr(steps: ir.Table, journeys: ir.Table, query: MetricsQuery) -> ir.Table:
    """The journeys table with every per-journey metric (see the module docstring)."""
    effort_w, friction_w = query.settings.effort, query.settings.friction
    table = journeys.join(_per_journey_steps(steps, query), "journey_key")
    abandoned = ibis.cases(
        (table.status == "open", ibis.null(bool)), else_=table.status == "abandoned"
    )
    fcr = ibis.cases(
        ((table.assisted_contacts == 0) | table.success.isnull(), ibis.null(bool)),
        else_=(table.assisted_contacts == 1) & table.success,
    )
    effort = (
        _real(table.steps) * effort_w.steps
        + _real(table.handoffs) * effort_w.handoffs
        + _real(table.repeat_contacts) * effort_w.repeat_contacts
        + _real(table.assisted_contacts) * effort_w.assisted_contacts
        + _real(table.duration_seconds) / 86400.0 * effort_w.duration_days
    )
    friction = (
        _real(table.failures) * friction_w.failures
        + _real(table.repeat_contacts) * friction_w.repeat_contacts
        + _real(ibis.coalesce(abandoned, False)) * friction_w.abandoned
        + _real(table.long_gaps) * friction_w.long_gaps
    )
    table = table.mutate(abandoned=abandoned, fcr=fcr, effort=effort, friction=friction)
    return table.mutate(
        effortless=100.0 * ibis.greatest(0.0, 1.0 - table.effort / effort_w.scale),
        productive=table.success.cast("float64") * 100.0,
        painless=100.0 * ibis.greatest(0.0, 1.0 - table.friction / friction_w.scale),
    )


def scoped_journeys(backend: Backend, journey_type: str | None) -> ir.Table:
    """The workspace's journeys, of one type when ``journey_type`` is given."""
    journeys = backend.table("journeys")
    if journey_type is not None:
        journeys = journeys.filter(journeys.journey_type == journey_type)
    return journeys


def per_journey(backend: Backend, query: MetricsQuery) -> ir.Table:
    """Every journey in the query's scope with its metrics, as an expression."""
    journeys = scoped_journeys(backend, query.journey_type)
    steps = backend.table("journey_steps").semi_join(journeys.select("journey_key"), "journey_key")
    return journey_metrics_expr(steps, journeys, query)


def with_segment(
    backend: Backend, table: ir.Table, by: str | None, journey_type: str | None = None
) -> ir.Table:
    """``table`` (keyed by ``journey_key``) with a ``segment`` column (``all`` when by is None);
    with the ``channel`` segment a journey appears once per channel it used. The groups are
    computed on the stored journeys (of ``journey_type``), not on ``table``, so that a costly
    ``table`` expression is not evaluated twice."""
    if by is None:
        return table.mutate(segment=ibis.literal(ALL))
    groups = segment_table(backend, by, scoped_journeys(backend, journey_type))
    return table.join(groups, "journey_key")


def _mean(value: ir.Value) -> ir.FloatingScalar:
    return value.cast("float64").mean()


def aggregate_expr(table: ir.Table, keys: list[str]) -> ir.Table:
    """The per-segment summary of per-journey metrics grouped by ``keys``."""
    return table.group_by(keys).aggregate(
        journeys=table.count(),
        median_seconds=table.duration_seconds.median(),
        p90_seconds=table.duration_seconds.quantile(0.9),
        steps=_mean(table.steps),
        channels=_mean(table.channels),
        handoffs=_mean(table.handoffs),
        repeat_contacts=_mean(table.repeat_contacts),
        assisted_contacts=_mean(table.assisted_contacts),
        fcr_rate=_mean(table.fcr),
        success_rate=_mean(table.success),
        abandonment_rate=_mean(table.abandoned),
        effort=_mean(table.effort),
        friction=_mean(table.friction),
        effortless=_mean(table.effortless),
        productive=_mean(table.productive),
        painless=_mean(table.painless),
    )


def metrics(backend: Backend, query: MetricsQuery | None = None) -> JourneyMetrics:
    """Compute journey metrics per journey and per segment."""
    query = query or MetricsQuery()
    journeys = per_journey(backend, query)
    grouped = with_segment(backend, journeys, query.by, query.journey_type)
    keys = ["segment"]
    order: list[Any] = [ibis.desc("journeys"), "segment"]
    if query.period is not None:
        grouped = grouped.mutate(period=period_label(grouped.start_ts, query.period))
        keys = ["segment", "period"]
        order = ["segment", "period"]
    table = backend.to_arrow(aggregate_expr(grouped, keys).order_by(order))
    return JourneyMetrics(
        query, table, Frame(backend, journeys.order_by(["start_ts", "journey_key"]))
    )
