"""Journey analytics: journeylens against PM4Py and retentioneering on the same log, in one run.

For each size the demo world is generated, ingested and built once into a journeylens workspace
(cached under ``benchmarks/results/``), and the built journeys are exported once to a Parquet
log (``case:concept:name``, ``concept:name``, ``time:timestamp``, one row per journey step in
step order). Then every analysis runs in its own fresh subprocess, so its peak memory is its
own: the peak resident memory of the subprocess tree, sampled with psutil every 20 ms, or the
subprocess's own ``ru_maxrss`` if larger.

==================  ==================  ===================================================
tool                analysis            what is timed
==================  ==================  ===================================================
journeylens         process_map         ``ws.process_map()`` (directly-follows graph)
journeylens         variants            ``ws.variants()``
journeylens         transition_graph    ``ws.process_map(by="activity", markers=True)``: the
                                        process map by activity *is* the transition graph;
                                        with markers it has retentioneering's path_start /
                                        path_end edges too
pm4py               dfg                 ``pm4py.discover_dfg(frame)``
pm4py               variants            ``pm4py.get_variants(frame)``
retentioneering     transition_graph    ``stream.transition_graph_data(edge_weight="count")``
retentioneering     sessions            ``stream.split_sessions(timeout="30m")``
==================  ==================  ===================================================

Loading is timed apart (``load_s``): opening the workspace for journeylens; reading the Parquet
log into pandas for PM4Py; reading it and building the ``Eventstream`` for retentioneering.
The peak memory includes loading. retentioneering runs in its own interpreter,
``benchmarks/peers.venv`` (``make bench-peers``), from this same file: keep the top-level
imports of this module to the standard library.

After the run the results are checked against each other (same DFG edges and counts in
journeylens, PM4Py and retentioneering; same variants in journeylens and PM4Py; the number of
retentioneering sessions against a count made in the workspace) and the checks are printed.

Floors (issue: journey analytics), at 10M events on the 2-core machine: process map and
variants each at least 5x faster than PM4Py, transition graph at least 5x faster than
retentioneering, peak memory under 2 GB for each journeylens analysis. And 100M events with
DuckDB's memory limit at 8 GB must finish (out of core).

Run::

    make bench-peers                                            # once: retentioneering
    .venv/bin/python benchmarks/analytics.py --sizes 1000000 10000000
    .venv/bin/python benchmarks/analytics.py --sizes 100000 --tools journeylens,pm4py
    .venv/bin/python benchmarks/analytics.py --sizes 100000000 --memory-limit 8GB \\
        --tools journeylens                                     # out of core
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
PEERS_PYTHON = HERE / "peers.venv" / "bin" / "python"

TOOLS = ("journeylens", "pm4py", "retentioneering")
ANALYSES: dict[str, tuple[str, ...]] = {
    "journeylens": ("process_map", "variants", "transition_graph"),
    "pm4py": ("dfg", "variants"),
    "retentioneering": ("transition_graph", "sessions"),
}
# The journeylens analysis each one is compared with (None: journeylens has no such analysis;
# it cuts journeys at build time, see benchmarks/ingest_build.py).
COUNTERPART: dict[tuple[str, str], str | None] = {
    ("pm4py", "dfg"): "process_map",
    ("pm4py", "variants"): "variants",
    ("retentioneering", "transition_graph"): "transition_graph",
    ("retentioneering", "sessions"): None,
}
SESSION_GAP = "30m"
SESSION_GAP_SECONDS = 1800
# retentioneering's names of the start and end markers, used for all three tools' edges.
PATH_START, PATH_END = "path_start", "path_end"
# Disk use per generated event, rounded up from what was measured (see docs): the Parquet parts
# of the world (34 bytes at 0.1M-10M events), the built workspace (80-90 bytes at 0.1M-1M), the
# exported Parquet log (12-14 bytes), and DuckDB's spill files during an out-of-core build (not
# measured: assumed to be at most the workspace's size again).
BYTES_PER_EVENT = {"world": 40, "workspace": 90, "spill": 90, "log": 15}
SAMPLE_SECONDS = 0.02


# ---------------------------------------------------------------------------------------------
# Preparing the data (subprocesses of their own: generate, then ingest + build + export)
# ---------------------------------------------------------------------------------------------


def paths(events: int) -> tuple[Path, Path, Path]:
    """The demo world, workspace and Parquet log of ``events`` events."""
    return (
        RESULTS / f"world-{events}",
        RESULTS / f"analytics-ws-{events}",
        RESULTS / f"analytics-log-{events}.parquet",
    )


def disk_needed(events: int, with_log: bool) -> int:
    """Bytes still to be written for ``events`` events, given what is cached."""
    world, workspace, log = paths(events)
    need = 0
    if not (world / ".complete").exists():
        need += BYTES_PER_EVENT["world"] * events
    if not (workspace / ".built").exists():
        need += (BYTES_PER_EVENT["workspace"] + BYTES_PER_EVENT["spill"]) * events
    if with_log and not log.exists():
        need += BYTES_PER_EVENT["log"] * events
    return need


def generate_world(events: int) -> dict[str, Any]:
    """Generate (or reuse) the demo world; not timed as part of any tool."""
    sys.path.insert(0, str(HERE))
    from ingest_build import generate

    world = generate(events)
    meta = json.loads((world / ".complete").read_text())
    return {"world": str(world), "world_events": meta["events"]}


def prepare(events: int, memory_limit: str | None, with_log: bool) -> dict[str, Any]:
    """Ingest + build the workspace (timed, cached) and export the Parquet log if asked."""
    import ibis

    import journeylens
    from journeylens.demo import config

    world, workspace, log = paths(events)
    marker = workspace / ".built"
    options = {"memory_limit": memory_limit} if memory_limit else {}
    facts: dict[str, Any] = {}
    if marker.exists():
        try:
            facts = json.loads(marker.read_text())
        except json.JSONDecodeError:  # an older marker ("ok"): times unknown
            facts = {}
        ws = journeylens.open(workspace, **options)
        cached = True
    else:
        shutil.rmtree(workspace, ignore_errors=True)
        ws = journeylens.init(workspace, config={"journeys": config()}, **options)
        started = time.perf_counter()
        ws.ingest(world / "events", source="demo")
        ingested = time.perf_counter()
        ws.build()
        built = time.perf_counter()
        facts = {
            "ingest_s": round(ingested - started, 2),
            "build_s": round(built - ingested, 2),
            "built_with_memory_limit": memory_limit,
        }
        cached = False
    backend = ws.backend
    if "journeys" not in facts:
        facts["steps"] = backend.count("journey_steps")
        facts["journeys"] = backend.count("journeys")
        marker.write_text(json.dumps(facts))
    if with_log and "sessions_reference" not in facts:
        # What retentioneering's sessions must count: a session starts at each path's first
        # event and after each gap strictly longer than the timeout.
        steps = backend.table("journey_steps")
        window = ibis.window(group_by=steps.journey_key, order_by=steps.step)
        gaps = steps.mutate(
            gap=steps.ts.epoch_seconds() - steps.ts.lag().over(window).epoch_seconds()
        )
        breaks = int(backend.scalar(gaps.filter(gaps.gap > SESSION_GAP_SECONDS).count()))
        facts["sessions_reference"] = facts["journeys"] + breaks
        marker.write_text(json.dumps(facts))
    export_s = None
    if with_log and not log.exists():
        import pyarrow.parquet as pq

        started = time.perf_counter()
        steps = backend.table("journey_steps")
        ordered = steps.select(
            **{
                "case:concept:name": steps.journey_key,
                "concept:name": steps.activity,
                "time:timestamp": steps.ts,
                "step": steps.step,
            }
        ).order_by(["case:concept:name", "step"])
        # Materialised whole (ibis 12's streaming reader does not work with DuckDB 2): about
        # 60 bytes per step in this preparing process, never in a measured one.
        partial = log.with_suffix(".partial")
        pq.write_table(backend.to_arrow(ordered).drop_columns(["step"]), partial)
        partial.rename(log)
        export_s = round(time.perf_counter() - started, 2)
    ws.close()
    return {
        **facts,
        "workspace": str(workspace),
        "log": str(log) if with_log else None,
        "cached": cached,
        "export_s": export_s,
    }


# ---------------------------------------------------------------------------------------------
# One measurement (runs in a fresh subprocess; retentioneering's in peers.venv's interpreter)
# ---------------------------------------------------------------------------------------------


def report(out: Path, load_s: float, seconds: float) -> None:
    """Write the timing as soon as the analysis is done; the parent stops sampling memory."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    partial = out / "measured.partial"
    partial.write_text(
        json.dumps({"load_s": round(load_s, 3), "seconds": round(seconds, 3), "self_mb": peak})
    )
    partial.rename(out / "measured.json")


