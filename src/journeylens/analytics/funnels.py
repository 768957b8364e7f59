"""Funnels: how many journeys (or customers) go through a series of steps, where they drop
out, how long each step takes, and what those who dropped out did instead.

A step is a label (``by``: activity, channel or activity@channel), or alternatives written
``"renewal_viewed|renewal_page"``. Three orders: ``ordered`` (each step after the previous
one, other events may come between), ``strict`` (each step is the very next event after the
previous one) and ``unordered`` (the steps in any order). A unit counts as far as its best
attempt got (see `journeylens.analytics.funnel_match` and docs/analytics/funnels.md for the
exact rules on windows, exclusions and ties).

Examples
--------
>>> q = FunnelQuery(steps=["move_form_started", "move_form_submitted|move_requested"],
...                 window="14d", exclude=["move_form_error:1-2"])
>>> q.window_seconds, q.alternatives[1] == frozenset({"move_form_submitted", "move_requested"})
(1209600, True)
>>> q.exclude[0]
Exclusion(label='move_form_error', from_step=1, to_step=2)
>>> FunnelQuery(steps=["a"])
Traceback (most recent call last):
...
ValueError: a funnel needs at least two steps, e.g. steps=["cart", "purchase"]
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal

import ibis
import ibis.expr.types as ir

from journeylens.analytics import funnel_match as fm
from journeylens.analytics.funnel_result import Funnel, assemble
from journeylens.analytics.labels import LABELS, Label, filtered, labelled
from journeylens.config import parse_duration
from journeylens.store.backends import Backend
from journeylens.store.schema import JOURNEY_COLUMNS

Order = Literal["ordered", "strict", "unordered"]
Unit = Literal["journey", "customer"]
Duration = str | int | float

ORDERS: tuple[str, ...] = ("ordered", "strict", "unordered")

__all__ = ["Exclusion", "Funnel", "FunnelQuery", "funnel"]

_RANGE = re.compile(r"^(?P<label>.+):(?P<low>\d+)-(?P<high>\d+)$")


def _labels(text: str, what: str) -> frozenset[str]:
    parts = [p.strip() for p in text.split("|")]
    if not text.strip() or any(not p for p in parts):
        raise ValueError(f"{what} '{text}' has an empty label; write e.g. 'a' or 'a|b'")
    return frozenset(parts)


@dataclass(frozen=True)
class Exclusion:
    """A label that must not occur between two steps of a conversion.

    Parameters
    ----------
    label : str
        A label or alternatives (``"a|b"``).
    from_step, to_step : int
        The exclusion applies between these steps (1-based; ``to_step`` None: the last step).
        An occurrence strictly between two consecutive matched steps in that range breaks the
        attempt there: the unit counts as dropped at that step unless a later attempt gets on.
    """

    label: str
    from_step: int = 1
    to_step: int | None = None

    @classmethod
    def parse(cls, text: str) -> Exclusion:
        """``"label"`` (between the first and the last step) or ``"label:2-3"``.

        Examples
        --------
        >>> Exclusion.parse("support_chat|support_call:2-3")
        Exclusion(label='support_chat|support_call', from_step=2, to_step=3)
        """
        match = _RANGE.match(text.strip())
        if match:
            return cls(match["label"], int(match["low"]), int(match["high"]))
        return cls(text.strip())


def _exclusion(value: Exclusion | str | Sequence[Any]) -> Exclusion:
    if isinstance(value, Exclusion):
        return value
    if isinstance(value, str):
        return Exclusion.parse(value)
    return Exclusion(*value)


@dataclass(frozen=True)
class FunnelQuery:
    """Which funnel.

    Parameters
    ----------
    steps : sequence of str
        Two or more steps, each a label or alternatives ``"a|b"``.
    by : {"activity", "channel", "activity@channel"}
        What a label is.
    unit : {"journey", "customer"}
        Count journeys, or customers across their journeys (``customer_key`` of the steps).
    order : {"ordered", "strict", "unordered"}
        See the module docstring.
    window : duration, optional
        Overall conversion window from entering step 1 to each later step (``"14d"``, ``"2h"``,
        or seconds; inclusive).
    step_window : duration or sequence of durations, optional
        Maximum time between consecutive steps: one for every gap, or one per gap (``n - 1``
        values, None for no limit). Not for ``unordered``.
    exclude : sequence of Exclusion, str or (label, from_step, to_step)
        Exclusion steps; strings as in `Exclusion.parse`. ``strict`` funnels have no room for
        them; ``unordered`` ones only take them over the whole funnel.
    journey_type : str, optional
        Only journeys of this type.
    breakdown : str, optional
        A column of the journeys table (e.g. ``journey_type``): one funnel per value.
    top_next : int, optional
        Next labels kept per step in ``dropouts`` (the rest add up to ``(other)``).
    keys : bool
        Also return the keys of the units that dropped out (``dropped_units``).
    """

    steps: Sequence[str]
    by: Label = "activity"
    unit: Unit = "journey"
    order: Order = "ordered"
    window: Duration | None = None
    step_window: Duration | Sequence[Duration | None] | None = None
    exclude: Sequence[Exclusion | str | Sequence[Any]] = ()
    journey_type: str | None = None
    breakdown: str | None = None
    top_next: int | None = 10
    keys: bool = False
    alternatives: tuple[frozenset[str], ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if isinstance(self.steps, str):
            raise ValueError(f"steps must be a list of labels, not the string '{self.steps}'")
        steps = tuple(self.steps)
        if len(steps) < 2:
            raise ValueError('a funnel needs at least two steps, e.g. steps=["cart", "purchase"]')
        object.__setattr__(self, "steps", steps)
        object.__setattr__(self, "alternatives", tuple(_labels(s, "step") for s in steps))
        if self.by not in LABELS:
            raise ValueError(f"unknown label '{self.by}'; choose one of {', '.join(LABELS)}")
        if self.unit not in fm.UNIT_COLUMNS:
            raise ValueError(f"unknown unit '{self.unit}'; choose journey or customer")
        if self.order not in ORDERS:
            raise ValueError(f"unknown order '{self.order}'; choose one of {', '.join(ORDERS)}")
        seconds = self.window_seconds  # parses it too
        if seconds is not None and seconds <= 0:
            raise ValueError(f"the window must be positive, got {self.window!r}")
        if self.step_window is not None:
            if self.order == "unordered":
                raise ValueError(
                    "step windows need an order between steps; use order='ordered' or 'strict', "
                    "or an overall window"
                )
            if not isinstance(self.step_window, str | int | float):
                object.__setattr__(self, "step_window", tuple(self.step_window))
            self.gap_seconds  # noqa: B018  (validates)
        exclusions = tuple(_exclusion(x) for x in self.exclude)
        object.__setattr__(self, "exclude", exclusions)
        for x in exclusions:
            self._check_exclusion(x)
        if self.breakdown is not None and self.breakdown not in JOURNEY_COLUMNS:
            raise ValueError(
                f"cannot break down by '{self.breakdown}': not a column of the journeys table "
                f"({', '.join(JOURNEY_COLUMNS)})"
            )
        if self.top_next is not None and self.top_next < 1:
            raise ValueError(f"top_next must be at least 1 (or None for all), got {self.top_next}")

    def _check_exclusion(self, x: Exclusion) -> None:
        _labels(x.label, "exclusion")
        n = len(self.steps)
        last = n if x.to_step is None else x.to_step
        if not 1 <= x.from_step < last <= n:
            raise ValueError(
                f"exclusion '{x.label}' between steps {x.from_step} and {last}: write two step "
                f"numbers 1 <= from < to <= {n}, e.g. '{x.label}:1-2'"
            )
        if self.order == "strict":
            raise ValueError(
                "a strict funnel has no events between its steps, so exclusions cannot apply; "
                "use order='ordered'"
            )
        if self.order == "unordered" and (x.from_step, last) != (1, n):
            raise ValueError(
                "an unordered funnel has no 'between step i and j'; exclusions apply between the "
                f"first and the last step (write '{x.label}')"
            )
        shared = _labels(x.label, "exclusion") & frozenset().union(*self.alternatives)
        if self.order == "unordered" and shared:
            raise ValueError(
                "in an unordered funnel an exclusion cannot also be a step "
                f"({', '.join(sorted(shared))})"
            )

    @property
    def window_seconds(self) -> int | None:
        """The overall window in seconds (None: no limit)."""
        return None if self.window is None else parse_duration(self.window)

    @property
    def gap_seconds(self) -> tuple[int | None, ...]:
        """The step window of each gap (step k-1 to k, for k = 2..n), in seconds."""
        gaps = len(self.steps) - 1
        value = self.step_window
        if value is None or isinstance(value, str | int | float):
            each = None if value is None else parse_duration(value)
            return (each,) * gaps
        values = tuple(value)  # type: ignore[arg-type]
        if len(values) != gaps:
            raise ValueError(
                f"give one step window per gap between steps ({gaps}), or a single one for all; "
                f"got {len(values)}"
            )
        seconds = tuple(None if v is None else parse_duration(v) for v in values)
        if any(s is not None and s <= 0 for s in seconds):
            raise ValueError(f"step windows must be positive, got {value!r}")
        return seconds

    @property
    def exclusion_labels(self) -> tuple[frozenset[str], ...]:
        """The labels of each exclusion."""
        return tuple(_labels(x.label, "exclusion") for x in self.exclude)  # type: ignore[union-attr]

    def excluded_in_gap(self, k: int) -> list[int]:
        """Indices (1-based) of the exclusions that apply between steps ``k - 1`` and ``k``."""
        n = len(self.steps)
        return [
            j
            for j, x in enumerate(self.exclude, 1)  # type: ignore[arg-type]
            if x.from_step <= k - 1 and k <= (n if x.to_step is None else x.to_step)  # type: ignore[union-attr]
        ]


# -- running ---------------------------------------------------------------------------------


class _Scratch:
    """Intermediate tables of one run: unique names, dropped at the end."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.prefix = f"_funnel_{uuid.uuid4().hex[:12]}"
        self.names: list[str] = []

    def keep(self, name: str, expr: ir.Table) -> ir.Table:
        full = f"{self.prefix}_{name}"
        self.names.append(full)
        return self.backend.materialise(full, expr)

    def __enter__(self) -> _Scratch:
        return self

    def __exit__(self, *exc: object) -> None:
        for name in self.names:
            self.backend.drop(name)


