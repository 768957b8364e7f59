"""Designed vs actual: journey maps, alignment, conformance (exact answers, PM4Py, demo truths)."""

from __future__ import annotations

import json
import math
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import journeylens
from journeylens.analytics.alignment import MapAutomaton, align
from journeylens.analytics.journey_maps import (
    MAPS_FILE,
    JourneyMap,
    load_journey_maps,
    parse_journey_maps,
)
from journeylens.cli.app import app
from journeylens.demo import TRUTHS, journey_maps
from journeylens.errors import ConfigError
from journeylens.workspace import Workspace

from .conftest import write_text

MAPS = """\
order:
  title: Ordering
  sla: 2d
  success:
    activities: [done]
  stages:
  - name: Request
    steps:
    - {activity: start, channels: [web, app]}
    - {activity: submit, channels: [web, app]}
    alternatives:
    - {activity: request, channels: [phone, store]}
  - name: Confirm
    steps:
    - {activity: confirm, channels: [email]}
  - name: Track
    steps:
    - {activity: track, channels: [web, app], optional: true}
    - {activity: ship, channels: [email]}
  - name: Done
    steps:
    - {activity: done, channels: [email]}
"""

PERFECT = ["start@web", "submit@web", "confirm@email", "ship@email", "done@email"]
#: journey -> its steps (one hour apart unless the journey is "slow": one day apart).
JOURNEYS = {
    "perfect": PERFECT,
    "skipped": ["start@web", "submit@web", "ship@email", "done@email"],
    "offpath": [
        "start@web",
        "error@web",
        "submit@web",
        "confirm@email",
        "ship@email",
        "done@email",
    ],
    "loop": [
        "start@web",
        "submit@web",
        "confirm@email",
        "track@web",
        "track@app",
        "ship@email",
        "done@email",
    ],
    "alternative": ["request@phone", "confirm@email", "ship@email", "done@email"],
    "wrongchannel": ["start@phone", "submit@web", "confirm@email", "ship@email", "done@email"],
    "slow": PERFECT,
}


