"""Moving house: register the move, get a date, service moves with the customer.

Designed: the move form on web or app (or a call / store visit), a confirmation e-mail, a
scheduled date, completion within 14 days. Planted: the broken web form (truth 1).
"""

from __future__ import annotations

from journeylens.demo.paths.base import (
    BROKEN_FORM,
    JourneyType,
    MapStep,
    Stage,
    entry,
    web_visit,
)
from journeylens.demo.steps import step
from journeylens.demo.truths import TRUTHS
from journeylens.demo.walk import HOUR, Walk, Who, choice

FORM_STARTED = {"web": step("move_form_started", "web"), "app": step("move_form_started", "app")}
FORM_SUBMITTED = {
    "web": step("move_form_submitted", "web", outcome="success"),
    "app": step("move_form_submitted", "app", outcome="success"),
}
FORM_ERROR = step("move_form_error", "web", outcome="error")
REQUESTED = {
    "phone": step("move_requested", "phone", outcome="resolved"),
    "store": step("move_requested", "store", outcome="resolved"),
}
FORM_HELP_CALL = step("move_form_help", "phone", outcome="resolved")
FORM_HELP_CHAT = step("move_form_help", "chat", outcome="resolved")
CONFIRMATION = step("move_confirmation_sent", "email", "company")
STATUS = {
    "web": step("move_status_checked", "web"),
    "app": step("move_status_checked", "app"),
    "phone": step("move_status_enquiry", "phone", outcome="resolved"),
}
DATE_SCHEDULED = step("move_date_scheduled", "email", "company")
SERVICE_ISSUE = step("move_service_issue", "phone", outcome="resolved")
COMPLETED = step("move_completed", "email", "company", outcome="success")

ENTRY_APP_USERS = choice({"web": 0.45, "app": 0.30, "phone": 0.20, "store": 0.05})
ENTRY_OTHERS = choice({"web": 0.60, "phone": 0.32, "store": 0.08})
STATUS_CHECK_RATE = 0.2
STATUS_CHECK_RATE_BROKEN = 0.5
DATE_EMAIL_SKIPPED = 0.1
SERVICE_ISSUE_RATE = 0.06


def walk(w: Walk, who: Who) -> int:
    """One moving journey."""
    flags = 0
    delay = 0
    channel = entry(w, who, ENTRY_APP_USERS, ENTRY_OTHERS)
    w.variant = channel
    if channel == "web":
        web_visit(w, first=True)
        w.emit(FORM_STARTED["web"])
        if w.chance(TRUTHS.broken_form_rate):
            flags |= BROKEN_FORM
            w.soon(60, 600)
            w.emit(FORM_ERROR)
            u = w.random()
            if u < TRUTHS.broken_form_call_share:
                w.later(0, 2, office=True)
                w.emit(FORM_HELP_CALL)
            elif u < TRUTHS.broken_form_call_share + TRUTHS.broken_form_chat_share:
                w.soon(300, 2 * HOUR)
                w.emit(FORM_HELP_CHAT)
            else:
                w.variant = "abandoned"
                return flags
            low, high = TRUTHS.broken_form_delay_days
            delay = low + int(w.random() * (high - low + 1))
        else:
            w.soon(120, 900)
            w.emit(FORM_SUBMITTED["web"])
    elif channel == "app":
        w.open(office=False)
        w.emit(FORM_STARTED["app"])
        w.soon(60, 400)
        w.emit(FORM_SUBMITTED["app"])
    else:
        w.open(office=True)
        w.emit(REQUESTED[channel])
    w.soon(60, 1800)
    w.emit(CONFIRMATION)
    rate = STATUS_CHECK_RATE_BROKEN if flags else STATUS_CHECK_RATE
    checks = 0
    while checks < 3 and w.chance(rate):
        where = "app" if who.app and w.chance(0.6) else ("web" if w.chance(0.5) else "phone")
        w.later(1, 3, office=where == "phone")
        if where == "web":
            web_visit(w)
        w.emit(STATUS[where])
        rate *= 0.5
        checks += 1
    w.later(1 + delay, 3 + delay, office=True)
    if not w.chance(DATE_EMAIL_SKIPPED):
        w.emit(DATE_SCHEDULED)
    w.later(5 + delay, 14 + delay, office=True)
    if w.chance(SERVICE_ISSUE_RATE):
        w.emit(SERVICE_ISSUE)
        w.soon(HOUR, 6 * HOUR)
    w.emit(COMPLETED)
    return flags


TYPE = JourneyType(
    name="moving",
    title="Moving house",
    description="The customer moves; the service moves with them to the new address.",
    walk=walk,
    rate_per_year=0.35,
    timeout_days=45,
    sla_days=14,
    start_activities=("move_form_started", "move_requested"),
    end_activities=("move_completed",),
    success_activities=("move_completed",),
    stages=(
        Stage(
            "Request the move",
            (
                MapStep("move_form_started", ("web", "app")),
                MapStep("move_form_submitted", ("web", "app")),
            ),
            alternatives=(MapStep("move_requested", ("phone", "store")),),
        ),
        Stage("Confirmation", (MapStep("move_confirmation_sent", ("email",)),)),
        Stage(
            "Scheduling",
            (
                MapStep("move_status_checked", ("web", "app"), optional=True),
                MapStep("move_date_scheduled", ("email",)),
            ),
        ),
        Stage("Service moved", (MapStep("move_completed", ("email",)),)),
    ),
    ces_question="How easy was it to move your service to your new address?",
)
