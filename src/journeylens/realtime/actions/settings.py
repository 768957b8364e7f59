"""The ``actions:`` section of a workspace's ``rules.yaml`` (and the hold-out shares).

``rules.yaml`` holds ``settings:``, ``rules:`` (a list, read by `journeylens.realtime.rules`)
and ``actions:`` (a mapping of action name to action, read here). A rule names the actions it
asks for; a hold-out share says which fraction of its moments gets no action at all, so the
actions' uplift can be measured (`journeylens.realtime.actions.uplift`). The default share is
``settings.holdout``; a rule may set its own ``holdout:``::

    settings:
      holdout: 0.1                     # 10% of every rule's moments get no action
    actions:
      crm-callback:
        type: webhook
        url: https://crm.example.com/hooks/journeylens
        secret_env: JOURNEYLENS_CRM_SECRET   # the NAME of the variable; never the secret
        timeout: 5s
        max_attempts: 8
        backoff: 30s                   # first retry after ~30 s, then doubling …
        max_backoff: 1h                # … up to an hour between attempts
      ops-log: {type: log, level: warning}
      ops-alert: {type: alert, severity: high}
      offer-callback:
        type: next_best_action
        text: Offer a call back within the hour
        channel: phone
    rules:
      - name: third-contact
        holdout: 0.2                   # this rule's own share
        actions: [crm-callback, offer-callback]
        ...

Errors name the file, the line and the field, e.g.
``rules.yaml:8: actions.crm-callback.url: a webhook url starts with http:// or https://``.

Examples
--------
>>> settings = parse_actions(
...     {"settings": {"holdout": 0.1}, "actions": {"ops": {"type": "alert", "severity": "high"}},
...      "rules": [{"name": "r1", "holdout": 0.25}, {"name": "r2"}]})
>>> settings.actions["ops"].type, settings.holdout_for("r1"), settings.holdout_for("r2")
('alert', 0.25, 0.1)
>>> seconds("250ms"), seconds("5s"), seconds("2m"), seconds(3)
(0.25, 5.0, 120.0, 3.0)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from journeylens.errors import ConfigError

#: The file in the workspace that holds the rules and their actions.
RULES_FILE = "rules.yaml"

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def seconds(value: str | int | float) -> float:
    """Seconds in a duration such as ``"250ms"``, ``"5s"``, ``"30m"``, ``"1h"`` or a number."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"'{value}' is not a duration; write e.g. 250ms, 5s, 30m, 1h or 2d")
    return float(match.group(1)) * _UNIT[match.group(2)]


