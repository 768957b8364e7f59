"""JSON Lines: one JSON object per line; nested values are kept as JSON text."""

from __future__ import annotations

import codecs
import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, cast

import pyarrow as pa

from journeylens.ingest.base import LINE_COLUMN, RawReject, ReadOptions


def _open_binary(path: Path) -> IO[bytes]:
    if path.name.endswith(".gz"):
        return cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")


def _scalar(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


class JsonlReader:
    """Reads JSON Lines (``.jsonl``, ``.ndjson``, optionally gzipped).

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "events.jsonl"
    >>> _ = path.write_text('{"id": 1, "tags": ["a"]}\\nnot json\\n')
    >>> options = ReadOptions()
    >>> next(JsonlReader().read(path, options)).to_pydict()
    {'id': ['1'], 'tags': ['["a"]'], '__line__': [1]}
    >>> options.rejects[0].line, options.rejects[0].reason.split(":")[0]
    (2, 'not valid JSON')
    """

    suffixes: tuple[str, ...] = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")

    def read(self, path: Path, options: ReadOptions) -> Iterator[pa.Table]:
        with _open_binary(path) as raw:
            records: list[dict[str, str | None]] = []
            lines: list[int] = []
            for number, data in enumerate(raw, start=1):
                if number == 1:
                    data = data.removeprefix(codecs.BOM_UTF8)
                if not data.strip():
                    continue
                shown = data.decode(options.encoding, "replace").rstrip("\r\n")
                try:
                    value = json.loads(data.decode(options.encoding))
                except UnicodeDecodeError as exc:
                    options.rejects.append(
                        RawReject(
                            number,
                            f"bytes that are not valid {options.encoding} ({exc.reason}); "
                            "pass the file's encoding, e.g. --encoding latin-1",
                            shown,
                        )
                    )
                    continue
                except json.JSONDecodeError as exc:
                    options.rejects.append(
                        RawReject(
                            number,
                            f"not valid JSON: {exc.msg} at column {exc.colno}; "
                            "write one complete JSON object per line",
                            shown,
                        )
                    )
                    continue
                if not isinstance(value, dict):
                    options.rejects.append(
                        RawReject(
                            number,
                            'a line must hold one JSON object, e.g. {"customer_id": "C1"}',
                            shown,
                        )
                    )
                    continue
                records.append({key: _scalar(item) for key, item in value.items()})
                lines.append(number)
                if len(records) >= options.batch_rows:
                    yield _to_table(records, lines)
                    records, lines = [], []
            if records or not lines:
                yield _to_table(records, lines)


def _to_table(records: list[dict[str, str | None]], lines: list[int]) -> pa.Table:
    names: dict[str, None] = {}
    for record in records:
        names.update(dict.fromkeys(record))
    arrays = {
        name: pa.array([record.get(name) for record in records], pa.string()) for name in names
    }
    arrays[LINE_COLUMN] = pa.array(lines, pa.int64())
    return pa.table(arrays)
