"""Filters of moment rules: a mapping from a field to a condition, compiled to a predicate.

A condition is a value (equal to it), a list (one of them), or a mapping of operators that
must all hold: ``eq``, ``ne``, ``in``, ``not_in``, ``gt``, ``gte``, ``lt``, ``lte``,
``exists`` (true/false), ``regex`` (a search), ``contains`` (a substring). Fields of events:
``channel``, ``activity``, ``initiator``, ``topic``, ``outcome``, ``journey_key`` (the
source's), the identifier fields (``customer_id`` …), ``attributes.<name>`` (dots reach into
nested objects) and, from the live journey, ``assisted``, ``handoff``, ``step``,
``journey_type`` and ``stage``. Fields of feedback: ``kind``, ``score``, ``channel``, ``text``,
``event_id``, ``journey_key``, the identifier fields and ``attributes.<name>``.

Conditions on ``activity``, ``channel`` and ``journey_type`` that list values (equality or
``in``) become the keys of the engine's index, so an event is only offered to rules that can
match it.

Examples
--------
>>> f, issues = compile_where({"channel": ["phone", "chat"], "attributes.reason": "double"},
...                           EVENT_FIELDS)
>>> sorted(f.channels), f.activities, issues
(['chat', 'phone'], None, [])
>>> _, issues = compile_where({"chanel": "web", "score": {"gt": "x", "lt": 3}}, EVENT_FIELDS)
>>> [(i.path, i.message.split(";")[0]) for i in issues]
[(('chanel',), "unknown field 'chanel'"), (('score',), "unknown field 'score'")]
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from journeylens.config import parse_duration
from journeylens.store.schema import IDENTIFIER_FIELDS

Getter = Callable[[Any, Any], Any]
Test = Callable[[Any], bool]


@dataclass(frozen=True)
class Issue:
    """A problem in a rule, at ``path`` (relative to where the checker looked)."""

    path: tuple[Any, ...]
    message: str
    fix: str = ""


def _attribute(path: tuple[str, ...]) -> Getter:
    head, rest = path[0], path[1:]

    def get_attribute(record: Any, _step: Any) -> Any:
        value = record.attributes.get(head)
        for part in rest:
            if not isinstance(value, Mapping):
                return None
            value = value.get(part)
        return value

    return get_attribute


def _identifier(name: str) -> Getter:
    return lambda record, _step: record.identifiers.get(name)


def _field(name: str) -> Getter:
    return lambda record, _step: getattr(record, name)


EVENT_FIELDS: dict[str, Getter] = {
    **{name: _field(name) for name in ("channel", "activity", "initiator", "topic", "outcome")},
    "journey_key": _field("journey_key"),
    **{name: _identifier(name) for name in IDENTIFIER_FIELDS},
    "assisted": lambda _e, step: step.assisted,
    "handoff": lambda _e, step: step.handoff,
    "step": lambda _e, step: step.step,
    "journey_type": lambda _e, step: step.journey.journey_type,
    "stage": lambda _e, step: step.journey.stage,
}

FEEDBACK_FIELDS: dict[str, Getter] = {
    **{
        name: _field(name)
        for name in ("kind", "score", "channel", "text", "event_id", "journey_key")
    },
    **{name: _identifier(name) for name in IDENTIFIER_FIELDS},
}

#: Fields whose listed values index the engine.
INDEXED = ("activity", "channel", "journey_type")


def field_getter(name: str, fields: Mapping[str, Getter]) -> Getter | None:
    """The getter of a field name (``attributes.x.y`` included); None when unknown."""
    if name in fields:
        return fields[name]
    head, dot, rest = name.partition(".")
    if head == "attributes" and dot and rest and all(rest.split(".")):
        return _attribute(tuple(rest.split(".")))
    return None


def unknown_field(name: str, fields: Mapping[str, Getter]) -> Issue:
    """The issue of a field nobody knows, listing the ones that exist."""
    return Issue(
        (name,),
        f"unknown field '{name}'; fields are {', '.join(fields)} and attributes.<name>",
        "correct the field's name",
    )


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


# -- operators: how each reads its argument, and the test it makes of it --------------------


def _one(arg: Any, durations: bool) -> Any:
    if not _scalar(arg):
        raise ValueError("takes one plain value")
    return arg


def _values(arg: Any, durations: bool) -> frozenset[Any]:
    if not isinstance(arg, list | tuple) or not all(_scalar(v) for v in arg):
        raise ValueError("takes a list of plain values, e.g. [a, b]")
    return frozenset(arg)


def _bound(arg: Any, durations: bool) -> float:
    if isinstance(arg, int | float) and not isinstance(arg, bool):
        return float(arg)
    if durations and isinstance(arg, str):
        try:
            return float(parse_duration(arg))
        except ValueError:
            pass
    kind = "a number or a duration (45s, 30m, 12h, 7d)" if durations else "a number"
    raise ValueError(f"takes {kind}, not {arg!r}")


def _flag(arg: Any, durations: bool) -> bool:
    if not isinstance(arg, bool):
        raise ValueError("takes true or false")
    return arg


def _pattern(arg: Any, durations: bool) -> re.Pattern[str]:
    try:
        return re.compile(str(arg))
    except re.error as exc:
        raise ValueError(f"'{arg}' is not a regular expression: {exc}") from exc


def _text(arg: Any, durations: bool) -> str:
    return str(arg)


def _ordered(compare: Callable[[Any, float], bool]) -> Callable[[float], Test]:
    def make(bound: float) -> Test:
        def test(value: Any) -> bool:
            if value is None or isinstance(value, str):
                return False
            try:
                return compare(value, bound)
            except TypeError:
                return False

        return test

    return make


def _equal(arg: Any) -> Test:
    return lambda value: bool(value == arg)


def _unequal(arg: Any) -> Test:
    return lambda value: bool(value != arg)


def _member(values: frozenset[Any]) -> Test:
    return lambda value: value in values


def _not_member(values: frozenset[Any]) -> Test:
    return lambda value: value not in values


def _exists(flag: bool) -> Test:
    return lambda value: (value is not None) is flag


def _searches(pattern: re.Pattern[str]) -> Test:
    return lambda value: isinstance(value, str) and pattern.search(value) is not None


def _holds(text: str) -> Test:
    return lambda value: isinstance(value, str) and text in value


#: Operator -> (read its argument, make the test).
_OPS: dict[str, tuple[Callable[[Any, bool], Any], Callable[[Any], Test]]] = {
    "eq": (_one, _equal),
    "ne": (_one, _unequal),
    "in": (_values, _member),
    "not_in": (_values, _not_member),
    "gt": (_bound, _ordered(lambda v, b: bool(v > b))),
    "gte": (_bound, _ordered(lambda v, b: bool(v >= b))),
    "lt": (_bound, _ordered(lambda v, b: bool(v < b))),
    "lte": (_bound, _ordered(lambda v, b: bool(v <= b))),
    "exists": (_flag, _exists),
    "regex": (_pattern, _searches),
    "contains": (_text, _holds),
}
OPERATORS: tuple[str, ...] = tuple(_OPS)


def compile_condition(
    condition: Any, *, durations: bool = False
) -> tuple[Test | None, frozenset[Any] | None, list[Issue]]:
    """A condition as a test, the values it lists (equality / ``in``), and its issues.

    ``durations`` lets comparisons take durations (``{gt: 2d}``: seconds).

    Examples
    --------
    >>> test, listed, _ = compile_condition({"gte": 3, "lt": 5})
    >>> [test(v) for v in (2, 3, 4.5, 5, None, "x")], listed
    ([False, True, True, False, False, False], None)
    >>> compile_condition({"in": ["a", "b"]})[1] == frozenset({"a", "b"})
    True
    >>> compile_condition({"regex": "("})[2][0].message  # doctest: +ELLIPSIS
    "'regex' '(' is not a regular expression: ..."
    """
    if _scalar(condition):
        return _equal(condition), frozenset([condition]), []
    if isinstance(condition, list | tuple):
        if not condition or not all(_scalar(v) for v in condition):
            return None, None, [Issue((), "a list condition takes plain values", "list values")]
        values = frozenset(condition)
        return _member(values), values, []
    if not isinstance(condition, Mapping) or not condition:
        fix = "write a value, a list, or e.g. {gte: 3}"
        return None, None, [Issue((), "a condition is a value, a list or {operator: value}", fix)]
    tests: list[Test] = []
    issues: list[Issue] = []
    listed: frozenset[Any] | None = None
    for op, arg in condition.items():
        if op not in _OPS:
            fix = f"use one of {', '.join(OPERATORS)}"
            issues.append(Issue((op,), f"unknown operator '{op}'", fix))
            continue
        read, make = _OPS[op]
        try:
            value = read(arg, durations)
        except ValueError as exc:
            issues.append(Issue((op,), f"'{op}' {exc}", "correct the value"))
            continue
        tests.append(make(value))
        if op in ("eq", "in"):
            listed = frozenset([value]) if op == "eq" else value
    if issues:
        return None, None, issues
    if len(tests) == 1:
        return tests[0], listed, []
    every = tuple(tests)
    return (lambda value: all(t(value) for t in every)), listed, []


@dataclass(frozen=True)
class Filter:
    """A compiled filter: indexed values (None: any) and the remaining checks."""

    activities: frozenset[str] | None = None
    channels: frozenset[str] | None = None
    journey_types: frozenset[str] | None = None
    checks: tuple[tuple[Getter, Test], ...] = ()

    def matches(self, record: Any, step: Any = None) -> bool:
        """Whether a record (and its journey step) passes every condition."""
        if self.activities is not None and record.activity not in self.activities:
            return False
        if self.channels is not None and record.channel not in self.channels:
            return False
        if self.journey_types is not None and step.journey.journey_type not in self.journey_types:
            return False
        for get, test in self.checks:  # noqa: SIM110  (a loop is faster than all(generator))
            if not test(get(record, step)):
                return False
        return True

    def checks_match(self, record: Any, step: Any = None) -> bool:
        """`matches` for a record already known to pass the indexed conditions (the engine's
        index only offers such records to a rule with one filter)."""
        for get, test in self.checks:  # noqa: SIM110
            if not test(get(record, step)):
                return False
        return True

    def admits(self, activity: str, channel: str, journey_type: str) -> bool:
        """Whether an event of this activity, channel and journey type could match."""
        return (
            (self.activities is None or activity in self.activities)
            and (self.channels is None or channel in self.channels)
            and (self.journey_types is None or journey_type in self.journey_types)
        )


def compile_where(
    where: Mapping[str, Any], fields: Mapping[str, Getter]
) -> tuple[Filter, list[Issue]]:
    """Compile a filter; every issue names its field (and operator).

    Only event filters index ``activity``/``channel``/``journey_type`` (feedback records
    carry no activity: their conditions are all checks).
    """
    indexed: dict[str, frozenset[Any]] = {}
    checks: list[tuple[Getter, Test]] = []
    issues: list[Issue] = []
    by_index = fields is EVENT_FIELDS
    for name, condition in where.items():
        getter = field_getter(str(name), fields)
        if getter is None:
            issues.append(unknown_field(str(name), fields))
            continue
        test, listed, found = compile_condition(condition)
        issues.extend(Issue((name, *i.path), i.message, i.fix) for i in found)
        if test is None:
            continue
        if by_index and name in INDEXED and listed is not None and _only_listing(condition):
            indexed[name] = frozenset(str(v) for v in listed)
        else:
            checks.append((getter, test))
    # cheap fields first: attributes may need parsing (replay keeps them as JSON until read)
    checks.sort(key=lambda check: check[0].__name__ == "get_attribute")
    return (
        Filter(
            activities=indexed.get("activity"),
            channels=indexed.get("channel"),
            journey_types=indexed.get("journey_type"),
            checks=tuple(checks),
        ),
        issues,
    )


def _only_listing(condition: Any) -> bool:
    """True when a condition says no more than "one of these values"."""
    if isinstance(condition, str | list | tuple):
        return all(
            isinstance(v, str) for v in ([condition] if isinstance(condition, str) else condition)
        )
    return isinstance(condition, Mapping) and set(condition) <= {"eq", "in"} and len(condition) == 1


def check_fields(names: Iterable[str], fields: Mapping[str, Getter]) -> list[Issue]:
    """Issues of group-by / same field names."""
    return [
        Issue((i,), unknown_field(name, fields).message, "correct the field's name")
        for i, name in enumerate(names)
        if field_getter(name, fields) is None
    ]
