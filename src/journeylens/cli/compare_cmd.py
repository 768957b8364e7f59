"""`journeylens compare`: render a comparison computed in the library."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from journeylens.cli.analytics_cmd import CsvOption, TypeOption
from journeylens.cli.common import (
    EngineOption,
    JsonOption,
    WorkspaceOption,
    console,
    fail,
    print_json,
    rows_table,
    user_errors,
    workspace,
    write_csv,
)


def _options(pairs: list[str] | None) -> dict[str, Any]:
    """``key=value`` pairs; values are read as YAML (``steps=[a, b]``, ``markers=true``)."""
    options: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            fail(f"--option '{pair}' is not key=value; e.g. --option by=channel")
        options[key.strip()] = yaml.safe_load(value)
    return options


def compare(
    by: Annotated[
        str,
        typer.Argument(
            help="The segment that makes the groups: journey_type, start_channel, "
            "entry_channel, channel, status, period:week, attribute:<name> …",
            show_default=False,
        ),
    ],
    a: Annotated[str, typer.Argument(help="The first group, e.g. app.", show_default=False)],
    b: Annotated[str, typer.Argument(help="The second group, e.g. phone.", show_default=False)],
    analysis: Annotated[
        str,
        typer.Option(
            help="journeys (journey measures), process_map, variants, flows, funnel, metrics, "
            "breakdowns, conformance or paths."
        ),
    ] = "journeys",
    option: Annotated[
        list[str] | None,
        typer.Option(
            "--option",
            "-o",
            help="An option of the analysis as key=value (YAML value), e.g. by=channel or "
            "'steps=\\[offer_viewed, renewed]'. Repeatable.",
        ),
    ] = None,
    journey_type: TypeOption = None,
    alpha: Annotated[float, typer.Option(help="Significance level (FDR-adjusted).")] = 0.05,
    limit: Annotated[int, typer.Option(help="Differences to show.")] = 20,
    csv: CsvOption = None,
    workspace_path: WorkspaceOption = Path("."),
    engine: EngineOption = None,
    json_output: JsonOption = False,
) -> None:
    """Compare two groups of journeys, any analysis, with the differences that matter first.

    Example: are renewals in the app easier than by phone?

        journeylens compare entry_channel app phone --type renewal

    or do business customers move between channels differently?

        journeylens compare attribute:segment business residential --analysis process_map
        -o by=channel
    """
    with workspace(workspace_path, engine) as ws, user_errors():
        result = ws.compare(
            by,
            a,
            b,
            analysis=analysis,
            journey_type=journey_type,
            alpha=alpha,
            **_options(option),
        )
    if csv is not None:
        write_csv(result.differences, csv)
        return
    rows = result.differences.to_pylist()
    if json_output:
        print_json({"groups": {a: result.sizes["a"], b: result.sizes["b"]}, "differences": rows})
        return
    shown = [
        {
            "measure": r["measure"],
            a: r["a"],
            b: r["b"],
            "difference": r["difference"],
            "effect": r["effect"],
            "q": r["q_value"],
            "significant": "yes" if r["significant"] else "",
        }
        for r in rows[:limit]
    ]
    title = (
        f"{analysis}: {a} ({result.sizes['a']:,} journeys) vs {b} ({result.sizes['b']:,}) by {by}"
    )
    console.print(rows_table(shown, title=title))