def digest(variants: list[tuple[list[str], int]]) -> dict[str, Any]:
    """Number of variants and a fingerprint of the (path, count) pairs, order-free."""
    lines = sorted("\x1f".join(path) + "\t" + str(count) for path, count in variants)
    sha = hashlib.sha256("\n".join(lines).encode()).hexdigest()
    return {"variants": len(lines), "journeys": sum(c for _, c in variants), "sha256": sha}


def measure_journeylens(
    analysis: str, workspace: Path, memory_limit: str | None, out: Path
) -> dict[str, Any]:
    import ibis

    from journeylens.analytics.labels import END, START
    from journeylens.workspace import open_workspace

    ibis.duckdb  # noqa: B018 - imports are not timed (for any tool): load Ibis's backend now

    options = {"memory_limit": memory_limit} if memory_limit else {}
    started = time.perf_counter()
    ws = open_workspace(workspace, **options)
    loaded = time.perf_counter()
    if analysis == "variants":
        variants = ws.variants()
        report(out, loaded - started, time.perf_counter() - loaded)
        table = variants.table
        pairs = list(
            zip(table.column("path").to_pylist(), table.column("journeys").to_pylist(), strict=True)
        )
        ws.close()
        return digest(pairs)
    process_map = ws.process_map(by="activity", markers=analysis == "transition_graph")
    report(out, loaded - started, time.perf_counter() - loaded)
    rename = {START: PATH_START, END: PATH_END}
    edges = [
        [rename.get(e["source"], e["source"]), rename.get(e["target"], e["target"]), e["events"]]
        for e in process_map.edges.select(["source", "target", "events"]).to_pylist()
    ]
    ws.close()
    return {"edges": edges}


