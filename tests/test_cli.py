"""The command line, run for real in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "journeylens", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def run_json(*args: str, cwd: Path | None = None) -> Any:
    result = run(*args, "--json", cwd=cwd)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


CSV = """CustomerID;E-mail;Cookie;ContactDate;Channel;Reason;Who
C1;;;02/03/2025 10:00;Telephone;fault_report;customer
C1;ann@example.com;;02/03/2025 11:30;E-mail;fault_followup;customer
;;ck-7;03/03/2025 09:00;Internet;status_page;customer
;ann@example.com;ck-7;03/03/2025 09:02;Internet;login;customer
C2;;;31/02/2025 10:00;Desk;visit;customer
"""


def test_tour_from_init_to_customer(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    assert run("init", str(ws)).returncode == 0
    assert (ws / "journeylens.yaml").exists() and (ws / "journeylens.duckdb").exists()
    source = tmp_path / "contacts.csv"
    source.write_text(CSV, encoding="utf-8")
    report = run_json(
        "ingest",
        str(source),
        "-w",
        str(ws),
        "--map",
        "customer_id=CustomerID",
        "--map",
        "email=E-mail",
        "--map",
        "cookie_id=Cookie",
        "--map",
        "ts=ContactDate",
        "--map",
        "channel=Channel",
        "--map",
        "activity=Reason",
        "--map",
        "initiator=Who",
        "--date-format",
        "%d/%m/%Y %H:%M",
        "--timezone",
        "Europe/Amsterdam",
    )
    assert (report["read"], report["accepted"], report["rejected"]) == (5, 4, 1)

    bad = run_json("quarantine", "-w", str(ws))
    assert bad["total"] == 1
    row = bad["rows"][0]
    assert (row["source_line"], row["field"]) == (6, "ts")
    assert "31/02/2025" in row["reason"] and "--date-format" in row["reason"]

    built = run_json("build", "-w", str(ws))
    assert (built["events"], built["customers"]) == (4, 1)

    listed = run_json("journeys", "list", "-w", str(ws))
    assert listed["total"] == 1
    journey = listed["journeys"][0]
    assert journey["customer_key"] == "customer_id:C1"
    assert journey["handoffs"] == 2  # phone -> email -> web
    assert journey["start_ts"].startswith("2025-03-02T09:00")  # 10:00 in Amsterdam = 09:00 UTC

    shown = run_json("journeys", "show", journey["journey_key"], "-w", str(ws))
    assert [s["channel"] for s in shown["steps"]] == ["phone", "email", "web", "web"]

    # Found by a secondary identifier that never appears next to the customer id.
    customer = run_json("customer", "ck-7", "-w", str(ws))
    assert customer["customer_key"] == "customer_id:C1"
    assert {i["id_type"] for i in customer["identifiers"]} == {"customer_id", "email", "cookie_id"}

    html = tmp_path / "summary.html"
    summary = run_json("summary", "-w", str(ws), "--html", str(html))
    assert summary["journeys"] == 1 and summary["quarantined"] == 1
    assert "<svg" in html.read_text()

    edges = run_json("map", "-w", str(ws), "--by", "channel")["edges"]
    assert {(e["source"], e["target"]): e["events"] for e in edges} == {
        ("phone", "email"): 1,
        ("email", "web"): 1,
        ("web", "web"): 1,
    }
    paths = run_json("variants", "-w", str(ws), "--by", "channel", "--collapse-repeats")
    assert paths["variants"][0]["path"] == ["phone", "email", "web"]

    csv_out = tmp_path / "journeys.csv"
    assert run("journeys", "list", "-w", str(ws), "--csv", str(csv_out)).returncode == 0
    assert csv_out.read_text().count("\n") == 2


def test_user_errors_are_clear(tmp_path: Path) -> None:
    missing = run("build", "-w", str(tmp_path / "nowhere"))
    assert missing.returncode == 2
    assert "not a journeylens workspace" in missing.stderr and "journeylens init" in missing.stderr
    ws = tmp_path / "ws"
    run("init", str(ws))
    nothing = run("build", "-w", str(ws))
    assert nothing.returncode == 2 and "ingest" in nothing.stderr
    unknown = run("customer", "nobody", "-w", str(ws))
    assert unknown.returncode == 2
    no_time = tmp_path / "no_time.csv"
    no_time.write_text("customer_id,activity\nC1,call\n")
    lacking = run("ingest", str(no_time), "-w", str(ws))
    assert lacking.returncode == 2
    assert "required field(s) ts" in lacking.stderr and "--map ts=" in lacking.stderr
    assert "customer_id, activity" in lacking.stderr
    odd = tmp_path / "data.xls"
    odd.write_text("x")
    fmt = run("ingest", str(odd), "-w", str(ws))
    assert fmt.returncode == 2 and "unknown file format" in fmt.stderr


def test_help_teaches() -> None:
    top = run("--help")
    assert top.returncode == 0
    for command in ("init", "ingest", "build", "journeys", "customer", "demo"):
        assert command in top.stdout
    ingest = run("ingest", "--help")
    assert "--map" in ingest.stdout and "Examples" in ingest.stdout
