"""journeylens: customer-journey analytics and orchestration.

The heavy parts (Ibis, engines) load on first use, so the command line starts quickly.

Examples
--------
>>> import journeylens
>>> callable(journeylens.open) and callable(journeylens.init)
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from journeylens.workspace import Workspace, init
    from journeylens.workspace import open_workspace as open

__all__ = ["Workspace", "__version__", "init", "open"]


def __getattr__(name: str) -> Any:
    if name in {"Workspace", "init", "open"}:
        from journeylens import workspace

        return {
            "Workspace": workspace.Workspace,
            "init": workspace.init,
            "open": workspace.open_workspace,
        }[name]
    raise AttributeError(f"module 'journeylens' has no attribute {name!r}")
