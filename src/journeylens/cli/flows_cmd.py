"""`journeylens flows`: render a flow (Sankey) computed in the library."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from journeylens.cli.analytics_cmd import ByOption, CsvOption, TypeOption
from journeylens.cli.common import (
    EngineOption,
    JsonOption,
    WorkspaceOption,
    console,
    errors,
    print_json,
    rows_table,
    user_errors,
    workspace,
    write_csv,
)

RenameOption = Annotated[
    list[str] | None,
    typer.Option(
        "--rename",
        help="A cleaning rule REGEX=NEW applied to the labels first, in order; rules that give "
        "the same name merge labels. Repeatable, e.g. --rename '^view_.*=browse'.",
    ),
]
CollapseOption = Annotated[
    bool, typer.Option(help="Count consecutive repeats of a label once (after renaming).")
]
HtmlOption = Annotated[
    Path | None, typer.Option(help="Write the figure as a self-contained HTML file.")
]


def write_html(figure: Any, path: Path) -> None:
    """Save a plotly figure with Plotly.js inside (works offline); the note goes to stderr."""
    figure.write_html(path, include_plotlyjs=True)
    errors.print(f"wrote the figure to {path}")


def flows(
    anchor: Annotated[
        str | None,
        typer.Option(
            help="The label the flow starts from (or, with --backward, leads to); default: "
            "the journeys' start (or end)."
        ),
    ] = None,
    backward: Annotated[
        bool, typer.Option("--backward", help="Show the steps before the anchor.")
    ] = False,
    steps: Annotated[int, typer.Option(help="Steps to show after (or before) the anchor.")] = 5,
    cap: Annotated[
        int, typer.Option(help="Labels per step; the rest are merged into '… other' (0: all).")
    ] = 10,
    last: Annotated[
        bool, typer.Option("--last", help="Anchor on the last occurrence instead of the first.")
    ] = False,
    by: ByOption = "activity",
    journey_type: TypeOption = None,
    rename: RenameOption = None,
    collapse_repeats: CollapseOption = False,
    html: HtmlOption = None,
    csv: CsvOption = None,
    workspace_path: WorkspaceOption = Path("."),
    engine: EngineOption = None,
    json_output: JsonOption = False,
) -> None:
    """Flows (Sankey): where journeys go step by step after an anchor, or how they got to it.

    Journeys that end early flow into '■ end'. Example: what web movers do after the form
    error, by activity and channel, with the two kinds of status check merged:

        journeylens flows --anchor move_form_error@web --by activity@channel --steps 3
        --rename '^move_status_(checked|enquiry)=move_status' -w ws

    And what leads to a completed move: journeylens flows --anchor move_completed --backward
    """
    with workspace(workspace_path, engine) as ws, user_errors():
        result = ws.flows(
            anchor=anchor,
            direction="backward" if backward else "forward",
            steps=steps,
            cap=cap or None,
            by=by,
            journey_type=journey_type,
            rename=rename or (),
            collapse_repeats=collapse_repeats,
            occurrence="last" if last else "first",
        )
    if html is not None:
        write_html(result.figure(), html)
    if csv is not None:
        write_csv(result.links, csv)
        return
    if json_output:
        print_json(
            {
                "journeys": result.journeys,
                "total_journeys": result.total_journeys,
                "links": result.links.to_pylist(),
                "nodes": result.nodes.to_pylist(),
                "paths": result.paths.to_pylist(),
            }
        )
        return
    if not result.journeys:
        console.print(f"no journey has the anchor '{escape(str(anchor))}' (labels by {by})")
        return
    title = f"flow of {result.journeys:,} of {result.total_journeys:,} journeys"
    console.print(rows_table(result.links.to_pylist(), title=title))
    shown = [
        {"journeys": r["journeys"], "share": r["share"], "path": " → ".join(r["path"])}
        for r in result.paths.to_pylist()
    ]
    console.print(rows_table(shown, title="most frequent paths"))
