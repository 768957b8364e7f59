"""NPS, CSAT and CES per group of feedback, with counts and confidence intervals.

Scores are read from ``feedback`` joined with ``feedback_links`` (so they can be grouped by the
linked journey and filtered by scope). Each answer is first put on its kind's standard scale
(NPS 0-10, CSAT 1-5, CES 1-7): an answer ``x`` on the declared scale ``lo..hi`` becomes
``a + (x - lo)·(b - a)/(hi - lo)`` on ``a..b``, so a 1-5 "NPS" answer of 5 counts as 10 and 4
as 7.5. Then, per group:

- **NPS** = %promoters (9-10) - %detractors (0-6), from -100 to 100; interval
  NPS ± z·100·√((p_pro + p_det - (p_pro - p_det)²)/n);
- **CSAT** = the top-2-box share (4-5 on 1-5) in percent with its Wilson interval, and the mean
  on 1-5 with its t interval;
- **CES** = the mean on 1-7 (7 = very easy) with its t interval, and the share of easy answers
  (5-7) in percent with its Wilson interval.

Every kind also gets ``mean`` with its t interval on the standard scale. The relational work
(joins, rescaling, counts and moments per group) runs on the engine; the intervals are computed
on the per-group table (`journeylens.voc.intervals`).

Examples
--------
>>> ScoresQuery(kind="csat", by="journey_type", scope="touchpoint").headline
'csat'
>>> ScoresQuery(kind="stars")
Traceback (most recent call last):
...
ValueError: kind 'stars' is not one of nps, csat, ces
>>> ScoresQuery(scope="page")
Traceback (most recent call last):
...
ValueError: scope 'page' is not one of touchpoint, journey, relationship (or None for all)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from journeylens.analytics.segments import period_label
from journeylens.palette import PALETTE
from journeylens.store.backends import Backend
from journeylens.store.schema import DEFAULT_SCALES
from journeylens.voc.feedback_segments import parse_feedback_segment, with_feedback_segment
from journeylens.voc.intervals import mean_interval, nps_interval, nps_standard_error, wilson
from journeylens.voc.linkage import FEEDBACK_LINKS
from journeylens.voc.scopes import SCOPES

if TYPE_CHECKING:
    import plotly.graph_objects as go

#: The score kinds, their standard scales and the headline column of each.
KINDS: tuple[str, ...] = ("nps", "csat", "ces")
HEADLINES = {"nps": "nps", "csat": "csat", "ces": "mean"}
PERIODS = ("week", "month")
ALL = "all"

#: Answers on the standard scale at or above ``high`` / at or below ``low`` (a little slack
#: so that rescaled answers such as 9.000000001 are counted as written).
PROMOTER, DETRACTOR, SATISFIED, EASY = 9.0, 6.0, 4.0, 5.0
_SLACK = 1e-9


@dataclass(frozen=True)
class ScoresQuery:
    """Which scores, grouped how.

    Parameters
    ----------
    kind : {"nps", "csat", "ces"}
        The kind of answers.
    by : str, optional
        A feedback segment (`journeylens.voc.feedback_segments`): ``journey_type``,
        ``channel``, ``scope``, ``period:month``, ``attribute:segment``,
        ``journey:entry_channel`` …; None for one group, ``all``.
    scope : {"touchpoint", "journey", "relationship"}, optional
        Only feedback of this scope.
    period : {"week", "month"}, optional
        Also split each group by the week or month of the feedback (a trend).
    journey_type : str, optional
        Only feedback linked to journeys of this type.
    confidence : float
        Of the intervals (0.95).
    """

    kind: str = "nps"
    by: str | None = None
    scope: str | None = None
    period: str | None = None
    journey_type: str | None = None
    confidence: float = 0.95

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind '{self.kind}' is not one of {', '.join(KINDS)}")
        if self.by is not None:
            parse_feedback_segment(self.by)
        if self.scope is not None and self.scope not in SCOPES:
            raise ValueError(
                f"scope '{self.scope}' is not one of {', '.join(SCOPES)} (or None for all)"
            )
        if self.period is not None and self.period not in PERIODS:
            raise ValueError(
                f"period '{self.period}' is not one of {', '.join(PERIODS)} (or None for no trend)"
            )
        if not 0.5 <= self.confidence < 1:
            raise ValueError(f"confidence {self.confidence} must be in [0.5, 1), e.g. 0.95")

    @property
    def headline(self) -> str:
        """The column of the kind's main figure: ``nps``, ``csat`` (share) or ``mean`` (CES)."""
        return HEADLINES[self.kind]


