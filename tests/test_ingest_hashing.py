"""Salted hashing of personal identifiers at ingestion: nothing raw is ever stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import journeylens
from journeylens.errors import ConfigError
from journeylens.ingest.hashing import hash_identifier
from journeylens.workspace import Workspace

from .conftest import write_text

SALT = "pepper-for-tests-only"
HASHING = {"hashing": {"enabled": True, "fields": ["email", "phone"], "salt_env": "JL_TEST_SALT"}}

RAW_EMAIL = "Ann.Smith@Example.com"
RAW_PHONE = "+31 (0)20-555 0101"


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    monkeypatch.setenv("JL_TEST_SALT", SALT)
    workspace = journeylens.init(tmp_path / "ws", config=HASHING)
    yield workspace
    workspace.close()


def _all_text(ws: Workspace, table: str) -> str:
    """Every value of ``table`` as one string, to search for leaks."""
    frame = ws.backend.to_pandas(ws.backend.table(table))
    return json.dumps(frame.astype(str).to_dict("records"), ensure_ascii=False)


def test_identifiers_are_hashed_and_never_stored_raw(ws: Workspace, tmp_path: Path) -> None:
    source = write_text(
        tmp_path / "contacts.csv",
        "customer_id,email,phone,ts,activity\n"
        f"C1,{RAW_EMAIL},{RAW_PHONE},2025-01-01T10:00:00Z,call\n"
        f"C2,{RAW_EMAIL},,2025-01-01T11:00:00Z,mail\n"
        f"C3,{RAW_EMAIL},,not a date,mail\n"  # rejected: its e-mail goes to quarantine
        f"C4,{RAW_EMAIL},{RAW_PHONE},2025-01-01T12:00:00Z\n",  # cannot even be split
    )

    report = ws.ingest(source)

    assert (report.accepted, report.rejected) == (2, 2)
    rows = sorted(ws.events().to_pylist(), key=lambda r: r["customer_id"])
    expected_email = hash_identifier("email", RAW_EMAIL, SALT)
    assert [r["email"] for r in rows] == [expected_email, expected_email]
    assert rows[0]["phone"] == hash_identifier("phone", RAW_PHONE, SALT)
    assert rows[1]["phone"] is None  # missing stays missing, not a hash of nothing
    assert rows[0]["customer_id"] == "C1"  # only the configured fields are hashed
    for table in ("events", "quarantine"):
        text = _all_text(ws, table).lower()
        for raw in (RAW_EMAIL.lower(), "ann.smith", "555 0101", "5550101"):
            assert raw not in text, (table, raw)
    rejected = {r["source_line"]: r for r in ws.quarantine().to_pylist()}
    assert json.loads(rejected[4]["raw"])["email"] == expected_email  # hashed, still useful
    assert rejected[5]["raw"] is None  # an unsplit line cannot be hashed: withheld


def test_same_value_same_hash_across_files(ws: Workspace, tmp_path: Path) -> None:
    first = write_text(
        tmp_path / "web.csv",
        "cookie_id,email,ts,activity\nK1,ann@example.com,2025-01-01T10:00:00Z,login\n",
    )
    second = write_text(
        tmp_path / "shop.jsonl",
        json.dumps({"email": "  ANN@example.COM ", "ts": "2025-01-02T10:00:00Z", "activity": "buy"})
        + "\n",
    )

    ws.ingest(first)
    ws.ingest(second)

    emails = {r["activity"]: r["email"] for r in ws.events().to_pylist()}
    assert emails["login"] == emails["buy"]  # normalised before hashing: one customer
    assert emails["login"].startswith("h:")


def test_hashed_feedback(ws: Workspace, tmp_path: Path) -> None:
    source = write_text(
        tmp_path / "survey.csv",
        f"email,ts,kind,score\n{RAW_EMAIL},2025-01-01T10:00:00Z,nps,7\n",
    )

    ws.ingest(source, kind="feedback")

    [row] = ws.feedback().to_pylist()
    assert row["email"] == hash_identifier("email", RAW_EMAIL, SALT)
    assert RAW_EMAIL.lower() not in _all_text(ws, "feedback").lower()


def test_content_ids_do_not_reveal_identifiers(ws: Workspace, tmp_path: Path) -> None:
    source = write_text(
        tmp_path / "e.csv", f"email,ts,activity\n{RAW_EMAIL},2025-01-01T10:00:00Z,login\n"
    )

    ws.ingest(source)
    again = ws.ingest(source)

    assert (again.accepted, again.duplicates) == (0, 1)  # ids are stable under hashing
    [row] = ws.events().to_pylist()
    assert "ann" not in row["event_id"].lower()


def test_missing_salt_is_a_config_error_with_a_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JL_TEST_SALT", raising=False)
    source = write_text(tmp_path / "e.csv", f"email,ts,activity\n{RAW_EMAIL},2025-01-01,login\n")

    with journeylens.init(tmp_path / "ws", config=HASHING) as ws:
        with pytest.raises(ConfigError) as caught:
            ws.ingest(source)

        message = str(caught.value)
        assert "JL_TEST_SALT" in message and "not set" in message
        assert "export JL_TEST_SALT=" in message  # how to fix it
        assert not ws.backend.has_table("events")  # nothing raw slipped in
        assert not ws.backend.has_table("quarantine")


def test_hashing_off_stores_values_as_given(tmp_path: Path) -> None:
    source = write_text(tmp_path / "e.csv", f"email,ts,activity\n{RAW_EMAIL},2025-01-01,login\n")

    with journeylens.init(tmp_path / "ws") as ws:
        ws.ingest(source)
        [row] = ws.events().to_pylist()

    assert row["email"] == RAW_EMAIL


def test_unknown_hashing_field_is_a_config_error(tmp_path: Path) -> None:
    bad = {"hashing": {"enabled": True, "fields": ["e_mail"]}}

    with pytest.raises(Exception, match="e_mail"):
        journeylens.init(tmp_path / "ws", config=bad)
