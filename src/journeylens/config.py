"""The workspace configuration, `journeylens.yaml`.

Journey definitions, the inactivity gap, identifier hashing, the channels counted as
assisted contacts and the weights and rules of journey metrics (``metrics:``) live here. The
file is validated with pydantic; an error names the file and the field.

Examples
--------
>>> cfg = WorkspaceConfig.model_validate({"journeys": {"definitions": [
...     {"name": "moving", "topics": ["moving"], "start_activities": ["move_request"],
...      "end_activities": ["move_completed"], "timeout": "14d"}]}})
>>> cfg.journeys.definitions[0].timeout_seconds
1209600
>>> cfg.journeys.gap_seconds
604800
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from journeylens.errors import ConfigError
from journeylens.store.schema import IDENTIFIER_FIELDS

CONFIG_FILE = "journeylens.yaml"

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: str | int | float) -> int:
    """Seconds in a duration such as ``"30m"``, ``"7d"``, ``"2w"`` or a number of seconds.

    Examples
    --------
    >>> parse_duration("7d"), parse_duration("90m"), parse_duration(45)
    (604800, 5400, 45)
    """
    if isinstance(value, int | float):
        return int(value)
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"'{value}' is not a duration; write e.g. 45s, 30m, 12h, 7d or 2w")
    return int(float(match.group(1)) * _UNIT_SECONDS[match.group(2)])


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SuccessCriterion(_Strict):
    """When a journey counts as successful: it reached one of these activities or outcomes."""

    activities: list[str] = Field(default_factory=list)
    outcomes: list[str] = Field(default_factory=list)


class JourneyDefinition(_Strict):
    """A journey type cut from a customer's events.

    An event belongs to the first definition whose ``topics`` contain its topic; a definition
    without topics claims events by activity (start, end or listed ``activities``). Within one
    customer and definition, a new journey starts at a start activity, after an end activity, or
    after ``timeout`` of inactivity.
    """

    name: str
    topics: list[str] = Field(default_factory=list)
    start_activities: list[str] = Field(default_factory=list)
    end_activities: list[str] = Field(default_factory=list)
    activities: list[str] = Field(default_factory=list)
    timeout: str | int = "30d"
    success: SuccessCriterion | None = None

    @property
    def timeout_seconds(self) -> int:
        return parse_duration(self.timeout)

    @field_validator("timeout")
    @classmethod
    def _valid_timeout(cls, value: str | int) -> str | int:
        parse_duration(value)
        return value

    def claims_by_activity(self) -> list[str]:
        """Activities by which a topic-less definition claims events."""
        return sorted({*self.start_activities, *self.end_activities, *self.activities})


class JourneySettings(_Strict):
    """How events are cut into journeys."""

    gap: str | int = "7d"
    definitions: list[JourneyDefinition] = Field(default_factory=list)
    assisted_channels: list[str] = Field(
        default_factory=lambda: ["phone", "chat", "email", "store", "social", "mail", "ivr"]
    )
    #: Time the status of journeys is judged at: "data" (latest event) or an ISO timestamp.
    as_of: str = "data"

    @property
    def gap_seconds(self) -> int:
        return parse_duration(self.gap)

    @field_validator("gap")
    @classmethod
    def _valid_gap(cls, value: str | int) -> str | int:
        parse_duration(value)
        return value


class HashingSettings(_Strict):
    """Salted hashing of personal identifiers at ingestion.

    The salt is never written to the repository or the YAML file: it is read from the
    environment variable named by ``salt_env``.
    """

    enabled: bool = False
    fields: list[str] = Field(default_factory=lambda: ["email", "phone"])
    salt_env: str = "JOURNEYLENS_SALT"

    @field_validator("fields")
    @classmethod
    def _known_fields(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(IDENTIFIER_FIELDS))
        if unknown:
            raise ValueError(
                f"unknown identifier fields {unknown}; choose from {IDENTIFIER_FIELDS}"
            )
        return value


def _valid_regex(value: str) -> str:
    """A regular expression both engines read alike (checked with Python's ``re``)."""
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"'{value}' is not a regular expression: {exc}") from exc
    return value


class EffortWeights(_Strict):
    """The effort score: points per unit of each driver, and the points that mean 0 on the
    0-100 *effortless* face (see docs/analytics/metrics.md)."""

    steps: float = Field(default=1.0, ge=0.0)
    handoffs: float = Field(default=2.0, ge=0.0)
    repeat_contacts: float = Field(default=3.0, ge=0.0)
    assisted_contacts: float = Field(default=1.5, ge=0.0)
    duration_days: float = Field(default=0.5, ge=0.0)
    scale: float = Field(default=40.0, gt=0.0)


class FrictionWeights(_Strict):
    """The friction score: points per failure, repeat contact, abandonment and long gap, and
    the points that mean 0 on the 0-100 *painless* face."""

    failures: float = Field(default=3.0, ge=0.0)
    repeat_contacts: float = Field(default=3.0, ge=0.0)
    abandoned: float = Field(default=10.0, ge=0.0)
    long_gaps: float = Field(default=1.0, ge=0.0)
    #: A wait between two consecutive steps longer than this is a long gap.
    long_gap: str | int = "7d"
    scale: float = Field(default=20.0, gt=0.0)

    @property
    def long_gap_seconds(self) -> int:
        return parse_duration(self.long_gap)

    @field_validator("long_gap")
    @classmethod
    def _valid_long_gap(cls, value: str | int) -> str | int:
        parse_duration(value)
        return value


