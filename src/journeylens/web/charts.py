"""Figures as the pages embed them, and the few simple figures the pages draw themselves from
numbers an analysis already computed (bars of counts, trend lines, a timeline of steps).

A figure travels as JSON (`payload`): Plotly.js draws it in the page with the dashboard's small
template (`static/dashboard.js`), so the big default template of plotly.py is left out.
Points may carry a link in ``customdata`` (a URL starting with ``/``): clicking the point opens
it (the drill-down); every such link is also in the table under the chart, for keyboards.

Examples
--------
>>> fig = bars(["web", "app"], [10, 4], links=["/journeys/list?channel=web", None], name="events")
>>> p = payload(fig, "events by channel")
>>> p["label"], '"template":{}' in p["json"], len(p["json"]) < 1000
('events by channel', True, True)
>>> "</script>" in payload(bars(["</script>"], [1]), "x")["json"]
False
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from journeylens.palette import GREY, PALETTE

if TYPE_CHECKING:
    import plotly.graph_objects as go


#: A journey's timeline with at most this many steps names each step next to its marker (a
#: customer's timeline never does: hover, or read the table under it).
LABELLED_STEPS = 12


def payload(fig: go.Figure, label: str, *, height: int | None = None) -> dict[str, Any]:
    """A figure ready for a page: ``json`` (safe inside a ``<script>`` element), ``label``
    (the accessible name of the chart) and ``height`` in pixels."""
    fig.update_layout(template=None, title=None, autosize=True, width=None)
    if height is not None:
        fig.update_layout(height=height)
    text = fig.to_json(validate=False)
    # `</` would end the script element the JSON sits in; `<\/` is the same JSON string.
    text = text.replace("</", "<\\/").replace("<!--", "<\\!--")
    shown = fig.layout.height
    return {"json": text, "label": label, "height": int(shown) if shown else 380}


def bars(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    links: Sequence[str | None] | None = None,
    name: str = "",
    horizontal: bool = True,
    colour: str = PALETTE[0],
    percent: bool = False,
) -> go.Figure:
    """One series of bars (largest on top when horizontal), each optionally a link."""
    import plotly.graph_objects as go

    fig = go.Figure()
    common: dict[str, Any] = {
        "name": name,
        "marker_color": colour,
        "customdata": list(links) if links is not None else None,
        "texttemplate": "%{value:.0%}" if percent else "%{value:,}",
        "textposition": "auto",
    }
    if horizontal:
        fig.add_bar(y=list(labels), x=list(values), orientation="h", **common)
        fig.update_layout(
            yaxis={"autorange": "reversed", "automargin": True},
            xaxis={"tickformat": ".0%" if percent else ",", "title": name},
            height=max(220, 60 + 30 * len(labels)),
        )
    else:
        fig.add_bar(x=list(labels), y=list(values), **common)
        fig.update_layout(yaxis={"tickformat": ".0%" if percent else ",", "title": name})
    fig.update_layout(margin={"l": 10, "r": 20, "t": 10, "b": 40}, showlegend=False)
    return fig


def trends(
    periods: Sequence[str],
    series: Mapping[str, Sequence[Any]],
    *,
    axis: str,
    links: Sequence[str | None] | None = None,
    range_: tuple[float, float] | None = None,
) -> go.Figure:
    """Lines over periods, one per series (Okabe-Ito colours, distinct markers too)."""
    import plotly.graph_objects as go

    symbols = ("circle", "square", "diamond", "triangle-up", "cross", "x")
    fig = go.Figure()
    for i, (name, values) in enumerate(series.items()):
        fig.add_scatter(
            x=list(periods),
            y=list(values),
            name=name,
            mode="lines+markers",
            line={"color": PALETTE[i % len(PALETTE)], "width": 2},
            marker={"symbol": symbols[i % len(symbols)], "size": 7},
            customdata=list(links) if links is not None else None,
            connectgaps=False,
        )
    fig.update_layout(
        yaxis={"title": axis, "range": list(range_) if range_ else None},
        xaxis={"title": "journeys started in the period of", "type": "category"},
        legend={"orientation": "h", "y": -0.25},
        margin={"l": 10, "r": 20, "t": 10, "b": 40},
        height=340,
    )
    return fig


def timeline(steps: Sequence[dict[str, Any]], *, link_journeys: bool = False) -> go.Figure:
    """Steps on a time axis, one row per channel, a marker per step coloured by channel and
    labelled with its activity; consecutive steps of one journey joined by a grey line."""
    import plotly.graph_objects as go

    channels = list(dict.fromkeys(str(s["channel"]) for s in steps))
    colour = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(channels)}
    fig = go.Figure()
    by_journey: dict[str, list[dict[str, Any]]] = {}
    for step in steps:
        by_journey.setdefault(str(step.get("journey_key")), []).append(step)
    for rows in by_journey.values():
        fig.add_scatter(
            x=[r["ts"] for r in rows],
            y=[r["channel"] for r in rows],
            mode="lines",
            line={"color": GREY, "width": 1},
            hoverinfo="skip",
            showlegend=False,
        )
    labelled = not link_journeys and len(steps) <= LABELLED_STEPS
    order = {id(s): i for i, s in enumerate(steps)}
    for channel in channels:
        rows = [s for s in steps if str(s["channel"]) == channel]
        fig.add_scatter(
            x=[r["ts"] for r in rows],
            y=[channel] * len(rows),
            mode="markers+text" if labelled else "markers",
            name=channel,
            text=[str(r["activity"]) for r in rows],
            # alternate above and below, so that close steps do not write over each other
            textposition=["top center" if order[id(r)] % 2 == 0 else "bottom center" for r in rows],
            marker={"color": colour[channel], "size": 11, "line": {"color": "#fff", "width": 1}},
            customdata=[f"/journeys/j/{r['journey_key']}" if link_journeys else None for r in rows],
            hovertemplate="%{x}<br>%{text}<extra>" + channel + "</extra>",
            cliponaxis=False,
        )
    fig.update_layout(
        yaxis={
            "title": "channel",
            "type": "category",
            "categoryorder": "array",
            "categoryarray": channels[::-1],
            "range": [-0.7, len(channels) - 0.3],
            "automargin": True,
        },
        xaxis={"title": "time (UTC)"},
        margin={"l": 10, "r": 20, "t": 30, "b": 40},
        height=max(260, 120 + 50 * len(channels)),
        legend={"orientation": "h", "y": -0.3},
    )
    return fig
