"""Engines behind one `Backend` interface; `connect` picks one by name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from journeylens.errors import WorkspaceError
from journeylens.store.backends.base import Backend

ENGINES = ("duckdb", "spark")


def connect(engine: str, root: Path, **options: Any) -> Backend:
    """Open the workspace at ``root`` with ``engine``.

    Engines are imported lazily, so the Spark extra is only needed when it is used.
    """
    if engine == "duckdb":
        from journeylens.store.backends.duckdb import DuckDBBackend

        return DuckDBBackend(root, **options)
    if engine == "spark":
        try:
            from journeylens.store.backends.spark import SparkBackend
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise WorkspaceError(
                "the Spark engine needs the 'spark' extra: pip install 'journeylens[spark]'"
            ) from exc
        return SparkBackend(root, **options)
    raise WorkspaceError(f"unknown engine '{engine}'; choose one of {', '.join(ENGINES)}")


__all__ = ["ENGINES", "Backend", "connect"]
