"""What each analysis contributes to a comparison: its result reduced to *measures*.

A measure is one row: ``measure`` (its name), ``kind`` (``share`` or ``mean``), ``value``,
``n`` (its denominator, or the sample of a mean), ``sd`` (means only) and ``family``: shares of
one family share a denominator, so a share that one group lacks (a variant nobody there
followed) counts as 0 of that group's denominator for the family. A share whose family has no
other member in a group (a recovery rate of a breakdown the group never had) cannot be filled
and is left out of the tests.

`ANALYSES` maps each comparable analysis to how it runs on a group (a read-only view of the
workspace holding that group's journeys) and how its result becomes measures.

Examples
--------
>>> sorted(ANALYSES)
['breakdowns', 'conformance', 'flows', 'funnel', 'metrics', 'paths', 'process_map', 'variants']
>>> measure_frame([share("success", 0.5, 10)]).loc[0, "family"]
''
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import ibis.expr.types as ir
import pandas as pd

from journeylens.store.backends import Backend

MEASURE_COLUMNS = ("measure", "kind", "value", "n", "sd", "family")

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


def share(measure: str, value: float, n: int, family: str = "") -> dict[str, Any]:
    """One share measure (``value`` of ``n``)."""
    return {
        "measure": measure,
        "kind": "share",
        "value": value,
        "n": n,
        "sd": None,
        "family": family,
    }


def mean(measure: str, value: float, n: int, sd: float) -> dict[str, Any]:
    """One mean measure over ``n`` journeys with standard deviation ``sd``."""
    return {"measure": measure, "kind": "mean", "value": value, "n": n, "sd": sd, "family": ""}


def measure_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Measures as a frame with `MEASURE_COLUMNS`."""
    return pd.DataFrame(rows, columns=list(MEASURE_COLUMNS)).fillna({"family": ""})


def aggregate_measures(
    backend: Backend, table: ir.Table, values: Mapping[str, tuple[ir.Value, str]]
) -> pd.DataFrame:
    """Means (with sd) and shares (with their non-null count) of per-journey ``values``,
    computed in one aggregation on the engine."""
    aggregates: dict[str, Any] = {"_n": table.count()}
    for name, (value, _) in values.items():
        real = value.cast("float64")
        aggregates[f"{name}__n"] = real.count()
        aggregates[f"{name}__mean"] = real.mean()
        aggregates[f"{name}__sd"] = real.std()
    row = backend.to_arrow(table.aggregate(**aggregates)).to_pylist()[0]
    rows = []
    for name, (_, kind) in values.items():
        n, value = int(row[f"{name}__n"] or 0), row[f"{name}__mean"]
        if n == 0 or value is None:
            continue
        sd = row[f"{name}__sd"]
        rows.append(share(name, value, n) if kind == "share" else mean(name, value, n, sd or 0.0))
    return measure_frame(rows)


def journey_measures(backend: Backend) -> pd.DataFrame:
    """Means (with standard deviations) and shares of the journey measures of a group."""
    journeys = backend.table("journeys")
    values: dict[str, tuple[ir.Value, str]] = {}
    for name, (column, kind) in JOURNEY_MEASURES.items():
        value: ir.Value = journeys[column]
        if name == "duration_hours":
            value = journeys[column] / 3600.0
        elif name == "abandonment_rate":
            value = journeys.status == "abandoned"
        values[name] = (value, kind)
    return aggregate_measures(backend, journeys, values)


# -- one reduction per analysis ----------------------------------------------------------------


def _process_map_measures(backend: Backend, result: Any) -> pd.DataFrame:
    total = sum(result.nodes.column("starts").to_pylist())
    return measure_frame(
        [
            share(f"{r['source']} → {r['target']}", r["journeys"] / total, total)
            for r in result.edges.to_pylist()
        ]
    )


def _variants_measures(backend: Backend, result: Any) -> pd.DataFrame:
    return measure_frame(
        [
            share(" > ".join(r["path"]), r["share"], result.total_journeys)
            for r in result.table.to_pylist()
        ]
    )


def _flows_measures(backend: Backend, result: Any) -> pd.DataFrame:
    total = result.journeys
    return measure_frame(
        [
            share(
                f"step {r['step']}: {r['source']} → {r['target']}",
                r["journeys"] / total if total else 0.0,
                total,
            )
            for r in result.links.to_pylist()
        ]
    )


