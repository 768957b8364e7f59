"""Billing question: the customer does not understand (or disputes) a bill.

Designed: bill viewed online, answer found, bill paid; or one contact that resolves it. Planted:
the billing spike of a double-charging migration month (truth 5).
"""

from __future__ import annotations

from journeylens.demo.paths.base import (
    BILLING_SPIKE,
    JourneyType,
    MapStep,
    Stage,
    entry,
    web_visit,
)
from journeylens.demo.steps import step
from journeylens.demo.truths import TRUTHS
from journeylens.demo.walk import DAY, Walk, Who, choice

VIEWED = {"web": step("bill_viewed", "web"), "app": step("bill_viewed", "app")}
HELP = {"web": step("billing_help_viewed", "web"), "app": step("billing_help_viewed", "app")}
PAID = {
    "web": step("bill_paid", "web", outcome="success"),
    "app": step("bill_paid", "app", outcome="success"),
}
QUESTION = {
    (channel, outcome): step("billing_question", channel, outcome=outcome)
    for channel in ("phone", "chat")
    for outcome in ("resolved", "unresolved")
}
FOLLOW_UP = {
    (channel, outcome): step(
        f"billing_{'call' if channel == 'phone' else 'chat'}", channel, outcome=outcome
    )
    for channel in ("phone", "chat")
    for outcome in ("resolved", "unresolved")
}
ADJUSTED = step("bill_adjusted", "email", "company")
CLOSED = step("billing_case_closed", "email", "company", outcome="resolved")

ENTRY_APP_USERS = choice({"app": 0.25, "web": 0.25, "phone": 0.35, "chat": 0.15})
ENTRY_OTHERS = choice({"web": 0.35, "phone": 0.45, "chat": 0.20})
REASONS = choice({"charges_unclear": 0.5, "payment_issue": 0.3, "price_change": 0.2})
CONTACT = choice({"phone": 0.7, "chat": 0.3})
SELF_SERVICE_RATE = 0.5
SELF_SERVICE_RATE_DOUBLE_CHARGE = 0.1
RESOLVED_RATE = 0.8
RESOLVED_RATE_DOUBLE_CHARGE = 0.55
ADJUSTMENT_RATE = 0.2
ADJUSTMENT_RATE_DOUBLE_CHARGE = 0.9
MAX_CONTACTS = 3


def walk(w: Walk, who: Who) -> int:
    """One billing journey."""
    flags = 0
    double = False
    if who.spike:
        flags = BILLING_SPIKE
        double = w.chance(TRUTHS.spike_double_charge_share)
    w.reason = "double_charge" if double else w.pick(REASONS)
    channel = entry(w, who, ENTRY_APP_USERS, ENTRY_OTHERS)
    w.variant = channel
    resolved_rate = RESOLVED_RATE_DOUBLE_CHARGE if double else RESOLVED_RATE
    outcome = "resolved" if w.chance(resolved_rate) else "unresolved"
    if channel in ("web", "app"):
        if channel == "web":
            web_visit(w, first=True)
        else:
            w.open(office=False)
        w.emit(VIEWED[channel])
        if w.chance(0.6):
            w.soon(20, 300)
            w.emit(HELP[channel])
        if w.chance(SELF_SERVICE_RATE_DOUBLE_CHARGE if double else SELF_SERVICE_RATE):
            w.soon(60, 900)
            w.emit(PAID[channel])
            return flags
        contact = w.pick(CONTACT)
        w.later(0, 2, office=True)
        w.emit(FOLLOW_UP[contact, outcome])
    else:
        contact = channel
        w.open(office=True)
        w.emit(QUESTION[channel, outcome])
    attempts = 1
    while outcome == "unresolved":
        attempts += 1
        resolved = attempts >= MAX_CONTACTS or w.chance(RESOLVED_RATE)
        outcome = "resolved" if resolved else "unresolved"
        w.later(1, 4, office=True)
        w.emit(FOLLOW_UP[w.pick(CONTACT), outcome])
    if w.chance(ADJUSTMENT_RATE_DOUBLE_CHARGE if double else ADJUSTMENT_RATE):
        w.later(1, 3, office=True)
        w.emit(ADJUSTED)
    w.soon(600, DAY)
    w.emit(CLOSED)
    return flags


TYPE = JourneyType(
    name="billing",
    title="Billing question",
    description="The customer questions a bill; it is explained, corrected or paid.",
    walk=walk,
    rate_per_year=1.0,
    timeout_days=21,
    sla_days=3,
    start_activities=("bill_viewed", "billing_question"),
    end_activities=("bill_paid", "billing_case_closed"),
    success_activities=("bill_paid", "billing_case_closed"),
    stages=(
        Stage("Look at the bill", (MapStep("bill_viewed", ("web", "app")),)),
        Stage(
            "Find the answer",
            (MapStep("billing_help_viewed", ("web", "app"), optional=True),),
            alternatives=(MapStep("billing_question", ("phone", "chat")),),
        ),
        Stage(
            "Settle",
            (MapStep("bill_paid", ("web", "app")),),
            alternatives=(
                MapStep("bill_adjusted", ("email",)),
                MapStep("billing_case_closed", ("email",)),
            ),
        ),
    ),
    ces_question="How easy was it to sort out your bill?",
)
