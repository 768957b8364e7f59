"""Parsing timestamps of any source into UTC, vectorised."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def to_utc(
    column: pa.ChunkedArray | pa.Array, date_format: str | None = None, timezone: str = "UTC"
) -> tuple[pa.Array, np.ndarray]:
    """Timestamps in UTC (microseconds, no zone) and a mask of the values that failed.

    Text with an explicit offset (``2025-03-01T10:00:00+01:00``) is converted from that offset;
    text without one, and zone-less typed timestamps, are read in ``timezone``. Local times that
    do not exist or are ambiguous (daylight saving changes) fail rather than being guessed.

    Parameters
    ----------
    column : pyarrow array
        Text or typed timestamps (or dates).
    date_format : str or None
        A ``strptime`` format such as ``"%d/%m/%Y %H:%M"``; None accepts ISO 8601.
    timezone : str
        IANA zone of times given without an offset.

    Examples
    --------
    >>> values, failed = to_utc(pa.array(["2025-03-01T10:00:00+01:00", "2025-03-01 10:00", "x"]))
    >>> [str(v) for v in values.to_pylist()], failed.tolist()
    (['2025-03-01 09:00:00', '2025-03-01 10:00:00', 'None'], [False, False, True])
    >>> values, _ = to_utc(pa.array(["01/07/2025 08:30"]), "%d/%m/%Y %H:%M", "Europe/Amsterdam")
    >>> str(values[0].as_py())
    '2025-07-01 06:30:00'
    """
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    present = pc.is_valid(column).to_numpy(zero_copy_only=False)
    if pa.types.is_timestamp(column.type) or pa.types.is_date(column.type):
        parsed = pd.to_datetime(column.to_pandas(), errors="coerce")
        if getattr(parsed.dt, "tz", None) is None:
            parsed = _localise(parsed, timezone)
    else:
        parsed = _parse_text(column.cast(pa.string()).to_pandas(), date_format, timezone)
    parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    failed = present & parsed.isna().to_numpy()
    values = pa.array(parsed.astype("datetime64[us]"), pa.timestamp("us"))
    return values, failed


_OFFSET = r"(?:Z|[+-]\d\d(?::?\d\d)?)\s*$"


def _localise(naive: pd.Series, timezone: str) -> pd.Series:
    return naive.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="NaT")


def _parse_text(text: pd.Series, date_format: str | None, timezone: str) -> pd.Series:
    """Text with offsets is read at its offset; text without one in ``timezone``."""
    fmt = date_format or "ISO8601"
    parsed = pd.to_datetime(text, format=fmt, errors="coerce", utc=True)
    if timezone == "UTC":
        return parsed
    naive = ~text.str.contains(_OFFSET, regex=True, na=False)
    if naive.any():
        local = pd.to_datetime(text[naive], format=fmt, errors="coerce")
        if getattr(local.dt, "tz", None) is None:
            parsed[naive] = _localise(local, timezone).dt.tz_convert("UTC")
    return parsed
