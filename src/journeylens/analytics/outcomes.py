"""What a step means for its journey: a failure, a recovery, an escalation, a long wait.

The rules come from the ``metrics:`` section of `journeylens.yaml`
(`journeylens.config.MetricsSettings`); journey metrics, breakdowns and consistency read the
same marks, so a failure is one thing everywhere.

- **failure**: the step's outcome is one of ``failures.outcomes`` or its activity matches
  ``failures.activities`` (a regular-expression *search*, as both engines do it);
- **recovery**: the step's outcome is one of ``recovery.outcomes`` or the step meets its
  journey definition's success criterion (activities or outcomes);
- **escalation**: an assisted contact (the step's ``assisted`` flag) directly after a failure on
  a channel of ``escalation.self_service_channels``, or an activity matching
  ``escalation.activities``;
- **gap**: seconds since the previous step of the journey (null on step 1).

Examples
--------
>>> from journeylens.config import MetricsSettings
>>> MetricsSettings().failures.outcomes
['failed', 'error', 'unresolved', 'rejected']
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from journeylens.config import JourneyDefinition, MetricsSettings


def _in(value: ir.StringValue, values: Sequence[str]) -> ir.BooleanValue:
    """``value`` is one of ``values`` (false for null and for an empty list)."""
    if not values:
        return ibis.literal(False)
    return ibis.coalesce(value.isin(list(values)), False)


def is_failure(steps: ir.Table, settings: MetricsSettings) -> ir.BooleanValue:
    """Whether each step is a failure."""
    rule = settings.failures
    hit = _in(steps.outcome, rule.outcomes)
    if rule.activities:
        hit = hit | ibis.coalesce(steps.activity.re_search(rule.activities), False)
    return hit


def is_recovery(
    steps: ir.Table, settings: MetricsSettings, definitions: Sequence[JourneyDefinition] = ()
) -> ir.BooleanValue:
    """Whether each step is a success that can recover an earlier breakdown."""
    hit = _in(steps.outcome, settings.recovery.outcomes)
    for d in definitions:
        if d.success is None:
            continue
        criterion = _in(steps.activity, d.success.activities) | _in(
            steps.outcome, d.success.outcomes
        )
        hit = hit | ((steps.definition == d.name) & criterion)
    return hit


def marked(
    steps: ir.Table, settings: MetricsSettings, definitions: Sequence[JourneyDefinition] = ()
) -> ir.Table:
    """``steps`` with boolean ``failure``, ``recovery``, ``escalation`` and float ``gap``."""
    window = ibis.window(group_by=steps.journey_key, order_by=steps.step)
    failure = is_failure(steps, settings)
    table = steps.mutate(failure=failure, recovery=is_recovery(steps, settings, definitions))
    rule = settings.escalation
    previous_failed = table.failure.lag().over(window)
    previous_channel = table.channel.lag().over(window)
    escalation = ibis.coalesce(
        table.assisted & previous_failed & previous_channel.isin(rule.self_service_channels),
        False,
    )
    if rule.activities:
        escalation = escalation | ibis.coalesce(table.activity.re_search(rule.activities), False)
    gap = (table.ts.epoch_seconds() - table.ts.lag().over(window).epoch_seconds()).cast("float64")
    return table.mutate(escalation=escalation, gap=gap)
