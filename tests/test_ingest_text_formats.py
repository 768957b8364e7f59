"""Reading values right: dates and zones, decimal commas, delimiters, encodings, line ends."""

from __future__ import annotations

import gzip
import json
from datetime import datetime
from pathlib import Path

import pytest

from journeylens.errors import ConfigError, InputError
from journeylens.workspace import Workspace


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def _times(ws: Workspace) -> dict[str, datetime]:
    return {r["activity"]: r["ts"] for r in ws.events().to_pylist()}


def _rejects(ws: Workspace) -> dict[int, dict[str, str]]:
    return {r["source_line"]: r for r in ws.quarantine().to_pylist()}


# -- dates and time zones ---------------------------------------------------------------------


def test_date_format_and_zone_give_utc_in_summer_and_winter(ws: Workspace, tmp_path: Path) -> None:
    source = _write(
        tmp_path / "calls.csv",
        "customer_id,ContactDate,activity\n"
        "C1,01/07/2025 08:30,summer\n"  # CEST, UTC+2
        "C1,15/01/2025 08:30,winter\n"  # CET, UTC+1
        "C1,2025-01-15 08:30,iso\n",  # not in the format: rejected, not guessed
    )

    report = ws.ingest(
        source,
        mapping=["ts=ContactDate"],
        date_format="%d/%m/%Y %H:%M",
        timezone="Europe/Amsterdam",
    )

    assert (report.accepted, report.rejected) == (2, 1)
    assert _times(ws) == {
        "summer": datetime(2025, 7, 1, 6, 30),
        "winter": datetime(2025, 1, 15, 7, 30),
    }
    reason = _rejects(ws)[4]["reason"]
    assert "'2025-01-15 08:30'" in reason and "'%d/%m/%Y %H:%M'" in reason
    assert "Europe/Amsterdam" in reason and "--date-format" in reason


def test_iso_offsets_z_and_zoneless_values_mixed(ws: Workspace, tmp_path: Path) -> None:
    # pandas, given an offset first, applies it to the zone-less values after it: not here.
    source = _write(
        tmp_path / "e.csv",
        "customer_id,ts,activity\n"
        "C1,2025-03-01T10:00:00+01:00,offset\n"
        "C1,2025-03-01 10:00,zoneless\n"
        "C1,2025-03-01T10:00:00Z,z\n"
        "C1,2025-03-01T10:00:00-05:30,negative\n"
        "C1,20250301T100000+0100,basic\n"
        "C1,2025-03-01,date\n"
        "C1,2025-03-01T10:00:00.123456+00:00,micro\n",
    )

    report = ws.ingest(source)

    assert report.accepted == 7
    assert _times(ws) == {
        "offset": datetime(2025, 3, 1, 9, 0),
        "zoneless": datetime(2025, 3, 1, 10, 0),
        "z": datetime(2025, 3, 1, 10, 0),
        "negative": datetime(2025, 3, 1, 15, 30),
        "basic": datetime(2025, 3, 1, 9, 0),
        "date": datetime(2025, 3, 1, 0, 0),
        "micro": datetime(2025, 3, 1, 10, 0, 0, 123456),
    }


def test_zoneless_values_read_in_the_zone_offsets_kept(ws: Workspace, tmp_path: Path) -> None:
    source = _write(
        tmp_path / "e.csv",
        "customer_id,ts,activity\n"
        "C1,2025-03-01T10:00:00+00:00,offset\n"
        "C1,2025-03-01 10:00,zoneless\n"
        "C1,2025-03-01,date\n"  # a date alone is midnight local time, not an offset of -01
        "C1,2025-08-01T10:00:00Z,z\n",
    )

    ws.ingest(source, timezone="Europe/Amsterdam")

    assert _times(ws) == {
        "offset": datetime(2025, 3, 1, 10, 0),
        "zoneless": datetime(2025, 3, 1, 9, 0),
        "date": datetime(2025, 2, 28, 23, 0),
        "z": datetime(2025, 8, 1, 10, 0),
    }


def test_dates_with_dashes_in_a_format_are_local(ws: Workspace, tmp_path: Path) -> None:
    source = _write(tmp_path / "e.csv", "customer_id,ts,activity\nC1,01-03-2025,a\n")

    ws.ingest(source, date_format="%d-%m-%Y", timezone="America/New_York")

    assert _times(ws) == {"a": datetime(2025, 3, 1, 5, 0)}


