"""Technical fault: the line is down, the customer reports it, the company fixes it.

Designed: report (phone, chat or app), fix, closing e-mail within 2 days. Planted: faults not
fixed at first contact and their repeat contacts (truth 2).
"""

from __future__ import annotations

from journeylens.demo.paths.base import NOT_FIXED_FIRST_TIME, JourneyType, MapStep, Stage, entry
from journeylens.demo.steps import step
from journeylens.demo.truths import TRUTHS
from journeylens.demo.walk import DAY, HOUR, Walk, Who, choice

REPORTED = {
    (channel, outcome): step("fault_reported", channel, outcome=outcome)
    for channel in ("phone", "chat")
    for outcome in ("resolved", "unresolved")
}
REPORTED_APP = step("fault_reported", "app")
LINE_TEST = step("line_test_run", "app", outcome="failed")
TECHNICIAN = step("technician_booked", "email", "company")
STATUS = {"web": step("fault_status_checked", "web"), "app": step("fault_status_checked", "app")}
FOLLOW_UP = {
    ("phone", "resolved"): step("fault_call", "phone", outcome="resolved"),
    ("phone", "unresolved"): step("fault_call", "phone", outcome="unresolved"),
    ("chat", "resolved"): step("fault_chat", "chat", outcome="resolved"),
    ("chat", "unresolved"): step("fault_chat", "chat", outcome="unresolved"),
    ("social", "unresolved"): step("fault_complaint_posted", "social", outcome="unresolved"),
}
CLOSED = step("fault_closed", "email", "company", outcome="resolved")

ENTRY_APP_USERS = choice({"phone": 0.45, "app": 0.35, "chat": 0.20})
ENTRY_OTHERS = choice({"phone": 0.72, "chat": 0.28})
REPEATS = choice(
    {
        1: TRUTHS.fault_repeat_weights[0],
        2: TRUTHS.fault_repeat_weights[1],
        3: TRUTHS.fault_repeat_weights[2],
    }
)
TECHNICIAN_RATE = 0.3
STATUS_CHECK_RATE = 0.4
SOCIAL_RATE = 0.25
CHAT_FOLLOW_UP_RATE = 0.15


def walk(w: Walk, who: Who) -> int:
    """One fault journey."""
    not_fixed = w.chance(TRUTHS.fault_not_fixed_rate)
    channel = entry(w, who, ENTRY_APP_USERS, ENTRY_OTHERS)
    w.variant = channel
    first = "unresolved" if not_fixed else "resolved"
    if channel == "app":
        w.open(office=False)
        w.emit(REPORTED_APP)
        w.soon(20, 120)
        w.emit(LINE_TEST)
    else:
        w.open(office=True)
        w.emit(REPORTED[channel, first])
    technician = w.chance(TECHNICIAN_RATE)
    if technician:
        w.soon(300, HOUR)
        w.emit(TECHNICIAN)
    if not not_fixed:
        if technician:
            w.later(1, 3, office=True)
        else:
            w.soon(HOUR, DAY)
        w.emit(CLOSED)
        return 0
    repeats = w.pick(REPEATS)
    give_up = w.chance(TRUTHS.fault_give_up_rate)
    for k in range(repeats):
        last = k == repeats - 1
        if w.chance(STATUS_CHECK_RATE):
            where = "app" if who.app else "web"
            w.later(0, 1, office=False)
            w.emit(STATUS[where])
        w.later(1, 3, office=True)
        outcome = "resolved" if last and not give_up else "unresolved"
        if k >= 1 and not last and w.chance(SOCIAL_RATE):
            w.emit(FOLLOW_UP["social", "unresolved"])
        elif w.chance(CHAT_FOLLOW_UP_RATE):
            w.emit(FOLLOW_UP["chat", outcome])
        else:
            w.emit(FOLLOW_UP["phone", outcome])
    if give_up:
        w.variant = "gave_up"
        return NOT_FIXED_FIRST_TIME
    w.soon(HOUR, DAY)
    w.emit(CLOSED)
    return NOT_FIXED_FIRST_TIME


TYPE = JourneyType(
    name="fault",
    title="Technical fault",
    description="The service is down; the customer reports it and the company fixes it.",
    walk=walk,
    rate_per_year=0.7,
    timeout_days=21,
    sla_days=2,
    start_activities=("fault_reported",),
    end_activities=("fault_closed",),
    success_activities=("fault_closed",),
    stages=(
        Stage(
            "Report",
            (MapStep("fault_reported", ("phone", "chat", "app")),),
        ),
        Stage(
            "Diagnose and fix",
            (
                MapStep("line_test_run", ("app",), optional=True),
                MapStep("technician_booked", ("email",), optional=True),
            ),
        ),
        Stage("Closed", (MapStep("fault_closed", ("email",)),)),
    ),
    ces_question="How easy was it to get your fault fixed?",
)
