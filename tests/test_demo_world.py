"""The demo world: shape, identity rules, the journey definitions, and every planted truth.

Statistical checks run on one 40 thousand event world (a module fixture, well under a second
to generate); their tolerances are several standard errors wide, yet narrow enough that a
generator that lost a planted truth fails them.
"""

from __future__ import annotations

import json
import re
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from journeylens.config import parse_config
from journeylens.demo import TRUTHS, DemoWorld, config, generate, journey_maps
from journeylens.demo.schedule import spike_window
from journeylens.store.schema import EVENTS, FEEDBACK

SIZE = 40_000
IDS = ["customer_id", "account_id", "email", "phone", "device_id", "cookie_id"]
CHANNELS = {"web", "app", "phone", "chat", "email", "store", "social"}
TOPICS = {"moving", "renewal", "fault", "billing", "onboarding"}
ASSISTED = {"phone", "chat", "email", "store", "social"}
FOLLOW_UPS = {"fault_call", "fault_chat", "fault_complaint_posted"}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> DemoWorld:
    return generate(tmp_path_factory.mktemp("demo") / "world", events=SIZE, seed=7)


class Tables:
    """The world's files as pandas frames."""

    def __init__(self, world: DemoWorld) -> None:
        truth = world.truth_dir
        self.events = pq.read_table(world.events_dir).to_pandas()
        self.feedback = pq.read_table(world.feedback_dir).to_pandas()
        self.truth = pq.read_table(truth / "journeys.parquet").to_pandas()
        self.facts = pq.read_table(truth / "journey_facts.parquet").to_pandas()
        self.identities = pq.read_table(truth / "identities.parquet").to_pandas()
        self.feedback_truth = pq.read_table(truth / "feedback.parquet").to_pandas()
        self.joined = self.events.merge(self.truth, on="event_id", validate="one_to_one")
        self.joined["seq"] = np.arange(len(self.joined))
        self.answers = self.feedback.merge(self.feedback_truth, on="feedback_id").merge(
            self.facts.drop(columns=["true_customer"]), on="true_journey", how="left"
        )
        flags = ["success", "truncated", "broken_form", "not_fixed_first_time", "billing_spike"]
        self.answers[flags] = self.answers[flags].astype("boolean").fillna(False).astype(bool)


@pytest.fixture(scope="module")
def t(world: DemoWorld) -> Tables:
    return Tables(world)


def journey_surveys(t: Tables, kind: str) -> pd.DataFrame:
    answers = t.answers
    return answers[(answers.survey == "journey") & (answers.kind == kind)]


def attribute(frame: pd.DataFrame, name: str) -> pd.Series:
    return frame.attributes.map(lambda text: json.loads(text).get(name))


# --- shape ---------------------------------------------------------------------------------


def test_counts_are_near_the_target_and_match_the_files(world: DemoWorld, t: Tables) -> None:
    assert abs(world.events - SIZE) / SIZE < 0.03
    assert world.events == len(t.events) == len(t.truth)
    assert world.feedback == len(t.feedback) == len(t.feedback_truth)
    assert world.journeys == len(t.facts) == t.truth.true_journey.nunique()
    assert world.customers == t.identities.query("id_type == 'customer_id'").shape[0]
    assert world.parts == len(list(world.events_dir.glob("part-*.parquet"))) >= 1


def test_event_and_feedback_columns_follow_the_canonical_schema(world: DemoWorld) -> None:
    events = pq.read_schema(next(world.events_dir.glob("*.parquet")))
    assert events.names == [
        "event_id", "ts", *IDS, "channel", "activity", "initiator", "topic", "outcome",
        "journey_key", "attributes",
    ]  # fmt: skip
    for field in events:
        assert field.type == EVENTS.field(field.name).type, field.name
    assert events.field("ts").type == pa.timestamp("us")
    feedback = pq.read_schema(next(world.feedback_dir.glob("*.parquet")))
    assert feedback.names == [
        "feedback_id", "ts", *IDS, "kind", "score", "scale_min", "scale_max", "text",
        "question", "channel", "event_id", "journey_key", "attributes",
    ]  # fmt: skip
    for field in feedback:
        assert field.type == FEEDBACK.field(field.name).type, field.name