def test_local_times_that_do_not_exist_or_repeat_are_rejected(
    ws: Workspace, tmp_path: Path
) -> None:
    source = _write(
        tmp_path / "e.csv",
        "customer_id,ts,activity\n"
        "C1,2025-03-30 02:30,gap\n"  # clocks jump 02:00 -> 03:00: never happened
        "C1,2025-10-26 02:30,overlap\n"  # clocks go back 03:00 -> 02:00: happened twice
        "C1,2025-03-30T02:30:00+01:00,explicit\n"  # an offset says which: fine
        "C1,2025-03-30 03:30,after\n",
    )

    report = ws.ingest(source, timezone="Europe/Amsterdam")

    assert (report.accepted, report.rejected) == (2, 2)
    assert _times(ws) == {
        "explicit": datetime(2025, 3, 30, 1, 30),
        "after": datetime(2025, 3, 30, 1, 30),
    }
    rejects = _rejects(ws)
    assert set(rejects) == {2, 3}
    for line in (2, 3):
        assert rejects[line]["field"] == "ts"
        reason = rejects[line]["reason"]
        assert "does not exist or is ambiguous in Europe/Amsterdam" in reason
        assert "daylight saving" in reason and "UTC offset" in reason


def test_date_format_with_offset(ws: Workspace, tmp_path: Path) -> None:
    source = _write(
        tmp_path / "e.csv",
        "customer_id,ts,activity\nC1,01/07/2025 08:30 +0000,utc\nC1,01/07/2025 08:30,local\n",
    )

    ws.ingest(source, date_format="%d/%m/%Y %H:%M %z", timezone="Europe/Amsterdam")

    # The zone-less value does not fit a format with %z: rejected rather than guessed.
    assert _times(ws) == {"utc": datetime(2025, 7, 1, 8, 30)}


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"timezone": "Europe/Amsterdm"}, "unknown time zone 'Europe/Amsterdm'"),
        ({"date_format": "%d/%m/%Q"}, "not a date format"),
        ({"decimal": ",,"}, "not a decimal separator"),
        ({"delimiter": ";;"}, "not a delimiter"),
        ({"encoding": "utf-9"}, "unknown encoding 'utf-9'"),
    ],
)
def test_bad_options_are_user_errors(
    ws: Workspace, tmp_path: Path, options: dict[str, str], problem: str
) -> None:
    source = _write(tmp_path / "e.csv", "customer_id,ts,activity\nC1,2025-01-01,a\n")

    with pytest.raises(InputError, match=problem) as caught:
        ws.ingest(source, **options)  # type: ignore[arg-type]

    assert "fix:" in str(caught.value)


def test_bad_options_raise_config_errors(ws: Workspace, tmp_path: Path) -> None:
    source = _write(tmp_path / "e.csv", "customer_id,ts,activity\nC1,2025-01-01,a\n")

    with pytest.raises(ConfigError):
        ws.ingest(source, timezone="Mars/Olympus_Mons")


# -- numbers ----------------------------------------------------------------------------------


def test_decimal_comma_in_feedback_scores(ws: Workspace, tmp_path: Path) -> None:
    source = _write(
        tmp_path / "survey.csv",
        "customer_id;ts;kind;score;scale_min;scale_max\n"
        "C1;2025-01-01T00:00:00Z;csat;4,5;;\n"
        "C2;2025-01-01T00:00:00Z;rating;7,25;0;10\n",
    )

    report = ws.ingest(source, kind="feedback", decimal=",")

    assert report.accepted == 2
    scores = {r["customer_id"]: r for r in ws.feedback().to_pylist()}
    assert scores["C1"]["score"] == 4.5
    assert (scores["C2"]["score"], scores["C2"]["scale_min"], scores["C2"]["scale_max"]) == (
        7.25,
        0.0,
        10.0,
    )


def test_decimal_comma_without_the_option_is_rejected_with_a_fix(
    ws: Workspace, tmp_path: Path
) -> None:
    source = _write(
        tmp_path / "survey.csv", "customer_id;ts;kind;score\nC1;2025-01-01T00:00:00Z;csat;4,5\n"
    )

    report = ws.ingest(source, kind="feedback")

    assert (report.accepted, report.rejected) == (0, 1)
    [row] = ws.quarantine().to_pylist()
    assert (row["source_line"], row["field"]) == (2, "score")
    assert "'4,5'" in row["reason"] and "--decimal" in row["reason"]


# -- delimiters -------------------------------------------------------------------------------

ROWS = [("C1", "2025-01-01T10:00:00Z", "login", "a,b"), ("C2", "2025-01-01T11:00:00Z", "buy", "")]


