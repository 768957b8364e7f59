"""Parquet files or directories of Parquet parts, read in batches with their native types."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds

from journeylens.errors import InputError
from journeylens.ingest.base import LINE_COLUMN, ReadOptions


class ParquetReader:
    """Reads a Parquet file, or every Parquet part of a directory in name order.

    The line of a record is its 1-based row number across the whole dataset.

    Examples
    --------
    >>> import tempfile, pyarrow.parquet as pq
    >>> path = Path(tempfile.mkdtemp()) / "e.parquet"
    >>> pq.write_table(pa.table({"activity": ["a", "b"]}), path)
    >>> next(ParquetReader().read(path, ReadOptions())).to_pydict()
    {'activity': ['a', 'b'], '__line__': [1, 2]}
    """

    suffixes = (".parquet", ".pq")

    def read(self, path: Path, options: ReadOptions) -> Iterator[pa.Table]:
        files = sorted(str(p) for p in path.rglob("*.parquet")) if path.is_dir() else [str(path)]
        if not files:
            raise InputError("no Parquet files found", str(path), "point at a .parquet file")
        try:
            dataset = ds.dataset(files, format="parquet")
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError(f"not a readable Parquet file: {exc}", str(path)) from exc
        offset = 0
        for batch in dataset.to_batches(batch_size=options.batch_rows):
            if batch.num_rows == 0:
                continue
            table = pa.Table.from_batches([batch])
            lines = pa.array(range(offset + 1, offset + 1 + table.num_rows), pa.int64())
            offset += table.num_rows
            yield table.append_column(LINE_COLUMN, lines)