Duration = Annotated[str | int | float, Field(union_mode="left_to_right")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WebhookAction(_Strict):
    """POST the moment as signed JSON to ``url`` (see docs/realtime/actions.md)."""

    type: Literal["webhook"]
    url: str
    #: Name of the environment variable that holds the signing secret (never the secret).
    secret_env: str
    timeout: Duration = "10s"
    max_attempts: int = Field(default=8, ge=1, le=100)
    backoff: Duration = "30s"
    max_backoff: Duration = "1h"
    #: Extra static headers (not for secrets: the file is not a secret store).
    headers: dict[str, str] = Field(default_factory=dict)
    description: str | None = None

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError(f"a webhook url starts with http:// or https:// (got '{value}')")
        return value

    @field_validator("secret_env")
    @classmethod
    def _env_name(cls, value: str) -> str:
        if not _ENV_NAME.match(value):
            raise ValueError(
                f"'{value}' is not an environment variable name; secret_env names the variable "
                "that holds the secret (e.g. JOURNEYLENS_WEBHOOK_SECRET), never the secret itself"
            )
        return value

    @field_validator("timeout", "backoff", "max_backoff")
    @classmethod
    def _duration(cls, value: str | int | float) -> str | int | float:
        if seconds(value) <= 0:
            raise ValueError("must be a positive duration, e.g. 5s")
        return value

    @property
    def timeout_seconds(self) -> float:
        return seconds(self.timeout)

    @property
    def backoff_seconds(self) -> float:
        return seconds(self.backoff)

    @property
    def max_backoff_seconds(self) -> float:
        return seconds(self.max_backoff)


class LogAction(_Strict):
    """Write one structured (JSON) line to the ``journeylens.moments`` logger."""

    type: Literal["log"]
    level: Literal["debug", "info", "warning", "error"] = "info"
    message: str | None = None
    description: str | None = None


class AlertAction(_Strict):
    """Record an alert in the outbox's ``alerts`` table (listed by the API and the CLI)."""

    type: Literal["alert"]
    severity: Literal["low", "medium", "high", "critical"] = "medium"
    message: str | None = None
    description: str | None = None


class NextBestAction(_Strict):
    """Attach a recommendation to the moment: ``text`` as written, and the prediction of
    `journeylens.predict` when a model exists (``use_model``)."""

    type: Literal["next_best_action"]
    text: str = Field(min_length=1)
    channel: str | None = None
    use_model: bool = True
    description: str | None = None


Action = Annotated[
    WebhookAction | LogAction | AlertAction | NextBestAction, Field(discriminator="type")
]

#: Local actions run in the worker without a network call.
ACTION_TYPES = ("webhook", "log", "alert", "next_best_action")


class ActionSettings(_Strict):
    """The actions and hold-out shares of a workspace.

    Parameters
    ----------
    actions : mapping of str to action
        Action name → `WebhookAction`, `LogAction`, `AlertAction` or `NextBestAction`.
    holdout : float
        Default share of each rule's moments that gets no action (0 ≤ share < 1): the
        file's ``settings.holdout``.
    rule_holdouts : mapping of str to float
        A rule's own share, overriding ``holdout``.
    source : str
        Where the settings came from (for messages).
    """

    actions: dict[str, Action] = Field(default_factory=dict)
    holdout: float = Field(default=0.0, ge=0.0, lt=1.0)
    rule_holdouts: dict[str, Annotated[float, Field(ge=0.0, lt=1.0)]] = Field(default_factory=dict)
    source: str = RULES_FILE

    def holdout_for(self, rule: str) -> float:
        """The hold-out share of ``rule``'s moments."""
        return self.rule_holdouts.get(rule, self.holdout)

    def missing_secrets(self, environ: Mapping[str, str]) -> dict[str, str]:
        """Webhook actions whose secret variable is unset: action name → variable name."""
        return {
            name: action.secret_env
            for name, action in self.actions.items()
            if isinstance(action, WebhookAction) and not environ.get(action.secret_env)
        }

    def unknown_actions(self, rule_actions: Mapping[str, list[str]]) -> list[str]:
        """Messages for actions that rules name but ``actions:`` does not define."""
        return [
            f"rule '{rule}' names action '{name}', which is not defined under actions: "
            f"(defined: {', '.join(sorted(self.actions)) or 'none'})"
            for rule, names in rule_actions.items()
            for name in names
            if name not in self.actions
        ]

    def describe(self) -> list[dict[str, Any]]:
        """The actions as rows without anything secret (the webhook shows its host only)."""
        rows = []
        for name, action in sorted(self.actions.items()):
            target = None
            if isinstance(action, WebhookAction):
                target = re.sub(r"^(https?://[^/?#]+).*$", r"\1", action.url)
            rows.append({"name": name, "type": action.type, "target": target})
        return rows


# -- reading rules.yaml with line numbers -------------------------------------------------------


def _node_line(node: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """The 1-based line of the value at ``loc`` in a composed YAML node tree (best effort)."""
    line = None if node is None else node.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            found = next((v for k, v in node.value if getattr(k, "value", None) == str(part)), None)
            if found is None:
                return line
            node = found
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return line
            node = node.value[part]
        else:
            return line
        line = node.start_mark.line + 1
    return line


def _document_loc(loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
    """Map a pydantic error location of `ActionSettings` onto the YAML document's path."""
    parts = list(loc)
    if parts[:1] == ["actions"] and len(parts) > 2 and parts[2] in ACTION_TYPES:
        del parts[2]  # the discriminator's tag is not in the document
    if parts[:1] == ["rule_holdouts"]:
        return ("rules", *parts[1:2], "holdout")
    if parts[:1] == ["holdout"]:
        return ("settings", "holdout")
    return tuple(parts)


def parse_actions(
    data: Mapping[str, Any], where: str = RULES_FILE, node: yaml.Node | None = None
) -> ActionSettings:
    """Validate the ``actions:`` and hold-out parts of a ``rules.yaml`` document.

    Raises
    ------
    ConfigError
        Naming the file, line and field of every problem.
    """
    if not isinstance(data, Mapping):
        raise ConfigError("the file must be a mapping with rules: and actions:", where)
    actions = data.get("actions") or {}
    rules = data.get("rules") or []
    holdouts: dict[str, Any] = {}
    rule_index: dict[str, int] = {}
    if isinstance(rules, list):
        for index, rule in enumerate(rules):
            if isinstance(rule, Mapping) and "name" in rule and rule.get("holdout") is not None:
                holdouts[str(rule["name"])] = rule["holdout"]
                rule_index[str(rule["name"])] = index
    raw = {"actions": actions, "rule_holdouts": holdouts, "source": where}
    file_settings = data.get("settings")
    if isinstance(file_settings, Mapping) and file_settings.get("holdout") is not None:
        raw["holdout"] = file_settings["holdout"]
    try:
        return ActionSettings.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = _document_loc(tuple(error["loc"]))
            if loc[:1] == ("rules",) and len(loc) > 1:
                loc = ("rules", rule_index.get(str(loc[1]), 0), "holdout")
            line = _node_line(node, loc)
            field = ".".join(str(p) for p in loc)
            message = str(error["msg"]).removeprefix("Value error, ")
            problems.append(
                f"{where}:{line}: {field}: {message}" if line else f"{field}: {message}"
            )
        raise ConfigError(
            "\n".join(problems),
            "",
            "see docs/realtime/actions.md for the fields of each action type",
        ) from exc


def load_actions(path: Path) -> ActionSettings:
    """Read the actions of a ``rules.yaml`` (no file: no actions, no hold-out)."""
    if not path.exists():
        return ActionSettings(source=str(path))
    text = path.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}", str(path), "fix the YAML syntax") from exc
    return parse_actions(data, str(path), node)
