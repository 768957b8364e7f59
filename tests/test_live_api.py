"""The live API over HTTP: the real server (uvicorn in a subprocess on a loopback port).

Covers auth, bad payloads (nothing stored half-way), idempotent retries, the customer context
by a secondary identifier after stitching, a build through the server, and a ``kill -9``
after acknowledgements (every acknowledged event is there after the restart, and every due
webhook is sent).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

import journeylens
from journeylens.realtime.log import LOG_DIR, segments

SALT = "live-api-test-salt"
START_TIMEOUT = 300.0  # the machine is shared: starting Python + the store can be slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def cli(*args: str) -> Any:
    """Run ``journeylens <args> --json`` and return its JSON."""
    env = {**os.environ, "JOURNEYLENS_SALT": SALT}
    done = subprocess.run(
        [sys.executable, "-m", "journeylens", *args, "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=START_TIMEOUT,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


class Server:
    """``journeylens serve`` in a subprocess."""

    def __init__(self, root: Path, *args: str) -> None:
        self.root = root
        self.args = args
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.output = root.parent / f"serve-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Server:
        env = {k: v for k, v in os.environ.items() if k != "JOURNEYLENS_API_KEY"}
        env["JOURNEYLENS_SALT"] = SALT
        env["JL_TEST_HOOK_SECRET"] = "hook-secret"
        command = [sys.executable, "-m", "journeylens", "serve", "-w", str(self.root)]
        command += ["--port", str(self.port), "--log-level", "warning", *self.args]
        with open(self.output, "ab") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the server exited: {self.output.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        self.stop()
        pytest.fail(f"the server did not start: {self.output.read_text()[-3000:]}")

    def kill9(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.kill9()


# -- the shared server -----------------------------------------------------------------------

HISTORY = """event_id,customer_id,email,ts,channel,activity,topic,outcome,initiator
h1,C1,ann@example.com,2026-01-02T10:00:00Z,web,login,,,customer
h2,C1,,2026-01-03T09:00:00Z,phone,billing_call,billing,unresolved,customer
h3,C2,bob@example.com,2026-01-03T11:00:00Z,email,newsletter,,,company
"""
FEEDBACK = """feedback_id,customer_id,ts,kind,score
f1,C1,2026-01-03T10:00:00Z,csat,2
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    """A built workspace (e-mail hashed) served with batches of at most 50; and a key."""
    base = tmp_path_factory.mktemp("live-api")
    config = {"hashing": {"enabled": True, "fields": ["email"]}}
    previous = os.environ.get("JOURNEYLENS_SALT")
    os.environ["JOURNEYLENS_SALT"] = SALT
    try:
        ws = journeylens.init(base / "ws", config=config)
        (base / "events.csv").write_text(HISTORY)
        (base / "feedback.csv").write_text(FEEDBACK)
        ws.ingest(base / "events.csv")
        ws.ingest(base / "feedback.csv", kind="feedback")
        ws.build()
        ws.close()
    finally:
        if previous is None:
            os.environ.pop("JOURNEYLENS_SALT", None)
        else:
            os.environ["JOURNEYLENS_SALT"] = previous
    key = cli("keys", "create", "--name", "tests", "-w", str(base / "ws"))["key"]
    server = Server(base / "ws", "--max-batch", "50").start()
    yield server, key
    server.stop()


def client(served: tuple[Server, str]) -> httpx.Client:
    server, key = served
    return httpx.Client(base_url=server.url, headers={"X-API-Key": key}, timeout=30)


def status(http: httpx.Client) -> dict[str, Any]:
    answer = http.get("/v1/status")
    assert answer.status_code == 200
    body: dict[str, Any] = answer.json()
    return body


def event(event_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "ts": "2026-01-05T09:30:00Z",
        "customer_id": "C9",
        "channel": "web",
        "activity": "login",
        **extra,
    }


# -- auth ------------------------------------------------------------------------------------


