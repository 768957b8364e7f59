"""From assigned events to the `journey_steps` and `journeys` tables, as Ibis expressions.

Definitions of the journey measures:

- ``steps``: events in the journey; ``channels``: distinct channels used;
- ``handoffs``: channel switches between consecutive steps;
- ``assisted_contacts``: steps on an assisted channel (``journeys.assisted_channels``) not
  started by the company (initiator ``customer`` or unknown);
- ``repeat_contacts``: assisted contacts about a topic already raised in an earlier assisted
  contact of the same journey (assisted contacts with a topic minus their distinct topics);
- ``duration_seconds``: last step minus first step;
- ``status``: *completed* when a definition's end activity was reached (for source and gap
  journeys: when the journey has been quiet for longer than its gap); *open* while the last
  step is within the timeout of the as-of time; otherwise *abandoned*;
- ``success``: the definition's success criterion was met (null where none is defined; for
  definitions without a criterion, reaching an end activity).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from journeylens.config import JourneyDefinition, JourneySettings
from journeylens.journeys.segment import CUT_DEFINITION, CUT_SOURCE, OTHER_TYPE, cut
from journeylens.store.schema import JOURNEY_COLUMNS, STEP_COLUMNS


def steps(events: ir.Table, settings: JourneySettings) -> ir.Table:
    """One row per event: its journey, position, and whether it was a hand-off."""
    return cut(events, settings).select(*STEP_COLUMNS)


def _end_reached(table: ir.Table, definitions: list[JourneyDefinition]) -> ir.BooleanValue:
    branches = [
        ((table.journey_type == d.name) & table.last_activity.isin(d.end_activities), True)
        for d in definitions
        if d.end_activities
    ]
    return ibis.cases(*branches, else_=False) if branches else ibis.literal(False)


def _timeout(table: ir.Table, settings: JourneySettings) -> ir.IntegerValue:
    branches = [
        (
            (table.cut == CUT_DEFINITION) & (table.journey_type == d.name),
            d.timeout_seconds,
        )
        for d in settings.definitions
    ]
    if not branches:
        return ibis.literal(settings.gap_seconds)
    return ibis.cases(*branches, else_=settings.gap_seconds)


def _success_hits(step_table: ir.Table, definitions: list[JourneyDefinition]) -> ir.BooleanValue:
    """Whether a step meets its definition's success criterion."""
    branches = []
    for d in definitions:
        if d.success is None:
            continue
        hit = step_table.activity.isin(d.success.activities) if d.success.activities else None
        if d.success.outcomes:
            by_outcome = step_table.outcome.isin(d.success.outcomes)
            hit = by_outcome if hit is None else (hit | by_outcome)
        if hit is not None:
            branches.append(((step_table.definition == d.name) & hit, True))
    return ibis.cases(*branches, else_=False) if branches else ibis.literal(False)


def journeys(step_table: ir.Table, settings: JourneySettings, as_of: ir.Value) -> ir.Table:
    """One row per journey with its measures (see the module docstring)."""
    definitions = settings.definitions
    marked = step_table.mutate(_success_hit=_success_hits(step_table, definitions))
    assisted = marked.assisted
    grouped = marked.group_by("journey_key").aggregate(
        customer_key=marked.customer_key.min(),
        cut=marked.cut.min(),
        _definition=marked.definition.min(),
        _source=marked.source.min(),
        _first_topic=marked.topic.argmin(marked.step, where=marked.topic.notnull()),
        start_ts=marked.ts.min(),
        end_ts=marked.ts.max(),
        steps=marked.count(),
        channels=marked.channel.nunique(),
        first_channel=marked.channel.argmin(marked.step),
        last_channel=marked.channel.argmax(marked.step),
        first_activity=marked.activity.argmin(marked.step),
        last_activity=marked.activity.argmax(marked.step),
        outcome=marked.outcome.argmax(marked.step, where=marked.outcome.notnull()),
        handoffs=marked.handoff.cast("int64").sum(),
        assisted_contacts=assisted.cast("int64").sum(),
        _assisted_topical=(assisted & marked.topic.notnull()).cast("int64").sum(),
        _assisted_topics=marked.topic.nunique(where=assisted),
        _success_hit=marked._success_hit.max(),
    )
    grouped = grouped.mutate(
        journey_type=ibis.cases(
            (grouped.cut == CUT_DEFINITION, grouped._definition),
            (grouped.cut == CUT_SOURCE, ibis.coalesce(grouped._first_topic, grouped._source)),
            else_=ibis.coalesce(grouped._first_topic, ibis.literal(OTHER_TYPE)),
        )
    )
    end_reached = _end_reached(grouped, definitions)
    idle = as_of.epoch_seconds() - grouped.end_ts.epoch_seconds()
    timeout = _timeout(grouped, settings)
    by_definition = grouped.cut == CUT_DEFINITION
    status = ibis.cases(
        (by_definition & end_reached, "completed"),
        (idle <= timeout, "open"),
        (by_definition, "abandoned"),
        else_="completed",
    )
    has_criterion = {d.name for d in definitions if d.success is not None}
    success = ibis.cases(
        (
            grouped.journey_type.isin(sorted(has_criterion)) if has_criterion else False,
            grouped._success_hit,
        ),
        (by_definition, end_reached),
        else_=ibis.null(bool),
    )
    result = grouped.mutate(
        status=status,
        success=success,
        repeat_contacts=(grouped._assisted_topical - grouped._assisted_topics).cast("int64"),
        duration_seconds=(grouped.end_ts.epoch_seconds() - grouped.start_ts.epoch_seconds()).cast(
            "int64"
        ),
        steps=grouped.steps.cast("int64"),
        channels=grouped.channels.cast("int64"),
        handoffs=grouped.handoffs.cast("int64"),
        assisted_contacts=grouped.assisted_contacts.cast("int64"),
    )
    return result.select(*JOURNEY_COLUMNS)
