"""`journeylens voc gap`: touchpoint scores beside journey scores, per journey type."""

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


def gap(
    touchpoint: Annotated[
        str, typer.Option(help="Kind answered about one interaction: csat, nps or ces.")
    ] = "csat",
    journey: Annotated[
        list[str] | None,
        typer.Option(help="Kinds answered about the journey (repeat; the first decides poor)."),
    ] = None,
    journey_type: TypeOption = None,
    good: Annotated[
        float | None, typer.Option(help="A good touchpoint answer is at least this.")
    ] = None,
    poor: Annotated[
        float | None, typer.Option(help="A poor journey answer is at most this.")
    ] = None,
    journeys: Annotated[
        bool,
        typer.Option("--journeys", help="List the journeys in the gap instead."),
    ] = False,
    limit: Annotated[int, typer.Option(help="Rows to show.")] = 30,
    csv: CsvOption = None,
    workspace_path: WorkspaceOption = Path("."),
    engine: EngineOption = None,
    json_output: JsonOption = False,
) -> None:
    """Touchpoint vs journey: interactions that score well inside journeys that score badly.

    Per journey type: touchpoint CSAT (top-2-box) beside journey NPS and CES, each with its
    interval; then the share of journeys whose touchpoint answers were all good (CSAT 4-5)
    but whose journey answer is poor (NPS 0-6), with a Wilson interval.

    Example: the gap per journey type, then the fault journeys in it:

        journeylens voc gap -w ws
        journeylens voc gap --type fault --journeys -w ws
    """
    with workspace(workspace_path, engine) as ws, user_errors():
        result = ws.touchpoint_gap(
            touchpoint_kind=touchpoint,
            journey_kinds=tuple(journey or ("nps", "ces")),
            journey_type=journey_type,
            good_touchpoint=good,
            poor_journey=poor,
        )
    table = result.journeys if journeys else result.table
    if csv is not None:
        write_csv(table, csv)
        return
    if json_output:
        good_at, poor_at = result.query.thresholds
        print_json(
            {
                "touchpoint_kind": result.query.touchpoint_kind,
                "journey_kinds": list(result.query.journey_kinds),
                "good_touchpoint": good_at,
                "poor_journey": poor_at,
                "types": result.table.to_pylist(),
                "journeys": result.journeys.to_pylist(),
            }
        )
        return
    if journeys:
        console.print(rows_table(table.slice(0, limit).to_pylist(), title="journeys in the gap"))
        return
    headlines = [c for c in table.column_names if c.endswith(("_tp", "_tp_mean"))]
    headlines += [k if k == "nps" else f"{k}_mean" for k in result.query.journey_kinds]
    shown = [
        {
            "type": r["journey_type"],
            **{c: r.get(c) for c in headlines},
            "both": r["both"],
            "fine tp": r["fine_touchpoints"],
            "poor": r["poor_journeys"],
            "gap %": r["gap_share"],
        }
        for r in table.slice(0, limit).to_pylist()
    ]
    console.print(
        rows_table(
            shown,
            title="touchpoint vs journey per journey type: gap % = poor journeys among those "
            "whose touchpoints all scored well (--json for counts and intervals)",
        )
    )