def test_event_values(t: Tables) -> None:
    ev = t.events
    assert ev.event_id.is_unique
    assert ev.journey_key.isna().all()
    assert set(ev.channel) == CHANNELS
    assert set(ev.initiator) == {"customer", "company"}
    assert set(ev.topic.dropna()) == TOPICS
    assert ev.topic.isna().mean() > 0.2  # background noise has no topic
    assert set(ev.outcome.dropna()) <= {"resolved", "unresolved", "failed", "success", "error"}
    assert ev.activity.str.fullmatch(r"[a-z]+(_[a-z]+)*").all()
    assert ev.ts.min() >= pd.Timestamp("2025-01-01") and ev.ts.max() < pd.Timestamp("2026-01-01")
    # background: company newsletters, browsing
    noise = ev[ev.topic.isna()]
    assert {"newsletter_sent", "page_viewed", "login"} <= set(noise.activity)
    assert (noise[noise.activity == "newsletter_sent"].initiator == "company").all()


def test_attributes_carry_segment_and_waits_on_assisted_contacts(t: Tables) -> None:
    ev = t.events
    parsed = ev.attributes.map(json.loads)
    assert set(parsed.map(lambda a: a["segment"])) == {"residential", "business"}
    waited = parsed.map(lambda a: "wait_seconds" in a)
    assisted = ev.channel.isin(["phone", "chat", "store"]) & (ev.initiator == "customer")
    assert (waited == assisted).all()
    assert parsed[waited].map(lambda a: a["wait_seconds"] > 0 and a["agent"][0] == "a").all()
    digital = ev.channel.isin(["web", "app"])
    assert parsed[digital].map(lambda a: "device" in a).all()


def test_feedback_values(t: Tables) -> None:
    fb = t.feedback
    assert fb.feedback_id.is_unique
    assert set(fb.kind) == {"nps", "csat", "ces", "text"}
    scales = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
    for kind, (low, high) in scales.items():
        rows = fb[fb.kind == kind]
        assert (rows.scale_min == low).all() and (rows.scale_max == high).all()
        assert rows.score.between(low, high).all() and rows.score.notna().all()
    text = fb[fb.kind == "text"]
    assert text.score.isna().all() and text.text.notna().all()
    surveys = attribute(fb, "survey")
    assert set(surveys) == {"touchpoint", "journey", "relationship", "page"}
    assert 0.1 < fb.text.isna().mean() < 0.8
    journey_nps = fb[(surveys == "journey") & (fb.kind == "nps")]
    assert attribute(journey_nps, "stated_preferred_channel").notna().all()


def test_touchpoint_surveys_link_to_the_assisted_event_they_survey(t: Tables) -> None:
    tp = t.feedback[attribute(t.feedback, "survey") == "touchpoint"]
    assert (tp.kind == "csat").all()
    surveyed = tp.merge(t.events, on="event_id", suffixes=("", "_event"), validate="one_to_one")
    assert len(surveyed) == len(tp)
    assert (surveyed.channel == surveyed.channel_event).all()
    assert surveyed.channel.isin(["phone", "chat", "store"]).all()
    assert (surveyed.initiator == "customer").all()
    assert (surveyed.ts > surveyed.ts_event).all()
    assert ((surveyed.ts - surveyed.ts_event) < pd.Timedelta(hours=1)).all()


def test_journey_surveys_follow_the_end_of_their_journey(t: Tables) -> None:
    js = t.answers[t.answers.survey == "journey"]
    assert js.true_journey.notna().all()
    delay = js.ts - js.end_ts
    assert (delay > pd.Timedelta(0)).all() and (delay < pd.Timedelta(days=5)).all()
    assert (attribute(js, "topic") == js.journey_type).all()
    both = js.groupby("true_journey").kind.agg(lambda k: tuple(sorted(k)))
    assert (both == ("ces", "nps")).all()


# --- identity --------------------------------------------------------------------------------

#: Identifiers each channel may carry, and those it always carries.
MAY = {
    "web": {"cookie_id", "customer_id"},
    "app": {"device_id", "customer_id"},
    "phone": {"phone", "customer_id"},
    "chat": {"email"},
    "email": {"email", "customer_id"},
    "store": {"customer_id", "account_id"},
    "social": {"email"},
}
MUST = {
    "web": {"cookie_id"},
    "app": {"device_id", "customer_id"},
    "phone": {"phone"},
    "chat": {"email"},
    "email": {"email"},
    "store": {"customer_id", "account_id"},
    "social": set(),
}


