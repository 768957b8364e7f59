"""Touchpoint vs journey and say vs do: hand-made answers with exact counts, the planted fault
journeys of the demo world (truth 2), the stated preferred channel, and the command line."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from journeylens.voc.say_do import SayDoQuery
from journeylens.voc.touchpoint_gap import GapQuery
from journeylens.workspace import Workspace

from .test_voc_drivers import JOURNEYS, known_driver_ws, known_scores


@pytest.fixture(scope="module")
def known(tmp_path_factory: pytest.TempPathFactory) -> Any:
    ws = known_driver_ws(tmp_path_factory.mktemp("gap-say-do"))
    yield ws
    ws.close()


def wilson(hits: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return 100 * (centre - half), 100 * (centre + half)


# -- touchpoint vs journey -------------------------------------------------------------------


def test_gap_counts_of_hand_made_answers(known: Workspace) -> None:
    scores = known_scores()
    called = [f"j{i:02d}" for i in range(JOURNEYS) if i % 4 == 1]  # CSAT 5 after a call
    poor = sorted(k for k in called if scores[k] <= 6)
    result = known.touchpoint_gap()
    row = result.table.to_pylist()[0]
    assert row["journey_type"] == "shop"
    assert (row["csat_tp_responses"], row["csat_tp"]) == (9, 100.0)
    promoters = sum(v >= 9 for v in scores.values())
    detractors = sum(v <= 6 for v in scores.values())
    assert row["nps_responses"] == JOURNEYS
    assert row["nps"] == pytest.approx(100 * (promoters - detractors) / JOURNEYS)
    assert (row["both"], row["fine_touchpoints"], row["poor_journeys"]) == (9, 9, len(poor))
    assert row["gap_share"] == pytest.approx(100 * len(poor) / 9)
    low, high = wilson(len(poor), 9)
    assert (row["gap_low"], row["gap_high"]) == (pytest.approx(low), pytest.approx(high))
    assert result.journeys.column("journey_key").to_pylist() == sorted(
        poor, key=lambda k: (scores[k], k)
    )
    # a stricter touchpoint threshold than 5 leaves no journey with fine touchpoints
    strict = known.touchpoint_gap(good_touchpoint=5.5).table.to_pylist()[0]
    assert (strict["fine_touchpoints"], strict["gap_share"]) == (0, None)


def test_gap_query_errors() -> None:
    with pytest.raises(ValueError, match="kind 'stars'"):
        GapQuery(touchpoint_kind="stars")


def test_demo_gap_shows_the_faults_not_fixed_first_time(demo_ws: Workspace) -> None:
    result = demo_ws.touchpoint_gap()
    fault = next(r for r in result.table.to_pylist() if r["journey_type"] == "fault")
    # friendly agents: touchpoint CSAT stays high; the journey NPS does not
    assert fault["csat_tp"] > 90 and fault["nps"] < 0 and fault["gap_share"] > 40
    # the fault journeys in the gap are mostly the planted ones (truth 2)
    truth = pq.read_table(demo_ws.root / "demo-data" / "truth" / "journeys.parquet")
    planted_events = set(
        truth.filter(pc.field("not_fixed_first_time")).column("event_id").to_pylist()
    )
    steps = demo_ws.backend.to_arrow(
        demo_ws.backend.table("journey_steps").select("journey_key", "event_id")
    ).to_pylist()
    planted = {s["journey_key"] for s in steps if s["event_id"] in planted_events}
    gap = [r["journey_key"] for r in result.journeys.to_pylist() if r["journey_type"] == "fault"]
    from journeylens.voc.touchpoint_gap import per_journey_expr

    both = demo_ws.backend.to_arrow(per_journey_expr(demo_ws.backend, GapQuery())).to_pylist()
    fault_both = [r["journey_key"] for r in both if r["journey_type"] == "fault"]
    gap_share = sum(k in planted for k in gap) / len(gap)
    base_share = sum(k in planted for k in fault_both) / len(fault_both)
    assert gap_share > 0.75 and gap_share > base_share + 0.2
    figure = result.figure()
    assert len(figure.data) == 3


# -- say vs do -------------------------------------------------------------------------------


def test_say_do_of_hand_made_statements(known: Workspace) -> None:
    # stated: phone where the journey had a call (i % 4 == 1), app for six others, web for
    # the rest; every journey used the web, the called ones the phone too
    result = known.say_do("stated_channel", "channels")
    s = result.summary
    assert (s["units"], s["agree"]) == (36, 30)
    assert s["rate"] == pytest.approx(100 * 30 / 36)
    assert (s["rate_low"], s["rate_high"]) == tuple(pytest.approx(v) for v in wilson(30, 36))
    assert s["expected"] == pytest.approx(100 * (9 / 36 * 9 / 36 + 21 / 36 * 1 + 6 / 36 * 0))
    cross = {(r["say"], r["do"]): (r["units"], r["share"]) for r in result.table.to_pylist()}
    assert cross[("phone", "phone")] == (9, 100.0) and cross[("app", "web")] == (6, 100.0)
    assert ("app", "app") not in cross
    agreement = {r["say"]: r for r in result.agreement.to_pylist()}
    assert (agreement["app"]["agree"], agreement["phone"]["agree"]) == (0, 9)
    heat = result.figure().data[0]
    assert (
        list(heat.y) == ["app", "phone", "web"]
        and "agreement 83.3%" in result.figure().layout.title.text
    )
    first = known.say_do("stated_channel", "first_channel").summary
    assert (first["units"], first["agree"]) == (36, 21)


def test_say_do_query_errors() -> None:
    with pytest.raises(ValueError, match="needs unit='journey'"):
        SayDoQuery(do="journey_type", unit="customer")
    with pytest.raises(ValueError, match="do 'paths'"):
        SayDoQuery(do="paths")


def test_demo_stated_channel_agrees_more_than_chance(demo_ws: Workspace) -> None:
    entry = demo_ws.say_do("stated_preferred_channel", "entry_channel", scope="journey")
    s = entry.summary
    assert s["units"] > 1500 and s["rate_low"] > s["expected"] + 5
    per_say = {r["say"]: r for r in entry.agreement.to_pylist()}
    assert per_say["app"]["rate_low"] > per_say["app"]["expected"]
    customers = demo_ws.say_do(unit="customer", scope="relationship").summary
    assert customers["units"] > 500 and customers["rate_low"] > customers["expected"]


# -- command line ----------------------------------------------------------------------------


def _json(*args: str) -> Any:
    done = subprocess.run(
        [sys.executable, "-m", "journeylens", "voc", *args, "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_cli_drivers_gap_and_say_do(tmp_path: Path) -> None:
    ws = known_driver_ws(tmp_path)
    root = str(ws.root)
    ws.close()
    drivers = _json("drivers", "--target", "detractor", "--exclude", "wait", "-w", root)
    assert drivers["model"]["model"] == "logistic"
    assert drivers["drivers"][0]["feature"] == "activity_error"
    assert all(r["feature"] != "wait" for r in drivers["drivers"])
    gap = _json("gap", "-w", root)
    assert gap["types"][0]["fine_touchpoints"] == 9 and gap["poor_journey"] == 6.0
    said = _json("say-do", "--say", "stated_channel", "-w", root)
    assert (said["summary"]["units"], said["summary"]["agree"]) == (36, 30)
    bad = subprocess.run(
        [sys.executable, "-m", "journeylens", "voc", "drivers", "--kind", "csat",
         "--target", "detractor", "-w", root],
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    assert bad.returncode == 2 and "low:<score>" in bad.stderr
