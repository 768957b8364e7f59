"""The dashboard's state in a running app: its own connection to the workspace, the panel cache,
the features that have landed, and the warm-up of the default views.

One `Dashboard` per app, on ``app.state.dashboard``; `get_dashboard` creates it on first use
from ``app.state.service.workspace`` (the live API's app) or ``app.state.workspace_root`` (the
dashboard's own app, `journeylens.web.app.create_app`).

Panels run one at a time under a lock: the embedded engine's connection is not shared between
threads, and on a 2-core machine one analysis at a time is as fast as several. A cached panel
is answered without the lock.

Examples
--------
>>> panel_error("no journeys match these filters")["error"]
'no journeys match these filters'
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import Request

from journeylens.errors import JourneyLensError
from journeylens.web.cache import PanelCache, build_stamp
from journeylens.web.filters import Filters

if TYPE_CHECKING:
    from journeylens.workspace import Workspace

log = logging.getLogger("journeylens.web")

#: Set to 0 to skip computing the default views when the dashboard starts.
WARM_ENV = "JOURNEYLENS_DASHBOARD_WARM"

#: Scoped views of the workspace kept (their journey keys are computed once).
VIEWS_KEPT = 8

#: Where the panel cache lives in a workspace.
CACHE_DIR = Path(".journeylens") / "dashboard-cache"


def panel_error(message: str) -> dict[str, Any]:
    """A panel that could not be computed, with the reason shown in its place."""
    return {"error": message}


def has_module(name: str) -> bool:
    """Whether ``name`` can be imported (a capability that has landed)."""
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


@dataclass(frozen=True)
class Features:
    """Which optional pages have what they need (detected, never configured)."""

    voc: bool = False
    moments: bool = False
    context: bool = False


class Dashboard:
    """The dashboard of one workspace.

    Parameters
    ----------
    root : Path
        The workspace directory.
    engine : str, optional
        The engine (default: the workspace's).
    cache : bool
        Keep computed panels on disk under ``.journeylens/dashboard-cache`` (always in memory).
    workspace : Workspace, optional
        An open workspace to use instead of opening a connection of the dashboard's own.
    """

    def __init__(
        self,
        root: Path,
        *,
        engine: str | None = None,
        cache: bool = True,
        workspace: Workspace | None = None,
    ) -> None:
        from journeylens.workspace import open_workspace

        self.root = root
        self._owns_ws = workspace is None
        self.ws: Workspace = (
            workspace if workspace is not None else open_workspace(root, engine=engine)
        )
        self.lock = threading.RLock()
        # A second connection for the bounded lookups (one journey, one customer), so that they
        # answer while a long panel computes on the first one.
        self._lookup_ws: Workspace = (
            self.ws if workspace is not None else open_workspace(root, engine=engine)
        )
        self._lookup_lock: threading.Lock | threading.RLock = (
            self.lock if workspace is not None else threading.Lock()
        )
        self._features: tuple[str, bool] | None = None
        self.cache = PanelCache(root / CACHE_DIR if cache else None)
        self._warming: threading.Thread | None = None
        self._views: dict[tuple[str, ...], Workspace] = {}
        self._views_stamp = ""
        self._closed = False

    # -- panels -------------------------------------------------------------------------------

    @property
    def stamp(self) -> str:
        """The current build stamp (see `journeylens.web.cache.build_stamp`)."""
        return build_stamp(self.root)

    def view(self, filters: Filters) -> Workspace:
        """The workspace seen through the filters' scope (its journey keys computed once per
        build and kept for the next panels of the same filters). Call it holding the lock."""
        stamp = self.stamp
        if stamp != self._views_stamp:
            self._views.clear()
            self._views_stamp = stamp
        key = filters.key()
        found = self._views.pop(key, None) or self.ws.within(**filters.scope_filters())
        self._views[key] = found  # most recent last
        while len(self._views) > VIEWS_KEPT:
            self._views.pop(next(iter(self._views)))
        return found

    @contextmanager
    def lookup(self) -> Iterator[Workspace]:
        """The workspace for bounded lookups (its own connection and lock)."""
        with self._lookup_lock:
            yield self._lookup_ws

    def has_table(self, name: str) -> bool:
        with self.lookup() as ws:
            return ws.backend.has_table(name)

    def panel(
        self,
        page: str,
        name: str,
        filters: Filters,
        compute: Callable[[Workspace], dict[str, Any]],
        *extra: Any,
    ) -> dict[str, Any]:
        """A panel of ``page`` for ``filters``: from the cache, or computed on the scope's view
        of the workspace (``compute(view)``) and cached. Errors a user can act on (bad input,
        nothing built yet, no journeys in the scope) become the panel's ``error``."""
        key = (page, name, filters.key(), *extra)

        def run() -> dict[str, Any]:
            started = time.perf_counter()
            with self.lock:
                try:
                    value = compute(self.view(filters))
                except (JourneyLensError, ValueError, KeyError) as exc:
                    value = panel_error(str(exc).strip("'\""))
            value["seconds"] = round(time.perf_counter() - started, 3)
            return value

        try:
            result: dict[str, Any] = self.cache.get_or_compute(self.stamp, key, run)
        except Exception as exc:  # an engine error must not take the page down
            log.exception("panel %s/%s failed", page, name)
            return panel_error(f"this panel failed: {type(exc).__name__}: {exc}")
        return result

    # -- features -----------------------------------------------------------------------------

    def features(self, request: Request | None = None) -> Features:
        """The optional pages this workspace and this app can show."""
        service = getattr(request.app.state, "service", None) if request is not None else None
        stamp = self.stamp
        if self._features is None or self._features[0] != stamp:
            self._features = (stamp, self.has_table("feedback"))
        voc = has_module("journeylens.voc.scores") and self._features[1]
        moments = has_module("journeylens.realtime.actions.center") and (
            service is not None or (self.root / "live" / "outbox.sqlite").exists()
        )
        context = service is not None and hasattr(service, "context")
        return Features(voc=voc, moments=moments, context=context)

    # -- warm-up ------------------------------------------------------------------------------

    def warm(self, jobs: list[Callable[[Dashboard], object]]) -> threading.Thread:
        """Compute the default views in a background thread (one panel at a time)."""

        def work() -> None:
            for job in jobs:
                if self._closed:
                    return
                try:
                    job(self)
                except Exception:  # warming is best effort; the page will say what failed
                    log.exception("warming the dashboard failed")

        self._warming = threading.Thread(target=work, name="dashboard-warm", daemon=True)
        self._warming.start()
        return self._warming

    def close(self) -> None:
        """Stop warming and release the workspace."""
        self._closed = True
        if self._warming is not None:
            self._warming.join(timeout=60)
        if self._owns_ws:
            with self.lock:
                self.ws.close()
            with self._lookup_lock:
                self._lookup_ws.close()


