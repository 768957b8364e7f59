"""Contract renewal: the contract is about to end, the company sends an offer.

Designed: offer e-mail, offer viewed in app or on the web, contract renewed, confirmation,
within 7 days. Planted: renewing in the app is the shortest and easiest path (truth 3).
"""

from __future__ import annotations

from journeylens.demo.paths.base import JourneyType, MapStep, Stage, entry, web_visit
from journeylens.demo.steps import step
from journeylens.demo.walk import HOUR, Walk, Who, choice

OFFER = step("renewal_offer_sent", "email", "company")
VIEWED = {"web": step("renewal_offer_viewed", "web"), "app": step("renewal_offer_viewed", "app")}
COMPARED = {"web": step("plans_compared", "web"), "app": step("plans_compared", "app")}
RENEWED = {
    channel: step("contract_renewed", channel, outcome="success")
    for channel in ("app", "web", "phone", "store")
}
CALL = step("renewal_call", "phone", outcome="unresolved")
QUOTE = step("renewal_quote_sent", "email", "company")
CONFIRMATION = step("renewal_confirmation_sent", "email", "company")
CONFIRMATION_IN_APP = step("renewal_confirmation_sent", "app", "company")
APPOINTMENT = step("store_appointment_booked", "web")
CANCELLATION = step("cancellation_requested", "phone", outcome="resolved")
ENDED = step("contract_ended", "email", "company")
ROLLED_OVER = step("contract_rolled_over", "email", "company")

ROUTE_APP_USERS = choice(
    {"app": 0.45, "web": 0.20, "phone": 0.21, "store": 0.05, "cancelled": 0.06, "lapsed": 0.03}
)
ROUTE_OTHERS = choice(
    {"web": 0.38, "phone": 0.42, "store": 0.10, "cancelled": 0.06, "lapsed": 0.04}
)
APP_COMPARE_RATE = 0.1
WEB_TO_PHONE_RATE = 0.3
PHONE_LOOKS_FIRST_RATE = 0.4
PHONE_NEEDS_QUOTE_RATE = 0.7


def _phone_renewal(w: Walk) -> None:
    w.later(0, 5, office=True)
    if w.chance(PHONE_NEEDS_QUOTE_RATE):
        w.emit(CALL)
        w.soon(300, 2 * HOUR)
        w.emit(QUOTE)
        w.later(1, 5, office=True)
    w.emit(RENEWED["phone"])


def walk(w: Walk, who: Who) -> int:
    """One renewal journey."""
    w.open(office=True)
    w.emit(OFFER)
    route = entry(w, who, ROUTE_APP_USERS, ROUTE_OTHERS)
    w.variant = route
    if route == "app":
        w.later(0, 6, office=False)
        w.emit(VIEWED["app"])
        if w.chance(APP_COMPARE_RATE):
            w.soon(30, 300)
            w.emit(COMPARED["app"])
        w.soon(30, 300)
        w.emit(RENEWED["app"])
        w.soon(5, 60)
        w.emit(CONFIRMATION_IN_APP)
        return 0
    elif route == "web":
        w.later(0, 6, office=False)
        web_visit(w)
        w.emit(VIEWED["web"])
        w.soon(30, 600)
        w.emit(COMPARED["web"])
        if w.chance(WEB_TO_PHONE_RATE):
            w.variant = "phone"
            _phone_renewal(w)
        else:
            w.soon(60, 900)
            w.emit(RENEWED["web"])
    elif route in ("phone", "store"):
        if w.chance(PHONE_LOOKS_FIRST_RATE):
            w.later(0, 4, office=False)
            web_visit(w)
            w.emit(VIEWED["web"])
        if route == "phone":
            _phone_renewal(w)
        else:
            w.later(0, 3, office=False)
            web_visit(w)
            w.emit(APPOINTMENT)
            w.later(1, 7, office=True)
            w.emit(RENEWED["store"])
    elif route == "cancelled":
        if w.chance(0.5):
            w.later(0, 4, office=False)
            web_visit(w)
            w.emit(VIEWED["web"])
        w.later(2, 10, office=True)
        w.emit(CANCELLATION)
        w.soon(HOUR, 20 * HOUR)
        w.emit(ENDED)
        return 0
    else:
        if w.chance(0.3):
            w.later(0, 6, office=False)
            w.emit(VIEWED["app" if who.app else "web"])
        w.later(21, 26, office=True)
        w.emit(ROLLED_OVER)
        return 0
    w.soon(60, 1800)
    w.emit(CONFIRMATION)
    return 0


TYPE = JourneyType(
    name="renewal",
    title="Contract renewal",
    description="The contract ends; the customer renews (or leaves) after an offer.",
    walk=walk,
    rate_per_year=0.5,
    timeout_days=30,
    sla_days=7,
    start_activities=("renewal_offer_sent",),
    end_activities=("renewal_confirmation_sent", "contract_ended", "contract_rolled_over"),
    success_activities=("contract_renewed",),
    stages=(
        Stage("Offer", (MapStep("renewal_offer_sent", ("email",)),)),
        Stage(
            "Decide",
            (
                MapStep("renewal_offer_viewed", ("app", "web")),
                MapStep("plans_compared", ("app", "web"), optional=True),
            ),
        ),
        Stage(
            "Renew",
            (MapStep("contract_renewed", ("app", "web")),),
            alternatives=(MapStep("contract_renewed", ("phone", "store")),),
        ),
        Stage("Confirmation", (MapStep("renewal_confirmation_sent", ("email", "app")),)),
    ),
    ces_question="How easy was it to renew your contract?",
)
