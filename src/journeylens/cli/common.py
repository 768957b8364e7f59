"""What every command shares: the workspace option, rendering, errors and progress."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from journeylens.errors import JourneyLensError

if TYPE_CHECKING:
    from journeylens.workspace import Workspace

console = Console()
errors = Console(stderr=True, soft_wrap=True)

WorkspaceOption = Annotated[
    Path,
    typer.Option(
        "--workspace",
        "-w",
        help="Workspace directory (holds journeylens.yaml); default: the current directory.",
        envvar="JOURNEYLENS_WORKSPACE",
    ),
]
EngineOption = Annotated[
    str | None,
    typer.Option("--engine", help="Engine: duckdb (default) or spark; overrides journeylens.yaml."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def fail(message: str, code: int = 2) -> None:
    """Print an error (as plain text: brackets are not markup) and exit with ``code``."""
    errors.print(f"[bold red]error:[/] {escape(message)}")
    raise typer.Exit(code)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn journeylens errors into a clear message and exit code 2.

    Analyses validate their queries with ``ValueError`` whose message says what is wrong and how
    to fix it: on the command line that is the user's input too.
    """
    try:
        yield
    except (JourneyLensError, ValueError) as exc:
        fail(str(exc))


@contextmanager
def workspace(path: Path, engine: str | None = None) -> Iterator[Workspace]:
    """Open the workspace for one command and close it afterwards."""
    from journeylens.workspace import open_workspace

    with user_errors():
        ws = open_workspace(path, engine=engine)
        try:
            yield ws
        finally:
            ws.close()


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def print_json(data: Any) -> None:
    """Write JSON to standard output (timestamps as ISO 8601, UTC)."""
    sys.stdout.write(json.dumps(data, indent=2, default=_json_default) + "\n")


def rows_table(rows: list[dict[str, Any]], title: str | None = None) -> Table:
    """A Rich table of dictionaries; values are plain text (brackets are not markup)."""
    table = Table(title=escape(title) if title else None, header_style="bold")
    if not rows:
        table.add_column("(none)")
        return table
    for key in rows[0]:
        sample = next((row[key] for row in rows if row.get(key) is not None), None)
        numeric = isinstance(sample, int | float) and not isinstance(sample, bool)
        table.add_column(escape(str(key)), justify="right" if numeric else "left")
    for row in rows:
        table.add_row(*[_cell(v) for v in row.values()])
    return table


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return escape(str(value))


@contextmanager
def row_progress(
    description: str, total: int | None, enabled: bool
) -> Iterator[Callable[[int], None]]:
    """A progress bar over records; yields the callback that advances it."""
    if not enabled:
        yield lambda _n: None
        return
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
    ) as progress:
        task = progress.add_task(description, total=total)
        yield lambda n: progress.advance(task, n)


@contextmanager
def step_progress(enabled: bool) -> Iterator[Callable[[str], None]]:
    """A spinner that names the current step of a long operation."""
    if not enabled:
        yield lambda _s: None
        return
    with errors.status("starting") as status:
        yield lambda step: status.update(step)


def write_csv(table: Any, path: Path) -> None:
    """Write an Arrow table as CSV and say so."""
    import pyarrow.csv as pacsv

    pacsv.write_csv(table, path)
    console.print(f"wrote {table.num_rows:,} rows to {path}")


def hours(seconds: float | None) -> float | None:
    """Seconds as hours, for tables people read (None stays None)."""
    return None if seconds is None else seconds / 3600
