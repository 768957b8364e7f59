"""Moments: the live feed of critical moments (server-sent events), how often each rule fires,
the actions delivered, and the uplift of each rule's action against its hold-out.

The page's feed reads ``/moments/stream``: the same moments as the live API's
``/v1/moments/stream`` (both follow `journeylens.realtime.actions.center.ActionCenter`), but
signed in with the dashboard's session, since a browser's ``EventSource`` cannot send an API
key header.

Examples
--------
>>> sse({"seq": 3, "rule": "r"})
'event: moment\\nid: 3\\ndata: {"seq": 3, "rule": "r"}\\n\\n'
>>> sse({})
': keep-alive\\n\\n'
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from fastapi import Request

from journeylens.palette import PALETTE
from journeylens.web import charts
from journeylens.web.filters import Filters
from journeylens.web.pages.common import jsonable, link, page, plain, plain_rows

if TYPE_CHECKING:
    from journeylens.web.state import Dashboard, Features
    from journeylens.workspace import Workspace

#: Recent moments listed under the feed.
RECENT = 50
#: Seconds between keep-alive comments on an idle stream.
HEARTBEAT = 15.0


def sse(row: dict[str, Any]) -> str:
    """One server-sent event for a moment (an empty row is a keep-alive comment)."""
    if not row:
        return ": keep-alive\n\n"
    return f"event: moment\nid: {row.get('seq', '')}\ndata: {json.dumps(jsonable(row))}\n\n"


async def stream(request: Request, center: Any) -> AsyncIterator[str]:
    """The moments recorded from now on (or after the browser's ``Last-Event-ID``)."""
    last = request.headers.get("last-event-id", "")
    after = int(last) if last.isdigit() else None
    yield "retry: 5000\n\n"
    async for row in center.subscribe(after=after, heartbeat=HEARTBEAT):
        if await request.is_disconnected():
            break
        yield sse(row)


def _outbox_stamp(dash: Dashboard) -> int:
    """Changes at most every five minutes while moments are recorded (so the uplift panel is
    recomputed now and then, not at every visit)."""
    path = dash.root / "live" / "outbox.sqlite"
    try:
        return int(path.stat().st_mtime // 300)
    except FileNotFoundError:
        return 0


def _uplift(view: Workspace) -> dict[str, Any]:
    from journeylens.realtime.actions.uplift import uplift

    found = uplift(view)
    rows = found.to_frame().to_dict("records")
    per_rule: dict[str, dict[str, Any]] = {}
    for row in rows:
        per_rule.setdefault(
            row["rule"],
            {"rule": row["rule"], "moments": row["moments"], "holdout_share": row["holdout_share"]},
        )
    hits = sorted(per_rule.values(), key=lambda r: (-r["moments"], r["rule"]))
    for hit in hits:
        hit["href"] = link("/moments", "", rule=hit["rule"])
    return plain(
        {
            "hits": hits,
            "hits_chart": charts.payload(
                charts.bars(
                    [h["rule"] for h in hits],
                    [h["moments"] for h in hits],
                    links=[h["href"] for h in hits],
                    name="moments",
                    colour=PALETTE[3],
                ),
                "Bar chart: moments recorded per rule",
            )
            if hits
            else None,
            "rows": [r for r in rows if r.get("uplift") is not None or r.get("note")],
            "chart": charts.payload(
                found.figure(), "Forest plot: uplift of each rule's action with its interval"
            )
            if any(r.get("uplift") is not None for r in rows)
            else None,
            "as_of": found.as_of,
        }
    )


def _recent(dash: Dashboard, service: Any, rule: str | None) -> list[dict[str, Any]]:
    center = getattr(service, "actions", None) if service is not None else None
    if center is not None:
        rows: list[dict[str, Any]] = center.moments(newest_first=True, limit=RECENT, rule=rule)
        return plain_rows(rows)
    from journeylens.realtime.actions.outcomes import read_moments

    table = read_moments(dash.root / "live" / "outbox.sqlite", (rule,) if rule else ())
    found: list[dict[str, Any]] = table.slice(max(0, table.num_rows - RECENT)).to_pylist()
    return plain_rows(found[::-1])


def moments_page(
    dash: Dashboard, filters: Filters, features: Features, service: Any, rule: str | None = None
) -> dict[str, Any]:
    """The moments page's context."""
    context = page(dash, filters, features, "moments", "Critical moments", show_filters=False)
    center = getattr(service, "actions", None) if service is not None else None
    uplift = dash.panel("moments", "uplift", Filters(), _uplift, _outbox_stamp(dash))
    try:
        recent = _recent(dash, service, rule)
        recent_error = None
    except Exception as exc:  # no outbox yet
        recent, recent_error = [], str(exc)
    for row in recent:
        row["href"] = link("/customers", "", q=row.get("customer_key"))
    context.update(
        live=center is not None,
        rule=rule,
        uplift=uplift,
        recent=recent,
        recent_error=recent_error,
        deliveries=[
            {"action": action, **counts} for action, counts in sorted(center.counts().items())
        ]
        if center is not None
        else [],
    )
    return context
