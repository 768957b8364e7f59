"""The voice-of-the-customer panels, shared by the VoC page and the overview: scores over time,
key drivers (each linking to example journeys), touchpoint vs journey, themes with quotes.

Each panel calls a workspace method of `journeylens.voice` and is shown only when that method
exists (the capabilities land one by one). The scope's filters apply to the feedback about the
journeys in the scope (`journeylens.analytics.subset.JourneySubset` filters ``feedback_links``).

Examples
--------
>>> HEADLINE["nps"], HEADLINE["ces"]
('nps', 'mean')
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from journeylens.web import charts
from journeylens.web.filters import Filters
from journeylens.web.pages.common import link, plain

if TYPE_CHECKING:
    from journeylens.web.state import Dashboard
    from journeylens.workspace import Workspace

#: Score kinds in the order they are tried, and the column of each one's headline.
KINDS = ("nps", "csat", "ces")
HEADLINE = {"nps": "nps", "csat": "csat", "ces": "mean"}
NAMES = {"nps": "NPS (-100 to 100)", "csat": "CSAT (% satisfied)", "ces": "CES (mean, 1-7)"}


def _scores(kind: str, period: str) -> Any:
    def compute(view: Workspace) -> dict[str, Any]:
        overall = view.scores(kind).to_frame().to_dict("records")
        if not overall or not overall[0].get("responses"):
            return {"empty": True}
        trend = view.scores(kind, period=period)
        head = HEADLINE[kind]
        rows = trend.to_frame().to_dict("records")
        return plain(
            {
                "kind": kind,
                "name": NAMES[kind],
                "overall": overall[0] | {"headline": overall[0][head]},
                "chart": charts.payload(
                    trend.figure(), f"Line chart: {NAMES[kind]} per {period} with its interval"
                ),
                "rows": [
                    {
                        "period": r["period"],
                        "responses": r["responses"],
                        "headline": r[head],
                        "low": r[f"{head}_low"],
                        "high": r[f"{head}_high"],
                    }
                    for r in rows
                ],
                "cols": [
                    ("period", period, "text"),
                    ("responses", "answers", "num"),
                    ("headline", NAMES[kind], "num"),
                    ("low", "interval from", "num"),
                    ("high", "to", "num"),
                ],
            }
        )

    return compute


def score_panels(dash: Dashboard, filters: Filters, period: str) -> list[dict[str, Any]]:
    """One panel per score kind that has answers in the scope."""
    found = []
    for kind in KINDS:
        panel = dash.panel("voc", f"scores-{kind}", filters, _scores(kind, period), period)
        if not panel.get("empty"):
            found.append(panel)
    return found


def _drivers(filters: Filters, kind: str) -> Any:
    def compute(view: Workspace) -> dict[str, Any]:
        target = "detractor" if kind == "nps" else "score"
        found = view.drivers(kind=kind, target=target, journey_type=filters.journey_type)
        rows = found.top(10)
        for row in rows:
            examples = list(row.get("examples") or [])
            row["examples"] = [{"key": k, "href": "/journeys/j/" + k} for k in examples]
        return plain(
            {
                "target": f"{target} ({kind})",
                "chart": charts.payload(
                    found.figure(top=10),
                    f"Forest plot: the journey features that go with a {target} {kind} answer",
                ),
                "rows": rows,
                "model": found.model,
            }
        )

    return compute


def drivers_panel(dash: Dashboard, filters: Filters, kind: str) -> dict[str, Any] | None:
    """Key drivers of ``kind`` (None when the method has not landed)."""
    if not hasattr(dash.ws, "drivers"):
        return None
    return dash.panel("voc", f"drivers-{kind}", filters, _drivers(filters, kind))


def _gap(filters: Filters) -> Any:
    def compute(view: Workspace) -> dict[str, Any]:
        found = view.touchpoint_gap()
        rows = found.to_frame().to_dict("records")
        for row in rows:
            row["href"] = link("/journeys", filters.query(type=row.get("journey_type")))
        return plain(
            {
                "chart": charts.payload(
                    found.figure(),
                    "Bar chart: touchpoint scores beside journey scores per journey type",
                ),
                "rows": rows,
            }
        )

    return compute


def gap_panel(dash: Dashboard, filters: Filters) -> dict[str, Any] | None:
    """Touchpoint vs journey (None when the method has not landed)."""
    if not hasattr(dash.ws, "touchpoint_gap"):
        return None
    return dash.panel("voc", "gap", filters, _gap(filters))


def _themes(view: Workspace) -> dict[str, Any]:
    found = view.themes()
    rows = found.table.to_pylist()
    for row in rows:
        row["quotes"] = list(row.get("quotes") or [])[:3]
    return plain(
        {
            "chart": charts.payload(found.figure(), "Bar chart: themes of the comments"),
            "rows": rows,
        }
    )


def themes_panel(dash: Dashboard, filters: Filters) -> dict[str, Any] | None:
    """Themes of all the comments, with quotes (None when the method has not landed).

    Themes are found once per build over every verbatim (`Workspace.themes` with its
    defaults, which also stores ``feedback_themes``), whatever the filters."""
    if not hasattr(dash.ws, "themes"):
        return None
    return dash.panel("voc", "themes", Filters(), _themes)


def voc_overview_panels(dash: Dashboard, filters: Filters, period: str) -> dict[str, Any]:
    """Satisfaction over time (the first score kind with answers) and its key drivers."""
    scores = score_panels(dash, filters, period)
    if not scores:
        return {}
    first = scores[0]
    out: dict[str, Any] = {"satisfaction": first}
    kind = first.get("kind")
    if kind:
        drivers = drivers_panel(dash, filters, kind)
        if drivers is not None:
            out["drivers"] = drivers
    return out
