"""Shared by the dashboard's tests: one small demo world per test session, a free port, and
the real server (uvicorn in a subprocess) on a copy of the world."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

#: Events of the test world (small: the machine is shared; big enough for every chart).
EVENTS = 20_000
SEED = 11
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Where screenshots go (git-ignored), to look at after a run.
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A built demo workspace (with journey maps and moment rules), made once per session by
    `journeylens demo`; never served directly (copy it with `served_copy`)."""
    root = tmp_path_factory.getbasetemp() / "web-world"
    done = root / ".web-world-done"
    if not done.exists():
        if root.exists():
            shutil.rmtree(root)
        result = subprocess.run(
            [sys.executable, "-m", "journeylens", "demo", "-w", str(root), "--events",
             str(EVENTS), "--seed", str(SEED), "--json"],
            capture_output=True, text=True, timeout=900,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        done.write_text(json.dumps({"events": EVENTS, "seed": SEED}))
    return root


def served_copy(source: Path, target: Path) -> Path:
    """A copy of a workspace for one server (the server holds its store)."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("dashboard-cache"))
    return target


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running_server(root: Path, key: str, *, dashboard_only: bool = False) -> Iterator[str]:
    """`journeylens serve` (the live API with the dashboard) on a loopback port, or with
    ``dashboard_only`` the dashboard's own app; yields its base URL."""
    port = free_port()
    env = {**os.environ, "JOURNEYLENS_API_KEY": key, "JOURNEYLENS_DASHBOARD_WARM": "0"}
    if dashboard_only:
        env["JOURNEYLENS_WORKSPACE"] = str(root)
        factory = "journeylens.web.app:app_from_env"
        command = [sys.executable, "-m", "uvicorn", "--factory", factory,
                   "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip
    else:
        command = [sys.executable, "-m", "journeylens", "serve", "-w", str(root), "--host",
                   "127.0.0.1", "--port", str(port)]  # fmt: skip
    log = root / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            if process.poll() is not None:
                raise AssertionError(f"the server stopped: {log.read_text()[-3000:]}")
            try:
                if httpx.get(base + "/login", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"the server did not start: {log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def need_chromium() -> None:
    """Skip, saying why, when Debian's chromium is not installed."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent: install Debian's chromium (apt-get install chromium)")
    pytest.importorskip("playwright", reason="Playwright for Python is not installed (dev extra)")
