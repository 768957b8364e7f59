"""Optimal alignment of one journey's steps against a designed journey map.

The map becomes a small acyclic automaton (`MapAutomaton`): a node between consecutive
designed steps, an edge per designed step (labelled with its activity and allowed channels), a
silent edge beside each optional step, and per stage an edge for each alternative, from the
stage's first node to its last. An alignment walks the journey and the automaton together:

- a **synchronous move** consumes a step of the journey on an edge that allows it (cost 0);
- a **log move** consumes a step of the journey the map does not expect there (cost 1);
- a **model move** takes a designed step the journey did not do (cost 1); silent edges cost 0.

A dynamic program over (steps consumed, node) finds an alignment of least cost; ties are broken
so that an unexpected step sits right after the designed step done before it, before any
designed step that is missing: of two repeated steps the first is the designed one, the
second the loop. Fitness follows PM4Py's alignment-based definition::

    fitness = 1 - cost / (len(journey) + shortest run through the map)

the denominator being the cost of the worst sensible alignment (every step a log move, then
the cheapest way through the map as model moves).

Log moves are *off-path* (activity not in the map, on a channel the map does not allow, or a
designed step out of place) or *loops* (a designed step already done, done again); model moves
are *skipped* steps. Each move belongs to a stage: a designed or skipped step to its own; a
loop to the stage of the step repeated; an off-path step to the stage being worked on: that of
the last designed step done before it, or the next stage when that step finished its stage
(the first stage before any designed step).

Examples
--------
>>> from journeylens.analytics.journey_maps import parse_journey_maps
>>> maps = parse_journey_maps({"t": {"stages": [
...     {"name": "A", "steps": [{"activity": "a", "channels": ["web"]},
...                             {"activity": "b", "channels": ["web"]}]},
...     {"name": "B", "steps": [{"activity": "c", "channels": ["email"]}]}]}})
>>> automaton = MapAutomaton.from_map(maps["t"])
>>> result = align(automaton, [("a", "web"), ("x", "web"), ("c", "email")])
>>> result.cost, result.worst_cost, round(result.fitness, 3)
(2, 6, 0.667)
>>> [(m.kind, m.deviation, m.stage) for m in result.moves]
[('sync', None, 0), ('log', 'off_path', 0), ('model', 'skipped', 0), ('sync', None, 1)]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from journeylens.analytics.journey_maps import JourneyMap, MapStep

MoveKind = Literal["sync", "log", "model"]
Deviation = Literal["off_path", "skipped", "loop"]
#: Why a step is off-path.
Reason = Literal["not_in_map", "wrong_channel", "out_of_place"]

_INF = 1 << 30


@dataclass(frozen=True)
class DesignedStep:
    """A step of the map: its number (in map order), stage, and whether it is an alternative."""

    index: int
    stage: int
    step: MapStep
    alternative: bool


@dataclass(frozen=True)
class _Edge:
    source: int
    step: DesignedStep | None  # None: silent (skips an optional step)


@dataclass(frozen=True)
class MapAutomaton:
    """A journey map as an acyclic automaton (nodes numbered in topological order)."""

    journey_map: JourneyMap
    steps: tuple[DesignedStep, ...]
    edges_into: tuple[tuple[_Edge, ...], ...]
    stage_ends: tuple[int, ...]
    shortest: int

    @classmethod
    def from_map(cls, journey_map: JourneyMap) -> MapAutomaton:
        """Build the automaton of ``journey_map``."""
        into: list[list[_Edge]] = [[]]
        stage_ends: list[int] = []
        steps: list[DesignedStep] = []

        def designed(stage: int, step: MapStep, alternative: bool) -> DesignedStep:
            steps.append(DesignedStep(len(steps), stage, step, alternative))
            return steps[-1]

        def connect(source: int, target: int, step: DesignedStep) -> None:
            into[target].append(_Edge(source, step))
            if step.step.optional:
                into[target].append(_Edge(source, None))

        for k, stage in enumerate(journey_map.stages):
            start = len(into) - 1
            node = start
            for step in stage.steps:
                into.append([])
                connect(node, len(into) - 1, designed(k, step, False))
                node = len(into) - 1
            if node == start:  # only alternatives: one of them is expected
                into.append([])
                node = len(into) - 1
            for step in stage.alternatives:
                connect(start, node, designed(k, step, True))
            stage_ends.append(node)
        shortest = [0] * len(into)
        for v in range(1, len(into)):
            shortest[v] = min(shortest[e.source] + (0 if e.step is None else 1) for e in into[v])
        return cls(
            journey_map,
            tuple(steps),
            tuple(tuple(edges) for edges in into),
            tuple(stage_ends),
            shortest[-1],
        )

    @property
    def final(self) -> int:
        """The node where a complete run ends."""
        return len(self.edges_into) - 1

    def stage_name(self, stage: int) -> str:
        """The name of stage number ``stage``."""
        return self.journey_map.stages[stage].name


@dataclass(frozen=True)
class Move:
    """One move of an alignment.

    ``event`` is the journey step's position (0-based; None for a model move), ``activity``
    and ``channel`` what the journey did (for a model move: the designed activity and no
    channel), ``step`` the designed step (None for a log move).
    """

    kind: MoveKind
    stage: int
    activity: str
    channel: str | None
    event: int | None = None
    step: DesignedStep | None = None
    deviation: Deviation | None = None
    reason: Reason | None = None

    @property
    def label(self) -> str:
        """``activity@channel`` as done, or the designed step's label for a skipped step."""
        if self.channel is None:
            return self.step.step.label() if self.step else self.activity
        return f"{self.activity}@{self.channel}"


