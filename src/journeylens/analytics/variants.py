"""Variants: distinct journey paths with their counts, share and median duration.

Spill-safe on large data: a journey's path is identified by a sum of hashes of its
(position, label) pairs, a plain aggregate that spills; only one representative journey per
variant has its path spelt out (see the design's gotchas). `count_variants` is the reusable
part (path patterns run on its distinct variants); `variant_keys` gives each journey its
variant, to find the journeys of chosen variants by a semi-join in the engine.

Examples
--------
>>> VariantsQuery(collapse_repeats=True).collapse_repeats
True
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from journeylens.analytics.cleaning import cleaned
from journeylens.analytics.labels import Label, filtered, labelled
from journeylens.palette import PALETTE
from journeylens.store.backends import Backend

if TYPE_CHECKING:
    import plotly.graph_objects as go

#: Bars of a single series: Okabe-Ito blue.
BAR_COLOUR = PALETTE[0]


@dataclass(frozen=True)
class VariantsQuery:
    """Which variants.

    Parameters
    ----------
    by : {"activity", "channel", "activity@channel"}
        What a step of a path is.
    journey_type : str, optional
        Only journeys of this type.
    collapse_repeats : bool
        Group near-identical variants: consecutive repeats of one label count once
        (``a b b c`` and ``a b c`` are one variant).
    top : int, optional
        Only the most frequent variants.
    """

    by: Label = "activity"
    journey_type: str | None = None
    collapse_repeats: bool = False
    top: int | None = None


@dataclass
class Variants:
    """Variants, most frequent first: ``path`` (list of labels), ``journeys``, ``share``,
    ``median_seconds`` (journey duration), ``example`` (a journey key)."""

    query: VariantsQuery
    table: pa.Table
    total_journeys: int

    def to_frame(self) -> pd.DataFrame:
        """The variants as a DataFrame."""
        frame: pd.DataFrame = self.table.to_pandas()
        return frame

    def figure(self, top: int = 15) -> go.Figure:
        """Horizontal bars of the ``top`` most frequent variants with their share (a plotly
        ``Figure``)."""
        shown = self.table.slice(0, top)
        return variant_bars(
            shown.column("path").to_pylist(),
            shown.column("share").to_pylist(),
            shown.column("journeys").to_pylist(),
            title=f"top {shown.num_rows} variants of {self.total_journeys:,} journeys",
        )


@dataclass
class VariantCounts:
    """The distinct paths of some journeys, most frequent first (ties: example key).

    ``counts``: ``variant`` (the fingerprint), ``length``, ``journeys``, ``median_seconds``,
    ``example`` (the smallest journey key of the variant); ``paths``: the labels of each
    variant, in the rows' order; ``total``: journeys counted.
    """

    counts: pa.Table
    paths: list[list[str]]
    total: int


def variant_keys(steps: ir.Table, journeys: ir.Table) -> ir.Table:
    """Per journey its ``variant`` (a spill-safe fingerprint of its path), ``length`` and
    ``duration_seconds``.

    ``steps`` are labelled (and cleaned): the path is the labels in ``step`` order.
    """
    token = (steps.step.cast("string") + ibis.literal("\x1f") + steps.label).hash()
    per_journey = steps.group_by("journey_key").aggregate(
        variant=token.cast("decimal(38, 0)").sum().cast("string"), length=steps.count()
    )
    return per_journey.join(journeys.select("journey_key", "duration_seconds"), "journey_key")


def scratch_name(prefix: str) -> str:
    """A table name no other computation uses at the same time."""
    return f"_{prefix}_{uuid.uuid4().hex[:12]}"


def count_variants(
    backend: Backend, steps: ir.Table, journeys: ir.Table, top: int | None = None
) -> VariantCounts:
    """Count the variants of labelled ``steps`` and spell out one path per variant.

    Two small scratch tables (journey keys, variant counts) are materialised and dropped.
    """
    keys_name, counts_name = scratch_name("variant_keys"), scratch_name("variant_counts")
    try:
        keyed = backend.materialise(keys_name, variant_keys(steps, journeys))
        total = int(backend.scalar(keyed.count()))
        grouped = keyed.group_by(["variant", "length"]).aggregate(
            journeys=keyed.count(),
            median_seconds=keyed.duration_seconds.median(),
            example=keyed.journey_key.min(),
        )
        if top:
            grouped = grouped.order_by([ibis.desc("journeys"), "example"]).limit(top)
        stored = backend.materialise(counts_name, grouped)
        counts = backend.to_arrow(stored.order_by([ibis.desc("journeys"), "example"]))
        examples = stored.select(journey_key=stored.example)
        rows = backend.to_arrow(
            steps.semi_join(examples, "journey_key").select("journey_key", "step", "label")
        ).to_pylist()
    finally:
        backend.drop(keys_name)
        backend.drop(counts_name)
    sequences: dict[str, list[tuple[int, str]]] = {}
    for row in rows:
        sequences.setdefault(row["journey_key"], []).append((row["step"], row["label"]))
    paths = [
        [label for _, label in sorted(sequences.get(key, []))]
        for key in counts.column("example").to_pylist()
    ]
    return VariantCounts(counts, paths, total)


def variant_table(found: VariantCounts, rows: list[int] | None = None) -> pa.Table:
    """``path``, ``journeys``, ``share`` (of all counted journeys), ``median_seconds``,
    ``example`` for the variants at ``rows`` (all when None)."""
    picked = list(range(found.counts.num_rows)) if rows is None else rows
    chosen = found.counts.take(pa.array(picked, pa.int64()))
    counts = chosen.column("journeys").to_pylist()
    total = found.total
    return pa.table(
        {
            "path": pa.array([found.paths[i] for i in picked], pa.list_(pa.string())),
            "journeys": pa.array(counts, pa.int64()),
            "share": pa.array([c / total if total else 0.0 for c in counts], pa.float64()),
            "median_seconds": chosen.column("median_seconds").cast(pa.float64()),
            "example": chosen.column("example").cast(pa.string()),
        }
    )


def variant_bars(
    paths: list[list[str]],
    shares: list[float],
    journeys: list[int],
    title: str,
    axis: str = "share of journeys",
) -> go.Figure:
    """Horizontal bars of variants with their share, the first on top; long paths wrap over
    up to three lines (the middle elided), the whole path is in the hover text."""
    import plotly.graph_objects as go

    lines = [_wrapped(path) for path in paths]
    figure = go.Figure(
        go.Bar(
            x=shares,
            y=[f"#{i + 1}  " + "<br>".join(wrapped) for i, wrapped in enumerate(lines)],
            orientation="h",
            marker_color=BAR_COLOUR,
            text=[f"{percent(s)} ({n:,})" for s, n in zip(shares, journeys, strict=True)],
            textposition="auto",
            customdata=["<br>".join(_wrapped(path, 10_000)) for path in paths],
            hovertemplate="%{customdata}<br>%{text}<extra></extra>",
        )
    )
    figure.update_layout(
        title=title,
        xaxis={"title": axis, "tickformat": ".1%" if max(shares, default=1) < 0.1 else ".0%"},
        yaxis={"autorange": "reversed", "automargin": True, "tickfont": {"size": 11}},
        height=max(300, 140 + len(lines) * (12 + 14 * max(map(len, lines), default=1))),
        template="plotly_white",
    )
    return figure


def percent(share: float) -> str:
    """A share as a percentage with two significant digits below 1%."""
    return f"{share:.2%}" if 0 < share < 0.01 else f"{share:.1%}"


def _wrapped(path: list[str], most: int = 3, width: int = 70) -> list[str]:
    """The path as lines of at most ``width`` characters, cut at arrows; beyond ``most``
    lines, the first and last line with ``…`` between them."""
    lines: list[str] = []
    for label in path:
        if lines and len(lines[-1]) + 3 + len(label) <= width:
            lines[-1] += " → " + label
        else:
            lines.append(label if not lines else "→ " + label)
    if len(lines) > most:
        lines = [lines[0], "…", lines[-1]]
    return lines


def variants(backend: Backend, query: VariantsQuery | None = None) -> Variants:
    """Compute the variants of the workspace's journeys."""
    query = query or VariantsQuery()
    journeys = backend.table("journeys")
    steps = labelled(
        filtered(backend.table("journey_steps"), journeys, query.journey_type), query.by
    )
    found = count_variants(
        backend, cleaned(steps, collapse=query.collapse_repeats), journeys, query.top
    )
    return Variants(query, variant_table(found), found.total)
