"""The journeys behind an aggregate (a page of them, latest first) and one journey's page: its
facts and its steps on a timeline.

What is behind an aggregate comes from the query string, besides the filters:

==================================  ========================================================
``pattern`` (+ ``by``)              journeys whose path matches the pattern (a variant, an
                                    edge, a step: `journeylens.analytics.pattern_syntax`)
``breakdown=<kind>:<label>``        journeys with that breakdown point
``hotspot=<stage>|<kind>|<label>``  journeys with that deviation from the designed map
``funnel`` (repeated) +             journeys that reached step ``dropped_after`` of the
``dropped_after`` (+ ``window``)    funnel and went no further
``page``                            which page of 50
==================================  ========================================================

Examples
--------
>>> Drill.parse({"pattern": ['"a" -> "b"'], "page": ["2"]}).describe()
'journeys whose path matches "a" -> "b" (by activity)'
>>> Drill.parse({"breakdown": ["failure:move_form_error"]}).breakdown
('failure', 'move_form_error')
>>> Drill.parse({"by": ["colour"]}).by
'activity'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from journeylens.analytics.drilldown import (
    breakdown_keys,
    hotspot_keys,
    journey_list,
    linked_feedback,
)
from journeylens.analytics.labels import LABELS
from journeylens.web import charts
from journeylens.web.filters import Filters
from journeylens.web.pages.common import jsonable, link, page, plain, plain_rows

if TYPE_CHECKING:
    from journeylens.web.state import Dashboard, Features
    from journeylens.workspace import Workspace

PAGE_SIZE = 50


@dataclass(frozen=True)
class Drill:
    """What a journey list is about (see the module docstring)."""

    pattern: str | None = None
    by: str = "activity"
    breakdown: tuple[str, str] | None = None
    hotspot: tuple[str, str, str] | None = None
    funnel: tuple[str, ...] = ()
    window: str = ""
    dropped_after: int | None = None
    page: int = 1

    @classmethod
    def parse(cls, params: Mapping[str, Sequence[str]]) -> Drill:
        """From query parameters (unknown or malformed values are ignored)."""

        def one(name: str) -> str:
            values = params.get(name) or [""]
            return values[0].strip()

        by = one("by") if one("by") in LABELS else "activity"
        kind, sep, label = one("breakdown").partition(":")
        hotspot = one("hotspot").split("|", 2)
        dropped = one("dropped_after")
        page_text = one("page")
        return cls(
            pattern=one("pattern") or None,
            by=by,
            breakdown=(kind, label) if sep and kind and label else None,
            hotspot=(hotspot[0], hotspot[1], hotspot[2]) if len(hotspot) == 3 else None,
            funnel=tuple(s for s in params.get("funnel", []) if s.strip()),
            window=one("window"),
            dropped_after=int(dropped) if dropped.isdigit() else None,
            page=max(1, int(page_text)) if page_text.isdigit() else 1,
        )

    def key(self) -> tuple[Any, ...]:
        """Identity for the cache (the page excluded)."""
        return (
            self.pattern,
            self.by,
            self.breakdown,
            self.hotspot,
            self.funnel,
            self.window,
            self.dropped_after,
        )

    def describe(self) -> str:
        """What the list holds, in words."""
        if self.pattern:
            return f"journeys whose path matches {self.pattern} (by {self.by})"
        if self.breakdown:
            return f"journeys with a {self.breakdown[0]} at {self.breakdown[1]}"
        if self.hotspot:
            stage, kind, label = self.hotspot
            return f"journeys with a {kind.replace('_', '-')} {label} in stage {stage}"
        if self.funnel and self.dropped_after:
            steps = " → ".join(self.funnel)
            return (
                f"journeys that dropped out of the funnel {steps} after step {self.dropped_after}"
            )
        return "journeys"

    def params(self) -> dict[str, Any]:
        """The drill's own query parameters (for the next page's link)."""
        return {
            "pattern": self.pattern,
            "by": self.by if self.pattern and self.by != "activity" else None,
            "breakdown": ":".join(self.breakdown) if self.breakdown else None,
            "hotspot": "|".join(self.hotspot) if self.hotspot else None,
            "funnel": list(self.funnel) or None,
            "window": self.window or None,
            "dropped_after": self.dropped_after,
        }


def _keys(view: Workspace, drill: Drill, journey_type: str | None) -> Any:
    """The journey keys behind the drill (None: every journey of the view)."""
    if drill.pattern:
        return pa.Table.from_pandas(
            view.paths(drill.pattern, by=drill.by, journey_type=journey_type).journeys(),
            preserve_index=False,
        )
    if drill.breakdown:
        broken = view.breakdowns(journey_type=journey_type)
        return breakdown_keys(broken.breakdowns.expr, *drill.breakdown)
    if drill.hotspot:
        if journey_type is None:
            raise ValueError("a deviation hot spot belongs to one journey type: choose it")
        conforming = view.conformance(journey_type=journey_type)
        return hotspot_keys(conforming.journeys, *drill.hotspot)
    if len(drill.funnel) >= 2 and drill.dropped_after:
        funnel = view.funnel(
            steps=list(drill.funnel),
            window=drill.window or None,
            journey_type=journey_type,
            keys=True,
        )
        keys = funnel.dropped_keys(drill.dropped_after)
        return pa.table({"journey_key": pa.array(keys, pa.string())})
    return None


def _listing(drill: Drill, filters: Filters) -> Any:
    def compute(view: Workspace) -> dict[str, Any]:
        keys = _keys(view, drill, filters.journey_type)
        found = journey_list(
            view.backend, keys=keys, limit=PAGE_SIZE, offset=(drill.page - 1) * PAGE_SIZE
        )
        rows = [r | {"href": "/journeys/j/" + r["journey_key"]} for r in found.rows]
        return plain({"total": found.total, "rows": rows, "more": found.more})

    return compute


def list_page(
    dash: Dashboard, filters: Filters, features: Features, params: Mapping[str, Sequence[str]]
) -> dict[str, Any]:
    """The journey list's context."""
    drill = Drill.parse(params)
    context = page(dash, filters, features, "journeys", "Journeys behind the numbers")
    listing = dash.panel(
        "list", "journeys", filters, _listing(drill, filters), drill.key(), drill.page
    )
    query = filters.query()
    context.update(
        drill=drill,
        description=drill.describe(),
        listing=listing,
        previous=link("/journeys/list", query, **drill.params(), page=drill.page - 1)
        if drill.page > 1
        else None,
        next=link("/journeys/list", query, **drill.params(), page=drill.page + 1)
        if listing.get("more")
        else None,
    )
    return context


def journey_page(
    dash: Dashboard, filters: Filters, features: Features, journey_key: str
) -> dict[str, Any]:
    """One journey: its facts, its steps on a timeline, and its feedback when linked."""
    context = page(dash, filters, features, "journeys", "Journey", show_filters=False)
    with dash.lookup() as ws:
        view = ws.journey(journey_key)
        steps = view.steps.to_pylist()
        feedback = plain_rows(linked_feedback(ws.backend, journey_key=journey_key))
    facts = jsonable(view.journey)
    context.update(
        journey=facts,
        steps=jsonable(steps),
        feedback=feedback,
        customer_href=link("/customers", "", q=facts["customer_key"]),
        timeline=charts.payload(
            charts.timeline(steps),
            f"Timeline of journey {journey_key}: {len(steps)} steps across channels",
        ),
        title=f"Journey {journey_key}",
    )
    return context
