"""Column mapping: --map pairs, mapping files with value rules and constants, pm4py names."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from journeylens.errors import ConfigError, InputError
from journeylens.ingest.mapping import EVENT_FIELDS, ColumnMapping
from journeylens.workspace import Workspace

from .conftest import write_text

CALLS = (
    "CustomerID,ContactDate,Reason,Channel,Duration\n"
    "K-1,2025-04-01T08:00:00Z,address change,Telephone,300\n"
    "K-2,2025-04-01T09:30:00Z,complaint,E-mail,\n"
)


def test_map_pairs_pick_the_columns(ws: Workspace, tmp_path: Path) -> None:
    source = write_text(tmp_path / "calls.csv", CALLS)

    report = ws.ingest(
        source,
        mapping=["customer_id=CustomerID", "ts=ContactDate", "activity=Reason", "channel=Channel"],
    )

    assert (report.accepted, report.rejected) == (2, 0)
    rows = sorted(ws.events().to_pylist(), key=lambda r: r["customer_id"])
    assert [(r["customer_id"], r["activity"], r["channel"]) for r in rows] == [
        ("K-1", "address change", "phone"),  # "Telephone" is a synonym of phone
        ("K-2", "complaint", "email"),
    ]
    assert rows[0]["ts"] == datetime(2025, 4, 1, 8, 0)
    # Unmapped columns are kept, empty values left out.
    assert json.loads(rows[0]["attributes"]) == {"Duration": "300"}
    assert rows[1]["attributes"] is None


def test_map_as_dict_is_the_same(ws: Workspace, tmp_path: Path) -> None:
    source = write_text(tmp_path / "calls.csv", CALLS)

    report = ws.ingest(
        source, mapping={"customer_id": "CustomerID", "ts": "ContactDate", "activity": "Reason"}
    )

    assert report.accepted == 2


MAPPING_FILE = """\
customer_id: visitor
ts: visit_start
channel:
  column: device
  values:
    "(?i).*(iphone|android|ipad).*": app
    "(?i)desktop.*": web
  regex: true
  default: web
