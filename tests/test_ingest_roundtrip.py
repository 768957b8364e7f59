"""Property: any table written with Python's csv module comes back exactly.

Random identifiers, activities and extra columns hold delimiters, quotes, line breaks and any
Unicode; timestamps carry random offsets. Every value must come back as written (canonical
fields trimmed of surrounding white space, extra columns exactly, in ``attributes``), every
timestamp in UTC, and the counts must balance.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import journeylens

#: Unicode without surrogates (not encodable); NUL is left out as no CSV tool writes it.
ANY_CHAR = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
#: Characters that may start or end a canonical value (which is trimmed of white space).
EDGE_CHAR = ANY_CHAR.filter(lambda c: not c.isspace() and c not in "\x1c\x1d\x1e\x1f\x85")

TRICKY = st.sampled_from([",", ";", "\t", "|", '"', "'", "\n", "\r", "\r\n", " ", "é", "東", "#"])


@st.composite
def canonical_text(draw: st.DrawFn) -> str:
    """A non-empty value without surrounding white space, tricky inside."""
    first = draw(EDGE_CHAR)
    middle = draw(st.lists(st.one_of(TRICKY, ANY_CHAR), max_size=8))
    return first + "".join(middle) + draw(EDGE_CHAR) if middle else first


extra_text = st.lists(st.one_of(TRICKY, ANY_CHAR), max_size=10).map("".join)

timestamps = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)
).map(lambda d: d.replace(tzinfo=None))
offsets = st.integers(min_value=-12 * 60, max_value=14 * 60).map(lambda m: m - m % 15)


@st.composite
def tables(draw: st.DrawFn) -> tuple[str, list[dict[str, str]], list[datetime]]:
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    n = draw(st.integers(min_value=1, max_value=12))
    rows = []
    utc = []
    for _ in range(n):
        moment = draw(timestamps)
        minutes = draw(offsets)
        style = draw(st.sampled_from(["offset", "z", "naive"]))
        if style == "offset":
            zone = timezone(timedelta(minutes=minutes))
            ts = moment.replace(tzinfo=UTC).astimezone(zone).isoformat()
        elif style == "z":
            ts = moment.isoformat() + "Z"
        else:
            ts = moment.isoformat(sep=" ")
        rows.append(
            {
                "customer_id": draw(canonical_text()),
                "ts": ts,
                "activity": draw(canonical_text()),
                "note": draw(extra_text),
                "Straße": draw(extra_text),
            }
        )
        utc.append(moment)
    if draw(st.booleans()):  # an identical record again: both are kept (content id "#2")
        rows.append(dict(rows[0]))
        utc.append(utc[0])
    return delimiter, rows, utc


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(tables())
def test_csv_values_come_back_exactly(
    table: tuple[str, list[dict[str, str]], list[datetime]],
) -> None:
    delimiter, rows, utc = table
    buffer = io.StringIO(newline="")
    # With "\n" line ends csv quotes no lone "\r", which any CSV reader takes as a line end
    # (Python's own, given newline=""): quote everything then.
    crlf = len(rows) % 2 == 1
    writer = csv.DictWriter(
        buffer,
        fieldnames=list(rows[0]),
        delimiter=delimiter,
        lineterminator="\r\n" if crlf else "\n",
        quoting=csv.QUOTE_MINIMAL if crlf else csv.QUOTE_ALL,
    )
    writer.writeheader()
    writer.writerows(rows)

    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "random.csv"
        source.write_bytes(buffer.getvalue().encode("utf-8"))
        with journeylens.init(Path(tmp) / "ws") as ws:
            report = ws.ingest(source, delimiter=delimiter)
            stored = sorted(ws.events().to_pylist(), key=lambda r: r["source_line"])
            rejected = ws.quarantine().to_pylist()
            again = ws.ingest(source, delimiter=delimiter)

    assert rejected == []
    assert (report.read, report.accepted, report.rejected, report.duplicates) == (
        len(rows),
        len(rows),
        0,
        0,
    )
    assert (again.accepted, again.duplicates, again.rejected) == (0, len(rows), 0)
    for row, moment, event in zip(rows, utc, stored, strict=True):
        assert event["customer_id"] == row["customer_id"]
        assert event["activity"] == row["activity"]
        assert event["ts"] == moment
        extras = {k: row[k] for k in ("note", "Straße") if row[k] != ""}
        assert (json.loads(event["attributes"]) if event["attributes"] else {}) == extras
    assert len({e["event_id"] for e in stored}) == len(rows)  # identical rows are all kept


CHUNKS = st.sampled_from(
    [
        b",",
        b'"',
        b'""',
        b"\n",
        b"\r",
        b"\r\n",
        b"\xe9",  # Latin-1, not UTF-8
        b"\xff\xfe",
        "東".encode(),
        b"E1",
        b"E2",
        b"C1",
        b"2025-01-01T00:00:00Z",
        b"2025-03-30 02:30",
        b"not a date",
        b"customer",
        b"robot",
        b"x",
        b" ",
        b"\t",
        b";",
    ]
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(CHUNKS, max_size=60).map(b"".join))
def test_any_bytes_are_accounted_for(body: bytes) -> None:
    """Garbage never crashes an ingest, and every record read ends up somewhere exactly once."""
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "garbage.csv"
        source.write_bytes(b"event_id,customer_id,ts,activity,initiator\n" + body)
        with journeylens.init(Path(tmp) / "ws") as ws:
            first = ws.ingest(source, delimiter=",")
            again = ws.ingest(source, delimiter=",")
            events = ws.backend.count("events")
            quarantined = ws.backend.count("quarantine")
            ids = ws.events().to_pandas()["event_id"] if events else None

    for report in (first, again):
        assert report.read == report.accepted + report.rejected + report.duplicates
    assert events == first.accepted
    assert quarantined == first.rejected + again.rejected
    assert again.read == first.read and again.accepted == 0
    assert again.rejected == first.rejected
    assert ids is None or ids.is_unique
