"""The Olist e-commerce files as events and feedback that journeylens ingests.

Olist is a Brazilian marketplace; its public data set (a subsample is in
``shared/data/olist_sample``) has orders with purchase, approval, hand-over to the carrier and
delivery times, the estimated delivery date, items, payments, customers and reviews (a 1-5
score with a Portuguese title and message). `prepare` writes two CSV files:

``events.csv``: one journey per order (``journey_key`` = ``order_id``, ``topic`` = ``order``),
up to four events:

====================  =========  =========  ====================================================
activity              channel    initiator  attributes
====================  =========  =========  ====================================================
``order_purchased``   web        customer   ``price``, ``freight``, ``items``, ``sellers``,
                                            ``installments``, ``payment_type``,
                                            ``payment_value``, ``estimated_days`` (promised
                                            days to deliver), ``estimated_delivery`` (date),
                                            ``customer_state``
``payment_approved``  payment    company
``handed_to_carrier`` logistics  company
``delivered``         delivery   company    ``days_late`` (delivery date minus estimated date,
                                            in days; negative: early), ``late`` (true when
                                            ``days_late`` > 0), ``delivery_days`` (purchase to
                                            delivery, days); outcome ``late`` or ``on_time``
====================  =========  =========  ====================================================

An event whose time Olist does not give (an order cancelled before approval, not yet handed
over or delivered) is not written. ``customer_id`` is Olist's ``customer_unique_id`` (one
person across orders), ``account_id`` the per-order ``customer_id``; ``case:order_status``
keeps the order's status (delivered, shipped, canceled, unavailable …) as a journey attribute.

``feedback.csv``: one ``rating`` record per review row (1-5), ``journey_key`` = ``order_id``,
``ts`` = ``review_creation_date``, ``text`` = title and message (``"title. message"``),
``feedback_id`` = ``review_id/order_id`` (a few Olist reviews cover several orders: the same
``review_id`` on several rows), attributes ``review_id``, ``answered_at``, ``language`` (pt).

Times are Olist's local times (São Paulo) written without an offset: ingested as they are
(UTC), so durations and days late are exact and wall-clock hours read as in Brazil.

Examples
--------
>>> import tempfile, pathlib
>>> src = pathlib.Path(tempfile.mkdtemp())
>>> _ = (src / "olist_orders_dataset.csv").write_text(
...     "order_id,customer_id,order_status,order_purchase_timestamp,order_approved_at,"
...     "order_delivered_carrier_date,order_delivered_customer_date,"
...     "order_estimated_delivery_date\\n"
...     "o1,c1,delivered,2018-01-01 10:00:00,2018-01-01 11:00:00,2018-01-02 09:00:00,"
...     "2018-01-12 15:00:00,2018-01-10 00:00:00\\n")
>>> _ = (src / "olist_customers_dataset.csv").write_text(
...     "customer_id,customer_unique_id,customer_zip_code_prefix,customer_city,customer_state\\n"
...     "c1,u1,1000,sao paulo,SP\\n")
>>> _ = (src / "olist_order_items_dataset.csv").write_text(
...     "order_id,order_item_id,product_id,seller_id,shipping_limit_date,price,freight_value\\n"
...     "o1,1,p1,s1,2018-01-03 00:00:00,50.0,10.5\\n")
>>> _ = (src / "olist_order_payments_dataset.csv").write_text(
...     "order_id,payment_sequential,payment_type,payment_installments,payment_value\\n"
...     "o1,1,credit_card,3,60.5\\n")
>>> _ = (src / "olist_order_reviews_dataset.csv").write_text(
...     "review_id,order_id,review_score,review_comment_title,review_comment_message,"
...     "review_creation_date,review_answer_timestamp\\n"
...     "r1,o1,2,Atrasou,Chegou depois do prazo,2018-01-13 00:00:00,2018-01-14 10:00:00\\n")
>>> files = prepare(src, src / "out")
>>> files.orders, files.events, files.reviews
(1, 4, 1)
>>> import csv
>>> delivered = list(csv.DictReader(files.events_path.open()))[-1]
>>> delivered["activity"], delivered["days_late"], delivered["late"], delivered["outcome"]
('delivered', '2', 'true', 'late')
>>> list(csv.DictReader(files.feedback_path.open()))[0]["text"]
'Atrasou. Chegou depois do prazo'
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from journeylens.errors import InputError

#: The Olist files `prepare` reads, by role.
FILES = {
    "orders": "olist_orders_dataset.csv",
    "customers": "olist_customers_dataset.csv",
    "items": "olist_order_items_dataset.csv",
    "payments": "olist_order_payments_dataset.csv",
    "reviews": "olist_order_reviews_dataset.csv",
}

#: (activity, channel, initiator, timestamp column) of each order step, in order.
STEPS = (
    ("order_purchased", "web", "customer", "order_purchase_timestamp"),
    ("payment_approved", "payment", "company", "order_approved_at"),
    ("handed_to_carrier", "logistics", "company", "order_delivered_carrier_date"),
    ("delivered", "delivery", "company", "order_delivered_customer_date"),
)

EVENT_COLUMNS = (
    "event_id", "journey_key", "customer_id", "account_id", "ts", "channel", "activity",
    "initiator", "topic", "outcome", "price", "freight", "items", "sellers", "installments",
    "payment_type", "payment_value", "estimated_days", "estimated_delivery", "customer_state",
    "days_late", "late", "delivery_days", "case:order_status",
)  # fmt: skip

FEEDBACK_COLUMNS = (
    "feedback_id", "journey_key", "customer_id", "account_id", "ts", "kind", "score",
    "scale_min", "scale_max", "text", "channel", "attributes",
)  # fmt: skip


def _days(later: pd.Series, earlier: pd.Series) -> pd.Series:
    """``later - earlier`` in days (float; missing where either is missing)."""
    days: pd.Series = (later - earlier).dt.total_seconds() / 86400.0
    return days


@dataclass(frozen=True)
class OlistFiles:
    """What `prepare` wrote: the two files and their counts."""

    events_path: Path
    feedback_path: Path
    orders: int
    events: int
    reviews: int


def _read(src: Path, role: str) -> pd.DataFrame:
    path = src / FILES[role]
    if not path.exists():
        raise InputError(
            f"the Olist {role} file is missing",
            str(path),
            f"put the five Olist CSV files ({', '.join(FILES.values())}) in {src}",
        )
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])


def _times(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    for column in columns:
        frame[column] = pd.to_datetime(frame[column], errors="coerce")
    return frame


def _order_facts(src: Path) -> pd.DataFrame:
    """One row per order: times, customer, items, payments."""
    orders = _times(_read(src, "orders"), [s[3] for s in STEPS] + ["order_estimated_delivery_date"])
    customers = _read(src, "customers")[["customer_id", "customer_unique_id", "customer_state"]]
    items = _read(src, "items")
    items["price"] = pd.to_numeric(items["price"])
    items["freight_value"] = pd.to_numeric(items["freight_value"])
    per_items = items.groupby("order_id").agg(
        price=("price", "sum"),
        freight=("freight_value", "sum"),
        items=("order_item_id", "size"),
        sellers=("seller_id", "nunique"),
    )
    payments = _read(src, "payments")
    payments["payment_value"] = pd.to_numeric(payments["payment_value"])
    payments["payment_installments"] = pd.to_numeric(payments["payment_installments"])
    main = payments.sort_values(["order_id", "payment_value"], ascending=[True, False])
    per_payment = payments.groupby("order_id").agg(
        installments=("payment_installments", "max"), payment_value=("payment_value", "sum")
    )
    per_payment["payment_type"] = main.drop_duplicates("order_id").set_index("order_id")[
        "payment_type"
    ]
    facts = orders.merge(customers, on="customer_id", how="left")
    facts = facts.join(per_items, on="order_id").join(per_payment, on="order_id")
    return facts.sort_values(["order_purchase_timestamp", "order_id"]).reset_index(drop=True)


def _iso(values: pd.Series) -> pd.Series:
    """Times as ISO 8601 text without an offset (missing stays missing)."""
    text: pd.Series = values.dt.strftime("%Y-%m-%dT%H:%M:%S")
    return text


def _number(values: pd.Series, digits: int = 2) -> pd.Series:
    """Numbers as short text (``10.5``, ``3``); missing stays missing."""
    rounded = pd.to_numeric(values).round(digits)
    text: pd.Series = rounded.map(
        lambda v: None if pd.isna(v) else str(int(v)) if float(v).is_integer() else str(v)
    )
    return text


def _step_rows(
    facts: pd.DataFrame, activity: str, channel: str, initiator: str, column: str
) -> pd.DataFrame:
    """The events of one order step (orders without its time have none)."""
    done = facts[facts[column].notna()]
    rows = pd.DataFrame(
        {
            "event_id": done["order_id"] + f":{activity}",
            "journey_key": done["order_id"],
            "customer_id": done["customer_unique_id"],
            "account_id": done["customer_id"],
            "ts": _iso(done[column]),
            "channel": channel,
            "activity": activity,
            "initiator": initiator,
            "topic": "order",
            "case:order_status": done["order_status"],
            "_order": done.index,
        }
    )
    estimated = done["order_estimated_delivery_date"]
    purchased = done["order_purchase_timestamp"]
    if activity == "order_purchased":
        for name in ("price", "freight", "payment_value"):
            rows[name] = _number(done[name])
        for name in ("items", "sellers", "installments"):
            rows[name] = _number(done[name], 0)
        rows["payment_type"] = done["payment_type"]
        rows["customer_state"] = done["customer_state"]
        rows["estimated_days"] = _number(_days(estimated, purchased), 1)
        rows["estimated_delivery"] = estimated.dt.strftime("%Y-%m-%d")
    if activity == "delivered":
        days_late = _days(done[column].dt.normalize(), estimated.dt.normalize())
        known = days_late.notna()
        rows["days_late"] = _number(days_late, 0)
        rows["late"] = (days_late > 0).map({True: "true", False: "false"}).where(known)
        rows["outcome"] = (days_late > 0).map({True: "late", False: "on_time"}).where(known)
        rows["delivery_days"] = _number(_days(done[column], purchased), 1)
    return rows


def _events(facts: pd.DataFrame) -> pd.DataFrame:
    parts = [
        _step_rows(facts, activity, channel, initiator, column).assign(_step=n)
        for n, (activity, channel, initiator, column) in enumerate(STEPS)
    ]
    events = pd.concat(parts, ignore_index=True).sort_values(["_order", "_step"])
    return events.reindex(columns=list(EVENT_COLUMNS)).reset_index(drop=True)


def _text(title: object, message: object) -> str | None:
    parts = [str(p).strip() for p in (title, message) if isinstance(p, str) and str(p).strip()]
    if not parts:
        return None
    first = parts[0]
    if len(parts) == 2 and first[-1] not in ".!?":
        first += "."
    return " ".join([first, *parts[1:]])


def _feedback(src: Path, facts: pd.DataFrame) -> pd.DataFrame:
    reviews = _read(src, "reviews")
    owners = facts.set_index("order_id")[["customer_unique_id", "customer_id"]]
    reviews = reviews.join(owners, on="order_id")
    created = pd.to_datetime(reviews["review_creation_date"], errors="coerce")
    answered = pd.to_datetime(reviews["review_answer_timestamp"], errors="coerce")
    return pd.DataFrame(
        {
            "feedback_id": reviews["review_id"] + "/" + reviews["order_id"],
            "journey_key": reviews["order_id"],
            "customer_id": reviews["customer_unique_id"],
            "account_id": reviews["customer_id"],
            "ts": _iso(created),
            "kind": "rating",
            "score": reviews["review_score"],
            "scale_min": "1",
            "scale_max": "5",
            "text": [
                _text(t, m)
                for t, m in zip(
                    reviews["review_comment_title"], reviews["review_comment_message"], strict=True
                )
            ],
            "channel": "email",
            "attributes": [
                json.dumps(
                    {
                        "review_id": r,
                        "language": "pt",
                        **({} if a is None or pd.isna(a) else {"answered_at": a}),
                    },
                    sort_keys=True,
                )
                for r, a in zip(reviews["review_id"], _iso(answered), strict=True)
            ],
        },
        columns=list(FEEDBACK_COLUMNS),
    )


def prepare(src_dir: Path | str, out_dir: Path | str) -> OlistFiles:
    """Write ``events.csv`` and ``feedback.csv`` for journeylens from the Olist CSV files in
    ``src_dir`` (see the module docstring); ingest them with ``ws.ingest(files.events_path)``
    and ``ws.ingest(files.feedback_path, kind="feedback")``."""
    src, out = Path(src_dir), Path(out_dir)
    facts = _order_facts(src)
    events = _events(facts)
    feedback = _feedback(src, facts)
    out.mkdir(parents=True, exist_ok=True)
    events_path, feedback_path = out / "events.csv", out / "feedback.csv"
    events.to_csv(events_path, index=False)
    feedback.to_csv(feedback_path, index=False)
    return OlistFiles(events_path, feedback_path, len(facts), len(events), len(feedback))
