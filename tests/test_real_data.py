"""The foundation on real public logs from ../shared/data (skipped where it is absent)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import journeylens
from journeylens.workspace import Workspace

from .conftest import data_file

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _built(tmp_path: Path, relative: str, **ingest: object) -> Workspace:
    ws = journeylens.init(tmp_path / "ws")
    report = ws.ingest(data_file(relative), **ingest)  # type: ignore[arg-type]
    assert report.rejected == 0, report.to_dict()
    ws.build()
    return ws


def test_helpdesk_xes_gives_4580_journeys_and_21348_events(tmp_path: Path) -> None:
    ws = _built(tmp_path, "helpdesk/helpdesk.xes.gz")
    journeys = ws.journeys().to_pandas()
    assert len(journeys) == 4580
    assert journeys["steps"].sum() == 21348
    assert len(ws.events()) == 21348
    assert set(journeys["cut"]) == {"source"}
    # Re-ingesting the same log adds nothing.
    again = ws.ingest(data_file("helpdesk/helpdesk.xes.gz"))
    assert (again.accepted, again.duplicates) == (0, 21348)
    ws.close()


def test_receipt_csv_gives_1434_journeys_with_their_channel(tmp_path: Path) -> None:
    ws = _built(tmp_path, "receipt/receipt.csv")
    journeys = ws.journeys().to_pandas()
    assert len(journeys) == 1434
    assert journeys["steps"].sum() == 8577
    source = pd.read_csv(data_file("receipt/receipt.csv"))
    expected = source.groupby("case:concept:name")["case:channel"].first()
    synonyms = {"Internet": "web", "Desk": "store", "Post": "mail", "e-mail": "email"}
    expected = expected.map(lambda c: synonyms.get(c, c.lower()))
    got = journeys.set_index("journey_key")["first_channel"]
    assert got.sort_index().equals(expected.sort_index().rename("first_channel"))
    # Offsets in the source (+01:00/+02:00) are normalised to UTC.
    first = ws.journey("case-10011").steps.to_pandas()
    assert str(first["ts"].iloc[0]) == "2011-10-11 11:45:40.276000"
    ws.close()


def test_airbnb_sessions_one_customer_per_visitor_with_cross_device_journeys(
    tmp_path: Path,
) -> None:
    ws = _built(
        tmp_path,
        "airbnb_pathways/airbnb-session-data.txt",
        mapping_file=EXAMPLES / "airbnb.mapping.yaml",
    )
    source = pd.read_csv(data_file("airbnb_pathways/airbnb-session-data.txt"), sep="|")
    summary = ws.summary()
    assert summary["customers"] == source["id_visitor"].nunique() == 630
    assert summary["events"] == len(source)
    journeys = ws.journeys().to_pandas()
    cross_device = journeys[journeys["channels"] > 1]
    assert len(cross_device) > 0
    assert (cross_device["handoffs"] > 0).all()
    booked = journeys[journeys["outcome"] == "booking_request"]
    assert len(booked) > 0
    visitor = source["id_visitor"].iloc[0]
    assert ws.customer_key(visitor) == f"customer_id:{visitor}"
    ws.close()


@pytest.mark.parametrize("name", ["running-example.xes", "running-example.csv"])
def test_pm4py_running_example(tmp_path: Path, name: str) -> None:
    ws = _built(tmp_path, f"pm4py_fixtures/{name}")
    journeys = ws.journeys().to_pandas()
    assert len(journeys) == 6
    assert journeys["steps"].sum() == 42
    ws.close()
