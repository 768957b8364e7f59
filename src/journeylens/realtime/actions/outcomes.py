"""The outcome of each moment, from the built workspace (Ibis expressions over its tables).

`read_moments` reads the outbox's moments; `moment_outcomes` joins them with the built
``journeys``, ``journey_steps`` and (when present) ``feedback_links`` + ``feedback`` tables:
the outcome journey of each moment (``link``: ``key``, ``open``, ``next`` or ``none``), its
status, completion and success, the assisted contacts after the moment within the horizon,
and the linked score. The definitions are in `journeylens.realtime.actions.uplift`.

Examples
--------
>>> import tempfile, pathlib
>>> from journeylens.realtime.actions.center import ActionCenter
>>> from journeylens.realtime.actions.settings import ActionSettings
>>> path = pathlib.Path(tempfile.mkdtemp()) / "outbox.sqlite"
>>> ActionCenter(path, ActionSettings()).close()
>>> read_moments(path).column_names
['moment_id', 'rule', 'customer_key', 'ts', 'journey_key', 'holdout']
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc

from journeylens.errors import WorkspaceError
from journeylens.journeys import JOURNEYS_TABLE, STEPS_TABLE
from journeylens.realtime.actions import outbox
from journeylens.store.backends import Backend

LINKS_TABLE = "feedback_links"


# -- reading the outbox -------------------------------------------------------------------------


def read_moments(center_path: Path, rules: tuple[str, ...] = ()) -> pa.Table:
    """The outbox's moments as Arrow: id, rule, customer, ts (UTC, naive), journey, arm."""
    if not Path(center_path).exists():
        raise WorkspaceError(
            f"no outbox at {center_path}: moments are recorded by the live server "
            "(journeylens serve) once rules fire"
        )
    conn = outbox.connect(Path(center_path))
    try:
        sql = "SELECT moment_id, rule, customer_key, ts, journey_key, holdout FROM moments"
        params: list[Any] = []
        if rules:
            sql += f" WHERE rule IN ({','.join('?' * len(rules))})"
            params.extend(rules)
        rows = conn.execute(sql + " ORDER BY seq", params).fetchall()
    finally:
        conn.close()
    columns: list[tuple[Any, ...]] = list(zip(*rows, strict=True)) if rows else [()] * 6
    ts = pc.utf8_slice_codeunits(pa.array(columns[3], pa.string()), 0, 26)
    return pa.table(
        {
            "moment_id": pa.array(columns[0], pa.string()),
            "rule": pa.array(columns[1], pa.string()),
            "customer_key": pa.array(columns[2], pa.string()),
            "ts": ts.cast(pa.timestamp("us")),
            "journey_key": pa.array(columns[4], pa.string()),
            "holdout": pa.array([bool(v) for v in columns[5]], pa.bool_()),
        }
    )


# -- outcomes, as Ibis expressions over the built tables ------------------------------------


def _outcome_journeys(m: ir.Table, j: ir.Table, journey: str) -> ir.Table:
    """The outcome journey of each moment: (moment_id, outcome_journey, link)."""

    def pick(joined: ir.Table, link: str, rank: int, order: ir.Value) -> ir.Table:
        return joined.select(
            moment_id=m.moment_id,
            outcome_journey=j.o_journey,
            link=ibis.literal(link),
            rank=ibis.literal(rank).cast("int64"),
            order=order.cast("float64"),
        )

    start = j.start_ts.epoch_seconds()
    upcoming = m.inner_join(
        j, (m.customer_key == j.o_customer) & (j.start_ts > m.ts) & (j.start_ts <= m.until)
    )
    candidates = [pick(upcoming, "next", 2, start)]
    if journey == "moment":
        by_key = m.inner_join(j, m.journey_key == j.o_journey)
        running = m.inner_join(
            j, (m.customer_key == j.o_customer) & (j.start_ts <= m.ts) & (j.end_ts >= m.ts)
        )
        candidates = [
            pick(by_key, "key", 0, ibis.literal(0)),
            pick(running, "open", 1, -start),
            *candidates,
        ]
    union = ibis.union(*candidates) if len(candidates) > 1 else candidates[0]
    window = ibis.window(group_by="moment_id", order_by=["rank", "order", "outcome_journey"])
    ranked = union.mutate(_n=ibis.row_number().over(window))
    return ranked.filter(ranked._n == 0).select("moment_id", "outcome_journey", "link")


def _contacts(m: ir.Table, steps: ir.Table) -> ir.Table:
    assisted = steps.filter(steps.assisted).select(c_customer=steps.customer_key, c_ts=steps.ts)
    joined = m.inner_join(
        assisted,
        (m.customer_key == assisted.c_customer)
        & (assisted.c_ts > m.ts)
        & (assisted.c_ts <= m.until),
    )
    return joined.group_by(joined.moment_id).aggregate(contacts_after=joined.count())


