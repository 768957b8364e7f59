"""The rules file: its checks name the file, line, rule and field of every problem."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import pytest

from journeylens.demo import config as demo_config
from journeylens.demo import journey_maps
from journeylens.errors import ConfigError
from journeylens.realtime.rules.check import CheckContext
from journeylens.realtime.rules.conditions import compile_condition
from journeylens.realtime.rules.loader import (
    RulesError,
    check_rules_text,
    check_workspace_rules,
    load_rules,
    rules_from_data,
)
from journeylens.workspace import init

BAD = """\
version: 1
rules:
  - name: fine
    event: {channel: phone}
  - name: typo-field
    count:
      where:
        chanel: phone
        outcome: {gt: many}
      at_least: 3
      within: 7d
  - name: bad-window
    sequence:
      steps: [{activity: a}, {activity: b}]
      within: soon
  - name: fine
    event: {channel: web}
  - name: two-kinds
    event: {channel: web}
    count: {at_least: 2, within: 1d}
  - name: typo-operator
    event:
      activity: {regex: "("}
      topic: {one_of: [a]}
"""


def _problems(text: str, context: CheckContext | None = None) -> list[tuple[object, ...]]:
    result = check_rules_text(text, "rules.yaml", context)
    assert result.rules is None
    return [(p.line, p.rule, p.field, p.message.split(";")[0]) for p in result.problems]


def test_every_problem_names_its_line_rule_and_field() -> None:
    assert _problems(BAD) == [
        (8, "typo-field", "count.where.chanel", "unknown field 'chanel'"),
        (9, "typo-field", "count.where.outcome.gt", "'gt' takes a number, not 'many'"),
        (15, "bad-window", "sequence.within", "'soon' is not a duration"),
        (16, "fine", "name", "the name 'fine' is already used by rule #1"),
        (
            18,
            "two-kinds",
            None,
            "a rule needs exactly one of event, count, sequence, absence, overdue, feedback, "
            "journey (found event, count)",
        ),
        (
            23,
            "typo-operator",
            "event.activity.regex",
            "'regex' '(' is not a regular expression: missing ), unterminated subpattern at "
            "position 0",
        ),
        (24, "typo-operator", "event.topic.one_of", "unknown operator 'one_of'"),
    ]


def test_workspace_context_checks_types_slas_and_actions() -> None:
    text = """\
settings: {lateness: 5m}
rules:
  - name: late-move
    overdue: {journey_type: [moving, parking]}
  - name: late-other
    overdue: {journey_type: other}
  - name: alerts
    event: {channel: phone}
    actions: [alert, page-the-ceo]
actions:
  alert: {type: alert}
"""
    context = CheckContext(journey_types=frozenset({"moving", "other"}), sla={"moving": 14 * 86400})
    assert _problems(text, context) == [
        (4, "late-move", "overdue.journey_type.1", "unknown journey type 'parking'"),
        (6, "late-other", "overdue.within", "the journey map of 'other' gives no SLA"),
        (9, "alerts", "actions.1", "unknown action 'page-the-ceo'"),
    ]


def test_the_actions_section_is_checked_as_the_action_centre_reads_it() -> None:
    text = "rules:\n  - name: a\n    event: {channel: phone}\n    actions: [x]\n" + (
        "actions:\n  x: {type: webhook, url: ftp://nowhere, secret_env: S}\n"
    )
    result = check_rules_text(text, "rules.yaml")
    assert [(p.line, p.field) for p in result.problems] == [(6, "actions.x.url")]
    assert "http" in result.problems[0].message


def test_yaml_syntax_errors_have_a_line() -> None:
    result = check_rules_text("rules:\n  - name: a\n    event: {channel: [phone\n", "r.yaml")
    (problem,) = result.problems
    assert problem.line is not None and problem.message.startswith("not valid YAML")


def test_load_raises_one_error_listing_all(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(BAD, encoding="utf-8")
    with pytest.raises(RulesError) as caught:
        load_rules(path)
    assert isinstance(caught.value, ConfigError)
    assert len(caught.value.problems) == 7
    assert str(caught.value).startswith(
        f"{path}, line 8, rule 'typo-field', field 'count.where.chanel': unknown field 'chanel'"
    )
    assert "(and 6 more problems)" in str(caught.value)


CONDITIONS: list[tuple[object, list[object], list[object]]] = [
    ("phone", ["phone"], ["web", None]),
    (["a", "b"], ["a", "b"], ["c"]),
    ({"ne": "x"}, ["y", None], ["x"]),
    ({"exists": False}, [None], ["x", 0]),
    ({"contains": "err"}, ["form_error"], ["ok", None, 3]),
    ({"not_in": ["a"]}, ["b", None], ["a"]),
    ({"gte": 3, "lt": 5}, [3, 4.5], [2, 5, None, "4"]),
    ({"regex": "^move_"}, ["move_form_error"], ["form_move", None]),
]


@pytest.mark.parametrize(("condition", "yes", "no"), CONDITIONS)
def test_conditions_compile_to_exact_tests(
    condition: object, yes: list[object], no: list[object]
) -> None:
    test, _, issues = compile_condition(condition)
    assert not issues and test is not None
    assert [test(v) for v in yes] == [True] * len(yes)
    assert [test(v) for v in no] == [False] * len(no)


def test_comparisons_take_durations_where_allowed() -> None:
    duration, _, _ = compile_condition({"gt": "2d"}, durations=True)
    assert duration is not None and duration(2 * 86400 + 1) and not duration(2 * 86400)
    _, _, issues = compile_condition({"gt": "2d"})
    assert issues[0].message == "'gt' takes a number, not '2d'"


def test_rule_settings_and_switches() -> None:
    rules = rules_from_data(
        {
            "settings": {"lateness": "10m", "clock": "event", "holdout": 0.1},
            "rules": [
                {"name": "a", "event": {"channel": "phone"}, "enabled": False, "holdout": 0.2},
                {"name": "b", "event": {"channel": "web"}, "cooldown": "1h", "priority": 3},
            ],
        }
    )
    assert rules.settings.lateness_seconds == 600 and rules.settings.clock == "event"
    assert rules.switches() == {"a": False, "b": True}
    only = rules.only("a")
    assert only.names() == ["a"] and only.is_enabled("a")
    assert [r["cooldown_seconds"] for r in rules.describe()] == [None, 3600]


def test_the_demo_rules_are_valid_for_the_demo_workspace(tmp_path: Path) -> None:
    ws = init(tmp_path / "ws", config={"journeys": demo_config()})
    ws.close()
    import yaml

    (tmp_path / "ws" / "journey_maps.yaml").write_text(yaml.safe_dump(journey_maps()), "utf-8")
    source = resources.files("journeylens.demo").joinpath("rules.yaml")
    with resources.as_file(source) as path:
        shutil.copyfile(path, tmp_path / "ws" / "rules.yaml")
    result = check_workspace_rules(tmp_path / "ws", ws.config)
    assert result.ok, result.problems
    assert result.rules is not None and len(result.rules) >= 10
    kinds = {rule.kind for rule in result.rules}
    assert kinds == {"event", "count", "sequence", "absence", "overdue", "feedback", "journey"}
