"""`journeylens funnel`: render a funnel computed in the library."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

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

_NO_LIMIT = {"", "-", "none"}

ByOption = Annotated[
    str, typer.Option("--by", help="A step's label is: activity, channel or activity@channel.")
]


def _step_windows(values: list[str] | None) -> str | list[str | None] | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return [None if v.strip().lower() in _NO_LIMIT else v for v in values]


def funnel(
    steps: Annotated[
        list[str],
        typer.Argument(
            help="Two or more steps, each a label or alternatives 'a|b'.", show_default=False
        ),
    ],
    by: ByOption = "activity",
    journey_type: TypeOption = None,
    unit: Annotated[
        str, typer.Option(help="Count journeys, or customers across their journeys.")
    ] = "journey",
    order: Annotated[
        str,
        typer.Option(
            help="ordered (other events may come between steps), strict (each step right after "
            "the previous one) or unordered (any order)."
        ),
    ] = "ordered",
    window: Annotated[
        str | None,
        typer.Option(help="Overall conversion window from step 1, e.g. 14d, 2h, 90m."),
    ] = None,
    step_window: Annotated[
        list[str] | None,
        typer.Option(
            help="Maximum time between consecutive steps: once for every gap, or once per gap "
            "('-' for no limit)."
        ),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option(
            help="An exclusion step: 'label' (anywhere between the first and last step) or "
            "'label:2-3' (between steps 2 and 3). Repeatable."
        ),
    ] = None,
    breakdown: Annotated[
        str | None,
        typer.Option(help="A column of the journeys table, e.g. journey_type: one funnel each."),
    ] = None,
    top_next: Annotated[
        int, typer.Option(help="Next labels shown per step for those who dropped out.")
    ] = 5,
    keys: Annotated[
        bool, typer.Option(help="Include the keys of the units that dropped out (with --json).")
    ] = False,
    csv: CsvOption = None,
    workspace_path: WorkspaceOption = Path("."),
    engine: EngineOption = None,
    json_output: JsonOption = False,
) -> None:
    """A funnel: how many journeys go through STEPS, where they drop out and what they do next.

    Example: web movers, within 14 days, not counting those who hit the form error:

        journeylens funnel move_form_started@web move_form_submitted@web --by activity@channel
        --window 14d --exclude move_form_error@web -w ws
    """
    with workspace(workspace_path, engine) as ws, user_errors():
        result = ws.funnel(
            steps=steps,
            by=by,
            unit=unit,
            order=order,
            window=window,
            step_window=_step_windows(step_window),
            exclude=exclude or (),
            journey_type=journey_type,
            breakdown=breakdown,
            top_next=top_next,
            keys=keys,
        )
    if csv is not None:
        write_csv(result.steps, csv)
        return
    if json_output:
        data: dict[str, Any] = {
            "steps": result.steps.to_pylist(),
            "dropouts": result.dropouts.to_pylist(),
        }
        if result.dropped_units is not None:
            data["dropped_units"] = result.dropped_units.to_pylist()
        print_json(data)
        return
    grouped = breakdown is not None
    shown = [
        {
            **({"group": r["group"]} if grouped else {}),
            "step": r["step"],
            "label": r["label"],
            "entered": r["entered"],
            "converted": r["converted"],
            "conversion": r["conversion"],
            "from_start": r["from_start"],
            "dropped": r["dropped"],
            "median_hours": hours(r["median_seconds_to_convert"]),
            "p90_hours": hours(r["p90_seconds_to_convert"]),
        }
        for r in result.steps.to_pylist()
    ]
    console.print(rows_table(shown, title=f"funnel of {unit}s ({order})"))
    console.print(
        rows_table(result.dropouts.to_pylist(), title="what those who dropped out did next")
    )