@dataclass(frozen=True)
class Alignment:
    """An optimal alignment, its cost and the cost of the worst sensible one."""

    moves: tuple[Move, ...]
    cost: int
    worst_cost: int

    @property
    def fitness(self) -> float:
        """``1 - cost / worst_cost`` (1 for an empty journey against a map that needs nothing)."""
        return 1.0 - self.cost / self.worst_cost if self.worst_cost else 1.0

    def count(self, deviation: Deviation) -> int:
        """How many moves are deviations of this kind."""
        return sum(1 for m in self.moves if m.deviation == deviation)

    @property
    def alternatives(self) -> int:
        """Stages passed by an alternative."""
        return len(
            {m.stage for m in self.moves if m.step and m.step.alternative and m.kind == "sync"}
        )


def _allows(step: MapStep, activity: str, channel: str) -> bool:
    return step.activity == activity and step.allows(channel)


def align(automaton: MapAutomaton, events: Sequence[tuple[str, str]]) -> Alignment:
    """Align a journey's ``(activity, channel)`` steps against the map (least cost)."""
    n, nodes = len(events), len(automaton.edges_into)
    cost = [[_INF] * nodes for _ in range(n + 1)]
    # back-pointer: (kind, previous i, previous node, edge step)
    back: list[list[tuple[str, int, int, DesignedStep | None] | None]] = [
        [None] * nodes for _ in range(n + 1)
    ]
    for i in range(n + 1):
        row, before = cost[i], cost[i - 1] if i else None
        for v in range(nodes):
            best, pointer = (0, None) if i == 0 and v == 0 else (_INF, None)
            # The last move into (i, v), in order of preference (the first best wins): a
            # model move, a silent move, a log move, a synchronous move. Read forwards, an
            # unexpected step comes right after the designed step done before it, before the
            # designed steps that are missing; of two equal steps the first is the designed one.
            options: list[tuple[int, tuple[str, int, int, DesignedStep | None]]] = [
                (row[e.source] + 1, ("model", i, e.source, e.step))
                for e in automaton.edges_into[v]
                if e.step is not None
            ]
            options.extend(
                (row[e.source], ("silent", i, e.source, None))
                for e in automaton.edges_into[v]
                if e.step is None
            )
            if before is not None:
                options.append((before[v] + 1, ("log", i - 1, v, None)))
                activity, channel = events[i - 1]
                options.extend(
                    (before[e.source], ("sync", i - 1, e.source, e.step))
                    for e in automaton.edges_into[v]
                    if e.step is not None and _allows(e.step.step, activity, channel)
                )
            for value, option in options:
                if value < best:
                    best, pointer = value, option
            row[v], back[i][v] = best, pointer
    path: list[tuple[str, int, int, DesignedStep | None]] = []
    i, v = n, automaton.final
    while (pointer := back[i][v]) is not None:
        path.append((pointer[0], i, v, pointer[3]))
        i, v = pointer[1], pointer[2]
    return Alignment(
        _classify(automaton, events, path[::-1]),
        cost[n][automaton.final],
        n + automaton.shortest,
    )


def _classify(
    automaton: MapAutomaton,
    events: Sequence[tuple[str, str]],
    path: list[tuple[str, int, int, DesignedStep | None]],
) -> tuple[Move, ...]:
    """Moves with their deviation, reason and stage (``path``: kind, i and node after)."""
    activities = automaton.journey_map.activities()
    last_stage = len(automaton.stage_ends) - 1
    done: dict[int, DesignedStep] = {}
    current = 0  # the stage being worked on
    moves: list[Move] = []
    for kind, i, v, step in path:
        if kind == "silent":
            continue
        if kind == "model":
            assert step is not None
            moves.append(Move("model", step.stage, step.step.activity, None, None, step, "skipped"))
            continue
        activity, channel = events[i - 1]
        if kind == "sync":
            assert step is not None
            done[step.index] = step
            finished = v == automaton.stage_ends[step.stage]
            current = min(step.stage + 1, last_stage) if finished else step.stage
            moves.append(Move("sync", step.stage, activity, channel, i - 1, step))
            continue
        matching = [s.index for s in automaton.steps if _allows(s.step, activity, channel)]
        repeated = [done[index] for index in matching if index in done]
        if repeated:
            stage = max(repeated, key=lambda s: s.index).stage
            moves.append(Move("log", stage, activity, channel, i - 1, None, "loop"))
            continue
        reason: Reason = (
            "not_in_map"
            if activity not in activities
            else ("out_of_place" if matching else "wrong_channel")
        )
        moves.append(Move("log", current, activity, channel, i - 1, None, "off_path", reason))
    return tuple(moves)
