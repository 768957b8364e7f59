"""The embedded engine: one DuckDB file in the workspace (the default)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import ibis
import ibis.expr.types as ir
import pyarrow as pa

from journeylens.store.backends.base import Backend

DATABASE_FILE = "journeylens.duckdb"


class DuckDBBackend(Backend):
    """Tables live in ``<workspace>/journeylens.duckdb``; work spills to ``<workspace>/.tmp``.

    Parameters
    ----------
    root : Path
        The workspace directory.
    memory_limit : str or None
        DuckDB's memory limit, e.g. ``"8GB"``; None keeps DuckDB's default (80% of RAM).
    threads : int or None
        Worker threads; None uses every core.
    read_only : bool
        Open the file read-only (several readers may share it).

    Examples
    --------
    >>> import tempfile, pyarrow as pa
    >>> with DuckDBBackend(Path(tempfile.mkdtemp())) as db:
    ...     db.append("t", pa.table({"x": [1, 2]}))
    ...     db.count("t")
    2
    """

    name = "duckdb"
    prefers_local_graph = True

    def __init__(
        self,
        root: Path,
        *,
        memory_limit: str | None = None,
        threads: int | None = None,
        read_only: bool = False,
    ) -> None:
        super().__init__(root)
        # Results never rely on insertion order (every ordered read says ORDER BY); dropping it
        # halves the cost of writing large tables.
        config: dict[str, Any] = {
            "temp_directory": str(root / ".tmp"),
            "preserve_insertion_order": False,
        }
        if memory_limit:
            config["memory_limit"] = memory_limit
        if threads:
            config["threads"] = threads
        self._raw = duckdb.connect(str(root / DATABASE_FILE), read_only=read_only, config=config)
        self._con = ibis.duckdb.from_connection(self._raw)

    @property
    def con(self) -> Any:
        return self._con

    def has_table(self, name: str) -> bool:
        rows = self._raw.execute(
            "SELECT 1 FROM information_schema.tables WHERE table_name = ? LIMIT 1", [name]
        ).fetchall()
        return bool(rows)

    def table(self, name: str) -> ir.Table:
        return self._con.table(name)

    def _write(
        self, name: str, obj: ir.Table | pa.Table, *, overwrite: bool, temporary: bool = False
    ) -> None:
        kind = "TEMP TABLE" if temporary else "TABLE"
        if isinstance(obj, pa.Table):
            self._raw.register("__journeylens_batch", obj)
            try:
                if overwrite:
                    self._raw.execute(
                        f'CREATE OR REPLACE {kind} "{name}" AS SELECT * FROM __journeylens_batch'
                    )
                else:
                    self._raw.execute(
                        f'INSERT INTO "{name}" BY NAME SELECT * FROM __journeylens_batch'
                    )
            finally:
                self._raw.unregister("__journeylens_batch")
        elif overwrite:
            self._con.create_table(name, obj, overwrite=True, temp=temporary)
        else:
            self._con.insert(name, obj)

    def delete_rows(self, name: str, column: str, values: pa.Array) -> None:
        if len(values) == 0:
            return
        self._raw.register("__journeylens_doomed", pa.table({column: values}))
        try:
            self._raw.execute(
                f'DELETE FROM "{name}" WHERE "{column}" IN '
                f'(SELECT "{column}" FROM __journeylens_doomed)'
            )
        finally:
            self._raw.unregister("__journeylens_doomed")

    def drop(self, name: str) -> None:
        self._raw.execute(f'DROP TABLE IF EXISTS "{name}"')

    def close(self) -> None:
        self._raw.close()
