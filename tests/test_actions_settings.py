"""The actions: section of rules.yaml: what is accepted, and errors with file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from journeylens.errors import ConfigError
from journeylens.realtime.actions.settings import (
    NextBestAction,
    WebhookAction,
    load_actions,
    seconds,
)
from journeylens.realtime.rules.loader import check_rules_text

GOOD = """\
version: 1
settings:
  holdout: 0.1
rules:
  - name: third-contact
    count: {where: {channel: phone}, at_least: 3, within: 7d}
    holdout: 0.25
    actions: [crm, offer]
  - name: quiet
    event: {activity: login}
    actions: [ops]
actions:
  crm:
    type: webhook
    url: https://crm.example.com/hooks/journeylens?tenant=7
    secret_env: JOURNEYLENS_CRM_SECRET
    timeout: 3s
    max_attempts: 4
    backoff: 250ms
    max_backoff: 2m
  offer: {type: next_best_action, text: Offer a call back, channel: phone}
  ops: {type: alert, severity: critical}
"""


def test_a_good_file_reads_and_the_rules_checker_accepts_it(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(GOOD)
    settings = load_actions(path)
    crm = settings.actions["crm"]
    assert isinstance(crm, WebhookAction)
    assert (crm.timeout_seconds, crm.max_attempts, crm.backoff_seconds) == (3.0, 4, 0.25)
    assert crm.max_backoff_seconds == 120.0
    assert isinstance(settings.actions["offer"], NextBestAction)
    assert settings.holdout_for("third-contact") == 0.25
    assert settings.holdout_for("quiet") == 0.1
    assert settings.missing_secrets({}) == {"crm": "JOURNEYLENS_CRM_SECRET"}
    assert settings.missing_secrets({"JOURNEYLENS_CRM_SECRET": "x"}) == {}
    assert settings.unknown_actions({"r": ["crm", "sms"]}) == [
        "rule 'r' names action 'sms', which is not defined under actions: "
        "(defined: crm, offer, ops)"
    ]
    described = {row["name"]: row for row in settings.describe()}
    assert described["crm"]["target"] == "https://crm.example.com"  # no path, query or secret
    assert check_rules_text(GOOD).problems == []  # the same file passes the rules' checks


def test_no_file_means_no_actions_and_no_holdout(tmp_path: Path) -> None:
    settings = load_actions(tmp_path / "rules.yaml")
    assert settings.actions == {} and settings.holdout_for("any") == 0.0


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "url: https://crm.example.com/hooks/journeylens?tenant=7",
            "url: crm.example.com/hooks",
            ":15: actions.crm.url: a webhook url starts with http:// or https://",
        ),
        (
            "secret_env: JOURNEYLENS_CRM_SECRET",
            "secret_env: sk_live 0123",
            ":16: actions.crm.secret_env: 'sk_live 0123' is not an environment variable name",
        ),
        ("timeout: 3s", "timeout: soon", ":17: actions.crm.timeout: 'soon' is not a duration"),
        (
            "max_attempts: 4",
            "max_attempts: 0",
            ":18: actions.crm.max_attempts: Input should be greater than or equal to 1",
        ),
        (
            "severity: critical",
            "severity: urgent",
            ":22: actions.ops.severity: Input should be 'low', 'medium', 'high' or 'critical'",
        ),
        ("type: webhook", "type: sms", ":14: actions.crm: Input tag 'sms' found using 'type'"),
        ("holdout: 0.25", "holdout: 1.5", ":7: rules.0.holdout: Input should be less than 1"),
        ("  holdout: 0.1", "  holdout: -1", ":3: settings.holdout: Input should be greater"),
        ("    max_attempts: 4", "    max_attempts: 4\n    retries: 3", ":19: actions.crm.retries"),
    ],
)
def test_errors_name_file_line_and_field(tmp_path: Path, old: str, new: str, expected: str) -> None:
    path = tmp_path / "rules.yaml"
    assert old in GOOD
    path.write_text(GOOD.replace(old, new, 1))
    with pytest.raises(ConfigError) as caught:
        load_actions(path)
    assert f"{path}{expected}" in str(caught.value)
    assert "docs/realtime/actions.md" in str(caught.value)


def test_every_problem_is_listed_and_bad_yaml_is_named(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(GOOD.replace("timeout: 3s", "timeout: soon").replace("critical", "urgent"))
    with pytest.raises(ConfigError) as caught:
        load_actions(path)
    assert str(caught.value).count(str(path)) == 2
    path.write_text("actions: {crm: [}")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_actions(path)


def test_durations() -> None:
    assert [seconds(v) for v in ("250ms", "1.5s", "2m", "1h", "1d", 7)] == [
        0.25, 1.5, 120.0, 3600.0, 86400.0, 7.0
    ]  # fmt: skip
    with pytest.raises(ValueError, match="not a duration"):
        seconds("a while")
