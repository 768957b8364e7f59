"""Funnels: exact answers on hand-made logs, the demo world's planted truth, Spark, the CLI."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import journeylens
from journeylens.analytics.funnels import Exclusion, Funnel, FunnelQuery
from journeylens.demo.truths import TRUTHS
from journeylens.workspace import Workspace

from .conftest import write_text

BASE = datetime(2025, 1, 1, 10, 0, tzinfo=UTC)
MINUTE, HOUR, DAY = 60, 3600, 86400

#: (journey, customer, seconds after BASE, activity[, channel[, topic]])
Row = tuple[Any, ...]


def _csv(path: Path, rows: list[Row]) -> Path:
    lines = ["journey_key,customer_id,ts,activity,channel,topic"]
    for row in rows:
        journey, customer, offset, activity, *rest = row
        channel = rest[0] if rest else "web"
        topic = rest[1] if len(rest) > 1 else ""
        ts = (BASE + timedelta(seconds=offset)).strftime("%Y-%m-%dT%H:%M:%SZ")
        lines.append(f"{journey},{customer},{ts},{activity},{channel},{topic}")
    return write_text(path, "\n".join(lines) + "\n")


def _build(ws: Workspace, rows: list[Row]) -> Workspace:
    report = ws.ingest(_csv(ws.root / "log.csv", rows))
    assert report.accepted == len(rows)
    ws.build()
    return ws


def _counts(result: Funnel) -> list[int]:
    return result.steps.column("converted").to_pylist()


def _drops(result: Funnel) -> set[tuple[int, str, int]]:
    return {(r["after_step"], r["next_label"], r["units"]) for r in result.dropouts.to_pylist()}


#: J1 goes a b c; J2 a x b (an event between); J3 a z; J4 b a (wrong order).
ABC = [
    ("J1", "C1", 0, "a"),
    ("J1", "C1", 60, "b"),
    ("J1", "C1", 180, "c"),
    ("J2", "C2", 0, "a"),
    ("J2", "C2", 60, "x"),
    ("J2", "C2", 300, "b"),
    ("J3", "C3", 0, "a"),
    ("J3", "C3", 120, "z"),
    ("J4", "C4", 0, "b"),
    ("J4", "C4", 60, "a"),
]


def test_ordered_counts_rates_times_and_dropouts(ws: Workspace) -> None:
    result = _build(ws, ABC).funnel(steps=["a", "b", "c"], keys=True)
    frame = result.to_frame()
    assert frame["entered"].tolist() == [4, 4, 2]
    assert frame["converted"].tolist() == [4, 2, 1]
    assert frame["dropped"].tolist() == [0, 2, 1]
    assert frame["conversion"].tolist() == [1.0, 0.5, 0.5]
    assert frame["from_start"].tolist() == [1.0, 0.5, 0.25]
    assert frame["drop_rate"].tolist() == [0.0, 0.5, 0.5]
    # b after a: J1 60 s, J2 300 s (median 180, p90 60 + 0.9 * 240); c after b: J1 120 s.
    assert frame["median_seconds_to_convert"].tolist()[1:] == [180.0, 120.0]
    assert frame["p90_seconds_to_convert"].tolist()[1:] == [276.0, 120.0]
    assert frame["median_seconds_from_start"].tolist()[1:] == [180.0, 180.0]
    assert math.isnan(frame["median_seconds_to_convert"][0])
    # J3 did z after a; J4's a was its last event; J2's b was its last event.
    assert _drops(result) == {(1, "z", 1), (1, "■ end", 1), (2, "■ end", 1)}
    assert result.dropped_keys(1) == ["J3", "J4"] and result.dropped_keys(2) == ["J2"]
    assert result.dropouts.column("after_label").to_pylist() == ["a", "a", "b"]
    assert sorted(result.dropouts.column("share").to_pylist()) == [0.5, 0.5, 1.0]


def test_strict_needs_each_step_right_after_the_previous(ws: Workspace) -> None:
    result = _build(ws, ABC).funnel(steps=["a", "b", "c"], order="strict")
    assert _counts(result) == [4, 1, 1]  # J2 has x between a and b
    assert _drops(result) == {(1, "x", 1), (1, "z", 1), (1, "■ end", 1)}
    rows = [
        ("K1", "C1", 0, "a"),
        ("K1", "C1", 10, "x"),
        ("K1", "C1", 20, "a"),
        ("K1", "C1", 30, "b"),  # a later attempt is strict
    ]
    ws2 = journeylens.init(ws.root.parent / "ws2")
    assert _counts(_build(ws2, rows).funnel(steps=["a", "b"], order="strict")) == [1, 1]
    ws2.close()


def test_unordered_counts_steps_done_in_any_order(ws: Workspace) -> None:
    result = _build(ws, ABC).funnel(steps=["a", "b", "c"], order="unordered")
    assert _counts(result) == [4, 3, 1]  # J4 did b before a
    frame = result.to_frame()
    # Time from having done {a} to having done {a, b}: J1 60, J2 300, J4 0 (b came first).
    assert frame["median_seconds_to_convert"][1] == 60.0
    assert _drops(result) == {(1, "z", 1), (2, "■ end", 2)}


def test_unordered_window_and_exclusion(ws: Workspace) -> None:
    rows = [
        ("J1", "C1", 0, "b"),
        ("J1", "C1", 3 * HOUR, "a"),  # 3 h apart: outside a 2 h window
        ("J2", "C2", 0, "a"),
        ("J2", "C2", 60, "x"),
        ("J2", "C2", 120, "b"),  # x between a and b
        ("J3", "C3", 0, "b"),
        ("J3", "C3", 60, "a"),
    ]
    _build(ws, rows)
    assert _counts(ws.funnel(steps=["a", "b"], order="unordered")) == [3, 3]
    assert _counts(ws.funnel(steps=["a", "b"], order="unordered", window="2h")) == [3, 2]
    assert _counts(ws.funnel(steps=["a", "b"], order="unordered", exclude=["x"])) == [3, 2]


def test_overall_window_uses_the_attempt_that_gets_furthest(ws: Workspace) -> None:
    rows = [
        # An early a (too early for the window), then a fresh a that converts in time.
        ("J1", "C1", 0, "a"),
        ("J1", "C1", 20 * DAY, "a"),
        ("J1", "C1", 21 * DAY, "b"),
        # b fifteen days after a: outside 14 days.
        ("J2", "C2", 0, "a"),
        ("J2", "C2", 15 * DAY, "b"),
        # Exactly 14 days: the window is inclusive.
        ("J3", "C3", 0, "a"),
        ("J3", "C3", 14 * DAY, "b"),
    ]
    _build(ws, rows)
    result = ws.funnel(steps=["a", "b"], window="14d", keys=True)
    assert _counts(result) == [3, 2]
    assert result.dropped_keys(1) == ["J2"]
    # J1 is timed from its second a (1 day), J3 from its a (14 days).
    assert result.to_frame()["median_seconds_from_start"][1] == (1 + 14) / 2 * DAY
    assert _counts(ws.funnel(steps=["a", "b"])) == [3, 3]
    assert _counts(ws.funnel(steps=["a", "b"], window=14 * DAY - 1)) == [3, 1]


def test_step_window_picks_the_occurrence_that_fits(ws: Workspace) -> None:
    rows = [
        # Greedy a(0) b(1h) leaves 5 h to c; the later attempt a(4h) b(5h) c(6h) fits 2 h gaps.
        ("J1", "C1", 0, "a"),
        ("J1", "C1", 1 * HOUR, "b"),
        ("J1", "C1", 4 * HOUR, "a"),
        ("J1", "C1", 5 * HOUR, "b"),
        ("J1", "C1", 6 * HOUR, "c"),
        # b is 3 h after a: too late for a 2 h step window.
        ("J2", "C2", 0, "a"),
        ("J2", "C2", 3 * HOUR, "b"),
        ("J2", "C2", 4 * HOUR, "c"),
    ]
    _build(ws, rows)
    result = ws.funnel(steps=["a", "b", "c"], step_window="2h")
    assert _counts(result) == [2, 1, 1]
    frame = result.to_frame()
    # b first reached at 1 h (1 h after a); c 1 h after b(5h), 2 h after a(4h).
    assert frame["median_seconds_to_convert"].tolist()[1:] == [HOUR, HOUR]
    assert frame["median_seconds_from_start"].tolist()[1:] == [HOUR, 2 * HOUR]
    # One window per gap: no limit on a -> b, 30 minutes on b -> c.
    assert _counts(ws.funnel(steps=["a", "b", "c"], step_window=[None, "30m"])) == [2, 2, 0]
    assert _counts(ws.funnel(steps=["a", "b", "c"], step_window=[None, "1h"])) == [2, 2, 2]
    # An overall window of 90 minutes as well: c is 2 h after its a.
    assert _counts(ws.funnel(steps=["a", "b", "c"], step_window="2h", window="90m")) == [2, 1, 0]


def test_exclusions_break_the_attempt_between_the_given_steps(ws: Workspace) -> None:
    rows = [
        ("J1", "C1", 0, "a"),
        ("J1", "C1", 60, "b"),
        ("J1", "C1", 120, "x"),
        ("J1", "C1", 180, "c"),  # x between b and c
        ("J2", "C2", 0, "a"),
        ("J2", "C2", 60, "x"),
        ("J2", "C2", 120, "a"),
        ("J2", "C2", 180, "b"),
        ("J2", "C2", 240, "c"),  # x before a fresh attempt
        ("J3", "C3", 0, "a"),
        ("J3", "C3", 60, "x"),
        ("J3", "C3", 120, "b"),
        ("J3", "C3", 180, "c"),  # x between a and b
    ]
    _build(ws, rows)
    steps = ["a", "b", "c"]
    assert _counts(ws.funnel(steps=steps)) == [3, 3, 3]
    anywhere = ws.funnel(steps=steps, exclude=["x"], keys=True)
    assert _counts(anywhere) == [3, 2, 1]
    assert anywhere.dropped_keys(1) == ["J3"] and anywhere.dropped_keys(2) == ["J1"]
    assert _drops(anywhere) == {(1, "x", 1), (2, "x", 1)}
    assert _counts(ws.funnel(steps=steps, exclude=["x:1-2"])) == [3, 2, 2]
    assert _counts(ws.funnel(steps=steps, exclude=[("x", 2, 3)])) == [3, 3, 2]
    assert _counts(ws.funnel(steps=steps, exclude=[Exclusion("y|x", 2)])) == [3, 3, 2]
    # A step may repeat: the second a must be a later event than the first.
    assert _counts(ws.funnel(steps=["a", "a"])) == [3, 1]
    assert _counts(ws.funnel(steps=["a", "a"], order="unordered")) == [3, 3]


def test_ties_at_equal_timestamps_follow_the_step_column(ws: Workspace) -> None:
    rows = [
        ("J1", "C1", 0, "a"),
        ("J1", "C1", 0, "b"),  # same second, a first in the input: a then b
        ("J2", "C2", 0, "b"),
        ("J2", "C2", 0, "a"),  # b first: no a -> b
    ]
    _build(ws, rows)
    steps = ws.journey("J1").steps.to_pandas()
    assert steps["activity"].tolist() == ["a", "b"]
    assert _counts(ws.funnel(steps=["a", "b"])) == [2, 1]
    assert _counts(ws.funnel(steps=["a", "b"], order="strict")) == [2, 1]
    assert ws.funnel(steps=["a", "b"]).to_frame()["median_seconds_to_convert"][1] == 0.0


def test_per_customer_unit_spans_journeys(ws: Workspace) -> None:
    rows = [
        ("J1", "C1", 0, "a"),
        ("J2", "C1", DAY, "b"),  # C1's b lies in another journey
        ("J3", "C2", 0, "a"),
        ("J3", "C2", 60, "b"),
        ("J4", "C2", 2 * DAY, "a"),
        ("J5", "C3", 0, "b"),
        ("J6", "C3", DAY, "a"),
    ]
    _build(ws, rows)
    assert _counts(ws.funnel(steps=["a", "b"])) == [4, 1]
    by_customer = ws.funnel(steps=["a", "b"], unit="customer", keys=True)
    assert _counts(by_customer) == [3, 2]
    assert by_customer.dropped_keys(1) == [ws.customer_key("C3")]
    assert _drops(by_customer) == {(1, "■ end", 1)}
    assert _counts(ws.funnel(steps=["a", "b"], unit="customer", window="1h")) == [3, 1]
    assert _counts(ws.funnel(steps=["a", "b"], unit="customer", order="unordered")) == [3, 3]


def test_alternatives_labels_by_channel_and_top_next(ws: Workspace) -> None:
    rows = [
        ("J1", "C1", 0, "view", "app"),
        ("J1", "C1", 60, "buy", "app"),
        ("J2", "C2", 0, "page", "web"),
        ("J2", "C2", 60, "buy", "phone"),
        ("J3", "C3", 0, "view", "web"),
        ("J3", "C3", 60, "p", "web"),
        ("J4", "C4", 0, "view", "web"),
        ("J4", "C4", 60, "q", "web"),
        ("J5", "C5", 0, "view", "web"),
        ("J5", "C5", 60, "q", "web"),
    ]
    _build(ws, rows)
    assert _counts(ws.funnel(steps=["view|page", "buy"])) == [5, 2]
    result = ws.funnel(steps=["view@web|page@web", "buy@phone"], by="activity@channel")
    assert _counts(result) == [4, 1]
    assert _counts(ws.funnel(steps=["web", "phone"], by="channel")) == [4, 1]
    top = ws.funnel(steps=["view|page", "buy"], top_next=1)
    assert _drops(top) == {(1, "q", 2), (1, "(other)", 1)}


def test_breakdown_gives_one_funnel_per_group(ws: Workspace) -> None:
    rows = [
        ("J1", "C1", 0, "a", "web", "moving"),
        ("J1", "C1", 60, "b", "web", "moving"),
        ("J2", "C2", 0, "a", "web", "moving"),
        ("J3", "C3", 0, "a", "web", "billing"),
        ("J3", "C3", 60, "b", "web", "billing"),
        ("J4", "C4", 0, "a", "web", "billing"),
        ("J4", "C4", 60, "b", "web", "billing"),
        ("J5", "C5", 0, "a", "web", "billing"),
    ]
    _build(ws, rows)
    result = ws.funnel(steps=["a", "b"], breakdown="journey_type")
    got = {
        (r["group"], r["step"]): (r["entered"], r["converted"])
        for r in result.to_frame().to_dict("records")
    }
    assert got == {
        ("billing", 1): (3, 3),
        ("billing", 2): (3, 2),
        ("moving", 1): (2, 2),
        ("moving", 2): (2, 1),
    }
    assert result.steps.column("group").to_pylist()[0] == "billing"  # largest first
    assert {(r["group"], r["units"]) for r in result.dropouts.to_pylist()} == {
        ("billing", 1),
        ("moving", 1),
    }
    assert _counts(ws.funnel(steps=["a", "b"], journey_type="moving")) == [2, 1]
    figure = result.figure()
    assert [t.type for t in figure.data] == ["bar", "bar"]
    assert [t.name for t in figure.data] == ["billing", "moving"]
    single = ws.funnel(steps=["a", "b"]).figure()
    assert single.data[0].type == "funnel" and list(single.data[0].x) == [5, 3]


def test_nobody_enters(ws: Workspace) -> None:
    result = _build(ws, ABC).funnel(steps=["nothing", "a"])
    assert _counts(result) == [0, 0]
    assert result.to_frame()["conversion"].isna().all()
    assert result.dropouts.num_rows == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"steps": ["a"]}, "at least two steps"),
        ({"steps": "a b"}, "list of labels"),
        ({"steps": ["a", "b||c"]}, "empty label"),
        ({"steps": ["a", "b"], "order": "sideways"}, "unknown order"),
        ({"steps": ["a", "b"], "unit": "household"}, "unknown unit"),
        ({"steps": ["a", "b"], "by": "topic"}, "unknown label"),
        ({"steps": ["a", "b"], "window": "fortnight"}, "not a duration"),
        ({"steps": ["a", "b"], "window": 0}, "must be positive"),
        ({"steps": ["a", "b", "c"], "step_window": ["1h"]}, "one step window per gap"),
        ({"steps": ["a", "b"], "order": "unordered", "step_window": "1h"}, "need an order"),
        ({"steps": ["a", "b"], "exclude": ["x:2-3"]}, "1 <= from < to <= 2"),
        ({"steps": ["a", "b"], "order": "strict", "exclude": ["x"]}, "strict funnel"),
        ({"steps": ["a", "b", "c"], "order": "unordered", "exclude": ["x:1-2"]}, "unordered"),
        ({"steps": ["a", "b"], "order": "unordered", "exclude": ["b|x"]}, "also be a step"),
        ({"steps": ["a", "b"], "breakdown": "colour"}, "not a column of the journeys"),
        ({"steps": ["a", "b"], "top_next": 0}, "top_next"),
    ],
)
def test_query_says_what_is_wrong(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FunnelQuery(**kwargs)


def test_dropped_keys_need_keys(ws: Workspace) -> None:
    with pytest.raises(ValueError, match="keys=True"):
        _build(ws, ABC).funnel(steps=["a", "b"]).dropped_keys(1)


def test_scratch_tables_are_dropped(ws: Workspace) -> None:
    _build(ws, ABC)

    def tables() -> set[str]:
        rows = ws.backend.con.raw_sql("SELECT table_name FROM information_schema.tables")
        return {r[0] for r in rows.fetchall()}

    before = tables()
    ws.funnel(steps=["a", "b", "c"], exclude=["x"], keys=True)
    ws.funnel(steps=["a", "b"], order="unordered", exclude=["x"])
    assert tables() == before


# -- the demo world --------------------------------------------------------------------------


def _within(observed: float, expected: float, n: int, sds: float = 4.0) -> bool:
    return abs(observed - expected) <= sds * math.sqrt(expected * (1 - expected) / n)


def test_demo_broken_web_form_truth(demo_ws: Workspace) -> None:
    """Planted truth 1: 40 % of web movers hit the form error; none of them then submits on the
    web (they call, chat or give up), while every web mover without the error submits."""
    by = "activity@channel"
    started, error, submitted = (
        "move_form_started@web",
        "move_form_error@web",
        "move_form_submitted@web",
    )
    broken = demo_ws.funnel(steps=[started, error, submitted], by=by, journey_type="moving")
    frame = broken.to_frame()
    web_movers = int(frame["converted"][0])
    assert web_movers > 200
    assert _within(frame["conversion"][1], TRUTHS.broken_form_rate, web_movers)
    assert frame["converted"][2] == 0  # after the error, nobody submits the form on the web
    hit = int(frame["converted"][1])
    after_error = {
        r["next_label"]: r["units"] / hit
        for r in broken.dropouts.to_pylist()
        if r["after_step"] == 2
    }
    # The error is followed by a call (unless the call was not identified), a chat, or nothing.
    phone = after_error["move_form_help@phone"]
    low = TRUTHS.broken_form_call_share * TRUTHS.phone_identified_rate
    assert _within(phone, low, hit) or low <= phone <= TRUTHS.broken_form_call_share
    assert _within(after_error["move_form_help@chat"], TRUTHS.broken_form_chat_share, hit)
    give_up = 1 - TRUTHS.broken_form_call_share - TRUTHS.broken_form_chat_share
    assert after_error["■ end"] >= give_up - 4 * math.sqrt(give_up * (1 - give_up) / hit)

    clean = demo_ws.funnel(steps=[started, submitted], by=by, exclude=[error])
    rows = clean.to_frame().to_dict("records")
    # Those without the error all submit: conversion is exactly the share without the error,
    # and every drop-out is an error.
    assert rows[1]["converted"] == web_movers - hit
    assert _drops(clean) == {(1, error, hit)}
    assert _within(rows[1]["conversion"], 1 - TRUTHS.broken_form_rate, web_movers)


def test_demo_customer_funnel_by_journey_type(demo_ws: Workspace) -> None:
    result = demo_ws.funnel(
        steps=["move_form_started|move_requested", "move_confirmation_sent", "move_completed"],
        unit="customer",
        breakdown="journey_type",
        window="60d",
    )
    frame = result.to_frame()
    assert set(frame["group"]) == {"moving"}
    assert frame["converted"].is_monotonic_decreasing
    # Most movers complete (the broken form's give-ups are the main loss), within the SLA-ish.
    assert frame["from_start"].iloc[-1] > 0.8
    assert frame["median_seconds_from_start"].iloc[-1] < 30 * DAY


# -- Spark and the command line ----------------------------------------------------------------


def _comparable(result: Funnel) -> tuple[pd.DataFrame, pd.DataFrame]:
    steps = result.to_frame()
    drops = result.dropouts.to_pandas().sort_values(list(result.dropouts.column_names[:3]))
    return steps.reset_index(drop=True), drops.reset_index(drop=True)


@pytest.mark.spark
def test_same_funnels_on_spark(tmp_path: Path, spark_session: Any) -> None:
    rows = [
        *ABC,
        ("J5", "C1", DAY, "a"),
        ("J5", "C1", DAY + 30, "x"),
        ("J5", "C1", DAY + 90, "b"),
        ("J6", "C5", 0, "a"),
        ("J6", "C5", 2 * HOUR, "b"),
        ("J6", "C5", 2 * HOUR + 1, "c"),
    ]
    csv = _csv(tmp_path / "log.csv", rows)
    queries: list[dict[str, Any]] = [
        {"steps": ["a", "b", "c"]},
        {"steps": ["a", "b", "c"], "order": "strict"},
        {"steps": ["a", "b", "c"], "order": "unordered", "window": "1h"},
        {"steps": ["a", "b|c"], "exclude": ["x"], "step_window": "1h", "unit": "customer"},
        {"steps": ["a", "b"], "breakdown": "customer_key", "window": "3h"},
    ]
    results: list[list[tuple[pd.DataFrame, pd.DataFrame]]] = []
    for engine, options in (("duckdb", {}), ("spark", {"session": spark_session})):
        ws = journeylens.init(tmp_path / engine, engine=engine, **options)
        ws.ingest(csv)
        ws.build()
        results.append([_comparable(ws.funnel(**q)) for q in queries])
        ws.close()
    for (duck_steps, duck_drops), (spark_steps, spark_drops) in zip(*results, strict=True):
        pd.testing.assert_frame_equal(duck_steps, spark_steps, check_dtype=False)
        pd.testing.assert_frame_equal(duck_drops, spark_drops, check_dtype=False)


def test_cli_funnel(tmp_path: Path) -> None:
    ws = journeylens.init(tmp_path / "ws")
    _build(ws, ABC)
    ws.close()
    command = [
        sys.executable,
        "-m",
        "journeylens",
        "funnel",
        "a",
        "b|c",
        "-w",
        str(tmp_path / "ws"),
    ]
    done = subprocess.run(
        [*command, "--exclude", "x", "--keys", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert [s["converted"] for s in data["steps"]] == [4, 1]
    assert {(u["unit"], u["next_label"]) for u in data["dropped_units"]} == {
        ("J2", "x"),
        ("J3", "z"),
        ("J4", "■ end"),
    }
    shown = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert shown.returncode == 0 and "funnel of journeys" in shown.stdout
    bad = subprocess.run(
        [*command, "--window", "soon"], capture_output=True, text=True, timeout=300
    )
    assert bad.returncode == 2 and "not a duration" in bad.stderr
