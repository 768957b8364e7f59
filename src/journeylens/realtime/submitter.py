"""Hands moments to the action centre from a thread of its own, in log order.

Recording moments in the outbox is a SQLite transaction with a flush to disk: milliseconds the
event loop should not wait for. `MomentSubmitter` queues the moments of each processed batch
with the log ``seq`` of the batch's last record; one thread takes everything queued, submits it
in one call (one transaction) and then advances `submitted_seq`. A failed submit is retried
with a growing pause; meanwhile `submitted_seq` stands still, and a build folds the log only up
to it (`journeylens.realtime.fold.fold_limit`), so a restart replays, and re-fires, whatever
moments had not reached the outbox.

Examples
--------
>>> class Center:
...     def __init__(self): self.got = []
...     def submit(self, moments): self.got.extend(moments)
>>> center = Center()
>>> feed = MomentSubmitter(center)
>>> feed.put(["m1", "m2"], seq=2); feed.put([], seq=3); feed.put(["m3"], seq=4)
>>> feed.flush(5.0), center.got, feed.submitted_seq
(True, ['m1', 'm2', 'm3'], 4)
>>> feed.close()
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

logger = logging.getLogger("journeylens.live")


class MomentSubmitter:
    """A queue of moments in front of an `ActionCenter` (anything with ``submit``).

    Parameters
    ----------
    center : ActionCenter
        Where the moments go.
    retry_seconds : float
        First pause after a failed submit (doubled up to a minute).
    """

    def __init__(self, center: Any, *, retry_seconds: float = 0.5) -> None:
        self.center = center
        self.retry_seconds = retry_seconds
        self._queue: list[tuple[Sequence[Any], int]] = []
        self._cond = threading.Condition()
        self._busy = False
        self._closing = False
        #: Every moment of the log up to this seq is in the outbox.
        self.submitted_seq = 0
        #: Failed submits so far (each retried).
        self.errors = 0
        self._thread = threading.Thread(target=self._run, name="journeylens-moments", daemon=True)
        self._thread.start()

    def put(self, moments: Sequence[Any], seq: int) -> None:
        """Queue the moments of the records up to ``seq`` (possibly none: ``seq`` advances)."""
        with self._cond:
            self._queue.append((moments, seq))
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closing:
                    self._cond.wait()
                if not self._queue:
                    return
                taken, self._queue = self._queue, []
                self._busy = True
            moments = [m for batch, _ in taken for m in batch]
            recorded = self._submit(moments)
            with self._cond:
                if recorded:
                    self.submitted_seq = max(self.submitted_seq, taken[-1][1])
                self._busy = False
                self._cond.notify_all()

    def _submit(self, moments: list[Any]) -> bool:
        """Submit, retrying while the server runs; whether the moments were recorded."""
        pause = self.retry_seconds
        while moments:
            try:
                self.center.submit(moments)
                return True
            except Exception:
                self.errors += 1
                logger.exception(
                    "recording %d moment(s) in the outbox failed; retrying in %.1f s",
                    len(moments),
                    pause,
                )
                with self._cond:
                    if self._closing:
                        return False  # the restart replays the log and re-fires them
                time.sleep(pause)
                pause = min(pause * 2, 60.0)
        return True

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything queued is in the outbox; False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._queue or self._busy:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True

    def close(self) -> None:
        """Submit what is queued (one attempt if failing), then stop the thread."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        self._thread.join()