def _scores(best: ir.Table, m: ir.Table, links: ir.Table, feedback: ir.Table) -> ir.Table:
    fb = feedback.filter(
        feedback.score.notnull()
        & feedback.scale_min.notnull()
        & feedback.scale_max.notnull()
        & (feedback.scale_max > feedback.scale_min)
    ).select(
        f_id=feedback.feedback_id,
        f_ts=feedback.ts,
        f_score=(feedback.score - feedback.scale_min)
        / (feedback.scale_max - feedback.scale_min)
        * 100,
    )
    linked = links.filter(links.journey_key.notnull()).select(
        l_id=links.feedback_id, l_journey=links.journey_key
    )
    scored = linked.inner_join(fb, linked.l_id == fb.f_id)
    times = m.select(t_id=m.moment_id, t_ts=m.ts)
    timed = best.inner_join(times, best.moment_id == times.t_id)
    joined = timed.inner_join(
        scored, (timed.outcome_journey == scored.l_journey) & (scored.f_ts >= timed.t_ts)
    )
    return joined.group_by(joined.moment_id).aggregate(score=joined.f_score.mean())


def moment_outcomes(
    backend: Backend, moments: pa.Table, journey: str, horizon_seconds: float
) -> tuple[pa.Table, datetime | None, bool]:
    """Each moment with its outcome journey and measures; the data's as-of; scores or not.

    ``journey`` is ``moment`` or ``next`` and ``horizon_seconds`` the horizon (see
    `journeylens.realtime.actions.uplift.UpliftQuery`).
    """
    for name in (JOURNEYS_TABLE, STEPS_TABLE):
        if not backend.has_table(name):
            raise WorkspaceError(f"no {name} table yet: run journeylens build after the moments")
    steps = backend.table(STEPS_TABLE)
    as_of: datetime | None = backend.scalar(steps.ts.max())
    horizon = timedelta(seconds=horizon_seconds)
    until = pc.add(moments["ts"], pa.scalar(horizon, pa.duration("us")))
    observed = (
        pc.less_equal(until, pa.scalar(as_of, pa.timestamp("us")))
        if as_of is not None
        else pa.array([False] * moments.num_rows)
    )
    m = ibis.memtable(moments.append_column("until", until).append_column("observed", observed))
    journeys = backend.table(JOURNEYS_TABLE)
    j = journeys.select(
        o_journey=journeys.journey_key,
        o_customer=journeys.customer_key,
        start_ts=journeys.start_ts,
        end_ts=journeys.end_ts,
        status=journeys.status,
        journey_success=journeys.success,
    )
    best = _outcome_journeys(m, j, journey)
    contacts = _contacts(m, steps)
    with_scores = backend.has_table(LINKS_TABLE) and backend.has_table("feedback")
    known = backend.table(JOURNEYS_TABLE).select(k_customer="customer_key").distinct()

    out = m.left_join(best, m.moment_id == best.moment_id).select(
        m, outcome_journey=best.outcome_journey, link=best.link
    )
    out = out.left_join(j, out.outcome_journey == j.o_journey).select(
        out, status=j.status, journey_success=j.journey_success
    )
    out = out.left_join(contacts, out.moment_id == contacts.moment_id).select(
        out, n_contacts=contacts.contacts_after
    )
    out = out.left_join(known, out.customer_key == known.k_customer).select(
        out, known=known.k_customer.notnull()
    )
    if with_scores:
        scores = _scores(best, m, backend.table(LINKS_TABLE), backend.table("feedback"))
        out = out.left_join(scores, out.moment_id == scores.moment_id).select(
            out, score=scores.score
        )
    settled = out.status.isin(["completed", "abandoned"])
    contacts_after = ibis.cases(
        (out.observed & out.known, out.n_contacts.fill_null(0)), else_=ibis.null("int64")
    )
    result = out.select(
        "moment_id",
        "rule",
        "customer_key",
        "ts",
        "holdout",
        "outcome_journey",
        link=out.link.fill_null("none"),
        status=out.status,
        completed=ibis.cases((settled, out.status == "completed"), else_=ibis.null("boolean")),
        success=ibis.cases((settled, out.journey_success), else_=ibis.null("boolean")),
        contacts_after=contacts_after,
        recontact=contacts_after > 0,
        **({"score": out.score} if with_scores else {}),
    ).order_by(["rule", "ts", "moment_id"])
    return backend.to_arrow(result), as_of, with_scores
