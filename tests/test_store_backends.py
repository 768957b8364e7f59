"""The store's flow on every engine: row deletion."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from journeylens.store.backends import Backend, connect


@pytest.fixture(params=["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "spark":
        session = request.getfixturevalue("spark_session")
        engine = connect("spark", tmp_path, session=session)
    else:
        engine = connect("duckdb", tmp_path)
    yield engine
    engine.close()


def test_delete_rows_removes_exactly_the_named_rows(backend: Backend) -> None:
    backend.append("t", pa.table({"seq": [1, 2, 3, 4], "v": ["a", "b", "c", "d"]}))
    backend.delete_rows("t", "seq", pa.array([2, 4], pa.int64()))
    rows = backend.to_arrow(backend.table("t").order_by("seq")).to_pylist()
    assert rows == [{"seq": 1, "v": "a"}, {"seq": 3, "v": "c"}]
    backend.delete_rows("t", "seq", pa.array([], pa.int64()))
    assert backend.count("t") == 2
