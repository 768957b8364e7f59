"""Drawing a process map: a plotly node-link diagram and Graphviz DOT text.

Nodes sit left to right by their median position in the journeys (``▶ start`` before all,
``■ end`` after all); nodes in the same column are stacked, the most frequent on top. Edges
are curves whose width follows the transitions; forward edges bend up and are blue, edges that
go back (to the same or an earlier column) bend down and are vermillion. Self-loops are not
drawn; their count is in the node's hover text.

Examples
--------
>>> duration(45), duration(5400), duration(3 * 86400)
('45 s', '1.5 h', '3.0 d')
>>> quoted('say "hi"')
'"say \\\\"hi\\\\""'
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from journeylens.analytics.labels import END, START
from journeylens.palette import GREY, PALETTE

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from journeylens.analytics.process_map import ProcessMap

#: Okabe-Ito: nodes orange, forward edges blue, backward edges vermillion, markers grey.
NODE, FORWARD, BACKWARD, MARKER = PALETTE[1], PALETTE[0], PALETTE[3], GREY
SAMPLES = 24
#: The sample of an edge's curve that carries its arrowhead (clear of the target node).
ARROW_AT = SAMPLES * 3 // 4


def duration(seconds: float | None) -> str:
    """Seconds as a short human duration."""
    if seconds is None or math.isnan(seconds):
        return "n/a"
    for unit, size in (("d", 86400.0), ("h", 3600.0), ("min", 60.0)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} s"


def quoted(name: str) -> str:
    """A DOT identifier in double quotes."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _shown(pm: ProcessMap, top_edges: int | None) -> list[dict[str, Any]]:
    edges: list[dict[str, Any]] = pm.edges.to_pylist()
    return edges if top_edges is None else edges[:top_edges]


def _positions(pm: ProcessMap, names: set[str]) -> dict[str, tuple[float, float]]:
    """(x, y) of each node: column by median position, stacked by events within a column."""
    rows = [r for r in pm.nodes.to_pylist() if r["node"] in names]
    columns = {r["node"]: round(float(r["median_position"] or 1.0)) for r in rows}
    first = min(columns.values(), default=1)
    last = max(columns.values(), default=1)
    if START in names:
        columns[START] = first - 1
    if END in names:
        columns[END] = last + 1
    events = {r["node"]: r["events"] for r in rows}
    out: dict[str, tuple[float, float]] = {}
    for column in sorted(set(columns.values())):
        members = sorted(
            (n for n, c in columns.items() if c == column), key=lambda n: (-events.get(n, 0), n)
        )
        for i, name in enumerate(members):
            out[name] = (float(column), (len(members) - 1) / 2 - i)
    return out


def _curve(
    a: tuple[float, float], b: tuple[float, float], bend: float
) -> tuple[list[float], list[float]]:
    """A quadratic Bézier from ``a`` to ``b`` bent sideways by ``bend`` of its length."""
    (x0, y0), (x1, y1) = a, b
    length = math.hypot(x1 - x0, y1 - y0) or 1.0
    cx = (x0 + x1) / 2 - bend * (y1 - y0)
    cy = (y0 + y1) / 2 + bend * (x1 - x0) + (bend * length if x0 == x1 else 0.0)
    ts = [i / (SAMPLES - 1) for i in range(SAMPLES)]
    xs = [(1 - t) ** 2 * x0 + 2 * (1 - t) * t * cx + t**2 * x1 for t in ts]
    ys = [(1 - t) ** 2 * y0 + 2 * (1 - t) * t * cy + t**2 * y1 for t in ts]
    return xs, ys


