"""The numbers that describe a workspace after a build, and an HTML page that shows them."""

from __future__ import annotations

import html
from datetime import datetime
from pathlib import Path
from typing import Any

from journeylens.palette import PALETTE
from journeylens.store.backends import Backend


def _rows(backend: Backend, expr: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = backend.to_arrow(expr).to_pylist()
    return rows


def workspace_summary(backend: Backend) -> dict[str, Any]:
    """Counts of events, customers, journeys and quarantined records, with breakdowns.

    Returns
    -------
    dict
        ``events``, ``feedback``, ``quarantined``, ``customers``, ``identifiers``,
        ``journeys``, ``events_by_channel``, ``journeys_by_type`` (with status counts and
        averages), ``period`` (first and last event).
    """
    summary: dict[str, Any] = {
        "events": backend.count("events"),
        "feedback": backend.count("feedback"),
        "quarantined": backend.count("quarantine"),
    }
    if backend.has_table("events"):
        events = backend.table("events")
        summary["events_by_channel"] = _rows(
            backend,
            events.group_by("channel")
            .aggregate(events=events.count())
            .order_by([events.count().desc(), "channel"]),
        )
        period = _rows(backend, events.aggregate(first=events.ts.min(), last=events.ts.max()))[0]
        summary["period"] = {k: str(v) for k, v in period.items()}
    if backend.has_table("identity"):
        identity = backend.table("identity")
        counts = _rows(
            backend,
            identity.aggregate(identifiers=identity.count(), customers=identity.label.nunique()),
        )[0]
        summary.update(counts)
    if backend.has_table("journeys"):
        j = backend.table("journeys")
        summary["journeys"] = backend.count("journeys")
        by_type = j.group_by("journey_type").aggregate(
            journeys=j.count(),
            completed=(j.status == "completed").cast("int64").sum(),
            open=(j.status == "open").cast("int64").sum(),
            abandoned=(j.status == "abandoned").cast("int64").sum(),
            success_rate=j.success.cast("float64").mean(),
            avg_steps=j.steps.mean(),
            avg_handoffs=j.handoffs.mean(),
            avg_repeat_contacts=j.repeat_contacts.mean(),
            median_hours=(j.duration_seconds / 3600).median(),
        )
        summary["journeys_by_type"] = [
            {k: (round(v, 3) if isinstance(v, float) else v) for k, v in row.items()}
            for row in _rows(backend, by_type.order_by([by_type.journeys.desc(), "journey_type"]))
        ]
    return summary


def _bars(rows: list[dict[str, Any]], label: str, value: str, title: str) -> str:
    """A horizontal bar chart as inline SVG (no script, readable labels)."""
    if not rows:
        return ""
    top = max(float(r[value] or 0) for r in rows) or 1.0
    bar_h, gap, left, width = 22, 6, 150, 420
    height = len(rows) * (bar_h + gap) + 10
    parts = [
        f'<svg role="img" aria-label="{html.escape(title)}" width="{left + width + 90}" '
        f'height="{height}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, row in enumerate(rows):
        y = 5 + i * (bar_h + gap)
        w = max(1.0, width * float(row[value] or 0) / top)
        colour = PALETTE[i % len(PALETTE)]
        parts.append(
            f'<text x="{left - 8}" y="{y + 16}" text-anchor="end" font-size="13">'
            f"{html.escape(str(row[label]))}</text>"
            f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colour}"/>'
            f'<text x="{left + w + 6:.1f}" y="{y + 16}" font-size="13">{row[value]:,}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "<p>None.</p>"
    head = "".join(f"<th scope='col'>{html.escape(str(k).replace('_', ' '))}</th>" for k in rows[0])
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_fmt(v))}</td>" for v in row.values()) + "</tr>"
        for row in rows
    )
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    return f'<div class="scroll">{table}</div>'


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return "" if value is None else str(value)


_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;
max-width:72rem;color:#1a1a1a;padding:0 1rem}
h1{margin-bottom:.2rem}
.kpis{display:flex;flex-wrap:wrap;gap:1rem;margin:1rem 0}
.kpi{border:1px solid #ccc;border-radius:8px;padding:.8rem 1.2rem;min-width:9rem}
.kpi b{display:block;font-size:1.6rem}
.scroll{overflow-x:auto}table{border-collapse:collapse;margin:.5rem 0 1.5rem;font-size:.9rem}
th,td{border:1px solid #ddd;padding:.3rem .6rem;text-align:right}th{background:#f3f3f3}
td:first-child,th:first-child{text-align:left}
"""


def write_summary_html(summary: dict[str, Any], path: Path, title: str = "journeylens") -> Path:
    """Write a self-contained HTML page (no scripts, no network) of a workspace summary."""
    kpis = [
        ("events", summary.get("events", 0)),
        ("customers", summary.get("customers", 0)),
        ("journeys", summary.get("journeys", 0)),
        ("feedback records", summary.get("feedback", 0)),
        ("quarantined records", summary.get("quarantined", 0)),
    ]
    kpi_html = "".join(f'<div class="kpi"><b>{v:,}</b>{html.escape(k)}</div>' for k, v in kpis)
    by_type = summary.get("journeys_by_type", [])
    by_channel = summary.get("events_by_channel", [])
    period = summary.get("period", {})
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>{html.escape(title)} summary</title><style>{_STYLE}</style></head><body>
<h1>{html.escape(title)}</h1>
<p>Events from {html.escape(period.get("first", "?"))} to {html.escape(period.get("last", "?"))};
written {datetime.now().strftime("%Y-%m-%d %H:%M")}.</p>
<section class="kpis" aria-label="key figures">{kpi_html}</section>
<h2>Journeys by type</h2>{_bars(by_type, "journey_type", "journeys", "journeys by type")}
{_table(by_type)}
<h2>Events by channel</h2>{_bars(by_channel, "channel", "events", "events by channel")}
</body></html>"""
    path.write_text(page, encoding="utf-8")
    return path
