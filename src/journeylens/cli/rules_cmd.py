"""`journeylens rules`: check, list and replay the workspace's moment rules (``rules.yaml``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from journeylens.cli.common import (
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

rules_app = typer.Typer(
    help=(
        "Critical-moment rules (rules.yaml in the workspace): check them, list them, and replay "
        "them over history to see how often they would have fired, and for whom.\n\n"
        "Example:  journeylens rules check -w ws && journeylens rules replay -w ws"
    ),
    no_args_is_help=True,
)

FileOption = Annotated[
    Path | None,
    typer.Option("--file", "-f", help="Check this file instead of the workspace's rules.yaml."),
]


def _config(root: Path) -> Any:
    """The workspace's configuration, without opening its store (a server may hold it)."""
    from journeylens.config import CONFIG_FILE, load_config
    from journeylens.errors import WorkspaceError

    path = root / CONFIG_FILE
    if not path.exists():
        raise WorkspaceError(
            f"{root} is not a journeylens workspace (no {CONFIG_FILE}); "
            f"create one with: journeylens init {root}"
        )
    return load_config(path)


@rules_app.command("check")
def check(
    file: FileOption = None,
    workspace_path: WorkspaceOption = Path("."),
    json_output: JsonOption = False,
) -> None:
    """Validate rules.yaml: every problem with its file, line, rule and field (exit code 2).

    Filters, journey types, SLAs of the journey maps and action names are checked against
    the workspace.

    Example:  journeylens rules check -w ws
    """
    from journeylens.realtime.rules.loader import check_workspace_rules

    with user_errors():
        result = check_workspace_rules(workspace_path, _config(workspace_path), file)
    if json_output:
        print_json(result.to_dict())
    elif result.ok and result.rules is not None:
        kinds: dict[str, int] = {}
        for rule in result.rules:
            kinds[rule.kind] = kinds.get(rule.kind, 0) + 1
        summary = ", ".join(f"{n} {kind}" for kind, n in kinds.items()) or "no rules"
        console.print(f"[green]ok[/]: {result.source}: {len(result.rules)} rules ({summary})")
    else:
        rows = [
            {
                "line": p.line,
                "rule": p.rule,
                "field": p.field,
                "problem": p.message,
                "fix": p.fix,
            }
            for p in result.problems
        ]
        console.print(rows_table(rows, title=f"{result.source}: {len(rows)} problems"))
    if not result.ok:
        raise typer.Exit(2)


@rules_app.command("list")
def list_rules(
    workspace_path: WorkspaceOption = Path("."),
    json_output: JsonOption = False,
) -> None:
    """The rules: kind, priority, switch (saved switches of the API included), actions
    (--json adds descriptions, hold-out shares and cooldowns).

    Example:  journeylens rules list -w ws --json
    """
    from journeylens.realtime.core import apply_saved_switches
    from journeylens.realtime.rules.loader import RulesError, check_workspace_rules

    with user_errors():
        result = check_workspace_rules(workspace_path, _config(workspace_path))
        if result.rules is None:
            raise RulesError(result.problems)
        apply_saved_switches(workspace_path, result.rules)
        rows = result.rules.describe()
    if json_output:
        print_json({"file": result.source, "rules": rows})
        return
    shown = [
        {
            "name": r["name"],
            "kind": r["kind"],
            "priority": r["priority"],
            "enabled": "yes" if r["enabled"] else "no",
            "actions": ", ".join(r["actions"]),
        }
        for r in rows
    ]
    console.print(rows_table(shown, title=f"rules of {result.source}"))


@rules_app.command("replay")
def replay(
    rule: Annotated[str | None, typer.Option("--rule", "-r", help="Replay only this rule.")] = None,
    identity: Annotated[
        str,
        typer.Option(
            help="Customer keys of the last build (built) or stitched as records come (fresh)."
        ),
    ] = "built",
    limit: Annotated[int, typer.Option(help="Moments to show in the terminal.")] = 10,
    csv: Annotated[
        Path | None, typer.Option(help="Write every moment as CSV to this file.")
    ] = None,
    workspace_path: WorkspaceOption = Path("."),
    json_output: JsonOption = False,
) -> None:
    """How often would the rules have fired over history, and for whom.

    Events (by time, then input order) and feedback run through the live engine with the
    event clock, so the live API fires the same moments for the same records.

    Example:  journeylens rules replay -w ws --rule third-contact-same-topic --csv moments.csv
    """
    from journeylens.realtime.rules.replay import ReplayQuery
    from journeylens.realtime.rules.replay import replay as run_replay

    with workspace(workspace_path) as ws, user_errors():
        query = ReplayQuery(rule=rule, identity=identity)  # type: ignore[arg-type]
        try:
            result = run_replay(ws, query=query)
        except KeyError as exc:
            fail(str(exc.args[0]))
            return
    if csv is not None:
        write_csv(_flat(result.moments), csv)
        return
    moments = [_moment_row(r) for r in result.moments.to_pylist()]
    if json_output:
        print_json(
            {
                "events": result.events,
                "feedback": result.feedback,
                "rules": result.counts(),
                "weekly": result.weekly.to_pylist(),
                "moments": moments,
            }
        )
        return
    console.print(
        rows_table(
            [
                {k: r[k] for k in ("rule", "kind", "moments", "customers", "suppressed")}
                for r in result.counts()
            ],
            title=f"replay of {result.events:,} events and {result.feedback:,} feedback records",
        )
    )
    shown = [
        {
            "ts": r["ts"],
            "rule": r["rule"],
            "customer": r["customer_key"],
            "journey": r["journey_key"],
            "events": ", ".join(r["event_ids"]),
        }
        for r in moments[:limit]
    ]
    console.print(rows_table(shown, title=f"first {len(shown)} moments (--json or --csv: all)"))


def _moment_row(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "details": json.loads(row["details"])}


def _flat(moments: Any) -> Any:
    """Moments with their lists joined by ';' (CSV has no lists)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    table = moments
    for name in ("event_ids", "actions"):
        joined = pc.binary_join(table.column(name), ";")
        table = table.set_column(table.schema.get_field_index(name), name, joined)
    return pa.table(table)
