"""`journeylens report`: the dashboard's charts in ONE self-contained HTML file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from journeylens.cli.common import (
    EngineOption,
    JsonOption,
    WorkspaceOption,
    console,
    print_json,
    step_progress,
    user_errors,
    workspace,
)


def report(
    output: Annotated[Path, typer.Option("--output", "-o", help="The HTML file to write.")] = Path(
        "report.html"
    ),
    journey_types: Annotated[
        list[str] | None,
        typer.Option(
            "--type",
            help="A journey type to show (repeat for several; default: every defined type).",
        ),
    ] = None,
    start: Annotated[
        str | None, typer.Option("--from", help="Only journeys started on or after this day.")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="Only journeys started on or before this day.")
    ] = None,
    channel: Annotated[
        str | None, typer.Option(help="Only journeys that used this channel.")
    ] = None,
    segment: Annotated[
        str | None,
        typer.Option(help="Only one group of a segment: <by>=<value>, e.g. status=abandoned."),
    ] = None,
    title: Annotated[str | None, typer.Option(help="The report's title.")] = None,
    workspace_path: WorkspaceOption = Path("."),
    engine: EngineOption = None,
    json_output: JsonOption = False,
) -> None:
    """Write one HTML file with the dashboard's charts that opens offline (no server, no CDN).

    It holds the overview (journeys, customers, events by channel; success, effort and
    friction over time; where journeys break down; satisfaction and its drivers when there is
    feedback) and, per journey type, the flow, the process map, the variants and the designed
    map vs the actual journeys.

    Example:  journeylens report -w demo-workspace -o moving.html --type moving --from 2025-10-01
    """
    from journeylens.web.filters import Filters
    from journeylens.web.report import write_report

    params = {"from": start, "to": end, "channel": channel, "segment": segment}
    filters = Filters.parse({k: v for k, v in params.items() if v})
    with workspace(workspace_path, engine) as ws, user_errors():
        if filters.problems:
            raise ValueError("; ".join(filters.problems))
        with step_progress(not json_output) as say:
            say("computing the charts")
            result = write_report(
                ws, output, journey_types=journey_types or None, filters=filters, title=title
            )
    data = {
        "path": str(result.path),
        "bytes": result.bytes,
        "journey_types": result.journey_types,
        "charts": result.charts,
    }
    if json_output:
        print_json(data)
        return
    console.print(
        f"wrote {result.path} ({result.bytes / 1e6:.1f} MB, {result.charts} charts, journey "
        f"types: {', '.join(result.journey_types) or 'none'}); open it in any browser"
    )
