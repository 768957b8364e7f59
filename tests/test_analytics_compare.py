"""Compare: two groups side by side, on hand-made logs with known answers and on the demo."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import journeylens
from journeylens.analytics.compare import CompareQuery, benjamini_hochberg, compare
from journeylens.analytics.subset import JourneySubset
from journeylens.workspace import Workspace

from .conftest import write_text

#: Four journeys start on the web, four in the store (first channel); a → b is common on the
#: web (3 of 4) and rare in the store (1 of 4).
LOG = """case:concept:name,concept:name,time:timestamp,channel
W1,a,2025-01-06T09:00:00Z,web
W1,b,2025-01-06T10:00:00Z,phone
W2,a,2025-01-06T09:00:00Z,web
W2,c,2025-01-06T10:00:00Z,web
W3,a,2025-01-07T09:00:00Z,web
W3,b,2025-01-07T11:00:00Z,phone
W4,a,2025-01-08T09:00:00Z,web
W4,b,2025-01-08T12:00:00Z,phone
S1,a,2025-01-06T09:00:00Z,store
S1,c,2025-01-06T10:00:00Z,store
S2,a,2025-01-06T09:00:00Z,store
S2,c,2025-01-06T10:00:00Z,store
S3,a,2025-01-07T09:00:00Z,store
S3,b,2025-01-07T10:00:00Z,phone
S4,a,2025-01-07T09:00:00Z,store
S4,c,2025-01-07T10:00:00Z,store
"""


def _built(root: Path, **options: Any) -> Workspace:
    ws = journeylens.init(root / "ws", **options)
    ws.ingest(write_text(root / "log.csv", LOG))
    ws.build()
    return ws


@pytest.fixture
def small(tmp_path: Path) -> Workspace:
    ws = _built(tmp_path)
    yield ws
    ws.close()


def _by_measure(result: Any) -> dict[str, dict[str, Any]]:
    return {r["measure"]: r for r in result.differences.to_pylist()}


def test_process_maps_of_two_groups_give_exact_shares_and_z(small: Workspace) -> None:
    result = small.compare("start_channel", "web", "store", analysis="process_map")
    assert result.sizes == {"a": 4, "b": 4}
    edge = _by_measure(result)["a → b"]
    assert (edge["a"], edge["b"], edge["difference"]) == (0.75, 0.25, 0.5)
    assert edge["z"] == pytest.approx(0.5 / math.sqrt(0.5 * 0.5 * 0.5))
    assert edge["effect"] == pytest.approx(2 * math.asin(math.sqrt(0.75)) - 2 * math.asin(0.5))
    assert _by_measure(result)["a → c"]["difference"] == -0.5
    assert not edge["significant"]  # four journeys a side prove nothing
    # the analyses themselves ran on each group only
    assert sum(result.a.nodes.column("starts").to_pylist()) == 4


def test_journey_measures_compare_means_and_rates(small: Workspace) -> None:
    result = small.compare("start_channel", "web", "store")
    rows = _by_measure(result)
    assert rows["handoffs"]["a"] == 0.75 and rows["handoffs"]["b"] == 0.25
    assert rows["duration_hours"]["a"] == pytest.approx((1 + 1 + 2 + 3) / 4)
    assert rows["steps"]["z"] == 0.0  # both groups have two steps everywhere


def test_a_measure_only_one_group_has_counts_as_zero_there(small: Workspace) -> None:
    result = small.compare("start_channel", "web", "store", analysis="variants")
    rows = _by_measure(result)
    assert rows["a > b"]["a"] == 0.75 and rows["a > c"]["b"] == 0.75
    only_web = small.compare(
        "start_channel", "web", "store", analysis="process_map", by="activity@channel"
    )
    web_edge = _by_measure(only_web)["a@web → b@phone"]
    assert (web_edge["a"], web_edge["b"], web_edge["n_b"]) == (0.75, 0.0, 4)


def test_paths_and_metrics_compare_with_their_own_denominators(small: Workspace) -> None:
    paths = _by_measure(
        small.compare("start_channel", "web", "store", analysis="paths", pattern="a -> b")
    )
    assert (paths["matches a -> b"]["a"], paths["matches a -> b"]["b"]) == (0.75, 0.25)
    metrics = _by_measure(small.compare("start_channel", "web", "store", analysis="metrics"))
    # effort and friction are means with a spread, equal to the metrics of each group
    by_group = {r["segment"]: r for r in small.metrics(by="start_channel").table.to_pylist()}
    assert metrics["effort"]["kind"] == "mean" and metrics["effort"]["n_a"] == 4
    assert metrics["effort"]["a"] == pytest.approx(by_group["web"]["effort"])
    assert metrics["effort"]["b"] == pytest.approx(by_group["store"]["effort"])
    # the store is an assisted channel: its journeys are contacts, the web's mostly not
    assert metrics["effort"]["a"] < metrics["effort"]["b"]


def test_a_rate_missing_from_a_group_is_not_invented(demo_ws: Workspace) -> None:
    """A recovery rate exists only where the breakdown happened; its denominator is the
    breakdowns, not the journeys, so a group without that breakdown cannot be compared."""
    result = demo_ws.compare("start_channel", "web", "phone", analysis="breakdowns")
    rows = _by_measure(result)
    recoveries = [r for name, r in rows.items() if name.startswith("recovered after")]
    points = [r for name, r in rows.items() if name.startswith("breaks down at")]
    assert recoveries and points
    assert all(r["n_a"] < result.sizes["a"] for r in recoveries)
    assert all(r["n_a"] == result.sizes["a"] for r in points)


def test_conformance_compares_deviation_hot_spots(demo_ws: Workspace) -> None:
    """Planted truth 1: the broken web form sends web-started movers to the phone."""
    maps = demo_ws.root / "demo-data" / "journey_maps.yaml"
    result = demo_ws.compare(
        "start_channel", "web", "phone", analysis="conformance", journey_type="moving", maps=maps
    )
    rows = _by_measure(result)
    assert all(name.startswith("moving: ") for name in rows)
    hot = [r for name, r in rows.items() if "move_form_help@phone" in name]
    assert hot and hot[0]["a"] > hot[0]["b"] and hot[0]["significant"]


def test_ranking_puts_significant_large_effects_first(demo_ws: Workspace) -> None:
    result = demo_ws.compare("entry_channel", "app", "phone", journey_type="renewal")
    rows = result.differences.to_pylist()
    flags = [r["significant"] for r in rows]
    assert flags == sorted(flags, reverse=True)
    significant = [abs(r["effect"]) for r in rows if r["significant"]]
    assert significant == sorted(significant, reverse=True)


def test_renewals_in_the_app_are_effortless(demo_ws: Workspace) -> None:
    """Planted truth 3: app renewals take fewer hand-offs and no repeat or assisted contacts."""
    result = demo_ws.compare("entry_channel", "app", "phone", journey_type="renewal")
    rows = _by_measure(result)
    assert min(result.sizes.values()) > 100
    for measure in ("handoffs", "repeat_contacts", "assisted_contacts"):
        assert rows[measure]["a"] < rows[measure]["b"], measure
        assert rows[measure]["significant"], measure
    top = [r["measure"] for r in result.differences.to_pylist()[:3]]
    assert "assisted_contacts" in top


def test_unknown_group_names_the_groups_that_exist(small: Workspace) -> None:
    with pytest.raises(ValueError, match=r"no journeys in group 'mail'.*web \(4\)"):
        small.compare("start_channel", "mail", "store")
    with pytest.raises(ValueError, match="two different groups"):
        CompareQuery(segment="start_channel", a="web", b="web")
    with pytest.raises(ValueError, match="cannot compare 'pie'"):
        CompareQuery(segment="start_channel", a="web", b="store", analysis="pie")


def test_a_subset_is_read_only(small: Workspace) -> None:
    subset = JourneySubset(small.backend, small.backend.table("journeys"))
    with pytest.raises(PermissionError, match="read-only"):
        subset.drop("journeys")
    assert small.backend.count("journeys") == 8


def test_benjamini_hochberg_is_monotone_in_p() -> None:
    import numpy as np

    p = np.array([0.001, 0.2, 0.03, 0.04, 0.5])
    q = benjamini_hochberg(p)
    assert list(np.argsort(q, kind="stable")) == list(np.argsort(p, kind="stable"))
    assert (q >= p).all() and q.max() <= 1


def test_figure_pairs_the_two_groups(small: Workspace) -> None:
    figure = small.compare("start_channel", "web", "store").figure()
    assert [t.name for t in figure.data] == ["web (4 journeys)", "store (4 journeys)"]


def test_cli_compare_json(small: Workspace) -> None:
    small.close()
    out = subprocess.run(
        [
            *(sys.executable, "-m", "journeylens", "compare", "start_channel", "web", "store"),
            *("--analysis", "process_map", "-o", "by=channel", "--json", "-w", str(small.root)),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["groups"] == {"web": 4, "store": 4}
    edges = {r["measure"]: r for r in data["differences"]}
    assert edges["web → phone"]["a"] == 0.75


@pytest.mark.spark
def test_compare_is_identical_on_spark(tmp_path: Path, spark_session: Any) -> None:
    duck = _built(tmp_path / "duck")
    spark = _built(tmp_path / "spark", engine="spark")
    try:
        for analysis in ("journeys", "process_map"):
            query = CompareQuery(segment="start_channel", a="web", b="store", analysis=analysis)
            left = compare(duck.backend, query).to_frame()
            right = compare(spark.backend, query).to_frame()
            assert left.round(9).equals(right.round(9)), analysis
    finally:
        duck.close()
        spark.close()
