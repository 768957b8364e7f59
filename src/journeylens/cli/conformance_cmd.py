"""`journeylens conformance`: designed vs actual, rendered from the library's result."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import pyarrow as pa
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

MapsOption = Annotated[
    Path | None,
    typer.Option(
        "--maps",
        help="The journey maps (YAML); default: journey_maps.yaml in the workspace.",
    ),
]

CsvOption = Annotated[
    Path | None, typer.Option(help="Write one row per journey, with its deviations, as CSV.")
]


def _summary_rows(summary: pa.Table) -> list[dict[str, Any]]:
    return [
        {
            "type": r["journey_type"],
            "journeys": r["journeys"],
            "fitness": r["fitness"],
            "median": r["fitness_median"],
            "fitting": r["fitting_share"],
            "sla_breach": r["sla_breach_share"],
            "conforming": r["conforming_share"],
            "success": r["success_share"],
        }
        for r in summary.to_pylist()
    ]


def conformance(
    maps: MapsOption = None,
    journey_type: TypeOption = None,
    top: Annotated[int, typer.Option(help="Deviation hot spots to show.")] = 15,
    csv: CsvOption = None,
    workspace_path: WorkspaceOption = Path("."),
    engine: EngineOption = None,
    json_output: JsonOption = False,
) -> None:
    """Designed vs actual: how journeys follow their journey map, and where they deviate.

    Off-path, skipped and repeated steps, SLA breaches and fitness per journey; deviation hot
    spots stage by stage.

    Examples (the demo world's moving journeys; then each journey's deviations as CSV):

        journeylens conformance --type moving -w demo-workspace

        journeylens conformance --type moving --csv moving.csv -w demo-workspace

    Maps: journey_maps.yaml in the workspace (journeylens demo writes one) or --maps.

    Their format: docs/analytics/conformance.md.
    """
    with workspace(workspace_path, engine) as ws, user_errors():
        result = ws.conformance(maps=maps, journey_type=journey_type)
    if csv is not None:
        table = result.journeys
        flat = ["; ".join(d or []) for d in table.column("deviations").to_pylist()]
        index = table.schema.get_field_index("deviations")
        write_csv(table.set_column(index, "deviations", pa.array(flat, pa.string())), csv)
        return
    if json_output:
        print_json(
            {
                "summary": result.summary.to_pylist(),
                "stages": result.stages.to_pylist(),
                "hotspots": result.hotspots.to_pylist(),
                "handoffs": result.handoffs.to_pylist(),
                "distribution": result.distribution.to_pylist(),
            }
        )
        return
    console.print(rows_table(_summary_rows(result.summary), title="conformance per journey type"))
    stages = [
        {
            "type": r["journey_type"],
            "stage": r["stage"],
            "off_path": r["off_path_share"],
            "skipped": r["skipped_share"],
            "loop": r["loop_share"],
            "alternative": r["alternative_share"],
        }
        for r in result.stages.to_pylist()
    ]
    console.print(rows_table(stages, title="share of journeys deviating, per stage"))
    hotspots = [
        {k: r[k] for k in ("journey_type", "stage", "kind", "label", "reason", "journeys", "share")}
        for r in result.hotspots.slice(0, top).to_pylist()
    ]
    console.print(rows_table(hotspots, title=f"top {len(hotspots)} deviation hot spots"))
