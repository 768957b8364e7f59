"""`journeylens serve`: the live API of a workspace (FastAPI on uvicorn)."""

from __future__ import annotations

import gc
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from journeylens.cli.common import (
    WorkspaceOption,
    console,
    errors,
    fail,
    step_progress,
    user_errors,
)


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0: every interface).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workspace_path: WorkspaceOption = Path("."),
    max_batch: Annotated[
        int, typer.Option(help="Records per request at most (larger batches get 413).")
    ] = 5_000,
    build_every: Annotated[
        str,
        typer.Option(
            help="Fold the live log and rebuild journeys this often, e.g. 15m or 1h; 0: never "
            "(then POST /v1/admin/build, or journeylens build after stopping the server)."
        ),
    ] = "0",
    timeline_depth: Annotated[
        int, typer.Option(help="Recent events kept per customer for the context API.")
    ] = 20,
    access_log: Annotated[bool, typer.Option(help="Log every request.")] = False,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
) -> None:
    """Start the live API: events and feedback in, customer context, moments and actions out.

    Every path under /v1 needs an API key (journeylens keys create); /health and the docs
    (/docs) do not. The server holds the workspace's store: stop it before running other
    commands on the same workspace, or build through it (POST /v1/admin/build).

    Example:

      journeylens keys create --name crm -w ws && journeylens serve -w ws --port 8000

      curl -H "X-API-Key: $KEY" -d '{"ts": "2026-01-05T09:30:00Z", "customer_id": "C1",
      "channel": "web", "activity": "login"}' http://127.0.0.1:8000/v1/events
    """
    import uvicorn

    from journeylens.api.app import create_app
    from journeylens.config import parse_duration
    from journeylens.realtime.keys import KeyStore
    from journeylens.realtime.service import LiveService, ServeSettings

    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(message)s")
    with user_errors():
        every = parse_duration(build_every)
        settings = ServeSettings(max_batch=max_batch, timeline_depth=timeline_depth)
        keys = KeyStore.for_workspace(workspace_path, use_env=True)
        with step_progress(True) as say:
            try:
                service = LiveService.open(workspace_path, settings, progress=say)
            except Exception as exc:
                if "lock" not in str(exc).lower():
                    raise
                fail(
                    f"the workspace's store is in use by another process ({exc}); stop it "
                    "(another journeylens serve, or a long command) and start the server again"
                )
                raise
    if not keys.list() and not keys.has_env_key:
        errors.print(
            "no API key yet: create one with  journeylens keys create --name <client> "
            f"-w {workspace_path}"
        )
    # The live state loaded at start (history, identity) lives as long as the server: keep it
    # out of the collector's scans (a full scan of millions of objects stalls requests), and
    # let the event loop win the GIL back from background threads within a millisecond.
    gc.collect()
    gc.freeze()
    sys.setswitchinterval(0.001)
    app = create_app(workspace_path, settings, build_every=every, service=service)
    console.print(f"journeylens live API on http://{host}:{port}  (docs: /docs)")
    uvicorn.run(
        app,
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        access_log=access_log,
        log_level=log_level.lower(),
        timeout_graceful_shutdown=10,
    )
