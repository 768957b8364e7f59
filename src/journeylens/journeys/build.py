"""`build`: stitch identities, cut journeys, and store `journey_steps` and `journeys`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import ibis

from journeylens.config import JourneySettings
from journeylens.identity import StitchResult, stitch
from journeylens.journeys.segment import with_customers
from journeylens.journeys.summarise import journeys, steps
from journeylens.store.backends import Backend

STEPS_TABLE = "journey_steps"
JOURNEYS_TABLE = "journeys"


@dataclass(frozen=True)
class BuildResult:
    """What a build produced."""

    identity: StitchResult
    events: int
    journeys: int
    as_of: datetime
    #: Feedback records linked to a journey, and not (None when there is no feedback).
    feedback_linked: int | None = None
    feedback_unlinked: int | None = None


def _as_of(backend: Backend, settings: JourneySettings) -> datetime:
    if settings.as_of != "data":
        return datetime.fromisoformat(settings.as_of).replace(tzinfo=None)
    events = backend.table("events")
    latest = backend.scalar(events.ts.max())
    moment: datetime = latest.to_pydatetime() if hasattr(latest, "to_pydatetime") else latest
    return moment


def build(
    backend: Backend,
    settings: JourneySettings,
    since_seq: int = 0,
    progress: Callable[[str], None] | None = None,
) -> BuildResult:
    """Rebuild identities (incrementally from ``since_seq``) and every journey.

    Journeys are rebuilt whole: a new event can merge two customers or extend a journey, and
    the relational cut over all events is cheaper than tracking what each change touches.
    """
    say = progress or (lambda _step: None)
    say("stitching identities")
    identity = stitch(backend, since_seq)
    as_of = _as_of(backend, settings)
    say("cutting journeys")
    keyed = with_customers(backend.table("events"), backend.table("identity"))
    step_rows = backend.materialise(STEPS_TABLE, steps(keyed, settings))
    say("measuring journeys")
    backend.materialise(JOURNEYS_TABLE, journeys(step_rows, settings, ibis.literal(as_of)))
    return BuildResult(
        identity=identity,
        events=backend.count("events"),
        journeys=backend.count(JOURNEYS_TABLE),
        as_of=as_of,
    )
