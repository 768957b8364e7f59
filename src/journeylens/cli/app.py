"""The `journeylens` command: workspace, ingest, build, journeys, customers, demo."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from journeylens import __version__
from journeylens.cli.analytics_cmd import process_map, variants
from journeylens.cli.breakdowns_cmd import breakdowns
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
from journeylens.cli.compare_cmd import compare
from journeylens.cli.conformance_cmd import conformance
from journeylens.cli.consistency_cmd import consistency
from journeylens.cli.demo_cmd import demo
from journeylens.cli.flows_cmd import flows
from journeylens.cli.funnel_cmd import funnel
from journeylens.cli.ingest_cmd import ingest
from journeylens.cli.keys_cmd import keys_app
from journeylens.cli.metrics_cmd import metrics
from journeylens.cli.moments_cmd import moments_app
from journeylens.cli.paths_cmd import paths
from journeylens.cli.report_cmd import report
from journeylens.cli.rules_cmd import rules_app
from journeylens.cli.serve_cmd import serve
from journeylens.cli.tables_cmd import customer, journeys_app, quarantine, summary
from journeylens.cli.voc_cmd import voc_app

app = typer.Typer(
    name="journeylens",
    help=(
        "Customer-journey analytics: collect interactions from every channel, stitch each "
        "customer's identifiers, rebuild their journeys and see where they break.\n\n"
        "A first session:  journeylens init ws && journeylens ingest calls.csv -w ws && "
        "journeylens build -w ws && journeylens journeys list -w ws\n\n"
        "Or try the demo world:  journeylens demo"
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        console.print(f"journeylens {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """journeylens."""


@app.command(rich_help_panel="Workspace and data")
def init(
    path: Annotated[Path, typer.Argument(help="Directory to create (or reuse).")] = Path("."),
    engine: Annotated[str, typer.Option(help="Default engine: duckdb or spark.")] = "duckdb",
) -> None:
    """Create a workspace: a DuckDB store and journeylens.yaml (journey definitions, hashing)."""
    from journeylens.workspace import init as init_workspace

    with user_errors():
        ws = init_workspace(path, engine=engine)
        ws.close()
    console.print(
        f"workspace ready in [bold]{path}[/]; edit {path / 'journeylens.yaml'} to define journeys"
    )


@app.command(rich_help_panel="Workspace and data")
def build(
    full: Annotated[
        bool, typer.Option(help="Re-stitch every identity instead of only new events.")
    ] = False,
    workspace_path: WorkspaceOption = Path("."),
    engine: EngineOption = None,
    json_output: JsonOption = False,
) -> None:
    """Stitch identities and rebuild journeys from the events."""
    with (
        workspace(workspace_path, engine) as ws,
        user_errors(),
        step_progress(not json_output) as say,
    ):
        result = ws.build(full=full, progress=say)
    data = {
        "events": result.events,
        "customers": result.identity.customers,
        "identifiers": result.identity.identifiers,
        "journeys": result.journeys,
        "incremental": result.identity.incremental,
        "as_of": result.as_of,
    }
    if result.feedback_linked is not None:
        data["feedback_linked"] = result.feedback_linked
        data["feedback_unlinked"] = result.feedback_unlinked
    if json_output:
        print_json(data)
    else:
        console.print(
            f"built {data['journeys']:,} journeys of {data['customers']:,} customers "
            f"from {data['events']:,} events"
        )
        if result.feedback_linked is not None:
            console.print(
                f"linked {result.feedback_linked:,} feedback records to journeys "
                f"({result.feedback_unlinked:,} unlinked, kept)"
            )


#: Command groups in `journeylens --help`: the workspace first, then the analyses.
DATA, ANALYSES = "Workspace and data", "Journey analytics"

app.command(rich_help_panel=DATA)(ingest)
app.add_typer(journeys_app, name="journeys", rich_help_panel=DATA)
app.command(rich_help_panel=DATA)(customer)
app.command(rich_help_panel=DATA)(quarantine)
app.command(rich_help_panel=DATA)(summary)
app.command(rich_help_panel=DATA)(demo)
app.command(rich_help_panel=DATA)(report)
app.command("map", rich_help_panel=ANALYSES)(process_map)
app.command(rich_help_panel=ANALYSES)(variants)
app.command(rich_help_panel=ANALYSES)(flows)
app.command(rich_help_panel=ANALYSES)(paths)
app.command(rich_help_panel=ANALYSES)(funnel)
app.command(rich_help_panel=ANALYSES)(metrics)
app.command(rich_help_panel=ANALYSES)(breakdowns)
app.command(rich_help_panel=ANALYSES)(conformance)
app.command(rich_help_panel=ANALYSES)(consistency)
app.command(rich_help_panel=ANALYSES)(compare)
app.add_typer(voc_app, name="voc", rich_help_panel="Voice of the customer")
app.command(rich_help_panel="Real time")(serve)
app.add_typer(keys_app, name="keys", rich_help_panel="Real time")
app.add_typer(moments_app, name="moments", rich_help_panel="Real time")
app.add_typer(rules_app, name="rules", rich_help_panel="Real time")


def main() -> None:
    """Entry point of the `journeylens` script."""
    app()


__all__ = ["app", "main"]
