"""Path patterns: the grammar, exact counts on a hand-made log, the demo world's truth."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from journeylens.analytics.pattern_syntax import parse
from journeylens.analytics.patterns import PatternQuery
from journeylens.demo.truths import TRUTHS
from journeylens.workspace import Workspace

from .conftest import write_text
from .test_analytics_flows import log_csv

SHOP = {
    "p1": "view add_to_cart view purchase",
    "p2": "add_to_cart support_chat purchase",
    "p3": "add_to_cart purchase",
    "p4": "view add_to_cart support_chat add_to_cart purchase",
    "p5": "view view",
    "p6": "add_to_cart purchase",
}
NO_SUPPORT = "add_to_cart -> [^support_chat]* -> purchase"


@pytest.fixture
def shop_ws(ws: Workspace, tmp_path: Path) -> Workspace:
    ws.ingest(write_text(tmp_path / "shop.csv", log_csv(SHOP)))
    ws.build()
    return ws


def keys(ws: Workspace, pattern: str, **options: object) -> list[str]:
    result = ws.paths(pattern, **options)  # type: ignore[arg-type]
    found: list[str] = result.journeys()["journey_key"].tolist()
    assert len(found) == result.count
    return found


def test_bought_without_support_negated_class(shop_ws: Workspace) -> None:
    result = shop_ws.paths(NO_SUPPORT)
    assert (result.count, result.total_journeys) == (4, 6)
    assert result.share == pytest.approx(4 / 6)
    assert [(tuple(r["path"]), r["journeys"]) for r in result.variants.to_pylist()] == [
        (("add_to_cart", "purchase"), 2),
        (("view", "add_to_cart", "view", "purchase"), 1),  # ties: by example key, p1 < p4
        (("view", "add_to_cart", "support_chat", "add_to_cart", "purchase"), 1),
    ]
    # p4 matches from its second add_to_cart; p2 contacted support in between.
    assert result.journeys()["journey_key"].tolist() == ["p1", "p3", "p4", "p6"]
    assert result.to_frame()["share"].tolist()[0] == pytest.approx(2 / 6)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("^add_to_cart", ["p2", "p3", "p6"]),
        ("purchase$", ["p1", "p2", "p3", "p4", "p6"]),
        ("^view -> .* -> purchase$", ["p1", "p4"]),
        ("^add_to_cart -> purchase$", ["p3", "p6"]),
        ("add_to_cart -> . -> purchase", ["p1", "p2"]),
        ("view{2}", ["p5"]),
        ("(view -> add_to_cart | support_chat) -> add_to_cart", ["p4"]),
        ("[view|support_chat] -> purchase", ["p1", "p2"]),
        ("^[^view]", ["p2", "p3", "p6"]),
        ("add_to_cart -> support_chat? -> purchase", ["p2", "p3", "p4", "p6"]),
    ],
)
def test_pattern_language(shop_ws: Workspace, pattern: str, expected: list[str]) -> None:
    assert keys(shop_ws, pattern) == expected


def test_cleaning_before_matching(shop_ws: Workspace) -> None:
    assert keys(shop_ws, "^view$", collapse_repeats=True) == ["p5"]
    assert keys(shop_ws, "view{2}", collapse_repeats=True) == []
    merged = keys(shop_ws, "shop -> shop$", rename=["^(add_to_cart|purchase)$=shop"])
    assert merged == ["p3", "p4", "p6"]


def test_unknown_labels_are_reported(shop_ws: Workspace) -> None:
    result = shop_ws.paths("add_to_cart -> pruchase")
    assert result.count == 0 and result.unknown_labels == ("pruchase",)
    assert result.journeys().empty


def test_syntax_error_names_the_column() -> None:
    with pytest.raises(ValueError, match="column 25") as error:
        PatternQuery("add_to_cart -> [purchase")
    assert "class opened at column 16" in str(error.value)
    assert str(error.value).splitlines()[-1] == " " * 4 + " " * 24 + "^"
    with pytest.raises(ValueError, match="column 13: alternatives need a group"):
        parse("add_to_cart | purchase")
    with pytest.raises(ValueError, match="column 1: the pattern is empty"):
        parse("  ")


def test_quoted_labels_and_channels() -> None:
    pattern = parse("'Assign seriousness' -> move_form_help@phone")
    assert pattern.labels == ("Assign seriousness", "move_form_help@phone")
    assert pattern.matches(["x", "Assign seriousness", "move_form_help@phone"])


def test_figure_shows_the_top_matching_variants(shop_ws: Workspace) -> None:
    figure = shop_ws.paths(NO_SUPPORT).figure(top=2)
    bars = figure.data[0]
    assert bars.orientation == "h" and len(bars.y) == 2
    assert list(bars.x) == [0.5, 0.25]  # shares of the matching journeys


def test_demo_form_error_then_help_counts_the_planted_share(demo_ws: Workspace) -> None:
    """Truth 1: 40% of web movers hit the form error; 70% of them call and 15% chat.

    The call or chat is in the error's journey when the web session was signed in (the
    journey belongs to a customer id, not a lone cookie), so the planted share,
    0.40 x 0.85, is checked on signed-in web movers, within four binomial standard errors.
    """
    moving = {"journey_type": "moving"}
    movers = set(keys(demo_ws, "move_form_started@web", by="activity@channel", **moving))
    owners = demo_ws.journeys(journey_type="moving").to_pandas()
    signed_in = set(
        owners.loc[owners["customer_key"].str.startswith("customer_id:"), "journey_key"]
    )
    web_movers = movers & signed_in
    helped = set(keys(demo_ws, "move_form_error -> .* -> move_form_help", **moving))
    errors = set(keys(demo_ws, "move_form_started -> move_form_error", **moving))
    n = len(web_movers)
    assert n > 200
    tolerance = 4 * math.sqrt(0.25 / n)
    planted = TRUTHS.broken_form_rate * (
        TRUTHS.broken_form_call_share + TRUTHS.broken_form_chat_share
    )
    assert abs(len(helped & web_movers) / n - planted) < tolerance
    assert abs(len(errors & web_movers) / n - TRUTHS.broken_form_rate) < tolerance
    assert helped <= errors  # no help without an error first


def test_cli_paths(shop_ws: Workspace) -> None:
    from .test_cli import run, run_json

    root = str(shop_ws.root)
    shop_ws.close()
    data = run_json("paths", NO_SUPPORT, "-w", root, "--journeys")
    assert (data["count"], data["total_journeys"]) == (4, 6)
    assert data["journeys"] == ["p1", "p3", "p4", "p6"]
    assert data["variants"][0]["path"] == ["add_to_cart", "purchase"]
    bad = run("paths", "add_to_cart -> [b|c", "-w", root)
    assert bad.returncode == 2
    assert "column 20" in bad.stderr and "add_to_cart -> [b|c" in bad.stderr
