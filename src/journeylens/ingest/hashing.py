"""Salted hashing of personal identifiers, and content hashes for records without an id."""

from __future__ import annotations

import hashlib
import os
import re

import pyarrow as pa
import pyarrow.compute as pc

from journeylens.config import HashingSettings
from journeylens.errors import ConfigError

_NOT_DIGIT = re.compile(r"[^0-9+]")

#: Prefix that marks a hashed identifier, so it is never hashed twice.
HASH_PREFIX = "h:"


def normalise(field: str, value: str) -> str:
    """The form of an identifier that is hashed: e-mails lower-cased, phones digits only.

    Examples
    --------
    >>> normalise("email", " Ann@Example.COM ")
    'ann@example.com'
    >>> normalise("phone", "+31 (0)20-555 0101")
    '+310205550101'
    """
    value = value.strip()
    if field == "email":
        return value.lower()
    if field == "phone":
        return _NOT_DIGIT.sub("", value)
    return value


def hash_identifier(field: str, value: str, salt: str) -> str:
    """A salted SHA-256 of an identifier (128 bits, hex), stable for the same salt.

    Examples
    --------
    >>> a = hash_identifier("email", "Ann@example.com", "s3cret")
    >>> a == hash_identifier("email", "ann@example.com ", "s3cret"), a.startswith("h:"), len(a)
    (True, True, 34)
    """
    if value.startswith(HASH_PREFIX):
        return value
    digest = hashlib.sha256(f"{salt}\x1f{field}\x1f{normalise(field, value)}".encode())
    return HASH_PREFIX + digest.hexdigest()[:32]


class IdentifierHasher:
    """Hashes the configured identifier columns of a batch, hashing each distinct value once."""

    def __init__(self, settings: HashingSettings) -> None:
        self.fields = tuple(settings.fields) if settings.enabled else ()
        self._salt = ""
        if self.fields:
            salt = os.environ.get(settings.salt_env, "")
            if not salt:
                raise ConfigError(
                    f"identifier hashing is on but the environment variable "
                    f"{settings.salt_env} is not set",
                    "journeylens.yaml: hashing",
                    f"export {settings.salt_env}=<a long random secret>; keep it out of the repo",
                )
            self._salt = salt

    def hash_value(self, field: str, value: str) -> str:
        """One identifier value of ``field`` hashed with the configured salt."""
        return hash_identifier(field, value, self._salt)

    def apply(self, table: pa.Table) -> pa.Table:
        """``table`` with the configured identifier columns hashed."""
        for name in self.fields:
            if name not in table.column_names:
                continue
            column = table.column(name).combine_chunks()
            encoded = pc.dictionary_encode(column)
            hashed = pa.array(
                [hash_identifier(name, v, self._salt) for v in encoded.dictionary.to_pylist()],
                pa.string(),
            )
            values = pc.take(hashed, encoded.indices)
            table = table.set_column(table.column_names.index(name), name, values)
        return table


def content_ids(keys: list[str], seen: dict[str, int], prefix: str = "") -> list[str]:
    """Ids for records without one: a hash of their content, numbered when repeated.

    The n-th identical record of a file gets ``<hash>#n``, so genuinely repeated records in one
    file are all kept while re-ingesting the file (or an overlapping export) adds nothing.

    Examples
    --------
    >>> seen: dict[str, int] = {}
    >>> ids = content_ids(["a", "b", "a"], seen)
    >>> ids[0] == ids[2].split("#")[0], ids[2].endswith("#2")
    (True, True)
    """
    ids = []
    for key in keys:
        raw = key.encode("utf-8", "surrogatepass")
        digest = prefix + hashlib.blake2b(raw, digest_size=12).hexdigest()
        count = seen.get(digest, 0) + 1
        seen[digest] = count
        ids.append(digest if count == 1 else f"{digest}#{count}")
    return ids
