"""Time journeylens' XES reader against ``pm4py.read_xes`` on the same log, in the same run.

Each reader runs in a fresh subprocess, so that its peak memory (the child's maximum resident
set size, from ``os.wait4``) is its own: imports included, and reported next to an
"imports only" run of the same child so that the part due to reading stands out. Times are
the best of ``--repeat`` reads inside that child, after a warm-up-free first import.

journeylens materializes every batch into one ``pa.Table``; pm4py returns its usual pandas
DataFrame (pm4py's default importer, as ``pm4py.read_xes`` picks it).

Usage::

    python benchmarks/xes_import.py                      # the Helpdesk log, best of 3
    python benchmarks/xes_import.py --log some.xes.gz --repeat 5 --json
    python benchmarks/xes_import.py --min-ratio 5        # exit 1 if slower than that
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_LOG = ROOT.parent / "shared" / "data" / "helpdesk" / "helpdesk.xes.gz"
READERS = ("journeylens", "pm4py")
MARKER = "XES-BENCHMARK-RESULT "


# -- the child: one reader, timed ----------------------------------------------------------------


def _load(reader: str) -> Any:
    """Import `reader` and return a function that reads a log completely."""
    if reader == "journeylens":
        try:
            import journeylens  # noqa: F401
        except ImportError:
            sys.path.insert(0, str(ROOT / "src"))
        import pyarrow as pa

        from journeylens.ingest.base import ReadOptions
        from journeylens.ingest.xes_reader import XesReader

        def read_journeylens(path: Path) -> tuple[int, str]:
            batches = list(XesReader().read(path, ReadOptions()))
            table = pa.concat_tables(batches, promote_options="default")
            return table.num_rows, f"XesReader, {len(batches)} batch(es)"

        return read_journeylens

    warnings.filterwarnings("ignore")
    import pm4py

    def read_pm4py(path: Path) -> tuple[int, str]:
        frame = pm4py.read_xes(str(path), show_progress_bar=False)
        return len(frame), f"pm4py {pm4py.__version__} read_xes (default importer)"

    return read_pm4py


def _child(reader: str, log: Path, repeat: int) -> None:
    """Run in the subprocess: time `repeat` reads and print the result on a marked line."""
    with contextlib.redirect_stdout(io.StringIO()):  # pm4py prints a banner on import
        started = time.perf_counter()
        read = _load(reader)
        import_seconds = time.perf_counter() - started
        times: list[float] = []
        rows, detail = 0, ""
        for _ in range(repeat):
            started = time.perf_counter()
            rows, detail = read(log)
            times.append(time.perf_counter() - started)
    result = {"times": times, "rows": rows, "detail": detail, "import_seconds": import_seconds}
    print(MARKER + json.dumps(result), flush=True)


# -- the parent: run the children, compare ------------------------------------------------------


def _run_child(reader: str, log: Path, repeat: int) -> dict[str, Any]:
    """Run one child; return its result plus its own peak RSS in MiB."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", reader]
    command += ["--log", str(log), "--repeat", str(repeat)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    out = process.stdout.read().decode("utf-8", "replace")
    err = process.stderr.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(process.pid, 0)  # this child's own rusage
    process.returncode = os.waitstatus_to_exitcode(status)
    lines = [line for line in out.splitlines() if line.startswith(MARKER)]
    if process.returncode != 0 or not lines:
        raise SystemExit(f"the {reader} child failed ({process.returncode}):\n{err[-2000:]}")
    result: dict[str, Any] = json.loads(lines[-1][len(MARKER) :])
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB elsewhere
    result["peak_rss_mib"] = usage.ru_maxrss * scale / 2**20
    return result


def measure(log: Path, repeat: int) -> dict[str, Any]:
    """Time both readers on `log` (best of `repeat`) and measure their peak memory."""
    results: dict[str, Any] = {}
    for reader in READERS:
        baseline = _run_child(reader, log, 0)
        run = _run_child(reader, log, repeat)
        results[reader] = {
            "best_seconds": min(run["times"]),
            "all_seconds": run["times"],
            "rows": run["rows"],
            "detail": run["detail"],
            "peak_rss_mib": run["peak_rss_mib"],
            "imports_only_rss_mib": baseline["peak_rss_mib"],
            "reading_rss_mib": run["peak_rss_mib"] - baseline["peak_rss_mib"],
            "import_seconds": run["import_seconds"],
        }
    ours, theirs = results["journeylens"], results["pm4py"]
    return {
        "log": str(log),
        "log_bytes": log.stat().st_size,
        "repeat": repeat,
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU(s)",
        "readers": results,
        "speed_ratio": theirs["best_seconds"] / ours["best_seconds"],
        "same_row_count": ours["rows"] == theirs["rows"],
    }


def _table(report: dict[str, Any]) -> str:
    lines = [
        f"log: {report['log']} ({report['log_bytes'] / 2**20:.1f} MiB on disk), "
        f"best of {report['repeat']}, Python {report['python']}, {report['machine']}",
        "",
        f"{'reader':<12} {'best s':>8} {'rows':>9} {'peak RSS MiB':>13} "
        f"{'imports only':>13} {'reading':>9}",
    ]
    for name, r in report["readers"].items():
        lines.append(
            f"{name:<12} {r['best_seconds']:>8.3f} {r['rows']:>9,} {r['peak_rss_mib']:>13.1f} "
            f"{r['imports_only_rss_mib']:>13.1f} {r['reading_rss_mib']:>9.1f}"
        )
    lines += [
        "",
        f"speed ratio (pm4py / journeylens): {report['speed_ratio']:.1f}x",
        f"same row count: {report['same_row_count']}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--log", type=Path, default=DEFAULT_LOG, help="XES log (default: Helpdesk)")
    parser.add_argument("--repeat", type=int, default=3, help="reads per reader; best is kept")
    parser.add_argument("--json", action="store_true", help="print machine-readable results")
    parser.add_argument("--min-ratio", type=float, help="exit 1 if the speed ratio is lower")
    parser.add_argument("--child", choices=READERS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child, args.log, args.repeat)
        return 0
    if not args.log.exists():
        parser.error(f"{args.log} does not exist (the shared/data folder is not next to the repo?)")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    report = measure(args.log, args.repeat)
    print(json.dumps(report, indent=2) if args.json else _table(report))
    if args.min_ratio is not None and report["speed_ratio"] < args.min_ratio:
        print(f"speed ratio {report['speed_ratio']:.1f}x < {args.min_ratio}x", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
