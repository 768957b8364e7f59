"""What a step is called in an analysis: its activity, its channel, or both."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import ibis
import ibis.expr.types as ir

Label = Literal["activity", "channel", "activity@channel"]

#: How each kind of label is made from a steps table (a table, not an if/elif chain).
LABELS: dict[str, Callable[[ir.Table], ir.StringValue]] = {
    "activity": lambda steps: steps.activity,
    "channel": lambda steps: steps.channel,
    "activity@channel": lambda steps: steps.activity + ibis.literal("@") + steps.channel,
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
    return steps.mutate(label=LABELS[by](steps))


def filtered(steps: ir.Table, journeys: ir.Table, journey_type: str | None) -> ir.Table:
    """Steps of one journey type (all steps when ``journey_type`` is None)."""
    if journey_type is None:
        return steps
    keys = journeys.filter(journeys.journey_type == journey_type).select("journey_key")
    return steps.semi_join(keys, "journey_key")
