"""Fold the live append log into the workspace's ``events`` and ``feedback`` tables.

New live records reach the analytics at the next build: `Workspace.build` calls `fold_live_log`
first, which reads the log records after the last fold, writes them as Parquet files of
canonical columns (``live/fold/``) and ingests those through the ordinary ingest pipeline
(`journeylens.ingest`): the same checks, the same duplicate rule on ``event_id`` /
``feedback_id``, source ``live``. Folding twice adds nothing. Only after the build succeeded
is the fold recorded (``live/fold.json``: the last folded log ``seq``), so a restart replays
into the live engine exactly the records the built tables do not hold yet.

Who folds: ``journeylens build`` (the server must not be running: it holds the DuckDB file), or
the server itself, ``POST /v1/admin/build`` or ``journeylens serve --build-every 15m``, while it
keeps accepting records.

Examples
--------
>>> import tempfile, pathlib, journeylens
>>> from journeylens.realtime.log import AppendLog, LOG_DIR
>>> ws = journeylens.init(pathlib.Path(tempfile.mkdtemp()) / "ws")
>>> log = AppendLog(ws.root / LOG_DIR)
>>> _ = log.append("e", [{"event_id": "e1", "ts": "2026-01-05T09:30:00+00:00",
...     "customer_id": "C1", "channel": "web", "activity": "login"}])
>>> log.close()
>>> ws.build().events, folded_through(ws.root), fold_live_log(ws).events
(1, 1, 0)
>>> ws.close()
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from journeylens.realtime.log import LOG_DIR, read_records, segments
from journeylens.store.schema import SOURCE_EVENT_FIELDS, SOURCE_FEEDBACK_FIELDS

if TYPE_CHECKING:
    from journeylens.workspace import Workspace

FOLD_STATE = Path("live") / "fold.json"
FOLD_DIR = Path("live") / "fold"
#: Records per Parquet file handed to the ingest pipeline.
CHUNK = 250_000
SOURCE = "live"

_NUMBERS = frozenset({"score", "scale_min", "scale_max"})

#: The last log seq a build may fold, when the server says so (see `fold_limit`).
_LIMIT: ContextVar[int | None] = ContextVar("journeylens_fold_limit", default=None)


@contextmanager
def fold_limit(seq: int) -> Iterator[None]:
    """Builds in this context fold the log only up to ``seq``.

    The server folds only records whose processing is complete (their moments are in the
    outbox): the others must stay after the fold point, so a restart replays them.
    """
    token = _LIMIT.set(seq)
    try:
        yield
    finally:
        _LIMIT.reset(token)


@dataclass(frozen=True)
class Fold:
    """What one fold did: records ingested, already present, rejected; the last log seq read."""

    events: int = 0
    feedback: int = 0
    duplicates: int = 0
    rejected: int = 0
    through: int = 0
    previous: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "feedback": self.feedback,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "through": self.through,
        }


def folded_through(root: Path) -> int:
    """The last log seq whose record is in the built tables (0 when none)."""
    path = root / FOLD_STATE
    if not path.exists():
        return 0
    return int(json.loads(path.read_text(encoding="utf-8"))["folded_through"])


def has_live_log(root: Path) -> bool:
    return bool(segments(root / LOG_DIR))


def _schema(fields: tuple[str, ...]) -> pa.Schema:
    return pa.schema([(name, pa.float64() if name in _NUMBERS else pa.string()) for name in fields])


_SCHEMAS: dict[str, pa.Schema] = {
    "events": _schema(SOURCE_EVENT_FIELDS),
    "feedback": _schema(SOURCE_FEEDBACK_FIELDS),
}


def _table(kind: str, rows: list[dict[str, Any]]) -> pa.Table:
    schema = _SCHEMAS[kind]
    columns: dict[str, list[Any]] = {name: [] for name in schema.names}
    for row in rows:
        for name in schema.names:
            value = row.get(name)
            if name == "attributes" and value is not None:
                value = orjson.dumps(value).decode()
            columns[name].append(value)
    return pa.table(columns, schema=schema)


def fold_live_log(ws: Workspace, until_seq: int | None = None) -> Fold | None:
    """Ingest the log records after the last fold (up to ``until_seq``); None without a log.

    The fold is not recorded here: call `commit_fold` once the build that follows succeeded.
    """
    root = ws.root
    if not has_live_log(root):
        return None
    if until_seq is None:
        until_seq = _LIMIT.get()
    previous = folded_through(root)
    out = root / FOLD_DIR
    out.mkdir(parents=True, exist_ok=True)
    rows: dict[str, list[dict[str, Any]]] = {"events": [], "feedback": []}
    files: dict[str, list[Path]] = {"events": [], "feedback": []}
    through = previous

    def flush(kind: str) -> None:
        if not rows[kind]:
            return
        path = out / f"{kind}-{through:016d}-{len(files[kind])}.parquet"
        pq.write_table(_table(kind, rows[kind]), path)
        files[kind].append(path)
        rows[kind] = []

    for record in read_records(root / LOG_DIR, previous, until_seq):
        kind = "events" if record.kind == "e" else "feedback"
        rows[kind].append(record.data)
        through = record.seq
        if len(rows[kind]) >= CHUNK:
            flush(kind)
    flush("events")
    flush("feedback")
    counts = {"events": 0, "feedback": 0, "duplicates": 0, "rejected": 0}
    try:
        for kind in ("events", "feedback"):
            if files[kind]:
                report = ws.ingest(files[kind], kind=kind, source=SOURCE)  # type: ignore[arg-type]
                counts[kind] = report.accepted
                counts["duplicates"] += report.duplicates
                counts["rejected"] += report.rejected
    finally:
        for paths in files.values():
            for path in paths:
                path.unlink(missing_ok=True)
    return Fold(through=through, previous=previous, **counts)


def commit_fold(ws: Workspace, fold: Fold | None) -> None:
    """Record that the log up to ``fold.through`` is in the built tables."""
    if fold is None or fold.through <= fold.previous:
        return
    path = ws.root / FOLD_STATE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"folded_through": fold.through}) + "\n", encoding="utf-8")
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, path)
