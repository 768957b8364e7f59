"""English verbatims for survey answers, conditioned on what happened and on the score.

A verbatim is an opener that matches the score (promoter, passive, detractor) followed by one
or two theme sentences picked from what the journey went through: a broken form, repeat
contacts, long waits, hand-offs, slowness, a double charge … or, for good journeys, a
type-specific compliment. Themes and sentiment can therefore be recovered by text analysis and
checked against the truth.

Examples
--------
>>> import random
>>> r = random.Random(4)
>>> text = journey_verbatim(r, Experience("fault", 2, repeats=2, wait_minutes=25))
>>> any(word in text for word in ("call", "chase", "contacts"))
True
>>> "app" in journey_verbatim(r, Experience("renewal", 10, app=True))
True
"""

from __future__ import annotations

import random
from dataclasses import dataclass

THEMES: dict[str, tuple[str, ...]] = {
    "form_error": (
        "The online moving form kept giving me an error, so I had to phone you in the end.",
        "Your website's move form crashed when I pressed submit.",
        "I tried to register my move online but the form just showed an error.",
        "The change of address form on the website is broken.",
    ),
    "repeat_contact": (
        "I had to call {n} times before anyone actually fixed it.",
        "It took {n} contacts to get the problem sorted.",
        "Every time I called I was told it was fixed, and it wasn't. {n} contacts in total.",
        "I had to chase you {n} times.",
    ),
    "long_wait": (
        "I waited {m} minutes on hold.",
        "The queue was ridiculous, {m} minutes before I spoke to anyone.",
        "Far too long waiting to speak to someone.",
    ),
    "handoff": (
        "I was passed from the website to the phone to email and back.",
        "I had to explain everything again every time I switched channel.",
        "Nobody seemed to know what the other team had done.",
    ),
    "slow": (
        "It took {d} days from start to finish.",
        "Far too slow, {d} days to get it done.",
        "Everything took much longer than promised.",
    ),
    "unresolved": (
        "It still isn't sorted.",
        "I gave up in the end, the problem was never resolved.",
    ),
    "double_charge": (
        "I was charged twice this month and it took ages to get my money back.",
        "Double charged after your billing change. Not acceptable.",
        "Why was I billed twice? Sort out your billing system.",
    ),
    "price": (
        "The renewal price is too high compared to other providers.",
        "Prices keep going up for loyal customers.",
    ),
    "app_easy": (
        "Renewed in the app in two minutes, brilliant.",
        "The app made renewing really easy.",
        "Couldn't be easier, a couple of taps in the app.",
    ),
    "smooth_moving": (
        "Moving my service to the new address was straightforward.",
        "Registered the move online in a few minutes and everything worked on the day.",
    ),
    "smooth_renewal": (
        "Renewing was quick and simple.",
        "Easy renewal and a fair offer.",
    ),
    "smooth_fault": (
        "The fault was fixed quickly.",
        "Fixed first time, thank you.",
        "The problem was sorted the same day.",
    ),
    "smooth_billing": (
        "The bill was explained clearly.",
        "Found the answer about my bill straight away.",
    ),
    "smooth_onboarding": (
        "Setting up was easy and the router worked straight away.",
        "Smooth sign-up and activation.",
    ),
    "let_down": (
        "Communication could have been better.",
        "Nobody kept me updated.",
        "It all felt more complicated than it should be.",
    ),
    "friendly_agent": (
        "The agent was friendly and helpful.",
        "Lovely person on the phone, very patient.",
    ),
}

OPENERS: dict[str, tuple[str, ...]] = {
    "promoter": ("Great service.", "Really happy.", "Excellent.", "Very pleased.", ""),
    "passive": ("It was okay.", "Not bad.", "Fine overall.", ""),
    "detractor": (
        "Very disappointed.",
        "Terrible experience.",
        "Not impressed.",
        "Frustrating.",
        "",
    ),
}

TOUCHPOINT: dict[str, tuple[str, ...]] = {
    "good": (
        "The agent was friendly and helpful.",
        "Quick and polite, thank you.",
        "Very patient agent.",
        "Helpful and knew what she was doing.",
    ),
    "good_unresolved": (
        "Lovely agent, hopefully it's fixed this time.",
        "Friendly and helpful, we'll see if it works now.",
        "The agent was great, shame the problem keeps coming back.",
    ),
    "long_wait": (
        "Waited too long to get through.",
        "{m} minutes on hold before anyone answered.",
    ),
    "bad": ("The agent couldn't really help me.", "Not very helpful."),
}

