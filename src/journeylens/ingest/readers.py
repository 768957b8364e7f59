"""Which reader reads a file: a table of suffixes, not a chain of ifs."""

from __future__ import annotations

from pathlib import Path

from journeylens.errors import InputError
from journeylens.ingest.base import Reader
from journeylens.ingest.csv_reader import CsvReader
from journeylens.ingest.jsonl_reader import JsonlReader
from journeylens.ingest.parquet_reader import ParquetReader
from journeylens.ingest.xes_reader import XesReader

READERS: tuple[Reader, ...] = (XesReader(), ParquetReader(), JsonlReader(), CsvReader())


def reader_for(path: Path) -> Reader:
    """The reader for ``path`` by its suffix; a directory is read as Parquet parts.

    Examples
    --------
    >>> type(reader_for(Path("log.xes.gz"))).__name__, type(reader_for(Path("a.tsv"))).__name__
    ('XesReader', 'CsvReader')
    """
    if path.is_dir():
        return ParquetReader()
    name = path.name.lower()
    for reader in READERS:
        if name.endswith(reader.suffixes):
            return reader
    known = sorted({s for r in READERS for s in r.suffixes})
    raise InputError(
        f"unknown file format '{path.suffix}'", str(path), f"use one of {', '.join(known)}"
    )
