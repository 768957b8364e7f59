"""Journeys: per journey type, the flow (Sankey), the process map (frequency and time on edges),
the variants, the designed map against the actual journeys (deviation hot spots) and a funnel
built in a form. Every row links to the journeys behind it.

Examples
--------
>>> funnel_request({"steps": ["a", "", "b"], "window": ["7d"]})
FunnelRequest(steps=('a', 'b'), window='7d')
>>> funnel_request({"steps": ["a"]}) is None
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from journeylens.analytics.drilldown import edge_pattern, step_pattern, variant_pattern
from journeylens.analytics.journey_maps import MAPS_FILE, load_journey_maps
from journeylens.web import charts
from journeylens.web.filters import Filters
from journeylens.web.pages.common import default_type, link, options, page, plain

if TYPE_CHECKING:
    from journeylens.web.state import Dashboard, Features
    from journeylens.workspace import Workspace

#: Windows the funnel form offers (value, label).
WINDOWS = (
    ("", "no limit"),
    ("1d", "1 day"),
    ("7d", "7 days"),
    ("14d", "14 days"),
    ("30d", "30 days"),
)
#: The most steps the funnel form takes.
MAX_STEPS = 8


@dataclass(frozen=True)
class FunnelRequest:
    """The funnel form's input: the steps (labels) and an optional conversion window."""

    steps: tuple[str, ...]
    window: str = ""


def funnel_request(params: Mapping[str, Sequence[str]]) -> FunnelRequest | None:
    """The funnel asked for in the query string (``steps`` repeated, ``window``), or None
    when fewer than two steps are given."""
    steps = tuple(s.strip() for s in params.get("steps", []) if s.strip())[:MAX_STEPS]
    if len(steps) < 2:
        return None
    windows = {value for value, _ in WINDOWS}
    window = next(iter(params.get("window", [])), "")
    return FunnelRequest(steps, window if window in windows else "")


def _flows(journey_type: str) -> Any:
    def compute(view: Workspace) -> dict[str, Any]:
        found = view.flows(journey_type=journey_type, steps=5, cap=8)
        rows = found.to_frame().sort_values(["step", "journeys"], ascending=[True, False])
        return plain(
            {
                "chart": charts.payload(
                    found.figure(),
                    f"Sankey diagram: the first five steps of {journey_type} journeys",
                    height=460,
                ),
                "rows": rows.head(30).to_dict("records"),
            }
        )

    return compute


def _process_map(journey_type: str, filters: Filters) -> Any:
    def compute(view: Workspace) -> dict[str, Any]:
        full = view.process_map(journey_type=journey_type)
        shown = view.process_map(journey_type=journey_type, min_share=0.95)
        edges = full.to_frame().head(15).to_dict("records")
        for edge in edges:
            edge["href"] = link(
                "/journeys/list",
                filters.query(),
                pattern=edge_pattern(edge["source"], edge["target"]),
            )
        nodes = full.nodes.column("node").to_pylist()
        return plain(
            {
                "chart": charts.payload(
                    shown.figure(top_edges=30),
                    f"Process map of {journey_type} journeys: activities and the transitions "
                    "between them, with frequency and median time",
                    height=520,
                ),
                "kept": shown.kept_edge_share,
                "edges": edges,
                "activities": nodes,
                "activity_links": {
                    n: link("/journeys/list", filters.query(), pattern=step_pattern(n))
                    for n in nodes
                },
            }
        )

    return compute


def _variants(journey_type: str, filters: Filters) -> Any:
    def compute(view: Workspace) -> dict[str, Any]:
        found = view.variants(journey_type=journey_type, top=15)
        rows = found.to_frame().to_dict("records")
        for row in rows:
            row["href"] = link(
                "/journeys/list", filters.query(), pattern=variant_pattern(list(row["path"]))
            )
            row["path"] = " → ".join(row["path"])
        return plain(
            {
                "chart": charts.payload(
                    found.figure(top=10), f"Bar chart: the most frequent paths of {journey_type}"
                ),
                "rows": rows,
                "total": found.total_journeys,
            }
        )

    return compute


def _conformance(journey_type: str, filters: Filters) -> Any:
    def compute(view: Workspace) -> dict[str, Any]:
        found = view.conformance(journey_type=journey_type)
        summary = found.summary.to_pylist()
        hotspots = found.hotspots.to_pylist()[:12]
        for spot in hotspots:
            spot["href"] = link(
                "/journeys/list",
                filters.query(),
                hotspot="|".join([spot["stage"], spot["kind"], spot["label"]]),
            )
        return plain(
            {
                "chart": charts.payload(
                    found.figure(),
                    f"Bar chart: share of {journey_type} journeys deviating from the designed "
                    "map, per stage",
                ),
                "summary": summary[0] if summary else {},
                "hotspots": hotspots,
            }
        )

    return compute


def _funnel(journey_type: str, asked: FunnelRequest, filters: Filters) -> Any:
    def compute(view: Workspace) -> dict[str, Any]:
        found = view.funnel(
            steps=list(asked.steps), window=asked.window or None, journey_type=journey_type
        )
        rows = found.to_frame().to_dict("records")
        for row in rows:
            row["href"] = (
                link(
                    "/journeys/list",
                    filters.query(),
                    funnel=list(asked.steps),
                    window=asked.window or None,
                    dropped_after=row["step"] - 1,
                )
                if row["step"] > 1 and row["dropped"]
                else None
            )
        return plain(
            {
                "chart": charts.payload(
                    found.figure(), f"Funnel chart: {' then '.join(asked.steps)}"
                ),
                "rows": rows,
            }
        )

    return compute


def mapped_types(dash: Dashboard) -> set[str]:
    """The journey types with a designed map in ``journey_maps.yaml`` (none without it)."""
    path = dash.root / MAPS_FILE
    if not path.exists():
        return set()
    try:
        return set(load_journey_maps(path))
    except Exception:  # a broken maps file: the conformance panel is left out
        return set()


def journeys_page(
    dash: Dashboard,
    filters: Filters,
    features: Features,
    params: Mapping[str, Sequence[str]],
) -> dict[str, Any]:
    """The journeys page's context (one journey type at a time)."""
    found = options(dash)
    journey_type = filters.journey_type or default_type(found)
    context = page(dash, filters, features, "journeys", "Journeys")
    context.update(
        journey_type=journey_type,
        types=[
            {
                "name": t,
                "href": link("/journeys", filters.query(type=t)),
                "current": t == journey_type,
            }
            for t in found.get("types", [])
        ],
        windows=WINDOWS,
        max_steps=MAX_STEPS,
        funnel_asked=None,
        funnel=None,
        conformance=None,
    )
    if journey_type is None:
        return context
    typed = (
        filters
        if filters.journey_type
        else Filters(**{**filters.scope_filters(), "journey_type": journey_type})
    )
    context["flows"] = dash.panel("journeys", "flows", typed, _flows(journey_type))
    context["process_map"] = dash.panel(
        "journeys", "process_map", typed, _process_map(journey_type, typed)
    )
    context["variants"] = dash.panel("journeys", "variants", typed, _variants(journey_type, typed))
    if journey_type in mapped_types(dash):
        context["conformance"] = dash.panel(
            "journeys", "conformance", typed, _conformance(journey_type, typed)
        )
    asked = funnel_request(params)
    context["funnel_asked"] = asked
    if asked is not None:
        context["funnel"] = dash.panel(
            "journeys",
            "funnel",
            typed,
            _funnel(journey_type, asked, typed),
            asked.steps,
            asked.window,
        )
    context["query"] = typed.query()
    return context
