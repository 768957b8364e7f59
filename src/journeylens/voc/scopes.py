"""What a feedback record is about: one interaction, one journey, or the relationship.

The scope of a record is decided in this order (the ``voc:`` section of `journeylens.yaml`):

1. the first rule of ``voc.scopes`` whose conditions all hold (an attribute's value, a
   regular expression searched in the question, the kind, the channel);
2. the value of the attribute ``voc.scope_attribute`` (``survey`` by default) when it names a
   scope (``touchpoint``, ``journey``, ``relationship``) or is a key of ``voc.scope_values``
   (matched in lower case);
3. the link: feedback linked to an event is ``touchpoint``, linked to a journey ``journey``,
   otherwise ``relationship``.

Examples
--------
>>> import ibis, pyarrow as pa
>>> from journeylens.config import VocSettings
>>> table = ibis.memtable(pa.table({
...     "attributes": ['{"survey": "Relationship"}', None, None, '{"wave": 3}'],
...     "question": [None, "How was your call?", None, None],
...     "kind": ["nps", "csat", "nps", "nps"], "channel": ["email", "phone", "email", "email"],
...     "link_method": ["open", "unlinked", "after", "unlinked"],
...     "journey_key": ["j1", None, "j2", None]}))
>>> settings = VocSettings.model_validate(
...     {"scopes": [{"scope": "touchpoint", "question": "your (call|chat)"}]})
>>> expr = table.select(scope=scope_of(table, settings))
>>> ibis.duckdb.connect().to_pyarrow(expr).column("scope").to_pylist()
['relationship', 'touchpoint', 'journey', 'relationship']
"""

from __future__ import annotations

from functools import reduce

import ibis
import ibis.expr.types as ir

from journeylens.analytics.segments import json_value
from journeylens.config import ScopeRule, VocSettings

#: The scopes, from the narrowest to the widest.
SCOPES: tuple[str, ...] = ("touchpoint", "journey", "relationship")


def attribute(attributes: ir.StringValue, name: str) -> ir.StringValue:
    """The value of the top-level key ``name`` of a JSON ``attributes`` column, as text."""
    return json_value(attributes, name)


def rule_holds(table: ir.Table, rule: ScopeRule) -> ir.BooleanValue:
    """Whether a record meets every condition of ``rule`` (null counts as not met)."""
    conditions: list[ir.BooleanValue] = []
    if rule.attribute:
        value = attribute(table.attributes, rule.attribute)
        conditions.append(value.isin(rule.values) if rule.values else value.notnull())
    if rule.question:
        conditions.append(table.question.re_search(rule.question))
    if rule.kinds:
        conditions.append(table.kind.isin(rule.kinds))
    if rule.channels:
        conditions.append(table.channel.isin(rule.channels))
    held: ir.BooleanValue = ibis.coalesce(reduce(lambda a, b: a & b, conditions), False)
    return held


def scope_of(table: ir.Table, settings: VocSettings) -> ir.StringValue:
    """The scope of each record of ``table``.

    ``table`` needs ``attributes``, ``question``, ``kind``, ``channel``, ``link_method`` and
    ``journey_key`` (the linked journey).
    """
    branches: list[tuple[ir.BooleanValue, ir.StringValue]] = [
        (rule_holds(table, rule), ibis.literal(rule.scope)) for rule in settings.scopes
    ]
    if settings.scope_attribute:
        value = attribute(table.attributes, settings.scope_attribute).lower()
        names = {scope: scope for scope in SCOPES}
        names.update({key.lower(): scope for key, scope in settings.scope_values.items()})
        branches += [(value == key, ibis.literal(scope)) for key, scope in names.items()]
    branches += [
        (table.link_method == "event", ibis.literal("touchpoint")),
        (table.journey_key.notnull(), ibis.literal("journey")),
    ]
    scope: ir.StringValue = ibis.cases(*branches, else_=ibis.literal("relationship"))
    return scope
