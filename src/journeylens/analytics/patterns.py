"""Path patterns: find and count the journeys whose path matches a pattern.

``add_to_cart -> [^support_chat]* -> purchase`` finds the journeys that bought without
contacting support between adding to the cart and buying. The language (labels, ``.`` any
step, ``[a|b]`` / ``[^a|b]`` classes, groups, ``* + ? {n,m}``, ``^`` and ``$`` anchors) is
defined in `journeylens.analytics.pattern_syntax`.

Spill-safe and fast: journeys are grouped into their distinct variants in the engine (the
spill-safe fingerprint of `journeylens.analytics.variants`), the pattern runs in Python on one
representative path per variant, and the journeys of the matching variants are counted from
the variant counts. `PathMatches.journeys` lists the matching journeys' keys by a semi-join on
the variant fingerprint, in the engine.

Examples
--------
>>> PatternQuery("add_to_cart -> [^support_chat]* -> purchase").parsed.labels
('add_to_cart', 'support_chat', 'purchase')
>>> PatternQuery("a -> ")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: path pattern error at column 6: expected a step: ...
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from journeylens.analytics.cleaning import RenameRule, cleaned
from journeylens.analytics.labels import LABELS, Label, filtered, labelled
from journeylens.analytics.pattern_syntax import Pattern, code_point, parse
from journeylens.analytics.variants import (
    count_variants,
    percent,
    variant_bars,
    variant_keys,
    variant_table,
)
from journeylens.store.backends import Backend

if TYPE_CHECKING:
    import plotly.graph_objects as go


@dataclass(frozen=True)
class PatternQuery:
    """Which journeys to find.

    Parameters
    ----------
    pattern : str
        The path pattern (see `pattern_syntax`).
    by : {"activity", "channel", "activity@channel"}
        What the labels in the pattern name.
    journey_type : str, optional
        Only journeys of this type.
    rename : tuple of RenameRule
        Cleaning rules applied to the labels first (see `cleaning`).
    collapse_repeats : bool
        Drop consecutive repeats of a label (after renaming) before matching.
    """

    pattern: str
    by: Label = "activity"
    journey_type: str | None = None
    rename: tuple[RenameRule, ...] = ()
    collapse_repeats: bool = False

    def __post_init__(self) -> None:
        if self.by not in LABELS:
            raise ValueError(f"unknown label '{self.by}'; choose one of {', '.join(LABELS)}")
        self.parsed  # noqa: B018  (parse now: a syntax error is the query's error)

    @property
    def parsed(self) -> Pattern:
        """The parsed pattern."""
        return parse(self.pattern)


@dataclass
class PathMatches:
    """The journeys whose path matches a pattern.

    ``count`` journeys match out of ``total_journeys`` (``share``). ``variants``: the matching
    variants, most frequent first: ``path``, ``journeys``, ``share`` (of all journeys),
    ``median_seconds``, ``example``. ``unknown_labels``: labels of the pattern that no journey
    has (often a typo, or a label of another ``by``).
    """

    query: PatternQuery
    count: int
    total_journeys: int
    variants: pa.Table
    unknown_labels: tuple[str, ...] = ()
    _keys: Callable[[], pa.Table] | None = field(default=None, repr=False, compare=False)
    _cached: pa.Table | None = field(default=None, repr=False, compare=False)

    @property
    def share(self) -> float:
        """Matching journeys over all journeys (of the type)."""
        return self.count / self.total_journeys if self.total_journeys else 0.0

    def to_frame(self) -> pd.DataFrame:
        """The matching variants."""
        frame: pd.DataFrame = self.variants.to_pandas()
        return frame

    def journeys(self) -> pd.DataFrame:
        """The keys of the matching journeys (``journey_key``), sorted.

        Computed on first call by a semi-join in the engine, so the workspace must still be
        open then.
        """
        if self._cached is None:
            empty = pa.table({"journey_key": pa.array([], pa.string())})
            self._cached = self._keys() if self._keys is not None and self.count else empty
        frame: pd.DataFrame = self._cached.to_pandas()
        return frame

    def figure(self, top: int = 15) -> go.Figure:
        """Horizontal bars of the most frequent matching variants, with their share of the
        matching journeys (a plotly ``Figure``)."""
        shown = self.variants.slice(0, top)
        counts = shown.column("journeys").to_pylist()
        return variant_bars(
            shown.column("path").to_pylist(),
            [n / self.count for n in counts] if self.count else [],
            counts,
            title=(
                f"{self.query.pattern}: {self.count:,} of {self.total_journeys:,} journeys "
                f"({percent(self.share)})"
            ),
            axis="share of the matching journeys",
        )


def matching(pattern: Pattern, paths: list[list[str]]) -> list[int]:
    """Indexes of the ``paths`` that match ``pattern`` (one regex search per path)."""
    codes: dict[str, str] = {}
    for path in paths:
        for label in path:
            if label not in codes:
                codes[label] = code_point(len(codes))
    regex = pattern.regex(codes)
    return [
        i
        for i, path in enumerate(paths)
        if regex.search("".join(codes[label] for label in path)) is not None
    ]


def _keys_loader(
    backend: Backend, steps: ir.Table, journeys: ir.Table, chosen: pa.Table
) -> Callable[[], pa.Table]:
    def load() -> pa.Table:
        keyed = variant_keys(steps, journeys)
        wanted = ibis.memtable(chosen)
        found = keyed.semi_join(wanted, ["variant", "length"]).select("journey_key")
        return backend.to_arrow(found.order_by("journey_key"))

    return load


def match_paths(backend: Backend, query: PatternQuery) -> PathMatches:
    """Find the journeys whose path matches ``query.pattern``."""
    pattern = query.parsed
    journeys = backend.table("journeys")
    steps = filtered(backend.table("journey_steps"), journeys, query.journey_type)
    steps = cleaned(labelled(steps, query.by), query.rename, query.collapse_repeats)
    found = count_variants(backend, steps, journeys)
    rows = matching(pattern, found.paths)
    seen = {label for path in found.paths for label in path}
    unknown = tuple(label for label in pattern.labels if label not in seen)
    table = variant_table(found, rows)
    picked = found.counts.take(pa.array(rows, pa.int64()))
    chosen = pa.table(
        {
            "variant": picked.column("variant").cast(pa.string()),
            "length": picked.column("length").cast(pa.int64()),
        }
    )
    count = sum(table.column("journeys").to_pylist())
    return PathMatches(
        query,
        count=count,
        total_journeys=found.total,
        variants=table,
        unknown_labels=unknown,
        _keys=_keys_loader(backend, steps, journeys, chosen),
    )
