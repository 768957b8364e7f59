"""Flows (Sankey) and path cleaning: exact answers on hand-made logs, the demo world's truth."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from journeylens.analytics.cleaning import RenameRule, rules
from journeylens.analytics.flows import OTHER, FlowsQuery
from journeylens.analytics.labels import END, START
from journeylens.demo.truths import TRUTHS
from journeylens.workspace import Workspace

from .conftest import write_text

#: Journeys of the flow tests, one label per step.
JOURNEYS = {
    "j1": "a b c d",
    "j2": "a b d",
    "j3": "x a c",
    "j4": "a",
    "j5": "b c",
    "j6": "d a",
}


def log_csv(journeys: dict[str, str], channel: str = "web") -> str:
    """A CSV log of ``journeys`` (one step a minute)."""
    lines = ["case:concept:name,concept:name,time:timestamp,channel"]
    for case, path in journeys.items():
        for i, activity in enumerate(path.split()):
            lines.append(f"{case},{activity},2025-01-01T00:{i:02d}:00Z,{channel}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def flow_ws(ws: Workspace, tmp_path: Path) -> Workspace:
    ws.ingest(write_text(tmp_path / "log.csv", log_csv(JOURNEYS)))
    ws.build()
    return ws


def links(result: Any) -> list[tuple[int, str, str, int]]:
    return [(r["step"], r["source"], r["target"], r["journeys"]) for r in result.links.to_pylist()]


def nodes(result: Any) -> list[tuple[int, str, int]]:
    return [(r["step"], r["label"], r["journeys"]) for r in result.nodes.to_pylist()]


def test_forward_from_the_start_with_explicit_end(flow_ws: Workspace) -> None:
    result = flow_ws.flows(steps=2)
    assert (result.journeys, result.total_journeys) == (6, 6)
    assert links(result) == [
        (0, START, "a", 3),
        (0, START, "b", 1),
        (0, START, "d", 1),
        (0, START, "x", 1),
        (1, "a", "b", 2),
        (1, "a", END, 1),
        (1, "b", "c", 1),
        (1, "d", "a", 1),
        (1, "x", "a", 1),
    ]
    assert result.to_frame()["share"].tolist()[:2] == [0.5, pytest.approx(1 / 6)]
    # j4 ended after one step: its end is at step 2, nothing beyond.
    assert (2, END, 1) in nodes(result)
    assert sum(j for s, _, j in nodes(result) if s == 2) == 6


def test_forward_from_an_anchor(flow_ws: Workspace) -> None:
    result = flow_ws.flows(anchor="a", steps=2)
    assert result.journeys == 5  # every journey with an a (j5 has none)
    assert links(result) == [
        (0, "a", "b", 2),
        (0, "a", END, 2),
        (0, "a", "c", 1),
        (1, "b", "c", 1),
        (1, "b", "d", 1),
        (1, "c", END, 1),
    ]
    assert result.links.column("share").to_pylist()[:3] == [0.4, 0.4, 0.2]
    assert nodes(result)[0] == (0, "a", 5)
    paths = {tuple(r["path"]): r["journeys"] for r in result.paths.to_pylist()}
    assert paths == {
        ("a", "b", "c"): 1,
        ("a", "b", "d"): 1,
        ("a", END): 2,
        ("a", "c", END): 1,
    }


def test_backward_towards_an_anchor_starts_from_an_explicit_start(flow_ws: Workspace) -> None:
    result = flow_ws.flows(anchor="d", direction="backward", steps=2)
    assert result.journeys == 3
    assert links(result) == [
        (-2, "a", "b", 1),
        (-2, "b", "c", 1),
        (-1, "b", "d", 1),
        (-1, "c", "d", 1),
        (-1, START, "d", 1),  # j6 starts with d
    ]
    assert nodes(result) == [
        (-2, "a", 1),
        (-2, "b", 1),
        (-1, "b", 1),
        (-1, "c", 1),
        (-1, START, 1),
        (0, "d", 3),
    ]
    assert result.nodes.column("share").to_pylist()[-1] == 1.0


def test_backward_without_an_anchor_ends_at_an_explicit_end(flow_ws: Workspace) -> None:
    result = flow_ws.flows(direction="backward", steps=1)
    assert [(s, src, t, j) for s, src, t, j in links(result)] == [
        (-1, "a", END, 2),
        (-1, "c", END, 2),
        (-1, "d", END, 2),
    ]


def test_cap_merges_the_rest_into_other(flow_ws: Workspace) -> None:
    result = flow_ws.flows(steps=2, cap=1)
    # Step 1: a (3) kept; b, d, x (1 each) merged. Step 2: a and b tie on 2, a wins by name.
    assert links(result) == [
        (0, START, "a", 3),
        (0, START, OTHER, 3),
        (1, "a", OTHER, 2),
        (1, OTHER, "a", 2),
        (1, "a", END, 1),
        (1, OTHER, OTHER, 1),
    ]
    assert nodes(result)[-3:] == [(2, OTHER, 3), (2, "a", 2), (2, END, 1)]


def test_cleaning_merges_two_activities_and_collapses_repeats(flow_ws: Workspace) -> None:
    merged = flow_ws.flows(anchor="a", steps=2, rename=["^[bc]$=bc"], collapse_repeats=True)
    assert links(merged) == [
        (0, "a", "bc", 3),
        (0, "a", END, 2),
        (1, "bc", "d", 2),
        (1, "bc", END, 1),
    ]
    kept = flow_ws.flows(anchor="a", steps=2, rename=[{"pattern": "^[bc]$", "replace": "bc"}])
    assert (1, "bc", "bc", 1) in links(kept)  # j1's b c, without collapsing
    last = flow_ws.flows(anchor="bc", steps=1, rename=["^[bc]$=bc"], occurrence="last")
    assert (0, "bc", "d", 2) in links(last) and (0, "bc", "bc", 1) not in links(last)


def test_journey_type_filter(ws: Workspace, tmp_path: Path) -> None:
    ws.ingest(write_text(tmp_path / "web.csv", log_csv({"w1": "a b", "w2": "a c"})), source="web")
    ws.ingest(write_text(tmp_path / "shop.csv", log_csv({"s1": "a d"}, "store")), source="shop")
    ws.build()
    result = ws.flows(anchor="a@store", steps=1, journey_type="shop", by="activity@channel")
    assert links(result) == [(0, "a@store", "d@store", 1)]
    assert (result.journeys, result.total_journeys) == (1, 1)


def test_no_journey_with_the_anchor_gives_an_empty_flow(flow_ws: Workspace) -> None:
    result = flow_ws.flows(anchor="nowhere")
    assert result.journeys == 0 and result.links.num_rows == 0


def test_sankey_figure(flow_ws: Workspace) -> None:
    result = flow_ws.flows(anchor="a", steps=2)
    figure = result.figure()
    sankey = figure.data[0]
    assert sankey.type == "sankey"
    assert list(sankey.node.label) == result.nodes.column("label").to_pylist()
    assert sum(sankey.link.value) == sum(result.links.column("journeys").to_pylist())
    assert all(0 < x < 1 for x in sankey.node.x)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"steps": 0}, "steps must be at least 1"),
        ({"cap": 0}, "cap must be at least 1"),
        ({"direction": "sideways"}, "direction must be"),
        ({"by": "colour"}, "unknown label"),
        ({"anchor": ""}, "anchor is empty"),
    ],
)
def test_bad_queries_say_what_is_wrong(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FlowsQuery(**options)


def test_rename_rules_are_checked() -> None:
    assert rules(["^view_.*=browse"]) == (RenameRule("^view_.*", "browse"),)
    assert RenameRule("@(web|app)$", "@digital").apply("login@app") == "login@digital"
    with pytest.raises(ValueError, match="no '='"):
        rules(["^view_.*"])
    with pytest.raises(ValueError, match="not a valid regex"):
        RenameRule("view_(", "x")
    with pytest.raises(ValueError, match="literal text"):
        RenameRule("^(a)$", "$1")
    with pytest.raises(ValueError, match="no 'pattern'"):
        rules([{"replace": "x"}])


def test_demo_form_errors_flow_mostly_to_a_phone_call(demo_ws: Workspace) -> None:
    """Truth 1: after the web form error, 70% call, 15% chat, 15% give up.

    A call or chat lands in the error's journey only when the customer is recognised in both,
    which loses calls and chats alike; so the phone share among the calls and chats that
    follow the error is the planted 0.70 / (0.70 + 0.15), checked within four standard errors
    of a binomial share.
    """
    result = demo_ws.flows(anchor="move_form_error@web", by="activity@channel", steps=1)
    step1 = {r["label"]: r["journeys"] for r in result.nodes.to_pylist() if r["step"] == 1}
    assert max(step1, key=lambda label: step1[label]) == "move_form_help@phone"
    assert step1["move_form_help@phone"] / result.journeys > 0.5
    phone, chat = step1["move_form_help@phone"], step1["move_form_help@chat"]
    call, chats = TRUTHS.broken_form_call_share, TRUTHS.broken_form_chat_share
    expected = call / (call + chats)
    n = phone + chat
    assert abs(phone / n - expected) < 4 * math.sqrt(expected * (1 - expected) / n)


def test_cli_flows(flow_ws: Workspace, tmp_path: Path) -> None:
    from .test_cli import run_json

    root = str(flow_ws.root)
    flow_ws.close()
    html = tmp_path / "flow.html"
    data = run_json(
        "flows", "-w", root, "--anchor", "a", "--steps", "2", "--rename", "^[bc]$=bc",
        "--collapse-repeats", "--html", str(html),
    )  # fmt: skip
    assert data["journeys"] == 5
    assert [(r["step"], r["source"], r["target"], r["journeys"]) for r in data["links"]] == [
        (0, "a", "bc", 3),
        (0, "a", END, 2),
        (1, "bc", "d", 2),
        (1, "bc", END, 1),
    ]
    assert "Plotly" in html.read_text(encoding="utf-8")[:100_000]


@pytest.mark.spark
def test_flows_patterns_and_kept_map_identical_on_spark(tmp_path: Path, spark_session: Any) -> None:
    import journeylens

    log = write_text(
        tmp_path / "log.csv",
        log_csv({**JOURNEYS, "k1": "view_1 a view_22 b", "k2": "a view_3 view_1 c", "k3": "x b"}),
    )
    results = []
    for engine, options in (("duckdb", {}), ("spark", {"session": spark_session})):
        ws = journeylens.init(tmp_path / engine, engine=engine, **options)
        ws.ingest(log)
        ws.build()
        clean = {"rename": [r"^view_\d+$=view"], "collapse_repeats": True}
        flow = ws.flows(anchor="a", steps=3, cap=2, **clean)  # type: ignore[arg-type]
        back = ws.flows(anchor="c", direction="backward", steps=2, **clean)  # type: ignore[arg-type]
        found = ws.paths("a -> [^d]* -> [c|b]$", **clean)  # type: ignore[arg-type]
        kept = ws.process_map(min_share=0.8)
        results.append(
            (
                flow.links.to_pylist(),
                flow.nodes.to_pylist(),
                flow.paths.to_pylist(),
                back.links.to_pylist(),
                found.count,
                found.variants.drop_columns(["median_seconds"]).to_pylist(),
                found.journeys()["journey_key"].tolist(),
                [(e["source"], e["target"], e["events"]) for e in kept.edges.to_pylist()],
                (kept.kept_node_share, kept.kept_edge_share),
            )
        )
        ws.close()
    assert results[0] == results[1]
    assert results[0][4] == 3  # j3 (a c), k1 (a view b), k2 (a view c after collapsing)