def test_each_channel_carries_only_what_it_would_know(t: Tables) -> None:
    ev = t.events
    present = ev[IDS].notna()
    for channel, rows in present.groupby(ev.channel):
        used = {name for name in IDS if rows[name].any()}
        assert used <= MAY[channel], channel
        for name in MUST[channel]:
            assert rows[name].all(), (channel, name)
    web = ev[ev.channel == "web"]
    assert (web.customer_id.notna() == (web.activity == "login")).all()
    email = ev[ev.channel == "email"]
    assert (email.customer_id.notna() == (email.initiator == "company")).all()
    phone = ev[(ev.channel == "phone") & (ev.initiator == "customer")]
    identified = phone.customer_id.notna().mean()
    assert abs(identified - TRUTHS.phone_identified_rate) < 0.04
    social = ev[ev.channel == "social"]
    anonymous = social[IDS].isna().all(axis=1)
    assert (anonymous == (social.activity == "brand_mentioned")).all() and anonymous.any()


def test_no_identifier_is_shared_between_true_customers(t: Tables) -> None:
    ident = t.identities
    assert not ident.duplicated(["id_type", "id_value"]).any()
    assert not ident.id_value.duplicated().any()
    for name in IDS:
        owners = t.joined.dropna(subset=[name]).groupby(name).true_customer.nunique()
        assert (owners == 1).all(), name
    fb = t.feedback.merge(t.feedback_truth, on="feedback_id")
    for name in IDS:
        owners = fb.dropna(subset=[name]).groupby(name).true_customer.nunique()
        assert (owners == 1).all(), name


def test_identity_truth_matches_the_records(t: Tables) -> None:
    ident = t.identities.set_index(["id_type", "id_value"])
    records = pd.concat([t.events[IDS], t.feedback[IDS]])
    for name in IDS:
        values = set(records[name].dropna())
        of_type = ident.loc[name]
        assert set(of_type.index[of_type.seen]) == values, name
        in_events = set(t.events[name].dropna())
        assert set(of_type.index[of_type.seen_in_events]) == in_events, name
        with_customer = set(t.events.loc[t.events.customer_id.notna(), name].dropna())
        assert set(of_type.index[of_type.linked_in_events]) == with_customer, name
        owner = t.joined.dropna(subset=[name]).groupby(name).true_customer.first()
        assert (of_type.loc[owner.index, "true_customer"] == owner).all(), name
    # some identifiers of a customer cannot be linked: stitching recall is below 1 by design
    cookies = ident.loc["cookie_id"]
    assert 0.2 < (cookies.seen & ~cookies.linked).sum() / cookies.seen.sum() < 0.7
    assert (ident.loc["customer_id"].seen.mean()) > 0.97


# --- journeys --------------------------------------------------------------------------------


def cut(events: pd.DataFrame, settings: dict[str, Any]) -> pd.Series:
    """Reference cut by the definition semantics of `journeylens.config.JourneyDefinition`.

    Within one (true) customer and definition: a new journey at the first event, at a start
    activity, after an end activity, or after the timeout.
    """
    definitions = {d.name: d for d in parse_config({"journeys": settings}).journeys.definitions}
    claimed = events[events.topic.isin(list(definitions))].sort_values(
        ["true_customer", "topic", "ts", "seq"]
    )
    start = np.array(
        [
            a in definitions[k].start_activities
            for a, k in zip(claimed.activity, claimed.topic, strict=True)
        ]
    )
    end = np.array(
        [
            a in definitions[k].end_activities
            for a, k in zip(claimed.activity, claimed.topic, strict=True)
        ]
    )
    timeout = np.array([definitions[k].timeout_seconds for k in claimed.topic])
    first = (claimed.true_customer != claimed.true_customer.shift()) | (
        claimed.topic != claimed.topic.shift()
    )
    gap = claimed.ts.diff().dt.total_seconds().to_numpy()
    ended = np.concatenate([[False], end[:-1]])
    new = first.to_numpy() | start | ended | (gap > timeout)
    return pd.Series(np.cumsum(new), index=claimed.index)


