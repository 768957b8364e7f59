"""`journeylens demo`: generate the demo world, ingest it, build journeys, summarise."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer

from journeylens.cli.common import (
    JsonOption,
    console,
    print_json,
    row_progress,
    step_progress,
    user_errors,
)
from journeylens.cli.tables_cmd import render_summary


def demo(
    workspace_path: Annotated[
        Path, typer.Option("--workspace", "-w", help="Where to build the demo workspace.")
    ] = Path("demo-workspace"),
    events: Annotated[
        int, typer.Option(help="Approximate number of events to generate.")
    ] = 100_000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same world.")] = 7,
    fresh: Annotated[bool, typer.Option(help="Delete the workspace first.")] = False,
    json_output: JsonOption = False,
) -> None:
    """Generate a multichannel service company, ingest it, build journeys, write summary.html.

    The designed journey maps are copied to journey_maps.yaml in the workspace (for
    journeylens conformance), the critical-moment rules to rules.yaml (for journeylens rules
    and serve).

    The planted truths (a broken online moving form, faults not fixed at first contact …) are
    described in docs/demo-world.md.
    """
    from journeylens.analytics.journey_maps import MAPS_FILE
    from journeylens.demo import config as demo_config
    from journeylens.demo import generate
    from journeylens.realtime.rules.loader import RULES_FILE
    from journeylens.report.summary import write_summary_html
    from journeylens.workspace import init

    if fresh and workspace_path.exists():
        shutil.rmtree(workspace_path)
    data_dir = workspace_path / "demo-data"
    show = not json_output
    with user_errors():
        with row_progress("generating the demo world", events, show) as advance:
            last = [0]

            def tick(written: int) -> None:
                advance(written - last[0])
                last[0] = written

            world = generate(data_dir, events=events, seed=seed, progress=tick)
        ws = init(workspace_path, config={"journeys": demo_config()})
        # The designed journeys, where `journeylens conformance` looks for them.
        shutil.copyfile(world.journey_maps_path, workspace_path / MAPS_FILE)
        # The critical-moment rules, where `journeylens rules` and `serve` look for them.
        rules = resources.files("journeylens.demo").joinpath("rules.yaml")
        (workspace_path / RULES_FILE).write_text(rules.read_text("utf-8"), "utf-8")
        try:
            with row_progress("ingesting events", world.events, show) as advance:
                events_report = ws.ingest(data_dir / "events", source="demo", progress=advance)
            with row_progress("ingesting feedback", world.feedback, show) as advance:
                feedback_report = ws.ingest(
                    data_dir / "feedback", kind="feedback", source="demo", progress=advance
                )
            with step_progress(show) as say:
                ws.build(progress=say)
            data = ws.summary()
        finally:
            ws.close()
    html = write_summary_html(data, workspace_path / "summary.html", title="journeylens demo world")
    if json_output:
        print_json(
            {
                "workspace": str(workspace_path),
                "html": str(html),
                "ingest": {
                    "events": events_report.to_dict(),
                    "feedback": feedback_report.to_dict(),
                },
                "summary": data,
            }
        )
        return
    render_summary(data, json_output=False)
    console.print(
        f"ingested {events_report.accepted:,} events and {feedback_report.accepted:,} feedback "
        f"records ({events_report.rejected + feedback_report.rejected:,} rejected, "
        f"{events_report.duplicates + feedback_report.duplicates:,} already present)"
    )
    console.print(f"summary page: [bold]{html}[/]")
    console.print(f"explore:  journeylens journeys list -w {workspace_path}")
