"""What every journey type of the demo world declares: how customers walk it and its design.

A `JourneyType` bundles the path model (``walk``), how often customers start it, the
definition that cuts it (start and end activities, timeout, success) and the designed journey
map (stages, SLA). The designed map and the definition in `journeylens.demo.maps` are built
from these declarations, so the generator and the configuration cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from journeylens.demo.steps import LOGIN
from journeylens.demo.truths import TRUTHS
from journeylens.demo.walk import Choice, Walk, Who

#: Flags a path model returns (a bit mask), one per planted truth that marks journeys.
BROKEN_FORM = 1
NOT_FIXED_FIRST_TIME = 2
BILLING_SPIKE = 4

#: Chance that a customer simply uses their preferred channel where the journey allows it.
PREFERENCE_PULL = 0.3


@dataclass(frozen=True)
class MapStep:
    """An expected step of a designed journey: an activity on any of ``channels``."""

    activity: str
    channels: tuple[str, ...]
    optional: bool = False


@dataclass(frozen=True)
class Stage:
    """A stage of a designed journey with its expected steps (and accepted alternatives)."""

    name: str
    steps: tuple[MapStep, ...]
    alternatives: tuple[MapStep, ...] = ()


@dataclass(frozen=True)
class JourneyType:
    """One journey type (its name is also its topic).

    Parameters
    ----------
    name : str
        Journey type and topic.
    title, description : str
        For the journey map.
    walk : callable
        The path model: writes one journey's events on a `Walk`, returns its flags.
    rate_per_year : float
        Journeys per customer and year (onboarding: per new customer).
    timeout_days : int
        Inactivity after which a journey of this type is over; no journey of the demo world
        has a longer pause, and two journeys of one type and customer are further apart.
    sla_days : float
        Designed maximum duration.
    start_activities, end_activities, success_activities : tuple of str
        Activities that only ever open a journey, that close it, that make it a success.
    stages : tuple of Stage
        The designed journey.
    ces_question : str
        The effort question of the journey survey.
    """

    name: str
    title: str
    description: str
    walk: Callable[[Walk, Who], int]
    rate_per_year: float
    timeout_days: int
    sla_days: float
    start_activities: tuple[str, ...]
    end_activities: tuple[str, ...]
    success_activities: tuple[str, ...]
    stages: tuple[Stage, ...]
    ces_question: str


def entry(w: Walk, who: Who, app_users: Choice[str], others: Choice[str]) -> str:
    """The channel a journey starts on: often the preferred one, else by the type's mix."""
    options = app_users if who.app else others
    if w.random() < PREFERENCE_PULL and any(value == who.pref for value, _ in options):
        return who.pref
    return w.pick(options)


def web_visit(w: Walk, first: bool = False) -> None:
    """Start a web visit: log in (most of the time) before the next event.

    With ``first`` the visit opens the journey, so the time of day is set first.
    """
    if first:
        w.open(office=False)
    if w.chance(TRUTHS.login_journey_rate):
        w.emit(LOGIN)
        w.soon(5, 60)
