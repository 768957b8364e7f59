"""Overview: journeys, customers and events by channel; success, effort and friction over time;
where journeys break down (and, once the voice of the customer has landed, satisfaction and
its key drivers).

Examples
--------
>>> grain(date(2025, 1, 1), date(2025, 3, 1)), grain(date(2025, 1, 1), date(2025, 12, 31))
('week', 'month')
>>> period_bounds("2025-03-03", "week"), period_bounds("2025-02", "month")
(('2025-03-03', '2025-03-09'), ('2025-02-01', '2025-02-28'))
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from journeylens.analytics.scope import scope_counts
from journeylens.palette import PALETTE
from journeylens.web import charts
from journeylens.web.filters import Filters
from journeylens.web.pages.common import link, options, page, plain
from journeylens.web.pages.voc_panels import voc_overview_panels

if TYPE_CHECKING:
    from journeylens.web.state import Dashboard, Features
    from journeylens.workspace import Workspace

#: Up to this many days a trend is weekly, beyond it monthly.
WEEKLY_UP_TO_DAYS = 183


def grain(first: date | None, last: date | None) -> str:
    """``week`` for short periods, ``month`` for long ones."""
    if first is None or last is None:
        return "month"
    return "week" if (last - first).days <= WEEKLY_UP_TO_DAYS else "month"


def period_bounds(label: str, period: str) -> tuple[str, str]:
    """The first and last day of a trend's period label (a week's Monday or ``YYYY-MM``)."""
    if period == "week":
        monday = date.fromisoformat(label)
        return monday.isoformat(), (monday + timedelta(days=6)).isoformat()
    year, month = (int(x) for x in label.split("-"))
    last = calendar.monthrange(year, month)[1]
    return f"{label}-01", f"{label}-{last:02d}"


def _counts(filters: Filters) -> Any:
    query = filters.query()

    def compute(view: Workspace) -> dict[str, Any]:
        counts = scope_counts(view.backend)
        by_channel, by_type = counts["by_channel"], counts["by_type"]
        channel_links = [
            link("/journeys/list", filters.query(channel=r["channel"])) for r in by_channel
        ]
        type_links = [link("/journeys", filters.query(type=r["journey_type"])) for r in by_type]
        return plain(
            {
                "kpis": {k: counts[k] for k in ("journeys", "customers", "events")}
                | {"success_rate": counts["success_rate"], "median": counts["median_seconds"]},
                "by_channel": [
                    r | {"href": h} for r, h in zip(by_channel, channel_links, strict=True)
                ],
                "by_type": [r | {"href": h} for r, h in zip(by_type, type_links, strict=True)],
                "channel_chart": charts.payload(
                    charts.bars(
                        [r["channel"] for r in by_channel],
                        [r["events"] for r in by_channel],
                        links=channel_links,
                        name="events",
                    ),
                    "Bar chart: events by channel",
                ),
                "type_chart": charts.payload(
                    charts.bars(
                        [r["journey_type"] for r in by_type],
                        [r["journeys"] for r in by_type],
                        links=type_links,
                        name="journeys",
                        colour=PALETTE[2],
                    ),
                    "Bar chart: journeys by type",
                ),
                "list_href": link("/journeys/list", query),
            }
        )

    return compute


def _trend(filters: Filters, period: str) -> Any:
    def compute(view: Workspace) -> dict[str, Any]:
        rows = view.metrics(by=None, period=period).to_frame().to_dict("records")
        periods = [str(r["period"]) for r in rows]
        links = []
        for label in periods:
            start, end = period_bounds(label, period)
            links.append(link("/journeys/list", filters.query(start=start, end=end)))
        series = {
            "success (productive)": [r["productive"] for r in rows],
            "effortless": [r["effortless"] for r in rows],
            "painless (low friction)": [r["painless"] for r in rows],
        }
        figure = charts.trends(periods, series, axis="score (0-100)", links=links, range_=(0, 100))
        table = [
            {
                "period": label,
                "journeys": r["journeys"],
                "success_rate": r["success_rate"],
                "effortless": r["effortless"],
                "painless": r["painless"],
                "href": href,
            }
            for label, r, href in zip(periods, rows, links, strict=True)
        ]
        return plain(
            {
                "period": period,
                "chart": charts.payload(
                    figure, f"Line chart: success, effort and friction per {period}"
                ),
                "rows": table,
            }
        )

    return compute


def _breakdowns(filters: Filters) -> Any:
    def compute(view: Workspace) -> dict[str, Any]:
        found = view.breakdowns(journey_type=filters.journey_type)
        rows = found.to_frame().head(10).to_dict("records")
        for row in rows:
            row["href"] = link(
                "/journeys/list", filters.query(), breakdown=f"{row['kind']}:{row['label']}"
            )
        return plain(
            {
                "chart": charts.payload(
                    found.figure(top=10), "Bar chart: where journeys break down, recovered or not"
                ),
                "rows": [
                    {
                        k: r[k]
                        for k in (
                            "kind",
                            "label",
                            "breakdowns",
                            "journeys",
                            "recovery_rate",
                            "top_recovery_channel",
                            "median_seconds_to_recover",
                            "href",
                        )
                    }
                    for r in rows
                ],
            }
        )

    return compute


def overview(dash: Dashboard, filters: Filters, features: Features) -> dict[str, Any]:
    """The overview page's context."""
    context = page(dash, filters, features, "overview", "Overview")
    found = options(dash)
    first = filters.start or _day(found.get("first"))
    last = filters.end or _day(found.get("last"))
    period = grain(first, last)
    context["counts"] = dash.panel("overview", "counts", filters, _counts(filters))
    context["trend"] = dash.panel("overview", "trend", filters, _trend(filters, period), period)
    context["breakdowns"] = dash.panel("overview", "breakdowns", filters, _breakdowns(filters))
    context["voc"] = voc_overview_panels(dash, filters, period) if features.voc else {}
    return context


def _day(text: Any) -> date | None:
    return date.fromisoformat(text[:10]) if isinstance(text, str) else None
