"""Customers of the demo world, their identifiers, and which identifiers each event carries.

Every customer has a customer id (``C`` + digits), one or two account ids, an e-mail address, a
phone number, one to three web cookies and, if they use the app, an app device id. No two
customers share an identifier. An event carries only what its channel would know:

=========  ==================================================================================
channel    identifiers on the event
=========  ==================================================================================
web        cookie; a ``login`` also carries the customer id
app        device id and customer id (the app is always signed in)
phone      phone number; plus the customer id when the caller was identified (most calls) and
           on company calls
chat       e-mail (from the pre-chat form)
email      e-mail; plus the customer id when the company sent it
store      customer id and account id
social     e-mail for direct messages; nothing for public mentions (quarantined on ingest)
=========  ==================================================================================

So identifiers are linked only through the customer id: an identifier is *linked* when some
record carries it together with the customer id, and stitching can find exactly the linked
ones. Cookies that never saw a login and phones never identified stay separate customers in
the data while being the same true customer: ``truth/identities.parquet`` says so.

Examples
--------
>>> import numpy as np
>>> people = Customers.make(np.random.default_rng(1), Offsets(), 3, days=365)
>>> people.customer_ids().to_pylist()
['C0000001', 'C0000002', 'C0000003']
>>> people.phones().to_pylist()[0]
'+15550000001'
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from journeylens.demo.steps import APP, CHAT, EMAIL, PHONE, SOCIAL, STORE, WEB
from journeylens.demo.truths import TRUTHS

Bools = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]

FIRST_NAMES = (
    "anna", "ben", "chloe", "daniel", "emma", "farid", "grace", "hugo", "isla", "jack",
    "kim", "liam", "maya", "noah", "olivia", "priya", "quinn", "ravi", "sara", "tom",
    "uma", "victor", "wei", "xenia", "yusuf", "zoe", "amir", "bea", "carlos", "dana",
)  # fmt: skip
LAST_NAMES = (
    "smith", "jones", "taylor", "brown", "williams", "wilson", "johnson", "davies", "patel",
    "wright", "khan", "walker", "evans", "thomas", "roberts", "green", "hall", "wood",
    "clarke", "hughes", "lewis", "baker", "murphy", "kowalski", "nguyen", "garcia",
)  # fmt: skip
BROWSERS = ("Chrome desktop", "Safari mobile", "Chrome mobile", "Edge desktop", "Firefox desktop")
BROWSER_WEIGHTS = (0.35, 0.25, 0.2, 0.12, 0.08)
APP_DEVICES = ("iPhone app", "Android app", "iPad app")
APP_DEVICE_WEIGHTS = (0.5, 0.42, 0.08)

BUSINESS_SHARE = 0.15
NEW_CUSTOMER_SHARE = 0.12
MARKETING_CONSENT = 0.8
APP_USERS = {"residential": 0.5, "business": 0.3}
PREFERENCES_APP_USERS = {"app": 0.5, "web": 0.2, "phone": 0.18, "chat": 0.07, "store": 0.05}
PREFERENCES_OTHERS = {"web": 0.45, "phone": 0.35, "chat": 0.1, "store": 0.1}

_MASK40 = np.uint64((1 << 40) - 1)


@dataclass
class Offsets:
    """Running counts over the chunks written so far: the global index of the next one."""

    customers: int = 0
    accounts: int = 0
    cookies: int = 0
    devices: int = 0
    journeys: int = 0
    events: int = 0
    feedback: int = 0


def _scramble(index: Ints, salt: int) -> Ints:
    """A bijection of [0, 2**40): unique, random-looking numbers for cookie and device ids."""
    x = index.astype(np.uint64) & _MASK40
    x = (x * np.uint64(0x9E3779B97F4A7C15 | 1) + np.uint64(salt)) & _MASK40
    x ^= x >> np.uint64(19)
    x = (x * np.uint64(0xBF58476D1CE4E5B9 | 1)) & _MASK40
    return x.astype(np.int64)


def numbered(prefix: str, numbers: Ints, width: int) -> pa.Array:
    """``prefix`` + ``numbers`` zero-padded to ``width`` digits, e.g. ``C0000042``.

    Examples
    --------
    >>> numbered("ev-", np.array([7, 42]), 5).to_pylist()
    ['ev-00007', 'ev-00042']
    >>> numbered("C", np.array([7, 123]), 2).to_pylist()
    ['C07', 'C123']
    """
    if len(numbers) and int(numbers.max()) >= 10**width:  # wider than asked: pad, don't wrap
        text = pc.utf8_lpad(pa.array(numbers, pa.int64()).cast(pa.string()), width, padding="0")
        return pc.binary_join_element_wise(prefix, text, "")
    padded = pa.array(numbers + 10**width, pa.int64()).cast(pa.string())
    return pc.utf8_replace_slice(padded, start=0, stop=1, replacement=prefix)


def _weighted(rng: np.random.Generator, weights: tuple[float, ...], n: int) -> Ints:
    return rng.choice(len(weights), size=n, p=np.asarray(weights) / np.sum(weights))


@dataclass(frozen=True)
class Customers:
    """The customers of one chunk (arrays indexed by the customer's position in the chunk)."""

    first: int
    n: int
    business: Bools
    app: Bools
    new: Bools
    join_day: Ints
    consent: Bools
    pref: list[str]
    first_name: Ints
    last_name: Ints
    account_start: int
    account_offset: Ints
    n_accounts: Ints
    cookie_start: int
    cookie_offset: Ints
    n_cookies: Ints
    browser: Ints
    device: Ints
    device_model: Ints
    mood: npt.NDArray[np.float64]

    @classmethod
    def make(cls, rng: np.random.Generator, offsets: Offsets, n: int, days: int) -> Customers:
        """``n`` new customers numbered from ``offsets``, which move on past them."""
        business = rng.random(n) < BUSINESS_SHARE
        app = rng.random(n) < np.where(business, APP_USERS["business"], APP_USERS["residential"])
        new = rng.random(n) < NEW_CUSTOMER_SHARE
        join_day = np.where(new, rng.integers(0, max(days - 7, 1), n), 0).astype(np.int64)
        prefs_app = list(PREFERENCES_APP_USERS)
        prefs_other = list(PREFERENCES_OTHERS)
        pick_app = _weighted(rng, tuple(PREFERENCES_APP_USERS.values()), n)
        pick_other = _weighted(rng, tuple(PREFERENCES_OTHERS.values()), n)
        pref = [
            prefs_app[a] if is_app else prefs_other[o]
            for is_app, a, o in zip(
                app.tolist(), pick_app.tolist(), pick_other.tolist(), strict=True
            )
        ]
        n_accounts = 1 + (rng.random(n) < np.where(business, 0.6, 0.1)).astype(np.int64)
        n_cookies = 1 + rng.binomial(2, 0.35, n).astype(np.int64)
        cookie_offset = np.concatenate([[0], np.cumsum(n_cookies)[:-1]]).astype(np.int64)
        account_offset = np.concatenate([[0], np.cumsum(n_accounts)[:-1]]).astype(np.int64)
        device = np.full(n, -1, dtype=np.int64)
        device[app] = offsets.devices + np.arange(int(app.sum()))
        people = cls(
            first=offsets.customers,
            n=n,
            business=business,
            app=app,
            new=new,
            join_day=join_day,
            consent=rng.random(n) < MARKETING_CONSENT,
            pref=pref,
            first_name=rng.integers(0, len(FIRST_NAMES), n),
            last_name=rng.integers(0, len(LAST_NAMES), n),
            account_start=offsets.accounts,
            account_offset=account_offset,
            n_accounts=n_accounts,
            cookie_start=offsets.cookies,
            cookie_offset=cookie_offset,
            n_cookies=n_cookies,
            browser=_weighted(rng, BROWSER_WEIGHTS, int(n_cookies.sum())),
            device=device,
            device_model=_weighted(rng, APP_DEVICE_WEIGHTS, n),
            mood=rng.normal(0.0, TRUTHS.rnps_mood_sd, n),
        )
        offsets.customers += n
        offsets.accounts += int(n_accounts.sum())
        offsets.cookies += int(n_cookies.sum())
        offsets.devices += int(app.sum())
        return people

    # identifier values, as Arrow string arrays indexed like the customers (or their cookies,
    # accounts)

    def customer_ids(self) -> pa.Array:
        """``C`` + seven digits."""
        return numbered("C", self.first + 1 + np.arange(self.n), 7)

    def account_ids(self) -> pa.Array:
        """``A`` + eight digits, per account (see ``account_offset``)."""
        total = int(self.n_accounts.sum())
        return numbered("A", self.account_start + 1 + np.arange(total), 8)

    def emails(self) -> pa.Array:
        """``first.last<n>@example.com`` (residential) or ``office.last<n>@example.org``."""
        number = pa.array(self.first + 1 + np.arange(self.n)).cast(pa.string())
        first = pc.take(pa.array(FIRST_NAMES), pa.array(self.first_name))
        first = pc.if_else(pa.array(self.business), "office", first)
        last = pc.take(pa.array(LAST_NAMES), pa.array(self.last_name))
        domain = pc.if_else(pa.array(self.business), "example.org", "example.com")
        return pc.binary_join_element_wise(first, ".", last, number, "@", domain, "")

    def phones(self) -> pa.Array:
        """``+1555`` + seven digits."""
        return numbered("+1555", self.first + 1 + np.arange(self.n), 7)

    def cookie_ids(self) -> pa.Array:
        """``ck-`` + 13 scrambled digits, per cookie (see ``cookie_offset``)."""
        total = int(self.n_cookies.sum())
        return numbered("ck-", _scramble(self.cookie_start + np.arange(total), 11), 13)

    def device_ids(self) -> pa.Array:
        """``dv-`` + 13 scrambled digits, per customer (null for customers without the app)."""
        ids = numbered("dv-", _scramble(np.maximum(self.device, 0), 29), 13)
        return pc.if_else(pa.array(self.app), ids, pa.scalar(None, pa.string()))


@dataclass(frozen=True)
class Carried:
    """Which identifiers each event (or feedback record) carries, as positions or -1."""

    customer: Ints
    account: Ints
    email: Ints
    phone: Ints
    device: Ints
    cookie: Ints

    def columns(self, people: Customers) -> dict[str, pa.Array]:
        """The identifier columns (canonical names) as Arrow string arrays."""
        return {
            "customer_id": _take(people.customer_ids(), self.customer),
            "account_id": _take(people.account_ids(), self.account),
            "email": _take(people.emails(), self.email),
            "phone": _take(people.phones(), self.phone),
            "device_id": _take(people.device_ids(), self.device),
            "cookie_id": _take(people.cookie_ids(), self.cookie),
        }

    @classmethod
    def concat(cls, parts: list[Carried]) -> Carried:
        """One `Carried` of several, in order."""
        return cls(
            *(
                np.concatenate([getattr(p, name) for p in parts])
                for name in ("customer", "account", "email", "phone", "device", "cookie")
            )
        )


def _take(values: pa.Array, positions: Ints) -> pa.Array:
    return pc.take(values, pa.array(positions, mask=positions < 0))


def carried_by_events(
    rng: np.random.Generator,
    people: Customers,
    customer: Ints,
    channel: npt.NDArray[np.int8],
    company: Bools,
    login: Bools,
    anonymous: Bools,
    cookie: Ints,
    account: Ints,
) -> Carried:
    """What each event carries, by the rules of the module docstring.

    ``cookie`` and ``account`` are positions in the chunk's cookie and account arrays.
    """
    identified = rng.random(len(customer)) < TRUTHS.phone_identified_rate
    has_customer = (
        (channel == APP)
        | (channel == STORE)
        | login
        | ((channel == PHONE) & (company | identified))
        | ((channel == EMAIL) & company)
    )
    has_email = (channel == EMAIL) | (channel == CHAT) | ((channel == SOCIAL) & ~anonymous)
    none = np.full(len(customer), -1, dtype=np.int64)
    return Carried(
        customer=np.where(has_customer, customer, none),
        account=np.where(channel == STORE, account, none),
        email=np.where(has_email, customer, none),
        phone=np.where(channel == PHONE, customer, none),
        device=np.where((channel == APP) & people.app[customer], customer, none),
        cookie=np.where(channel == WEB, cookie, none),
    )


def carried_by_customer(customer: Ints, email: bool = True) -> Carried:
    """Records the company addresses to known customers (surveys): customer id and e-mail."""
    none = np.full(len(customer), -1, dtype=np.int64)
    return Carried(
        customer=customer,
        account=none,
        email=customer if email else none,
        phone=none,
        device=none,
        cookie=none,
    )


def _flag(size: int, positions: Ints) -> Bools:
    out = np.zeros(size, dtype=bool)
    out[positions] = True
    return out


def identity_truth(people: Customers, records: list[Carried], events: Carried) -> pa.Table:
    """``truth/identities`` rows of one chunk: every identifier issued, seen and linked.

    ``seen_in_events`` / ``seen``: the identifier occurs on some event / on some event or
    feedback record. ``linked_in_events`` / ``linked``: it occurs together with its customer's
    customer id on some event / on some event or feedback record (the customer id itself counts
    as linked when seen). Stitching events can find exactly the ``linked_in_events`` ones; every
    other identifier seen in events is a customer of its own there.
    """
    everything = Carried.concat([events, *records])
    totals = {
        "customer_id": people.n,
        "account_id": int(people.n_accounts.sum()),
        "email": people.n,
        "phone": people.n,
        "device_id": people.n,
        "cookie_id": int(people.n_cookies.sum()),
    }
    owners = {
        "account_id": np.repeat(np.arange(people.n), people.n_accounts),
        "cookie_id": np.repeat(np.arange(people.n), people.n_cookies),
    }
    values = {
        "customer_id": people.customer_ids(),
        "account_id": people.account_ids(),
        "email": people.emails(),
        "phone": people.phones(),
        "device_id": people.device_ids(),
        "cookie_id": people.cookie_ids(),
    }
    attribute = {
        "customer_id": "customer",
        "account_id": "account",
        "email": "email",
        "phone": "phone",
        "device_id": "device",
        "cookie_id": "cookie",
    }
    ids = people.customer_ids()
    parts = []
    for id_type, size in totals.items():
        ev = getattr(events, attribute[id_type])
        al = getattr(everything, attribute[id_type])
        seen = _flag(size, al[al >= 0])
        seen_events = _flag(size, ev[ev >= 0])
        linked_events = _flag(size, ev[(ev >= 0) & (events.customer >= 0)])
        linked = _flag(size, al[(al >= 0) & (everything.customer >= 0)])
        owner = owners.get(id_type, np.arange(people.n))
        keep = people.app if id_type == "device_id" else np.ones(size, dtype=bool)
        parts.append(
            pa.table(
                {
                    "id_type": pa.array([id_type] * int(keep.sum()), pa.string()),
                    "id_value": values[id_type].filter(pa.array(keep)),
                    "true_customer": pc.take(ids, pa.array(owner[keep])),
                    "seen": pa.array(seen[keep]),
                    "seen_in_events": pa.array(seen_events[keep]),
                    "linked_in_events": pa.array(linked_events[keep]),
                    "linked": pa.array(linked[keep]),
                }
            )
        )
    return pa.concat_tables(parts)
