"""Confidence intervals of survey scores: NPS, shares (Wilson) and means (Student's t).

Pure functions over counts and moments, for the reduced per-group tables the score analyses
compute on the engine. Every interval is two-sided at ``confidence``; a group too small for an
interval gives ``nan`` bounds.

- **NPS** = 100·(p_pro - p_det); its variance is (p_pro + p_det - (p_pro - p_det)²)/n (the
  variance of one answer scored +1, 0, -1, over n); the interval is NPS ± z·100·√variance,
  clipped to [-100, 100].
- **Share** (top-2-box CSAT, easy CES): the Wilson score interval
  (p + z²/2n ± z·√(p(1-p)/n + z²/4n²)) / (1 + z²/n), in percent.
- **Mean**: mean ± t(n-1)·s/√n with the sample standard deviation s (needs n ≥ 2).

Examples
--------
>>> low, high = wilson(8, 10)
>>> round(low, 2), round(high, 2)
(49.02, 94.33)
>>> nps, low, high = nps_interval(5, 2, 10)
>>> nps, round(low, 2), round(high, 2)
(30.0, -18.41, 78.41)
>>> [round(v, 3) for v in mean_interval(4.0, 1.0, 9)]
[3.231, 4.769]
"""

from __future__ import annotations

import math

from scipy import stats


def z_value(confidence: float = 0.95) -> float:
    """The two-sided normal quantile of ``confidence`` (1.96 for 0.95)."""
    return float(stats.norm.ppf(0.5 + confidence / 2))


def wilson(hits: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval of the share ``hits / n``, in percent."""
    if n <= 0:
        return math.nan, math.nan
    z = z_value(confidence)
    p = hits / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return 100 * max(0.0, centre - half), 100 * min(1.0, centre + half)


def nps_interval(
    promoters: int, detractors: int, n: int, confidence: float = 0.95
) -> tuple[float, float, float]:
    """NPS and its normal-approximation interval (see the module docstring)."""
    if n <= 0:
        return math.nan, math.nan, math.nan
    nps = 100 * (promoters - detractors) / n
    se = nps_standard_error(promoters, detractors, n)
    z = z_value(confidence)
    return nps, max(-100.0, nps - z * se), min(100.0, nps + z * se)


def nps_standard_error(promoters: int, detractors: int, n: int) -> float:
    """The standard error of NPS in points (``nan`` without answers)."""
    if n <= 0:
        return math.nan
    pro, det = promoters / n, detractors / n
    return 100 * math.sqrt(max(0.0, pro + det - (pro - det) ** 2) / n)


def mean_interval(mean: float, sd: float, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Student's t interval of a mean from the sample standard deviation ``sd``."""
    if n < 2 or math.isnan(sd):
        return math.nan, math.nan
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * sd / math.sqrt(n)
    return mean - half, mean + half
