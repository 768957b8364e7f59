"""Designed vs actual: how journeys of a mapped type conform to their journey map.

For each journey of a type that has a map (`journeylens.analytics.journey_maps`): off-path
steps, skipped steps, loops, an SLA breach and a fitness score in [0, 1] (see
`journeylens.analytics.alignment` for the alignment and the formula). Aggregated: deviation
hot spots per stage and per ``activity@channel``, hand-offs per stage, and the fitness
distribution per journey type.

Spill-safe and fast: journeys are grouped into variants (by ``activity@channel`` path, with
the spill-safe fingerprint of `journeylens.analytics.variants`); only one representative path
per variant is aligned, in Python, and the per-variant result is joined back to the journeys
in the engine (per-journey rows, SLA, success).

Examples
--------
>>> from journeylens.analytics.journey_maps import parse_journey_maps
>>> maps = parse_journey_maps({"fault": {"stages": [{"name": "Report", "steps": [
...     {"activity": "fault_reported"}]}]}})
>>> ConformanceQuery(maps).types
('fault',)
>>> ConformanceQuery(maps, journey_type="moving")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: no journey map for type 'moving' in journey maps; ...
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from journeylens.analytics.alignment import Alignment, MapAutomaton, align
from journeylens.analytics.conformance_tables import (
    KINDS,
    VariantAlignment,
    distribution_table,
    handoff_table,
    hotspot_table,
    stage_table,
    summary_table,
)
from journeylens.analytics.journey_maps import JourneyMaps
from journeylens.analytics.labels import labelled
from journeylens.analytics.variants import scratch_name, variant_keys
from journeylens.palette import PALETTE
from journeylens.store.backends import Backend

if TYPE_CHECKING:
    import plotly.graph_objects as go

#: Colours of the deviation kinds in figures (Okabe-Ito).
COLOURS = {"off_path": PALETTE[3], "skipped": PALETTE[0], "loop": PALETTE[1]}


@dataclass(frozen=True)
class ConformanceQuery:
    """Which journeys to hold against which maps.

    Parameters
    ----------
    maps : JourneyMaps
        The designed journeys (`load_journey_maps`).
    journey_type : str, optional
        Only this journey type (it must have a map); by default every mapped type.
    """

    maps: JourneyMaps
    journey_type: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.maps, JourneyMaps):
            raise ValueError(
                "maps must be JourneyMaps: read them with load_journey_maps(path) or "
                "parse_journey_maps(data)"
            )
        if self.journey_type is not None and self.journey_type not in self.maps:
            raise ValueError(
                f"no journey map for type '{self.journey_type}' in {self.maps.source}; "
                f"maps exist for: {', '.join(self.maps)} (pick one, or add a map)"
            )

    @property
    def types(self) -> tuple[str, ...]:
        """The journey types held against their map."""
        return (self.journey_type,) if self.journey_type else tuple(self.maps)


@dataclass
class Conformance:
    """How journeys conform to their maps.

    ``journeys`` (per journey, `to_frame`): ``journey_key``, ``journey_type``, ``status``,
    ``fitness``, ``cost``, ``worst_cost``, ``off_path``, ``skipped``, ``loops``,
    ``alternatives`` (stages passed by an alternative), ``duration_seconds``, ``sla_seconds``,
    ``sla_breach``, ``fits`` (no deviation), ``conforming`` (fits and no SLA breach),
    ``succeeded`` (the map's success criterion), ``deviations`` (readable list).
    ``hotspots``: ``journey_type``, ``stage_index``, ``stage``, ``kind`` (off_path, skipped,
    loop), ``label`` (``activity@channel``; for a skipped step its allowed channels),
    ``reason`` (off-path: not_in_map, wrong_channel, out_of_place), ``events``, ``journeys``,
    ``share`` (of the type's journeys), most journeys first. ``stages``: per stage the
    journeys with each kind of deviation and their shares. ``handoffs``: channel switches
    per stage (``from_channel``, ``to_channel``, ``handoffs``, ``journeys``, ``share``,
    ``off_path`` = switches to or from an off-path or loop step). ``summary``: per type
    ``journeys``, ``variants``, ``fitness`` (mean), ``log_fitness``, fitness quantiles,
    ``fitting_share``, ``sla_breach_share``, ``conforming_share``, ``success_share``.
    ``distribution``: journeys per fitness bin and type.
    """

    query: ConformanceQuery
    journeys: pa.Table
    hotspots: pa.Table
    stages: pa.Table
    handoffs: pa.Table
    summary: pa.Table
    distribution: pa.Table

    def to_frame(self) -> pd.DataFrame:
        """One row per journey."""
        frame: pd.DataFrame = self.journeys.to_pandas()
        return frame

    def figure(self) -> go.Figure:
        """Per journey type, bars of the share of journeys with each kind of deviation, stage
        by stage (a plotly ``Figure``)."""
        import plotly.graph_objects as go
        from plotly.subplots import make_subplots

        rows = self.stages.to_pylist()
        types = list(dict.fromkeys(r["journey_type"] for r in rows)) or list(self.query.types)
        figure = make_subplots(
            rows=len(types),
            cols=1,
            subplot_titles=[f"{t}: share of journeys deviating, per stage" for t in types],
        )
        for n, journey_type in enumerate(types, start=1):
            mine = [r for r in rows if r["journey_type"] == journey_type]
            for kind in KINDS:
                figure.add_trace(
                    go.Bar(
                        x=[r["stage"] for r in mine],
                        y=[r[f"{kind}_share"] for r in mine],
                        name=kind.replace("_", "-"),
                        marker_color=COLOURS[kind],
                        legendgroup=kind,
                        showlegend=n == 1,
                        hovertemplate="%{x}<br>%{y:.1%} of journeys<extra>" + kind + "</extra>",
                    ),
                    row=n,
                    col=1,
                )
            figure.update_yaxes(tickformat=".0%", row=n, col=1)
        figure.update_layout(
            barmode="group", template="plotly_white", height=max(320, 300 * len(types))
        )
        return figure


@contextmanager
def _scratch(backend: Backend) -> Iterator[Any]:
    """Store scratch tables (temporary where the engine can) and drop them afterwards."""
    names: list[str] = []

    def store(prefix: str, obj: ir.Table | pa.Table) -> ir.Table:
        name = scratch_name(prefix)
        names.append(name)
        backend.append(name, obj, temporary=True)
        return backend.table(name)

    try:
        yield store
    finally:
        for name in names:
            backend.drop(name)


def _per_type(column: ir.StringValue, values: dict[str, Any], dtype: str) -> ir.Value:
    """A value per journey type, null for types without one."""
    branches = [(column == t, ibis.literal(v, dtype)) for t, v in values.items() if v is not None]
    return ibis.cases(*branches, else_=ibis.null(dtype)) if branches else ibis.null(dtype)


def _success(steps: ir.Table, mapped: ir.Table, query: ConformanceQuery) -> ir.Table | None:
    """Per journey, whether it met its map's success criterion (None without criteria)."""
    branches = []
    typed = steps.join(mapped.select("journey_key", "journey_type"), "journey_key")
    for journey_type in query.types:
        success = query.maps[journey_type].success
        if success is None or not (success.activities or success.outcomes):
            continue
        hit = typed.activity.isin(success.activities) if success.activities else None
        if success.outcomes:
            by_outcome = typed.outcome.isin(success.outcomes)
            hit = by_outcome if hit is None else hit | by_outcome
        assert hit is not None
        branches.append(((typed.journey_type == journey_type) & hit.fill_null(False), True))
    if not branches:
        return None
    hits = typed.mutate(_hit=ibis.cases(*branches, else_=False).cast("int64"))
    return hits.group_by("journey_key").aggregate(_succeeded=hits._hit.max())


def _align_variants(
    query: ConformanceQuery, counts: pa.Table, rows: pa.Table
) -> list[VariantAlignment]:
    """Align the representative path of every variant against its map."""
    paths: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    for row in rows.to_pylist():
        paths[row["journey_key"]].append((row["step"], row["activity"], row["channel"]))
    automata = {t: MapAutomaton.from_map(query.maps[t]) for t in query.types}
    found = []
    for row in counts.to_pylist():
        events = [(activity, channel) for _, activity, channel in sorted(paths[row["example"]])]
        automaton = automata[row["journey_type"]]
        found.append(VariantAlignment(row, events, automaton, align(automaton, events)))
    return found


def _aligned_table(variants: list[VariantAlignment]) -> pa.Table:
    """The per-variant result, keyed like the journeys' variant keys."""

    def column(get: Any) -> list[Any]:
        return [get(v.alignment) for v in variants]

    return pa.table(
        {
            "journey_type": pa.array([v.row["journey_type"] for v in variants], pa.string()),
            "variant": pa.array([v.row["variant"] for v in variants], pa.string()),
            "length": pa.array([v.row["length"] for v in variants], pa.int64()),
            "fitness": pa.array(column(lambda a: a.fitness), pa.float64()),
            "cost": pa.array(column(lambda a: a.cost), pa.int64()),
            "worst_cost": pa.array(column(lambda a: a.worst_cost), pa.int64()),
            "off_path": pa.array(column(lambda a: a.count("off_path")), pa.int64()),
            "skipped": pa.array(column(lambda a: a.count("skipped")), pa.int64()),
            "loops": pa.array(column(lambda a: a.count("loop")), pa.int64()),
            "alternatives": pa.array(column(lambda a: a.alternatives), pa.int64()),
            "deviations": pa.array([v.deviations() for v in variants], pa.list_(pa.string())),
        }
    )


def _per_journey(
    keyed: ir.Table, aligned: ir.Table, success: ir.Table | None, query: ConformanceQuery
) -> ir.Table:
    joined = keyed.join(aligned, ["journey_type", "variant", "length"])
    if success is not None:
        success = success.rename(_success_key="journey_key")
        joined = joined.left_join(success, joined.journey_key == success._success_key)
        succeeded = joined._succeeded == 1
    else:
        succeeded = ibis.null("boolean")
    has_criterion = [
        t for t in query.types if (s := query.maps[t].success) and (s.activities or s.outcomes)
    ]
    sla = _per_type(
        joined.journey_type, {t: query.maps[t].sla_seconds for t in query.types}, "int64"
    )
    breach = joined.duration_seconds > sla
    fits = joined.cost == 0
    return joined.select(
        "journey_key",
        "journey_type",
        "status",
        "fitness",
        "cost",
        "worst_cost",
        "off_path",
        "skipped",
        "loops",
        "alternatives",
        "duration_seconds",
        sla_seconds=sla,
        sla_breach=breach,
        fits=fits,
        conforming=fits & ~breach.fill_null(False),
        succeeded=ibis.cases(
            (joined.journey_type.isin(has_criterion), succeeded.fill_null(False)),
            else_=ibis.null("boolean"),
        )
        if has_criterion
        else ibis.null("boolean"),
        deviations=joined.deviations,
    )


def conformance(backend: Backend, query: ConformanceQuery) -> Conformance:
    """Hold the workspace's journeys of mapped types against their maps."""
    journeys = backend.table("journeys")
    mapped = journeys.filter(journeys.journey_type.isin(list(query.types)))
    steps = labelled(
        backend.table("journey_steps").semi_join(mapped.select("journey_key"), "journey_key"),
        "activity@channel",
    )
    with _scratch(backend) as store:
        keyed = store(
            "conformance_keys",
            variant_keys(steps, journeys).join(
                mapped.select("journey_key", "journey_type", "status"), "journey_key"
            ),
        )
        variants = store(
            "conformance_variants",
            keyed.group_by(["journey_type", "variant", "length"]).aggregate(
                journeys=keyed.count(), example=keyed.journey_key.min()
            ),
        )
        counts = backend.to_arrow(
            variants.order_by(["journey_type", ibis.desc("journeys"), "example"])
        )
        rows = backend.to_arrow(
            steps.semi_join(variants.select(journey_key=variants.example), "journey_key").select(
                "journey_key", "step", "activity", "channel"
            )
        )
        aligned_variants = _align_variants(query, counts, rows)
        aligned = store("conformance_aligned", _aligned_table(aligned_variants))
        per_journey = store(
            "conformance_journeys",
            _per_journey(keyed, aligned, _success(steps, mapped, query), query),
        )
        table = backend.to_arrow(per_journey.order_by("journey_key"))
        totals = backend.to_arrow(
            per_journey.group_by("journey_type").aggregate(
                journeys=per_journey.count(),
                sla_breaches=per_journey.sla_breach.cast("int64").sum(),
                conforming=per_journey.conforming.cast("int64").sum(),
                succeeded=per_journey.succeeded.cast("int64").sum(),
            )
        )
    by_type = {r["journey_type"]: r for r in totals.to_pylist()}
    type_totals = Counter({t: int(r["journeys"]) for t, r in by_type.items()})
    return Conformance(
        query,
        table,
        hotspot_table(aligned_variants, type_totals),
        stage_table(aligned_variants, type_totals, query.maps),
        handoff_table(aligned_variants, type_totals),
        summary_table(aligned_variants, by_type, query.maps),
        distribution_table(aligned_variants, type_totals, query.maps),
    )


__all__ = ["Alignment", "Conformance", "ConformanceQuery", "conformance"]
