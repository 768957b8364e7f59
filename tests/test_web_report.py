"""`journeylens report`: one self-contained HTML file that opens offline, from a file, in
chromium with the network cut, and draws the same charts as the dashboard."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .web_support import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, need_chromium, world


def run_report(*args: str) -> Any:
    result = subprocess.run(
        [sys.executable, "-m", "journeylens", "report", *args, "--json"],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    root = world(tmp_path_factory)
    path = tmp_path_factory.mktemp("web-report") / "moving.html"
    data = run_report("-w", str(root), "-o", str(path), "--type", "moving", "--type", "fault")
    return path, data


def test_the_report_is_one_self_contained_file(report: tuple[Path, Any]) -> None:
    path, data = report
    assert data["journey_types"] == ["moving", "fault"]
    html = path.read_text(encoding="utf-8")
    assert data["bytes"] == len(html.encode("utf-8"))
    assert "<script src=" not in html and '<link rel="stylesheet"' not in html
    assert "http://" not in html.split("<script>")[0]  # no remote stylesheet or font
    assert html.count('class="chart"') == data["charts"] >= 8
    assert "plotly.js v" in html  # Plotly.js is inlined
    assert "Sign out" not in html and "/journeys/list" not in html  # no server links


def test_a_bad_type_is_a_clear_error(tmp_path_factory: pytest.TempPathFactory) -> None:
    root = world(tmp_path_factory)
    result = subprocess.run(
        [sys.executable, "-m", "journeylens", "report", "-w", str(root), "--type", "cruise",
         "-o", str(tmp_path_factory.mktemp("bad") / "r.html")],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 2
    assert "no journeys of type 'cruise'" in result.stderr


def test_the_report_opens_offline_and_draws(report: tuple[Path, Any]) -> None:
    need_chromium()
    from playwright.sync_api import sync_playwright

    path, data = report
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(offline=True, viewport={"width": 1440, "height": 900})
        asked: list[str] = []
        context.route(
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith("file:")
                else (asked.append(route.request.url), route.abort())
            ),
        )
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(path.as_uri())
        page.wait_for_function(
            "() => [...document.querySelectorAll('.chart')].every(c => "
            "c.classList.contains('drawn') && "
            "c.querySelectorAll('svg .trace, svg .point, svg .sankey-node').length > 0)",
            timeout=240_000,
        )
        assert page.locator(".chart.drawn").count() == data["charts"]
        assert asked == [] and problems == []
        page.screenshot(path=str(ARTIFACTS / "web-report.png"), full_page=True)
        browser.close()
