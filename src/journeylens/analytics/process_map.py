"""Process map: the directly-follows graph of journeys, with frequency and time on edges.

Keeping it readable: ``min_share`` keeps only the most frequent nodes and edges that together
cover that share of the events (see `keep_frequent`); the result reports the share it kept.
``figure()`` draws the map left to right (`journeylens.analytics.process_map_figure`) and
``to_dot()`` writes it for Graphviz.

Examples
--------
>>> ProcessMapQuery(by="channel", markers=True).by
'channel'
>>> ProcessMapQuery(min_share=1.5)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: min_share must be in (0, 1], e.g. 0.9 to keep the nodes and edges of 90% ...
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from journeylens.analytics.labels import END, START, Label, filtered, labelled, with_next_label
from journeylens.store.backends import Backend

if TYPE_CHECKING:
    import plotly.graph_objects as go


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
    min_share : float, optional
        Keep only the most frequent nodes covering this share of the step events and, among
        the edges between them, the most frequent covering this share of the transitions
        (e.g. 0.9). None keeps everything.
    """

    by: Label = "activity"
    journey_type: str | None = None
    markers: bool = False
    min_share: float | None = None

    def __post_init__(self) -> None:
        if self.min_share is not None and not 0 < self.min_share <= 1:
            raise ValueError(
                "min_share must be in (0, 1], e.g. 0.9 to keep the nodes and edges of 90% of "
                f"events (got {self.min_share})"
            )


@dataclass
class ProcessMap:
    """A directly-follows graph.

    ``edges``: ``source``, ``target``, ``events`` (times one step directly followed the
    other), ``journeys`` (journeys with that transition), ``median_seconds`` and ``p90_seconds``
    between the two steps. ``nodes``: ``node``, ``events``, ``journeys``, ``starts``, ``ends``,
    ``median_position`` (the median step number of its events: where it sits in journeys).
    ``kept_node_share`` and ``kept_edge_share``: the share of step events on the nodes kept
    and of transitions on the edges kept (1.0 without ``min_share``).
    """

    query: ProcessMapQuery
    edges: pa.Table
    nodes: pa.Table
    kept_node_share: float = 1.0
    kept_edge_share: float = 1.0

    def to_frame(self) -> pd.DataFrame:
        """The edges, most frequent first."""
        frame: pd.DataFrame = self.edges.to_pandas()
        return frame

    def figure(self, top_edges: int | None = 40) -> go.Figure:
        """A node-link diagram (a plotly ``Figure``): nodes left to right by their median
        position in journeys, edge width by transitions, hover with counts and median time;
        only the ``top_edges`` most frequent edges (None: all)."""
        from journeylens.analytics.process_map_figure import node_link

        return node_link(self, top_edges)

    def to_dot(self, top_edges: int | None = None) -> str:
        """The map as Graphviz DOT text (render with ``dot -Tsvg``)."""
        from journeylens.analytics.process_map_figure import dot

        return dot(self, top_edges)


def edges_expr(steps: ir.Table, journeys: ir.Table, by: str, markers: bool) -> ir.Table:
    """Directly-follows edges of steps, as an expression; ``journeys`` are the journeys of
    those steps (for the start and end markers).

    Each step carries its successor in the same journey (``next_activity``, ``next_channel``,
    ``next_ts``, stored by the build), so the edges are one grouped scan of the steps.
    """
    steps = with_next_label(steps, by)
    pairs = steps.filter(steps.next_label.notnull())
    edges = pairs.group_by(source=pairs.label, target=pairs.next_label).aggregate(
        events=pairs.count(),
        journeys=pairs.journey_key.nunique(),
        median_seconds=_seconds(pairs).median(),
        p90_seconds=_seconds(pairs).quantile(0.9),
    )
    if not markers:
        return edges
    return ibis.union(edges, *marker_edges(journeys, by))


def _seconds(pairs: ir.Table) -> ir.FloatingValue:
    return (pairs.next_ts.epoch_seconds() - pairs.ts.epoch_seconds()).cast("float64")


