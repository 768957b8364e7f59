"""The durable append log of the live path: segment files in ``<workspace>/live/log/``.

Every accepted event or feedback record is one line, written and ``fdatasync``'d before the
API answers. Lines carry their own check, so a line torn by a crash (``kill -9``, power loss)
is recognised and dropped::

    <seq> TAB <kind: e|f> TAB <record as JSON> TAB <crc32 of what precedes, 8 hex> LF

``seq`` numbers the records of the log (1, 2, …). A segment file is named by the ``seq`` of
its first record (``0000000000000001.log``) and is closed when it grows past
``segment_bytes``; a closed segment was fsync'd whole, so only the tail of the last segment
can be torn. On open, the log keeps the longest valid prefix of that tail and cuts the rest
(it was never acknowledged: a record is acknowledged only after the fsync that covers it).
A bad line anywhere else is damage, and the log refuses to open, naming file and offset.

Group commit: `AppendLog.submit` queues lines and returns a future; one writer thread writes
everything queued since its last round in one ``write`` and one ``fdatasync``, then resolves
the futures of that round. Concurrent requests so share one disk flush. After a failed write
or flush the log stops accepting records (the page cache can no longer be trusted): restart
the server, which re-reads the log from disk.

Examples
--------
>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> log = AppendLog(folder)
>>> first, done = log.submit("e", [{"event_id": "a"}, {"event_id": "b"}])
>>> done.result(), log.durable_seq
((1, 2), 2)
>>> log.close()
>>> with open(next(folder.glob("*.log")), "ab") as f:
...     _ = f.write(b'3\\te\\t{"event_id": "torn')  # a crash in the middle of a write
>>> log = AppendLog(folder)
>>> [(r.seq, r.data["event_id"]) for r in log.records()], log.torn_bytes
([(1, 'a'), (2, 'b')], 22)
>>> log.close()
"""

from __future__ import annotations

import os
import threading
import zlib
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from journeylens.errors import WorkspaceError

#: Where a workspace keeps its log.
LOG_DIR = Path("live") / "log"
#: A segment is closed once it holds this many bytes.
SEGMENT_BYTES = 64 << 20
SUFFIX = ".log"
KINDS = ("e", "f")  # event, feedback


class LogDamagedError(WorkspaceError):
    """A line of a closed segment (or in the middle of the last one) fails its check."""


class LogUnavailableError(RuntimeError):
    """The log stopped accepting records after a failed write or flush."""


@dataclass(frozen=True, slots=True)
class LogRecord:
    """One line of the log: its number, kind (``e`` event, ``f`` feedback) and record."""

    seq: int
    kind: str
    data: dict[str, Any]


def encode_line(seq: int, kind: str, data: Mapping[str, Any]) -> bytes:
    """One log line (with its check and newline).

    Examples
    --------
    >>> encode_line(7, "e", {"event_id": "x"})
    b'7\\te\\t{"event_id":"x"}\\t3793ecd2\\n'
    """
    body = b"%d\t%s\t%s" % (seq, kind.encode(), orjson.dumps(data))
    return body + b"\t%08x\n" % zlib.crc32(body)


def decode_line(line: bytes) -> LogRecord | None:
    """The record of a line without its newline, or None when it fails its check."""
    body, sep, check = line.rpartition(b"\t")
    if not sep or len(check) != 8:
        return None
    try:
        if int(check, 16) != zlib.crc32(body):
            return None
        seq, kind, data = body.split(b"\t", 2)
        return LogRecord(int(seq), kind.decode(), orjson.loads(data))
    except ValueError:
        return None


def segment_name(first_seq: int) -> str:
    return f"{first_seq:016d}{SUFFIX}"


def segments(folder: Path) -> list[tuple[int, Path]]:
    """The segment files of ``folder``, as ``(first seq, path)`` in order."""
    if not folder.exists():
        return []
    found = []
    for path in folder.iterdir():
        if path.suffix == SUFFIX and path.stem.isdigit():
            found.append((int(path.stem), path))
    return sorted(found)


def _scan(path: Path, data: bytes, last: bool) -> tuple[list[LogRecord], int]:
    """The valid records of a segment and the byte length of its valid prefix.

    In the last segment a bad or unfinished line ends the log (a torn tail); elsewhere it is
    damage.
    """
    records: list[LogRecord] = []
    offset = 0
    size = len(data)
    while offset < size:
        end = data.find(b"\n", offset)
        record = decode_line(data[offset:end]) if end >= 0 else None
        if record is None:
            if last:
                return records, offset
            raise LogDamagedError(
                f"{path}: the log line at byte {offset} is damaged; move this segment and the "
                "later ones aside (they were acknowledged: restore them from a backup), then "
                "start again"
            )
        records.append(record)
        offset = end + 1
    return records, offset


def read_records(
    folder: Path, after_seq: int = 0, until_seq: int | None = None
) -> Iterator[LogRecord]:
    """The valid records of the log in ``folder`` with ``after_seq < seq <= until_seq``.

    Reading is safe while a writer appends: an unfinished last line is not returned.
    """
    found = segments(folder)
    for position, (first, path) in enumerate(found):
        if until_seq is not None and first > until_seq:
            return
        following = found[position + 1][0] if position + 1 < len(found) else None
        if following is not None and following - 1 <= after_seq:
            continue  # every record of this segment is older
        records, _ = _scan(path, path.read_bytes(), last=following is None)
        for record in records:
            if record.seq <= after_seq:
                continue
            if until_seq is not None and record.seq > until_seq:
                return
            yield record


