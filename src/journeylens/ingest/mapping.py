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
{'customer_id': 'CustomerID', 'ts': 'time:timestamp', 'channel': 'case:channel', \
'activity': 'concept:name', 'journey_key': 'case:concept:name'}
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from journeylens.errors import ConfigError, InputError
from journeylens.store.schema import SOURCE_EVENT_FIELDS, SOURCE_FEEDBACK_FIELDS

#: Canonical fields a source may provide (provenance is added by the pipeline).
EVENT_FIELDS: tuple[str, ...] = SOURCE_EVENT_FIELDS
FEEDBACK_FIELDS: tuple[str, ...] = SOURCE_FEEDBACK_FIELDS

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
class ValueRule:
    """A canonical field computed from a source column's values, or a constant.

    In a mapping file::

        channel:
          column: dim_device_app_combo
          values: {"(?i).*(iphone|android|ipad).*": app, "(?i)desktop.*": web}
          regex: true
          default: web
        activity: {value: session}

    Values are matched exactly (or as full regular expressions with ``regex: true``); a value
    that matches nothing becomes ``default`` (null when there is none).

    Examples
    --------
    >>> rule = ValueRule(column="combo", values={"(?i)iphone.*": "app"}, regex=True, default="web")
    >>> rule.translate("iPhone - iOS"), rule.translate("Desktop - Chrome"), rule.translate(None)
    ('app', 'web', None)
    """

    column: str | None = None
    value: str | None = None
    values: dict[str, str] = field(default_factory=dict)
    regex: bool = False
    default: str | None = None

    def translate(self, text: str | None) -> str | None:
        """The canonical value of one source value."""
        if self.value is not None:
            return self.value
        if text is None:
            return None
        if not self.values:
            return text
        if not self.regex:
            return self.values.get(text, self.default)
        for pattern, result in self.values.items():
            if re.fullmatch(pattern, text):
                return result
        return self.default

    @classmethod
    def parse(cls, canonical: str, spec: dict[str, Any], where: str) -> ValueRule:
        """Read a rule from a mapping file entry."""
        allowed = {"column", "value", "values", "regex", "default"}
        unknown = sorted(set(spec) - allowed)
        if unknown or ("column" in spec) == ("value" in spec):
            raise ConfigError(
                f"mapping of '{canonical}' must have either 'column' or 'value'"
                + (f" (unknown keys {unknown})" if unknown else ""),
                where,
                "e.g. channel: {column: device, values: {iPhone: app}, default: web}",
            )
        values = {str(k): str(v) for k, v in (spec.get("values") or {}).items()}
        if spec.get("regex"):
            for pattern in values:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise ConfigError(
                        f"'{pattern}' is not a regular expression: {exc}", f"{where}: {canonical}"
                    ) from exc
        return cls(
            column=spec.get("column"),
            value=None if spec.get("value") is None else str(spec["value"]),
            values=values,
            regex=bool(spec.get("regex", False)),
            default=None if spec.get("default") is None else str(spec["default"]),
        )


@dataclass(frozen=True)
class ResolvedMapping:
    """The mapping of one batch: canonical field -> source column, and what is left."""

    fields: dict[str, str]
    attributes: list[str]
    journey_attributes: list[str]
    rules: dict[str, ValueRule] = field(default_factory=dict)


@dataclass
class ColumnMapping:
    """User-given mapping from canonical fields to source columns."""

    explicit: dict[str, str] = field(default_factory=dict)
    rules: dict[str, ValueRule] = field(default_factory=dict)
    #: Where the mapping was given, for error messages: ``--map`` or the mapping file.
    origin: str = "--map"

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
        """Read a YAML mapping file of ``canonical: source`` pairs or `ValueRule` entries."""
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"cannot read the mapping: {exc}", str(path)) from exc
        if not isinstance(data, dict):
            raise ConfigError(
                "a mapping file holds 'canonical: source' pairs", str(path), "e.g. ts: ContactDate"
            )
        explicit: dict[str, str] = {}
        rules: dict[str, ValueRule] = {}
        for canonical, spec in data.items():
            if isinstance(spec, str):
                explicit[str(canonical)] = spec
            elif isinstance(spec, dict):
                rule = ValueRule.parse(str(canonical), spec, str(path))
                rules[str(canonical)] = rule
                if rule.column is not None:
                    explicit[str(canonical)] = rule.column
            else:
                raise ConfigError(
                    f"mapping of '{canonical}' must be a column name or a rule",
                    str(path),
                    "e.g. ts: ContactDate",
                )
        return cls(explicit, rules, origin=str(path))

    def merged(self, other: ColumnMapping) -> ColumnMapping:
        """This mapping with ``other``'s pairs taking precedence."""
        rules = {k: v for k, v in self.rules.items() if k not in other.explicit}
        origins = dict.fromkeys(
            m.origin for m in (self, other) if m.explicit or m.rules
        )  # in order, without repeats
        return ColumnMapping(
            {**self.explicit, **other.explicit},
            {**rules, **other.rules},
            origin=" and ".join(origins) or other.origin,
        )

    def resolve(self, columns: Sequence[str], canonical: Sequence[str]) -> ResolvedMapping:
        """Decide which source column feeds each canonical field.

        Raises
        ------
        ConfigError
            When a mapping names an unknown canonical field or a column the source lacks.
        """
        unknown = sorted((set(self.explicit) | set(self.rules)) - set(canonical))
        if unknown:
            raise ConfigError(
                f"unknown canonical field(s) {unknown}",
                self.origin,
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
        constants = {name for name, rule in self.rules.items() if rule.value is not None}
        lower = {name.lower(): name for name in columns}
        for name in canonical:
            if name in fields or name in constants:
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
            rules=dict(self.rules),
        )
