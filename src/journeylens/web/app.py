"""The dashboard as an app of its own (the live API's app includes the same router).

Run it with uvicorn::

    JOURNEYLENS_WORKSPACE=demo-workspace uvicorn --factory journeylens.web.app:app_from_env

or build it in Python: ``create_app("demo-workspace")``. Sign in with an API key of the
workspace (``journeylens keys create --name me``) or the key in ``$JOURNEYLENS_API_KEY``.

Examples
--------
>>> import tempfile, journeylens
>>> root = tempfile.mkdtemp()
>>> journeylens.init(root).close()
>>> app = create_app(root, warm=False)
>>> app.title, sorted(r.path for r in router.routes if r.path.startswith("/j"))[:2]
('journeylens dashboard', ['/journeys', '/journeys/j/{journey_key:path}'])
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from journeylens.web.routes import router
from journeylens.web.state import start_dashboard

#: The environment variable naming the workspace (as for the command line).
WORKSPACE_ENV = "JOURNEYLENS_WORKSPACE"


def create_app(
    workspace: Path | str, *, keys: Any | None = None, warm: bool | None = None
) -> FastAPI:
    """The dashboard of the workspace at ``workspace``.

    Parameters
    ----------
    workspace : path
        The workspace directory.
    keys : object with ``verify(key) -> key id or None``, optional
        The API keys (default: the workspace's `journeylens.realtime.keys.KeyStore`, with the
        key in ``$JOURNEYLENS_API_KEY``).
    warm : bool, optional
        Compute the default views in the background at start (default: yes, unless
        ``$JOURNEYLENS_DASHBOARD_WARM`` is ``0``).
    """
    root = Path(workspace)
    if keys is None:
        from journeylens.realtime.keys import KeyStore

        keys = KeyStore.for_workspace(root, use_env=True)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # open the workspace (and start warming) now, not on the first visit
        await asyncio.to_thread(start_dashboard, app)
        yield
        dashboard = getattr(app.state, "dashboard", None)
        if dashboard is not None:
            dashboard.close()

    app = FastAPI(title="journeylens dashboard", docs_url=None, redoc_url=None, lifespan=lifespan)
    app.state.workspace_root = root
    app.state.keys = keys
    app.state.dashboard_warm = warm
    app.include_router(router)
    return app


def app_from_env() -> FastAPI:
    """`create_app` for the workspace in ``$JOURNEYLENS_WORKSPACE`` (uvicorn ``--factory``)."""
    return create_app(os.environ.get(WORKSPACE_ENV, "."))
