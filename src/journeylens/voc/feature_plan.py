"""Which journey features to compute: discovered from the workspace with a few small queries.

`journeylens.voc.journey_features` turns a `FeaturePlan` into one Ibis expression. The plan is
found first, on the engine, with small aggregates: the channels, start channels, journey types
and activities that enough journeys have (flags for those), the keys of the JSON event and
journey attributes that hold numbers or booleans (read from a sample of rows, in Python), and,
when asked for, per-journey tables that only Python can make (conformance to the journey maps,
themes of the journey's feedback).

Feature names are identifiers (``channel_phone``, ``activity_fault_call``,
``wait_seconds_sum``); each `Feature` also carries a readable ``label``.

Examples
--------
>>> identifier("Assign seriousness / Tier-2")
'assign_seriousness_tier_2'
>>> parse_scalar("834"), parse_scalar("true"), parse_scalar('"web"')
(834.0, True, None)
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from journeylens.analytics.journey_maps import JourneyMaps
from journeylens.store.backends import Backend

#: Kinds of feature: a count, a 0/1 flag, or any other number.
KINDS = ("count", "flag", "numeric")

#: How a numeric event attribute is summarised per journey.
AGGREGATES = ("sum", "max")

_NOT_IDENTIFIER = re.compile(r"[^0-9a-zA-Z]+")


def identifier(text: str) -> str:
    """``text`` as a lower-case identifier (runs of other characters become ``_``)."""
    return _NOT_IDENTIFIER.sub("_", text).strip("_").lower() or "x"


def parse_scalar(text: str) -> float | bool | None:
    """A JSON number as a float, a JSON boolean as a bool, anything else None."""
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return None
    return scalar_kind_value(value)


def scalar_kind_value(value: Any) -> float | bool | None:
    """A number (also written as text, as CSV sources give them) as a float, a boolean (also
    ``"true"``/``"false"``) as a bool, anything else None.

    Examples
    --------
    >>> scalar_kind_value("-3.5"), scalar_kind_value("False"), scalar_kind_value("web")
    (-3.5, False, None)
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("true", "false"):
            return text == "true"
        try:
            number = float(text)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


@dataclass(frozen=True)
class Feature:
    """One column of the journey features.

    Parameters
    ----------
    name : str
        The column (an identifier).
    label : str
        What it means, for people (``activity: fault_call``).
    kind : {"count", "flag", "numeric"}
        A count (0, 1, 2 …), a 0/1 flag, or another number.
    source : str
        Where it comes from: ``journey``, ``channel``, ``start_channel``, ``journey_type``,
        ``activity``, ``event_attribute``, ``journey_attribute``, ``conformance``,
        ``deviation`` or ``theme``.
    group : str, optional
        For the levels of one categorical variable (``start_channel``, ``journey_type``):
        exactly one of the group's flags is 1, so a model must leave one level out.
    """

    name: str
    label: str
    kind: str
    source: str
    group: str | None = None


@dataclass(frozen=True)
class AttributeKey:
    """A JSON attribute key holding numbers (or booleans: ``numeric`` False)."""

    key: str
    numeric: bool
    once: bool  # at most one value per journey


@dataclass
class FeaturePlan:
    """The discovered features and the per-journey tables computed in Python."""

    channels: list[str] = field(default_factory=list)
    start_channels: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    activities: list[str] = field(default_factory=list)
    event_keys: list[AttributeKey] = field(default_factory=list)
    journey_keys: list[AttributeKey] = field(default_factory=list)
    extras: list[pa.Table] = field(default_factory=list)
    features: list[Feature] = field(default_factory=list)

    def add(self, name: str, label: str, kind: str, source: str, group: str | None = None) -> str:
        """Register a feature under a name no other feature has; return the name."""
        taken = {f.name for f in self.features}
        unique, n = name, 2
        while unique in taken:
            unique, n = f"{name}_{n}", n + 1
        self.features.append(Feature(unique, label, kind, source, group))
        return unique


def frequent(backend: Backend, table: ir.Table, column: str, min_share: float) -> list[str]:
    """Values of ``column`` held by at least ``min_share`` of the distinct journeys of
    ``table`` (``journey_key`` plus ``column``), most frequent first."""
    pairs = table.select("journey_key", _v=table[column]).distinct()
    pairs = pairs.filter(pairs._v.notnull())
    total = backend.scalar(table.journey_key.nunique())
    counts = backend.to_arrow(
        pairs.group_by("_v").aggregate(n=pairs.count()).order_by([ibis.desc("n"), "_v"])
    ).to_pylist()
    return [str(r["_v"]) for r in counts if total and r["n"] / total >= min_share]


