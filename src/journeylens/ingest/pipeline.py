"""Ingestion: read → map → validate → hash → de-duplicate → append, with a quarantine.

Every record read ends in exactly one place: the target table (accepted), the quarantine
(rejected, with file, line, field and reason), or the duplicate count. `IngestReport` accounts
for all three.

Duplicates are decided on the record's id (``event_id`` / ``feedback_id``), or on a hash of its
content where the source has no id (the n-th identical record of a file gets ``<hash>#n``, so
repeated records in one file are all kept while re-ingesting the file adds nothing):

- an id already stored by an earlier ingest: a duplicate (the stored record is kept);
- an id seen earlier in the same file with the same content (a re-send): a duplicate;
- an id seen earlier in the same file with different content: rejected, because one of the two
  records is wrong and only the user can say which.

When identifier hashing is on, the quarantine holds hashed identifiers too: the configured
identifier columns of a rejected record are hashed, and records that could not even be split
into fields are kept without their raw text.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from journeylens.errors import ConfigError, InputError
from journeylens.ingest.base import LINE_COLUMN, RawReject, Reader, ReadOptions
from journeylens.ingest.hashing import IdentifierHasher, content_ids
from journeylens.ingest.mapping import EVENT_FIELDS, FEEDBACK_FIELDS, ColumnMapping
from journeylens.ingest.readers import reader_for
from journeylens.ingest.validate import (
    ParseOptions,
    Rejects,
    canonical_events,
    canonical_feedback,
)
from journeylens.store.backends import Backend
from journeylens.store.schema import EVENTS, FEEDBACK, PROVENANCE_FIELDS, QUARANTINE

Kind = Literal["events", "feedback"]


@dataclass(frozen=True)
class _Target:
    """What differs between ingesting events and feedback: a row in a table, not an if/elif."""

    table: str
    schema: pa.Schema
    key: str
    fields: tuple[str, ...]
    canonical: Callable[[pa.Table, Any, ParseOptions], tuple[pa.Table, Rejects]]
    #: Fields without which no record can be read: a file lacking them is an error.
    required: tuple[str, ...]


TARGETS: dict[str, _Target] = {
    "events": _Target(
        "events", EVENTS, "event_id", EVENT_FIELDS, canonical_events, ("ts", "activity")
    ),
    "feedback": _Target(
        "feedback", FEEDBACK, "feedback_id", FEEDBACK_FIELDS, canonical_feedback, ("ts",)
    ),
}


@dataclass
class FileReport:
    """What became of the records of one file.

    ``duplicates`` counts records that were already stored: by an earlier ingest, or as an
    identical re-send earlier in the same file.
    """

    path: str
    kind: str
    read: int = 0
    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    seconds: float = 0.0
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def balanced(self) -> bool:
        """Every record read is accounted for."""
        return self.read == self.accepted + self.rejected + self.duplicates


@dataclass
class IngestReport:
    """The outcome of ingesting one or more files."""

    files: list[FileReport] = field(default_factory=list)

    @property
    def read(self) -> int:
        return sum(f.read for f in self.files)

    @property
    def accepted(self) -> int:
        return sum(f.accepted for f in self.files)

    @property
    def rejected(self) -> int:
        return sum(f.rejected for f in self.files)

    @property
    def duplicates(self) -> int:
        return sum(f.duplicates for f in self.files)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary."""
        return {
            "read": self.read,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "duplicates": self.duplicates,
            "files": [asdict(f) for f in self.files],
        }


@dataclass
class IngestOptions:
    """Everything that shapes one ingest besides the files."""

    kind: Kind = "events"
    mapping: ColumnMapping = field(default_factory=ColumnMapping)
    parse: ParseOptions = field(default_factory=ParseOptions)
    delimiter: str | None = None
    encoding: str = "utf-8"
    source: str | None = None
    batch_rows: int = 250_000


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _reason_label(reason: str) -> str:
    """The kind of a reason, without its values, to count rejects by.

    Examples
    --------
    >>> _reason_label("initiator 'robot' is not one of customer, company; use one of them")
    "initiator '…' is not one of customer, company"
    >>> _reason_label("expected 9 fields (a, b), found 10; quote values")
    'expected N fields'
    """
    label = re.sub(r"'[^']*'", "'…'", reason.split(";")[0])
    label = re.sub(r"(?<![\w-])\d+(?![\w-])", "N", label)
    return label.split(":")[0].split("(")[0].strip()[:80]


