"""The closed loop: did a rule's action change what happened next? Actioned vs hold-out.

Every moment in the outbox is either *actioned* or *held out* (no action, chosen at random by
`journeylens.realtime.actions.holdout`). After the workspace has been built with the events
that followed, each moment gets its outcome:

- the *outcome journey*: with ``journey="moment"`` the moment's own journey (its
  ``journey_key`` when the built journeys know it, else the customer's journey running at the
  moment's time, else the customer's next journey starting within the horizon); with
  ``journey="next"`` the customer's next journey starting after the moment, within the horizon;
- ``completed`` (share): the outcome journey completed rather than abandoned (journeys still
  open are left out: their outcome is not known yet);
- ``success`` (share): the outcome journey met its success criterion (where one is defined);
- ``recontact`` (share) and ``contacts_after`` (mean): assisted contacts of the customer after
  the moment, within the horizon (only moments whose horizon has passed by the data's last
  event count);
- ``score`` (mean, 0-100): feedback linked to the outcome journey (the ``feedback_links``
  table) given at or after the moment, the score rescaled from its scale to 0-100; only when
  the workspace has ``feedback_links``.

Per rule and measure the uplift is actioned minus hold-out with a confidence interval
(`journeylens.realtime.actions.uplift_stats`), and ``needed_moments`` says how many moments
of the rule (both arms, at the rule's hold-out share) would detect that uplift — the observed
one, or ``min_effect`` when given — at the 5% level with 80% power. The comparison is by
intention to treat: an actioned moment counts as actioned even if its webhook failed.

Examples
--------
>>> UpliftQuery(horizon="3d").horizon_seconds
259200.0
>>> UpliftQuery(journey="later")
Traceback (most recent call last):
...
ValueError: journey must be 'moment' or 'next' (got 'later')
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa

from journeylens.palette import PALETTE
from journeylens.realtime.actions import outbox
from journeylens.realtime.actions.outcomes import moment_outcomes, read_moments
from journeylens.realtime.actions.settings import seconds
from journeylens.realtime.actions.uplift_stats import (
    Difference,
    mean_difference,
    needed_moments,
    share_difference,
)

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from journeylens.workspace import Workspace

#: Measure → (column of the per-moment outcomes, kind).
MEASURES: dict[str, tuple[str, str]] = {
    "completed": ("completed", "share"),
    "success": ("success", "share"),
    "recontact": ("recontact", "share"),
    "contacts_after": ("contacts_after", "mean"),
    "score": ("score", "mean"),
}

RULE_COLUMNS = (
    "rule",
    "measure",
    "kind",
    "moments",
    "holdout_share",
    "n_actioned",
    "n_holdout",
    "actioned",
    "holdout",
    "uplift",
    "ci_low",
    "ci_high",
    "p_value",
    "significant",
    "needed_moments",
    "note",
)


@dataclass(frozen=True)
class UpliftQuery:
    """How to measure the outcomes of moments.

    Parameters
    ----------
    journey : {"moment", "next"}
        The outcome journey: the moment's own, or the customer's next one.
    horizon : str or number
        How long after the moment contacts (and a next journey) count, e.g. ``"7d"``.
    rules : tuple of str
        Only these rules (default: every rule with moments).
    confidence : float
        Of the intervals.
    min_effect : float, optional
        The uplift ``needed_moments`` is computed for (default: the observed uplift).
    power : float
        Of the sample-size answer.
    """

    journey: str = "moment"
    horizon: str | int | float = "7d"
    rules: tuple[str, ...] = ()
    confidence: float = 0.95
    min_effect: float | None = None
    power: float = 0.8

    def __post_init__(self) -> None:
        if self.journey not in ("moment", "next"):
            raise ValueError(f"journey must be 'moment' or 'next' (got '{self.journey}')")
        if self.horizon_seconds <= 0:
            raise ValueError(f"horizon must be a positive duration such as 7d (got {self.horizon})")
        if not 0 < self.confidence < 1:
            raise ValueError(f"confidence lies between 0 and 1, e.g. 0.95 (got {self.confidence})")
        if not 0 < self.power < 1:
            raise ValueError(f"power lies between 0 and 1, e.g. 0.8 (got {self.power})")
        if self.min_effect is not None and self.min_effect == 0:
            raise ValueError("min_effect must not be 0 (no sample detects a zero uplift)")

    @property
    def horizon_seconds(self) -> float:
        return seconds(self.horizon)


@dataclass
class Uplift:
    """The uplift of each rule's actions.

    ``rules``: one row per rule and measure (`RULE_COLUMNS`): moments of the rule, its observed
    hold-out share, moments with a known outcome per arm, the outcome per arm, ``uplift``
    (actioned - hold-out) with ``ci_low``/``ci_high``, ``p_value``, ``significant`` (the
    interval excludes 0), ``needed_moments`` and a ``note`` when the uplift cannot be computed.
    ``moments``: one row per moment with its arm, outcome journey (``outcome_journey``,
    ``link``: key, open, next or none) and the outcome measures. ``as_of``: the data's last
    event time.
    """

    query: UpliftQuery
    rules: pa.Table
    moments: pa.Table
    as_of: datetime | None
    measures: tuple[str, ...] = field(default_factory=tuple)

    def to_frame(self) -> pd.DataFrame:
        """One row per rule and measure."""
        frame: pd.DataFrame = self.rules.to_pandas()
        return frame

    def figure(self) -> go.Figure:
        """Uplift per rule with its interval, one colour per measure (a forest plot)."""
        import plotly.graph_objects as go

        fig = go.Figure()
        rows = [r for r in self.rules.to_pylist() if r["uplift"] is not None]
        for index, measure in enumerate(self.measures):
            mine = [r for r in rows if r["measure"] == measure]
            if not mine:
                continue
            fig.add_trace(
                go.Scatter(
                    name=measure,
                    x=[r["uplift"] for r in mine],
                    y=[r["rule"] for r in mine],
                    mode="markers",
                    marker={"color": PALETTE[index % len(PALETTE)], "size": 9},
                    error_x={
                        "type": "data",
                        "symmetric": False,
                        "array": [r["ci_high"] - r["uplift"] for r in mine],
                        "arrayminus": [r["uplift"] - r["ci_low"] for r in mine],
                    },
                )
            )
        fig.add_vline(x=0, line_dash="dot", line_color="#999999")
        fig.update_layout(
            title=f"Uplift of each rule's actions (actioned - hold-out, "
            f"{self.query.confidence:.0%} intervals)",
            xaxis_title="uplift",
            yaxis_title="rule",
            height=max(320, 60 * len({r["rule"] for r in rows}) + 160),
        )
        return fig


# -- per rule ----------------------------------------------------------------------------------


def _row(
    rule: str, measure: str, kind: str, frame: pd.DataFrame, query: UpliftQuery
) -> dict[str, Any]:
    column = MEASURES[measure][0]
    known = frame[frame[column].notna()]
    a = known.loc[~known["holdout"], column].astype(float).tolist()
    h = known.loc[known["holdout"], column].astype(float).tolist()
    row: dict[str, Any] = dict.fromkeys(RULE_COLUMNS)
    share = float(frame["holdout"].mean()) if len(frame) else 0.0
    row.update(
        rule=rule, measure=measure, kind=kind, moments=len(frame), holdout_share=share,
        n_actioned=len(a), n_holdout=len(h),
    )  # fmt: skip
    needed_n = 1 if kind == "share" else 2
    if len(a) < needed_n or len(h) < needed_n:
        arms = [name for name, v in (("actioned", a), ("hold-out", h)) if len(v) < needed_n]
        row["note"] = (
            f"too few {' and '.join(arms)} moments with a known outcome (need {needed_n}); "
            "set a hold-out share in rules.yaml and rebuild after outcomes arrive"
        )
        return row
    diff: Difference = (
        share_difference(int(sum(a)), len(a), int(sum(h)), len(h), query.confidence)
        if kind == "share"
        else mean_difference(a, h, query.confidence)
    )
    effect = query.min_effect if query.min_effect is not None else diff.difference
    observed_share = len(h) / (len(a) + len(h))
    needed = needed_moments(
        diff.var_actioned,
        diff.var_holdout,
        effect,
        holdout_share=observed_share,
        alpha=1 - query.confidence,
        power=query.power,
    )
    row.update(
        actioned=diff.actioned, holdout=diff.holdout, uplift=diff.difference,
        ci_low=diff.ci_low, ci_high=diff.ci_high, p_value=diff.p_value,
        significant=bool(diff.ci_low > 0 or diff.ci_high < 0),
        needed_moments=None if needed is None else math.ceil(needed),
    )  # fmt: skip
    return row


def per_rule(outcomes: pa.Table, query: UpliftQuery, measures: tuple[str, ...]) -> pa.Table:
    """One row per rule and measure (see `Uplift`)."""
    frame = outcomes.to_pandas()
    rows = [
        _row(str(rule), measure, MEASURES[measure][1], group, query)
        for rule, group in frame.groupby("rule", sort=True)
        for measure in measures
    ]
    schema = pa.schema(
        [
            ("rule", pa.string()), ("measure", pa.string()), ("kind", pa.string()),
            ("moments", pa.int64()), ("holdout_share", pa.float64()),
            ("n_actioned", pa.int64()), ("n_holdout", pa.int64()),
            ("actioned", pa.float64()), ("holdout", pa.float64()), ("uplift", pa.float64()),
            ("ci_low", pa.float64()), ("ci_high", pa.float64()), ("p_value", pa.float64()),
            ("significant", pa.bool_()), ("needed_moments", pa.int64()), ("note", pa.string()),
        ]
    )  # fmt: skip
    return pa.Table.from_pylist(rows, schema=schema)


def uplift(
    ws: Workspace, center_path: Path | None = None, query: UpliftQuery | None = None
) -> Uplift:
    """The uplift of each rule's actions on the outcomes of its moments.

    Parameters
    ----------
    ws : Workspace
        A built workspace (journeys include the events after the moments).
    center_path : Path, optional
        The outbox (default: ``live/outbox.sqlite`` in the workspace).
    query : UpliftQuery, optional
        How to measure (default: the moment's journey, a 7-day horizon, 95% intervals).
    """
    query = query or UpliftQuery()
    path = center_path or ws.root / outbox.OUTBOX_PATH
    moments = read_moments(path, query.rules)
    outcomes, as_of, with_scores = moment_outcomes(
        ws.backend, moments, query.journey, query.horizon_seconds
    )
    measures = tuple(m for m in MEASURES if with_scores or m != "score")
    return Uplift(query, per_rule(outcomes, query, measures), outcomes, as_of, measures)
