"""Flows (Sankey): what journeys do in the steps after a starting point or before an end point.

The flow starts at an **anchor**, step ``0``: the first (or last) occurrence of a label in each
journey that has it. Forward, steps ``1 … N`` are the N steps after the anchor; backward,
steps ``-N … -1`` are the N steps before it. Without an anchor, a forward flow starts at an
explicit ``▶ start`` node (step 0) and shows each journey's first N steps; a backward flow ends
at an explicit ``■ end`` node (step 0) and shows each journey's last N steps.

A journey that ends before N steps flows into the explicit ``■ end`` node at the step after its
last one (and stops there); backward, a journey that starts fewer than N steps before the
anchor flows in from ``▶ start``. So the journeys at every step add up to the journeys in the
flow until they have ended.

Each step shows at most ``cap`` labels, the most frequent at that step; the rest are merged
into ``… other`` (markers never count against the cap). Labels can be cleaned first with
regex rename rules and repeat collapsing (`journeylens.analytics.cleaning`); the anchor is
matched against the cleaned label.

Shares are of the journeys in the flow (those with the anchor; without one, all journeys of
the chosen type).

Examples
--------
>>> query = FlowsQuery(anchor="move_form_error", steps=3, cap=5)
>>> query.direction, query.positions
('forward', [0, 1, 2, 3])
>>> FlowsQuery(direction="backward", steps=2).positions
[-2, -1, 0]
>>> FlowsQuery(steps=0)
Traceback (most recent call last):
...
ValueError: steps must be at least 1 (got 0): the flow shows that many steps after/before the anchor
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from journeylens.analytics.cleaning import RenameRule, cleaned
from journeylens.analytics.labels import END, LABELS, START, Label, filtered, labelled
from journeylens.analytics.variants import scratch_name
from journeylens.palette import GREY as GREY_MARKER
from journeylens.palette import LIGHT_GREY
from journeylens.store.backends import Backend

if TYPE_CHECKING:
    import plotly.graph_objects as go

#: The bucket of the labels beyond a step's cap.
OTHER = "… other"
#: Markers and the "other" bucket are grey.
GREY = {START: GREY_MARKER, END: GREY_MARKER, OTHER: LIGHT_GREY}

Direction = Literal["forward", "backward"]


@dataclass(frozen=True)
class FlowsQuery:
    """Which flow.

    Parameters
    ----------
    anchor : str, optional
        The label the flow starts from (forward) or leads to (backward), after cleaning, e.g.
        ``"move_form_error"`` (by activity) or ``"move_form_error@web"`` (by
        activity@channel). None: from the journeys' start (forward) or towards their end.
    direction : {"forward", "backward"}
        Steps after or before the anchor.
    steps : int
        How many steps to show beyond the anchor.
    cap : int, optional
        Labels shown per step; the rest go to ``… other``. None: no cap.
    by : {"activity", "channel", "activity@channel"}
        What a step is called.
    journey_type : str, optional
        Only journeys of this type.
    rename : tuple of RenameRule
        Cleaning rules applied in order before the flow (see `cleaning`).
    collapse_repeats : bool
        Drop consecutive repeats of a label (after renaming).
    occurrence : {"first", "last"}
        Which occurrence of the anchor in a journey is step 0.
    paths : int
        How many of the most frequent whole paths to list.
    """

    anchor: str | None = None
    direction: Direction = "forward"
    steps: int = 5
    cap: int | None = 10
    by: Label = "activity"
    journey_type: str | None = None
    rename: tuple[RenameRule, ...] = ()
    collapse_repeats: bool = False
    occurrence: Literal["first", "last"] = "first"
    paths: int = 20

    def __post_init__(self) -> None:
        if self.direction not in ("forward", "backward"):
            raise ValueError(f"direction must be 'forward' or 'backward' (got '{self.direction}')")
        if self.steps < 1:
            raise ValueError(
                f"steps must be at least 1 (got {self.steps}): the flow shows that many steps "
                "after/before the anchor"
            )
        if self.cap is not None and self.cap < 1:
            raise ValueError(f"cap must be at least 1 or None for no cap (got {self.cap})")
        if self.by not in LABELS:
            raise ValueError(f"unknown label '{self.by}'; choose one of {', '.join(LABELS)}")
        if self.occurrence not in ("first", "last"):
            raise ValueError(f"occurrence must be 'first' or 'last' (got '{self.occurrence}')")
        if self.anchor == "":
            raise ValueError("anchor is empty; give a label or None for the journeys' start")
        if self.paths < 0:
            raise ValueError(f"paths must be 0 or more (got {self.paths})")

    @property
    def positions(self) -> list[int]:
        """The steps of the flow in time order (0 is the anchor)."""
        if self.direction == "forward":
            return list(range(self.steps + 1))
        return list(range(-self.steps, 1))


@dataclass
class Flows:
    """A flow: where the journeys go step by step from (or towards) the anchor.

    ``links``: ``step`` (of the source; the target is at ``step + 1``), ``source``,
    ``target``, ``journeys``, ``share``. ``nodes``: ``step``, ``label``, ``journeys``,
    ``share``. ``paths``: the most frequent whole paths through the flow, ``path`` (labels in
    time order, with markers), ``journeys``, ``share``. ``journeys``: journeys in the flow.
    """

    query: FlowsQuery
    links: pa.Table
    nodes: pa.Table
    paths: pa.Table
    journeys: int
    total_journeys: int = field(default=0)

    def to_frame(self) -> pd.DataFrame:
        """The links, in step order, most travelled first."""
        frame: pd.DataFrame = self.links.to_pandas()
        return frame

    def figure(self) -> go.Figure:
        """A plotly Sankey diagram: one column per step, link width by journeys."""
        from journeylens.analytics.flows_figure import sankey

        return sankey(self)


def _anchored(steps: ir.Table, query: FlowsQuery) -> ir.Table:
    """Steps with ``rel``, their step relative to the anchor (0), in the flow's window."""
    n = query.steps
    if query.anchor is None:
        if query.direction == "forward":
            rel = steps.mutate(rel=steps.step.cast("int64"))
            return rel.filter(rel.rel <= n)
        last = steps.group_by("journey_key").aggregate(_last=steps.step.max())
        joined = steps.join(last, "journey_key")
        rel = joined.mutate(rel=(joined.step - joined._last - 1).cast("int64"))
        return rel.filter(rel.rel >= -n)
    hits = steps.filter(steps.label == query.anchor)
    pick = hits.step.min() if query.occurrence == "first" else hits.step.max()
    anchors = hits.group_by("journey_key").aggregate(_anchor=pick)
    joined = steps.join(anchors, "journey_key")
    rel = joined.mutate(rel=(joined.step - joined._anchor).cast("int64"))
    if query.direction == "forward":
        return rel.filter((rel.rel >= 0) & (rel.rel <= n))
    return rel.filter((rel.rel >= -n) & (rel.rel <= 0))


