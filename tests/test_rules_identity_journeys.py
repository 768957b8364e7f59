"""Live identity and journeys give what batch stitching and journey building give."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

import journeylens
from journeylens.journeys.segment import CUT_SOURCE
from journeylens.realtime.core import LiveCore
from journeylens.realtime.identity import IncrementalIdentity
from journeylens.realtime.journey_state import JourneyBook, JourneyState, JourneyTracker
from journeylens.realtime.rules.ruleset import RuleSet
from journeylens.realtime.rules.sources import history
from journeylens.store.schema import IDENTIFIER_FIELDS
from journeylens.workspace import Workspace


def _random_events(seed: int, n: int) -> list[dict[str, Any]]:
    rnd = random.Random(seed)
    pools = {
        "customer_id": [f"C{i}" for i in range(80)],
        "email": [f"u{i}@x.org" for i in range(100)],
        "phone": [f"+1555{i:04d}" for i in range(60)],
        "cookie_id": [f"ck{i}" for i in range(200)],
    }
    events = []
    for i in range(n):
        chosen = rnd.sample(sorted(pools), rnd.choice([1, 1, 1, 1, 2, 2, 3]))
        event: dict[str, Any] = {name: rnd.choice(pools[name]) for name in chosen}
        event["ts"] = f"2025-01-{1 + i // 100:02d}T{i % 24:02d}:{i % 60:02d}:00Z"
        event["channel"] = rnd.choice(["web", "phone", "chat"])
        event["activity"] = "touch"
        events.append(event)
    return events


def _ingest(ws: Workspace, events: list[dict[str, Any]], path: Path) -> None:
    columns = {name: [e.get(name) for e in events] for name in IDENTIFIER_FIELDS}
    for name in ("ts", "channel", "activity"):
        columns[name] = [e[name] for e in events]
    pq.write_table(pa.table(columns), path)
    ws.ingest(path)


def _batch_keys(ws: Workspace) -> dict[str, str]:
    rows = ws.backend.to_arrow(ws.backend.table("identity")).to_pylist()
    return {r["node"]: r["customer_key"] for r in rows}


def _ids(event: dict[str, Any]) -> dict[str, str]:
    return {k: v for k, v in event.items() if k in IDENTIFIER_FIELDS}


def test_incremental_keys_equal_batch_stitching(ws: Workspace, tmp_path: Path) -> None:
    events = _random_events(seed=3, n=400)
    _ingest(ws, events, tmp_path / "events.parquet")
    ws.build()
    expected = _batch_keys(ws)
    live = IncrementalIdentity()
    for event in reversed(events):  # the order does not matter to the final keys
        live.observe(_ids(event))
    assert live.nodes == len(expected)
    for node, key in expected.items():
        id_type, _, value = node[1:].partition(":")
        assert live.customer_key(f"{id_type}:{value}") == key
    assert len({live.customer_key(n[1:]) for n in expected}) > 20  # not one big blob


def test_seeded_identity_continues_like_an_incremental_build(ws: Workspace, tmp_path: Path) -> None:
    events = _random_events(seed=11, n=300)
    first, second = events[:150], events[150:]
    _ingest(ws, first, tmp_path / "first.parquet")
    ws.build()
    live = IncrementalIdentity.from_backend(ws.backend)
    merged_away = []
    for event in second:
        _, absorbed = live.observe(_ids(event))
        merged_away.extend(absorbed)
    _ingest(ws, second, tmp_path / "second.parquet")
    ws.build()
    expected = _batch_keys(ws)
    for node, key in expected.items():
        assert live.customer_key(node[1:]) == key
    assert merged_away  # the second half did link customers of the first
    assert len(live.identifiers(next(iter(expected.values())))) >= 1


def test_live_journeys_equal_built_journeys_on_the_demo_world(demo_ws: Workspace) -> None:
    """Every event lands in the batch journey at the batch step; every journey's measures
    (steps, channels, hand-offs, assisted and repeat contacts, duration) are the batch ones."""
    steps = demo_ws.backend.to_arrow(
        demo_ws.backend.table("journey_steps").select("event_id", "journey_key", "step", "handoff")
    ).to_pylist()
    expected_steps = {r["event_id"]: (r["journey_key"], r["step"], r["handoff"]) for r in steps}
    identity = IncrementalIdentity.from_backend(demo_ws.backend)
    tracker = JourneyTracker(demo_ws.config.journeys)
    books: dict[str, JourneyBook] = {}
    seen: dict[str, JourneyState] = {}
    wrong = []
    for event in history(demo_ws.backend, feedback=False):
        key, absorbed = identity.observe(event.identifiers, event.journey_key)
        assert absorbed == ()  # keys seeded from the build never merge again
        step = tracker.observe(books.setdefault(key, JourneyBook()), key, event)
        seen[step.journey.journey_key] = step.journey
        got = (step.journey.journey_key, step.step, step.handoff)
        if got != expected_steps[event.event_id]:
            wrong.append((event.event_id, got, expected_steps[event.event_id]))
    assert wrong == []
    journeys = demo_ws.journeys().to_arrow().to_pylist()
    assert len(journeys) == len(seen)
    measures = ("steps", "channels", "handoffs", "assisted_contacts", "repeat_contacts")
    for row in journeys:
        state = seen[row["journey_key"]]
        assert state.journey_type == row["journey_type"]
        assert [getattr(state, m) for m in measures] == [row[m] for m in measures]
        assert state.duration == row["duration_seconds"]


def test_a_live_core_continues_the_built_journeys(tmp_path: Path) -> None:
    ws = journeylens.init(
        tmp_path / "ws",
        config={
            "journeys": {
                "definitions": [
                    {
                        "name": "fault",
                        "topics": ["fault"],
                        "end_activities": ["closed"],
                        "timeout": "10d",
                    }
                ]
            }
        },
    )
    csv = tmp_path / "events.csv"
    csv.write_text(
        "customer_id,ts,channel,activity,topic\n"
        "C1,2025-01-01T09:00:00Z,phone,report,fault\n"
        "C1,2025-01-01T10:00:00Z,email,closed,fault\n"
        "C1,2025-01-05T09:00:00Z,phone,report,fault\n"
        "C1,2025-01-05T11:00:00Z,chat,chat,fault\n",
        encoding="utf-8",
    )
    ws.ingest(csv)
    ws.build()
    core = LiveCore.from_workspace(ws, RuleSet.empty())
    (journey,) = core.open_journeys("C1")
    assert (journey.journey_key, journey.steps, journey.handoffs) == (
        "customer_id:C1/fault/2",
        2,
        1,
    )
    from datetime import UTC, datetime

    from journeylens.realtime.records import LiveEvent

    core.process(
        LiveEvent(
            "live-1",
            datetime(2025, 1, 6, 9, tzinfo=UTC),
            {"customer_id": "C1"},
            "phone",
            "call",
            topic="fault",
        )
    )
    (journey,) = core.open_journeys("C1")
    assert (journey.journey_key, journey.steps, journey.handoffs) == (
        "customer_id:C1/fault/2",
        3,
        2,
    )
    core.process(
        LiveEvent(
            "live-2",
            datetime(2025, 1, 30, 9, tzinfo=UTC),
            {"customer_id": "C1"},
            "phone",
            "call",
            topic="fault",
        )
    )
    (journey,) = core.open_journeys("C1")
    assert journey.journey_key == "customer_id:C1/fault/3"  # as a build would number it
    assert journey.cut != CUT_SOURCE
    ws.close()
