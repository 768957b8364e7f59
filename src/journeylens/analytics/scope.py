"""Scopes: the journeys a view is about (a period, a journey type, a channel, a segment), so any
analysis runs on them unchanged.

A `Scope` keeps the journeys that

- started on or after ``start`` and on or before ``end`` (dates, UTC, both inclusive);
- are of ``journey_type``;
- used ``channel`` in any step;
- belong to group ``value`` of a segment, written ``"<by>=<value>"`` with ``by`` any segment
  of `journeylens.analytics.segments` (``"status=abandoned"``, ``"entry_channel=app"``,
  ``"attribute:segment=business"``).

`Scope.backend` wraps the workspace's engine in a read-only `JourneySubset` of those journeys
(the engine itself when the scope keeps everything), so every analysis of
`journeylens.analyses` answers for the scope. `segment_options` lists the groups of a few
segments with their sizes (what a filter form offers) and `scope_counts` the headline numbers
of a scope.

Examples
--------
>>> from datetime import date
>>> scope = Scope(start=date(2025, 3, 1), segment="attribute:segment=business")
>>> scope.segment_parts
('attribute:segment', 'business')
>>> scope.restricts
True
>>> Scope().restricts
False
>>> Scope(segment="colour=red")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: unknown segment 'colour'; choose one of: ...
>>> Scope(start=date(2025, 3, 2), end=date(2025, 3, 1))
Traceback (most recent call last):
...
ValueError: the period ends (2025-03-01) before it starts (2025-03-02): swap the dates
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import ibis
import ibis.expr.types as ir

from journeylens.analytics.segments import journeys_in, parse_segment, segment_table
from journeylens.analytics.subset import JourneySubset
from journeylens.store.backends import Backend

#: The segments a filter form offers by default (attribute segments are added when present).
DEFAULT_SEGMENTS = ("status", "entry_channel", "attribute:segment")


@dataclass(frozen=True)
class Scope:
    """Which journeys.

    Parameters
    ----------
    start, end : date, optional
        The first and last day (inclusive) on which the journeys started.
    journey_type : str, optional
        Only journeys of this type.
    channel : str, optional
        Only journeys that used this channel (in any step).
    segment : str, optional
        ``"<by>=<value>"``: only journeys in group ``value`` of segment ``by``.
    """

    start: date | None = None
    end: date | None = None
    journey_type: str | None = None
    channel: str | None = None
    segment: str | None = None

    def __post_init__(self) -> None:
        if self.start is not None and self.end is not None and self.end < self.start:
            raise ValueError(
                f"the period ends ({self.end}) before it starts ({self.start}): swap the dates"
            )
        if self.segment is not None:
            by, sep, _value = self.segment.partition("=")
            if not sep or not by.strip():
                raise ValueError(
                    f"segment '{self.segment}' must be written <by>=<value>, e.g. "
                    "'status=abandoned' or 'attribute:segment=business'"
                )
            parse_segment(by)  # raises with the choices

    @property
    def segment_parts(self) -> tuple[str, str] | None:
        """``(by, value)`` of the segment filter, or None."""
        if self.segment is None:
            return None
        by, _, value = self.segment.partition("=")
        return parse_segment(by).by, value

    @property
    def restricts(self) -> bool:
        """Whether the scope leaves some journeys out."""
        return any(
            v is not None
            for v in (self.start, self.end, self.journey_type, self.channel, self.segment)
        )

    def journeys(self, backend: Backend) -> ir.Table:
        """The rows of the ``journeys`` table in the scope, as an expression."""
        table = backend.table("journeys")
        if self.start is not None:
            table = table.filter(table.start_ts >= _midnight(self.start))
        if self.end is not None:
            table = table.filter(table.start_ts < _midnight(self.end + timedelta(days=1)))
        if self.journey_type is not None:
            table = table.filter(table.journey_type == self.journey_type)
        if self.channel is not None:
            table = journeys_in(backend, "channel", self.channel, table)
        parts = self.segment_parts
        if parts is not None:
            table = journeys_in(backend, parts[0], parts[1], table)
        return table

    def backend(self, backend: Backend, *, materialise: bool = True) -> Backend:
        """``backend`` seen through the scope's journeys (itself when nothing is left out).

        With ``materialise`` the keys of the scope's journeys are computed once, here, and
        every analysis on the view semi-joins that list, instead of evaluating the filters
        (a segment's JSON attributes, the channels of every step) again in each query.
        """
        if not self.restricts:
            return backend
        journeys = self.journeys(backend)
        if materialise:
            keys = backend.to_arrow(journeys.select("journey_key"))
            journeys = ibis.memtable(keys)
        return JourneySubset(backend, journeys)


def _midnight(day: date) -> ir.TimestampScalar:
    stamp: ir.TimestampScalar = ibis.literal(datetime.combine(day, time()), "timestamp")
    return stamp


def segment_options(
    backend: Backend, segments: Sequence[str] = DEFAULT_SEGMENTS, top: int = 20
) -> dict[str, list[tuple[str, int]]]:
    """The groups of each segment with their journeys, largest first (at most ``top``).

    A segment whose only group is ``(none)`` (an attribute no event has) is left out.

    Returns
    -------
    dict
        ``{by: [(value, journeys), ...]}``, e.g. ``{"status": [("completed", 812), ...]}``.
    """
    out: dict[str, list[tuple[str, int]]] = {}
    for by in segments:
        groups = segment_table(backend, by)
        counts = groups.group_by("segment").aggregate(journeys=groups.count())
        rows = backend.to_arrow(
            counts.order_by([ibis.desc("journeys"), "segment"]).limit(top)
        ).to_pylist()
        values = [(str(r["segment"]), int(r["journeys"])) for r in rows]
        if values and any(v != "(none)" for v, _ in values):
            out[parse_segment(by).by] = values
    return out


def scope_counts(backend: Backend) -> dict[str, Any]:
    """Headline numbers of the journeys ``backend`` holds (e.g. a scope's `JourneySubset`).

    Returns
    -------
    dict
        ``journeys``, ``customers`` (with at least one journey), ``events`` (steps of those
        journeys), ``first`` and ``last`` journey start, ``success_rate`` (over the journeys
        with a success criterion), ``median_seconds`` (duration), ``by_channel`` (``channel``,
        ``events``, ``journeys``; most events first) and ``by_type`` (``journey_type``,
        ``journeys``, ``success_rate``; most journeys first).
    """
    journeys = backend.table("journeys")
    steps = backend.table("journey_steps")
    head = backend.to_arrow(
        journeys.aggregate(
            journeys=journeys.count(),
            customers=journeys.customer_key.nunique(),
            events=journeys.steps.sum(),
            first=journeys.start_ts.min(),
            last=journeys.start_ts.max(),
            success_rate=journeys.success.cast("float64").mean(),
            median_seconds=journeys.duration_seconds.median(),
        )
    ).to_pylist()[0]
    by_channel = steps.group_by("channel").aggregate(
        events=steps.count(), journeys=steps.journey_key.nunique()
    )
    by_type = journeys.group_by("journey_type").aggregate(
        journeys=journeys.count(), success_rate=journeys.success.cast("float64").mean()
    )
    return {
        "journeys": int(head["journeys"] or 0),
        "customers": int(head["customers"] or 0),
        "events": int(head["events"] or 0),
        "first": head["first"],
        "last": head["last"],
        "success_rate": head["success_rate"],
        "median_seconds": head["median_seconds"],
        "by_channel": backend.to_arrow(
            by_channel.order_by([ibis.desc("events"), "channel"])
        ).to_pylist(),
        "by_type": backend.to_arrow(
            by_type.order_by([ibis.desc("journeys"), "journey_type"])
        ).to_pylist(),
    }
