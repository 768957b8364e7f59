"""The journey types of the demo world, each a path model plus its designed map.

Examples
--------
>>> [t.name for t in TYPES]
['moving', 'renewal', 'fault', 'billing', 'onboarding']
>>> BY_NAME["fault"].timeout_days
21
"""

from __future__ import annotations

from journeylens.demo.paths import billing, fault, moving, onboarding, renewal
from journeylens.demo.paths.base import (
    BILLING_SPIKE,
    BROKEN_FORM,
    NOT_FIXED_FIRST_TIME,
    JourneyType,
    MapStep,
    Stage,
)

#: Every journey type, in code order (the index is the type code).
TYPES: tuple[JourneyType, ...] = (
    moving.TYPE,
    renewal.TYPE,
    fault.TYPE,
    billing.TYPE,
    onboarding.TYPE,
)
BY_NAME = {t.name: t for t in TYPES}
MOVING, RENEWAL, FAULT, BILLING, ONBOARDING = range(len(TYPES))

__all__ = [
    "BILLING",
    "BILLING_SPIKE",
    "BROKEN_FORM",
    "BY_NAME",
    "FAULT",
    "MOVING",
    "NOT_FIXED_FIRST_TIME",
    "ONBOARDING",
    "RENEWAL",
    "TYPES",
    "JourneyType",
    "MapStep",
    "Stage",
]
