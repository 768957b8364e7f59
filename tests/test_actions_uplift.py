"""The closed loop: outcomes of moments from the built workspace, uplift with intervals."""

from __future__ import annotations

import math
import random
import statistics
from datetime import UTC, datetime, timedelta
from pathlib import Path

import ibis
import pyarrow as pa
import pytest

import journeylens
from journeylens.realtime.actions.center import ActionCenter
from journeylens.realtime.actions.holdout import is_held_out
from journeylens.realtime.actions.settings import parse_actions
from journeylens.realtime.actions.uplift import UpliftQuery, uplift
from journeylens.realtime.actions.uplift_stats import share_difference
from journeylens.realtime.moments import Moment
from journeylens.workspace import Workspace

BASE = datetime(2025, 1, 1, tzinfo=UTC)
ORDERS = {
    "journeys": {
        "definitions": [
            {
                "name": "order",
                "start_activities": ["order_placed"],
                "end_activities": ["delivered", "cancelled"],
                "timeout": "30d",
                "success": {"activities": ["delivered"]},
            }
        ]
    }
}
Z95 = 1.959963984540054


def order_ws(tmp_path: Path) -> Workspace:
    return journeylens.init(tmp_path / "ws", config=ORDERS)


def ingest(ws: Workspace, lines: list[str], tmp_path: Path, settle: bool = True) -> None:
    if settle:  # a late event of another customer: every horizon passed, journeys settled
        lines = [*lines, f"Z,{(BASE + timedelta(days=400)).isoformat()},web,login"]
    path = tmp_path / "events.csv"
    path.write_text("customer_id,ts,channel,activity\n" + "\n".join(lines) + "\n")
    assert ws.ingest(path).accepted == len(lines)
    ws.build()


def record(path: Path, moments: list[Moment], holdout: float = 0.5) -> None:
    settings = parse_actions({"settings": {"holdout": holdout}, "actions": {}})
    with ActionCenter(path, settings) as center:
        center.submit(moments)


def rows_by_measure(result: object, rule: str) -> dict[str, dict[str, object]]:
    table = result.rules.to_pylist()  # type: ignore[attr-defined]
    return {r["measure"]: r for r in table if r["rule"] == rule}


def test_a_constructed_world_gives_the_known_uplift(tmp_path: Path) -> None:
    ws = order_ws(tmp_path)
    lines, moments = [], []
    success = {False: [], True: []}  # arm (held out?) -> outcomes
    contacts = {False: [], True: []}
    for i in range(80):
        customer, t0 = f"C{i}", BASE + timedelta(days=i)
        m = Moment.of(
            "late-delivery", f"customer_id:{customer}", t0 + timedelta(hours=1), (f"x{i}",)
        )
        held = is_held_out(m.moment_id, 0.5)
        k = len(success[held])  # position within the arm
        ok = (k % 4 != 3) if not held else (k % 4 == 0)  # 75% vs 25%
        calls = (1 if k % 4 == 0 else 0) if not held else (2 if k % 2 == 0 else 0)
        success[held].append(ok)
        contacts[held].append(calls)
        moments.append(m)
        lines.append(f"{customer},{t0.isoformat()},web,order_placed")
        for c in range(calls):
            lines.append(f"{customer},{(t0 + timedelta(hours=5 + c)).isoformat()},phone,call")
        end = "delivered" if ok else "cancelled"
        lines.append(f"{customer},{(t0 + timedelta(days=2)).isoformat()},web,{end}")
    ingest(ws, lines, tmp_path)
    path = tmp_path / "outbox.sqlite"
    record(path, moments)

    result = uplift(ws, path, UpliftQuery(horizon="3d"))
    rows = rows_by_measure(result, "late-delivery")
    n_a, n_h = len(success[False]), len(success[True])
    assert (rows["success"]["n_actioned"], rows["success"]["n_holdout"]) == (n_a, n_h)
    assert rows["success"]["moments"] == 80 and 30 <= n_h <= 50
    x_a, x_h = sum(success[False]), sum(success[True])
    assert rows["success"]["actioned"] == pytest.approx(x_a / n_a)
    assert rows["success"]["holdout"] == pytest.approx(x_h / n_h)
    assert rows["success"]["uplift"] == pytest.approx(x_a / n_a - x_h / n_h)
    expected = share_difference(x_a, n_a, x_h, n_h)  # Newcombe's interval, see its doctest
    assert rows["success"]["ci_low"] == pytest.approx(expected.ci_low)
    assert rows["success"]["ci_high"] == pytest.approx(expected.ci_high)
    assert rows["success"]["significant"] is True
    # every order journey completed (delivered or cancelled): no uplift on completion
    assert rows["completed"]["actioned"] == rows["completed"]["holdout"] == 1.0
    assert rows["completed"]["significant"] is False
    # contacts after the moment: Welch's interval by hand
    a, h = contacts[False], contacts[True]
    diff = statistics.mean(a) - statistics.mean(h)
    se = math.sqrt(statistics.variance(a) / len(a) + statistics.variance(h) / len(h))
    row = rows["contacts_after"]
    assert row["uplift"] == pytest.approx(diff)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((diff - Z95 * se, diff + Z95 * se))
    assert rows["recontact"]["actioned"] == pytest.approx(sum(c > 0 for c in a) / len(a))
    # sample size for the observed success uplift at the observed hold-out share
    p_a, p_h, share = x_a / n_a, x_h / n_h, n_h / (n_a + n_h)
    spread = p_a * (1 - p_a) / (1 - share) + p_h * (1 - p_h) / share
    needed = (Z95 + 0.8416212335729143) ** 2 * spread / (p_a - p_h) ** 2
    assert rows["success"]["needed_moments"] == math.ceil(needed)
    assert "score" not in rows  # no feedback_links in this workspace
    moments_frame = result.moments.to_pandas()
    assert set(moments_frame["link"]) == {"open"}
    assert len(result.to_frame()) == 4
    assert len(result.figure().data) == 4
    ws.close()