def measure_pm4py(analysis: str, log: Path, out: Path) -> dict[str, Any]:
    import pandas as pd
    import pm4py

    started = time.perf_counter()
    frame = pd.read_parquet(log)
    frame["time:timestamp"] = pd.to_datetime(frame["time:timestamp"], utc=True)
    loaded = time.perf_counter()
    if analysis == "dfg":
        dfg, _starts, _ends = pm4py.discover_dfg(frame)
        report(out, loaded - started, time.perf_counter() - loaded)
        return {"edges": [[s, t, int(n)] for (s, t), n in dfg.items()]}
    variants = pm4py.get_variants(frame)
    report(out, loaded - started, time.perf_counter() - loaded)
    return digest([(list(path), int(count)) for path, count in variants.items()])


def measure_retentioneering(analysis: str, log: Path, out: Path) -> dict[str, Any]:
    import pandas as pd
    import retentioneering as rete  # type: ignore[import-not-found]

    started = time.perf_counter()
    frame = pd.read_parquet(log).rename(
        # retentioneering writes ``next_<event column>`` into SQL unquoted: plain names only.
        columns={
            "case:concept:name": "journey_id",
            "concept:name": "event",
            "time:timestamp": "timestamp",
        }
    )
    stream = rete.Eventstream(
        frame,
        schema={"path_cols": ["journey_id"], "event_col": "event", "timestamp_col": "timestamp"},
    )
    del frame
    loaded = time.perf_counter()
    if analysis == "transition_graph":
        matrix = stream.transition_graph_data(edge_weight="count")
        report(out, loaded - started, time.perf_counter() - loaded)
        edges = [
            [str(source), str(target), int(matrix.at[source, target])]
            for source in matrix.index
            for target in matrix.columns
            if matrix.at[source, target]
        ]
        return {"edges": edges}
    sessions = stream.split_sessions(timeout=SESSION_GAP)
    report(out, loaded - started, time.perf_counter() - loaded)
    return {"sessions": int(sessions.df["session_id"].nunique())}


