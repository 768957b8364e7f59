"""A cache of rendered panels per (workspace build, page, panel, filters): in memory, and on disk
so that a restarted server answers at once.

Values are JSON documents (a panel: its figure as JSON text, its rows, the seconds it took).
A new build changes the *stamp* (`build_stamp`), so every older entry is simply never asked
for again; the disk folder of an older stamp is removed when a new one is first written.

Examples
--------
>>> import tempfile
>>> cache = PanelCache(Path(tempfile.mkdtemp()), capacity=2)
>>> calls = []
>>> cache.get_or_compute("b1", ("overview", "kpis"), lambda: calls.append(1) or {"n": 1})
{'n': 1}
>>> cache.get_or_compute("b1", ("overview", "kpis"), lambda: {"n": 2}), len(calls)
({'n': 1}, 1)
>>> PanelCache(cache.folder).get("b1", ("overview", "kpis"))  # from disk, after a restart
{'n': 1}
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

#: The files whose change means the workspace was rebuilt or reconfigured.
STAMP_FILES = ("journeylens.yaml", "journey_maps.yaml", "rules.yaml")


def build_stamp(root: Path) -> str:
    """A short text that changes whenever the workspace is rebuilt or its configuration, its
    journey maps or its rules change (the state file a build writes, and those files)."""
    parts: list[str] = []
    state_dir = root / ".journeylens"
    candidates = sorted(state_dir.glob("*-state.json")) if state_dir.is_dir() else []
    for path in [*candidates, *(root / name for name in STAMP_FILES)]:
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        parts.append(f"{path.name}:{stat.st_mtime_ns}:{stat.st_size}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def _digest(key: Sequence[Any]) -> str:
    return hashlib.sha256(json.dumps(list(key), default=str).encode()).hexdigest()[:32]


class PanelCache:
    """Least-recently-used entries in memory, every entry on disk (when ``folder`` is given).

    Parameters
    ----------
    folder : Path, optional
        Where entries are written (one JSON file each, under a folder per stamp).
    capacity : int
        Entries kept in memory.
    """

    def __init__(self, folder: Path | None = None, capacity: int = 512) -> None:
        self.folder = folder
        self.capacity = capacity
        self._memory: OrderedDict[tuple[str, str], Any] = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[tuple[str, str], threading.Lock] = {}

    def _path(self, stamp: str, digest: str) -> Path | None:
        return None if self.folder is None else self.folder / stamp / f"{digest}.json"

    def get(self, stamp: str, key: Sequence[Any]) -> Any | None:
        """The entry, or None."""
        slot = (stamp, _digest(key))
        with self._lock:
            if slot in self._memory:
                self._memory.move_to_end(slot)
                return self._memory[slot]
        path = self._path(*slot)
        if path is None or not path.exists():
            return None
        try:
            value = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        self._remember(slot, value)
        return value

    def put(self, stamp: str, key: Sequence[Any], value: Any) -> None:
        """Store an entry (JSON-able)."""
        slot = (stamp, _digest(key))
        self._remember(slot, value)
        path = self._path(*slot)
        if path is None:
            return
        try:
            if not path.parent.exists():
                self._drop_old_stamps(stamp)
                path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_text(json.dumps(value, default=str), encoding="utf-8")
            os.replace(tmp, path)
        except OSError:
            pass  # a read-only workspace: the memory cache still works

    def get_or_compute(self, stamp: str, key: Sequence[Any], compute: Callable[[], Any]) -> Any:
        """The entry, computing (once, even when asked for by several threads) when missing."""
        found = self.get(stamp, key)
        if found is not None:
            return found
        slot = (stamp, _digest(key))
        with self._lock:
            gate = self._computing.setdefault(slot, threading.Lock())
        with gate:
            found = self.get(stamp, key)
            if found is None:
                found = compute()
                self.put(stamp, key, found)
        with self._lock:
            self._computing.pop(slot, None)
        return found

    def _remember(self, slot: tuple[str, str], value: Any) -> None:
        with self._lock:
            self._memory[slot] = value
            self._memory.move_to_end(slot)
            while len(self._memory) > self.capacity:
                self._memory.popitem(last=False)

    def _drop_old_stamps(self, stamp: str) -> None:
        if self.folder is None or not self.folder.is_dir():
            return
        for child in self.folder.iterdir():
            if child.is_dir() and child.name != stamp:
                shutil.rmtree(child, ignore_errors=True)
