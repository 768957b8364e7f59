"""Feedback linked to the event and journey it is about: the ``feedback_links`` table.

Each feedback record gets one row, linked by the first method that finds something:

``event``
    the record names an ``event_id`` that is a journey step: that event and its journey;
``journey``
    the record names a ``journey_key`` that is a journey (source keys are kept verbatim as
    journey keys, so a case id from the same source matches);
``open``
    the record's customer (its identifiers stitched through the ``identity`` table, the
    highest-ranked known identifier winning) had a journey open at the feedback time: started
    at or before it and either not yet at its last step or still ``open``;
``after``
    otherwise the customer's journey that ended most recently within ``voc.link_window``
    before the feedback;
``unlinked``
    nothing found (unknown customer, no journey near the time): the record is kept.

When a feedback attribute of ``voc.journey_type_attributes`` (``journey_type``, ``topic``)
names a journey type the workspace has, only journeys of that type are candidates for
``open`` and ``after``. Several open journeys: the one that started last; several ended:
the one that ended last; then the smaller journey key. The scope comes from
`journeylens.voc.scopes`.

Examples
--------
>>> import tempfile, pathlib, journeylens
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> ws = journeylens.init(root / "ws")
>>> _ = (root / "e.csv").write_text("event_id,customer_id,ts,channel,activity\\n"
...     "e1,C1,2025-01-02T10:00:00Z,phone,call\\ne2,C1,2025-01-02T11:00:00Z,web,login\\n"
...     "e3,C1,2025-01-20T10:00:00Z,app,login\\n")
>>> _ = (root / "f.csv").write_text("feedback_id,customer_id,ts,kind,score,event_id\\n"
...     "f1,C1,2025-01-02T10:30:00Z,csat,4,e1\\nf2,C1,2025-01-04T09:00:00Z,nps,9,\\n"
...     "f3,C9,2025-01-04T09:00:00Z,nps,3,\\nf4,C1,2025-01-20T12:00:00Z,nps,7,\\n")
>>> _ = ws.ingest(root / "e.csv"); _ = ws.ingest(root / "f.csv", kind="feedback")
>>> ws.build().feedback_unlinked
1
>>> for r in ws.feedback_links().to_pylist():
...     print(r["feedback_id"], r["link_method"], r["scope"], r["lag_seconds"])
f1 event touchpoint 1800.0
f2 after journey 165600.0
f3 unlinked relationship None
f4 open journey 7200.0
>>> ws.close()
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from journeylens.config import VocSettings
from journeylens.identity.graph import NODE_FIELDS, node_of
from journeylens.palette import PALETTE
from journeylens.store.backends import Backend
from journeylens.voc.scopes import SCOPES, attribute, scope_of

if TYPE_CHECKING:
    import plotly.graph_objects as go

FEEDBACK_LINKS = "feedback_links"

#: Link methods, in order of precedence.
LINK_METHODS: tuple[str, ...] = ("event", "journey", "open", "after", "unlinked")

LINK_COLUMNS: tuple[str, ...] = (
    "feedback_id",
    "customer_key",
    "journey_key",
    "journey_type",
    "event_id",
    "link_method",
    "scope",
    "lag_seconds",
)

_STAGE = "_feedback_links_stage"


@dataclass(frozen=True)
class LinkReport:
    """How the feedback was linked.

    ``table`` has one row per ``link_method`` and ``scope`` with ``feedback`` (records).
    """

    table: pa.Table

    def _sum(self, column: str, value: str) -> int:
        return sum(r["feedback"] for r in self.table.to_pylist() if r[column] == value)

    @property
    def total(self) -> int:
        """Feedback records."""
        return sum(int(v) for v in self.table.column("feedback").to_pylist())

    @property
    def unlinked(self) -> int:
        """Records linked to no journey."""
        return self._sum("link_method", "unlinked")

    @property
    def linked(self) -> int:
        """Records linked to a journey (by any method)."""
        return self.total - self.unlinked

    @property
    def by_method(self) -> dict[str, int]:
        """Records per link method (every method, zeros included)."""
        return {m: self._sum("link_method", m) for m in LINK_METHODS}

    @property
    def by_scope(self) -> dict[str, int]:
        """Records per scope (every scope, zeros included)."""
        return {s: self._sum("scope", s) for s in SCOPES}

    def to_dict(self) -> dict[str, Any]:
        """The counts, ready for JSON."""
        return {
            "feedback": self.total,
            "linked": self.linked,
            "unlinked": self.unlinked,
            "by_method": self.by_method,
            "by_scope": self.by_scope,
            "by_method_and_scope": self.table.to_pylist(),
        }

    def to_frame(self) -> pd.DataFrame:
        """Records per link method and scope."""
        frame: pd.DataFrame = self.table.to_pandas()
        return frame

    def figure(self) -> go.Figure:
        """Records per link method, stacked by scope."""
        import plotly.graph_objects as go

        rows = self.table.to_pylist()
        fig = go.Figure()
        for colour, scope in zip(PALETTE, SCOPES, strict=False):
            counts = {r["link_method"]: r["feedback"] for r in rows if r["scope"] == scope}
            fig.add_bar(
                x=list(LINK_METHODS),
                y=[counts.get(m, 0) for m in LINK_METHODS],
                name=scope,
                marker_color=colour,
            )
        fig.update_layout(
            barmode="stack",
            title=f"feedback linked to journeys ({self.linked:,} of {self.total:,})",
            xaxis={"title": "link method"},
            yaxis={"title": "feedback records"},
            template="plotly_white",
        )
        return fig


def stitched_customers(feedback: ir.Table, identity: ir.Table) -> ir.Table:
    """``feedback_id, customer_key``: the customer of each record's highest-ranked identifier
    known to the ``identity`` table (records with no known identifier are absent)."""
    parts = [
        feedback.filter(feedback[name].notnull()).select(
            "feedback_id", _rank=ibis.literal(rank), _node=node_of(name, feedback[name])
        )
        for rank, name in enumerate(NODE_FIELDS)
    ]
    nodes = ibis.union(*parts)
    lookup = identity.select(_node=identity.node, _customer=identity.customer_key)
    joined = nodes.join(lookup, "_node")
    return joined.group_by("feedback_id").aggregate(
        customer_key=joined._customer.argmin(joined._rank)
    )


def _type_hint(backend: Backend, feedback: ir.Table, settings: VocSettings) -> ir.StringValue:
    """The journey type a record names in one of its attributes (only known types count)."""
    journeys = backend.table("journeys")
    known = backend.to_arrow(journeys.select("journey_type").distinct()).column(0).to_pylist()
    known = sorted(str(t) for t in known if t is not None)
    hints = [attribute(feedback.attributes, name) for name in settings.journey_type_attributes]
    valid = [ibis.cases((hint.isin(known), hint), else_=ibis.null(str)) for hint in hints]
    if not valid or not known:
        return ibis.null(str)
    hint: ir.StringValue = ibis.coalesce(*valid) if len(valid) > 1 else valid[0]
    return hint


def _explicit(backend: Backend, settings: VocSettings) -> ir.Table:
    """Feedback with its stitched customer, the explicit links that hold, and its type hint."""
    feedback = backend.table("feedback")
    base = feedback.select(
        "feedback_id",
        "ts",
        "kind",
        "question",
        "channel",
        "attributes",
        _event=feedback.event_id,
        _journey=feedback.journey_key,
        _hint=_type_hint(backend, feedback, settings),
    )
    steps = backend.table("journey_steps")
    events = steps.select(_event=steps.event_id, _ev_journey=steps.journey_key, _ev_ts=steps.ts)
    journeys = backend.table("journeys")
    named = journeys.select(_journey=journeys.journey_key, _named=ibis.literal(True))
    customers = stitched_customers(feedback, backend.table("identity"))
    table = base.left_join(customers, "feedback_id").drop("feedback_id_right")
    table = table.left_join(events, "_event").drop("_event_right")
    table = table.left_join(named, "_journey").drop("_journey_right")
    return table.mutate(
        _explicit=ibis.coalesce(
            table._ev_journey, ibis.cases((table._named, table._journey), else_=ibis.null(str))
        )
    )


def _by_time(backend: Backend, staged: ir.Table, window_seconds: int) -> ir.Table:
    """``feedback_id, _time_journey, _time_method`` for records without an explicit link."""
    todo = staged.filter(staged._explicit.isnull() & staged.customer_key.notnull())
    todo = todo.select("feedback_id", "customer_key", "ts", "_hint")
    journeys = backend.table("journeys")
    cand = journeys.select(
        _cand=journeys.journey_key,
        _customer=journeys.customer_key,
        _type=journeys.journey_type,
        _start=journeys.start_ts,
        _end=journeys.end_ts,
        _status=journeys.status,
    )
    joined = todo.join(cand, [todo.customer_key == cand._customer, cand._start <= todo.ts])
    since_end = joined.ts.epoch_seconds() - joined._end.epoch_seconds()
    joined = joined.mutate(_open=(since_end <= 0) | (joined._status == "open"), _since=since_end)
    ranked = joined.filter(
        joined._open | (joined._since <= window_seconds),
        joined._hint.isnull() | (joined._type == joined._hint),
    )
    ranked = ranked.mutate(
        _priority=ibis.cases((ranked._open, 0), else_=1),
        _recency=ibis.cases(
            (ranked._open, ranked._start.epoch_seconds()), else_=ranked._end.epoch_seconds()
        ),
    )
    window = ibis.window(
        group_by="feedback_id",
        order_by=[ranked._priority, ibis.desc(ranked._recency), ranked._cand],
    )
    ranked = ranked.mutate(_n=ibis.row_number().over(window))
    best = ranked.filter(ranked._n == 0)
    return best.select(
        "feedback_id",
        _time_journey=best._cand,
        _time_method=ibis.cases((best._priority == 0, "open"), else_="after"),
    )


def link_expr(backend: Backend, settings: VocSettings, staged: ir.Table) -> ir.Table:
    """The ``feedback_links`` rows from the staged explicit links (see `_explicit`)."""
    timed = _by_time(backend, staged, settings.link_window_seconds)
    table = staged.left_join(timed, "feedback_id").drop("feedback_id_right")
    method = ibis.cases(
        (table._ev_journey.notnull(), "event"),
        (table._explicit.notnull(), "journey"),
        (table._time_journey.notnull(), table._time_method),
        else_="unlinked",
    )
    table = table.mutate(
        link_method=method, journey_key=ibis.coalesce(table._explicit, table._time_journey)
    )
    journeys = backend.table("journeys")
    facts = journeys.select(
        journey_key=journeys.journey_key,
        journey_type=journeys.journey_type,
        _j_customer=journeys.customer_key,
        _j_end=journeys.end_ts,
    )
    table = table.left_join(facts, "journey_key").drop("journey_key_right")
    by_event = table.link_method == "event"
    since = ibis.cases((by_event, table._ev_ts.epoch_seconds()), else_=table._j_end.epoch_seconds())
    lag = (table.ts.epoch_seconds() - since).cast("float64")
    return table.select(
        "feedback_id",
        customer_key=ibis.coalesce(table.customer_key, table._j_customer),
        journey_key=table.journey_key,
        journey_type=table.journey_type,
        event_id=ibis.cases((by_event, table._event), else_=ibis.null(str)),
        link_method=table.link_method,
        scope=scope_of(table, settings),
        lag_seconds=ibis.cases((table.journey_key.notnull(), lag), else_=ibis.null("float64")),
    )


def counts(backend: Backend, links: ir.Table) -> LinkReport:
    """Records per link method and scope of a ``feedback_links`` table."""
    grouped = links.group_by(["link_method", "scope"]).aggregate(feedback=links.count())
    table = backend.to_arrow(grouped.order_by(["link_method", "scope"]))
    order = {m: i for i, m in enumerate(LINK_METHODS)}
    rows = sorted(table.to_pylist(), key=lambda r: (order.get(r["link_method"], 99), r["scope"]))
    schema = pa.schema(
        [("link_method", pa.string()), ("scope", pa.string()), ("feedback", pa.int64())]
    )
    return LinkReport(pa.Table.from_pylist(rows, schema=schema))


def link_feedback(backend: Backend, settings: VocSettings | None = None) -> LinkReport:
    """Link every feedback record and store the ``feedback_links`` table.

    Needs the ``feedback``, ``identity``, ``journey_steps`` and ``journeys`` tables.
    """
    settings = settings or VocSettings()
    staged = backend.materialise(_STAGE, _explicit(backend, settings))
    links = backend.materialise(FEEDBACK_LINKS, link_expr(backend, settings, staged))
    backend.drop(_STAGE)
    return counts(backend, links)