def _column(position: int) -> str:
    return f"p{position}" if position >= 0 else f"m{-position}"


def pivot_expr(steps: ir.Table, query: FlowsQuery) -> ir.Table:
    """One row per journey in the flow, one label column per step (markers filled in).

    A step after the journey's end holds ``■ end`` (forward) or ``▶ start`` (backward) at the
    first such step and null beyond.
    """
    window = _anchored(steps, query)
    positions = query.positions
    raw = {_column(k): window.label.max(where=window.rel == k) for k in positions if k != 0}
    pivot = window.group_by("journey_key").aggregate(**raw)
    forward = query.direction == "forward"
    zero = query.anchor if query.anchor is not None else (START if forward else END)
    marker = END if forward else START
    filled: dict[str, ir.Value] = {_column(0): ibis.literal(zero)}
    # Away from the anchor: a step is its label; else the marker right after the last label.
    away = positions if forward else positions[::-1]
    for nearer, k in itertools.pairwise(away):
        here = pivot[_column(k)]
        previous = pivot[_column(nearer)] if nearer != 0 else ibis.literal(zero)
        filled[_column(k)] = ibis.cases(
            (here.notnull(), here),
            (previous.notnull(), ibis.literal(marker)),
            else_=ibis.null("string"),
        )
    return pivot.select("journey_key", **{_column(k): filled[_column(k)] for k in positions})


