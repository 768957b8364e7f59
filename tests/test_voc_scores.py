"""NPS, CSAT and CES: formulas and intervals against hand computation, segments, rescaled
scales, the demo world's truth, and the CLI."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import journeylens
from journeylens.voc.feedback_segments import parse_feedback_segment
from journeylens.voc.scores import ScoresQuery
from journeylens.workspace import Workspace

from .conftest import write_text

Z95 = 1.959963984540054  # the 97.5 % normal quantile
T4 = 2.7764451051977987  # the 97.5 % quantile of Student's t with 4 degrees of freedom
T7 = 2.3646242510102993  # ... with 7

#: C1 has a fault journey (a phone call), C2 a billing journey (a web visit), both 1 March.
EVENTS = """\
customer_id,ts,channel,activity,topic
C1,2025-03-01T10:00:00Z,phone,call,fault
C2,2025-03-01T11:00:00Z,web,visit,billing
"""

#: (customer, kind, score, scale_min, scale_max, channel, month, segment)
ANSWERS: list[tuple[str, str, float, str, str, str, str, str]] = [
    *[("C1", "nps", s, "", "", "email", "03", "home") for s in (10, 10, 9, 9, 9, 8, 7, 6, 3, 0)],
    # NPS asked on 1-5: 5 -> 10 (promoter), 4 -> 7.5 (passive), 3 -> 5 (detractor).
    *[("C2", "nps", s, "1", "5", "sms", "03", "business") for s in (5, 4, 3, 5)],
    ("C9", "nps", 10, "", "", "web", "04", "home"),  # an unknown customer, in April
    *[("C1", "csat", s, "", "", "phone", "03", "home") for s in (5, 5, 4, 4, 3, 2, 1, 5)],
    # CSAT asked on 1-10: 10 -> 5 and 8 -> 4.11 are satisfied, 7 -> 3.67 is not.
    *[("C2", "csat", s, "1", "10", "chat", "03", "business") for s in (10, 8, 7)],
    *[("C1", "ces", s, "", "", "email", "03", "home") for s in (7, 6, 5, 4, 2)],
]


def _feedback_csv() -> str:
    lines = ["feedback_id,customer_id,ts,kind,score,scale_min,scale_max,channel,segment"]
    for i, (who, kind, score, lo, hi, channel, month, segment) in enumerate(ANSWERS):
        ts = f"2025-{month}-02T{10 + i % 10:02d}:00:00Z"
        lines.append(f"r{i:02d},{who},{ts},{kind},{score},{lo},{hi},{channel},{segment}")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("scores")
    ws = journeylens.init(root / "ws")
    ws.ingest(write_text(root / "events.csv", EVENTS))
    ws.ingest(write_text(root / "feedback.csv", _feedback_csv()), kind="feedback")
    ws.build()
    yield ws
    ws.close()


def _rows(ws: Workspace, kind: str, **options: Any) -> dict[str, dict[str, Any]]:
    return {r["segment"]: r for r in ws.scores(kind, **options).table.to_pylist()}


def _wilson(hits: int, n: int) -> tuple[float, float]:
    p, z2 = hits / n, Z95 * Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return 100 * (centre - half), 100 * (centre + half)


def test_nps_by_channel_with_intervals(scored: Workspace) -> None:
    rows = _rows(scored, "nps", by="channel")
    email = rows["email"]
    assert (email["responses"], email["promoters"], email["passives"], email["detractors"]) == (
        10,
        5,
        2,
        3,
    )
    assert email["nps"] == pytest.approx(20.0)
    se = 100 * math.sqrt((0.5 + 0.3 - 0.2**2) / 10)  # 27.57 points
    assert email["nps_se"] == pytest.approx(se)
    assert (email["nps_low"], email["nps_high"]) == pytest.approx((20 - Z95 * se, 20 + Z95 * se))
    assert email["mean"] == pytest.approx(7.1)
    # On 1-5 rescaled to 0-10: two promoters, one passive, one detractor.
    sms = rows["sms"]
    assert (sms["promoters"], sms["passives"], sms["detractors"], sms["nps"]) == (2, 1, 1, 25.0)
    assert sms["mean"] == pytest.approx((10 + 7.5 + 5 + 10) / 4)
    # One answer: all promoters, a zero-width NPS interval and no interval for the mean.
    web = rows["web"]
    assert (web["nps"], web["nps_low"], web["nps_high"]) == (100.0, 100.0, 100.0)
    assert web["mean_low"] is None and web["mean_high"] is None
    assert list(rows) == ["email", "sms", "web"]  # most answers first


def test_csat_top_two_box_and_mean(scored: Workspace) -> None:
    rows = _rows(scored, "csat", by="channel")
    phone = rows["phone"]
    assert (phone["responses"], phone["satisfied"], phone["csat"]) == (8, 5, 62.5)
    assert (phone["csat_low"], phone["csat_high"]) == pytest.approx(_wilson(5, 8))
    values = [5, 5, 4, 4, 3, 2, 1, 5]
    mean = sum(values) / 8
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / 7)
    assert phone["mean"] == pytest.approx(3.625)
    half = T7 * sd / math.sqrt(8)
    assert (phone["mean_low"], phone["mean_high"]) == pytest.approx((mean - half, mean + half))
    chat = rows["chat"]  # 10 and 8 on 1-10 are satisfied, 7 is not
    assert (chat["satisfied"], chat["csat"]) == (2, pytest.approx(200 / 3))
    assert chat["mean"] == pytest.approx((5 + (1 + 7 * 4 / 9) + (1 + 6 * 4 / 9)) / 3)


def test_ces_mean_interval_stays_on_the_scale(scored: Workspace) -> None:
    (row,) = _rows(scored, "ces").values()
    assert row["segment"] == "all"
    assert (row["responses"], row["easy"], row["easy_share"]) == (5, 3, 60.0)
    assert (row["easy_low"], row["easy_high"]) == pytest.approx(_wilson(3, 5))
    sd = math.sqrt(14.8 / 4)
    half = T4 * sd / math.sqrt(5)
    assert row["mean"] == pytest.approx(4.8)
    assert row["mean_low"] == pytest.approx(4.8 - half)
    assert row["mean_high"] == 7.0  # 4.8 + 2.39 is past the top of 1-7


def test_groups_by_journey_scope_attribute_and_period(scored: Workspace) -> None:
    by_type = _rows(scored, "nps", by="journey_type")
    assert {k: v["responses"] for k, v in by_type.items()} == {
        "fault": 10,
        "billing": 4,
        "(none)": 1,
    }
    by_scope = _rows(scored, "nps", by="scope")
    assert {k: v["responses"] for k, v in by_scope.items()} == {"journey": 14, "relationship": 1}
    only = _rows(scored, "nps", scope="relationship")
    assert only["all"]["responses"] == 1
    entry = _rows(scored, "nps", by="journey:entry_channel")
    assert {k: v["responses"] for k, v in entry.items()} == {"phone": 10, "web": 4, "(none)": 1}
    segment = _rows(scored, "nps", by="attribute:segment", journey_type="fault")
    assert {k: v["nps"] for k, v in segment.items()} == {"home": 20.0}
    trend = scored.scores("nps", period="month").table.to_pylist()
    assert [(r["period"], r["responses"]) for r in trend] == [("2025-03", 14), ("2025-04", 1)]


def test_figure_draws_the_interval(scored: Workspace) -> None:
    result = scored.scores("nps", by="channel")
    bars = result.figure().data[0]
    frame = result.to_frame()
    assert list(bars.x) == list(frame.segment)
    assert list(bars.error_y.array) == pytest.approx(list(frame.nps_high - frame.nps))
    lines = scored.scores("csat", by="channel", period="month").figure().data
    assert {trace.name for trace in lines} == {"phone", "chat"}


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"kind": "stars"}, "kind 'stars' is not one of nps, csat, ces"),
        ({"scope": "page"}, "scope 'page' is not one of touchpoint"),
        ({"period": "day"}, "period 'day' is not one of week, month"),
        ({"by": "colour"}, "unknown feedback segment 'colour'"),
        ({"by": "journey:colour"}, "unknown segment 'colour'"),
        ({"confidence": 95}, "confidence 95 must be in [0.5, 1)"),
    ],
)
def test_bad_queries_say_what_to_do(options: dict[str, Any], words: str) -> None:
    with pytest.raises(ValueError) as error:
        ScoresQuery(**options)
    assert words in str(error.value)


def test_feedback_segments_parse() -> None:
    assert parse_feedback_segment("journey:attribute:segment").name == "attribute:segment"
    assert parse_feedback_segment("journey:channel").overlapping
    assert parse_feedback_segment("period:month").by == "period:month"


# -- the demo world ---------------------------------------------------------------------------


def test_demo_nps_matches_a_hand_count(demo_ws: Workspace) -> None:
    feedback = demo_ws.feedback().to_pandas()
    links = demo_ws.feedback_links().to_pandas()
    answers = feedback[feedback.kind == "nps"].merge(links, on="feedback_id")
    answers = answers[answers.scope == "journey"]
    result = _rows(demo_ws, "nps", by="journey_type", scope="journey")
    for journey_type, group in answers.groupby(answers.journey_type.fillna("(none)")):
        n = len(group)
        pro, det = (group.score >= 9).mean(), (group.score <= 6).mean()
        row = result[str(journey_type)]
        assert row["responses"] == n
        assert row["nps"] == pytest.approx(100 * (pro - det))
        se = 100 * math.sqrt((pro + det - (pro - det) ** 2) / n)
        assert row["nps_low"] == pytest.approx(max(-100.0, 100 * (pro - det) - Z95 * se))


def test_demo_app_renewals_are_the_easiest(demo_ws: Workspace) -> None:
    """Planted truth 3: renewing in the app gives the best CES, clear of the others."""
    rows = _rows(demo_ws, "ces", by="journey:entry_channel", journey_type="renewal")
    others = [r for k, r in rows.items() if k not in ("app", "(none)") and r["responses"] >= 30]
    assert others
    assert all(rows["app"]["mean_low"] > r["mean_high"] for r in others)


# -- the command line -------------------------------------------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "journeylens", "voc", "scores", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_cli_scores_json_and_csv(tmp_path: Path) -> None:
    ws = journeylens.init(tmp_path / "ws")
    ws.ingest(write_text(tmp_path / "events.csv", EVENTS))
    ws.ingest(write_text(tmp_path / "feedback.csv", _feedback_csv()), kind="feedback")
    ws.build()
    ws.close()
    where = ["-w", str(tmp_path / "ws")]
    result = _cli("--kind", "nps", "--by", "journey_type", "--scope", "journey", *where, "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    groups = {g["segment"]: g for g in data["groups"]}
    assert (data["kind"], groups["fault"]["nps"], groups["billing"]["nps"]) == ("nps", 20.0, 25.0)
    out = tmp_path / "csat.csv"
    assert _cli("--kind", "csat", "--by", "channel", *where, "--csv", str(out)).returncode == 0
    assert pd.read_csv(out).set_index("segment").loc["phone", "csat"] == 62.5
    bad = _cli("--kind", "nps", "--by", "colour", *where)
    assert bad.returncode == 2 and "unknown feedback segment 'colour'" in bad.stderr
