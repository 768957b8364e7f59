"""`journeylens voc scores`: NPS, CSAT and CES per group with confidence intervals."""

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

#: Columns shown in the terminal per kind, after the group, period and responses.
SHOWN = {
    "nps": ("promoters", "passives", "detractors", "nps", "nps_low", "nps_high"),
    "csat": ("satisfied", "csat", "csat_low", "csat_high", "mean"),
    "ces": ("mean", "mean_low", "mean_high", "easy_share"),
}


def scores(
    kind: Annotated[str, typer.Option(help="nps (0-10), csat (1-5) or ces (1-7).")] = "nps",
    by: Annotated[
        str,
        typer.Option(
            help="Group by: journey_type, channel (of the feedback), scope, link_method, "
            "period:week, period:month, attribute:<name> (of the feedback), "
            "journey:<segment> (of the linked journey, e.g. journey:entry_channel), or all."
        ),
    ] = "all",
    scope: Annotated[
        str | None, typer.Option(help="Only touchpoint, journey or relationship feedback.")
    ] = None,
    period: Annotated[
        str | None, typer.Option(help="Also split by week or month of the feedback.")
    ] = None,
    journey_type: TypeOption = None,
    confidence: Annotated[float, typer.Option(help="Of the intervals.")] = 0.95,
    limit: Annotated[int, typer.Option(help="Rows to show.")] = 30,
    csv: CsvOption = None,
    workspace_path: WorkspaceOption = Path("."),
    engine: EngineOption = None,
    json_output: JsonOption = False,
) -> None:
    """NPS, CSAT or CES per group, with counts and confidence intervals.

    NPS = % promoters (9-10) - % detractors (0-6); CSAT = % of 4-5 answers on 1-5 (Wilson
    interval); CES = mean on 1-7 (t interval) and % easy (5-7). Answers on other declared
    scales are rescaled first.

    Example: journey NPS per journey type, and touchpoint CSAT per month:

        journeylens voc scores --kind nps --by journey_type --scope journey -w ws
        journeylens voc scores --kind csat --scope touchpoint --period month -w ws
    """
    group = None if by.strip().lower() == "all" else by
    with workspace(workspace_path, engine) as ws, user_errors():
        result = ws.scores(
            kind,
            by=group,
            scope=scope,
            period=period,
            journey_type=journey_type,
            confidence=confidence,
        )
    table = result.table
    if csv is not None:
        write_csv(table, csv)
        return
    if json_output:
        query = result.query
        print_json(
            {
                "kind": query.kind,
                "by": by,
                "scope": scope,
                "period": period,
                "journey_type": journey_type,
                "confidence": confidence,
                "groups": table.to_pylist(),
            }
        )
        return
    keys = ["segment", *(["period"] if period else []), "responses"]
    shown = [{k: r[k] for k in (*keys, *SHOWN[kind])} for r in table.slice(0, limit).to_pylist()]
    title = f"{kind.upper()} by {by}" + (f", {scope} feedback" if scope else "")
    console.print(rows_table(shown, title=f"{title} ({confidence:.0%} intervals)"))
