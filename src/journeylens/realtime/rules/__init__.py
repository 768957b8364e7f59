"""Critical-moment rules: YAML rules, their checks, and one engine for live and replay.

- `journeylens.realtime.rules.model`: the shape of ``rules.yaml`` (pydantic);
- `journeylens.realtime.rules.loader`: reading and checking it (file, line, rule, field);
- `journeylens.realtime.rules.engine` (with ``kinds`` and ``state``): running the rules;
- `journeylens.realtime.rules.replay`: the rules over history (`replay`).

The language is described in docs/realtime/rules.md.

Examples
--------
>>> rules = rules_from_data({"rules": [{"name": "calls", "event": {"channel": "phone"}}]})
>>> rules.names(), rules.get("calls").kind
(['calls'], 'event')
"""

from journeylens.realtime.rules.loader import (
    RULES_FILE,
    Problem,
    RulesCheck,
    RulesError,
    check_rules_text,
    check_workspace_rules,
    load_rules,
    load_workspace_rules,
    rules_from_data,
)
from journeylens.realtime.rules.model import Rule
from journeylens.realtime.rules.ruleset import RuleSet

__all__ = [
    "RULES_FILE",
    "Problem",
    "Rule",
    "RuleSet",
    "RulesCheck",
    "RulesError",
    "check_rules_text",
    "check_workspace_rules",
    "load_rules",
    "load_workspace_rules",
    "rules_from_data",
]
