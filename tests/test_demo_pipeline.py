"""`make demo`'s pipeline end to end on a small world, checked against the world's truth."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import journeylens


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    root = tmp_path_factory.mktemp("demo") / "ws"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "journeylens",
            "demo",
            "-w",
            str(root),
            "--events",
            "20000",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    return root, json.loads(result.stdout)


def test_demo_prints_a_summary_and_writes_the_page(demo: tuple[Path, dict[str, object]]) -> None:
    root, output = demo
    summary = output["summary"]
    assert isinstance(summary, dict)
    events = output["ingest"]["events"]  # type: ignore[index]
    assert events["read"] == events["accepted"] + events["rejected"] + events["duplicates"]
    assert summary["events"] == events["accepted"] > 19_000
    types = {row["journey_type"] for row in summary["journeys_by_type"]}
    assert {"moving", "renewal", "fault", "billing", "onboarding"} <= types
    page = (root / "summary.html").read_text()
    assert "<svg" in page and f"{summary['journeys']:,}" in page


def test_stitching_never_merges_two_true_customers(demo: tuple[Path, dict[str, object]]) -> None:
    root, _ = demo
    truth = pq.read_table(root / "demo-data" / "truth" / "identities.parquet").to_pandas()
    with journeylens.open(root) as ws:
        identity = ws.backend.to_pandas(ws.backend.table("identity"))
    joined = identity.merge(truth, on=["id_type", "id_value"], how="left")
    assert joined["true_customer"].notna().all()
    assert (joined.groupby("customer_key")["true_customer"].nunique() == 1).all()
    # The identifiers that the world linked to their customer in its events share one key.
    linked = joined[joined["linked_in_events"].astype(bool)]
    assert len(linked) > 1000
    assert (linked.groupby("true_customer")["customer_key"].nunique() == 1).all()


def test_definition_journeys_match_the_true_journeys(demo: tuple[Path, dict[str, object]]) -> None:
    root, _ = demo
    truth = pq.read_table(root / "demo-data" / "truth" / "journeys.parquet").to_pandas()
    with journeylens.open(root) as ws:
        steps = ws.backend.to_pandas(ws.backend.table("journey_steps"))
    merged = steps.merge(truth, on="event_id")
    typed = merged[merged["cut"] == "definition"]
    # Each built journey holds the events of one true journey.
    purity = typed.groupby("journey_key")["true_journey"].nunique()
    assert (purity == 1).mean() > 0.97
    assert (typed["definition"] == typed["journey_type"]).all()
    # The broken moving form shows as web -> phone hand-offs within moving journeys.
    moving = typed[typed["definition"] == "moving"].sort_values(["journey_key", "step"])
    moving = moving.assign(previous=moving.groupby("journey_key")["channel"].shift())
    switches = moving[moving["handoff"]]
    web_to_phone = switches[(switches["previous"] == "web") & (switches["channel"] == "phone")]
    broken = web_to_phone["broken_form"].mean()
    assert broken > 0.6, f"web->phone hand-offs in moving journeys from the broken form: {broken}"
