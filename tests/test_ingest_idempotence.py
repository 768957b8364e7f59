"""Re-ingesting adds nothing: ids where the source has them, content hashes where it has none."""

from __future__ import annotations

from pathlib import Path

import pytest

import journeylens
from journeylens.config import HashingSettings
from journeylens.workspace import Workspace

HEADER = "customer_id,ts,channel,activity\n"
MONDAY = [
    "C1,2025-01-06T09:00:00Z,web,login\n",
    "C1,2025-01-06T09:00:00Z,web,login\n",  # the same click twice: two events
    "C2,2025-01-06T10:00:00Z,phone,call\n",
]
TUESDAY = [
    "C3,2025-01-07T09:00:00Z,app,open\n",
    "C1,2025-01-07T11:00:00Z,chat,ask\n",
]


def _write(path: Path, lines: list[str], header: str = HEADER) -> Path:
    path.write_text(header + "".join(lines), encoding="utf-8")
    return path


def _ids(ws: Workspace) -> list[str]:
    return sorted(r["event_id"] for r in ws.events().to_pylist())


def test_content_ids_keep_repeated_records(ws: Workspace, tmp_path: Path) -> None:
    report = ws.ingest(_write(tmp_path / "monday.csv", MONDAY))

    assert (report.accepted, report.duplicates) == (3, 0)
    ids = _ids(ws)
    assert len(set(ids)) == 3
    base = [i for i in ids if "#" not in i]
    repeated = [i for i in ids if "#" in i]
    # The n-th identical record of a file gets "<hash>#n".
    assert len(repeated) == 1 and repeated[0].endswith("#2")
    assert repeated[0].split("#")[0] in base


def test_content_ids_are_stable_across_runs_and_workspaces(tmp_path: Path) -> None:
    source = _write(tmp_path / "monday.csv", MONDAY)

    with journeylens.init(tmp_path / "a") as a, journeylens.init(tmp_path / "b") as b:
        a.ingest(source)
        b.ingest(source)
        assert _ids(a) == _ids(b)


def test_reingest_adds_nothing(ws: Workspace, tmp_path: Path) -> None:
    source = _write(tmp_path / "monday.csv", MONDAY)
    ws.ingest(source)

    again = ws.ingest(source)

    assert (again.read, again.accepted, again.duplicates, again.rejected) == (3, 0, 3, 0)
    assert len(_ids(ws)) == 3


def test_overlapping_export_adds_only_the_new_rows(ws: Workspace, tmp_path: Path) -> None:
    ws.ingest(_write(tmp_path / "monday.csv", MONDAY))

    # Tuesday's export repeats Monday (in another order, in another file) and adds two rows.
    overlap = _write(tmp_path / "week.csv", [*TUESDAY[:1], *reversed(MONDAY), *TUESDAY[1:]])
    report = ws.ingest(overlap)

    assert (report.read, report.accepted, report.duplicates, report.rejected) == (5, 2, 3, 0)
    stored = ws.events().to_pylist()
    assert len(stored) == 5
    assert sorted(r["activity"] for r in stored if r["source_file"] == str(overlap)) == [
        "ask",
        "open",
    ]


def test_a_third_repeat_in_a_later_export_is_new(ws: Workspace, tmp_path: Path) -> None:
    """The rule counts repeats: an export with the click three times adds the third one."""
    ws.ingest(_write(tmp_path / "monday.csv", MONDAY))

    report = ws.ingest(_write(tmp_path / "more.csv", [MONDAY[0]] * 3))

    assert (report.accepted, report.duplicates) == (1, 2)
    assert sum(i.endswith("#3") for i in _ids(ws)) == 1


def test_content_ids_ignore_line_numbers_and_column_order(ws: Workspace, tmp_path: Path) -> None:
    header = "customer_id,ts,channel,activity,page,referrer\n"
    lines = [line.strip() + ",/home,ad\n" for line in MONDAY]
    ws.ingest(_write(tmp_path / "a.csv", lines, header))

    reordered = [",".join(line.strip().split(",")[::-1]) + "\n" for line in lines]
    report = ws.ingest(
        _write(
            tmp_path / "b.csv",
            ["\n", *reordered],
            header="referrer,page,activity,channel,ts,customer_id\n",
        )
    )

    assert (report.accepted, report.duplicates) == (0, 3)


