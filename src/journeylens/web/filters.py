"""The filters of every page, held in the URL's query string so a view can be shared.

=============  ==============================================  ==============================
parameter      meaning                                         example
=============  ==============================================  ==============================
``from``       first day the journeys started (inclusive)      ``from=2025-03-01``
``to``         last day the journeys started (inclusive)       ``to=2025-03-31``
``type``       journey type                                    ``type=moving``
``channel``    journeys that used this channel                 ``channel=web``
``segment``    a segment's group, ``<by>=<value>``             ``segment=status%3Dabandoned``
=============  ==============================================  ==============================

A value that does not parse is dropped and reported (the page says so) rather than failing.

Examples
--------
>>> f = Filters.parse({"from": "2025-03-01", "type": "moving", "channel": ""})
>>> f.scope_filters()
{'start': datetime.date(2025, 3, 1), 'journey_type': 'moving'}
>>> f.query(channel="web")
'from=2025-03-01&type=moving&channel=web'
>>> f.query(type=None)
'from=2025-03-01'
>>> Filters.parse({"from": "March"}).problems
["from: 'March' is not a date (write YYYY-MM-DD)"]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from journeylens.analytics.scope import Scope

#: URL parameter → Scope field.
PARAMS = {
    "from": "start",
    "to": "end",
    "type": "journey_type",
    "channel": "channel",
    "segment": "segment",
}

#: Quick periods offered next to the dates: label → days back from the data's last day.
PRESETS = (("last 4 weeks", 28), ("last 13 weeks", 91), ("last 12 months", 365))


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class Filters:
    """The filters of a page (see the module docstring)."""

    start: date | None = None
    end: date | None = None
    journey_type: str | None = None
    channel: str | None = None
    segment: str | None = None
    problems: list[str] = field(default_factory=list, compare=False, hash=False)

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> Filters:
        """Filters from query parameters; bad values are dropped and listed in ``problems``."""
        values: dict[str, Any] = {}
        problems: list[str] = []
        for param in PARAMS:
            text = (params.get(param) or "").strip()
            if not text:
                continue
            if param in ("from", "to"):
                day = _date(text)
                if day is None:
                    problems.append(f"{param}: '{text}' is not a date (write YYYY-MM-DD)")
                    continue
                values[PARAMS[param]] = day
            else:
                values[PARAMS[param]] = text[:200]
        try:
            Scope(**values)
        except ValueError as exc:
            problems.append(str(exc))
            values.pop("segment", None)
            if "period" in str(exc):
                values.pop("start", None)
                values.pop("end", None)
        return cls(**values, problems=problems)

    def scope_filters(self) -> dict[str, Any]:
        """The keyword arguments of `journeylens.analytics.scope.Scope` (only those set)."""
        return {
            name: getattr(self, name) for name in PARAMS.values() if getattr(self, name) is not None
        }

    def scope(self) -> Scope:
        """The filters as a `Scope`."""
        return Scope(**self.scope_filters())

    def params(self) -> dict[str, str]:
        """The filters as query parameters (only those set)."""
        out: dict[str, str] = {}
        for param, name in PARAMS.items():
            value = getattr(self, name)
            if value is not None:
                out[param] = value.isoformat() if isinstance(value, date) else str(value)
        return out

    def query(self, **changes: Any) -> str:
        """The query string of these filters with some changed (None removes one); the
        keyword ``type`` stands for the journey type, ``from``/``to`` are passed as
        ``start``/``end``."""
        params = self.params()
        for key, value in changes.items():
            param = {"start": "from", "end": "to", "journey_type": "type"}.get(key, key)
            if value is None:
                params.pop(param, None)
            else:
                params[param] = value.isoformat() if isinstance(value, date) else str(value)
        return urlencode(params)

    def key(self) -> tuple[str, ...]:
        """A hashable, stable identity of the filters (for caches)."""
        return tuple(f"{k}={v}" for k, v in sorted(self.params().items()))

    def without_type(self) -> Filters:
        """The same filters for every journey type."""
        return replace(self, journey_type=None)

    @property
    def active(self) -> bool:
        """Whether any filter is set."""
        return bool(self.params())


def presets(last_day: date | None) -> list[tuple[str, date, date]]:
    """``(label, from, to)`` of the quick periods ending on the data's last day."""
    if last_day is None:
        return []
    return [(label, last_day - timedelta(days=days - 1), last_day) for label, days in PRESETS]
