"""The dashboard's pages over HTTP (in process, no browser): sign-in, filters that change the
numbers to exactly what the library computes for the same scope, drill-down lists whose totals
match the aggregate they come from, assets without any CDN, bad input answered clearly."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import lxml.html
import pytest
from fastapi.testclient import TestClient

from journeylens.analytics.scope import Scope, scope_counts
from journeylens.web.app import create_app
from journeylens.web.auth import COOKIE, SessionSigner
from journeylens.web.cache import build_stamp

from .web_support import served_copy, world

KEY = "pages-test-key-0123456789abcdefgh"
HEADERS = {"X-API-Key": KEY}
MARCH = (date(2025, 3, 1), date(2025, 3, 31))
KPI = "//*[@class='kpi-value']"
NOTICE = "//*[@class='notice']"


def rows_of(section: str) -> str:
    """The table rows of the section labelled by ``section``."""
    return f"//section[@aria-labelledby='{section}']//tbody/tr"


class Keys:
    """One valid key (id ``k1``), like `journeylens.realtime.keys.KeyStore`."""

    def verify(self, key: str) -> str | None:
        return "k1" if key == KEY else None


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return served_copy(world(tmp_path_factory), tmp_path_factory.mktemp("web-pages") / "ws")


@pytest.fixture(scope="module")
def client(root: Path) -> Iterator[TestClient]:
    with TestClient(create_app(root, keys=Keys(), warm=False)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def truth(root: Path, client: TestClient) -> dict[str, Any]:
    """What the library says, read through the dashboard's own connection."""
    dash = client.app.state.dashboard  # type: ignore[attr-defined]
    with dash.lock:
        backend = dash.ws.backend
        return {
            "all": scope_counts(backend)["journeys"],
            "phone": scope_counts(Scope(channel="phone").backend(backend))["journeys"],
            "march": scope_counts(Scope(start=MARCH[0], end=MARCH[1]).backend(backend))["journeys"],
        }


def page(client: TestClient, url: str) -> Any:
    answer = client.get(url, headers=HEADERS)
    assert answer.status_code == 200, answer.text[:2000]
    return lxml.html.fromstring(answer.text)


def first_number(doc: Any, css: str) -> int:
    return int(re.sub(r"[^0-9]", "", doc.xpath(css)[0].text_content()))


def links(doc: Any, css: str) -> list[str]:
    return [a.get("href") for a in doc.xpath(css)]


def test_pages_need_a_key(client: TestClient) -> None:
    for url in ("/", "/journeys", "/journeys/list", "/customers?q=C0000017", "/voc"):
        answer = client.get(url, follow_redirects=False)
        assert answer.status_code == 303, url
        assert answer.headers["location"].startswith("/login?next=")
    wrong = client.get("/", headers={"X-API-Key": "nope"}, follow_redirects=False)
    assert wrong.status_code == 303
    bad = client.post("/login", data={"key": "nope", "next": "/voc"}, follow_redirects=False)
    assert bad.status_code == 401 and "not valid" in bad.text
    good = client.post(
        "/login", data={"key": KEY, "next": "//evil.example/"}, follow_redirects=False
    )
    assert good.status_code == 303 and good.headers["location"] == "/"
    cookie = good.headers["set-cookie"]
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower() and KEY not in cookie
    token = cookie.split(";")[0].split("=", 1)[1]
    client.cookies.set(COOKIE, token)
    assert client.get("/", follow_redirects=False).status_code == 200
    client.cookies.set(COOKIE, SessionSigner(b"another secret").sign("k1"))  # forged
    assert client.get("/", follow_redirects=False).status_code == 303
    client.cookies.clear()


def test_assets_ship_with_the_package(client: TestClient) -> None:
    doc = page(client, "/")
    scripts = [s.get("src") for s in doc.xpath("//script[@src]")]
    sheets = [s.get("href") for s in doc.xpath("//link[@rel='stylesheet']")]
    assert scripts == ["/assets/plotly.min.js", "/assets/dashboard.js"]
    assert sheets == ["/assets/dashboard.css"]
    plotly = client.get("/assets/plotly.min.js")  # no key needed: no customer data
    assert plotly.status_code == 200 and plotly.text.startswith("/**\n* plotly.js")
    assert client.get("/assets/secrets.txt").status_code == 404
    assert (
        "default-src 'self'" in client.get("/", headers=HEADERS).headers["content-security-policy"]
    )


def test_filters_change_the_numbers_to_the_scope_s(
    client: TestClient, truth: dict[str, Any]
) -> None:
    everyone = first_number(page(client, "/"), KPI)
    on_phone = first_number(page(client, "/?channel=phone"), KPI)
    in_march = first_number(page(client, "/?from=2025-03-01&to=2025-03-31"), KPI)
    assert (everyone, on_phone, in_march) == (truth["all"], truth["phone"], truth["march"])
    assert on_phone < everyone and in_march < everyone
    # the filter bar shows the state it was given (a shared URL opens the same view)
    doc = page(client, "/journeys?type=fault&channel=phone")
    assert doc.xpath("//*[@id='f-channel']//option[@selected]")[0].get("value") == "phone"
    assert doc.xpath("//*[@id='f-type']//option[@selected]")[0].get("value") == "fault"
    nav = links(doc, "//nav[@aria-label='Main']//a")
    assert all("type=fault&channel=phone" in href for href in nav)