@dataclass
class _Round:
    lines: list[bytes]
    futures: list[tuple[Future[tuple[int, int]], int, int]]


class AppendLog:
    """The append log of one workspace, open for appending (one process at a time).

    Parameters
    ----------
    folder : Path
        ``<workspace>/live/log``; created when missing.
    segment_bytes : int
        Size after which a new segment file is started.
    sync : bool
        Flush to disk before acknowledging (turn off only in throwaway tests).
    """

    def __init__(self, folder: Path, *, segment_bytes: int = SEGMENT_BYTES, sync: bool = True):
        self.folder = folder
        self.segment_bytes = segment_bytes
        self.sync = sync
        folder.mkdir(parents=True, exist_ok=True)
        #: Bytes cut from a torn tail when the log was opened.
        self.torn_bytes = 0
        self._segment_first, self._size, last_seq = self._recover()
        self._fd = os.open(self._path(), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self._next_seq = last_seq + 1
        #: The highest seq that is on disk (written and flushed).
        self.durable_seq = last_seq
        self._failure: BaseException | None = None
        self._pending = _Round([], [])
        self._cond = threading.Condition()
        self._closing = False
        self._writer = threading.Thread(
            target=self._write_loop, name="journeylens-log", daemon=True
        )
        self._writer.start()

    def _path(self) -> Path:
        return self.folder / segment_name(self._segment_first)

    def _recover(self) -> tuple[int, int, int]:
        """Check the last segment, cut a torn tail; return (first seq, size, last seq)."""
        found = segments(self.folder)
        if not found:
            return 1, 0, 0
        first, path = found[-1]
        data = path.read_bytes()
        records, valid = _scan(path, data, last=True)
        if valid < len(data):
            self.torn_bytes = len(data) - valid
            with open(path, "r+b") as handle:
                handle.truncate(valid)
                handle.flush()
                os.fsync(handle.fileno())
        if records:
            return first, valid, records[-1].seq
        # An empty last segment: the last record is in the one before (if any).
        last_seq = first - 1
        return first, valid, last_seq

    # -- appending ----------------------------------------------------------------------------

    def submit(
        self, kind: str, records: Sequence[Mapping[str, Any]]
    ) -> tuple[int, Future[tuple[int, int]]]:
        """Queue ``records`` of one kind; return their first seq and a future.

        The future resolves to ``(first seq, last seq)`` once the records are on disk, or fails
        with `LogUnavailableError`. An empty ``records`` resolves once everything queued before it
        is on disk (a barrier).
        """
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
        future: Future[tuple[int, int]] = Future()
        with self._cond:
            if self._failure is not None or self._closing:
                raise LogUnavailableError(self._unavailable())
            first = self._next_seq
            for offset, data in enumerate(records):
                self._pending.lines.append(encode_line(first + offset, kind, data))
            self._next_seq += len(records)
            self._pending.futures.append((future, first, self._next_seq - 1))
            self._cond.notify()
        return first, future

    def append(self, kind: str, records: Sequence[Mapping[str, Any]]) -> tuple[int, int]:
        """`submit` and wait until the records are on disk."""
        return self.submit(kind, records)[1].result()

    def _unavailable(self) -> str:
        if self._closing:
            return "the append log is closed"
        return (
            f"the append log stopped accepting records after a write error ({self._failure}); "
            "fix the disk (space, permissions) and restart the server"
        )

    @property
    def available(self) -> bool:
        return self._failure is None and not self._closing

    def _write_loop(self) -> None:
        while True:
            with self._cond:
                while not self._pending.futures and not self._closing:
                    self._cond.wait()
                if not self._pending.futures and self._closing:
                    return
                batch, self._pending = self._pending, _Round([], [])
            self._write(batch)

    def _write(self, batch: _Round) -> None:
        try:
            if self._failure is not None:
                raise LogUnavailableError(self._unavailable())
            if batch.lines:
                data = b"".join(batch.lines)
                written = 0
                while written < len(data):
                    written += os.write(self._fd, data[written:])
                if self.sync:
                    os.fdatasync(self._fd)
                self._size += len(data)
                last = batch.futures[-1][2]
                self.durable_seq = max(self.durable_seq, last)
                if self._size >= self.segment_bytes:
                    self._roll(last + 1)
        except BaseException as exc:  # every failure fails the round
            with self._cond:
                if self._failure is None:
                    self._failure = exc
            error = (
                exc
                if isinstance(exc, LogUnavailableError)
                else LogUnavailableError(self._unavailable())
            )
            for future, _, _ in batch.futures:
                future.set_exception(error)
            return
        for future, first, last in batch.futures:
            future.set_result((first, last))

    def _roll(self, next_seq: int) -> None:
        """Close the full segment and start the next one (its name is its first seq)."""
        os.close(self._fd)
        self._segment_first, self._size = next_seq, 0
        self._fd = os.open(self._path(), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        if self.sync:
            directory = os.open(self.folder, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)

    # -- reading and closing ------------------------------------------------------------------

    def records(self, after_seq: int = 0) -> Iterator[LogRecord]:
        """Records on disk with ``seq > after_seq`` (up to `durable_seq`)."""
        return read_records(self.folder, after_seq, self.durable_seq)

    def close(self) -> None:
        """Write what is queued, then stop the writer and close the file."""
        with self._cond:
            if self._closing:
                return
            self._closing = True
            self._cond.notify()
        self._writer.join()
        os.close(self._fd)
