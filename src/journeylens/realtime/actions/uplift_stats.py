"""The statistics of uplift: a difference of two proportions or two means, with its interval.

For a share (completion, success, re-contact) with ``x`` successes out of ``n`` moments per
arm, the uplift is ``p_a - p_h`` (actioned minus hold-out). Its interval is Newcombe's hybrid
score interval (Newcombe 1998, method 10: from the Wilson intervals ``[l, u]`` of each arm,
``d - sqrt((p_a-l_a)² + (u_h-p_h)²)`` to ``d + sqrt((u_a-p_a)² + (p_h-l_h)²)``), which keeps
its coverage for small arms and shares near 0 or 1 where the Wald interval collapses; the
p-value is the two-proportion z-test's (pooled standard error), as in
`journeylens.analytics.compare`. For a mean (contacts after, score) the uplift is
``m_a - m_h`` with Welch's standard error ``sqrt(s_a²/n_a + s_h²/n_h)``, the interval
``uplift ± z·se`` (z = 1.96 for 95%) and the p-value two-sided from ``uplift / se``.

How many moments are needed: with a hold-out share ``h`` of the rule's moments, detecting an
uplift ``d`` at level ``alpha`` with power ``1 - beta`` takes
``N = (z_{1-alpha/2} + z_{1-beta})² · (v_a/(1-h) + v_h/h) / d²`` moments in all (``v``: the
per-moment variance of each arm).

Examples
--------
>>> d = share_difference(56, 70, 48, 80)  # Newcombe (1998), Table II, example (a)
>>> round(d.difference, 4), round(d.ci_low, 4), round(d.ci_high, 4)
(0.2, 0.0524, 0.3339)
>>> [round(v, 4) for v in wilson(0, 10)]
[0.0, 0.2775]
>>> round(needed_moments(0.1875, 0.1875, 0.5, holdout_share=0.5))
24
>>> m = mean_difference([1.0, 2.0, 3.0], [1.0, 1.0, 1.0])
>>> m.difference, round(m.se, 4)
(1.0, 0.5774)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist


def z_value(confidence: float) -> float:
    """The two-sided normal quantile of a confidence level (1.96 for 0.95)."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence lies between 0 and 1 (got {confidence})")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


@dataclass(frozen=True)
class Difference:
    """Actioned minus hold-out, with its standard error, interval and test."""

    actioned: float
    holdout: float
    difference: float
    se: float
    ci_low: float
    ci_high: float
    z: float | None
    p_value: float | None
    var_actioned: float
    var_holdout: float


def wilson(x: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval of a proportion ``x / n``."""
    z = z_value(confidence)
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _difference(
    a: float, h: float, var_a: float, var_h: float, n_a: int, n_h: int, confidence: float
) -> Difference:
    se = math.sqrt(var_a / n_a + var_h / n_h)
    diff = a - h
    half = z_value(confidence) * se
    z = diff / se if se > 0 else None
    p = math.erfc(abs(z) / math.sqrt(2)) if z is not None else None
    return Difference(a, h, diff, se, diff - half, diff + half, z, p, var_a, var_h)


def share_difference(
    x_a: int, n_a: int, x_h: int, n_h: int, confidence: float = 0.95
) -> Difference:
    """Difference of two proportions ``x_a/n_a - x_h/n_h`` (Newcombe's interval)."""
    if n_a <= 0 or n_h <= 0:
        raise ValueError("each arm needs at least one moment")
    p_a, p_h = x_a / n_a, x_h / n_h
    wald = _difference(p_a, p_h, p_a * (1 - p_a), p_h * (1 - p_h), n_a, n_h, confidence)
    l_a, u_a = wilson(x_a, n_a, confidence)
    l_h, u_h = wilson(x_h, n_h, confidence)
    diff = p_a - p_h
    pooled = (x_a + x_h) / (n_a + n_h)
    se0 = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_h))
    z = diff / se0 if se0 > 0 else None
    return Difference(
        actioned=p_a,
        holdout=p_h,
        difference=diff,
        se=wald.se,
        ci_low=diff - math.sqrt((p_a - l_a) ** 2 + (u_h - p_h) ** 2),
        ci_high=diff + math.sqrt((u_a - p_a) ** 2 + (p_h - l_h) ** 2),
        z=z,
        p_value=None if z is None else math.erfc(abs(z) / math.sqrt(2)),
        var_actioned=wald.var_actioned,
        var_holdout=wald.var_holdout,
    )


def mean_difference(a: Sequence[float], h: Sequence[float], confidence: float = 0.95) -> Difference:
    """Difference of two means (Welch's standard error; sample variances, ``ddof=1``)."""
    if len(a) < 2 or len(h) < 2:
        raise ValueError("each arm needs at least two moments for a mean")

    def mean_var(values: Sequence[float]) -> tuple[float, float]:
        m = sum(values) / len(values)
        return m, sum((v - m) ** 2 for v in values) / (len(values) - 1)

    (m_a, v_a), (m_h, v_h) = mean_var(a), mean_var(h)
    return _difference(m_a, m_h, v_a, v_h, len(a), len(h), confidence)


def needed_moments(
    var_actioned: float,
    var_holdout: float,
    effect: float,
    *,
    holdout_share: float,
    alpha: float = 0.05,
    power: float = 0.8,
) -> float | None:
    """Moments of a rule (both arms) needed to detect ``effect`` (None when undefined)."""
    if effect == 0 or not 0 < holdout_share < 1:
        return None
    if var_actioned + var_holdout <= 0:
        return None
    z = NormalDist().inv_cdf(1 - alpha / 2) + NormalDist().inv_cdf(power)
    spread = var_actioned / (1 - holdout_share) + var_holdout / holdout_share
    return z**2 * spread / effect**2
