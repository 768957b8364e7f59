"""`journeylens ingest`: read files into the workspace."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from journeylens.cli.common import (
    EngineOption,
    JsonOption,
    WorkspaceOption,
    console,
    print_json,
    row_progress,
    rows_table,
    workspace,
)

if TYPE_CHECKING:
    from journeylens.ingest import IngestReport


def ingest(
    files: Annotated[
        list[Path], typer.Argument(help="CSV/TSV, JSON Lines, Parquet, XES (.xes, .xes.gz).")
    ],
    kind: Annotated[str, typer.Option(help="Target table: events or feedback.")] = "events",
    map_: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help="Canonical field from a source column, e.g. --map ts=ContactDate (repeatable).",
        ),
    ] = None,
    mapping_file: Annotated[
        Path | None, typer.Option(help="YAML file of 'canonical: source' pairs.")
    ] = None,
    date_format: Annotated[
        str | None, typer.Option(help="strptime format, e.g. '%d/%m/%Y %H:%M'; default ISO 8601.")
    ] = None,
    timezone: Annotated[
        str, typer.Option(help="Zone of timestamps without an offset, e.g. Europe/Amsterdam.")
    ] = "UTC",
    decimal: Annotated[str, typer.Option(help="Decimal separator of numbers.")] = ".",
    delimiter: Annotated[
        str | None, typer.Option(help="Field separator of CSV; default: detected.")
    ] = None,
    encoding: Annotated[
        str, typer.Option(help="Text encoding, e.g. utf-8, latin-1, cp1252.")
    ] = "utf-8",
    source: Annotated[
        str | None, typer.Option(help="Name of the data set; default: the file name.")
    ] = None,
    workspace_path: WorkspaceOption = Path("."),
    engine: EngineOption = None,
    json_output: JsonOption = False,
) -> None:
    """Read interaction (or feedback) files; bad rows go to the quarantine with a reason.

    Re-ingesting a file adds nothing. Exits non-zero only when nothing could be read.

    Examples:

      journeylens ingest calls.csv --map customer_id=CustomerID --map ts=ContactDate

      journeylens ingest survey.csv --kind feedback --decimal ,
    """
    if kind not in ("events", "feedback"):
        raise typer.BadParameter("choose events or feedback", param_hint="--kind")
    with (
        workspace(workspace_path, engine) as ws,
        row_progress(f"ingesting {kind}", None, not json_output) as advance,
    ):
        report = ws.ingest(
            files,
            kind=kind,  # type: ignore[arg-type]
            mapping=map_ or None,
            mapping_file=mapping_file,
            date_format=date_format,
            timezone=timezone,
            decimal=decimal,
            delimiter=delimiter,
            encoding=encoding,
            source=source,
            progress=advance,
        )
    _render(report, json_output)
    if report.accepted + report.duplicates == 0:
        raise typer.Exit(1)


def _render(report: IngestReport, json_output: bool) -> None:
    if json_output:
        print_json(report.to_dict())
        return
    rows = [
        {
            "file": Path(f.path).name,
            "read": f.read,
            "accepted": f.accepted,
            "rejected": f.rejected,
            "duplicates": f.duplicates,
            "seconds": f.seconds,
        }
        for f in report.files
    ]
    console.print(rows_table(rows, title="ingest"))
    reasons: dict[str, int] = {}
    for f in report.files:
        for reason, count in f.reasons.items():
            reasons[reason] = reasons.get(reason, 0) + count
    if reasons:
        console.print(
            rows_table([{"reason": r, "rows": n} for r, n in reasons.items()], "rejected rows")
        )
        console.print("See every rejected row with: [bold]journeylens quarantine[/]")
