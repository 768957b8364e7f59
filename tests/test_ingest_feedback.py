"""Feedback records: scores on their scales, verbatims, and the same quarantine as events."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from journeylens.workspace import Workspace

from .conftest import write_text

SURVEY = """\
response_id,customer_id,ts,kind,score,scale_min,scale_max,comment,question,channel
R1,C1,2025-04-01T10:00:00Z,nps,9,,,Great service,How likely...,E-mail
R2,C2,2025-04-01T11:00:00Z,CSAT,4,,,,,
R3,C3,2025-04-01T12:00:00Z,ces,6,,,Took a while,,
R4,C4,2025-04-01T13:00:00Z,rating,4.5,,,,,
R5,C5,2025-04-01T14:00:00Z,rating,8,0,10,,,
R6,C6,2025-04-01T15:00:00Z,text,,,,"Nobody called back, again.",,
R7,C7,2025-04-01T16:00:00Z,nps,11,,,,,
R8,C8,2025-04-01T17:00:00Z,csat,0,,,,,
R9,C9,2025-04-01T18:00:00Z,rating,9,1,5,,,
R10,C10,2025-04-01T19:00:00Z,,7,,,,,
R11,C11,2025-04-01T20:00:00Z,stars,4,,,,,
R12,C12,2025-04-01T21:00:00Z,nps,,,,,,
R13,C13,2025-04-01T22:00:00Z,text,,,,,,
R14,C14,2025-04-01T23:00:00Z,,,,,Only words here,,
R15,,2025-04-02T00:00:00Z,nps,5,,,,,
R16,C16,2025-04-02T01:00:00Z,nps,lots,,,,,
R17,C17,2025-04-02T02:00:00Z,rating,3,one,5,,,
R18,C18,2025-04-02T03:00:00Z,,4,,,A comment with a score but no kind,,
R19,C19,2025-04-02T04:00:00Z,text,3,,,Words and a stray score,,
"""

#: line -> (field, words of the reason)
REJECTED: dict[int, tuple[str, tuple[str, ...]]] = {
    8: ("score", ("score 11 is outside the scale 0..10 of nps",)),
    9: ("score", ("score 0 is outside the scale 1..5 of csat",)),
    10: ("score", ("score 9 is outside the scale 1..5 of rating",)),
    11: ("kind", ("missing kind", "nps, csat, ces, rating, text")),
    12: ("kind", ("'stars'", "nps, csat, ces, rating, text")),
    13: ("score", ("a nps answer needs a score",)),
    14: ("text", ("a text record needs text",)),
    16: ("customer_id", ("no identifier",)),
    17: ("score", ("'lots'", "not a number", "--decimal")),
    18: ("scale_min", ("'one'", "not a number")),
    19: ("kind", ("missing kind",)),
    20: ("score", ("a text record has no score", "kind of the score")),
}


def _by_id(ws: Workspace) -> dict[str, dict[str, Any]]:
    return {r["feedback_id"]: r for r in ws.feedback().to_pylist()}


def test_feedback_kinds_scales_and_rejects(ws: Workspace, tmp_path: Path) -> None:
    report = ws.ingest(write_text(tmp_path / "survey.csv", SURVEY), kind="feedback")

    assert report.read == 19
    assert (report.accepted, report.rejected, report.duplicates) == (7, len(REJECTED), 0)
    rows = _by_id(ws)
    assert set(rows) == {"R1", "R2", "R3", "R4", "R5", "R6", "R14"}
    # Default scales per kind; a given scale wins.
    scales = {k: (r["kind"], r["score"], r["scale_min"], r["scale_max"]) for k, r in rows.items()}
    assert scales == {
        "R1": ("nps", 9.0, 0.0, 10.0),
        "R2": ("csat", 4.0, 1.0, 5.0),  # kinds are lower-cased
        "R3": ("ces", 6.0, 1.0, 7.0),
        "R4": ("rating", 4.5, 1.0, 5.0),
        "R5": ("rating", 8.0, 0.0, 10.0),
        "R6": ("text", None, None, None),
        "R14": ("text", None, None, None),  # text without a kind is a verbatim
    }
    assert rows["R1"]["text"] == "Great service"  # "comment" is a well-known name of text
    assert rows["R1"]["question"] == "How likely..."
    assert rows["R1"]["channel"] == "email"  # "E-mail": named as for events
    assert rows["R2"]["channel"] is None  # no channel is no channel, not "unknown"
    assert rows["R6"]["text"] == "Nobody called back, again."
    assert rows["R1"]["ts"] == datetime(2025, 4, 1, 10, 0)
    assert rows["R1"]["attributes"] is None  # every column was mapped


def test_feedback_rejects_have_line_field_and_reason(ws: Workspace, tmp_path: Path) -> None:
    ws.ingest(write_text(tmp_path / "survey.csv", SURVEY), kind="feedback")

    rows = {r["source_line"]: r for r in ws.quarantine().to_pylist()}
    assert set(rows) == set(REJECTED)
    for line, (field, words) in REJECTED.items():
        assert rows[line]["field"] == field, rows[line]
        assert rows[line]["kind"] == "feedback"
        for word in words:
            assert word in rows[line]["reason"], (word, rows[line]["reason"])


def test_feedback_reingest_adds_nothing(ws: Workspace, tmp_path: Path) -> None:
    source = write_text(tmp_path / "survey.csv", SURVEY)
    ws.ingest(source, kind="feedback")

    again = ws.ingest(source, kind="feedback")

    assert (again.accepted, again.duplicates, again.rejected) == (0, 7, len(REJECTED))
    assert len(ws.feedback().to_pylist()) == 7


def test_feedback_without_ids_gets_content_ids(ws: Workspace, tmp_path: Path) -> None:
    source = write_text(
        tmp_path / "reviews.csv",
        "customer_id,ts,kind,score\n"
        "C1,2025-04-01T10:00:00Z,rating,5\n"
        "C1,2025-04-01T10:00:00Z,rating,5\n"
        "C2,2025-04-01T10:00:00Z,rating,4\n",
    )

    first = ws.ingest(source, kind="feedback")
    again = ws.ingest(source, kind="feedback")

    assert first.accepted == 3  # two identical reviews are two reviews
    assert (again.accepted, again.duplicates) == (0, 3)
    ids = sorted(r["feedback_id"] for r in ws.feedback().to_pylist())
    assert len(set(ids)) == 3
    assert sum(i.endswith("#2") for i in ids) == 1


def test_feedback_linked_to_an_event_needs_no_customer(ws: Workspace, tmp_path: Path) -> None:
    source = write_text(
        tmp_path / "csat.csv",
        "event_id,ts,kind,score\nE1,2025-04-01T10:00:00Z,csat,5\n",
    )

    report = ws.ingest(source, kind="feedback")

    assert report.accepted == 1
    [row] = ws.feedback().to_pylist()
    assert (row["event_id"], row["customer_id"]) == ("E1", None)


def test_feedback_mapping_and_constant_kind(ws: Workspace, tmp_path: Path) -> None:
    mapping = write_text(
        tmp_path / "map.yaml",
        "customer_id: customer_unique_id\nts: review_creation_date\nkind: {value: rating}\n",
    )
    source = write_text(
        tmp_path / "olist.csv",
        "review_id,customer_unique_id,review_score,review_comment_message,review_creation_date\n"
        'r1,u1,4,"Chegou rápido, recomendo",2018-01-18 00:00:00\n'
        "r2,u2,1,,2018-03-10 00:00:00\n",
    )

    report = ws.ingest(source, kind="feedback", mapping_file=mapping)

    assert report.accepted == 2
    rows = _by_id(ws)
    assert (rows["r1"]["kind"], rows["r1"]["score"], rows["r1"]["scale_max"]) == (
        "rating",
        4.0,
        5.0,
    )
    assert rows["r1"]["text"] == "Chegou rápido, recomendo"
    assert rows["r2"]["text"] is None
