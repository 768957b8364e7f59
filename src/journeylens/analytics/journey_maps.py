"""Journey maps: the *designed* journey of each journey type, written in YAML.

A map file is a mapping from journey type to its map (the format
`journeylens.demo.maps.journey_maps` writes; see docs/analytics/conformance.md)::

    moving:
      title: Moving house
      sla: 14d                        # designed maximum duration (45s, 30m, 12h, 7d, 2w)
      success: {activities: [move_completed]}
      stages:
      - name: Request the move
        steps:                        # in this order; optional ones may be left out
        - {activity: move_form_started, channels: [web, app]}
        - {activity: move_form_submitted, channels: [web, app]}
        alternatives:                 # any one of these may replace the steps
        - {activity: move_requested, channels: [phone, store]}

A workspace keeps its maps in ``journey_maps.yaml`` at its root (`MAPS_FILE`). Errors name the
file, the line and the field, and say how to fix them.

Examples
--------
>>> maps = parse_journey_maps({"fault": {"sla": "2d", "stages": [
...     {"name": "Report", "steps": [{"activity": "fault_reported", "channels": ["phone"]}]},
...     {"name": "Closed", "steps": [{"activity": "fault_closed"}]}]}})
>>> maps["fault"].sla_seconds, [s.name for s in maps["fault"].stages]
(172800, ['Report', 'Closed'])
>>> maps["fault"].stages[1].steps[0].allows("email")
True
>>> parse_journey_maps({"fault": {"stages": []}})  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
journeylens.errors.ConfigError: journey maps: field 'fault.stages': ...
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from journeylens.config import SuccessCriterion, parse_duration
from journeylens.errors import ConfigError

#: Where a workspace keeps its journey maps (relative to its root).
MAPS_FILE = "journey_maps.yaml"
#: Where the format is documented (named in every error).
DOCS = "docs/analytics/conformance.md"


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MapStep(_Frozen):
    """An expected step: ``activity`` on one of ``channels`` (any channel when empty)."""

    activity: str = Field(min_length=1)
    channels: tuple[str, ...] = ()
    optional: bool = False

    def allows(self, channel: str) -> bool:
        """Whether the map allows this step on ``channel``."""
        return not self.channels or channel in self.channels

    def label(self) -> str:
        """``activity@channel|channel`` (``activity@*`` for any channel)."""
        return f"{self.activity}@{'|'.join(self.channels) if self.channels else '*'}"


class MapStage(_Frozen):
    """A stage: its ``steps`` in order, or any one of its ``alternatives`` instead."""

    name: str = Field(min_length=1)
    steps: tuple[MapStep, ...] = ()
    alternatives: tuple[MapStep, ...] = ()

    @model_validator(mode="after")
    def _something_to_do(self) -> MapStage:
        if not self.steps and not self.alternatives:
            raise ValueError("a stage needs at least one step or alternative")
        return self


class JourneyMap(_Frozen):
    """The designed journey of one type: stages in order, SLA, success criterion."""

    title: str | None = None
    description: str | None = None
    topic: str | None = None
    sla: str | int | None = None
    success: SuccessCriterion | None = None
    stages: tuple[MapStage, ...] = Field(min_length=1)

    @field_validator("sla")
    @classmethod
    def _valid_sla(cls, value: str | int | None) -> str | int | None:
        if value is not None:
            parse_duration(value)
        return value

    @field_validator("stages")
    @classmethod
    def _unique_stage_names(cls, value: tuple[MapStage, ...]) -> tuple[MapStage, ...]:
        names = [stage.name for stage in value]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"stage names must be unique; repeated: {', '.join(repeated)}")
        return value

    @property
    def sla_seconds(self) -> int | None:
        """The SLA in seconds (None without an SLA)."""
        return None if self.sla is None else parse_duration(self.sla)

    def activities(self) -> set[str]:
        """Every activity the map names."""
        return {s.activity for stage in self.stages for s in (*stage.steps, *stage.alternatives)}


_MAPS = TypeAdapter(dict[str, JourneyMap])
#: How to fix the commonest validation errors (by pydantic's error type).
_FIXES = {
    "extra_forbidden": "remove '{field}' or correct its spelling",
    "missing": "add '{field}'",
}


@dataclass(frozen=True)
class JourneyMaps(Mapping[str, JourneyMap]):
    """The journey maps of a workspace, keyed by journey type; ``source`` names the file."""

    maps: Mapping[str, JourneyMap]
    source: str = "journey maps"

    def __getitem__(self, journey_type: str) -> JourneyMap:
        return self.maps[journey_type]

    def __iter__(self) -> Iterator[str]:
        return iter(self.maps)

    def __len__(self) -> int:
        return len(self.maps)


def _line_index(node: yaml.Node, path: tuple[Any, ...] = ()) -> dict[tuple[Any, ...], int]:
    """Line (1-based) of every key and item of a composed YAML document, by its path."""
    lines: dict[tuple[Any, ...], int] = {path: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            here = (*path, key.value)
            lines.update(_line_index(value, here))
            lines[here] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines.update(_line_index(item, (*path, i)))
    return lines


def parse_journey_maps(
    data: Any, where: str = "journey maps", lines: dict[tuple[Any, ...], int] | None = None
) -> JourneyMaps:
    """Validate journey maps given as plain data (e.g. `journeylens.demo.journey_maps`).

    Raises
    ------
    ConfigError
        Naming ``where``, the line (when ``lines`` is given) and the field.
    """
    if not isinstance(data, Mapping) or not data:
        raise ConfigError(
            "expected a mapping from journey type to its map, e.g. 'moving: {stages: [...]}'",
            where,
            f"see {DOCS} for the format",
        )
    try:
        maps = _MAPS.validate_python(dict(data))
    except ValidationError as exc:
        # A misspelt field is both unknown and (its right name) missing: name the unknown one.
        first = min(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
        loc = tuple(first["loc"])
        name = ".".join(str(part) for part in loc)
        message = first["msg"].removeprefix("Value error, ")
        fix = _FIXES.get(first["type"], "correct it").format(field=loc[-1] if loc else "")
        place = where
        if lines:
            known = next((loc[:n] for n in range(len(loc), 0, -1) if loc[:n] in lines), None)
            if known is not None:
                place = f"{where}, line {lines[known]}"
        raise ConfigError(
            f"field '{name}': {message}", place, f"{fix}; see {DOCS} for the fields of a map"
        ) from exc
    return JourneyMaps(maps, where)


def load_journey_maps(path: Path | str) -> JourneyMaps:
    """Read and validate a journey maps file (YAML).

    Raises
    ------
    ConfigError
        When the file is missing, is not YAML, or a field is wrong (with its line).
    """
    path = Path(path)
    if not path.exists():
        raise ConfigError(
            "no journey maps file",
            str(path),
            f"write one (see {DOCS}) or pass the path of your maps",
        )
    text = path.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}, line {mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"not valid YAML: {problem}", where, "fix the YAML syntax") from exc
    return parse_journey_maps(data, str(path), _line_index(node) if node is not None else None)


def resolve_maps(
    root: Path, maps: JourneyMaps | Mapping[str, Any] | Path | str | None
) -> JourneyMaps:
    """The maps to use: given ones, a file, or ``journey_maps.yaml`` in the workspace ``root``."""
    if isinstance(maps, JourneyMaps):
        return maps
    if isinstance(maps, Mapping):
        return parse_journey_maps(maps)
    return load_journey_maps(root / MAPS_FILE if maps is None else Path(maps))
