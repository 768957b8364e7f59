"""The action centre: how fast moments are recorded, and how fast webhooks go out.

- ``submit``: moments per second through `ActionCenter.submit` (one SQLite transaction per
  call, ``synchronous=FULL``), in calls of 1 and of 100 moments, each moment with an alert and a
  webhook (so two delivery rows and an alert row per moment), 10% held out;
- ``deliver``: webhooks per second from the background worker (4 threads) to a local
  receiver (http.server on a loopback port, signature checked), from a full outbox.

The floors of the live path (issue 5) are on events, not moments: rules fire on a small share of
events, and ``submit`` runs once per accepted batch. This measures the head-room.

Run::

    .venv/bin/python benchmarks/actions.py            # ~2,000 moments, a few seconds
    .venv/bin/python benchmarks/actions.py --moments 20000
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from journeylens.realtime.actions.center import ActionCenter
from journeylens.realtime.actions.settings import parse_actions
from journeylens.realtime.moments import Moment

SECRET = "bench-secret"


def receiver() -> tuple[ThreadingHTTPServer, list[int]]:
    got: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            parts = dict(
                p.split("=", 1) for p in self.headers["X-JourneyLens-Signature"].split(",")
            )
            signed = f"{parts['t']}.".encode() + body
            expected = hmac.new(SECRET.encode(), signed, hashlib.sha256).hexdigest()
            ok = hmac.compare_digest(expected, parts["v1"])
            got.append(1 if ok else 0)
            self.send_response(200 if ok else 401)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, got


def moments(n: int, start: int = 0) -> list[Moment]:
    at = datetime(2026, 1, 5, tzinfo=UTC)
    return [
        Moment.of("bench", f"customer_id:C{i}", at + timedelta(seconds=i), (f"e{i}",),
                  actions=("alert", "hook"), details={"count": 3})
        for i in range(start, start + n)
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moments", type=int, default=2000)
    args = parser.parse_args()
    server, got = receiver()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    settings = parse_actions(
        {
            "settings": {"holdout": 0.1},
            "actions": {
                "alert": {"type": "alert"},
                "hook": {"type": "webhook", "url": url, "secret_env": "S", "timeout": "5s"},
            },
        }
    )
    with tempfile.TemporaryDirectory() as tmp:
        center = ActionCenter(Path(tmp) / "outbox.sqlite", settings, secret_env={"S": SECRET})
        n = args.moments
        single = moments(n // 10)
        started = time.perf_counter()
        for m in single:
            center.submit([m])
        one = len(single) / (time.perf_counter() - started)
        batch = moments(n, start=n)
        started = time.perf_counter()
        for i in range(0, n, 100):
            center.submit(batch[i : i + 100])
        hundred = n / (time.perf_counter() - started)
        due = len(center.deliveries(status="pending", limit=10**9))
        started = time.perf_counter()
        center.start()
        while len(got) < due:
            time.sleep(0.01)
        deliver = due / (time.perf_counter() - started)
        center.close()
    server.shutdown()
    print(f"submit, 1 moment per call:    {one:,.0f} moments/s")
    print(f"submit, 100 moments per call: {hundred:,.0f} moments/s")
    print(f"deliver (4 threads, loopback): {deliver:,.0f} webhooks/s ({due:,} sent, "
          f"{len(got) - sum(got)} bad signatures)")  # fmt: skip


if __name__ == "__main__":
    main()
