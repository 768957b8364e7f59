"""Compare: any analysis for two segments side by side, with the differences that matter ranked.

Two groups of journeys are chosen with a segment (`journeylens.analytics.segments`), e.g.
``segment="start_channel"``, ``a="web"``, ``b="store"``. The analysis runs once per group on a
read-only view of the workspace holding only that group's journeys (`JourneySubset`), so
every analysis compares the same way. Each result is then reduced to comparable *measures*:

- **shares** (a variant's share of journeys, an edge's share of journeys, a funnel step's
  conversion from the start, a journey being successful …), tested with a two-proportion
  z-test, their effect size is Cohen's *h* = 2·asin√p_a - 2·asin√p_b;
- **means** (duration, steps, hand-offs, repeat contacts … per journey), tested with Welch's
  z (large samples), effect size Cohen's *d* with the pooled standard deviation.

p-values are two-sided and adjusted for the number of measures (Benjamini-Hochberg: ``q``).
The differences are ranked: significant ones (``q < alpha``) first, then by the absolute
effect size, so a large, reliable difference tops the list and a tiny one found on a huge
sample does not.

Examples
--------
>>> CompareQuery(segment="start_channel", a="web", b="store").analysis
'journeys'
>>> round(cohens_h(0.5, 0.2), 3)
0.644
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
import pyarrow as pa

from journeylens.analytics.segments import journeys_in, parse_segment
from journeylens.analytics.subset import JourneySubset
from journeylens.palette import PALETTE
from journeylens.store.backends import Backend

if TYPE_CHECKING:
    import plotly.graph_objects as go

#: Colours of the two groups (Okabe-Ito blue and orange).
GROUP_COLOURS = PALETTE[:2]

#: Per-journey measures of the built-in ``journeys`` comparison: name → (column, kind).
JOURNEY_MEASURES: dict[str, tuple[str, str]] = {
    "duration_hours": ("duration_seconds", "mean"),
    "steps": ("steps", "mean"),
    "channels": ("channels", "mean"),
    "handoffs": ("handoffs", "mean"),
    "repeat_contacts": ("repeat_contacts", "mean"),
    "assisted_contacts": ("assisted_contacts", "mean"),
    "success_rate": ("success", "share"),
    "abandonment_rate": ("status", "share"),
}

MEASURE_COLUMNS = ("measure", "kind", "value", "n", "sd")

#: Columns of the tests (before the adjusted p-values are added).
TESTED_COLUMNS = ("measure", "kind", "a", "b", "difference", "n_a", "n_b", "effect", "z", "p_value")


@dataclass(frozen=True)
class CompareQuery:
    """Which analysis, for which two groups.

    Parameters
    ----------
    segment : str
        The segment that defines the groups (see `journeylens.analytics.segments`).
    a, b : str
        The two groups of that segment, e.g. ``"web"`` and ``"store"``.
    analysis : str
        ``journeys`` (journey measures: duration, steps, hand-offs, success …), or the name
        of an analysis in `ANALYSES`: ``process_map``, ``variants``, ``flows``, ``funnel``.
    options : mapping
        The analysis's own query fields, e.g. ``{"by": "channel"}`` for a process map or
        ``{"steps": ["a", "b"]}`` for a funnel.
    journey_type : str, optional
        Compare only journeys of this type (e.g. renewals started in the app vs by phone).
    alpha : float
        Significance level of the adjusted p-values.
    """

    segment: str
    a: str
    b: str
    analysis: str = "journeys"
    options: Mapping[str, Any] = field(default_factory=dict)
    journey_type: str | None = None
    alpha: float = 0.05

    def __post_init__(self) -> None:
        parse_segment(self.segment)  # raises with the choices
        if self.a == self.b:
            raise ValueError(f"compare two different groups (both are '{self.a}')")
        if self.analysis != "journeys" and self.analysis not in ANALYSES:
            choices = ", ".join(["journeys", *ANALYSES])
            raise ValueError(f"cannot compare '{self.analysis}'; choose one of: {choices}")
        if not 0 < self.alpha < 1:
            raise ValueError(f"alpha must be between 0 and 1 (got {self.alpha})")


@dataclass
class Comparison:
    """Two results side by side.

    ``a`` and ``b``: the analysis's result for each group (None for ``journeys``);
    ``sizes``: journeys per group; ``differences``: one row per measure with ``measure``,
    ``kind`` (share or mean), ``a``, ``b``, ``difference`` (a - b), ``n_a``, ``n_b``,
    ``effect`` (Cohen's h or d), ``z``, ``p_value``, ``q_value``, ``significant``, ranked.
    """

    query: CompareQuery
    a: Any
    b: Any
    sizes: dict[str, int]
    differences: pa.Table

    def to_frame(self) -> pd.DataFrame:
        """The ranked differences."""
        frame: pd.DataFrame = self.differences.to_pandas()
        return frame

    def figure(self, top: int = 15) -> go.Figure:
        """The top differences as paired bars of group a and group b."""
        import plotly.graph_objects as go

        rows = self.differences.slice(0, top).to_pylist()[::-1]
        names = [f"{r['measure']}{' *' if r['significant'] else ''}" for r in rows]
        fig = go.Figure()
        for column, group, colour in zip(
            ("a", "b"), (self.query.a, self.query.b), GROUP_COLOURS, strict=True
        ):
            fig.add_trace(
                go.Bar(
                    name=f"{group} ({self.sizes[column]:,} journeys)",
                    y=names,
                    x=[r[column] for r in rows],
                    orientation="h",
                    marker={"color": colour},
                )
            )
        fig.update_layout(
            barmode="group",
            title=f"{self.query.analysis}: {self.query.a} vs {self.query.b} "
            f"by {self.query.segment} (* significant)",
            height=max(320, 28 * len(rows) + 120),
        )
        return fig


# -- statistics ------------------------------------------------------------------------------


def cohens_h(p: float, q: float) -> float:
    """Effect size of a difference between two proportions."""
    return 2 * math.asin(math.sqrt(p)) - 2 * math.asin(math.sqrt(q))


def _share_test(pa_: float, na: int, pb: float, nb: int) -> tuple[float, float]:
    pooled = (pa_ * na + pb * nb) / (na + nb)
    se = math.sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb))
    z = (pa_ - pb) / se if se > 0 else 0.0
    return z, cohens_h(min(max(pa_, 0.0), 1.0), min(max(pb, 0.0), 1.0))


def _mean_test(ma: float, sa: float, na: int, mb: float, sb: float, nb: int) -> tuple[float, float]:
    se = math.sqrt(sa**2 / na + sb**2 / nb)
    z = (ma - mb) / se if se > 0 else 0.0
    pooled = math.sqrt(((na - 1) * sa**2 + (nb - 1) * sb**2) / max(na + nb - 2, 1))
    return z, (ma - mb) / pooled if pooled > 0 else 0.0


def benjamini_hochberg(p_values: np.ndarray) -> np.ndarray:
    """Adjusted p-values (false discovery rate) of independent tests.

    Examples
    --------
    >>> benjamini_hochberg(np.array([0.01, 0.04, 0.03])).round(3).tolist()
    [0.03, 0.04, 0.04]
    """
    m = len(p_values)
    if m == 0:
        return p_values
    order = np.argsort(p_values)
    ranked = p_values[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(adjusted, 1.0)
    return out


def differences(a: pd.DataFrame, b: pd.DataFrame, alpha: float) -> pa.Table:
    """Test each measure found in either group's measures (see `MEASURE_COLUMNS`).

    A measure missing from one group counts as a share of 0 there (e.g. a variant nobody in
    that group followed); a mean missing from one group cannot be compared and is left out.
    """
    joined = a.merge(b, on=["measure", "kind"], how="outer", suffixes=("_a", "_b"))
    # Within a group every share has the same denominator (its journeys, or its funnel's
    # entrants): a share missing from a group is 0 of that many.
    base_a, base_b = _share_base(a), _share_base(b)
    rows = []
    for r in joined.to_dict("records"):
        if r["kind"] == "share":
            na, nb = int(_fill(r["n_a"], base_a)), int(_fill(r["n_b"], base_b))
            if na == 0 or nb == 0:
                continue
            va, vb = float(_fill(r["value_a"], 0.0)), float(_fill(r["value_b"], 0.0))
            z, effect = _share_test(va, na, vb, nb)
        else:
            if _missing(r["value_a"]) or _missing(r["value_b"]):
                continue
            na, nb = int(r["n_a"]), int(r["n_b"])
            if na < 2 or nb < 2:
                continue
            va, vb = float(r["value_a"]), float(r["value_b"])
            z, effect = _mean_test(va, float(r["sd_a"]), na, vb, float(r["sd_b"]), nb)
        rows.append(
            {
                "measure": r["measure"],
                "kind": r["kind"],
                "a": va,
                "b": vb,
                "difference": va - vb,
                "n_a": na,
                "n_b": nb,
                "effect": effect,
                "z": z,
                "p_value": math.erfc(abs(z) / math.sqrt(2)),  # two-sided normal
            }
        )
    frame = pd.DataFrame(rows, columns=list(TESTED_COLUMNS))
    frame["q_value"] = benjamini_hochberg(frame["p_value"].to_numpy(dtype=float))
    frame["significant"] = frame["q_value"] < alpha
    frame["_size"] = frame["effect"].abs()
    frame = frame.sort_values(["significant", "_size", "measure"], ascending=[False, False, True])
    return pa.Table.from_pandas(frame.drop(columns="_size"), preserve_index=False)


def _share_base(measures: pd.DataFrame) -> int:
    shares = measures.loc[measures["kind"] == "share", "n"]
    return int(shares.max()) if len(shares) else 0


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _fill(value: Any, default: float) -> Any:
    return default if _missing(value) else value


# -- measures of each analysis ----------------------------------------------------------------


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(MEASURE_COLUMNS))


def journey_measures(backend: Backend) -> pd.DataFrame:
    """Means (with standard deviations) and shares of the journey measures of a group."""
    journeys = backend.table("journeys")
    aggregates: dict[str, Any] = {"n": journeys.count()}
    for name, (column, kind) in JOURNEY_MEASURES.items():
        value = journeys[column]
        if name == "duration_hours":
            value = value / 3600.0
        if name == "abandonment_rate":
            value = (journeys.status == "abandoned").cast("float64")
        elif kind == "share":
            aggregates[f"{name}__n"] = value.count()
            value = value.cast("float64")
        aggregates[f"{name}__mean"] = value.mean()
        aggregates[f"{name}__sd"] = value.std()
    row = backend.to_arrow(journeys.aggregate(**aggregates)).to_pylist()[0]
    rows = []
    for name, (_, kind) in JOURNEY_MEASURES.items():
        n = row.get(f"{name}__n", row["n"])
        rows.append(
            {
                "measure": name,
                "kind": kind,
                "value": row[f"{name}__mean"],
                "n": n,
                "sd": row[f"{name}__sd"],
            }
        )
    return _frame(rows)


def _process_map_measures(result: Any) -> pd.DataFrame:
    total = sum(result.nodes.column("starts").to_pylist())
    return _frame(
        [
            {
                "measure": f"{r['source']} → {r['target']}",
                "kind": "share",
                "value": r["journeys"] / total,
                "n": total,
                "sd": None,
            }
            for r in result.edges.to_pylist()
        ]
    )


def _variants_measures(result: Any) -> pd.DataFrame:
    return _frame(
        [
            {
                "measure": " > ".join(r["path"]),
                "kind": "share",
                "value": r["share"],
                "n": result.total_journeys,
                "sd": None,
            }
            for r in result.table.to_pylist()
        ]
    )


def _flows_measures(result: Any) -> pd.DataFrame:
    total = result.journeys
    return _frame(
        [
            {
                "measure": f"step {r['step']}: {r['source']} → {r['target']}",
                "kind": "share",
                "value": r["journeys"] / total if total else 0.0,
                "n": total,
                "sd": None,
            }
            for r in result.links.to_pylist()
        ]
    )


def _funnel_measures(result: Any) -> pd.DataFrame:
    rows = result.steps.to_pylist()
    started = rows[0]["converted"] if rows else 0
    return _frame(
        [
            {
                "measure": f"reached step {r['step']}: {r['label']}",
                "kind": "share",
                "value": r["converted"] / started if started else 0.0,
                "n": started,
                "sd": None,
            }
            for r in rows[1:]
        ]
    )


@dataclass(frozen=True)
class Comparable:
    """How to run an analysis on a group and reduce its result to measures."""

    run: Callable[[Backend, Mapping[str, Any]], Any]
    measures: Callable[[Any], pd.DataFrame]


def _process_map(backend: Backend, options: Mapping[str, Any]) -> Any:
    from journeylens.analytics.process_map import ProcessMapQuery, process_map

    return process_map(backend, ProcessMapQuery(**options))


def _variants(backend: Backend, options: Mapping[str, Any]) -> Any:
    from journeylens.analytics.variants import VariantsQuery, variants

    return variants(backend, VariantsQuery(**options))


def _flows(backend: Backend, options: Mapping[str, Any]) -> Any:
    from journeylens.analytics.flows import FlowsQuery, flows

    return flows(backend, FlowsQuery(**options))


def _funnel(backend: Backend, options: Mapping[str, Any]) -> Any:
    from journeylens.analytics.funnels import FunnelQuery, funnel

    return funnel(backend, FunnelQuery(**options))


#: The analyses that compare (a table, not an if/elif chain).
ANALYSES: dict[str, Comparable] = {
    "process_map": Comparable(_process_map, _process_map_measures),
    "variants": Comparable(_variants, _variants_measures),
    "flows": Comparable(_flows, _flows_measures),
    "funnel": Comparable(_funnel, _funnel_measures),
}


def compare(backend: Backend, query: CompareQuery) -> Comparison:
    """Run ``query.analysis`` for both groups and rank their differences.

    Raises
    ------
    ValueError
        When a group has no journeys (naming the groups that exist).
    """
    groups = {"a": query.a, "b": query.b}
    scope = backend.table("journeys")
    if query.journey_type is not None:
        scope = scope.filter(scope.journey_type == query.journey_type)
    subsets: dict[str, JourneySubset] = {}
    sizes: dict[str, int] = {}
    for side, value in groups.items():
        subset = JourneySubset(backend, journeys_in(backend, query.segment, value, scope))
        sizes[side] = int(backend.scalar(subset.table("journeys").count()))
        if sizes[side] == 0:
            raise ValueError(
                f"no journeys in group '{value}' of {query.segment}; its groups: "
                f"{_groups(backend, query.segment, scope)}"
            )
        subsets[side] = subset
    if query.analysis == "journeys":
        results: dict[str, Any] = {"a": None, "b": None}
        measured = {side: journey_measures(subset) for side, subset in subsets.items()}
    else:
        comparable = ANALYSES[query.analysis]
        results = {side: comparable.run(s, query.options) for side, s in subsets.items()}
        measured = {side: comparable.measures(r) for side, r in results.items()}
    table = differences(measured["a"], measured["b"], query.alpha)
    return Comparison(query, results["a"], results["b"], sizes, table)


def _groups(backend: Backend, by: str, scope: ir.Table, shown: int = 12) -> str:
    from journeylens.analytics.segments import segment_table

    table = segment_table(backend, by, scope)
    counts = table.group_by("segment").aggregate(journeys=table.count())
    rows = backend.to_arrow(counts.order_by(ibis.desc("journeys")).limit(shown)).to_pylist()
    return ", ".join(f"{r['segment']} ({r['journeys']:,})" for r in rows)
