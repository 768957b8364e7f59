"""Apache Spark through PySpark: tables are Parquet directories under ``<workspace>/spark``.

The Parquet files are plain: the DuckDB side (or any engine) can read them.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.parquet as pq

from journeylens.store.backends.base import Backend

SPARK_DIR = "spark"


def local_session(app_name: str = "journeylens", cores: int = 2) -> Any:
    """A local Spark session set up the way journeylens expects (UTC, no UI, quiet).

    The session is shared by the process: Spark allows one active session per JVM.
    """
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(max(2, cores * 2)))
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        .config("spark.driver.extraJavaOptions", "-Duser.timezone=UTC")
        .config("spark.executor.extraJavaOptions", "-Duser.timezone=UTC")
    )
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


class SparkBackend(Backend):
    """Tables as Parquet directories, computed by Spark.

    Parameters
    ----------
    root : Path
        The workspace directory.
    session : pyspark.sql.SparkSession or None
        An existing session (e.g. on a cluster); None starts a local one.
    """

    name = "spark"
    prefers_local_graph = False

    def __init__(self, root: Path, *, session: Any | None = None) -> None:
        super().__init__(root)
        self._session = session if session is not None else local_session()
        self._con = ibis.pyspark.connect(self._session)
        self._dir = root / SPARK_DIR
        self._dir.mkdir(parents=True, exist_ok=True)
        self._views: dict[str, ir.Table] = {}

    @property
    def con(self) -> Any:
        return self._con

    @property
    def session(self) -> Any:
        """The SparkSession in use."""
        return self._session

    def _path(self, name: str) -> Path:
        return self._dir / name

    def has_table(self, name: str) -> bool:
        path = self._path(name)
        return path.is_dir() and any(path.glob("*.parquet"))

    def table(self, name: str) -> ir.Table:
        if name not in self._views:
            if not self.has_table(name):
                raise KeyError(f"no table '{name}' in {self._dir}")
            self._views[name] = self._con.read_parquet(
                str(self._path(name)), table_name=f"jl_{name}"
            )
        return self._views[name]

    def _write(
        self, name: str, obj: ir.Table | pa.Table, *, overwrite: bool, temporary: bool = False
    ) -> None:
        path = self._path(name)
        if isinstance(obj, pa.Table):
            if overwrite and path.exists():
                shutil.rmtree(path)
            path.mkdir(parents=True, exist_ok=True)
            pq.write_table(obj, path / f"part-{uuid.uuid4().hex}.parquet")
        else:
            # Spark cannot overwrite a directory it is reading from: write aside, then swap.
            staging = self._dir / f".{name}.{uuid.uuid4().hex}"
            self._con.to_parquet(obj, staging, mode="overwrite")
            if overwrite:
                if path.exists():
                    shutil.rmtree(path)
                staging.rename(path)
            else:
                path.mkdir(parents=True, exist_ok=True)
                for part in staging.glob("*.parquet"):
                    part.rename(path / f"{uuid.uuid4().hex}-{part.name}")
                shutil.rmtree(staging)
        self._views.pop(name, None)
        self._session.catalog.dropTempView(f"jl_{name}")

    def drop(self, name: str) -> None:
        path = self._path(name)
        if path.exists():
            shutil.rmtree(path)
        self._views.pop(name, None)
