"""Process map and variants against PM4Py (a test-only oracle) on real logs and fixtures."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import journeylens
from journeylens.workspace import Workspace

from .conftest import data_file

LOGS = [
    "helpdesk/helpdesk.xes.gz",
    "receipt/receipt.csv",
    "pm4py_fixtures/running-example.xes",
    "pm4py_fixtures/running-example.csv",
    "pm4py_fixtures/roadtraffic100traces.xes",
]


def _pm4py_frame(path: Path) -> pd.DataFrame:
    pm4py = pytest.importorskip("pm4py", reason="pm4py (dev extra) is the oracle")
    if path.name.endswith((".xes", ".xes.gz")):
        frame = pm4py.read_xes(str(path))
    else:
        frame = pd.read_csv(path)
        frame["time:timestamp"] = pd.to_datetime(
            frame["time:timestamp"], utc=True, format="ISO8601"
        )
    frame["case:concept:name"] = frame["case:concept:name"].astype(str)
    return frame


@pytest.fixture(scope="module", params=LOGS)
def log(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Workspace, pd.DataFrame]:
    path = data_file(request.param)
    ws = journeylens.init(tmp_path_factory.mktemp("oracle") / "ws")
    ws.ingest(path)
    ws.build()
    yield ws, _pm4py_frame(path)
    ws.close()


def test_directly_follows_graph_equals_pm4py(log: tuple[Workspace, pd.DataFrame]) -> None:
    import pm4py

    ws, frame = log
    dfg, starts, ends = pm4py.discover_dfg(frame)
    result = ws.process_map()
    ours = {(r["source"], r["target"]): r["events"] for r in result.edges.to_pylist()}
    assert ours == dict(dfg)
    nodes = result.nodes.to_pylist()
    assert {r["node"]: r["starts"] for r in nodes if r["starts"]} == dict(starts)
    assert {r["node"]: r["ends"] for r in nodes if r["ends"]} == dict(ends)
    marked = ws.process_map(markers=True).to_frame()
    assert (
        marked[marked["source"] == "▶ start"]["events"].sum()
        == frame["case:concept:name"].nunique()
    )


def test_variants_equal_pm4py(log: tuple[Workspace, pd.DataFrame]) -> None:
    import pm4py

    ws, frame = log
    expected = {
        tuple(k): (v if isinstance(v, int) else len(v))
        for k, v in pm4py.get_variants(frame).items()
    }
    result = ws.variants()
    ours = {tuple(r["path"]): r["journeys"] for r in result.table.to_pylist()}
    assert ours == expected
    assert abs(result.to_frame()["share"].sum() - 1.0) < 1e-9


def test_collapsed_variants_merge_repeats(tmp_path: Path) -> None:
    ws = journeylens.init(tmp_path / "ws")
    csv = tmp_path / "log.csv"
    csv.write_text(
        "case:concept:name,concept:name,time:timestamp\n"
        "1,a,2025-01-01T00:00:00Z\n1,b,2025-01-01T00:01:00Z\n1,b,2025-01-01T00:02:00Z\n1,c,2025-01-01T00:03:00Z\n"
        "2,a,2025-01-01T00:00:00Z\n2,b,2025-01-01T00:01:00Z\n2,c,2025-01-01T00:05:00Z\n"
        "3,a,2025-01-01T00:00:00Z\n3,c,2025-01-01T00:01:00Z\n"
    )
    ws.ingest(csv)
    ws.build()
    plain = {tuple(r["path"]): r["journeys"] for r in ws.variants().table.to_pylist()}
    assert plain == {("a", "b", "b", "c"): 1, ("a", "b", "c"): 1, ("a", "c"): 1}
    collapsed = ws.variants(collapse_repeats=True).to_frame()
    assert collapsed["path"].map(tuple).tolist() == [("a", "b", "c"), ("a", "c")]
    assert collapsed["journeys"].tolist() == [2, 1]
    assert collapsed["median_seconds"].tolist() == [240.0, 60.0]
    edges = ws.process_map().to_frame().set_index(["source", "target"])
    assert edges.loc[("a", "b"), "journeys"] == 2
    assert edges.loc[("b", "c"), "median_seconds"] == 150.0
    ws.close()