def _log(journeys: dict[str, list[str]], topic: str = "order") -> str:
    lines = ["case:concept:name,concept:name,time:timestamp,channel,topic"]
    for case, steps in journeys.items():
        gap = 24 if case == "slow" else 1
        start = pd.Timestamp("2025-03-03T08:00:00Z")
        for i, label in enumerate(steps):
            activity, channel = label.split("@")
            ts = (start + pd.Timedelta(hours=gap * i)).strftime("%Y-%m-%dT%H:%M:%SZ")
            lines.append(f"{case},{activity},{ts},{channel},{topic}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def order_ws(ws: Workspace, tmp_path: Path) -> Workspace:
    """The hand-made order journeys (plus one of an unmapped type), maps in the workspace."""
    log = _log(JOURNEYS) + _log({"unmapped": ["start@web"]}, topic="other").split("\n", 1)[1]
    ws.ingest(write_text(tmp_path / "orders.csv", log))
    ws.build()
    write_text(ws.root / MAPS_FILE, MAPS)
    return ws


def _rows(ws: Workspace, **kwargs: Any) -> dict[str, dict[str, Any]]:
    return {r["journey_key"]: r for r in ws.conformance(**kwargs).journeys.to_pylist()}


# --- journey maps -------------------------------------------------------------------------------


def test_demo_world_maps_are_accepted_as_written(demo_ws: Workspace) -> None:
    from_file = load_journey_maps(demo_ws.root / "demo-data" / MAPS_FILE)
    assert list(from_file) == ["moving", "renewal", "fault", "billing", "onboarding"]
    assert dict(from_file.maps) == dict(parse_journey_maps(journey_maps()).maps)
    moving = from_file["moving"]
    assert moving.sla_seconds == 14 * 86400
    assert moving.title == "Moving house" and moving.success is not None
    request = moving.stages[0]
    assert [s.activity for s in request.steps] == ["move_form_started", "move_form_submitted"]
    assert request.alternatives[0].channels == ("phone", "store")
    assert moving.stages[2].steps[0].optional


def test_yaml_errors_name_file_line_and_field(tmp_path: Path) -> None:
    bad = MAPS.replace(
        "    - {activity: ship, channels: [email]}", "    - {activity: ship, chanels: [email]}"
    )
    path = write_text(tmp_path / "maps.yaml", bad)
    line = bad.splitlines().index("    - {activity: ship, chanels: [email]}") + 1
    with pytest.raises(ConfigError) as caught:
        load_journey_maps(path)
    message = str(caught.value)
    assert f"{path}, line {line}" in message
    assert "order.stages.2.steps.1.chanels" in message and "correct its spelling" in message

    sla = write_text(tmp_path / "sla.yaml", MAPS.replace("sla: 2d", "sla: two days"))
    with pytest.raises(ConfigError, match=r"line 3: field 'order.sla'.*not a duration"):
        load_journey_maps(sla)

    broken = write_text(
        tmp_path / "broken.yaml", MAPS.replace("  - name: Confirm", "  - name: [Confirm")
    )
    with pytest.raises(ConfigError, match=r"broken.yaml, line \d+: not valid YAML"):
        load_journey_maps(broken)

    with pytest.raises(ConfigError, match="stage names must be unique"):
        parse_journey_maps(yaml.safe_load(MAPS.replace("name: Confirm", "name: Request")))
    with pytest.raises(ConfigError, match="at least one step or alternative"):
        parse_journey_maps({"order": {"stages": [{"name": "Empty"}]}})
    with pytest.raises(ConfigError, match=r"no journey maps file.*fix: write one"):
        load_journey_maps(tmp_path / "absent.yaml")


# --- exact answers on hand-made journeys ----------------------------------------------------


def test_each_kind_of_deviation_on_hand_made_journeys(order_ws: Workspace) -> None:
    rows = _rows(order_ws)
    assert set(rows) == set(JOURNEYS)  # the unmapped type is left out
    expected = {
        # journey: (cost, worst cost, off_path, skipped, loops, alternatives)
        "perfect": (0, 9, 0, 0, 0, 0),
        "skipped": (1, 8, 0, 1, 0, 0),
        "offpath": (1, 10, 1, 0, 0, 0),
        "loop": (1, 11, 0, 0, 1, 0),
        "alternative": (0, 8, 0, 0, 0, 1),
        "wrongchannel": (2, 9, 1, 1, 0, 0),
        "slow": (0, 9, 0, 0, 0, 0),
    }
    for key, (cost, worst, off, skipped, loops, alternatives) in expected.items():
        row = rows[key]
        got = (row["cost"], row["worst_cost"], row["off_path"], row["skipped"], row["loops"])
        assert got == (cost, worst, off, skipped, loops), key
        assert row["alternatives"] == alternatives, key
        assert row["fitness"] == pytest.approx(1 - cost / worst), key
        assert row["fits"] == (cost == 0), key
    assert rows["perfect"]["fitness"] == 1.0 and rows["alternative"]["fitness"] == 1.0
    assert rows["skipped"]["deviations"] == ["Confirm: skipped confirm@email"]
    assert rows["offpath"]["deviations"] == ["Request: off-path error@web (not in map)"]
    assert rows["loop"]["deviations"] == ["Track: loop track@app"]
    assert rows["wrongchannel"]["deviations"] == [
        "Request: off-path start@phone (wrong channel)",
        "Request: skipped start@web|app",
    ]
    # SLA 2 days: the slow journey takes 4 days, the others hours
    assert rows["slow"]["sla_breach"] and not rows["slow"]["conforming"]
    assert rows["slow"]["duration_seconds"] == 4 * 86400 and rows["slow"]["sla_seconds"] == 172800
    assert [k for k, r in rows.items() if r["conforming"]] == ["alternative", "perfect"]
    assert all(r["succeeded"] for r in rows.values())


def test_hot_spots_stages_handoffs_and_summary(order_ws: Workspace) -> None:
    result = order_ws.conformance(journey_type="order")
    hot = {
        (r["stage"], r["kind"], r["label"], r["reason"]): (r["events"], r["journeys"])
        for r in result.hotspots.to_pylist()
    }
    assert hot == {
        ("Request", "off_path", "error@web", "not_in_map"): (1, 1),
        ("Request", "off_path", "start@phone", "wrong_channel"): (1, 1),
        ("Request", "skipped", "start@web|app", None): (1, 1),
        ("Confirm", "skipped", "confirm@email", None): (1, 1),
        ("Track", "loop", "track@app", None): (1, 1),
    }
    assert result.hotspots.column("share").to_pylist() == [1 / 7] * 5
    stages = {r["stage"]: r for r in result.stages.to_pylist()}
    assert [stages["Request"][k] for k in ("off_path", "skipped", "loop", "alternative")] == [
        2,
        1,
        0,
        1,
    ]
    assert stages["Request"]["deviating"] == 2 and stages["Done"]["deviating"] == 0
    assert stages["Track"]["loop_share"] == pytest.approx(1 / 7)
    handoffs = {
        (r["stage"], r["from_channel"], r["to_channel"]): (r["handoffs"], r["off_path"])
        for r in result.handoffs.to_pylist()
    }
    assert handoffs[("Request", "phone", "web")] == (1, 1)  # the wrong-channel start
    assert handoffs[("Confirm", "phone", "email")] == (1, 0)  # the alternative, as designed
    assert handoffs[("Track", "web", "app")] == (1, 1)  # into the loop
    summary = result.summary.to_pylist()[0]
    fitness = [1, 7 / 8, 9 / 10, 10 / 11, 1, 7 / 9, 1]
    assert summary["journeys"] == 7 and summary["variants"] == 6
    assert summary["fitness"] == pytest.approx(sum(fitness) / 7)
    assert summary["log_fitness"] == pytest.approx(1 - 5 / (9 + 8 + 10 + 11 + 8 + 9 + 9))
    assert summary["fitness_median"] == pytest.approx(10 / 11)
    assert summary["fitting_share"] == pytest.approx(3 / 7)
    assert summary["sla_breach_share"] == pytest.approx(1 / 7)
    assert summary["conforming_share"] == pytest.approx(2 / 7)
    assert summary["success_share"] == 1.0
    bins = {r["low"]: r["journeys"] for r in result.distribution.to_pylist()}
    assert bins[0.9] == 5 and bins[0.8] == 1 and bins[0.7] == 1 and sum(bins.values()) == 7
    figure = result.figure()
    assert [trace.name for trace in figure.data] == ["off-path", "skipped", "loop"]


def test_maps_given_to_the_call_and_clear_errors(order_ws: Workspace, tmp_path: Path) -> None:
    other = write_text(tmp_path / "other.yaml", MAPS.replace("sla: 2d", "sla: 5d"))
    assert not _rows(order_ws, maps=other)["slow"]["sla_breach"]
    assert _rows(order_ws, maps=yaml.safe_load(MAPS))["slow"]["sla_breach"]
    with pytest.raises(ValueError, match=r"no journey map for type 'other'.*maps exist for: order"):
        order_ws.conformance(journey_type="other")
    (order_ws.root / MAPS_FILE).unlink()
    with pytest.raises(ConfigError, match=f"{MAPS_FILE}: no journey maps file"):
        order_ws.conformance()


def test_success_criterion_by_outcome_and_no_sla(ws: Workspace, tmp_path: Path) -> None:
    log = "case:concept:name,concept:name,time:timestamp,channel,topic,outcome\n" + "\n".join(
        [
            "a,ask,2025-01-01T10:00:00Z,chat,help,resolved",
            "b,ask,2025-01-01T10:00:00Z,chat,help,unresolved",
            "b,ask,2025-01-09T10:00:00Z,phone,help,unresolved",
        ]
    )
    ws.ingest(write_text(tmp_path / "help.csv", log + "\n"))
    ws.build()
    maps = {
        "help": {
            "success": {"outcomes": ["resolved"]},
            "stages": [{"name": "Ask", "steps": [{"activity": "ask"}]}],
        }
    }
    rows = _rows(ws, maps=maps)
    assert rows["a"]["succeeded"] and not rows["b"]["succeeded"]
    assert rows["b"]["loops"] == 1 and rows["b"]["fitness"] == pytest.approx(1 - 1 / 3)
    assert rows["a"]["sla_breach"] is None and rows["a"]["conforming"]


# --- alignment against PM4Py (test-only oracle) -------------------------------------------------


def _petri_net(journey_map: JourneyMap) -> tuple[Any, Any, Any]:
    """The map as a Petri net, built here independently of our automaton."""
    from pm4py.objects.petri_net.obj import Marking, PetriNet
    from pm4py.objects.petri_net.utils import petri_utils

    net = PetriNet("map")
    counter = iter(range(10_000))

    def place() -> Any:
        p = PetriNet.Place(f"p{next(counter)}")
        net.places.add(p)
        return p

    def transition(label: str | None, source: Any, target: Any) -> None:
        t = PetriNet.Transition(f"t{next(counter)}", label)
        net.transitions.add(t)
        petri_utils.add_arc_from_to(source, t, net)
        petri_utils.add_arc_from_to(t, target, net)

    start = current = place()
    for stage in journey_map.stages:
        stage_start = current
        for step in stage.steps:
            following = place()
            for channel in step.channels:
                transition(f"{step.activity}@{channel}", current, following)
            if step.optional:
                transition(None, current, following)
            current = following
        for step in stage.alternatives:
            for channel in step.channels:
                transition(f"{step.activity}@{channel}", stage_start, current)
    return net, Marking({start: 1}), Marking({current: 1})


def _pair(label: str) -> tuple[str, str]:
    activity, channel = label.split("@")
    return activity, channel


def _pm4py_log(traces: list[list[str]]) -> pd.DataFrame:
    start = pd.Timestamp("2025-01-01", tz="UTC")
    return pd.DataFrame(
        [
            {
                "case:concept:name": f"c{k:04d}",
                "concept:name": label,
                "time:timestamp": start + pd.Timedelta(minutes=i),
            }
            for k, trace in enumerate(traces)
            for i, label in enumerate(trace)
        ]
    )


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
def test_fitness_equals_pm4py_alignments_on_random_journeys() -> None:
    pm4py = pytest.importorskip("pm4py", reason="pm4py (dev extra) is the oracle")
    journey_map = parse_journey_maps(yaml.safe_load(MAPS))["order"]
    net, initial, final = _petri_net(journey_map)
    alphabet = [
        *PERFECT,
        "start@app",
        "start@phone",
        "track@web",
        "request@store",
        "error@web",
        "confirm@web",
        "done@web",
    ]
    rng = random.Random(11)
    traces = [[rng.choice(alphabet) for _ in range(rng.randint(1, 9))] for _ in range(250)]
    traces += [list(JOURNEYS[k]) for k in JOURNEYS]
    expected = pm4py.conformance_diagnostics_alignments(_pm4py_log(traces), net, initial, final)
    automaton = MapAutomaton.from_map(journey_map)
    for trace, oracle in zip(traces, expected, strict=True):
        ours = align(automaton, [_pair(label) for label in trace])
        assert ours.fitness == pytest.approx(oracle["fitness"], abs=1e-12), trace
        assert ours.cost == oracle["cost"] // 10_000, trace


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
def test_workspace_fitness_equals_pm4py_on_a_sequence_map(ws: Workspace, tmp_path: Path) -> None:
    pm4py = pytest.importorskip("pm4py", reason="pm4py (dev extra) is the oracle")
    designed = ["register", "check", "decide", "notify"]
    traces = {
        "t1": designed,
        "t2": ["register", "decide", "notify"],
        "t3": ["register", "check", "check", "decide", "notify", "notify"],
        "t4": ["check", "register", "decide", "archive"],
        "t5": ["register"],
        "t6": ["archive", "register", "check", "decide", "notify"],
    }
    log = _log({k: [f"{a}@web" for a in v] for k, v in traces.items()}, topic="claim")
    ws.ingest(write_text(tmp_path / "claims.csv", log))
    ws.build()
    result = ws.conformance(
        maps={"claim": {"stages": [{"name": a, "steps": [{"activity": a}]} for a in designed]}}
    )
    frame = _pm4py_log([designed])
    net, initial, final = pm4py.discover_petri_net_inductive(frame)
    oracle_log = _pm4py_log(list(traces.values()))
    per_trace = pm4py.conformance_diagnostics_alignments(oracle_log, net, initial, final)
    ours = {r["journey_key"]: r["fitness"] for r in result.journeys.to_pylist()}
    for key, oracle in zip(traces, per_trace, strict=True):
        assert ours[key] == pytest.approx(oracle["fitness"], abs=1e-12), key
    overall = pm4py.fitness_alignments(oracle_log, net, initial, final)
    summary = result.summary.to_pylist()[0]
    assert summary["fitness"] == pytest.approx(overall["averageFitness"])
    assert summary["log_fitness"] == pytest.approx(overall["log_fitness"])
    assert summary["fitting_share"] * 100 == pytest.approx(overall["percentage_of_fitting_traces"])


# --- the planted truths of the demo world --------------------------------------------------------


def _three_sigma(p: float, n: int) -> float:
    return 3 * math.sqrt(p * (1 - p) / n)


def test_demo_broken_moving_form_is_an_off_path_hot_spot(demo_ws: Workspace) -> None:
    maps = demo_ws.root / "demo-data" / MAPS_FILE
    result = demo_ws.conformance(maps=maps, journey_type="moving")
    form_stage = "Request the move"  # the stage where the form is filled
    assert load_journey_maps(maps)["moving"].stages[0].steps[0].activity == "move_form_started"
    off_path = [r for r in result.hotspots.to_pylist() if r["kind"] == "off_path"]
    assert {(r["label"], r["stage"]) for r in off_path[:2]} == {
        ("move_form_error@web", form_stage),
        ("move_form_help@phone", form_stage),
    }
    frame = result.to_frame()
    steps = demo_ws.backend.to_pandas(demo_ws.backend.table("journey_steps"))
    steps = steps[steps.journey_key.isin(frame.journey_key)].sort_values(["journey_key", "step"])
    label = steps.activity + "@" + steps.channel
    first = label[steps.step == 1].set_axis(steps.journey_key[steps.step == 1])
    frame["first"] = frame.journey_key.map(first)
    frame["error"] = frame.deviations.map(
        lambda found: f"{form_stage}: off-path move_form_error@web (not in map)" in found
    )
    # 40 % of the web movers hit the error (planted), within three standard errors
    web = frame[frame["first"] == "move_form_started@web"]
    p = TRUTHS.broken_form_rate
    assert abs(web.error.mean() - p) < _three_sigma(p, len(web))
    # every help call is off-path; the web -> phone hand-off after the error is visible there
    calls = int((label == "move_form_help@phone").sum())
    spot = next(r for r in off_path if r["label"] == "move_form_help@phone")
    assert spot["events"] == calls > 0
    after_error = int(
        (
            (label.shift() == "move_form_error@web")
            & (label == "move_form_help@phone")
            & (steps.journey_key.shift() == steps.journey_key)
        ).sum()
    )
    handoff = next(
        r
        for r in result.handoffs.to_pylist()
        if (r["stage"], r["from_channel"], r["to_channel"]) == (form_stage, "web", "phone")
    )
    assert handoff["off_path"] == handoff["handoffs"] >= after_error > 0.5 * calls
    # journeys with the error fit worse and breach the 14-day SLA more often
    with_error, without = web[web.error], web[~web.error]
    assert with_error.fitness.mean() < without.fitness.mean() - 0.2
    p1, p2 = with_error.sla_breach.mean(), without.sla_breach.mean()
    se = math.sqrt(p1 * (1 - p1) / len(with_error) + p2 * (1 - p2) / len(without))
    assert p1 - p2 > 3 * se
    stages = {r["stage"]: r for r in result.stages.to_pylist()}
    assert stages[form_stage]["off_path_share"] == max(r["off_path_share"] for r in stages.values())


# --- CLI and Spark ------------------------------------------------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "journeylens", *args], capture_output=True, text=True, timeout=300
    )


