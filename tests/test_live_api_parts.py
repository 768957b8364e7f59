"""The parts of the live API, in process: log, known ids, validation, keys, fold, service."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import journeylens
from journeylens.config import HashingSettings
from journeylens.errors import ConfigError, WorkspaceError
from journeylens.ingest.hashing import IdentifierHasher, hash_identifier
from journeylens.realtime.fold import fold_live_log, folded_through
from journeylens.realtime.keys import KeyStore
from journeylens.realtime.known_ids import KnownIds
from journeylens.realtime.log import (
    LOG_DIR,
    AppendLog,
    LogDamagedError,
    LogUnavailableError,
    read_records,
    segments,
)
from journeylens.realtime.service import LiveService, RecordsRejectedError, ServeSettings
from journeylens.realtime.validate import LiveValidator

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


def event(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "event_id": f"e{n}",
        "ts": f"2026-01-05T09:{n % 60:02d}:00Z",
        "customer_id": "C1",
        "channel": "web",
        "activity": "login",
        **extra,
    }


# -- the append log --------------------------------------------------------------------------


def test_log_cuts_a_torn_tail_and_keeps_every_flushed_record(tmp_path: Path) -> None:
    log = AppendLog(tmp_path)
    assert log.append("e", [event(1), event(2)]) == (1, 2)
    assert log.append("f", [{"feedback_id": "f1"}]) == (3, 3)
    log.close()
    segment = segments(tmp_path)[0][1]
    whole = segment.read_bytes()
    # a crash in the middle of the next write: half a line, and a line with a wrong check
    segment.write_bytes(whole + b'4\te\t{"event_id":"e4"}\t00000000\n5\te\t{"eve')
    log = AppendLog(tmp_path)
    assert log.torn_bytes == len(segment.read_bytes()) - len(whole) or log.torn_bytes > 0
    assert segment.read_bytes() == whole
    assert [(r.seq, r.kind) for r in log.records()] == [(1, "e"), (2, "e"), (3, "f")]
    assert log.append("e", [event(4)]) == (4, 4)  # numbering goes on after the cut
    log.close()


def test_log_refuses_damage_inside_a_closed_segment(tmp_path: Path) -> None:
    log = AppendLog(tmp_path, segment_bytes=100)  # every write closes its segment
    for n in range(4):
        log.append("e", [event(n)])
    log.close()
    found = segments(tmp_path)
    assert [first for first, _ in found] == [1, 2, 3, 4, 5]  # the last one is empty
    assert [r.seq for r in read_records(tmp_path, after_seq=2)] == [3, 4]
    first = found[0][1]
    first.write_bytes(first.read_bytes().replace(b"login", b"logon"))
    with pytest.raises(LogDamagedError, match="byte 0"):
        list(read_records(tmp_path))  # what a restart reads: the server refuses to start


def test_log_stops_after_a_failed_flush(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = AppendLog(tmp_path)
    log.append("e", [event(1)])

    def broken(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fdatasync", broken)
    with pytest.raises(LogUnavailableError, match="No space left"):
        log.append("e", [event(2)])
    assert not log.available
    with pytest.raises(LogUnavailableError):
        log.submit("e", [event(3)])
    monkeypatch.undo()
    log.close()


def test_group_commit_shares_flushes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    flushes: list[int] = []
    real = os.fdatasync
    log = AppendLog(tmp_path)

    def counted(fd: int) -> None:
        flushes.append(fd)
        real(fd)

    monkeypatch.setattr(os, "fdatasync", counted)
    futures = [log.submit("e", [event(n)])[1] for n in range(200)]
    assert [f.result() for f in futures] == [(n + 1, n + 1) for n in range(200)]
    assert len(flushes) < 200
    log.close()


# -- known ids -------------------------------------------------------------------------------


def test_known_ids_across_set_runs_and_merges() -> None:
    known = KnownIds(freeze_at=3, max_runs=2)
    known.add_many(["a", "b"])
    assert known.runs == 0
    known.add_many(["c", "d"])  # the set reaches 3: frozen into a run
    known.add_many(["e", "f", "g", "h", "i", "j", "k"])  # more runs, merged beyond 2
    assert known.runs <= 2
    ids = list("abcdefghijk")
    assert known.contains_many(ids) == [True] * len(ids)
    assert known.contains_many(["x", "a", "zz"]) == [False, True, False]
    assert len(known) == len(ids)


# -- validation ------------------------------------------------------------------------------


def test_validation_names_every_problem_of_every_record() -> None:
    check = LiveValidator(IdentifierHasher(HashingSettings()), now=lambda: NOW)
    batch = [
        event(1),
        {"ts": 20260105, "customer_id": ["C1"], "activity": "x", "plan": "basic"},
        {"ts": "2026-01-05 09:30", "email": "a@b.c", "activity": "x", "initiator": "robot"},
        {"ts": "2026-03-01T00:00:00Z", "customer_id": 17, "activity": "x"},
        "not an object",
        {"ts": "2026-01-05T09:30:00Z", "device_id": "d1", "activity": "x", "attributes": [1]},
    ]
    errors = [(e.index, e.field) for e in check.events(batch).errors]
    assert errors == [  # in the order of the record's fields, then what is missing
        (1, "ts"),
        (1, "customer_id"),
        (1, "plan"),
        (2, "ts"),
        (2, "initiator"),
        (3, "ts"),  # more than a day in the future
        (4, None),
        (5, "attributes"),
    ]
    reasons = {(e.index, e.field): e.reason for e in check.events(batch).errors}
    assert "no UTC offset" in reasons[(2, "ts")]
    assert "must be a string, not an array" in reasons[(1, "customer_id")]


def test_validation_normalises_like_ingest(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOURNEYLENS_SALT", "pepper")
    hasher = IdentifierHasher(HashingSettings(enabled=True, fields=["email"]))
    check = LiveValidator(hasher, now=lambda: NOW)
    result = check.events(
        [
            {
                "ts": "2026-01-05T10:30:00+01:00",
                "email": " Ann@Example.com",
                "customer_id": 42,
                "channel": "Call Centre",
                "activity": "call",
                "initiator": "Customer",
            }
        ]
    )
    record = result.records[0]
    assert record["ts"] == "2026-01-05T09:30:00+00:00"
    assert record["email"] == hash_identifier("email", "ann@example.com", "pepper")
    assert record["customer_id"] == "42"
    assert (record["channel"], record["initiator"]) == ("phone", "customer")
    again = check.events([dict(result.records[0], email=" Ann@Example.com")])
    assert again.ids == result.ids  # no event_id: a content id, the same for the same record


def test_feedback_validation_follows_the_ingest_rules() -> None:
    check = LiveValidator(IdentifierHasher(HashingSettings()), now=lambda: NOW)
    ts = "2026-01-05T09:30:00Z"
    result = check.feedback(
        [
            {"ts": ts, "customer_id": "C1", "kind": "nps", "score": 11},
            {"ts": ts, "customer_id": "C1", "kind": "csat"},
            {"ts": ts, "customer_id": "C1", "kind": "text", "score": 3, "text": "ok"},
            {"ts": ts, "customer_id": "C1", "score": "9", "kind": "nps"},
            {"ts": ts, "kind": "nps", "score": 9},
            {"ts": ts, "customer_id": "C1", "kind": "stars", "score": 4},
        ]
    )
    assert [(e.index, e.field) for e in result.errors] == [
        (0, "score"),
        (1, "score"),
        (2, "score"),
        (3, "score"),
        (4, "customer_id"),
        (5, "kind"),
    ]
    good = check.feedback(
        [
            {"ts": ts, "event_id": "e1", "text": "slow"},  # a verbatim about an event
            {"ts": ts, "customer_id": "C1", "kind": "NPS", "score": 9, "channel": "Internet"},
        ]
    )
    assert good.ok
    assert good.records[0]["kind"] == "text"
    assert (good.records[1]["scale_min"], good.records[1]["channel"]) == (0.0, "web")


# -- keys -----------------------------------------------------------------------------------


def test_keys_are_stored_hashed_and_revocable(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys.json")
    record, key = store.create("crm")
    other, other_key = store.create("crm")
    text = (tmp_path / "keys.json").read_text()
    assert key.split("_", 2)[2] not in text and record.digest in text
    assert store.verify(key) == record.key_id
    assert store.verify(other_key) == other.key_id
    with pytest.raises(WorkspaceError, match="names 2 keys"):
        store.revoke("crm")
    store.revoke(record.key_id)
    assert store.verify(key) is None and store.verify(other_key) == other.key_id
    fresh = KeyStore(tmp_path / "keys.json")  # another process (the CLI) sees the same
    assert fresh.verify(other_key) == other.key_id and fresh.verify(key) is None
    with pytest.raises(ConfigError, match="at least 24"):
        KeyStore(tmp_path / "keys.json", env_key="short")
    env = KeyStore(tmp_path / "keys.json", env_key="x" * 30)
    assert env.verify("x" * 30) == "env" and env.verify("x" * 29) is None


# -- fold ------------------------------------------------------------------------------------


def test_build_folds_the_live_log_once(tmp_path: Path) -> None:
    ws = journeylens.init(tmp_path / "ws")
    csv = tmp_path / "history.csv"
    csv.write_text(
        "event_id,customer_id,ts,channel,activity\nh1,C1,2026-01-01T10:00:00Z,phone,call\n"
    )
    ws.ingest(csv)
    log = AppendLog(ws.root / LOG_DIR)
    log.append("e", [event(1), event(2, cookie_id="k1")])
    log.append(
        "f",
        [
            {
                "feedback_id": "f1",
                "ts": "2026-01-05T10:00:00+00:00",
                "customer_id": "C1",
                "kind": "nps",
                "score": 9.0,
                "scale_min": 0.0,
                "scale_max": 10.0,
            }
        ],
    )
    assert ws.build().events == 3
    assert folded_through(ws.root) == 3
    rows = ws.events().to_pandas().sort_values("event_id")
    assert rows.event_id.tolist() == ["e1", "e2", "h1"]
    assert rows.source.tolist() == ["live", "live", "history"]
    assert ws.feedback().to_pandas().feedback_id.tolist() == ["f1"]
    assert ws.customer_key("k1") == "customer_id:C1"
    log.append("e", [event(3)])
    again = fold_live_log(ws)  # only what came after the last fold
    assert again is not None and (again.events, again.previous, again.through) == (1, 3, 4)
    crash = fold_live_log(ws)  # the build after it never ran: folding again adds nothing
    assert crash is not None and (crash.events, crash.duplicates) == (0, 1)
    log.close()
    ws.close()


# -- the service -----------------------------------------------------------------------------


class _Failing:
    """A stand-in engine that fails on one event (the service must not lose it)."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def process(self, event: Any) -> list[Any]:
        self.seen.append(event.event_id)
        if event.event_id == "e2":
            raise RuntimeError("boom")
        return []


def test_service_keeps_events_when_the_engine_fails(tmp_path: Path) -> None:
    ws = journeylens.init(tmp_path / "ws")
    settings = ServeSettings(max_batch=3, load_history=False)
    core = _Failing()
    service = LiveService(ws, core=core, actions=None, settings=settings)
    service.start()
    with pytest.raises(RecordsRejectedError) as rejected:
        service.accept_events([event(1), {"ts": "yesterday"}])
    assert [e.index for e in rejected.value.errors] == [1, 1, 1]
    assert service.log.durable_seq == 0  # nothing of the bad batch was stored
    answer = service.accept_events([event(1), event(2), event(3)])
    assert (answer.accepted, answer.first_seq, answer.last_seq) == (3, 1, 3)
    assert service.stats.process_errors == 1
    assert service.accept_events([event(2), event(4)]).duplicate_ids == ["e2"]
    service.log.close()
    # a restart replays the log into a fresh engine: e2 gets its second chance
    restarted = LiveService(ws, core=_Failing(), actions=None, settings=settings)
    restarted.start()
    assert restarted.core.seen == ["e1", "e2", "e3", "e4"]
    assert restarted.accept_events([event(4)]).duplicates == 1
    restarted.close()
