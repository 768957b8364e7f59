"""The dashboard in a real browser (Debian's chromium driven by Playwright) against the real
server (`journeylens serve`: the live API with the dashboard) on a small demo world.

One browser and one page for the whole module (the machine is shared): sign in, every page
loads without console errors and draws its charts, filters change the numbers, drill-down
reaches a journey, a customer is found by a secondary identifier, the keyboard reaches the
content, the layout fits a laptop and a large screen. Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

import journeylens

from .web_support import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    need_chromium,
    running_server,
    served_copy,
    world,
)

KEY = "dashboard-browser-test-key-0123456789"

#: Charts are drawn when every chart has its class ``drawn`` and a trace in its SVG.
CHARTS_DRAWN = """() => {
  const charts = [...document.querySelectorAll('.chart')];
  return charts.every(c => c.classList.contains('drawn')
    && c.querySelectorAll('svg .trace, svg .point, svg .sankey-node').length > 0);
}"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    need_chromium()
    source = world(tmp_path_factory)
    with journeylens.open(source) as ws:
        ids = ws.customer("C0000017").identifiers.to_pylist()
        key = ws.customer_key("C0000017")
    secondary = next(r for r in ids if r["id_type"] in ("email", "cookie_id", "phone"))
    root = served_copy(source, tmp_path_factory.mktemp("web-browser") / "ws")
    with running_server(root, KEY) as base:
        yield {"base": base, "customer_key": key, "secondary": secondary}


@pytest.fixture(scope="module")
def browser_page(site: dict[str, Any]) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.set_default_timeout(240_000)
        page.problems = []  # type: ignore[attr-defined]
        page.on(
            "console",
            lambda m: (
                page.problems.append(f"{m.type}: {m.text}")  # type: ignore[attr-defined]
                if m.type in ("error", "warning")
                else None
            ),
        )
        page.on("pageerror", lambda e: page.problems.append(f"page error: {e}"))  # type: ignore[attr-defined]
        yield page
        browser.close()


def visit(page: Any, url: str, shot: str | None = None) -> None:
    """Open ``url``, wait for every chart, check the console, save a screenshot."""
    page.problems.clear()
    page.goto(url)
    page.wait_for_load_state("networkidle")
    page.wait_for_function(CHARTS_DRAWN)
    assert page.problems == [], f"{url}: {page.problems}"
    if shot:
        page.screenshot(path=str(ARTIFACTS / f"web-{shot}.png"), full_page=True)


def number(page: Any, selector: str) -> int:
    return int(re.sub(r"[^0-9]", "", page.locator(selector).first.inner_text()))


def test_login_is_required(site: dict[str, Any], browser_page: Any) -> None:
    base, page = site["base"], browser_page
    answer = httpx.get(base + "/customers?q=C0000017", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login?next=")
    assert "C0000017" not in answer.text
    page.goto(base + "/journeys")
    assert "/login" in page.url
    page.fill("#key", "not-a-valid-key")
    page.click("form.login button[type=submit]")
    assert page.locator("#login-error").is_visible()
    page.fill("#key", KEY)
    page.click("form.login button[type=submit]")
    page.wait_for_url(re.compile(r"/journeys$"))
    cookie = next(c for c in page.context.cookies() if c["name"] == "journeylens_session")
    assert cookie["httpOnly"] and KEY not in cookie["value"]


def test_every_page_loads_and_draws(site: dict[str, Any], browser_page: Any) -> None:
    base, page = site["base"], browser_page
    funnel = "&".join(
        f"steps={s}" for s in ("move_form_started", "move_form_submitted", "move_completed")
    )
    pages = {
        "overview": "/",
        "journeys": "/journeys?type=moving&" + funnel,
        "voc": "/voc",
        "moments": "/moments",
        "customers": "/customers?q=C0000017",
    }
    for name, path in pages.items():
        visit(page, base + path, name)
        assert page.locator("h1").count() == 1
        assert page.locator("main#main").count() == 1
    # the journeys page drew its flow, process map, conformance and the funnel asked for
    page.goto(base + pages["journeys"])
    page.wait_for_function(CHARTS_DRAWN)
    for chart in ("#chart-flow", "#chart-map", "#chart-conformance", "#chart-funnel"):
        assert page.locator(chart).count() == 1, chart


def test_filters_change_the_numbers(site: dict[str, Any], browser_page: Any) -> None:
    base, page = site["base"], browser_page
    visit(page, base + "/")
    everyone = number(page, ".kpi-value")
    page.select_option("#f-channel", "phone")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r"channel=phone"))
    page.wait_for_function(CHARTS_DRAWN)
    assert "from=" not in page.url  # empty fields stay out of the shared URL
    on_phone = number(page, ".kpi-value")
    assert 0 < on_phone < everyone
    # the state is in the URL: opening it again shows the same numbers
    visit(page, page.url, "overview-phone")
    assert number(page, ".kpi-value") == on_phone
    assert page.locator("#f-channel").input_value() == "phone"