def test_health_is_open_and_every_v1_path_needs_a_valid_key(served: tuple[Server, str]) -> None:
    server, key = served
    assert httpx.get(f"{server.url}/health").json()["status"] == "ok"
    missing = httpx.get(f"{server.url}/v1/status")
    assert missing.status_code == 401 and missing.json()["error"] == "missing_api_key"
    assert missing.headers["www-authenticate"] == "Bearer"
    wrong = httpx.get(f"{server.url}/v1/status", headers={"X-API-Key": key[:-2] + "xx"})
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_api_key"
    bearer = httpx.get(f"{server.url}/v1/status", headers={"Authorization": f"Bearer {key}"})
    assert bearer.status_code == 200
    with client(served) as http:
        before = status(http)["log"]["durable_seq"]
        refused = httpx.post(f"{server.url}/v1/events", json=event("auth-1"))
        assert refused.status_code == 401
        assert status(http)["log"]["durable_seq"] == before
    spec = httpx.get(f"{server.url}/openapi.json").json()
    assert {"/v1/events", "/v1/feedback", "/v1/customers/{identifier}/context"} <= set(
        spec["paths"]
    )
    assert httpx.get(f"{server.url}/docs").status_code == 200


def test_keys_created_and_revoked_from_the_cli_apply_at_once(
    served: tuple[Server, str],
) -> None:
    server, _ = served
    made = cli("keys", "create", "--name", "crm", "-w", str(server.root))
    headers = {"X-API-Key": made["key"]}
    assert httpx.get(f"{server.url}/v1/status", headers=headers).status_code == 200
    listed = cli("keys", "list", "-w", str(server.root))
    assert made["id"] in {k["id"] for k in listed} and "key" not in listed[0]
    assert made["key"] not in (server.root / "live" / "keys.json").read_text()
    cli("keys", "revoke", made["id"], "-w", str(server.root))
    assert httpx.get(f"{server.url}/v1/status", headers=headers).status_code == 401


# -- bad payloads ----------------------------------------------------------------------------


def test_bad_payloads_are_refused_with_reasons_and_nothing_is_stored(
    served: tuple[Server, str],
) -> None:
    with client(served) as http:
        before = status(http)
        wrong_types = [
            event("bad-1"),
            {"event_id": "bad-2", "ts": 1767600000, "customer_id": "C9", "activity": ["x"]},
            event("bad-3", initiator=5),
        ]
        answer = http.post("/v1/events", json=wrong_types)
        assert answer.status_code == 422
        body = answer.json()
        assert body["error"] == "invalid_records"
        assert [(e["index"], e["field"]) for e in body["errors"]] == [
            (1, "ts"),
            (1, "activity"),
            (2, "initiator"),
        ]
        assert all(e["reason"] for e in body["errors"])

        missing = http.post("/v1/events", json={"event_id": "bad-4", "customer_id": "C9"})
        assert missing.status_code == 422
        assert [(e["index"], e["field"]) for e in missing.json()["errors"]] == [
            (0, "ts"),
            (0, "activity"),
        ]

        feedback = http.post(
            "/v1/feedback",
            json=[
                {"ts": "2026-01-05T09:30:00Z", "customer_id": "C9", "kind": "nps", "score": "nine"}
            ],
        )
        assert feedback.status_code == 422
        assert [(e["index"], e["field"]) for e in feedback.json()["errors"]] == [(0, "score")]

        oversized = http.post("/v1/events", json=[event(f"big-{n}") for n in range(51)])
        assert oversized.status_code == 413
        assert (oversized.json()["error"], oversized.json()["max_batch"]) == ("batch_too_large", 50)

        malformed = http.post(
            "/v1/events",
            content=b'[{"event_id": "bad-5",',
            headers={"content-type": "application/json"},
        )
        assert (malformed.status_code, malformed.json()["error"]) == (400, "malformed_json")
        for text in (b'"hello"', b"[]", b"42"):
            odd = http.post("/v1/events", content=text)
            assert (odd.status_code, odd.json()["error"]) == (422, "invalid_body")

        after = status(http)
        assert after["log"]["durable_seq"] == before["log"]["durable_seq"]
        assert after["accepted"] == before["accepted"]
        # the good records of the refused batches were not stored: they are new now
        again = http.post("/v1/events", json=[event("bad-1"), event("big-0")])
        assert again.json()["accepted"] == 2


# -- idempotence -----------------------------------------------------------------------------