def test_a_planted_effect_is_inside_the_interval(tmp_path: Path) -> None:
    rng = random.Random(3)
    ws = order_ws(tmp_path)
    lines, moments = [], []
    for i in range(600):
        customer, t0 = f"C{i}", BASE + timedelta(hours=6 * i)
        m = Moment.of("overdue", f"customer_id:{customer}", t0 + timedelta(hours=1), (f"x{i}",))
        held = is_held_out(m.moment_id, 0.3)
        ok = rng.random() < (0.4 if held else 0.7)  # the true uplift is 0.3
        lines.append(f"{customer},{t0.isoformat()},web,order_placed")
        end = "delivered" if ok else "cancelled"
        lines.append(f"{customer},{(t0 + timedelta(days=1)).isoformat()},web,{end}")
        moments.append(m)
    ingest(ws, lines, tmp_path)
    path = tmp_path / "outbox.sqlite"
    record(path, moments, holdout=0.3)
    row = rows_by_measure(uplift(ws, path), "overdue")["success"]
    assert row["ci_low"] < 0.3 < row["ci_high"]
    assert row["significant"] is True
    assert row["holdout_share"] == pytest.approx(0.3, abs=0.06)
    ws.close()


def test_outcome_journeys_key_open_next_and_pending(tmp_path: Path) -> None:
    ws = order_ws(tmp_path)
    day = timedelta(days=1)
    lines = [
        # A: one journey, moment names it by key but fires after it ended
        f"A,{BASE.isoformat()},web,order_placed",
        f"A,{(BASE + day).isoformat()},web,delivered",
        # B: the moment falls between two journeys; the next starts 2 days later
        f"B,{BASE.isoformat()},web,order_placed",
        f"B,{(BASE + day).isoformat()},web,cancelled",
        f"B,{(BASE + 3 * day).isoformat()},web,order_placed",
        f"B,{(BASE + 4 * day).isoformat()},web,delivered",
        f"B,{(BASE + 5 * day).isoformat()},phone,call",
        # C: the next journey is 20 days later, beyond the 7-day horizon
        f"C,{BASE.isoformat()},web,order_placed",
        f"C,{(BASE + day).isoformat()},web,delivered",
        f"C,{(BASE + 21 * day).isoformat()},web,order_placed",
    ]
    ingest(ws, lines, tmp_path, settle=False)  # the data end on day 21
    journeys = {(r["customer_key"], r["start_ts"]): r for r in ws.journeys().to_pylist()}
    key_a = journeys[("customer_id:A", BASE.replace(tzinfo=None))]["journey_key"]
    moments = [
        Moment.of("r", "customer_id:A", BASE + 2 * day, ("a",), journey_key=key_a),
        Moment.of("r", "customer_id:B", BASE + 2 * day, ("b",)),
        Moment.of("r", "customer_id:C", BASE + 2 * day, ("c",)),
        Moment.of("r", "customer_id:NEW", BASE + 2 * day, ("n",)),  # unknown to the build
    ]
    path = tmp_path / "outbox.sqlite"
    record(path, moments)
    frame = uplift(ws, path).moments.to_pandas().set_index("customer_key")
    assert frame.loc["customer_id:A", "link"] == "key"
    assert frame.loc["customer_id:A", "outcome_journey"] == key_a
    assert frame.loc["customer_id:B", "link"] == "next"
    assert bool(frame.loc["customer_id:B", "success"]) is True  # the second order delivered
    assert frame.loc["customer_id:B", "contacts_after"] == 1
    assert frame.loc["customer_id:C", "link"] == "none"
    assert frame.loc["customer_id:C", "contacts_after"] == 0
    assert frame.loc["customer_id:NEW", "link"] == "none"
    assert math.isnan(frame.loc["customer_id:NEW", "contacts_after"])  # not a known customer
    # the customer's next journey, even when the moment's own journey is known
    later = uplift(ws, path, UpliftQuery(journey="next", horizon="30d")).moments.to_pandas()
    later = later.set_index("customer_key")
    assert later.loc["customer_id:A", "link"] == "none"
    assert later.loc["customer_id:C", "link"] == "next"
    assert later.loc["customer_id:C", "status"] == "open"  # C's second order is still open…
    assert later.loc["customer_id:C", "completed"] is None or math.isnan(
        later.loc["customer_id:C", "completed"]
    )  # … so its completion is not known yet
    ws.close()


