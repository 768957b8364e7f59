"""The demo world's journey definitions (for `journeylens.yaml`) and designed journey maps.

Both are built from the journey types' declarations in `journeylens.demo.paths`, the same ones
the generator walks, so the definitions cut the generated events into exactly the true
journeys (tested) and the maps show what was designed, not what happens.

Examples
--------
>>> from journeylens.config import parse_config
>>> settings = parse_config({"journeys": config()}).journeys
>>> [d.name for d in settings.definitions]
['moving', 'renewal', 'fault', 'billing', 'onboarding']
>>> journey_maps()["moving"]["sla"]
'14d'
"""

from __future__ import annotations

from typing import Any

from journeylens.demo.paths import TYPES, JourneyType, MapStep

#: Inactivity gap for events without a journey definition (the background).
GAP = "7d"


def _days(value: float) -> str:
    return f"{value:g}d"


def definition(journey_type: JourneyType) -> dict[str, Any]:
    """The journey definition of one type, as `journeylens.yaml` writes it."""
    return {
        "name": journey_type.name,
        "topics": [journey_type.name],
        "start_activities": list(journey_type.start_activities),
        "end_activities": list(journey_type.end_activities),
        "timeout": _days(journey_type.timeout_days),
        "success": {"activities": list(journey_type.success_activities), "outcomes": []},
    }


def config() -> dict[str, Any]:
    """The ``journeys`` section of `journeylens.yaml` for the demo world."""
    return {"gap": GAP, "definitions": [definition(t) for t in TYPES]}


def _step(s: MapStep) -> dict[str, Any]:
    out: dict[str, Any] = {"activity": s.activity, "channels": list(s.channels)}
    if s.optional:
        out["optional"] = True
    return out


def journey_map(journey_type: JourneyType) -> dict[str, Any]:
    """The designed journey of one type: stages, expected steps, SLA, success."""
    stages = []
    for stage in journey_type.stages:
        entry: dict[str, Any] = {"name": stage.name, "steps": [_step(s) for s in stage.steps]}
        if stage.alternatives:
            entry["alternatives"] = [_step(s) for s in stage.alternatives]
        stages.append(entry)
    return {
        "title": journey_type.title,
        "description": journey_type.description,
        "topic": journey_type.name,
        "sla": _days(journey_type.sla_days),
        "success": {"activities": list(journey_type.success_activities)},
        "stages": stages,
    }


def journey_maps() -> dict[str, Any]:
    """The designed journey of every type, keyed by journey type (plain data, YAML-ready)."""
    return {t.name: journey_map(t) for t in TYPES}
