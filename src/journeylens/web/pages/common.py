"""What every page shares: the navigation, the filter bar's choices, links that keep filters.

Examples
--------
>>> link("/journeys/list", "type=moving", pattern='"a" -> "b"')
'/journeys/list?type=moving&pattern=%22a%22+-%3E+%22b%22'
>>> link("/", "")
'/'
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from journeylens.analytics.scope import scope_counts, segment_options
from journeylens.web.filters import Filters, presets

if TYPE_CHECKING:
    from journeylens.web.state import Dashboard, Features
    from journeylens.workspace import Workspace

#: The pages in the navigation: (key, path, label, feature that must be present or None).
NAV = (
    ("overview", "/", "Overview", None),
    ("journeys", "/journeys", "Journeys", None),
    ("voc", "/voc", "Voice of the customer", "voc"),
    ("moments", "/moments", "Moments", "moments"),
    ("customers", "/customers", "Customers", None),
)


def link(path: str, query: str, **extra: Any) -> str:
    """``path`` with the filters' query string and extra parameters (None values left out)."""
    parts = [query] if query else []
    more = {k: v for k, v in extra.items() if v is not None}
    if more:
        parts.append(urlencode(more, doseq=True))
    return path + ("?" + "&".join(parts) if parts else "")


def jsonable(value: Any) -> Any:
    """Rows and values as JSON can hold them (timestamps as ISO text, NaN as None)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return jsonable(value.tolist())
    return value


def plain(data: dict[str, Any]) -> dict[str, Any]:
    """`jsonable` for a dict (typed)."""
    out: dict[str, Any] = jsonable(data)
    return out


def plain_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`jsonable` for rows (typed)."""
    out: list[dict[str, Any]] = jsonable(rows)
    return out


def _options(view: Workspace) -> dict[str, Any]:
    counts = scope_counts(view.backend)
    segments = view.config.extra.get("dashboard", {}).get("segments") if view.config.extra else None
    options = segment_options(view.backend, *([segments] if segments else []))
    defined = [d.name for d in view.config.journeys.definitions]
    return plain(
        {
            "types": [r["journey_type"] for r in counts["by_type"]],
            "defined_types": defined,
            "channels": [r["channel"] for r in counts["by_channel"]],
            "segments": options,
            "first": counts["first"],
            "last": counts["last"],
        }
    )


def options(dash: Dashboard) -> dict[str, Any]:
    """The choices of the filter bar (journey types, channels, segment groups, data range),
    computed once per build on the whole workspace."""
    return dash.panel("meta", "options", Filters(), _options)


def default_type(found: dict[str, Any]) -> str | None:
    """The journey type a page shows when none is chosen: the largest defined type."""
    types: list[str] = found.get("types", [])
    defined = set(found.get("defined_types", []))
    chosen = [t for t in types if t in defined] or types
    return chosen[0] if chosen else None


def page(
    dash: Dashboard,
    filters: Filters,
    features: Features,
    current: str,
    title: str,
    *,
    show_filters: bool = True,
) -> dict[str, Any]:
    """The context every page template needs."""
    found = options(dash)
    last = found.get("last")
    last_day = date.fromisoformat(last[:10]) if isinstance(last, str) else None
    query = filters.query()
    nav = [
        {
            "key": key,
            "href": link(path, query),
            "label": label,
            "current": key == current,
        }
        for key, path, label, feature in NAV
        if feature is None or getattr(features, feature)
    ]
    return {
        "title": title,
        "current": current,
        "nav": nav,
        "filters": filters,
        "query": query,
        "options": found,
        "presets": [
            {"label": label, "href": link("", filters.query(start=a, end=b))}
            for label, a, b in presets(last_day)
        ],
        "show_filters": show_filters,
        "problems": list(filters.problems) + ([found["error"]] if "error" in found else []),
    }
