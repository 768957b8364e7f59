"""`journeylens map` and `journeylens variants`: render results computed in the library."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from journeylens.cli.common import (
    EngineOption,
    JsonOption,
    WorkspaceOption,
    console,
    errors,
    hours,
    print_json,
    rows_table,
    user_errors,
    workspace,
    write_csv,
)

ByOption = Annotated[
    str, typer.Option("--by", help="Nodes are: activity, channel or activity@channel.")
]
TypeOption = Annotated[str | None, typer.Option("--type", help="Only journeys of this type.")]
CsvOption = Annotated[Path | None, typer.Option(help="Write the full result as CSV.")]


def process_map(
    by: ByOption = "activity",
    journey_type: TypeOption = None,
    markers: Annotated[
        bool, typer.Option(help="Add explicit start and end nodes as edges.")
    ] = False,
    limit: Annotated[int, typer.Option(help="Edges to show.")] = 25,
    keep: Annotated[
        float | None,
        typer.Option(
            help="Keep only the most frequent nodes and edges covering this share of the "
            "events, e.g. 0.9."
        ),
    ] = None,
    dot: Annotated[
        Path | None, typer.Option(help="Write the map as Graphviz DOT (dot -Tsvg map.dot).")
    ] = None,
    csv: CsvOption = None,
    workspace_path: WorkspaceOption = Path("."),
    engine: EngineOption = None,
    json_output: JsonOption = False,
) -> None:
    """The process map: which step directly follows which, how often, and how long it takes.

    Example: the map of moving journeys by channel, the edges of 90% of transitions, for
    Graphviz:  journeylens map --type moving --by channel --keep 0.9 --dot moving.dot -w ws
    """
    with workspace(workspace_path, engine) as ws, user_errors():
        result = ws.process_map(by=by, journey_type=journey_type, markers=markers, min_share=keep)
    if dot is not None:
        dot.write_text(result.to_dot(), encoding="utf-8")
        errors.print(f"wrote {result.edges.num_rows:,} edges to {dot}")
    if csv is not None:
        write_csv(result.edges, csv)
        return
    edges = result.edges.to_pylist()
    if json_output:
        print_json(
            {
                "edges": edges,
                "nodes": result.nodes.to_pylist(),
                "kept_node_share": result.kept_node_share,
                "kept_edge_share": result.kept_edge_share,
            }
        )
        return
    title = f"process map by {by} ({len(edges):,} edges"
    if keep is not None:
        title += f", {result.kept_edge_share:.0%} of transitions kept"
    console.print(rows_table(edges[:limit], title=title + ")"))


def variants(
    by: ByOption = "activity",
    journey_type: TypeOption = None,
    collapse_repeats: Annotated[bool, typer.Option(help="Count consecutive repeats once.")] = False,
    top: Annotated[int, typer.Option(help="Variants to show.")] = 20,
    csv: CsvOption = None,
    workspace_path: WorkspaceOption = Path("."),
    engine: EngineOption = None,
    json_output: JsonOption = False,
) -> None:
    """Distinct journey paths, most frequent first, with their share and median duration."""
    with workspace(workspace_path, engine) as ws, user_errors():
        result = ws.variants(
            by=by,
            journey_type=journey_type,
            collapse_repeats=collapse_repeats,
            top=None if csv else top,
        )
    if csv is not None:
        table = result.table.set_column(
            0, "path", [[" > ".join(p) for p in result.table.column("path").to_pylist()]]
        )
        write_csv(table, csv)
        return
    rows = result.table.to_pylist()
    if json_output:
        print_json({"total_journeys": result.total_journeys, "variants": rows})
        return
    shown = [
        {
            "journeys": r["journeys"],
            "share": r["share"],
            "median_hours": hours(r["median_seconds"]),
            "path": " > ".join(r["path"]),
        }
        for r in rows
    ]
    console.print(rows_table(shown, title=f"variants of {result.total_journeys:,} journeys"))