def test_config_parses_and_cuts_exactly_the_true_journeys(t: Tables) -> None:
    settings = parse_config({"journeys": config()}).journeys
    assert settings.gap_seconds == 7 * 86_400
    assert [d.name for d in settings.definitions] == [
        "moving", "renewal", "fault", "billing", "onboarding"
    ]  # fmt: skip
    for definition in settings.definitions:
        assert definition.topics == [definition.name]
        assert definition.start_activities and definition.end_activities
        assert definition.success is not None and definition.success.activities
    journeys = cut(t.joined, config())
    truth = t.joined.loc[journeys.index, "true_journey"]
    assert truth.notna().all()
    assert (truth.groupby(journeys).nunique() == 1).all()
    assert (journeys.groupby(truth).nunique() == 1).all()
    assert t.joined[t.joined.topic.isna()].true_journey.isna().all()
    # a wrong timeout splits journeys: the check above can fail
    shorter = config()
    for definition in shorter["definitions"]:
        definition["timeout"] = "1d"
    assert cut(t.joined, shorter).nunique() > journeys.nunique()


def test_journey_maps_are_written_and_use_the_generated_vocabulary(
    world: DemoWorld, t: Tables
) -> None:
    maps = journey_maps()
    assert yaml.safe_load(world.journey_maps_path.read_text()) == maps
    assert yaml.safe_load(world.config_path.read_text()) == {"journeys": config()}
    assert set(maps) == TOPICS
    seen = set(zip(t.events.activity, t.events.channel, strict=True))
    for name, design in maps.items():
        assert re.fullmatch(r"\d+d", design["sla"])
        assert design["success"]["activities"]
        for stage in design["stages"]:
            for step in stage["steps"] + stage.get("alternatives", []):
                assert any((step["activity"], c) in seen for c in step["channels"]), (name, step)


def test_journey_facts_agree_with_the_events(t: Tables) -> None:
    ev = t.joined[t.joined.true_journey.notna()].sort_values(["true_journey", "ts", "seq"])
    grouped = ev.groupby("true_journey")
    facts = t.facts.set_index("true_journey")
    assert (grouped.size() == facts.steps).all()
    switch = (ev.channel != ev.channel.shift()) & (ev.true_journey == ev.true_journey.shift())
    assert (switch.groupby(ev.true_journey).sum() == facts.handoffs).all()
    contacts = (ev.channel.isin(ASSISTED) & (ev.initiator == "customer")).groupby(ev.true_journey)
    assert ((contacts.sum() - 1).clip(lower=0) == facts.repeat_contacts).all()
    waits = attribute(ev, "wait_seconds").fillna(0).groupby(ev.true_journey).sum()
    assert (waits == facts.wait_seconds).all()
    duration = (grouped.ts.max() - grouped.ts.min()).dt.total_seconds()
    assert (duration == facts.duration_seconds).all()


# --- planted truths --------------------------------------------------------------------------


def test_truth_1_broken_moving_form_hands_off_to_the_phone(t: Tables) -> None:
    moving = t.joined[t.joined.journey_type == "moving"].sort_values(["true_journey", "ts"])
    starts = moving[(moving.activity == "move_form_started") & (moving.channel == "web")]
    errors = moving[moving.activity == "move_form_error"]
    assert len(starts) > 150
    share = starts.true_journey.isin(errors.true_journey).mean()
    assert abs(share - TRUTHS.broken_form_rate) < 0.08
    assert errors.true_journey.isin(starts.true_journey).all()
    after = moving.groupby("true_journey").shift(-1).loc[errors.index]
    to_phone = ((after.activity == "move_form_help") & (after.channel == "phone")).mean()
    assert abs(to_phone - TRUTHS.broken_form_call_share) < 0.12
    assert (t.truth.broken_form == t.truth.true_journey.isin(errors.true_journey)).all()
    facts = t.facts[(t.facts.journey_type == "moving") & t.facts.success]
    broken = facts[facts.broken_form]
    web = facts[~facts.broken_form & (facts.variant == "web")]
    assert broken.duration_seconds.median() > web.duration_seconds.median() + 3 * 86_400
    nps = journey_surveys(t, "nps")
    moving_nps = nps[nps.journey_type == "moving"].groupby("broken_form").score.mean()
    assert moving_nps[True] < moving_nps[False] - 1.0
    comments = t.feedback[t.feedback.kind == "text"]
    assert comments.event_id.isin(errors.event_id).all() and len(comments) > 0