def node_link(pm: ProcessMap, top_edges: int | None = 40) -> go.Figure:
    """The plotly node-link diagram of ``pm`` (see the module docstring)."""
    import plotly.graph_objects as go

    edges = _shown(pm, top_edges)
    drawn = [e for e in edges if e["source"] != e["target"]]
    loops = {e["source"]: e["events"] for e in pm.edges.to_pylist() if e["source"] == e["target"]}
    names = {e["source"] for e in edges} | {e["target"] for e in edges}
    where = _positions(pm, names)
    heaviest = max((e["events"] for e in drawn), default=1)
    figure = go.Figure()
    for edge in drawn:
        a, b = where[edge["source"]], where[edge["target"]]
        forward = b[0] > a[0]
        xs, ys = _curve(a, b, 0.12 if forward else -0.25)
        width = 1.0 + 9.0 * edge["events"] / heaviest
        text = (
            f"{edge['source']} → {edge['target']}<br>{edge['events']:,} transitions in "
            f"{edge['journeys']:,} journeys<br>median {duration(edge['median_seconds'])}, "
            f"p90 {duration(edge['p90_seconds'])}"
        )
        sizes = [0.0] * SAMPLES
        sizes[ARROW_AT] = 8 + 1.5 * width
        colour = FORWARD if forward else BACKWARD
        figure.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines+markers",
                line={"width": width, "color": colour},
                marker={
                    "size": sizes,
                    "symbol": "arrow",
                    "angleref": "previous",
                    "color": colour,
                    "line": {"width": 0},
                },
                opacity=0.6,
                hoverinfo="text",
                text=[text] * SAMPLES,
                showlegend=False,
            )
        )
    nodes = {r["node"]: r for r in pm.nodes.to_pylist()}
    labels = sorted(where, key=lambda n: where[n])
    most = max((nodes[n]["events"] for n in labels if n in nodes), default=1)
    figure.add_trace(
        go.Scatter(
            x=[where[n][0] for n in labels],
            y=[where[n][1] for n in labels],
            mode="markers+text",
            text=labels,
            textposition="top center",
            marker={
                "size": [
                    14 + 26 * math.sqrt(nodes[n]["events"] / most) if n in nodes else 14
                    for n in labels
                ],
                "color": [NODE if n in nodes else MARKER for n in labels],
                "line": {"width": 1, "color": "white"},
            },
            hovertext=[_node_text(nodes.get(n), n, loops.get(n)) for n in labels],
            hoverinfo="text",
            showlegend=False,
        )
    )
    total = pm.edges.num_rows
    figure.update_layout(
        title=(
            f"process map by {pm.query.by}: {len(edges)} of {total} edges shown "
            f"({pm.kept_edge_share:.0%} of transitions kept)"
        ),
        xaxis={"visible": False},
        yaxis={"visible": False},
        template="plotly_white",
        hovermode="closest",
    )
    return figure


def _node_text(row: dict[str, Any] | None, name: str, loops: int | None) -> str:
    if row is None:
        return name
    text = (
        f"{name}<br>{row['events']:,} events in {row['journeys']:,} journeys<br>"
        f"starts {row['starts']:,}, ends {row['ends']:,}"
    )
    return text + (f"<br>repeats itself {loops:,} times" if loops else "")


def dot(pm: ProcessMap, top_edges: int | None = None) -> str:
    """Graphviz DOT text of ``pm``: boxes with event counts, edges labelled with transitions
    and median time, pen width by transitions."""
    edges = _shown(pm, top_edges)
    names = {e["source"] for e in edges} | {e["target"] for e in edges}
    nodes = {r["node"]: r for r in pm.nodes.to_pylist()}
    heaviest = max((e["events"] for e in edges), default=1)
    lines = [
        "digraph process_map {",
        "  rankdir=LR;",
        '  node [shape=box, style="rounded,filled", fillcolor="#FCE9C4", fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=10];',
    ]
    for name in sorted(names, key=lambda n: (-nodes[n]["events"] if n in nodes else 0, n)):
        if name in nodes:
            label = quoted(name)[:-1] + f"\\n{nodes[name]['events']:,}" + '"'
            lines.append(f"  {quoted(name)} [label={label}];")
        else:
            lines.append(f"  {quoted(name)} [shape=plaintext, style=solid];")
    for edge in edges:
        width = 1.0 + 7.0 * edge["events"] / heaviest
        label = f"{edge['events']:,} ({duration(edge['median_seconds'])})"
        lines.append(
            f"  {quoted(edge['source'])} -> {quoted(edge['target'])} "
            f"[label={quoted(label)}, penwidth={width:.1f}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"
