"""Who may see the pages: a valid API key, sent as a header or exchanged for a session cookie.

- ``X-API-Key: <key>`` or ``Authorization: Bearer <key>`` on any page (scripts, tests);
- or the login form (``/login``): the key is checked once and the browser gets a signed,
  ``HttpOnly``, ``SameSite=Lax`` session cookie holding the key's id and an expiry (never the
  key). The cookie is signed with HMAC-SHA256 and a secret from ``$JOURNEYLENS_SESSION_SECRET``
  or, without it, a random secret per server process (a restart signs everyone out). A revoked
  key's sessions end at the next request.

Keys are the live API's (`journeylens.realtime.keys.KeyStore`, ``journeylens keys create``):
the app keeps its store on ``app.state.keys``.

Examples
--------
>>> signer = SessionSigner(b"k" * 32)
>>> token = signer.sign("a1b2c3d4", now=1000.0)
>>> signer.verify(token, now=1001.0)
'a1b2c3d4'
>>> signer.verify(token, now=1000.0 + SESSION_SECONDS + 1) is None  # expired
True
>>> signer.verify(token[:-2] + "xx", now=1001.0) is None  # tampered
True
>>> safe_next("//evil.example/"), safe_next("/journeys?type=moving")
('/', '/journeys?type=moving')
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from typing import Any
from urllib.parse import quote

from fastapi import HTTPException, Request, status

#: The session cookie's name.
COOKIE = "journeylens_session"
#: How long a session lasts.
SESSION_SECONDS = 8 * 3600
#: The environment variable with a fixed signing secret (e.g. behind a load balancer).
SECRET_ENV = "JOURNEYLENS_SESSION_SECRET"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionSigner:
    """Signs and checks session tokens: ``base64(json) . base64(hmac)``."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _mac(self, body: str) -> str:
        return _b64(hmac.new(self._secret, body.encode(), hashlib.sha256).digest())

    def sign(self, key_id: str, *, now: float | None = None) -> str:
        """A token for ``key_id`` that expires after `SESSION_SECONDS`."""
        expires = int((time.time() if now is None else now) + SESSION_SECONDS)
        body = _b64(json.dumps({"k": key_id, "e": expires}, separators=(",", ":")).encode())
        return f"{body}.{self._mac(body)}"

    def verify(self, token: str, *, now: float | None = None) -> str | None:
        """The key id of a valid, unexpired token, else None."""
        body, _, mac = token.partition(".")
        if not body or not mac or not hmac.compare_digest(mac, self._mac(body)):
            return None
        try:
            data = json.loads(_unb64(body))
            key_id, expires = str(data["k"]), int(data["e"])
        except (ValueError, KeyError, TypeError):
            return None
        return key_id if (time.time() if now is None else now) < expires else None


def signer(request: Request) -> SessionSigner:
    """The app's signer (created on first use)."""
    state = request.app.state
    found: SessionSigner | None = getattr(state, "session_signer", None)
    if found is None:
        secret = os.environ.get(SECRET_ENV, "").encode() or secrets.token_bytes(32)
        found = SessionSigner(secret)
        state.session_signer = found
    return found


def _keys(request: Request) -> Any:
    keys = getattr(request.app.state, "keys", None)
    if keys is None:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "no API keys are configured: create one with `journeylens keys create`",
        )
    return keys


def check_key(request: Request, key: str) -> str | None:
    """The id of ``key`` when it is a valid API key of the workspace."""
    key_id: str | None = _keys(request).verify(key.strip()) if key.strip() else None
    return key_id


def _still_valid(request: Request, key_id: str) -> bool:
    if key_id == "env":
        return True
    keys = _keys(request)
    listing = getattr(keys, "list", None)
    if listing is None:
        return True
    return any(k.key_id == key_id and k.active for k in listing())


def safe_next(target: str | None) -> str:
    """A same-site path to return to after login (anything else becomes ``/``)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def current_user(request: Request) -> str | None:
    """The key id of the request's key header or session cookie, or None."""
    from journeylens.api.deps import extract_key

    key = extract_key(request.headers)
    if key is not None:
        return check_key(request, key)
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    key_id = signer(request).verify(token)
    if key_id is None or not _still_valid(request, key_id):
        return None
    return key_id


def require_user(request: Request) -> str:
    """FastAPI dependency for pages: the user's key id, or a redirect to the login form."""
    user = current_user(request)
    if user is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise HTTPException(
            status.HTTP_303_SEE_OTHER,
            "sign in first",
            headers={"Location": "/login?next=" + quote(target, safe="")},
        )
    return user


def session_cookie(request: Request, key_id: str) -> dict[str, Any]:
    """The keyword arguments of ``response.set_cookie`` for a new session."""
    return {
        "key": COOKIE,
        "value": signer(request).sign(key_id),
        "max_age": SESSION_SECONDS,
        "httponly": True,
        "samesite": "lax",
        "secure": request.url.scheme == "https",
        "path": "/",
    }
