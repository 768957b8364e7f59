"""Moments and actions over HTTP: list and follow moments, see and retry deliveries.

- ``GET /v1/moments``: recorded moments (filter by rule, customer, since, arm), oldest first,
  with cursor pagination (``cursor`` = the previous answer's ``next_cursor``);
- ``GET /v1/moments/stream``: server-sent events, one ``moment`` event per new moment
  (``id:`` is its cursor, so a reconnecting client's ``Last-Event-ID`` resumes where it left);
- ``GET /v1/moments/{moment_id}``: one moment with its recommendations and deliveries;
- ``GET /v1/actions``: the configured actions (no secrets) with deliveries per status;
- ``GET /v1/actions/deliveries``: deliveries with their status, attempts and last error;
- ``POST /v1/actions/deliveries/retry``: make failed deliveries due again;
- ``GET /v1/actions/alerts``: the newest alerts.

Everything is read from the outbox (`journeylens.realtime.actions.center.ActionCenter`).

Examples
--------
>>> sorted({r.path for r in router.routes})[:3]
['/v1/actions', '/v1/actions/alerts', '/v1/actions/deliveries']
>>> sse({"seq": 7, "rule": "r"})
b'id: 7\\nevent: moment\\ndata: {"seq":7,"rule":"r"}\\n\\n'
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from journeylens.api.deps import ApiError, JsonResponse, get_service, require_key

if TYPE_CHECKING:
    from journeylens.realtime.actions.center import ActionCenter
    from journeylens.realtime.service import LiveService

router = APIRouter(prefix="/v1", dependencies=[Depends(require_key)])

#: Seconds between keep-alive comments on an idle stream.
HEARTBEAT_SECONDS = 15.0


def _center(service: LiveService) -> ActionCenter:
    center: ActionCenter | None = getattr(service, "actions", None)
    if center is None:
        raise ApiError(
            503,
            "actions_unavailable",
            "this server records no moments (the action centre is not running)",
        )
    return center


def _customer(service: LiveService, customer: str | None) -> str | None:
    """The customer key of any identifier; the value itself when the engine does not know it
    (moments still match a customer key, or the value after its type)."""
    if customer is None:
        return None
    try:
        return str(service.resolve(customer))
    except LookupError:
        return customer


def _cursor(cursor: str | None) -> int | None:
    if cursor is None or cursor == "":
        return None
    try:
        return int(cursor)
    except ValueError as exc:
        raise ApiError(
            400, "invalid_cursor", f"'{cursor}' is not a cursor; pass a next_cursor as given"
        ) from exc


def sse(moment: dict[str, Any]) -> bytes:
    """One moment as a server-sent event."""
    data = orjson.dumps(moment, default=str)
    return b"id: %d\nevent: moment\ndata: %s\n\n" % (moment["seq"], data)


@router.get("/moments", tags=["moments"], summary="Recorded moments, filtered and paginated")
async def list_moments(
    rule: str | None = Query(None, description="Only this rule's moments."),
    customer: str | None = Query(
        None, description="Any identifier of the customer, or the customer key."
    ),
    since: datetime | None = Query(None, description="Moments at or after this event time."),
    holdout: bool | None = Query(None, description="Only held-out (true) or actioned (false)."),
    limit: int = Query(100, ge=1, le=1000),
    cursor: str | None = Query(None, description="The next_cursor of the previous page."),
    service: LiveService = Depends(get_service),
) -> JsonResponse:
    """Moments oldest first. ``next_cursor`` continues after the last one; ``has_more`` says
    whether a full page was returned (ask again with the cursor; new moments appear there)."""
    center = _center(service)
    after = _cursor(cursor)
    found = await asyncio.to_thread(
        center.moments,
        rule=rule,
        customer_key=_customer(service, customer),
        since=since,
        holdout=holdout,
        limit=limit,
        after=after,
    )
    next_cursor = str(found[-1]["seq"]) if found else cursor
    return JsonResponse(
        {"moments": found, "next_cursor": next_cursor, "has_more": len(found) == limit}
    )


@router.get(
    "/moments/stream",
    tags=["moments"],
    summary="New moments as server-sent events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def stream_moments(
    rule: str | None = Query(None, description="Only this rule's moments."),
    customer: str | None = Query(None, description="Only this customer's moments."),
    after: str | None = Query(None, description="Start after this cursor (default: now)."),
    last_event_id: str | None = Header(None, description="Set by a reconnecting client."),
    service: LiveService = Depends(get_service),
) -> StreamingResponse:
    """Each new moment as ``event: moment`` with ``id: <cursor>`` and the moment as JSON
    ``data``; a ``: keep-alive`` comment every 15 s of silence. Reconnecting clients send
    ``Last-Event-ID`` and miss nothing."""
    center = _center(service)
    start = _cursor(last_event_id or after)
    key = _customer(service, customer)

    async def events() -> AsyncIterator[bytes]:
        yield b"retry: 3000\n\n"
        async for moment in center.subscribe(
            after=start, rule=rule, customer_key=key, heartbeat=HEARTBEAT_SECONDS
        ):
            yield sse(moment) if moment else b": keep-alive\n\n"

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get(
    "/moments/{moment_id}",
    tags=["moments"],
    summary="One moment with its recommendations and deliveries",
    responses={404: {"description": "No moment has this id."}},
)
async def get_moment(moment_id: str, service: LiveService = Depends(get_service)) -> JsonResponse:
    """The moment, its arm (``holdout``), recommendations and the status of each action."""
    found = await asyncio.to_thread(_center(service).moment, moment_id)
    if found is None:
        raise ApiError(404, "moment_not_found", f"no moment '{moment_id}' in the outbox")
    return JsonResponse(found)


@router.get("/actions", tags=["actions"], summary="The configured actions and their deliveries")
async def list_actions(service: LiveService = Depends(get_service)) -> JsonResponse:
    """Each action (name, type, target host; never a secret) with its deliveries per status,
    and the hold-out shares (default and per rule)."""
    center = _center(service)
    counts = await asyncio.to_thread(center.counts)
    empty = {"pending": 0, "delivered": 0, "failed": 0}
    actions = [
        {**row, "deliveries": counts.get(row["name"], empty)} for row in center.settings.describe()
    ]
    undefined = sorted(set(counts) - set(center.settings.actions))
    return JsonResponse(
        {
            "actions": actions,
            "undefined_actions": [{"name": n, "deliveries": counts[n]} for n in undefined],
            "holdout": center.settings.holdout,
            "rule_holdouts": center.settings.rule_holdouts,
        }
    )


@router.get("/actions/deliveries", tags=["actions"], summary="Deliveries and their status")
async def list_deliveries(
    status: Literal["pending", "delivered", "failed"] | None = Query(None),
    action: str | None = Query(None, description="Only this action's deliveries."),
    moment_id: str | None = Query(None),
    limit: int = Query(100, ge=1, le=1000),
    cursor: str | None = Query(None, description="The next_cursor of the previous page."),
    service: LiveService = Depends(get_service),
) -> JsonResponse:
    """Deliveries oldest first: status, attempts, the next attempt's time (pending), the last
    error and HTTP status."""
    found = await asyncio.to_thread(
        _center(service).deliveries,
        status=status,
        action=action,
        moment_id=moment_id,
        limit=limit,
        after=_cursor(cursor),
    )
    next_cursor = str(found[-1]["seq"]) if found else cursor
    return JsonResponse(
        {"deliveries": found, "next_cursor": next_cursor, "has_more": len(found) == limit}
    )


class RetryRequest(BaseModel):
    """Which failed deliveries to make due again (all when ``delivery_ids`` is absent)."""

    delivery_ids: list[str] | None = None


@router.post("/actions/deliveries/retry", tags=["actions"], summary="Retry failed deliveries")
async def retry_deliveries(
    request: RetryRequest | None = None, service: LiveService = Depends(get_service)
) -> JsonResponse:
    """Failed deliveries (those named, or all) become pending with a fresh set of attempts."""
    ids = request.delivery_ids if request is not None else None
    retried = await asyncio.to_thread(_center(service).retry, ids)
    return JsonResponse({"retried": retried})


@router.get("/actions/alerts", tags=["actions"], summary="The newest alerts")
async def list_alerts(
    limit: int = Query(100, ge=1, le=1000), service: LiveService = Depends(get_service)
) -> JsonResponse:
    """Alerts recorded by ``alert`` actions, newest first."""
    return JsonResponse({"alerts": await asyncio.to_thread(_center(service).alerts, limit=limit)})
