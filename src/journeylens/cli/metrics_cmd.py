"""`journeylens metrics`: journey metrics per segment, rendered from the library's result."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from journeylens.cli.analytics_cmd import CsvOption, TypeOption
from journeylens.cli.common import (
    EngineOption,
    JsonOption,
    WorkspaceOption,
    console,
    hours,
    print_json,
    rows_table,
    user_errors,
    workspace,
    write_csv,
)

SegmentOption = Annotated[
    str,
    typer.Option(
        "--by",
        help="Group journeys by: journey_type, status, start_channel, entry_channel, channel "
        "(a journey counts in every channel it used), period:week, period:month, "
        "attribute:<name>, journey_attribute:<name>, or all.",
    ),
]


#: Columns shown per journey in the terminal.
JOURNEY_COLUMNS = (
    "journey_key",
    "status",
    "steps",
    "handoffs",
    "repeat_contacts",
    "fcr",
    "effortless",
    "productive",
    "painless",
)


def segment_or_none(by: str) -> str | None:
    """``--by all`` means one group of every journey."""
    return None if by.strip().lower() == "all" else by


def metrics(
    by: SegmentOption = "journey_type",
    journey_type: TypeOption = None,
    period: Annotated[
        str | None, typer.Option(help="Also split by week or month of the journey's start.")
    ] = None,
    per_journey: Annotated[
        bool,
        typer.Option("--journeys", help="Output every journey with its metrics instead."),
    ] = False,
    limit: Annotated[int, typer.Option(help="Rows to show.")] = 30,
    csv: CsvOption = None,
    workspace_path: WorkspaceOption = Path("."),
    engine: EngineOption = None,
    json_output: JsonOption = False,
) -> None:
    """Journey metrics per segment: effort, success and friction, duration, hand-offs, FCR.

    Duration, steps, hand-offs, repeat contacts, first-contact resolution, success,
    abandonment, and the three faces effortless, productive and painless as effort, success
    and friction (0-100; weights in the metrics: section of journeylens.yaml).

    Example: renewal journeys by the channel the customer answered on, per month:

        journeylens metrics --type renewal --by entry_channel --period month -w ws
    """
    with workspace(workspace_path, engine) as ws, user_errors():
        result = ws.metrics(by=segment_or_none(by), journey_type=journey_type, period=period)
        table = result.journeys.to_arrow() if per_journey else result.table
    if csv is not None:
        write_csv(table, csv)
        return
    if json_output:
        key = "journeys" if per_journey else "segments"
        print_json({"by": by, "period": period, key: table.to_pylist()})
        return
    if per_journey:
        shown = [{k: r[k] for k in JOURNEY_COLUMNS} for r in table.slice(0, limit).to_pylist()]
        console.print(rows_table(shown, title="journey metrics (--json or --csv for all columns)"))
        return
    shown = [
        {
            "segment": r["segment"],
            **({"period": r["period"]} if period else {}),
            "journeys": r["journeys"],
            "median_h": hours(r["median_seconds"]),
            "handoffs": r["handoffs"],
            "repeats": r["repeat_contacts"],
            "fcr": r["fcr_rate"],
            "success": r["success_rate"],
            "effortless": r["effortless"],
            "productive": r["productive"],
            "painless": r["painless"],
        }
        for r in table.slice(0, limit).to_pylist()
    ]
    console.print(rows_table(shown, title=f"journey metrics by {by} (--json for all columns)"))
