"""Signed webhooks: the request, its signature, and the retry schedule.

Each attempt POSTs the same JSON body (stored with the delivery at its first attempt) with:

- ``Content-Type: application/json``;
- ``Idempotency-Key: <delivery id>`` (also ``X-JourneyLens-Delivery``): the same on every
  attempt, so a receiver can drop duplicates (delivery is *at least once*);
- ``X-JourneyLens-Attempt: <n>`` (1 on the first attempt);
- ``X-JourneyLens-Signature: t=<unix seconds>,v1=<hex>``: HMAC-SHA256 with the secret over
  ``"<t>." + body`` (the timestamp, a dot, the raw body bytes), as Stripe does. A receiver
  recomputes it with its copy of the secret, compares in constant time and rejects a ``t``
  older than a few minutes (replays).

Retries: an attempt fails on a connection error, a timeout or any status other than 2xx; the
next attempt waits ``backoff · 2^(attempt-1)`` capped at ``max_backoff``, times a random
factor in [0.5, 1] (jitter, so many failed deliveries do not return at once); a
``Retry-After`` in seconds from the target is honoured when longer.

Examples
--------
>>> header = sign(b'{"a":1}', "s3cret", timestamp=1700000000)
>>> header
't=1700000000,v1=1698a50bc74d1ff1db85c4e0a5297c2ad9fdba245d5737cdb789e4cc6e098940'
>>> verify(b'{"a":1}', header, "s3cret", now=1700000100)
True
>>> verify(b'{"a":2}', header, "s3cret", now=1700000100)
False
>>> verify(b'{"a":1}', header, "s3cret", now=1700001000)  # older than 5 minutes
False
>>> import random
>>> [round(retry_delay(n, 30, 3600, random.Random(1)), 1) for n in (1, 2, 3)]
[17.0, 34.0, 68.1]
"""

from __future__ import annotations

import hashlib
import hmac
import random
import time
from dataclasses import dataclass

import httpx

from journeylens import __version__

SIGNATURE_HEADER = "X-JourneyLens-Signature"
DELIVERY_HEADER = "X-JourneyLens-Delivery"
ATTEMPT_HEADER = "X-JourneyLens-Attempt"
IDEMPOTENCY_HEADER = "Idempotency-Key"

#: Signatures older (or newer) than this are rejected by `verify` (replay protection).
TOLERANCE_SECONDS = 300


def signature(body: bytes, secret: str, timestamp: int) -> str:
    """The hex HMAC-SHA256 of ``"<timestamp>." + body``."""
    signed = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def sign(body: bytes, secret: str, *, timestamp: int | None = None) -> str:
    """The value of the signature header: ``t=<timestamp>,v1=<hex signature>``."""
    ts = int(time.time()) if timestamp is None else timestamp
    return f"t={ts},v1={signature(body, secret, ts)}"


def verify(
    body: bytes,
    header: str,
    secret: str,
    *,
    tolerance: int = TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """Whether a signature header is valid for ``body`` and fresh (the receiver's check)."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        ts = int(parts["t"])
    except (KeyError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - ts) > tolerance:
        return False
    expected = signature(body, secret, ts)
    return any(
        hmac.compare_digest(expected, value)
        for key, value in (p.split("=", 1) for p in header.split(",") if "=" in p)
        if key == "v1"
    )


def retry_delay(attempt: int, backoff: float, max_backoff: float, rng: random.Random) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based), with jitter."""
    base = min(max_backoff, backoff * 2.0 ** (attempt - 1))
    return base * rng.uniform(0.5, 1.0)


@dataclass(frozen=True)
class AttemptResult:
    """What one POST gave: ``ok`` on 2xx; the status, an error text and a Retry-After."""

    ok: bool
    status_code: int | None
    error: str | None
    retry_after: float | None = None


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def post(
    client: httpx.Client,
    url: str,
    body: bytes,
    *,
    secret: str,
    delivery_id: str,
    attempt: int,
    timeout: float,
    headers: dict[str, str] | None = None,
) -> AttemptResult:
    """One signed attempt; never raises for network or HTTP failures."""
    request_headers = {
        **(headers or {}),
        "Content-Type": "application/json",
        "User-Agent": f"journeylens/{__version__}",
        IDEMPOTENCY_HEADER: delivery_id,
        DELIVERY_HEADER: delivery_id,
        ATTEMPT_HEADER: str(attempt),
        SIGNATURE_HEADER: sign(body, secret),
    }
    try:
        response = client.post(url, content=body, headers=request_headers, timeout=timeout)
    except httpx.TimeoutException as exc:
        return AttemptResult(False, None, f"timeout after {timeout:g}s ({type(exc).__name__})")
    except httpx.HTTPError as exc:
        return AttemptResult(False, None, f"{type(exc).__name__}: {exc}"[:500])
    if 200 <= response.status_code < 300:
        return AttemptResult(True, response.status_code, None)
    text = response.text[:200].strip()
    return AttemptResult(
        False,
        response.status_code,
        f"HTTP {response.status_code}{': ' + text if text else ''}",
        _retry_after(response),
    )
