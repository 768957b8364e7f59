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


@pytest.fixture(scope="session")
def demo_ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """A built DuckDB workspace of a small demo world (about 60 thousand events, seed 7).

    The world's data folder (``demo-data/``: truth tables, ``journey_maps.yaml``) lies inside
    the workspace: ``demo_ws.root / "demo-data"``. Shared by the whole run: do not modify it.
    """
    from journeylens.demo import config as demo_config
    from journeylens.demo import generate

    root = tmp_path_factory.mktemp("demo-world") / "ws"
    data_dir = root / "demo-data"
    generate(data_dir, events=60_000, seed=7)
    workspace = journeylens.init(root, config={"journeys": demo_config()})
    workspace.ingest(data_dir / "events", source="demo")
    workspace.ingest(data_dir / "feedback", kind="feedback", source="demo")
    workspace.build()
    yield workspace
    workspace.close()
