"""The delivery worker: a background thread that works off due deliveries.

The thread *claims* due rows (``status = 'pending'``, ``next_attempt_at`` reached, no live
lease) in one short transaction, leasing them, and hands each to a small thread pool, so one
slow or dead webhook target does not hold up the others. Each attempt's outcome is written in
its own transaction: ``delivered``, or back to ``pending`` with the next attempt's time (see
`journeylens.realtime.actions.webhook.retry_delay`), or ``failed`` after the action's
``max_attempts``. A crash between an attempt and its record leaves a leased row that is
claimed again when the lease expires: delivery is *at least once*.

Examples
--------
>>> DEFAULT_ATTEMPTS, LEASE_GRACE_SECONDS
(5, 60.0)
"""

from __future__ import annotations

import json
import logging
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from journeylens.realtime.actions import outbox
from journeylens.realtime.actions.recommend import Recommender, as_recommendation
from journeylens.realtime.actions.settings import (
    ActionSettings,
    AlertAction,
    LogAction,
    WebhookAction,
)
from journeylens.realtime.actions.webhook import AttemptResult, post, retry_delay

#: Attempts of local actions (log, alert, model recommendation) before they count as failed.
DEFAULT_ATTEMPTS = 5
#: Seconds a claimed row stays leased beyond the attempt's own timeout.
LEASE_GRACE_SECONDS = 60.0
#: Local actions retry after this many seconds (doubling, capped at 10 minutes).
LOCAL_BACKOFF = 5.0

logger = logging.getLogger("journeylens.moments")
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING}


