"""The FastAPI app of `journeylens serve`: ``/health``, the OpenAPI docs, and the API under /v1.

`create_app` builds one app on one workspace. At start (the app's lifespan) it opens the
`journeylens.realtime.service.LiveService` (history, known ids, log replay) in a worker thread,
then runs two background tasks on the event loop: the engine's wall-clock timers every
``tick_seconds``, and, with ``build_every``, a periodic build (fold the log, rebuild journeys).
At shutdown it finishes queued log writes and closes the workspace.

Every router module of `ROUTERS` that exists is included (the live path's parts land
separately); each router declares its own ``/v1`` prefix and the API-key dependency
(`journeylens.api.deps.require_key`).

Examples
--------
>>> app = create_app("some-workspace")
>>> {"/health", "/v1/events", "/v1/customers/{identifier}/context"} <= set(app.openapi()["paths"])
True
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request

from journeylens import __version__
from journeylens.api.deps import ApiError, JsonResponse
from journeylens.realtime.keys import KeyStore
from journeylens.realtime.service import LiveService, ServeSettings

logger = logging.getLogger("journeylens.live")

#: Router modules of the API, included when present (each defines ``router``).
ROUTERS: tuple[str, ...] = (
    "journeylens.api.ingest_routes",
    "journeylens.api.customers",
    "journeylens.api.rules",
    "journeylens.api.moments",
    "journeylens.web.routes",  # the dashboard's pages (not under /v1; sign in with a key)
)

DESCRIPTION = """
The live API of a journeylens workspace: send events and feedback as they happen, read the
context of a customer at the moment of contact, follow critical moments and their actions.

Every path under `/v1` needs an API key (`journeylens keys create`), sent as `X-API-Key: <key>`
or `Authorization: Bearer <key>`. An accepted record is on disk (the workspace's append log,
flushed) before the answer. See docs/realtime/api.md.
"""


def _include_routers(app: FastAPI) -> list[str]:
    included = []
    for name in ROUTERS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        router = getattr(module, "router", None)
        if router is not None:
            app.include_router(router)
            included.append(name)
    return included


async def _ticker(service: LiveService, seconds: float) -> None:
    while True:
        await asyncio.sleep(seconds)
        service.tick()


async def _builder(service: LiveService, seconds: float) -> None:
    while True:
        await asyncio.sleep(seconds)
        try:
            result = await asyncio.to_thread(service.build)
            logger.info("periodic build: %s", result)
        except Exception:
            logger.exception("the periodic build failed; the next one tries again")


def create_app(
    root: Path | str,
    settings: ServeSettings | None = None,
    *,
    build_every: float = 0,
    tick_seconds: float = 1.0,
    service: LiveService | None = None,
) -> FastAPI:
    """The app serving the workspace at ``root``.

    Parameters
    ----------
    root : path
        The workspace directory.
    settings : ServeSettings, optional
        Batch limits and sizes of the live state.
    build_every : float
        Seconds between periodic builds (0: never; build with ``POST /v1/admin/build``).
    tick_seconds : float
        Seconds between runs of the engine's timers (absence rules).
    service : LiveService, optional
        An open service to serve instead of opening one (tests).
    """
    root = Path(root)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        live: LiveService = (
            service
            if service is not None
            else await asyncio.to_thread(LiveService.open, root, settings)
        )
        app.state.service = live
        tasks = [asyncio.create_task(_ticker(live, tick_seconds))]
        if build_every > 0:
            tasks.append(asyncio.create_task(_builder(live, build_every)))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await asyncio.to_thread(live.close)

    app = FastAPI(
        title="journeylens live API",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        default_response_class=JsonResponse,
    )
    app.state.keys = KeyStore.for_workspace(root, use_env=True)
    app.state.routers = _include_routers(app)

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JsonResponse:
        return JsonResponse(exc.body(), status_code=exc.status_code, headers=exc.headers)

    @app.get("/health", tags=["service"], summary="Is the server up (no API key needed)")
    async def health(request: Request) -> JsonResponse:
        live: LiveService | None = getattr(request.app.state, "service", None)
        if live is None:
            return JsonResponse({"status": "starting"}, status_code=503)
        body: dict[str, Any] = {
            "status": "ok" if live.log.available else "log_unavailable",
            "version": __version__,
            "durable_seq": live.log.durable_seq,
        }
        return JsonResponse(body, status_code=200 if live.log.available else 503)

    return app
