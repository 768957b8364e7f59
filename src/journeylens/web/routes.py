"""The dashboard's routes (a FastAPI router, included by the live API's app and by the
dashboard's own `journeylens.web.app.create_app`).

=============================  ===============================================================
``/login``, ``/logout``        sign in with an API key (a session cookie), sign out
``/``                          overview
``/journeys``                  one journey type: flow, process map, variants, designed vs
                               actual, funnel builder
``/journeys/list``             the journeys behind an aggregate (see `pages.drill`)
``/journeys/j/<journey key>``  one journey on a timeline
``/customers?q=<identifier>``  customer lookup
``/voc``                       voice of the customer (once `journeylens.voc` has landed)
``/moments``                   critical moments, live (once the live engine has landed)
``/assets/<file>``             the dashboard's CSS and script, and Plotly.js (no CDN)
=============================  ===============================================================

Every page but ``/login`` and ``/assets`` needs an API key (`journeylens.web.auth`). Pages
are rendered on the server; their filters are in the query string (`journeylens.web.filters`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)

from journeylens.errors import JourneyLensError
from journeylens.web import auth
from journeylens.web.filters import Filters
from journeylens.web.pages.customers import customer_page
from journeylens.web.pages.drill import journey_page, list_page
from journeylens.web.pages.journeys import journeys_page
from journeylens.web.pages.overview import overview
from journeylens.web.render import ASSETS, asset_path, render
from journeylens.web.state import Dashboard, get_dashboard

router = APIRouter(include_in_schema=False)

User = Annotated[str, Depends(auth.require_user)]
Dash = Annotated[Dashboard, Depends(get_dashboard)]

#: Headers of every page: no caching of customer data, no framing, scripts from here only.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'"
    ),
}


def _html(text: str, code: int = 200) -> HTMLResponse:
    return HTMLResponse(text, status_code=code, headers=PAGE_HEADERS)


def _params(request: Request) -> dict[str, list[str]]:
    query = request.query_params
    return {key: query.getlist(key) for key in query}


def _filters(request: Request) -> Filters:
    return Filters.parse(request.query_params)


# -- sign in -------------------------------------------------------------------------------------


def _login_context(target: str, error: str | None) -> dict[str, Any]:
    return {"title": "Sign in", "next": target, "error": error, "nav": [], "show_filters": False}


@router.get("/login")
def login_form(request: Request, next: str = "/") -> HTMLResponse:
    return _html(render("login.html", **_login_context(auth.safe_next(next), None)))


@router.post("/login")
async def login(request: Request) -> Response:
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    key = (form.get("key") or [""])[0]
    target = auth.safe_next((form.get("next") or ["/"])[0])
    key_id = auth.check_key(request, key)
    if key_id is None:
        page = render(
            "login.html",
            **_login_context(target, "That key is not valid (it may be mistyped or revoked)."),
        )
        return _html(page, status.HTTP_401_UNAUTHORIZED)
    response = RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)
    response.set_cookie(**auth.session_cookie(request, key_id))
    return response


@router.post("/logout")
def logout() -> Response:
    response = RedirectResponse("/login", status_code=status.HTTP_303_SEE_OTHER)
    response.delete_cookie(auth.COOKIE, path="/")
    return response


@router.get("/assets/{name}")
def asset(name: str) -> FileResponse:
    if name not in ASSETS:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such asset")
    media = "text/css" if name.endswith(".css") else "text/javascript"
    return FileResponse(
        asset_path(name),
        media_type=media,
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


# -- pages ---------------------------------------------------------------------------------------


@router.get("/")
def overview_page(request: Request, user: User, dash: Dash) -> HTMLResponse:
    context = overview(dash, _filters(request), dash.features(request))
    return _html(render("overview.html", **context))


@router.get("/journeys")
def journeys(request: Request, user: User, dash: Dash) -> HTMLResponse:
    context = journeys_page(dash, _filters(request), dash.features(request), _params(request))
    return _html(render("journeys.html", **context))


@router.get("/journeys/list")
def journey_list(request: Request, user: User, dash: Dash) -> HTMLResponse:
    context = list_page(dash, _filters(request), dash.features(request), _params(request))
    return _html(render("journey_list.html", **context))


@router.get("/journeys/j/{journey_key:path}")
def journey(request: Request, journey_key: str, user: User, dash: Dash) -> HTMLResponse:
    try:
        context = journey_page(dash, _filters(request), dash.features(request), journey_key)
    except JourneyLensError as exc:
        return _not_found(dash, request, str(exc))
    return _html(render("journey.html", **context))


@router.get("/customers")
def customers(request: Request, user: User, dash: Dash, q: str | None = None) -> HTMLResponse:
    service = getattr(request.app.state, "service", None)
    context = customer_page(dash, _filters(request), dash.features(request), q, service)
    return _html(render("customers.html", **context))  # no match is an answer, not an error


@router.get("/voc")
def voc(request: Request, user: User, dash: Dash) -> HTMLResponse:
    features = dash.features(request)
    if not features.voc:
        return _not_found(dash, request, "the voice of the customer needs feedback")
    from journeylens.web.pages.voc import voc_page

    return _html(render("voc.html", **voc_page(dash, _filters(request), features)))


@router.get("/moments")
def moments(request: Request, user: User, dash: Dash) -> HTMLResponse:
    features = dash.features(request)
    if not features.moments:
        return _not_found(dash, request, "critical moments need the live engine")
    from journeylens.web.pages.moments import moments_page

    service = getattr(request.app.state, "service", None)
    rule = (request.query_params.get("rule") or "").strip()[:200] or None
    context = moments_page(dash, _filters(request), features, service, rule)
    return _html(render("moments.html", **context))


@router.get("/moments/stream")
async def moments_stream(request: Request, user: User, dash: Dash) -> StreamingResponse:
    from journeylens.web.pages.moments import stream

    service = getattr(request.app.state, "service", None)
    if service is None or getattr(service, "actions", None) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no live engine runs in this server")
    events: AsyncIterator[str] = stream(request, service.actions)
    return StreamingResponse(
        events,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _not_found(dash: Dashboard, request: Request, message: str) -> HTMLResponse:
    from journeylens.web.pages.common import page

    context: dict[str, Any] = page(
        dash, _filters(request), dash.features(request), "", "Not found", show_filters=False
    )
    return _html(render("not_found.html", message=message, **context), 404)