def test_truth_2_unfixed_faults_repeat_contacts_and_the_csat_nps_gap(t: Tables) -> None:
    facts = t.facts[(t.facts.journey_type == "fault") & ~t.facts.truncated]
    share = facts.not_fixed_first_time.mean()
    assert abs(share - TRUTHS.fault_not_fixed_rate) < 0.05
    follow = t.joined[t.joined.activity.isin(FOLLOW_UPS)].groupby("true_journey").size()
    repeats = facts.true_journey.map(follow).fillna(0)
    unfixed = facts.not_fixed_first_time.to_numpy()
    assert (repeats[~unfixed] == 0).all()
    assert repeats[unfixed].between(1, 3).all()
    expected = float(np.dot([1, 2, 3], TRUTHS.fault_repeat_weights))
    assert abs(repeats[unfixed].mean() - expected) < 0.15
    answers = t.answers[t.answers.journey_type == "fault"]
    by = answers.groupby(["survey", "kind", "not_fixed_first_time"]).score.mean()
    assert by["touchpoint", "csat", True] > 4.0  # agents stay friendly …
    assert by["journey", "nps", True] < 5.0  # … while the journey disappoints
    assert by["journey", "nps", False] - by["journey", "nps", True] > 2.5
    assert by["journey", "ces", False] - by["journey", "ces", True] > 1.0
    csat_gap = by["touchpoint", "csat", False] - by["touchpoint", "csat", True]
    assert csat_gap < 0.5
    texts = answers[(answers.kind == "nps") & answers.text.notna()]
    mentions = texts.text.str.contains(r"call|contacts|chase", regex=True)
    assert (
        mentions[texts.not_fixed_first_time].mean()
        > mentions[~texts.not_fixed_first_time].mean() + 0.3
    )


def test_truth_3_app_renewals_take_fewest_steps_and_least_effort(t: Tables) -> None:
    renewed = t.facts[(t.facts.journey_type == "renewal") & t.facts.success]
    steps = t.joined[t.joined.journey_type == "renewal"].groupby("true_journey").size()
    by_route = renewed.true_journey.map(steps).groupby(renewed.variant).mean()
    assert set(by_route.index) == {"app", "web", "phone", "store"}
    assert by_route.idxmin() == "app"
    ces = journey_surveys(t, "ces")
    ces = ces[(ces.journey_type == "renewal") & ces.success].groupby("variant").score.mean()
    assert ces.idxmax() == "app"
    assert ces["app"] > ces["phone"] + 0.8


def drivers_from_events(t: Tables) -> pd.DataFrame:
    ev = t.joined[t.joined.true_journey.notna()].sort_values(["true_journey", "ts", "seq"])
    journey = ev.true_journey
    contacts = (ev.channel.isin(ASSISTED) & (ev.initiator == "customer")).groupby(journey).sum()
    switch = (ev.channel != ev.channel.shift()) & (journey == journey.shift())
    grouped = ev.groupby(journey)
    return pd.DataFrame(
        {
            "repeat_contacts": (contacts - 1).clip(lower=0),
            "handoffs": switch.groupby(journey).sum(),
            "wait_seconds": attribute(ev, "wait_seconds").fillna(0).groupby(journey).sum(),
            "duration_seconds": (grouped.ts.max() - grouped.ts.min()).dt.total_seconds(),
        }
    )


def test_truth_4_drivers_of_journey_nps_in_planted_order(t: Tables) -> None:
    nps = journey_surveys(t, "nps").set_index("true_journey").score
    drivers = drivers_from_events(t).loc[nps.index]
    z = (drivers - drivers.mean()) / drivers.std()
    design = np.column_stack([np.ones(len(z)), z.to_numpy(dtype=float)])
    coefficients = np.linalg.lstsq(design, nps.to_numpy(), rcond=None)[0][1:]
    strength = dict(zip(drivers.columns, -coefficients, strict=True))
    order = sorted(strength, key=strength.__getitem__, reverse=True)
    assert order == ["repeat_contacts", "handoffs", "wait_seconds", "duration_seconds"], strength
    assert min(strength.values()) > 0.05
    # the generating formula itself, without noise, is what the facts carry
    from journeylens.demo.truths import nps_expected

    facts = t.facts.set_index("true_journey")
    formula = nps_expected(
        facts.repeat_contacts, facts.handoffs, facts.wait_seconds, facts.duration_seconds
    )
    assert np.allclose(formula, facts.nps_expected)
    residual = nps - facts.nps_expected.loc[nps.index].clip(0, 10)
    assert abs(residual.mean()) < 0.3 and residual.std() < TRUTHS.nps_noise_sd + 0.4