def _funnel_measures(backend: Backend, result: Any) -> pd.DataFrame:
    rows = result.steps.to_pylist()
    started = rows[0]["converted"] if rows else 0
    return measure_frame(
        [
            share(
                f"reached step {r['step']}: {r['label']}",
                r["converted"] / started if started else 0.0,
                started,
            )
            for r in rows[1:]
        ]
    )


#: Per-journey metrics compared by `_metrics_measures`: name → kind.
METRIC_MEASURES: dict[str, str] = {
    "effort": "mean",
    "friction": "mean",
    "effortless": "mean",
    "painless": "mean",
    "fcr": "share",
    "success": "share",
    "abandoned": "share",
}


def _metrics_measures(backend: Backend, result: Any) -> pd.DataFrame:
    per_journey = result.journeys.expr
    return aggregate_measures(
        backend,
        per_journey,
        {name: (per_journey[name], kind) for name, kind in METRIC_MEASURES.items()},
    )


def _breakdowns_measures(backend: Backend, result: Any) -> pd.DataFrame:
    total = int(backend.scalar(backend.table("journeys").count()))
    rows = []
    for r in result.table.to_pylist():
        point = f"{r['kind']}: {r['label']}"
        rows.append(share(f"breaks down at {point}", r["journeys"] / total, total))
        rows.append(
            share(
                f"recovered after {point}",
                r["recovery_rate"],
                r["breakdowns"],
                family=f"recovery {point}",
            )
        )
    return measure_frame(rows)


def _conformance_measures(backend: Backend, result: Any) -> pd.DataFrame:
    rows = []
    sizes: dict[str, int] = {}
    for r in result.summary.to_pylist():
        kind, n = r["journey_type"], int(r["journeys"])
        sizes[kind] = n
        for column in ("fitting_share", "conforming_share", "sla_breach_share", "success_share"):
            if r[column] is not None:
                rows.append(share(f"{kind}: {column}", r[column], n, family=kind))
    for r in result.hotspots.to_pylist():
        kind = r["journey_type"]
        rows.append(
            share(
                f"{kind}: {r['kind']} {r['label']} ({r['stage']})",
                r["share"],
                sizes[kind],
                family=kind,
            )
        )
    return measure_frame(rows)


def _paths_measures(backend: Backend, result: Any) -> pd.DataFrame:
    total = result.total_journeys
    return measure_frame(
        [share(f"matches {result.query.pattern}", result.count / total if total else 0.0, total)]
    )


@dataclass(frozen=True)
class Comparable:
    """How to run an analysis on a group and reduce its result to measures."""

    run: Callable[[Backend, Mapping[str, Any]], Any]
    measures: Callable[[Backend, Any], pd.DataFrame]


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


def _metrics(backend: Backend, options: Mapping[str, Any]) -> Any:
    from journeylens.analytics.metrics import MetricsQuery, metrics

    return metrics(backend, MetricsQuery(**{"by": None, **options}))


def _breakdowns(backend: Backend, options: Mapping[str, Any]) -> Any:
    from journeylens.analytics.breakdown import BreakdownQuery, breakdowns

    return breakdowns(backend, BreakdownQuery(**options))


def _conformance(backend: Backend, options: Mapping[str, Any]) -> Any:
    from journeylens.analytics.conformance import ConformanceQuery, conformance

    return conformance(backend, ConformanceQuery(**options))


def _paths(backend: Backend, options: Mapping[str, Any]) -> Any:
    from journeylens.analytics.patterns import PatternQuery, match_paths

    return match_paths(backend, PatternQuery(**options))


#: The analyses that compare (a table, not an if/elif chain).
ANALYSES: dict[str, Comparable] = {
    "process_map": Comparable(_process_map, _process_map_measures),
    "variants": Comparable(_variants, _variants_measures),
    "flows": Comparable(_flows, _flows_measures),
    "funnel": Comparable(_funnel, _funnel_measures),
    "metrics": Comparable(_metrics, _metrics_measures),
    "breakdowns": Comparable(_breakdowns, _breakdowns_measures),
    "conformance": Comparable(_conformance, _conformance_measures),
    "paths": Comparable(_paths, _paths_measures),
}
