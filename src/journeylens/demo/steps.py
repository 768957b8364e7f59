"""The vocabulary of the demo world: every kind of event a journey or the background can emit.

A *step* is an (activity, channel, initiator, outcome) combination with a small integer code.
Path models register their steps at import time with `step` and emit codes; the codes are
turned into strings, channels and identifier patterns once per chunk, vectorised, through the
arrays of `StepTable`.

Examples
--------
>>> step("login", "web", topical=False) == LOGIN  # registering again gives the same code
True
>>> STEPS[LOGIN].channel, STEPS[LOGIN].assisted
('web', False)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

#: Channels of the demo world, in code order.
CHANNELS: tuple[str, ...] = ("web", "app", "phone", "chat", "email", "store", "social")
WEB, APP, PHONE, CHAT, EMAIL, STORE, SOCIAL = range(len(CHANNELS))

#: Channels on which a customer-initiated event is an assisted contact.
ASSISTED_CHANNELS: tuple[str, ...] = ("phone", "chat", "email", "store", "social")

#: Channels where a customer waits for a person (queue, chat queue, shop floor).
WAITING_CHANNELS: tuple[str, ...] = ("phone", "chat", "store")

#: Outcome values used by the demo world.
OUTCOMES: tuple[str, ...] = ("resolved", "unresolved", "failed", "success", "error")


@dataclass(frozen=True)
class Step:
    """One kind of event.

    Parameters
    ----------
    activity : str
        Snake-case activity name.
    channel : str
        One of `CHANNELS`.
    initiator : str
        ``"customer"`` (direct contact) or ``"company"`` (indirect).
    outcome : str or None
        The outcome recorded on the event.
    topical : bool
        Whether the event carries its journey's topic; session plumbing such as ``login`` does
        not, so it never belongs to a topic journey.
    """

    activity: str
    channel: str
    initiator: str = "customer"
    outcome: str | None = None
    topical: bool = True

    @property
    def assisted(self) -> bool:
        """A customer-initiated contact on an assisted channel."""
        return self.initiator == "customer" and self.channel in ASSISTED_CHANNELS


#: Every registered step, indexed by code.
STEPS: list[Step] = []
_CODES: dict[Step, int] = {}


def step(
    activity: str,
    channel: str,
    initiator: str = "customer",
    outcome: str | None = None,
    *,
    topical: bool = True,
) -> int:
    """The code of a step, registering it on first use."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    if outcome is not None and outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    key = Step(activity, channel, initiator, outcome, topical)
    code = _CODES.get(key)
    if code is None:
        code = len(STEPS)
        STEPS.append(key)
        _CODES[key] = code
    return code


@dataclass(frozen=True)
class StepTable:
    """Column arrays over step codes, for vectorised lookups (``array[codes]``)."""

    activity: list[str]
    outcome_values: list[str | None]
    channel: npt.NDArray[np.int8]
    company: npt.NDArray[np.bool_]
    topical: npt.NDArray[np.bool_]
    assisted: npt.NDArray[np.bool_]
    waits: npt.NDArray[np.bool_]

    @classmethod
    def build(cls) -> StepTable:
        """The table of every step registered so far."""
        return cls(
            activity=[s.activity for s in STEPS],
            outcome_values=[s.outcome for s in STEPS],
            channel=np.array([CHANNELS.index(s.channel) for s in STEPS], dtype=np.int8),
            company=np.array([s.initiator == "company" for s in STEPS], dtype=bool),
            topical=np.array([s.topical for s in STEPS], dtype=bool),
            assisted=np.array([s.assisted for s in STEPS], dtype=bool),
            waits=np.array(
                [s.assisted and s.channel in WAITING_CHANNELS for s in STEPS], dtype=bool
            ),
        )


#: Steps shared by every journey type and the background.
LOGIN = step("login", "web", topical=False)