def test_drill_down_reaches_a_journey(site: dict[str, Any], browser_page: Any) -> None:
    base, page = site["base"], browser_page
    visit(page, base + "/journeys?type=moving")
    # the most frequent variant's journeys, then the first of them
    page.locator("section:has(#variants-title) td.go a").first.click()
    page.wait_for_url(re.compile(r"/journeys/list\?"))
    total = number(page, "#list-count b")
    assert total > 0
    page.screenshot(path=str(ARTIFACTS / "web-journey-list.png"), full_page=True)
    page.locator("td.go a").first.click()
    page.wait_for_url(re.compile(r"/journeys/j/"))
    page.wait_for_function(CHARTS_DRAWN)
    assert page.locator("h1").inner_text().startswith("Journey ")
    assert page.locator("#chart-timeline").count() == 1
    page.screenshot(path=str(ARTIFACTS / "web-journey.png"), full_page=True)


def test_customer_found_by_a_secondary_identifier(site: dict[str, Any], browser_page: Any) -> None:
    base, page = site["base"], browser_page
    visit(page, base + "/customers")
    secondary = site["secondary"]
    page.fill("#q", f"{secondary['id_type']}:{secondary['id_value']}")
    page.press("#q", "Enter")
    page.wait_for_url(re.compile(r"/customers\?q="))
    page.wait_for_function(CHARTS_DRAWN)
    assert page.locator("#customer-key").inner_text() == site["customer_key"]
    assert page.locator("#chart-customer-timeline").count() == 1
    page.screenshot(path=str(ARTIFACTS / "web-customer.png"), full_page=True)
    visit(page, base + "/customers?q=" + quote("nobody-at-all"))
    assert page.locator(".notice").first.inner_text().startswith("no customer")


def test_keyboard_and_screen_sizes(site: dict[str, Any], browser_page: Any) -> None:
    base, page = site["base"], browser_page
    visit(page, base + "/journeys?type=fault")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    labels = page.evaluate(
        "[...document.querySelectorAll('select, input:not([type=hidden])')]"
        ".filter(e => !(e.labels && e.labels.length)).map(e => e.name)"
    )
    assert labels == []
    for width, height, name in ((1366, 768, "laptop"), (2560, 1440, "large")):
        page.set_viewport_size({"width": width, "height": height})
        visit(page, base + "/", f"overview-{name}")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name}: the page is {overflow}px wider than the window"
    page.set_viewport_size({"width": 1440, "height": 900})


def test_live_feed_shows_a_moment_as_it_fires(site: dict[str, Any], browser_page: Any) -> None:
    base, page = site["base"], browser_page
    visit(page, base + "/moments")
    page.wait_for_function("document.getElementById('feed-status').textContent.startsWith('Live')")
    now = datetime.now(UTC).replace(microsecond=0)
    events = [
        {"event_id": "web-test-1", "ts": (now - timedelta(minutes=30)).isoformat(),
         "customer_id": "CWEBTEST1", "channel": "web", "activity": "move_form_error",
         "topic": "moving"},
        {"event_id": "web-test-2", "ts": now.isoformat(), "customer_id": "CWEBTEST1",
         "channel": "phone", "activity": "move_help_call", "topic": "moving"},
    ]  # fmt: skip
    answer = httpx.post(base + "/v1/events", json=events, headers={"X-API-Key": KEY}, timeout=60)
    assert answer.status_code in (200, 201, 202), answer.text
    item = page.locator("#moment-feed li").first
    item.wait_for()
    assert "move-form-error-then-call" in item.inner_text()
    assert "CWEBTEST1" in item.inner_text()
    page.screenshot(path=str(ARTIFACTS / "web-moments-live.png"), full_page=True)


def test_sign_out(site: dict[str, Any], browser_page: Any) -> None:
    base, page = site["base"], browser_page
    visit(page, base + "/")
    page.click("form.signout button")
    page.wait_for_url(re.compile(r"/login"))
    page.goto(base + "/voc")
    assert "/login" in page.url


def test_artifacts_were_written(site: dict[str, Any], browser_page: Any) -> None:
    shots = sorted(p.name for p in Path(ARTIFACTS).glob("web-*.png"))
    for name in ("overview", "journeys", "voc", "moments", "customers", "journey"):
        assert f"web-{name}.png" in shots
