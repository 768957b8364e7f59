"""A deliberately broken CSV export: every bad row in quarantine, every good row intact.

`fixtures/broken_events.csv` is written as bytes (CRLF line ends, one Latin-1 byte in a UTF-8
file, quoted fields over several lines, a blank line). Its rows, by the line they start on:

====  ======  ==============================================  =============================
line  id      what                                            expected
====  ======  ==============================================  =============================
2     E001    customer id + e-mail, ``Z``                     accepted
3     E002    ``+01:00``; note spans lines 3-4                accepted
5     E003    zone-less ``2025-07-01 08:30:00``               accepted (read as UTC)
6     E004    no identifier at all                            rejected, customer_id
7     E005    2025-02-30                                      rejected, ts
8     E006    ``yesterday``                                   rejected, ts
9     E007    first of an identical pair                      accepted
10    E007    identical re-send of line 9                     duplicate
11    E008    first use of E008                               accepted
12    E008    different record re-using E008                  rejected, event_id
13    E009    Latin-1 ``é`` in a UTF-8 file                   rejected, note
14    E010    10 fields instead of 9                          rejected (no field)
15    E011    initiator ``robot``                             rejected, initiator
16    E012    no activity                                     rejected, activity
17    --      blank line                                      not a record
18    E013    ``Internet``/``Customer``, quotes and comma      accepted (web, customer)
19    E014    e-mail only, ``-05:00``                         accepted
20    E015    no timestamp                                    rejected, ts
21    E016    date only                                       accepted (midnight UTC)
22    E017    fraction of a second, ``+01:00``                accepted
23    E018    note spans lines 23-25                          accepted
26    E019    5 fields instead of 9                           rejected (no field)
27    E020    non-ASCII UTF-8                                 accepted
28    E021    last row                                        accepted
====  ======  ==============================================  =============================
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

import journeylens
from journeylens.workspace import Workspace

FIXTURE = Path(__file__).parent / "fixtures" / "broken_events.csv"

DATA_ROWS = 23  # records in the file (the header and the blank line are not records)

ACCEPTED: dict[str, tuple[datetime, int]] = {  # event_id -> (UTC timestamp, line)
    "E001": (datetime(2025, 3, 1, 9, 0), 2),
    "E002": (datetime(2025, 3, 1, 9, 15), 3),
    "E003": (datetime(2025, 7, 1, 8, 30), 5),
    "E007": (datetime(2025, 3, 3, 8, 0), 9),
    "E008": (datetime(2025, 3, 4, 12, 0), 11),
    "E013": (datetime(2025, 3, 6, 14, 0), 18),
    "E014": (datetime(2025, 3, 7, 13, 0), 19),
    "E016": (datetime(2025, 3, 8, 0, 0), 21),
    "E017": (datetime(2025, 3, 9, 22, 30, 0, 250_000), 22),
    "E018": (datetime(2025, 3, 10, 10, 0), 23),
    "E020": (datetime(2025, 3, 12, 10, 0), 27),
    "E021": (datetime(2025, 3, 13, 10, 0), 28),
}

#: line -> (field, words the reason must contain: what is wrong and how to fix it)
REJECTED: dict[int, tuple[str | None, tuple[str, ...]]] = {
    6: ("customer_id", ("no identifier", "give at least one of", "email")),
    7: ("ts", ("'2025-02-30T10:00:00Z'", "timestamp", "--date-format")),
    8: ("ts", ("'yesterday'", "timestamp", "--date-format")),
    12: ("event_id", ("'E008'", "line 11", "give each record its own event_id")),
    13: ("note", ("not valid utf-8", "--encoding latin-1")),
    14: (None, ("expected 9 fields", "found 10", "quote values")),
    15: ("initiator", ("'robot'", "customer, company")),
    16: ("activity", ("missing activity", "fill it in")),
    20: ("ts", ("missing timestamp", "fill it in")),
    26: (None, ("expected 9 fields", "found 5")),
}

DUPLICATES = 1  # line 10, an identical re-send of line 9


def _quarantine(ws: Workspace) -> list[dict[str, Any]]:
    rows = ws.quarantine().to_pylist()
    return sorted(rows, key=lambda r: (r["ingested_at"], r["source_line"]))


def test_the_fixture_is_really_broken() -> None:
    data = FIXTURE.read_bytes()
    assert data.count(b"\n") == 28  # 28 lines ...
    assert data.count(b"\r\n") == 25  # ... ending in CRLF but for 3 inside quoted fields
    assert b"caf\xe9 au lait" in data  # a Latin-1 byte: not valid UTF-8
    assert "Zoë \u2013 東京 ✓".encode() in data  # and valid UTF-8 elsewhere
    assert b'"called about the bill\n(second line' in data  # LF inside a quoted field


def test_every_record_is_accounted_for(ws: Workspace) -> None:
    report = ws.ingest(FIXTURE)

    assert report.read == DATA_ROWS
    assert (report.accepted, report.rejected, report.duplicates) == (
        len(ACCEPTED),
        len(REJECTED),
        DUPLICATES,
    )
    # Every data row is accepted, rejected or an identical re-send of an accepted row.
    assert report.accepted + report.rejected + report.duplicates == DATA_ROWS
    assert report.files[0].balanced
    assert sum(report.files[0].reasons.values()) == len(REJECTED)


def test_every_bad_row_is_quarantined_with_line_field_and_fix(ws: Workspace) -> None:
    ws.ingest(FIXTURE)

    rows = _quarantine(ws)
    assert [r["source_line"] for r in rows] == sorted(REJECTED)
    for row in rows:
        field, words = REJECTED[row["source_line"]]
        assert row["field"] == field, row
        for word in words:
            assert word in row["reason"], (word, row["reason"])
        assert row["kind"] == "events"
        assert row["source_file"] == str(FIXTURE)
        assert row["raw"], row  # the record itself is kept for inspection


def test_quarantine_keeps_the_raw_record(ws: Workspace) -> None:
    ws.ingest(FIXTURE)

    by_line = {r["source_line"]: r for r in _quarantine(ws)}
    # Rows that could be split keep their source columns as JSON.
    assert json.loads(by_line[8]["raw"])["ts"] == "yesterday"
    assert json.loads(by_line[15]["raw"])["initiator"] == "robot"
    # Rows that could not be split keep their text; the undecodable byte is replaced, not lost.
    assert by_line[14]["raw"].endswith(",one,two")
    assert "caf\ufffd au lait" in by_line[13]["raw"]
    # The conflicting re-use of an id shows the record that lost.
    assert json.loads(by_line[12]["raw"])["customer_id"] == "C006"


def test_good_rows_are_stored_with_utc_timestamps(ws: Workspace) -> None:
    ws.ingest(FIXTURE)

    events = {e["event_id"]: e for e in ws.events().to_pylist()}
    assert set(events) == set(ACCEPTED)
    for event_id, (ts, line) in ACCEPTED.items():
        assert events[event_id]["ts"] == ts, event_id
        assert events[event_id]["source_line"] == line, event_id

    def note(event_id: str) -> str:
        return str(json.loads(events[event_id]["attributes"])["note"])

    assert note("E002") == "called about the bill\n(second line of the note)"
    assert note("E018") == "multi\nline\nthree"
    assert note("E013") == 'says "hi", then leaves'
    assert note("E020") == "unicode: Zoë \u2013 東京 ✓"
    assert events["E007"]["attributes"] is None  # empty note: no attributes at all
    assert events["E008"]["customer_id"] == "C005"  # the first use of E008 wins
    assert (events["E013"]["channel"], events["E013"]["initiator"]) == ("web", "customer")
    assert (events["E014"]["customer_id"], events["E014"]["email"]) == (None, "bob@example.com")
    assert events["E001"]["topic"] == "billing"


def test_reingesting_adds_nothing(ws: Workspace) -> None:
    first = ws.ingest(FIXTURE)
    again = ws.ingest(FIXTURE)

    assert again.read == DATA_ROWS
    assert again.accepted == 0
    # What was stored is a duplicate now (plus the re-send, a duplicate both times) ...
    assert again.duplicates == first.accepted + DUPLICATES
    # ... and bad rows are still bad: rejected again, so the counts still balance.
    assert again.rejected == first.rejected
    assert again.accepted + again.rejected + again.duplicates == DATA_ROWS
    assert ws.events().to_pandas()["event_id"].is_unique
    assert len(ws.events().to_pandas()) == len(ACCEPTED)
    # The quarantine records each run's rejects once, with that run's time.
    rows = _quarantine(ws)
    assert len(rows) == 2 * len(REJECTED)
    runs = {r["ingested_at"] for r in rows}
    assert len(runs) == 2
    for run in runs:
        assert sorted(r["source_line"] for r in rows if r["ingested_at"] == run) == sorted(REJECTED)


@pytest.mark.parametrize("batch_rows", [1, 2, 3])
def test_small_batches_give_the_same_result(ws: Workspace, batch_rows: int) -> None:
    """Duplicates and conflicts are found across batches of one file too."""
    from journeylens.ingest import IngestOptions, ingest_files
    from journeylens.ingest.hashing import IdentifierHasher

    report = ingest_files(
        ws.backend,
        [FIXTURE],
        IngestOptions(batch_rows=batch_rows),
        IdentifierHasher(ws.config.hashing),
    )

    assert (report.accepted, report.rejected, report.duplicates) == (
        len(ACCEPTED),
        len(REJECTED),
        DUPLICATES,
    )
    assert [r["source_line"] for r in _quarantine(ws)] == sorted(REJECTED)
    stored = {e["event_id"]: e["source_line"] for e in ws.events().to_pylist()}
    assert stored == {k: line for k, (_, line) in ACCEPTED.items()}


# -- the command line -----------------------------------------------------------------------
#
# Starting the CLI costs seconds of imports, so one real run (`python -m journeylens`) checks
# the counts and exit code 0; the exit codes 1 and 2 are checked on the same Typer app in
# process.


def test_cli_gives_the_same_counts(tmp_path: Path) -> None:
    journeylens.init(tmp_path / "ws").close()
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
    env.pop("JOURNEYLENS_WORKSPACE", None)

    result = subprocess.run(
        [sys.executable, "-m", "journeylens", "ingest", str(FIXTURE), "-w", "ws", "--json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["read"], report["accepted"], report["rejected"], report["duplicates"]) == (
        DATA_ROWS,
        len(ACCEPTED),
        len(REJECTED),
        DUPLICATES,
    )
    with journeylens.open(tmp_path / "ws") as ws:
        assert [r["source_line"] for r in _quarantine(ws)] == sorted(REJECTED)


def _invoke(*args: str | Path) -> Result:
    from journeylens.cli.app import app

    return CliRunner().invoke(app, [str(a) for a in args], env={"NO_COLOR": "1"})


def test_cli_exits_1_when_nothing_could_be_read(tmp_path: Path) -> None:
    journeylens.init(tmp_path / "ws").close()
    bad = tmp_path / "bad.csv"
    bad.write_bytes(
        b"customer_id,ts,activity\n"
        b"C1,not a date,login\n"
        b",2025-01-01T00:00:00Z,login\n"
        b"C3,2025-01-01T00:00:00Z\n"
    )

    result = _invoke("ingest", bad, "-w", tmp_path / "ws", "--json")

    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)  # the counts are still printed
    assert (report["read"], report["accepted"], report["rejected"]) == (3, 0, 3)


def test_cli_exits_0_when_everything_was_there_already(tmp_path: Path) -> None:
    journeylens.init(tmp_path / "ws").close()
    with journeylens.open(tmp_path / "ws") as ws:
        ws.ingest(FIXTURE)

    result = _invoke("ingest", FIXTURE, "-w", tmp_path / "ws", "--json")

    assert result.exit_code == 0, result.output  # duplicates were read: not a failure
    assert json.loads(result.stdout)["accepted"] == 0


def test_cli_exits_2_on_a_missing_file_and_writes_nothing(tmp_path: Path) -> None:
    journeylens.init(tmp_path / "ws").close()
    missing = tmp_path / "no_such_export.csv"

    result = _invoke("ingest", FIXTURE, missing, "-w", tmp_path / "ws")

    assert result.exit_code == 2, result.output
    message = " ".join(result.stderr.split())
    assert "no_such_export.csv" in message and "no such file" in message, message
    assert result.exception is None or isinstance(result.exception, SystemExit)
    with journeylens.open(tmp_path / "ws") as ws:  # the good file before it was not half-read
        assert not ws.backend.has_table("events")
