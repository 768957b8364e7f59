"""The data of a key-driver analysis: the target per journey, the design matrix, the
with/without comparison of each feature and the example journeys.

Targets (``DriversQuery.target``), one value per journey:

==============================  ==============================================================
``score``                       the mean of the journey's answers of the kind (linear model)
``detractor``                   NPS only: that mean is 6 or less (0-10 scale)
``low:<x>``                     that mean is ``x`` or less, e.g. ``low:2`` for 1-2 stars
``failure``                     kind ``journey``: the journey did not succeed (``success`` is
                                false; journeys with unknown success are left out)
``abandoned``                   kind ``journey``: the journey was abandoned (open ones left out)
``journey_attribute:<name>``    kind ``journey``: a journey attribute that is true/1/yes (a
                                churn flag, say); other values are left out
==============================  ==============================================================

Every 0/1 target is 1 for the outcome to explain (the bad one).

Features with missing values (a numeric attribute some journeys lack, conformance on an
unmapped type) are filled with the mean of the others, and a ``<name>_missing`` flag is added
when enough journeys lack it; flags that fewer than ``min_count`` journeys have (or lack) are
left out, as is the most frequent level of a categorical group (the reference the others are
compared with).

Features then enter the model in order of preference (`PRIORITY`: the journey's measures,
then attributes, conformance and themes, then channel, type and activity flags, then the
``_missing`` flags); a feature
that overlaps the features before it too much (with it, some feature's variance inflation
factor would be above ``max_vif``, 10 by default) is left out, so of two overlapping features
the first is kept and every VIF in the model stays at most ``max_vif``.

Examples
--------
>>> parse_target("low:2", "rating")
Target(text='low:2', binary=True, threshold=2.0, attribute=None)
>>> parse_target("detractor", "csat")
Traceback (most recent call last):
...
ValueError: target 'detractor' is for NPS only; for csat use low:<score> (e.g. low:2)
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from journeylens.analytics.segments import json_value
from journeylens.store.backends import Backend
from journeylens.store.schema import DEFAULT_SCALES
from journeylens.voc.feature_plan import Feature
from journeylens.voc.regression import Floats, prune
from journeylens.voc.scores import standard_value

#: Feedback kinds with a score, and ``journey`` for an outcome of the journey itself.
KINDS = ("nps", "csat", "ces", "rating", "journey")
JOURNEY_TARGETS = ("failure", "abandoned")
TRUTHY = ("true", "1", "yes", "y")
FALSY = ("false", "0", "no", "n")


@dataclass(frozen=True)
class Target:
    """A parsed target: ``binary`` (a 0/1 outcome, 1 = bad) or a score."""

    text: str
    binary: bool
    threshold: float | None = None
    attribute: str | None = None


def parse_target(text: str, kind: str) -> Target:
    """Check ``text`` against ``kind`` and parse it (see the module docstring)."""
    target = text.strip()
    if kind == "journey":
        name, _, attribute = target.partition(":")
        if target in JOURNEY_TARGETS:
            return Target(target, True)
        if name == "journey_attribute" and attribute:
            return Target(target, True, attribute=attribute)
        raise ValueError(
            f"target '{target}' does not fit kind 'journey'; choose failure, abandoned or "
            "journey_attribute:<name> (a true/false journey attribute such as a churn flag)"
        )
    if target == "score":
        return Target(target, False)
    if target == "detractor":
        if kind != "nps":
            raise ValueError(
                f"target 'detractor' is for NPS only; for {kind} use low:<score> (e.g. low:2)"
            )
        return Target(target, True, 6.0)
    name, _, value = target.partition(":")
    if name == "low":
        try:
            return Target(target, True, float(value))
        except ValueError:
            pass
    raise ValueError(
        f"unknown target '{target}' for kind {kind}; choose score, low:<score> (e.g. low:2)"
        + (" or detractor" if kind == "nps" else "")
    )


def feedback_targets(
    backend: Backend, kind: str, scope: str | None, journeys: ir.Table
) -> tuple[ir.Table, dict[str, int]]:
    """Per journey (of ``journeys``): ``_score`` (the mean of its answers, each on the kind's
    standard scale: NPS 0-10, CSAT and rating 1-5, CES 1-7, see `journeylens.voc.scores`) and
    ``_answers``; and the counts of answers of that kind and scope, linked or not."""
    links = backend.table("feedback_links")
    if scope is not None:
        links = links.filter(links.scope == scope)
    feedback = backend.table("feedback")
    feedback = feedback.filter((feedback.kind == kind) & feedback.score.notnull())
    low, high = DEFAULT_SCALES[kind]
    feedback = feedback.filter(
        ibis.coalesce(feedback.scale_max, high) > ibis.coalesce(feedback.scale_min, low)
    )
    answers = links.select("feedback_id", "journey_key").join(
        feedback.select("feedback_id", score=standard_value(feedback, kind)), "feedback_id"
    )
    counts = backend.to_arrow(
        answers.aggregate(
            answers=answers.count(), linked=answers.journey_key.notnull().cast("int64").sum()
        )
    ).to_pylist()[0]
    linked = answers.filter(answers.journey_key.notnull()).semi_join(
        journeys.select("journey_key"), "journey_key"
    )
    per_journey = linked.group_by("journey_key").aggregate(
        _score=linked.score.mean(), _answers=linked.count()
    )
    return per_journey, {
        "answers": int(counts["answers"] or 0),
        "linked_answers": int(counts["linked"] or 0),
    }


def journey_attribute_target(backend: Backend, journeys: ir.Table, name: str) -> ir.Table:
    """Per journey, 1/0 for a true/false journey attribute of its first event."""
    steps = backend.table("journey_steps")
    first = steps.filter(steps.step == 1).select("journey_key", "event_id")
    first = first.semi_join(journeys.select("journey_key"), "journey_key")
    events = backend.table("events").select("event_id", "journey_attributes")
    rows = first.join(events, "event_id")
    value = json_value(rows.journey_attributes, name).lower()
    return rows.select(
        "journey_key",
        _score=ibis.cases(
            (value.isin(TRUTHY), 1.0), (value.isin(FALSY), 0.0), else_=ibis.null("float64")
        ),
        _answers=ibis.literal(1),
    )


def outcome_of(frame: pd.DataFrame, target: Target) -> pd.Series:
    """The 0/1 (or score) target of each row of ``frame`` (``_score`` and the outcomes)."""
    if target.text == "failure":
        return frame["success"].map({True: 1.0, False: 0.0}).rsub(1.0)
    if target.text == "abandoned":
        return frame["abandoned"].map({True: 1.0, False: 0.0})
    if target.attribute is not None or not target.binary:
        return frame["_score"].astype(float)
    assert target.threshold is not None
    score = frame["_score"].astype(float)
    return (score <= target.threshold).astype(float).where(score.notna())


@dataclass
class Design:
    """The features a model can use, their values (missing filled), and those left out."""

    features: list[Feature]
    x: Floats
    raw: dict[str, pd.Series]
    dropped: list[dict[str, Any]] = field(default_factory=list)


def chosen(
    features: Sequence[Feature], include: Sequence[str] | None, exclude: Sequence[str]
) -> list[Feature]:
    """Features whose name matches ``include`` (all when None) and not ``exclude`` (globs)."""

    def matches(name: str, patterns: Sequence[str]) -> bool:
        return any(fnmatch.fnmatchcase(name, p) for p in patterns)

    return [
        f
        for f in features
        if (include is None or matches(f.name, include)) and not matches(f.name, exclude)
    ]


#: Which features a model keeps first when features overlap (collinear, high VIF): the
#: journey's measures, attributes, conformance, themes, then channel, type and activity flags,
#: and last the flags of missing values.
PRIORITY = (
    "journey", "event_attribute", "journey_attribute", "conformance", "deviation", "theme",
    "channel", "start_channel", "journey_type", "activity", "missing",
)  # fmt: skip


def _priority(feature: Feature) -> int:
    return PRIORITY.index(feature.source) if feature.source in PRIORITY else len(PRIORITY)


def design(
    frame: pd.DataFrame, features: Sequence[Feature], min_count: int, max_vif: float | None
) -> Design:
    """The design matrix of ``frame`` (see the module docstring for the rules)."""
    columns: list[Feature] = []
    values: list[Floats] = []
    raw: dict[str, pd.Series] = {}
    dropped: list[dict[str, Any]] = []

    def drop(f: Feature, reason: str) -> None:
        dropped.append({"feature": f.name, "label": f.label, "reason": reason})

    for f in features:
        series = pd.to_numeric(frame[f.name], errors="coerce").astype(float)
        missing = series.isna()
        if missing.all():
            drop(f, "no values")
            continue
        if f.kind == "flag":
            ones = int((series == 1).sum())
            zeros = int((series == 0).sum())
            if min(ones, zeros) < min_count:
                drop(f, f"rare: {ones} journeys with, {zeros} without (min_count {min_count})")
                continue
        raw[f.name] = series
        columns.append(f)
        values.append(np.asarray(series.fillna(series.mean()), dtype=np.float64))
        lacking = int(missing.sum())
        if lacking >= min_count and len(series) - lacking >= min_count:
            flag = Feature(f"{f.name}_missing", f"{f.label} unknown", "flag", "missing")
            raw[flag.name] = missing.astype(float)
            columns.append(flag)
            values.append(np.asarray(missing, dtype=np.float64))
    order = sorted(range(len(columns)), key=lambda i: _priority(columns[i]))
    columns, values = [columns[i] for i in order], [values[i] for i in order]
    _drop_references(columns, values, raw, drop)
    x = np.column_stack(values) if values else np.zeros((len(frame), 0))
    kept, why = prune(x, max_vif)
    for j, reason in why.items():
        if reason.startswith("vif"):
            reason = f"overlaps the features before it (a VIF would be {reason[4:]} > {max_vif:g})"
        elif reason == "collinear":
            reason = "a combination of the features before it"
        drop(columns[j], reason)
    return Design([columns[j] for j in kept], x[:, kept], raw, dropped)


def _drop_references(
    columns: list[Feature], values: list[Floats], raw: dict[str, pd.Series], drop: Any
) -> None:
    groups: dict[str, list[int]] = {}
    for i, f in enumerate(columns):
        if f.group:
            groups.setdefault(f.group, []).append(i)
    doomed = []
    for members in groups.values():
        reference = max(members, key=lambda i: (float(values[i].sum()), -i))
        drop(columns[reference], f"reference level of {columns[reference].group}")
        doomed.append(reference)
    for i in sorted(doomed, reverse=True):
        raw.pop(columns[i].name, None)
        del columns[i], values[i]


def split_of(feature: Feature, series: pd.Series) -> tuple[pd.Series, str] | None:
    """Which journeys count as *with* the feature: a flag set, a count above 0, another
    number above its median (None when that leaves nobody on one side)."""
    known = series.dropna()
    if feature.kind == "flag":
        with_it, rule = series == 1, "= 1"
    elif feature.kind == "count" and (known == 0).any():
        with_it, rule = series > 0, "> 0"
    else:
        median = float(known.median())
        with_it, rule = series > median, f"> {median:.4g}"
    if not with_it.any() or bool((with_it | series.isna()).all()):
        return None
    return with_it & series.notna(), rule


def with_without(
    y: Floats, series: pd.Series, feature: Feature, binary: bool, z: float
) -> dict[str, Any]:
    """The target with vs without the feature: means (rates), difference with its CI, lift."""
    out: dict[str, Any] = dict.fromkeys(
        (
            "split",
            "n_with",
            "n_without",
            "mean_with",
            "mean_without",
            "difference",
            "diff_ci_low",
            "diff_ci_high",
            "lift",
        ),
    )
    found = split_of(feature, series)
    if found is None:
        return out
    with_it, rule = found
    mask = with_it.to_numpy()
    known = series.notna().to_numpy()
    a, b = y[mask], y[known & ~mask]
    if len(a) == 0 or len(b) == 0:
        return out
    ma, mb = float(a.mean()), float(b.mean())
    if binary:
        se = math.sqrt(ma * (1 - ma) / len(a) + mb * (1 - mb) / len(b))
    else:
        va = float(a.var(ddof=1)) if len(a) > 1 else 0.0
        vb = float(b.var(ddof=1)) if len(b) > 1 else 0.0
        se = math.sqrt(va / len(a) + vb / len(b))
    diff = ma - mb
    out.update(
        split=rule,
        n_with=len(a),
        n_without=len(b),
        mean_with=ma,
        mean_without=mb,
        difference=diff,
        diff_ci_low=diff - z * se,
        diff_ci_high=diff + z * se,
        lift=ma / mb if binary and mb > 0 else None,
    )
    return out


def examples(
    keys: np.ndarray,
    y: Floats,
    series: pd.Series,
    feature: Feature,
    worse: bool,
    binary: bool,
    n: int,
) -> list[str]:
    """Up to ``n`` journeys on the harmful side of a driver with the worst outcomes: with the
    feature when it makes things worse, without it when it makes them better (an order that was
    not delivered, say); ties go to the most extreme feature value, then the journey key."""
    found = split_of(feature, series)
    if found is None or n == 0:
        return []
    with_it = found[0].to_numpy()
    mask = with_it if worse else (~with_it & series.notna().to_numpy())
    badness = y if binary else -y
    values = series.to_numpy(dtype=float)[mask]
    order = np.lexsort((keys[mask], -values if worse else values, -badness[mask]))
    return [str(k) for k in keys[mask][order][:n]]
