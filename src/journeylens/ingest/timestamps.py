"""Parsing timestamps of any source into UTC, vectorised."""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from journeylens.errors import ConfigError


@dataclass(frozen=True)
class ParsedTimes:
    """Timestamps in UTC and what went wrong where.

    Attributes
    ----------
    values : pyarrow array
        UTC timestamps (microseconds, no zone); null where missing or failed.
    failed : numpy bool array
        Present values that could not be turned into a UTC timestamp.
    unclear : numpy bool array
        Failed values that were read fine but do not exist, or exist twice, as local times in
        the zone (daylight saving changes): a subset of ``failed``.
    """

    values: pa.Array
    failed: np.ndarray
    unclear: np.ndarray


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
    >>> values, _ = to_utc(pa.array(["2025-03-01"]), timezone="Europe/Amsterdam")
    >>> str(values[0].as_py())
    '2025-02-28 23:00:00'
    """
    parsed = parse_utc(column, date_format, timezone)
    return parsed.values, parsed.failed


def parse_utc(
    column: pa.ChunkedArray | pa.Array, date_format: str | None = None, timezone: str = "UTC"
) -> ParsedTimes:
    """Like `to_utc`, and also tells which failures are daylight-saving gaps or overlaps.

    Examples
    --------
    >>> parsed = parse_utc(pa.array(["2025-03-30 02:30", "2025-03-30 03:30"]),
    ...                    timezone="Europe/Amsterdam")
    >>> parsed.failed.tolist(), parsed.unclear.tolist()
    ([True, False], [True, False])
    """
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    present = pc.is_valid(column).to_numpy(zero_copy_only=False)
    unclear = np.zeros(len(column), dtype=bool)
    if pa.types.is_date(column.type):
        column = column.cast(pa.timestamp("us"))
    if pa.types.is_timestamp(column.type):
        # Keep the source's unit: dates such as 9999-12-31 do not fit in nanoseconds.
        parsed = pd.Series(column.to_pandas(coerce_temporal_nanoseconds=False))
        if getattr(parsed.dt, "tz", None) is None:
            parsed, unclear = _localise(parsed, timezone)
    else:
        text = pd.Series(column.cast(pa.string()).to_pandas(), dtype=object)
        parsed, unclear = _parse_text(text, date_format, timezone)
    parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    failed = present & parsed.isna().to_numpy()
    values = pa.array(parsed.astype("datetime64[us]"), pa.timestamp("us"))
    return ParsedTimes(values, failed, unclear & failed)


#: An offset (or Z) right after a time of day: ``10:00:00+01:00``, ``100000Z``, ``08:30 +0200``.
#: A date alone (``2025-03-01``, ``01-03-2025``) never matches, so its dashes are not offsets.
_OFFSET = re.compile(r"\d\d:?\d\d(?::?\d\d(?:[.,]\d+)?)?\s*(?:[Zz]|[+-]\d\d(?::?\d\d)?)\s*$")


def _localise(naive: pd.Series, timezone: str) -> tuple[pd.Series, np.ndarray]:
    """``naive`` read in ``timezone``; and where a valid local time does not exist there."""
    local = naive.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="NaT")
    unclear = (naive.notna() & local.isna()).to_numpy()
    return local, unclear


def _parse_text(
    text: pd.Series, date_format: str | None, timezone: str
) -> tuple[pd.Series, np.ndarray]:
    """Text with offsets is read at its offset; text without one in ``timezone``.

    The two groups are parsed apart: pandas, given both in one call, silently applies the
    first value's offset to the zone-less values that follow it.
    """
    fmt = date_format or "ISO8601"
    result = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us, UTC]")
    unclear = np.zeros(len(text), dtype=bool)
    has_offset = text.str.contains(_OFFSET, na=False).to_numpy(dtype=bool)
    present = text.notna().to_numpy(dtype=bool)
    aware, naive = has_offset, present & ~has_offset
    if aware.any():
        parsed = pd.to_datetime(text[aware], format=fmt, errors="coerce", utc=True)
        result[aware] = parsed.astype("datetime64[us, UTC]")
    if naive.any():
        local = pd.to_datetime(text[naive], format=fmt, errors="coerce")
        if getattr(local.dt, "tz", None) is None:
            local, gaps = _localise(local, timezone)
            unclear[naive] = gaps
        result[naive] = local.dt.tz_convert("UTC").astype("datetime64[us, UTC]")
    return result, unclear


def check_timezone(timezone: str) -> None:
    """Raise `ConfigError` unless ``timezone`` is an IANA zone name.

    Examples
    --------
    >>> check_timezone("Europe/Amsterdam")
    >>> check_timezone("Europe/Amsterdm")
    Traceback (most recent call last):
    ...
    journeylens.errors.ConfigError: --timezone: unknown time zone 'Europe/Amsterdm' (fix: \
use an IANA name such as UTC, Europe/Amsterdam or America/New_York)
    """
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"unknown time zone '{timezone}'",
            "--timezone",
            "use an IANA name such as UTC, Europe/Amsterdam or America/New_York",
        ) from exc


def check_date_format(date_format: str | None) -> None:
    """Raise `ConfigError` unless ``date_format`` is a usable ``strptime`` format.

    Examples
    --------
    >>> check_date_format("%d/%m/%Y %H:%M")
    >>> check_date_format("%d/%m/%Q")
    Traceback (most recent call last):
    ...
    journeylens.errors.ConfigError: --date-format: '%d/%m/%Q' is not a date format: 'Q' is a \
bad directive in format '%d/%m/%Q' (fix: use strptime codes, e.g. '%d/%m/%Y %H:%M')
    """
    if date_format is None:
        return
    try:
        pd.to_datetime(pd.Series(["2000-01-01"]), format=date_format, errors="coerce")
    except ValueError as exc:
        raise ConfigError(
            f"'{date_format}' is not a date format: {exc}",
            "--date-format",
            "use strptime codes, e.g. '%d/%m/%Y %H:%M'",
        ) from exc
