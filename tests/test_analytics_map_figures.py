"""Process map filtering, figure and DOT; the variants figure; `journeylens map --keep`."""

from __future__ import annotations

from pathlib import Path

import pytest

from journeylens.analytics.process_map import ProcessMapQuery
from journeylens.workspace import Workspace

from .conftest import write_text
from .test_analytics_flows import log_csv
from .test_cli import run, run_json

MAP = {"m1": "a b c", "m2": "a b c", "m3": "a b d", "m4": "a c"}


@pytest.fixture
def map_ws(ws: Workspace, tmp_path: Path) -> Workspace:
    ws.ingest(write_text(tmp_path / "map.csv", log_csv(MAP)))
    ws.build()
    return ws


def edges(result: object) -> list[tuple[str, str, int]]:
    return [(r["source"], r["target"], r["events"]) for r in result.edges.to_pylist()]  # type: ignore[attr-defined]


def test_keep_the_most_frequent_nodes_and_edges(map_ws: Workspace) -> None:
    full = map_ws.process_map()
    assert edges(full) == [("a", "b", 3), ("b", "c", 2), ("a", "c", 1), ("b", "d", 1)]
    assert (full.kept_node_share, full.kept_edge_share) == (1.0, 1.0)
    # Nodes a 4, b 3, c 3, d 1 of 11 events; edges 3, 2, 1, 1 of 7 transitions.
    most = map_ws.process_map(min_share=0.8)
    assert most.nodes.column("node").to_pylist() == ["a", "b", "c"]
    assert edges(most) == [("a", "b", 3), ("b", "c", 2), ("a", "c", 1)]
    assert (most.kept_node_share, most.kept_edge_share) == (10 / 11, 6 / 7)
    half = map_ws.process_map(min_share=0.5)
    assert half.nodes.column("node").to_pylist() == ["a", "b"]
    assert edges(half) == [("a", "b", 3)]
    assert (half.kept_node_share, half.kept_edge_share) == (7 / 11, 3 / 7)
    marked = map_ws.process_map(min_share=0.5, markers=True)
    assert ("▶ start", "a", 4) in edges(marked)  # markers are always kept
    with pytest.raises(ValueError, match=r"min_share must be in \(0, 1\]"):
        ProcessMapQuery(min_share=0)


def test_nodes_know_their_median_position(map_ws: Workspace) -> None:
    nodes = {r["node"]: r["median_position"] for r in map_ws.process_map().nodes.to_pylist()}
    assert nodes == {"a": 1.0, "b": 2.0, "c": 3.0, "d": 3.0}


def test_figure_lays_nodes_out_by_position_and_shows_the_top_edges(map_ws: Workspace) -> None:
    figure = map_ws.process_map().figure(top_edges=2)
    *lines, points = figure.data
    assert len(lines) == 2
    assert [line.line.width for line in lines] == [10.0, 1.0 + 9.0 * 2 / 3]
    assert "a → b<br>3 transitions in 3 journeys<br>median 1.0 min" in lines[0].text[0]
    x = dict(zip(points.text, points.x, strict=True))
    assert x == {"a": 1.0, "b": 2.0, "c": 3.0}


def test_dot_text(map_ws: Workspace) -> None:
    text = map_ws.process_map().to_dot()
    assert text.startswith("digraph process_map {\n  rankdir=LR;")
    assert '  "a" [label="a\\n4"];' in text
    assert '  "a" -> "b" [label="3 (1.0 min)", penwidth=8.0];' in text
    assert text.rstrip().endswith("}")
    marked = map_ws.process_map(markers=True).to_dot()
    assert '  "▶ start" [shape=plaintext, style=solid];' in marked
    assert '  "▶ start" -> "a" [label="4 (0 s)", penwidth=8.0];' in marked


def test_variants_figure(map_ws: Workspace) -> None:
    bars = map_ws.variants().figure(top=2).data[0]
    assert list(bars.x) == [0.5, 0.25]
    assert bars.y[0].startswith("#1  a → b → c")
    assert bars.text[0] == "50.0% (2)"


def test_cli_map_keep_and_dot(map_ws: Workspace, tmp_path: Path) -> None:
    root = str(map_ws.root)
    map_ws.close()
    dot = tmp_path / "map.dot"
    data = run_json("map", "-w", root, "--keep", "0.5", "--dot", str(dot))
    assert [(e["source"], e["target"]) for e in data["edges"]] == [("a", "b")]
    assert data["kept_edge_share"] == pytest.approx(3 / 7)
    assert '"a" -> "b"' in dot.read_text()
    bad = run("map", "-w", root, "--keep", "2")
    assert bad.returncode == 2 and "min_share must be in (0, 1]" in bad.stderr
