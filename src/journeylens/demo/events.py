"""From the walks and the background of a chunk to the events table and its truth.

All vectorised: waits, agents, identifiers, the JSON attributes and the journey measures that
drive the planted scores (truth 4) are computed over whole arrays, then the chunk is sorted by
time and numbered.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from journeylens.demo.background import CAMPAIGNS, MENTION, PAGES, Background
from journeylens.demo.identities import (
    APP_DEVICES,
    BROWSERS,
    Carried,
    Customers,
    Offsets,
    carried_by_events,
    numbered,
)
from journeylens.demo.paths import BILLING, BILLING_SPIKE, BROKEN_FORM, NOT_FIXED_FIRST_TIME, TYPES
from journeylens.demo.schedule import JourneyBatch, spike_window
from journeylens.demo.steps import APP, CHANNELS, LOGIN, PHONE, STEPS, WEB, StepTable
from journeylens.demo.truths import TRUTHS, ces_expected, nps_expected
from journeylens.demo.walk import DAY
from journeylens.store.schema import EVENTS, SOURCE_EVENT_FIELDS

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]

#: The columns of the event files, in order (a subset of the canonical schema).
EVENT_COLUMNS: tuple[str, ...] = tuple(
    name for name in SOURCE_EVENT_FIELDS if name not in ("resource", "lifecycle")
)
EVENT_SCHEMA = pa.schema([EVENTS.field(name) for name in EVENT_COLUMNS])

REASONS: tuple[str, ...] = ("charges_unclear", "payment_issue", "price_change", "double_charge")
AGENTS = 120

TRUTH_SCHEMA = pa.schema(
    [
        pa.field("event_id", pa.string(), nullable=False),
        pa.field("true_customer", pa.string(), nullable=False),
        pa.field("true_journey", pa.string()),
        pa.field("journey_type", pa.string()),
        pa.field("variant", pa.string()),
        pa.field("broken_form", pa.bool_(), nullable=False),
        pa.field("not_fixed_first_time", pa.bool_(), nullable=False),
        pa.field("billing_spike", pa.bool_(), nullable=False),
    ]
)


STEP_TABLE = StepTable.build()
_SUCCESS = np.array(
    [
        s.topical and any(s.activity in t.success_activities for t in TYPES)
        for s in STEPS[: len(STEP_TABLE.activity)]
    ],
    dtype=bool,
)


def timestamps(epoch: int, seconds: Ints) -> pa.Array:
    """``timestamp[us]`` values ``seconds`` after ``epoch`` (seconds since 1970, UTC)."""
    return pa.array((epoch + seconds) * 1_000_000, pa.int64()).cast(pa.timestamp("us"))


def pieces(options: list[str] | tuple[str, ...], index: Ints) -> pa.Array:
    """``options[index]`` as strings, null where ``index`` is negative."""
    return pc.take(pa.array(list(options), pa.string()), pa.array(index, mask=index < 0))


@dataclass(frozen=True)
class Journeys:
    """Measures of the journeys of a chunk that kept at least one topic event."""

    key: pa.Array
    customer: Ints
    kind: Ints
    flags: Ints
    variant: list[str]
    reason: list[str]
    first: Ints
    last: Ints
    steps: Ints
    assisted: Ints
    repeats: Ints
    handoffs: Ints
    wait: Ints
    success: Bools
    truncated: Bools
    nps: Floats
    ces: Floats

    @property
    def duration(self) -> Ints:
        """Seconds from the first to the last event."""
        return self.last - self.first


@dataclass(frozen=True)
class EventChunk:
    """The events of a chunk (sorted by time) and what feedback generation needs of them."""

    table: pa.Table
    truth: pa.Table
    journeys: Journeys
    carried: Carried
    customer: Ints
    journey: Ints  # position in `journeys` or -1
    times: Ints
    steps: Ints
    wait: Ints


def _waits(
    rng: np.random.Generator,
    people: Customers,
    customer: Ints,
    channel: npt.NDArray[np.int8],
    times: Ints,
    waiting: Bools,
    days: int,
) -> Ints:
    medians = np.zeros(len(CHANNELS))
    for name, median in TRUTHS.wait_median_seconds.items():
        medians[CHANNELS.index(name)] = median
    factor = np.where(people.business[customer], TRUTHS.business_wait_factor, 1.0)
    first, last = spike_window(days)
    day = times // DAY
    factor = factor * np.where(
        (channel == PHONE) & (day >= first) & (day < last), TRUTHS.spike_wait_factor, 1.0
    )
    noise = np.exp(TRUTHS.wait_sigma * rng.standard_normal(len(customer)))
    wait = np.rint(medians[channel] * factor * noise).astype(np.int64)
    return np.where(waiting, np.maximum(wait, 5), 0)


def _measure(
    batch: JourneyBatch, rows: _Rows, days: int, offsets: Offsets
) -> tuple[Journeys, Ints]:
    """Journey measures over their topic events, and the old-to-new journey positions."""
    n = len(batch.count)
    mask = (rows.journey >= 0) & STEP_TABLE.topical[rows.steps]
    steps = rows.steps[mask]
    jj = rows.journey[mask]
    tt = rows.times[mask]
    cc = rows.channel[mask]
    count = np.bincount(jj, minlength=n).astype(np.int64)
    assisted = np.bincount(jj, weights=STEP_TABLE.assisted[steps], minlength=n).astype(np.int64)
    switch = (cc[1:] != cc[:-1]) & (jj[1:] == jj[:-1])
    handoffs = np.bincount(jj[1:][switch], minlength=n).astype(np.int64)
    waited = np.bincount(jj, weights=rows.wait[mask], minlength=n).astype(np.int64)
    success = np.bincount(jj, weights=_SUCCESS[steps], minlength=n) > 0
    first = np.zeros(n, dtype=np.int64)
    last = np.zeros(n, dtype=np.int64)
    if len(jj):
        starts = np.flatnonzero(np.concatenate([[True], jj[1:] != jj[:-1]]))
        ends = np.concatenate([starts[1:] - 1, [len(jj) - 1]])
        first[jj[starts]] = tt[starts]
        last[jj[ends]] = tt[ends]
    ends_all = np.cumsum(batch.count) - 1
    truncated = batch.times[ends_all] >= days * DAY if n else np.zeros(0, dtype=bool)
    keep = np.flatnonzero(count > 0)
    renumber = np.full(n, -1, dtype=np.int64)
    renumber[keep] = np.arange(len(keep))
    repeats = np.maximum(assisted - 1, 0)
    kind = batch.kind[keep]
    result = Journeys(
        key=numbered("J", offsets.journeys + 1 + np.arange(len(keep)), 8),
        customer=batch.customer[keep],
        kind=kind,
        flags=batch.flags[keep],
        variant=[batch.variant[i] for i in keep.tolist()],
        reason=[batch.reason[i] for i in keep.tolist()],
        first=first[keep],
        last=last[keep],
        steps=count[keep],
        assisted=assisted[keep],
        repeats=repeats[keep],
        handoffs=handoffs[keep],
        wait=waited[keep],
        success=success[keep],
        truncated=truncated[keep],
        nps=nps_expected(repeats[keep], handoffs[keep], waited[keep], last[keep] - first[keep]),
        ces=ces_expected(count[keep], repeats[keep], handoffs[keep]),
    )
    offsets.journeys += len(keep)
    return result, renumber


def _attributes(people: Customers, rows: _Rows, reason: Ints) -> pa.Array:
    """The JSON object of each event, assembled from optional pieces."""
    customer, channel, wait = rows.customer, rows.channel, rows.wait
    segment = pieces(
        ('{"segment": "residential"', '{"segment": "business"'),
        people.business[customer].astype(np.int64),
    )
    device_options = [f', "device": "{d}"' for d in (*BROWSERS, *APP_DEVICES)]
    device_index = np.where(
        channel == WEB,
        people.browser[np.maximum(rows.cookie, 0)],
        np.where(channel == APP, len(BROWSERS) + people.device_model[customer], -1),
    )
    waited = wait > 0
    wait_piece = pc.binary_join_element_wise(
        ', "wait_seconds": ',
        pa.array(wait, mask=~waited).cast(pa.string()),
        ', "agent": "a',
        pa.array(rows.agent).cast(pa.string()),
        '"',
        "",
    )
    return pc.binary_join_element_wise(
        segment,
        pieces(device_options, device_index),
        pieces([f', "page": "{p}"' for p in PAGES], rows.page),
        pieces([f', "campaign": "{c}"' for c in CAMPAIGNS], rows.campaign),
        wait_piece,
        pieces([f', "reason": "{r}"' for r in REASONS], reason),
        "}",
        "",
        null_handling="replace",
        null_replacement="",
    )


@dataclass(frozen=True)
class _Rows:
    """Parallel per-event arrays of a chunk (``-1``: none)."""

    steps: Ints
    times: Ints
    customer: Ints
    journey: Ints
    cookie: Ints
    account: Ints
    page: Ints
    campaign: Ints
    wait: Ints
    agent: Ints

    def take(self, index: Ints) -> _Rows:
        return _Rows(*(getattr(self, f.name)[index] for f in fields(self)))

    @property
    def channel(self) -> npt.NDArray[np.int8]:
        return STEP_TABLE.channel[self.steps]


def _combine(
    rng: np.random.Generator, people: Customers, batch: JourneyBatch, noise: Background
) -> _Rows:
    """Journey and background events together; a journey uses one cookie and one account."""
    n = len(batch.count)
    cookie = people.cookie_offset[batch.customer] + (
        rng.random(n) * people.n_cookies[batch.customer]
    ).astype(np.int64)
    account = people.account_offset[batch.customer] + (
        rng.random(n) * people.n_accounts[batch.customer]
    ).astype(np.int64)
    journey = batch.journey
    none = np.full(len(noise.steps), -1, dtype=np.int64)
    nothing = np.full(len(batch.steps), -1, dtype=np.int64)
    zeros = np.zeros(len(batch.steps) + len(noise.steps), dtype=np.int64)
    return _Rows(
        steps=np.concatenate([batch.steps, noise.steps]).astype(np.int64),
        times=np.concatenate([batch.times, noise.times]),
        customer=np.concatenate([batch.customer[journey], noise.customer]),
        journey=np.concatenate([journey, none]),
        cookie=np.concatenate([cookie[journey], noise.cookie]),
        account=np.concatenate([account[journey], none]),
        page=np.concatenate([nothing, noise.page]),
        campaign=np.concatenate([nothing, noise.campaign]),
        wait=zeros,
        agent=zeros,
    )


def _per_event(rows: _Rows, values: Ints, fill: int) -> Ints:
    """A per-journey value for each event of a journey, ``fill`` for the others."""
    out = np.full(len(rows.steps), fill, dtype=np.int64)
    has = rows.journey >= 0
    out[has] = values[rows.journey[has]]
    return out


def build_events(
    rng: np.random.Generator,
    people: Customers,
    batch: JourneyBatch,
    noise: Background,
    days: int,
    epoch: int,
    offsets: Offsets,
) -> EventChunk:
    """The events table of a chunk, its per-event truth and the journey measures."""
    rows = _combine(rng, people, batch, noise)
    rows = rows.take(np.flatnonzero(rows.times < days * DAY))
    waiting = STEP_TABLE.waits[rows.steps]
    rows = replace(
        rows,
        wait=_waits(rng, people, rows.customer, rows.channel, rows.times, waiting, days),
        agent=1 + rng.integers(0, AGENTS, len(rows.steps)),
    )
    measured, renumber = _measure(batch, rows, days, offsets)
    belongs = (rows.journey >= 0) & STEP_TABLE.topical[rows.steps]
    journey = np.full(len(rows.steps), -1, dtype=np.int64)
    journey[belongs] = renumber[rows.journey[belongs]]
    rows = replace(rows, journey=journey).take(np.argsort(rows.times, kind="stable"))

    kind = _per_event(rows, measured.kind, -1)
    flags = _per_event(rows, measured.flags, 0)
    reason_codes = np.array([REASONS.index(r) if r else -1 for r in measured.reason], np.int64)
    reason = np.where(
        (kind == BILLING) & STEP_TABLE.assisted[rows.steps], _per_event(rows, reason_codes, -1), -1
    )
    carried = carried_by_events(
        rng,
        people,
        rows.customer,
        rows.channel,
        STEP_TABLE.company[rows.steps],
        rows.steps == LOGIN,
        rows.steps == MENTION,
        rows.cookie,
        rows.account,
    )
    event_ids = numbered("ev-", offsets.events + 1 + np.arange(len(rows.steps)), 10)
    offsets.events += len(rows.steps)
    topic = pieces([t.name for t in TYPES], kind)
    columns = {
        "event_id": event_ids,
        "ts": timestamps(epoch, rows.times),
        **carried.columns(people),
        "channel": pieces(CHANNELS, rows.channel.astype(np.int64)),
        "activity": pc.take(pa.array(STEP_TABLE.activity, pa.string()), pa.array(rows.steps)),
        "initiator": pieces(("customer", "company"), STEP_TABLE.company[rows.steps].astype(int)),
        "topic": topic,
        "outcome": pc.take(pa.array(STEP_TABLE.outcome_values, pa.string()), pa.array(rows.steps)),
        "journey_key": pa.nulls(len(rows.steps), pa.string()),
        "attributes": _attributes(people, rows, reason),
    }
    outside = rows.journey < 0
    truth = pa.Table.from_arrays(
        [
            event_ids,
            pc.take(people.customer_ids(), pa.array(rows.customer)),
            pc.take(measured.key, pa.array(rows.journey, mask=outside)),
            topic,
            pc.take(pa.array(measured.variant, pa.string()), pa.array(rows.journey, mask=outside)),
            pa.array((flags & BROKEN_FORM) > 0),
            pa.array((flags & NOT_FIXED_FIRST_TIME) > 0),
            pa.array((flags & BILLING_SPIKE) > 0),
        ],
        schema=TRUTH_SCHEMA,
    )
    return EventChunk(
        table=pa.Table.from_arrays([columns[c] for c in EVENT_COLUMNS], schema=EVENT_SCHEMA),
        truth=truth,
        journeys=measured,
        carried=carried,
        customer=rows.customer,
        journey=rows.journey,
        times=rows.times,
        steps=rows.steps,
        wait=rows.wait,
    )


def journey_facts(chunk: EventChunk, people: Customers, epoch: int) -> pa.Table:
    """``truth/journey_facts`` rows: one per true journey with its measures and flags."""
    m = chunk.journeys
    names = [t.name for t in TYPES]
    return pa.table(
        {
            "true_journey": m.key,
            "true_customer": pc.take(people.customer_ids(), pa.array(m.customer)),
            "journey_type": pieces(names, m.kind),
            "variant": pa.array(m.variant, pa.string()),
            "reason": pa.array([r or None for r in m.reason], pa.string()),
            "start_ts": timestamps(epoch, m.first),
            "end_ts": timestamps(epoch, m.last),
            "steps": pa.array(m.steps),
            "assisted_contacts": pa.array(m.assisted),
            "repeat_contacts": pa.array(m.repeats),
            "handoffs": pa.array(m.handoffs),
            "wait_seconds": pa.array(m.wait),
            "duration_seconds": pa.array(m.duration),
            "success": pa.array(m.success),
            "truncated": pa.array(m.truncated),
            "broken_form": pa.array((m.flags & BROKEN_FORM) > 0),
            "not_fixed_first_time": pa.array((m.flags & NOT_FIXED_FIRST_TIME) > 0),
            "billing_spike": pa.array((m.flags & BILLING_SPIKE) > 0),
            "nps_expected": pa.array(m.nps),
            "ces_expected": pa.array(m.ces),
        }
    )