def test_retries_are_idempotent_on_event_id(served: tuple[Server, str]) -> None:
    with client(served) as http:
        batch = [event(f"r{n}") for n in range(5)]
        first = http.post("/v1/events", json=batch).json()
        assert (first["accepted"], first["duplicates"]) == (5, 0)
        assert first["last_seq"] - first["first_seq"] == 4
        retry = http.post("/v1/events", json=batch).json()
        assert (retry["accepted"], retry["duplicates"]) == (0, 5)
        assert retry["duplicate_ids"] == [f"r{n}" for n in range(5)]
        mixed = http.post("/v1/events", json=[event("r4"), event("r5")]).json()
        assert (mixed["accepted"], mixed["duplicate_ids"]) == (1, ["r4"])
        twice = http.post("/v1/events", json=[event("r6"), event("r6")]).json()
        assert (twice["accepted"], twice["duplicates"]) == (1, 1)
        anonymous = {k: v for k, v in event("x").items() if k != "event_id"}
        assert http.post("/v1/events", json=anonymous).json()["accepted"] == 1
        assert http.post("/v1/events", json=anonymous).json()["duplicates"] == 1

    # the same new batch sent by four clients at once is stored once
    racing = [event(f"race-{n}") for n in range(20)]
    answers: list[dict[str, Any]] = []

    def send() -> None:
        with client(served) as http:
            answers.append(http.post("/v1/events", json=racing).json())

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(a["accepted"] for a in answers) == 20
    assert all(a["accepted"] + a["duplicates"] == 20 for a in answers)


# -- the customer context --------------------------------------------------------------------


def test_context_by_a_secondary_identifier_after_live_stitching(
    served: tuple[Server, str],
) -> None:
    with client(served) as http:
        linking = {
            "event_id": "l1",
            "ts": "2026-01-04T08:00:00Z",
            "cookie_id": "k-77",
            "email": "ANN@example.com",  # hashed by the server as at ingestion: it is C1's
            "channel": "Internet",
            "activity": "login",
        }
        assert http.post("/v1/events", json=linking).json()["accepted"] == 1
        answer = http.post(
            "/v1/feedback",
            json={
                "feedback_id": "lf1",
                "ts": "2026-01-04T09:00:00Z",
                "cookie_id": "k-77",
                "kind": "nps",
                "score": 3,
            },
        )
        assert answer.json()["accepted"] == 1
        contexts = [
            http.get(f"/v1/customers/{who}/context")
            for who in (
                "cookie_id:k-77",
                "k-77",
                "ann@example.com",
                "email:Ann@Example.com",
                "C1",
                "customer_id:C1",
            )
        ]
        assert [c.status_code for c in contexts] == [200] * 6
        body = contexts[0].json()
        assert all(c.json()["customer"] == body["customer"] for c in contexts)
        assert "ann@example.com" not in contexts[0].text.lower()  # hashed, never shown plain
        customer = body["customer"]
        assert customer["customer_key"] == "customer_id:C1"
        types = {i["type"] for i in customer["identifiers"]}
        assert types == {"customer_id", "email", "cookie_id"}
        timeline = [(e["event_id"], e["source"]) for e in body["timeline"]]
        assert timeline == [("l1", "live"), ("h2", "history"), ("h1", "history")]
        assert body["timeline"][0]["channel"] == "web"
        contacts = body["before"]["last_contacts"]
        assert [(c["event_id"], c["outcome"]) for c in contacts] == [("h2", "unresolved")]
        feedback = [(f["feedback_id"], f["score"], f["source"]) for f in body["before"]["feedback"]]
        assert feedback == [("lf1", 3.0, "live"), ("f1", 2.0, "history")]
        predict = getattr(__import__("journeylens.predict").predict, "context_predictions", None)
        assert ("prediction" in body) == (predict is not None)  # never faked
        limited = http.get("/v1/customers/k-77/context", params={"limit": 1}).json()
        assert [e["event_id"] for e in limited["timeline"]] == ["l1"]
        unknown = http.get("/v1/customers/nobody-at-all/context")
        assert (unknown.status_code, unknown.json()["error"]) == (404, "customer_not_found")


