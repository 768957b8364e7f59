"""Cutting journeys: source keys, definitions, inactivity gaps; and their measures."""

from __future__ import annotations

from pathlib import Path

import pytest

import journeylens
from journeylens.workspace import Workspace

CONFIG = {
    "journeys": {
        "gap": "2d",
        "definitions": [
            {
                "name": "moving",
                "topics": ["moving"],
                "start_activities": ["move_form_start"],
                "end_activities": ["move_completed"],
                "timeout": "10d",
                "success": {"activities": ["move_completed"]},
            },
            {
                "name": "fault",
                "topics": ["fault"],
                "start_activities": ["fault_report"],
                "end_activities": ["fault_fixed"],
                "timeout": "5d",
            },
        ],
    }
}

HEADER = "customer_id,cookie_id,ts,channel,activity,topic,initiator,case_id\n"


@pytest.fixture
def cut(tmp_path: Path) -> Workspace:
    ws = journeylens.init(tmp_path / "ws", config=CONFIG)
    csv = tmp_path / "events.csv"
    rows = [
        # C1 moves: web form, fails, calls twice (same topic), completes -> one moving journey
        "C1,,2025-03-01T09:00:00Z,web,move_form_start,moving,customer,",
        "C1,,2025-03-01T09:05:00Z,web,move_form_error,moving,customer,",
        "C1,,2025-03-01T10:00:00Z,phone,move_request_call,moving,customer,",
        "C1,,2025-03-02T10:00:00Z,phone,move_followup_call,moving,customer,",
        "C1,,2025-03-05T10:00:00Z,email,move_completed,moving,company,",
        # C1 again moves a year later: after the end activity a new journey starts
        "C1,,2026-03-01T09:00:00Z,app,move_form_start,moving,customer,",
        # C1 browses without topic: a gap journey (other), split by the 2-day gap
        ",ck1,2025-03-10T09:00:00Z,web,browse,,customer,",
        "C1,ck1,2025-03-10T09:01:00Z,web,login,,customer,",
        "C1,,2025-03-20T09:00:00Z,web,browse,,customer,",
        # C2 fault never fixed, silent for longer than the 5-day timeout -> abandoned
        "C2,,2025-04-01T08:00:00Z,phone,fault_report,fault,customer,",
        "C2,,2025-04-01T08:00:00Z,chat,fault_chat,fault,customer,",
        # source journey key wins over everything
        "C3,,2025-05-01T08:00:00Z,store,move_form_start,moving,customer,K-77",
        "C3,,2025-05-02T08:00:00Z,store,visit,,customer,K-77",
    ]
    csv.write_text(HEADER + "\n".join(rows) + "\n")
    report = ws.ingest(csv, mapping={"journey_key": "case_id"})
    assert report.accepted == len(rows)
    ws.build()
    return ws


def _by_key(ws: Workspace) -> dict[str, dict[str, object]]:
    return {r["journey_key"]: r for r in ws.journeys().to_pylist()}


def test_definition_journeys_cut_by_end_activity_and_measured(cut: Workspace) -> None:
    journeys = _by_key(cut)
    first = journeys["customer_id:C1/moving/1"]
    assert first["journey_type"] == "moving"
    assert first["cut"] == "definition"
    assert first["steps"] == 5
    assert first["channels"] == 3
    assert first["handoffs"] == 2  # web -> phone, phone -> email
    assert first["assisted_contacts"] == 2  # two calls; the company's e-mail is not a contact
    assert first["repeat_contacts"] == 1  # the second call about the same topic
    assert first["status"] == "completed"
    assert first["success"] is True
    assert first["first_channel"] == "web" and first["last_channel"] == "email"
    assert first["duration_seconds"] == 4 * 86400 + 3600
    second = journeys["customer_id:C1/moving/2"]
    assert second["steps"] == 1
    assert second["status"] == "open"  # the latest event of the data: within the timeout


def test_gap_journeys_and_stitched_cookie(cut: Workspace) -> None:
    journeys = _by_key(cut)
    gap = [
        j for j in journeys.values() if j["cut"] == "gap" and j["customer_key"] == "customer_id:C1"
    ]
    assert sorted(j["steps"] for j in gap) == [1, 2]  # split by the 2-day gap
    assert all(j["journey_type"] == "other" for j in gap)


def test_abandoned_after_timeout_and_tie_rule(cut: Workspace) -> None:
    journey = _by_key(cut)["customer_id:C2/fault/1"]
    assert journey["status"] == "abandoned"
    assert journey["success"] is False
    steps = cut.journey("customer_id:C2/fault/1").steps.to_pandas()
    # Same timestamp: input order decides.
    assert steps["activity"].tolist() == ["fault_report", "fault_chat"]
    assert steps["step"].tolist() == [1, 2]
    assert steps["handoff"].tolist() == [False, True]


def test_source_key_takes_precedence(cut: Workspace) -> None:
    journey = _by_key(cut)["K-77"]
    assert journey["cut"] == "source"
    assert journey["steps"] == 2
    assert journey["customer_key"] == "customer_id:C3"


def test_every_event_in_exactly_one_journey(cut: Workspace) -> None:
    steps = cut.backend.to_pandas(cut.backend.table("journey_steps"))
    events = cut.events().to_pandas()
    assert sorted(steps["event_id"]) == sorted(events["event_id"])
    journeys = cut.journeys().to_pandas()
    assert journeys["steps"].sum() == len(events)


def test_rebuild_is_deterministic(cut: Workspace) -> None:
    before = cut.journeys().to_pandas()
    cut.build(full=True)
    after = cut.journeys().to_pandas()
    assert before.equals(after)


def test_each_step_carries_its_successor_in_the_same_journey(cut: Workspace) -> None:
    steps = cut.backend.to_pandas(cut.backend.table("journey_steps"))
    steps = steps.sort_values(["journey_key", "step"])
    following = steps.groupby("journey_key")
    expected_activity = following["activity"].shift(-1)
    expected_ts = following["ts"].shift(-1)
    assert steps["next_activity"].isna().sum() == steps["journey_key"].nunique()
    assert (steps["next_activity"].fillna("∅") == expected_activity.fillna("∅")).all()
    assert (steps["next_channel"].fillna("∅") == following["channel"].shift(-1).fillna("∅")).all()
    assert ((steps["next_ts"] == expected_ts) | expected_ts.isna()).all()
    # C1's gap journeys (split by the 2-day gap) lie in one stream: the split must not leak.
    gap = steps[steps["journey_key"].str.startswith("customer_id:C1/gap/")]
    last_steps = gap.groupby("journey_key")["step"].transform("max") == gap["step"]
    assert gap.loc[last_steps, "next_activity"].isna().all()
