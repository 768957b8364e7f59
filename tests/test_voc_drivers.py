"""Journey features and key drivers: hand-made data with a known driver, the planted drivers of
the demo world (truth 4), and the features on Spark."""

from __future__ import annotations

import math
import statistics
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from scipy import stats

import journeylens
from journeylens.voc.driver_data import parse_target
from journeylens.voc.drivers import DriversQuery
from journeylens.voc.journey_features import FeaturesQuery, journey_features
from journeylens.workspace import Workspace

from .conftest import write_text

EVENTS_HEADER = (
    "event_id,journey_key,customer_id,ts,channel,activity,initiator,topic,wait,case:churned\n"
)
FEEDBACK_HEADER = "feedback_id,journey_key,event_id,customer_id,ts,kind,score,stated_channel\n"

#: Journey NPS answers: journeys with an ``error`` step cycle through these, the others through
#: ``OK_SCORES`` (so the error journeys score 13/3 on average, the others 8.25).
ERROR_SCORES = (2, 4, 7)
OK_SCORES = (6, 8, 10, 9)
JOURNEYS = 36


def _score(error: bool, k: int) -> int:
    """The answer of the ``k``-th error (or other) journey: each value of the cycle equally
    often, in an order that does not follow the pages, coupons or calls."""
    if error:
        return ERROR_SCORES[(k + k // 3) % 3]
    return OK_SCORES[(3 * k + k // 4) % 4]


def known_driver_files(root: Path) -> tuple[Path, Path]:
    """36 web journeys: start, 0-2 pages, a coupon in every second, an ``error`` in every
    third (independent of pages and coupon), done; one journey NPS each (the error lowers it),
    a phone call with touchpoint CSAT in every fourth journey, a stated channel."""
    root.mkdir(parents=True, exist_ok=True)
    events, feedback = [], []
    n_error = n_ok = 0
    for i in range(JOURNEYS):
        j, c = f"j{i:02d}", f"c{i:02d}"
        error, coupon, pages = i % 3 == 0, i % 2 == 0, (i // 3) % 3
        steps = ["start"] + ["page"] * pages + (["coupon"] if coupon else [])
        steps += (["error"] if error else []) + ["done"]
        churned = "true" if (error and i % 9 != 0) or i % 12 == 1 else "false"
        for n, activity in enumerate(steps):
            wait = str(10 * i) if activity == "done" else ""
            events.append(
                f"{j}-{n},{j},{c},2025-01-{1 + i % 28:02d}T{8 + n:02d}:00:00Z,web,{activity},"
                f"customer,shop,{wait},{churned}"
            )
        if i % 4 == 1:
            events.append(
                f"{j}-call,{j},{c},2025-01-{1 + i % 28:02d}T{8 + len(steps):02d}:00:00Z,phone,"
                f"call,customer,shop,,{churned}"
            )
            feedback.append(f"t{i:02d},,{j}-call,{c},2025-01-{1 + i % 28:02d}T21:00:00Z,csat,5,")
        score = _score(error, n_error if error else n_ok)
        n_error, n_ok = n_error + error, n_ok + (not error)
        stated = "phone" if i % 4 == 1 else "web" if i % 5 else "app"
        feedback.append(
            f"f{i:02d},{j},,{c},2025-01-{1 + i % 28:02d}T22:00:00Z,nps,{score},{stated}"
        )
    return (
        write_text(root / "events.csv", EVENTS_HEADER + "\n".join(events) + "\n"),
        write_text(root / "feedback.csv", FEEDBACK_HEADER + "\n".join(feedback) + "\n"),
    )


def known_driver_ws(root: Path, **options: Any) -> Workspace:
    """A built workspace of `known_driver_files` (engine options pass through)."""
    events, feedback = known_driver_files(root)
    ws = journeylens.init(root / "ws", **options)
    ws.ingest(events)
    ws.ingest(feedback, kind="feedback")
    ws.build()
    return ws


@pytest.fixture(scope="module")
def known(tmp_path_factory: pytest.TempPathFactory) -> Any:
    ws = known_driver_ws(tmp_path_factory.mktemp("known-driver"))
    yield ws
    ws.close()


# -- journey features ------------------------------------------------------------------------


def test_features_of_hand_made_journeys(tmp_path: Path) -> None:
    header = "event_id,journey_key,customer_id,ts,channel,activity,wait_seconds,late,price\n"
    rows = [
        "a1,A,c1,2025-01-01T10:00:00Z,web,order,,,50.5",
        "a2,A,c1,2025-01-01T11:00:00Z,phone,call,120,,",
        "a3,A,c1,2025-01-01T13:00:00Z,phone,call,30,,",
        "a4,A,c1,2025-01-02T10:00:00Z,email,delivered,,true,",
        "b1,B,c2,2025-01-01T10:00:00Z,app,order,,,20",
        "b2,B,c2,2025-01-01T12:30:00Z,email,delivered,,false,",
        "c1,C,c3,2025-01-03T10:00:00Z,web,order,,,",
    ]
    ws = journeylens.init(tmp_path / "ws")
    ws.ingest(write_text(tmp_path / "e.csv", header + "\n".join(rows) + "\n"))
    ws.build()
    result = ws.journey_features(activities=5)
    rows_by_key = {r["journey_key"]: r for r in result.table.to_pylist()}
    a, b, c = rows_by_key["A"], rows_by_key["B"], rows_by_key["C"]
    assert (a["steps"], a["handoffs"], a["channels"]) == (4, 2, 3)
    assert a["duration_hours"] == 24.0 and b["duration_hours"] == 2.5
    # wait_seconds occurs twice in A: a sum and a max; price and late once per journey
    assert (a["wait_seconds_sum"], a["wait_seconds_max"]) == (150.0, 120.0)
    assert (b["wait_seconds_sum"], b["wait_seconds_max"]) == (0.0, None)
    assert (a["price"], b["price"], c["price"]) == (50.5, 20.0, None)
    assert (a["late"], b["late"], c["late"]) == (1.0, 0.0, None)
    assert (a["channel_phone"], b["channel_phone"], b["channel_app"]) == (1, 0, 1)
    assert (a["start_web"], b["start_app"], c["start_web"]) == (1, 1, 1)
    assert (a["activity_call"], b["activity_delivered"], c["activity_delivered"]) == (1, 1, 0)
    catalogue = result.catalogue().set_index("name")
    assert catalogue.loc["late", "kind"] == "flag"
    assert catalogue.loc["start_web", "group"] == "start"
    assert catalogue.loc["wait_seconds_max", "missing"] == 2
    ws.close()


# -- known driver ----------------------------------------------------------------------------


def test_known_driver_ranks_first_with_exact_with_without(known: Workspace) -> None:
    result = known.drivers("nps", target="score")
    top = result.top(1)[0]
    assert top["feature"] == "activity_error" and top["direction"] == "worse"
    assert top["coefficient"] == pytest.approx(13 / 3 - 8.25, abs=0.3) and top["significant"]
    with_error = [ERROR_SCORES[k % 3] for k in range(12)]
    without = [OK_SCORES[k % 4] for k in range(24)]
    assert top["n_with"] == 12 and top["n_without"] == 24
    assert top["mean_with"] == pytest.approx(13 / 3)
    assert top["mean_without"] == pytest.approx(8.25)
    se = math.sqrt(statistics.variance(with_error) / 12 + statistics.variance(without) / 24)
    assert top["diff_ci_low"] == pytest.approx(13 / 3 - 8.25 - 1.959964 * se, abs=1e-5)
    assert top["lift"] is None  # a score: no lift
    # the error journeys with the lowest answers are the examples
    assert len(top["examples"]) == 3
    assert all(int(k[1:]) % 3 == 0 for k in top["examples"])
    others = {r["feature"]: r for r in result.drivers.to_pylist()}
    assert not others["activity_coupon"]["significant"]
    assert result.model["journeys"] == JOURNEYS and result.model["model"] == "linear"
    dropped = {r["feature"]: r["reason"] for r in result.dropped.to_pylist()}
    assert dropped["repeat_contacts"] == "constant"
    assert dropped["channels"] == "a combination of the features before it"
    assert dropped["activity_call"].startswith("rare: 9 journeys with")


def known_scores() -> dict[str, float]:
    """The journey NPS answer of each journey of `known_driver_files`."""
    scores, n_error, n_ok = {}, 0, 0
    for i in range(JOURNEYS):
        error = i % 3 == 0
        scores[f"j{i:02d}"] = float(_score(error, n_error if error else n_ok))
        n_error, n_ok = n_error + error, n_ok + (not error)
    return scores


def test_coefficients_and_intervals_match_least_squares(known: Workspace) -> None:
    result = known.drivers("nps", target="score", level=0.9)
    rows = result.drivers.to_pylist()
    names = [r["feature"] for r in rows]
    table = known.journey_features().to_frame().set_index("journey_key")
    x = table[names].astype(float).to_numpy()
    y = table.index.map(known_scores()).to_numpy(dtype=float)
    design = np.column_stack([np.ones(len(y)), x])
    beta, *_ = np.linalg.lstsq(design, y, rcond=None)
    residual = y - design @ beta
    df = len(y) - design.shape[1]
    cov = residual @ residual / df * np.linalg.inv(design.T @ design)
    half = stats.t.ppf(0.95, df) * np.sqrt(np.diag(cov))
    for j, row in enumerate(rows, start=1):
        assert row["coefficient"] == pytest.approx(beta[j], abs=1e-8)
        assert row["coef_ci_low"] == pytest.approx(beta[j] - half[j], abs=1e-8)
        assert row["effect"] == pytest.approx(beta[j] * x[:, j - 1].std(ddof=1), abs=1e-8)
    assert result.model["r2"] == pytest.approx(
        1 - residual @ residual / ((y - y.mean()) ** 2).sum()
    )


def test_known_driver_of_detractors_and_churn(known: Workspace) -> None:
    detractors = known.drivers("nps", target="detractor")
    top = detractors.top(1)[0]
    assert top["feature"] == "activity_error" and detractors.model["model"] == "logistic"
    # detractors (0-6): 8 of 12 error journeys (2 and 4), 6 of 24 others (the 6s)
    assert (top["mean_with"], top["mean_without"]) == (pytest.approx(8 / 12), 0.25)
    assert top["lift"] == pytest.approx((8 / 12) / 0.25)
    assert top["odds_ratio"] > 1
    churn = known.drivers("journey", target="journey_attribute:churned")
    top = churn.top(1)[0]
    assert top["feature"] == "activity_error" and top["direction"] == "worse"
    # churned: error journeys except i = 0, 9, 18, 27 -> 8 of 12; others: i = 1, 13, 25 -> 3/24
    assert (top["mean_with"], top["mean_without"]) == (pytest.approx(8 / 12), 0.125)


def test_themes_of_the_feedback_become_features(tmp_path: Path) -> None:
    ws = known_driver_ws(tmp_path)
    themes = pa.table(
        {
            "feedback_id": [f"f{i:02d}" for i in range(JOURNEYS)],
            "theme": [0 if i % 3 == 0 else 1 if i % 2 else -1 for i in range(JOURNEYS)],
            "theme_label": ["broken checkout" if i % 3 == 0 else "fast" for i in range(JOURNEYS)],
            "weight": [0.9] * JOURNEYS,
        }
    )
    ws.backend.append("feedback_themes", themes)
    features = ws.journey_features()
    labels = {f.name: f.label for f in features.features if f.source == "theme"}
    assert labels == {"theme_0": "theme: broken checkout", "theme_1": "theme: fast"}
    rows = {r["journey_key"]: r for r in features.table.to_pylist()}
    assert (rows["j03"]["theme_0"], rows["j01"]["theme_1"], rows["j02"]["theme_1"]) == (1, 1, 0)
    # the theme says what the error step does: it comes first and the flag adds nothing
    result = ws.drivers("nps")
    assert result.top(1)[0]["feature"] == "theme_0"
    dropped = {r["feature"]: r["reason"] for r in result.dropped.to_pylist()}
    assert dropped["activity_error"] == "a combination of the features before it"
    ws.close()


def test_bad_queries_say_what_to_do(known: Workspace) -> None:
    with pytest.raises(ValueError, match="for csat use low:<score>"):
        DriversQuery(kind="csat", target="detractor")
    with pytest.raises(ValueError, match="failure, abandoned or journey_attribute"):
        parse_target("score", "journey")
    with pytest.raises(ValueError, match="no features left"):
        known.drivers("nps", include=["nothing_*"])
    with pytest.raises(ValueError, match="aggregates"):
        FeaturesQuery(aggregates=("median",))


def test_forest_plot_shows_effects_with_intervals(known: Workspace) -> None:
    figure = known.drivers("nps").figure(top=3)
    worse = next(t for t in figure.data if t.name == "makes it worse")
    assert "activity: error" in list(worse.y)
    assert worse.error_x.array is not None


# -- the demo world: truth 4 -----------------------------------------------------------------

PLANTED = ["repeat_contacts", "handoffs", "wait_seconds_sum", "duration_hours"]


def test_demo_journey_nps_drivers_in_planted_order(demo_ws: Workspace) -> None:
    result = demo_ws.drivers("nps", target="score", maps=False)
    rows = result.drivers.to_pylist()
    assert [r["feature"] for r in rows[:4]] == PLANTED
    assert all(r["direction"] == "worse" and r["significant"] for r in rows[:4])
    effects = [-r["effect"] for r in rows[:4]]
    # planted standardised effects about 1.1, 0.6, 0.38, 0.19 (demo.truths)
    for effect, planted in zip(effects, (1.1, 0.6, 0.38, 0.19), strict=True):
        assert effect == pytest.approx(planted, rel=0.35)
    assert result.model["r2"] > 0.6


def test_demo_detractor_drivers_in_planted_order(demo_ws: Workspace) -> None:
    result = demo_ws.drivers("nps", target="detractor", maps=False)
    assert [r["feature"] for r in result.top(4)] == PLANTED
    assert result.top(1)[0]["lift"] > 3


def test_demo_conformance_features_flag_the_broken_form(demo_ws: Workspace) -> None:
    maps = demo_ws.root / "demo-data" / "journey_maps.yaml"
    result = demo_ws.journey_features(journey_type="moving", maps=maps)
    labels = {f.name: f.label for f in result.features if f.source == "deviation"}
    broken = next(n for n, label in labels.items() if "move_form_error@web" in label)
    frame = result.to_frame()
    truth = pq.read_table(demo_ws.root / "demo-data" / "truth" / "journeys.parquet")
    errors = set(truth.filter(pc.field("broken_form")).column("event_id").to_pylist())
    steps = demo_ws.backend.to_pandas(demo_ws.backend.table("journey_steps"))
    planted = set(steps.loc[steps["event_id"].isin(errors), "journey_key"])
    flagged = set(frame.loc[frame[broken] == 1, "journey_key"])
    assert flagged and flagged <= planted
    assert (frame["off_path"] >= frame[broken]).all() and frame["fitness"].between(0, 1).all()
    assert len(result.figure().data) == 1


# -- Spark -----------------------------------------------------------------------------------


@pytest.mark.spark
def test_journey_features_identical_on_spark(tmp_path: Path, spark_session: Any) -> None:
    query = FeaturesQuery(activities=5, event_attributes=("wait",), journey_attributes=())
    frames = []
    for engine, options in (("duckdb", {}), ("spark", {"session": spark_session})):
        ws = known_driver_ws(tmp_path / engine, engine=engine, **options)
        frames.append(journey_features(ws.backend, query).to_frame())
        ws.close()
    duck, spark = (f.sort_values("journey_key").reset_index(drop=True) for f in frames)
    assert list(duck.columns) == list(spark.columns)
    features = [c for c in duck.columns if c not in ("start_ts", "customer_key")]
    pd.testing.assert_frame_equal(
        duck[features].astype("float64", errors="ignore"),
        spark[features].astype("float64", errors="ignore"),
        check_dtype=False,
    )
