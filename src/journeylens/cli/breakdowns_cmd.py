"""`journeylens breakdowns`: where journeys break down and how they recover."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pyarrow as pa
import typer

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


def breakdowns(
    journey_type: TypeOption = None,
    by: ByOption = "activity",
    kind: Annotated[
        list[str] | None,
        typer.Option(
            help="Kinds of breakdown: failure, escalation, abandonment (repeatable; default all)."
        ),
    ] = None,
    limit: Annotated[int, typer.Option(help="Breakdown points to show.")] = 20,
    csv: CsvOption = None,
    workspace_path: WorkspaceOption = Path("."),
    engine: EngineOption = None,
    json_output: JsonOption = False,
) -> None:
    """Where journeys break down, and whether, how fast and how they recovered.

    Breakdown points are failures, escalations and abandonment points; for each, how often the
    journey recovered, how fast, via which channel, and whether it then succeeded.

    Example: the failures of moving journeys:  journeylens breakdowns --type moving
    --kind failure -w ws   (rules: the metrics: section of journeylens.yaml)
    """
    with workspace(workspace_path, engine) as ws, user_errors():
        result = ws.breakdowns(
            journey_type=journey_type,
            by=by,
            kinds=kind or ("failure", "escalation", "abandonment"),
        )
    if csv is not None:
        channels = [" | ".join(c) for c in result.table.column("recovery_channels").to_pylist()]
        index = result.table.schema.get_field_index("recovery_channels")
        write_csv(result.table.set_column(index, "recovery_channels", pa.array(channels)), csv)
        return
    if json_output:
        print_json({"points": result.table.to_pylist(), "channels": result.channels.to_pylist()})
        return
    shown = [
        {
            "kind": r["kind"],
            "label": r["label"],
            "breakdowns": r["breakdowns"],
            "recovered": r["recovery_rate"],
            "median_h_to_recover": None
            if r["median_seconds_to_recover"] is None
            else r["median_seconds_to_recover"] / 3600,
            "via": ", ".join(r["recovery_channels"]),
            "top_share": r["top_recovery_share"],
            "success_after": r["success_after_recovery"],
        }
        for r in result.table.slice(0, limit).to_pylist()
    ]
    console.print(rows_table(shown, title="breakdown points"))
