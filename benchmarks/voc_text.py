"""Sentiment and themes of real reviews: the Olist sample, end to end through a workspace.

Prepares the Olist files (`journeylens.datasets.olist`), ingests the feedback (and events, so
the reviews link to their orders), then runs ``ws.sentiment()`` and ``ws.themes()`` and prints
the figures the docs quote: the languages found, the text model's held-out accuracy beside the
majority baseline, the number of themes and their labels, and how long each step took.

Run::

    .venv/bin/python benchmarks/voc_text.py [--data ../shared/data/olist_sample]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import journeylens
from journeylens.datasets.olist import prepare

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "olist_sample"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        files = prepare(args.data, root / "olist")
        ws = journeylens.init(root / "ws")
        ws.ingest(files.events_path, source="olist")
        ws.ingest(files.feedback_path, kind="feedback", source="olist")
        ws.build()

        start = time.perf_counter()
        sentiment = ws.sentiment()
        took = time.perf_counter() - start
        summary = sentiment.summary()
        print(f"sentiment of {summary['verbatims']:,} verbatims in {took:.1f} s")
        print(f"  languages {summary['languages']}  methods {summary['methods']}")
        print(f"  labels {summary['labels']}")
        check = sentiment.evaluation
        if check is not None:
            print(
                f"  model: held-out accuracy {check.accuracy:.3f}, macro F1 "
                f"{check.macro_f1:.3f} on {check.test:,} (train {check.train:,}); majority "
                f"baseline ({check.majority}) {check.baseline:.3f}"
            )

        start = time.perf_counter()
        themes = ws.themes()
        took = time.perf_counter() - start
        print(
            f"{themes.k} themes of {themes.verbatims:,} verbatims ({themes.unthemed:,} without "
            f"a theme) in {took:.1f} s"
        )
        for row in themes.table.to_pylist():
            print(
                f"  {row['theme']:>2} {row['label']:<40} {row['volume']:>5} "
                f"avg score {row['avg_score']:.2f}"
            )
        ws.close()


if __name__ == "__main__":
    main()
