"""The one small class each engine fills in.

The base class owns the flow (`materialise`, `append`); an engine implements
how to connect, where a table lives and how to write one. Nothing above `store/` imports an
engine: analyses receive Ibis tables from `Backend.table` and hand expressions back to
`Backend.materialise`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, final

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa


class Backend(ABC):
    """An engine bound to one workspace directory.

    Parameters
    ----------
    root : Path
        The workspace directory.
    """

    #: Engine name as users write it (``--engine``).
    name: str = ""
    #: True when identity components are best computed in Python on collected edges.
    prefers_local_graph: bool = True

    def __init__(self, root: Path) -> None:
        self.root = root

    # -- what each engine provides -------------------------------------------------------

    @property
    @abstractmethod
    def con(self) -> Any:
        """The Ibis connection."""

    @abstractmethod
    def has_table(self, name: str) -> bool:
        """Whether the workspace holds table ``name``."""

    @abstractmethod
    def table(self, name: str) -> ir.Table:
        """The Ibis table ``name``."""

    @abstractmethod
    def _write(
        self, name: str, obj: ir.Table | pa.Table, *, overwrite: bool, temporary: bool = False
    ) -> None:
        """Write ``obj`` as table ``name``, replacing it or appending to it.

        A ``temporary`` table is scratch space for one process (e.g. staging an ingest): the
        engine may keep it out of the durable store.
        """

    @abstractmethod
    def drop(self, name: str) -> None:
        """Remove table ``name`` if it exists."""

    def close(self) -> None:  # noqa: B027  (optional hook, most engines need nothing)
        """Release the engine's resources."""

    def delete_rows(self, name: str, column: str, values: pa.Array) -> None:
        """Remove the rows of table ``name`` whose ``column`` is one of ``values``.

        The default rewrites the table without them; engines with a ``DELETE`` do better.
        """
        if len(values) == 0:
            return
        doomed = ibis.memtable(pa.table({column: values}))
        self._write(name, self.table(name).anti_join(doomed, column), overwrite=True)

    # -- the flow, the same for every engine ----------------------------------------------

    @final
    def materialise(self, name: str, expr: ir.Table) -> ir.Table:
        """Compute ``expr`` and store it as table ``name`` (replacing it); return the table.

        Materialising intermediate results keeps expressions small and lets later steps read
        a stored table rather than recompute a deep plan.
        """
        self._write(name, expr, overwrite=True)
        return self.table(name)

    @final
    def append(self, name: str, obj: ir.Table | pa.Table, *, temporary: bool = False) -> None:
        """Append rows to table ``name``, creating it when it does not exist."""
        self._write(name, obj, overwrite=not self.has_table(name), temporary=temporary)

    def to_arrow(self, expr: ir.Table) -> pa.Table:
        """Run a table expression and return an Arrow table (scalars: see `scalar`)."""
        table: pa.Table = self.con.to_pyarrow(expr)
        return table

    def to_pandas(self, expr: ir.Table) -> pd.DataFrame:
        """Run ``expr`` and return a pandas DataFrame."""
        frame: pd.DataFrame = self.to_arrow(expr).to_pandas()
        return frame

    def scalar(self, expr: ir.Scalar) -> Any:
        """Run a scalar expression and return its Python value."""
        return self.con.execute(expr)

    def count(self, name: str) -> int:
        """Rows in table ``name`` (0 when it does not exist)."""
        if not self.has_table(name):
            return 0
        return int(self.scalar(self.table(name).count()))

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
