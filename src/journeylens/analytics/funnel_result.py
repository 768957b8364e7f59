"""The result of a funnel: its tables, a figure, and how they are assembled from the engine's
reduced output (steps x groups; see `journeylens.analytics.funnels`).

Examples
--------
>>> _ratio(1, 4), _ratio(1, 0)
(0.25, None)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa

from journeylens.palette import PALETTE

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from journeylens.analytics.funnels import FunnelQuery

#: The next label that stands for the less frequent ones (``top_next``).
OTHER = "(other)"


@dataclass
class Funnel:
    """A funnel's result.

    ``steps``: one row per step (per group with a breakdown, ``group`` first): ``step``,
    ``label``, ``entered`` (units that reached the previous step; for step 1 those that
    reached it), ``converted`` (units that reached this step), ``conversion`` (converted /
    entered), ``from_start`` (converted / step 1's converted), ``dropped`` (entered -
    converted), ``drop_rate``, ``median_seconds_to_convert`` and ``p90_seconds_to_convert``
    (from the previous step), ``median_seconds_from_start`` and ``p90_seconds_from_start``.

    ``dropouts``: ``after_step`` (the last step reached), ``after_label``, ``next_label``
    (what came right after, ``■ end`` when nothing did), ``units``, ``share`` (of those who
    dropped after that step). ``dropped_units`` (with ``keys=True``): ``after_step``,
    ``unit``, ``next_label``.
    """

    query: FunnelQuery
    steps: pa.Table
    dropouts: pa.Table
    dropped_units: pa.Table | None = None

    def to_frame(self) -> pd.DataFrame:
        """The steps table."""
        frame: pd.DataFrame = self.steps.to_pandas()
        return frame

    def dropped_keys(self, after_step: int, group: str | None = None) -> list[str]:
        """Keys of the units that stopped after ``after_step`` (needs ``keys=True``)."""
        if self.dropped_units is None:
            raise ValueError("the keys were not kept: run the funnel with keys=True")
        rows = self.dropped_units.to_pylist()
        return sorted(
            r["unit"]
            for r in rows
            if r["after_step"] == after_step and (group is None or r.get("group") == group)
        )

    def figure(self) -> go.Figure:
        """A funnel chart of ``converted`` per step, or grouped bars with a breakdown."""
        import plotly.graph_objects as go

        rows = self.steps.to_pylist()
        names = [f"{k}. {label}" for k, label in enumerate(self.query.steps, 1)]
        fig = go.Figure()
        if self.query.breakdown is None:
            fig.add_trace(
                go.Funnel(
                    y=names,
                    x=[r["converted"] for r in rows],
                    textinfo="value+percent initial+percent previous",
                    marker={"color": PALETTE[0]},
                )
            )
        else:
            groups = list(dict.fromkeys(r["group"] for r in rows))
            for i, g in enumerate(groups):
                mine = [r for r in rows if r["group"] == g]
                fig.add_trace(
                    go.Bar(
                        name=g,
                        x=names,
                        y=[r["converted"] for r in mine],
                        customdata=[r["from_start"] for r in mine],
                        hovertemplate="%{x}: %{y:,} (%{customdata:.0%} of step 1)<extra>"
                        + g
                        + "</extra>",
                        marker={"color": PALETTE[i % len(PALETTE)]},
                    )
                )
            fig.update_layout(barmode="group", yaxis_title=f"{self.query.unit}s")
        fig.update_layout(title=f"funnel of {self.query.unit}s ({self.query.order})")
        return fig


# -- assembling the result (reduced data: steps x groups) -----------------------------------


def _ratio(a: int, b: int) -> float | None:
    return a / b if b else None


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def assemble(
    query: FunnelQuery, stats: pa.Table, counts: pa.Table, units: pa.Table | None
) -> Funnel:
    n = len(query.steps)
    by_group: dict[str, dict[int, dict[str, Any]]] = {}
    for row in stats.to_pylist():
        by_group.setdefault(row["_g"], {})[row["level"]] = row
    groups = sorted(by_group, key=lambda g: (-by_group[g].get(1, {}).get("units", 0), g))
    if query.breakdown is None:
        groups = [""]
    steps: list[dict[str, Any]] = []
    for g in groups:
        levels = by_group.get(g, {})
        converted = [int(levels.get(k, {}).get("units", 0)) for k in range(1, n + 1)]
        for k in range(1, n + 1):
            row = levels.get(k, {})
            entered = converted[0] if k == 1 else converted[k - 2]
            done = converted[k - 1]
            steps.append(
                {
                    **({"group": g} if query.breakdown is not None else {}),
                    "step": k,
                    "label": query.steps[k - 1],
                    "entered": entered,
                    "converted": done,
                    "conversion": _ratio(done, entered),
                    "from_start": _ratio(done, converted[0]),
                    "dropped": entered - done,
                    "drop_rate": _ratio(entered - done, entered),
                    "median_seconds_to_convert": _float(row.get("median_prev")),
                    "p90_seconds_to_convert": _float(row.get("p90_prev")),
                    "median_seconds_from_start": _float(row.get("median_start")),
                    "p90_seconds_from_start": _float(row.get("p90_start")),
                }
            )
    group_field = [pa.field("group", pa.string())] if query.breakdown is not None else []
    steps_schema = pa.schema(
        [
            *group_field,
            pa.field("step", pa.int64()),
            pa.field("label", pa.string()),
            *[pa.field(c, pa.int64()) for c in ("entered", "converted")],
            *[pa.field(c, pa.float64()) for c in ("conversion", "from_start")],
            pa.field("dropped", pa.int64()),
            *[
                pa.field(c, pa.float64())
                for c in (
                    "drop_rate",
                    "median_seconds_to_convert",
                    "p90_seconds_to_convert",
                    "median_seconds_from_start",
                    "p90_seconds_from_start",
                )
            ],
        ]
    )
    dropouts_schema = pa.schema(
        [
            *group_field,
            pa.field("after_step", pa.int64()),
            pa.field("after_label", pa.string()),
            pa.field("next_label", pa.string()),
            pa.field("units", pa.int64()),
            pa.field("share", pa.float64()),
        ]
    )
    dropped = None
    if units is not None:
        dropped = units.rename_columns(["group" if c == "_g" else c for c in units.column_names])
        if query.breakdown is None:
            dropped = dropped.drop_columns(["group"])
    return Funnel(
        query,
        pa.Table.from_pylist(steps, steps_schema),
        pa.Table.from_pylist(_dropout_rows(query, groups, counts), dropouts_schema),
        dropped,
    )


def _dropout_rows(query: FunnelQuery, groups: list[str], counts: pa.Table) -> list[dict[str, Any]]:
    """Per group and step, the next labels by units (ties by label), the rest as ``(other)``."""
    cells: dict[tuple[str, int], list[tuple[str, int]]] = {}
    for row in counts.to_pylist():
        cells.setdefault((row["_g"], row["after_step"]), []).append(
            (row["next_label"], int(row["units"]))
        )
    out: list[dict[str, Any]] = []
    for g in groups:
        for k in range(1, len(query.steps)):
            found = sorted(cells.get((g, k), []), key=lambda c: (-c[1], c[0]))
            total = sum(u for _, u in found)
            kept = found if query.top_next is None else found[: query.top_next]
            rest = sum(u for _, u in found[len(kept) :])
            if rest:
                kept = [*kept, (OTHER, rest)]
            for label, u in kept:
                out.append(
                    {
                        **({"group": g} if query.breakdown is not None else {}),
                        "after_step": k,
                        "after_label": query.steps[k - 1],
                        "next_label": label,
                        "units": u,
                        "share": u / total,
                    }
                )
    return out
