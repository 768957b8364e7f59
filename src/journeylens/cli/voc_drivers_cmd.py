"""`journeylens voc drivers`: the key drivers of low scores or a bad journey outcome."""

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


def drivers(
    kind: Annotated[
        str,
        typer.Option(help="What to explain: nps, csat, ces, rating (feedback) or journey."),
    ] = "nps",
    target: Annotated[
        str,
        typer.Option(
            help="score (linear), detractor (NPS 0-6), low:<x> (mean answer <= x, e.g. low:2); "
            "for --kind journey: failure, abandoned or journey_attribute:<name> (true/false)."
        ),
    ] = "score",
    scope: Annotated[
        str,
        typer.Option(help="Answers of scope journey, touchpoint, relationship, or any."),
    ] = "journey",
    journey_type: TypeOption = None,
    where: Annotated[
        str | None,
        typer.Option(
            help="Only journeys in one group of a segment, <by>=<value>, e.g. "
            "journey_attribute:order_status=delivered or attribute:segment=business."
        ),
    ] = None,
    include: Annotated[
        list[str] | None,
        typer.Option(help="Only these features (names or globs such as 'activity_*'); repeat."),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option(help="Leave out these features (names or globs); repeat."),
    ] = None,
    activities: Annotated[int, typer.Option(help="Flags for this many activities.")] = 10,
    maps: Annotated[
        Path | None,
        typer.Option(help="Journey maps for conformance features (default: journey_maps.yaml)."),
    ] = None,
    max_vif: Annotated[
        float, typer.Option(help="Leave out features that overlap others beyond this VIF.")
    ] = 10.0,
    top: Annotated[int, typer.Option(help="Drivers to show.")] = 15,
    csv: CsvOption = None,
    workspace_path: WorkspaceOption = Path("."),
    engine: EngineOption = None,
    json_output: JsonOption = False,
) -> None:
    """Key drivers: which journey features go with low scores, detractors or failed journeys.

    One standardised regression over every surveyed journey (linear for a score, logistic for
    a 0/1 target): each feature's effect per standard deviation with its confidence interval,
    ranked; beside it the target with vs without the feature, the difference and the lift, and
    example journeys to open with journeylens journeys show.

    Example: what drives journey detractors, and 1-2 star reviews of delivered orders:

        journeylens voc drivers --kind nps --target detractor -w ws
        journeylens voc drivers --kind rating --target low:2 --scope any \\
            --where journey_attribute:order_status=delivered -w olist-ws
    """
    with workspace(workspace_path, engine) as ws, user_errors():
        view = ws.within(segment=where) if where else ws
        result = view.drivers(
            kind,
            target=target,
            scope=None if scope == "any" else scope,
            journey_type=journey_type,
            include=include or None,
            exclude=exclude or (),
            activities=activities,
            maps=maps,
            max_vif=max_vif,
        )
    if csv is not None:
        write_csv(result.drivers.drop_columns(["examples"]), csv)
        return
    if json_output:
        print_json(
            {
                "model": result.model,
                "where": where,
                "drivers": result.drivers.to_pylist(),
                "dropped": result.dropped.to_pylist(),
            }
        )
        return
    shown = [
        {
            "#": r["rank"],
            "driver": r["label"],
            "effect [CI]": f"{r['effect']:+.2f} [{r['effect_ci_low']:+.2f}, "
            f"{r['effect_ci_high']:+.2f}]",
            "makes it": r["direction"],
            "with vs without": _with_without(r),
        }
        for r in result.drivers.slice(0, top).to_pylist()
    ]
    m = result.model
    fit = f"pseudo R² {m['r2']:.2f}" if m["model"] == "logistic" else f"R² {m['r2']:.2f}"
    console.print(
        rows_table(
            shown,
            title=f"drivers of {target} ({kind}): {m['journeys']:,} journeys, {m['model']} "
            f"model, {fit}; effect per standard deviation (--json for examples)",
        )
    )


def _with_without(row: dict[str, object]) -> str:
    """``0.92 vs 0.15 (> 0)``: the target's mean with and without the feature."""
    if row["mean_with"] is None:
        return ""
    return f"{row['mean_with']:.2f} vs {row['mean_without']:.2f} ({row['split']})"