#: Columns that say where a record came from, not what it says.
_PROVENANCE = frozenset(PROVENANCE_FIELDS)


class _FileIngest:
    """Ingests one file; holds the per-file state (sequence, content-hash counts)."""

    def __init__(
        self,
        backend: Backend,
        path: Path,
        options: IngestOptions,
        hasher: IdentifierHasher,
        progress: Callable[[int], None] | None,
    ) -> None:
        self.backend = backend
        self.path = path
        self.options = options
        self.target = TARGETS[options.kind]
        self.hasher = hasher
        self.progress = progress
        self.run_ts = _now()
        self.source = options.source or path.name.split(".")[0]
        self.report = FileReport(str(path), options.kind)
        self.seen_hashes: dict[str, int] = {}
        self.reasons: Counter[str] = Counter()
        self.next_seq = self._next_seq()
        self.first_seq = self.next_seq
        # Into an empty table rows go straight in (nothing stored can be a duplicate; repeats
        # within the file are removed afterwards); otherwise they wait in a staging table.
        self.in_place = self.backend.count(self.target.table) == 0
        self.staging = f"_staging_{self.target.table}"
        self.destination = self.target.table if self.in_place else self.staging
        self.pending: list[pa.Table] = []
        self.pending_rows = 0
        self.quarantined: list[pa.Table] = []
        self.backend.drop(self.staging)

    def _next_seq(self) -> int:
        if not self.backend.has_table(self.target.table):
            return 1
        latest = self.backend.scalar(self.backend.table(self.target.table).seq.max())
        return int(latest or 0) + 1

    def run(self, reader: Reader) -> FileReport:
        started = time.perf_counter()
        read_options = ReadOptions(
            delimiter=self.options.delimiter,
            encoding=self.options.encoding,
            batch_rows=self.options.batch_rows,
        )
        try:
            for raw in reader.read(self.path, read_options):
                self._batch(raw)
                self._flush_raw_rejects(read_options.rejects)
            self._flush_raw_rejects(read_options.rejects)
            self._stage_pending()
            self._settle()
        except BaseException:
            # A file lands whole or not at all. (Not a transaction: DuckDB holds a transaction's
            # appends in memory, beyond its memory limit.)
            if self.in_place:
                self.backend.drop(self.target.table)  # it held only this file's rows
            raise
        finally:
            self.backend.drop(self.staging)
        self._flush_quarantine()
        self.report.reasons = dict(self.reasons.most_common())
        self.report.seconds = round(time.perf_counter() - started, 3)
        return self.report

    def _batch(self, raw: pa.Table) -> None:
        if raw.num_rows == 0:
            return
        self.report.read += raw.num_rows
        columns = [c for c in raw.column_names if c != LINE_COLUMN]
        try:
            resolved = self.options.mapping.resolve(columns, self.target.fields)
        except ConfigError:
            raise  # about the mapping, not this file
        except InputError as exc:  # e.g. a mapped column this file lacks: name the file
            where = f"{self.path}: {exc.where}" if exc.where else str(self.path)
            raise InputError(exc.what, where, exc.fix) from exc
        missing = [
            name
            for name in self.target.required
            if name not in resolved.fields and name not in resolved.rules
        ]
        if missing:
            raise InputError(
                f"no column for the required field(s) {', '.join(missing)}",
                str(self.path),
                f"map one, e.g. --map {missing[0]}=<column>; the source has: {', '.join(columns)}",
            )
        table, rejects = self.target.canonical(raw, resolved, self.options.parse)
        sensitive = {
            resolved.fields[name]: name for name in self.hasher.fields if name in resolved.fields
        }
        self._quarantine(raw, rejects.rows, rejects.fields, rejects.reasons, sensitive)
        table = self.hasher.apply(table)
        table = self._fill_ids(table)
        if table.num_rows:
            self._stage(table)
        if self.progress:
            self.progress(raw.num_rows)

    def _content_columns(self, table: pa.Table) -> list[str]:
        key = self.target.key
        return [
            c
            for c in self.target.schema.names
            if c in table.column_names and c != key and c not in _PROVENANCE
        ]

    def _content(self, table: pa.Table, columns: list[str]) -> pa.Array:
        """One string per row that holds everything the record says (but its id)."""
        if table.num_rows == 0 or not columns:
            return pa.array([""] * table.num_rows, pa.string())
        parts = [pc.cast(table.column(c), pa.string()) for c in columns]
        return pc.binary_join_element_wise(
            *parts, "\x1f", null_handling="replace", null_replacement="\x00"
        ).combine_chunks()

    def _fill_ids(self, table: pa.Table) -> pa.Table:
        key = self.target.key
        ids = table.column(key).combine_chunks()
        missing = pc.is_null(ids)
        if not pc.any(missing).as_py():
            return table
        joined = self._content(table, self._content_columns(table))
        rows = np.flatnonzero(missing.to_numpy(zero_copy_only=False))
        keys = pc.take(joined, pa.array(rows)).to_pylist()
        made = content_ids(keys, self.seen_hashes)
        filled = ids.to_pylist()
        for row, value in zip(rows, made, strict=True):
            filled[row] = value
        return table.set_column(table.column_names.index(key), key, pa.array(filled, pa.string()))

    def _stage(self, table: pa.Table) -> None:
        """Add provenance and sequence numbers; collect rows for the staging table."""
        n = table.num_rows
        seq = pa.array(np.arange(self.next_seq, self.next_seq + n, dtype=np.int64))
        self.next_seq += n
        table = (
            table.append_column("source", _repeat(self.source, n, pa.string()))
            .append_column("source_file", _repeat(str(self.path), n, pa.string()))
            .append_column("seq", seq)
            .append_column("ingested_at", _repeat(self.run_ts, n, pa.timestamp("us")))
        )
        self.pending.append(table.select(self.target.schema.names).cast(self.target.schema))
        self.pending_rows += n
        if self.pending_rows >= self.options.batch_rows:
            self._stage_pending()

    def _stage_pending(self) -> None:
        """Write collected rows to their destination in one large batch."""
        if not self.pending:
            return
        batch = pa.concat_tables(self.pending)
        self.pending, self.pending_rows = [], 0
        self.backend.append(self.destination, batch, temporary=not self.in_place)

    def _settle(self) -> None:
        """Resolve the file's duplicates in the engine, once per file.

        Repeated ids within the file are resolved first (an identical re-send is a duplicate, a
        different record under a used id is rejected, naming the first line); then rows whose
        id is already stored count as duplicates and the rest are appended.
        """
        if self.in_place:
            self._settle_in_place()
        else:
            self._settle_staged()

    def _repeats(self, rows: ir.Table) -> pa.Table:
        """The rows whose id occurs more than once among ``rows``, in input order."""
        key = self.target.key
        counts = rows.group_by(key).aggregate(_n=rows.count())
        repeated = counts.filter(counts._n > 1).select(key)
        return self.backend.to_arrow(rows.semi_join(repeated, key).order_by("seq"))

    def _settle_in_place(self) -> None:
        """The rows went straight into the (empty) target: remove the file's repeats."""
        if not self.backend.has_table(self.target.table):
            return
        table = self.backend.table(self.target.table)
        total = int(self.backend.scalar(table.count()))
        repeats = self._repeats(table)
        if repeats.num_rows:
            dropped = self._resolve_repeats(repeats)
            self.backend.delete_rows(self.target.table, "seq", dropped)
            total -= len(dropped)
        self.report.accepted += total

    def _settle_staged(self) -> None:
        """Move the staged rows into the target table, leaving out what is stored already."""
        if not self.backend.has_table(self.staging):
            return
        key = self.target.key
        staged = self.backend.table(self.staging)
        repeats = self._repeats(staged)
        if repeats.num_rows:
            dropped = self._resolve_repeats(repeats)
            staged = staged.anti_join(ibis.memtable(pa.table({"seq": dropped})), "seq")
        stored = self.backend.table(self.target.table).select(key)
        known = int(self.backend.scalar(staged.semi_join(stored, key).count()))
        fresh = staged.anti_join(stored, key)
        total = int(self.backend.scalar(staged.count()))
        if total > known:
            self.backend.append(self.target.table, fresh.select(*self.target.schema.names))
        self.report.duplicates += known
        self.report.accepted += total - known

    def _resolve_repeats(self, repeats: pa.Table) -> pa.Array:
        """Decide each repeated id: re-send (duplicate) or conflict (quarantine).

        Returns the ``seq`` of every row that must not be stored.
        """
        key = self.target.key
        content = self._content(repeats, self._content_columns(repeats)).to_pylist()
        ids = repeats.column(key).to_pylist()
        lines = repeats.column("source_line").to_pylist()
        seqs = repeats.column("seq").to_pylist()
        first: dict[str, int] = {}
        dropped: list[int] = []
        conflicts: list[int] = []
        reasons: list[str] = []
        for row, value in enumerate(ids):
            if value not in first:
                first[value] = row
                continue
            dropped.append(seqs[row])
            original = first[value]
            if content[row] == content[original]:  # the same record sent again
                self.report.duplicates += 1
                continue
            conflicts.append(row)
            reasons.append(
                f"{key} '{value}' is already used at line {lines[original]} by a different "
                f"record; give each record its own {key}, or remove the wrong one"
            )
        if conflicts:
            self._quarantine_canonical(repeats, conflicts, reasons)
        return pa.array(dropped, pa.int64())

    # -- quarantine ---------------------------------------------------------------------------

    def _quarantine(
        self,
        raw: pa.Table,
        rows: list[int],
        fields: Sequence[str | None],
        reasons: Sequence[str],
        sensitive: dict[str, str],
    ) -> None:
        """Quarantine source rows; ``sensitive`` maps source columns to hashed identifiers."""
        if not rows:
            return
        picked = raw.take(pa.array(rows, pa.int64())).to_pylist()
        lines = [record.pop(LINE_COLUMN) for record in picked]
        for record in picked:
            for column, name in sensitive.items():
                value = record.get(column)
                if value is not None and str(value).strip():
                    record[column] = self.hasher.hash_value(name, str(value))
        raws = [json.dumps(record, ensure_ascii=False, default=str) for record in picked]
        self._write_quarantine(lines, fields, reasons, raws)

    def _quarantine_canonical(
        self, table: pa.Table, rows: list[int], reasons: Sequence[str]
    ) -> None:
        picked = table.take(pa.array(rows, pa.int64())).to_pylist()
        lines = [record["source_line"] for record in picked]
        raws = [json.dumps(record, ensure_ascii=False, default=str) for record in picked]
        self._write_quarantine(lines, [self.target.key] * len(rows), reasons, raws)

    def _flush_raw_rejects(self, rejects: list[RawReject]) -> None:
        if not rejects:
            return
        self.report.read += len(rejects)
        withhold = bool(self.hasher.fields)  # the raw text may hold identifiers to hash
        self._write_quarantine(
            [r.line for r in rejects],
            [r.field for r in rejects],
            [r.reason for r in rejects],
            [None if withhold else r.raw for r in rejects],
        )
        rejects.clear()

    def _write_quarantine(
        self,
        lines: Sequence[int | None],
        fields: Sequence[str | None],
        reasons: Sequence[str],
        raws: Sequence[str | None],
    ) -> None:
        n = len(reasons)
        self.report.rejected += n
        self.reasons.update(_reason_label(r) for r in reasons)
        table = pa.table(
            {
                "kind": pa.array([self.options.kind] * n, pa.string()),
                "source_file": pa.array([str(self.path)] * n, pa.string()),
                "source_line": pa.array(lines, pa.int64()),
                "field": pa.array(fields, pa.string()),
                "reason": pa.array(reasons, pa.string()),
                "raw": pa.array(raws, pa.string()),
                "ingested_at": pa.array([self.run_ts] * n, pa.timestamp("us")),
            },
            schema=QUARANTINE,
        )
        self.quarantined.append(table)

    def _flush_quarantine(self) -> None:
        """Write the file's rejected rows in one batch."""
        if self.quarantined:
            self.backend.append("quarantine", pa.concat_tables(self.quarantined))
            self.quarantined = []


def _repeat(value: object, n: int, kind: pa.DataType) -> pa.Array:
    """``value`` ``n`` times, without a Python list of n items."""
    return pa.nulls(n, kind).fill_null(pa.scalar(value, kind)) if n else pa.array([], kind)


def ingest_files(
    backend: Backend,
    paths: Iterable[Path],
    options: IngestOptions,
    hasher: IdentifierHasher,
    progress: Callable[[int], None] | None = None,
) -> IngestReport:
    """Ingest files into the workspace behind ``backend``.

    Raises
    ------
    InputError
        When a file does not exist, has an unknown format, or cannot be read at all.
    """
    report = IngestReport()
    checked: list[tuple[Path, Reader]] = []
    for path in paths:  # every path is checked before anything is written
        if not path.exists():
            raise InputError("no such file", str(path), "check the path")
        checked.append((path, reader_for(path)))
    for path, reader in checked:
        report.files.append(_FileIngest(backend, path, options, hasher, progress).run(reader))
    return report
