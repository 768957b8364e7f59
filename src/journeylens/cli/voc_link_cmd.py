"""`journeylens voc link`: link feedback to events and journeys again, and count the links."""

from __future__ import annotations

from pathlib import Path

from journeylens.cli.common import (
    EngineOption,
    JsonOption,
    WorkspaceOption,
    console,
    print_json,
    rows_table,
    user_errors,
    workspace,
)
from journeylens.voc.linkage import LINK_METHODS
from journeylens.voc.scopes import SCOPES


def link(
    workspace_path: WorkspaceOption = Path("."),
    engine: EngineOption = None,
    json_output: JsonOption = False,
) -> None:
    """Link every feedback record to its event and journey, and count the links.

    By the record's event_id, else its journey_key, else by customer and time: the journey
    open at the feedback time, or the one that ended within voc.link_window before it
    (journeylens.yaml). Unlinked feedback is kept and counted. Each record also gets a scope:
    touchpoint, journey or relationship. journeylens build does this too; run this after
    changing the voc: settings.

    Example:  journeylens voc link -w ws --json
    """
    with workspace(workspace_path, engine) as ws, user_errors():
        report = ws.link_feedback()
    if json_output:
        print_json(report.to_dict())
        return
    cells = {(r["link_method"], r["scope"]): r["feedback"] for r in report.table.to_pylist()}
    rows = [
        {
            "link method": method,
            **{scope: cells.get((method, scope), 0) for scope in SCOPES},
            "total": report.by_method[method],
        }
        for method in LINK_METHODS
    ]
    console.print(rows_table(rows, title="feedback per link method and scope"))
    console.print(
        f"linked {report.linked:,} of {report.total:,} feedback records to a journey; "
        f"{report.unlinked:,} unlinked (kept)"
    )
