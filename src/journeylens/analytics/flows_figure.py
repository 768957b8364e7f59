"""The Sankey figure of a flow (kept apart so `flows` stays small and plotly stays optional).

Examples
--------
>>> colours(["b", "a", "b"])
{'b': '#0072B2', 'a': '#E69F00'}
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from journeylens.analytics.flows import GREY
from journeylens.palette import PALETTE

#: Okabe-Ito without black (the labels' text is dark).
NODE_COLOURS = PALETTE[:-1]

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from journeylens.analytics.flows import Flows

#: Vertical gap between nodes of one step, as a share of the column's height.
GAP = 0.02


def colours(labels: list[str]) -> dict[str, str]:
    """One Okabe-Ito colour per label (in first-seen order, cycling); markers and other grey."""
    out: dict[str, str] = {}
    for label in labels:
        if label in out:
            continue
        if label in GREY:
            out[label] = GREY[label]
        else:
            out[label] = NODE_COLOURS[sum(1 for k in out if k not in GREY) % len(NODE_COLOURS)]
    return out


def _rgba(hex_colour: str, alpha: float) -> str:
    red, green, blue = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red}, {green}, {blue}, {alpha})"


def _layout(
    steps: list[int], labels: list[str], shares: list[float], positions: list[int]
) -> tuple[list[float], list[float]]:
    """x by step, y stacked within the step (most frequent on top, markers and other below)."""
    xs, ys = [0.0] * len(steps), [0.0] * len(steps)
    span = max(len(positions) - 1, 1)
    for column, step in enumerate(positions):
        members = [i for i, s in enumerate(steps) if s == step]
        members.sort(key=lambda i: (labels[i] in GREY, -shares[i]))
        height = sum(shares[i] for i in members) + GAP * max(len(members) - 1, 0)
        top = 0.0
        for i in members:
            xs[i] = 0.001 + 0.998 * column / span
            ys[i] = 0.001 + 0.998 * (top + shares[i] / 2) / max(height, 1e-9)
            top += shares[i] + GAP
    return xs, ys


def sankey(flow: Flows) -> go.Figure:
    """A plotly Sankey of ``flow``: one column per step, link width by journeys."""
    import plotly.graph_objects as go

    nodes = flow.nodes.to_pylist()
    index = {(n["step"], n["label"]): i for i, n in enumerate(nodes)}
    palette = colours([str(n["label"]) for n in nodes])
    xs, ys = _layout(
        flow.nodes.column("step").to_pylist(),
        flow.nodes.column("label").to_pylist(),
        flow.nodes.column("share").to_pylist(),
        flow.query.positions,
    )
    links = flow.links.to_pylist()
    node_colours = [palette[str(n["label"])] for n in nodes]
    figure = go.Figure(
        go.Sankey(
            arrangement="snap",
            node={
                "label": [n["label"] for n in nodes],
                "x": xs,
                "y": ys,
                "color": node_colours,
                "pad": 12,
                "customdata": [
                    f"step {n['step']}: {n['journeys']:,} journeys ({n['share']:.1%})"
                    for n in nodes
                ],
                "hovertemplate": "%{label}<br>%{customdata}<extra></extra>",
            },
            link={
                "source": [index[(link["step"], link["source"])] for link in links],
                "target": [index[(link["step"] + 1, link["target"])] for link in links],
                "value": [link["journeys"] for link in links],
                "color": [
                    _rgba(node_colours[index[(link["step"], link["source"])]], 0.35)
                    for link in links
                ],
                "customdata": [
                    f"{link['journeys']:,} journeys ({link['share']:.1%})" for link in links
                ],
                "hovertemplate": (
                    "%{source.label} → %{target.label}<br>%{customdata}<extra></extra>"
                ),
            },
        )
    )
    query = flow.query
    where = f"from {query.anchor}" if query.direction == "forward" else f"to {query.anchor}"
    if query.anchor is None:
        where = "from the start" if query.direction == "forward" else "towards the end"
    figure.update_layout(
        title=f"flow {where}, {query.steps} steps, {flow.journeys:,} journeys",
        font={"size": 12},
        template="plotly_white",
    )
    return figure
