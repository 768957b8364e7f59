"""`journeylens moments ...`, run for real in a subprocess."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import journeylens
from journeylens.realtime.actions.center import ActionCenter
from journeylens.realtime.actions.holdout import is_held_out
from journeylens.realtime.actions.outbox import OUTBOX_PATH
from journeylens.realtime.actions.settings import parse_actions
from journeylens.realtime.moments import Moment

from .actions_receiver import free_port

BASE = datetime(2025, 3, 1, tzinfo=UTC)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "journeylens", "moments", *args],
        capture_output=True,
        text=True,
        timeout=600,
    )


def run_json(*args: str) -> Any:
    result = run(*args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_moments_commands(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    ws = journeylens.init(root)
    assert "no moments yet" in run("list", "-w", str(root)).stderr
    lines = ["customer_id,ts,channel,activity"]
    moments = []
    for i in range(12):
        t0 = BASE + timedelta(days=i)
        lines.append(f"C{i},{t0.isoformat()},web,payment_failed")
        if i % 2:
            lines.append(f"C{i},{(t0 + timedelta(hours=2)).isoformat()},phone,call")
        rule = "payment-failed" if i < 8 else "other"
        moments.append(Moment.of(rule, f"customer_id:C{i}", t0, (f"e{i}",), actions=("crm",)))
    lines.append(f"Z,{(BASE + timedelta(days=90)).isoformat()},web,login")
    (root / "events.csv").write_text("\n".join(lines) + "\n")
    ws.ingest(root / "events.csv")
    ws.build()
    ws.close()
    settings = parse_actions(
        {
            "settings": {"holdout": 0.5},
            "actions": {
                "crm": {
                    "type": "webhook",
                    "url": f"http://127.0.0.1:{free_port()}/down",
                    "secret_env": "JL_CLI_SECRET",
                    "max_attempts": 1,
                }
            },
        }
    )
    with ActionCenter(root / OUTBOX_PATH, settings, secret_env={"JL_CLI_SECRET": "s"}) as center:
        center.submit(moments)
        center.run_due()
    actioned = [m for m in moments if not is_held_out(m.moment_id, 0.5)]

    listed = run_json("list", "--rule", "payment-failed", "--limit", "100", "-w", str(root))
    assert [m["customer_key"] for m in listed["moments"]] == [
        f"customer_id:C{i}" for i in range(7, -1, -1)
    ]  # newest first
    one = run_json("list", "--customer", "C3", "-w", str(root))["moments"]
    assert [m["customer_key"] for m in one] == ["customer_id:C3"]

    failed = run_json("deliveries", "--status", "failed", "-w", str(root))
    assert sorted(d["moment_id"] for d in failed["deliveries"]) == sorted(
        m.moment_id for m in actioned
    )
    assert all("Connect" in d["last_error"] for d in failed["deliveries"])
    assert failed["counts"]["crm"]["failed"] == len(actioned)
    assert run_json("retry", "-w", str(root)) == {"retried": len(actioned)}
    assert run_json("deliveries", "--status", "failed", "-w", str(root))["deliveries"] == []

    uplift = run_json("uplift", "--horizon", "1d", "-w", str(root))
    rows = {(r["rule"], r["measure"]): r for r in uplift["rules"]}
    recontact = rows[("payment-failed", "recontact")]
    # held out: C0, C1, C2, C4, C5 (C1 and C5 called again); actioned: C3, C6, C7 (C3, C7)
    assert [is_held_out(m.moment_id, 0.5) for m in moments[:8]] == [
        True, True, True, False, True, True, False, False
    ]  # fmt: skip
    assert (recontact["n_holdout"], recontact["holdout"]) == (5, 0.4)
    assert (recontact["n_actioned"], recontact["actioned"]) == (3, 2 / 3)
    out = tmp_path / "uplift.csv"
    result = run("uplift", "--moments", "--csv", str(out), "-w", str(root))
    assert result.returncode == 0, result.stderr
    with out.open() as handle:
        assert len(list(csv.DictReader(handle))) == 12
    bad = run("uplift", "--journey", "later", "-w", str(root))
    assert bad.returncode == 2 and "journey must be 'moment' or 'next'" in bad.stderr
