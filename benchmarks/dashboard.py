"""Dashboard page latency on a large demo workspace (about 1M journeys).

The demo world is generated, ingested and built once by ``journeylens demo`` (cached under
``benchmarks/results/dashboard-ws-<events>``; 2.3M events make about 1M journeys). Then the
dashboard's own app runs in a uvicorn subprocess (``journeylens.web.app:app_from_env``) with
warming off and an empty panel cache, and each page is asked for over HTTP, signed in with a
key header:

- **cold**: the first request of a view, which computes its panels (and caches them per
  build and filters, in memory and on disk);
- **warm**: the median of the next ``--repeat`` requests, answered from the cache: what a
  visitor sees once the view was precomputed (the server warms the overview and every journey
  type's page when it starts);
- **bounded** pages (one journey, a customer lookup, a page of a journey list) are not cached:
  their cold time is what every visit costs.

Page latency is the server's answer (HTML complete), not the browser's drawing of the charts.
Results: ``benchmarks/results/dashboard.json`` (git-ignored), printed as a table.

Run::

    .venv/bin/python benchmarks/dashboard.py                    # 2.3M events, ~1M journeys
    .venv/bin/python benchmarks/dashboard.py --events 200000    # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
KEY = "dashboard-benchmark-key-0123456789abcdef"


def build_world(events: int) -> Path:
    """The demo workspace of ``events`` events (built once, then reused)."""
    root = RESULTS / f"dashboard-ws-{events}"
    marker = root / ".built"
    if marker.exists():
        return root
    if root.exists():
        shutil.rmtree(root)
    RESULTS.mkdir(exist_ok=True)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "journeylens", "demo", "-w", str(root), "--events", str(events),
         "--json"],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    marker.write_text(json.dumps({"seconds": round(time.perf_counter() - started, 1)}))
    return root


def facts(root: Path) -> dict[str, Any]:
    """What the URLs need: counts, a journey type with a map, a journey, a customer."""
    import journeylens
    from journeylens.analytics.scope import scope_counts

    with journeylens.open(root) as ws:
        counts = scope_counts(ws.backend)
        journey = ws.journeys(journey_type="moving").head(1).to_pylist()[0]
        ids = ws.customer(journey["customer_key"]).identifiers.to_pylist()
    secondary = next(r for r in ids if r["id_type"] != "customer_id")
    last = counts["last"].date()
    return {
        "journeys": counts["journeys"],
        "events": counts["events"],
        "customers": counts["customers"],
        "journey_key": journey["journey_key"],
        "customer": f"{secondary['id_type']}:{secondary['id_value']}",
        "month": (last.replace(day=1).isoformat(), last.isoformat()),
    }


def views(f: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(name, URL, cached) of every view measured."""
    funnel = "&".join(
        f"steps={s}" for s in ("move_form_started", "move_form_submitted", "move_completed")
    )
    start, end = f["month"]
    return [
        ("overview", "/", True),
        ("journeys: moving", "/journeys?type=moving", True),
        ("journeys: fault", "/journeys?type=fault", True),
        ("journeys: funnel", f"/journeys?type=moving&{funnel}", True),
        ("voice of the customer", "/voc", True),
        ("overview, channel=phone", "/?channel=phone", True),
        ("overview, last month", f"/?from={start}&to={end}", True),
        (
            "journeys: moving, segment",
            "/journeys?type=moving&segment=attribute:segment%3Dbusiness",
            True,
        ),
        (
            "journey list: a variant",
            "/journeys/list?type=moving&pattern=%22move_form_error%22",
            True,
        ),
        ("journey list: page 3", "/journeys/list?type=fault&page=3", True),
        ("one journey", "/journeys/j/" + f["journey_key"], False),
        ("customer lookup", "/customers?q=" + quote(f["customer"]), False),
    ]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def measure(root: Path, repeat: int) -> list[dict[str, Any]]:
    import httpx

    shutil.rmtree(root / ".journeylens" / "dashboard-cache", ignore_errors=True)
    port = free_port()
    env = {
        **os.environ,
        "JOURNEYLENS_WORKSPACE": str(root),
        "JOURNEYLENS_API_KEY": KEY,
        "JOURNEYLENS_DASHBOARD_WARM": "0",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "journeylens.web.app:app_from_env",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    rows = []
    try:
        for _ in range(600):
            try:
                httpx.get(base + "/login", timeout=5)
                break
            except httpx.HTTPError:
                time.sleep(0.5)
        with httpx.Client(base_url=base, headers={"X-API-Key": KEY}, timeout=3600) as client:
            for name, url, cached in views(facts_cache):
                started = time.perf_counter()
                answer = client.get(url)
                cold = time.perf_counter() - started
                assert answer.status_code == 200, (url, answer.status_code)
                again = []
                for _ in range(repeat):
                    started = time.perf_counter()
                    client.get(url).raise_for_status()
                    again.append(time.perf_counter() - started)
                row = {
                    "view": name,
                    "url": url,
                    "cached": cached,
                    "cold_s": round(cold, 3),
                    "warm_s": round(statistics.median(again), 3) if again else None,
                    "bytes": len(answer.content),
                }
                rows.append(row)
                print(
                    f"{name:34s} cold {row['cold_s']:8.2f} s   warm {row['warm_s']:6.3f} s   "
                    f"{row['bytes'] / 1e3:7.0f} kB",
                    flush=True,
                )
    finally:
        server.terminate()
        server.wait(timeout=120)
    return rows


facts_cache: dict[str, Any] = {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=2_300_000, help="events of the world")
    parser.add_argument("--repeat", type=int, default=5, help="warm requests per view")
    args = parser.parse_args()
    started = time.perf_counter()
    root = build_world(args.events)
    print(f"world ready in {time.perf_counter() - started:.0f} s: {root}", flush=True)
    facts_cache.update(facts(root))
    print(
        f"{facts_cache['journeys']:,} journeys, {facts_cache['customers']:,} customers, "
        f"{facts_cache['events']:,} journey steps",
        flush=True,
    )
    rows = measure(root, args.repeat)
    result = {
        "events": args.events,
        **{k: facts_cache[k] for k in ("journeys", "customers")},
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "views": rows,
    }
    out = RESULTS / "dashboard.json"
    out.write_text(json.dumps(result, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
