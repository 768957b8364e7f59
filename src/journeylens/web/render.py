"""Rendering: the Jinja2 templates of the pages, their filters, and the package's own assets.

Every template extends ``base.html`` (landmarks, skip link, navigation, filter bar). The same
templates render the standalone report (`journeylens.web.report`): with ``standalone`` set,
the CSS, the dashboard's script and Plotly.js are inlined and server links are left out.

Examples
--------
>>> number(1234567), percent(0.4567), percent(None), duration(5400)
('1,234,567', '45.7%', '\u2013', '1.5 h')
>>> asset_path("dashboard.css").name
'dashboard.css'
"""

from __future__ import annotations

import math
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from journeylens.palette import PALETTE

HERE = Path(__file__).resolve().parent

#: How a missing value is shown (an en dash).
MISSING = "\u2013"

#: The files served under /assets/ (name → path); Plotly.js comes from the plotly package.
ASSETS = ("dashboard.css", "dashboard.js", "plotly.min.js")


def asset_path(name: str) -> Path:
    """Where an asset lives (KeyError for anything else)."""
    if name not in ASSETS:
        raise KeyError(name)
    if name == "plotly.min.js":
        import plotly

        return Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
    return HERE / "static" / name


@cache
def asset_text(name: str) -> str:
    """An asset's text (read once)."""
    return asset_path(name).read_text(encoding="utf-8")


def number(value: Any) -> str:
    """A count with thousands separators (floats with two decimals)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value.is_integer() or abs(value) >= 100:
            return f"{value:,.0f}"
        return f"{value:,.2f}"
    return str(value)


def percent(value: Any) -> str:
    """A share as a percentage."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    return f"{float(value):.1%}"


def duration(seconds: Any) -> str:
    """Seconds as a short human duration."""
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return MISSING
    seconds = float(seconds)
    for unit, size in (("d", 86400.0), ("h", 3600.0), ("min", 60.0)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} s"


def when(value: Any) -> str:
    """A timestamp as ``YYYY-MM-DD HH:MM`` (text stays text)."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and len(value) >= 16 and value[10] in "T ":
        return value[:10] + " " + value[11:16]
    return "" if value is None else str(value)


@cache
def environment() -> jinja2.Environment:
    """The templates, HTML-escaped by default."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        autoescape=jinja2.select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(num=number, pct=percent, dur=duration, when=when)
    env.globals.update(palette=PALETTE, asset_text=asset_text)
    return env


def render(template: str, **context: Any) -> str:
    """A page."""
    context.setdefault("standalone", False)
    return environment().get_template(template).render(**context)
