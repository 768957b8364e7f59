"""The transactional outbox: moments, their deliveries, alerts and recommendations in SQLite.

One file, ``live/outbox.sqlite`` in the workspace, in WAL mode with ``synchronous=FULL`` (a
committed transaction survives a power cut). Tables:

- ``moments``: one row per moment (unique ``moment_id``; ``seq`` is the cursor of listings and
  of the stream), with its hold-out arm;
- ``deliveries``: one row per (moment, action) of an actioned moment: ``status`` is
  ``pending`` (due at ``next_attempt_at``), ``delivered`` or ``failed`` (gave up after
  ``max_attempts``; kept with its last error until retried); a worker *leases* a row while it
  works on it, so a crash mid-attempt leaves a row that is picked up again when the lease ends;
- ``attempts``: every attempt of every delivery (status code, error, seconds);
- ``alerts``, ``recommendations``: what the ``alert`` and ``next_best_action`` actions made.

Examples
--------
>>> import tempfile, pathlib
>>> conn = connect(pathlib.Path(tempfile.mkdtemp()) / "outbox.sqlite")
>>> [conn.execute(f"PRAGMA {name}").fetchone()[0] for name in ("journal_mode", "synchronous")]
['wal', 2]
>>> iso(datetime(2026, 1, 5, 9, 30, tzinfo=UTC))
'2026-01-05T09:30:00.000000Z'
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

#: Where the outbox lives in a workspace.
OUTBOX_PATH = Path("live") / "outbox.sqlite"

SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS moments (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    moment_id TEXT NOT NULL UNIQUE,
    rule TEXT NOT NULL,
    customer_key TEXT NOT NULL,
    ts TEXT NOT NULL,
    journey_key TEXT,
    priority INTEGER NOT NULL,
    event_ids TEXT NOT NULL,
    actions TEXT NOT NULL,
    details TEXT NOT NULL,
    holdout INTEGER NOT NULL,
    holdout_share REAL NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS moments_rule ON moments (rule, seq);
CREATE INDEX IF NOT EXISTS moments_customer ON moments (customer_key, seq);
CREATE INDEX IF NOT EXISTS moments_ts ON moments (ts);
CREATE TABLE IF NOT EXISTS deliveries (
    delivery_id TEXT PRIMARY KEY,
    moment_id TEXT NOT NULL REFERENCES moments (moment_id),
    action TEXT NOT NULL,
    type TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    lease_until REAL,
    last_error TEXT,
    last_status_code INTEGER,
    payload BLOB,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    delivered_at TEXT
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (status, next_attempt_at);
CREATE INDEX IF NOT EXISTS deliveries_moment ON deliveries (moment_id);
CREATE TABLE IF NOT EXISTS attempts (
    delivery_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    at TEXT NOT NULL,
    ok INTEGER NOT NULL,
    status_code INTEGER,
    error TEXT,
    seconds REAL NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);
CREATE TABLE IF NOT EXISTS alerts (
    alert_id TEXT PRIMARY KEY,
    moment_id TEXT NOT NULL,
    action TEXT NOT NULL,
    severity TEXT NOT NULL,
    rule TEXT NOT NULL,
    customer_key TEXT NOT NULL,
    ts TEXT NOT NULL,
    message TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS recommendations (
    recommendation_id TEXT PRIMARY KEY,
    moment_id TEXT NOT NULL,
    action TEXT NOT NULL,
    source TEXT NOT NULL,
    text TEXT NOT NULL,
    channel TEXT,
    score REAL,
    details TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS recommendations_moment ON recommendations (moment_id);
"""


def iso(ts: datetime) -> str:
    """A fixed-width UTC ISO 8601 text, so text order is time order."""
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def now_iso() -> str:
    """The wall clock as `iso` text."""
    return iso(datetime.now(UTC))


def parse_iso(text: str) -> datetime:
    """The datetime of an `iso` text (UTC)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def delivery_id(moment_id: str, action: str) -> str:
    """The stable id of one action of one moment (the webhook's idempotency key)."""
    digest = hashlib.sha256(f"{moment_id}\x1f{action}".encode()).hexdigest()
    return f"dl_{digest[:24]}"


def dumps(value: Any) -> str:
    """Compact JSON; datetimes as `iso` text, anything else unknown as its string."""
    return json.dumps(
        value,
        separators=(",", ":"),
        sort_keys=True,
        default=lambda v: iso(v) if isinstance(v, datetime) else str(v),
    )


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating) the outbox: WAL, ``synchronous=FULL``, the schema in place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute("PRAGMA foreign_keys=ON")
    ready = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'recommendations'"
    ).fetchone()
    if ready is None:
        with transaction(conn):
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)",
                (SCHEMA_VERSION,),
            )
    return conn


