"""Consistency: how much a journey metric varies across groups and over weeks, with drift flags.

**Across groups.** Each group (a segment: channel, journey type, customer segment …) gets the
mean of the metric over its journeys (for ``journeys``, the mean weekly volume over eligible
weeks); the spread across groups is the coefficient of variation of those group values,
``cv = std / mean`` (population standard deviation), with the lowest and highest group.

**Over time.** Each group gets a weekly series (weeks start on Monday; a journey counts in the
week it started): the metric's mean over the week's journeys, or for ``journeys`` the number of
journeys (weeks without journeys count 0). A week is **drift** when its value lies outside

    baseline ± k · max(1.4826 · MAD, noise)

where *baseline* is the median of the previous ``weeks`` eligible weeks of its group, *MAD* the
median absolute deviation of those weeks from it (1.4826·MAD estimates a standard deviation, so
k reads like a z-score), and *noise* the sampling noise a week of that size has anyway: for
``journeys`` √baseline (Poisson counts), for a mean √(v / n) with v the median within-week
variance of the metric over the baseline weeks and n the week's journeys. The noise floor keeps
small or calm series from flagging chance wobbles (MAD over a few weeks can be tiny).

Only *eligible* weeks are judged and form baselines: weeks whose seven days all lie within the
data (its first and last week are usually partial) and, for metrics other than ``journeys``,
weeks with at least ``min_volume`` journeys whose metric is known. A week is judged once
``min_weeks`` eligible weeks precede it. Drifted weeks stay in later baselines (median and MAD
resist a few). ``k``, ``weeks``, ``min_weeks`` and ``min_volume`` are ``metrics.drift`` in
`journeylens.yaml`.

Examples
--------
>>> [round(v, 3) for v in band([10, 11, 9, 10, 12], [0.0] * 5, 5, k=3, volume=True)]
[10.0, 0.513, 19.487]
>>> ConsistencyQuery(metric="wait")
Traceback (most recent call last):
...
ValueError: unknown metric 'wait'; choose one of journeys, duration_seconds, steps, channels, \
handoffs, repeat_contacts, assisted_contacts, failures, long_gaps, effort, friction, fcr, \
success, abandoned, effortless, productive, painless
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa

from journeylens.analytics.metrics import (
    JOURNEY_METRICS,
    MetricsQuery,
    per_journey,
    with_segment,
)
from journeylens.analytics.segments import parse_segment, period_label
from journeylens.config import JourneyDefinition, MetricsSettings
from journeylens.palette import PALETTE
from journeylens.store.backends import Backend

if TYPE_CHECKING:
    import plotly.graph_objects as go

#: Metrics whose consistency can be measured: weekly volume, or the mean of a journey metric.
METRICS = ("journeys", *JOURNEY_METRICS)

#: Scales the MAD to estimate a standard deviation under normality.
MAD_SCALE = 1.4826

WEEK = timedelta(days=7)

GROUPS_SCHEMA = pa.schema(
    [
        ("segment", pa.string()),
        ("journeys", pa.int64()),
        ("value", pa.float64()),
        ("weeks", pa.int64()),
        ("weekly_mean", pa.float64()),
        ("weekly_cv", pa.float64()),
        ("drift_weeks", pa.int64()),
    ]
)

WEEKLY_SCHEMA = pa.schema(
    [
        ("segment", pa.string()),
        ("week", pa.string()),
        ("journeys", pa.int64()),
        ("value", pa.float64()),
        ("partial", pa.bool_()),
        ("eligible", pa.bool_()),
        ("baseline", pa.float64()),
        ("low", pa.float64()),
        ("high", pa.float64()),
        ("drift", pa.bool_()),
        ("direction", pa.string()),
    ]
)


@dataclass(frozen=True)
class ConsistencyQuery:
    """Which metric, across which groups.

    Parameters
    ----------
    metric : str
        ``journeys`` (weekly volume) or a per-journey metric (its weekly mean).
    by : str, optional
        A segment (`journeylens.analytics.segments`); None for all journeys as one group.
    journey_type : str, optional
        Only journeys of this type.
    settings : MetricsSettings
        Weights (for effort, friction, faces) and the drift rule.
    definitions : sequence of JourneyDefinition
        The journey definitions.
    """

    metric: str = "journeys"
    by: str | None = "channel"
    journey_type: str | None = None
    settings: MetricsSettings = field(default_factory=MetricsSettings)
    definitions: Sequence[JourneyDefinition] = ()

    def __post_init__(self) -> None:
        if self.metric not in METRICS:
            raise ValueError(f"unknown metric '{self.metric}'; choose one of {', '.join(METRICS)}")
        if self.by is not None:
            parse_segment(self.by)


@dataclass
class Consistency:
    """Variation of one metric across groups and weeks.

    ``groups``: ``segment``, ``journeys``, ``value``, ``weeks`` (eligible), ``weekly_mean``,
    ``weekly_cv`` (variation over time), ``drift_weeks``. ``weekly``: ``segment``, ``week``,
    ``journeys``, ``value``, ``partial``, ``eligible``, ``baseline``, ``low``, ``high``,
    ``drift`` and ``direction`` (``up``/``down``). ``spread``: ``cv`` across the group values,
    ``lowest`` and ``highest`` group, ``groups``.
    """

    query: ConsistencyQuery
    groups: pa.Table
    weekly: pa.Table
    spread: dict[str, Any]

    def to_frame(self) -> pd.DataFrame:
        """The groups with their value and variation."""
        frame: pd.DataFrame = self.groups.to_pandas()
        return frame

    def drifts(self) -> pd.DataFrame:
        """The drifted weeks only."""
        weekly = self.weekly.to_pandas()
        frame: pd.DataFrame = weekly[weekly["drift"]].reset_index(drop=True)
        return frame

    def figure(self, groups: int = 8) -> go.Figure:
        """Weekly lines of the ``groups`` largest groups, drifted weeks marked."""
        import plotly.graph_objects as go

        weekly = self.weekly.to_pandas()
        fig = go.Figure()
        shown = self.to_frame()["segment"].head(groups).tolist()
        for i, name in enumerate(shown):
            rows = weekly[weekly["segment"] == name]
            colour = PALETTE[i % (len(PALETTE) - 1)]
            fig.add_scatter(
                x=rows["week"],
                y=rows["value"],
                mode="lines",
                name=str(name),
                line={"color": colour},
                legendgroup=str(name),
            )
            flagged = rows[rows["drift"]]
            fig.add_scatter(
                x=flagged["week"],
                y=flagged["value"],
                mode="markers",
                name=f"{name}: drift",
                marker={"color": colour, "symbol": "x", "size": 11, "line": {"width": 2}},
                legendgroup=str(name),
                showlegend=not flagged.empty,
            )
        fig.update_layout(
            title=f"{self.query.metric} by week"
            + (f" and {self.query.by}" if self.query.by else ""),
            xaxis={"title": "week"},
            yaxis={"title": self.query.metric},
            template="plotly_white",
        )
        return fig


def band(
    values: Sequence[float], variances: Sequence[float], journeys: int, *, k: float, volume: bool
) -> tuple[float, float, float]:
    """(baseline, low, high) for a week of ``journeys`` journeys after baseline weeks with
    ``values`` and within-week ``variances`` (see the module docstring)."""
    history = np.asarray(values, dtype=float)
    baseline = float(np.median(history))
    mad = float(np.median(np.abs(history - baseline))) * MAD_SCALE
    if volume:
        noise = math.sqrt(max(baseline, 1.0))
    else:
        known = [v for v in variances if v == v]  # drop NaN
        noise = math.sqrt(float(np.median(known)) / max(journeys, 1)) if known else 0.0
    half = k * max(mad, noise)
    return baseline, baseline - half, baseline + half


def _coverage(backend: Backend) -> tuple[date, date]:
    """The first and last day of the data (over all journeys of the workspace)."""
    journeys = backend.table("journeys")
    row = backend.to_arrow(
        journeys.aggregate(first=journeys.start_ts.min(), last=journeys.end_ts.max())
    ).to_pylist()[0]
    return row["first"].date(), row["last"].date()


def _series(frame: pd.DataFrame, query: ConsistencyQuery, first: date, last: date) -> pd.DataFrame:
    """Every week of every group in order, with eligibility, baseline band and drift."""
    rule = query.settings.drift
    volume = query.metric == "journeys"
    monday = first - timedelta(days=first.weekday())
    weeks: list[date] = []
    while monday <= last:
        weeks.append(monday)
        monday += WEEK
    labels = [w.isoformat() for w in weeks]
    partial = [w < first or w + timedelta(days=6) > last for w in weeks]
    out = []
    for name in sorted(frame["segment"].unique()):
        rows = frame[frame["segment"] == name].set_index("week").reindex(labels)
        counts = rows["journeys"].fillna(0).astype("int64").tolist()
        values = rows["value"].fillna(0.0) if volume else rows["value"]
        known = rows["known"].fillna(0).astype("int64").tolist()
        eligible = [
            not p and (volume or n >= rule.min_volume) for p, n in zip(partial, known, strict=True)
        ]
        variances = (rows["sd"] ** 2).tolist()
        history: list[int] = []
        bands: list[tuple[float | None, float | None, float | None]] = []
        directions: list[str | None] = []
        for i, value in enumerate(values.tolist()):
            recent = history[-rule.weeks :]
            judged = eligible[i] and len(recent) >= rule.min_weeks
            direction = None
            if len(recent) >= rule.min_weeks:
                middle, low, high = band(
                    [values.iloc[j] for j in recent],
                    [variances[j] for j in recent],
                    known[i],
                    k=rule.k,
                    volume=volume,
                )
                bands.append((middle, low, high))
                if judged:
                    direction = "up" if value > high else "down" if value < low else None
            else:
                bands.append((None, None, None))
            directions.append(direction)
            if eligible[i]:
                history.append(i)
        out.append(
            pd.DataFrame(
                {
                    "segment": str(name),
                    "week": labels,
                    "journeys": counts,
                    "value": values.astype("float64").tolist(),
                    "partial": partial,
                    "eligible": eligible,
                    "baseline": pd.Series([b[0] for b in bands], dtype="float64"),
                    "low": pd.Series([b[1] for b in bands], dtype="float64"),
                    "high": pd.Series([b[2] for b in bands], dtype="float64"),
                    "drift": [d is not None for d in directions],
                    "direction": pd.Series(directions, dtype="object"),
                }
            )
        )
    if not out:
        return pd.DataFrame({name: [] for name in WEEKLY_SCHEMA.names})
    return pd.concat(out, ignore_index=True)


def _groups(weekly: pd.DataFrame, totals: dict[str, dict[str, Any]], volume: bool) -> pd.DataFrame:
    rows = []
    for name, series in weekly.groupby("segment", sort=False):
        good = series[series["eligible"]]["value"]
        mean = float(good.mean()) if len(good) else float("nan")
        cv = float(good.std(ddof=0) / mean) if len(good) > 1 and mean else float("nan")
        total = totals[str(name)]
        rows.append(
            {
                "segment": name,
                "journeys": int(total["journeys"]),
                "value": mean if volume else total["value"],
                "weeks": len(good),
                "weekly_mean": mean,
                "weekly_cv": cv,
                "drift_weeks": int(series["drift"].sum()),
            }
        )
    groups = pd.DataFrame(rows, columns=list(GROUPS_SCHEMA.names))
    return groups.sort_values(["journeys", "segment"], ascending=[False, True])


def _totals(frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Journeys and the metric's mean per group, from the weekly means and their counts."""
    totals: dict[str, dict[str, Any]] = {}
    for name, rows in frame.groupby("segment"):
        known = rows["known"].sum()
        weighted = (rows["value"].fillna(0.0) * rows["known"]).sum()
        totals[str(name)] = {
            "journeys": int(rows["journeys"].sum()),
            "value": float(weighted / known) if known else None,
        }
    return totals


