"""Groups of feedback records, for scores and the other voice-of-the-customer analyses.

A feedback segment is written as a ``by`` string, like the journey segments of
`journeylens.analytics.segments`, and puts each record (joined with its ``feedback_links``
row) into a group:

=========================  ================================================================
``journey_type``           the type of the linked journey
``channel``                the channel of the feedback record (where it was given: the
                           touchpoint's channel, or e.g. ``email`` for an e-mailed survey)
``scope``                  touchpoint, journey or relationship
``link_method``            event, journey, open, after or unlinked
``period:week``            the Monday of the week of the feedback (``period`` alone: weeks)
``period:month``           the month of the feedback
``attribute:<name>``       the value of ``<name>`` in the feedback's JSON ``attributes``
``journey:<segment>``      any journey segment of the linked journey, e.g.
                           ``journey:entry_channel``, ``journey:attribute:segment``;
                           ``journey:channel`` counts a record once per channel its journey used
=========================  ================================================================

A record without a value (unlinked, no such attribute) is in the group ``(none)``.

Examples
--------
>>> parse_feedback_segment("journey:entry_channel")
FeedbackSegment(kind='journey', name='entry_channel')
>>> parse_feedback_segment("period").name
'week'
>>> parse_feedback_segment("colour")
Traceback (most recent call last):
...
ValueError: unknown feedback segment 'colour'; choose one of: journey_type, channel, scope, \
link_method, period:week, period:month, attribute:<name>, journey:<journey segment>
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from journeylens.analytics.segments import (
    NONE,
    json_value,
    parse_segment,
    period_label,
    segment_table,
)
from journeylens.store.backends import Backend

_PLAIN = ("journey_type", "channel", "scope", "link_method")

CHOICES = (
    *_PLAIN,
    "period:week",
    "period:month",
    "attribute:<name>",
    "journey:<journey segment>",
)


@dataclass(frozen=True)
class FeedbackSegment:
    """A parsed feedback segment (see the module docstring)."""

    kind: str
    name: str = ""

    @property
    def by(self) -> str:
        """The segment as it is written."""
        return f"{self.kind}:{self.name}" if self.name else self.kind

    @property
    def overlapping(self) -> bool:
        """Whether a record can be in several groups (``journey:channel``)."""
        return self.kind == "journey" and parse_segment(self.name).overlapping


def parse_feedback_segment(by: str | FeedbackSegment) -> FeedbackSegment:
    """A `FeedbackSegment` from its ``by`` string.

    Raises
    ------
    ValueError
        Naming the choices when ``by`` is not one of them.
    """
    if isinstance(by, FeedbackSegment):
        return by
    text = by.strip()
    kind, _, name = text.partition(":")
    if kind in _PLAIN and not name:
        return FeedbackSegment(kind)
    if kind == "journey" and name:
        return FeedbackSegment(kind, parse_segment(name).by)
    if kind in ("period", "attribute"):
        segment = parse_segment(text)
        return FeedbackSegment(segment.kind, segment.name)
    raise ValueError(f"unknown feedback segment '{text}'; choose one of: {', '.join(CHOICES)}")


def _column(name: str) -> Callable[[Backend, ir.Table, str], ir.Table]:
    def build(backend: Backend, table: ir.Table, _name: str) -> ir.Table:
        return table.mutate(segment=table[name])

    return build


def _period(backend: Backend, table: ir.Table, name: str) -> ir.Table:
    return table.mutate(segment=period_label(table.ts, name))


def _attribute(backend: Backend, table: ir.Table, name: str) -> ir.Table:
    return table.mutate(segment=json_value(table.attributes, name))


def _journey(backend: Backend, table: ir.Table, name: str) -> ir.Table:
    groups = segment_table(backend, name).rename(_segment_journey="journey_key")
    joined = table.left_join(groups, table.journey_key == groups._segment_journey)
    return joined.drop("_segment_journey")


#: How each kind of feedback segment is computed.
BUILDERS: dict[str, Callable[[Backend, ir.Table, str], ir.Table]] = {
    **{name: _column(name) for name in _PLAIN},
    "period": _period,
    "attribute": _attribute,
    "journey": _journey,
}


def with_feedback_segment(
    backend: Backend, table: ir.Table, by: str | FeedbackSegment | None, everyone: str = "all"
) -> ir.Table:
    """``table`` (feedback records with their links) with a ``segment`` column.

    ``table`` needs the columns the segment reads (``journey_key``, ``journey_type``,
    ``channel``, ``scope``, ``link_method``, ``ts``, ``attributes``); ``by=None`` puts every
    record in the group ``everyone``.
    """
    if by is None:
        return table.mutate(segment=ibis.literal(everyone))
    segment = parse_feedback_segment(by)
    built = BUILDERS[segment.kind](backend, table, segment.name)
    return built.mutate(segment=ibis.coalesce(built.segment.cast("string"), ibis.literal(NONE)))
