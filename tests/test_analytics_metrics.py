"""Journey metrics, segments, breakdowns and consistency: exact answers on hand-made logs, the
demo world's planted truths, Spark parity and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import journeylens
from journeylens.analytics.consistency import band
from journeylens.analytics.segments import parse_segment, segment_table
from journeylens.workspace import Workspace

from .conftest import write_text

#: One journey type, ``repair``: starts with a report, ends (and succeeds) when closed.
REPAIR = {
    "definitions": [
        {
            "name": "repair",
            "topics": ["repair"],
            "start_activities": ["report"],
            "end_activities": ["closed"],
            "timeout": "10d",
            "success": {"activities": ["closed"]},
        }
    ]
}

HEADER = "customer_id,ts,channel,activity,initiator,topic,outcome,plan,case:region"

#: J1 (C1): a web error, one call fixes it (first-contact resolution), closed next day.
#: J2 (C2): reported by phone, two more calls (two repeat contacts), closed on day 4.
#: J3 (C3): reported in the app, a complaint posted 8 days later (a long gap), abandoned.
#: J4 (C4): a company reminder, then a report in the app: still open at the end of the data.
LOG = """\
C1,2025-03-03T10:00:00Z,web,report,customer,repair,error,gold,north
C1,2025-03-03T11:00:00Z,phone,call,customer,repair,resolved,gold,north
C1,2025-03-04T10:00:00Z,email,closed,company,repair,resolved,gold,north
C2,2025-03-03T09:00:00Z,phone,report,customer,repair,unresolved,basic,north
C2,2025-03-05T09:00:00Z,phone,call,customer,repair,unresolved,basic,north
C2,2025-03-07T09:00:00Z,phone,call,customer,repair,resolved,basic,north
C2,2025-03-07T12:00:00Z,email,closed,company,repair,resolved,basic,north
C3,2025-03-04T12:00:00Z,app,report,customer,repair,,gold,south
C3,2025-03-12T12:00:00Z,social,complaint_posted,customer,repair,,gold,south
C4,2025-04-01T09:00:00Z,email,reminder,company,repair,,basic,south
C4,2025-04-01T10:00:00Z,app,report,customer,repair,,basic,south
"""

J1, J2, J3, J4 = (f"customer_id:C{i}/repair/1" for i in range(1, 5))


def _repair_ws(root: Path, **options: Any) -> Workspace:
    ws = journeylens.init(root, config={"journeys": REPAIR}, **options)
    report = ws.ingest(write_text(root.parent / f"{root.name}-log.csv", HEADER + "\n" + LOG))
    assert report.accepted == 11
    ws.build()
    return ws


@pytest.fixture
def repair(tmp_path: Path) -> Any:
    ws = _repair_ws(tmp_path / "ws")
    yield ws
    ws.close()


def _by_key(frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
    records: list[dict[str, Any]] = frame.to_dict("records")
    return {r["journey_key"]: r for r in records}


# -- segments --------------------------------------------------------------------------------


def _groups(ws: Workspace, by: str) -> dict[str, list[str]]:
    table = ws.backend.to_pandas(segment_table(ws.backend, by))
    return {k: sorted(v) for k, v in table.groupby("segment")["journey_key"]}


def test_segments_put_each_journey_in_its_group(repair: Workspace) -> None:
    assert _groups(repair, "start_channel") == {
        "web": [J1],
        "phone": [J2],
        "app": [J3],
        "email": [J4],
    }
    # the customer's first step: J4 began with the company's reminder e-mail
    assert _groups(repair, "entry_channel")["app"] == [J3, J4]
    # a journey counts in every channel it used
    assert _groups(repair, "channel") == {
        "web": [J1],
        "phone": [J1, J2],
        "email": [J1, J2, J4],
        "app": [J3, J4],
        "social": [J3],
    }
    assert _groups(repair, "status") == {"completed": [J1, J2], "abandoned": [J3], "open": [J4]}
    assert _groups(repair, "period") == {"2025-03-03": [J1, J2, J3], "2025-03-31": [J4]}
    assert _groups(repair, "period:month") == {"2025-03": [J1, J2, J3], "2025-04": [J4]}
    assert _groups(repair, "attribute:plan") == {"gold": [J1, J3], "basic": [J2, J4]}
    assert _groups(repair, "journey_attribute:region") == {"north": [J1, J2], "south": [J3, J4]}
    assert _groups(repair, "attribute:nothing") == {"(none)": [J1, J2, J3, J4]}


def test_segment_errors_name_the_choices() -> None:
    with pytest.raises(ValueError, match="choose one of: journey_type, status, start_channel"):
        parse_segment("colour")
    with pytest.raises(ValueError, match="attribute:<name>"):
        parse_segment("attribute:a.b")
    with pytest.raises(ValueError, match="period:month"):
        parse_segment("period:day")


# -- journey metrics -------------------------------------------------------------------------


def test_per_journey_metrics_follow_the_documented_formulas(repair: Workspace) -> None:
    rows = _by_key(repair.metrics().journeys.to_pandas())
    one, two, three, four = rows[J1], rows[J2], rows[J3], rows[J4]
    assert [r["failures"] for r in (one, two, three, four)] == [1, 2, 1, 0]
    assert [r["long_gaps"] for r in (one, two, three, four)] == [0, 0, 1, 0]
    assert [r["repeat_contacts"] for r in (one, two, three, four)] == [0, 2, 0, 0]
    assert [r["fcr"] for r in (one, two, three)] == [True, False, False]
    assert pd.isna(four["fcr"])  # no assisted contact
    assert [r["abandoned"] for r in (one, two, three)] == [False, False, True]
    assert pd.isna(four["abandoned"])  # open
    # effort = steps + 2 handoffs + 3 repeats + 1.5 assisted + 0.5 days
    assert one["effort"] == pytest.approx(3 + 2 * 2 + 1.5 + 0.5 * 1)
    assert two["effort"] == pytest.approx(4 + 2 * 1 + 3 * 2 + 1.5 * 3 + 0.5 * 4.125)
    assert three["effort"] == pytest.approx(2 + 2 * 1 + 1.5 + 0.5 * 8)
    assert four["effort"] == pytest.approx(2 + 2 * 1 + 0.5 / 24)
    # friction = 3 failures + 3 repeats + 10 abandoned + 1 long gap
    assert [r["friction"] for r in (one, two, three, four)] == [3.0, 12.0, 14.0, 0.0]
    assert one["effortless"] == pytest.approx(100 * (1 - 9.0 / 40))
    assert [r["painless"] for r in (one, two, three, four)] == pytest.approx([85, 40, 30, 100])
    assert [r["productive"] for r in (one, two, three, four)] == [100.0, 100.0, 0.0, 0.0]


def test_aggregates_per_segment(repair: Workspace) -> None:
    row = repair.metrics(by="journey_type").to_frame().iloc[0]
    assert row["segment"] == "repair" and row["journeys"] == 4
    assert row["median_seconds"] == (86400 + 356400) / 2
    assert row["fcr_rate"] == pytest.approx(1 / 3)  # J1 of J1, J2, J3 (J4 had no contact)
    assert row["success_rate"] == 0.5
    assert row["abandonment_rate"] == pytest.approx(1 / 3)  # J3 of the three not open
    assert row["repeat_contacts"] == 0.5
    assert row["painless"] == pytest.approx((85 + 40 + 30 + 100) / 4)
    by_channel = repair.metrics(by="channel").to_frame().set_index("segment")
    assert by_channel["journeys"].to_dict() == {
        "email": 3,
        "phone": 2,
        "app": 2,
        "social": 1,
        "web": 1,
    }
    assert by_channel.loc["phone", "repeat_contacts"] == 1.0
    trend = repair.metrics(by="attribute:plan", period="month").to_frame()
    assert trend[["segment", "period", "journeys"]].values.tolist() == [
        ["basic", "2025-03", 1],
        ["basic", "2025-04", 1],
        ["gold", "2025-03", 2],
    ]
    bars = repair.metrics().figure()
    assert [t.name for t in bars.data] == ["effortless", "productive", "painless"]
    lines = repair.metrics(by="attribute:plan", period="month").figure("effort")
    assert [t.name for t in lines.data] == ["basic", "gold"]


def test_weights_come_from_the_configuration(tmp_path: Path) -> None:
    ws = journeylens.init(
        tmp_path / "ws",
        config={
            "journeys": REPAIR,
            "metrics": {
                "effort": {
                    "steps": 10,
                    "handoffs": 0,
                    "repeat_contacts": 0,
                    "assisted_contacts": 0,
                    "duration_days": 0,
                    "scale": 100,
                }
            },
        },
    )
    ws.ingest(write_text(tmp_path / "log.csv", HEADER + "\n" + LOG))
    ws.build()
    rows = _by_key(ws.metrics().journeys.to_pandas())
    assert rows[J2]["effort"] == 40.0 and rows[J2]["effortless"] == 60.0
    assert rows[J1]["effortless"] == 70.0
    ws.close()
    with pytest.raises(journeylens.errors.ConfigError, match=r"metrics\.effort\.scale"):
        journeylens.init(tmp_path / "bad", config={"metrics": {"effort": {"scale": 0}}})


def test_query_errors_are_clear(repair: Workspace) -> None:
    with pytest.raises(ValueError, match="period 'day' is not one of week, month"):
        repair.metrics(period="day")
    with pytest.raises(ValueError, match="unknown segment 'colour'"):
        repair.metrics(by="colour")
    with pytest.raises(ValueError, match="unknown breakdown kind 'oops'"):
        repair.breakdowns(kinds=["oops"])
    with pytest.raises(ValueError, match="unknown metric 'wait'"):
        repair.consistency(metric="wait")


# -- breakdowns ------------------------------------------------------------------------------


def test_breakdowns_and_their_recovery(repair: Workspace) -> None:
    result = repair.breakdowns()
    points = result.to_frame()
    assert points[["kind", "label", "breakdowns", "recovered"]].values.tolist() == [
        ["failure", "report", 2, 2],
        ["abandonment", "complaint_posted", 1, 0],
        ["escalation", "call", 1, 1],
        ["failure", "call", 1, 1],
        ["failure", "complaint_posted", 1, 0],
    ]
    report = points.iloc[0]
    # J1 recovered by the call an hour later, J2 by the third call four days later
    assert report["median_seconds_to_recover"] == (3600 + 4 * 86400) / 2
    assert list(report["recovery_channels"]) == ["phone"]
    assert report["top_recovery_share"] == 1.0 and report["success_after_recovery"] == 1.0
    escalation = points.iloc[2]  # J1's call right after the web error: resolved in itself
    assert escalation["median_seconds_to_recover"] == 0.0
    complaint = points.iloc[4]
    assert complaint["recovery_rate"] == 0.0 and complaint["success_without_recovery"] == 0.0
    each = result.breakdowns.to_pandas()
    j2 = each[(each.journey_key == J2) & (each.label == "call")].iloc[0]
    assert (j2["step"], j2["recovery_step"], j2["seconds_to_recover"]) == (2, 3, 2 * 86400)
    assert j2["recovery_activity"] == "call" and j2["status"] == "completed"
    failures = repair.breakdowns(kinds=["failure"], by="activity@channel").to_frame()
    assert set(failures["label"]) == {
        "report@web",
        "report@phone",
        "call@phone",
        "complaint_posted@social",
    }
    figure = result.figure()
    assert [t.name for t in figure.data] == ["recovered", "not recovered"]


# -- consistency -----------------------------------------------------------------------------


def _weekly_log(path: Path) -> Path:
    """Ten weeks of 10 one-event journeys a week, then a week of 30 (2025-01-06 to 03-23)."""
    lines = ["customer_id,ts,channel,activity"]
    start = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
    customer = 0
    for week in range(11):
        for i in range(30 if week == 10 else 10):
            customer += 1
            ts = start + timedelta(days=7 * week + i % 7, minutes=i)
            channel = "web" if i % 2 else "phone"
            lines.append(f"C{customer},{ts:%Y-%m-%dT%H:%M:%SZ},{channel},visit")
    return write_text(path, "\n".join(lines) + "\n")


def test_drift_rule_flags_a_jump_beyond_the_usual_range(ws: Workspace) -> None:
    ws.ingest(_weekly_log(ws.root / "weeks.csv"))
    ws.build()
    result = ws.consistency(metric="journeys", by=None)
    weekly = result.weekly.to_pandas()
    assert len(weekly) == 11 and not weekly["partial"].any()
    assert weekly["journeys"].tolist() == [10] * 10 + [30]
    # judged from week 5 on (min_weeks 4); the last week: 30 > 10 + 3.5 * sqrt(10)
    assert weekly["baseline"].isna().tolist() == [True] * 4 + [False] * 7
    assert weekly[weekly["drift"]]["week"].tolist() == ["2025-03-17"]
    assert weekly["high"].iloc[-1] == pytest.approx(10 + 3.5 * 10**0.5)
    assert result.to_frame()["drift_weeks"].tolist() == [1]
    by_channel = ws.consistency(metric="journeys", by="channel")
    groups = by_channel.to_frame().set_index("segment")
    assert groups["journeys"].to_dict() == {"phone": 65, "web": 65}
    assert by_channel.spread["cv"] == 0.0
    # a mean needs min_volume (20) journeys a week: only the last week qualifies, nothing judged
    steps = ws.consistency(metric="steps", by=None).weekly.to_pandas()
    assert steps["eligible"].tolist() == [False] * 10 + [True] and not steps["drift"].any()
    figure = result.figure()
    assert [t.name for t in figure.data] == ["all", "all: drift"]


def test_band_uses_the_larger_of_mad_and_sampling_noise() -> None:
    # a calm volume series: the Poisson noise sets the width
    assert band([100.0] * 6, [0.0] * 6, 100, k=2, volume=True) == (100.0, 80.0, 120.0)
    # a mean: noise sqrt(variance / n) = sqrt(4 / 16) = 0.5; MAD 1 * 1.4826 is larger
    low, high = band([1.0, 2.0, 3.0], [4.0] * 3, 16, k=1, volume=False)[1:]
    assert (low, high) == pytest.approx((2 - 1.4826, 2 + 1.4826))


def test_partial_weeks_are_not_judged(ws: Workspace) -> None:
    lines = ["customer_id,ts,channel,activity"]
    for day in range(2, 41):  # Thursday 2025-01-02 to Sunday 2025-02-09
        lines.append(
            f"C{day},2025-01-{day:02d}T09:00:00Z,web,visit"
            if day <= 31
            else f"C{day},2025-02-{day - 31:02d}T09:00:00Z,web,visit"
        )
    ws.ingest(write_text(ws.root / "days.csv", "\n".join(lines) + "\n"))
    ws.build()
    weekly = ws.consistency(metric="journeys", by=None).weekly.to_pandas()
    assert weekly["week"].iloc[0] == "2024-12-30" and weekly["partial"].iloc[0]
    assert weekly["partial"].tolist()[1:] == [False] * 5  # the data ends on a Sunday
    assert weekly["journeys"].tolist() == [4, 7, 7, 7, 7, 7]


# -- the demo world's planted truths -----------------------------------------------------------


def test_app_renewals_take_the_least_effort(demo_ws: Workspace) -> None:
    by_channel = demo_ws.metrics(by="channel", journey_type="renewal").to_frame()
    effort = by_channel.set_index("segment")["effort"]
    assert effort.idxmin() == "app"
    # every renewal starts with the offer e-mail: the channel the customer answered on tells
    entry = demo_ws.metrics(by="entry_channel", journey_type="renewal").to_frame()
    acted = entry[entry["segment"] != "(none)"].set_index("segment")
    assert acted["effort"].idxmin() == "app" and acted["effortless"].idxmax() == "app"
    starts = demo_ws.metrics(by="start_channel", journey_type="renewal").to_frame()
    shares = starts.set_index("segment")["journeys"] / starts["journeys"].sum()
    assert shares["email"] > 0.9  # the offer; the rest are journeys split by stitching


def _first_event_truth(ws: Workspace, frame: pd.DataFrame) -> pd.DataFrame:
    truth = pd.read_parquet(ws.root / "demo-data" / "truth" / "journeys.parquet")
    steps = ws.backend.table("journey_steps")
    first = ws.backend.to_pandas(steps.filter(steps.step == 1).select("journey_key", "event_id"))
    return frame.merge(first, on="journey_key").merge(truth, on="event_id")


def test_faults_not_fixed_first_time_show_as_repeats_and_low_fcr(demo_ws: Workspace) -> None:
    per_type = demo_ws.metrics(by="journey_type").to_frame().set_index("segment")
    assert per_type["repeat_contacts"].idxmax() == "fault"
    for other in ("billing", "moving", "onboarding"):
        assert per_type.loc["fault", "fcr_rate"] < per_type.loc[other, "fcr_rate"] - 0.1
    faults = _first_event_truth(demo_ws, demo_ws.metrics(journey_type="fault").journeys.to_pandas())
    contacted = faults[faults["variant"].isin(["phone", "chat"])]  # reported to an agent
    flagged = contacted[contacted["not_fixed_first_time"]]
    fixed = contacted[~contacted["not_fixed_first_time"]]
    assert len(flagged) > 100 and len(fixed) > 300
    assert (flagged["fcr"].dropna() == False).mean() > 0.95  # noqa: E712
    assert (flagged["repeat_contacts"] >= 1).mean() > 0.8
    assert (fixed["fcr"].dropna() == True).mean() > 0.9  # noqa: E712
    assert (fixed["repeat_contacts"] == 0).all()


def test_the_moving_form_error_is_the_top_breakdown_recovered_by_phone(
    demo_ws: Workspace,
) -> None:
    points = demo_ws.breakdowns(journey_type="moving").to_frame()
    top = points.iloc[0]
    assert (top["kind"], top["label"]) == ("failure", "move_form_error")
    assert top["top_recovery_channel"] == "phone" and top["top_recovery_share"] > 0.6
    assert 0.6 < top["recovery_rate"] < 0.95  # some give up: their journeys are abandoned
    abandoned = points[points["kind"] == "abandonment"].iloc[0]
    assert abandoned["label"] == "move_form_error"


def test_the_march_billing_spike_is_flagged_as_drift(demo_ws: Workspace) -> None:
    # the small demo world covers 2025 with ~50 billing journeys a week: enough volume
    result = demo_ws.consistency(metric="journeys", journey_type="billing", by=None)
    flagged = result.drifts()
    weeks = set(flagged["week"])
    assert {"2025-03-03", "2025-03-10", "2025-03-17", "2025-03-24"} <= weeks
    assert all("2025-02-24" <= w <= "2025-03-31" for w in weeks)  # nothing else drifts
    assert set(flagged["direction"]) == {"up"}


# -- Spark and the CLI -----------------------------------------------------------------------


def _frames(ws: Workspace) -> dict[str, pd.DataFrame]:
    metrics = ws.metrics(by="attribute:plan", period="week")
    breakdowns = ws.breakdowns()
    points = breakdowns.to_frame()
    return {
        "segments": metrics.to_frame(),
        "journeys": metrics.journeys.to_pandas().sort_values("journey_key"),
        "regions": ws.metrics(by="journey_attribute:region").to_frame(),
        "channels": ws.metrics(by="channel").to_frame(),
        "points": points.assign(recovery_channels=points["recovery_channels"].map(tuple)),
        "recovery_channels": breakdowns.channels.to_pandas(),
        "breakdowns": breakdowns.breakdowns.to_pandas(),
        "weekly": ws.consistency(metric="effort", by="entry_channel").weekly.to_pandas(),
    }


@pytest.mark.spark
def test_spark_gives_the_same_answers(tmp_path: Path, spark_session: Any) -> None:
    duck = _repair_ws(tmp_path / "duck")
    expected = _frames(duck)
    duck.close()
    spark = _repair_ws(tmp_path / "spark", engine="spark", session=spark_session)
    got = _frames(spark)
    spark.close()
    for name, frame in expected.items():
        other = got[name]
        assert list(other.columns) == list(frame.columns), name
        left = frame.reset_index(drop=True)
        right = other.reset_index(drop=True)
        for column in left.columns:
            a, b = left[column], right[column]
            if pd.api.types.is_datetime64_any_dtype(a):
                a, b = a.astype("datetime64[us]"), pd.to_datetime(b).astype("datetime64[us]")
            elif pd.api.types.is_numeric_dtype(a) or pd.api.types.is_bool_dtype(a):
                a, b = a.astype("float64"), b.astype("float64")
                pd.testing.assert_series_equal(
                    a, b, check_names=False, rtol=1e-9, obj=f"{name}.{column}"
                )
                continue
            else:
                a, b = a.astype("object"), b.astype("object")
            pd.testing.assert_series_equal(a, b, check_names=False, obj=f"{name}.{column}")


def _cli(*args: str) -> Any:
    done = subprocess.run(
        [sys.executable, "-m", "journeylens", *args, "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_cli_metrics_breakdowns_consistency(repair: Workspace) -> None:
    root = str(repair.root)
    repair.close()
    data = _cli("metrics", "--by", "channel", "-w", root)
    assert {r["segment"]: r["journeys"] for r in data["segments"]}["phone"] == 2
    points = _cli("breakdowns", "--kind", "failure", "-w", root)["points"]
    assert points[0]["label"] == "report" and points[0]["recovery_channels"] == ["phone"]
    weekly = _cli("consistency", "--metric", "journeys", "--by", "all", "-w", root)
    assert weekly["groups"][0]["journeys"] == 4
    from typer.testing import CliRunner

    from journeylens.cli.app import app

    bad = CliRunner().invoke(app, ["metrics", "--by", "colour", "-w", root])  # in process: fast
    assert bad.exit_code == 2 and "choose one of" in bad.output
