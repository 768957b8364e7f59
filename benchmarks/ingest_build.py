"""Ingest + build at 1M and 10M generated events: time and peak memory.

Each size runs in a fresh subprocess so its peak resident memory is its own. The demo world is
generated once per size (Parquet parts, cached under ``benchmarks/results/``) and not timed.

Floor (issue: foundation): 10M events ingested from Parquet and built into journeys in under
60 s on the 2-core machine, with peak memory under 3 GB.

Run::

    .venv/bin/python benchmarks/ingest_build.py                 # 1M and 10M
    .venv/bin/python benchmarks/ingest_build.py --sizes 1000000 --json
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def generate(events: int) -> Path:
    """The demo world of ``events`` events, generated once and cached."""
    from journeylens.demo import generate as generate_world

    out = RESULTS / f"world-{events}"
    marker = out / ".complete"
    if not marker.exists():
        shutil.rmtree(out, ignore_errors=True)
        started = time.perf_counter()
        world = generate_world(out, events=events, seed=11)
        marker.write_text(json.dumps({"events": world.events}))
        print(
            f"generated {world.events:,} events in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
    return out


def measure(world: Path, memory_limit: str | None) -> dict[str, object]:
    """Ingest and build in this process; report times."""
    import journeylens
    from journeylens.demo import config

    workspace = RESULTS / f"ws-{world.name}"
    shutil.rmtree(workspace, ignore_errors=True)
    options = {"memory_limit": memory_limit} if memory_limit else {}
    ws = journeylens.init(workspace, config={"journeys": config()}, **options)
    started = time.perf_counter()
    report = ws.ingest(world / "events", source="demo")
    ingested = time.perf_counter()
    result = ws.build()
    built = time.perf_counter()
    ws.close()
    shutil.rmtree(workspace, ignore_errors=True)
    return {
        "events": report.accepted,
        "rejected": report.rejected,
        "journeys": result.journeys,
        "customers": result.identity.customers,
        "ingest_s": round(ingested - started, 2),
        "build_s": round(built - ingested, 2),
        "total_s": round(built - started, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--memory-limit", default=None, help="DuckDB memory limit, e.g. 8GB")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.memory_limit)))
        return
    RESULTS.mkdir(exist_ok=True)
    rows = []
    for size in args.sizes:
        world = generate(size)
        command = [sys.executable, __file__, "--child", str(world)]
        if args.memory_limit:
            command += ["--memory-limit", args.memory_limit]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        row = json.loads(output.strip().splitlines()[-1])
        row["target_events"] = size
        row["s_per_million"] = round(row["total_s"] / (row["events"] / 1e6), 2)
        rows.append(row)
        if not args.json:
            print(
                f"{row['events']:>12,} events  ingest {row['ingest_s']:>6.1f} s  "
                f"build {row['build_s']:>6.1f} s  total {row['total_s']:>6.1f} s  "
                f"({row['s_per_million']:.2f} s/M)  peak {row['peak_rss_mb']:,} MB  "
                f"journeys {row['journeys']:,}"
            )
    if args.json:
        print(json.dumps(rows, indent=2))
    (RESULTS / "ingest_build.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