@dataclass
class Scores:
    """Scores per group (and period).

    ``table``: ``segment``, ``period`` (when asked for), ``responses``, ``mean``,
    ``mean_low``, ``mean_high`` and per kind: NPS ``promoters``, ``passives``,
    ``detractors``, ``promoter_share``, ``detractor_share``, ``nps``, ``nps_se``,
    ``nps_low``, ``nps_high``; CSAT ``satisfied``, ``csat``, ``csat_low``, ``csat_high``;
    CES ``easy``, ``easy_share``, ``easy_low``, ``easy_high``. Shares are in percent.
    """

    query: ScoresQuery
    table: pa.Table

    def to_frame(self) -> pd.DataFrame:
        """The scores per group (and period)."""
        frame: pd.DataFrame = self.table.to_pandas()
        return frame

    def figure(self) -> go.Figure:
        """The headline score with its interval as error bars: per group, or over time with
        one line per group when a period was asked for."""
        import plotly.graph_objects as go

        frame = self.to_frame()
        name = self.query.headline
        fig = go.Figure()
        groups = frame.groupby("segment", sort=True) if self.query.period else [(None, frame)]
        for i, (group, rows) in enumerate(groups):
            error = {
                "type": "data",
                "symmetric": False,
                "array": rows[f"{name}_high"] - rows[name],
                "arrayminus": rows[name] - rows[f"{name}_low"],
            }
            colour = PALETTE[i % len(PALETTE)]
            if self.query.period:
                fig.add_scatter(
                    x=rows["period"],
                    y=rows[name],
                    error_y=error,
                    mode="lines+markers",
                    name=str(group),
                    line={"color": colour},
                )
            else:
                fig.add_bar(
                    x=rows["segment"], y=rows[name], error_y=error, marker_color=colour, name=name
                )
        label = {"nps": "NPS", "csat": "CSAT (% satisfied)", "mean": "CES (mean, 1-7)"}[name]
        fig.update_layout(
            title=f"{label} by {self.query.by or ALL}"
            + (f", {self.query.scope} feedback" if self.query.scope else ""),
            yaxis={"title": f"{label}, {self.query.confidence:.0%} interval"},
            xaxis={"title": self.query.period or self.query.by or ""},
            template="plotly_white",
        )
        return fig


def _scale(table: ir.Table, kind: str) -> tuple[ir.FloatingValue, ir.FloatingValue]:
    """The declared scale of each answer (the kind's standard scale when none is given)."""
    a, b = DEFAULT_SCALES[kind]
    lo: ir.FloatingValue = ibis.coalesce(table.scale_min, a).cast("float64")
    hi: ir.FloatingValue = ibis.coalesce(table.scale_max, b).cast("float64")
    return lo, hi


def standard_value(table: ir.Table, kind: str) -> ir.FloatingValue:
    """Each answer of ``kind`` on the kind's standard scale (see the module docstring)."""
    a, b = DEFAULT_SCALES[kind]
    lo, hi = _scale(table, kind)
    value: ir.FloatingValue = a + (table.score.cast("float64") - lo) * (b - a) / (hi - lo)
    return value


def answers(backend: Backend, query: ScoresQuery) -> ir.Table:
    """The query's answers with their links and ``value`` on the standard scale (answers on
    an empty scale, max <= min, are left out)."""
    feedback = backend.table("feedback")
    lo, hi = _scale(feedback, query.kind)
    feedback = feedback.filter(feedback.kind == query.kind, feedback.score.notnull(), hi > lo)
    links = backend.table(FEEDBACK_LINKS)
    links = links.select("feedback_id", "journey_key", "journey_type", "link_method", "scope")
    table = feedback.select(
        "feedback_id", "ts", "channel", "attributes", value=standard_value(feedback, query.kind)
    ).join(links, "feedback_id")
    if query.scope is not None:
        table = table.filter(table.scope == query.scope)
    if query.journey_type is not None:
        table = table.filter(table.journey_type == query.journey_type)
    return table


