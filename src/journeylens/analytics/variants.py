"""Variants: distinct journey paths with their counts, share and median duration.

Spill-safe on large data: a journey's path is identified by a sum of hashes of its
(position, label) pairs, a plain aggregate that spills; only one representative journey per
variant has its path spelt out (see the design's gotchas).

Examples
--------
>>> VariantsQuery(collapse_repeats=True).collapse_repeats
True
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from journeylens.analytics.labels import Label, filtered, labelled
from journeylens.store.backends import Backend


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


def _paths(steps: ir.Table, collapse: bool) -> ir.Table:
    """Steps that make up each path, numbered from 1 (repeats dropped when collapsing)."""
    if not collapse:
        return steps.mutate(position=steps.step)
    window = ibis.window(group_by=steps.journey_key, order_by=steps.step)
    kept = steps.filter(
        ibis.coalesce(steps.label.lag().over(window) != steps.label, ibis.literal(True))
    )
    return kept.mutate(
        position=(
            ibis.row_number().over(ibis.window(group_by=kept.journey_key, order_by=kept.step)) + 1
        )
    )


def variants_expr(steps: ir.Table, journeys: ir.Table, collapse: bool) -> ir.Table:
    """Per journey, its variant key (a spill-safe fingerprint of its path)."""
    path = _paths(steps, collapse)
    token = (path.position.cast("string") + ibis.literal("\x1f") + path.label).hash()
    per_journey = path.group_by("journey_key").aggregate(
        _key=token.cast("decimal(38, 0)").sum().cast("string"), _length=path.count()
    )
    return per_journey.join(journeys.select("journey_key", "duration_seconds"), "journey_key")


def variants(backend: Backend, query: VariantsQuery | None = None) -> Variants:
    """Compute the variants of the workspace's journeys."""
    query = query or VariantsQuery()
    journeys = backend.table("journeys")
    steps = labelled(
        filtered(backend.table("journey_steps"), journeys, query.journey_type), query.by
    )
    keyed = backend.materialise(
        "_variant_keys", variants_expr(steps, journeys, query.collapse_repeats)
    )
    try:
        total = int(backend.scalar(keyed.count()))
        grouped = keyed.group_by(["_key", "_length"]).aggregate(
            journeys=keyed.count(),
            median_seconds=keyed.duration_seconds.median(),
            example=keyed.journey_key.min(),
        )
        grouped = grouped.order_by([ibis.desc("journeys"), "example"])
        if query.top:
            grouped = grouped.limit(query.top)
        counted = backend.to_arrow(grouped)
        examples = counted.column("example").to_pylist()
        path = _paths(steps, query.collapse_repeats)
        wanted = path.filter(path.journey_key.isin(examples)) if examples else path.limit(0)
        rows = backend.to_arrow(wanted.select("journey_key", "position", "label")).to_pylist()
    finally:
        backend.drop("_variant_keys")
    sequences: dict[str, list[tuple[int, str]]] = {}
    for row in rows:
        sequences.setdefault(row["journey_key"], []).append((row["position"], row["label"]))
    paths = [[label for _, label in sorted(sequences.get(key, []))] for key in examples]
    counts = counted.column("journeys").to_pylist()
    table = pa.table(
        {
            "path": pa.array(paths, pa.list_(pa.string())),
            "journeys": pa.array(counts, pa.int64()),
            "share": pa.array([c / total if total else 0.0 for c in counts], pa.float64()),
            "median_seconds": counted.column("median_seconds"),
            "example": pa.array(examples, pa.string()),
        }
    )
    return Variants(query, table, total)
