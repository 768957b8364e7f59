"""Say vs do: what customers state in feedback beside what they actually did.

*Say* is a feedback attribute (a survey answer such as ``stated_preferred_channel`` or a
stated reason); *do* is read from the journeys:

=================  ==========================================================================
``channels``       every channel the unit used (a unit counts once in each); the statement
                   agrees when the stated value is among them
``main_channel``   the channel of most of the unit's customer steps (initiator not
                   ``company``; ties: the alphabetically first)
``first_channel``  the journey's first channel
``entry_channel``  the channel of the journey's first customer step (not an e-mail the company
                   sent)
``journey_type``   the journey's type (for a stated reason or topic)
=================  ==========================================================================

The unit is the linked **journey** (feedback linked to a journey in ``feedback_links``) or the
**customer** (every journey of the record's customer: for relationship surveys); ``channels``
and ``main_channel`` work for both, the others need journeys. A unit that stated several times
counts once, with its latest statement. Agreement is matched in lower case.

Reported: the cross-table (say x do: units and their share of the say value's units), the
agreement rate per stated value and overall with Wilson intervals, and the agreement expected
by chance if statements had nothing to do with behaviour (the sum over stated values of their
share times the share of all units whose *do* holds that value).

Examples
--------
>>> SayDoQuery(say="stated_preferred_channel", do="channels").unit
'journey'
>>> SayDoQuery(say="stated_preferred_channel", do="entry_channel", unit="customer")
Traceback (most recent call last):
...
ValueError: do='entry_channel' needs unit='journey' (customers: channels or main_channel)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from journeylens.analytics.segments import json_value, segment_table
from journeylens.store.backends import Backend
from journeylens.voc.intervals import wilson
from journeylens.voc.linkage import FEEDBACK_LINKS

if TYPE_CHECKING:
    import plotly.graph_objects as go

DOS = ("channels", "main_channel", "first_channel", "entry_channel", "journey_type")
UNITS = ("journey", "customer")
_CUSTOMER_DOS = ("channels", "main_channel")
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_\-]*$")


@dataclass(frozen=True)
class SayDoQuery:
    """What was said, against what was done.

    Parameters
    ----------
    say : str
        A top-level key of the feedback ``attributes`` (e.g. ``stated_preferred_channel``).
    do : str
        One of `DOS` (see the module docstring).
    unit : {"journey", "customer"}
        Compare with the linked journey or with all of the customer's journeys.
    kind, scope : str, optional
        Only feedback of this kind (``nps`` …) or scope (``journey``, ``relationship`` …).
    journey_type : str, optional
        Only journeys of this type.
    confidence : float
        Level of the intervals.
    """

    say: str = "stated_preferred_channel"
    do: str = "channels"
    unit: str = "journey"
    kind: str | None = None
    scope: str | None = None
    journey_type: str | None = None
    confidence: float = 0.95

    def __post_init__(self) -> None:
        if not _NAME.match(self.say):
            raise ValueError(
                f"say '{self.say}' must be a top-level key of the feedback attributes "
                "(letters, digits, '_' or '-'), e.g. stated_preferred_channel"
            )
        if self.do not in DOS:
            raise ValueError(f"do '{self.do}' is not one of {', '.join(DOS)}")
        if self.unit not in UNITS:
            raise ValueError(f"unit '{self.unit}' is not one of {', '.join(UNITS)}")
        if self.unit == "customer" and self.do not in _CUSTOMER_DOS:
            raise ValueError(
                f"do='{self.do}' needs unit='journey' (customers: {' or '.join(_CUSTOMER_DOS)})"
            )
        if not 0 < self.confidence < 1:
            raise ValueError(f"confidence must be between 0 and 1 (got {self.confidence})")


@dataclass
class SayDo:
    """Statements beside behaviour.

    ``table`` (`to_frame`): the cross-table, one row per (``say``, ``do``) with ``units`` and
    ``share`` (of the say value's units, percent). ``agreement``: per stated value ``say``,
    ``units``, ``agree``, ``rate`` with ``rate_low``/``rate_high`` and ``expected`` (percent).
    ``summary``: ``units``, ``agree``, ``rate``, ``rate_low``, ``rate_high``, ``expected``
    (chance agreement, percent) and ``statements`` (feedback records read).
    """

    query: SayDoQuery
    table: pa.Table
    agreement: pa.Table
    summary: dict[str, Any]

    def to_frame(self) -> pd.DataFrame:
        """The cross-table (say x do)."""
        frame: pd.DataFrame = self.table.to_pandas()
        return frame

    def figure(self) -> go.Figure:
        """A heat map of the cross-table: for each stated value, the share of its units per
        observed value."""
        import plotly.graph_objects as go

        frame = self.to_frame()
        if frame.empty:
            return go.Figure()
        grid = frame.pivot_table(index="say", columns="do", values="share", fill_value=0.0)
        fig = go.Figure(
            go.Heatmap(
                z=grid.to_numpy(),
                x=list(grid.columns),
                y=list(grid.index),
                colorscale=[[0.0, "#FFFFFF"], [1.0, "#0072B2"]],
                colorbar={"title": "% of units"},
                hovertemplate="said %{y}, did %{x}: %{z:.1f}%<extra></extra>",
            )
        )
        s = self.summary
        fig.update_layout(
            title=f"say ({self.query.say}) vs do ({self.query.do}): agreement "
            f"{s['rate']:.1f}% (chance {s['expected']:.1f}%)",
            xaxis={"title": f"did ({self.query.do})"},
            yaxis={"title": f"said ({self.query.say})"},
            template="plotly_white",
        )
        return fig


def statements(backend: Backend, query: SayDoQuery) -> ir.Table:
    """Per unit (``unit_key``) its latest non-empty statement ``say`` (lower case)."""
    feedback = backend.table("feedback")
    if query.kind is not None:
        feedback = feedback.filter(feedback.kind == query.kind)
    said = feedback.select(
        "feedback_id", "ts", say=json_value(feedback.attributes, query.say).strip().lower()
    )
    said = said.filter(said.say.notnull() & (said.say != ""))
    links = backend.table(FEEDBACK_LINKS)
    if query.scope is not None:
        links = links.filter(links.scope == query.scope)
    if query.journey_type is not None:
        links = links.filter(links.journey_type == query.journey_type)
    key = links.journey_key if query.unit == "journey" else links.customer_key
    links = links.select("feedback_id", unit_key=key).filter(key.notnull())
    rows = said.join(links, "feedback_id")
    return rows.group_by("unit_key").aggregate(
        say=rows.say.argmax(rows.ts), _statements=rows.count()
    )


def _journeys(backend: Backend, query: SayDoQuery) -> ir.Table:
    journeys = backend.table("journeys")
    if query.journey_type is not None:
        journeys = journeys.filter(journeys.journey_type == query.journey_type)
    return journeys


def behaviour(backend: Backend, query: SayDoQuery) -> ir.Table:
    """``unit_key, do`` (lower case): one row per unit, or per unit and channel for
    ``channels``."""
    journeys = _journeys(backend, query)
    unit = "journey_key" if query.unit == "journey" else "customer_key"
    if query.do in ("channels", "main_channel"):
        steps = backend.table("journey_steps").semi_join(
            journeys.select("journey_key"), "journey_key"
        )
        steps = steps.mutate(unit_key=steps[unit], do=steps.channel.lower())
        if query.do == "channels":
            return steps.select("unit_key", "do").distinct()
        own = steps.filter(ibis.coalesce(steps.initiator, ibis.literal("customer")) != "company")
        counted = own.group_by(["unit_key", "do"]).aggregate(n=own.count())
        ranked = counted.mutate(
            _rank=ibis.row_number().over(
                group_by=counted.unit_key, order_by=[ibis.desc(counted.n), counted.do]
            )
        )
        return ranked.filter(ranked._rank == 0).select("unit_key", "do")
    if query.do == "entry_channel":
        entry = segment_table(backend, "entry_channel", journeys)
        return entry.select(unit_key=entry.journey_key, do=entry.segment.lower())
    column = "first_channel" if query.do == "first_channel" else "journey_type"
    return journeys.select(unit_key=journeys.journey_key, do=journeys[column].lower())


def say_do(backend: Backend, query: SayDoQuery | None = None) -> SayDo:
    """Compare statements with behaviour (see the module docstring)."""
    query = query or SayDoQuery()
    said = statements(backend, query)
    done = behaviour(backend, query)
    pairs = said.join(done, "unit_key")
    cross = backend.to_arrow(
        pairs.group_by(["say", "do"]).aggregate(units=pairs.unit_key.nunique())
    ).to_pylist()
    agreeing = pairs.filter(pairs.say == pairs.do).select(_agree_key="unit_key").distinct()
    units = said.semi_join(done.select("unit_key"), "unit_key")
    marked = units.left_join(agreeing, units.unit_key == agreeing._agree_key)
    per_unit = backend.to_arrow(
        marked.group_by("say").aggregate(
            units=marked.count(),
            agree=marked._agree_key.notnull().cast("int64").sum(),
            statements=marked._statements.sum(),
        )
    ).to_pylist()
    units_total = sum(int(r["units"]) for r in per_unit)
    stated_done = done.semi_join(said.select("unit_key"), "unit_key")
    doing = backend.to_arrow(
        stated_done.group_by("do").aggregate(units=stated_done.unit_key.nunique())
    ).to_pylist()
    does = {r["do"]: int(r["units"]) / units_total for r in doing} if units_total else {}
    by_say = {r["say"]: int(r["units"]) for r in per_unit}
    table = pa.Table.from_pylist(
        sorted(
            (
                {
                    "say": r["say"],
                    "do": r["do"],
                    "units": int(r["units"]),
                    "share": 100 * int(r["units"]) / by_say[r["say"]],
                }
                for r in cross
            ),
            key=lambda r: (r["say"], -r["units"], r["do"]),
        ),
        schema=pa.schema(
            [
                ("say", pa.string()),
                ("do", pa.string()),
                ("units", pa.int64()),
                ("share", pa.float64()),
            ]
        ),
    )
    agreement_rows = []
    for r in sorted(per_unit, key=lambda r: (-int(r["units"]), r["say"])):
        n, agree = int(r["units"]), int(r["agree"])
        low, high = wilson(agree, n, query.confidence)
        agreement_rows.append(
            {"say": r["say"], "units": n, "agree": agree, "rate": 100 * agree / n,
             "rate_low": low, "rate_high": high, "expected": 100 * does.get(r["say"], 0.0)}
        )  # fmt: skip
    agree_total = sum(r["agree"] for r in agreement_rows)
    low, high = wilson(agree_total, units_total, query.confidence)
    expected = (
        sum(r["units"] / units_total * r["expected"] for r in agreement_rows)
        if units_total
        else 0.0
    )
    summary = {
        "say": query.say,
        "do": query.do,
        "unit": query.unit,
        "units": units_total,
        "agree": agree_total,
        "rate": 100 * agree_total / units_total if units_total else None,
        "rate_low": None if low != low else low,
        "rate_high": None if high != high else high,
        "expected": expected,
        "statements": sum(int(r["statements"]) for r in per_unit),
    }
    return SayDo(query, table, pa.Table.from_pylist(agreement_rows), summary)
