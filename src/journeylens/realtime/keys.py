"""API keys of the live API: created once, stored salted and hashed, revocable.

A key looks like ``jl_<id>_<secret>``: the 8-hex ``id`` names it in listings and logs, the
secret (32 random bytes) is shown once, at creation, and never stored. ``live/keys.json`` in the
workspace holds per key its id, name, creation (and revocation) time, a random salt and
``sha256(salt + secret)``. API keys are long random secrets, so one salted SHA-256 is enough (a
slow password hash would only slow every request down).

A running server notices changes to the file (``journeylens keys create|revoke`` from another
shell) at the next request. For scripted setups, the server also accepts the key in the
environment variable ``JOURNEYLENS_API_KEY`` (at least 24 characters; its id is ``env``).

Examples
--------
>>> import tempfile
>>> store = KeyStore(Path(tempfile.mkdtemp()) / "live" / "keys.json")
>>> record, key = store.create("crm")
>>> store.verify(key) == record.key_id, store.verify(key + "x"), store.verify("nonsense")
(True, None, None)
>>> _ = store.revoke(record.key_id)
>>> store.verify(key) is None
True
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from journeylens.errors import ConfigError, WorkspaceError

#: Where a workspace keeps its hashed keys.
KEYS_FILE = Path("live") / "keys.json"
#: The environment variable holding an extra key for scripted setups.
ENV_KEY = "JOURNEYLENS_API_KEY"
#: The shortest key accepted from the environment.
MIN_ENV_KEY_LENGTH = 24
PREFIX = "jl"


def _digest(salt: str, secret: str) -> str:
    return hashlib.sha256(bytes.fromhex(salt) + secret.encode("utf-8")).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class ApiKey:
    """What is stored about one key (never the key itself)."""

    key_id: str
    name: str
    created_at: str
    salt: str
    digest: str
    revoked_at: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def public(self) -> dict[str, Any]:
        """The key's description for listings (no salt, no digest)."""
        return {
            "id": self.key_id,
            "name": self.name,
            "created_at": self.created_at,
            "revoked_at": self.revoked_at,
            "active": self.active,
        }


class KeyStore:
    """The keys of one workspace (``<workspace>/live/keys.json``).

    Parameters
    ----------
    path : Path
        The key file (created on the first `create`).
    env_key : str, optional
        An extra valid key (the server passes ``$JOURNEYLENS_API_KEY``).
    """

    def __init__(self, path: Path, *, env_key: str | None = None) -> None:
        if env_key is not None and len(env_key) < MIN_ENV_KEY_LENGTH:
            raise ConfigError(
                f"the key in ${ENV_KEY} has {len(env_key)} characters",
                ENV_KEY,
                f"use at least {MIN_ENV_KEY_LENGTH} random characters, e.g. "
                "python -c 'import secrets; print(secrets.token_urlsafe(32))'",
            )
        self.path = path
        self._env_key = env_key
        self._keys: dict[str, ApiKey] = {}
        self._stamp: tuple[int, int] | None = None

    @classmethod
    def for_workspace(cls, root: Path, *, use_env: bool = False) -> KeyStore:
        """The store of the workspace at ``root`` (with the environment's key when asked)."""
        env_key = os.environ.get(ENV_KEY) or None if use_env else None
        return cls(root / KEYS_FILE, env_key=env_key)

    @property
    def has_env_key(self) -> bool:
        """Whether a key from the environment is accepted too."""
        return self._env_key is not None

    # -- reading ------------------------------------------------------------------------------

    def _load(self) -> dict[str, ApiKey]:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            self._keys, self._stamp = {}, None
            return self._keys
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp != self._stamp:
            try:
                rows = json.loads(self.path.read_text(encoding="utf-8"))["keys"]
                keys = {row["key_id"]: ApiKey(**row) for row in rows}
            except (ValueError, KeyError, TypeError) as exc:
                raise WorkspaceError(
                    f"{self.path} is damaged ({exc}); delete it and create keys again "
                    "with journeylens keys create"
                ) from exc
            self._keys, self._stamp = keys, stamp
        return self._keys

    def list(self) -> list[ApiKey]:
        """Every key, active and revoked, oldest first."""
        return sorted(self._load().values(), key=lambda k: (k.created_at, k.key_id))

    def verify(self, key: str) -> str | None:
        """The id of the active key ``key``, or None when it is unknown or revoked."""
        if self._env_key is not None and hmac.compare_digest(
            key.encode("utf-8"), self._env_key.encode("utf-8")
        ):
            return "env"
        prefix, _, rest = key.partition("_")
        key_id, _, secret = rest.partition("_")
        if prefix != PREFIX or not key_id or not secret:
            return None
        record = self._load().get(key_id)
        if record is None or not record.active:
            return None
        if hmac.compare_digest(_digest(record.salt, secret), record.digest):
            return record.key_id
        return None

    # -- changing -----------------------------------------------------------------------------

    def _save(self, keys: dict[str, ApiKey]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"keys": [asdict(k) for k in keys.values()]}, indent=2)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)
        self._stamp = None

    def create(self, name: str) -> tuple[ApiKey, str]:
        """A new key: its stored record and the key itself (show it once; it is not kept)."""
        name = name.strip()
        if not name:
            raise ValueError("give the key a name that says who uses it, e.g. --name crm")
        keys = dict(self._load())
        key_id = secrets.token_hex(4)
        while key_id in keys:
            key_id = secrets.token_hex(4)
        secret = secrets.token_urlsafe(32)
        salt = secrets.token_hex(16)
        record = ApiKey(key_id, name, _now(), salt, _digest(salt, secret))
        keys[key_id] = record
        self._save(keys)
        return record, f"{PREFIX}_{key_id}_{secret}"

    def revoke(self, which: str) -> ApiKey:
        """Revoke the key with id (or unique name) ``which``; it stops working at once."""
        keys = dict(self._load())
        matches = [k for k in keys.values() if which in (k.key_id, k.name)]
        if not matches:
            raise WorkspaceError(f"no API key '{which}'; list the keys with journeylens keys list")
        if len(matches) > 1:
            ids = ", ".join(k.key_id for k in matches)
            raise WorkspaceError(f"'{which}' names {len(matches)} keys ({ids}); give the id")
        record = matches[0]
        if record.active:
            record = ApiKey(**{**asdict(record), "revoked_at": _now()})
            keys[record.key_id] = record
            self._save(keys)
        return record