def _moments(table: ir.Table, keys: list[str]) -> ir.Table:
    value = table.value
    return table.group_by(keys).aggregate(
        responses=table.count(),
        mean=value.mean(),
        _sd=value.std(how="sample"),
        _high=(value >= PROMOTER - _SLACK).cast("int64").sum(),
        _low=(value <= DETRACTOR + _SLACK).cast("int64").sum(),
        _satisfied=(value >= SATISFIED - _SLACK).cast("int64").sum(),
        _easy=(value >= EASY - _SLACK).cast("int64").sum(),
    )


def _row(kind: str, row: dict[str, Any], confidence: float, keys: list[str]) -> dict[str, Any]:
    n = int(row["responses"])
    sd = float("nan") if row["_sd"] is None else float(row["_sd"])
    mean_low, mean_high = mean_interval(float(row["mean"]), sd, n, confidence)
    a, b = DEFAULT_SCALES[kind]  # the interval of a mean stays on the scale
    if n >= 2:
        mean_low, mean_high = max(a, mean_low), min(b, mean_high)
    out: dict[str, Any] = {k: row[k] for k in keys}
    out.update(responses=n, mean=float(row["mean"]), mean_low=mean_low, mean_high=mean_high)
    if kind == "nps":
        pro, det = int(row["_high"]), int(row["_low"])
        nps, low, high = nps_interval(pro, det, n, confidence)
        out.update(
            promoters=pro,
            passives=n - pro - det,
            detractors=det,
            promoter_share=100 * pro / n,
            detractor_share=100 * det / n,
            nps=nps,
            nps_se=nps_standard_error(pro, det, n),
            nps_low=low,
            nps_high=high,
        )
    elif kind == "csat":
        hits = int(row["_satisfied"])
        low, high = wilson(hits, n, confidence)
        out.update(satisfied=hits, csat=100 * hits / n, csat_low=low, csat_high=high)
    else:
        hits = int(row["_easy"])
        low, high = wilson(hits, n, confidence)
        out.update(easy=hits, easy_share=100 * hits / n, easy_low=low, easy_high=high)
    return out


def _nan_to_none(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {k: None if isinstance(v, float) and v != v else v for k, v in row.items()} for row in rows
    ]


def scores(backend: Backend, query: ScoresQuery | None = None) -> Scores:
    """Compute the scores of ``query`` per group (and period)."""
    query = query or ScoresQuery()
    table = with_feedback_segment(backend, answers(backend, query), query.by, ALL)
    keys = ["segment"]
    if query.period is not None:
        table = table.mutate(period=period_label(table.ts, query.period))
        keys.append("period")
    reduced = backend.to_arrow(_moments(table, keys)).to_pylist()
    rows = [_row(query.kind, row, query.confidence, keys) for row in reduced]
    if query.period is None:
        rows.sort(key=lambda r: (-r["responses"], str(r["segment"])))
    else:
        rows.sort(key=lambda r: (str(r["segment"]), str(r["period"])))
    schema = _schema(query.kind, keys)
    return Scores(query, pa.Table.from_pylist(_nan_to_none(rows), schema=schema))


_COUNT, _REAL = pa.int64(), pa.float64()
_KIND_COLUMNS: dict[str, list[tuple[str, pa.DataType]]] = {
    "nps": [
        ("promoters", _COUNT),
        ("passives", _COUNT),
        ("detractors", _COUNT),
        ("promoter_share", _REAL),
        ("detractor_share", _REAL),
        ("nps", _REAL),
        ("nps_se", _REAL),
        ("nps_low", _REAL),
        ("nps_high", _REAL),
    ],
    "csat": [("satisfied", _COUNT), ("csat", _REAL), ("csat_low", _REAL), ("csat_high", _REAL)],
    "ces": [("easy", _COUNT), ("easy_share", _REAL), ("easy_low", _REAL), ("easy_high", _REAL)],
}


def _schema(kind: str, keys: list[str]) -> pa.Schema:
    return pa.schema(
        [
            *[(k, pa.string()) for k in keys],
            ("responses", _COUNT),
            ("mean", _REAL),
            ("mean_low", _REAL),
            ("mean_high", _REAL),
            *_KIND_COLUMNS[kind],
        ]
    )