def test_cli_conformance(order_ws: Workspace, tmp_path: Path) -> None:
    root = str(order_ws.root)
    order_ws.close()
    done = _cli("conformance", "-w", root, "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["summary"][0]["journeys"] == 7
    assert {r["label"] for r in data["hotspots"]} >= {"error@web", "confirm@email", "track@app"}
    # the other renderings and the errors, in process (a subprocess costs seconds to start)
    runner = CliRunner()
    out = tmp_path / "rows.csv"
    assert runner.invoke(app, ["conformance", "-w", root, "--csv", str(out)]).exit_code == 0
    rows = pd.read_csv(out).set_index("journey_key")
    assert rows.loc["offpath", "deviations"] == "Request: off-path error@web (not in map)"
    shown = runner.invoke(app, ["conformance", "-w", root, "--type", "order"], terminal_width=200)
    assert shown.exit_code == 0 and "deviation hot spots" in shown.stdout
    assert "error@web" in shown.stdout
    text = MAPS.replace("optional: true", "optional: maybe")
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "maybe" in row)
    bad = str(write_text(tmp_path / "bad.yaml", text))
    failed = _cli_errors(runner, "conformance", "-w", root, "--maps", bad)
    assert f"line {line}" in failed and "order.stages.2.steps.0.optional" in failed
    assert "no journey map for type 'nope'" in _cli_errors(
        runner, "conformance", "-w", root, "--type", "nope"
    )