def run_child(args: argparse.Namespace) -> None:
    tool, analysis = args.child
    out = Path(args.out)
    if tool == "journeylens":
        payload = measure_journeylens(analysis, Path(args.workspace), args.memory_limit, out)
    elif tool == "pm4py":
        payload = measure_pm4py(analysis, Path(args.log), out)
    else:
        payload = measure_retentioneering(analysis, Path(args.log), out)
    (out / "result.json").write_text(json.dumps(payload))


# ---------------------------------------------------------------------------------------------
# The parent: run the subprocesses, sample their memory, compare, print
# ---------------------------------------------------------------------------------------------


def _psutil() -> Any:
    """psutil, imported late: the children (one in another interpreter) do not need it."""
    import psutil  # type: ignore[import-untyped]

    return psutil


def tree_rss(process: Any) -> int:
    """Resident bytes of a process and all its descendants (0 when it is gone)."""
    psutil = _psutil()

    try:
        total = int(process.memory_info().rss)
        for child in process.children(recursive=True):
            with contextlib.suppress(psutil.Error):  # it ended meanwhile
                total += int(child.memory_info().rss)
        return total
    except psutil.Error:
        return 0


def run_measured(command: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``command`` with ``--out DIR``; its timings, its result and its peak tree RSS."""
    psutil = _psutil()

    with tempfile.TemporaryDirectory(prefix="jl-bench-") as tmp:
        out = Path(tmp)
        with (out / "stdout").open("w") as stdout, (out / "stderr").open("w") as stderr:
            process = subprocess.Popen(
                [*command, "--out", str(out)],
                stdout=stdout,
                stderr=stderr,
                env={**os.environ, "PYTHONWARNINGS": "ignore", **(env or {})},
            )
            watched = psutil.Process(process.pid)
            peak = 0
            measured = out / "measured.json"
            while process.poll() is None:
                if not measured.exists():
                    peak = max(peak, tree_rss(watched))
                time.sleep(SAMPLE_SECONDS)
        if process.returncode != 0 or not (out / "result.json").exists():
            lines = (out / "stderr").read_text(errors="replace").strip().splitlines()
            return {"error": " | ".join(lines[-3:]) or f"exit code {process.returncode}"}
        row: dict[str, Any] = json.loads(measured.read_text())
        row["peak_mb"] = round(max(peak / 2**20, row.pop("self_mb")))
        row["result"] = json.loads((out / "result.json").read_text())
        return row


def run_plain(command: list[str]) -> dict[str, Any]:
    """Run a preparation step; its JSON answer and its peak tree RSS."""
    psutil = _psutil()

    with tempfile.TemporaryDirectory(prefix="jl-bench-") as tmp:
        out = Path(tmp)
        with (out / "stdout").open("w") as stdout, (out / "stderr").open("w") as stderr:
            process = subprocess.Popen(command, stdout=stdout, stderr=stderr)
            watched = psutil.Process(process.pid)
            peak = 0
            while process.poll() is None:
                peak = max(peak, tree_rss(watched))
                time.sleep(SAMPLE_SECONDS * 5)
        if process.returncode != 0:
            sys.exit(
                f"{' '.join(command[1:])} failed:\n" + (out / "stderr").read_text(errors="replace")
            )
        answer: dict[str, Any] = json.loads((out / "stdout").read_text().strip().splitlines()[-1])
        answer["peak_mb"] = round(peak / 2**20)
        return answer


def compare_edges(left: list[list[Any]], right: list[list[Any]]) -> tuple[bool, str]:
    a = {(s, t): n for s, t, n in left}
    b = {(s, t): n for s, t, n in right}
    if a == b:
        return True, f"{len(a)} edges each, every count identical ({sum(a.values()):,} in all)"
    differing = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
    example = differing[0]
    return False, (
        f"{len(a)} vs {len(b)} edges, {len(differing)} differ, "
        f"e.g. {example[0]} -> {example[1]}: {a.get(example)} vs {b.get(example)}"
    )


def checks(
    rows: dict[tuple[str, str], dict[str, Any]], facts: dict[str, Any]
) -> list[dict[str, Any]]:
    """Where the tools must agree, whether they do."""

    def result(tool: str, analysis: str) -> dict[str, Any] | None:
        row = rows.get((tool, analysis))
        return row.get("result") if row and "error" not in row else None

    found = []
    jl_map, pm_dfg = result("journeylens", "process_map"), result("pm4py", "dfg")
    jl_graph, rt_graph = (
        result("journeylens", "transition_graph"),
        result("retentioneering", "transition_graph"),
    )
    if jl_map and pm_dfg:
        ok, detail = compare_edges(jl_map["edges"], pm_dfg["edges"])
        found.append({"check": "journeylens process map = PM4Py DFG", "ok": ok, "detail": detail})
    if jl_graph and rt_graph:
        ok, detail = compare_edges(jl_graph["edges"], rt_graph["edges"])
        found.append(
            {
                "check": "journeylens transition graph = retentioneering transition counts "
                "(with path_start/path_end)",
                "ok": ok,
                "detail": detail,
            }
        )
    if pm_dfg and rt_graph:
        between = [
            e for e in rt_graph["edges"] if PATH_START not in e[:2] and PATH_END not in e[:2]
        ]
        ok, detail = compare_edges(pm_dfg["edges"], between)
        found.append(
            {
                "check": "PM4Py DFG = retentioneering transition counts between events",
                "ok": ok,
                "detail": detail,
            }
        )
    jl_var, pm_var = result("journeylens", "variants"), result("pm4py", "variants")
    if jl_var and pm_var:
        ok = jl_var == pm_var
        detail = (
            f"{jl_var['variants']:,} variants each over {jl_var['journeys']:,} journeys, "
            "same paths and counts"
            if ok
            else f"{jl_var['variants']:,} vs {pm_var['variants']:,} variants, "
            f"{jl_var['journeys']:,} vs {pm_var['journeys']:,} journeys, paths or counts differ"
        )
        found.append({"check": "journeylens variants = PM4Py variants", "ok": ok, "detail": detail})
    sessions = result("retentioneering", "sessions")
    if sessions:
        expected = facts["sessions_reference"]
        ok = sessions["sessions"] == expected
        found.append(
            {
                "check": f"retentioneering sessions (gap {SESSION_GAP}) = journeys + gaps over "
                f"{SESSION_GAP} (counted in the workspace)",
                "ok": ok,
                "detail": f"{sessions['sessions']:,} vs {expected:,}",
            }
        )
    return found


def measure_size(size: int, tools: list[str], memory_limit: str | None) -> dict[str, Any]:
    """Prepare one size and run every analysis of every tool on it."""
    peers = [t for t in tools if t != "journeylens"]
    need = disk_needed(size, with_log=bool(peers))
    free = shutil.disk_usage(RESULTS).free
    if need * 1.2 > free:
        sys.exit(
            f"{size:,} events need about {need / 1e9:.1f} GB more under {RESULTS} "
            f"(world, workspace, DuckDB spill{', Parquet log' if peers else ''}) and "
            f"{free / 1e9:.1f} GB are free: free disk space or choose a smaller size."
        )
    me = [sys.executable, __file__]
    world = run_plain([*me, "--generate", str(size)])
    command = [*me, "--prepare", str(size)]
    if memory_limit:
        command += ["--memory-limit", memory_limit]
    if peers:
        command.append("--with-log")
    prepared = run_plain(command)
    workspace, log = prepared["workspace"], prepared["log"]
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for tool in tools:
        for analysis in ANALYSES[tool]:
            child = ["--child", tool, analysis, "--workspace", workspace, "--log", str(log)]
            if tool == "journeylens":
                row = run_measured(
                    [*me, *child, *(["--memory-limit", memory_limit] if memory_limit else [])]
                )
            elif tool == "pm4py":
                row = run_measured([*me, *child])
            elif not PEERS_PYTHON.exists():
                row = {"error": f"{PEERS_PYTHON} missing: run `make bench-peers`"}
            else:
                row = run_measured(
                    [str(PEERS_PYTHON), __file__, *child], env={"RETENTIONEERING_NO_TRACK": "1"}
                )
            rows[(tool, analysis)] = row
    measurements = []
    for (tool, analysis), row in rows.items():
        entry: dict[str, Any] = {"tool": tool, "analysis": analysis}
        if "error" in row:
            entry["error"] = row["error"]
        else:
            entry.update({k: row[k] for k in ("load_s", "seconds", "peak_mb")})
            counterpart = analysis if tool == "journeylens" else COUNTERPART[(tool, analysis)]
            base = rows.get(("journeylens", counterpart)) if counterpart else None
            if base and "error" not in base:
                entry["vs_journeylens"] = counterpart
                entry["time_ratio"] = round(row["seconds"] / max(base["seconds"], 1e-3), 2)
                entry["memory_ratio"] = round(row["peak_mb"] / max(base["peak_mb"], 1), 2)
        measurements.append(entry)
    return {
        "target_events": size,
        "world_events": world["world_events"],
        "steps": prepared["steps"],
        "journeys": prepared["journeys"],
        "memory_limit": memory_limit,
        "prepare": {
            "cached": prepared["cached"],
            "ingest_s": prepared.get("ingest_s"),
            "build_s": prepared.get("build_s"),
            "built_with_memory_limit": prepared.get("built_with_memory_limit"),
            "export_log_s": prepared["export_s"],
            "peak_mb": prepared["peak_mb"],
        },
        "measurements": measurements,
        "checks": checks(rows, prepared),
    }


def show(run: dict[str, Any]) -> None:
    prep = run["prepare"]
    built = (
        f"ingest {prep['ingest_s']} s, build {prep['build_s']} s"
        + (
            f" (memory limit {prep['built_with_memory_limit']})"
            if prep["built_with_memory_limit"]
            else ""
        )
        if prep["ingest_s"] is not None
        else "times unknown"
    )
    print(
        f"\n{run['world_events']:,} events generated -> {run['steps']:,} journey steps in "
        f"{run['journeys']:,} journeys; workspace {'cached' if prep['cached'] else 'built'} "
        f"({built}; this run's prepare peak {prep['peak_mb']:,} MB)"
        + (f"; DuckDB memory limit {run['memory_limit']}" if run["memory_limit"] else "")
    )
    header = (
        f"{'tool':<16} {'analysis':<17} {'load s':>8} {'seconds':>9} {'peak MB':>8} "
        f"{'time vs jl':>11} {'peak vs jl':>11}"
    )
    print(header)
    print("-" * len(header))
    for m in run["measurements"]:
        if "error" in m:
            print(f"{m['tool']:<16} {m['analysis']:<17} not measured: {m['error']}")
            continue
        if m["tool"] == "journeylens":
            ratios = f"{'(ref)':>11} {'(ref)':>11}"
        elif "time_ratio" in m:
            ratios = f"{m['time_ratio']:>10.1f}x {m['memory_ratio']:>10.1f}x"
        else:
            ratios = f"{'n/a':>11} {'n/a':>11}"
        print(
            f"{m['tool']:<16} {m['analysis']:<17} {m['load_s']:>8.2f} {m['seconds']:>9.2f} "
            f"{m['peak_mb']:>8,} {ratios}"
        )
    print("checks:" if run["checks"] else "checks: none (needs two tools on the same analysis)")
    for c in run["checks"]:
        print(f"  [{'OK' if c['ok'] else 'MISMATCH'}] {c['check']}: {c['detail']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    parser.add_argument(
        "--tools",
        default=",".join(TOOLS),
        help="comma-separated, from journeylens,pm4py,retentioneering (default: all)",
    )
    parser.add_argument("--memory-limit", default=None, help="DuckDB memory limit, e.g. 8GB")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--workspace", help=argparse.SUPPRESS)
    parser.add_argument("--log", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--generate", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--prepare", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--with-log", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(args)
        return
    if args.generate:
        print(json.dumps(generate_world(args.generate)))
        return
    if args.prepare:
        print(json.dumps(prepare(args.prepare, args.memory_limit, args.with_log)))
        return
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = sorted(set(tools) - set(TOOLS))
    if unknown or not tools:
        parser.error(f"--tools: unknown {unknown}; choose from {','.join(TOOLS)}")
    if "journeylens" not in tools:
        tools.insert(0, "journeylens")  # the reference of every ratio
    RESULTS.mkdir(exist_ok=True)
    runs = []
    for size in args.sizes:
        run = measure_size(size, tools, args.memory_limit)
        runs.append(run)
        if not args.json:
            show(run)
        document = {
            "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
            "tools": tools,
            "runs": runs,
        }
        (RESULTS / "analytics.json").write_text(json.dumps(document, indent=2))
    if args.json:
        print(json.dumps(document, indent=2))


if __name__ == "__main__":
    main()
