"""``POST /v1/events``, ``POST /v1/feedback``, ``POST /v1/admin/build``, ``GET /v1/status``.

The body is one record (a JSON object) or a batch (an array of objects). Answers:

- ``200`` ``{"received", "accepted", "duplicates", "duplicate_ids", "first_seq", "last_seq"}``:
  every new record is on disk; duplicates (a known ``event_id``) were stored before;
- ``400`` ``malformed_json``: the body is not JSON;
- ``413`` ``batch_too_large`` (more than ``--max-batch`` records) or ``body_too_large``;
- ``422`` ``invalid_records`` with ``errors: [{"index", "field", "reason"}]``, every problem of
  every record; or ``invalid_body`` (not an object or array, or an empty array). Nothing of
  a rejected batch is stored;
- ``503`` ``log_unavailable``: the log could not be written; nothing was acknowledged.

The body is parsed with orjson and checked by `journeylens.realtime.validate` rather than by
pydantic models: the per-record error format is the API's, and a batch of 500 costs a
fraction of the time. The pydantic models below only describe the payloads in the docs.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from journeylens.api.deps import ApiError, JsonResponse, get_service, require_key
from journeylens.realtime.log import LogUnavailableError
from journeylens.realtime.service import (
    BatchTooLargeError,
    Kind,
    LiveService,
    RecordsRejectedError,
)

router = APIRouter(prefix="/v1", dependencies=[Depends(require_key)])

#: Bytes of body allowed per record of the batch limit (a record is rarely above 2 KB).
BYTES_PER_RECORD = 64 * 1024


class EventIn(BaseModel):
    """One interaction (the canonical event fields; see docs/ingestion.md)."""

    event_id: str | None = Field(None, description="Unique id; retries with it are duplicates.")
    ts: str = Field(description="ISO 8601 with offset, e.g. 2026-01-05T09:30:00Z.")
    customer_id: str | None = None
    account_id: str | None = None
    email: str | None = Field(None, description="Hashed on arrival when the workspace hashes.")
    phone: str | None = None
    device_id: str | None = None
    cookie_id: str | None = None
    channel: str | None = Field(None, description="web, app, phone, chat, email, store …")
    activity: str = Field(description="What happened, e.g. payment_failed.")
    initiator: str | None = Field(None, description="customer or company.")
    topic: str | None = None
    outcome: str | None = None
    journey_key: str | None = None
    resource: str | None = None
    lifecycle: str | None = None
    attributes: dict[str, Any] | None = Field(None, description="Free fields (a JSON object).")


class FeedbackIn(BaseModel):
    """One survey answer or verbatim (the canonical feedback fields)."""

    feedback_id: str | None = None
    ts: str = Field(description="ISO 8601 with offset.")
    customer_id: str | None = None
    account_id: str | None = None
    email: str | None = None
    phone: str | None = None
    device_id: str | None = None
    cookie_id: str | None = None
    kind: str | None = Field(None, description="nps, csat, ces, rating or text.")
    score: float | None = None
    scale_min: float | None = None
    scale_max: float | None = None
    text: str | None = None
    question: str | None = None
    channel: str | None = None
    event_id: str | None = Field(None, description="The event the answer is about.")
    journey_key: str | None = None
    attributes: dict[str, Any] | None = None


class AcceptedOut(BaseModel):
    received: int
    accepted: int
    duplicates: int
    duplicate_ids: list[str]
    first_seq: int | None
    last_seq: int | None


class RecordProblem(BaseModel):
    index: int | None = None
    field: str | None = None
    reason: str


class ErrorOut(BaseModel):
    error: str
    detail: str
    errors: list[RecordProblem] | None = None


def _body_schema(model: type[BaseModel]) -> dict[str, Any]:
    one = model.model_json_schema()
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"oneOf": [one, {"type": "array", "items": one}]},
                }
            },
        }
    }


_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"model": AcceptedOut, "description": "Every new record is on disk."},
    400: {"model": ErrorOut, "description": "The body is not JSON."},
    401: {"model": ErrorOut, "description": "Missing or unknown API key."},
    413: {"model": ErrorOut, "description": "Too many records (or bytes) in one request."},
    422: {"model": ErrorOut, "description": "Invalid records; nothing stored."},
    503: {"model": ErrorOut, "description": "The log cannot be written; nothing stored."},
}


async def _records(request: Request, service: LiveService) -> list[Any]:
    limit = service.settings.max_batch * BYTES_PER_RECORD
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise ApiError(
            413,
            "body_too_large",
            f"the body has {int(length):,} bytes; send at most {limit:,} per request",
        )
    body = await request.body()
    if len(body) > limit:
        raise ApiError(413, "body_too_large", f"send at most {limit:,} bytes per request")
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ApiError(
            400, "malformed_json", f"the body is not valid JSON ({exc}); nothing was stored"
        ) from exc
    if isinstance(data, dict):
        return [data]
    if isinstance(data, list) and data:
        return data
    raise ApiError(
        422,
        "invalid_body",
        "send one record (a JSON object) or a batch (a non-empty array of objects)",
    )


async def _accept(kind: Kind, request: Request, service: LiveService) -> JsonResponse:
    records = await _records(request, service)
    try:
        accepted = await service.accept_async(kind, records)
    except BatchTooLargeError as exc:
        raise ApiError(
            413, "batch_too_large", str(exc), extra={"max_batch": exc.limit, "received": exc.size}
        ) from exc
    except RecordsRejectedError as exc:
        raise ApiError(
            422, "invalid_records", str(exc), errors=[e.to_dict() for e in exc.errors[:1000]]
        ) from exc
    except LogUnavailableError as exc:
        raise ApiError(503, "log_unavailable", f"{exc}; nothing was stored") from exc
    return JsonResponse(accepted.to_dict())


@router.post(
    "/events",
    tags=["ingest"],
    summary="Send one event or a batch",
    openapi_extra=_body_schema(EventIn),
    responses=_ANSWERS,
)
async def post_events(
    request: Request, service: LiveService = Depends(get_service)
) -> JsonResponse:
    """Send interactions as they happen: one object or an array (at most ``--max-batch``).

    Idempotent on ``event_id``: a retry answers the records as duplicates. The answer comes
    once every new record is on disk.
    """
    return await _accept("events", request, service)


@router.post(
    "/feedback",
    tags=["ingest"],
    summary="Send one feedback record or a batch",
    openapi_extra=_body_schema(FeedbackIn),
    responses=_ANSWERS,
)
async def post_feedback(
    request: Request, service: LiveService = Depends(get_service)
) -> JsonResponse:
    """Send survey answers and verbatims; idempotent on ``feedback_id``."""
    return await _accept("feedback", request, service)


@router.post("/admin/build", tags=["service"], summary="Fold the live log and rebuild journeys")
async def build(service: LiveService = Depends(get_service)) -> JsonResponse:
    """Bring the records accepted so far into the analytics tables (``journeylens build``).

    Ingestion goes on meanwhile; the answer comes when the build is done.
    """
    try:
        result = await asyncio.to_thread(service.build)
    except RuntimeError as exc:
        raise ApiError(409, "build_running", str(exc)) from exc
    return JsonResponse(result)


@router.get("/status", tags=["service"], summary="Counters of the live service")
async def status(service: LiveService = Depends(get_service)) -> JsonResponse:
    """Records accepted, duplicates, moments, log position, sizes of the live state."""
    return JsonResponse(service.status())
