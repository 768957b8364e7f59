"""Voice of the customer: scores over time, themes with quotes, touchpoint vs journey, and the
key drivers, each linking to example journeys (see `journeylens.web.pages.voc_panels`)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from journeylens.web.filters import Filters
from journeylens.web.pages.common import options, page
from journeylens.web.pages.overview import grain
from journeylens.web.pages.voc_panels import (
    drivers_panel,
    gap_panel,
    score_panels,
    themes_panel,
)

if TYPE_CHECKING:
    from journeylens.web.state import Dashboard, Features


def _day(text: Any) -> date | None:
    return date.fromisoformat(text[:10]) if isinstance(text, str) else None


def voc_page(dash: Dashboard, filters: Filters, features: Features) -> dict[str, Any]:
    """The VoC page's context."""
    context = page(dash, filters, features, "voc", "Voice of the customer")
    found = options(dash)
    period = grain(
        filters.start or _day(found.get("first")), filters.end or _day(found.get("last"))
    )
    scores = score_panels(dash, filters, period)
    kind = next((p["kind"] for p in scores if p.get("kind")), "nps")
    context.update(
        period=period,
        scores=scores,
        themes=themes_panel(dash, filters),
        gap=gap_panel(dash, filters),
        drivers=drivers_panel(dash, filters, kind),
    )
    return context