def marker_edges(journeys: ir.Table, by: str) -> tuple[ir.Table, ir.Table]:
    """The ``▶ start → first step`` and ``last step → ■ end`` edges, one per journey, from the
    journeys table's first and last activity and channel (no pass over the steps)."""
    zero = ibis.literal(0.0)
    made = []
    for end, marker in (("first", START), ("last", END)):
        labels = labelled(
            journeys.select(
                activity=journeys[f"{end}_activity"], channel=journeys[f"{end}_channel"]
            ),
            by,
        )
        counts = labels.group_by(_label=labels.label).aggregate(events=labels.count())
        source = ibis.literal(START) if marker == START else counts._label
        target = counts._label if marker == START else ibis.literal(END)
        made.append(
            counts.select(
                source=source,
                target=target,
                events=counts.events,
                journeys=counts.events,
                median_seconds=zero,
                p90_seconds=zero,
            )
        )
    return made[0], made[1]


def nodes_expr(steps: ir.Table, by: str) -> ir.Table:
    """Per node: events, journeys, and how many journeys start and end there (a journey ends
    on the step without a successor)."""
    labels = labelled(steps, by)
    return labels.group_by(node=labels.label).aggregate(
        events=labels.count(),
        journeys=labels.journey_key.nunique(),
        starts=(labels.step == 1).cast("int64").sum(),
        ends=labels.next_activity.isnull().cast("int64").sum(),
        median_position=labels.step.cast("float64").median(),
    )


def _prefix(events: list[int], total: int, share: float) -> int:
    """How many of ``events`` (most frequent first) it takes to cover ``share`` of ``total``."""
    target, covered = share * total, 0
    for i, value in enumerate(events):
        if covered >= target:
            return i
        covered += value
    return len(events)


def keep_frequent(
    nodes: pa.Table, edges: pa.Table, share: float
) -> tuple[pa.Table, pa.Table, float, float]:
    """The most frequent nodes covering ``share`` of the step events and, among the edges
    between kept nodes (markers always kept), the most frequent covering ``share`` of all
    transitions; with the shares actually kept.

    Both tables must be ordered most frequent first. Ties at the boundary are broken by that
    order (name), so the result is deterministic.

    Examples
    --------
    >>> nodes = pa.table({"node": ["a", "b", "c"], "events": [6, 3, 1]})
    >>> edges = pa.table({"source": ["a", "a", "b"], "target": ["b", "c", "a"],
    ...                   "events": [5, 1, 2]})
    >>> kept_nodes, kept_edges, node_share, edge_share = keep_frequent(nodes, edges, 0.8)
    >>> kept_nodes.column("node").to_pylist(), kept_edges.num_rows, node_share, edge_share
    (['a', 'b'], 2, 0.9, 0.875)
    """
    node_events = nodes.column("events").to_pylist()
    node_total = sum(node_events)
    kept_nodes = nodes.slice(0, _prefix(node_events, node_total, share))
    names = {*kept_nodes.column("node").to_pylist(), START, END}
    sources, targets = edges.column("source").to_pylist(), edges.column("target").to_pylist()
    between = [i for i, pair in enumerate(zip(sources, targets, strict=True)) if names >= set(pair)]
    candidates = edges.take(pa.array(between, pa.int64()))
    edge_events = candidates.column("events").to_pylist()
    edge_total = sum(edges.column("events").to_pylist())
    kept_edges = candidates.slice(0, _prefix(edge_events, edge_total, share))
    kept_node_events = sum(kept_nodes.column("events").to_pylist())
    kept_edge_events = sum(kept_edges.column("events").to_pylist())
    return (
        kept_nodes,
        kept_edges,
        kept_node_events / node_total if node_total else 1.0,
        kept_edge_events / edge_total if edge_total else 1.0,
    )


def process_map(backend: Backend, query: ProcessMapQuery | None = None) -> ProcessMap:
    """Compute the process map of the workspace's journeys."""
    query = query or ProcessMapQuery()
    journeys = backend.table("journeys")
    steps = filtered(backend.table("journey_steps"), journeys, query.journey_type)
    if query.journey_type is not None:
        journeys = journeys.filter(journeys.journey_type == query.journey_type)
    edges = backend.to_arrow(
        edges_expr(steps, journeys, query.by, query.markers).order_by(
            [ibis.desc("events"), "source", "target"]
        )
    )
    nodes = backend.to_arrow(nodes_expr(steps, query.by).order_by([ibis.desc("events"), "node"]))
    if query.min_share is None:
        return ProcessMap(query, edges, nodes)
    kept_nodes, kept_edges, node_share, edge_share = keep_frequent(nodes, edges, query.min_share)
    return ProcessMap(query, kept_edges, kept_nodes, node_share, edge_share)
