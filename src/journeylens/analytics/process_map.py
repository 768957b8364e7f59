"""Process map: the directly-follows graph of journeys, with frequency and time on edges.

Examples
--------
>>> ProcessMapQuery(by="channel", markers=True).by
'channel'
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from journeylens.analytics.labels import END, START, Label, filtered, labelled
from journeylens.store.backends import Backend


@dataclass(frozen=True)
class ProcessMapQuery:
    """What to draw.

    Parameters
    ----------
    by : {"activity", "channel", "activity@channel"}
        What a node is.
    journey_type : str, optional
        Only journeys of this type.
    markers : bool
        Add explicit ``▶ start`` and ``■ end`` nodes, with an edge from start to each first
        step and from each last step to end. Without markers, starts and ends are counted on
        the nodes only.
    """

    by: Label = "activity"
    journey_type: str | None = None
    markers: bool = False


@dataclass
class ProcessMap:
    """A directly-follows graph.

    ``edges``: ``source``, ``target``, ``events`` (times one step directly followed the
    other), ``journeys`` (journeys with that transition), ``median_seconds`` and ``p90_seconds``
    between the two steps. ``nodes``: ``node``, ``events``, ``journeys``, ``starts``, ``ends``.
    """

    query: ProcessMapQuery
    edges: pa.Table
    nodes: pa.Table

    def to_frame(self) -> pd.DataFrame:
        """The edges, most frequent first."""
        frame: pd.DataFrame = self.edges.to_pandas()
        return frame


def edges_expr(steps: ir.Table, markers: bool) -> ir.Table:
    """Directly-follows edges of labelled steps, as an expression."""
    window = ibis.window(group_by=steps.journey_key, order_by=steps.step)
    following = steps.mutate(
        target=steps.label.lead().over(window),
        _next_ts=steps.ts.lead().over(window),
    )
    pairs = following.filter(following.target.notnull()).select(
        "journey_key",
        source=following.label,
        target=following.target,
        seconds=(following._next_ts.epoch_seconds() - following.ts.epoch_seconds()).cast("float64"),
    )
    if markers:
        ends = following.filter(following.target.isnull())
        first = steps.filter(steps.step == 1)
        pairs = ibis.union(
            pairs,
            first.select(
                "journey_key",
                source=ibis.literal(START),
                target=first.label,
                seconds=ibis.literal(0.0),
            ),
            ends.select(
                "journey_key",
                source=ends.label,
                target=ibis.literal(END),
                seconds=ibis.literal(0.0),
            ),
        )
    return pairs.group_by(["source", "target"]).aggregate(
        events=pairs.count(),
        journeys=pairs.journey_key.nunique(),
        median_seconds=pairs.seconds.median(),
        p90_seconds=pairs.seconds.quantile(0.9),
    )


def nodes_expr(steps: ir.Table) -> ir.Table:
    """Per node: events, journeys, and how many journeys start and end there."""
    window = ibis.window(group_by=steps.journey_key, order_by=steps.step)
    marked = steps.mutate(_last=steps.step.lead().over(window).isnull())
    return marked.group_by(node=marked.label).aggregate(
        events=marked.count(),
        journeys=marked.journey_key.nunique(),
        starts=(marked.step == 1).cast("int64").sum(),
        ends=marked._last.cast("int64").sum(),
    )


def process_map(backend: Backend, query: ProcessMapQuery | None = None) -> ProcessMap:
    """Compute the process map of the workspace's journeys."""
    query = query or ProcessMapQuery()
    steps = filtered(backend.table("journey_steps"), backend.table("journeys"), query.journey_type)
    steps = labelled(steps, query.by)
    edges = backend.to_arrow(
        edges_expr(steps, query.markers).order_by([ibis.desc("events"), "source", "target"])
    )
    nodes = backend.to_arrow(nodes_expr(steps).order_by([ibis.desc("events"), "node"]))
    return ProcessMap(query, edges, nodes)