def _delimited(delimiter: str) -> str:
    lines = [delimiter.join(("customer_id", "ts", "activity", "note"))]
    lines += [delimiter.join(row) for row in ROWS]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("name", "delimiter", "option"),
    [
        ("semicolon.csv", ";", None),  # detected
        ("tabs.csv", "\t", None),  # detected
        ("tabs.tsv", "\t", None),  # by suffix
        ("pipes.txt", "|", None),  # detected
        ("tabs_named.csv", "\t", "\\t"),  # as typed on a command line
        ("tabs_word.csv", "\t", "tab"),
        ("semicolon_given.csv", ";", ";"),
    ],
)
def test_delimiters(
    ws: Workspace, tmp_path: Path, name: str, delimiter: str, option: str | None
) -> None:
    source = _write(tmp_path / name, _delimited(delimiter))

    report = ws.ingest(source, delimiter=option)

    assert (report.accepted, report.rejected) == (2, 0)
    rows = {r["customer_id"]: r for r in ws.events().to_pylist()}
    assert rows["C1"]["activity"] == "login"
    assert json.loads(rows["C1"]["attributes"]) == {"note": "a,b"}  # a comma is data here
    assert rows["C2"]["attributes"] is None


def test_gzipped_csv(ws: Workspace, tmp_path: Path) -> None:
    source = tmp_path / "events.csv.gz"
    source.write_bytes(gzip.compress(_delimited(";").encode()))

    assert ws.ingest(source).accepted == 2


# -- encodings and line ends ------------------------------------------------------------------

LATIN = "customer_id,ts,activity,note\nC1,2025-01-01T00:00:00Z,café,Zoë à Köln\n"


def test_latin1_file_with_its_encoding_is_intact(ws: Workspace, tmp_path: Path) -> None:
    source = _write(tmp_path / "latin.csv", LATIN, "latin-1")

    report = ws.ingest(source, encoding="latin-1")

    assert (report.accepted, report.rejected) == (1, 0)
    [row] = ws.events().to_pylist()
    assert row["activity"] == "café"
    assert json.loads(row["attributes"]) == {"note": "Zoë à Köln"}


def test_latin1_file_read_as_utf8_is_quarantined_not_mangled(ws: Workspace, tmp_path: Path) -> None:
    source = _write(tmp_path / "latin.csv", LATIN, "latin-1")

    report = ws.ingest(source)

    assert (report.accepted, report.rejected) == (0, 1)
    [row] = ws.quarantine().to_pylist()
    assert (row["source_line"], row["field"]) == (2, "activity")  # the first bad field
    assert "--encoding latin-1" in row["reason"]


def test_undecodable_header_is_a_user_error(ws: Workspace, tmp_path: Path) -> None:
    source = _write(
        tmp_path / "latin.csv", "kündennummer,ts,activity\nC1,2025-01-01,a\n", "latin-1"
    )

    with pytest.raises(InputError, match="--encoding latin-1") as caught:
        ws.ingest(source)

    assert "latin.csv:1" in str(caught.value)


def test_byte_order_mark_and_crlf(ws: Workspace, tmp_path: Path) -> None:
    source = tmp_path / "excel.csv"
    source.write_bytes(b"\xef\xbb\xbfcustomer_id,ts,activity\r\nC1,2025-01-01T00:00:00Z,login\r\n")

    ws.ingest(source)

    [row] = ws.events().to_pylist()
    assert (row["customer_id"], row["activity"], row["attributes"]) == ("C1", "login", None)


def test_old_mac_line_ends_count_as_lines(ws: Workspace, tmp_path: Path) -> None:
    source = tmp_path / "mac.csv"
    source.write_bytes(
        b"customer_id,ts,activity,note\r"
        b"C1,2025-01-01T00:00:00Z,login,\r"
        b"C2,not a date,login,\r"
        b'C3,2025-01-01T00:00:00Z,buy,"two\rlines"\r'
    )

    report = ws.ingest(source)

    assert (report.accepted, report.rejected) == (2, 1)
    assert _rejects(ws)[3]["field"] == "ts"
    rows = {r["customer_id"]: r for r in ws.events().to_pylist()}
    assert rows["C3"]["source_line"] == 4
    assert json.loads(rows["C3"]["attributes"]) == {"note": "two\rlines"}


def test_empty_file_is_a_user_error(ws: Workspace, tmp_path: Path) -> None:
    source = tmp_path / "empty.csv"
    source.write_bytes(b"")

    with pytest.raises(InputError, match="empty"):
        ws.ingest(source)


def test_header_only_reads_nothing(ws: Workspace, tmp_path: Path) -> None:
    source = _write(tmp_path / "header.csv", "customer_id,ts,activity\n")

    report = ws.ingest(source)

    assert (report.read, report.accepted, report.rejected) == (0, 0, 0)


def test_unknown_suffix_is_a_user_error(ws: Workspace, tmp_path: Path) -> None:
    source = _write(tmp_path / "events.xlsx", "not really")

    with pytest.raises(InputError, match=r"unknown file format '\.xlsx'"):
        ws.ingest(source)
