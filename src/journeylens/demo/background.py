"""Background events without a topic: newsletters, browsing, app opens, public mentions.

Everything here is vectorised over the customers of a chunk. None of these events belongs to a
true journey; journeylens cuts them by the inactivity gap.

Examples
--------
>>> import numpy as np
>>> from journeylens.demo.identities import Customers, Offsets
>>> rng = np.random.default_rng(5)
>>> noise = background(rng, Customers.make(rng, Offsets(), 100, days=365), days=365)
>>> bool((noise.times < 365 * DAY).all()) and len(noise.steps) > 1000
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from journeylens.demo.identities import Customers
from journeylens.demo.steps import LOGIN, step
from journeylens.demo.truths import TRUTHS
from journeylens.demo.walk import DAY, HOUR, ONLINE_HOURS

Ints = npt.NDArray[np.int64]

NEWSLETTER = step("newsletter_sent", "email", "company", topical=False)
NEWSLETTER_CLICKED = step("newsletter_clicked", "email", topical=False)
PAGE_VIEWED = step("page_viewed", "web", topical=False)
APP_OPENED = step("app_opened", "app", topical=False)
MENTION = step("brand_mentioned", "social", topical=False)

PAGES = ("/", "/offers", "/broadband", "/mobile", "/help", "/coverage", "/stores", "/account")
CAMPAIGNS = ("winter_deals", "spring_offer", "summer_speed", "autumn_bundle")

NEWSLETTERS_PER_YEAR = 4.0
CLICK_RATE = 0.08
BROWSING_SESSIONS_PER_YEAR = 2.5
APP_OPENS_PER_YEAR = 5.0
PAGES_PER_SESSION = 1.2  # beyond the first (Poisson)


@dataclass(frozen=True)
class Background:
    """Background events of a chunk (``cookie``: position in the chunk's cookies or -1)."""

    steps: npt.NDArray[np.int16]
    times: Ints
    customer: Ints
    cookie: Ints
    page: Ints
    campaign: Ints


def _times(rng: np.random.Generator, day: Ints) -> Ints:
    start, length = ONLINE_HOURS
    return day * DAY + start + (rng.random(len(day)) * length).astype(np.int64)


def _sessions(
    rng: np.random.Generator,
    people: Customers,
    customer: Ints,
    start: Ints,
    login: npt.NDArray[np.bool_],
    first_cookie: bool = False,
) -> Background:
    """Web sessions: an optional login, then one or more page views a little apart."""
    pages = 1 + rng.poisson(PAGES_PER_SESSION, len(customer))
    size = pages + login
    session = np.repeat(np.arange(len(customer)), size)
    begin = np.cumsum(size) - size
    position = np.arange(len(session)) - begin[session]
    gaps = rng.integers(10, 180, len(session))
    gaps[begin] = 0
    total = np.cumsum(gaps)
    offset = total - total[begin][session]
    which = (
        np.zeros(len(customer), dtype=np.int64)
        if first_cookie
        else (rng.random(len(customer)) * people.n_cookies[customer]).astype(np.int64)
    )
    cookie = people.cookie_offset[customer] + which
    is_login = login[session] & (position == 0)
    return Background(
        steps=np.where(is_login, LOGIN, PAGE_VIEWED).astype(np.int16),
        times=start[session] + offset,
        customer=customer[session],
        cookie=cookie[session],
        page=np.where(is_login, -1, rng.integers(0, len(PAGES), len(session))),
        campaign=np.full(len(session), -1, dtype=np.int64),
    )


def _single(
    rng: np.random.Generator, code: int, customer: Ints, times: Ints, campaign: Ints | None = None
) -> Background:
    none = np.full(len(customer), -1, dtype=np.int64)
    return Background(
        steps=np.full(len(customer), code, dtype=np.int16),
        times=times,
        customer=customer,
        cookie=none,
        page=none,
        campaign=none if campaign is None else campaign,
    )


def _concat(parts: list[Background]) -> Background:
    return Background(
        *(
            np.concatenate([getattr(p, name) for p in parts])
            for name in ("steps", "times", "customer", "cookie", "page", "campaign")
        )
    )


def background(rng: np.random.Generator, people: Customers, days: int) -> Background:
    """Every background event of the customers of a chunk within the window."""
    years = (days - people.join_day) / 365.0

    def days_of(customer: Ints) -> Ints:
        join = people.join_day[customer]
        return join + (rng.random(len(customer)) * (days - join)).astype(np.int64)

    parts = []
    who = np.repeat(np.arange(people.n), rng.poisson(NEWSLETTERS_PER_YEAR * years * people.consent))
    day = days_of(who)
    sent = day * DAY + 9 * HOUR + rng.integers(0, 2 * HOUR, len(who))
    parts.append(_single(rng, NEWSLETTER, who, sent, (day // 91) % len(CAMPAIGNS)))
    clicked = rng.random(len(who)) < CLICK_RATE
    click_time = sent[clicked] + rng.integers(600, 2 * DAY, int(clicked.sum()))
    parts.append(_single(rng, NEWSLETTER_CLICKED, who[clicked], click_time))
    parts.append(
        _sessions(
            rng,
            people,
            who[clicked],
            click_time + rng.integers(5, 60, len(click_time)),
            np.zeros(len(click_time), dtype=bool),
        )
    )

    who = np.repeat(np.arange(people.n), rng.poisson(BROWSING_SESSIONS_PER_YEAR * years))
    login = rng.random(len(who)) < TRUTHS.login_browse_rate
    parts.append(_sessions(rng, people, who, _times(rng, days_of(who)), login))

    newcomers = np.flatnonzero(people.new & (people.join_day > 0))
    who = np.repeat(newcomers, rng.integers(1, 3, len(newcomers)))
    before = np.maximum(people.join_day[who] - 1 - rng.integers(0, 30, len(who)), 0)
    prospect = _times(rng, before)
    early = prospect < people.join_day[who] * DAY
    parts.append(
        _sessions(rng, people, who[early], prospect[early], np.zeros(int(early.sum()), bool), True)
    )

    who = np.repeat(np.arange(people.n), rng.poisson(APP_OPENS_PER_YEAR * years * people.app))
    parts.append(_single(rng, APP_OPENED, who, _times(rng, days_of(who))))

    who = np.repeat(np.arange(people.n), rng.poisson(TRUTHS.social_mention_rate * years))
    parts.append(_single(rng, MENTION, who, _times(rng, days_of(who))))

    noise = _concat(parts)
    inside = noise.times < days * DAY
    return Background(
        *(
            getattr(noise, name)[inside]
            for name in ("steps", "times", "customer", "cookie", "page", "campaign")
        )
    )