def test_bad_filters_are_reported_not_fatal(client: TestClient) -> None:
    doc = page(client, "/?from=March&segment=colour=red")
    notices = " ".join(n.text_content() for n in doc.xpath(NOTICE))
    assert "is not a date" in notices and "unknown segment 'colour'" in notices


def test_a_variant_drills_down_to_its_journeys(client: TestClient, root: Path) -> None:
    doc = page(client, "/journeys?type=moving")
    row = doc.xpath(rows_of("variants-title"))[0]
    journeys = int(row.xpath("td[@class='num']")[0].text_content().replace(",", ""))
    listing = page(client, row.xpath("td[@class='go']/a")[0].get("href"))
    assert first_number(listing, "//*[@id='list-count']/b") == journeys
    first = links(listing, "//td[@class='go']/a")[0]
    assert first.startswith("/journeys/j/")
    journey = page(client, first)
    assert journey.xpath("//h1")[0].text_content().startswith("Journey customer_id:")
    assert journey.xpath("//*[@id='chart-timeline']")


def test_breakdown_and_hotspot_drill_downs_match(client: TestClient) -> None:
    doc = page(client, "/?type=moving")
    row = doc.xpath(rows_of("breakdowns-title"))[0]
    href = row.xpath("td[@class='go']/a")[0].get("href")
    assert parse_qs(urlsplit(href).query)["breakdown"]
    listing = page(client, href)
    assert first_number(listing, "//*[@id='list-count']/b") > 0
    doc = page(client, "/journeys?type=moving")
    for row in doc.xpath(rows_of("conf-title"))[:3]:
        journeys = int(row.xpath("td[@class='num']")[0].text_content().replace(",", ""))
        listing = page(client, row.xpath("td[@class='go']/a")[0].get("href"))
        assert first_number(listing, "//*[@id='list-count']/b") == journeys


def test_funnel_builder_and_who_dropped(client: TestClient, root: Path) -> None:
    steps = ["move_form_started", "move_form_submitted", "move_completed"]
    query = "&".join(f"steps={s}" for s in steps)
    doc = page(client, f"/journeys?type=moving&{query}&window=30d")
    rows = doc.xpath(rows_of("funnel-title"))
    assert [r.xpath("th")[0].text_content() for r in rows] == steps
    dropped = int(rows[1].xpath("td[@class='num']")[2].text_content().replace(",", ""))
    listing = page(client, rows[1].xpath("td[@class='go']/a")[0].get("href"))
    assert first_number(listing, "//*[@id='list-count']/b") == dropped > 0
    # the form keeps the steps asked for
    chosen = [s.get("value") for s in doc.xpath("//select[@name='steps']/option[@selected]")]
    assert chosen == steps


def test_customer_lookup(client: TestClient) -> None:
    doc = page(client, "/customers?q=C0000017")
    key = doc.xpath("//*[@id='customer-key']")[0].text_content()
    ids = [td.text_content() for td in doc.xpath("//section[@aria-labelledby='ids-title']//td")]
    email = next(v for v in ids if "@" in v)
    again = page(client, f"/customers?q=email:{email}")
    assert again.xpath("//*[@id='customer-key']")[0].text_content() == key
    missing = page(client, "/customers?q=nobody-at-all")
    assert "no customer" in missing.xpath(NOTICE)[0].text_content()


def test_voice_of_the_customer_links_drivers_to_journeys(client: TestClient) -> None:
    doc = page(client, "/voc")
    kinds = [
        h.text_content()
        for h in doc.xpath("//section[starts-with(@aria-labelledby, 'score-')]//h2")
    ]
    assert any(k.startswith("NPS") for k in kinds)
    examples = links(doc, "//section[@aria-labelledby='drivers-title']//td/a")
    assert examples and all(href.startswith("/journeys/j/") for href in examples)
    assert page(client, examples[0]).xpath("//*[@id='chart-timeline']")


def test_unknown_journey_and_absent_pages(client: TestClient) -> None:
    assert client.get("/journeys/j/nope/1", headers=HEADERS).status_code == 404
    # `journeylens.web.app` runs without the live service: no moments page, not in the menu
    assert client.get("/moments", headers=HEADERS).status_code == 404
    assert "/moments" not in links(page(client, "/"), "//nav[@aria-label='Main']//a")


def test_a_new_build_changes_the_cache_stamp(root: Path) -> None:
    before = build_stamp(root)
    state = next((root / ".journeylens").glob("*-state.json"))
    state.write_text(state.read_text() + " ")
    assert build_stamp(root) != before
