"""Journey features: one row per journey of interpretable measures, for key-driver analysis.

Computed with Ibis on the workspace's engine (one expression over ``journeys``,
``journey_steps`` and ``events``), from a plan of which features exist
(`journeylens.voc.feature_plan`):

========================  ==================================================================
``steps``, ``channels``,  the journey's measures (`journeylens.journeys.summarise`); counts
``handoffs``,
``repeat_contacts``,
``assisted_contacts``
``duration_hours``        last step minus first step, in hours
``channel_<c>``           1 when the journey used channel *c* (channels used by at least
                          ``min_share`` of the journeys)
``start_<c>``             1 when the journey started on channel *c* (one level per journey)
``type_<t>``              1 for journeys of type *t* (only when no ``journey_type`` is chosen)
``activity_<a>``          1 when the journey has activity *a* (the ``activities`` most frequent)
``<key>_sum``,            the sum and maximum over the journey's events of a numeric JSON
``<key>_max``             event attribute (``wait_seconds_sum``); a key that occurs at most
                          once per journey gives one column ``<key>`` (null when absent);
                          a boolean key gives a 0/1 flag
``journey_<key>``         a numeric key of the journey attributes (XES trace, ``case:`` columns)
``off_path``,             conformance to the designed journey (`analytics.conformance`) when
``skipped``, ``loops``,   journey maps are given or ``journey_maps.yaml`` is in the workspace;
``sla_breach``,           null for journeys of a type without a map
``fitness``,
``deviation_<n>``
``theme_<n>``             1 when feedback linked to the journey has theme *n*
                          (``feedback_themes``, when that table exists)
========================  ==================================================================

Beside the features, each row has ``journey_key``, ``customer_key``, ``journey_type``,
``start_ts``, ``status``, ``success`` and ``abandoned`` (outcomes a driver analysis can explain).

Examples
--------
>>> FeaturesQuery(activities=5).aggregates
('sum', 'max')
>>> FeaturesQuery(aggregates=("mean",))
Traceback (most recent call last):
...
ValueError: aggregates ('mean',) must be among sum, max
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from journeylens.analytics.journey_maps import JourneyMaps
from journeylens.analytics.metrics import scoped_journeys
from journeylens.analytics.segments import json_value
from journeylens.palette import PALETTE
from journeylens.store.backends import Backend
from journeylens.voc.feature_plan import (
    AGGREGATES,
    AttributeKey,
    Feature,
    FeaturePlan,
    conformance_table,
    frequent,
    identifier,
    numeric_keys,
    themes_table,
)

if TYPE_CHECKING:
    import plotly.graph_objects as go

#: Columns of every row beside the features.
ID_COLUMNS = (
    "journey_key",
    "customer_key",
    "journey_type",
    "start_ts",
    "status",
    "success",
    "abandoned",
)

#: The journey's own measures, as features.
MEASURES = (
    ("repeat_contacts", "repeat contacts"),
    ("handoffs", "hand-offs (channel switches)"),
    ("assisted_contacts", "assisted contacts"),
    ("steps", "steps"),
    ("channels", "channels used"),
)


@dataclass(frozen=True)
class FeaturesQuery:
    """Which journeys, and which features beside the journey measures.

    Parameters
    ----------
    journey_type : str, optional
        Only journeys of this type (and no ``type_*`` flags).
    activities : int
        Flags for this many of the most frequent activities (0 for none).
    min_share : float
        A channel, start channel, type or activity gets a flag when at least this share of the
        journeys has it.
    event_attributes, journey_attributes : tuple of str, optional
        Numeric JSON keys to use; None finds them in a sample of ``sample_rows`` rows.
    aggregates : tuple of {"sum", "max"}
        How numeric event attributes are summarised per journey.
    maps : JourneyMaps, optional
        Journey maps for conformance features (the workspace method reads
        ``journey_maps.yaml`` when present).
    deviations : int
        Flags for this many of the most frequent deviations from the maps.
    themes : bool
        Add theme flags when the ``feedback_themes`` table exists.
    top_themes : int
        At most this many theme flags.
    sample_rows : int
        Rows read to find the numeric attribute keys.
    """

    journey_type: str | None = None
    activities: int = 10
    min_share: float = 0.01
    event_attributes: tuple[str, ...] | None = None
    journey_attributes: tuple[str, ...] | None = None
    aggregates: tuple[str, ...] = ("sum", "max")
    maps: JourneyMaps | None = field(default=None, compare=False)
    deviations: int = 10
    themes: bool = True
    top_themes: int = 10
    sample_rows: int = 20_000

    def __post_init__(self) -> None:
        if not set(self.aggregates) <= set(AGGREGATES) or not self.aggregates:
            raise ValueError(
                f"aggregates {tuple(self.aggregates)} must be among {', '.join(AGGREGATES)}"
            )
        if self.activities < 0 or self.deviations < 0 or self.top_themes < 0:
            raise ValueError("activities, deviations and top_themes must be 0 or more")
        if not 0 <= self.min_share < 1:
            raise ValueError(f"min_share must be in [0, 1) (got {self.min_share})")
        if self.maps is not None and not isinstance(self.maps, JourneyMaps):
            raise ValueError("maps must be JourneyMaps (load_journey_maps(path)) or None")


@dataclass
class JourneyFeatures:
    """One row per journey (``table``) and what each feature column means (``features``)."""

    query: FeaturesQuery
    table: pa.Table
    features: tuple[Feature, ...]

    def to_frame(self) -> pd.DataFrame:
        """One row per journey."""
        frame: pd.DataFrame = self.table.to_pandas()
        return frame

    def catalogue(self) -> pd.DataFrame:
        """One row per feature: ``name``, ``label``, ``kind``, ``source``, ``group``, ``mean``
        (the share of journeys for a flag) and ``missing`` (journeys without a value)."""
        frame = self.to_frame()
        rows = [
            {
                **f.__dict__,
                "mean": float(frame[f.name].mean()) if len(frame) else None,
                "missing": int(frame[f.name].isna().sum()),
            }
            for f in self.features
        ]
        return pd.DataFrame(
            rows, columns=["name", "label", "kind", "source", "group", "mean", "missing"]
        )

    def figure(self) -> go.Figure:
        """The share of journeys with each flag, as horizontal bars."""
        import plotly.graph_objects as go

        shares = self.catalogue()
        shares = shares[shares["kind"] == "flag"].sort_values("mean")
        fig = go.Figure(
            go.Bar(
                x=shares["mean"],
                y=shares["label"],
                orientation="h",
                marker_color=PALETTE[0],
                hovertemplate="%{y}: %{x:.1%} of journeys<extra></extra>",
            )
        )
        fig.update_layout(
            title=f"journey features ({len(self.table):,} journeys): share with each flag",
            xaxis={"tickformat": ".0%"},
            template="plotly_white",
            height=max(320, 22 * len(shares) + 120),
        )
        return fig


def plan_features(
    backend: Backend, query: FeaturesQuery, journeys: ir.Table | None = None
) -> FeaturePlan:
    """Find the features the workspace supports (small aggregate queries) among ``journeys``
    (rows of the journeys table; by default every journey in the query's scope)."""
    plan = FeaturePlan()
    journeys = scoped_journeys(backend, query.journey_type) if journeys is None else journeys
    steps = backend.table("journey_steps").semi_join(journeys.select("journey_key"), "journey_key")
    for column, label in MEASURES:
        plan.add(column, label, "count", "journey")
    plan.add("duration_hours", "duration (hours)", "numeric", "journey")
    plan.channels = frequent(backend, steps, "channel", query.min_share)
    plan.start_channels = frequent(backend, journeys, "first_channel", query.min_share)
    if query.journey_type is None:
        plan.types = frequent(backend, journeys, "journey_type", query.min_share)
    if query.activities:
        plan.activities = frequent(backend, steps, "activity", query.min_share)[: query.activities]
    events = backend.table("events").select("event_id", "attributes", "journey_attributes")
    stepped = steps.select("journey_key", "event_id").join(events, "event_id")
    plan.event_keys = numeric_keys(
        backend, stepped, "attributes", query.event_attributes, query.sample_rows
    )
    first = stepped.semi_join(steps.filter(steps.step == 1).select("event_id"), "event_id")
    plan.journey_keys = [
        k
        for k in numeric_keys(
            backend, first, "journey_attributes", query.journey_attributes, query.sample_rows
        )
        if k.numeric
    ]
    _name_flags(plan, query)
    if query.maps is not None:
        table = conformance_table(backend, query.maps, query.journey_type, query.deviations, plan)
        if table is not None:
            plan.extras.append(table)
    if query.themes:
        table = themes_table(backend, journeys, query.top_themes, plan)
        if table is not None:
            plan.extras.append(table)
    return plan


def _name_flags(plan: FeaturePlan, query: FeaturesQuery) -> None:
    for c in plan.channels:
        plan.add(f"channel_{identifier(c)}", f"used channel: {c}", "flag", "channel")
    for c in plan.start_channels:
        plan.add(f"start_{identifier(c)}", f"started on: {c}", "flag", "start_channel", "start")
    for t in plan.types:
        plan.add(f"type_{identifier(t)}", f"journey type: {t}", "flag", "journey_type", "type")
    for a in plan.activities:
        plan.add(f"activity_{identifier(a)}", f"activity: {a}", "flag", "activity")
    for k in plan.event_keys:
        if not k.numeric:
            label = k.key if k.once else f"{k.key} (any event)"
            plan.add(identifier(k.key), label, "flag", "event_attribute")
        elif k.once:
            plan.add(identifier(k.key), k.key, "numeric", "event_attribute")
        else:
            for how in query.aggregates:
                name = f"{identifier(k.key)}_{how}"
                plan.add(name, f"{k.key} ({how} over the journey)", "numeric", "event_attribute")
    for k in plan.journey_keys:
        plan.add(
            f"journey_{identifier(k.key)}",
            f"journey attribute: {k.key}",
            "numeric",
            "journey_attribute",
        )


def _names(plan: FeaturePlan, source: str) -> list[str]:
    return [f.name for f in plan.features if f.source == source]


def _flag(condition: ir.BooleanValue) -> ir.IntegerValue:
    flag: ir.IntegerValue = ibis.coalesce(condition, False).cast("int64")
    return flag


def _attribute_value(column: ir.StringValue, key: AttributeKey) -> ir.FloatingValue:
    raw = json_value(column, key.key)
    if key.numeric:
        number: ir.FloatingValue = raw.strip().try_cast("float64")
        return number
    text = raw.strip().lower()
    truth: ir.FloatingValue = ibis.cases(
        (text == "true", 1.0), (text == "false", 0.0), else_=ibis.null("float64")
    )
    return truth


def features_expr(
    backend: Backend, query: FeaturesQuery, plan: FeaturePlan, journeys: ir.Table | None = None
) -> ir.Table:
    """One row per journey (of ``journeys``, by default every journey in the query's scope)
    with every planned feature (see the module docstring)."""
    journeys = scoped_journeys(backend, query.journey_type) if journeys is None else journeys
    steps = backend.table("journey_steps").semi_join(journeys.select("journey_key"), "journey_key")
    base = journeys.select(
        *ID_COLUMNS[:6],
        abandoned=ibis.cases(
            (journeys.status == "open", ibis.null(bool)), else_=journeys.status == "abandoned"
        ),
        **{name: journeys[name].cast("int64") for name, _ in MEASURES},
        duration_hours=journeys.duration_seconds.cast("float64") / 3600.0,
        **{
            n: _flag(journeys.first_channel == c)
            for n, c in zip(_names(plan, "start_channel"), plan.start_channels, strict=True)
        },
        **{
            n: _flag(journeys.journey_type == t)
            for n, t in zip(_names(plan, "journey_type"), plan.types, strict=True)
        },
    )
    flags = {
        **{
            n: steps.channel == c
            for n, c in zip(_names(plan, "channel"), plan.channels, strict=True)
        },
        **{
            n: steps.activity == a
            for n, a in zip(_names(plan, "activity"), plan.activities, strict=True)
        },
    }
    if flags:
        per_step = steps.group_by("journey_key").aggregate(
            **{n: _flag(c).max() for n, c in flags.items()}
        )
        base = _left(base, per_step)
    base = _attributes(backend, base, steps, plan, query)
    for extra in plan.extras:
        table = ibis.memtable(extra)
        base = _left(base, table)
        themes = [n for n in extra.column_names if n in _names(plan, "theme")]
        if themes:
            base = base.mutate(**{n: ibis.coalesce(base[n], 0) for n in themes})
    return base.select(*ID_COLUMNS, *[f.name for f in plan.features])


def _left(left: ir.Table, right: ir.Table) -> ir.Table:
    right = right.rename(_right_key="journey_key")
    joined = left.left_join(right, left.journey_key == right._right_key)
    return joined.drop("_right_key")


def _attributes(
    backend: Backend, base: ir.Table, steps: ir.Table, plan: FeaturePlan, query: FeaturesQuery
) -> ir.Table:
    events = backend.table("events").select("event_id", "attributes", "journey_attributes")
    if plan.event_keys:
        rows = steps.select("journey_key", "event_id").join(events, "event_id")
        values = rows.mutate(
            **{
                f"_v{i}": _attribute_value(rows.attributes, k)
                for i, k in enumerate(plan.event_keys)
            }
        )
        names = iter(_names(plan, "event_attribute"))
        metrics: dict[str, ir.Value] = {}
        sums: list[str] = []
        for i, key in enumerate(plan.event_keys):
            value = values[f"_v{i}"]
            if not key.numeric or key.once:
                metrics[next(names)] = value.max()
            else:
                for how in query.aggregates:
                    name = next(names)
                    metrics[name] = value.sum() if how == "sum" else value.max()
                    if how == "sum":
                        sums.append(name)
        per_journey = values.group_by("journey_key").aggregate(**metrics)
        base = _left(base, per_journey)
        base = base.mutate(**{n: ibis.coalesce(base[n], 0.0) for n in sums})
    if plan.journey_keys:
        first = (
            steps.filter(steps.step == 1).select("journey_key", "event_id").join(events, "event_id")
        )
        names = iter(_names(plan, "journey_attribute"))
        per_journey = first.select(
            "journey_key",
            **{
                next(names): _attribute_value(first.journey_attributes, k)
                for k in plan.journey_keys
            },
        )
        base = _left(base, per_journey)
    return base


def journey_features(backend: Backend, query: FeaturesQuery | None = None) -> JourneyFeatures:
    """Compute the features of every journey in scope (materialised as Arrow)."""
    query = query or FeaturesQuery()
    plan = plan_features(backend, query)
    expr = features_expr(backend, query, plan)
    table = backend.to_arrow(expr.order_by("journey_key"))
    return JourneyFeatures(query, table, tuple(plan.features))