def _sequential(scratch: _Scratch, m: ir.Table, query: FunnelQuery, *, strict: bool) -> ir.Table:
    level = scratch.keep("level1", fm.first_level(m))
    firsts = [fm.first_reach(level, 1)]
    for k in range(2, len(query.steps) + 1):
        covering = query.excluded_in_gap(k)
        excluded: ir.BooleanValue | None = None
        for j in covering:
            flag = m[f"_x{j}"]
            excluded = flag if excluded is None else excluded | flag
        level = scratch.keep(
            f"level{k}",
            fm.next_level(
                level,
                m,
                k,
                strict=strict,
                gap=query.gap_seconds[k - 2],
                window=query.window_seconds,
                excluded=excluded,
            ),
        )
        firsts.append(fm.first_reach(level, k))
    return ibis.union(*firsts)


def _unordered(scratch: _Scratch, m: ir.Table, query: FunnelQuery) -> ir.Table:
    n, exclusions = len(query.steps), len(query.exclude)
    a = scratch.keep("anchors", fm.anchors(m, n, exclusions))
    return fm.unordered_reach(a, n, query.window_seconds, bool(exclusions))


#: How each order finds the reached table (a table, not an if/elif chain).
MATCHERS: dict[str, Callable[[_Scratch, ir.Table, FunnelQuery], ir.Table]] = {
    "ordered": partial(_sequential, strict=False),
    "strict": partial(_sequential, strict=True),
    "unordered": _unordered,
}


