"""How a funnel finds, per unit, how far it got: the expressions behind `funnels`.

A *unit* (a journey, or a customer across journeys) is a sequence of events numbered by
``_pos``: the journey's ``step`` column, or for a customer the order of ``ts`` then the input
order (``seq``), which is the same tie rule the journeys use. Every expression partitions by
``(_g, _u)`` (breakdown group, unit) and orders by ``_pos``; frames are always stated.

**Ordered and strict** (the product-analytics convention: the attempt that gets furthest).
A unit reaches step *k* when there are occurrences ``e1 < e2 < … < ek`` (by position) of the
steps such that each gap is within its step window, ``ek`` is within the overall window of
``e1``, no active exclusion lies strictly between two consecutive occurrences, and (strict)
each ``e(i+1)`` is the event right after ``ei``. This is computed level by level: an
occurrence of step *k* is *reachable* when the latest reachable occurrence of step *k-1*
before it (in the same exclusion-free stretch) qualifies; its *start* is that occurrence's
start. The latest one is always the best: starts never decrease along a unit's sequence (a
later step-1 entry leaves more of the window), so it has both the latest start and the
shortest gap. That makes each level one windowed running maximum, linear in the events.

**Unordered**: a unit reaches step *k* when it did each of steps 1..k (in any order) within
the overall window with no exclusion between the first and the last of those occurrences.
For each possible first occurrence (an *anchor*), the best set uses the next occurrence of
each step at or after it (a reverse running minimum), so one window pass finds every level.

The result of both is a *reached* table: one row per unit and level it reached, at the first
moment it reached that level: ``_g``, ``_u``, ``level``, ``_pos`` (where it reached the
level), ``from_start`` and ``from_previous`` (seconds).

Examples
--------
>>> import ibis
>>> t = ibis.table({"ts": "timestamp"}, name="t")
>>> seconds(t.ts).type()
Int64(nullable=True)
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from journeylens.analytics.labels import END

#: Columns every stage carries: breakdown group, unit, position, time in seconds.
KEYS = ("_g", "_u", "_pos", "_sec")
_UNIT = ["_g", "_u"]
_NO_INT = ibis.null("int64")

#: Where ``_u`` and the partition come from, per unit.
UNIT_COLUMNS = {"journey": "journey_key", "customer": "customer_key"}


def seconds(ts: ir.TimestampValue) -> ir.IntegerValue:
    """Whole seconds since the epoch (the same on every engine, also for sub-second times)."""
    return ts.epoch_seconds().floor().cast("int64")


def sequence(steps: ir.Table, journeys: ir.Table, unit: str, breakdown: str | None) -> ir.Table:
    """Every event of every unit, numbered: ``_g``, ``_u``, ``_pos``, ``_sec``, ``label``.

    ``steps`` must carry a ``label`` column. With a ``breakdown`` column of the journeys
    table, ``_g`` is its value (as a string, ``(none)`` when null) and a customer's events are
    one unit per group; without one ``_g`` is empty.
    """
    if breakdown is not None:
        groups = journeys.select(
            "journey_key",
            _g=ibis.coalesce(journeys[breakdown].cast("string"), ibis.literal("(none)")),
        )
        steps = steps.join(groups, "journey_key")
    else:
        steps = steps.mutate(_g=ibis.literal(""))
    steps = steps.mutate(_u=steps[UNIT_COLUMNS[unit]], _sec=seconds(steps.ts))
    if unit == "journey":
        steps = steps.mutate(_pos=steps.step.cast("int64"))
    else:
        order = ibis.window(group_by=_UNIT, order_by=["ts", "seq", "journey_key", "step"])
        steps = steps.mutate(_pos=(ibis.row_number().over(order) + 1).cast("int64"))
    return steps.select(*KEYS, "label")


def matched(
    seq: ir.Table, steps: Sequence[frozenset[str]], exclusions: Sequence[frozenset[str]]
) -> ir.Table:
    """Events that match a step or an exclusion, with flags ``_s1`` … and ``_x1`` …."""
    flags = {f"_s{k}": seq.label.isin(sorted(s)) for k, s in enumerate(steps, 1)}
    flags |= {f"_x{j}": seq.label.isin(sorted(x)) for j, x in enumerate(exclusions, 1)}
    table = seq.mutate(**flags)
    wanted = [table[name] for name in flags]
    keep = wanted[0]
    for flag in wanted[1:]:
        keep = keep | flag
    return table.filter(keep).drop("label")


# -- ordered and strict -------------------------------------------------------------------


def first_level(m: ir.Table) -> ir.Table:
    """Reachable occurrences of step 1: every one, each its own start."""
    hits = m.filter(m._s1)
    return hits.select(*KEYS, _start=hits._sec, _prev=_NO_INT)


def _stacked(
    table: ir.Table,
    kind: int,
    pos: ir.IntegerValue = _NO_INT,
    sec: ir.IntegerValue = _NO_INT,
    start: ir.IntegerValue = _NO_INT,
) -> ir.Table:
    """Rows of one kind for `next_level`, with the same types on every engine."""
    return table.select(
        "_g",
        "_u",
        _pos=table._pos.cast("int64"),
        _sec=table._sec.cast("int64"),
        _kind=ibis.literal(kind, "int64"),
        _fpos=pos.cast("int64"),
        _fsec=sec.cast("int64"),
        _fstart=start.cast("int64"),
    )


def next_level(
    previous: ir.Table,
    m: ir.Table,
    k: int,
    *,
    strict: bool,
    gap: int | None,
    window: int | None,
    excluded: ir.BooleanValue | None,
) -> ir.Table:
    """Reachable occurrences of step ``k`` from those of step ``k - 1`` (see module doc).

    Candidates (kind 0), exclusions (kind 1) and reachable previous occurrences (kind 2) are
    stacked in one sequence ordered by ``(_pos, _kind)``, so an event that is both a candidate
    and a previous occurrence never reaches itself and an exclusion on the candidate itself
    does not count. Exclusions cut the sequence into stretches (a running count); within a
    stretch, the latest previous occurrence before each candidate is a running maximum over
    ``ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING``.
    """
    candidates = m.filter(m[f"_s{k}"])
    parts = [
        _stacked(candidates, 0),
        _stacked(previous, 2, previous._pos, previous._sec, previous._start),
    ]
    stretch = ["_g", "_u"]
    if excluded is not None:
        parts.append(_stacked(m.filter(excluded), 1))
    stacked = ibis.union(*parts)
    if excluded is not None:
        running = ibis.window(group_by=_UNIT, order_by=["_pos", "_kind"], rows=(None, 0))
        stacked = stacked.mutate(_seg=(stacked._kind == 1).cast("int64").sum().over(running))
        stretch = [*_UNIT, "_seg"]
    before = ibis.window(group_by=stretch, order_by=["_pos", "_kind"], rows=(None, -1))
    stacked = stacked.mutate(
        _lpos=stacked._fpos.max().over(before),
        _lsec=stacked._fsec.max().over(before),
        _lstart=stacked._fstart.max().over(before),
    )
    ok = (stacked._kind == 0) & stacked._lpos.notnull()
    if strict:
        ok = ok & (stacked._pos - stacked._lpos == 1)
    if gap is not None:
        ok = ok & (stacked._sec - stacked._lsec <= gap)
    if window is not None:
        ok = ok & (stacked._sec - stacked._lstart <= window)
    hits = stacked.filter(ok)
    return hits.select(*KEYS, _start=hits._lstart, _prev=hits._lsec)


def first_reach(level: ir.Table, k: int) -> ir.Table:
    """Per unit, the first reachable occurrence of one level (its start and previous step)."""
    first = level.group_by(_UNIT).aggregate(
        _pos=level._pos.min(),
        _sec=level._sec.min(),
        _start=level._start.argmin(level._pos),
        _prev=level._prev.argmin(level._pos),
    )
    return _reach(
        first,
        k,
        first._pos,
        (first._sec - first._start) if k > 1 else _NO_INT,
        (first._sec - first._prev) if k > 1 else _NO_INT,
    )


def _reach(
    table: ir.Table,
    k: int,
    pos: ir.IntegerValue,
    from_start: ir.IntegerValue,
    from_previous: ir.IntegerValue,
    **extra: ir.Value,
) -> ir.Table:
    """Rows of the reached table, with the same types on every engine."""
    return table.select(
        *_UNIT,
        level=ibis.literal(k, "int64"),
        _pos=pos.cast("int64"),
        from_start=from_start.cast("int64"),
        from_previous=from_previous.cast("int64"),
        **extra,
    )


# -- unordered ----------------------------------------------------------------------------


def anchors(m: ir.Table, n: int, exclusions: int) -> ir.Table:
    """Per occurrence of any step: where each step next occurs at or after it (``_np<k>``,
    ``_ns<k>``) and where the next exclusion lies after it (``_nx``; frames ``ROWS BETWEEN
    CURRENT ROW (or 1 FOLLOWING) AND UNBOUNDED FOLLOWING``)."""
    after = ibis.window(group_by=_UNIT, order_by="_pos", rows=(0, None))
    nexts: dict[str, ir.Value] = {}
    for k in range(1, n + 1):
        hit = m[f"_s{k}"]
        nexts[f"_np{k}"] = ibis.cases((hit, m._pos), else_=_NO_INT).min().over(after)
        nexts[f"_ns{k}"] = ibis.cases((hit, m._sec), else_=_NO_INT).min().over(after)
    if exclusions:
        later = ibis.window(group_by=_UNIT, order_by="_pos", rows=(1, None))
        nexts["_nx"] = (
            ibis.cases((_any(m, "_x", exclusions), m._pos), else_=_NO_INT).min().over(later)
        )
    return m.mutate(**nexts).filter(_any(m, "_s", n))


def _any(table: ir.Table, prefix: str, count: int) -> ir.BooleanValue:
    """Whether any of the flags ``<prefix>1`` … ``<prefix><count>`` is set."""
    result: ir.BooleanValue = table[f"{prefix}1"]
    for k in range(2, count + 1):
        result = result | table[f"{prefix}{k}"]
    return result


def _greatest(values: list[ir.IntegerValue]) -> ir.IntegerValue:
    return values[0] if len(values) == 1 else ibis.greatest(*values)


def _unordered_level(a: ir.Table, k: int, window: int | None, excluding: bool) -> ir.Table:
    """Anchors from which steps 1..k are all done within the window, without exclusion."""
    positions = [a[f"_np{j}"] for j in range(1, k + 1)]
    times = [a[f"_ns{j}"] for j in range(1, k + 1)]
    ok = positions[0].notnull()
    for p in positions[1:]:
        ok = ok & p.notnull()
    end_pos, end_sec = _greatest(positions), _greatest(times)
    if window is not None:
        ok = ok & (end_sec - a._sec <= window)
    if excluding:
        ok = ok & (a._nx.isnull() | (end_pos < a._nx))
    marked = a.mutate(
        _ok=ok,
        _end_pos=end_pos,
        _from_start=(end_sec - a._sec) if k > 1 else _NO_INT,
        _from_previous=(end_sec - _greatest(times[:-1])) if k > 1 else _NO_INT,
    )
    hits = marked.filter(marked._ok)
    return _reach(
        hits,
        k,
        hits._end_pos,
        hits._from_start,
        hits._from_previous,
        _anchor=hits._pos.cast("int64"),
    )


def unordered_reach(a: ir.Table, n: int, window: int | None, excluding: bool) -> ir.Table:
    """Per unit and level, the first time it had done steps 1..k (see module doc).

    Among anchors, the one that completes the level first wins, then the latest such anchor
    (the shortest span): ``ROW_NUMBER() OVER (PARTITION BY _g, _u, level ORDER BY _pos,
    _anchor DESC)``.
    """
    stacked = ibis.union(*[_unordered_level(a, k, window, excluding) for k in range(1, n + 1)])
    order = ibis.window(group_by=[*_UNIT, "level"], order_by=["_pos", ibis.desc("_anchor")])
    ranked = stacked.mutate(_rank=ibis.row_number().over(order))
    return ranked.filter(ranked._rank == 0).select(
        *_UNIT, "level", "_pos", "from_start", "from_previous"
    )


# -- what the dropped units did next --------------------------------------------------------


def dropped(reached: ir.Table, seq: ir.Table, n: int) -> ir.Table:
    """Units that stopped before step ``n``: ``_g``, ``unit``, ``after_step`` (the last step
    they reached) and ``next_label`` (their next event after reaching it, ``■ end`` if none)."""
    whole = ibis.window(group_by=_UNIT)
    last = reached.mutate(_last=reached.level.max().over(whole))
    last = last.filter((last.level == last._last) & (last._last < n))
    at = last.select(*_UNIT, after_step=last.level, _next=last._pos + 1)
    nxt = seq.select(_ng=seq._g, _nu=seq._u, _npos=seq._pos, next_label=seq.label)
    joined = at.left_join(nxt, [at._g == nxt._ng, at._u == nxt._nu, at._next == nxt._npos])
    return joined.select(
        _g=joined._g,
        unit=joined._u,
        after_step=joined.after_step,
        next_label=ibis.coalesce(joined.next_label, ibis.literal(END)),
    )
