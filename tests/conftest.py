"""Shared fixtures: the real data folder, fresh workspaces, one Spark session per run."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import journeylens
from journeylens.workspace import Workspace

#: ../shared/data next to the repository (absent on machines without the shared folder).
DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def data_file(relative: str) -> Path:
    """A file of the shared real data, or a skip that says what is missing."""
    path = DATA / relative
    if not path.exists():
        pytest.skip(f"real data {path} is absent (the shared/data folder is not next to the repo)")
    return path


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    """A fresh DuckDB workspace."""
    workspace = journeylens.init(tmp_path / "ws")
    yield workspace
    workspace.close()


@pytest.fixture(scope="session")
def spark_session() -> Iterator[Any]:
    """One local Spark session for the whole run (starting one takes ~15 s)."""
    pytest.importorskip("pyspark", reason="the spark extra is not installed")
    if shutil.which("java") is None:
        pytest.skip("Java is not installed: Spark needs Java 17")
    from journeylens.store.backends.spark import local_session

    session = local_session("journeylens-tests")
    yield session
    session.stop()


def write_text(path: Path, text: str) -> Path:
    """Write a small UTF-8 fixture file and return its path."""
    path.write_text(text, encoding="utf-8")
    return path
