"""`journeylens voc themes`: what customers write about, how much, and how they score it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import pyarrow as pa
import typer

from journeylens.cli.analytics_cmd import CsvOption
from journeylens.cli.common import (
    EngineOption,
    JsonOption,
    WorkspaceOption,
    console,
    print_json,
    rows_table,
    step_progress,
    user_errors,
    workspace,
    write_csv,
)

#: Characters of the quote shown in the terminal.
QUOTE_WIDTH = 80


def _short(text: str) -> str:
    return text if len(text) <= QUOTE_WIDTH else text[: QUOTE_WIDTH - 1] + "…"


def _flat(table: pa.Table) -> pa.Table:
    """The themes with list columns joined by " | " (CSV has no lists)."""
    columns: dict[str, Any] = {name: table.column(name) for name in table.column_names}
    for name in ("top_terms", "quotes"):
        columns[name] = pa.array([" | ".join(v or []) for v in table.column(name).to_pylist()])
    return pa.table(columns)


def themes(
    n: Annotated[
        int | None, typer.Option("--n", help="Number of themes (default: chosen from the data).")
    ] = None,
    language: Annotated[
        str | None,
        typer.Option(help="Only verbatims in this language: en, pt, es, fr, de, nl, it."),
    ] = None,
    kind: Annotated[
        str | None, typer.Option(help="Only feedback of this kind: nps, csat, ces, rating, text.")
    ] = None,
    period: Annotated[str, typer.Option(help="Trend step: week or month.")] = "month",
    quotes: Annotated[int, typer.Option(help="Representative verbatims per theme.")] = 3,
    csv: CsvOption = None,
    workspace_path: WorkspaceOption = Path("."),
    engine: EngineOption = None,
    json_output: JsonOption = False,
) -> None:
    """Group verbatims into themes (TF-IDF + NMF) and store the feedback_themes table.

    Each theme has a label (its top terms), a volume and share of the verbatims, the average
    score of its verbatims normalised to their scale (0 worst, 1 best), representative quotes
    and a trend per week or month (--json). Without --n the number of themes is chosen as
    the knee of the share of the text the themes explain.

    Example: eight themes of the NPS comments, and the Portuguese reviews' themes as CSV:

        journeylens voc themes --n 8 --kind nps -w ws
        journeylens voc themes --language pt --csv themes.csv -w ws
    """
    with (
        workspace(workspace_path, engine) as ws,
        user_errors(),
        step_progress(not json_output) as say,
    ):
        result = ws.themes(
            n, language=language, kind=kind, period=period, quotes=quotes, progress=say
        )
    if csv is not None:
        write_csv(_flat(result.table), csv)
        return
    if json_output:
        print_json(
            {
                "themes": result.table.to_pylist(),
                "verbatims": result.verbatims,
                "unthemed": result.unthemed,
                "explained": {str(k): v for k, v in result.explained.items()},
                "scores": result.scores.to_pylist(),
                "trend": result.trend.to_pylist(),
            }
        )
        return
    rows = [
        {
            "theme": r["theme"],
            "label": r["label"],
            "volume": r["volume"],
            "share": r["share"],
            "avg_score": r["avg_score"],
            "quote": _short((r["quotes"] or [""])[0]),
        }
        for r in result.table.to_pylist()
    ]
    title = (
        f"{result.k} themes of {result.verbatims:,} verbatims ({result.unthemed:,} without "
        "a theme; avg_score 0-1 of the scale; --json for quotes and trend)"
    )
    console.print(rows_table(rows, title=title))
