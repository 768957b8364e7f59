"""`journeylens voc say-do`: what customers state beside what they did."""

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
    print_json,
    rows_table,
    user_errors,
    workspace,
    write_csv,
)


def say_do(
    say: Annotated[
        str, typer.Option(help="The feedback attribute customers stated.")
    ] = "stated_preferred_channel",
    do: Annotated[
        str,
        typer.Option(
            help="What they did: channels, main_channel, first_channel, entry_channel or "
            "journey_type."
        ),
    ] = "channels",
    unit: Annotated[
        str, typer.Option(help="journey (the linked journey) or customer (all journeys).")
    ] = "journey",
    kind: Annotated[str | None, typer.Option(help="Only feedback of this kind.")] = None,
    scope: Annotated[
        str | None, typer.Option(help="Only touchpoint, journey or relationship feedback.")
    ] = None,
    journey_type: TypeOption = None,
    csv: CsvOption = None,
    workspace_path: WorkspaceOption = Path("."),
    engine: EngineOption = None,
    json_output: JsonOption = False,
) -> None:
    """Say vs do: a stated preference or reason beside the channels and paths actually used.

    Prints the agreement per stated value (with a Wilson interval and the rate expected by
    chance); --json and --csv give the full cross-table.

    Example: the stated preferred channel against the channel each journey was entered on,
    and against every channel a customer used:

        journeylens voc say-do --do entry_channel -w ws
        journeylens voc say-do --unit customer --scope relationship -w ws
    """
    with workspace(workspace_path, engine) as ws, user_errors():
        result = ws.say_do(say, do, unit=unit, kind=kind, scope=scope, journey_type=journey_type)
    if csv is not None:
        write_csv(result.table, csv)
        return
    if json_output:
        print_json(
            {
                "summary": result.summary,
                "agreement": result.agreement.to_pylist(),
                "cross": result.table.to_pylist(),
            }
        )
        return
    s = result.summary
    title = (
        f"said {say} vs did {do} ({s['units']:,} {unit}s): agreement {s['rate']:.1f}% "
        f"[{s['rate_low']:.1f}, {s['rate_high']:.1f}], by chance {s['expected']:.1f}%"
        if s["units"]
        else f"no {unit} has both a stated {say} and behaviour"
    )
    console.print(rows_table(result.agreement.to_pylist(), title=title))
