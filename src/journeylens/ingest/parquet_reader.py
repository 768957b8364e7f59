"""Parquet files or directories of Parquet parts, read in batches with their native types."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from journeylens.errors import InputError
from journeylens.ingest.base import LINE_COLUMN, ReadOptions


def common_schema(schemas: list[pa.Schema]) -> pa.Schema:
    """One schema for all parts: every column of any part, in order of first appearance.

    Types that differ are widened (``int32`` and ``int64`` to ``int64``, a null column to the
    other's type); types that cannot be reconciled (a number in one part, text in another)
    are read as text, so no part fails and no column is dropped.

    Examples
    --------
    >>> a = pa.schema([("id", pa.int32()), ("x", pa.string())])
    >>> b = pa.schema([("id", pa.int64()), ("y", pa.float64()), ("x", pa.int64())])
    >>> common_schema([a, b])
    id: int64
    x: string
    y: double
    """
    try:
        return pa.unify_schemas(schemas, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    fields: dict[str, list[pa.DataType]] = {}
    for schema in schemas:
        for fld in schema:
            fields.setdefault(fld.name, []).append(fld.type)
    unified = []
    for name, types in fields.items():
        try:
            merged = pa.unify_schemas(
                [pa.schema([(name, t)]) for t in types], promote_options="permissive"
            )
            unified.append(merged.field(name))
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            unified.append(pa.field(name, pa.string()))
    return pa.schema(unified)


def _hidden(path: Path, root: Path) -> bool:
    """Whether a part is hidden by convention (``_temporary/``, ``.staging`` …), as in Spark."""
    return any(part.startswith(("_", ".")) for part in path.relative_to(root).parts)


class ParquetReader:
    """Reads a Parquet file, or every Parquet part of a directory in path order.

    The line of a record is its 1-based row number across the whole dataset. Parts may differ
    in their columns (see `common_schema`). Files and folders whose names start with ``_`` or
    ``.`` are skipped, as Spark and Hive do (``_temporary/``, ``_SUCCESS``).

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "e.parquet"
    >>> pq.write_table(pa.table({"activity": ["a", "b"]}), path)
    >>> next(ParquetReader().read(path, ReadOptions())).to_pydict()
    {'activity': ['a', 'b'], '__line__': [1, 2]}
    """

    suffixes: tuple[str, ...] = (".parquet", ".pq")

    def read(self, path: Path, options: ReadOptions) -> Iterator[pa.Table]:
        if path.is_dir():
            files = sorted(
                str(p)
                for p in path.rglob("*")
                if p.is_file() and p.name.endswith(self.suffixes) and not _hidden(p, path)
            )
        else:
            files = [str(path)]
        if not files:
            raise InputError("no Parquet files found", str(path), "point at a .parquet file")
        schemas = []
        for file in files:
            try:
                schemas.append(pq.read_schema(file))
            except (pa.ArrowInvalid, OSError) as exc:
                raise InputError(
                    f"not a readable Parquet file: {exc}", file, "export it again as Parquet"
                ) from exc
        dataset = ds.dataset(files, schema=common_schema(schemas), format="parquet")
        offset = 0
        batches = dataset.to_batches(batch_size=options.batch_rows)
        pending: list[pa.RecordBatch] = []
        pending_rows = 0
        while True:
            try:
                batch = next(batches)
            except StopIteration:
                break
            except (pa.ArrowInvalid, OSError) as exc:
                raise InputError(
                    f"cannot read the Parquet data after row {offset}: {exc}",
                    str(path),
                    "export it again as Parquet",
                ) from exc
            if batch.num_rows == 0:
                continue
            pending.append(batch)
            pending_rows += batch.num_rows
            if pending_rows >= options.batch_rows:  # small row groups: gather, then yield
                yield self._numbered(pending, offset)
                offset += pending_rows
                pending, pending_rows = [], 0
        if pending:
            yield self._numbered(pending, offset)

    @staticmethod
    def _numbered(batches: list[pa.RecordBatch], offset: int) -> pa.Table:
        table = pa.Table.from_batches(batches)
        lines = pa.array(np.arange(offset + 1, offset + 1 + table.num_rows), pa.int64())
        return table.append_column(LINE_COLUMN, lines)
