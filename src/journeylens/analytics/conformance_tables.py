"""The aggregated tables of a conformance result, from the aligned variants and their counts.

Every count is exact: a variant's alignment is the same for all of its journeys, so a
deviation of a variant counts once per journey of the variant (``journeys``) and once per
occurrence per journey (``events``). Shares are of the journeys of the type.

Examples
--------
>>> weighted_quantile([(0.5, 1), (1.0, 3)], 0.25), weighted_quantile([(0.5, 1), (1.0, 3)], 0.5)
(0.5, 1.0)
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from journeylens.analytics.alignment import Alignment, MapAutomaton
from journeylens.analytics.journey_maps import JourneyMaps

#: The kinds of deviation, in the order they are shown.
KINDS = ("off_path", "skipped", "loop")
#: The fitness quantiles of the summary.
QUANTILES = {"fitness_p10": 0.1, "fitness_p25": 0.25, "fitness_median": 0.5,
             "fitness_p75": 0.75, "fitness_p90": 0.9}  # fmt: skip
#: Width of a bin of the fitness distribution.
BIN = 0.1


@dataclass
class VariantAlignment:
    """One variant: its counts row, its path, its map and its alignment."""

    row: dict[str, Any]
    events: list[tuple[str, str]]
    automaton: MapAutomaton
    alignment: Alignment
    event_stages: list[int] = field(init=False)

    def __post_init__(self) -> None:
        stages = [0] * len(self.events)
        for move in self.alignment.moves:
            if move.event is not None:
                stages[move.event] = move.stage
        self.event_stages = stages

    @property
    def journey_type(self) -> str:
        return str(self.row["journey_type"])

    @property
    def journeys(self) -> int:
        return int(self.row["journeys"])

    def deviations(self) -> list[str]:
        """Readable deviations, in journey order, e.g. ``Confirmation: skipped a@email``."""
        out = []
        for m in self.alignment.moves:
            if m.deviation is None:
                continue
            what = m.deviation.replace("_", "-")
            reason = f" ({m.reason.replace('_', ' ')})" if m.reason else ""
            out.append(f"{self.automaton.stage_name(m.stage)}: {what} {m.label}{reason}")
        return out


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def hotspot_table(variants: list[VariantAlignment], totals: Mapping[str, int]) -> pa.Table:
    """Deviations per type, stage, kind, ``activity@channel`` and reason."""
    events: Counter[tuple[Any, ...]] = Counter()
    journeys: Counter[tuple[Any, ...]] = Counter()
    for v in variants:
        seen = set()
        for m in v.alignment.moves:
            if m.deviation is None:
                continue
            key = (v.journey_type, m.stage, v.automaton.stage_name(m.stage), m.deviation,
                   m.label, m.reason)  # fmt: skip
            events[key] += v.journeys
            seen.add(key)
        for key in seen:
            journeys[key] += v.journeys
    keys = sorted(journeys, key=lambda k: (-journeys[k], k[0], k[1], KINDS.index(k[3]), k[4]))
    return pa.table(
        {
            "journey_type": pa.array([k[0] for k in keys], pa.string()),
            "stage_index": pa.array([k[1] for k in keys], pa.int64()),
            "stage": pa.array([k[2] for k in keys], pa.string()),
            "kind": pa.array([k[3] for k in keys], pa.string()),
            "label": pa.array([k[4] for k in keys], pa.string()),
            "reason": pa.array([k[5] for k in keys], pa.string()),
            "events": pa.array([events[k] for k in keys], pa.int64()),
            "journeys": pa.array([journeys[k] for k in keys], pa.int64()),
            "share": pa.array([_share(journeys[k], totals[k[0]]) for k in keys], pa.float64()),
        }
    )


def stage_table(
    variants: list[VariantAlignment], totals: Mapping[str, int], maps: JourneyMaps
) -> pa.Table:
    """Per type and stage: journeys with each kind of deviation there, and by an alternative."""
    counts: dict[tuple[str, int], Counter[str]] = defaultdict(Counter)
    for v in variants:
        found: dict[int, set[str]] = defaultdict(set)
        for m in v.alignment.moves:
            if m.deviation is not None:
                found[m.stage].update((m.deviation, "deviating"))
            elif m.kind == "sync" and m.step is not None and m.step.alternative:
                found[m.stage].add("alternative")
        for index, kinds in found.items():
            for kind in kinds:
                counts[v.journey_type, index][kind] += v.journeys
    columns: dict[str, list[Any]] = defaultdict(list)
    names = (*KINDS, "deviating", "alternative")
    for journey_type in maps:
        if not totals.get(journey_type):
            continue
        for index, stage in enumerate(maps[journey_type].stages):
            found_here = counts[journey_type, index]
            columns["journey_type"].append(journey_type)
            columns["stage_index"].append(index)
            columns["stage"].append(stage.name)
            columns["journeys"].append(totals[journey_type])
            for name in names:
                columns[name].append(found_here[name])
                columns[f"{name}_share"].append(_share(found_here[name], totals[journey_type]))
    types = {"journey_type": pa.string(), "stage": pa.string()}
    order = ["journey_type", "stage_index", "stage", "journeys", *names,
             *(f"{n}_share" for n in names)]  # fmt: skip
    return pa.table(
        {
            name: pa.array(
                columns[name],
                types.get(name, pa.float64() if name.endswith("_share") else pa.int64()),
            )
            for name in order
        }
    )


def handoff_table(variants: list[VariantAlignment], totals: Mapping[str, int]) -> pa.Table:
    """Channel switches between consecutive steps, per type and stage of the second step."""
    handoffs: Counter[tuple[Any, ...]] = Counter()
    journeys: Counter[tuple[Any, ...]] = Counter()
    off_path: Counter[tuple[Any, ...]] = Counter()
    for v in variants:
        deviating = {m.event for m in v.alignment.moves if m.kind == "log"}
        seen = set()
        for j in range(1, len(v.events)):
            before, after = v.events[j - 1][1], v.events[j][1]
            if before == after:
                continue
            stage = v.event_stages[j]
            key = (v.journey_type, stage, v.automaton.stage_name(stage), before, after)
            handoffs[key] += v.journeys
            if j in deviating or j - 1 in deviating:
                off_path[key] += v.journeys
            seen.add(key)
        for key in seen:
            journeys[key] += v.journeys
    keys = sorted(journeys, key=lambda k: (-journeys[k], k))
    return pa.table(
        {
            "journey_type": pa.array([k[0] for k in keys], pa.string()),
            "stage_index": pa.array([k[1] for k in keys], pa.int64()),
            "stage": pa.array([k[2] for k in keys], pa.string()),
            "from_channel": pa.array([k[3] for k in keys], pa.string()),
            "to_channel": pa.array([k[4] for k in keys], pa.string()),
            "handoffs": pa.array([handoffs[k] for k in keys], pa.int64()),
            "journeys": pa.array([journeys[k] for k in keys], pa.int64()),
            "share": pa.array([_share(journeys[k], totals[k[0]]) for k in keys], pa.float64()),
            "off_path": pa.array([off_path[k] for k in keys], pa.int64()),
        }
    )


def weighted_quantile(values: list[tuple[float, int]], q: float) -> float | None:
    """The smallest value whose cumulative weight reaches ``q`` of the total (None if empty)."""
    total = sum(weight for _, weight in values)
    if not total:
        return None
    running = 0
    for value, weight in sorted(values):
        running += weight
        if running >= q * total - 1e-9:
            return value
    return max(value for value, _ in values)


def summary_table(
    variants: list[VariantAlignment], by_type: Mapping[str, Mapping[str, Any]], maps: JourneyMaps
) -> pa.Table:
    """Per journey type: fitness (mean, log-level, quantiles) and the shares that conform."""
    rows = []
    for journey_type in maps:
        mine = [v for v in variants if v.journey_type == journey_type]
        totals = by_type.get(journey_type)
        if not mine or totals is None:
            continue
        n = int(totals["journeys"])
        weighted = [(v.alignment.fitness, v.journeys) for v in mine]
        worst = sum(v.alignment.worst_cost * v.journeys for v in mine)
        cost = sum(v.alignment.cost * v.journeys for v in mine)
        fitting = sum(v.journeys for v in mine if v.alignment.cost == 0)
        succeeded = totals["succeeded"]
        rows.append(
            {
                "journey_type": journey_type,
                "journeys": n,
                "variants": len(mine),
                "fitness": sum(f * w for f, w in weighted) / n,
                "log_fitness": 1.0 - cost / worst if worst else 1.0,
                **{name: weighted_quantile(weighted, q) for name, q in QUANTILES.items()},
                "fitting_share": _share(fitting, n),
                "sla_seconds": maps[journey_type].sla_seconds,
                "sla_breach_share": _share(int(totals["sla_breaches"] or 0), n),
                "conforming_share": _share(int(totals["conforming"] or 0), n),
                "success_share": None if succeeded is None else _share(int(succeeded), n),
            }
        )
    schema = pa.schema(
        [
            ("journey_type", pa.string()),
            ("journeys", pa.int64()),
            ("variants", pa.int64()),
            ("fitness", pa.float64()),
            ("log_fitness", pa.float64()),
            *((name, pa.float64()) for name in QUANTILES),
            ("fitting_share", pa.float64()),
            ("sla_seconds", pa.int64()),
            ("sla_breach_share", pa.float64()),
            ("conforming_share", pa.float64()),
            ("success_share", pa.float64()),
        ]
    )
    return pa.Table.from_pylist(rows, schema=schema)


def distribution_table(
    variants: list[VariantAlignment], totals: Mapping[str, int], maps: JourneyMaps
) -> pa.Table:
    """Journeys per fitness bin ``[low, high)`` (the last bin holds 1.0) and type."""
    bins = round(1 / BIN)
    counts: Counter[tuple[str, int]] = Counter()
    for v in variants:
        counts[v.journey_type, min(int(v.alignment.fitness / BIN + 1e-9), bins - 1)] += v.journeys
    keys = [(t, b) for t in maps if totals.get(t) for b in range(bins)]
    return pa.table(
        {
            "journey_type": pa.array([t for t, _ in keys], pa.string()),
            "low": pa.array([round(b * BIN, 10) for _, b in keys], pa.float64()),
            "high": pa.array([round((b + 1) * BIN, 10) for _, b in keys], pa.float64()),
            "journeys": pa.array([counts[k] for k in keys], pa.int64()),
            "share": pa.array([_share(counts[k], totals[k[0]]) for k in keys], pa.float64()),
        }
    )
