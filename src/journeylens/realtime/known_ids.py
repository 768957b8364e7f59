"""The set of known record ids, in bounded memory: 64-bit hashes in sorted numpy runs.

Idempotence needs to know, for every incoming ``event_id``, whether it was stored before: in
the workspace's ``events`` table or in the append log. A Python set of 10 million id strings
takes about a gigabyte; this structure keeps a 64-bit hash per id instead:

- ids loaded at start (the table, the log) form sorted ``int64`` runs, 8 bytes per id
  (10M ids: 80 MB), searched with ``numpy.searchsorted``;
- ids accepted since then sit in a Python ``set`` of ints (about 70 bytes each) until it holds
  ``freeze_at`` of them, when it becomes one more sorted run; runs are merged when there are
  more than ``max_runs``.

The hash is Python's own string hash (SipHash, 64 bits, keyed per process: the structure is
rebuilt at every start, so it never leaves the process). Two different ids share a hash with
probability about ``n / 2**64`` per lookup (``5e-13`` with 10M known ids): such an id would be
taken for a duplicate. That is the price of bounded memory, and it is documented in
docs/realtime/api.md.

Examples
--------
>>> known = KnownIds(freeze_at=2)
>>> known.add_many(["a", "b", "c"])
>>> known.contains_many(["a", "x", "c"]), len(known), known.runs
([True, False, True], 3, 1)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np


def id_hash(value: str) -> int:
    """The 64-bit hash of one id."""
    return hash(value)


def id_hashes(values: Iterable[str]) -> np.ndarray:
    """The hashes of many ids as an ``int64`` array."""
    return np.fromiter((hash(v) for v in values), dtype=np.int64)


class KnownIds:
    """Hashes of known ids: sorted runs plus a set of recent ones.

    Parameters
    ----------
    freeze_at : int
        Recent ids kept in the set before they become a sorted run.
    max_runs : int
        Runs kept before they are merged into one.
    """

    def __init__(self, *, freeze_at: int = 1_000_000, max_runs: int = 8) -> None:
        self.freeze_at = freeze_at
        self.max_runs = max_runs
        self._runs: list[np.ndarray] = []
        self._recent: set[int] = set()
        self._run_total = 0

    @property
    def runs(self) -> int:
        return len(self._runs)

    def __len__(self) -> int:
        return self._run_total + len(self._recent)

    @property
    def nbytes(self) -> int:
        """Approximate memory held (runs exactly, the set estimated at 70 bytes per id)."""
        return sum(run.nbytes for run in self._runs) + 70 * len(self._recent)

    def add_hashes(self, hashes: np.ndarray) -> None:
        """Add many hashes at once as a sorted run (loading a table)."""
        if len(hashes) == 0:
            return
        self._push(np.unique(hashes.astype(np.int64, copy=False)))

    def _push(self, run: np.ndarray) -> None:
        self._runs.append(run)
        self._run_total += len(run)
        if len(self._runs) > self.max_runs:
            merged = np.unique(np.concatenate(self._runs))
            self._runs = [merged]
            self._run_total = len(merged)

    def add_many(self, ids: Iterable[str]) -> None:
        """Add ids accepted one batch at a time."""
        self._recent.update(hash(v) for v in ids)
        if len(self._recent) >= self.freeze_at:
            run = np.fromiter(self._recent, dtype=np.int64, count=len(self._recent))
            self._recent = set()
            run.sort()
            self._push(run)

    def discard_many(self, ids: Iterable[str]) -> None:
        """Forget recent ids (records that were not stored after all)."""
        for value in ids:
            self._recent.discard(hash(value))

    def contains(self, value: str) -> bool:
        return self.contains_many([value])[0]

    def contains_many(self, ids: Sequence[str]) -> list[bool]:
        """Whether each id is known."""
        hashes = [hash(v) for v in ids]
        recent = self._recent
        found = [h in recent for h in hashes]
        if self._runs and hashes:
            wanted = np.asarray(hashes, dtype=np.int64)
            hit = np.zeros(len(wanted), dtype=bool)
            for run in self._runs:
                at = np.searchsorted(run, wanted)
                at[at == len(run)] = 0
                hit |= run[at] == wanted
            found = [a or bool(b) for a, b in zip(found, hit.tolist(), strict=True)]
        return found
