"""The shape of ``rules.yaml``: pydantic models of a rule and of each kind of rule.

A rule names exactly one *kind* (``event``, ``count``, ``sequence``, ``absence``, ``overdue``,
``feedback`` or ``journey``); filters (``where``, sequence steps, ``after``/``expect``) are
mappings from a field to a condition, checked field by field in `journeylens.realtime.rules.
conditions` (so that an error can name the exact field and line). See docs/realtime/rules.md.

Examples
--------
>>> rule = Rule.model_validate({"name": "calls", "count": {
...     "where": {"channel": "phone"}, "at_least": 3, "within": "7d", "group_by": ["topic"]}})
>>> rule.kind, rule.spec.within_seconds, rule.priority, rule.enabled
('count', 604800, 0, True)
>>> Rule.model_validate({"name": "x"})  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
pydantic_core._pydantic_core.ValidationError: 1 validation error for Rule
...
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from journeylens.config import parse_duration
from journeylens.store.schema import FEEDBACK_KINDS

#: The kinds of rule, in the order the docs present them.
KINDS: tuple[str, ...] = ("event", "count", "sequence", "absence", "overdue", "feedback", "journey")

#: A filter as written: field -> condition (see `journeylens.realtime.rules.conditions`).
Where = dict[str, Any]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _duration(value: str | int) -> str | int:
    parse_duration(value)
    return value


class CountSpec(_Strict):
    """At least ``at_least`` matching events within ``within`` (per ``group_by`` values)."""

    where: Where = Field(default_factory=dict)
    at_least: int = Field(ge=1)
    within: str | int
    group_by: tuple[str, ...] = ()

    _valid_within = field_validator("within")(_duration)

    @property
    def within_seconds(self) -> int:
        return parse_duration(self.within)


class SequenceSpec(_Strict):
    """Events matching ``steps`` in this order, first to last within ``within`` (with equal
    values of the ``same`` fields)."""

    steps: tuple[Where, ...] = Field(min_length=2)
    within: str | int
    same: tuple[str, ...] = ()

    _valid_within = field_validator("within")(_duration)

    @property
    def within_seconds(self) -> int:
        return parse_duration(self.within)


class AbsenceSpec(_Strict):
    """An ``after`` event not followed by an ``expect`` event within ``within``."""

    after: Where
    expect: Where
    within: str | int
    same: tuple[str, ...] = ()

    _valid_within = field_validator("within")(_duration)

    @property
    def within_seconds(self) -> int:
        return parse_duration(self.within)


class OverdueSpec(_Strict):
    """A journey not completed (end activity reached) within its SLA or ``within``."""

    journey_type: tuple[str, ...] = ()
    within: str | int = "sla"

    @field_validator("journey_type", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value

    @field_validator("within")
    @classmethod
    def _sla_or_duration(cls, value: str | int) -> str | int:
        if value != "sla":
            parse_duration(value)
        return value

    @property
    def within_seconds(self) -> int | None:
        """The fixed limit (None: each journey type's SLA from its map)."""
        return None if self.within == "sla" else parse_duration(self.within)


class FeedbackSpec(_Strict):
    """A feedback record of ``kind`` whose ``score`` / ``sentiment`` meet their conditions."""

    kind: tuple[str, ...] = ()
    where: Where = Field(default_factory=dict)
    score: Any = None
    sentiment: Any = None

    @field_validator("kind", mode="before")
    @classmethod
    def _kinds(cls, value: Any) -> Any:
        value = (value,) if isinstance(value, str) else value
        unknown = (
            sorted(set(value) - set(FEEDBACK_KINDS)) if isinstance(value, list | tuple) else []
        )
        if unknown:
            raise ValueError(
                f"unknown feedback kind {', '.join(unknown)}; use {', '.join(FEEDBACK_KINDS)}"
            )
        return value


class JourneySpec(_Strict):
    """The state of the event's journey: every condition given must hold (fires once per
    journey, on the first event at which they all do)."""

    journey_type: tuple[str, ...] = ()
    where: Where = Field(default_factory=dict)
    steps: Any = None
    handoffs: Any = None
    channels: Any = None
    assisted_contacts: Any = None
    repeat_contacts: Any = None
    duration: Any = None
    stage: Any = None
    off_map: Any = None

    @field_validator("journey_type", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _something(self) -> JourneySpec:
        if all(getattr(self, name) is None for name in JOURNEY_MEASURES):
            raise ValueError(f"give at least one journey condition: {', '.join(JOURNEY_MEASURES)}")
        return self


#: Journey measures a ``journey`` rule may test (``duration`` takes durations: ``{gt: 2d}``).
JOURNEY_MEASURES: tuple[str, ...] = (
    "steps",
    "handoffs",
    "channels",
    "assisted_contacts",
    "repeat_contacts",
    "duration",
    "stage",
    "off_map",
)


class Rule(_Strict):
    """One moment rule: who it is, when it fires, what it asks for."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    description: str = ""
    priority: int = 0
    enabled: bool = True
    actions: tuple[str, ...] = ()
    holdout: float | None = Field(default=None, ge=0.0, lt=1.0)
    cooldown: str | int | None = None
    event: Where | None = None
    count: CountSpec | None = None
    sequence: SequenceSpec | None = None
    absence: AbsenceSpec | None = None
    overdue: OverdueSpec | None = None
    feedback: FeedbackSpec | None = None
    journey: JourneySpec | None = None

    @field_validator("cooldown")
    @classmethod
    def _valid_cooldown(cls, value: str | int | None) -> str | int | None:
        return None if value is None else _duration(value)

    @model_validator(mode="after")
    def _one_kind(self) -> Rule:
        given = [kind for kind in KINDS if getattr(self, kind) is not None]
        if len(given) != 1:
            found = f"found {', '.join(given)}" if given else "found none"
            raise ValueError(f"a rule needs exactly one of {', '.join(KINDS)} ({found})")
        return self

    @property
    def kind(self) -> str:
        """The rule's kind (one of `KINDS`)."""
        return next(kind for kind in KINDS if getattr(self, kind) is not None)

    @property
    def spec(self) -> Any:
        """The kind's settings (for ``event``: the filter mapping)."""
        return getattr(self, self.kind)

    @property
    def cooldown_seconds(self) -> int | None:
        return None if self.cooldown is None else parse_duration(self.cooldown)


class RuleSettings(_Strict):
    """File-wide settings (the ``settings:`` section)."""

    #: How late an event may arrive (event time behind the newest seen) and still count;
    #: absence deadlines are decided only once the watermark (newest - lateness) passes them.
    lateness: str | int = 0
    #: How long a fired moment stays *active* on the customer's context.
    active_for: str | int = "7d"
    #: What decides deadlines on the live path: the wall clock (the server's timer) or the
    #: records' own times ("event": for replaying a recorded stream through the live API).
    clock: Literal["wall", "event"] = "wall"
    #: Default share of each rule's moments that gets no action (the action centre's).
    holdout: float | None = Field(default=None, ge=0.0, lt=1.0)

    _valid = field_validator("lateness", "active_for")(_duration)

    @property
    def lateness_seconds(self) -> int:
        return parse_duration(self.lateness)

    @property
    def active_for_seconds(self) -> int:
        return parse_duration(self.active_for)


class RulesFile(_Strict):
    """The top level of ``rules.yaml`` (``actions:`` belongs to the action centre)."""

    version: Literal[1] = 1
    settings: RuleSettings = Field(default_factory=RuleSettings)
    rules: list[Any] = Field(default_factory=list)
    actions: Any = None
