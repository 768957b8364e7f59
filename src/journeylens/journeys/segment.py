"""Cutting each customer's events into journeys, as Ibis expressions.

Three ways to cut, in order of precedence:

1. **source**: the event carries a journey key from its source (an XES trace, a case id);
2. **definition**: the event is claimed by a journey definition of `journeylens.yaml` (by its
   topic, or for definitions without topics by its activity); within one customer and
   definition a new journey begins at the first event, after an end activity, or after the
   definition's timeout of inactivity;
3. **gap**: any other event; a new journey begins after the configured inactivity gap.

Ties are broken deterministically: timestamp, then input order (``seq``).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from journeylens.config import JourneyDefinition, JourneySettings
from journeylens.identity.graph import primary_node

#: Marker of the way a journey was cut.
CUT_SOURCE, CUT_DEFINITION, CUT_GAP = "source", "definition", "gap"

#: Journey type of gap journeys whose events carry no topic.
OTHER_TYPE = "other"


#: Event columns that journey building needs; the rest stays in ``events``.
JOURNEY_INPUT = (
    "event_id", "seq", "ts", "channel", "activity", "initiator", "topic", "outcome",
    "journey_key", "source",
)


def with_customers(events: ir.Table, identity: ir.Table) -> ir.Table:
    """The columns of events that journeys need, with the ``customer_key`` of their primary
    identifier (a narrow table keeps the sorts of the window functions cheap)."""
    keyed = events.select(*JOURNEY_INPUT, _node=primary_node(events))
    lookup = identity.select(_id_node=identity.node, customer_key=identity.customer_key)
    joined = keyed.join(lookup, keyed._node == lookup._id_node)
    return joined.drop("_node", "_id_node")


def claim(events: ir.Table, definitions: list[JourneyDefinition]) -> ir.StringValue:
    """The name of the first definition that claims each event (null when none does)."""
    branches = []
    for definition in definitions:
        if definition.topics:
            condition = events.topic.isin(definition.topics)
        else:
            condition = events.activity.isin(definition.claims_by_activity())
        branches.append((condition, ibis.literal(definition.name)))
    if not branches:
        return ibis.null(str)
    return ibis.cases(*branches, else_=ibis.null(str))


def _timeout(definition_col: ir.StringValue, definitions: list[JourneyDefinition]) -> ir.Value:
    """Each definition's timeout in seconds, as a CASE expression."""
    return ibis.cases(
        *[(definition_col == d.name, d.timeout_seconds) for d in definitions], else_=0
    )


def _ends(table: ir.Table, definitions: list[JourneyDefinition]) -> ir.BooleanValue:
    branches = [
        ((table._definition == d.name) & table.activity.isin(d.end_activities), True)
        for d in definitions
        if d.end_activities
    ]
    if not branches:
        return ibis.literal(False)
    return ibis.cases(*branches, else_=False)


def _numbered(table: ir.Table, group: list[str], breaks: ir.BooleanValue) -> ir.Table:
    """Number journeys within ``group``: a running count of journey starts."""
    flagged = table.mutate(_new=breaks.cast("int64"))
    window = ibis.cumulative_window(group_by=group, order_by=[flagged.ts, flagged.seq])
    return flagged.mutate(_journey_no=flagged._new.sum().over(window))


def assign(events: ir.Table, settings: JourneySettings) -> ir.Table:
    """Events with ``journey_key``, ``journey_type`` and ``cut`` assigned.

    ``events`` must carry ``customer_key`` (see `with_customers`).
    """
    definitions = settings.definitions
    source = events.filter(events.journey_key.notnull()).mutate(
        journey_type=ibis.coalesce(events.topic, events.source),
        cut=ibis.literal(CUT_SOURCE),
    )

    rest = events.filter(events.journey_key.isnull()).mutate(_definition=claim(events, definitions))
    parts = [source]

    if definitions:
        claimed = rest.filter(rest._definition.notnull())
        window = ibis.window(
            group_by=[claimed.customer_key, claimed._definition],
            order_by=[claimed.ts, claimed.seq],
        )
        gap = claimed.ts.epoch_seconds() - claimed.ts.lag().over(window).epoch_seconds()
        previous_ended = _ends(claimed, definitions).cast("int64").lag().over(window)
        breaks = (
            gap.isnull()
            | (previous_ended == 1)
            | (gap > _timeout(claimed._definition, definitions))
        )
        numbered = _numbered(claimed, ["customer_key", "_definition"], breaks)
        parts.append(
            numbered.mutate(
                journey_key=numbered.customer_key
                + "/"
                + numbered._definition
                + "/"
                + numbered._journey_no.cast("string"),
                journey_type=numbered._definition,
                cut=ibis.literal(CUT_DEFINITION),
            ).drop("_definition", "_new", "_journey_no")
        )
        unclaimed = rest.filter(rest._definition.isnull())
    else:
        unclaimed = rest

    order = [unclaimed.ts, unclaimed.seq]
    gap = unclaimed.ts.epoch_seconds() - unclaimed.ts.lag().over(
        ibis.window(group_by=unclaimed.customer_key, order_by=order)
    ).epoch_seconds()
    numbered = _numbered(unclaimed, ["customer_key"], gap.isnull() | (gap > settings.gap_seconds))
    parts.append(
        numbered.mutate(
            journey_key=numbered.customer_key + "/" + ibis.literal(CUT_GAP) + "/"
            + numbered._journey_no.cast("string"),
            journey_type=ibis.literal(OTHER_TYPE),
            cut=ibis.literal(CUT_GAP),
        ).drop("_definition", "_new", "_journey_no")
    )
    columns = parts[0].columns
    return ibis.union(*[p.select(*columns) for p in parts])