def _cli_errors(runner: CliRunner, *args: str) -> str:
    """Run a command that must fail with exit code 2; return what it printed on stderr."""
    result = runner.invoke(app, list(args))
    assert result.exit_code == 2, result.output
    return " ".join(result.stderr.split())


def test_demo_command_sets_up_conformance(tmp_path: Path) -> None:
    root = str(tmp_path / "demo")
    runner = CliRunner()
    made = runner.invoke(app, ["demo", "-w", root, "--events", "3000", "--json"])
    assert made.exit_code == 0, made.output
    assert (tmp_path / "demo" / MAPS_FILE).read_text() == (
        tmp_path / "demo" / "demo-data" / MAPS_FILE
    ).read_text()
    done = runner.invoke(app, ["conformance", "-w", root, "--json"])
    assert done.exit_code == 0, done.output
    types = [r["journey_type"] for r in json.loads(done.stdout)["summary"]]
    assert "moving" in types and set(types) <= set(journey_maps())


@pytest.mark.spark
def test_same_result_on_spark(tmp_path: Path, spark_session: Any) -> None:
    log = write_text(tmp_path / "orders.csv", _log(JOURNEYS))
    results = []
    for engine, options in (("duckdb", {}), ("spark", {"session": spark_session})):
        with journeylens.init(tmp_path / engine, engine=engine, **options) as ws:
            ws.ingest(log)
            ws.build()
            results.append(ws.conformance(maps=yaml.safe_load(MAPS)))
    duck, spark = results
    left = duck.to_frame().sort_values("journey_key").reset_index(drop=True)
    right = spark.to_frame().sort_values("journey_key").reset_index(drop=True)
    assert list(left.columns) == list(right.columns)
    for column in left.columns:
        assert [_plain(v) for v in left[column]] == [_plain(v) for v in right[column]], column
    for name in ("hotspots", "stages", "handoffs", "summary", "distribution"):
        assert getattr(duck, name).to_pylist() == getattr(spark, name).to_pylist(), name


def _plain(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value
