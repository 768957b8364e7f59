"""Moments and actions through the real server (uvicorn in a subprocess on a loopback port),
a real webhook receiver, the live stream, and a kill -9 with a delivery still due."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

import journeylens
from journeylens.realtime.actions.center import ActionCenter
from journeylens.realtime.actions.settings import parse_actions
from journeylens.realtime.moments import Moment

from .actions_receiver import Receiver, free_port, wait_for

SECRET = "whsec-api-test-0123456789"
API_KEY = "jl-test-key-0123456789abcdef"
HEADERS = {"X-API-Key": API_KEY}

RULES = """
rules:
  - name: payment-failed
    description: a web payment failed
    priority: 3
    event: {{activity: payment_failed}}
    actions: [crm, offer, ops-alert]
actions:
  crm:
    type: webhook
    url: {url}
    secret_env: JL_API_HOOK_SECRET
    timeout: 5s
    max_attempts: 100
    backoff: 100ms
    max_backoff: 300ms
  offer: {{type: next_best_action, text: Offer to take the payment by phone, channel: phone}}
  ops-alert: {{type: alert, severity: high}}
"""


def make_workspace(root: Path, url: str) -> Path:
    ws = journeylens.init(root)
    csv = root / "seed.csv"
    csv.write_text("customer_id,ts,channel,activity\nC0,2026-01-01T09:00:00Z,web,login\n")
    ws.ingest(csv)
    ws.build()
    ws.close()
    (root / "rules.yaml").write_text(RULES.format(url=url))
    return root


class Server:
    """``journeylens serve`` in a subprocess."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> Server:
        env = {**os.environ, "JL_API_HOOK_SECRET": SECRET, "JOURNEYLENS_API_KEY": API_KEY}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "journeylens", "serve", "-w", str(self.root),
             "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip

        def up() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"the server exited: {self.process.stderr.read()}")  # type: ignore[union-attr]
            try:
                return httpx.get(f"{self.url}/health", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(up, timeout=600, what="the server to start")
        return self

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()


def event(n: int, activity: str = "payment_failed", customer: str = "C1") -> dict[str, Any]:
    return {
        "event_id": f"ev-{n}",
        "ts": f"2026-01-05T09:{n:02d}:00Z",
        "customer_id": customer,
        "channel": "web",
        "activity": activity,
    }


def read_stream(url: str, found: list[dict[str, Any]], ready: threading.Event) -> None:
    with httpx.stream("GET", url, headers=HEADERS, timeout=60) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        ready.set()
        kind = None
        for line in response.iter_lines():
            if line.startswith("event:"):
                kind = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and kind == "moment":
                found.append(json.loads(line.split(":", 1)[1]))
                return


@pytest.mark.slow
def test_moments_actions_and_a_kill_9_through_the_server(tmp_path: Path) -> None:
    receiver = Receiver(SECRET).start()
    port = receiver.port
    root = make_workspace(tmp_path / "ws", receiver.url)
    server = Server(root).start()
    base = f"{server.url}/v1"
    try:
        assert httpx.get(f"{base}/moments").status_code == 401
        streamed: list[dict[str, Any]] = []
        ready = threading.Event()
        reader = threading.Thread(
            target=read_stream, args=(f"{base}/moments/stream", streamed, ready), daemon=True
        )
        reader.start()
        assert ready.wait(60)
        answer = httpx.post(
            f"{base}/events", json=[event(1, "login"), event(2)], headers=HEADERS, timeout=60
        )
        assert answer.status_code in (200, 201, 202), answer.text
        reader.join(60)
        assert [m["rule"] for m in streamed] == ["payment-failed"]
        moment_id = streamed[0]["moment_id"]
        assert streamed[0]["event_ids"] == ["ev-2"]
        wait_for(lambda: len(receiver.accepted()) == 1, 180, "the webhook")
        call = receiver.accepted()[0]
        assert call.signature_valid
        assert call.json["moment"]["moment_id"] == moment_id
        assert call.json["recommendations"][0]["text"] == "Offer to take the payment by phone"

        listed = httpx.get(f"{base}/moments", params={"rule": "payment-failed"}, headers=HEADERS)
        body = listed.json()
        assert [m["moment_id"] for m in body["moments"]] == [moment_id]
        assert body["has_more"] is False
        by_customer = httpx.get(f"{base}/moments", params={"customer": "C1"}, headers=HEADERS)
        assert [m["moment_id"] for m in by_customer.json()["moments"]] == [moment_id]
        later = httpx.get(
            f"{base}/moments", params={"cursor": body["next_cursor"]}, headers=HEADERS
        )
        assert later.json()["moments"] == []
        one = httpx.get(f"{base}/moments/{moment_id}", headers=HEADERS).json()
        assert {d["action"]: d["status"] for d in one["deliveries"]} == {
            "crm": "delivered", "offer": "delivered", "ops-alert": "delivered"
        }  # fmt: skip
        assert httpx.get(f"{base}/moments/nope", headers=HEADERS).status_code == 404
        actions = httpx.get(f"{base}/actions", headers=HEADERS).json()
        crm = next(a for a in actions["actions"] if a["name"] == "crm")
        assert crm["target"] == f"http://127.0.0.1:{port}"  # the host, no path
        assert crm["deliveries"]["delivered"] == 1
        assert SECRET not in json.dumps(actions)
        delivered = httpx.get(
            f"{base}/actions/deliveries", params={"status": "delivered"}, headers=HEADERS
        ).json()["deliveries"]
        assert {d["action"] for d in delivered} == {"crm", "offer", "ops-alert"}
        alerts = httpx.get(f"{base}/actions/alerts", headers=HEADERS).json()["alerts"]
        assert [(a["severity"], a["moment_id"]) for a in alerts] == [("high", moment_id)]
        bad = httpx.get(f"{base}/moments", params={"cursor": "x"}, headers=HEADERS)
        assert bad.status_code == 400 and bad.json()["error"] == "invalid_cursor"

        # the target goes down; a second moment's webhook fails and stays due
        receiver.stop()
        answer = httpx.post(f"{base}/events", json=[event(3)], headers=HEADERS, timeout=60)
        assert answer.status_code in (200, 201, 202), answer.text

        def failed_once() -> bool:
            found = httpx.get(
                f"{base}/actions/deliveries",
                params={"action": "crm", "status": "pending"},
                headers=HEADERS,
            ).json()["deliveries"]
            return bool(found) and found[0]["attempts"] >= 1 and bool(found[0]["last_error"])

        wait_for(failed_once, 180, "a failed attempt")
    finally:
        server.kill()  # kill -9 with a delivery due
        receiver.stop()
    back = Receiver(SECRET, port=port).start()
    restarted = Server(root).start()
    try:
        wait_for(lambda: len(back.accepted()) == 1, 180, "the delivery after the restart")
        moments = httpx.get(f"{restarted.url}/v1/moments", headers=HEADERS).json()["moments"]
        # the replayed log fired both moments again: each is recorded once
        assert [m["event_ids"] for m in moments] == [["ev-2"], ["ev-3"]]
        assert back.accepted()[0].json["moment"]["moment_id"] == moments[1]["moment_id"]
        assert back.accepted()[0].signature_valid
    finally:
        restarted.stop()
        back.stop()


def test_subscribe_yields_new_moments_in_process(tmp_path: Path) -> None:
    settings = parse_actions({"actions": {}})
    center = ActionCenter(tmp_path / "outbox.sqlite", settings)
    at = datetime(2026, 1, 5, tzinfo=UTC)
    center.submit([Moment.of("old", "customer_id:C0", at, ("e0",))])

    async def follow() -> list[dict[str, Any]]:
        stream = center.subscribe(rule="r", heartbeat=60)
        first = asyncio.ensure_future(stream.__anext__())
        await asyncio.sleep(0.05)
        assert not first.done()  # nothing new yet (the old moment is not replayed)
        await asyncio.to_thread(
            center.submit,
            [Moment.of("other", "customer_id:C1", at, ("e1",)),
             Moment.of("r", "customer_id:C2", at + timedelta(minutes=1), ("e2",))],
        )  # fmt: skip
        got = [await asyncio.wait_for(first, 10)]
        await stream.aclose()
        return got

    got = asyncio.run(follow())
    assert [(m["rule"], m["customer_key"]) for m in got] == [("r", "customer_id:C2")]
    center.close()