def _spread(groups: pd.DataFrame) -> dict[str, Any]:
    values = groups.dropna(subset=["value"])
    if values.empty:
        return {"groups": 0, "cv": None, "lowest": None, "highest": None}
    mean = float(values["value"].mean())
    cv = float(values["value"].std(ddof=0) / mean) if len(values) > 1 and mean else None
    ordered = values.sort_values(["value", "segment"])
    return {
        "groups": len(values),
        "cv": cv,
        "lowest": {"segment": ordered["segment"].iloc[0], "value": float(ordered["value"].iloc[0])},
        "highest": {
            "segment": ordered["segment"].iloc[-1],
            "value": float(ordered["value"].iloc[-1]),
        },
    }


def consistency(backend: Backend, query: ConsistencyQuery | None = None) -> Consistency:
    """Measure the variation of a metric across groups and weeks, and flag drift."""
    query = query or ConsistencyQuery()
    journeys = per_journey(
        backend,
        MetricsQuery(
            by=None,
            journey_type=query.journey_type,
            settings=query.settings,
            definitions=query.definitions,
        ),
    )
    grouped = with_segment(backend, journeys, query.by, query.journey_type)
    grouped = grouped.mutate(week=period_label(grouped.start_ts, "week"))
    volume = query.metric == "journeys"
    metric = grouped[query.metric if not volume else "steps"].cast("float64")
    per_week = grouped.group_by(["segment", "week"]).aggregate(
        journeys=grouped.count(),
        known=metric.count(),
        value=grouped.count().cast("float64") if volume else metric.mean(),
        sd=metric.std(how="pop"),
    )
    first, last = _coverage(backend)
    frame = backend.to_pandas(per_week)
    weekly = _series(frame, query, first, last)
    totals = _totals(frame)
    groups = _groups(weekly, totals, volume)
    return Consistency(
        query,
        pa.Table.from_pandas(groups, schema=GROUPS_SCHEMA, preserve_index=False),
        pa.Table.from_pandas(weekly, schema=WEEKLY_SCHEMA, preserve_index=False),
        _spread(groups),
    )
