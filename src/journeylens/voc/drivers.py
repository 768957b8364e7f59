"""Key drivers / root causes: which journey features go with low scores, detractors or a bad
journey outcome, ranked by standardised effect, with confidence intervals and example journeys.

Interpretable, not a black box. One row per journey in scope that has the target
(`journeylens.voc.driver_data`: the mean of its linked answers of a kind and scope, or an
outcome of the journey), with its features (`journeylens.voc.journey_features`). Then:

1. **A standardised multiple regression** of the target on every usable feature at once
   (`journeylens.voc.regression`): linear for a score, logistic for a 0/1 target. Each
   feature's ``effect`` is its coefficient on the z-scored feature: the change in the score
   (or in the log-odds of the bad outcome) per standard deviation of the feature, holding the
   others fixed, with a confidence interval from analytic standard errors. ``coefficient`` is
   the same per unit of the feature (for a flag: with vs without); ``odds_ratio`` =
   exp(coefficient) for a 0/1 target.
2. **With vs without**, feature by feature (no adjustment): the target's mean (a rate for a
   0/1 target) among journeys *with* the feature (a flag set, a count above 0, another number
   above its median) and *without*, their ``difference`` with a normal-approximation CI,
   and the ``lift`` (rate with / rate without).

Drivers are ranked by the absolute standardised effect; ``direction`` says whether the
feature makes the outcome ``worse`` (a lower score, more of the bad outcome) or ``better``;
``examples`` are journeys to open (`Workspace.journey`) on the driver's harmful side (with a
feature that makes things worse, without one that makes them better) with the worst outcomes.

Examples
--------
>>> DriversQuery(kind="nps", target="detractor").binary
True
>>> DriversQuery(kind="rating", target="low:2", scope=None).target
'low:2'
>>> DriversQuery(kind="nps", scope="visit")
Traceback (most recent call last):
...
ValueError: scope 'visit' is not one of touchpoint, journey, relationship (or None for any)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa

from journeylens.analytics.metrics import scoped_journeys
from journeylens.errors import WorkspaceError
from journeylens.palette import GREY, PALETTE
from journeylens.store.backends import Backend
from journeylens.voc.driver_data import (
    KINDS,
    chosen,
    design,
    examples,
    feedback_targets,
    journey_attribute_target,
    outcome_of,
    parse_target,
    with_without,
)
from journeylens.voc.feature_plan import Feature
from journeylens.voc.journey_features import FeaturesQuery, features_expr, plan_features
from journeylens.voc.regression import Fit, fit_linear, fit_logistic, standardise

if TYPE_CHECKING:
    import plotly.graph_objects as go

SCOPES = ("touchpoint", "journey", "relationship")

#: Colours of drivers that make the outcome worse / better (Okabe-Ito vermillion / blue).
WORSE, BETTER = PALETTE[3], PALETTE[0]

DRIVER_COLUMNS = (
    "rank", "feature", "label", "kind", "source", "effect", "effect_ci_low", "effect_ci_high",
    "coefficient", "coef_ci_low", "coef_ci_high", "odds_ratio", "p_value", "significant",
    "direction", "vif", "split", "n_with", "n_without", "mean_with", "mean_without",
    "difference", "diff_ci_low", "diff_ci_high", "lift", "examples",
)  # fmt: skip


@dataclass(frozen=True)
class DriversQuery:
    """What to explain, for which journeys, with which features.

    Parameters
    ----------
    kind : {"nps", "csat", "ces", "rating", "journey"}
        The feedback kind whose scores to explain, or ``journey`` for an outcome of the
        journey itself.
    target : str
        ``score``, ``detractor`` (NPS), ``low:<x>``; for ``journey``: ``failure``,
        ``abandoned``, ``journey_attribute:<name>`` (see `journeylens.voc.driver_data`).
    scope : {"journey", "touchpoint", "relationship"} or None
        Only answers of this scope (``feedback_links.scope``); None for any scope.
    journey_type : str, optional
        Only journeys of this type.
    include, exclude : sequence of str
        Feature names or glob patterns (``activity_*``) to use (None: all) and to leave out.
    min_count : int
        A flag is used when at least this many journeys have it and lack it.
    max_vif : float, optional
        Leave out overlapping features until every variance inflation factor is at most this
        (None keeps them all: effects of overlapping features are then unstable).
    level : float
        Confidence level of the intervals.
    examples : int
        Example journeys per driver.
    features : FeaturesQuery
        How the journey features are made (activities, attribute keys, maps, themes).
    """

    kind: str = "nps"
    target: str = "score"
    scope: str | None = "journey"
    journey_type: str | None = None
    include: tuple[str, ...] | None = None
    exclude: tuple[str, ...] = ()
    min_count: int = 10
    max_vif: float | None = 10.0
    level: float = 0.95
    examples: int = 3
    features: FeaturesQuery = field(default_factory=FeaturesQuery)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind '{self.kind}' is not one of {', '.join(KINDS)}")
        parse_target(self.target, self.kind)
        if self.scope is not None and self.scope not in SCOPES:
            raise ValueError(
                f"scope '{self.scope}' is not one of {', '.join(SCOPES)} (or None for any)"
            )
        if not 0 < self.level < 1:
            raise ValueError(f"level must be between 0 and 1, e.g. 0.95 (got {self.level})")
        if self.min_count < 1 or self.examples < 0:
            raise ValueError("min_count must be 1 or more and examples 0 or more")

    @property
    def binary(self) -> bool:
        """Whether the target is a 0/1 outcome (a logistic model)."""
        return parse_target(self.target, self.kind).binary


@dataclass
class Drivers:
    """The ranked drivers and the model behind them.

    ``drivers`` (`to_frame`): one row per feature in the model, ranked: ``rank``, ``feature``,
    ``label``, ``kind``, ``source``, ``effect`` (per standard deviation) with
    ``effect_ci_low``/``effect_ci_high``, ``coefficient`` (per unit) with its CI,
    ``odds_ratio`` (0/1 targets), ``p_value``, ``significant`` (the CI excludes 0),
    ``direction`` (worse/better), ``vif``, then with vs without: ``split``, ``n_with``,
    ``n_without``, ``mean_with``, ``mean_without``, ``difference`` with
    ``diff_ci_low``/``diff_ci_high``, ``lift``; and ``examples`` (journey keys).
    ``dropped``: features left out and why. ``model``: ``model`` (linear/logistic), ``journeys``
    (rows fitted), ``answers`` and ``linked_answers`` (feedback of the kind and scope, and
    those linked to a journey), ``target_mean``, ``r2`` (McFadden's for logistic),
    ``adj_r2``, ``intercept``, ``converged``.
    """

    query: DriversQuery
    drivers: pa.Table
    dropped: pa.Table
    model: dict[str, Any]

    def to_frame(self) -> pd.DataFrame:
        """The ranked drivers."""
        frame: pd.DataFrame = self.drivers.to_pandas()
        return frame

    def top(self, n: int = 10, direction: str | None = None) -> list[dict[str, Any]]:
        """The ``n`` strongest drivers (of one ``direction``, worse or better, if given)."""
        rows: list[dict[str, Any]] = self.drivers.to_pylist()
        if direction is not None:
            rows = [r for r in rows if r["direction"] == direction]
        return rows[:n]

    def figure(self, top: int = 15) -> go.Figure:
        """A forest plot: each driver's standardised effect with its confidence interval."""
        import plotly.graph_objects as go

        rows = self.drivers.slice(0, top).to_pylist()[::-1]
        unit = "log-odds of the outcome" if self.query.binary else f"{self.query.kind} score"
        fig = go.Figure()
        for direction, colour in (("worse", WORSE), ("better", BETTER)):
            mine = [r for r in rows if r["direction"] == direction]
            fig.add_trace(
                go.Scatter(
                    x=[r["effect"] for r in mine],
                    y=[r["label"] for r in mine],
                    mode="markers",
                    name=f"makes it {direction}",
                    marker={"color": colour, "size": 9},
                    error_x={
                        "type": "data",
                        "symmetric": False,
                        "array": [r["effect_ci_high"] - r["effect"] for r in mine],
                        "arrayminus": [r["effect"] - r["effect_ci_low"] for r in mine],
                        "color": colour,
                    },
                    customdata=[[r["feature"], ", ".join(r["examples"])] for r in mine],
                    hovertemplate="%{y}: %{x:.3f}<br>examples: %{customdata[1]}<extra></extra>",
                )
            )
        fig.add_vline(x=0, line_color=GREY, line_dash="dot")
        fig.update_layout(
            title=f"key drivers of {self.query.target} ({self.query.kind}, "
            f"{self.model['journeys']:,} journeys; {self.query.level:.0%} CI)",
            xaxis={"title": f"effect per standard deviation ({unit})"},
            yaxis={"categoryorder": "array", "categoryarray": [r["label"] for r in rows]},
            template="plotly_white",
            height=max(320, 28 * len(rows) + 140),
        )
        return fig


def _rows(
    backend: Backend, query: DriversQuery
) -> tuple[pd.DataFrame, list[Feature], dict[str, int]]:
    """Every journey in scope with its target (``_y``) and features."""
    features_query = replace(query.features, journey_type=query.journey_type)
    target = parse_target(query.target, query.kind)
    journeys = scoped_journeys(backend, query.journey_type)
    counts: dict[str, int] = {}
    if query.kind != "journey":
        if not backend.has_table("feedback_links"):
            raise WorkspaceError(
                "no feedback_links table yet: ingest feedback (kind='feedback') and run "
                "journeylens build, which links feedback to journeys"
            )
        per_journey, counts = feedback_targets(backend, query.kind, query.scope, journeys)
        if counts["linked_answers"] == 0:
            raise WorkspaceError(
                f"no {query.kind} answers"
                + (f" of scope {query.scope}" if query.scope else "")
                + " are linked to a journey: check journeylens voc link (or pass scope=None)"
            )
    elif target.attribute is not None:
        per_journey = journey_attribute_target(backend, journeys, target.attribute)
    else:
        per_journey = None
    if per_journey is not None:
        journeys = journeys.semi_join(per_journey.select("journey_key"), "journey_key")
    plan = plan_features(backend, features_query, journeys)
    expr = features_expr(backend, features_query, plan, journeys)
    if per_journey is not None:
        expr = expr.join(per_journey, "journey_key")
    frame = backend.to_pandas(expr.order_by("journey_key"))
    if per_journey is None:
        frame["_score"] = np.nan
    frame["_y"] = outcome_of(frame, target)
    frame = frame[frame["_y"].notna()].reset_index(drop=True)
    return frame, plan.features, counts


def drivers(backend: Backend, query: DriversQuery | None = None) -> Drivers:
    """Rank the drivers of the query's target (see the module docstring)."""
    query = query or DriversQuery()
    frame, features, counts = _rows(backend, query)
    usable = chosen(features, query.include, query.exclude)
    if not usable:
        raise ValueError(
            "no features left: include/exclude patterns removed them all "
            f"(features: {', '.join(f.name for f in features)})"
        )
    if len(frame) < 3:
        raise WorkspaceError(
            f"only {len(frame)} journeys have the target {query.target} ({query.kind}): "
            "too few for a driver analysis"
        )
    built = design(frame, usable, query.min_count, query.max_vif)
    y = frame["_y"].to_numpy(dtype=float)
    if query.binary and len(set(y.tolist())) < 2:
        raise WorkspaceError(
            f"every one of the {len(y)} journeys has the same outcome ({y[0]:.0f}): "
            "nothing to explain; choose another target or threshold"
        )
    z, _, sd = standardise(built.x)
    fit = (fit_logistic if query.binary else fit_linear)(z, y, query.level)
    table = _driver_table(frame, built.features, built.raw, sd, fit, y, query)
    model = {
        "model": fit.kind,
        "target": query.target,
        "kind": query.kind,
        "scope": query.scope,
        "journey_type": query.journey_type,
        "journeys": fit.n,
        **counts,
        "target_mean": float(y.mean()),
        "r2": fit.r2,
        "adj_r2": fit.adj_r2,
        "intercept": fit.intercept,
        "converged": fit.converged,
        "features": len(built.features),
    }
    dropped = pa.Table.from_pylist(
        built.dropped,
        schema=pa.schema(
            [("feature", pa.string()), ("label", pa.string()), ("reason", pa.string())]
        ),
    )
    return Drivers(query, table, dropped, model)


def _driver_table(
    frame: pd.DataFrame,
    features: Sequence[Feature],
    raw: dict[str, pd.Series],
    sd: np.ndarray,
    fit: Fit,
    y: np.ndarray,
    query: DriversQuery,
) -> pa.Table:
    from scipy import stats

    z = float(stats.norm.ppf(0.5 + query.level / 2))
    keys = frame["journey_key"].to_numpy(dtype=object)
    rows = []
    for j, f in enumerate(features):
        effect = float(fit.coef[j])
        worse = effect > 0 if query.binary else effect < 0
        scale = float(sd[j]) if sd[j] > 0 else 1.0
        coefficient = effect / scale
        rows.append(
            {
                "feature": f.name,
                "label": f.label,
                "kind": f.kind,
                "source": f.source,
                "effect": effect,
                "effect_ci_low": float(fit.ci_low[j]),
                "effect_ci_high": float(fit.ci_high[j]),
                "coefficient": coefficient,
                "coef_ci_low": float(fit.ci_low[j]) / scale,
                "coef_ci_high": float(fit.ci_high[j]) / scale,
                "odds_ratio": float(np.exp(coefficient)) if query.binary else None,
                "p_value": float(fit.p_value[j]),
                "significant": bool(fit.ci_low[j] > 0 or fit.ci_high[j] < 0),
                "direction": "worse" if worse else "better",
                "vif": float(fit.vif[j]),
                **with_without(y, raw[f.name], f, query.binary, z),
                "examples": examples(keys, y, raw[f.name], f, worse, query.binary, query.examples),
            }
        )
    rows.sort(key=lambda r: (-abs(r["effect"]), r["feature"]))
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    return pa.Table.from_pylist([{c: r[c] for c in DRIVER_COLUMNS} for r in rows], schema=_SCHEMA)


_SCHEMA = pa.schema(
    [
        ("rank", pa.int64()),
        *[(c, pa.string()) for c in ("feature", "label", "kind", "source")],
        *[
            (c, pa.float64())
            for c in (
                "effect", "effect_ci_low", "effect_ci_high", "coefficient", "coef_ci_low",
                "coef_ci_high", "odds_ratio", "p_value",
            )
        ],
        ("significant", pa.bool_()),
        ("direction", pa.string()),
        ("vif", pa.float64()),
        ("split", pa.string()),
        ("n_with", pa.int64()),
        ("n_without", pa.int64()),
        *[
            (c, pa.float64())
            for c in (
                "mean_with", "mean_without", "difference", "diff_ci_low", "diff_ci_high", "lift"
            )
        ],
        ("examples", pa.list_(pa.string())),
    ]
)  # fmt: skip
