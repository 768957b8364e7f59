"""The views computed when the dashboard starts, so the first visit answers at once: the
overview and each journey type's page, without filters (one panel at a time, in the background).

Examples
--------
>>> len(default_jobs.__doc__ or "") > 0
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from journeylens.web.filters import Filters
from journeylens.web.pages.common import options

if TYPE_CHECKING:
    from journeylens.web.state import Dashboard


def default_jobs(dashboard: Dashboard) -> list[Callable[[Dashboard], object]]:
    """The overview, then every journey type's page (largest first), without filters."""
    from journeylens.web.pages.journeys import journeys_page
    from journeylens.web.pages.overview import overview

    def warm_overview(dash: Dashboard) -> object:
        return overview(dash, Filters(), dash.features())

    def warm_types(dash: Dashboard) -> object:
        for journey_type in options(dash).get("types", []):
            journeys_page(dash, Filters(journey_type=journey_type), dash.features(), {})
        return None

    return [warm_overview, warm_types]
