"""Onboarding: a new customer signs up, gets the router and activates the service.

Designed: sign-up, order confirmation, router shipped, self-activation in app or on the web,
service active within 10 days.
"""

from __future__ import annotations

from journeylens.demo.paths.base import JourneyType, MapStep, Stage, web_visit
from journeylens.demo.steps import LOGIN, step
from journeylens.demo.walk import HOUR, Walk, Who, choice

STARTED = {
    "web": step("signup_started", "web"),
    "store": step("signup_started", "store", outcome="success"),
    "phone": step("signup_started", "phone", outcome="success"),
}
ORDER_PLACED = step("order_placed", "web", outcome="success")
ORDER_CONFIRMED = step("order_confirmation_sent", "email", "company")
SHIPPED = step("router_shipped", "email", "company")
ACTIVATED = {
    "web": step("router_activated", "web", outcome="success"),
    "app": step("router_activated", "app", outcome="success"),
}
HELP = {
    outcome: step("activation_help", "phone", outcome=outcome)
    for outcome in ("resolved", "unresolved")
}
ACTIVE = step("service_activated", "email", "company", outcome="success")

ENTRY = choice({"web": 0.55, "store": 0.30, "phone": 0.15})
STORE_SHIPS_RATE = 0.3
ACTIVATION_PROBLEM_RATE = 0.2
HELP_RESOLVED_RATE = 0.75


def walk(w: Walk, who: Who) -> int:
    """One onboarding journey."""
    channel = w.pick(ENTRY)
    w.variant = channel
    if channel == "web":
        w.open(office=False)
        w.emit(STARTED["web"])
        w.soon(300, 1500)
        w.emit(ORDER_PLACED)
        w.soon(30, 300)
        w.emit(LOGIN)  # the first login of the new account
    else:
        w.open(office=True)
        w.emit(STARTED[channel])
    w.soon(60, 1200)
    w.emit(ORDER_CONFIRMED)
    if channel != "store" or w.chance(STORE_SHIPS_RATE):
        w.later(1, 2, office=True)
        w.emit(SHIPPED)
    if w.chance(ACTIVATION_PROBLEM_RATE):
        outcome = "resolved" if w.chance(HELP_RESOLVED_RATE) else "unresolved"
        w.later(1, 4, office=True)
        w.emit(HELP[outcome])
        if outcome == "unresolved":
            w.later(1, 2, office=True)
            w.emit(HELP["resolved"])
    else:
        where = "app" if who.app and w.chance(0.6) else "web"
        w.later(1, 4, office=False)
        if where == "web":
            web_visit(w)
        w.emit(ACTIVATED[where])
    w.soon(600, 2 * HOUR)
    w.emit(ACTIVE)
    return 0


TYPE = JourneyType(
    name="onboarding",
    title="Onboarding",
    description="A new customer signs up, receives the router and activates the service.",
    walk=walk,
    rate_per_year=1.0,
    timeout_days=45,
    sla_days=10,
    start_activities=("signup_started",),
    end_activities=("service_activated",),
    success_activities=("service_activated",),
    stages=(
        Stage(
            "Sign up",
            (MapStep("signup_started", ("web",)), MapStep("order_placed", ("web",))),
            alternatives=(MapStep("signup_started", ("store", "phone")),),
        ),
        Stage("Order confirmed", (MapStep("order_confirmation_sent", ("email",)),)),
        Stage("Router delivered", (MapStep("router_shipped", ("email",)),)),
        Stage("Activate", (MapStep("router_activated", ("app", "web")),)),
        Stage("Service active", (MapStep("service_activated", ("email",)),)),
    ),
    ces_question="How easy was it to get your new service up and running?",
)
