"""Process map and variants: journeylens against PM4Py on the same built log, in one run.

The demo world of each size is generated, ingested and built once (cached under
``benchmarks/results/``). The same journeys are then handed to each tool: journeylens reads its
workspace; PM4Py gets a pandas frame (``case:concept:name``, ``concept:name``,
``time:timestamp``) exported from it, read from a Parquet file so loading is not timed. Each
measurement runs in a fresh subprocess, so the peak memory is its own.

Floor (issue: journey analytics): at 10M events, process map and variants each at least 5x
faster than PM4Py, peak memory under 2 GB.

Run::

    .venv/bin/python benchmarks/analytics.py --sizes 1000000
    .venv/bin/python benchmarks/analytics.py --sizes 1000000 10000000 --json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def prepare(events: int) -> tuple[Path, Path]:
    """A built workspace and the PM4Py input file for ``events`` events (cached)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import journeylens
    from ingest_build import generate
    from journeylens.demo import config

    world = generate(events)
    workspace = RESULTS / f"analytics-ws-{events}"
    log = RESULTS / f"analytics-log-{events}.parquet"
    if not (workspace / ".built").exists():
        ws = journeylens.init(workspace, config={"journeys": config()})
        ws.ingest(world / "events", source="demo")
        ws.build()
        steps = ws.backend.table("journey_steps")
        frame = ws.backend.to_arrow(
            steps.select(
                **{
                    "case:concept:name": steps.journey_key,
                    "concept:name": steps.activity,
                    "time:timestamp": steps.ts,
                    "step": steps.step,
                }
            ).order_by(["case:concept:name", "step"])
        )
        import pyarrow.parquet as pq

        pq.write_table(frame.drop(["step"]), log)
        ws.close()
        (workspace / ".built").write_text("ok")
    return workspace, log


def run_child(tool: str, task: str, workspace: Path, log: Path) -> dict[str, float]:
    """Time one task of one tool in this process."""
    if tool == "journeylens":
        import journeylens

        ws = journeylens.open(workspace)
        started = time.perf_counter()
        result = ws.process_map() if task == "process_map" else ws.variants()
        seconds = time.perf_counter() - started
        size = len(result.to_frame())
    else:
        import pandas as pd
        import pm4py

        frame = pd.read_parquet(log)
        frame["time:timestamp"] = pd.to_datetime(frame["time:timestamp"], utc=True)
        started = time.perf_counter()
        if task == "process_map":
            size = len(pm4py.discover_dfg(frame)[0])
        else:
            size = len(pm4py.get_variants(frame))
        seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": round(seconds, 3), "peak_rss_mb": round(peak), "size": size}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--prepare", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        print(json.dumps([str(p) for p in prepare(args.prepare)]))
        return
    if args.child:
        tool, task, workspace, log = args.child
        print(json.dumps(run_child(tool, task, Path(workspace), Path(log))))
        return
    RESULTS.mkdir(exist_ok=True)
    rows = []
    for size in args.sizes:
        # Prepared in its own process: a child forked from a large parent would inherit its
        # resident size as the starting point of its peak.
        prepared = subprocess.run(
            [sys.executable, __file__, "--prepare", str(size)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        workspace, log = (Path(p) for p in json.loads(prepared.strip().splitlines()[-1]))
        for task in ("process_map", "variants"):
            measured = {}
            for tool in ("journeylens", "pm4py"):
                out = subprocess.run(
                    [sys.executable, __file__, "--child", tool, task, str(workspace), str(log)],
                    capture_output=True,
                    text=True,
                    check=True,
                    env={**os.environ, "PYTHONWARNINGS": "ignore"},
                ).stdout
                measured[tool] = json.loads(out.strip().splitlines()[-1])
            jl, pm = measured["journeylens"], measured["pm4py"]
            row = {
                "events": size,
                "task": task,
                "journeylens_s": jl["seconds"],
                "pm4py_s": pm["seconds"],
                "ratio": round(pm["seconds"] / jl["seconds"], 2),
                "journeylens_peak_mb": jl["peak_rss_mb"],
                "pm4py_peak_mb": pm["peak_rss_mb"],
                "same_size": jl["size"] == pm["size"],
            }
            rows.append(row)
            if not args.json:
                print(
                    f"{size:>12,} {task:<12} journeylens {jl['seconds']:>7.2f} s "
                    f"({jl['peak_rss_mb']:,} MB)  pm4py {pm['seconds']:>7.2f} s "
                    f"({pm['peak_rss_mb']:,} MB)  ratio {row['ratio']:.1f}x  "
                    f"same result size: {row['same_size']}"
                )
    if args.json:
        print(json.dumps(rows, indent=2))
    (RESULTS / "analytics.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
