"""Commands that show what is in the workspace: journeys, customer, quarantine, summary."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

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

if TYPE_CHECKING:
    from journeylens.frame import Frame

journeys_app = typer.Typer(help="List journeys or show one with its steps.", no_args_is_help=True)

LimitOption = Annotated[int, typer.Option(help="Rows to show (exports are never cut).")]

_LIST_COLUMNS = (
    "journey_key",
    "customer_key",
    "journey_type",
    "status",
    "start_ts",
    "steps",
    "channels",
    "handoffs",
    "repeat_contacts",
    "duration_seconds",
)


def _export(frame: Frame, csv: Path | None, parquet: Path | None) -> bool:
    if csv is None and parquet is None:
        return False
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    table = frame.to_arrow()
    if csv is not None:
        pacsv.write_csv(table, csv)
        console.print(f"wrote {table.num_rows:,} rows to {csv}")
    if parquet is not None:
        pq.write_table(table, parquet)
        console.print(f"wrote {table.num_rows:,} rows to {parquet}")
    return True


@journeys_app.command("list")
def list_journeys(
    journey_type: Annotated[
        str | None, typer.Option("--type", help="Only this journey type.")
    ] = None,
    status: Annotated[str | None, typer.Option(help="open, completed or abandoned.")] = None,
    customer: Annotated[
        str | None, typer.Option(help="Only this customer (any identifier).")
    ] = None,
    limit: LimitOption = 20,
    csv: Annotated[Path | None, typer.Option(help="Write all matching journeys as CSV.")] = None,
    parquet: Annotated[
        Path | None, typer.Option(help="Write all matching journeys as Parquet.")
    ] = None,
    workspace_path: WorkspaceOption = Path("."),
    engine: EngineOption = None,
    json_output: JsonOption = False,
) -> None:
    """List journeys, oldest first."""
    with workspace(workspace_path, engine) as ws, user_errors():
        frame = ws.journeys(journey_type=journey_type, status=status, customer=customer)
        if _export(frame, csv, parquet):
            return
        total = len(frame)
        rows = frame.head(limit).to_pylist()
    if json_output:
        print_json({"total": total, "journeys": rows})
        return
    shown = [{k: r[k] for k in _LIST_COLUMNS} for r in rows]
    console.print(rows_table(shown, title=f"journeys ({len(rows):,} of {total:,})"))


@journeys_app.command("show")
def show_journey(
    journey_key: Annotated[str, typer.Argument(help="The journey key, as listed.")],
    workspace_path: WorkspaceOption = Path("."),
    engine: EngineOption = None,
    json_output: JsonOption = False,
) -> None:
    """Show one journey and its steps across channels."""
    with workspace(workspace_path, engine) as ws, user_errors():
        view = ws.journey(journey_key)
        steps = view.steps.to_pylist()
    if json_output:
        print_json({"journey": view.journey, "steps": steps})
        return
    console.print(
        rows_table([{"field": k, "value": v} for k, v in view.journey.items()], journey_key)
    )
    columns = ("step", "ts", "channel", "activity", "initiator", "topic", "outcome", "handoff")
    console.print(rows_table([{k: s[k] for k in columns} for s in steps], title="steps"))


def customer(
    identifier: Annotated[
        str,
        typer.Argument(help="Any identifier: customer id, e-mail, phone, cookie … or type:value."),
    ],
    limit: LimitOption = 50,
    workspace_path: WorkspaceOption = Path("."),
    engine: EngineOption = None,
    json_output: JsonOption = False,
) -> None:
    """One customer's cross-channel timeline, identifiers and journeys."""
    with workspace(workspace_path, engine) as ws, user_errors():
        view = ws.customer(identifier)
        identifiers = view.identifiers.to_pylist()
        timeline = view.timeline.head(limit).to_pylist()
        journeys = view.journeys.to_pylist()
    if json_output:
        print_json(
            {
                "customer_key": view.customer_key,
                "identifiers": identifiers,
                "timeline": timeline,
                "journeys": journeys,
            }
        )
        return
    console.print(f"[bold]customer[/] {view.customer_key}")
    console.print(rows_table(identifiers, title="identifiers"))
    columns = ("ts", "channel", "activity", "initiator", "topic", "journey_key", "step")
    console.print(rows_table([{k: e[k] for k in columns} for e in timeline], title="timeline"))
    console.print(
        rows_table([{k: j[k] for k in _LIST_COLUMNS} for j in journeys], title="journeys")
    )


def quarantine(
    limit: LimitOption = 20,
    csv: Annotated[Path | None, typer.Option(help="Write every quarantined row as CSV.")] = None,
    workspace_path: WorkspaceOption = Path("."),
    engine: EngineOption = None,
    json_output: JsonOption = False,
) -> None:
    """Rejected records: file, line, field and reason."""
    with workspace(workspace_path, engine) as ws, user_errors():
        frame = ws.quarantine()
        if _export(frame, csv, None):
            return
        total = len(frame)
        rows = frame.head(limit).to_pylist()
    if json_output:
        print_json({"total": total, "rows": rows})
        return
    shown = [
        {
            "file": Path(r["source_file"]).name,
            "line": r["source_line"],
            "field": r["field"],
            "reason": r["reason"],
        }
        for r in rows
    ]
    console.print(rows_table(shown, title=f"quarantine ({len(rows):,} of {total:,})"))


def summary(
    html: Annotated[
        Path | None, typer.Option(help="Also write a self-contained HTML page here.")
    ] = None,
    workspace_path: WorkspaceOption = Path("."),
    engine: EngineOption = None,
    json_output: JsonOption = False,
) -> None:
    """Events, customers and journeys in the workspace, by channel and journey type."""
    with workspace(workspace_path, engine) as ws:
        data = ws.summary()
    render_summary(data, json_output)
    if html is not None:
        from journeylens.report.summary import write_summary_html

        write_summary_html(data, html)
        if not json_output:
            console.print(f"wrote {html}")


def render_summary(data: dict[str, Any], json_output: bool) -> None:
    """Print a workspace summary as tables or JSON."""
    if json_output:
        print_json(data)
        return
    keys = ("events", "customers", "identifiers", "journeys", "feedback", "quarantined")
    console.print(rows_table([{k: data.get(k, 0) for k in keys}], title="workspace"))
    if data.get("journeys_by_type"):
        console.print(rows_table(data["journeys_by_type"], title="journeys by type"))
    if data.get("events_by_channel"):
        console.print(rows_table(data["events_by_channel"], title="events by channel"))
