"""Journeys: cutting each customer's events into episodes and measuring them."""

from journeylens.journeys.build import JOURNEYS_TABLE, STEPS_TABLE, BuildResult, build

__all__ = ["JOURNEYS_TABLE", "STEPS_TABLE", "BuildResult", "build"]