def funnel(backend: Backend, query: FunnelQuery) -> Funnel:
    """Compute a funnel over the workspace's journeys."""
    journeys = backend.table("journeys")
    steps = labelled(
        filtered(backend.table("journey_steps"), journeys, query.journey_type), query.by
    )
    seq = fm.sequence(steps, journeys, query.unit, query.breakdown)
    n = len(query.steps)
    with _Scratch(backend) as scratch:
        m = scratch.keep("matched", fm.matched(seq, query.alternatives, query.exclusion_labels))
        reached = scratch.keep("reached", MATCHERS[query.order](scratch, m, query))
        stats = backend.to_arrow(
            reached.group_by(["_g", "level"]).aggregate(
                units=reached.count(),
                median_prev=reached.from_previous.median(),
                p90_prev=reached.from_previous.quantile(0.9),
                median_start=reached.from_start.median(),
                p90_start=reached.from_start.quantile(0.9),
            )
        )
        gone = fm.dropped(reached, seq, n)
        counts = backend.to_arrow(
            gone.group_by(["_g", "after_step", "next_label"]).aggregate(units=gone.count())
        )
        units = (
            backend.to_arrow(gone.order_by(["_g", "after_step", "unit"])) if query.keys else None
        )
    return assemble(query, stats, counts, units)
