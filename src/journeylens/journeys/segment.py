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
    "event_id",
    "seq",
    "ts",
    "channel",
    "activity",
    "initiator",
    "topic",
    "outcome",
    "journey_key",
    "source",
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


def _timeout(table: ir.Table, settings: JourneySettings) -> ir.IntegerValue:
    """Inactivity that ends a journey: the definition's timeout, else the gap."""
    branches = [(table.definition == d.name, d.timeout_seconds) for d in settings.definitions]
    if not branches:
        return ibis.literal(settings.gap_seconds)
    return ibis.cases(*branches, else_=settings.gap_seconds)


def _ends(table: ir.Table, definitions: list[JourneyDefinition]) -> ir.BooleanValue:
    """Whether an event is an end activity of its definition."""
    branches = [
        ((table.definition == d.name) & table.activity.isin(d.end_activities), True)
        for d in definitions
        if d.end_activities
    ]
    if not branches:
        return ibis.literal(False)
    return ibis.cases(*branches, else_=False)


def cut(events: ir.Table, settings: JourneySettings) -> ir.Table:
    """Events as journey steps: ``journey_key``, ``step``, ``handoff``, ``cut``, ``definition``.

    ``events`` must carry ``customer_key`` (see `with_customers`). Each event belongs to one
    *stream*: its source journey, or its customer's events of one definition (or of no
    definition). Two window passes over the streams do all the work: the first looks one event
    back (gap, end reached, channel) and one ahead, the second counts journey starts and where
    the current journey started, which numbers the journeys and their steps, and whether the
    next event starts a journey (else it is this step's successor: ``next_activity``,
    ``next_channel``, ``next_ts``).
    """
    definitions = settings.definitions
    from_source = events.journey_key.notnull()
    definition = ibis.cases((from_source, ibis.null(str)), else_=claim(events, definitions))
    table = events.mutate(
        definition=definition,
        cut=ibis.cases(
            (from_source, ibis.literal(CUT_SOURCE)),
            (definition.notnull(), ibis.literal(CUT_DEFINITION)),
            else_=ibis.literal(CUT_GAP),
        ),
    )
    stream = ibis.cases(
        (from_source, table.journey_key),
        else_=table.customer_key + "/" + ibis.coalesce(table.definition, ibis.literal(CUT_GAP)),
    )
    # The hash leads the partition so that sorts compare integers, not long shared prefixes.
    table = table.mutate(_stream=stream, _bucket=stream.hash())
    order = ["ts", "seq"]  # by name: each window binds to the table it is used on
    group = ["_bucket", "_stream"]
    back = ibis.window(group_by=group, order_by=order)
    table = table.mutate(
        _gap=table.ts.epoch_seconds() - table.ts.lag().over(back).epoch_seconds(),
        _ended=_ends(table, definitions).lag().over(back)
        if any(d.end_activities for d in definitions)
        else ibis.literal(False),
        _previous_channel=table.channel.lag().over(back),
        _row=ibis.row_number().over(back),
        _following_activity=table.activity.lead().over(back),
        _following_channel=table.channel.lead().over(back),
        _following_ts=table.ts.lead().over(back),
    )
    starts = table._gap.isnull() | (
        (table.cut != CUT_SOURCE) & (table._ended | (table._gap > _timeout(table, settings)))
    )
    table = table.mutate(_start=starts)
    running = ibis.cumulative_window(group_by=group, order_by=order)
    ahead = ibis.window(group_by=group, order_by=order)  # no frame: Spark's lead() wants none
    table = table.mutate(
        _journey_no=table._start.cast("int64").sum().over(running),
        _start_row=ibis.cases((table._start, table._row), else_=ibis.null("int64"))
        .max()
        .over(running),
        _next_starts=table._start.lead().over(ahead),
    )
    step = (table._row - table._start_row + 1).cast("int64")
    same_journey = table._next_starts.notnull() & ~table._next_starts
    return table.mutate(
        journey_key=ibis.cases(
            (table.cut == CUT_SOURCE, table.journey_key),
            else_=table._stream + "/" + table._journey_no.cast("string"),
        ),
        step=step,
        handoff=(step > 1) & (table._previous_channel != table.channel),
        assisted=table.channel.isin(settings.assisted_channels)
        & (ibis.coalesce(table.initiator, ibis.literal("customer")) != "company"),
        next_activity=ibis.cases((same_journey, table._following_activity), else_=ibis.null(str)),
        next_channel=ibis.cases((same_journey, table._following_channel), else_=ibis.null(str)),
        next_ts=ibis.cases((same_journey, table._following_ts), else_=ibis.null("timestamp")),
    )