def test_content_ids_see_every_field(ws: Workspace, tmp_path: Path) -> None:
    ws.ingest(_write(tmp_path / "a.csv", MONDAY[:1]))

    changed = [
        "C1,2025-01-06T09:00:01Z,web,login\n",  # another second
        "C1,2025-01-06T09:00:00Z,app,login\n",  # another channel
        "C9,2025-01-06T09:00:00Z,web,login\n",  # another customer
    ]
    report = ws.ingest(_write(tmp_path / "b.csv", changed))
    extra = ws.ingest(
        _write(
            tmp_path / "c.csv",
            ["C1,2025-01-06T09:00:00Z,web,login,1\n"],
            header="customer_id,ts,channel,activity,page\n",
        )
    )

    assert (report.accepted, report.duplicates) == (3, 0)
    assert (extra.accepted, extra.duplicates) == (1, 0)  # an extra attribute is other content


def test_source_event_ids_decide(ws: Workspace, tmp_path: Path) -> None:
    header = "event_id,customer_id,ts,activity\n"
    ws.ingest(_write(tmp_path / "a.csv", ["E1,C1,2025-01-06T09:00:00Z,login\n"], header))

    # A later export corrected the record: the stored one is kept, the id is a duplicate.
    report = ws.ingest(
        _write(
            tmp_path / "b.csv",
            ["E1,C1,2025-01-06T09:05:00Z,login\n", "E2,C1,2025-01-06T09:10:00Z,buy\n"],
            header,
        )
    )

    assert (report.accepted, report.duplicates, report.rejected) == (1, 1, 0)
    assert _ids(ws) == ["E1", "E2"]


def test_identical_resend_within_a_file_is_a_duplicate(ws: Workspace, tmp_path: Path) -> None:
    header = "event_id,customer_id,ts,activity\n"
    lines = [
        "E1,C1,2025-01-06T09:00:00Z,login\n",
        "E1,C1,2025-01-06T09:00:00Z,login\n",  # re-sent as it was
        "E1,C1,2025-01-06T09:00:00Z,logout\n",  # the id re-used for something else
    ]

    report = ws.ingest(_write(tmp_path / "a.csv", lines, header))

    assert (report.read, report.accepted, report.duplicates, report.rejected) == (3, 1, 1, 1)
    [bad] = ws.quarantine().to_pylist()
    assert (bad["source_line"], bad["field"]) == (4, "event_id")
    assert "line 2" in bad["reason"]


def test_two_files_in_one_call(ws: Workspace, tmp_path: Path) -> None:
    monday = _write(tmp_path / "monday.csv", MONDAY)

    report = ws.ingest([monday, monday])

    assert [(f.accepted, f.duplicates) for f in report.files] == [(3, 0), (0, 3)]
    assert report.read == report.accepted + report.rejected + report.duplicates


def test_an_interrupted_first_ingest_leaves_no_rows(ws: Workspace, tmp_path: Path) -> None:
    from journeylens.ingest.hashing import IdentifierHasher
    from journeylens.ingest.pipeline import IngestOptions, ingest_files

    from .conftest import write_text

    lines = "\n".join(f"E{i},C{i},2024-01-0{1 + i % 9}T10:00:00Z,web,visit" for i in range(6))
    path = write_text(
        tmp_path / "events.csv", f"event_id,customer_id,ts,channel,activity\n{lines}\n"
    )
    calls = []

    def interrupt(rows: int) -> None:
        calls.append(rows)
        if len(calls) == 2:  # the first batch is already in the table by now
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ingest_files(
            ws.backend,
            [path],
            IngestOptions(batch_rows=2),
            IdentifierHasher(HashingSettings()),
            interrupt,
        )
    assert ws.backend.count("events") == 0
    report = ws.ingest(path)
    assert (report.accepted, ws.backend.count("events")) == (6, 6)
