"""The planted truths of the demo world, in one place.

The demo world is a telecom / utility company with residential and business customers who
move house, renew contracts, report faults, ask about bills and sign up, across web, app,
phone, chat, e-mail, store and social. Most of what they do follows the designed journeys
(`journeylens.demo.maps.journey_maps`); a few things are planted on purpose so that an
analysis can find them and a test can check that it did. The numbers below are the parameters
the generator actually uses (`TRUTHS`); change them here and the world changes with them.

1. **The broken online moving form** (``broken_form_rate``). A share of the movers who start
   the move form on the *web* hit ``move_form_error``; of those, ``broken_form_call_share``
   call (``move_form_help`` on phone), ``broken_form_chat_share`` chat, the rest give up (the
   journey is abandoned). The web → phone hand-off is the hot spot of the moving journey and a
   deviation from its map. The move is then registered by hand and completes
   ``broken_form_delay_days`` later than it would have, so these journeys take longer and
   score lower. ``broken_form_feedback_rate`` of the errors leave a "this page" text comment
   linked to the error event. Flag: ``broken_form``.
2. **Faults not fixed at first contact** (``fault_not_fixed_rate``). The first contact of such a
   fault ends ``unresolved``; the customer makes 1, 2 or 3 repeat contacts
   (``fault_repeat_weights``; calls, chats, a social post from the second repeat on), the last
   one ``resolved`` unless the customer gives up (``fault_give_up_rate``). Journey NPS and CES
   are low (the repeat contacts drive them, see 4) while the touchpoint CSAT after each call
   stays high: the agents are friendly (``csat_*``, with only ``csat_unresolved_penalty`` for
   an unresolved call). Flag: ``not_fixed_first_time``.
3. **Renewals in the app are effortless.** Renewing in the app takes the fewest steps and
   hand-offs (offer e-mail → viewed → renewed → confirmation in the app) and, through the CES
   formula below, gives the best CES; web renewals compare plans first, store renewals book an
   appointment online first, and phone renewals usually take a call, a quote and a second call.
   Marked by ``variant`` (app, web, phone, store; cancelled and lapsed did not renew).
4. **Drivers of journey NPS**, in planted order of strength: repeat contacts > hand-offs >
   long waits > duration. For every journey::

       nps_expected = nps_base
                      - nps_per_repeat   * repeat_contacts
                      - nps_per_handoff  * handoffs
                      - nps_per_wait     * wait_seconds / 600
                      - nps_per_duration * duration_seconds / 604800
       nps = clip(round(nps_expected + Normal(0, nps_noise_sd)), 0, 10)

   with ``repeat_contacts`` = customer-initiated events on an assisted channel (phone, chat,
   e-mail, store, social) minus one (not below 0), ``handoffs`` = channel changes between
   consecutive events of the journey, ``wait_seconds`` = the sum of the ``wait_seconds``
   attribute over the journey and ``duration_seconds`` = last minus first event, all measured
   on the events as written (topic events of the journey; ``login`` carries no topic). The
   base is the same for every journey type, and the coefficients are chosen so that the
   *standardised* effects (coefficient x standard deviation of the driver over surveyed
   journeys; about 1.1, 0.6, 0.38 and 0.19) keep that order, so an ordinary least squares fit
   of the answers on the standardised drivers recovers it. ``truth/journey_facts.parquet`` has the
   drivers and ``nps_expected`` of every journey. CES (1-7, 7 = very easy)::

       ces_expected = ces_base - ces_per_step * max(steps - ces_free_steps, 0)
                      - ces_per_repeat * repeat_contacts - ces_per_handoff * handoffs
       ces = clip(round(ces_expected + Normal(0, ces_noise_sd)), 1, 7)

   Touchpoint CSAT (1-5) after an assisted call, chat or store visit::

       csat = clip(round(csat_base - csat_long_wait_penalty * (wait_seconds > csat_long_wait)
                         - csat_unresolved_penalty * (outcome == "unresolved")
                         + Normal(0, csat_noise_sd)), 1, 5)

   Relationship NPS (periodic waves)::

       rnps = clip(round(rnps_base + rnps_app_bonus * app_user + customer_mood
                         - rnps_per_bad_journey * min(bad_journeys_180d, 3)
                         + Normal(0, rnps_noise_sd)), 0, 10)

   where a *bad journey* is one whose ``nps_expected`` is below ``bad_journey_nps`` and that
   ended in the 180 days before the survey, and ``customer_mood`` is Normal(0, rnps_mood_sd)
   per customer.
5. **The billing spike.** Billing journeys starting on days ``spike_start_day`` …
   ``spike_start_day + spike_days - 1`` of the window (March with the default start) are drawn
   ``spike_billing_factor`` times as often: a billing-system migration double-charged
   customers. (A customer's journeys of one type are at least the timeout apart, so some spike
   journeys slip into the next month: March shows about 2.7 times the usual volume.)
   ``spike_double_charge_share`` of those journeys carry ``attributes.reason =
   "double_charge"``, need contacts more often and end with a ``bill_adjusted`` e-mail; phone
   waits are ``spike_wait_factor`` times longer during those days. Flag: ``billing_spike``.
6. **Business customers wait less**: their waits are ``business_wait_factor`` times the
   residential ones (a priority line).
7. **Identity.** Each channel carries only what it would know (see
   `journeylens.demo.identities`). ``phone_identified_rate`` of inbound calls are identified
   (customer id on the event); a web session logs in (cookie + customer id) with
   ``login_journey_rate`` inside journeys and ``login_browse_rate`` when just browsing, so some
   cookies are never linked to their customer: ``truth/identities.parquet`` marks each
   identifier ``seen_in_events`` and ``linked_in_events`` (and ``seen`` / ``linked`` counting
   feedback records too) so stitching can be scored for precision (no two true customers share
   an identifier, so nothing may merge) and recall (exactly the linked identifiers can be
   found; every other one seen is, correctly, a customer of its own in the data). Public
   social mentions (``social_mention_rate`` a year) carry no identifier at all: ingestion must
   quarantine them.

Examples
--------
>>> TRUTHS.broken_form_rate, TRUTHS.fault_not_fixed_rate
(0.4, 0.35)
>>> float(nps_expected([0], [1], [0], [0])[0])
8.3
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def _frozen(values: dict[str, float]) -> Mapping[str, float]:
    return MappingProxyType(values)


@dataclass(frozen=True)
class Truths:
    """Every planted parameter of the demo world (see the module docstring)."""

    # 1. the broken online moving form
    broken_form_rate: float = 0.40
    broken_form_call_share: float = 0.70
    broken_form_chat_share: float = 0.15
    broken_form_delay_days: tuple[int, int] = (2, 6)
    broken_form_feedback_rate: float = 0.15

    # 2. faults not fixed at first contact
    fault_not_fixed_rate: float = 0.35
    fault_repeat_weights: tuple[float, float, float] = (0.5, 0.3, 0.2)
    fault_give_up_rate: float = 0.10

    # touchpoint CSAT (1-5): friendly agents
    csat_base: float = 4.55
    csat_long_wait: int = 600
    csat_long_wait_penalty: float = 0.5
    csat_unresolved_penalty: float = 0.15
    csat_noise_sd: float = 0.55

    # 4. journey NPS (0-10) and its drivers
    nps_base: float = 8.8
    nps_per_repeat: float = 1.9
    nps_per_handoff: float = 0.5
    nps_per_wait: float = 0.55
    nps_per_duration: float = 0.3
    nps_noise_sd: float = 1.1

    # 3. / 4. journey CES (1-7, 7 = very easy)
    ces_base: float = 6.6
    ces_free_steps: int = 3
    ces_per_step: float = 0.35
    ces_per_repeat: float = 0.6
    ces_per_handoff: float = 0.25
    ces_noise_sd: float = 0.6

    # relationship NPS
    rnps_base: float = 7.6
    rnps_app_bonus: float = 0.4
    rnps_mood_sd: float = 0.8
    rnps_per_bad_journey: float = 1.3
    rnps_noise_sd: float = 1.2
    bad_journey_nps: float = 6.0

    # 5. the billing spike
    spike_start_day: int = 59
    spike_days: int = 31
    spike_billing_factor: float = 3.0
    spike_double_charge_share: float = 0.6
    spike_wait_factor: float = 1.8

    # 6. waits
    business_wait_factor: float = 0.5
    wait_median_seconds: Mapping[str, float] = field(
        default_factory=lambda: _frozen({"phone": 210.0, "chat": 75.0, "store": 240.0})
    )
    wait_sigma: float = 0.9

    # 7. identity
    phone_identified_rate: float = 0.85
    login_journey_rate: float = 0.8
    login_browse_rate: float = 0.3
    social_mention_rate: float = 0.15


#: The parameters in force.
TRUTHS = Truths()


def nps_expected(
    repeat_contacts: npt.ArrayLike,
    handoffs: npt.ArrayLike,
    wait_seconds: npt.ArrayLike,
    duration_seconds: npt.ArrayLike,
    truths: Truths = TRUTHS,
) -> FloatArray:
    """Journey NPS before noise and rounding (planted truth 4).

    Examples
    --------
    >>> round(float(nps_expected([1], [2], [600], [0])[0]), 2)
    5.35
    """
    return np.asarray(
        truths.nps_base
        - truths.nps_per_repeat * np.asarray(repeat_contacts, dtype=float)
        - truths.nps_per_handoff * np.asarray(handoffs, dtype=float)
        - truths.nps_per_wait * np.asarray(wait_seconds, dtype=float) / 600.0
        - truths.nps_per_duration * np.asarray(duration_seconds, dtype=float) / 604_800.0,
        dtype=float,
    )


def ces_expected(
    steps: npt.ArrayLike,
    repeat_contacts: npt.ArrayLike,
    handoffs: npt.ArrayLike,
    truths: Truths = TRUTHS,
) -> FloatArray:
    """Journey CES before noise and rounding (planted truths 3 and 4).

    Examples
    --------
    >>> [round(float(v), 2) for v in ces_expected([4, 6], [0, 1], [2, 3])]
    [5.75, 4.2]
    """
    extra = np.maximum(np.asarray(steps, dtype=float) - truths.ces_free_steps, 0.0)
    return np.asarray(
        truths.ces_base
        - truths.ces_per_step * extra
        - truths.ces_per_repeat * np.asarray(repeat_contacts, dtype=float)
        - truths.ces_per_handoff * np.asarray(handoffs, dtype=float),
        dtype=float,
    )


def csat_expected(
    wait_seconds: npt.ArrayLike, unresolved: npt.ArrayLike, truths: Truths = TRUTHS
) -> FloatArray:
    """Touchpoint CSAT before noise and rounding (planted truth 2).

    Examples
    --------
    >>> [round(float(v), 2) for v in csat_expected([60, 900], [False, True])]
    [4.55, 3.9]
    """
    long_wait = np.asarray(wait_seconds) > truths.csat_long_wait
    return np.asarray(
        truths.csat_base
        - truths.csat_long_wait_penalty * long_wait
        - truths.csat_unresolved_penalty * np.asarray(unresolved, dtype=bool),
        dtype=float,
    )


def on_scale(expected: FloatArray, noise: FloatArray, low: float, high: float) -> FloatArray:
    """An answer on a survey scale: the expected value plus noise, rounded and clipped.

    Examples
    --------
    >>> on_scale(np.array([11.2, 4.4, -1.0]), np.zeros(3), 0, 10).tolist()
    [10.0, 4.0, 0.0]
    """
    return np.clip(np.rint(expected + noise), low, high)
