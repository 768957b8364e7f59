"""Touchpoint vs journey: every interaction can score well while the journey as a whole fails.

For each journey type, the touchpoint scores (by default CSAT answered about one interaction:
scope ``touchpoint``) beside the journey scores (NPS and CES answered about the whole journey:
scope ``journey``), each with its count and confidence interval (`journeylens.voc.scores`).
Then, journey by journey, among the journeys that have both kinds of answers:

- **fine touchpoints**: every touchpoint answer of the journey is good (at or above
  ``good_touchpoint`` on the kind's standard scale; CSAT 4-5 by default, the top-2 box);
- **poor journey**: the mean of its answers of the first journey kind is at or below
  ``poor_journey`` (NPS 0-6, a detractor, by default; CES 1-3; CSAT or rating 1-3);
- ``gap_share`` = poor journeys among those with fine touchpoints, with a Wilson interval.

A high gap share says the problem lies between the touchpoints (repeat contacts, hand-offs,
waiting for the next step), not in any one of them. ``journeys`` lists every journey in the
gap, to open.

Examples
--------
>>> GapQuery().thresholds
(4.0, 6.0)
>>> GapQuery(journey_kinds=("ces",)).thresholds
(4.0, 3.0)
>>> GapQuery(journey_kinds=())
Traceback (most recent call last):
...
ValueError: journey_kinds needs at least one of nps, csat, ces (the first decides a poor journey)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from journeylens.palette import GREY, PALETTE
from journeylens.store.backends import Backend
from journeylens.store.schema import DEFAULT_SCALES
from journeylens.voc.intervals import wilson
from journeylens.voc.linkage import FEEDBACK_LINKS
from journeylens.voc.scores import HEADLINES, KINDS, ScoresQuery, scores, standard_value

if TYPE_CHECKING:
    import plotly.graph_objects as go

#: Default thresholds on the standard scales: a good touchpoint answer (at or above) and a
#: poor journey answer (at or below).
GOOD = {"nps": 9.0, "csat": 4.0, "ces": 5.0}
POOR = {"nps": 6.0, "csat": 3.0, "ces": 3.0}

GAP_COLUMNS = (
    "journey_type", "both", "fine_touchpoints", "poor_journeys", "gap_share", "gap_low",
    "gap_high", "poor_share_other",
)  # fmt: skip


@dataclass(frozen=True)
class GapQuery:
    """Which scores to hold side by side.

    Parameters
    ----------
    touchpoint_kind : {"csat", "nps", "ces"}
        The kind answered about single interactions (scope ``touchpoint``).
    journey_kinds : tuple of {"nps", "ces", "csat"}
        The kinds answered about whole journeys (scope ``journey``); the first decides which
        journeys are poor.
    good_touchpoint, poor_journey : float, optional
        Thresholds on the standard scales (defaults in `GOOD` and `POOR`).
    journey_type : str, optional
        Only this journey type.
    confidence : float
        Level of the intervals.
    """

    touchpoint_kind: str = "csat"
    journey_kinds: tuple[str, ...] = ("nps", "ces")
    good_touchpoint: float | None = None
    poor_journey: float | None = None
    journey_type: str | None = None
    confidence: float = 0.95

    def __post_init__(self) -> None:
        if not self.journey_kinds:
            raise ValueError(
                f"journey_kinds needs at least one of {', '.join(KINDS)} "
                "(the first decides a poor journey)"
            )
        for kind in (self.touchpoint_kind, *self.journey_kinds):
            if kind not in KINDS:
                raise ValueError(f"kind '{kind}' is not one of {', '.join(KINDS)}")
        if not 0 < self.confidence < 1:
            raise ValueError(f"confidence must be between 0 and 1 (got {self.confidence})")

    @property
    def thresholds(self) -> tuple[float, float]:
        """(good touchpoint answer at or above, poor journey answer at or below)."""
        good = self.good_touchpoint
        poor = self.poor_journey
        return (
            GOOD[self.touchpoint_kind] if good is None else good,
            POOR[self.journey_kinds[0]] if poor is None else poor,
        )


@dataclass
class TouchpointGap:
    """Touchpoint and journey scores per journey type, and the journeys in the gap.

    ``table`` (`to_frame`): per journey type ``journey_type``, the touchpoint kind's
    ``<kind>_tp_responses`` and headline (CSAT: ``csat_tp`` top-2-box % with ``_low``/``_high``,
    ``mean`` as ``csat_tp_mean``), each journey kind's ``<kind>_responses`` and headline
    (``nps``, ``ces_mean`` …) with intervals; then ``both`` (journeys with both kinds of
    answers), ``fine_touchpoints``, ``poor_journeys`` (poor among those with fine
    touchpoints), ``gap_share`` with ``gap_low``/``gap_high`` (percent), and
    ``poor_share_other`` (the poor share, percent, where some touchpoint answer was not
    good). ``journeys``: every journey in the gap with ``touchpoint_answers``,
    ``touchpoint_min``, ``journey_score``.
    """

    query: GapQuery
    table: pa.Table
    journeys: pa.Table

    def to_frame(self) -> pd.DataFrame:
        """One row per journey type."""
        frame: pd.DataFrame = self.table.to_pandas()
        return frame

    def figure(self) -> go.Figure:
        """Per journey type: the touchpoint headline beside the journey headline (bars) and the
        gap share (diamonds, percent)."""
        import plotly.graph_objects as go

        rows = self.table.to_pylist()
        types = [r["journey_type"] for r in rows]
        tp, first = self.query.touchpoint_kind, self.query.journey_kinds[0]
        tp_col = _headline(tp, "_tp")
        j_col = _headline(first, "")
        fig = go.Figure()
        fig.add_bar(x=types, y=[r[tp_col] for r in rows], name=f"touchpoint {tp_col}",
                    marker_color=PALETTE[0])  # fmt: skip
        fig.add_bar(x=types, y=[r[j_col] for r in rows], name=f"journey {j_col}",
                    marker_color=PALETTE[1])  # fmt: skip
        fig.add_scatter(
            x=types,
            y=[r["gap_share"] for r in rows],
            mode="markers",
            name="gap: fine touchpoints, poor journey (%)",
            marker={"symbol": "diamond", "size": 12, "color": PALETTE[3]},
            error_y={
                "type": "data",
                "symmetric": False,
                "array": [(r["gap_high"] or 0) - (r["gap_share"] or 0) for r in rows],
                "arrayminus": [(r["gap_share"] or 0) - (r["gap_low"] or 0) for r in rows],
                "color": GREY,
            },
        )
        fig.update_layout(
            barmode="group",
            title="touchpoint vs journey scores per journey type",
            template="plotly_white",
        )
        return fig


def _headline(kind: str, suffix: str) -> str:
    name = HEADLINES[kind]
    return f"{kind}{suffix}" if name == kind else f"{kind}{suffix}_{name}"


def _scores_by_type(
    backend: Backend, kind: str, scope: str, query: GapQuery, suffix: str
) -> dict[str, dict[str, Any]]:
    result = scores(
        backend,
        ScoresQuery(
            kind=kind,
            by="journey_type",
            scope=scope,
            journey_type=query.journey_type,
            confidence=query.confidence,
        ),
    )
    out: dict[str, dict[str, Any]] = {}
    headline = HEADLINES[kind]
    for row in result.table.to_pylist():
        name = _headline(kind, suffix)
        out[row["segment"]] = {
            f"{kind}{suffix}_responses": row["responses"],
            name: row[headline],
            f"{name}_low": row[f"{headline}_low"],
            f"{name}_high": row[f"{headline}_high"],
            **({} if headline == "mean" else {f"{kind}{suffix}_mean": row["mean"]}),
        }
    return out


def _answers(backend: Backend, kind: str, scope: str) -> ir.Table:
    feedback = backend.table("feedback")
    low, high = DEFAULT_SCALES[kind]
    feedback = feedback.filter(
        (feedback.kind == kind)
        & feedback.score.notnull()
        & (ibis.coalesce(feedback.scale_max, high) > ibis.coalesce(feedback.scale_min, low))
    )
    links = backend.table(FEEDBACK_LINKS)
    links = links.filter((links.scope == scope) & links.journey_key.notnull())
    return links.select("feedback_id", "journey_key", "journey_type").join(
        feedback.select("feedback_id", value=standard_value(feedback, kind)), "feedback_id"
    )


def per_journey_expr(backend: Backend, query: GapQuery) -> ir.Table:
    """Per journey with both kinds of answers: ``touchpoint_answers``, ``touchpoint_min``,
    ``journey_score`` (the mean of the first journey kind) and the flags ``fine`` and
    ``poor``."""
    good, poor = query.thresholds
    tp = _answers(backend, query.touchpoint_kind, "touchpoint")
    tp = tp.group_by(["journey_key", "journey_type"]).aggregate(
        touchpoint_answers=tp.count(), touchpoint_min=tp.value.min()
    )
    journey = _answers(backend, query.journey_kinds[0], "journey")
    journey = journey.group_by("journey_key").aggregate(journey_score=journey.value.mean())
    both = tp.join(journey, "journey_key")
    if query.journey_type is not None:
        both = both.filter(both.journey_type == query.journey_type)
    slack = 1e-9
    return both.mutate(
        fine=both.touchpoint_min >= good - slack, poor=both.journey_score <= poor + slack
    )


def touchpoint_gap(backend: Backend, query: GapQuery | None = None) -> TouchpointGap:
    """Touchpoint vs journey scores per journey type (see the module docstring)."""
    query = query or GapQuery()
    per_type: dict[str, dict[str, Any]] = {}
    sources = [(query.touchpoint_kind, "touchpoint", "_tp")] + [
        (kind, "journey", "") for kind in query.journey_kinds
    ]
    for kind, scope, suffix in sources:
        for journey_type, values in _scores_by_type(backend, kind, scope, query, suffix).items():
            per_type.setdefault(journey_type, {}).update(values)
    journeys = per_journey_expr(backend, query)
    counts = backend.to_arrow(
        journeys.group_by("journey_type").aggregate(
            both=journeys.count(),
            fine_touchpoints=journeys.fine.cast("int64").sum(),
            poor_journeys=(journeys.fine & journeys.poor).cast("int64").sum(),
            _other=(~journeys.fine).cast("int64").sum(),
            _other_poor=(~journeys.fine & journeys.poor).cast("int64").sum(),
        )
    ).to_pylist()
    for row in counts:
        fine, poor = int(row["fine_touchpoints"]), int(row["poor_journeys"])
        low, high = wilson(poor, fine, query.confidence)
        other = int(row["_other"])
        per_type.setdefault(row["journey_type"], {}).update(
            both=int(row["both"]),
            fine_touchpoints=fine,
            poor_journeys=poor,
            gap_share=100 * poor / fine if fine else None,
            gap_low=None if low != low else low,
            gap_high=None if high != high else high,
            poor_share_other=100 * int(row["_other_poor"]) / other if other else None,
        )
    rows = [{"journey_type": t, **values} for t, values in per_type.items() if t is not None]
    rows.sort(key=lambda r: (-(r.get("gap_share") or -1.0), str(r["journey_type"])))
    columns = list(dict.fromkeys(k for r in rows for k in r))
    for column in GAP_COLUMNS:
        if column not in columns:
            columns.append(column)
    table = pa.Table.from_pylist([{c: r.get(c) for c in columns} for r in rows])
    gap = journeys.filter(journeys.fine & journeys.poor)
    listed = backend.to_arrow(
        gap.select(
            "journey_key", "journey_type", "touchpoint_answers", "touchpoint_min", "journey_score"
        ).order_by(["journey_type", "journey_score", "journey_key"])
    )
    return TouchpointGap(query, table, listed)
