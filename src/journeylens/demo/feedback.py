"""Survey answers and comments of the demo world.

Four sources, each answering at the planted rates of `journeylens.demo.truths`:

- **touchpoint** CSAT (1-5) shortly after some assisted calls, chats and store visits, linked
  to the event by ``event_id``; friendly agents keep it high (truth 2);
- **journey** surveys a day or three after a journey ends: CES (1-7) and NPS (0-10, with a
  verbatim most of the time), from the journey's measures (truth 4);
- **relationship** NPS in quarterly waves, lower after recent bad journeys;
- **page** comments (kind ``text``) left on the broken moving form (truth 1), linked to the
  error event.

Journey and relationship surveys are e-mailed, so they carry the customer id and e-mail;
touchpoint answers carry what the surveyed event carried; page comments only the cookie.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from journeylens.demo.events import STEP_TABLE, EventChunk, pieces, timestamps
from journeylens.demo.identities import (
    Carried,
    Customers,
    Offsets,
    carried_by_customer,
    numbered,
)
from journeylens.demo.paths import BROKEN_FORM, TYPES
from journeylens.demo.paths.moving import FORM_ERROR
from journeylens.demo.steps import CHANNELS, EMAIL, STEPS, WEB
from journeylens.demo.truths import TRUTHS, csat_expected, on_scale
from journeylens.demo.verbatims import (
    Experience,
    journey_verbatim,
    page_verbatim,
    relationship_verbatim,
    touchpoint_verbatim,
)
from journeylens.demo.walk import DAY, HOUR
from journeylens.store.schema import DEFAULT_SCALES, FEEDBACK, SOURCE_FEEDBACK_FIELDS

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]

FEEDBACK_COLUMNS: tuple[str, ...] = SOURCE_FEEDBACK_FIELDS
FEEDBACK_SCHEMA = pa.schema([FEEDBACK.field(name) for name in FEEDBACK_COLUMNS])
FEEDBACK_TRUTH_SCHEMA = pa.schema(
    [
        pa.field("feedback_id", pa.string(), nullable=False),
        pa.field("true_customer", pa.string(), nullable=False),
        pa.field("true_journey", pa.string()),
        pa.field("survey", pa.string(), nullable=False),
    ]
)

TOUCHPOINT_RATE = 0.25
TOUCHPOINT_TEXT_RATE = 0.3
JOURNEY_SURVEY_RATE = 0.3
JOURNEY_SURVEY_RATE_UNSUCCESSFUL = 0.15
JOURNEY_TEXT_RATE = 0.65
FIRST_WAVE_DAY = 45
WAVE_DAYS = 91
RELATIONSHIP_SAMPLE = 0.15
RELATIONSHIP_TEXT_RATE = 0.7
PREFERENCE_ANSWER_NOISE = 0.1
BAD_JOURNEY_MEMORY_DAYS = 180

QUESTIONS = {
    "touchpoint": "How satisfied were you with your {contact} today?",
    "nps": "How likely are you to recommend us to a friend or colleague?",
    "journey_nps": "Thinking of your recent experience, how likely are you to recommend us to "
    "a friend or colleague?",
    "page": "Was this page helpful? Tell us what went wrong.",
}
CONTACT_NAMES = {"phone": "call", "chat": "chat", "store": "visit to our store"}
PREFERRED = ("app", "web", "phone", "chat", "store", "email")

_STEPS = STEP_TABLE
_UNRESOLVED = np.array([s.outcome == "unresolved" for s in STEPS[: len(_STEPS.activity)]])


@dataclass(frozen=True)
class Part:
    """Feedback records of one source, before sorting and numbering."""

    times: Ints
    carried: Carried
    kind: str
    score: Floats
    text: list[str | None]
    question: list[str]
    channel: Ints
    event: Ints
    journey: Ints
    survey: str
    attributes: list[str]


def _attributes(**values: object) -> str:
    """A JSON object of plain values (names, channels, numbers: nothing to escape)."""
    items = (f'"{k}": {v}' if isinstance(v, int) else f'"{k}": "{v}"' for k, v in values.items())
    return "{" + ", ".join(items) + "}"


def _preferred(rng: np.random.Generator, people: Customers, customer: Ints) -> list[str]:
    noisy = rng.random(len(customer)) < PREFERENCE_ANSWER_NOISE
    other = rng.integers(0, len(PREFERRED), len(customer))
    return [
        PREFERRED[o] if flip else people.pref[c]
        for c, flip, o in zip(customer.tolist(), noisy.tolist(), other.tolist(), strict=True)
    ]


def _segment(people: Customers, customer: Ints) -> list[str]:
    return ["business" if b else "residential" for b in people.business[customer].tolist()]


def _subset(carried: Carried, positions: Ints) -> Carried:
    return Carried(
        *(
            getattr(carried, name)[positions]
            for name in ("customer", "account", "email", "phone", "device", "cookie")
        )
    )


def touchpoint(
    rng: np.random.Generator, r: random.Random, ev: EventChunk, people: Customers
) -> Part:
    """CSAT after some assisted contacts (truth 2)."""
    candidates = np.flatnonzero(_STEPS.waits[ev.steps] & (ev.journey >= 0))
    chosen = candidates[rng.random(len(candidates)) < TOUCHPOINT_RATE]
    unresolved = _UNRESOLVED[ev.steps[chosen]]
    wait = ev.wait[chosen]
    expected = csat_expected(wait, unresolved)
    score = on_scale(expected, rng.normal(0.0, TRUTHS.csat_noise_sd, len(chosen)), 1, 5)
    channel = _STEPS.channel[ev.steps[chosen]].astype(np.int64)
    text: list[str | None] = [
        touchpoint_verbatim(r, s, w // 60, u) if r.random() < TOUCHPOINT_TEXT_RATE else None
        for s, w, u in zip(score.tolist(), wait.tolist(), unresolved.tolist(), strict=True)
    ]
    return Part(
        times=ev.times[chosen] + rng.integers(120, 1800, len(chosen)),
        carried=_subset(ev.carried, chosen),
        kind="csat",
        score=score,
        text=text,
        question=[
            QUESTIONS["touchpoint"].format(contact=CONTACT_NAMES[CHANNELS[c]])
            for c in channel.tolist()
        ],
        channel=channel,
        event=chosen,
        journey=ev.journey[chosen],
        survey="touchpoint",
        attributes=[
            _attributes(survey="touchpoint", segment=s)
            for s in _segment(people, ev.customer[chosen])
        ],
    )


def journey_surveys(
    rng: np.random.Generator, r: random.Random, ev: EventChunk, people: Customers, days: int
) -> list[Part]:
    """CES and NPS (with verbatim) shortly after journeys end (truth 4)."""
    j = ev.journeys
    rate = np.where(j.success, JOURNEY_SURVEY_RATE, JOURNEY_SURVEY_RATE_UNSUCCESSFUL)
    chosen = np.flatnonzero(~j.truncated & (rng.random(len(j.kind)) < rate))
    day = j.last[chosen] // DAY + rng.integers(1, 4, len(chosen))
    times = day * DAY + 10 * HOUR + rng.integers(0, 10 * HOUR, len(chosen))
    inside = times + 60 < days * DAY
    chosen, times = chosen[inside], times[inside]
    nps = on_scale(j.nps[chosen], rng.normal(0.0, TRUTHS.nps_noise_sd, len(chosen)), 0, 10)
    ces = on_scale(j.ces[chosen], rng.normal(0.0, TRUTHS.ces_noise_sd, len(chosen)), 1, 7)
    customer = j.customer[chosen]
    none = np.full(len(chosen), -1, dtype=np.int64)
    email = np.full(len(chosen), EMAIL, dtype=np.int64)
    names = [TYPES[k].name for k in j.kind[chosen].tolist()]
    attributes = [
        _attributes(survey="journey", topic=n, segment=s, stated_preferred_channel=p)
        for n, s, p in zip(
            names, _segment(people, customer), _preferred(rng, people, customer), strict=True
        )
    ]
    text: list[str | None] = []
    duration = j.duration
    for row, position in enumerate(chosen.tolist()):
        if r.random() >= JOURNEY_TEXT_RATE:
            text.append(None)
            continue
        kind = int(j.kind[position])
        flags = int(j.flags[position])
        experience = Experience(
            journey_type=names[row],
            score=float(nps[row]),
            broken_form=bool(flags & BROKEN_FORM),
            repeats=int(j.repeats[position]),
            wait_minutes=int(j.wait[position]) // 60,
            handoffs=int(j.handoffs[position]),
            days=int(duration[position]) // DAY,
            sla_days=TYPES[kind].sla_days,
            success=bool(j.success[position]),
            app=j.variant[position] == "app",
            double_charge=j.reason[position] == "double_charge",
            cancelled=j.variant[position] in ("cancelled", "lapsed"),
        )
        text.append(journey_verbatim(r, experience))
    carried = carried_by_customer(customer)

    def answers(
        kind: str, offset: int, score: Floats, text: list[str | None], q: list[str]
    ) -> Part:
        return Part(
            times=times + offset,
            carried=carried,
            kind=kind,
            score=score,
            text=text,
            question=q,
            channel=email,
            event=none,
            journey=chosen,
            survey="journey",
            attributes=attributes,
        )

    effort = [TYPES[k].ces_question for k in j.kind[chosen].tolist()]
    recommend = [QUESTIONS["journey_nps"]] * len(chosen)
    return [
        answers("ces", 0, ces, [None] * len(chosen), effort),
        answers("nps", 40, nps, text, recommend),
    ]


def relationship(
    rng: np.random.Generator, r: random.Random, ev: EventChunk, people: Customers, days: int
) -> Part:
    """Quarterly relationship NPS, lower after recent bad journeys."""
    customers: list[Ints] = []
    times: list[Ints] = []
    waves: list[Ints] = []
    for wave, wave_day in enumerate(range(FIRST_WAVE_DAY, days, WAVE_DAYS)):
        who = np.flatnonzero(
            (people.join_day < wave_day) & (rng.random(people.n) < RELATIONSHIP_SAMPLE)
        )
        day = wave_day + rng.integers(0, 14, len(who))
        customers.append(who)
        times.append(day * DAY + 9 * HOUR + rng.integers(0, 12 * HOUR, len(who)))
        waves.append(np.full(len(who), wave + 1, dtype=np.int64))
    customer = np.concatenate(customers) if customers else np.zeros(0, dtype=np.int64)
    when = np.concatenate(times) if times else np.zeros(0, dtype=np.int64)
    wave_no = np.concatenate(waves) if waves else np.zeros(0, dtype=np.int64)
    inside = when < days * DAY
    customer, when, wave_no = customer[inside], when[inside], wave_no[inside]

    j = ev.journeys
    bad = np.flatnonzero(j.nps < TRUTHS.bad_journey_nps)
    shift = np.int64(1 << 40)
    keys = j.customer[bad] * shift + j.last[bad]
    order = np.argsort(keys, kind="stable")
    keys, bad_kind = keys[order], j.kind[bad][order]
    query = customer * shift + when
    high = np.searchsorted(keys, query, side="right")
    low = np.searchsorted(keys, query - BAD_JOURNEY_MEMORY_DAYS * DAY, side="right")
    recent = high - low
    expected = (
        TRUTHS.rnps_base
        + TRUTHS.rnps_app_bonus * people.app[customer]
        + people.mood[customer]
        - TRUTHS.rnps_per_bad_journey * np.minimum(recent, 3)
    )
    score = on_scale(expected, rng.normal(0.0, TRUTHS.rnps_noise_sd, len(customer)), 0, 10)
    last_bad = np.where(recent > 0, bad_kind[np.maximum(high - 1, 0)] if len(keys) else -1, -1)
    text: list[str | None] = [
        relationship_verbatim(r, s, TYPES[k].name if k >= 0 else None, a)
        if r.random() < RELATIONSHIP_TEXT_RATE
        else None
        for s, k, a in zip(
            score.tolist(), last_bad.tolist(), people.app[customer].tolist(), strict=True
        )
    ]
    attributes = [
        _attributes(survey="relationship", wave=w, segment=s, stated_preferred_channel=p)
        for w, s, p in zip(
            wave_no.tolist(),
            _segment(people, customer),
            _preferred(rng, people, customer),
            strict=True,
        )
    ]
    none = np.full(len(customer), -1, dtype=np.int64)
    return Part(
        times=when,
        carried=carried_by_customer(customer),
        kind="nps",
        score=score,
        text=text,
        question=[QUESTIONS["nps"]] * len(customer),
        channel=np.full(len(customer), EMAIL, dtype=np.int64),
        event=none,
        journey=none,
        survey="relationship",
        attributes=attributes,
    )


def page_comments(rng: np.random.Generator, r: random.Random, ev: EventChunk) -> Part:
    """Text comments on the broken moving form (truth 1), linked to the error event."""
    errors = np.flatnonzero(ev.steps == FORM_ERROR)
    chosen = errors[rng.random(len(errors)) < TRUTHS.broken_form_feedback_rate]
    return Part(
        times=ev.times[chosen] + rng.integers(20, 300, len(chosen)),
        carried=_subset(ev.carried, chosen),
        kind="text",
        score=np.full(len(chosen), np.nan),
        text=[page_verbatim(r) for _ in range(len(chosen))],
        question=[QUESTIONS["page"]] * len(chosen),
        channel=np.full(len(chosen), WEB, dtype=np.int64),
        event=chosen,
        journey=ev.journey[chosen],
        survey="page",
        attributes=[_attributes(survey="page", page="/moving")] * len(chosen),
    )


@dataclass(frozen=True)
class FeedbackChunk:
    """The feedback table of a chunk, its truth, and what its records carried."""

    table: pa.Table
    truth: pa.Table
    carried: Carried


def build_feedback(
    rng: np.random.Generator,
    ev: EventChunk,
    people: Customers,
    days: int,
    epoch: int,
    offsets: Offsets,
) -> FeedbackChunk:
    """Every feedback record of a chunk, sorted by time and numbered."""
    r = random.Random(int(rng.integers(0, 2**63)))
    parts = [
        touchpoint(rng, r, ev, people),
        *journey_surveys(rng, r, ev, people, days),
        relationship(rng, r, ev, people, days),
        page_comments(rng, r, ev),
    ]
    times = np.concatenate([p.times for p in parts])
    inside = times < days * DAY
    order = np.flatnonzero(inside)[np.argsort(times[inside], kind="stable")]
    positions = pa.array(order)
    n = len(order)

    def column(values: list[list[str | None]]) -> pa.Array:
        return pc.take(pa.array([v for part in values for v in part], pa.string()), positions)

    def numbers(values: list[Floats]) -> pa.Array:
        joined = np.concatenate(values)[order]
        return pa.array(joined, pa.float64(), mask=np.isnan(joined))

    def scale(p: Part, end: int) -> Floats:
        return np.full(len(p.times), DEFAULT_SCALES.get(p.kind, (np.nan, np.nan))[end])

    event = np.concatenate([p.event for p in parts])[order]
    journey = np.concatenate([p.journey for p in parts])[order]
    carried = _subset(Carried.concat([p.carried for p in parts]), order)
    ids = numbered("fb-", offsets.feedback + 1 + np.arange(n), 10)
    offsets.feedback += n
    columns = {
        "feedback_id": ids,
        "ts": timestamps(epoch, times[order]),
        **carried.columns(people),
        "kind": column([[p.kind] * len(p.times) for p in parts]),
        "score": numbers([p.score for p in parts]),
        "scale_min": numbers([scale(p, 0) for p in parts]),
        "scale_max": numbers([scale(p, 1) for p in parts]),
        "text": column([p.text for p in parts]),
        "question": column([list(p.question) for p in parts]),
        "channel": pieces(CHANNELS, np.concatenate([p.channel for p in parts])[order]),
        "event_id": pc.take(ev.table.column("event_id"), pa.array(event, mask=event < 0)),
        "journey_key": pa.nulls(n, pa.string()),
        "attributes": column([list(p.attributes) for p in parts]),
    }
    table = pa.Table.from_arrays([columns[c] for c in FEEDBACK_COLUMNS], schema=FEEDBACK_SCHEMA)
    owner = np.concatenate([_owner(p, ev) for p in parts])[order]
    truth = pa.Table.from_arrays(
        [
            ids,
            pc.take(people.customer_ids(), pa.array(owner)),
            pc.take(ev.journeys.key, pa.array(journey, mask=journey < 0)),
            column([[p.survey] * len(p.times) for p in parts]),
        ],
        schema=FEEDBACK_TRUTH_SCHEMA,
    )
    return FeedbackChunk(table=table, truth=truth, carried=carried)


def _owner(part: Part, ev: EventChunk) -> Ints:
    """The true customer (position in the chunk) of each record of a part."""
    if part.survey in ("touchpoint", "page"):
        return ev.customer[part.event]
    return part.carried.customer
