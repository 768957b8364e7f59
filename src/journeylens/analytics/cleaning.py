"""Path cleaning: rename and merge step labels with regex rules before an analysis.

A `RenameRule` replaces every match of a regular expression in a step's label with a fixed
text; rules apply in order, each to the output of the one before, so two rules that produce the
same name merge those labels. `collapse_repeats` then drops consecutive repeats of one label
(``a b b c`` becomes ``a b c``) and numbers the kept steps ``1, 2, …`` again. Both are Ibis
expressions over the label column, so cleaning runs in the engine, on every engine.

Rules use the regex syntax that DuckDB (RE2) and Spark (Java) share: no look-around, no
back-references; the replacement is literal text (no ``$1`` or ``\\1``). Patterns are not
anchored: write ``^view_.*`` to rename whole labels that start with ``view_``.

Examples
--------
>>> rule = RenameRule.parse("^view_.*=browse")
>>> rule.pattern, rule.replace
('^view_.*', 'browse')
>>> rule.apply("view_home")
'browse'
>>> rules(["^(home|search)$=browse", {"pattern": "@(web|app)$", "replace": "@digital"}])[1]
RenameRule(pattern='@(web|app)$', replace='@digital')
>>> RenameRule("(?=x)", "y")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: rename pattern '(?=x)': look-around and back-references are not supported ...
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

#: Regex features RE2 (DuckDB) or Java (Spark) lack: look-around and back-references.
_UNPORTABLE = re.compile(r"\(\?<?[=!]|\\[1-9]|\(\?P=")


@dataclass(frozen=True)
class RenameRule:
    """Replace every match of ``pattern`` in a label with ``replace``.

    Parameters
    ----------
    pattern : str
        A regular expression (the subset DuckDB and Spark share).
    replace : str
        Literal text; may be empty to delete the matched part.

    Raises
    ------
    ValueError
        When the pattern does not compile or uses what not every engine supports, or the
        replacement holds ``$`` or ``\\`` (engines read those as group references).
    """

    pattern: str
    replace: str

    def __post_init__(self) -> None:
        if not self.pattern:
            raise ValueError("rename pattern is empty; write a regex such as '^view_.*'")
        try:
            re.compile(self.pattern)
        except re.error as exc:
            raise ValueError(
                f"rename pattern '{self.pattern}' is not a valid regex: {exc}"
            ) from exc
        if _UNPORTABLE.search(self.pattern):
            raise ValueError(
                f"rename pattern '{self.pattern}': look-around and back-references are not "
                "supported on every engine; rewrite it without them"
            )
        if "$" in self.replace or "\\" in self.replace:
            raise ValueError(
                f"rename replacement '{self.replace}' holds '$' or '\\'; the replacement is "
                "literal text and those would be read as group references"
            )

    @classmethod
    def parse(cls, text: str) -> RenameRule:
        """A rule from ``"REGEX=NEW"`` (the last ``=`` separates them), as the CLI takes it."""
        pattern, sep, replace = text.rpartition("=")
        if not sep:
            raise ValueError(
                f"rename rule '{text}' has no '='; write it as REGEX=NEW, e.g. '^view_.*=browse'"
            )
        return cls(pattern, replace)

    def apply(self, label: str) -> str:
        """The rule applied to one label in Python (for checks and small data)."""
        return re.sub(self.pattern, self.replace, label)


RuleLike = RenameRule | str | Mapping[str, str]


def rules(items: Iterable[RuleLike] | None) -> tuple[RenameRule, ...]:
    """Rules from `RenameRule` objects, ``"REGEX=NEW"`` strings or ``{"pattern", "replace"}``.

    Raises
    ------
    ValueError
        For a mapping without ``pattern`` (``replace`` defaults to empty) or a bad rule.
    """
    out: list[RenameRule] = []
    for item in items or ():
        if isinstance(item, RenameRule):
            out.append(item)
        elif isinstance(item, str):
            out.append(RenameRule.parse(item))
        else:
            if "pattern" not in item:
                raise ValueError(
                    f"rename rule {dict(item)} has no 'pattern'; "
                    'write {"pattern": "^view_.*", "replace": "browse"}'
                )
            out.append(RenameRule(item["pattern"], item.get("replace", "")))
    return tuple(out)


def renamed(label: ir.StringValue, rename: Iterable[RenameRule]) -> ir.StringValue:
    """``label`` with every rule applied in order."""
    for rule in rename:
        label = label.re_replace(rule.pattern, rule.replace)
    return label


def collapse_repeats(steps: ir.Table) -> ir.Table:
    """Steps without consecutive repeats of one label, renumbered ``1, 2, …`` per journey.

    The first step of each run is kept (with its time).
    """
    window = ibis.window(group_by=steps.journey_key, order_by=steps.step)
    # The window goes in its own column first: Ibis cannot put a window inside a filter on
    # Spark (it loses the column references).
    marked = steps.mutate(_previous=steps.label.lag().over(window))
    kept = marked.filter(ibis.coalesce(marked._previous != marked.label, ibis.literal(True))).drop(
        "_previous"
    )
    number = ibis.row_number().over(ibis.window(group_by=kept.journey_key, order_by=kept.step))
    return kept.mutate(step=(number + 1).cast(kept.step.type()))


def cleaned(steps: ir.Table, rename: Iterable[RenameRule] = (), collapse: bool = False) -> ir.Table:
    """Labelled ``steps`` with the rules applied to ``label`` and, optionally, repeats collapsed.

    Parameters
    ----------
    steps : ibis Table
        Steps with ``journey_key``, ``step`` and ``label`` (see `labels.labelled`).
    rename : RenameRule objects
        Applied in order.
    collapse : bool
        Drop consecutive repeats after renaming (so merged labels collapse too).
    """
    rename = tuple(rename)
    if rename:
        steps = steps.mutate(label=renamed(steps.label, rename))
    return collapse_repeats(steps) if collapse else steps
