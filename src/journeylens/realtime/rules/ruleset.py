"""A checked set of rules, with switches to enable or disable each one while running.

The engine reads the switches (`RuleSet.flags`, one per rule) on every evaluation, so
``enable``/``disable`` take effect on the next event without rebuilding anything.

Examples
--------
>>> rules = RuleSet.empty()
>>> len(rules), rules.names()
(0, [])
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from journeylens.realtime.rules.check import Compiled
from journeylens.realtime.rules.model import Rule, RuleSettings


class RuleSet:
    """Compiled rules in file order, their file-wide settings and the raw ``actions:``.

    Parameters
    ----------
    rules : sequence of Compiled
        The checked rules (``index`` = position).
    settings : RuleSettings
        Lateness and how long moments stay active.
    actions : any
        The file's ``actions:`` section as written (the action centre parses it).
    source : str
        Where the rules came from (a path, or a description).
    """

    def __init__(
        self,
        rules: Sequence[Compiled],
        settings: RuleSettings | None = None,
        actions: Any = None,
        source: str = "rules",
    ) -> None:
        self.compiled: tuple[Compiled, ...] = tuple(rules)
        self.settings = settings or RuleSettings()
        self.actions = actions
        self.source = source
        #: Enabled switch of each rule, by index (shared with the engine).
        self.flags: list[bool] = [c.rule.enabled for c in self.compiled]
        self._by_name: dict[str, Compiled] = {c.rule.name: c for c in self.compiled}

    @classmethod
    def empty(cls) -> RuleSet:
        """No rules at all."""
        return cls(())

    def __iter__(self) -> Iterator[Rule]:
        return (c.rule for c in self.compiled)

    def __len__(self) -> int:
        return len(self.compiled)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def names(self) -> list[str]:
        """Rule names in file order."""
        return [c.rule.name for c in self.compiled]

    def get(self, name: str) -> Rule:
        """The rule called ``name`` (KeyError naming the known rules when there is none)."""
        return self._compiled(name).rule

    def _compiled(self, name: str) -> Compiled:
        try:
            return self._by_name[name]
        except KeyError:
            known = ", ".join(self.names()) or "none"
            raise KeyError(f"no rule '{name}' in {self.source}; rules: {known}") from None

    def is_enabled(self, name: str) -> bool:
        """Whether the rule currently fires."""
        return self.flags[self._compiled(name).index]

    def set_enabled(self, name: str, enabled: bool) -> None:
        """Switch a rule on or off (takes effect on the next event)."""
        self.flags[self._compiled(name).index] = enabled

    def enable(self, name: str) -> None:
        """Switch a rule on."""
        self.set_enabled(name, True)

    def disable(self, name: str) -> None:
        """Switch a rule off."""
        self.set_enabled(name, False)

    def switches(self) -> dict[str, bool]:
        """Every rule's current switch."""
        return {c.rule.name: self.flags[c.index] for c in self.compiled}

    def apply_switches(self, switches: Mapping[str, bool]) -> None:
        """Set the switches of the rules named (unknown names are ignored)."""
        for name, enabled in switches.items():
            if name in self._by_name:
                self.set_enabled(name, bool(enabled))

    def only(self, name: str) -> RuleSet:
        """A rule set of this one rule (enabled), with the same settings and actions."""
        chosen = self._compiled(name)
        from dataclasses import replace

        return RuleSet(
            [replace(chosen, index=0, rule=chosen.rule.model_copy(update={"enabled": True}))],
            self.settings,
            self.actions,
            self.source,
        )

    def describe(self) -> list[dict[str, Any]]:
        """One JSON-ready row per rule: name, kind, priority, enabled, actions …"""
        return [
            {
                "name": c.rule.name,
                "kind": c.rule.kind,
                "description": c.rule.description,
                "priority": c.rule.priority,
                "enabled": self.flags[c.index],
                "actions": list(c.rule.actions),
                "holdout": c.rule.holdout,
                "cooldown_seconds": c.rule.cooldown_seconds,
            }
            for c in self.compiled
        ]

    def __repr__(self) -> str:
        return f"RuleSet({len(self)} rules from {self.source!r})"