activity: {value: session}
"""

SESSIONS = (
    "visitor,visit_start,device,pages\n"
    "V1,2025-05-01T10:00:00Z,iPhone - iOS,3\n"
    "V2,2025-05-01T11:00:00Z,Desktop - Chrome,5\n"
    "V3,2025-05-01T12:00:00Z,Smart TV,1\n"
    "V4,2025-05-01T13:00:00Z,,2\n"
)


def test_mapping_file_with_value_rules_and_constants(ws: Workspace, tmp_path: Path) -> None:
    mapping = write_text(tmp_path / "mapping.yaml", MAPPING_FILE)
    source = write_text(tmp_path / "sessions.csv", SESSIONS)

    report = ws.ingest(source, mapping_file=mapping)

    assert (report.accepted, report.rejected) == (4, 0)
    rows = {r["customer_id"]: r for r in ws.events().to_pylist()}
    assert {k: r["channel"] for k, r in rows.items()} == {
        "V1": "app",  # regex match, case-insensitive
        "V2": "web",
        "V3": "web",  # no rule matches: the default
        "V4": "web",  # no value at all: the default too
    }
    assert {r["activity"] for r in rows.values()} == {"session"}  # a constant
    assert json.loads(rows["V1"]["attributes"]) == {"pages": "3"}  # device was used: not kept


def test_map_pairs_override_the_mapping_file(ws: Workspace, tmp_path: Path) -> None:
    mapping = write_text(tmp_path / "mapping.yaml", MAPPING_FILE)
    source = write_text(
        tmp_path / "sessions.csv",
        "visitor,visit_start,device,kind\nV1,2025-05-01T10:00:00Z,iPhone,browse\n",
    )

    ws.ingest(source, mapping_file=mapping, mapping=["channel=kind"])

    [row] = ws.events().to_pylist()
    # The command-line pair replaces the file's channel rule: the value is taken as it is.
    assert row["channel"] == "browse"
    assert json.loads(row["attributes"]) == {"device": "iPhone"}


def test_exact_value_rules_without_regex(ws: Workspace, tmp_path: Path) -> None:
    mapping = write_text(
        tmp_path / "mapping.yaml",
        "channel:\n  column: src\n  values: {T: phone, W: web}\n",
    )
    source = write_text(
        tmp_path / "e.csv",
        "customer_id,ts,activity,src\n"
        "C1,2025-01-01T00:00:00Z,a,T\n"
        "C1,2025-01-01T00:01:00Z,b,W\n"
        "C1,2025-01-01T00:02:00Z,c,Tx\n",
    )

    ws.ingest(source, mapping_file=mapping)

    channels = {r["activity"]: r["channel"] for r in ws.events().to_pylist()}
    # No default: a value matching no rule is unknown (not the raw value, not a guess).
    assert channels == {"a": "phone", "b": "web", "c": "unknown"}


def test_unknown_canonical_field_is_named(ws: Workspace, tmp_path: Path) -> None:
    source = write_text(tmp_path / "calls.csv", CALLS)

    with pytest.raises(ConfigError) as caught:
        ws.ingest(source, mapping=["customer=CustomerID"])

    message = str(caught.value)
    assert "customer" in message and "unknown canonical field" in message
    assert message.startswith("--map")
    assert "customer_id" in message  # the fix lists the fields one can map onto


def test_unknown_canonical_field_in_a_mapping_file(ws: Workspace, tmp_path: Path) -> None:
    mapping = write_text(tmp_path / "mapping.yaml", "timestamp: ContactDate\n")
    source = write_text(tmp_path / "calls.csv", CALLS)

    with pytest.raises(ConfigError, match="timestamp") as caught:
        ws.ingest(source, mapping_file=mapping)

    assert "mapping.yaml" in str(caught.value)  # the message points at the file to fix


def test_missing_source_column_is_named_with_the_file(ws: Workspace, tmp_path: Path) -> None:
    source = write_text(tmp_path / "calls.csv", CALLS)

    with pytest.raises(InputError) as caught:
        ws.ingest(source, mapping=["ts=ContactDatum"])

    message = str(caught.value)
    assert "ContactDatum" in message and "not in the source" in message
    assert "calls.csv" in message
    assert "ContactDate" in message  # the fix lists the columns the source has
    assert not ws.backend.has_table("events")


@pytest.mark.parametrize(
    ("pair", "problem"),
    [("ts", "not a mapping"), ("=Date", "not a mapping"), ("ts=", "not a mapping")],
)
def test_malformed_map_pairs(pair: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        ColumnMapping.parse([pair])


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("- ts\n- activity\n", "canonical: source"),
        ("channel: {values: {a: b}}\n", "either 'column' or 'value'"),
        ("channel: {column: a, value: b}\n", "either 'column' or 'value'"),
        ("channel: {column: a, colour: b}\n", "unknown keys"),
        ("channel: {column: a, values: {'(': x}, regex: true}\n", "not a regular expression"),
        ("ts: [a, b]\n", "column name or a rule"),
        ("ts: 'a\n", "cannot read the mapping"),
    ],
)
def test_bad_mapping_files(tmp_path: Path, text: str, problem: str) -> None:
    path = write_text(tmp_path / "mapping.yaml", text)

    with pytest.raises(ConfigError, match=problem) as caught:
        ColumnMapping.from_file(path)

    assert "mapping.yaml" in str(caught.value)


PM4PY = (
    "case:concept:name,concept:name,time:timestamp,org:resource,lifecycle:transition,"
    "case:channel,case:priority,amount\n"
    "order-1,register,2025-02-01 09:00:00+01:00,ann,complete,web,high,10.5\n"
    "order-1,pay,2025-02-01 09:05:00+01:00,bob,complete,web,high,\n"
)


def test_pm4py_columns_need_no_mapping(ws: Workspace, tmp_path: Path) -> None:
    source = write_text(tmp_path / "log.csv", PM4PY)

    report = ws.ingest(source)

    assert (report.accepted, report.rejected) == (2, 0)
    rows = sorted(ws.events().to_pylist(), key=lambda r: r["ts"])
    first = rows[0]
    assert first["journey_key"] == "order-1"  # the case is the identifier
    assert [r["activity"] for r in rows] == ["register", "pay"]
    assert first["ts"] == datetime(2025, 2, 1, 8, 0)
    assert (first["resource"], first["lifecycle"], first["channel"]) == ("ann", "complete", "web")
    # Other case: columns describe the journey, the rest the event.
    assert json.loads(first["journey_attributes"]) == {"priority": "high"}
    assert json.loads(first["attributes"]) == {"amount": "10.5"}
    assert rows[1]["attributes"] is None


def test_resolve_prefers_explicit_then_canonical_then_well_known() -> None:
    columns = ["user_id", "customer_id", "timestamp", "Event", "case:concept:name"]

    resolved = ColumnMapping.parse(["customer_id=user_id"]).resolve(columns, EVENT_FIELDS)

    assert resolved.fields["customer_id"] == "user_id"
    assert resolved.fields["ts"] == "timestamp"
    assert resolved.fields["activity"] == "Event"  # well-known names match case-insensitively
    assert resolved.fields["journey_key"] == "case:concept:name"
    # The column that is named like a canonical field but was mapped away is kept as data.
    assert resolved.attributes == ["customer_id"]
