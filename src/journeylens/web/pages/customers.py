"""Customer lookup: find a customer by any identifier (customer id, e-mail, phone, cookie, or
the customer key) and see them across channels: identifiers, timeline, journeys (open ones with
their stage), feedback, and, from the live context API when the server runs it, active moments,
the predicted next step and the recommended action.

Examples
--------
>>> clean_query("  ann@example.com ")
'ann@example.com'
>>> clean_query("x" * 500) is None
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from journeylens.analytics.drilldown import linked_feedback
from journeylens.errors import JourneyLensError
from journeylens.web import charts
from journeylens.web.filters import Filters
from journeylens.web.pages.common import jsonable, page, plain

if TYPE_CHECKING:
    from journeylens.web.state import Dashboard, Features

#: Steps drawn on a customer's timeline (the most recent).
TIMELINE_STEPS = 300
#: The longest identifier accepted.
MAX_QUERY = 256


def clean_query(text: str | None) -> str | None:
    """The identifier searched for (None when empty or implausibly long)."""
    text = (text or "").strip()
    return text if 0 < len(text) <= MAX_QUERY else None


def _live_context(service: Any, identifier: str) -> dict[str, Any] | None:
    """The live context API's answer as a dict (None when there is no live service)."""
    if service is None or not hasattr(service, "context"):
        return None
    found = service.context(identifier)
    if found is None:
        return None
    for method in ("to_dict", "model_dump"):
        if hasattr(found, method):
            data: dict[str, Any] = getattr(found, method)()
            return plain(data)
    if isinstance(found, dict):
        return plain(found)
    return None


def customer_page(
    dash: Dashboard, filters: Filters, features: Features, q: str | None, service: Any = None
) -> dict[str, Any]:
    """The customer lookup's context."""
    context = page(dash, filters, features, "customers", "Customer lookup", show_filters=False)
    identifier = clean_query(q)
    context.update(q=q or "", customer=None, error=None, live=None)
    if identifier is None:
        if q:
            context["error"] = f"search for an identifier of at most {MAX_QUERY} characters"
        return context
    try:
        with dash.lookup() as ws:
            found = ws.customer(identifier)
            identifiers = found.identifiers.to_pylist()
            journeys = found.journeys.to_pylist()
            recent = found.timeline.expr.order_by(
                [found.timeline.expr.ts.desc(), found.timeline.expr.seq.desc()]
            ).limit(TIMELINE_STEPS)
            steps = ws.backend.to_arrow(recent).to_pylist()[::-1]
            feedback = linked_feedback(ws.backend, customer_key=found.customer_key)
    except JourneyLensError as exc:
        context["error"] = str(exc)
        return context
    try:
        context["live"] = _live_context(service, identifier) if features.context else None
    except Exception as exc:  # the live view is extra: the stored history still shows
        context["live_error"] = f"the live context is unavailable: {exc}"
    journeys.sort(key=lambda j: (j["status"] != "open", -j["start_ts"].timestamp()))
    context.update(
        customer={
            "key": found.customer_key,
            "identifiers": jsonable(identifiers),
            "journeys": jsonable(
                [j | {"href": "/journeys/j/" + j["journey_key"]} for j in journeys]
            ),
            "open": sum(1 for j in journeys if j["status"] == "open"),
            "channels": sorted({str(s["channel"]) for s in steps}),
            "steps": jsonable(steps[-50:][::-1]),
            "total_steps": len(steps),
            "feedback": jsonable(feedback),
        },
        timeline=charts.payload(
            charts.timeline(steps, link_journeys=True),
            f"Timeline of customer {found.customer_key}: their {len(steps)} most recent steps "
            "across channels",
        ),
        title=f"Customer {found.customer_key}",
    )
    return context