def _node_counts(pivot: ir.Table, positions: list[int]) -> ir.Table:
    parts = []
    for k in positions:
        column = pivot[_column(k)]
        kept = pivot.filter(column.notnull())
        parts.append(
            kept.group_by(label=kept[_column(k)])
            .aggregate(journeys=kept.count())
            .mutate(step=ibis.literal(k, "int64"))
        )
    return ibis.union(*parts)


def _capped(pivot: ir.Table, counts: pa.Table, query: FlowsQuery) -> ir.Table:
    """The pivot with labels beyond each step's cap replaced by ``… other``."""
    if query.cap is None:
        return pivot
    ranked = counts.to_pandas().sort_values(["step", "journeys", "label"], ascending=[1, 0, 1])
    replaced: dict[str, ir.Value] = {}
    for k, group in ranked.groupby("step"):
        labels = [label for label in group["label"] if label not in GREY]
        if len(labels) <= query.cap:
            continue
        keep = [*labels[: query.cap], START, END]
        column = pivot[_column(int(k))]
        replaced[_column(int(k))] = ibis.ifelse(
            column.isnull() | column.isin(keep), column, ibis.literal(OTHER)
        )
    return pivot.mutate(**replaced) if replaced else pivot


def _links_expr(pivot: ir.Table, positions: list[int]) -> ir.Table:
    parts = []
    for a, b in itertools.pairwise(positions):
        source, target = pivot[_column(a)], pivot[_column(b)]
        kept = pivot.filter(source.notnull() & target.notnull())
        parts.append(
            kept.group_by(source=kept[_column(a)], target=kept[_column(b)])
            .aggregate(journeys=kept.count())
            .mutate(step=ibis.literal(a, "int64"))
        )
    return ibis.union(*parts)


def _shared(table: pa.Table, total: int, columns: list[str]) -> pa.Table:
    counts = table.column("journeys").cast(pa.int64()).to_pylist()
    share = pa.array([c / total if total else 0.0 for c in counts], pa.float64())
    out = table.select(columns).set_column(
        columns.index("journeys"), "journeys", pa.array(counts, pa.int64())
    )
    return out.append_column("share", share)


def flows(backend: Backend, query: FlowsQuery | None = None) -> Flows:
    """Compute a flow over the workspace's journeys (see the module docstring)."""
    query = query or FlowsQuery()
    journeys = backend.table("journeys")
    steps = filtered(backend.table("journey_steps"), journeys, query.journey_type)
    total = int(backend.scalar(steps.journey_key.nunique()))
    steps = cleaned(labelled(steps, query.by), query.rename, query.collapse_repeats)
    positions = query.positions
    name = scratch_name("flow_pivot")
    try:
        stored = backend.materialise(name, pivot_expr(steps, query))
        in_flow = int(backend.scalar(stored.count()))
        pivot = _capped(stored, backend.to_arrow(_node_counts(stored, positions)), query)
        nodes = backend.to_arrow(
            _node_counts(pivot, positions).order_by(["step", ibis.desc("journeys"), "label"])
        )
        links = backend.to_arrow(
            _links_expr(pivot, positions).order_by(
                ["step", ibis.desc("journeys"), "source", "target"]
            )
        )
        columns = [_column(k) for k in positions]
        grouped = pivot.group_by(columns).aggregate(journeys=pivot.count())
        order = [ibis.desc("journeys"), *[ibis.coalesce(grouped[c], "") for c in columns]]
        top_paths = backend.to_arrow(grouped.order_by(order).limit(query.paths))
    finally:
        backend.drop(name)
    paths = [[row[c] for c in columns if row[c] is not None] for row in top_paths.to_pylist()]
    path_table = pa.table(
        {
            "path": pa.array(paths, pa.list_(pa.string())),
            "journeys": top_paths.column("journeys").cast(pa.int64()),
        }
    )
    return Flows(
        query,
        links=_shared(links, in_flow, ["step", "source", "target", "journeys"]),
        nodes=_shared(nodes, in_flow, ["step", "label", "journeys"]),
        paths=_shared(path_table, in_flow, ["path", "journeys"]),
        journeys=in_flow,
        total_journeys=total,
    )
