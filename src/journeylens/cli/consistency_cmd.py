"""`journeylens consistency`: variation of a journey metric across groups and weeks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from journeylens.cli.analytics_cmd import TypeOption
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
from journeylens.cli.metrics_cmd import SegmentOption, segment_or_none


def consistency(
    metric: Annotated[
        str,
        typer.Option(
            help="journeys (weekly volume) or a journey metric: duration_seconds, steps, "
            "handoffs, repeat_contacts, effort, friction, fcr, success, abandoned, effortless, "
            "productive, painless …"
        ),
    ] = "journeys",
    by: SegmentOption = "channel",
    journey_type: TypeOption = None,
    csv: Annotated[
        Path | None, typer.Option(help="Write the weekly series (with drift flags) as CSV.")
    ] = None,
    workspace_path: WorkspaceOption = Path("."),
    engine: EngineOption = None,
    json_output: JsonOption = False,
) -> None:
    """How consistent a metric is across groups and weeks, with drift flags.

    Groups are channels, segments …; a week is flagged when it drifts beyond its usual range
    (rule: metrics.drift in journeylens.yaml).

    Example: weekly volume of billing journeys, all in one series:

        journeylens consistency --metric journeys --type billing --by all -w ws
    """
    with workspace(workspace_path, engine) as ws, user_errors():
        result = ws.consistency(metric=metric, by=segment_or_none(by), journey_type=journey_type)
    if csv is not None:
        write_csv(result.weekly, csv)
        return
    if json_output:
        print_json(
            {
                "metric": metric,
                "by": by,
                "spread": result.spread,
                "groups": result.groups.to_pylist(),
                "weekly": result.weekly.to_pylist(),
            }
        )
        return
    console.print(rows_table(result.groups.to_pylist(), title=f"{metric} by {by}"))
    cv = result.spread["cv"]
    if cv is not None:
        console.print(f"spread across groups: coefficient of variation {cv:.2f}")
    shown = ("segment", "week", "journeys", "value", "baseline", "direction")
    drifts = [{k: r[k] for k in shown} for r in result.weekly.to_pylist() if r["drift"]]
    console.print(rows_table(drifts, title="weeks that drifted"))