class transaction:  # noqa: N801  (used as a lower-case context manager, like sqlite3's)
    """``BEGIN IMMEDIATE`` … ``COMMIT`` (or ``ROLLBACK`` on an error) on an autocommit
    connection: the write lock is taken at the start, so the transaction cannot deadlock."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self.conn.execute("ROLLBACK" if exc_type is not None else "COMMIT")


def moment_row(row: sqlite3.Row) -> dict[str, Any]:
    """A ``moments`` row as the API and the CLI show it."""
    return {
        "seq": row["seq"],
        "moment_id": row["moment_id"],
        "rule": row["rule"],
        "customer_key": row["customer_key"],
        "ts": row["ts"],
        "journey_key": row["journey_key"],
        "priority": row["priority"],
        "event_ids": json.loads(row["event_ids"]),
        "actions": json.loads(row["actions"]),
        "details": json.loads(row["details"]),
        "holdout": bool(row["holdout"]),
        "holdout_share": row["holdout_share"],
        "recorded_at": row["recorded_at"],
    }


def delivery_row(row: sqlite3.Row) -> dict[str, Any]:
    """A ``deliveries`` row without its payload."""
    return {
        "delivery_id": row["delivery_id"],
        "moment_id": row["moment_id"],
        "action": row["action"],
        "type": row["type"],
        "status": row["status"],
        "attempts": row["attempts"],
        "next_attempt_at": row["next_attempt_at"] if row["status"] == "pending" else None,
        "last_error": row["last_error"],
        "last_status_code": row["last_status_code"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "delivered_at": row["delivered_at"],
    }


def recommendations_of(
    conn: sqlite3.Connection, moment_ids: Iterable[str]
) -> dict[str, list[dict[str, Any]]]:
    """The recommendations attached to each of ``moment_ids``."""
    ids = list(moment_ids)
    found: dict[str, list[dict[str, Any]]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(
            "SELECT * FROM recommendations WHERE moment_id IN (" + marks + ") "
            "ORDER BY created_at, recommendation_id",
            chunk,
        ).fetchall()
        for row in rows:
            found.setdefault(row["moment_id"], []).append(
                {
                    "action": row["action"],
                    "source": row["source"],
                    "text": row["text"],
                    "channel": row["channel"],
                    "score": row["score"],
                    "details": json.loads(row["details"]),
                    "created_at": row["created_at"],
                }
            )
    return found


def select_moments(
    conn: sqlite3.Connection,
    *,
    rule: str | None = None,
    customer_key: str | None = None,
    since: datetime | str | None = None,
    limit: int = 100,
    after: int | None = None,
    newest_first: bool = False,
    holdout: bool | None = None,
) -> list[dict[str, Any]]:
    """Moments matching the filters (see `ActionCenter.moments`), as `moment_row` dicts."""
    where: list[str] = ["1 = 1"]
    params: list[Any] = []
    if rule is not None:
        where.append("rule = ?")
        params.append(rule)
    if customer_key is not None:
        where.append("(customer_key = ? OR customer_key LIKE ? ESCAPE '\\')")
        escaped = customer_key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params.extend([customer_key, f"%:{escaped}"])
    if since is not None:
        where.append("ts >= ?")
        params.append(iso(since) if isinstance(since, datetime) else since)
    if holdout is not None:
        where.append("holdout = ?")
        params.append(int(holdout))
    if after is not None:
        where.append("seq < ?" if newest_first else "seq > ?")
        params.append(after)
    order = "DESC" if newest_first else "ASC"
    rows = conn.execute(
        f"SELECT * FROM moments WHERE {' AND '.join(where)} ORDER BY seq {order} LIMIT ?",
        [*params, max(0, limit)],
    ).fetchall()
    return [moment_row(row) for row in rows]


def select_deliveries(
    conn: sqlite3.Connection,
    *,
    status: str | None = None,
    action: str | None = None,
    moment_id: str | None = None,
    limit: int = 100,
    after: int | None = None,
) -> list[dict[str, Any]]:
    """Deliveries matching the filters, oldest first, each with its cursor ``seq``."""
    where: list[str] = ["1 = 1"]
    params: list[Any] = []
    for column, value in (("status", status), ("action", action), ("moment_id", moment_id)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if after is not None:
        where.append("rowid > ?")
        params.append(after)
    rows = conn.execute(
        f"SELECT rowid AS seq, * FROM deliveries WHERE {' AND '.join(where)} "
        "ORDER BY rowid LIMIT ?",
        [*params, max(0, limit)],
    ).fetchall()
    return [{"seq": row["seq"], **delivery_row(row)} for row in rows]