_CREATING = threading.Lock()


def _create(state: Any) -> Dashboard:
    service = getattr(state, "service", None)
    root = getattr(state, "workspace_root", None)
    if root is None and service is not None:
        root = service.workspace.root
    if root is None:
        raise RuntimeError("the dashboard needs app.state.workspace_root or app.state.service")
    try:
        return Dashboard(Path(root))
    except Exception:
        if service is None:
            raise
        # the engine refused a second connection (another configuration): share the service's
        log.warning("the dashboard shares the live service's workspace connection")
        return Dashboard(Path(root), workspace=service.workspace)


def get_dashboard(request: Request) -> Dashboard:
    """The app's `Dashboard`, created on first use (FastAPI dependency)."""
    return start_dashboard(request.app)


def start_dashboard(app: Any) -> Dashboard:
    """Create the app's `Dashboard` now (an app's lifespan may call it at start, so the first
    visit does not wait for the workspace to open); later calls return it."""
    state = app.state
    dashboard: Dashboard | None = getattr(state, "dashboard", None)
    if dashboard is not None:
        return dashboard
    with _CREATING:
        dashboard = getattr(state, "dashboard", None)
        if dashboard is None:
            dashboard = _create(state)
            state.dashboard = dashboard
            warm = getattr(state, "dashboard_warm", None)
            if warm is None:
                warm = os.environ.get(WARM_ENV, "1") != "0"
            if warm:
                from journeylens.web.warm import default_jobs

                dashboard.warm(default_jobs(dashboard))
    return dashboard