# -- building through the server -------------------------------------------------------------


def test_admin_build_folds_the_live_log_into_the_tables(served: tuple[Server, str]) -> None:
    with client(served) as http:
        before = status(http)
        built = http.post("/v1/admin/build", timeout=START_TIMEOUT)
        assert built.status_code == 200
        assert built.json()["events"] == before["known_ids"]["events"]
        after = status(http)
        assert after["log"]["folded_through"] == before["log"]["durable_seq"]
        # the context now reads the live events from the built history
        body = http.get("/v1/customers/k-77/context").json()
        assert ("l1", "history") in {(e["event_id"], e["source"]) for e in body["timeline"]}


# -- kill -9 ---------------------------------------------------------------------------------


class _Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []
    lock: ClassVar[threading.Lock] = threading.Lock()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with self.lock:
            self.received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


RULES = """
version: 1
settings: {{holdout: 0}}
rules:
  - name: every-call
    description: Every phone call (one moment per event).
    event: {{channel: phone}}
    actions: [hook]
actions:
  hook:
    type: webhook
    url: http://127.0.0.1:{port}/hook
    secret_env: JL_TEST_HOOK_SECRET
    timeout: 2s
    max_attempts: 100
    backoff: 200ms
    max_backoff: 1s
"""


def test_kill_9_loses_no_acknowledged_event_and_every_due_action_is_sent(
    tmp_path: Path,
) -> None:
    pytest.importorskip("journeylens.realtime.actions.center")
    receiver = ThreadingHTTPServer(("127.0.0.1", free_port()), _Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    ws = journeylens.init(tmp_path / "ws")
    ws.close()
    (tmp_path / "ws" / "rules.yaml").write_text(RULES.format(port=receiver.server_address[1]))
    key = cli("keys", "create", "--name", "crash", "-w", str(tmp_path / "ws"))["key"]
    server = Server(tmp_path / "ws").start()
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def send(worker: int) -> None:
        with httpx.Client(base_url=server.url, headers={"X-API-Key": key}, timeout=10) as http:
            for n in range(10_000):
                if stop.is_set():
                    return
                batch = [
                    event(
                        f"k{worker}-{n}-{i}",
                        channel="phone",
                        activity="call",
                        customer_id=f"C{worker}-{i}",
                    )
                    for i in range(20)
                ]
                try:
                    answer = http.post("/v1/events", json=batch)
                except httpx.TransportError:
                    return
                if answer.status_code == 200:
                    with lock:
                        acknowledged.extend(e["event_id"] for e in batch)

    senders = [threading.Thread(target=send, args=(w,)) for w in range(3)]
    for thread in senders:
        thread.start()
    deadline = time.monotonic() + 120
    while len(acknowledged) < 600 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.kill9()  # while requests are in flight
    stop.set()
    for thread in senders:
        thread.join()
    assert len(acknowledged) >= 600
    # a write torn by the crash: half a record at the end of the log
    last = segments(tmp_path / "ws" / LOG_DIR)[-1][1]
    with open(last, "ab") as handle:
        handle.write(b'999999\te\t{"event_id":"torn-')

    restarted = Server(tmp_path / "ws").start()
    try:
        with httpx.Client(base_url=restarted.url, headers={"X-API-Key": key}, timeout=60) as http:
            state = status(http)
            assert state["log"]["torn_bytes_at_start"] > 0
            assert state["process_errors"] == 0
            for start in range(0, len(acknowledged), 1000):
                ids = acknowledged[start : start + 1000]
                again = [event(i, channel="phone", activity="call") for i in ids]
                answer = http.post("/v1/events", json=again).json()
                assert answer["accepted"] == 0, "an acknowledged event was lost"
        wanted = set(acknowledged)
        deadline = time.monotonic() + 180
        delivered: set[str] = set()
        while time.monotonic() < deadline:
            with _Receiver.lock:
                delivered = {i for body in _Receiver.received for i in body["moment"]["event_ids"]}
            if wanted <= delivered:
                break
            time.sleep(0.5)
        assert wanted <= delivered, f"{len(wanted - delivered)} due webhooks were never sent"
    finally:
        restarted.stop()
        receiver.shutdown()
