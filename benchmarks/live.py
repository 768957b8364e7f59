"""The live API under load: ingestion throughput, single-event latency, context latency.

Each part starts the real server (``python -m journeylens serve``) on a loopback port and talks
HTTP to it with httpx, as a client would. Measured, on the 2-core machine:

(a) ``ingest``: sustained ingestion with 20 active rules (the demo world's rules plus ten more)
    through HTTP batches of 500 from 4 connections. Floor: 20,000 events/s.
(b) ``single``: single-event POST latency (client-side, request to answer) while a background
    client sends 1,000 events/s in batches of 100. Floor: p99 under 10 ms.
(c) ``context``: ``GET /v1/customers/{id}/context`` latency with 1M customers in the workspace,
    looked up by customer id, e-mail, cookie or device id. Floor: p99 under 20 ms.

Besides wall-clock figures, the server's own CPU time per event is reported (from
``/proc/<pid>/stat``): it says what one event costs even when other work shares the machine,
as it does here. The load average at the time is reported too. Workspaces (a demo world of
100k events; a synthetic world of 1M customers and 4M events) are built once and cached
under ``benchmarks/results/`` (git-ignored).

Run::

    .venv/bin/python benchmarks/live.py                       # all three parts
    .venv/bin/python benchmarks/live.py --parts ingest single --events 100000 --json
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import orjson
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

RESULTS = Path(__file__).resolve().parent / "results"
REPO = Path(__file__).resolve().parents[1]
DEMO_RULES = REPO / "src" / "journeylens" / "demo" / "rules.yaml"
IDENTIFIERS = ("customer_id", "account_id", "email", "phone", "device_id", "cookie_id")

#: Ten more rules over the demo world's activities: with the demo file's ten, 20 rules.
EXTRA_RULES = """
  - name: bench-billing-calls
    description: Two billing calls within 3 days.
    count: {where: {activity: billing_call}, at_least: 2, within: 3d}
    actions: [team-lead-alert]
  - name: bench-fault-repeat
    description: Three fault contacts within 14 days.
    count: {where: {activity: [fault_call, fault_chat, fault_reported]}, at_least: 3, within: 14d}
    actions: [offer-callback]
  - name: bench-cancellation
    description: A cancellation request.
    event: {activity: cancellation_requested}
    actions: [team-lead-alert]
  - name: bench-help-then-call
    description: Billing help viewed, then a billing call within a day.
    sequence:
      steps:
        - {activity: billing_help_viewed}
        - {activity: billing_call}
      within: 1d
    actions: [digital-team-log]
  - name: bench-activation-help
    description: Activation help needed.
    event: {activity: activation_help}
    actions: [offer-callback]
  - name: bench-many-chats
    description: Four chats within a week.
    count: {where: {channel: chat}, at_least: 4, within: 7d}
    actions: [team-lead-alert]
  - name: bench-move-issue
    description: A service issue after a move.
    event: {activity: move_service_issue}
    actions: [offer-callback]
  - name: bench-renewal-call
    description: A renewal call within 2 days of viewing a renewal offer.
    sequence:
      steps:
        - {activity: renewal_offer_viewed}
        - {activity: renewal_call}
      within: 2d
    actions: [digital-team-log]
  - name: bench-store-visit
    description: A store appointment booked.
    event: {activity: store_appointment_booked, channel: store}
    actions: [digital-team-log]
  - name: bench-bill-adjusted
    description: A bill adjusted.
    event: {activity: bill_adjusted}
    actions: [digital-team-log]