def test_truth_5_billing_spike(t: Tables) -> None:
    billing = t.facts[t.facts.journey_type == "billing"]
    day = (billing.start_ts - pd.Timestamp("2025-01-01")).dt.days
    first, last = spike_window(365)
    inside = day.between(first, last - 1)
    rate_inside = inside.sum() / (last - first)
    rate_outside = (~inside).sum() / (365 - (last - first))
    assert rate_inside > 2.0 * rate_outside
    assert (billing.billing_spike == inside).mean() > 0.97
    contacts = t.joined[(t.joined.journey_type == "billing") & (t.joined.initiator == "customer")]
    contacts = contacts[contacts.channel.isin(["phone", "chat"])]
    reason = attribute(contacts, "reason")
    assert (reason == "double_charge")[contacts.billing_spike].mean() > 0.4
    assert not (reason == "double_charge")[~contacts.billing_spike].any()
    calls = t.events[(t.events.channel == "phone") & (t.events.initiator == "customer")]
    waits = attribute(calls, "wait_seconds")
    in_spike = ((calls.ts - pd.Timestamp("2025-01-01")).dt.days).between(first, last - 1)
    assert waits[in_spike].median() > 1.4 * waits[~in_spike].median()


def test_truth_6_business_customers_wait_less(t: Tables) -> None:
    contacts = t.events[t.events.attributes.str.contains("wait_seconds")]
    waits = attribute(contacts, "wait_seconds")
    segment = attribute(contacts, "segment")
    ratio = waits[segment == "business"].median() / waits[segment == "residential"].median()
    assert abs(ratio - TRUTHS.business_wait_factor) < 0.15


def test_relationship_nps_is_lower_after_bad_journeys(t: Tables) -> None:
    rel = t.answers[t.answers.survey == "relationship"]
    bad = t.facts[t.facts.nps_expected < TRUTHS.bad_journey_nps]
    had_bad = rel.true_customer.isin(bad.true_customer)
    assert rel[~had_bad].score.mean() - rel[had_bad].score.mean() > 0.5


# --- generation ------------------------------------------------------------------------------


def test_same_seed_same_world_other_seed_other_world(tmp_path: Path) -> None:
    a = generate(tmp_path / "a", events=20_000, seed=11)
    b = generate(tmp_path / "b", events=20_000, seed=11)
    c = generate(tmp_path / "c", events=20_000, seed=12)
    files = sorted(p.relative_to(a.out_dir) for p in a.out_dir.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(b.out_dir) for p in b.out_dir.rglob("*") if p.is_file())
    for name in files:
        if name.suffix == ".parquet":
            assert pq.read_table(a.out_dir / name).equals(pq.read_table(b.out_dir / name)), name
        assert (a.out_dir / name).read_bytes() == (b.out_dir / name).read_bytes(), name
    events = Path("events/part-00000.parquet")
    assert not pq.read_table(a.out_dir / events).equals(pq.read_table(c.out_dir / events))


def test_progress_and_stale_parts(tmp_path: Path) -> None:
    calls: list[int] = []
    big = generate(tmp_path, events=60_000, seed=3, progress=calls.append)
    assert calls == sorted(calls) and calls[-1] == big.events and len(calls) > 1
    small = generate(tmp_path, events=5_000, seed=3, days=90, start="2024-06-01")
    assert pq.read_table(small.events_dir).num_rows == small.events
    ts = pq.read_table(small.events_dir).column("ts").to_pandas()
    assert ts.min() >= pd.Timestamp("2024-06-01") and ts.max() < pd.Timestamp("2024-08-30")


def test_rejects_nonsense_sizes(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="events"):
        generate(tmp_path, events=0)
    with pytest.raises(ValueError, match="days"):
        generate(tmp_path, events=100, days=0)


def _peak(path: Path, events: int) -> int:
    generate(path / "warm-up", events=500, seed=5)  # lazy imports and caches are not the point
    tracemalloc.start()
    try:
        generate(path, events=events, seed=5)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_flat(tmp_path: Path) -> None:
    small = _peak(tmp_path / "small", 20_000)
    large = _peak(tmp_path / "large", 200_000)
    assert large < 2 * small, (small, large)
