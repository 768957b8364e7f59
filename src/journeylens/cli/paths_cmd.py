"""`journeylens paths`: count and list the journeys whose path matches a pattern."""

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
    print_json,
    rows_table,
    user_errors,
    workspace,
    write_csv,
)
from journeylens.cli.flows_cmd import (
    CollapseOption,
    HtmlOption,
    RenameOption,
    write_html,
)


def paths(
    pattern: Annotated[
        str,
        typer.Argument(
            help="Steps separated by '->': a label, '.' (any step), \\[a|b] (one of), [^a|b] "
            "(none of), (a -> b | c) groups; repeat with * + ? {n,m}; anchor with ^ and $.",
            show_default=False,
        ),
    ],
    by: ByOption = "activity",
    journey_type: TypeOption = None,
    rename: RenameOption = None,
    collapse_repeats: CollapseOption = False,
    top: Annotated[int, typer.Option(help="Matching variants to show.")] = 20,
    journeys: Annotated[
        bool,
        typer.Option(
            "--journeys", help="List the keys of the matching journeys too (with --csv: only them)."
        ),
    ] = False,
    html: HtmlOption = None,
    csv: CsvOption = None,
    workspace_path: WorkspaceOption = Path("."),
    engine: EngineOption = None,
    json_output: JsonOption = False,
) -> None:
    """Path patterns: how many journeys match PATTERN, and which paths they took.

    Example: movers who hit the web form error and then needed help, in any later step:

        journeylens paths 'move_form_error -> .* -> move_form_help' -w ws

    Bought without contacting support in between:

        journeylens paths 'add_to_cart -> [^support_chat]* -> purchase'
    """
    with workspace(workspace_path, engine) as ws, user_errors():
        result = ws.paths(
            pattern,
            by=by,
            journey_type=journey_type,
            rename=rename or (),
            collapse_repeats=collapse_repeats,
        )
        keys = result.journeys()["journey_key"].tolist() if journeys else None
    if html is not None:
        write_html(result.figure(), html)
    if csv is not None:
        import pyarrow as pa

        if keys is not None:
            table = pa.table({"journey_key": pa.array(keys, pa.string())})
        else:
            spelt = [" > ".join(p) for p in result.variants.column("path").to_pylist()]
            table = result.variants.set_column(0, "path", pa.array(spelt, pa.string()))
        write_csv(table, csv)
        return
    variants = [{**r, "path": list(r["path"])} for r in result.variants.slice(0, top).to_pylist()]
    if json_output:
        data: dict[str, Any] = {
            "pattern": pattern,
            "count": result.count,
            "total_journeys": result.total_journeys,
            "share": result.share,
            "unknown_labels": list(result.unknown_labels),
            "variants": variants,
        }
        if keys is not None:
            data["journeys"] = keys
        print_json(data)
        return
    if result.unknown_labels:
        console.print(
            f"[yellow]no journey has {escape(', '.join(result.unknown_labels))} (labels by {by})[/]"
        )
    console.print(
        f"{result.count:,} of {result.total_journeys:,} journeys ({result.share:.1%}) match "
        f"{escape(pattern)}"
    )
    shown = [
        {"journeys": r["journeys"], "share": r["share"], "path": " → ".join(r["path"])}
        for r in variants
    ]
    if shown:
        console.print(rows_table(shown, title=f"top {len(shown)} matching variants"))
    for key in keys or []:
        console.print(escape(key))
