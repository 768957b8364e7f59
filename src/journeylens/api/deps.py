"""FastAPI dependencies shared by every /v1 router: the API-key check and the live service.

Routers use them as::

    router = APIRouter(prefix="/v1", dependencies=[Depends(require_key)])

    @router.get("/things")
    def things(service: LiveService = Depends(get_service)) -> ...: ...

The key is read from the ``X-API-Key`` header or ``Authorization: Bearer <key>``; a missing or
unknown key is answered ``401`` with a JSON body ``{"error": ..., "detail": ...}`` (and a
``WWW-Authenticate: Bearer`` header). The app built by `journeylens.api.app.create_app` keeps
the `LiveService` on ``app.state.service`` and the key store on ``app.state.keys``.

`ApiError` is the error a route raises to answer ``{"error": <code>, "detail": <text>, ...}``
with any status (the app installs its handler); FastAPI's ``HTTPException`` keeps working too.

Thread-safety: the live service's state (core, timeline, log) is changed on the event loop by
``async def`` routes. A synchronous (``def``) route that changes or reads live state must hold
``service.lock`` (a ``threading.RLock``) while doing so.

Examples
--------
>>> extract_key({"x-api-key": "jl_abc"})
'jl_abc'
>>> extract_key({"authorization": "Bearer jl_abc"})
'jl_abc'
>>> extract_key({"authorization": "Basic Zm9v"}) is None
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import orjson
from fastapi import Request, status
from fastapi.responses import Response

if TYPE_CHECKING:
    from journeylens.realtime.service import LiveService

KEY_HEADER = "x-api-key"


def extract_key(headers: Mapping[str, str]) -> str | None:
    """The API key a request carries (``X-API-Key`` first, then ``Authorization: Bearer``)."""
    key = headers.get(KEY_HEADER)
    if key:
        return key.strip() or None
    auth = headers.get("authorization")
    if auth:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    return None


def _fallback(value: Any) -> Any:
    isoformat = getattr(value, "isoformat", None)
    if callable(isoformat):
        return isoformat()
    return str(value)


class JsonResponse(Response):
    """A JSON answer rendered by orjson (datetimes as ISO 8601, numpy values as numbers).

    The routes of the live API return it directly: no pydantic model stands between the
    engine's dicts and the wire.
    """

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(
            content,
            default=_fallback,
            option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY,
        )


class ApiError(Exception):
    """An answer with a JSON error body: ``{"error": code, "detail": text, "errors": [...]}``.

    Parameters
    ----------
    status_code : int
        The HTTP status.
    error : str
        A stable, machine-readable code (``invalid_records``, ``batch_too_large`` …).
    detail : str
        What is wrong and how to fix it, for people.
    errors : sequence of dict, optional
        Per-record or per-field problems, e.g. ``{"index": 3, "field": "ts", "reason": ...}``.
    headers : mapping, optional
        Extra response headers.
    extra : mapping, optional
        More members of the body (e.g. ``{"max_batch": 5000}``).
    """

    def __init__(
        self,
        status_code: int,
        error: str,
        detail: str,
        *,
        errors: Sequence[Mapping[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{status_code} {error}: {detail}")
        self.status_code = status_code
        self.error = error
        self.detail = detail
        self.errors = list(errors) if errors is not None else None
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})

    def body(self) -> dict[str, Any]:
        """The JSON body of the answer."""
        body: dict[str, Any] = {"error": self.error, "detail": self.detail, **self.extra}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


def _unauthorized(error: str, detail: str) -> ApiError:
    return ApiError(
        status.HTTP_401_UNAUTHORIZED, error, detail, headers={"WWW-Authenticate": "Bearer"}
    )


async def require_key(request: Request) -> str:
    """FastAPI dependency: the request's API key must be one the workspace knows.

    Returns the key's id (not the key) so a route can log who called. (A coroutine, so
    FastAPI runs it on the event loop rather than in its thread pool.)
    """
    key = extract_key(request.headers)
    if key is None:
        raise _unauthorized(
            "missing_api_key",
            "send an API key in the X-API-Key header or as 'Authorization: Bearer <key>' "
            "(create one with `journeylens keys create`)",
        )
    keys: Any = request.app.state.keys
    key_id: str | None = keys.verify(key)
    if key_id is None:
        raise _unauthorized(
            "invalid_api_key",
            "the API key is unknown or revoked (list keys with `journeylens keys list`)",
        )
    return key_id


async def get_service(request: Request) -> LiveService:
    """FastAPI dependency: the app's `LiveService` (one per server process)."""
    service: LiveService = request.app.state.service
    return service
