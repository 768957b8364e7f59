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
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
import pyarrow as pa

from journeylens.analytics.compare_measures import ANALYSES, journey_measures
from journeylens.analytics.segments import journeys_in, parse_segment
from journeylens.analytics.subset import JourneySubset
from journeylens.palette import PALETTE
from journeylens.store.backends import Backend

if TYPE_CHECKING:
    import plotly.graph_objects as go

#: Colours of the two groups (Okabe-Ito blue and orange).
GROUP_COLOURS = PALETTE[:2]

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
        of an analysis in `journeylens.analytics.compare_measures.ANALYSES`:
        ``process_map``, ``variants``, ``flows``, ``funnel``, ``metrics``, ``breakdowns``,
        ``conformance``, ``paths``.
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

    A share missing from one group counts as 0 of that group's denominator for the share's
    family (e.g. a variant nobody in that group followed); when the group has no other share of
    that family, or a mean is missing, the measure cannot be compared and is left out.
    """
    joined = a.merge(b, on=["measure", "kind", "family"], how="outer", suffixes=("_a", "_b"))
    base_a, base_b = _share_bases(a), _share_bases(b)
    rows = []
    for r in joined.to_dict("records"):
        if r["kind"] == "share":
            na = int(_fill(r["n_a"], base_a.get(r["family"], 0)))
            nb = int(_fill(r["n_b"], base_b.get(r["family"], 0)))
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


def _share_bases(measures: pd.DataFrame) -> dict[str, int]:
    """The denominator of each family of shares in one group's measures."""
    shares = measures.loc[measures["kind"] == "share"]
    return {str(k): int(v) for k, v in shares.groupby("family")["n"].max().items()}


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _fill(value: Any, default: float) -> Any:
    return default if _missing(value) else value


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
        measured = {side: comparable.measures(subsets[side], r) for side, r in results.items()}
    table = differences(measured["a"], measured["b"], query.alpha)
    return Comparison(query, results["a"], results["b"], sizes, table)


def _groups(backend: Backend, by: str, scope: ir.Table, shown: int = 12) -> str:
    from journeylens.analytics.segments import segment_table

    table = segment_table(backend, by, scope)
    counts = table.group_by("segment").aggregate(journeys=table.count())
    rows = backend.to_arrow(counts.order_by(ibis.desc("journeys")).limit(shown)).to_pylist()
    return ", ".join(f"{r['segment']} ({r['journeys']:,})" for r in rows)
