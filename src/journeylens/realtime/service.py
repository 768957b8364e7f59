"""`LiveService`: the live path of one workspace (accept, make durable, process, answer).

The flow of one batch (``accept_events`` / ``accept_feedback``):

1. check every record (`journeylens.realtime.validate`); one bad record rejects the batch
   (`RecordsRejectedError`, every problem listed) and nothing is stored;
2. drop records whose id is already known (`journeylens.realtime.known_ids`): a duplicate
   of a stored record is answered at once, a duplicate of a record still being written waits
   for that write;
3. append the rest to the log (`journeylens.realtime.log`) and wait for the disk flush (group
   commit: concurrent requests share one flush);
4. in log order: ``core.process`` each record (stitching, journey state, rules), then
   ``actions.submit`` the moments, then the live timeline. A failure there is logged and
   counted, never raised: the record is already durable, and a restart replays it.

At start, the service loads the built history of every customer (`journeylens.realtime.history`),
the ids of the stored events and feedback, and replays the log after the last fold into the
engine and the timeline. ``build()`` folds the log into the workspace tables and rebuilds
journeys while the server keeps accepting records.

State is changed on one thread at a time: the HTTP routes call the ``*_async`` methods on the
event loop; other threads hold ``service.lock``. The workspace (DuckDB) is used under
``service.db_lock``.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from journeylens.ingest.hashing import IdentifierHasher
from journeylens.realtime.context import (
    CustomerContext,
    customer_context,
    find_predictor,
    lookup_candidates,
)
from journeylens.realtime.fold import fold_limit, folded_through
from journeylens.realtime.history import History
from journeylens.realtime.known_ids import KnownIds
from journeylens.realtime.log import LOG_DIR, AppendLog, LogRecord
from journeylens.realtime.moments import Moment
from journeylens.realtime.records import LiveEvent, LiveFeedback
from journeylens.realtime.submitter import MomentSubmitter
from journeylens.realtime.timeline import LiveTimeline
from journeylens.realtime.validate import (
    Checked,
    LiveValidator,
    RecordError,
    event_from_record,
    feedback_from_record,
)

if TYPE_CHECKING:
    from journeylens.workspace import Workspace

logger = logging.getLogger("journeylens.live")

Kind = Literal["events", "feedback"]
_CODE: dict[str, str] = {"events": "e", "feedback": "f"}
_KEY: dict[str, str] = {"events": "event_id", "feedback": "feedback_id"}


class RecordsRejectedError(ValueError):
    """A batch with bad records: nothing of it was stored."""

    def __init__(self, kind: str, errors: Sequence[RecordError], total: int) -> None:
        self.kind = kind
        self.errors = list(errors)
        self.total = total
        bad = len({e.index for e in self.errors})
        super().__init__(
            f"{bad} of {total} {kind} record(s) are invalid; nothing was stored: fix them and "
            "send the batch again"
        )


class BatchTooLargeError(ValueError):
    """More records in one request than the server accepts."""

    def __init__(self, size: int, limit: int) -> None:
        self.size = size
        self.limit = limit
        super().__init__(
            f"the batch holds {size:,} records; send at most {limit:,} per request "
            "(split it, or start the server with a larger --max-batch)"
        )


class CustomerNotFoundError(LookupError):
    """No customer has the identifier."""


@dataclass(frozen=True)
class ServeSettings:
    """How the live service behaves (``journeylens serve`` options).

    Parameters
    ----------
    max_batch : int
        Records per request at most (larger batches are answered 413).
    max_future_seconds : int
        How far in the future an event time may lie.
    timeline_depth : int
        Live records kept per identifier, and built steps kept per customer, for the context.
    timeline_keys : int
        Identifiers kept in the live timeline (least recently active dropped first).
    sync : bool
        Flush the log to disk before answering (only throwaway tests turn it off).
    load_history : bool
        Load the built history for the context at start.
    """

    max_batch: int = 5_000
    max_future_seconds: int = 86_400
    timeline_depth: int = 20
    timeline_keys: int = 1_000_000
    sync: bool = True
    load_history: bool = True

    def __post_init__(self) -> None:
        if self.max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        if self.timeline_depth < 1:
            raise ValueError("timeline_depth must be at least 1")


@dataclass
class Accepted:
    """The answer to an accepted batch."""

    kind: str
    received: int
    accepted: int
    duplicates: int
    duplicate_ids: list[str] = field(default_factory=list)
    first_seq: int | None = None
    last_seq: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "duplicate_ids": self.duplicate_ids[:1000],
            "first_seq": self.first_seq,
            "last_seq": self.last_seq,
        }


@dataclass
class _Pending:
    """A batch written (or being written) to the log, waiting to be processed in seq order."""

    kind: Kind
    first_seq: int
    records: list[dict[str, Any]]
    times: list[Any]
    ids: list[str]
    identifiers: list[dict[str, str]]
    future: Future[tuple[int, int]]


@dataclass
class Stats:
    """Counters of a running service (``GET /v1/status``)."""

    accepted: int = 0
    duplicates: int = 0
    rejected_batches: int = 0
    processed: int = 0
    moments: int = 0
    process_errors: int = 0
    action_errors: int = 0
    replayed: int = 0
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())


def _optional(module: str, name: str) -> Any:
    """``module.name`` when that module exists (parts of the live path land separately)."""
    try:
        return getattr(importlib.import_module(module), name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module.startswith(exc.name):
            return None
        raise


class LiveService:
    """The live path of one open workspace. Build it with `LiveService.open`.

    Parameters
    ----------
    workspace : Workspace
        The open workspace (its store is used at start, for builds, and by other routes).
    core : LiveCore or None
        The moment engine (stitching, journey state, rules); None runs without rules.
    actions : ActionCenter or None
        The outbox of actions; None records no actions.
    settings : ServeSettings
        Limits and sizes.
    """

    def __init__(
        self,
        workspace: Workspace,
        *,
        core: Any,
        actions: Any,
        settings: ServeSettings | None = None,
        log: AppendLog | None = None,
    ) -> None:
        self.workspace = workspace
        self.core = core
        self.actions = actions
        self.moments = MomentSubmitter(actions) if actions is not None else None
        self.settings = settings or ServeSettings()
        self.log = log or AppendLog(workspace.root / LOG_DIR, sync=self.settings.sync)
        self.hasher = IdentifierHasher(workspace.config.hashing)
        self.validator = LiveValidator(
            self.hasher, max_future_seconds=self.settings.max_future_seconds
        )
        self.known: dict[str, KnownIds] = {"events": KnownIds(), "feedback": KnownIds()}
        self._inflight: dict[str, dict[str, Future[tuple[int, int]]]] = {
            "events": {},
            "feedback": {},
        }
        self._queue: deque[_Pending] = deque()
        self.timeline = LiveTimeline(
            depth=self.settings.timeline_depth, max_keys=self.settings.timeline_keys
        )
        self.history = History.empty()
        self.stats = Stats()
        self.processed_seq = 0
        self.lock = threading.RLock()
        self.db_lock = threading.Lock()
        self._predict = find_predictor()
        self._assisted = tuple(workspace.config.journeys.assisted_channels)
        self._building = False

    # -- opening ------------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        root: Path | str,
        settings: ServeSettings | None = None,
        *,
        progress: Callable[[str], None] | None = None,
    ) -> LiveService:
        """Open the workspace at ``root``, its engine and outbox, and rebuild the live state."""
        from journeylens.workspace import open_workspace

        say = progress or (lambda _step: None)
        ws = open_workspace(root)
        try:
            say("opening the moment engine")
            core_class = _optional("journeylens.realtime.core", "LiveCore")
            core = core_class.from_workspace(ws) if core_class is not None else None
            center_class = _optional("journeylens.realtime.actions.center", "ActionCenter")
            actions = (
                center_class.for_workspace(ws.root, workspace=ws)
                if center_class is not None
                else None
            )
            service = cls(ws, core=core, actions=actions, settings=settings)
            service.start(progress=say)
        except BaseException:
            ws.close()
            raise
        return service

    def start(self, *, progress: Callable[[str], None] | None = None) -> None:
        """Load history and known ids, replay the log, start the action worker."""
        say = progress or (lambda _step: None)
        started = time.perf_counter()
        backend = self.workspace.backend
        with self.db_lock:
            if self.settings.load_history:
                say("loading the built history")
                self.history = History.load(
                    backend,
                    depth=self.settings.timeline_depth,
                    built_as_of=self._built_as_of(),
                )
            say("loading known ids")
            for kind in ("events", "feedback"):
                self._load_known(kind)
        after = folded_through(self.workspace.root)
        say("replaying the live log")
        self.processed_seq = after
        if self.moments is not None:
            self.moments.submitted_seq = after
        self._replay(self.log.records(after_seq=after))
        if self.actions is not None:
            self.actions.start()
        logger.info(
            "live state ready in %.1f s: %d customers of history, %d records replayed",
            time.perf_counter() - started,
            self.history.customers,
            self.stats.replayed,
        )

    def _built_as_of(self) -> datetime | None:
        value = self.workspace._state().get("built_as_of")
        return datetime.fromisoformat(value) if value else None

    def _load_known(self, kind: Kind) -> None:
        from journeylens.realtime.known_ids import id_hashes

        backend = self.workspace.backend
        if not backend.has_table(kind):
            return
        column = backend.to_arrow(backend.table(kind).select(_KEY[kind])).column(0)
        step = 1_000_000
        for start in range(0, len(column), step):
            self.known[kind].add_hashes(id_hashes(column.slice(start, step).to_pylist()))

    def _replay(self, records: Any) -> None:
        """Feed the log after the last fold to the engine (folded records are in the tables,
        their ids loaded from there)."""
        batch: list[LogRecord] = []
        for record in records:
            kind: Kind = "events" if record.kind == "e" else "feedback"
            self.known[kind].add_many([record.data[_KEY[kind]]])
            batch.append(record)
            if len(batch) >= 10_000:
                self._process_records(batch)
                batch = []
            self.processed_seq = max(self.processed_seq, record.seq)
        if batch:
            self._process_records(batch)

    def _process_records(self, records: Sequence[LogRecord]) -> None:
        items: list[LiveEvent | LiveFeedback] = []
        for record in records:
            if record.kind == "e":
                items.append(event_from_record(record.data, record.seq))
            else:
                items.append(feedback_from_record(record.data, record.seq))
        self.stats.replayed += len(items)
        self._process(items)

    # -- accepting ----------------------------------------------------------------------------

    def _check(self, kind: Kind, payload: Sequence[Any]) -> Checked:
        if len(payload) > self.settings.max_batch:
            raise BatchTooLargeError(len(payload), self.settings.max_batch)
        checked = (
            self.validator.events(payload) if kind == "events" else self.validator.feedback(payload)
        )
        if checked.errors:
            self.stats.rejected_batches += 1
            raise RecordsRejectedError(kind, checked.errors, len(payload))
        return checked

    def _admit(
        self, kind: Kind, checked: Checked
    ) -> tuple[Accepted, _Pending | None, list[Future[tuple[int, int]]]]:
        """Split off duplicates and queue the rest on the log (under ``lock``)."""
        known = self.known[kind].contains_many(checked.ids)
        inflight = self._inflight[kind]
        fresh: list[int] = []
        duplicate_ids: list[str] = []
        waits: list[Future[tuple[int, int]]] = []
        in_batch: set[str] = set()
        for index, record_id in enumerate(checked.ids):
            if known[index] or record_id in in_batch:
                duplicate_ids.append(record_id)
                continue
            writing = inflight.get(record_id)
            if writing is not None:
                duplicate_ids.append(record_id)
                waits.append(writing)
                continue
            in_batch.add(record_id)
            fresh.append(index)
        answer = Accepted(kind, len(checked.ids), len(fresh), len(duplicate_ids), duplicate_ids)
        if not fresh:
            return answer, None, waits
        records = [checked.records[i] for i in fresh]
        first, future = self.log.submit(_CODE[kind], records)
        pending = _Pending(
            kind,
            first,
            records,
            [checked.times[i] for i in fresh],
            [checked.ids[i] for i in fresh],
            [checked.identifiers[i] for i in fresh],
            future,
        )
        for record_id in pending.ids:
            inflight[record_id] = future
        self._queue.append(pending)
        answer.first_seq, answer.last_seq = first, first + len(records) - 1
        return answer, pending, waits

    def _drain(self) -> None:
        """Process, in log order, every queued batch that is on disk (under ``lock``)."""
        while self._queue and self._queue[0].future.done():
            pending = self._queue.popleft()
            inflight = self._inflight[pending.kind]
            for record_id in pending.ids:
                inflight.pop(record_id, None)
            if pending.future.exception() is not None:
                continue
            self.known[pending.kind].add_many(pending.ids)
            self.stats.accepted += len(pending.ids)
            make = event_from_record if pending.kind == "events" else feedback_from_record
            first = pending.first_seq
            items: list[LiveEvent | LiveFeedback] = [
                make(data, first + offset, ts, identifiers)
                for offset, (data, ts, identifiers) in enumerate(
                    zip(pending.records, pending.times, pending.identifiers, strict=True)
                )
            ]
            self._process(items)
            self.processed_seq = max(self.processed_seq, pending.first_seq + len(items) - 1)

    def _process(self, items: Sequence[LiveEvent | LiveFeedback]) -> None:
        """Engine, timeline and actions for records already on disk; never raises."""
        if not items:
            return
        moments: list[Moment] = []
        core = self.core
        timeline = self.timeline
        for item in items:
            if core is not None:
                try:
                    if isinstance(item, LiveEvent):
                        found = core.process(item)
                    else:
                        found = core.process_feedback(item)
                    if found:
                        moments.extend(found)
                except Exception:
                    self.stats.process_errors += 1
                    logger.exception("the moment engine failed on record seq %d", item.seq)
            if isinstance(item, LiveEvent):
                timeline.add_event(item)
            else:
                timeline.add_feedback(item)
        self.stats.processed += len(items)
        self._submit(moments, items[-1].seq)

    def _submit(self, moments: Sequence[Moment], seq: int) -> None:
        """Queue moments for the outbox (its own thread records them)."""
        self.stats.moments += len(moments)
        if self.moments is not None:
            self.moments.put(moments, seq)

    def _finish(self, kind: Kind, answer: Accepted, outcome: BaseException | None) -> Accepted:
        with self.lock:
            self._drain()
        if outcome is not None:
            raise outcome
        self.stats.duplicates += answer.duplicates
        return answer

    async def accept_async(self, kind: Kind, payload: Sequence[Any]) -> Accepted:
        """Accept a batch from the event loop: answers once the batch is on disk."""
        with self.lock:
            checked = self._check(kind, payload)
            answer, pending, waits = self._admit(kind, checked)
        outcome: BaseException | None = None
        try:
            if pending is not None:
                await asyncio.wrap_future(pending.future)
            for future in waits:
                await asyncio.wrap_future(future)
        except Exception as exc:
            outcome = exc
        return self._finish(kind, answer, outcome)

    def accept(self, kind: Kind, payload: Sequence[Any]) -> Accepted:
        """Accept a batch, blocking until it is on disk (library use, tests)."""
        with self.lock:
            checked = self._check(kind, payload)
            answer, pending, waits = self._admit(kind, checked)
        outcome: BaseException | None = None
        try:
            if pending is not None:
                pending.future.result()
            for future in waits:
                future.result()
        except Exception as exc:
            outcome = exc
        return self._finish(kind, answer, outcome)

    def accept_events(self, payload: Sequence[Any]) -> Accepted:
        """Accept a batch of events (see the module docstring)."""
        return self.accept("events", payload)

    def accept_feedback(self, payload: Sequence[Any]) -> Accepted:
        """Accept a batch of feedback records."""
        return self.accept("feedback", payload)

    # -- timers -------------------------------------------------------------------------------

    def tick(self, now: datetime | None = None) -> int:
        """Run the engine's wall-clock timers (absence rules); returns the moments fired."""
        with self.lock:
            self._drain()
            if self.core is None or not hasattr(self.core, "tick"):
                return 0
            try:
                moments = list(self.core.tick(now or datetime.now(UTC)))
            except Exception:
                self.stats.process_errors += 1
                logger.exception("the moment engine's timers failed")
                return 0
            self._submit(moments, self.processed_seq)
            return len(moments)

    # -- the customer context -----------------------------------------------------------------

    def resolve(self, identifier: str) -> str:
        """The customer key of any identifier (hashed as at ingestion where configured)."""
        if self.core is None:
            raise CustomerNotFoundError(
                "customer lookups need the moment engine (journeylens.realtime.core)"
            )
        for candidate in lookup_candidates(identifier, self.hasher.fields, self.hasher.hash_value):
            key = self.core.customer_key(candidate)
            if key is not None:
                return str(key)
        raise CustomerNotFoundError(
            f"no customer with identifier '{identifier}'; give a customer id, e-mail, phone, "
            "cookie or device id (optionally typed, e.g. email:ann@example.com) or a customer "
            "key; records sent in the last moments are known as soon as they are accepted"
        )

    def context(self, identifier: str, *, limit: int = 20) -> CustomerContext:
        """The context of the customer with ``identifier`` (see `journeylens.realtime.context`)."""
        with self.lock:
            self._drain()
            key = self.resolve(identifier)
            return customer_context(
                key,
                self.core,
                self.history,
                self.timeline,
                assisted_channels=self._assisted,
                limit=limit,
                live_seq=self.processed_seq,
                predict=self._predict,
                workspace=self.workspace,
            )

    # -- building -----------------------------------------------------------------------------

    def build(self) -> dict[str, Any]:
        """Fold the log into the tables and rebuild journeys; reload the history.

        Runs in the caller's thread (the API runs it in a worker thread): records keep being
        accepted meanwhile; the ones accepted after the fold began reach the next build.
        """
        with self.lock:
            if self._building:
                raise RuntimeError("a build is already running; wait for it to finish")
            self._building = True
        try:
            started = time.perf_counter()
            limit = self.processed_seq
            if self.moments is not None:
                self.moments.flush(timeout=60)
                limit = min(limit, self.moments.submitted_seq)
            with self.db_lock, fold_limit(limit):
                result = self.workspace.build()
                history = (
                    History.load(
                        self.workspace.backend,
                        depth=self.settings.timeline_depth,
                        built_as_of=self._built_as_of(),
                    )
                    if self.settings.load_history
                    else self.history
                )
            with self.lock:
                self.history = history
            return {
                "events": result.events,
                "customers": result.identity.customers,
                "journeys": result.journeys,
                "as_of": result.as_of,
                "seconds": round(time.perf_counter() - started, 3),
            }
        finally:
            with self.lock:
                self._building = False

    # -- status and closing -------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """Counters and sizes, ready for JSON."""
        if self.moments is not None:
            self.stats.action_errors = self.moments.errors
        return {
            **self.stats.__dict__,
            "log": {
                "durable_seq": self.log.durable_seq,
                "processed_seq": self.processed_seq,
                "folded_through": folded_through(self.workspace.root),
                "moments_submitted_seq": (
                    self.moments.submitted_seq if self.moments is not None else None
                ),
                "available": self.log.available,
                "torn_bytes_at_start": self.log.torn_bytes,
            },
            "known_ids": {k: len(v) for k, v in self.known.items()},
            "history_customers": self.history.customers,
            "timeline_keys": len(self.timeline),
            "engine": self.core is not None,
            "actions": self.actions is not None,
            "building": self._building,
        }

    def close(self) -> None:
        """Finish queued writes, stop the action worker, close log and workspace."""
        self.log.close()
        with self.lock:
            self._drain()
        if self.moments is not None:
            self.moments.close()
        if self.actions is not None:
            try:
                self.actions.stop()
            finally:
                close = getattr(self.actions, "close", None)
                if callable(close):
                    close()
        self.workspace.close()