"""


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def percentiles(values: list[float]) -> dict[str, float]:
    ms = np.asarray(values) * 1000
    return {
        "n": len(values),
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p95_ms": round(float(np.percentile(ms, 95)), 2),
        "p99_ms": round(float(np.percentile(ms, 99)), 2),
        "max_ms": round(float(ms.max()), 2),
    }


# -- workspaces ------------------------------------------------------------------------------


def demo_workspace() -> Path:
    """A built demo world of 100k events with 20 rules (cached)."""
    import journeylens
    from journeylens.demo import config, generate

    root = RESULTS / "live-ws-demo"
    if not (root / ".complete").exists():
        shutil.rmtree(root, ignore_errors=True)
        world = generate(RESULTS / "live-world-100000", events=100_000, seed=7)
        ws = journeylens.init(root, config={"journeys": config()})
        ws.ingest(RESULTS / "live-world-100000" / "events", source="demo")
        ws.ingest(RESULTS / "live-world-100000" / "feedback", kind="feedback", source="demo")
        ws.build()
        ws.close()
        shutil.copyfile(world.journey_maps_path, root / "journey_maps.yaml")
        (root / ".complete").write_text("built\n")
    head, sep, tail = DEMO_RULES.read_text().partition("\nactions:")
    (root / "rules.yaml").write_text(head.rstrip() + "\n" + EXTRA_RULES + sep + tail)
    return root


def million_workspace(customers: int = 1_000_000) -> Path:
    """A built synthetic world: ``customers`` customers with 4 events each (cached).

    Per customer: a web login (customer id + cookie), an e-mail (customer id + e-mail), a
    billing call with an outcome (customer id), an app session (customer id + device id).
    """
    import journeylens

    root = RESULTS / f"live-ws-{customers}"
    if (root / ".complete").exists():
        return root
    shutil.rmtree(root, ignore_errors=True)
    rng = np.random.default_rng(5)
    n = customers
    ids = np.char.add("C", np.char.zfill(np.arange(n).astype(str), 7))
    start = np.datetime64("2025-01-01T00:00:00", "s")
    base = start + rng.integers(0, 330 * 86400, n).astype("timedelta64[s]")
    steps = [
        ("web", "login", "cookie_id", np.char.add("ck-", ids), None, None),
        (
            "email",
            "bill_sent",
            "email",
            np.char.add(np.char.lower(ids), "@example.com"),
            None,
            None,
        ),
        ("phone", "billing_call", None, None, "billing", rng.choice(["resolved", "unresolved"], n)),
        ("app", "app_opened", "device_id", np.char.add("dv-", ids), None, None),
    ]
    parts = []
    for k, (channel, activity, id_name, id_values, topic, outcome) in enumerate(steps):
        columns: dict[str, Any] = {
            "event_id": np.char.add(f"s{k}-", ids),
            "ts": (base + np.timedelta64(k * 3600 * 20, "s")).astype("datetime64[us]"),
            "customer_id": ids,
            "channel": np.full(n, channel),
            "activity": np.full(n, activity),
            "initiator": np.full(n, "customer"),
        }
        table = pa.table(columns)
        for name in IDENTIFIERS[1:]:
            values = id_values if name == id_name else None
            table = table.append_column(
                name, pa.array(values if values is not None else [None] * n, pa.string())
            )
        table = table.append_column(
            "topic", pa.array([topic] * n if topic else [None] * n, pa.string())
        )
        table = table.append_column(
            "outcome", pa.array(outcome if outcome is not None else [None] * n, pa.string())
        )
        parts.append(table)
    data = RESULTS / f"live-events-{customers}.parquet"
    pq.write_table(pa.concat_tables(parts), data)
    ws = journeylens.init(root)
    ws.ingest(data, source="synthetic")
    ws.build()
    ws.close()
    (root / ".complete").write_text("built\n")
    return root


def fresh_live_state(root: Path) -> str:
    """Forget the live state of earlier runs; return a new API key."""
    from journeylens.realtime.keys import KeyStore

    shutil.rmtree(root / "live", ignore_errors=True)
    _, key = KeyStore.for_workspace(root).create("benchmark")
    return key


# -- the server ------------------------------------------------------------------------------


class Server:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.started_in = 0.0

    def __enter__(self) -> Server:
        command = [
            sys.executable,
            "-m",
            "journeylens",
            "serve",
            "-w",
            str(self.root),
            "--port",
            str(self.port),
            "--log-level",
            "warning",
        ]
        started = time.perf_counter()
        with open(RESULTS / "live-serve.log", "ab") as out:  # the server keeps its own copy
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited; see {RESULTS / 'live-serve.log'}")
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.started_in = time.perf_counter() - started
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def __exit__(self, *exc: object) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(120)
        except subprocess.TimeoutExpired:
            self.process.kill()


# -- payloads --------------------------------------------------------------------------------


def demo_events(count: int, run: str) -> list[dict[str, Any]]:
    """``count`` events of another demo world (new ids), as clients would send them."""
    from journeylens.demo import generate

    world = RESULTS / "live-world-feed"
    if not (world / ".complete").exists():
        shutil.rmtree(world, ignore_errors=True)
        generate(world, events=max(count, 200_000), seed=11)
        (world / ".complete").write_text("generated\n")
    table = ds.dataset(world / "events").head(int(count * 1.05) + 1000)
    rows = []
    for row in table.to_pylist():
        if not any(row.get(name) for name in IDENTIFIERS):
            continue  # the demo's anonymous social mentions: rejected by ingest too
        record = {k: v for k, v in row.items() if v is not None}
        record["event_id"] = f"{run}-{record['event_id']}"
        record["ts"] = record["ts"].isoformat() + "Z"
        if "attributes" in record:
            record["attributes"] = orjson.loads(record["attributes"])
        rows.append(record)
        if len(rows) == count:
            break
    return rows


def batches(rows: list[dict[str, Any]], size: int) -> list[bytes]:
    return [orjson.dumps(rows[i : i + size]) for i in range(0, len(rows), size)]


# -- (a) sustained ingestion -----------------------------------------------------------------


def part_ingest(events: int, connections: int) -> dict[str, Any]:
    root = demo_workspace()
    key = fresh_live_state(root)
    bodies = batches(demo_events(events, f"a{int(time.time())}"), 500)
    headers = {"X-API-Key": key, "Content-Type": "application/json"}
    with Server(root) as server:
        queue = list(range(len(bodies)))
        lock = threading.Lock()
        accepted = [0]
        failures: list[str] = []

        def send() -> None:
            with httpx.Client(base_url=server.url, headers=headers, timeout=120) as http:
                while True:
                    with lock:
                        if not queue:
                            return
                        index = queue.pop()
                    answer = http.post("/v1/events", content=bodies[index])
                    if answer.status_code != 200:
                        failures.append(answer.text[:300])
                        continue
                    with lock:
                        accepted[0] += answer.json()["accepted"]

        load = load_average()
        cpu_before = cpu_seconds(server.pid)
        started = time.perf_counter()
        threads = [threading.Thread(target=send) for _ in range(connections)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
        cpu = cpu_seconds(server.pid) - cpu_before
        status = httpx.get(f"{server.url}/v1/status", headers=headers).json()
        return {
            "part": "ingest",
            "events": accepted[0],
            "batch": 500,
            "connections": connections,
            "rules": 20,
            "seconds": round(seconds, 2),
            "events_per_s": round(accepted[0] / seconds),
            "server_cpu_us_per_event": round(cpu / max(accepted[0], 1) * 1e6, 1),
            "events_per_server_cpu_s": round(accepted[0] / cpu) if cpu else None,
            "moments": status["moments"],
            "process_errors": status["process_errors"],
            "failed_requests": len(failures),
            "server_start_s": round(server.started_in, 1),
            "peak_rss_mb": peak_rss_mb(server.pid),
            "load_average": load,
        }


# -- (b) single-event latency under background load ------------------------------------------


def part_single(probes: int, background_rate: int) -> dict[str, Any]:
    root = demo_workspace()
    key = fresh_live_state(root)
    rows = demo_events(background_rate * 120 + probes, f"b{int(time.time())}")
    background = batches(rows[probes:], 100)
    singles = [orjson.dumps(row) for row in rows[:probes]]
    headers = {"X-API-Key": key, "Content-Type": "application/json"}
    with Server(root) as server:
        stop = threading.Event()
        sent = [0]

        def feed() -> None:
            interval = 100 / background_rate
            with httpx.Client(base_url=server.url, headers=headers, timeout=60) as http:
                due = time.perf_counter()
                for body in background:
                    if stop.is_set():
                        return
                    http.post("/v1/events", content=body)
                    sent[0] += 100
                    due += interval
                    time.sleep(max(0.0, due - time.perf_counter()))

        def probe(count: int) -> list[float]:
            latencies = []
            with httpx.Client(base_url=server.url, headers=headers, timeout=60) as http:
                http.get("/health")
                for body in singles[:count]:
                    time.sleep(random.uniform(0.005, 0.015))
                    started = time.perf_counter()
                    answer = http.post("/v1/events", content=body)
                    latencies.append(time.perf_counter() - started)
                    assert answer.status_code == 200, answer.text
            return latencies

        quiet = probe(min(100, probes // 4))
        singles[:] = singles[min(100, probes // 4) :]
        load = load_average()
        feeder = threading.Thread(target=feed)
        started = time.perf_counter()
        feeder.start()
        time.sleep(1.0)
        loaded = probe(len(singles))
        stop.set()
        feeder.join()
        rate = sent[0] / (time.perf_counter() - started)
        return {
            "part": "single",
            "background_events_per_s": round(rate),
            "with_background": percentiles(loaded),
            "without_background": percentiles(quiet),
            "peak_rss_mb": peak_rss_mb(server.pid),
            "load_average": load,
        }


# -- (c) context latency with 1M customers ---------------------------------------------------


def part_context(customers: int, lookups: int) -> dict[str, Any]:
    started = time.perf_counter()
    root = million_workspace(customers)
    prepared = time.perf_counter() - started
    key = fresh_live_state(root)
    headers = {"X-API-Key": key}
    rng = random.Random(3)
    kinds = [
        lambda c: f"C{c:07d}",
        lambda c: f"c{c:07d}@example.com",
        lambda c: f"cookie_id:ck-C{c:07d}",
        lambda c: f"dv-C{c:07d}",
    ]
    wanted = [rng.choice(kinds)(rng.randrange(customers)) for _ in range(lookups)]
    with Server(root) as server:
        load = load_average()
        latencies = []
        sizes = []
        with httpx.Client(base_url=server.url, headers=headers, timeout=60) as http:
            for identifier in wanted[:50]:  # warm-up
                http.get(f"/v1/customers/{identifier}/context")
            for identifier in wanted:
                began = time.perf_counter()
                answer = http.get(f"/v1/customers/{identifier}/context")
                latencies.append(time.perf_counter() - began)
                assert answer.status_code == 200, answer.text
                sizes.append(len(answer.json()["timeline"]))
        return {
            "part": "context",
            "customers": customers,
            "lookups": lookups,
            **percentiles(latencies),
            "mean_timeline": round(statistics.mean(sizes), 1),
            "server_start_s": round(server.started_in, 1),
            "workspace_ready_s": round(prepared, 1),
            "peak_rss_mb": peak_rss_mb(server.pid),
            "load_average": load,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--parts",
        nargs="+",
        default=["ingest", "single", "context"],
        choices=["ingest", "single", "context"],
    )
    parser.add_argument("--events", type=int, default=200_000, help="events for (a)")
    parser.add_argument("--connections", type=int, default=4, help="client connections (a)")
    parser.add_argument("--probes", type=int, default=600, help="single POSTs for (b)")
    parser.add_argument("--background", type=int, default=1000, help="events/s behind (b)")
    parser.add_argument("--customers", type=int, default=1_000_000, help="customers for (c)")
    parser.add_argument("--lookups", type=int, default=2000, help="context lookups for (c)")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    rows = []
    for part in args.parts:
        if part == "ingest":
            row = part_ingest(args.events, args.connections)
        elif part == "single":
            row = part_single(args.probes, args.background)
        else:
            row = part_context(args.customers, args.lookups)
        rows.append(row)
        if not args.json:
            print(json.dumps(row), flush=True)
    if args.json:
        print(json.dumps(rows, indent=2))
    (RESULTS / "live.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
