"""What every reader promises: batches of source columns with their line numbers.

A reader knows one file format and nothing about the canonical schema. It yields Arrow tables
whose columns carry the source's own names (strings, or native types where the format has them,
as in Parquet) plus `LINE_COLUMN`, the 1-based line (or row) in the file where the record starts.
Records that cannot even be split into fields are yielded as `RawReject` through `rejects`.
Mapping to canonical names, parsing and validation happen later, once, for all formats.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pyarrow as pa

#: Column that carries the source line of each record.
LINE_COLUMN = "__line__"

#: Rows per batch that readers aim for.
BATCH_ROWS = 250_000


@dataclass(frozen=True)
class RawReject:
    """A record a reader could not split into fields (e.g. undecodable bytes, wrong arity)."""

    line: int | None
    reason: str
    raw: str | None = None
    field: str | None = None


@dataclass
class ReadOptions:
    """Format options a reader may honour.

    Parameters
    ----------
    delimiter : str or None
        Field separator for delimited text; None means detect (``,`` ``;`` ``\\t`` ``|``).
    encoding : str
        Text encoding of the file.
    batch_rows : int
        Target rows per yielded batch.
    """

    delimiter: str | None = None
    encoding: str = "utf-8"
    batch_rows: int = BATCH_ROWS
    rejects: list[RawReject] = field(default_factory=list)


class Reader(Protocol):
    """One file format."""

    #: File name suffixes this reader handles, e.g. ``(".xes", ".xes.gz")``.
    suffixes: tuple[str, ...]

    def read(self, path: Path, options: ReadOptions) -> Iterator[pa.Table]:
        """Yield batches of source columns plus `LINE_COLUMN`; append unsplittable records
        to ``options.rejects``."""
        ...
