"""The same build on Spark gives the same tables as on DuckDB (the portable core)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import journeylens
from journeylens.workspace import Workspace

from .conftest import data_file

pytestmark = pytest.mark.spark


def _tables(ws: Workspace) -> dict[str, pd.DataFrame]:
    out = {}
    for name, key in (
        ("journeys", ["journey_key"]),
        ("journey_steps", ["journey_key", "step"]),
        ("identity", ["node"]),
    ):
        frame = ws.backend.to_pandas(ws.backend.table(name))
        out[name] = frame.sort_values(key).reset_index(drop=True)[sorted(frame.columns)]
    return out


def _assert_same(duck: dict[str, pd.DataFrame], spark: dict[str, pd.DataFrame]) -> None:
    for name, expected in duck.items():
        got = spark[name]
        assert list(got.columns) == list(expected.columns), name
        assert len(got) == len(expected), name
        for column in expected.columns:
            left, right = expected[column], got[column]
            if pd.api.types.is_datetime64_any_dtype(left):
                left, right = (
                    left.astype("datetime64[us]"),
                    pd.to_datetime(right).astype("datetime64[us]"),
                )
            elif pd.api.types.is_numeric_dtype(left) or pd.api.types.is_bool_dtype(left):
                left, right = left.astype("float64"), right.astype("float64")
            else:
                left, right = left.astype("object"), right.astype("object")
            pd.testing.assert_series_equal(left, right, check_names=False, obj=f"{name}.{column}")


def test_helpdesk_build_identical_on_spark(tmp_path: Path, spark_session: Any) -> None:
    log = data_file("helpdesk/helpdesk.xes.gz")
    duck = journeylens.init(tmp_path / "duck")
    duck.ingest(log)
    duck.build()
    expected = _tables(duck)
    duck.close()

    spark = journeylens.init(tmp_path / "spark", engine="spark", session=spark_session)
    spark.ingest(log)
    spark.build()
    got = _tables(spark)
    assert len(got["journeys"]) == 4580
    _assert_same(expected, got)
    # The first analyses run on Spark through the same expressions.
    duck = journeylens.open(tmp_path / "duck")
    for by in ("activity", "activity@channel"):
        left = duck.process_map(by=by).to_frame()
        right = spark.process_map(by=by).to_frame()
        counts = ["source", "target", "events", "journeys"]
        pd.testing.assert_frame_equal(
            left[counts].sort_values(counts).reset_index(drop=True),
            right[counts].sort_values(counts).reset_index(drop=True),
            check_dtype=False,
        )
    paths = [
        {tuple(r["path"]): r["journeys"] for r in ws.variants().table.to_pylist()}
        for ws in (duck, spark)
    ]
    assert paths[0] == paths[1]
    duck.close()


def test_definitions_and_gaps_identical_on_spark(tmp_path: Path, spark_session: Any) -> None:
    from .test_journeys import CONFIG, HEADER

    rows = [
        "C1,,2025-03-01T09:00:00Z,web,move_form_start,moving,customer,",
        "C1,,2025-03-01T09:05:00Z,web,move_form_error,moving,customer,",
        "C1,,2025-03-01T10:00:00Z,phone,move_request_call,moving,customer,",
        "C1,,2025-03-05T10:00:00Z,email,move_completed,moving,company,",
        ",ck1,2025-03-10T09:00:00Z,web,browse,,customer,",
        "C1,ck1,2025-03-10T09:01:00Z,web,login,,customer,",
        "C2,,2025-04-01T08:00:00Z,phone,fault_report,fault,customer,",
        "C2,,2025-04-01T08:00:00Z,chat,fault_chat,fault,customer,",
        "C3,,2025-05-01T08:00:00Z,store,visit,,customer,K-77",
    ]
    csv = tmp_path / "events.csv"
    csv.write_text(HEADER + "\n".join(rows) + "\n")
    results = []
    for engine, options in (("duckdb", {}), ("spark", {"session": spark_session})):
        ws = journeylens.init(tmp_path / engine, config=CONFIG, engine=engine, **options)
        ws.ingest(csv, mapping={"journey_key": "case_id"})
        ws.build()
        results.append(_tables(ws))
        ws.close()
    _assert_same(results[0], results[1])
