"""`journeylens moments ...`: the moments rules fired, their actions, and the actions' uplift.

``list``, ``deliveries``, ``retry`` and ``alerts`` read the workspace's outbox
(``live/outbox.sqlite``) and work while the server runs; ``uplift`` reads the built workspace
too (run ``journeylens build`` first so the outcomes after the moments are in).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from journeylens.cli.common import (
    JsonOption,
    WorkspaceOption,
    console,
    fail,
    print_json,
    rows_table,
    user_errors,
    workspace,
    write_csv,
)

moments_app = typer.Typer(
    help=(
        "Critical moments fired by the rules, their actions (webhooks, alerts, log lines, "
        "next best actions) and the uplift of those actions against the hold-out.\n\n"
        "Example:  journeylens moments list --rule third-contact -w ws"
    ),
    no_args_is_help=True,
)

LimitOption = Annotated[int, typer.Option(help="Rows to show at most.")]


@contextmanager
def _center(root: Path) -> Iterator[Any]:
    """The outbox of the workspace at ``root``, read without opening the store."""
    from journeylens.config import CONFIG_FILE
    from journeylens.realtime.actions.center import ActionCenter
    from journeylens.realtime.actions.outbox import OUTBOX_PATH
    from journeylens.realtime.actions.settings import ActionSettings

    if not (root / CONFIG_FILE).exists():
        fail(f"{root} is not a journeylens workspace (no {CONFIG_FILE})")
    if not (root / OUTBOX_PATH).exists():
        fail(
            f"no moments yet: {root / OUTBOX_PATH} is written by the live server "
            "(journeylens serve) once rules fire"
        )
    center = ActionCenter(root / OUTBOX_PATH, ActionSettings())
    try:
        yield center
    finally:
        center.close()


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        fail(f"--since '{value}' is not a date or time; write e.g. 2026-01-05 or 2026-01-05T09:00Z")
    return None


def list_moments(
    rule: Annotated[str | None, typer.Option(help="Only this rule's moments.")] = None,
    customer: Annotated[
        str | None,
        typer.Option(
            help="Only this customer: the customer key or its value (C1 for customer_id:C1)."
        ),
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Moments at or after this event time (ISO 8601, UTC).")
    ] = None,
    limit: LimitOption = 50,
    workspace_path: WorkspaceOption = Path("."),
    json_output: JsonOption = False,
) -> None:
    """The newest moments first: rule, customer, time, hold-out arm, actions, recommendations.

    Example: the last 20 moments of one rule since the start of the year:

        journeylens moments list --rule third-contact --since 2026-01-01 --limit 20 -w ws
    """
    with _center(workspace_path) as center, user_errors():
        found = center.moments(
            rule=rule, customer_key=customer, since=_since(since), limit=limit, newest_first=True
        )
    if json_output:
        print_json({"moments": found})
        return
    shown = [
        {
            "seq": m["seq"],
            "ts": m["ts"],
            "rule": m["rule"],
            "customer": m["customer_key"],
            "arm": "hold-out" if m["holdout"] else "actioned",
            "actions": ", ".join(m["actions"]),
            "recommendation": "; ".join(r["text"] for r in m["recommendations"]),
        }
        for m in found
    ]
    console.print(rows_table(shown, title="moments, newest first (--json for every field)"))


def deliveries(
    status: Annotated[
        str | None, typer.Option(help="pending, delivered or failed (gave up; see retry).")
    ] = None,
    action: Annotated[str | None, typer.Option(help="Only this action's deliveries.")] = None,
    limit: LimitOption = 100,
    workspace_path: WorkspaceOption = Path("."),
    json_output: JsonOption = False,
) -> None:
    """Deliveries of actions with their status, attempts and last error.

    Example: what could not be delivered, and why:

        journeylens moments deliveries --status failed -w ws
    """
    with _center(workspace_path) as center, user_errors():
        found = center.deliveries(status=status, action=action, limit=limit)
        counts = center.counts()
    if json_output:
        print_json({"deliveries": found, "counts": counts})
        return
    shown = [
        {
            "delivery_id": d["delivery_id"],
            "action": d["action"],
            "status": d["status"],
            "attempts": d["attempts"],
            "last_error": d["last_error"],
            "updated": d["updated_at"],
        }
        for d in found
    ]
    console.print(rows_table(shown, title="deliveries (--json for every field)"))
    totals = [{"action": name, **per_status} for name, per_status in sorted(counts.items())]
    console.print(rows_table(totals, title="per action"))


def retry(
    delivery_ids: Annotated[
        list[str] | None, typer.Argument(help="Deliveries to retry (default: every failed one).")
    ] = None,
    workspace_path: WorkspaceOption = Path("."),
    json_output: JsonOption = False,
) -> None:
    """Make failed deliveries due again (the running server sends them within a second).

    Example:  journeylens moments retry -w ws
    """
    with _center(workspace_path) as center, user_errors():
        retried = center.retry(delivery_ids or None)
    if json_output:
        print_json({"retried": retried})
        return
    console.print(f"{retried:,} failed deliveries are due again")


def alerts(
    limit: LimitOption = 50,
    workspace_path: WorkspaceOption = Path("."),
    json_output: JsonOption = False,
) -> None:
    """Alerts recorded by alert actions, newest first.

    Example:  journeylens moments alerts --limit 10 -w ws
    """
    with _center(workspace_path) as center, user_errors():
        found = center.alerts(limit=limit)
    if json_output:
        print_json({"alerts": found})
        return
    shown = [
        {k: a[k] for k in ("created_at", "severity", "rule", "customer_key", "message")}
        for a in found
    ]
    console.print(rows_table(shown, title="alerts, newest first"))


def uplift(
    journey: Annotated[
        str,
        typer.Option(help="Outcome journey: moment (the moment's own) or next (the next one)."),
    ] = "moment",
    horizon: Annotated[
        str, typer.Option(help="How long after the moment contacts and a next journey count.")
    ] = "7d",
    rule: Annotated[
        list[str] | None, typer.Option("--rule", help="Only this rule (repeat for more).")
    ] = None,
    confidence: Annotated[float, typer.Option(help="Of the intervals.")] = 0.95,
    min_effect: Annotated[
        float | None,
        typer.Option(help="Uplift to size the sample for (default: the observed one)."),
    ] = None,
    per_moment: Annotated[
        bool, typer.Option("--moments", help="Output every moment with its outcome instead.")
    ] = False,
    csv: Annotated[Path | None, typer.Option(help="Write the rows as CSV to this file.")] = None,
    workspace_path: WorkspaceOption = Path("."),
    json_output: JsonOption = False,
) -> None:
    """Actioned vs hold-out per rule: completion, success, re-contact, contacts after, score.

    Each moment's outcome comes from the built journeys (build after the outcomes arrived);
    the uplift is actioned minus hold-out with a confidence interval, and needed_moments is
    how many moments of the rule would detect it (5% level, 80% power).

    Example: the next journey within 14 days, for one rule:

        journeylens moments uplift --journey next --horizon 14d --rule third-contact -w ws
    """
    from journeylens.realtime.actions.uplift import UpliftQuery
    from journeylens.realtime.actions.uplift import uplift as run_uplift

    with workspace(workspace_path) as ws, user_errors():
        query = UpliftQuery(
            journey=journey,
            horizon=horizon,
            rules=tuple(rule or ()),
            confidence=confidence,
            min_effect=min_effect,
        )
        result = run_uplift(ws, query=query)
    table = result.moments if per_moment else result.rules
    if csv is not None:
        write_csv(table, csv)
        return
    if json_output:
        key = "moments" if per_moment else "rules"
        print_json({"as_of": result.as_of, "query": vars(query), key: table.to_pylist()})
        return
    if per_moment:
        console.print(rows_table(table.slice(0, 50).to_pylist(), title="moments (first 50)"))
        return
    shown = [
        {
            "rule": r["rule"],
            "measure": r["measure"],
            "actioned": r["actioned"],
            "hold-out": r["holdout"],
            "uplift": r["uplift"],
            "ci": None if r["uplift"] is None else f"[{r['ci_low']:.3f}, {r['ci_high']:.3f}]",
            "n": f"{r['n_actioned']}/{r['n_holdout']}",
            "needed": r["needed_moments"],
            "note": r["note"],
        }
        for r in table.to_pylist()
    ]
    console.print(
        rows_table(shown, title=f"uplift, actioned - hold-out ({confidence:.0%} intervals)")
    )


moments_app.command("list")(list_moments)
moments_app.command()(deliveries)
moments_app.command()(retry)
moments_app.command()(alerts)
moments_app.command()(uplift)