def test_a_linked_score_per_arm(tmp_path: Path) -> None:
    ws = order_ws(tmp_path)
    lines, moments, scores = [], [], {False: [], True: []}
    for i in range(40):
        t0 = BASE + timedelta(days=i)
        lines += [
            f"C{i},{t0.isoformat()},web,order_placed",
            f"C{i},{(t0 + timedelta(days=1)).isoformat()},web,delivered",
        ]
        moments.append(Moment.of("r", f"customer_id:C{i}", t0 + timedelta(hours=1), (f"x{i}",)))
    ingest(ws, lines, tmp_path)
    keys = {r["customer_key"]: r["journey_key"] for r in ws.journeys().to_pylist()}
    feedback = ["feedback_id,customer_id,ts,kind,score,journey_key"]
    for i, m in enumerate(moments):
        held = is_held_out(m.moment_id, 0.5)
        score = 9 if not held else 5 + i % 3  # NPS 0-10
        scores[held].append(score * 10.0)  # rescaled to 0-100
        ts = (m.ts + timedelta(days=1)).isoformat()
        feedback.append(f"f{i},C{i},{ts},nps,{score},{keys[m.customer_key]}")
    # one answer given before the moment: it cannot show the action's effect
    early = (BASE - timedelta(days=1)).isoformat()
    feedback.append(f"early,C0,{early},nps,0,{keys['customer_id:C0']}")
    fb_path = tmp_path / "feedback.csv"
    fb_path.write_text("\n".join(feedback) + "\n")
    ws.ingest(fb_path, kind="feedback")
    links = pa.table(
        {
            "feedback_id": [f"f{i}" for i in range(40)] + ["early"],
            "customer_key": [m.customer_key for m in moments] + ["customer_id:C0"],
            "journey_key": [keys[m.customer_key] for m in moments] + [keys["customer_id:C0"]],
            "link_method": ["journey"] * 41,
        }
    )
    ws.backend.materialise("feedback_links", ibis.memtable(links))
    path = tmp_path / "outbox.sqlite"
    record(path, moments)
    row = rows_by_measure(uplift(ws, path), "r")["score"]
    assert row["actioned"] == pytest.approx(statistics.mean(scores[False]))
    assert row["holdout"] == pytest.approx(statistics.mean(scores[True]))
    assert (row["n_actioned"], row["n_holdout"]) == (len(scores[False]), len(scores[True]))
    ws.close()


def test_bad_queries_say_what_to_fix() -> None:
    with pytest.raises(ValueError, match="journey must be 'moment' or 'next'"):
        UpliftQuery(journey="after")
    with pytest.raises(ValueError, match="not a duration"):
        UpliftQuery(horizon="a week")
    with pytest.raises(ValueError, match="confidence"):
        UpliftQuery(confidence=95)


def test_no_outbox_is_a_clear_error(tmp_path: Path) -> None:
    ws = order_ws(tmp_path)
    ingest(ws, [f"A,{BASE.isoformat()},web,order_placed"], tmp_path)
    with pytest.raises(journeylens.errors.WorkspaceError, match="no outbox"):
        uplift(ws, tmp_path / "missing.sqlite")
    ws.close()


def test_demo_broken_form_moments_without_a_real_action(demo_ws: Workspace, tmp_path: Path) -> None:
    """Planted truth 1: of the web movers whose form breaks, 70% call and 15% chat, the rest
    give up. Moments on the error, split 50/50 with no action actually taken (an A/A test):
    most journeys still complete, most customers contact again, and the uplift's intervals
    cover 0."""
    steps = demo_ws.backend.table("journey_steps")
    errors = demo_ws.backend.to_arrow(
        steps.filter(steps.activity == "move_form_error").select("event_id", "customer_key", "ts")
    ).to_pylist()
    assert len(errors) > 100
    moments = [
        Moment.of("broken-form", r["customer_key"], r["ts"].replace(tzinfo=UTC), (r["event_id"],))
        for r in errors
    ]
    path = tmp_path / "outbox.sqlite"
    record(path, moments)
    result = uplift(demo_ws, path)
    rows = rows_by_measure(result, "broken-form")
    assert set(rows) == {"completed", "success", "recontact", "contacts_after", "score"}
    for measure, row in rows.items():
        assert row["ci_low"] < 0 < row["ci_high"], measure  # no action, no uplift
    frame = result.moments.to_pandas()
    settled = frame[frame["completed"].notna()]
    assert 0.7 < settled["completed"].astype(bool).mean() < 0.92  # 85% call or chat on
    assert 0.7 < frame["recontact"].astype(bool).mean() < 0.92
