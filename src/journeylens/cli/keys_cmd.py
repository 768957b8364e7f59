"""`journeylens keys create|list|revoke`: the API keys of the live API.

Keys live hashed in ``<workspace>/live/keys.json`` (`journeylens.realtime.keys`); a key is shown
once, when it is created. These commands do not open the store, so they work while
``journeylens serve`` runs, and a running server honours the change at its next request.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from journeylens.cli.common import (
    JsonOption,
    WorkspaceOption,
    console,
    fail,
    print_json,
    rows_table,
    user_errors,
)
from journeylens.config import CONFIG_FILE

keys_app = typer.Typer(
    help=(
        "API keys of the live API (journeylens serve): create one per client, list, revoke.\n\n"
        "Example:  journeylens keys create --name crm -w ws"
    ),
    no_args_is_help=True,
)


def _store(root: Path) -> object:
    from journeylens.realtime.keys import KeyStore

    if not (root / CONFIG_FILE).exists():
        fail(f"{root} is not a journeylens workspace (no {CONFIG_FILE}); give it with -w")
    return KeyStore.for_workspace(root)


@keys_app.command("create")
def create(
    name: Annotated[str, typer.Option(help="Who uses the key, e.g. crm or contact-centre.")],
    workspace_path: WorkspaceOption = Path("."),
    json_output: JsonOption = False,
) -> None:
    """Create a key and print it (once: only its salted hash is stored).

    Example:  journeylens keys create --name crm -w ws

    Then:  curl -H "X-API-Key: <key>" http://127.0.0.1:8000/v1/status
    """
    from journeylens.realtime.keys import KeyStore

    with user_errors():
        store = _store(workspace_path)
        assert isinstance(store, KeyStore)
        record, key = store.create(name)
    if json_output:
        print_json({**record.public(), "key": key})
        return
    console.print(f"created key [bold]{record.key_id}[/] ({record.name}):")
    console.print(key, markup=False, highlight=False)
    console.print("Keep it now: it is not stored and cannot be shown again.")


@keys_app.command("list")
def list_keys(
    workspace_path: WorkspaceOption = Path("."),
    json_output: JsonOption = False,
) -> None:
    """List the keys (id, name, created, revoked); never the keys themselves."""
    from journeylens.realtime.keys import KeyStore

    with user_errors():
        store = _store(workspace_path)
        assert isinstance(store, KeyStore)
        rows = [k.public() for k in store.list()]
    if json_output:
        print_json(rows)
        return
    console.print(rows_table(rows, title="API keys"))


@keys_app.command("revoke")
def revoke(
    key: Annotated[str, typer.Argument(help="The key's id (from keys list) or its name.")],
    workspace_path: WorkspaceOption = Path("."),
    json_output: JsonOption = False,
) -> None:
    """Revoke a key: requests with it are refused from the next one on.

    Example:  journeylens keys revoke 3fa9c2d1 -w ws
    """
    from journeylens.realtime.keys import KeyStore

    with user_errors():
        store = _store(workspace_path)
        assert isinstance(store, KeyStore)
        record = store.revoke(key)
    if json_output:
        print_json(record.public())
        return
    console.print(f"revoked key {record.key_id} ({record.name}) at {record.revoked_at}")
