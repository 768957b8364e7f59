"""JSON Lines and Parquet sources through `Workspace.ingest`."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from journeylens.errors import InputError
from journeylens.workspace import Workspace


def _jsonl(path: Path, lines: list[str | dict[str, object]]) -> Path:
    text = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
    path.write_text(text + "\n", encoding="utf-8")
    return path


# -- JSON Lines -------------------------------------------------------------------------------


def test_jsonl_keeps_nested_values_as_json(ws: Workspace, tmp_path: Path) -> None:
    source = _jsonl(
        tmp_path / "events.jsonl",
        [
            {
                "event_id": "J1",
                "customer_id": "C1",
                "ts": "2025-06-01T10:00:00+02:00",
                "activity": "view",
                "context": {"page": "/home", "tags": ["new", "promo"]},
                "items": [1, 2],
                "count": 3,
                "price": 9.5,
                "logged_in": True,
                "referrer": None,
            }
        ],
    )

    report = ws.ingest(source)

    assert report.accepted == 1
    [row] = ws.events().to_pylist()
    assert row["ts"] == datetime(2025, 6, 1, 8, 0)
    attributes = json.loads(row["attributes"])
    assert json.loads(attributes["context"]) == {"page": "/home", "tags": ["new", "promo"]}
    assert json.loads(attributes["items"]) == [1, 2]
    assert (attributes["count"], attributes["price"], attributes["logged_in"]) == (
        "3",
        "9.5",
        "true",
    )
    assert "referrer" not in attributes  # null is no value


def test_jsonl_bad_lines_are_quarantined_with_their_line(ws: Workspace, tmp_path: Path) -> None:
    source = _jsonl(
        tmp_path / "events.jsonl",
        [
            {"customer_id": "C1", "ts": "2025-06-01T10:00:00Z", "activity": "a"},
            '{"customer_id": "C2", "ts": "2025-06-01T10:00:00Z", "activity": ',  # cut off
            "",  # a blank line is no record, but it is a line
            '["C3", "2025-06-01T10:00:00Z", "a"]',  # not an object
            {"customer_id": "C4", "ts": "2025-06-01T10:00:00Z"},  # no activity
            {"customer_id": "C5", "ts": "2025-06-01T11:00:00Z", "activity": "b"},
        ],
    )

    report = ws.ingest(source)

    assert (report.read, report.accepted, report.rejected) == (5, 2, 3)
    rejects = {r["source_line"]: r for r in ws.quarantine().to_pylist()}
    assert set(rejects) == {2, 4, 5}
    assert "not valid JSON" in rejects[2]["reason"]
    assert "one complete JSON object per line" in rejects[2]["reason"]
    assert "line 2" not in rejects[2]["reason"]  # the file's line is source_line, not the parser's
    assert rejects[2]["raw"].startswith('{"customer_id": "C2"')
    assert "one JSON object" in rejects[4]["reason"]
    assert rejects[5]["field"] == "activity"
    stored = {r["customer_id"]: r["source_line"] for r in ws.events().to_pylist()}
    assert stored == {"C1": 1, "C5": 6}


def test_jsonl_attributes_object_is_merged(ws: Workspace, tmp_path: Path) -> None:
    source = _jsonl(
        tmp_path / "events.jsonl",
        [
            {
                "customer_id": "C1",
                "ts": "2025-06-01T10:00:00Z",
                "activity": "a",
                "attributes": {"plan": "basic", "seats": 2},
                "source_system": "crm",
            },
            {
                "customer_id": "C1",
                "ts": "2025-06-01T10:00:00Z",
                "activity": "b",
                "attributes": "not an object",
            },
        ],
    )

    report = ws.ingest(source)

    assert (report.accepted, report.rejected) == (1, 1)
    [row] = ws.events().to_pylist()
    assert json.loads(row["attributes"]) == {"plan": "basic", "seats": 2, "source_system": "crm"}
    [bad] = ws.quarantine().to_pylist()
    assert (bad["source_line"], bad["field"]) == (2, "attributes")
    assert "JSON object" in bad["reason"]


def test_jsonl_with_byte_order_mark_and_gzip(ws: Workspace, tmp_path: Path) -> None:
    import gzip

    record = {"customer_id": "C1", "ts": "2025-06-01T10:00:00Z", "activity": "a"}
    plain = tmp_path / "bom.jsonl"
    plain.write_bytes(b"\xef\xbb\xbf" + json.dumps(record).encode() + b"\n")
    packed = tmp_path / "events.ndjson.gz"
    packed.write_bytes(gzip.compress(json.dumps({**record, "activity": "b"}).encode()))

    report = ws.ingest([plain, packed])

    assert (report.accepted, report.rejected) == (2, 0)


# -- Parquet ----------------------------------------------------------------------------------


def test_parquet_typed_timestamps_with_a_zone_become_utc(ws: Workspace, tmp_path: Path) -> None:
    amsterdam = timezone(timedelta(hours=2))
    table = pa.table(
        {
            "customer_id": pa.array([101, 102, 103], pa.int64()),
            "ts": pa.array(
                [
                    datetime(2025, 7, 1, 8, 30, tzinfo=amsterdam),
                    datetime(2025, 7, 1, 9, 0, tzinfo=amsterdam),
                    None,
                ],
                pa.timestamp("ms", tz="Europe/Amsterdam"),
            ),
            "activity": ["a", "b", "c"],
            "amount": pa.array([1, None, 3], pa.int64()),
            "paid_on": pa.array([date(2025, 7, 2), None, None], pa.date32()),
        }
    )
    source = tmp_path / "events.parquet"
    pq.write_table(table, source)

    report = ws.ingest(source, timezone="America/New_York")  # the values carry their zone

    assert (report.accepted, report.rejected) == (2, 1)
    rows = {r["customer_id"]: r for r in ws.events().to_pylist()}
    assert rows["101"]["ts"] == datetime(2025, 7, 1, 6, 30)  # integers become text ids
    assert rows["102"]["ts"] == datetime(2025, 7, 1, 7, 0)
    # Numbers stay numbers in attributes, even next to a null; dates become ISO text.
    assert json.loads(rows["101"]["attributes"]) == {"amount": 1, "paid_on": "2025-07-02"}
    assert isinstance(json.loads(rows["101"]["attributes"])["amount"], int)  # not 1.0
    assert rows["102"]["attributes"] is None
    [bad] = ws.quarantine().to_pylist()
    assert (bad["source_line"], bad["field"]) == (3, "ts")


def test_parquet_zoneless_timestamps_and_dates_read_in_the_zone(
    ws: Workspace, tmp_path: Path
) -> None:
    table = pa.table(
        {
            "customer_id": ["C1", "C2", "C3", "C4"],
            "ts": pa.array(
                [
                    datetime(2025, 1, 15, 8, 30),
                    datetime(2025, 3, 30, 2, 30),  # does not exist in Amsterdam
                    datetime(9999, 12, 31),  # a sentinel beyond nanoseconds
                    datetime(2025, 7, 1, 8, 30),
                ],
                pa.timestamp("us"),
            ),
            "activity": ["a", "b", "c", "d"],
        }
    )
    source = tmp_path / "events.parquet"
    pq.write_table(table, source)

    report = ws.ingest(source, timezone="Europe/Amsterdam")

    assert (report.accepted, report.rejected) == (3, 1)
    times = {r["customer_id"]: r["ts"] for r in ws.events().to_pylist()}
    assert times == {
        "C1": datetime(2025, 1, 15, 7, 30),
        "C3": datetime(9999, 12, 30, 23, 0),
        "C4": datetime(2025, 7, 1, 6, 30),
    }
    [bad] = ws.quarantine().to_pylist()
    assert bad["source_line"] == 2 and "daylight saving" in bad["reason"]


def test_parquet_date_column_as_timestamp(ws: Workspace, tmp_path: Path) -> None:
    table = pa.table(
        {"customer_id": ["C1"], "day": pa.array([date(2025, 2, 1)]), "activity": ["a"]}
    )
    pq.write_table(table, tmp_path / "days.parquet")

    ws.ingest(tmp_path / "days.parquet", mapping=["ts=day"], timezone="Europe/Amsterdam")

    [row] = ws.events().to_pylist()
    assert row["ts"] == datetime(2025, 1, 31, 23, 0)


def test_parquet_directory_of_parts(ws: Workspace, tmp_path: Path) -> None:
    parts = tmp_path / "export"
    (parts / "day=2").mkdir(parents=True)
    schema = pa.schema(
        [("event_id", pa.string()), ("customer_id", pa.string()), ("ts", pa.string())]
    )

    def part(path: Path, ids: list[str], times: list[str | None]) -> None:
        rows = {"event_id": ids, "customer_id": ["C1"] * len(ids), "ts": times}
        table = pa.table(rows, schema=schema).append_column("activity", pa.array(ids))
        pq.write_table(table, path)

    part(parts / "part-0.parquet", ["P1", "P2"], ["2025-01-01T00:00:00Z", "2025-01-01T01:00:00Z"])
    part(parts / "day=2" / "part-1.parquet", ["P3", "P4"], [None, "2025-01-02T00:00:00Z"])
    (parts / "_SUCCESS").write_text("")  # not a part

    report = ws.ingest(parts)

    assert (report.read, report.accepted, report.rejected) == (4, 3, 1)
    [bad] = ws.quarantine().to_pylist()
    # Parts are read in path order (".../day=2/part-1" before ".../part-0"); a record's line is
    # its row number across all of them.
    assert (bad["source_line"], bad["field"], bad["source_file"]) == (1, "ts", str(parts))
    lines = {r["event_id"]: r["source_line"] for r in ws.events().to_pylist()}
    assert lines == {"P4": 2, "P1": 3, "P2": 4}
    again = ws.ingest(parts)
    assert (again.accepted, again.duplicates, again.rejected) == (0, 3, 1)


def test_parquet_parts_that_differ_lose_nothing(ws: Workspace, tmp_path: Path) -> None:
    parts = tmp_path / "export"
    parts.mkdir()
    base = {"customer_id": ["C1"], "ts": ["2025-01-01T00:00:00Z"], "activity": ["a"]}
    pq.write_table(pa.table({**base, "amount": pa.array([5], pa.int64())}), parts / "p0.parquet")
    pq.write_table(
        pa.table({**base, "activity": ["b"], "amount": ["n/a"], "coupon": ["X1"]}),
        parts / "p1.parquet",
    )
    hidden = parts / "_temporary" / "0"
    hidden.mkdir(parents=True)
    pq.write_table(pa.table({**base, "activity": ["half-written"]}), hidden / "p2.parquet")

    report = ws.ingest(parts)

    assert (report.read, report.accepted) == (2, 2)
    attributes = {r["activity"]: json.loads(r["attributes"]) for r in ws.events().to_pylist()}
    # A column only in the second part is kept; a number in one part and text in the other
    # is read as text in both.
    assert attributes == {"a": {"amount": "5"}, "b": {"amount": "n/a", "coupon": "X1"}}


def test_parquet_directory_without_parts(ws: Workspace, tmp_path: Path) -> None:
    (tmp_path / "nothing").mkdir()

    with pytest.raises(InputError, match="no Parquet files"):
        ws.ingest(tmp_path / "nothing")


def test_not_really_parquet(ws: Workspace, tmp_path: Path) -> None:
    fake = tmp_path / "fake.parquet"
    fake.write_text("customer_id,ts\n")

    with pytest.raises(InputError, match="not a readable Parquet file"):
        ws.ingest(fake)
