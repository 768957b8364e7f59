"""The moment engine alone: records per second through `LiveCore`, without HTTP or the log.

The demo world (``--events``, seed 7) is generated, ingested and built once (cached under
``benchmarks/results/rules-engine-<events>``); its records (events by time and input order,
feedback interleaved) are loaded into memory first, then fed to a fresh ``LiveCore`` on the
event clock with identities stitched as the records come (the live path's work: stitching,
journey state, rules, deadlines). Three runs, each the best of ``--repeat`` passes, timed on
CPU and wall clock:

- ``no_rules``: stitching and journey state only;
- ``rules_20``: the demo rules (10) plus 10 variants below, including two without an
  activity/channel filter (evaluated on every event) and one on feedback sentiment;
- ``rules_20_no_sentiment``: the same without the sentiment rule (VADER costs ~1 ms a text).

The rules' own cost per event is ``rules_20`` minus ``no_rules``. The floor (issue 5) is for
the whole live path through HTTP (`benchmarks/live.py`): 20,000 events/s with 20 rules on the
2-core machine; the engine should take a small share of that budget.

Run::

    .venv/bin/python benchmarks/rules_engine.py --events 100000
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import time
from pathlib import Path
from typing import Any

import journeylens
from journeylens.demo import config as demo_config
from journeylens.demo import generate
from journeylens.realtime.core import LiveCore
from journeylens.realtime.records import LiveEvent, LiveFeedback
from journeylens.realtime.rules.loader import check_rules_text, workspace_context
from journeylens.realtime.rules.ruleset import RuleSet
from journeylens.realtime.rules.sources import history

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
DEMO_RULES = REPO / "src" / "journeylens" / "demo" / "rules.yaml"

#: Ten variants: with the demo file's ten, 20 rules.
VARIANTS = """
  - name: v-two-billing-calls
    count: {where: {activity: billing_call}, at_least: 2, within: 3d}
  - name: v-fault-repeat
    count: {where: {activity: [fault_call, fault_chat, fault_reported]}, at_least: 3, within: 14d}
  - name: v-four-chats
    count: {where: {channel: chat}, at_least: 4, within: 7d, group_by: [topic]}
  - name: v-help-then-call
    sequence:
      steps: [{activity: billing_help_viewed}, {activity: billing_call}]
      within: 1d
  - name: v-offer-viewed-then-call
    sequence:
      steps: [{activity: renewal_offer_viewed}, {channel: phone}]
      within: 2d
      same: [topic]
  - name: v-unresolved-anywhere
    event: {outcome: unresolved, assisted: true}
  - name: v-business-contacts
    count: {where: {attributes.segment: business, assisted: true}, at_least: 2, within: 2d}
  - name: v-renewal-over-sla
    overdue: {journey_type: renewal}
  - name: v-quote-not-renewed
    absence:
      after: {activity: renewal_quote_sent}
      expect: {activity: contract_renewed}
      within: 5d
  - name: v-fault-long
    journey: {journey_type: fault, duration: {gt: 3d}, repeat_contacts: {gte: 1}}
"""


def workspace(events: int) -> Path:
    """A built demo world with its maps (cached)."""
    root = RESULTS / f"rules-engine-{events}"
    if (root / "journeylens.duckdb").exists():
        return root
    data = root / "demo-data"
    generate(data, events=events, seed=7)
    ws = journeylens.init(root, config={"journeys": demo_config()})
    ws.ingest(data / "events", source="demo")
    ws.ingest(data / "feedback", kind="feedback", source="demo")
    ws.build()
    ws.close()
    (root / "journey_maps.yaml").write_text((data / "journey_maps.yaml").read_text())
    return root


def rule_sets(ws: Any) -> dict[str, RuleSet]:
    text = DEMO_RULES.read_text()
    head, sep, tail = text.partition("\nactions:")
    full = head.rstrip() + "\n" + VARIANTS + sep + tail
    context = workspace_context(ws.root, ws.config)
    checked = check_rules_text(full, "bench rules", context)
    assert checked.rules is not None, checked.problems
    quiet = check_rules_text(full.replace("sentiment: {lte: -0.5}", "score: {lte: -99}"),
                             "bench rules", context)  # fmt: skip
    assert quiet.rules is not None and len(checked.rules) == 20
    return {"no_rules": RuleSet.empty(), "rules_20": checked.rules,
            "rules_20_no_sentiment": quiet.rules}  # fmt: skip


def once(
    ws: Any, rules: RuleSet, records: list[LiveEvent | LiveFeedback]
) -> tuple[float, float, int]:
    """One pass through a fresh core: CPU seconds, wall seconds, moments."""
    core = LiveCore.from_workspace(ws, rules, clock="event", identity="fresh", history=False)
    moments = 0
    gc.collect()
    gc.freeze()
    cpu, wall = time.process_time(), time.perf_counter()
    for record in records:
        if type(record) is LiveEvent:
            moments += len(core.process(record))
        else:
            moments += len(core.process_feedback(record))  # type: ignore[arg-type]
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    gc.unfreeze()
    return cpu, wall, moments


def run(
    ws: Any, rules: RuleSet, records: list[LiveEvent | LiveFeedback], repeat: int
) -> dict[str, Any]:
    """The best of ``repeat`` passes (the machine is shared: the least disturbed one)."""
    passes = [once(ws, rules, records) for _ in range(repeat)]
    cpu, wall, moments = min(passes)
    return {
        "records": len(records),
        "moments": moments,
        "cpu_s": round(cpu, 3),
        "wall_s": round(wall, 3),
        "records_per_cpu_s": round(len(records) / cpu),
        "us_per_record_cpu": round(cpu / len(records) * 1e6, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="passes per run (best kept)")
    args = parser.parse_args()
    ws = journeylens.open(workspace(args.events))
    records = list(history(ws.backend))
    results: dict[str, Any] = {
        "events": args.events,
        "load_average": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
    }
    for name, rules in rule_sets(ws).items():
        results[name] = run(ws, rules, records, args.repeat)
        print(name, results[name], flush=True)
    base = results["no_rules"]["us_per_record_cpu"]
    for name in ("rules_20", "rules_20_no_sentiment"):
        extra = results[name]["us_per_record_cpu"] - base
        results[name]["rules_us_per_record"] = round(extra, 2)
        results[name]["rules_alone_records_per_s"] = round(1e6 / extra) if extra > 0 else None
    ws.close()
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "rules_engine.json"
    out.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