def numeric_keys(
    backend: Backend,
    values: ir.Table,
    column: str,
    wanted: Sequence[str] | None,
    sample_rows: int,
) -> list[AttributeKey]:
    """Keys of the JSON ``column`` of ``values`` (with ``journey_key``) holding numbers or
    booleans (also written as text) in every sampled row that has them; ``wanted`` names
    numeric keys instead of sampling."""
    from journeylens.analytics.segments import json_value

    kinds: dict[str, Counter[str]] = {}
    if wanted is None:
        sample = values.filter(values[column].notnull()).select(column).limit(sample_rows)
        for text in backend.to_arrow(sample).column(column).to_pylist():
            try:
                record = json.loads(text)
            except ValueError:
                continue
            if not isinstance(record, dict):
                continue
            for key, value in record.items():
                parsed = scalar_kind_value(value)
                kind = "text" if parsed is None else "bool" if isinstance(parsed, bool) else "num"
                kinds.setdefault(key, Counter())[kind] += 1
        found = [(key, set(seen) == {"num"}) for key, seen in kinds.items() if len(seen) == 1]
        found = [(key, numeric) for key, numeric in found if numeric or "bool" in kinds[key]]
    else:
        found = [(key, True) for key in wanted]
    if not found:
        return []
    present = values.mutate(
        **{f"_k{i}": json_value(values[column], key).notnull() for i, (key, _) in enumerate(found)}
    )
    per_journey = present.group_by("journey_key").aggregate(
        **{f"_k{i}": present[f"_k{i}"].cast("int64").sum() for i in range(len(found))}
    )
    most = backend.to_arrow(
        per_journey.aggregate(**{f"_k{i}": per_journey[f"_k{i}"].max() for i in range(len(found))})
    ).to_pylist()[0]
    return [
        AttributeKey(key, numeric, (most[f"_k{i}"] or 0) <= 1)
        for i, (key, numeric) in enumerate(found)
    ]


def conformance_table(
    backend: Backend, maps: JourneyMaps, journey_type: str | None, top: int, plan: FeaturePlan
) -> pa.Table | None:
    """Per journey of a mapped type: off-path and skipped steps, loops, SLA breach, fitness,
    and a flag for each of the ``top`` most frequent deviations (`analytics.conformance`)."""
    from journeylens.analytics.conformance import ConformanceQuery, conformance

    if journey_type is not None and journey_type not in maps:
        return None
    result = conformance(backend, ConformanceQuery(maps, journey_type))
    rows = result.journeys.select(
        ["journey_key", "off_path", "skipped", "loops", "sla_breach", "fitness", "deviations"]
    ).to_pylist()
    columns: dict[str, list[Any]] = {
        "journey_key": [r["journey_key"] for r in rows],
        plan.add("off_path", "off-path steps", "count", "conformance"): [
            r["off_path"] for r in rows
        ],
        plan.add("skipped", "skipped steps", "count", "conformance"): [r["skipped"] for r in rows],
        plan.add("loops", "loops", "count", "conformance"): [r["loops"] for r in rows],
        plan.add("sla_breach", "SLA breached", "flag", "conformance"): [
            None if r["sla_breach"] is None else int(r["sla_breach"]) for r in rows
        ],
        plan.add("fitness", "fitness to the journey map", "numeric", "conformance"): [
            r["fitness"] for r in rows
        ],
    }
    seen = [set(r["deviations"] or ()) for r in rows]
    counts = Counter(d for deviations in seen for d in deviations)
    for n, (deviation, _) in enumerate(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))):
        if n >= top:
            break
        name = plan.add(f"deviation_{n + 1}", f"deviation: {deviation}", "flag", "deviation")
        columns[name] = [int(deviation in deviations) for deviations in seen]
    return pa.table(columns)


def themes_table(
    backend: Backend, journeys: ir.Table, top: int, plan: FeaturePlan
) -> pa.Table | None:
    """A flag per journey for each of the ``top`` themes most often found in the feedback linked
    to it (tables ``feedback_themes`` and ``feedback_links``); None when they are absent."""
    if not (backend.has_table("feedback_themes") and backend.has_table("feedback_links")):
        return None
    links = backend.table("feedback_links")
    links = links.filter(links.journey_key.notnull()).select("feedback_id", "journey_key")
    themes = backend.table("feedback_themes")
    themes = themes.filter(themes.theme >= 0)  # -1: a verbatim without a theme
    pairs = (
        links.join(themes.select("feedback_id", "theme", "theme_label"), "feedback_id")
        .semi_join(journeys.select("journey_key"), "journey_key")
        .select("journey_key", "theme", "theme_label")
        .distinct()
    )
    counts = backend.to_arrow(
        pairs.group_by(["theme", "theme_label"])
        .aggregate(n=pairs.count())
        .order_by([ibis.desc("n"), "theme"])
        .limit(top)
    ).to_pylist()
    if not counts:
        return None
    chosen = [int(r["theme"]) for r in counts]
    flags = pairs.filter(pairs.theme.isin(chosen))
    wide = backend.to_arrow(
        flags.group_by("journey_key").aggregate(
            **{f"_t{t}": (flags.theme == t).cast("int64").max() for t in chosen}
        )
    )
    columns: dict[str, Any] = {"journey_key": wide.column("journey_key")}
    for row in counts:
        name = plan.add(f"theme_{row['theme']}", f"theme: {row['theme_label']}", "flag", "theme")
        columns[name] = wide.column(f"_t{row['theme']}")
    return pa.table(columns)
