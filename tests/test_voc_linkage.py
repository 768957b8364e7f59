"""Feedback linkage: exact links on a hand-made log, the demo world's truth, Spark, the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest

import journeylens
from journeylens.errors import ConfigError, WorkspaceError
from journeylens.voc.linkage import LINK_COLUMNS
from journeylens.workspace import Workspace

from .conftest import write_text

#: Two journey types cut by topic; other events fall into inactivity-gap journeys.
JOURNEYS = {
    "gap": "7d",
    "definitions": [
        {"name": "fault", "topics": ["fault"], "timeout": "7d"},
        {"name": "billing", "topics": ["billing"], "timeout": "7d"},
    ],
}

#: C1 (also ann@example.com): a fault journey on 1 March 10:00-12:00, a billing journey 2-3
#: March, an app login on 30 March (a gap journey, still open: it is the latest event).
#: C2: a fault journey 10-12 March. C3: an order whose source knows the case (K-1), 5-6 March.
EVENTS = """\
event_id,customer_id,email,ts,channel,activity,topic,journey_key
e1,C1,ann@example.com,2025-03-01T10:00:00Z,phone,call,fault,
e2,C1,,2025-03-01T12:00:00Z,web,fault_status,fault,
e3,C1,,2025-03-02T09:00:00Z,web,bill_view,billing,
e4,C1,,2025-03-03T09:00:00Z,chat,bill_question,billing,
e5,C1,,2025-03-30T09:00:00Z,app,login,,
e6,C2,,2025-03-10T08:00:00Z,store,visit,fault,
e7,C2,,2025-03-12T08:00:00Z,phone,call,fault,
e8,C3,,2025-03-05T10:00:00Z,web,order,,K-1
e9,C3,,2025-03-06T10:00:00Z,email,shipped,,K-1
"""

FEEDBACK = """\
feedback_id,customer_id,email,ts,kind,score,event_id,journey_key,question,topic,survey
f01,C1,,2025-03-01T10:30:00Z,csat,5,e1,,How was your call?,,
f02,C3,,2025-03-07T10:00:00Z,nps,8,,K-1,,,
f03,,ann@example.com,2025-03-01T11:00:00Z,nps,3,,,,,
f04,C2,,2025-03-14T08:00:00Z,ces,6,,,,,
f05,C2,,2025-03-25T08:00:00Z,nps,9,,,,,
f06,C9,,2025-03-14T08:00:00Z,nps,2,,,,,
f07,C1,,2025-03-05T09:00:00Z,nps,6,,,,fault,
f08,C1,,2025-03-05T09:30:00Z,nps,7,,,,,
f09,C1,,2025-03-05T10:00:00Z,nps,10,,,,,Relationship
f10,C2,,2025-03-12T09:00:00Z,csat,2,e404,,,,
f11,C2,,2025-03-13T08:00:00Z,nps,4,,,,moving,
f12,C1,,2025-03-30T12:00:00Z,nps,9,,,Would you recommend us?,,wave
"""

C1, C2, C3 = "customer_id:C1", "customer_id:C2", "customer_id:C3"
FAULT_1, BILLING_1 = f"{C1}/fault/1", f"{C1}/billing/1"
HOUR, DAY = 3600.0, 86400.0

#: feedback_id -> (customer_key, journey_key, journey_type, event_id, method, scope, lag)
EXPECTED: dict[str, tuple[Any, ...]] = {
    "f01": (C1, FAULT_1, "fault", "e1", "event", "touchpoint", 0.5 * HOUR),
    # A source journey without a topic has the source's name as its type (the file's stem).
    "f02": (C3, "K-1", "events", None, "journey", "journey", DAY),
    "f03": (C1, FAULT_1, "fault", None, "open", "journey", -HOUR),
    "f04": (C2, f"{C2}/fault/1", "fault", None, "after", "journey", 2 * DAY),
    "f05": (C2, None, None, None, "unlinked", "relationship", None),
    "f06": (None, None, None, None, "unlinked", "relationship", None),
    # The survey names the fault journey: the later billing journey is not a candidate.
    "f07": (C1, FAULT_1, "fault", None, "after", "journey", 3 * DAY + 21 * HOUR),
    "f08": (C1, BILLING_1, "billing", None, "after", "journey", 2 * DAY + 0.5 * HOUR),
    "f09": (C1, BILLING_1, "billing", None, "after", "relationship", 2 * DAY + HOUR),
    # An event the workspace does not know: linked by customer and time instead.
    "f10": (C2, f"{C2}/fault/1", "fault", None, "after", "journey", HOUR),
    # 'moving' is no journey type here: the hint is ignored.
    "f11": (C2, f"{C2}/fault/1", "fault", None, "after", "journey", DAY),
    # The login journey is still open (the latest event): open, three hours after its step.
    "f12": (C1, f"{C1}/gap/1", "other", None, "open", "journey", 3 * HOUR),
}


def _workspace(root: Path, voc: dict[str, Any] | None = None) -> Workspace:
    config: dict[str, Any] = {"journeys": JOURNEYS}
    if voc is not None:
        config["voc"] = voc
    ws = journeylens.init(root / "ws", config=config)
    ws.ingest(write_text(root / "events.csv", EVENTS))
    ws.ingest(write_text(root / "feedback.csv", FEEDBACK), kind="feedback")
    return ws


def _links(ws: Workspace) -> dict[str, tuple[Any, ...]]:
    rows = ws.feedback_links().to_pylist()
    return {r["feedback_id"]: tuple(r[c] for c in LINK_COLUMNS[1:]) for r in rows}


@pytest.fixture
def linked(tmp_path: Path) -> Any:
    ws = _workspace(tmp_path)
    result = ws.build()
    yield ws, result
    ws.close()


def test_every_method_links_exactly(linked: Any) -> None:
    ws, _ = linked
    links = _links(ws)
    assert set(links) == set(EXPECTED)
    for feedback_id, expected in EXPECTED.items():
        assert links[feedback_id] == expected, feedback_id


def test_build_and_report_count_unlinked_feedback(linked: Any) -> None:
    ws, result = linked
    assert (result.feedback_linked, result.feedback_unlinked) == (10, 2)
    report = ws.link_feedback()
    assert (report.total, report.linked, report.unlinked) == (12, 10, 2)
    assert report.by_method == {"event": 1, "journey": 1, "open": 2, "after": 6, "unlinked": 2}
    assert report.by_scope == {"touchpoint": 1, "journey": 8, "relationship": 3}
    assert sum(r["feedback"] for r in report.to_dict()["by_method_and_scope"]) == 12
    assert ws.backend.count("feedback_links") == ws.backend.count("feedback") == 12
    assert len(report.figure().data) == 3


def test_settings_change_window_and_scopes(tmp_path: Path) -> None:
    ws = _workspace(
        tmp_path,
        {
            "link_window": "1d",
            "journey_type_attributes": [],
            "scope_values": {"wave": "relationship"},
            "scopes": [{"scope": "touchpoint", "question": "your (call|chat)"}],
        },
    )
    ws.build()
    links = _links(ws)
    ws.close()
    method, scope = 4, 5
    assert links["f04"][method] == "unlinked"  # two days after: outside a one-day window
    assert links["f11"][method] == "after"  # one day after: inside
    assert links["f07"][method] == "unlinked"  # no type hint, and 2 days after billing
    assert links["f10"][method] == "after"
    assert links["f12"][scope] == "relationship"  # survey=wave, mapped by scope_values
    assert links["f01"][scope] == "touchpoint"
    assert links["f05"][scope] == "relationship"


def test_a_rule_wins_over_the_attribute_and_the_link(tmp_path: Path) -> None:
    rule = {"scope": "touchpoint", "attribute": "topic", "values": ["fault"], "kinds": ["nps"]}
    ws = _workspace(tmp_path, {"scopes": [rule]})
    ws.build()
    links = _links(ws)
    ws.close()
    assert links["f07"][5] == "touchpoint"
    assert links["f11"][5] == "journey"  # topic moving: the rule does not hold


@pytest.mark.parametrize(
    ("voc", "words"),
    [
        ({"link_window": "soon"}, ("voc.link_window", "not a duration")),
        ({"scopes": [{"scope": "touchpoint"}]}, ("voc.scopes.0", "needs attribute")),
        ({"scopes": [{"scope": "page", "kinds": ["nps"]}]}, ("voc.scopes.0.scope",)),
        ({"scopes": [{"scope": "journey", "question": "(unclosed"}]}, ("not a regular",)),
    ],
)
def test_bad_voc_settings_name_the_field(
    tmp_path: Path, voc: dict[str, Any], words: tuple[str, ...]
) -> None:
    with pytest.raises(ConfigError) as error:
        journeylens.init(tmp_path / "ws", config={"voc": voc})
    for word in words:
        assert word in str(error.value)


def test_link_needs_journeys(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    with pytest.raises(WorkspaceError, match="run journeylens build"):
        ws.link_feedback()
    ws.close()


# -- the demo world's truth -----------------------------------------------------------------


def _demo_links(ws: Workspace) -> pd.DataFrame:
    truth_dir = ws.root / "demo-data" / "truth"
    feedback_truth = pq.read_table(truth_dir / "feedback.parquet").to_pandas()
    columns = ["event_id", "true_journey"]
    event_truth = pq.read_table(truth_dir / "journeys.parquet", columns=columns)
    steps = ws.backend.table("journey_steps").select("event_id", "journey_key")
    # A true journey is the built journey that holds most of its events.
    built = event_truth.to_pandas().merge(ws.backend.to_pandas(steps), on="event_id")
    mapping = (
        built.groupby("true_journey")["journey_key"]
        .agg(lambda keys: keys.mode().iloc[0])
        .rename("true_journey_key")
    )
    feedback = ws.feedback().to_pandas()[["feedback_id", "event_id", "kind"]]
    return (
        ws.feedback_links()
        .to_pandas()
        .merge(feedback, on="feedback_id", suffixes=("", "_given"))
        .merge(feedback_truth, on="feedback_id")
        .merge(mapping, left_on="true_journey", right_index=True, how="left")
    )


def test_demo_feedback_links_match_the_truth(demo_ws: Workspace) -> None:
    links = _demo_links(demo_ws)
    assert len(links) == demo_ws.backend.count("feedback")  # nothing dropped
    journey = links[links.survey == "journey"]
    assert (journey.journey_key == journey.true_journey_key).mean() >= 0.95
    assert (journey.scope == "journey").all()
    assert journey.link_method.isin(["open", "after", "unlinked"]).all()
    assert (journey.link_method == "unlinked").mean() < 0.01
    touch = links[links.survey == "touchpoint"]
    assert (touch.link_method == "event").all() and (touch.scope == "touchpoint").all()
    assert (touch.event_id == touch.event_id_given).all()
    assert (links[links.survey == "relationship"].scope == "relationship").all()
    page = links[links.survey == "page"]
    assert (page.scope == "touchpoint").all() and (page.link_method == "event").all()
    known = links.customer_key.notna()
    assert known.mean() > 0.95
    stitched = links[known & links.survey.isin(["journey", "relationship"])]
    assert (stitched.customer_key == "customer_id:" + stitched.true_customer).all()


# -- Spark and the CLI ----------------------------------------------------------------------


@pytest.mark.spark
def test_links_and_scores_identical_on_spark(tmp_path: Path, spark_session: Any) -> None:
    duck = _workspace(tmp_path / "duck")
    duck.build()
    expected = _links(duck)
    expected_scores = duck.scores("nps", by="journey_type").table.to_pylist()
    duck.close()

    root = tmp_path / "spark"
    spark = journeylens.init(
        root / "ws", engine="spark", session=spark_session, config={"journeys": JOURNEYS}
    )
    spark.ingest(write_text(tmp_path / "events.csv", EVENTS))
    spark.ingest(write_text(tmp_path / "feedback.csv", FEEDBACK), kind="feedback")
    spark.build()
    assert _links(spark) == expected == EXPECTED
    got = spark.scores("nps", by="journey_type").table.to_pylist()
    assert len(got) == len(expected_scores)
    for left, right in zip(got, expected_scores, strict=True):
        close = {k: pytest.approx(v) if isinstance(v, float) else v for k, v in right.items()}
        assert left == close
    spark.close()


def _cli(*args: str) -> Any:
    result = subprocess.run(
        [sys.executable, "-m", "journeylens", *args, "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_cli_build_and_link_json(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    ws.close()
    built = _cli("build", "-w", str(ws.root))
    assert (built["feedback_linked"], built["feedback_unlinked"]) == (10, 2)
    data = _cli("voc", "link", "-w", str(ws.root))
    assert (data["feedback"], data["linked"], data["unlinked"]) == (12, 10, 2)
    assert data["by_method"]["open"] == 2 and data["by_scope"]["relationship"] == 3
