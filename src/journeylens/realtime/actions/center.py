"""`ActionCenter`: record moments and their actions durably, deliver them in the background.

`ActionCenter.submit` writes a batch of moments and every action they are due in ONE SQLite
transaction (the outbox, `journeylens.realtime.actions.outbox`) and returns: it never waits
for a webhook, so a slow or dead target cannot hold up ingestion. It is idempotent on
``moment_id``: a moment seen again (a retried request, a restart replaying the log) is
recorded once. A hold-out share of each rule's moments (`journeylens.realtime.actions.holdout`)
is recorded with no action at all. The background worker
(`journeylens.realtime.actions.worker`) delivers the rest at least once and survives restarts:
pending deliveries are simply due again.

Examples
--------
>>> import tempfile, pathlib
>>> from datetime import datetime, timezone
>>> from journeylens.realtime.moments import Moment
>>> from journeylens.realtime.actions.settings import parse_actions
>>> settings = parse_actions({"actions": {"ops": {"type": "alert", "severity": "high"}}})
>>> center = ActionCenter(pathlib.Path(tempfile.mkdtemp()) / "outbox.sqlite", settings)
>>> at = datetime(2026, 1, 5, 9, 30, tzinfo=timezone.utc)
>>> moment = Moment.of("third-contact", "customer_id:C1", at, ("e1", "e2", "e3"), actions=("ops",))
>>> center.submit([moment]), center.submit([moment])
(1, 0)
>>> [(m["rule"], m["holdout"]) for m in center.moments()]
[('third-contact', False)]
>>> [(a["severity"], a["customer_key"]) for a in center.alerts()]
[('high', 'customer_id:C1')]
>>> center.close()
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from journeylens.realtime.actions import outbox
from journeylens.realtime.actions.holdout import is_held_out
from journeylens.realtime.actions.recommend import Recommender, model_recommender
from journeylens.realtime.actions.settings import (
    RULES_FILE,
    ActionSettings,
    AlertAction,
    NextBestAction,
    load_actions,
)
from journeylens.realtime.actions.worker import DeliveryWorker, insert_alert
from journeylens.realtime.moments import Moment

STATUSES = ("pending", "delivered", "failed")


class ActionCenter:
    """The outbox of one workspace and its delivery worker.

    Parameters
    ----------
    path : Path
        The SQLite file (``live/outbox.sqlite`` in a workspace).
    actions : ActionSettings
        Actions and hold-out shares (`journeylens.realtime.actions.settings.load_actions`).
    secret_env : mapping, optional
        The environment webhook secrets are read from (default: ``os.environ``).
    recommender : callable, optional
        The model's recommender for ``next_best_action`` actions
        (`journeylens.realtime.actions.recommend.model_recommender`).
    concurrency, poll_seconds :
        Of the delivery worker (`journeylens.realtime.actions.worker.DeliveryWorker`).
    """

    def __init__(
        self,
        path: Path,
        actions: ActionSettings,
        *,
        secret_env: Mapping[str, str] | None = None,
        recommender: Recommender | None = None,
        concurrency: int = 4,
        poll_seconds: float = 1.0,
    ) -> None:
        self.path = Path(path)
        self.settings = actions
        self.recommender = recommender
        self._conn = outbox.connect(self.path)
        self._write_lock = threading.Lock()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._listeners: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()
        self.worker = DeliveryWorker(
            lambda: outbox.connect(self.path),
            actions,
            os.environ if secret_env is None else secret_env,
            recommender,
            concurrency=concurrency,
            poll_seconds=poll_seconds,
        )

    @classmethod
    def for_workspace(
        cls, root: Path, *, workspace: Any | None = None, **options: Any
    ) -> ActionCenter:
        """The action centre of the workspace at ``root`` (actions from its ``rules.yaml``).

        Given the open ``workspace``, ``next_best_action`` actions also attach the prediction
        module's recommendation when a model exists (`recommend.model_recommender`).
        """
        settings = load_actions(Path(root) / RULES_FILE)
        if workspace is not None and "recommender" not in options:
            options["recommender"] = model_recommender(workspace)
        return cls(Path(root) / outbox.OUTBOX_PATH, settings, **options)

    # -- recording ------------------------------------------------------------------------

    def submit(self, moments: Sequence[Moment]) -> int:
        """Record moments and their due actions in one transaction; return how many were new.

        Never blocks on delivery and never raises for an action problem (an unknown action
        is recorded as a failed delivery saying so).
        """
        if not moments:
            return 0
        stamp, now = outbox.now_iso(), time.time()
        new = 0
        with self._write_lock, outbox.transaction(self._conn) as conn:
            for moment in moments:
                share = self.settings.holdout_for(moment.rule)
                held = is_held_out(moment.moment_id, share)
                row = _moment_values(moment, held, share, stamp)
                cursor = conn.execute(
                    "INSERT OR IGNORE INTO moments (moment_id, rule, customer_key, ts, "
                    "journey_key, priority, event_ids, actions, details, holdout, holdout_share, "
                    "recorded_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    row,
                )
                if cursor.rowcount == 0:
                    continue
                new += 1
                if not held:
                    self._record_actions(conn, moment, stamp, now)
        if new:
            self.worker.wake()
            self._notify()
        return new

    def _record_actions(
        self, conn: sqlite3.Connection, moment: Moment, stamp: str, now: float
    ) -> None:
        shown: dict[str, Any] | None = None
        for name in dict.fromkeys(moment.actions):
            action = self.settings.actions.get(name)
            dl_id = outbox.delivery_id(moment.moment_id, name)
            status, attempts, error = "pending", 0, None
            if action is None:
                status = "failed"
                error = f"action '{name}' is not defined under actions: in {self.settings.source}"
            elif isinstance(action, AlertAction):
                shown = shown or _shown(moment)
                insert_alert(conn, dl_id, name, action, shown)
                status, attempts = "delivered", 1
            elif isinstance(action, NextBestAction):
                conn.execute(
                    "INSERT OR IGNORE INTO recommendations VALUES (?,?,?,?,?,?,?,?,?)",
                    (f"{dl_id}:rule", moment.moment_id, name, "rule", action.text,
                     action.channel, None, "{}", stamp),
                )  # fmt: skip
                if not (action.use_model and self.recommender is not None):
                    status, attempts = "delivered", 1
            conn.execute(
                "INSERT OR IGNORE INTO deliveries (delivery_id, moment_id, action, type, status, "
                "attempts, next_attempt_at, last_error, created_at, updated_at, delivered_at) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (dl_id, moment.moment_id, name, action.type if action else "unknown", status,
                 attempts, now, error, stamp, stamp, stamp if status == "delivered" else None),
            )  # fmt: skip

    # -- the worker -----------------------------------------------------------------------

    def start(self) -> None:
        """Start delivering in a background thread (pending deliveries from before resume)."""
        self.worker.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the background worker (what is pending stays pending)."""
        self.worker.stop(timeout)

    def run_due(self, limit: int = 100) -> int:
        """Attempt the deliveries due now in this thread (no background worker needed)."""
        conn = self._reader()
        claimed = self.worker.claim(conn, limit)
        for row in claimed:
            self.worker.attempt(conn, row)
        return len(claimed)

    def retry(self, delivery_ids: Sequence[str] | None = None) -> int:
        """Make failed deliveries (all, or those named) due again now; return how many."""
        stamp, now = outbox.now_iso(), time.time()
        query = "UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, "
        query += "lease_until = NULL, updated_at = ? WHERE status = 'failed'"
        params: list[Any] = [now, stamp]
        if delivery_ids is not None:
            query += f" AND delivery_id IN ({','.join('?' * len(delivery_ids))})"
            params.extend(delivery_ids)
        with self._write_lock, outbox.transaction(self._conn) as conn:
            changed = conn.execute(query, params).rowcount
        if changed:
            self.worker.wake()
        return int(changed)

    def close(self) -> None:
        """Stop the worker and close every connection."""
        self.worker.close()
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
        self._conn.close()

    def __enter__(self) -> ActionCenter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading --------------------------------------------------------------------------

    def _reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = outbox.connect(self.path)
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    def moments(
        self,
        *,
        rule: str | None = None,
        customer_key: str | None = None,
        since: datetime | str | None = None,
        limit: int = 100,
        after: int | None = None,
        newest_first: bool = False,
        holdout: bool | None = None,
    ) -> list[dict[str, Any]]:
        """Recorded moments with their recommendations, in recording order.

        ``customer_key`` matches the key or, for keys like ``customer_id:C1``, the value after
        the type (``C1``); ``since`` keeps moments at or after that event time; ``after`` is
        the ``seq`` cursor of the previous page (with ``newest_first``: before it).
        """
        conn = self._reader()
        found = outbox.select_moments(
            conn, rule=rule, customer_key=customer_key, since=since, limit=limit,
            after=after, newest_first=newest_first, holdout=holdout,
        )  # fmt: skip
        recommendations = outbox.recommendations_of(conn, [m["moment_id"] for m in found])
        for moment in found:
            moment["recommendations"] = recommendations.get(moment["moment_id"], [])
        return found

    def moment(self, moment_id: str) -> dict[str, Any] | None:
        """One moment with its recommendations and deliveries, or None."""
        conn = self._reader()
        row = conn.execute("SELECT * FROM moments WHERE moment_id = ?", (moment_id,)).fetchone()
        if row is None:
            return None
        found = outbox.moment_row(row)
        found["recommendations"] = outbox.recommendations_of(conn, [moment_id]).get(moment_id, [])
        found["deliveries"] = self.deliveries(moment_id=moment_id, limit=1000)
        return found

    def last_seq(self) -> int:
        """The cursor of the newest moment (0 when there is none)."""
        row = self._reader().execute("SELECT COALESCE(MAX(seq), 0) FROM moments").fetchone()
        return int(row[0])

    def deliveries(
        self,
        *,
        status: str | None = None,
        action: str | None = None,
        moment_id: str | None = None,
        limit: int = 100,
        after: int | None = None,
    ) -> list[dict[str, Any]]:
        """Deliveries (``seq`` is their cursor), oldest first; ``status`` one of `STATUSES`."""
        if status is not None and status not in STATUSES:
            raise ValueError(f"unknown status '{status}'; choose one of {', '.join(STATUSES)}")
        return outbox.select_deliveries(
            self._reader(), status=status, action=action, moment_id=moment_id,
            limit=limit, after=after,
        )  # fmt: skip

    def attempts(self, delivery_id: str) -> list[dict[str, Any]]:
        """Every attempt of one delivery, first to last."""
        rows = (
            self._reader()
            .execute(
                "SELECT * FROM attempts WHERE delivery_id = ? ORDER BY attempt", (delivery_id,)
            )
            .fetchall()
        )
        return [{**dict(row), "ok": bool(row["ok"])} for row in rows]

    def counts(self) -> dict[str, dict[str, int]]:
        """Deliveries per action and status."""
        rows = (
            self._reader()
            .execute("SELECT action, status, COUNT(*) AS n FROM deliveries GROUP BY action, status")
            .fetchall()
        )
        found: dict[str, dict[str, int]] = {}
        for row in rows:
            found.setdefault(row["action"], dict.fromkeys(STATUSES, 0))[row["status"]] = row["n"]
        return found

    def alerts(self, *, limit: int = 100) -> list[dict[str, Any]]:
        """The newest alerts first."""
        rows = (
            self._reader()
            .execute("SELECT * FROM alerts ORDER BY created_at DESC, alert_id LIMIT ?", (limit,))
            .fetchall()
        )
        return [dict(row) for row in rows]

    # -- the live stream ------------------------------------------------------------------

    def _notify(self) -> None:
        for loop, event in list(self._listeners):
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:  # the listener's loop is closed
                self._listeners.discard((loop, event))

    async def subscribe(
        self,
        *,
        after: int | None = None,
        rule: str | None = None,
        customer_key: str | None = None,
        heartbeat: float | None = None,
        poll_seconds: float = 1.0,
    ) -> AsyncIterator[dict[str, Any]]:
        """New moments as they are recorded (from ``after``, default: from now on).

        Submits in this process wake the stream at once; moments written by another process
        arrive within ``poll_seconds``. With ``heartbeat``, an empty dict is yielded after
        that many idle seconds (a server-sent-events comment keeps proxies from closing).
        """
        cursor = await asyncio.to_thread(self.last_seq) if after is None else after
        event = asyncio.Event()
        listener = (asyncio.get_running_loop(), event)
        self._listeners.add(listener)
        idle = 0.0
        try:
            while True:
                rows = await asyncio.to_thread(
                    self.moments, rule=rule, customer_key=customer_key, after=cursor, limit=500
                )
                for row in rows:
                    cursor = row["seq"]
                    yield row
                if rows:
                    idle = 0.0
                    continue
                try:
                    await asyncio.wait_for(event.wait(), timeout=poll_seconds)
                except TimeoutError:
                    idle += poll_seconds
                event.clear()
                if heartbeat is not None and idle >= heartbeat:
                    idle = 0.0
                    yield {}
        finally:
            self._listeners.discard(listener)


def _moment_values(moment: Moment, held: bool, share: float, stamp: str) -> tuple[Any, ...]:
    return (
        moment.moment_id,
        moment.rule,
        moment.customer_key,
        outbox.iso(moment.ts),
        moment.journey_key,
        moment.priority,
        outbox.dumps(list(moment.event_ids)),
        outbox.dumps(list(moment.actions)),
        outbox.dumps(dict(moment.details)),
        int(held),
        share,
        stamp,
    )


def _shown(moment: Moment) -> dict[str, Any]:
    return {
        "moment_id": moment.moment_id,
        "rule": moment.rule,
        "customer_key": moment.customer_key,
        "ts": outbox.iso(moment.ts),
        "details": dict(moment.details),
    }
