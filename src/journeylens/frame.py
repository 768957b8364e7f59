"""`Frame`: a lazy query result that turns into Arrow or pandas when asked."""

from __future__ import annotations

from typing import Any

import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from journeylens.store.backends import Backend


class Frame:
    """A table from the workspace, computed only when converted.

    Parameters
    ----------
    backend : Backend
        The engine that runs the query.
    expr : ibis Table
        The query.
    """

    def __init__(self, backend: Backend, expr: ir.Table) -> None:
        self._backend = backend
        self.expr = expr

    def to_arrow(self) -> pa.Table:
        """The rows as an Arrow table."""
        return self._backend.to_arrow(self.expr)

    def to_pandas(self) -> pd.DataFrame:
        """The rows as a pandas DataFrame."""
        frame: pd.DataFrame = self.to_arrow().to_pandas()
        return frame

    #: The house convention: results offer ``to_frame()``.
    to_frame = to_pandas

    def to_pylist(self) -> list[dict[str, Any]]:
        """The rows as dictionaries."""
        rows: list[dict[str, Any]] = self.to_arrow().to_pylist()
        return rows

    def head(self, n: int = 10) -> Frame:
        """The first ``n`` rows."""
        return Frame(self._backend, self.expr.limit(n))

    @property
    def columns(self) -> list[str]:
        return list(self.expr.columns)

    def __len__(self) -> int:
        return int(self._backend.scalar(self.expr.count()))

    def __arrow_c_stream__(self, requested_schema: object = None) -> object:
        return self.to_arrow().__arrow_c_stream__(requested_schema)

    def _repr_html_(self) -> str:
        html: str = self.head(20).to_pandas()._repr_html_()  # type: ignore[operator]
        return html

    def __repr__(self) -> str:
        return f"Frame(columns={self.columns})"