class FailureRule(_Strict):
    """A step is a failure when its outcome is one of ``outcomes`` or its activity matches the
    regular expression ``activities`` (a search: it may match anywhere in the name)."""

    outcomes: list[str] = Field(
        default_factory=lambda: ["failed", "error", "unresolved", "rejected"]
    )
    activities: str | None = "error|complaint"

    @field_validator("activities")
    @classmethod
    def _valid_activities(cls, value: str | None) -> str | None:
        return None if value is None else _valid_regex(value)


class EscalationRule(_Strict):
    """A step is an escalation when it is an assisted contact directly after a failure on a
    self-service channel, or its activity matches ``activities``."""

    self_service_channels: list[str] = Field(default_factory=lambda: ["web", "app"])
    activities: str | None = "escalat"

    @field_validator("activities")
    @classmethod
    def _valid_activities(cls, value: str | None) -> str | None:
        return None if value is None else _valid_regex(value)


class RecoveryRule(_Strict):
    """A later step recovers a breakdown when its outcome is one of ``outcomes`` or it meets
    its journey definition's success criterion."""

    outcomes: list[str] = Field(default_factory=lambda: ["success", "resolved", "completed"])


class DriftRule(_Strict):
    """A week drifts when its value lies outside baseline ± k·max(1.4826·MAD, noise), the
    baseline being the median of the previous ``weeks`` eligible weeks (given ``min_weeks`` of
    them); weeks with fewer than ``min_volume`` journeys are not judged (except for volume).
    See docs/analytics/consistency.md."""

    k: float = Field(default=3.5, gt=0.0)
    weeks: int = Field(default=12, ge=2)
    min_weeks: int = Field(default=4, ge=2)
    min_volume: int = Field(default=20, ge=1)


class MetricsSettings(_Strict):
    """Journey metrics, breakdowns and consistency (the ``metrics:`` section)."""

    effort: EffortWeights = Field(default_factory=EffortWeights)
    friction: FrictionWeights = Field(default_factory=FrictionWeights)
    failures: FailureRule = Field(default_factory=FailureRule)
    escalation: EscalationRule = Field(default_factory=EscalationRule)
    recovery: RecoveryRule = Field(default_factory=RecoveryRule)
    drift: DriftRule = Field(default_factory=DriftRule)


#: What a feedback record is about (see docs/voc/linkage.md).
Scope = Literal["touchpoint", "journey", "relationship"]


class ScopeRule(_Strict):
    """Feedback matching every condition given (attribute value, question regex, kinds,
    channels) has ``scope``; the first matching rule wins."""

    scope: Scope
    attribute: str | None = None
    values: list[str] = Field(default_factory=list)
    question: str | None = None
    kinds: list[str] = Field(default_factory=list)
    channels: list[str] = Field(default_factory=list)

    @field_validator("question")
    @classmethod
    def _valid_question(cls, value: str | None) -> str | None:
        return None if value is None else _valid_regex(value)

    @model_validator(mode="after")
    def _has_condition(self) -> ScopeRule:
        if not (self.attribute or self.question or self.kinds or self.channels):
            raise ValueError("a scope rule needs attribute, question, kinds or channels")
        return self


class VocSettings(_Strict):
    """Feedback linkage and scopes (the ``voc:`` section; see docs/voc/linkage.md)."""

    #: Feedback this long after a journey's last step still links to it (method ``after``).
    link_window: str | int = "7d"
    #: Feedback attributes that may name the journey type the feedback is about.
    journey_type_attributes: list[str] = Field(default_factory=lambda: ["journey_type", "topic"])
    #: A feedback attribute whose value names the scope (a scope, or a key of ``scope_values``).
    scope_attribute: str | None = "survey"
    scope_values: dict[str, Scope] = Field(default_factory=dict)
    scopes: list[ScopeRule] = Field(default_factory=list)

    @property
    def link_window_seconds(self) -> int:
        return parse_duration(self.link_window)

    @field_validator("link_window")
    @classmethod
    def _valid_window(cls, value: str | int) -> str | int:
        parse_duration(value)
        return value


class WorkspaceConfig(_Strict):
    """The whole of `journeylens.yaml`."""

    version: Literal[1] = 1
    engine: Literal["duckdb", "spark"] = "duckdb"
    journeys: JourneySettings = Field(default_factory=JourneySettings)
    hashing: HashingSettings = Field(default_factory=HashingSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    voc: VocSettings = Field(default_factory=VocSettings)
    #: Free sections that later capabilities own (journey maps, rules …), kept as given.
    extra: dict[str, Any] = Field(default_factory=dict)


def load_config(path: Path) -> WorkspaceConfig:
    """Read and validate a `journeylens.yaml`.

    Raises
    ------
    ConfigError
        With the file and the dotted path of the bad field.
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}", str(path), "fix the YAML syntax") from exc
    return parse_config(data, str(path))


def parse_config(data: dict[str, Any], where: str = CONFIG_FILE) -> WorkspaceConfig:
    """Validate a configuration mapping, raising `ConfigError` that names the field."""
    try:
        return WorkspaceConfig.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise ConfigError(
            f"field '{field}': {first['msg']}",
            where,
            "see docs/configuration.md for the fields of journeylens.yaml",
        ) from exc


def dump_config(config: WorkspaceConfig) -> str:
    """The YAML text of a configuration."""
    return yaml.safe_dump(config.model_dump(mode="json", exclude_defaults=False), sort_keys=False)
