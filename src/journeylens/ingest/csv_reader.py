"""Delimited text (CSV, TSV, pipe-separated, optionally gzipped) with exact line numbers.

Python's `csv` module is used rather than a bulk parser because every bad record must be
reported with its line: records whose bytes are not valid in the declared encoding, or that
have the wrong number of fields, become `RawReject`s; everything else is yielded as strings.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, cast

import pyarrow as pa

from journeylens.errors import InputError
from journeylens.ingest.base import LINE_COLUMN, RawReject, ReadOptions

_CANDIDATE_DELIMITERS = (",", ";", "\t", "|")
csv.field_size_limit(64 * 1024 * 1024)

#: How a delimiter may be written on a command line.
_DELIMITER_NAMES = {"\\t": "\t", "tab": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}

#: A carriage return that does not start a CRLF pair: a line break of its own (old Mac files).
_BARE_CR = re.compile(rb"(?<=\r)(?!\n)")


def _open_binary(path: Path) -> IO[bytes]:
    if path.name.endswith(".gz"):
        return cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")


def resolve_delimiter(delimiter: str | None) -> str | None:
    """The one-character delimiter a user means (``\\t``, ``tab``), None to detect.

    Examples
    --------
    >>> resolve_delimiter("tab") == chr(9), resolve_delimiter(";"), resolve_delimiter(None)
    (True, ';', None)
    """
    if delimiter is None:
        return None
    value = _DELIMITER_NAMES.get(delimiter.lower() if len(delimiter) > 1 else delimiter, delimiter)
    if len(value) != 1 or value in '\r\n"':
        raise InputError(
            f"{delimiter!r} is not a delimiter",
            "--delimiter",
            "give one character such as , ; | or \\t (tab)",
        )
    return value


def detect_delimiter(header: str) -> str:
    """The most frequent candidate delimiter in a header line.

    Examples
    --------
    >>> detect_delimiter("id;ts;activity")
    ';'
    >>> detect_delimiter("a|b|c,d")
    '|'
    """
    counts = {d: header.count(d) for d in _CANDIDATE_DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


class _LineDecoder:
    """Decodes binary lines one at a time, remembering which lines had undecodable bytes."""

    def __init__(self, raw: IO[bytes], encoding: str) -> None:
        self._raw = raw
        self._encoding = encoding
        self.bad_lines: set[int] = set()
        self.line = 0

    def __iter__(self) -> Iterator[str]:
        for data in self._raw:
            pieces = _BARE_CR.split(data) if b"\r" in data else [data]
            for piece in pieces:
                if not piece:
                    continue
                self.line += 1
                try:
                    yield piece.decode(self._encoding)
                except UnicodeDecodeError:
                    self.bad_lines.add(self.line)
                    yield piece.decode(self._encoding, errors="surrogateescape")


def _has_surrogates(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


class CsvReader:
    """Reads delimited text.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "calls.csv"
    >>> _ = path.write_text("id,ts\\n1,2025-01-01\\n2\\n")
    >>> options = ReadOptions()
    >>> batch = next(CsvReader().read(path, options))
    >>> batch.to_pydict()
    {'id': ['1'], 'ts': ['2025-01-01'], '__line__': [2]}
    >>> options.rejects[0].reason.split(";")[0]
    'expected 2 fields (id, ts), found 1'
    """

    suffixes: tuple[str, ...] = (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz", ".txt.gz")

    def read(self, path: Path, options: ReadOptions) -> Iterator[pa.Table]:
        try:
            codecs.lookup(options.encoding)
        except LookupError as exc:
            raise InputError(
                f"unknown encoding '{options.encoding}'",
                str(path),
                "use a Python codec name such as utf-8, latin-1 or cp1252",
            ) from exc
        with _open_binary(path) as raw:
            decoder = _LineDecoder(raw, options.encoding)
            lines = iter(decoder)
            header_line = next(lines, None)
            if header_line is None:
                raise InputError("the file is empty", str(path), "export it again with a header")
            header_line = header_line.lstrip("\ufeff")
            delimiter = resolve_delimiter(options.delimiter) or (
                "\t" if path.name.endswith((".tsv", ".tsv.gz")) else detect_delimiter(header_line)
            )
            header = next(csv.reader([header_line], delimiter=delimiter))
            header = _unique_names([name.strip() for name in header])
            if 1 in decoder.bad_lines:
                raise InputError(
                    f"the header has bytes that are not valid {options.encoding}",
                    f"{path}:1",
                    "pass the file's encoding, e.g. --encoding latin-1",
                )
            reader = csv.reader(lines, delimiter=delimiter)
            yield from self._batches(reader, decoder, header, delimiter, options)

    def _batches(
        self,
        reader: Iterator[list[str]],
        decoder: _LineDecoder,
        header: list[str],
        delimiter: str,
        options: ReadOptions,
    ) -> Iterator[pa.Table]:
        width = len(header)
        rows: list[list[str]] = []
        line_numbers: list[int] = []
        previous_end = 1
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                start, previous_end = previous_end + 1, decoder.line
                options.rejects.append(
                    RawReject(start, f"cannot split the record: {exc}; check its quotes")
                )
                continue
            start, previous_end = previous_end + 1, decoder.line
            if not row:
                continue  # a blank line is not a record
            if any(n in decoder.bad_lines for n in range(start, previous_end + 1)):
                bad_field = next(
                    (header[i] for i, v in enumerate(row[:width]) if _has_surrogates(v)), None
                )
                options.rejects.append(
                    RawReject(
                        start,
                        f"bytes that are not valid {options.encoding}; "
                        "pass the file's encoding, e.g. --encoding latin-1",
                        _printable(delimiter, row),
                        bad_field,
                    )
                )
                continue
            if len(row) != width:
                options.rejects.append(
                    RawReject(
                        start,
                        f"expected {width} fields ({', '.join(header)}), found {len(row)}; "
                        f"quote values that contain the delimiter {delimiter!r} and make "
                        "every line have one value per column",
                        delimiter.join(row),
                    )
                )
                continue
            rows.append(row)
            line_numbers.append(start)
            if len(rows) >= options.batch_rows:
                yield _to_table(header, rows, line_numbers)
                rows, line_numbers = [], []
        if rows or not line_numbers:
            yield _to_table(header, rows, line_numbers)


def _printable(delimiter: str, row: list[str]) -> str:
    text = delimiter.join(row).encode("utf-8", errors="surrogateescape")
    return text.decode("utf-8", errors="replace")


def _unique_names(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    unique = []
    for index, name in enumerate(names):
        name = name or f"column_{index + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 1
        unique.append(name)
    return unique


def _to_table(header: list[str], rows: list[list[str]], lines: list[int]) -> pa.Table:
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in header]
    arrays = {
        name: pa.array([value if value != "" else None for value in column], pa.string())
        for name, column in zip(header, columns, strict=True)
    }
    arrays[LINE_COLUMN] = pa.array(lines, pa.int64())
    return pa.table(arrays)
