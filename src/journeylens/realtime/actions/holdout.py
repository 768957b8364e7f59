"""Hold-out assignment: a deterministic share of moments that gets no action.

A moment's *bucket* is a number in [0, 1) taken from a hash of its id; the moment is held out
when its bucket is below the rule's hold-out share. The same moment is always in the same arm
(a retried request, a restart that replays the log), no state is needed to decide, and moments
of one rule are split at random with respect to everything about the customer.

Examples
--------
>>> b = bucket("3f2a9c1d0e4b5a6c7d8e")
>>> 0.0 <= b < 1.0, b == bucket("3f2a9c1d0e4b5a6c7d8e")
(True, True)
>>> is_held_out("3f2a9c1d0e4b5a6c7d8e", 0.0), is_held_out("3f2a9c1d0e4b5a6c7d8e", 0.999999)
(False, True)
>>> ids = [f"moment-{i}" for i in range(20_000)]
>>> round(sum(is_held_out(i, 0.2) for i in ids) / len(ids), 2)
0.2
"""

from __future__ import annotations

import hashlib

#: Salt of the hash, so the hold-out split is independent of other uses of the moment id.
_SALT = b"journeylens-holdout\x1f"


def bucket(moment_id: str) -> float:
    """A uniform number in [0, 1) fixed by the moment id (the first 8 bytes of a SHA-256)."""
    digest = hashlib.sha256(_SALT + moment_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def is_held_out(moment_id: str, share: float) -> bool:
    """Whether the moment gets no action under a hold-out ``share`` (0 ≤ share < 1)."""
    if not 0.0 <= share < 1.0:
        raise ValueError(f"a hold-out share lies in [0, 1) (got {share})")
    return bucket(moment_id) < share
