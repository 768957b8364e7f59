"""Feedback linkage and scores on a demo world: how long they take, and how well they link.

Generates a demo world of ``--events`` events (its feedback grows with it), ingests and builds
it (the build links the feedback), then times ``ws.link_feedback()`` and three
``ws.scores(...)`` tables on their own, and reports the share of journey surveys linked to
their true journey (a true journey is the built journey holding most of its events).

Run::

    .venv/bin/python benchmarks/voc_linkage.py --events 500000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

import journeylens
from journeylens.demo import config as demo_config
from journeylens.demo import generate
from journeylens.workspace import Workspace


def true_link_share(ws: Workspace, truth_dir: Path) -> float:
    """Share of journey surveys linked to the built journey of their true journey."""
    feedback_truth = pd.read_parquet(truth_dir / "feedback.parquet")
    event_truth = pd.read_parquet(
        truth_dir / "journeys.parquet", columns=["event_id", "true_journey"]
    )
    steps = ws.backend.to_pandas(
        ws.backend.table("journey_steps").select("event_id", "journey_key")
    )
    mapping = (
        event_truth.merge(steps, on="event_id")
        .groupby("true_journey")["journey_key"]
        .agg(lambda keys: keys.mode().iloc[0])
        .rename("true_key")
    )
    links = ws.feedback_links().to_pandas().merge(feedback_truth, on="feedback_id")
    surveys = links[links.survey == "journey"].merge(
        mapping, left_on="true_journey", right_index=True, how="left"
    )
    return float((surveys.journey_key == surveys.true_key).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description="feedback linkage and scores on a demo world")
    parser.add_argument("--events", type=int, default=500_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ws"
        data = root / "demo-data"
        generate(data, events=args.events, seed=args.seed)
        ws = journeylens.init(root, config={"journeys": demo_config()})
        ws.ingest(data / "events", source="demo")
        ws.ingest(data / "feedback", kind="feedback", source="demo")
        start = time.perf_counter()
        ws.build()
        build_s = time.perf_counter() - start
        start = time.perf_counter()
        report = ws.link_feedback()
        link_s = time.perf_counter() - start
        start = time.perf_counter()
        for kind, by in (("nps", "journey_type"), ("csat", "channel"), ("ces", "period:month")):
            ws.scores(kind, by=by)
        scores_s = time.perf_counter() - start
        share = true_link_share(ws, data / "truth")
        ws.close()
    print(f"events {args.events:,}  feedback {report.total:,}")
    print(
        f"build with linking {build_s:.1f} s; link_feedback {link_s:.2f} s; scores {scores_s:.2f} s"
    )
    print(f"by method {report.by_method}")
    print(f"by scope {report.by_scope}")
    print(f"journey surveys linked to their true journey: {share:.2%}")


if __name__ == "__main__":
    main()
