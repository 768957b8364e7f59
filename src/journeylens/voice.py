"""The voice-of-the-customer methods of a workspace (see `journeylens.voc`).

`Workspace` inherits these methods; each checks that what it needs is there, turns its keyword
arguments into the analysis's typed query, and runs it on the workspace's engine.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from journeylens.config import WorkspaceConfig
from journeylens.store.backends import Backend


class VoiceMethods:
    """The voice-of-the-customer methods of `journeylens.workspace.Workspace`."""

    root: Path
    config: WorkspaceConfig
    backend: Backend

    if TYPE_CHECKING:  # provided by `journeylens.analyses.Analyses`

        def _require(self, name: str, hint: str) -> None: ...
