"""The outbox and webhook delivery against a real receiver on a loopback port."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from journeylens.realtime.actions.center import ActionCenter
from journeylens.realtime.actions.holdout import is_held_out
from journeylens.realtime.actions.outbox import delivery_id
from journeylens.realtime.actions.settings import ActionSettings, parse_actions
from journeylens.realtime.moments import Moment

from .actions_receiver import Receiver, free_port, wait_for

SECRET = "whsec-test-0123456789"
ENV = {"JL_HOOK_SECRET": SECRET}
AT = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


def settings(url: str, **hook: Any) -> ActionSettings:
    webhook = {
        "type": "webhook",
        "url": url,
        "secret_env": "JL_HOOK_SECRET",
        "timeout": "5s",
        "max_attempts": 6,
        "backoff": "50ms",
        "max_backoff": "200ms",
        **hook,
    }
    return parse_actions(
        {
            "actions": {
                "crm": webhook,
                "ops-alert": {"type": "alert", "severity": "high"},
                "ops-log": {"type": "log", "level": "warning"},
                "offer": {
                    "type": "next_best_action",
                    "text": "Offer a call back",
                    "channel": "phone",
                },
            }
        }
    )


def moment(i: int = 1, rule: str = "third-contact", actions: tuple[str, ...] = ("crm",)) -> Moment:
    return Moment.of(
        rule,
        f"customer_id:C{i}",
        AT + timedelta(minutes=i),
        (f"e{i}a", f"e{i}b"),
        priority=2,
        actions=actions,
        details={"count": 3, "topic": "billing"},
    )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(SECRET).start()
    yield r
    r.stop()


@pytest.fixture
def outbox_path(tmp_path: Path) -> Path:
    return tmp_path / "live" / "outbox.sqlite"


def status_of(center: ActionCenter, dl_id: str) -> dict[str, Any]:
    return next(d for d in center.deliveries(limit=10_000) if d["delivery_id"] == dl_id)


def test_retries_reach_a_failing_target_with_a_stable_key_and_valid_signatures(
    receiver: Receiver, outbox_path: Path
) -> None:
    receiver.fail_first = 2
    center = ActionCenter(outbox_path, settings(receiver.url), secret_env=ENV)
    m = moment()
    center.start()
    try:
        assert center.submit([m]) == 1
        dl_id = delivery_id(m.moment_id, "crm")
        wait_for(lambda: status_of(center, dl_id)["status"] == "delivered", what="delivery")
    finally:
        center.close()
    assert [c.answered for c in receiver.calls] == [503, 503, 200]
    assert all(c.signature_valid for c in receiver.calls)
    assert {c.headers["Idempotency-Key"] for c in receiver.calls} == {dl_id}
    assert [c.headers["X-JourneyLens-Attempt"] for c in receiver.calls] == ["1", "2", "3"]
    assert len({c.body for c in receiver.calls}) == 1  # the same bytes every time
    body = receiver.calls[-1].json
    assert body["id"] == dl_id and body["action"] == "crm"
    assert body["moment"]["moment_id"] == m.moment_id
    assert body["moment"]["details"] == {"count": 3, "topic": "billing"}
    assert body["moment"]["ts"] == "2026-01-05T09:31:00.000000Z"
    reopened = ActionCenter(outbox_path, settings(receiver.url), secret_env=ENV)
    attempts = reopened.attempts(dl_id)
    reopened.close()
    assert [(a["ok"], a["status_code"]) for a in attempts] == [
        (False, 503), (False, 503), (True, 200)
    ]  # fmt: skip
    assert attempts[0]["error"].startswith("HTTP 503")


def test_a_hanging_target_does_not_block_submit(outbox_path: Path) -> None:
    hold = threading.Event()
    receiver = Receiver(SECRET, hold=hold).start()
    center = ActionCenter(outbox_path, settings(receiver.url, timeout="30s"), secret_env=ENV)
    center.start()
    try:
        center.submit([moment(1)])
        assert receiver.arrived.wait(30), "the worker never called the target"
        # the first webhook hangs in the target; recording goes on regardless
        assert center.submit([moment(2), moment(3)]) == 2
        assert [m["customer_key"] for m in center.moments()] == [
            "customer_id:C1", "customer_id:C2", "customer_id:C3"
        ]  # fmt: skip
        assert receiver.calls == []  # still holding the first call
        hold.set()
        wait_for(lambda: len(receiver.accepted()) == 3, what="three deliveries")
    finally:
        hold.set()
        center.close()
        receiver.stop()


def test_a_down_target_is_delivered_after_it_returns_and_after_a_restart(
    outbox_path: Path,
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/hooks/journeylens"
    center = ActionCenter(outbox_path, settings(url, max_attempts=50), secret_env=ENV)
    center.start()
    m = moment()
    dl_id = delivery_id(m.moment_id, "crm")
    try:
        assert center.submit([m]) == 1
        wait_for(lambda: status_of(center, dl_id)["attempts"] >= 2, what="failed attempts")
        row = status_of(center, dl_id)
        assert row["status"] == "pending"
        assert "Connect" in row["last_error"]
    finally:
        center.close()
    receiver = Receiver(SECRET, port=port).start()
    try:
        restarted = ActionCenter(outbox_path, settings(url, max_attempts=50), secret_env=ENV)
        restarted.start()
        try:
            wait_for(lambda: status_of(restarted, dl_id)["status"] == "delivered", what="resume")
        finally:
            restarted.close()
    finally:
        receiver.stop()
    assert [c.headers["Idempotency-Key"] for c in receiver.accepted()] == [dl_id]
    assert int(receiver.accepted()[0].headers["X-JourneyLens-Attempt"]) >= 3


def test_the_same_moment_is_recorded_and_delivered_once(
    receiver: Receiver, outbox_path: Path
) -> None:
    center = ActionCenter(outbox_path, settings(receiver.url), secret_env=ENV)
    m = moment()
    assert center.submit([m, m]) == 1
    assert center.submit([m]) == 0
    assert center.submit([moment(1)]) == 0  # the same firing built again
    assert len(center.moments()) == 1
    assert len(center.deliveries()) == 1
    assert center.run_due() == 1
    assert center.run_due() == 0
    center.close()
    assert len(receiver.accepted()) == 1


def test_given_up_deliveries_are_kept_with_their_error_and_can_be_retried(
    receiver: Receiver, outbox_path: Path
) -> None:
    receiver.fail_first, receiver.fail_status = 2, 500
    center = ActionCenter(outbox_path, settings(receiver.url, max_attempts=2), secret_env=ENV)
    m = moment()
    dl_id = delivery_id(m.moment_id, "crm")
    center.submit([m])
    center.run_due()
    wait_for(lambda: center.run_due() == 1, what="the second attempt to fall due")
    failed = center.deliveries(status="failed")
    assert [(d["delivery_id"], d["attempts"], d["last_status_code"]) for d in failed] == [
        (dl_id, 2, 500)
    ]
    assert failed[0]["last_error"].startswith("HTTP 500")
    assert center.counts() == {"crm": {"pending": 0, "delivered": 0, "failed": 1}}
    assert center.retry() == 1
    assert center.run_due() == 1
    assert status_of(center, dl_id)["status"] == "delivered"
    center.close()
    assert [c.answered for c in receiver.calls] == [500, 500, 200]


def test_a_missing_secret_keeps_the_delivery_pending_and_names_the_variable(
    receiver: Receiver, outbox_path: Path
) -> None:
    center = ActionCenter(outbox_path, settings(receiver.url), secret_env={})
    m = moment()
    center.submit([m])
    center.run_due()
    row = status_of(center, delivery_id(m.moment_id, "crm"))
    center.close()
    assert row["status"] == "pending" and row["attempts"] == 1
    assert "JL_HOOK_SECRET" in row["last_error"] and SECRET not in row["last_error"]
    assert receiver.calls == []


def test_holdout_moments_get_no_action_and_the_share_is_right(outbox_path: Path) -> None:
    base = settings("http://127.0.0.1:9/never")
    shares = base.model_copy(update={"holdout": 0.3, "rule_holdouts": {"always": 0.0}})
    center = ActionCenter(outbox_path, shares, secret_env=ENV)
    many = [moment(i, actions=("ops-alert",)) for i in range(4000)]
    always = [moment(i, rule="always", actions=("ops-alert",)) for i in range(200)]
    assert center.submit(many + always) == 4200
    held = center.moments(holdout=True, limit=10_000)
    assert {m["rule"] for m in held} == {"third-contact"}
    share = len(held) / 4000
    assert abs(share - 0.3) < 4 * (0.3 * 0.7 / 4000) ** 0.5  # within 4 standard errors
    assert {m["moment_id"] for m in held} == {
        m.moment_id for m in many if is_held_out(m.moment_id, 0.3)
    }
    alerted = {a["moment_id"] for a in center.alerts(limit=10_000)}
    assert alerted.isdisjoint(m["moment_id"] for m in held)
    assert len(alerted) == 4200 - len(held)
    assert all(m["holdout_share"] == 0.3 for m in held)
    center.close()


def test_alert_log_and_next_best_action(
    receiver: Receiver, outbox_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[str] = []

    def recommender(m: Any) -> dict[str, Any] | None:
        seen.append(m["customer_key"])
        return {"text": "Send the repair engineer", "channel": "sms", "score": 0.8}

    center = ActionCenter(
        outbox_path, settings(receiver.url), secret_env=ENV, recommender=recommender
    )
    m = moment(actions=("ops-alert", "ops-log", "offer", "crm", "undefined"))
    center.submit([m])
    (alert,) = center.alerts()
    assert (alert["severity"], alert["rule"], alert["moment_id"]) == ("high", m.rule, m.moment_id)
    shown = center.moments()[0]["recommendations"]
    assert [(r["source"], r["text"], r["channel"]) for r in shown] == [
        ("rule", "Offer a call back", "phone")
    ]
    with caplog.at_level(logging.WARNING, logger="journeylens.moments"):
        while center.run_due():
            pass
    logged = [json.loads(r.message) for r in caplog.records if r.name == "journeylens.moments"]
    assert [(x["action"], x["moment_id"], x["rule"]) for x in logged] == [
        ("ops-log", m.moment_id, m.rule)
    ]
    assert seen == ["customer_id:C1"]
    full = center.moment(m.moment_id)
    assert full is not None
    assert [(r["source"], r["text"], r["score"]) for r in full["recommendations"]] == [
        ("rule", "Offer a call back", None), ("model", "Send the repair engineer", 0.8)
    ]  # fmt: skip
    statuses = {d["action"]: (d["status"], d["last_error"]) for d in full["deliveries"]}
    assert statuses["undefined"][0] == "failed" and "not defined" in statuses["undefined"][1]
    assert {k: v[0] for k, v in statuses.items() if k != "undefined"} == dict.fromkeys(
        ["ops-alert", "ops-log", "offer", "crm"], "delivered"
    )
    center.close()
    (call,) = receiver.accepted()
    # the recommendation worker ran first, so the webhook carries both recommendations
    assert [r["source"] for r in call.json["recommendations"]] == ["rule", "model"]


def test_listing_filters_and_cursor(outbox_path: Path) -> None:
    center = ActionCenter(outbox_path, settings("http://127.0.0.1:9/x"), secret_env=ENV)
    center.submit([moment(i, rule="a" if i % 2 else "b", actions=()) for i in range(1, 8)])
    page1 = center.moments(limit=3)
    page2 = center.moments(limit=3, after=page1[-1]["seq"])
    page3 = center.moments(limit=3, after=page2[-1]["seq"])
    keys = [m["customer_key"] for m in page1 + page2 + page3]
    assert keys == [f"customer_id:C{i}" for i in range(1, 8)]
    assert [m["customer_key"] for m in center.moments(rule="b")] == [
        "customer_id:C2", "customer_id:C4", "customer_id:C6"
    ]  # fmt: skip
    assert [m["customer_key"] for m in center.moments(customer_key="C5")] == ["customer_id:C5"]
    assert [m["customer_key"] for m in center.moments(customer_key="customer_id:C5")] == [
        "customer_id:C5"
    ]
    since = AT + timedelta(minutes=6)
    assert [m["customer_key"] for m in center.moments(since=since)] == [
        "customer_id:C6", "customer_id:C7"
    ]  # fmt: skip
    newest = center.moments(limit=2, newest_first=True)
    assert [m["customer_key"] for m in newest] == ["customer_id:C7", "customer_id:C6"]
    center.close()
