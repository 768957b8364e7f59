"""Replay: the rules over history find the planted moments of the demo world; the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

import journeylens
from journeylens.analytics.journey_maps import load_journey_maps
from journeylens.realtime.rules.loader import load_rules, workspace_context
from journeylens.realtime.rules.replay import Replay, replay
from journeylens.realtime.rules.ruleset import RuleSet
from journeylens.workspace import Workspace


def demo_rules(ws: Workspace) -> RuleSet:
    """The packaged demo rules, checked against the demo workspace and its maps."""
    maps = load_journey_maps(ws.root / "demo-data" / "journey_maps.yaml")
    context = workspace_context(ws.root, ws.config, maps)
    with resources.as_file(resources.files("journeylens.demo").joinpath("rules.yaml")) as path:
        return load_rules(path, context)


@pytest.fixture(scope="module")
def demo_replay(demo_ws: Workspace) -> Replay:
    maps = load_journey_maps(demo_ws.root / "demo-data" / "journey_maps.yaml")
    return replay(demo_ws, demo_rules(demo_ws), maps=maps)


def _moments(result: Replay, rule: str) -> list[dict[str, Any]]:
    return [m for m in result.moments.to_pylist() if m["rule"] == rule]


def _events(ws: Workspace) -> dict[str, dict[str, Any]]:
    table = ws.backend.table("journey_steps")
    rows = ws.backend.to_arrow(table).to_pylist()
    return {r["event_id"]: r for r in rows}


def test_replay_finds_the_broken_form_calls(demo_ws: Workspace, demo_replay: Replay) -> None:
    truth = pq.read_table(demo_ws.root / "demo-data" / "truth" / "journeys.parquet").to_pylist()
    events = _events(demo_ws)
    errors, called = set(), set()
    by_journey: dict[str, list[str]] = defaultdict(list)
    for row in truth:
        if row["broken_form"]:
            by_journey[row["true_journey"]].append(row["event_id"])
    for ids in by_journey.values():
        error = [i for i in ids if events[i]["activity"] == "move_form_error"]
        if error and any(events[i]["channel"] == "phone" for i in ids):
            called.add(error[0])
        errors.update(error)
    moments = _moments(demo_replay, "move-form-error-then-call")
    fired = {m["event_ids"][0] for m in moments}
    assert fired <= errors  # every firing starts at a planted form error
    assert len(fired & called) >= 0.85 * len(called)  # and finds most broken-form calls
    assert all(events[m["event_ids"][1]]["channel"] == "phone" for m in moments)
    for m in moments:
        first, second = (events[i]["ts"] for i in m["event_ids"])
        assert timedelta(0) < second - first <= timedelta(days=3)


def test_replay_counts_detractors_exactly(demo_ws: Workspace, demo_replay: Replay) -> None:
    feedback = demo_ws.backend.table("feedback")
    expected = (
        demo_ws.backend.to_arrow(
            feedback.filter(
                (feedback.kind == "nps")
                & (feedback.score <= 6)
                & (feedback.attributes.contains('"survey": "journey"'))
            ).select("feedback_id")
        )
        .column(0)
        .to_pylist()
    )
    moments = _moments(demo_replay, "detractor-journey-nps")
    assert sorted(m["event_ids"][0] for m in moments) == sorted(expected)


def test_replay_double_charges_and_cooldown(demo_ws: Workspace, demo_replay: Replay) -> None:
    events = demo_ws.backend.table("events")
    matching = demo_ws.backend.to_arrow(
        events.filter(
            events.activity.isin(["billing_call", "billing_question", "billing_chat"])
            & events.attributes.contains('"reason": "double_charge"')
        ).select("event_id")
    ).num_rows
    row = next(r for r in demo_replay.counts() if r["rule"] == "double-charge-contact")
    assert row["moments"] + row["suppressed"] == matching
    assert row["suppressed"] > 0  # the 3-day cooldown held some back
    moments = _moments(demo_replay, "double-charge-contact")
    last: dict[str, Any] = {}
    for m in moments:
        if m["customer_key"] in last:
            assert m["ts"] - last[m["customer_key"]] >= timedelta(days=3)
        last[m["customer_key"]] = m["ts"]


def test_replay_third_contacts_are_three_assisted_contacts_on_one_topic(
    demo_ws: Workspace, demo_replay: Replay
) -> None:
    events = _events(demo_ws)
    moments = _moments(demo_replay, "third-contact-same-topic")
    assert len(moments) > 50
    for m in moments:
        rows = [events[i] for i in m["event_ids"]]
        assert len(rows) == 3 and all(r["assisted"] for r in rows)
        assert len({r["topic"] for r in rows}) == 1 and rows[0]["topic"] is not None
        assert len({r["customer_key"] for r in rows}) == 1 == len({m["customer_key"]})
        assert rows[-1]["ts"] - rows[0]["ts"] <= timedelta(days=7)


def test_replay_journey_keys_are_the_built_ones(demo_ws: Workspace, demo_replay: Replay) -> None:
    events = _events(demo_ws)
    checked = 0
    for m in demo_replay.moments.to_pylist():
        last = events.get(m["event_ids"][-1])
        if last is not None and m["rule"] != "journey-over-sla":
            assert m["journey_key"] == last["journey_key"], m
            checked += 1
    assert checked > 500


def test_replay_overdue_and_absence_fire_at_their_deadlines(
    demo_ws: Workspace, demo_replay: Replay
) -> None:
    journeys = {r["journey_key"]: r for r in demo_ws.journeys().to_arrow().to_pylist()}
    sla = {"moving": 14, "fault": 2, "onboarding": 10}
    overdue = _moments(demo_replay, "journey-over-sla")
    assert overdue
    for m in overdue:
        journey = journeys[m["journey_key"]]
        assert m["ts"] == journey["start_ts"].replace(tzinfo=m["ts"].tzinfo) + timedelta(
            days=sla[journey["journey_type"]]
        )
        # not completed by the deadline (an end activity after it, or never)
        assert journey["status"] != "completed" or journey["end_ts"] > m["ts"].replace(tzinfo=None)


def test_replay_result_tables_and_figure(demo_replay: Replay) -> None:
    counts = {r["rule"]: r for r in demo_replay.counts()}
    assert sum(r["moments"] for r in counts.values()) == demo_replay.moments.num_rows
    assert sum(demo_replay.weekly.column("moments").to_pylist()) == demo_replay.moments.num_rows
    assert all(counts[name]["moments"] > 0 for name in counts), counts
    frame = demo_replay.to_frame()
    assert list(frame.columns)[:3] == ["moment_id", "rule", "customer_key"]
    assert frame["moment_id"].is_unique
    figure = demo_replay.figure()
    assert {trace.name for trace in figure.data} == set(counts)


# -- the command line -----------------------------------------------------------------------

RULES = """\
settings: {clock: event}
rules:
  - name: two-calls
    count: {where: {channel: phone}, at_least: 2, within: 1d}
  - name: error-then-call
    sequence:
      steps: [{activity: form_error}, {channel: phone}]
      within: 2h
  - name: unhappy
    feedback: {kind: csat, score: {lte: 2}}