class DeliveryWorker:
    """Deliver the outbox's due actions until stopped.

    Parameters
    ----------
    connect : callable
        Opens a connection to the outbox (one per thread).
    settings : ActionSettings
        The actions (looked up by name at each attempt).
    environ : mapping
        Where webhook secrets are read (``os.environ`` in the server).
    recommender : callable, optional
        The model's recommender for ``next_best_action`` (see
        `journeylens.realtime.actions.recommend`).
    concurrency : int
        Attempts in flight at once.
    poll_seconds : float
        Longest sleep between looks at the outbox (new moments wake the worker at once).
    """

    def __init__(
        self,
        connect: Callable[[], sqlite3.Connection],
        settings: ActionSettings,
        environ: Mapping[str, str],
        recommender: Recommender | None = None,
        *,
        concurrency: int = 4,
        poll_seconds: float = 1.0,
        rng: random.Random | None = None,
    ) -> None:
        self._connect = connect
        self.settings = settings
        self.environ = environ
        self.recommender = recommender
        self.concurrency = max(1, concurrency)
        self.poll_seconds = poll_seconds
        self._rng = rng or random.Random()
        self._rng_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._inflight = 0
        self._inflight_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._tls = threading.local()
        self._conns: list[sqlite3.Connection] = []
        self._conns_lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._client = httpx.Client(follow_redirects=False)

    # -- lifecycle ------------------------------------------------------------------------

    def wake(self) -> None:
        """Look at the outbox now (new deliveries are due)."""
        self._wake.set()

    def start(self) -> None:
        """Start the background thread (idempotent)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="jl-delivery")
        self._thread = threading.Thread(target=self._loop, name="jl-outbox", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop claiming, let attempts in flight finish (their rows stay leased otherwise)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        with self._conns_lock:
            for conn in self._conns:
                conn.close()
            self._conns.clear()
        self._tls = threading.local()

    def close(self) -> None:
        """Stop and release the HTTP client."""
        self.stop()
        self._client.close()

    # -- the loop -------------------------------------------------------------------------

    def _loop(self) -> None:
        conn = self._thread_conn()
        while not self._stop.is_set():
            try:
                free = self.concurrency - self._inflight
                claimed = self.claim(conn, free) if free > 0 else []
                for row in claimed:
                    self._dispatch(row)
                if claimed and len(claimed) == free:
                    self._wake.wait(self.poll_seconds)  # full: wait for a slot or a wake
                elif not claimed:
                    self._wake.wait(self._sleep_seconds(conn))
                self._wake.clear()
            except Exception:  # e.g. the disk is full: log, wait, try again
                logger.exception("the outbox worker hit an error; trying again")
                self._wake.wait(self.poll_seconds)
                self._wake.clear()

    def _thread_conn(self) -> sqlite3.Connection:
        """This thread's connection to the outbox (opened once per thread)."""
        conn: sqlite3.Connection | None = getattr(self._tls, "conn", None)
        if conn is None:
            conn = self._connect()
            self._tls.conn = conn
            with self._conns_lock:
                self._conns.append(conn)
        return conn

    def _dispatch(self, row: dict[str, Any]) -> None:
        assert self._pool is not None
        with self._inflight_lock:
            self._inflight += 1
        self._pool.submit(self._attempt_and_release, row)

    def _attempt_and_release(self, row: dict[str, Any]) -> None:
        try:
            self.attempt(self._thread_conn(), row)
        except Exception:  # pragma: no cover - the lease makes the row due again
            logger.exception("delivery %s failed unexpectedly", row["delivery_id"])
        finally:
            with self._inflight_lock:
                self._inflight -= 1
            self._wake.set()

    def _sleep_seconds(self, conn: sqlite3.Connection) -> float:
        row = conn.execute(
            "SELECT MIN(MAX(next_attempt_at, COALESCE(lease_until, 0))) FROM deliveries "
            "WHERE status = 'pending'"
        ).fetchone()
        if row[0] is None:
            return self.poll_seconds
        return min(self.poll_seconds, max(0.0, float(row[0]) - time.time()))

    # -- claiming and attempting ----------------------------------------------------------

    def _lease_seconds(self, action_name: str) -> float:
        action = self.settings.actions.get(action_name)
        timeout = action.timeout_seconds if isinstance(action, WebhookAction) else 0.0
        return timeout + LEASE_GRACE_SECONDS

    def claim(self, conn: sqlite3.Connection, limit: int) -> list[dict[str, Any]]:
        """Lease up to ``limit`` due deliveries (recommendations first) and return them."""
        now = time.time()
        with outbox.transaction(conn):
            rows = conn.execute(
                "SELECT delivery_id, moment_id, action, type, attempts, payload, created_at "
                "FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ? "
                "AND (lease_until IS NULL OR lease_until < ?) "
                "ORDER BY next_attempt_at, type != 'next_best_action' LIMIT ?",
                (now, now, limit),
            ).fetchall()
            claimed = [dict(row) for row in rows]
            conn.executemany(
                "UPDATE deliveries SET lease_until = ? WHERE delivery_id = ?",
                [(now + self._lease_seconds(r["action"]), r["delivery_id"]) for r in claimed],
            )
        return claimed

    def attempt(self, conn: sqlite3.Connection, row: dict[str, Any]) -> AttemptResult:
        """Make one attempt of a claimed delivery and record its outcome."""
        number = int(row["attempts"]) + 1
        started = time.time()
        action = self.settings.actions.get(row["action"])
        if action is None:
            result = AttemptResult(
                False, None, f"action '{row['action']}' is not defined in {self.settings.source}"
            )
        elif isinstance(action, WebhookAction):
            result = self._webhook(conn, row, action, number)
        else:
            result = self._local(conn, row, action)
        self._record(conn, row, number, result, started)
        return result

    def _webhook(
        self, conn: sqlite3.Connection, row: dict[str, Any], action: WebhookAction, number: int
    ) -> AttemptResult:
        secret = self.environ.get(action.secret_env)
        if not secret:
            return AttemptResult(
                False,
                None,
                f"environment variable {action.secret_env} (the webhook secret) is not set "
                "where the server runs",
            )
        body = row["payload"]
        if body is None:
            body = self._payload(conn, row)
        return post(
            self._client,
            action.url,
            bytes(body),
            secret=secret,
            delivery_id=row["delivery_id"],
            attempt=number,
            timeout=action.timeout_seconds,
            headers=action.headers,
        )

    def _payload(self, conn: sqlite3.Connection, row: dict[str, Any]) -> bytes:
        """The webhook body, built once and stored so every attempt sends the same bytes."""
        moment = conn.execute(
            "SELECT * FROM moments WHERE moment_id = ?", (row["moment_id"],)
        ).fetchone()
        shown = outbox.moment_row(moment)
        for hidden in ("seq", "holdout", "holdout_share", "recorded_at"):
            shown.pop(hidden)
        recommendations = outbox.recommendations_of(conn, [row["moment_id"]])
        body = {
            "id": row["delivery_id"],
            "type": "moment",
            "action": row["action"],
            "created_at": row["created_at"],
            "moment": shown,
            "recommendations": recommendations.get(row["moment_id"], []),
        }
        payload = outbox.dumps(body).encode("utf-8")
        with outbox.transaction(conn):
            conn.execute(
                "UPDATE deliveries SET payload = COALESCE(payload, ?) WHERE delivery_id = ?",
                (payload, row["delivery_id"]),
            )
            stored = conn.execute(
                "SELECT payload FROM deliveries WHERE delivery_id = ?", (row["delivery_id"],)
            ).fetchone()[0]
        return bytes(stored)

    def _local(self, conn: sqlite3.Connection, row: dict[str, Any], action: Any) -> AttemptResult:
        moment = conn.execute(
            "SELECT * FROM moments WHERE moment_id = ?", (row["moment_id"],)
        ).fetchone()
        shown = outbox.moment_row(moment)
        try:
            if isinstance(action, LogAction):
                record = {"action": row["action"], "delivery_id": row["delivery_id"], **shown}
                if action.message:
                    record["message"] = action.message
                logger.log(_LEVELS.get(action.level, logging.ERROR), outbox.dumps(record))
            elif isinstance(action, AlertAction):
                with outbox.transaction(conn):
                    insert_alert(conn, row["delivery_id"], row["action"], action, shown)
            elif self.recommender is not None:
                found = as_recommendation(self.recommender(shown))
                if found is not None:
                    with outbox.transaction(conn):
                        conn.execute(
                            "INSERT OR IGNORE INTO recommendations VALUES (?,?,?,?,?,?,?,?,?)",
                            (
                                f"{row['delivery_id']}:model",
                                row["moment_id"],
                                row["action"],
                                "model",
                                found.text,
                                found.channel,
                                found.score,
                                outbox.dumps(found.details),
                                outbox.now_iso(),
                            ),
                        )
        except Exception as exc:  # a local action's failure is recorded, like a webhook's
            return AttemptResult(False, None, f"{type(exc).__name__}: {exc}"[:500])
        return AttemptResult(True, None, None)

    def _record(
        self,
        conn: sqlite3.Connection,
        row: dict[str, Any],
        number: int,
        result: AttemptResult,
        started: float,
    ) -> None:
        now = time.time()
        stamp = outbox.now_iso()
        action = self.settings.actions.get(row["action"])
        if isinstance(action, WebhookAction):
            limit = action.max_attempts
            backoff, cap = action.backoff_seconds, action.max_backoff_seconds
        else:
            limit, backoff, cap = DEFAULT_ATTEMPTS, LOCAL_BACKOFF, 600.0
        with self._rng_lock:
            delay = retry_delay(number, backoff, cap, self._rng)
        if result.retry_after is not None:
            delay = max(delay, min(result.retry_after, cap))
        if result.ok:
            status, due = "delivered", now
        else:
            status, due = ("failed" if number >= limit else "pending"), now + delay
        with outbox.transaction(conn):
            conn.execute(
                "INSERT OR REPLACE INTO attempts VALUES (?,?,?,?,?,?,?)",
                (
                    row["delivery_id"],
                    number,
                    stamp,
                    int(result.ok),
                    result.status_code,
                    result.error,
                    now - started,
                ),
            )
            conn.execute(
                "UPDATE deliveries SET status = ?, attempts = ?, next_attempt_at = ?, "
                "lease_until = NULL, last_error = ?, last_status_code = ?, updated_at = ?, "
                "delivered_at = CASE WHEN ? = 'delivered' THEN ? ELSE delivered_at END "
                "WHERE delivery_id = ?",
                (
                    status,
                    number,
                    due,
                    result.error,
                    result.status_code,
                    stamp,
                    status,
                    stamp,
                    row["delivery_id"],
                ),
            )


def insert_alert(
    conn: sqlite3.Connection,
    alert_id: str,
    action_name: str,
    action: AlertAction,
    moment: Mapping[str, Any],
) -> None:
    """Record one alert (idempotent on its id: the delivery id)."""
    message = action.message or (
        f"{moment['rule']} for {moment['customer_key']}"
        + (f": {json.dumps(moment['details'], default=str)}" if moment.get("details") else "")
    )
    conn.execute(
        "INSERT OR IGNORE INTO alerts VALUES (?,?,?,?,?,?,?,?,?)",
        (
            alert_id,
            moment["moment_id"],
            action_name,
            action.severity,
            moment["rule"],
            moment["customer_key"],
            moment["ts"],
            message,
            outbox.now_iso(),
        ),
    )
