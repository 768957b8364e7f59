"""The moment engine on tiny hand-made streams, with the exact firings each rule kind must give."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from journeylens.analytics.journey_maps import parse_journey_maps
from journeylens.config import parse_config
from journeylens.realtime.core import LiveCore
from journeylens.realtime.identity import IncrementalIdentity
from journeylens.realtime.moments import Moment
from journeylens.realtime.records import LiveEvent, LiveFeedback
from journeylens.realtime.rules.loader import rules_from_data

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)  # a Monday
_ids = iter(range(1, 1_000_000))


def at(days: float = 0, hours: float = 0, minutes: float = 0, seconds: float = 0) -> datetime:
    return T0 + timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def ev(
    when: datetime,
    channel: str,
    activity: str,
    who: dict[str, str] | str = "C1",
    *,
    eid: str | None = None,
    **fields: Any,
) -> LiveEvent:
    identifiers = {"customer_id": who} if isinstance(who, str) else who
    return LiveEvent(eid or f"e{next(_ids)}", when, identifiers, channel, activity, **fields)


def core_of(
    rules: list[dict[str, Any]],
    *,
    clock: str = "event",
    lateness: int = 0,
    journeys: dict[str, Any] | None = None,
    maps: dict[str, Any] | None = None,
    **kw: Any,
) -> LiveCore:
    settings = parse_config({"journeys": journeys}).journeys if journeys else None
    return LiveCore(
        rules_from_data({"rules": rules}),
        IncrementalIdentity(),
        clock=clock,  # type: ignore[arg-type]
        lateness_seconds=lateness,
        journeys=settings,
        maps=parse_journey_maps(maps) if maps else None,
        **kw,
    )


def feed(core: LiveCore, records: list[LiveEvent | LiveFeedback]) -> list[Moment]:
    out: list[Moment] = []
    for record in records:
        if isinstance(record, LiveEvent):
            out += core.process(record)
        else:
            out += core.process_feedback(record)
    return out


def fired(moments: list[Moment]) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(m.rule, m.customer_key, m.event_ids) for m in moments]


FAULT = {
    "definitions": [
        {"name": "fault", "topics": ["fault"], "end_activities": ["fault_closed"], "timeout": "10d"}
    ]
}
FAULT_MAP = {
    "fault": {
        "sla": "2d",
        "stages": [
            {"name": "Report", "steps": [{"activity": "fault_reported"}]},
            {"name": "Fix", "steps": [{"activity": "technician_visit", "channels": ["store"]}]},
            {"name": "Closed", "steps": [{"activity": "fault_closed"}]},
        ],
    }
}


# -- event ----------------------------------------------------------------------------------


def test_event_rule_filters_on_activity_list_and_attributes() -> None:
    core = core_of(
        [
            {
                "name": "double-charge",
                "event": {
                    "activity": ["billing_call", "billing_chat"],
                    "attributes.reason": "double_charge",
                },
            }
        ]
    )
    records = [
        ev(at(0), "phone", "billing_call", eid="a", attributes={"reason": "double_charge"}),
        ev(at(1), "phone", "billing_call", eid="b", attributes={"reason": "price"}),
        ev(at(2), "chat", "billing_chat", "C2", eid="c", attributes={"reason": "double_charge"}),
        ev(at(3), "web", "bill_viewed", eid="d", attributes={"reason": "double_charge"}),
    ]
    assert fired(feed(core, records)) == [
        ("double-charge", "customer_id:C1", ("a",)),
        ("double-charge", "customer_id:C2", ("c",)),
    ]


def test_the_index_offers_an_event_only_to_rules_that_can_match() -> None:
    core = core_of(
        [
            {"name": "calls", "event": {"channel": "phone"}},
            {"name": "errors", "event": {"activity": {"in": ["form_error"]}}},
            {"name": "any-unresolved", "event": {"outcome": "unresolved"}},
        ]
    )
    names = lambda a, c: [h.compiled.name for h in core.engine.candidates(a, c, "other")]  # noqa: E731
    assert names("call", "phone") == ["calls", "any-unresolved"]
    assert names("form_error", "web") == ["errors", "any-unresolved"]
    assert names("login", "web") == ["any-unresolved"]


# -- count ----------------------------------------------------------------------------------


def test_count_third_assisted_contact_on_the_same_topic_within_seven_days() -> None:
    core = core_of(
        [
            {
                "name": "third-contact",
                "count": {
                    "where": {"assisted": True},
                    "at_least": 3,
                    "within": "7d",
                    "group_by": ["topic"],
                },
            }
        ]
    )
    records = [
        ev(at(0), "phone", "fault_call", eid="f0", topic="fault"),
        ev(at(2), "chat", "fault_chat", eid="f2", topic="fault"),
        ev(at(3), "email", "fault_update", eid="x3", topic="fault", initiator="company"),
        ev(at(4), "phone", "billing_call", eid="b4", topic="billing"),
        ev(at(5), "web", "fault_status", eid="w5", topic="fault"),  # not assisted
        ev(at(6), "phone", "fault_call", eid="f6", topic="fault"),  # third: fires
        ev(at(10), "phone", "fault_call", eid="f10", topic="fault"),  # f2 expired: 2 in window
        ev(at(11), "phone", "fault_call", eid="f11", topic="fault"),  # f6, f10, f11: fires
        ev(at(12), "phone", "call", eid="n12"),  # no topic: not grouped
    ]
    moments = feed(core, records)
    assert fired(moments) == [
        ("third-contact", "customer_id:C1", ("f0", "f2", "f6")),
        ("third-contact", "customer_id:C1", ("f6", "f10", "f11")),
    ]
    assert moments[0].ts == at(6)
    assert moments[0].details["group"] == {"topic": "fault"}
    assert moments[0].details["count"] == 3


def test_count_window_is_inclusive_and_bounded() -> None:
    core = core_of(
        [
            {
                "name": "two-calls",
                "count": {"where": {"channel": "phone"}, "at_least": 2, "within": "1h"},
            }
        ]
    )
    records = [
        ev(at(0), "phone", "call", eid="a"),
        ev(at(hours=1), "phone", "call", eid="b"),  # exactly one hour later: inside
        ev(at(hours=2, seconds=1), "phone", "call", eid="c"),  # b is 1h01s before: outside
    ]
    assert fired(feed(core, records)) == [("two-calls", "customer_id:C1", ("a", "b"))]
    customer = core._customers["customer_id:C1"]
    (window,) = customer.rules.parts[0].values()
    assert [e for _, e in window] == ["c"]  # never more than the rule needs


# -- sequence -------------------------------------------------------------------------------


SEQUENCE = {
    "name": "form-error-then-call",
    "sequence": {
        "steps": [{"activity": "move_form_error", "channel": "web"}, {"channel": "phone"}],
        "within": "1h",
    },
}


def test_sequence_within_a_window_in_order_and_consumed() -> None:
    core = core_of([SEQUENCE])
    records = [
        # C1: error, call 30 min later -> fires; a second call does not fire again
        ev(at(hours=1), "web", "move_form_error", "C1", eid="c1-err"),
        ev(at(hours=1, minutes=30), "phone", "call", "C1", eid="c1-call"),
        ev(at(hours=1, minutes=45), "phone", "call", "C1", eid="c1-call2"),
        # C2: the call comes 90 minutes later -> nothing
        ev(at(hours=2), "web", "move_form_error", "C2", eid="c2-err"),
        ev(at(hours=3, minutes=30), "phone", "call", "C2", eid="c2-call"),
        # C3: a call before the error does not count; the one after does
        ev(at(hours=4), "phone", "call", "C3", eid="c3-early"),
        ev(at(hours=4, minutes=10), "web", "move_form_error", "C3", eid="c3-err"),
        ev(at(hours=4, minutes=20), "phone", "call", "C3", eid="c3-call"),
        # C4: two errors, the call is within an hour of the second only -> the latest start
        ev(at(hours=5), "web", "move_form_error", "C4", eid="c4-err1"),
        ev(at(hours=5, minutes=40), "web", "move_form_error", "C4", eid="c4-err2"),
        ev(at(hours=6, minutes=20), "phone", "call", "C4", eid="c4-call"),
        # C5: the error on the app does not match the first step
        ev(at(hours=7), "app", "move_form_error", "C5", eid="c5-err"),
        ev(at(hours=7, minutes=5), "phone", "call", "C5", eid="c5-call"),
    ]
    assert fired(feed(core, records)) == [
        ("form-error-then-call", "customer_id:C1", ("c1-err", "c1-call")),
        ("form-error-then-call", "customer_id:C3", ("c3-err", "c3-call")),
        ("form-error-then-call", "customer_id:C4", ("c4-err2", "c4-call")),
    ]


def test_sequence_of_three_steps_with_the_same_topic() -> None:
    core = core_of(
        [
            {
                "name": "web-chat-call",
                "sequence": {
                    "steps": [{"channel": "web"}, {"channel": "chat"}, {"channel": "phone"}],
                    "within": "1d",
                    "same": ["topic"],
                },
            }
        ]
    )
    records = [
        ev(at(hours=0), "web", "bill_viewed", eid="w", topic="billing"),
        ev(at(hours=1), "chat", "fault_chat", eid="c-other", topic="fault"),
        ev(at(hours=2), "phone", "billing_call", eid="p-early", topic="billing"),
        ev(at(hours=3), "chat", "billing_chat", eid="c", topic="billing"),
        ev(at(hours=4), "phone", "billing_call", eid="p", topic="billing"),
    ]
    moments = feed(core, records)
    assert fired(moments) == [("web-chat-call", "customer_id:C1", ("w", "c", "p"))]
    assert moments[0].details["elapsed_seconds"] == 4 * 3600


# -- absence --------------------------------------------------------------------------------


ABSENCE = {
    "name": "no-delivery",
    "absence": {
        "after": {"activity": "order_placed"},
        "expect": {"activity": "delivered"},
        "within": "5d",
    },
}


def _orders() -> list[LiveEvent]:
    return [
        ev(at(0), "web", "order_placed", "C1", eid="o1"),
        ev(at(0, hours=1), "web", "order_placed", "C2", eid="o2"),
        ev(at(5), "email", "delivered", "C1", eid="d1"),  # exactly at the deadline: in time
    ]


def test_absence_fires_by_the_watermark_on_the_event_clock() -> None:
    core = core_of([ABSENCE])
    assert feed(core, _orders()) == []
    # another customer's event moves event time past C2's deadline (day 5, 10:00)
    assert feed(core, [ev(at(5, hours=1), "web", "login", "C9")]) == []  # not yet past
    moments = feed(core, [ev(at(5, hours=1, seconds=1), "web", "login", "C9")])
    assert fired(moments) == [("no-delivery", "customer_id:C2", ("o2",))]
    assert moments[0].ts == at(5, hours=1)
    assert core.tick(at(30)) == []  # ticks do nothing on the event clock


def test_absence_fires_by_tick_on_the_wall_clock() -> None:
    core = core_of([ABSENCE], clock="wall")
    records = [*_orders(), ev(at(9), "web", "login", "C9")]
    assert feed(core, records) == []  # event time never fires on the wall clock
    assert core.tick(at(5, hours=1)) == []  # the watermark reached the deadline, not past it
    moments = core.tick(at(5, hours=1, seconds=1))
    assert fired(moments) == [("no-delivery", "customer_id:C2", ("o2",))]
    assert core.tick(at(6)) == []  # decided once


def test_late_events_within_the_allowed_lateness_still_cancel() -> None:
    core = core_of([ABSENCE], lateness=3600)
    feed(core, [ev(at(0), "web", "order_placed", "C1", eid="o1")])
    # event time runs 30 minutes past the deadline: within the hour of lateness
    assert feed(core, [ev(at(5, minutes=30), "web", "login", "C9")]) == []
    # the delivery, 10 minutes before the deadline, arrives late but in time
    assert feed(core, [ev(at(5, minutes=-10), "email", "delivered", "C1")]) == []
    assert core.stats.late == 0
    assert feed(core, [ev(at(9), "web", "login", "C9")]) == []  # nothing left to fire


def test_events_behind_the_watermark_cannot_undo_a_fired_absence() -> None:
    core = core_of([ABSENCE], lateness=3600)
    feed(core, [ev(at(0), "web", "order_placed", "C1", eid="o1")])
    moments = feed(core, [ev(at(5, hours=1, seconds=1), "web", "login", "C9")])
    assert fired(moments) == [("no-delivery", "customer_id:C1", ("o1",))]
    assert feed(core, [ev(at(5, minutes=-10), "email", "delivered", "C1")]) == []
    assert core.stats.late == 1


def test_absence_groups_by_the_same_fields() -> None:
    core = core_of(
        [
            {
                "name": "order-not-delivered",
                "absence": {
                    "after": {"activity": "order_placed"},
                    "expect": {"activity": "delivered"},
                    "within": "2d",
                    "same": ["attributes.order"],
                },
            }
        ]
    )
    records = [
        ev(at(0), "web", "order_placed", eid="oa", attributes={"order": "A"}),
        ev(at(0, hours=1), "web", "order_placed", eid="ob", attributes={"order": "B"}),
        ev(at(1), "email", "delivered", attributes={"order": "A"}),
        ev(at(3), "web", "login", "C9"),
    ]
    moments = feed(core, records)
    assert fired(moments) == [("order-not-delivered", "customer_id:C1", ("ob",))]
    assert moments[0].details["group"] == {"attributes.order": "B"}


# -- overdue and journey state --------------------------------------------------------------


def test_overdue_journey_fires_at_its_sla_unless_completed() -> None:
    core = core_of(
        [{"name": "fault-over-sla", "overdue": {"journey_type": "fault", "within": "sla"}}],
        journeys=FAULT,
        maps=FAULT_MAP,
    )
    records = [
        ev(at(0), "phone", "fault_reported", eid="j1-a", topic="fault"),
        ev(at(1), "email", "fault_closed", eid="j1-z", topic="fault"),  # completed in time
        ev(at(5), "phone", "fault_reported", eid="j2-a", topic="fault"),
        ev(at(6), "store", "technician_visit", eid="j2-b", topic="fault"),
        ev(at(7, seconds=1), "web", "login", "C9"),  # event time passes day 7 09:00
    ]
    moments = feed(core, records)
    assert fired(moments) == [("fault-over-sla", "customer_id:C1", ("j2-a",))]
    (moment,) = moments
    assert moment.ts == at(7)
    assert moment.journey_key == "customer_id:C1/fault/2"
    assert moment.details["stage"] == "Fix"
    assert moment.details["limit_seconds"] == 2 * 86400


def test_journey_state_condition_fires_once_per_journey() -> None:
    core = core_of(
        [
            {
                "name": "fault-handoffs",
                "journey": {"journey_type": "fault", "handoffs": {"gte": 2}, "stage": "Fix"},
            },
            {"name": "slow-fault", "journey": {"journey_type": "fault", "duration": {"gt": "2d"}}},
        ],
        journeys=FAULT,
        maps=FAULT_MAP,
    )
    records = [
        ev(at(0), "phone", "fault_reported", eid="a", topic="fault"),
        ev(at(1), "chat", "fault_chat", eid="b", topic="fault"),  # 1 hand-off
        ev(at(1, hours=1), "store", "technician_visit", eid="c", topic="fault"),  # 2, stage Fix
        ev(at(2, hours=2), "phone", "fault_call", eid="d", topic="fault"),  # 3 (already fired)
        ev(at(3), "email", "fault_closed", eid="e", topic="fault"),
    ]
    moments = feed(core, records)
    assert fired(moments) == [
        ("fault-handoffs", "customer_id:C1", ("c",)),
        ("slow-fault", "customer_id:C1", ("d",)),
    ]
    assert moments[0].details == {"journey_type": "fault", "handoffs": 2, "stage": "Fix"}
    assert moments[1].details["duration"] == 2 * 86400 + 7200


def test_open_journeys_show_stage_sla_and_measures() -> None:
    core = core_of([], journeys=FAULT, maps=FAULT_MAP)
    feed(
        core,
        [
            ev(at(0), "phone", "fault_reported", topic="fault"),
            ev(at(0, hours=2), "chat", "fault_chat", topic="fault"),
            ev(at(0, hours=3), "phone", "fault_call", topic="fault"),
        ],
    )
    (journey,) = core.open_journeys("C1")
    data = journey.to_dict(now=core.now)
    assert (data["journey_key"], data["steps"], data["handoffs"], data["stage"]) == (
        "customer_id:C1/fault/1",
        3,
        2,
        "Report",
    )
    assert (data["next_stage"], data["repeat_contacts"], data["off_map_steps"]) == ("Fix", 2, 2)
    assert data["sla_due"] == at(2).isoformat() and data["overdue"] is False


# -- feedback -------------------------------------------------------------------------------


def fb(
    when: datetime, kind: str, score: float | None, who: dict[str, str], **kw: Any
) -> LiveFeedback:
    return LiveFeedback(f"fb{next(_ids)}", when, who, kind, score=score, **kw)


def test_feedback_thresholds_and_sentiment() -> None:
    core = core_of(
        [
            {
                "name": "detractor",
                "feedback": {
                    "kind": "nps",
                    "where": {"attributes.survey": "journey"},
                    "score": {"lte": 6},
                },
            },
            {"name": "angry", "feedback": {"kind": ["text"], "sentiment": {"lte": -0.5}}},
        ],
        sentiment=lambda text: -0.9 if "awful" in text else 0.4,
    )
    feed(core, [ev(at(0), "email", "newsletter", {"customer_id": "C1", "email": "ann@x.org"})])
    records: list[LiveEvent | LiveFeedback] = [
        fb(at(1), "nps", 3, {"email": "ann@x.org"}, attributes={"survey": "journey"}),
        fb(at(1), "nps", 3, {"email": "ann@x.org"}, attributes={"survey": "relationship"}),
        fb(at(1), "nps", 7, {"email": "ann@x.org"}, attributes={"survey": "journey"}),
        fb(at(2), "text", None, {"cookie_id": "ck1"}, text="An awful page"),
        fb(at(2), "text", None, {"cookie_id": "ck1"}, text="Fine"),
    ]
    moments = feed(core, records)
    assert [(m.rule, m.customer_key, m.details.get("score")) for m in moments] == [
        ("detractor", "customer_id:C1", 3),
        ("angry", "cookie_id:ck1", None),
    ]
    assert moments[1].details["sentiment"] == -0.9


# -- cooldown, switches, priority -----------------------------------------------------------


def test_cooldown_suppresses_a_second_firing_for_the_same_customer() -> None:
    core = core_of([{"name": "calls", "event": {"channel": "phone"}, "cooldown": "1d"}])
    records = [
        ev(at(0), "phone", "call", "C1", eid="a"),
        ev(at(0, hours=2), "phone", "call", "C1", eid="b"),  # suppressed
        ev(at(0, hours=3), "phone", "call", "C2", eid="c"),  # another customer
        ev(at(1, seconds=1), "phone", "call", "C1", eid="d"),  # a day later
    ]
    assert [m.event_ids for m in feed(core, records)] == [("a",), ("c",), ("d",)]
    assert core.engine.stats["calls"].suppressed == 1


def test_rules_switch_off_and_on_at_run_time_and_fire_by_priority() -> None:
    core = core_of(
        [
            {"name": "low", "priority": 1, "event": {"channel": "phone"}},
            {"name": "high", "priority": 9, "event": {"activity": "call"}},
        ]
    )
    assert [m.rule for m in core.process(ev(at(0), "phone", "call"))] == ["high", "low"]
    core.rules.disable("high")
    assert [m.rule for m in core.process(ev(at(1), "phone", "call"))] == ["low"]
    core.rules.enable("high")
    assert [m.rule for m in core.process(ev(at(2), "phone", "call"))] == ["high", "low"]
    with pytest.raises(KeyError, match="no rule 'nope'"):
        core.rules.disable("nope")


# -- identity -------------------------------------------------------------------------------


def test_identity_merge_mid_stream_merges_windows_and_timers() -> None:
    core = core_of(
        [
            {
                "name": "three",
                "count": {"where": {"assisted": True}, "at_least": 3, "within": "7d"},
            },
            ABSENCE,
        ]
    )
    records = [
        ev(at(0), "phone", "call", {"phone": "+15550001"}, eid="p"),
        ev(at(1), "email", "mail", {"email": "ann@x.org"}, eid="m"),
        ev(at(1, hours=1), "web", "order_placed", {"cookie_id": "ck1"}, eid="o"),
    ]
    assert feed(core, records) == []
    both = {"customer_id": "C7", "phone": "+15550001", "email": "ann@x.org", "cookie_id": "ck1"}
    moments = feed(core, [ev(at(2), "chat", "chat", both, eid="c")])
    assert fired(moments) == [("three", "customer_id:C7", ("p", "m", "c"))]
    assert core.stats.merges == 3
    assert core.customer_key("+15550001") == "customer_id:C7"
    # the order's timer moved to the merged customer
    moments = feed(core, [ev(at(7), "web", "login", "C9")])
    assert fired(moments) == [("no-delivery", "customer_id:C7", ("o",))]
    assert core.identifiers("ck1") == core.identifiers("customer_id:C7")
    assert len(core.identifiers("customer_id:C7")) == 4


def test_idle_customers_are_forgotten_but_journey_numbers_continue() -> None:
    gap = {"gap": "1d"}
    core = core_of([], journeys=gap)
    core.process(ev(at(0), "web", "visit", "C1"))
    for day in range(2, 60):  # others keep event time moving; C1 stays away
        for i in range(80):
            core.process(ev(at(day, minutes=i), "web", "visit", f"X{i}"))
    assert "customer_id:C1" not in core._customers
    core.process(ev(at(61), "web", "visit", "C1"))
    (journey,) = core.open_journeys("customer_id:C1")
    assert journey.journey_key == "customer_id:C1/gap/2"
    assert core.stats.expired_customers > 0
