"""From the source's column names to the canonical fields.

Three sources of a mapping, in order: what the user says (``--map customer_id=CustomerID`` or a
mapping file), the canonical names themselves, then well-known names (pm4py/XES columns such as
``case:concept:name``, and a few common aliases). Columns that map to nothing are kept: in
``attributes`` (JSON), or in ``journey_attributes`` when they are ``case:`` columns.

Examples
--------
>>> m = ColumnMapping.parse(["customer_id=CustomerID"])
>>> m.resolve(["CustomerID", "time:timestamp", "concept:name", "case:concept:name", "case:channel",
...            "Amount"], EVENT_FIELDS).fields
{'customer_id': 'CustomerID', 'ts': 'time:timestamp', 'activity': 'concept:name', \
'journey_key': 'case:concept:name', 'channel': 'case:channel'}
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from journeylens.errors import ConfigError, InputError
from journeylens.store.schema import FEEDBACK, IDENTIFIER_FIELDS

#: Canonical fields a source may provide for events (provenance is added by the pipeline).
EVENT_FIELDS: tuple[str, ...] = (
    "event_id",
    "ts",
    *IDENTIFIER_FIELDS,
    "channel",
    "activity",
    "initiator",
    "topic",
    "outcome",
    "journey_key",
    "resource",
    "lifecycle",
    "attributes",
)

#: Canonical fields a source may provide for feedback.
FEEDBACK_FIELDS: tuple[str, ...] = tuple(
    name
    for name in FEEDBACK.names
    if name not in {"source", "source_file", "source_line", "seq", "ingested_at"}
)

#: Well-known source names per canonical field, tried in order (case-insensitive).
WELL_KNOWN: dict[str, tuple[str, ...]] = {
    "journey_key": ("case:concept:name", "case_id", "caseid", "case"),
    "activity": ("concept:name", "event", "event_name", "action"),
    "ts": ("time:timestamp", "timestamp", "time", "event_time", "datetime", "date"),
    "resource": ("org:resource",),
    "lifecycle": ("lifecycle:transition",),
    "channel": ("case:channel",),
    "customer_id": ("customer", "customerid", "client_id", "user_id"),
    "event_id": ("eventid",),
    "feedback_id": ("response_id", "survey_id", "review_id"),
    "score": ("rating_score", "review_score", "nps_score"),
    "text": ("comment", "verbatim", "review_comment_message"),
}

#: Prefix of columns that describe the journey (case) rather than the event.
CASE_PREFIX = "case:"


@dataclass(frozen=True)
class ResolvedMapping:
    """The mapping of one batch: canonical field -> source column, and what is left."""

    fields: dict[str, str]
    attributes: list[str]
    journey_attributes: list[str]


@dataclass
class ColumnMapping:
    """User-given mapping from canonical fields to source columns."""

    explicit: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, pairs: Iterable[str]) -> ColumnMapping:
        """Read ``canonical=source`` pairs as given on the command line."""
        explicit = {}
        for pair in pairs:
            canonical, sep, source = pair.partition("=")
            if not sep or not canonical.strip() or not source.strip():
                raise ConfigError(
                    f"'{pair}' is not a mapping", "--map", "write canonical=source, e.g. ts=Date"
                )
            explicit[canonical.strip()] = source.strip()
        return cls(explicit)

    @classmethod
    def from_file(cls, path: Path) -> ColumnMapping:
        """Read a YAML mapping file: ``{customer_id: CustomerID, ts: ContactDate}``."""
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"cannot read the mapping: {exc}", str(path)) from exc
        if not isinstance(data, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in data.items()
        ):
            raise ConfigError(
                "a mapping file holds 'canonical: source' pairs", str(path), "e.g. ts: ContactDate"
            )
        return cls(dict(data))

    def merged(self, other: ColumnMapping) -> ColumnMapping:
        """This mapping with ``other``'s pairs taking precedence."""
        return ColumnMapping({**self.explicit, **other.explicit})

    def resolve(self, columns: Sequence[str], canonical: Sequence[str]) -> ResolvedMapping:
        """Decide which source column feeds each canonical field.

        Raises
        ------
        ConfigError
            When a mapping names an unknown canonical field or a column the source lacks.
        """
        unknown = sorted(set(self.explicit) - set(canonical))
        if unknown:
            raise ConfigError(
                f"unknown canonical field(s) {unknown}",
                "--map",
                f"map onto one of: {', '.join(canonical)}",
            )
        missing = sorted(src for src in self.explicit.values() if src not in columns)
        if missing:
            raise InputError(
                f"mapped column(s) {missing} are not in the source",
                "header",
                f"the source has: {', '.join(columns)}",
            )
        fields = dict(self.explicit)
        used = set(fields.values())
        lower = {name.lower(): name for name in columns}
        for name in canonical:
            if name in fields:
                continue
            candidates = (name, *WELL_KNOWN.get(name, ()))
            for candidate in candidates:
                source = lower.get(candidate.lower())
                if source is not None and source not in used:
                    fields[name] = source
                    used.add(source)
                    break
        rest = [c for c in columns if c not in used]
        return ResolvedMapping(
            fields=fields,
            attributes=[c for c in rest if not c.lower().startswith(CASE_PREFIX)],
            journey_attributes=[c for c in rest if c.lower().startswith(CASE_PREFIX)],
        )