RELATIONSHIP: dict[str, tuple[str, ...]] = {
    "fault": (
        "The internet keeps dropping and it takes forever to get it fixed.",
        "Unreliable connection and I have to call again and again.",
    ),
    "billing": ("Your bills are confusing and sometimes wrong.", "I was double charged once."),
    "moving": ("Moving house with you was a hassle.", "Your website didn't work when I moved."),
    "renewal": ("Loyal customers get worse deals than new ones.",),
    "onboarding": ("Getting set up was a pain.",),
    "promoter": ("Reliable service and friendly staff.", "Never had a problem, good value."),
    "app": ("The app makes everything easy.",),
    "passive": ("Decent service but a bit pricey.", "Okay, nothing special."),
    "detractor": ("Too expensive for what you get.", "Customer service is hard to reach."),
}

PAGE: tuple[str, ...] = (
    "The form gives an error when I press submit.",
    "Error on the moving page, couldn't finish.",
    "Submit button doesn't work on the change of address form.",
    "Page keeps crashing halfway through.",
)


def bucket(score: float, high: float = 10.0) -> str:
    """Promoter, passive or detractor, on a 0-10 scale (or scaled from ``high``).

    Examples
    --------
    >>> bucket(9), bucket(7), bucket(3), bucket(4, high=5)
    ('promoter', 'passive', 'detractor', 'passive')
    """
    value = score * 10.0 / high
    if value >= 9:
        return "promoter"
    if value >= 7:
        return "passive"
    return "detractor"


@dataclass(frozen=True)
class Experience:
    """What a journey went through, as far as a verbatim cares."""

    journey_type: str
    score: float
    broken_form: bool = False
    repeats: int = 0
    wait_minutes: int = 0
    handoffs: int = 0
    days: int = 0
    sla_days: float = 1e9
    success: bool = True
    app: bool = False
    double_charge: bool = False
    cancelled: bool = False


def _negative(e: Experience) -> list[str]:
    themes = []
    if e.broken_form:
        themes.append("form_error")
    if e.double_charge:
        themes.append("double_charge")
    if e.repeats > 0:
        themes.append("repeat_contact")
    if e.wait_minutes >= 15:
        themes.append("long_wait")
    if e.handoffs >= 4:
        themes.append("handoff")
    if e.days > e.sla_days:
        themes.append("slow")
    if not e.success:
        themes.append("price" if e.cancelled else "unresolved")
    return themes


def _positive(e: Experience) -> str:
    if e.journey_type == "renewal" and e.app:
        return "app_easy"
    return f"smooth_{e.journey_type}"


def _say(r: random.Random, theme: str, e: Experience) -> str:
    options = THEMES[theme]
    text = options[int(r.random() * len(options))]
    return text.format(n=e.repeats + 1, m=e.wait_minutes, d=e.days)


def _join(opener: str, sentences: list[str]) -> str:
    return " ".join([opener, *sentences]).strip() if opener else " ".join(sentences)


def journey_verbatim(r: random.Random, e: Experience) -> str:
    """The comment of a journey survey (``e.score`` is the NPS answer)."""
    mood = bucket(e.score)
    opener = OPENERS[mood][int(r.random() * len(OPENERS[mood]))]
    negative = _negative(e)
    if mood == "detractor" and not negative:
        themes = ["let_down"]
    elif mood == "promoter" or not negative:
        themes = [_positive(e)]
        if r.random() < 0.3:
            themes.append("friendly_agent")
    elif mood == "passive":
        themes = [negative[0]]
    else:
        themes = negative[:2]
    return _join(opener, [_say(r, theme, e) for theme in themes])


def touchpoint_verbatim(r: random.Random, score: float, wait_minutes: int, unresolved: bool) -> str:
    """The comment of a touchpoint CSAT answer (1-5)."""
    if score >= 4:
        key = "good_unresolved" if unresolved else "good"
    else:
        key = "long_wait" if wait_minutes >= 10 else "bad"
    options = TOUCHPOINT[key]
    return options[int(r.random() * len(options))].format(m=wait_minutes)


def relationship_verbatim(r: random.Random, score: float, bad_type: str | None, app: bool) -> str:
    """The comment of a relationship NPS answer; ``bad_type``: type of a recent bad journey."""
    mood = bucket(score)
    if bad_type is not None and mood != "promoter":
        key = bad_type
    elif mood == "promoter" and app and r.random() < 0.5:
        key = "app"
    else:
        key = mood
    options = RELATIONSHIP[key]
    return options[int(r.random() * len(options))]


def page_verbatim(r: random.Random) -> str:
    """A comment left on the broken moving-form page."""
    return PAGE[int(r.random() * len(PAGE))]
