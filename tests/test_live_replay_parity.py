"""One engine for both modes: the live server fires exactly the moments replay finds.

The demo world's records (events by time and input order, feedback interleaved by time) are
sent through HTTP, in that order, to a real server (uvicorn in a subprocess) on an empty
workspace with the demo's journey definitions, maps and rules on the event clock; the moments
it records (``GET /v1/moments``, in recording order) must be exactly those of
``rules replay`` over the built demo workspace with identities stitched as the records come
(``identity="fresh"``, what the server starting empty sees): same ids, same order, same
customers, events, journeys and details. A second check does the same at the level of
`LiveCore`, without the server.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

import journeylens
from journeylens.analytics.journey_maps import load_journey_maps
from journeylens.demo import config as demo_config
from journeylens.realtime.core import LiveCore
from journeylens.realtime.moments import Moment
from journeylens.realtime.records import LiveEvent, LiveFeedback
from journeylens.realtime.rules.loader import check_rules_text, workspace_context
from journeylens.realtime.rules.replay import Replay, replay
from journeylens.realtime.rules.ruleset import RuleSet
from journeylens.realtime.rules.sources import history
from journeylens.store.schema import IDENTIFIER_FIELDS
from journeylens.workspace import Workspace

START_TIMEOUT = 300.0
BATCH = 500


def _demo_rules_text() -> str:
    """The packaged demo rules, on the event clock (the stream is recorded history)."""
    text = resources.files("journeylens.demo").joinpath("rules.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    data["settings"]["clock"] = "event"
    return yaml.safe_dump(data, sort_keys=False)


def _maps(ws: Workspace) -> Any:
    return load_journey_maps(ws.root / "demo-data" / "journey_maps.yaml")


def _rules(ws: Workspace, text: str) -> RuleSet:
    context = workspace_context(ws.root, ws.config, _maps(ws))
    result = check_rules_text(text, "rules.yaml", context)
    assert result.rules is not None, result.problems
    return result.rules


@pytest.fixture(scope="module")
def replayed(demo_ws: Workspace) -> Replay:
    rules = _rules(demo_ws, _demo_rules_text())
    return replay(demo_ws, rules, maps=_maps(demo_ws), identity="fresh")


def _payload(record: LiveEvent | LiveFeedback) -> dict[str, Any]:
    """A history record as a client would send it."""
    fields = (
        ("event_id", "channel", "activity", "initiator", "topic", "outcome", "journey_key")
        if isinstance(record, LiveEvent)
        else (
            "feedback_id",
            "kind",
            "score",
            "scale_min",
            "scale_max",
            "text",
            "channel",
            "event_id",
            "journey_key",
        )
    )
    body: dict[str, Any] = {"ts": record.ts.isoformat()}
    for name in fields:
        value = getattr(record, name)
        if value is not None:
            body[name] = value
    body.update({k: v for k, v in record.identifiers.items() if k in IDENTIFIER_FIELDS})
    if record.attributes:
        body["attributes"] = dict(record.attributes)
    return body


def _runs(ws: Workspace) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Consecutive records of one kind, in replay order, in batches of at most `BATCH`."""
    kind, batch = "", []
    for record in history(ws.backend):
        this = "events" if isinstance(record, LiveEvent) else "feedback"
        if batch and (this != kind or len(batch) >= BATCH):
            yield kind, batch
            batch = []
        kind = this
        batch.append(_payload(record))
    if batch:
        yield kind, batch


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _serve(root: Path) -> tuple[subprocess.Popen[bytes], str, Path]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    output = root.parent / "serve.log"
    env = {k: v for k, v in os.environ.items() if k != "JOURNEYLENS_API_KEY"}
    command = [
        sys.executable,
        "-m",
        "journeylens",
        "serve",
        "-w",
        str(root),
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    with open(output, "ab") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited: {output.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return process, url, output
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    process.kill()
    pytest.fail(f"the server did not start: {output.read_text()[-3000:]}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()


def _comparable(moment: dict[str, Any]) -> tuple[Any, ...]:
    details = moment["details"]
    if isinstance(details, str):
        details = json.loads(details)
    ts = moment["ts"]
    if isinstance(ts, str):
        ts = datetime.fromisoformat(ts.replace("Z", "+00:00"))
    return (
        moment["moment_id"],
        moment["rule"],
        moment["customer_key"],
        ts,
        list(moment["event_ids"]),
        moment["journey_key"],
        json.loads(json.dumps(details, default=str)),
    )


@pytest.mark.slow
def test_the_live_server_fires_the_moments_replay_finds(
    demo_ws: Workspace, replayed: Replay, tmp_path: Path
) -> None:
    root = tmp_path / "live"
    ws = journeylens.init(root, config={"journeys": demo_config()})
    ws.close()
    (root / "journey_maps.yaml").write_text(
        (demo_ws.root / "demo-data" / "journey_maps.yaml").read_text("utf-8"), "utf-8"
    )
    (root / "rules.yaml").write_text(_demo_rules_text(), "utf-8")
    created = subprocess.run(
        [sys.executable, "-m", "journeylens", "keys", "create", "--name", "parity", "-w",
         str(root), "--json"],
        capture_output=True, text=True, timeout=START_TIMEOUT,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    key = json.loads(created.stdout)["key"]
    process, url, output = _serve(root)
    try:
        with httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=120) as http:
            sent = 0
            for kind, batch in _runs(demo_ws):
                answer = http.post(f"/v1/{kind}", json=batch)
                assert answer.status_code == 200, answer.text[:2000]
                assert answer.json()["accepted"] == len(batch)
                sent += len(batch)
            assert sent == replayed.events + replayed.feedback
            live: list[dict[str, Any]] = []
            cursor = None
            while True:
                params: dict[str, Any] = {"limit": 1000}
                if cursor:
                    params["cursor"] = cursor
                page = http.get("/v1/moments", params=params).json()
                live.extend(page["moments"])
                cursor = page["next_cursor"]
                if not page["has_more"]:
                    break
            rules = {r["name"]: r for r in http.get("/v1/rules").json()["rules"]}
            _check_rule_endpoints(http, root)
    finally:
        _stop(process)
    expected = [_comparable(m) for m in replayed.moments.to_pylist()]
    assert len(expected) > 1000
    assert [_comparable(m) for m in live] == expected, output.read_text()[-2000:]
    counts = {r["rule"]: r["moments"] for r in replayed.counts()}
    assert {name: r["fired"] for name, r in rules.items()} == counts


def _check_rule_endpoints(http: httpx.Client, root: Path) -> None:
    """Validate a posted file; switch a rule off and on (remembered in live/)."""
    assert httpx.get(str(http.base_url.join("/v1/rules"))).status_code == 401  # no key
    bad = "rules:\n  - name: x\n    count: {where: {chanel: phone}, at_least: 2, within: 1d}\n"
    answer = http.post("/v1/rules/validate", content=bad,
                       headers={"Content-Type": "application/yaml"}).json()  # fmt: skip
    assert answer["valid"] is False
    (problem,) = answer["problems"]
    assert (problem["line"], problem["rule"], problem["field"]) == (3, "x", "count.where.chanel")
    good = http.post("/v1/rules/validate", content=_demo_rules_text()).json()
    assert good["valid"] is True and good["rules"] >= 10
    off = http.post("/v1/rules/angry-verbatim/disable")
    assert off.json() == {"name": "angry-verbatim", "enabled": False}
    listed = {r["name"]: r["enabled"] for r in http.get("/v1/rules").json()["rules"]}
    assert listed["angry-verbatim"] is False and listed["detractor-journey-nps"] is True
    switches = json.loads((root / "live" / "rule_switches.json").read_text("utf-8"))
    assert switches == {"angry-verbatim": False}
    assert http.post("/v1/rules/angry-verbatim/enable").json()["enabled"] is True
    missing = http.post("/v1/rules/nope/disable")
    assert missing.status_code == 404 and missing.json()["error"] == "rule_not_found"


def test_records_fed_one_by_one_to_a_live_core_fire_what_replay_finds(
    demo_ws: Workspace, replayed: Replay
) -> None:
    core = LiveCore.from_workspace(
        demo_ws, _rules(demo_ws, _demo_rules_text()), identity="fresh", history=False,
        maps=_maps(demo_ws),
    )  # fmt: skip
    assert core.clock == "event" and core.lateness == 600
    fired: list[Moment] = []
    for record in history(demo_ws.backend):
        # a client's JSON and back: the live path sees plain dictionaries, not table rows
        if isinstance(record, LiveEvent):
            fired += core.process(_as_sent(record))
        else:
            fired += core.process_feedback(_as_sent(record))
    assert [m.moment_id for m in fired] == replayed.moments.column("moment_id").to_pylist()
    assert len({m.rule for m in fired}) == len(replayed.counts())


def _as_sent(record: Any) -> Any:
    from dataclasses import replace

    return replace(record, attributes=json.loads(json.dumps(dict(record.attributes))))
