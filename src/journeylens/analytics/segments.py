"""Segments: named ways to put each journey into a group, for any analysis to reuse.

A segment is written as a ``by`` string and turns into an Ibis table of
``journey_key, segment`` (the group's name, a string) over the workspace's journeys:

=========================  ================================================================
``journey_type``           the journey's type
``status``                 open, completed or abandoned
``start_channel``          the channel of step 1
``entry_channel``          the channel of the first step the customer took (initiator not
                           ``company``): where an offer e-mail starts the journey, the channel
                           the customer answered on
``channel``                every channel the journey used: **a journey counts once in each
                           channel it used**, so the groups overlap and their sizes add up to
                           more than the journeys
``period:week``            the Monday of the week the journey started (``2025-03-03``);
                           ``period`` alone means weeks
``period:month``           the month the journey started (``2025-03``)
``attribute:<name>``       the value of ``<name>`` in the JSON ``attributes`` of the journey's
                           first event (e.g. ``attribute:segment``)
``journey_attribute:<n>``  the value of ``<n>`` in the first event's ``journey_attributes``
                           (XES trace attributes, ``case:`` columns)
=========================  ================================================================

A journey without a value (no customer step, no such attribute) is in the group ``(none)``.
Attribute values are read with the engines' JSON path functions (the top-level key only);
strings lose their quotes and the escapes ``\\"`` and ``\\\\``; numbers and booleans appear as
written (``3``, ``true``); nested objects as JSON text.

Examples
--------
>>> parse_segment("attribute:segment")
Segment(kind='attribute', name='segment')
>>> parse_segment("period").by
'period:week'
>>> parse_segment("colour")
Traceback (most recent call last):
...
ValueError: unknown segment 'colour'; choose one of: journey_type, status, start_channel, \
entry_channel, channel, period:week, period:month, attribute:<name>, journey_attribute:<name>
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from journeylens.store.backends import Backend

#: The group of journeys that have no value for a segment.
NONE = "(none)"

_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_\-]*$")
_PERIODS = ("week", "month")
_NAMED = ("attribute", "journey_attribute")
_PLAIN = ("journey_type", "status", "start_channel", "entry_channel", "channel")

CHOICES = (
    *_PLAIN,
    *(f"period:{p}" for p in _PERIODS),
    *(f"{kind}:<name>" for kind in _NAMED),
)


@dataclass(frozen=True)
class Segment:
    """A parsed segment (see the module docstring).

    Parameters
    ----------
    kind : str
        ``journey_type``, ``status``, ``start_channel``, ``entry_channel``, ``channel``,
        ``period``, ``attribute`` or ``journey_attribute``.
    name : str
        The attribute's name, or ``week``/``month`` for a period; empty otherwise.
    """

    kind: str
    name: str = ""

    def __post_init__(self) -> None:
        if self.kind in _PLAIN and not self.name:
            return
        if self.kind == "period" and self.name in _PERIODS:
            return
        if self.kind in _NAMED and _NAME.match(self.name):
            return
        if self.kind in _NAMED:
            raise ValueError(
                f"attribute name '{self.name}' is not supported: write {self.kind}:<name> with "
                "a top-level key of letters, digits, '_' or '-' (e.g. attribute:segment)"
            )
        raise ValueError(f"unknown segment '{self.by}'; choose one of: {', '.join(CHOICES)}")

    @property
    def by(self) -> str:
        """The segment as it is written."""
        return f"{self.kind}:{self.name}" if self.name else self.kind

    @property
    def overlapping(self) -> bool:
        """Whether a journey can be in several groups (``channel``)."""
        return self.kind == "channel"


def parse_segment(by: str | Segment) -> Segment:
    """A `Segment` from its ``by`` string.

    Raises
    ------
    ValueError
        Naming the choices when ``by`` is not one of them.
    """
    if isinstance(by, Segment):
        return by
    text = by.strip()
    kind, _, name = text.partition(":")
    if kind == "period" and not name:
        name = "week"
    if kind not in (*_PLAIN, "period", *_NAMED):
        raise ValueError(f"unknown segment '{text}'; choose one of: {', '.join(CHOICES)}")
    return Segment(kind, name)


def json_value(column: ir.StringValue, key: str) -> ir.StringValue:
    """The value of a top-level ``key`` in a JSON object held as text, as a string.

    DuckDB returns a string value with its quotes, Spark without: quotes and the common escapes
    are removed so that both engines give the same text; JSON ``null`` is null.
    """
    raw = column.cast("json")[key].cast("string")
    quoted = raw.startswith('"') & raw.endswith('"') & (raw.length() >= 2)
    inner = raw.substr(1, raw.length() - 2).replace('\\"', '"').replace("\\\\", "\\")
    return ibis.cases(
        (raw == "null", ibis.null(str)),
        (quoted, inner),
        else_=raw,
    )


def _first_events(backend: Backend, journeys: ir.Table) -> ir.Table:
    steps = backend.table("journey_steps")
    first = steps.filter(steps.step == 1).select("journey_key", "event_id")
    first = first.semi_join(journeys.select("journey_key"), "journey_key")
    events = backend.table("events").select("event_id", "attributes", "journey_attributes")
    return first.join(events, "event_id")


def _attribute(column: str) -> Callable[[Backend, ir.Table, str], ir.Table]:
    def build(backend: Backend, journeys: ir.Table, name: str) -> ir.Table:
        first = _first_events(backend, journeys)
        values = first.select("journey_key", _value=json_value(first[column], name))
        joined = journeys.select("journey_key").left_join(values, "journey_key")
        return joined.select("journey_key", segment=joined._value)

    return build


def period_label(ts: ir.TimestampValue, period: str) -> ir.StringValue:
    """The Monday of the week (``2025-03-03``) or the month (``2025-03``) of ``ts``."""
    if period == "week":
        return ts.truncate("W").date().cast("string")
    return ts.truncate("M").date().cast("string").substr(0, 7)


def _period(backend: Backend, journeys: ir.Table, name: str) -> ir.Table:
    return journeys.select("journey_key", segment=period_label(journeys.start_ts, name))


def _channels(backend: Backend, journeys: ir.Table, name: str) -> ir.Table:
    steps = backend.table("journey_steps")
    used = steps.select("journey_key", segment=steps.channel).distinct()
    return used.semi_join(journeys.select("journey_key"), "journey_key")


def _entry_channel(backend: Backend, journeys: ir.Table, name: str) -> ir.Table:
    steps = backend.table("journey_steps")
    by_customer = steps.filter(
        ibis.coalesce(steps.initiator, ibis.literal("customer")) != "company"
    )
    entry = by_customer.group_by("journey_key").aggregate(
        _value=by_customer.channel.argmin(by_customer.step)
    )
    joined = journeys.select("journey_key").left_join(entry, "journey_key")
    return joined.select("journey_key", segment=joined._value)


def _column(column: str) -> Callable[[Backend, ir.Table, str], ir.Table]:
    def build(backend: Backend, journeys: ir.Table, name: str) -> ir.Table:
        return journeys.select("journey_key", segment=journeys[column])

    return build


#: How each kind of segment is computed (a table, not an if/elif chain).
BUILDERS: dict[str, Callable[[Backend, ir.Table, str], ir.Table]] = {
    "journey_type": _column("journey_type"),
    "status": _column("status"),
    "start_channel": _column("first_channel"),
    "entry_channel": _entry_channel,
    "channel": _channels,
    "period": _period,
    "attribute": _attribute("attributes"),
    "journey_attribute": _attribute("journey_attributes"),
}


def segment_table(
    backend: Backend, by: str | Segment, journeys: ir.Table | None = None
) -> ir.Table:
    """``journey_key, segment`` for the journeys (all of the workspace's by default).

    One row per journey, except for ``channel``: one row per channel the journey used.
    """
    segment = parse_segment(by)
    table = backend.table("journeys") if journeys is None else journeys
    built = BUILDERS[segment.kind](backend, table, segment.name)
    return built.select(
        "journey_key", segment=ibis.coalesce(built.segment.cast("string"), ibis.literal(NONE))
    )


def journeys_in(
    backend: Backend, by: str | Segment, value: str, journeys: ir.Table | None = None
) -> ir.Table:
    """The journeys (rows of ``journeys``) that belong to group ``value`` of a segment."""
    table = backend.table("journeys") if journeys is None else journeys
    keys = segment_table(backend, by, table)
    return table.semi_join(keys.filter(keys.segment == value).select("journey_key"), "journey_key")
