"""Reading ``rules.yaml``: every problem with its file, line, rule and field.

`check_rules_text` collects *all* problems of a file (the structure by pydantic, then each
rule's filters, journey types, SLAs and action names by `journeylens.realtime.rules.check`);
`load_rules` raises `RulesError` listing them. A workspace keeps its rules in ``rules.yaml``
at its root (`RULES_FILE`).

Examples
--------
>>> text = '''
... rules:
...   - name: third-call
...     count: {where: {channel: phone}, at_least: 3, within: 7d}
...   - name: bad
...     count: {where: {chanel: phone}, at_least: 3, within: 7 days}
... '''
>>> result = check_rules_text(text, "rules.yaml")
>>> for p in result.problems: print(p)  # doctest: +ELLIPSIS
rules.yaml, line 6, rule 'bad', field 'count.within': '7 days' is not a duration; ...
>>> result = check_rules_text(text.replace("7 days", "7d"), "rules.yaml")
>>> print(result.problems[0])  # doctest: +ELLIPSIS
rules.yaml, line 6, rule 'bad', field 'count.where.chanel': unknown field 'chanel'; ...
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import ValidationError

from journeylens.errors import ConfigError
from journeylens.realtime.rules.check import CheckContext, Compiled, compile_rule
from journeylens.realtime.rules.model import Rule, RulesFile
from journeylens.realtime.rules.ruleset import RuleSet

if TYPE_CHECKING:
    from journeylens.analytics.journey_maps import JourneyMap
    from journeylens.config import WorkspaceConfig

#: Where a workspace keeps its moment rules (relative to its root).
RULES_FILE = "rules.yaml"
#: Where the language is documented (named in every error).
DOCS = "docs/realtime/rules.md"

_FIXES = {
    "extra_forbidden": "remove '{field}' or correct its spelling",
    "missing": "add '{field}'",
}


@dataclass(frozen=True)
class Problem:
    """One problem of a rules file: where it is and how to fix it."""

    file: str
    line: int | None
    rule: str | None
    field: str | None
    message: str
    fix: str = ""

    def where(self) -> str:
        """``file, line N, rule 'x', field 'y'`` (the parts that are known)."""
        parts = [self.file]
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.rule is not None:
            parts.append(f"rule '{self.rule}'")
        if self.field:
            parts.append(f"field '{self.field}'")
        return ", ".join(parts)

    def __str__(self) -> str:
        return f"{self.where()}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "file": self.file,
            "line": self.line,
            "rule": self.rule,
            "field": self.field,
            "message": self.message,
            "fix": self.fix,
        }


class RulesError(ConfigError):
    """A rules file with problems; ``problems`` lists every one (the message names the first)."""

    def __init__(self, problems: list[Problem]) -> None:
        first = problems[0]
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        fix = first.fix or "correct it"
        super().__init__(f"{first.message}{more}", first.where(), f"{fix}; see {DOCS}")
        self.problems = problems


@dataclass(frozen=True)
class RulesCheck:
    """The outcome of checking a rules file: its problems, and the rules when there are none."""

    source: str
    problems: list[Problem]
    rules: RuleSet | None

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``valid``, ``rules`` (count), ``problems``."""
        return {
            "file": self.source,
            "valid": self.ok,
            "rules": len(self.rules) if self.rules is not None else 0,
            "problems": [p.to_dict() for p in self.problems],
        }


