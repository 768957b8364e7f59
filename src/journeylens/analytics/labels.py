"""What a step is called in an analysis: its activity, its channel, or both."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import ibis
import ibis.expr.types as ir

Label = Literal["activity", "channel", "activity@channel"]

#: How each kind of label is made from an activity and a channel (a table, not an if/elif chain).
LABELS: dict[str, Callable[[ir.StringValue, ir.StringValue], ir.StringValue]] = {
    "activity": lambda activity, channel: activity,
    "channel": lambda activity, channel: channel,
    "activity@channel": lambda activity, channel: activity + ibis.literal("@") + channel,
}

#: Marker nodes added when a query asks for explicit start and end.
START, END = "▶ start", "■ end"


def labelled(steps: ir.Table, by: str) -> ir.Table:
    """``steps`` with a ``label`` column.

    Raises
    ------
    ValueError
        For an unknown kind of label.
    """
    if by not in LABELS:
        raise ValueError(f"unknown label '{by}'; choose one of {', '.join(LABELS)}")
    return steps.mutate(label=LABELS[by](steps.activity, steps.channel))


def with_next_label(steps: ir.Table, by: str) -> ir.Table:
    """``steps`` with ``label`` and ``next_label``: the label of the step that follows in the
    same journey (null on a journey's last step), from the ``next_activity`` and
    ``next_channel`` columns that the build stores on each step."""
    table = labelled(steps, by)
    return table.mutate(next_label=LABELS[by](table.next_activity, table.next_channel))


def filtered(steps: ir.Table, journeys: ir.Table, journey_type: str | None) -> ir.Table:
    """Steps of one journey type (all steps when ``journey_type`` is None)."""
    if journey_type is None:
        return steps
    keys = journeys.filter(journeys.journey_type == journey_type).select("journey_key")
    return steps.semi_join(keys, "journey_key")
