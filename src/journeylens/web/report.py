"""The report: ONE self-contained HTML file with the dashboard's charts (Plotly.js, the CSS and
the script inlined), that opens offline, from a file, anywhere.

It holds the overview (key figures, events by channel, journeys by type, success, effort and
friction over time, breakdown points, and satisfaction with its drivers once the voice of the
customer is there) and, for each chosen journey type, its flow, process map, variants and
designed map vs actual journeys; the filters of the dashboard apply (`Filters`). The panels are
the dashboard's own (`journeylens.web.pages`), rendered with the same templates.

Examples
--------
>>> report_types(["a", "other", "b"], ["b", "a"], None)
['a', 'b']
>>> report_types(["a", "b"], [], ["b", "x"])
Traceback (most recent call last):
...
ValueError: no journeys of type 'x'; the types are: a, b
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from journeylens.web.filters import Filters
from journeylens.web.pages.common import options, page
from journeylens.web.pages.journeys import journeys_page
from journeylens.web.pages.overview import overview
from journeylens.web.render import render
from journeylens.web.state import Dashboard, Features, has_module

if TYPE_CHECKING:
    from journeylens.workspace import Workspace


@dataclass(frozen=True)
class ReportResult:
    """What was written."""

    path: Path
    bytes: int
    journey_types: list[str]
    charts: int


def report_types(
    available: Sequence[str], defined: Sequence[str], asked: Sequence[str] | None
) -> list[str]:
    """The journey types the report covers: those asked for, else every defined type that has
    journeys (in order of size), else every type."""
    if asked:
        unknown = [t for t in asked if t not in available]
        if unknown:
            raise ValueError(
                f"no journeys of type '{unknown[0]}'; the types are: {', '.join(available)}"
            )
        return list(asked)
    chosen = [t for t in available if t in set(defined)]
    return chosen or list(available)


def write_report(
    ws: Workspace,
    path: Path | str = "report.html",
    *,
    journey_types: Sequence[str] | None = None,
    filters: Filters | None = None,
    title: str | None = None,
) -> ReportResult:
    """Write the report of ``ws`` to ``path``.

    Parameters
    ----------
    ws : Workspace
        A built workspace.
    path : path
        The HTML file to write.
    journey_types : sequence of str, optional
        The journey types to show (default: every defined type with journeys).
    filters : Filters, optional
        The scope: period, journey type, channel, segment (as in the dashboard).
    title : str, optional
        The report's title (default: the workspace's folder name).
    """
    filters = filters or Filters()
    dash = Dashboard(ws.root, cache=False, workspace=ws)
    features = Features(voc=has_module("journeylens.voc.scores") and dash.has_table("feedback"))
    found = options(dash)
    if "error" in found:
        raise ValueError(found["error"])
    types = report_types(
        found.get("types", []),
        found.get("defined_types", []),
        journey_types or ([filters.journey_type] if filters.journey_type else None),
    )
    context = overview(dash, filters, features)
    sections: list[dict[str, Any]] = []
    for index, journey_type in enumerate(types, start=1):
        typed = Filters(**{**filters.scope_filters(), "journey_type": journey_type})
        part = journeys_page(dash, typed, features, {})
        sections.append(
            {
                "name": journey_type,
                "sfx": f"-{index}",
                **{k: part.get(k) for k in ("flows", "process_map", "variants", "conformance")},
            }
        )
    name = title or ws.root.resolve().name
    context.update(
        page(dash, filters, features, "overview", f"{name}: journey report", show_filters=False),
        standalone=True,
        nav=[{"href": "#overview", "label": "Overview", "current": False}]
        + [{"href": f"#type{s['sfx']}", "label": s["name"], "current": False} for s in sections],
        sections=sections,
        scope=filters.params(),
        written=datetime.now().strftime("%Y-%m-%d %H:%M"),
    )
    html = render("report.html", **context)
    target = Path(path)
    target.write_text(html, encoding="utf-8")
    return ReportResult(target, len(html.encode("utf-8")), types, html.count('class="chart"'))