def line_index(node: yaml.Node | None, path: tuple[Any, ...] = ()) -> dict[tuple[Any, ...], int]:
    """Line (1-based) of every key and item of a composed YAML document, by its path."""
    if node is None:
        return {}
    lines: dict[tuple[Any, ...], int] = {path: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            here = (*path, key.value)
            lines.update(line_index(value, here))
            lines[here] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines.update(line_index(item, (*path, i)))
    return lines


class _Locator:
    """Turns a path in the document into a problem with its line, rule and field."""

    def __init__(self, source: str, data: Any, lines: dict[tuple[Any, ...], int]) -> None:
        self.source = source
        self.data = data
        self.lines = lines

    def line(self, path: tuple[Any, ...]) -> int | None:
        for n in range(len(path), -1, -1):
            if path[:n] in self.lines:
                return self.lines[path[:n]]
        return None

    def rule_name(self, i: int) -> str:
        rules = self.data.get("rules") if isinstance(self.data, Mapping) else None
        item = rules[i] if isinstance(rules, list) and i < len(rules) else None
        name = item.get("name") if isinstance(item, Mapping) else None
        return str(name) if name else f"#{i + 1}"

    def problem(self, path: tuple[Any, ...], message: str, fix: str = "") -> Problem:
        rule, field_path = None, path
        if len(path) >= 2 and path[0] == "rules" and isinstance(path[1], int):
            rule, field_path = self.rule_name(path[1]), path[2:]
        field = ".".join(str(p) for p in field_path) or None
        return Problem(self.source, self.line(path), rule, field, message, fix)


def _pydantic_problems(
    exc: ValidationError, prefix: tuple[Any, ...], locate: _Locator
) -> list[Problem]:
    problems = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        fix = _FIXES.get(error["type"], "correct the value").format(field=loc[-1] if loc else "")
        problems.append(locate.problem((*prefix, *loc), message, fix))
    return problems


def action_names(actions: Any) -> frozenset[str] | None:
    """Names defined by an ``actions:`` section (a mapping by name, or a list of items with a
    ``name``); None when there is no section."""
    if actions is None:
        return None
    if isinstance(actions, Mapping):
        return frozenset(str(k) for k in actions)
    if isinstance(actions, list):
        return frozenset(
            str(item["name"]) for item in actions if isinstance(item, Mapping) and "name" in item
        )
    return frozenset()


def check_rules_data(
    data: Any,
    source: str = RULES_FILE,
    context: CheckContext | None = None,
    lines: dict[tuple[Any, ...], int] | None = None,
) -> RulesCheck:
    """Check rules given as plain data (the parsed YAML); see `check_rules_text`."""
    locate = _Locator(source, data, lines or {})
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        problem = locate.problem((), "expected a mapping with a 'rules:' list", "see the docs")
        return RulesCheck(source, [problem], None)
    try:
        top = RulesFile.model_validate(dict(data))
    except ValidationError as exc:
        return RulesCheck(source, _pydantic_problems(exc, (), locate), None)
    context = context or CheckContext()
    if context.actions is None:
        context = CheckContext(context.journey_types, context.sla, action_names(top.actions))
    problems: list[Problem] = []
    compiled: list[Compiled] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(top.rules):
        try:
            rule = Rule.model_validate(item)
        except ValidationError as exc:
            problems.extend(_pydantic_problems(exc, ("rules", i), locate))
            continue
        if rule.name in seen:
            problems.append(
                locate.problem(
                    ("rules", i, "name"),
                    f"the name '{rule.name}' is already used by rule #{seen[rule.name] + 1}",
                    "give every rule its own name",
                )
            )
            continue
        seen[rule.name] = i
        done, issues = compile_rule(rule, context, index=len(compiled))
        problems.extend(locate.problem(("rules", i, *x.path), x.message, x.fix) for x in issues)
        if done is not None:
            compiled.append(done)
    if problems:
        problems.sort(key=lambda p: p.line or 0)
        return RulesCheck(source, problems, None)
    return RulesCheck(source, [], RuleSet(compiled, top.settings, top.actions, source))


def check_rules_text(
    text: str, source: str = RULES_FILE, context: CheckContext | None = None
) -> RulesCheck:
    """Check the YAML text of a rules file: every problem, with its line, rule and field."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        line = mark.line + 1 if mark is not None else None
        return RulesCheck(
            source,
            [Problem(source, line, None, None, f"not valid YAML: {problem}", "fix the YAML")],
            None,
        )
    result = check_rules_data(data, source, context, line_index(node))
    extra = _action_problems(data, source, node)
    if not extra:
        return result
    problems = sorted([*result.problems, *extra], key=lambda p: p.line or 0)
    return RulesCheck(source, problems, None)


_ACTION_PROBLEM = re.compile(r"^(?P<file>.*?):(?P<line>\d+|None): (?P<field>[^:]+): (?P<msg>.*)$")


def _action_problems(data: Any, source: str, node: yaml.Node | None) -> list[Problem]:
    """Problems of the ``actions:`` section, as the action centre reads it."""
    if not isinstance(data, Mapping) or (data.get("actions") is None and not data.get("settings")):
        return []
    from journeylens.realtime.actions.settings import parse_actions

    try:
        parse_actions(data, source, node)
    except ConfigError as exc:
        problems = []
        for text in exc.what.splitlines():
            match = _ACTION_PROBLEM.match(text)
            if match is None:
                problems.append(Problem(source, None, None, None, text, exc.fix))
                continue
            if not match["field"].startswith("actions"):
                continue  # rules and settings are checked here already
            line = match["line"]
            problems.append(
                Problem(
                    source,
                    int(line) if line.isdigit() else None,
                    None,
                    match["field"],
                    match["msg"],
                    exc.fix,
                )
            )
        return problems
    return []


def check_rules_file(path: Path | str, context: CheckContext | None = None) -> RulesCheck:
    """Check a rules file (a missing file is a problem too)."""
    path = Path(path)
    if not path.exists():
        problem = Problem(str(path), None, None, None, "no rules file", f"write one (see {DOCS})")
        return RulesCheck(str(path), [problem], None)
    return check_rules_text(path.read_text(encoding="utf-8"), str(path), context)


def load_rules(path: Path | str, context: CheckContext | None = None) -> RuleSet:
    """Read and check a rules file.

    Raises
    ------
    RulesError
        Listing every problem (file, line, rule, field, how to fix).
    """
    result = check_rules_file(path, context)
    if result.rules is None:
        raise RulesError(result.problems)
    return result.rules


def rules_from_data(data: Any, context: CheckContext | None = None) -> RuleSet:
    """Rules from plain data (tests, notebooks); raises `RulesError` on problems."""
    result = check_rules_data(data, "rules", context)
    if result.rules is None:
        raise RulesError(result.problems)
    return result.rules


def workspace_context(
    root: Path, config: WorkspaceConfig, maps: Mapping[str, JourneyMap] | None = None
) -> CheckContext:
    """What the rules of a workspace may refer to: its journey types and the SLAs of its maps
    (``maps``, else ``journey_maps.yaml`` when present)."""
    from journeylens.analytics.journey_maps import MAPS_FILE, load_journey_maps
    from journeylens.journeys.segment import OTHER_TYPE

    types = {d.name for d in config.journeys.definitions} | {OTHER_TYPE}
    if maps is None and (root / MAPS_FILE).exists():
        maps = load_journey_maps(root / MAPS_FILE)
    sla: dict[str, int] = {}
    if maps is not None:
        types |= set(maps)
        sla = {name: m.sla_seconds for name, m in maps.items() if m.sla_seconds is not None}
    for definition in config.journeys.definitions:
        types |= set(definition.topics)
    return CheckContext(journey_types=frozenset(types), sla=sla)


def workspace_rules_path(root: Path) -> Path:
    """Where the workspace keeps its rules."""
    return root / RULES_FILE


def check_workspace_rules(
    root: Path, config: WorkspaceConfig, path: Path | str | None = None
) -> RulesCheck:
    """Check the workspace's ``rules.yaml`` (or ``path``) against its journeys and maps."""
    target = Path(path) if path is not None else workspace_rules_path(root)
    try:
        context = workspace_context(root, config)
    except ConfigError as exc:
        problem = Problem(str(exc.where), None, None, None, exc.what, exc.fix)
        return RulesCheck(str(target), [problem], None)
    return check_rules_file(target, context)


def load_workspace_rules(ws: Any) -> RuleSet:
    """The workspace's rules (none when it has no ``rules.yaml``); raises `RulesError`."""
    path = workspace_rules_path(ws.root)
    if not path.exists():
        return RuleSet.empty()
    result = check_workspace_rules(ws.root, ws.config, path)
    if result.rules is None:
        raise RulesError(result.problems)
    return result.rules
