"""Checking a rule against its workspace and compiling it for the engine, in one pass.

What pydantic cannot know is checked here: field names and operators of every filter, journey
types the workspace defines, SLAs the journey maps give, action names the file's ``actions:``
section defines. Every issue carries its path inside the rule (``count.where.chanel``), which
the loader turns into a line.

Examples
--------
>>> from journeylens.realtime.rules.model import Rule
>>> rule = Rule.model_validate({"name": "late-move", "overdue": {"journey_type": "moving"}})
>>> compiled, issues = compile_rule(rule, CheckContext(journey_types=frozenset({"fault"})))
>>> compiled is None, [(i.path, i.message.split(";")[0]) for i in issues]
(True, [(('overdue', 'journey_type', 0), "unknown journey type 'moving'")])
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from journeylens.realtime.rules.conditions import (
    EVENT_FIELDS,
    FEEDBACK_FIELDS,
    Filter,
    Getter,
    Issue,
    Test,
    check_fields,
    compile_condition,
    compile_where,
    field_getter,
)
from journeylens.realtime.rules.model import (
    AbsenceSpec,
    CountSpec,
    FeedbackSpec,
    JourneySpec,
    OverdueSpec,
    Rule,
    SequenceSpec,
)


@dataclass(frozen=True)
class CheckContext:
    """What a rule may refer to; None means "do not check" (no workspace at hand).

    ``journey_types``: types the workspace cuts (definitions, designed maps, ``other``);
    ``sla``: SLA seconds per journey type (from ``journey_maps.yaml``); ``actions``: names of
    the file's ``actions:`` section.
    """

    journey_types: frozenset[str] | None = None
    sla: Mapping[str, int] | None = None
    actions: frozenset[str] | None = None


@dataclass(frozen=True)
class Compiled:
    """A rule ready for the engine: its filters compiled, its windows in seconds."""

    rule: Rule
    index: int
    filters: tuple[Filter, ...] = ()
    group: tuple[Getter, ...] = ()
    within: int | None = None
    at_least: int = 1
    journey_types: frozenset[str] | None = None
    kinds: frozenset[str] | None = None
    score: Test | None = None
    sentiment: Test | None = None
    measures: tuple[tuple[str, Test], ...] = ()

    @property
    def name(self) -> str:
        return self.rule.name

    @property
    def kind(self) -> str:
        return self.rule.kind

    def group_key(self, record: Any, step: Any) -> tuple[Any, ...] | None:
        """The values of the group-by fields (None when one is missing: not grouped)."""
        if not self.group:
            return ()
        values = tuple(get(record, step) for get in self.group)
        if any(v is None for v in values):
            return None
        return tuple(str(v) if isinstance(v, dict | list) else v for v in values)


def _where(
    where: Mapping[str, Any], path: tuple[Any, ...], fields: Mapping[str, Getter]
) -> tuple[Filter, list[Issue]]:
    compiled, issues = compile_where(where, fields)
    return compiled, [Issue((*path, *i.path), i.message, i.fix) for i in issues]


def _group(names: tuple[str, ...], path: tuple[Any, ...]) -> tuple[tuple[Getter, ...], list[Issue]]:
    issues = [Issue((*path, *i.path), i.message, i.fix) for i in check_fields(names, EVENT_FIELDS)]
    getters = tuple(g for g in (field_getter(n, EVENT_FIELDS) for n in names) if g is not None)
    return getters, issues


def _types(
    types: tuple[str, ...], path: tuple[Any, ...], ctx: CheckContext
) -> tuple[frozenset[str] | None, list[Issue]]:
    issues = []
    if ctx.journey_types is not None:
        known = ", ".join(sorted(ctx.journey_types)) or "none"
        for i, name in enumerate(types):
            if name not in ctx.journey_types:
                issues.append(
                    Issue(
                        (*path, i),
                        f"unknown journey type '{name}'; the workspace cuts {known}",
                        "define it in journeylens.yaml (journeys.definitions) or correct it",
                    )
                )
    return (frozenset(types) if types else None), issues


def _event(rule: Rule, ctx: CheckContext) -> tuple[dict[str, Any], list[Issue]]:
    where, issues = _where(rule.event or {}, ("event",), EVENT_FIELDS)
    return {"filters": (where,)}, issues


def _count(rule: Rule, ctx: CheckContext) -> tuple[dict[str, Any], list[Issue]]:
    spec: CountSpec = rule.spec
    where, issues = _where(spec.where, ("count", "where"), EVENT_FIELDS)
    group, more = _group(spec.group_by, ("count", "group_by"))
    return (
        {
            "filters": (where,),
            "group": group,
            "within": spec.within_seconds,
            "at_least": spec.at_least,
        },
        issues + more,
    )


def _sequence(rule: Rule, ctx: CheckContext) -> tuple[dict[str, Any], list[Issue]]:
    spec: SequenceSpec = rule.spec
    filters, issues = [], []
    for i, step in enumerate(spec.steps):
        compiled, found = _where(step, ("sequence", "steps", i), EVENT_FIELDS)
        filters.append(compiled)
        issues.extend(found)
    group, more = _group(spec.same, ("sequence", "same"))
    return {"filters": tuple(filters), "group": group, "within": spec.within_seconds}, [
        *issues,
        *more,
    ]


def _absence(rule: Rule, ctx: CheckContext) -> tuple[dict[str, Any], list[Issue]]:
    spec: AbsenceSpec = rule.spec
    after, issues = _where(spec.after, ("absence", "after"), EVENT_FIELDS)
    expect, more = _where(spec.expect, ("absence", "expect"), EVENT_FIELDS)
    group, most = _group(spec.same, ("absence", "same"))
    return {"filters": (after, expect), "group": group, "within": spec.within_seconds}, [
        *issues,
        *more,
        *most,
    ]


def _overdue(rule: Rule, ctx: CheckContext) -> tuple[dict[str, Any], list[Issue]]:
    spec: OverdueSpec = rule.spec
    types, issues = _types(spec.journey_type, ("overdue", "journey_type"), ctx)
    if spec.within_seconds is None and ctx.sla is not None:
        sla = ctx.sla
        known = ctx.journey_types
        missing = [t for t in spec.journey_type if t not in sla and (known is None or t in known)]
        if not sla:
            issues.append(
                Issue(
                    ("overdue", "within"),
                    "no journey map gives an SLA (journey_maps.yaml has none)",
                    "add sla: to the journey maps or give within: a duration (e.g. 14d)",
                )
            )
        for name in missing:
            issues.append(
                Issue(
                    ("overdue", "within"),
                    f"the journey map of '{name}' gives no SLA",
                    "add sla: to its map in journey_maps.yaml or give within: a duration",
                )
            )
    return {"journey_types": types, "within": spec.within_seconds}, issues


def _feedback(rule: Rule, ctx: CheckContext) -> tuple[dict[str, Any], list[Issue]]:
    spec: FeedbackSpec = rule.spec
    where, issues = _where(spec.where, ("feedback", "where"), FEEDBACK_FIELDS)
    out: dict[str, Any] = {"filters": (where,), "kinds": frozenset(spec.kind) or None}
    for name in ("score", "sentiment"):
        condition = getattr(spec, name)
        if condition is None:
            continue
        test, _, found = compile_condition(condition)
        issues.extend(Issue(("feedback", name, *i.path), i.message, i.fix) for i in found)
        out[name] = test
    if spec.score is None and spec.sentiment is None and not spec.where and not spec.kind:
        issues.append(
            Issue(("feedback",), "a feedback rule needs kind, where, score or sentiment", "")
        )
    return out, issues


def _journey(rule: Rule, ctx: CheckContext) -> tuple[dict[str, Any], list[Issue]]:
    spec: JourneySpec = rule.spec
    types, issues = _types(spec.journey_type, ("journey", "journey_type"), ctx)
    where, more = _where(spec.where, ("journey", "where"), EVENT_FIELDS)
    issues.extend(more)
    measures = []
    for name in (
        "steps",
        "handoffs",
        "channels",
        "assisted_contacts",
        "repeat_contacts",
        "duration",
        "stage",
        "off_map",
    ):
        condition = getattr(spec, name)
        if condition is None:
            continue
        test, _, found = compile_condition(condition, durations=name == "duration")
        issues.extend(Issue(("journey", name, *i.path), i.message, i.fix) for i in found)
        if test is not None:
            measures.append((name, test))
    return {"filters": (where,), "journey_types": types, "measures": tuple(measures)}, issues


_KINDS: dict[str, Callable[[Rule, CheckContext], tuple[dict[str, Any], list[Issue]]]] = {
    "event": _event,
    "count": _count,
    "sequence": _sequence,
    "absence": _absence,
    "overdue": _overdue,
    "feedback": _feedback,
    "journey": _journey,
}


def compile_rule(
    rule: Rule, ctx: CheckContext, index: int = 0
) -> tuple[Compiled | None, list[Issue]]:
    """Check a validated rule and compile it (None when it has issues)."""
    parts, issues = _KINDS[rule.kind](rule, ctx)
    if ctx.actions is not None:
        for i, name in enumerate(rule.actions):
            if name not in ctx.actions:
                known = ", ".join(sorted(ctx.actions)) or "none"
                issues.append(
                    Issue(
                        ("actions", i),
                        f"unknown action '{name}'; the actions: section defines {known}",
                        "define the action under actions: or correct its name",
                    )
                )
    if issues:
        return None, issues
    return Compiled(rule=rule, index=index, **parts), []