"""

EVENTS = """\
event_id,customer_id,email,ts,channel,activity
ev-1,C1,,2025-02-03T09:00:00Z,web,form_error
ev-2,C1,,2025-02-03T10:00:00Z,phone,call
ev-3,C1,,2025-02-03T15:00:00Z,phone,call
ev-4,,bo@x.org,2025-02-04T09:00:00Z,phone,call
ev-5,C2,bo@x.org,2025-02-04T20:00:00Z,phone,call
"""

FEEDBACK = """\
feedback_id,email,ts,kind,score
fb-1,bo@x.org,2025-02-06T12:00:00Z,csat,1
fb-2,bo@x.org,2025-02-06T13:00:00Z,csat,4
"""


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "journeylens", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_cli_check_list_and_replay(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    ws = journeylens.init(root)
    (tmp_path / "events.csv").write_text(EVENTS, encoding="utf-8")
    (tmp_path / "feedback.csv").write_text(FEEDBACK, encoding="utf-8")
    ws.ingest(tmp_path / "events.csv")
    ws.ingest(tmp_path / "feedback.csv", kind="feedback")
    ws.build()
    ws.close()
    (root / "rules.yaml").write_text(RULES, encoding="utf-8")

    checked = run("rules", "check", "-w", str(root), "--json")
    assert checked.returncode == 0, checked.stderr
    assert json.loads(checked.stdout)["rules"] == 3

    listed = json.loads(run("rules", "list", "-w", str(root), "--json").stdout)
    assert [r["kind"] for r in listed["rules"]] == ["count", "sequence", "feedback"]

    replayed = run("rules", "replay", "-w", str(root), "--json")
    assert replayed.returncode == 0, replayed.stderr
    data = json.loads(replayed.stdout)
    assert (data["events"], data["feedback"]) == (5, 2)
    assert [(m["rule"], m["customer_key"], m["event_ids"]) for m in data["moments"]] == [
        ("error-then-call", "customer_id:C1", ["ev-1", "ev-2"]),
        ("two-calls", "customer_id:C1", ["ev-2", "ev-3"]),
        ("two-calls", "customer_id:C2", ["ev-4", "ev-5"]),
        ("unhappy", "customer_id:C2", ["fb-1"]),
    ]
    fresh = json.loads(
        run(
            "rules",
            "replay",
            "-w",
            str(root),
            "--json",
            "--identity",
            "fresh",
            "--rule",
            "two-calls",
        ).stdout
    )
    # stitched as records come: bo@x.org is linked to C2 only by the last call
    assert [(m["customer_key"], m["event_ids"]) for m in fresh["moments"]] == [
        ("customer_id:C1", ["ev-2", "ev-3"]),
        ("customer_id:C2", ["ev-4", "ev-5"]),
    ]

    bad = tmp_path / "bad.yaml"
    bad.write_text(RULES.replace("within: 2h", "within: two hours"), encoding="utf-8")
    failed = run("rules", "check", "-w", str(root), "--file", str(bad), "--json")
    assert failed.returncode == 2
    (problem,) = json.loads(failed.stdout)["problems"]
    assert (problem["line"], problem["rule"], problem["field"]) == (
        8,
        "error-then-call",
        "sequence.within",
    )
    missing = run("rules", "replay", "-w", str(root), "--rule", "nope")
    assert missing.returncode == 2 and "no rule 'nope'" in missing.stderr
