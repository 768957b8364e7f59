"""Scopes (the dashboard's filters as a library) and drill-down lists, on a hand-made log whose
answers are known: four customers, four journeys of two types on four channels."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest

import journeylens
from journeylens.analytics.drilldown import (
    breakdown_keys,
    edge_pattern,
    hotspot_keys,
    journey_list,
    linked_feedback,
    variant_pattern,
)
from journeylens.analytics.scope import Scope, scope_counts, segment_options
from journeylens.workspace import Workspace

from .conftest import write_text

LOG = """customer_id,ts,channel,activity,topic,segment
C1,2025-03-03T10:00:00Z,web,fault_reported,fault,gold
C1,2025-03-03T11:00:00Z,phone,fault_call,fault,gold
C1,2025-03-04T09:00:00Z,email,fault_closed,fault,gold
C2,2025-03-10T08:00:00Z,phone,fault_reported,fault,silver
C2,2025-03-10T09:00:00Z,phone,fault_closed,fault,silver
C3,2025-04-01T12:00:00Z,web,bill_viewed,billing,gold
C3,2025-04-01T12:05:00Z,web,bill_paid,billing,gold
C4,2025-03-31T18:00:00Z,app,bill_viewed,billing,silver
C4,2025-03-31T18:02:00Z,app,payment_error,billing,silver
C4,2025-03-31T19:00:00Z,phone,billing_question,billing,silver
C4,2025-03-31T19:30:00Z,app,bill_paid,billing,silver
"""

JOURNEYS = {
    "definitions": [
        {"name": "fault", "topics": ["fault"], "start_activities": ["fault_reported"],
         "end_activities": ["fault_closed"], "success": {"activities": ["fault_closed"]}},
        {"name": "billing", "topics": ["billing"], "start_activities": ["bill_viewed"],
         "end_activities": ["bill_paid"], "success": {"activities": ["bill_paid"]}},
    ]
}  # fmt: skip


@pytest.fixture
def small(tmp_path: Path) -> Workspace:
    ws = journeylens.init(tmp_path / "ws", config={"journeys": JOURNEYS})
    ws.ingest(write_text(tmp_path / "log.csv", LOG))
    ws.build()
    return ws


def customers(backend_or_rows: object) -> list[str]:
    rows = backend_or_rows if isinstance(backend_or_rows, list) else []
    return sorted(r["customer_key"].split(":")[1] for r in rows)


def in_scope(ws: Workspace, **filters: object) -> list[str]:
    keys = ws.backend.to_arrow(Scope(**filters).journeys(ws.backend).select("customer_key"))
    return sorted(k.split(":")[1] for k in keys.column("customer_key").to_pylist())


def test_each_filter_keeps_the_right_journeys(small: Workspace) -> None:
    assert in_scope(small) == ["C1", "C2", "C3", "C4"]
    assert in_scope(small, journey_type="fault") == ["C1", "C2"]
    assert in_scope(small, channel="phone") == ["C1", "C2", "C4"]
    # both ends of the period are whole days, included
    assert in_scope(small, start=date(2025, 3, 10), end=date(2025, 3, 31)) == ["C2", "C4"]
    assert in_scope(small, segment="attribute:segment=gold") == ["C1", "C3"]
    assert in_scope(small, channel="phone", segment="attribute:segment=silver") == ["C2", "C4"]
    assert in_scope(small, segment="entry_channel=app") == ["C4"]


def test_counts_of_a_scope(small: Workspace) -> None:
    everything = scope_counts(small.backend)
    assert (everything["journeys"], everything["customers"], everything["events"]) == (4, 4, 11)
    assert everything["success_rate"] == 1.0
    phone = scope_counts(Scope(channel="phone").backend(small.backend))
    assert (phone["journeys"], phone["customers"], phone["events"]) == (3, 3, 9)
    # a journey that used the phone brings all its steps, on every channel
    assert {r["channel"]: r["events"] for r in phone["by_channel"]} == {
        "phone": 4, "app": 3, "web": 1, "email": 1
    }  # fmt: skip
    assert [(r["journey_type"], r["journeys"]) for r in phone["by_type"]] == [
        ("fault", 2), ("billing", 1)
    ]  # fmt: skip


def test_analyses_run_within_a_scope(small: Workspace) -> None:
    view = small.within(channel="phone", journey_type="billing")
    assert view.variants().to_frame()["path"].map(list).tolist() == [
        ["bill_viewed", "payment_error", "billing_question", "bill_paid"]
    ]
    assert len(small.within(start=date(2025, 4, 1)).journeys()) == 1
    with pytest.raises(PermissionError):
        view.backend.append("journeys", pa.table({"journey_key": ["x"]}))


def test_segment_options_list_groups_with_sizes(small: Workspace) -> None:
    found = segment_options(small.backend)
    assert found["attribute:segment"] == [("gold", 2), ("silver", 2)]
    assert found["entry_channel"] == [("web", 2), ("app", 1), ("phone", 1)]
    assert found["status"] == [("completed", 4)]
    assert "attribute:colour" not in segment_options(small.backend, ["attribute:colour"])


def test_bad_scopes_say_how_to_fix_them() -> None:
    with pytest.raises(ValueError, match="must be written <by>=<value>"):
        Scope(segment="gold")
    with pytest.raises(ValueError, match="swap the dates"):
        Scope(start=date(2025, 2, 1), end=date(2025, 1, 1))


def test_journey_list_pages_latest_first(small: Workspace) -> None:
    first = journey_list(small.backend, limit=2)
    assert first.total == 4 and first.more
    assert customers(first.rows) == ["C3", "C4"]  # started 1 April and 31 March
    second = journey_list(small.backend, limit=2, offset=2)
    assert customers(second.rows) == ["C1", "C2"] and not second.more
    with pytest.raises(ValueError, match="limit must be at least 1"):
        journey_list(small.backend, limit=0)


def test_drill_downs_find_the_journeys_behind_an_aggregate(small: Workspace) -> None:
    variant = small.paths(variant_pattern(["fault_reported", "fault_closed"]))
    keys = pa.Table.from_pandas(variant.journeys(), preserve_index=False)
    assert customers(journey_list(small.backend, keys=keys).rows) == ["C2"]
    edge = small.paths(edge_pattern("payment_error", "billing_question"))
    assert edge.count == 1
    found = small.breakdowns()
    keys_expr = breakdown_keys(found.breakdowns.expr, "failure", "payment_error")
    assert customers(journey_list(small.backend, keys=keys_expr).rows) == ["C4"]
    assert linked_feedback(small.backend, journey_key="anything") == []  # no feedback
    with pytest.raises(ValueError, match="exactly one"):
        linked_feedback(small.backend)


def test_hotspot_keys_read_the_deviations() -> None:
    journeys = pa.table(
        {
            "journey_key": ["j1", "j2", "j3"],
            "deviations": [
                [
                    "Request: skipped form_submitted@web|app",
                    "Confirm: off-path x@phone (not in map)",
                ],
                ["Confirm: off-path x@phone (wrong channel)"],
                ["Request: skipped form_submitted@web"],
            ],
        }
    )
    skipped = hotspot_keys(journeys, "Request", "skipped", "form_submitted@web|app")
    assert skipped.column("journey_key").to_pylist() == ["j1"]
    off = hotspot_keys(journeys, "Confirm", "off_path", "x@phone")
    assert off.column("journey_key").to_pylist() == ["j1", "j2"]
